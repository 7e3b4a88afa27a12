// The generator's lag is weighed by its size too (src/verdicts/generator-lag.ts, header "SIZE"):
// each request can hold at most twice the worst lag of it, so a failure that holds with every
// request that much faster (the objectives judged again on lagProofView) is the service's own.
// Synthetic evidence on both sides: the user trial's small lag beside a wide tail (stands), and a
// lag big enough to explain the same tail (withdrawn).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { GeneratorHealth, LoadResult, RouteResult } from '../src/measure/types.ts';
import { generatorLine } from '../src/report/format.ts';
import { generatorLag, lagProofView, LAG_NOTE_PREFIX, withdrawLagFailures } from '../src/verdicts/generator-lag.ts';
import type { HealthStats } from '../src/verdicts/health.ts';
import { judgeObjectives, type GateViews } from '../src/verdicts/objectives.ts';
import type { ObjectiveVerdict } from '../src/verdicts/types.ts';
import type { SloStatus } from '../src/evaluate/report.ts';

// The user trial's contract: GET /items under a 100 ms p99 ceiling, and an availability composite.
const CONTRACT = `
apiVersion: sloctl/v1
service: { name: items }
routes:
  - { name: items, method: GET, path: /items }
objectives:
  latency:
    - name: api-latency
      threshold: 100ms
      objective: 99%
      percentiles: { p99: 100ms }
  errors: { objective: 99% }
  availability: { objective: 99%, weights: { health: 0.5, latency: 0.25, success: 0.25, dependencies: 0 } }
`;

function contract(): Contract {
  const r = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(r.contract, JSON.stringify(r.diagnostics));
  return r.contract;
}

/** GET /items: `slow` of `n` requests at 300 ms, the rest at 20 ms, all 200. */
function items(n: number, slow: number, timeouts = 0): RouteResult {
  const h = new Histogram();
  h.record(20_000, n - slow);
  h.record(300_000, slow);
  return {
    name: 'items', sent: n + timeouts, completed: n, statuses: { 200: n }, errors: timeouts > 0 ? { timeout: timeouts } : {},
    latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON(),
  };
}

/** 20 s at 100/s: the trial's 2000 requests. */
function load(row: RouteResult): LoadResult {
  const timeouts = row.errors.timeout ?? 0;
  return {
    source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 20_000, sent: row.sent, completed: row.completed,
    errors: timeouts, timeouts, throughput: row.completed / 20, latency: row.latency, serviceTime: row.serviceTime, statuses: row.statuses, routes: [row], notes: [],
  };
}

/** 2000 sends at 100/s, `lateSends` of them late (> 10 ms), the worst by `maxLagMs`; the self-check passed. */
function health(lateSends: number, maxLagMs: number): GeneratorHealth {
  return { requestedRate: 100, achievedRate: 100, lateSends, lateThresholdMs: 10, maxLagMs, droppedSends: 0, eventLoopDelayP99Ms: 12, cpu: 0.2, workers: 1, ok: true, reasons: [] };
}

/** The gate's sequence (src/gate/run.ts): judge, judge again on the lag-proof view, withdraw. */
function gate(client: LoadResult, g: GeneratorHealth, views: Partial<GateViews> = {}): { verdicts: ObjectiveVerdict[]; withdrawn: string[] } {
  const c = contract();
  const all: GateViews = { client, service: { slos: [] }, healthUpShare: 1, ...views };
  const verdicts = judgeObjectives(c, all);
  const lag = generatorLag(g, client);
  assert.ok(lag, 'a lag');
  const lagProof = judgeObjectives(c, { ...all, client: lagProofView(client, lag.marginMs), trials: undefined });
  return { verdicts, withdrawn: withdrawLagFailures(lag, verdicts, undefined, lagProof) };
}

const byName = (vs: readonly ObjectiveVerdict[], name: string) => vs.find((v) => v.name === name)!;

