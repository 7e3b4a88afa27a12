// Engine micro-benchmark: update cost per sample and memory for 1,000 SLOs, each a 28-day rolling
// window of 1-minute buckets.
//
//   node --import tsx bench/engine.bench.ts [slos=1000] [simulatedHours=672]
//
// Every SLO gets one sample every 15 s (a typical scrape interval) for `simulatedHours` (default: the
// whole 28 days, so every page of every window is touched and RSS is the real footprint), i.e. four
// samples per bucket; each bucket move also writes one slot. Query cost is measured for a 5m, 1h and 28d window
// against the obvious alternative: a plain per-bucket array summed on every query.
import v8 from 'node:v8';
import vm from 'node:vm';
import { RollingWindow, evaluateBurnRateAlerts } from '../src/engine/index.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const SLOS = Number(process.argv[2] ?? 1000);
const HOURS = Number(process.argv[3] ?? 28 * 24);
const MIN = 60_000;
const WINDOW = 28 * 24 * 60 * MIN;
const SCRAPE = 15_000;
const T0 = Date.UTC(2024, 0, 1);

function mem() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const now = () => process.hrtime.bigint();

const before = mem();
const windows: RollingWindow[] = [];
for (let i = 0; i < SLOS; i++) windows.push(new RollingWindow({ bucketMs: MIN, windowMs: WINDOW }));
const allocated = mem();

// Fill: simulated time, all SLOs scraped at each tick (as a scraper would), deterministic traffic.
const ticks = (HOURS * 3_600_000) / SCRAPE;
let checksum = 0;
const t1 = now();
for (let k = 0; k < ticks; k++) {
  const t = T0 + k * SCRAPE;
  for (let i = 0; i < SLOS; i++) {
    const total = 100 + ((i * 7 + k) % 13);
    const bad = (i + k) % 50 === 0 ? 3 : 0;
    windows[i].add(t, total - bad, total);
  }
}
const t2 = now();
const samples = ticks * SLOS;
const nsPerSample = Number(t2 - t1) / samples;
const filled = mem();

// Queries over the window at the end of the simulated time.
const end = T0 + HOURS * 3_600_000;
function timeQueries(durationMs: number) {
  const reps = 200_000;
  for (let r = 0; r < reps; r++) checksum += windows[r % SLOS].over(durationMs, end).total; // warm-up
  const s = now();
  for (let r = 0; r < reps; r++) checksum += windows[r % SLOS].over(durationMs, end).total;
  return Number(now() - s) / reps;
}
// The rescan baseline: one Float64Array of per-bucket totals, summed over the window each time.
const naive = new Float64Array(WINDOW / MIN);
for (let j = 0; j < naive.length; j++) naive[j] = 100 + (j % 13);
function timeNaive(durationMs: number) {
  const n = durationMs / MIN;
  const reps = Math.max(200, Math.floor(20_000_000 / n));
  const run = () => {
    for (let r = 0; r < reps; r++) {
      let sum = 0;
      for (let j = naive.length - n; j < naive.length; j++) sum += naive[j];
      checksum += sum;
    }
  };
  run(); // warm-up
  const s = now();
  run();
  return Number(now() - s) / reps;
}
const queries = [
  ['5m', 5 * MIN],
  ['1h', 60 * MIN],
  ['28d', WINDOW],
] as const;
const queryRows = queries.map(([name, d]) => [name, timeQueries(d), timeNaive(d)] as const);

// A full four-tier alert evaluation (8 window queries and the --explain text) per SLO.
const evaluateAll = () => {
  for (let i = 0; i < SLOS; i++) {
    const w = windows[i];
    const r = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: WINDOW, at: end, query: (d, e) => w.over(d, e) });
    checksum += r.tiers.length;
  }
};
evaluateAll(); // warm-up
const s3 = now();
evaluateAll();
const alertNs = Number(now() - s3) / SLOS;

const perSlo = (filled.buffers - before.buffers) / SLOS;
console.log(`engine bench: ${SLOS} SLOs x 28d window of 1m buckets (${WINDOW / MIN} buckets each), ${HOURS}h simulated at one sample / 15s / SLO`);
console.log('');
console.log('| measure | value |');
console.log('| --- | --- |');
console.log(`| update cost per sample | ${nsPerSample.toFixed(1)} ns/op (${samples.toLocaleString('en-US')} samples) |`);
console.log(`| memory, typed arrays (all SLOs) | ${mb(filled.buffers - before.buffers)} (${(perSlo / 1024).toFixed(1)} KiB per SLO, ${(perSlo / (WINDOW / MIN + 1)).toFixed(0)} B per bucket) |`);
console.log(`| memory, JS heap (all SLOs) | ${mb(filled.heap - before.heap)} |`);
console.log(`| RSS after fill | ${mb(filled.rss)} (allocation alone: ${mb(allocated.rss - before.rss)}) |`);
for (const [name, inc, naiveNs] of queryRows) {
  console.log(`| query ${name} window | ${inc.toFixed(0)} ns (rescan: ${naiveNs.toFixed(0)} ns, ${(naiveNs / inc).toFixed(1)}x) |`);
}
console.log(`| 4-tier burn-rate evaluation per SLO | ${(alertNs / 1000).toFixed(1)} µs |`);
console.log('');
console.log(`(checksum ${checksum})`);
