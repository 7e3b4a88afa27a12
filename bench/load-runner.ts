// One load tool run for bench/load.bench.ts, in its own process (so the bench can pin it to a core):
//   node --import tsx bench/load-runner.ts sloctl|autocannon URL CONNECTIONS SECONDS [RATE]
// Prints one JSON line: answered requests, the run's own duration, p50/p99 in ms, errors, and the
// CPU this process spent during the run only (tsx and module loading are before the clock starts).
//
// sloctl: runLoad itself with --rate max (the closed model: every connection sends again as soon
// as it is answered), exactly what `sloctl load URL --rate max` runs after parsing its flags; with
// RATE (requests/s), the open model at that arrival rate instead (bench/sdk-wrk.bench.ts --rate).
// autocannon: its library API (`autocannon(opts)`), one thread, as its CLI runs without -w.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { runLoad } from '../src/load/run.ts';

interface Outcome {
  tool: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  /** sloctl: the generator's check on itself (sends late past its threshold; ok when it kept to the schedule). */
  lateSends?: number;
  generatorOk?: boolean;
  cpuMs: number;
  wallMs: number;
}

const [tool, url, connectionsText, secondsText, rateText] = process.argv.slice(2);
const connections = Number(connectionsText);
const seconds = Number(secondsText);
const rate = rateText === undefined ? 'max' as const : Number(rateText);
if (!url || !(connections > 0) || !(seconds > 0) || !(rate === 'max' || rate > 0)) {
  console.error('usage: bench/load-runner.ts sloctl|autocannon URL CONNECTIONS SECONDS [RATE]');
  process.exit(2);
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let out: Omit<Outcome, 'cpuMs' | 'wallMs'>;
if (tool === 'sloctl') {
  const r = await runLoad({
    url,
    requests: [{ name: 'GET /', weight: 1, method: 'GET', path: new URL(url).pathname }],
    stages: [{ rate, durationMs: seconds * 1000 }],
    connections,
    timeoutMs: 10_000,
  });
  out = { tool, requests: r.completed, seconds: r.durationMs / 1000, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, lateSends: r.generator?.lateSends, generatorOk: r.generator?.ok };
} else if (tool === 'autocannon') {
  const r = await autocannon({ url, connections, duration: seconds });
  out = { tool, requests: r.requests.total, seconds: r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
} else {
  console.error(`unknown tool ${tool}: sloctl or autocannon`);
  process.exit(2);
}
const cpu = process.cpuUsage(cpu0);
const result: Outcome = { ...out, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 };
process.stdout.write(`${JSON.stringify(result)}\n`);
