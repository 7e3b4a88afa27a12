// The gate's service watch reads the service's count of major garbage collections with each heap
// reading (HeapReading.majorGcs, what memory.ts's leak rule stands on): a local /metrics serves
// crafted expositions, one per scrape, and the heap series is read back.
// - Node (prom-client's defaults): nodejs_gc_duration_seconds_count{kind="major"}; 0 while only
//   other kinds have a series; with collectDefaultMetrics' prefix, the prefixed name.
// - Go (client_golang): go_gc_duration_seconds_count, every collection full.
// - No count exported: no majorGcs, and the view still names the metric that would tell.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { servePages as serve } from './helpers/metrics-pages.ts';

function contract(service: string, metrics = ''): ReturnType<typeof parseContract>['contract'] & object {
  const r = parseContract(`apiVersion: sloctl/v1
service: ${service}
routes: [{ name: a, method: GET, path: /a }]
${metrics}objectives:
  memory: { heap: { warn: 1GiB, critical: 2GiB }, perRequest: 2KiB }
`, 'slo.yaml');
  assert.ok(r.contract, JSON.stringify(r.diagnostics));
  return r.contract;
}

async function readings(c: NonNullable<ReturnType<typeof contract>>, pages: string[]) {
  let out: { heap: number[]; gcs: Array<number | undefined>; metric?: string } = { heap: [], gcs: [] };
  await serve(pages, async (url) => {
    const watch = new ServiceWatch(c, { metricsUrl: url, intervalMs: 1000, timeoutMs: 2000, allowRemote: false });
    for (let i = 0; i < pages.length; i++) await watch.scrape();
    assert.deepEqual(watch.scrapeFailures, []);
    const view = watch.view(undefined);
    out = { heap: (view.heapSeries ?? []).map((r) => r.heapBytes), gcs: (view.heapSeries ?? []).map((r) => r.majorGcs), metric: view.majorGcMetric };
  });
  return out;
}

const node = (prefix: string, heap: number, kinds: Record<string, number>) =>
  [
    `${prefix}nodejs_heap_size_used_bytes ${heap}`,
    'http_server_requests_total{method="GET",route="/a",status_class="2xx",error_class="none"} 10',
    ...Object.entries(kinds).map(([k, n]) => `${prefix}nodejs_gc_duration_seconds_count{kind="${k}"} ${n}`),
  ].join('\n') + '\n';

describe('service watch: the count of major collections with each heap reading', () => {
  it('Node: the kind="major" series; 0 while only minor collections have run', async () => {
    const r = await readings(contract('{ name: n }'), [
      node('', 100, { minor: 3 }),
      node('', 110, { minor: 5, major: 1 }),
      node('', 90, { minor: 9, major: 2, incremental: 4 }),
    ]);
    assert.deepEqual(r.heap, [100, 110, 90]);
    assert.deepEqual(r.gcs, [0, 1, 2]);
    assert.equal(r.metric, 'nodejs_gc_duration_seconds_count{kind="major"}');
  });

  it('Node with collectDefaultMetrics({ prefix }): the prefixed histogram, as the heap gauge is', async () => {
    const c = contract('{ name: n }', 'metrics: { heapUsed: app_nodejs_heap_size_used_bytes }\n');
    const r = await readings(c, [node('app_', 100, { major: 4 }), node('app_', 100, { major: 6 })]);
    assert.deepEqual(r.gcs, [4, 6]);
    assert.equal(r.metric, 'app_nodejs_gc_duration_seconds_count{kind="major"}');
  });

  it('Go: go_gc_duration_seconds_count, every collection full', async () => {
    const go = (heap: number, n: number) => `go_memstats_heap_inuse_bytes ${heap}\ngo_gc_duration_seconds{quantile="0.5"} 0.0001\ngo_gc_duration_seconds_sum 0.01\ngo_gc_duration_seconds_count ${n}\n`;
    const r = await readings(contract('{ name: g, runtime: go }'), [go(5e6, 12), go(6e6, 15)]);
    assert.deepEqual(r.heap, [5e6, 6e6]);
    assert.deepEqual(r.gcs, [12, 15]);
    assert.equal(r.metric, 'go_gc_duration_seconds_count');
  });

  it('no count exported: no majorGcs on the readings', async () => {
    const r = await readings(contract('{ name: n }'), ['nodejs_heap_size_used_bytes 100\n', 'nodejs_heap_size_used_bytes 120\n']);
    assert.deepEqual(r.heap, [100, 120]);
    assert.deepEqual(r.gcs, [undefined, undefined]);
    assert.equal(r.metric, 'nodejs_gc_duration_seconds_count{kind="major"}');
  });
});
