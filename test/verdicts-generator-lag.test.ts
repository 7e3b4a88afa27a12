// The generator's lag withdraws only the failures it could cause (src/verdicts/generator-lag.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generatorLag, generatorLagReason, LAG_NOTE_PREFIX, withdrawLagFailures } from '../src/verdicts/generator-lag.ts';
import type { GeneratorHealth } from '../src/measure/types.ts';
import type { BaselineComparison, ObjectiveVerdict } from '../src/verdicts/types.ts';

/** 3000 sends at 200/s, 54 late (1.8%) by up to 140 ms: not ok, but the rate was delivered. */
function health(over: Partial<GeneratorHealth> = {}): GeneratorHealth {
  return {
    requestedRate: 200, achievedRate: 199.5, lateSends: 54, lateThresholdMs: 10, maxLagMs: 140, droppedSends: 0,
    eventLoopDelayP99Ms: 120, cpu: 0.4, workers: 1, ok: false, reasons: ['54 of 3000 sends late'], ...over,
  };
}

function ratio(contract: string, name: string, verdict: ObjectiveVerdict['verdict'], client: number, objective: number, service = NaN): ObjectiveVerdict {
  return { contract, name, verdict, measured: client, objective, unit: 'ratio', direction: 'higher-is-better', margin: client - objective, client, service, reason: `measured ${client}` };
}

