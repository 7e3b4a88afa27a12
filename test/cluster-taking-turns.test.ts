// A service in cluster mode (node:cluster, PM2 -i): two workers share one port, each with its own
// prom-client registry, and whichever takes a scrape's connection answers /metrics. Before, the
// gate read the alternating counters as one process's: a drop was a "restart", the reset-corrected
// increases mixed both workers, and the objectives passed on them. Now the service watch tells
// turns from restarts (the start time goes back to an earlier one; the counter goes down while the
// start time stays: prom-client rounds it to the second, so workers forked together share it) and
// the service side of latency, errors and availability is INCONCLUSIVE, per-request memory not judged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servePages } from './helpers/metrics-pages.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';
import { parseContract } from '../src/contract/load.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { memoryVerdicts } from '../src/verdicts/memory.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';

const parsed = parseContract(`apiVersion: sloctl/v1
service: { name: clustered }
routes: [{ name: a, method: GET, path: /a }]
objectives:
  latency: [{ name: lat, threshold: 250ms, objective: 99% }]
  errors: { objective: 99% }
  memory: { heap: { warn: 1GiB, critical: 2GiB }, perRequest: 2KiB }
`, 'slo.yaml');
assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
const contract = parsed.contract;

const page = (start: number, requests: number, heap: number) => [
  `process_start_time_seconds ${start}`,
  `nodejs_heap_size_used_bytes ${heap}`,
  `http_server_requests_total{method="GET",route="/a",status_class="2xx",error_class="none"} ${requests}`,
].join('\n') + '\n';

/** Serves `pages[i]` to the i-th GET /metrics, and reads them back through a ServiceWatch. */
async function watch(pages: string[]) {
  let view: ReturnType<ServiceWatch['view']> | undefined;
  await servePages(pages, async (metricsUrl) => {
    const w = new ServiceWatch(contract, { metricsUrl, intervalMs: 1000, timeoutMs: 2000, allowRemote: false });
    for (let n = 0; n < pages.length; n++) await w.scrape();
    assert.deepEqual(w.scrapeFailures, []);
    view = w.view(undefined);
  });
  return view!;
}

describe('cluster mode: workers taking turns answering /metrics', () => {
  it('workers forked in the same second (one start time): a counter that goes down is a turn, not a restart', async () => {
    // Measured on a 2-worker node:cluster Express service: worker A at 367, worker B at 433, A at 549, B at 637.
    const view = await watch([page(1796683347, 367, 11e6), page(1796683347, 433, 16e6), page(1796683347, 549, 16e6), page(1796683347, 637, 15e6), page(1796683347, 563, 18e6)]);
    assert.deepEqual(view.restarts, []);
    assert.ok(view.takingTurns, 'takingTurns');
    assert.equal(view.takingTurns.atLeast, 2);
    assert.equal(view.takingTurns.evidence, 'http_server_requests_total went down from 637 to 563 while process_start_time_seconds stayed 1796683347');
  });

  it('workers with different start times: the start time going back to an earlier one is a turn; a restart still is a restart', async () => {
    const turns = await watch([page(1000, 10, 1e7), page(1001, 12, 1e7), page(1000, 30, 1e7), page(1001, 33, 1e7)]);
    assert.deepEqual(turns.restarts, []);
    assert.equal(turns.takingTurns?.evidence, 'process_start_time_seconds went back from 1001 to 1000, an earlier scrape\'s');
    const restart = await watch([page(1000, 10, 1e7), page(1000, 20, 1e7), page(2000, 3, 1e7), page(2000, 9, 1e7)]);
    assert.equal(restart.takingTurns, undefined);
    assert.equal(restart.restarts?.length, 1);
  });

  it('the service side of latency and errors is INCONCLUSIVE (a warning, not a pass); per-request memory is not judged', () => {
    const client = loadOf([routeRow('a', new Array<number>(1200).fill(5), { 200: 1200 })]);
    const takingTurns = { atLeast: 2, seenAtMs: 4000, evidence: 'http_server_requests_total went down from 637 to 563 while process_start_time_seconds stayed 1796683347' };
    const vs = judgeObjectives(contract, { client, service: { slos: [], takingTurns } });
    for (const name of ['lat', 'errors']) {
      const v = vs.find((x) => x.name === name)!;
      assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
      assert.match(v.reason, /the service side is INCONCLUSIVE: its \/metrics was answered by at least 2 processes taking turns \(at 4 s of the measured phase: http_server_requests_total went down from 637 to 563 while process_start_time_seconds stayed 1796683347\).*AggregatorRegistry.*its own metrics port/);
    }
    const mem = memoryVerdicts(contract, { heapMaxBytes: 18e6, heapSeries: [{ offsetMs: 0, heapBytes: 11e6, requests: 367 }, { offsetMs: 4000, heapBytes: 18e6, requests: 563 }], takingTurns });
    const per = mem.find((v) => v.name === 'per-request')!;
    assert.equal(per.verdict, 'skipped');
    assert.equal(per.unmeasurable, true);
    assert.match(per.reason, /^not judged: its \/metrics was answered by at least 2 processes taking turns/);
    assert.match(mem.find((v) => v.name === 'heap')!.reason, /a peak of whichever process answered each scrape/);
  });
});
