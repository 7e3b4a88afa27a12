// A service in cluster mode (node:cluster, PM2 -i): two workers share one port, each with its own
// prom-client registry, and whichever takes a scrape's connection answers /metrics. Before, the
// gate read the alternating counters as one process's: a drop was a "restart", the reset-corrected
// increases mixed both workers, and the objectives passed on them. Now the service watch tells
// turns from restarts (the start time goes back to an earlier one; the counter goes down while the
// start time stays: prom-client rounds it to the second, so workers forked together share it) and
// the service side of latency, errors and availability is INCONCLUSIVE, per-request memory not judged.
//
// Session 42: two workers forked in the same second whose counters both kept growing took turns
// unseen (measured on test/fixtures/cluster: the gate's scrapes read 943, 1,091, 2,403; the service
// "counted" 1,460 of the 600 requests sent, and the gate said another client was sending). The SDK
// now exports sloctl_cluster_worker (the worker's id) in a worker, which the gate and status read.
// Scrapes that stayed on one worker judged the service on that worker's share (338 of 600): the
// service counting under 3/4 of the answered requests is now said, and its side is INCONCLUSIVE.
// `sloctl status` had only its own restart check: it now asks the same ProcessTurns, and mixed
// workers make every SLO UNKNOWN (exit 4) instead of OK/FAILING.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.ts';
import { servePages } from './helpers/metrics-pages.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';
import { parseContract } from '../src/contract/load.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { memoryVerdicts } from '../src/verdicts/memory.ts';
import { blindInstrumentation, judgeObjectives, withdrawServiceSideFailures } from '../src/verdicts/objectives.ts';
import { routeEvidence } from '../src/verdicts/routes.ts';
import type { ServiceRoutes } from '../src/verdicts/service-routes.ts';
import type { GateReport, ObjectiveVerdict } from '../src/verdicts/types.ts';
import type { StatusReport } from '../src/evaluate/report.ts';

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