describe('generator lag by its size', () => {
  it('lagProofView takes the margin off every request, from the low end of its bucket, and leaves the timeouts out', () => {
    const v = lagProofView(load(items(2000, 44, 3)), 85.4);
    const h = Histogram.fromJSON(v.routes[0]!.histogram);
    assert.equal(h.count, 2000);
    assert.equal(h.countAtOrBelowMs(0), 1956); // 20 ms - 85.4 ms: 0
    assert.ok(h.valueAtPercentile(99) > 214 && h.valueAtPercentile(99) < 215, String(h.valueAtPercentile(99)));
    assert.deepEqual(v.routes[0]!.errors, {});
    assert.equal(v.routes[0]!.sent, 2000);
    assert.equal(v.timeouts, 0);
  });

  it('the user trial: 5 late sends of 2000, worst 42.7 ms, cannot explain 2.2% of GET /items at 300 ms: p99, the share and availability stand, naming the route', () => {
    // 2.2% over the ceiling: within the old reach rule (97.8% + 1.3% reach >= 99%), which withdrew it.
    const { verdicts, withdrawn } = gate(load(items(2000, 44)), health(5, 42.7));
    assert.deepEqual(withdrawn, []);
    const p99 = byName(verdicts, 'api-latency p99');
    assert.equal(p99.verdict, 'fail');
    assert.match(p99.reason, /caused by GET \/items: p99 300 ms/);
    assert.match(p99.reason, /does not explain this failure: with every request 85\.4 ms faster \(twice the worst lag, 42\.7 ms: what the lag can add to one request\) the client's 214 ms still exceeds 100 ms/);
    assert.equal(byName(verdicts, 'api-latency').verdict, 'fail');
    const availability = byName(verdicts, 'availability');
    assert.equal(availability.verdict, 'fail');
    // The availability failure is the same route's latency: it names it.
    assert.match(availability.reason, /caused by GET \/items: latency \(api-latency\): p95 20\.0 ms, 97\.8% within 100 ms \(44 of 2,000 requests over it\)/);
    assert.deepEqual(availability.routes?.map((r) => r.route), ['GET /items']);
  });

  it('a lag as big as the tail (worst 400 ms) explains it: p99, the share and availability are withdrawn, and the generator line says LAGGED, not OK', () => {
    const g = health(5, 400);
    const { verdicts, withdrawn } = gate(load(items(2000, 44)), g);
    assert.deepEqual(withdrawn, ['latency api-latency failed (97.8% < 99%)', 'latency api-latency p99 failed (300 ms > 100 ms)', 'availability availability failed (75% < 99%)']);
    for (const name of ['api-latency', 'api-latency p99', 'availability']) {
      const v = byName(verdicts, name);
      assert.equal(v.verdict, 'warn');
      assert.ok(v.reason.startsWith(LAG_NOTE_PREFIX), v.reason);
      assert.match(v.reason, /each request can hold up to 800 ms of the lag \(twice the worst\)/);
    }
    const line = generatorLine(g, { verdicts });
    assert.match(line, /^LAGGED: achieved 100\/s of 100\/s, 5 late sends \(> 10 ms, worst 400 ms\).*; its lag withdrew latency api-latency, latency api-latency p99, availability availability \(not judged\)$/);
    assert.match(generatorLine(g, { verdicts: [] }), /^OK: /);
  });

  it('between the two: 101 ms of worst lag (202 ms of margin) leaves 300 ms against 100 ms within reach of the lag', () => {
    const { withdrawn } = gate(load(items(2000, 44)), health(5, 101));
    assert.equal(withdrawn.length, 3);
    // 99 ms of worst lag: 300 - 198 = 102 ms, still over 100 ms.
    assert.deepEqual(gate(load(items(2000, 44)), health(5, 99)).withdrawn, []);
  });

  it('timeouts are the lag\'s to explain: a share failed only by them is withdrawn even under a small lag', () => {
    // 25 timeouts of 2025 (1.2%), every answer fast: without them the share is 100%.
    const { verdicts } = gate(load(items(2000, 0, 25)), health(20, 42.7));
    assert.equal(byName(verdicts, 'api-latency').verdict, 'warn');
  });

  // The service's availability read from its gauge: 95% over 20 scrapes (the evaluator's status).
  const gauge95 = { name: 'availability', kind: 'availability', counts: { good: 19, bad: 1, total: 20 }, state: 'failing', percentiles: [], notes: [] } as unknown as SloStatus;

  it('a failure from the health view alone is not withdrawn for client lag, however big the lag', () => {
    // The process live 90% of the run (its own liveness check DOWN 10%): availability 0.5 x 0.9 +
    // 0.25 + 0.25 = 95% < 99%, the latency fine. A late send cannot make the service report itself down.
    const checks = { liveness: 0.9, latency: 1, success: 1, dependencies: 1 };
    const h = { liveShare: 0.9, upShare: 0.9, checkShares: checks, failing: [] } as unknown as HealthStats;
    const { verdicts, withdrawn } = gate(load(items(2000, 0)), health(8, 400), { health: h, service: { slos: [gauge95] } });
    assert.deepEqual(withdrawn, []);
    const a = byName(verdicts, 'availability');
    assert.equal(a.verdict, 'fail');
    assert.match(a.reason, /does not explain this failure: with every request 800 ms faster .* the client's 95% still misses 99%/);
  });

  it('the service\'s availability gauge alone: its own liveness stands, its own latency check (where bursts queue) is withdrawn', () => {
    // The client's composite passes; the service's gauge fails. Its checks say which part.
    const gauge = (checks: Record<'liveness' | 'latency' | 'success' | 'dependencies', number>) => gate(load(items(2000, 0)), health(8, 42.7), {
      health: { liveShare: 1, upShare: 1, checkShares: checks, failing: [] } as unknown as HealthStats,
      service: { slos: [gauge95] },
    });
    const own = gauge({ liveness: 0.9, latency: 1, success: 1, dependencies: 1 });
    assert.deepEqual(own.withdrawn, []);
    assert.match(byName(own.verdicts, 'availability').reason, /the service's own checks miss it without its latency check \(95% with latency counted met\)/);
    // bench/RESULTS.md set A: the service's own latency check failing, the client at 100%.
    const latency = gauge({ liveness: 1, latency: 0.8, success: 1, dependencies: 1 });
    // The value the failure stood on, the service's gauge (95%), not the client's passing 100%.
    assert.deepEqual(latency.withdrawn, ['availability availability failed (95% < 99%)']);
  });
});
