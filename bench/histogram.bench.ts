// sloctl's Histogram vs hdr-histogram-js (the library DESIGN.md named for latency recording; it is
// autocannon's too), same range (1 µs .. 1 h) and 3 significant digits:
//   record   ns per recorded value (the generator records two per request: corrected and service)
//   merge    µs to merge one histogram into another (workers, trials)
//   p99      µs per percentile query
//   json     bytes of the serialized form a worker posts and the journal keeps
//
//   node --import tsx bench/histogram.bench.ts [--values 5000000] [--rounds 5]
//
// hdr-histogram-js runs as its pure-JS Int32 histogram (its WebAssembly build needs an async init
// and is slower for single records across the JS/Wasm boundary); its serialized form is its
// compressed base64 encoding, the one it offers for exchange.
import hdr from 'hdr-histogram-js';
import { Histogram } from '../src/measure/histogram.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const N = arg('values', 5_000_000);
const ROUNDS = arg('rounds', 5);

// Latencies as a load test sees them: mostly 0.2-5 ms, a tail to seconds. Fixed seed.
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const values = new Float64Array(N);
for (let i = 0; i < N; i++) values[i] = Math.round(200 + 4800 * rand() ** 2 + (rand() < 0.001 ? 2e6 * rand() : 0));

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<string, { record: number[]; merge: number[]; p99: number[]; json: number; check: number }> = {
  sloctl: { record: [], merge: [], p99: [], json: 0, check: 0 },
  'hdr-histogram-js': { record: [], merge: [], p99: [], json: 0, check: 0 },
};

for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so neither always runs on a warmer machine.
  const order = r % 2 === 0 ? ['sloctl', 'hdr-histogram-js'] : ['hdr-histogram-js', 'sloctl'];
  for (const name of order) {
    const row = rows[name];
    if (name === 'sloctl') {
      const h = new Histogram();
      row.record.push(time(() => { for (let i = 0; i < N; i++) h.record(values[i]); }) / N);
      const other = h.clone();
      row.merge.push(time(() => { for (let i = 0; i < 100; i++) h.merge(other); }) / 100 / 1000);
      let p = 0;
      row.p99.push(time(() => { for (let i = 0; i < 1000; i++) p += h.valueAtPercentile(99); }) / 1000 / 1000);
      row.json = JSON.stringify(other.toJSON()).length;
      row.check = other.valueAtPercentile(99);
    } else {
      const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });
      row.record.push(time(() => { for (let i = 0; i < N; i++) h.recordValue(values[i]); }) / N);
      const other = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });
      other.add(h);
      row.merge.push(time(() => { for (let i = 0; i < 100; i++) h.add(other); }) / 100 / 1000);
      let p = 0;
      row.p99.push(time(() => { for (let i = 0; i < 1000; i++) p += h.getValueAtPercentile(99); }) / 1000 / 1000);
      row.json = hdr.encodeIntoCompressedBase64(other).length;
      row.check = other.getValueAtPercentile(99) / 1000;
    }
  }
}

const s = rows.sloctl;
const p = rows['hdr-histogram-js'];
console.log(`${N.toLocaleString('en-US')} values, ${ROUNDS} rounds, medians (Node ${process.version})\n`);
console.log('| | record ns/value | merge µs | p99 query µs | serialized bytes | p99 of the data (ms) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, row] of Object.entries(rows)) {
  console.log(`| ${name} | ${median(row.record).toFixed(1)} | ${median(row.merge).toFixed(1)} | ${median(row.p99).toFixed(2)} | ${row.json.toLocaleString('en-US')} | ${row.check.toFixed(3)} |`);
}
console.log(`\nrecord: sloctl ${(median(p.record) / median(s.record)).toFixed(2)}x faster; merge ${(median(p.merge) / median(s.merge)).toFixed(2)}x; p99 query ${(median(p.p99) / median(s.p99)).toFixed(2)}x`);