const page = (start: number, requests: number, heap: number, worker?: number) => [
  ...(worker !== undefined ? [`sloctl_cluster_worker ${worker}`] : []),
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

describe('cluster mode: the SDK\'s worker gauge', () => {
  it('workers whose counters both grow: the worker id changing is a turn (the counters alone showed nothing)', async () => {
    // The gate's reads on test/fixtures/cluster (same start time, every counter up).
    const unseen = await watch([page(1796690530, 943, 19e6), page(1796690530, 1091, 19e6), page(1796690530, 2403, 19e6)]);
    assert.equal(unseen.takingTurns, undefined);
    const view = await watch([page(1796690530, 943, 19e6, 1), page(1796690530, 1091, 19e6, 2), page(1796690530, 2403, 19e6, 1)]);
    assert.equal(view.takingTurns?.evidence, 'sloctl_cluster_worker went from 1 to 2');
    assert.equal(view.takingTurns?.atLeast, 2);
    assert.equal(view.clusterWorker, 1);
    assert.deepEqual(view.restarts, []);
  });

  it('a new worker id with a new start time is a restart (a worker replaced), not a turn', async () => {
    const view = await watch([page(1000, 10, 1e7, 1), page(1000, 20, 1e7, 1), page(2000, 3, 1e7, 3), page(2000, 9, 1e7, 3)]);
    assert.equal(view.takingTurns, undefined);
    assert.equal(view.restarts?.length, 1);
  });
});

describe('a service whose counters saw part of the run (one worker of several)', () => {
  const client = loadOf([routeRow('a', new Array<number>(5000).fill(5), { 200: 5000 })]);
  const serviceRoutes = (requests: number): ServiceRoutes => new Map([['GET /a', { method: 'GET', route: '/a', buckets: new Map([[0.25, requests], [Infinity, requests]]), requests, classes: new Map([['none', requests]]) }]]);
  const views = (counted: number, extra: { clusterWorker?: number } = {}) => ({
    client,
    service: { slos: [], requestCounter: { name: 'http_server_requests_total', counted: counted + 37 }, ...extra },
    routes: routeEvidence(contract, client, serviceRoutes(counted)),
  });

  it('under 3/4 of the answered requests on the contract\'s routes: said with the numbers and the fix; the service side is INCONCLUSIVE', () => {
    const blind = blindInstrumentation(views(2480));
    assert.ok(blind);
    assert.match(blind.reason, /^the service's counters saw 2,480 of the 5,000 requests the load got answers for on GET \/a \(http_server_requests_total over the measured phase\): its \/metrics is one process of several \(node:cluster, PM2's cluster mode\).*AggregatorRegistry.*"Cluster mode"/);
    assert.match(blindInstrumentation(views(2480, { clusterWorker: 2 }))!.reason, /: its \/metrics is node:cluster worker 2's alone \(sloctl_cluster_worker\)/);
    // The load's connections all on the other worker: none counted, and still said as the worker's, not as middleware order.
    const none = views(0, { clusterWorker: 2 });
    assert.match(blindInstrumentation({ ...none, service: { ...none.service, requestCounter: { name: 'http_server_requests_total', counted: 0 } } })!.reason, /^the service's counters saw 0 of the 5,000 requests .*: its \/metrics is node:cluster worker 2's alone/);
    const vs = judgeObjectives(contract, views(2480));
    for (const name of ['lat', 'errors']) {
      const v = vs.find((x) => x.name === name)!;
      assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
      assert.match(v.reason, /the service side is INCONCLUSIVE: its counters saw 2,480 of the 5,000 requests answered/);
    }
  });

  it('a single process (every answered request counted, other clients adding more) is not flagged, nor are workers taking turns twice, nor a restart', () => {
    assert.equal(blindInstrumentation(views(5000)), undefined);
    assert.equal(blindInstrumentation(views(6100)), undefined);
    assert.equal(blindInstrumentation(views(3800)), undefined, '76%: within the margin');
    assert.equal(blindInstrumentation({ ...views(2480), service: { ...views(2480).service, takingTurns: { atLeast: 2, seenAtMs: 0, evidence: 'x' } } }), undefined);
    // A restart loses what was counted since the scrape before it: said as a restart, not as several processes.
    assert.equal(blindInstrumentation({ ...views(2480), service: { ...views(2480).service, restarts: [{ offsetMs: 1000, seenAtMs: 2000, evidence: 'process_start_time_seconds changed' }] } }), undefined);
  });

  it('a failure only the service\'s view shows is taken back (INCONCLUSIVE, not FAIL); one the client saw stands', () => {
    const blind = blindInstrumentation(views(2480))!;
    const v = (name: string, client: number, service: number): ObjectiveVerdict => ({ contract: 'errors', name, verdict: 'fail', measured: Math.min(client, service), objective: 0.99, unit: 'ratio', direction: 'higher-is-better', margin: Math.min(client, service) - 0.99, client, service, reason: 'weighted success misses 99%' });
    const verdicts = [v('service-only', 1, 0.9), v('both', 0.9, 0.9)];
    const out = withdrawServiceSideFailures(verdicts, { blind });
    assert.deepEqual(verdicts.map((x) => x.verdict), ['warn', 'fail']);
    assert.match(verdicts[0].reason, /^not judged \(only the service's view failed, and the service's counters saw 2,480 of the 5,000 requests answered\):/);
    assert.equal(out.withdrawn.length, 1);
    assert.match(out.reason!, /^only the service's own view failed, and the service's counters saw 2,480 of the 5,000 requests answered: errors service-only failed/);
  });
});

describe('sloctl status: workers taking turns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-status-turns-'));
  writeFileSync(join(dir, 'slo.yaml'), `apiVersion: sloctl/v1
service: { name: clustered }
routes: [{ name: a, method: GET, path: /a }]
objectives:
  errors: { objective: 99% }
`);
  const status = async (pages: string[]) => {
    let out: { code: number; report: StatusReport } | undefined;
    await servePages(pages, async (url) => {
      const r = await runCli(['status', 'slo.yaml', '--target', url, '--samples', String(pages.length), '--interval', '20ms', '--no-progress', '--format', 'json'], dir);
      out = { code: r.code, report: JSON.parse(r.stdout) as StatusReport };
    });
    return out!;
  };

  it('mixed workers: every SLO UNKNOWN (exit 4, not OK), and one note with the evidence', async () => {
    const mixed = await status([page(1796690530, 1000, 1e7, 1), page(1796690530, 1200, 1e7, 2), page(1796690530, 1500, 1e7, 1)]);
    assert.equal(mixed.code, 4);
    assert.equal(mixed.report.slos[0].state, 'unknown');
    assert.match(mixed.report.slos[0].reason!, /workers took turns answering \/metrics \(sloctl_cluster_worker went from 1 to 2\)/);
    assert.match(mixed.report.notes![0], /^not judged: its \/metrics was answered by at least 2 processes taking turns \(at [\d.]+ s of the sampling: sloctl_cluster_worker went from 1 to 2\).*AggregatorRegistry/);
    assert.equal(mixed.report.source.kind === 'scrape' && mixed.report.source.restarts, 0);
    // Without the worker gauge, a start time coming back is a turn too (before: "1 restart(s) seen", OK).
    const back = await status([page(1000, 1000, 1e7), page(1001, 1200, 1e7), page(1000, 1500, 1e7)]);
    assert.equal(back.code, 4);
    assert.match(back.report.notes![0], /process_start_time_seconds went back from 1001 to 1000/);
  });

  it('one process: judged as before (OK, exit 0, no note); one worker alone: judged, with a note saying so', async () => {
    const one = await status([page(1000, 1000, 1e7), page(1000, 1200, 1e7), page(1000, 1500, 1e7)]);
    assert.equal(one.code, 0);
    assert.equal(one.report.slos[0].state, 'ok');
    assert.equal(one.report.notes, undefined);
    const worker = await status([page(1000, 1000, 1e7, 2), page(1000, 1200, 1e7, 2), page(1000, 1500, 1e7, 2)]);
    assert.equal(worker.report.slos[0].state, 'ok');
    assert.match(worker.report.notes![0], /^its \/metrics is node:cluster worker 2's alone \(sloctl_cluster_worker\)/);
  });
});