describe('generator lag', () => {
  it('is nothing when the generator delivered the profile on time', () => {
    assert.equal(generatorLag(health({ ok: true, lateSends: 2, reasons: [] }), { sent: 3000, timeouts: 0 }), undefined);
    // Under the self-check's 1%, but not jitter: still a lag (0.45% late failed a trial's latency in the hog bench).
    assert.equal(generatorLag(health({ ok: true, lateSends: 27, reasons: [] }), { sent: 6000, timeouts: 0 })?.lateShare, 0.0045);
    assert.equal(generatorLag(undefined, { sent: 3000, timeouts: 0 }), undefined);
  });

  it('a minor lag (self-check ok) withdraws availability as the hog bench saw it, and leaves the baseline judged', () => {
    const lag = generatorLag(health({ ok: true, lateSends: 51, reasons: [] }), { sent: 6000, timeouts: 0 })!;
    assert.equal(lag.minor, true);
    const availability = [ratio('availability', 'availability', 'fail', 0.95, 0.999, 0.9625)];
    assert.equal(withdrawLagFailures(lag, availability).length, 1);
    assert.equal(availability[0]!.verdict, 'warn');
    const p95 = { metric: 'p95', unit: 'ms', baseline: [50], current: [60], baselineMedian: 50, currentMedian: 60, change: 0.2, tolerance: 0.05, test: 't', pValue: 0.004, alpha: 0.05, verdict: 'fail', reason: 'slower' };
    const baseline = { verdict: 'fail', comparisons: [p95] } as unknown as BaselineComparison;
    assert.deepEqual(withdrawLagFailures(lag, [], baseline), []);
    assert.equal(baseline.verdict, 'fail');
    assert.deepEqual(withdrawLagFailures({ ...lag, minor: false }, [], baseline), ['regression p95 failed (60.0 ms against the baseline\'s 50.0 ms)']);
    assert.notEqual(baseline.verdict, 'fail');
  });

  it('leaves a pass with lag a pass, and says the passes stand', () => {
    const lag = generatorLag(health(), { sent: 3000, timeouts: 0 })!;
    assert.equal(lag.underDelivered, false);
    const verdicts = [ratio('latency', 'api-latency', 'pass', 0.995, 0.99), ratio('errors', 'errors', 'pass', 0.9995, 0.999)];
    assert.deepEqual(withdrawLagFailures(lag, verdicts), []);
    assert.deepEqual(verdicts.map((v) => v.verdict), ['pass', 'pass']);
    assert.match(generatorLagReason(lag, []), /^the load generator could not deliver the profile on time: 1\.8% of sends \(54 of 3000\) left more than 10 ms after their intended time, worst 140 ms.*the passes stand/);
  });

  it('withdraws a latency fail with the numbers (share and percentile)', () => {
    const lag = generatorLag(health(), { sent: 3000, timeouts: 0 })!;
    const p95: ObjectiveVerdict = { contract: 'latency', name: 'api-latency p95', verdict: 'fail', measured: 254, objective: 200, unit: 'ms', direction: 'lower-is-better', margin: -54, client: 254, service: 120, reason: 'p95 254 ms' };
    const verdicts = [ratio('latency', 'api-latency', 'fail', 0.931, 0.99, 0.995), p95];
    const withdrawn = withdrawLagFailures(lag, verdicts);
    assert.deepEqual(withdrawn, ['latency api-latency failed (93.1% < 99%)', 'latency api-latency p95 failed (254 ms > 200 ms)']);
    assert.deepEqual(verdicts.map((v) => v.verdict), ['warn', 'warn']);
    assert.ok(verdicts[0]!.reason.startsWith(LAG_NOTE_PREFIX), verdicts[0]!.reason);
    assert.match(verdicts[0]!.reason, /1\.8% of sends.*worst 140 ms.*measured 0\.931$/);
    assert.match(generatorLagReason(lag, withdrawn), /latency api-latency failed \(93\.1% < 99%\).*could be the generator's doing.*not judged/);
  });

  it('keeps a failure wider than the lag can reach: 1 late send of 360 does not explain a route at 250 ms against 100 ms', () => {
    // The CI run of 2026-12-04 (test/gate-routes.test.ts): 60/s, 1 of 360 sends 48 ms late, self-check ok.
    const lag = generatorLag(health({ requestedRate: 60, achievedRate: 60, lateSends: 1, maxLagMs: 48.1, lateThresholdMs: 33.3, ok: true, reasons: [] }), { sent: 360, timeouts: 0 })!;
    assert.ok(lag.affectedShare > 0.0027 && lag.affectedShare < 0.012, String(lag.affectedShare));
    const share = ratio('latency', 'api', 'fail', 0.747, 0.95, 0.74);
    const p95: ObjectiveVerdict = { contract: 'latency', name: 'api p95', verdict: 'fail', measured: 252, objective: 200, unit: 'ms', direction: 'lower-is-better', margin: -52, client: 252, service: 389, reason: 'p95 252 ms', tail: { quantile: 0.95, withinCeiling: 0.75 } };
    const tput: ObjectiveVerdict = { contract: 'throughput', name: 'api', verdict: 'fail', measured: 30, objective: 50, unit: 'rate', direction: 'higher-is-better', margin: -20, client: 30, reason: 'short' };
    assert.deepEqual(withdrawLagFailures(lag, [share, p95, tput]), []);
    assert.deepEqual([share, p95, tput].map((v) => v.verdict), ['fail', 'fail', 'fail']);
    // The same lag beside failures it can reach: a share 0.5 points short, a tail 0.4 points too
    // wide (the service's estimate 220 ms: within 2 x 48.1 ms of the ceiling, no alibi either).
    const near = ratio('latency', 'api', 'fail', 0.945, 0.95);
    const nearP95 = { ...p95, verdict: 'fail' as const, service: 220, tail: { quantile: 0.95, withinCeiling: 0.946 } };
    assert.equal(withdrawLagFailures(lag, [near, nearP95]).length, 2);
    // The service's own estimate 389 ms is over 200 ms by more than twice the worst lag: it stands.
    const serviceOver = { ...p95, verdict: 'fail' as const, tail: { quantile: 0.95, withinCeiling: 0.946 } };
    assert.deepEqual(withdrawLagFailures(lag, [serviceOver]), []);
    assert.match(serviceOver.reason, /does not explain this failure: the service's histogram, which holds no send delay, puts it at 389 ms/);
    // A percentile with no client tail (a service-only estimate) cannot be weighed by reach; by
    // size, its histogram bucket (250, 500] starts within 2 x 48.1 ms of the ceiling: not judged.
    const serviceOnly = { ...p95, verdict: 'fail' as const, tail: undefined, client: NaN, service: 260, serviceBucket: { lower: 250, upper: 500 } };
    assert.equal(withdrawLagFailures(lag, [serviceOnly]).length, 1);
    // A bucket starting at 300 ms is over 200 ms + 96.2 ms: more than 5% of requests were over
    // 300 ms at the service, at least 203.8 ms without the lag. It stands.
    const bucketOver = { ...p95, verdict: 'fail' as const, tail: undefined, client: NaN, service: 320, serviceBucket: { lower: 300, upper: 500 } };
    assert.deepEqual(withdrawLagFailures(lag, [bucketOver]), []);
    assert.match(bucketOver.reason, /puts it above 300 ms, over 200 ms even 96\.2 ms faster/);
  });

  it('keeps a 5xx errors fail (client, or the service\'s own count), but not a latency fail the service measured', () => {
    // 2% bad at the client, none of it timeouts: the answered errors alone miss 99.9%.
    const lag = generatorLag(health(), { sent: 3000, timeouts: 30 })!;
    const verdicts = [ratio('errors', 'errors', 'fail', 0.98, 0.999), ratio('errors', 'errors', 'fail', 0.995, 0.999, 0.99)];
    assert.deepEqual(withdrawLagFailures(lag, verdicts), []);
    assert.deepEqual(verdicts.map((v) => v.verdict), ['fail', 'fail']);
    // The generator's catch-up bursts queue in the service: its own latency view is no alibi.
    const latency = [ratio('latency', 'api-latency', 'fail', 0.9, 0.99, 0.95)];
    assert.equal(withdrawLagFailures(lag, latency).length, 1);
    assert.equal(latency[0]!.verdict, 'warn');
  });

  it('withdraws an errors fail made of timeouts, not one the answered errors fail alone', () => {
    const timeouts = generatorLag(health(), { sent: 3000, timeouts: 30 })!; // 1% timeouts
    const onlyTimeouts = [ratio('errors', 'errors', 'fail', 0.99, 0.999)];
    assert.equal(withdrawLagFailures(timeouts, onlyTimeouts).length, 1);
    assert.equal(onlyTimeouts[0]!.verdict, 'warn');
    const mostly5xx = [ratio('errors', 'errors', 'fail', 0.97, 0.999)]; // 3% bad, 1% of it timeouts
    assert.deepEqual(withdrawLagFailures(timeouts, mostly5xx), []);
    assert.equal(mostly5xx[0]!.verdict, 'fail');
  });

  it('judges a failure by the lag\'s reach when the only drops were the target holding the in-flight bound; withdraws it when the generator fell behind', () => {
    // A stalled target at 2000/s: 10,000 requests in flight, 1,500 due sends refused by the bound,
    // every send on time. The service is the one that did not answer; a pass would still not be on
    // the profile (underDelivered), but a latency failure is the target's own.
    const sent = 18_500;
    const stalled = health({ requestedRate: 2000, achievedRate: 1850, lateSends: 0, maxLagMs: 3, droppedSends: 1500, drops: { inFlight: 1500, inFlightBound: 10_000, behind: 0, behindMs: 0 } });
    const lag = generatorLag(stalled, { sent, timeouts: 0 })!;
    assert.equal(lag.underDelivered, true);
    assert.equal(lag.senderShort, false);
    const latency = [ratio('latency', 'api-latency', 'fail', 0.12, 0.99)];
    assert.deepEqual(withdrawLagFailures(lag, latency), []);
    assert.equal(latency[0]!.verdict, 'fail');
    // The same drops, but the generator behind schedule at the end too: its own doing, withdrawn.
    const behind = generatorLag(health({ ...stalled, droppedSends: 1600, drops: { inFlight: 1500, inFlightBound: 10_000, behind: 100, behindMs: 400 } }), { sent, timeouts: 0 })!;
    assert.equal(behind.senderShort, true);
    const again = [ratio('latency', 'api-latency', 'fail', 0.12, 0.99)];
    assert.equal(withdrawLagFailures(behind, again).length, 1);
    // In-flight drops, and also short of the rate on its own sends (attempted 1,900 of 2,000/s).
    const slow = generatorLag(health({ ...stalled, achievedRate: 1750, droppedSends: 1500 }), { sent: 17_500, timeouts: 0 })!;
    assert.equal(slow.senderShort, true);
    // Drops whose causes are not known (a report from before they were kept): as before, the profile was not sent.
    const unknown = generatorLag(health({ requestedRate: 2000, achievedRate: 1999, droppedSends: 2 }), { sent: 19_990, timeouts: 0 })!;
    assert.equal(unknown.senderShort, true);
  });

  it('never withdraws memory or a missing route; withdraws throughput when the rate was not sent', () => {
    const lag = generatorLag(health({ achievedRate: 120 }), { sent: 1800, timeouts: 0 })!;
    assert.equal(lag.underDelivered, true);
    const memory: ObjectiveVerdict = { contract: 'memory', name: 'heap', verdict: 'fail', measured: 9e8, objective: 5e8, unit: 'bytes', direction: 'lower-is-better', margin: -4e8, service: 9e8, reason: 'heap' };
    const route: ObjectiveVerdict = { contract: 'routes', name: 'GET /x', verdict: 'fail', measured: 10, objective: 0, unit: 'count', direction: 'lower-is-better', margin: -10, reason: '404' };
    const tput: ObjectiveVerdict = { contract: 'throughput', name: 'orders', verdict: 'fail', measured: 110, objective: 150, unit: 'rate', direction: 'higher-is-better', margin: -40, client: 110, service: 180, reason: 'short' };
    const verdicts = [memory, route, tput];
    assert.deepEqual(withdrawLagFailures(lag, verdicts), ['throughput orders failed (110/s < 150/s)']);
    assert.deepEqual(verdicts.map((v) => v.verdict), ['fail', 'fail', 'warn']);
    assert.match(generatorLagReason(lag, []), /could not deliver the profile \(.*achieved 120\/s of 200\/s/);
  });
});
