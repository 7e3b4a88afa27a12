// The SDK's per-request recording cost in isolation (no HTTP): nanoseconds per request for
// recorder.begin() + recorder.end() on a matched route, an unmatched one, a thrown error with a
// cause chain, and, for comparison, prom-client's own Histogram.observe + Counter.inc with the
// same labels (what the SDK avoids).
//
//   node --import tsx bench/sdk-hotpath.bench.ts
import { Counter, Histogram, Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';

const sdk = instrument({ contract: new URL('../examples/checkout/slo.yaml', import.meta.url), registry: new Registry(), defaultMetrics: false });
const rec = sdk.recorder;
const matched = sdk.routes.lookup('GET', '/products/:id');
const unmatched = sdk.routes.unmatchedFor('GET', '/nope');
const error = new Error('order failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

const reg = new Registry();
const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['method', 'route', 'status_class', 'sli_class'], buckets: sdk.buckets as number[], registers: [reg] });
const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['method', 'route', 'status_class', 'error_class'], registers: [reg] });

function measure(name: string, n: number, fn: () => void): void {
  for (let i = 0; i < n / 10; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t) / n);
  }
  runs.sort((a, b) => a - b);
  console.log(`| ${name} | ${runs[2].toFixed(0)} |`);
}

console.log('| per request | ns (median of 5) |');
console.log('| --- | ---: |');
const N = 2_000_000;
measure('sdk: begin + end, matched route, 200', N, () => { rec.end(matched, 200, undefined, rec.begin(), false); });
measure('sdk: begin + end, unmatched, 404', N, () => { rec.end(unmatched, 404, undefined, rec.begin(), false); });
measure('sdk: begin + end, thrown error with a cause chain, 500', N / 4, () => { rec.end(matched, 500, error, rec.begin(), false); });
measure('prom-client: Histogram.observe + Counter.inc, same labels', N / 4, () => {
  h.observe({ method: 'GET', route: '/products/:id', status_class: '2xx', sli_class: 'default' }, 0.004);
  c.inc({ method: 'GET', route: '/products/:id', status_class: '2xx', error_class: 'none' });
});

// The limiter's part (objectives.concurrency.limit; the example's contract declares one): a
// request let in at once and released, two ways. The adapters time the ticket from the recorder's
// own clock reads (admit with the start time, finish at start + the recorder's duration); the
// ticket can also time itself (admit, then finish()), which costs two more clock reads a request.
const admission = sdk.admission;
const priority = admission.priorityOfSlot(matched);
if (admission.limiter === undefined || priority === undefined) throw new Error('bench: the example contract declares no concurrency limit');
type Let = { admitted: true; finish(d: boolean, at?: number): void };
measure('sdk + limiter: admit, end, ticket.finish (the ticket reads the clock twice more)', N / 2, () => {
  const start = rec.begin();
  const t = admission.admit(priority) as Let;
  rec.end(matched, 200, undefined, start, false);
  t.finish(false);
});
measure('sdk + limiter: admit(start), end, ticket.finish(start + duration) (as the adapters do)', N / 2, () => {
  const start = rec.begin();
  const t = admission.admit(priority, start) as Let;
  const ms = rec.end(matched, 200, undefined, start, false);
  t.finish(false, start + ms);
});