describe('a real 2-worker node:cluster service (test/fixtures/cluster), its workers\' own /metrics', { timeout: 120_000 }, () => {
  const SERVER = fileURLToPath(new URL('./fixtures/cluster/server.ts', import.meta.url));
  it('gate: the service side is INCONCLUSIVE (workers taking turns, or one worker\'s share), never a plain pass; status says it too', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { port, metricsPort } = JSON.parse(line) as { port: number; metricsPort: number };
      const dir = mkdtempSync(join(tmpdir(), 'sloctl-cluster-gate-'));
      writeFileSync(join(dir, 'slo.yaml'), `apiVersion: sloctl/v1
service: { name: clustered }
routes: [{ name: a, method: GET, path: /a }]
load: { rate: 200/s, duration: 3s, warmup: 500ms, mix: [{ route: a, weight: 1 }] }
objectives:
  latency: [{ name: lat, threshold: 250ms, objective: 99% }]
  errors: { objective: 99% }
`);
      const r = await runCli(['gate', 'slo.yaml', '--target', `http://127.0.0.1:${port}`, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
      const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
      for (const name of ['lat', 'errors']) {
        const v = report.verdicts.find((x) => x.name === name)!;
        assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
        assert.match(v.reason, /the service side is INCONCLUSIVE: (its \/metrics was answered by at least 2 processes taking turns \(.*sloctl_cluster_worker went from|its counters saw [\d,]+ of the 600 requests answered)/);
      }
      assert.ok(!report.notes.some((n) => /another client was sending/.test(n)), report.notes.join('\n'));
      const s = await runCli(['status', 'slo.yaml', '--target', `http://127.0.0.1:${port}`, '--samples', '2', '--interval', '100ms', '--no-progress', '--format', 'json'], dir);
      const st = JSON.parse(s.stdout) as StatusReport;
      assert.match(st.notes?.[0] ?? '', /node:cluster worker \d's alone|processes taking turns/);
      // The primary's merged view (AggregatorRegistry) is the whole service's: no worker gauge, no note.
      const merged = await runCli(['status', 'slo.yaml', '--target', `http://127.0.0.1:${metricsPort}/metrics`, '--samples', '2', '--interval', '100ms', '--no-progress', '--format', 'json'], dir);
      assert.equal((JSON.parse(merged.stdout) as StatusReport).notes, undefined, merged.stdout);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
