// Issue 9, item 5: a target starved of CPU by other processes. The gate measures the rest of the
// machine per trial (src/verdicts/machine.ts); here a probe is injected that reports what other
// processes "used", so the same real run over a 127.0.0.1 service is judged on a starved and on a
// quiet machine. A failure the starvation explains becomes INCONCLUSIVE (exit 4) with the numbers;
// a pass stays a pass; on a quiet machine the same failure stays FAIL (exit 1); a failure the
// machine does not explain (a route the service lacks) stays FAIL even when starved.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../src/errors.ts';
import { parseContract } from '../src/contract/load.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadResult, RouteResult } from '../src/measure/types.ts';
import type { HealthStats } from '../src/verdicts/health.ts';
import { judgeObjectives, type GateViews } from '../src/verdicts/objectives.ts';
import { STARVED_FREE_CORES, starvation, starvedReason, withdrawStarvedFailures, type MachineProbe } from '../src/verdicts/machine.ts';
import { gateProfile } from '../src/run/profile.ts';
import { runGate } from '../src/gate/run.ts';
import type { AvailabilityPart, BaselineComparison, ObjectiveVerdict, TrialMachine, TrialMetrics } from '../src/verdicts/types.ts';
import { startGateService, type GateService } from './helpers/gate-service.ts';

/** A contract of the service below, each run 3 trials of 1.5 s at 40/s: its routes, its load mix, its objectives. */
function starvedContract(routes: string, mix: string, objectives: string): string {
  return `apiVersion: sloctl/v1
service: { name: starved }
routes:
${routes}
load:
  rate: 40/s
  duration: 1500ms
  warmup: 200ms
  connections: 4
  timeout: 2s
  mix: [${mix}]
objectives:
${objectives}
  regression: { baseline: baseline.json, trials: 3 }
`;
}

/** The service answers /slow after 20 ms; p95 of a 5 ms ceiling fails, a 2 s one passes. */
function contract(p95: string, extraRoute = ''): string {
  return starvedContract(
    `  - { name: slow, method: GET, path: /slow }${extraRoute ? `\n  - { name: gone, method: GET, path: /gone }` : ''}`,
    `{ route: slow, weight: 1 }${extraRoute ? ', { route: gone, weight: 1 }' : ''}`,
    `  latency:\n    - { name: api, threshold: 1s, objective: 50%, percentiles: { p95: ${p95} } }`,
  );
}

let service: GateService;
let base: string;

before(async () => {
  service = await startGateService((req, res) => {
    // /items/2 is not found, /items/1 is; /busy/N is a 503 (what a starved service answers).
    if (req.url?.startsWith('/items/') || req.url?.startsWith('/busy/')) {
      res.writeHead(req.url === '/items/2' ? 404 : req.url.startsWith('/busy/2') ? 503 : 200);
      res.end();
      return;
    }
    if (req.url === '/slow') {
      setTimeout(() => {
        res.writeHead(200);
        res.end('ok');
      }, 20);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  base = service.url;
});

after(() => service.close());

/** A probe that reports, for trial k (0-based), that other processes used `others[k]` of 2 cores. */
function probe(others: number[]): MachineProbe & { calls: number } {
  const p = {
    calls: 0,
    begin() {
      const k = p.calls++;
      return (): TrialMachine => ({ cores: 2, otherCpuCores: others[k] });
    },
  };
  return p;
}

async function gate(yaml: string, others: number[]) {
  const loaded = parseContract(yaml, 'slo.yaml');
  assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
  const profile = gateProfile(loaded.contract);
  if (typeof profile === 'string') throw new Error(profile);
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-starved-'));
  const machineProbe = probe(others);
  const report = await runGate({
    contract: loaded.contract,
    contractFile: 'slo.yaml',
    contractPath: join(dir, 'slo.yaml'),
    profile,
    target: base,
    allowRemote: false,
    updateBaseline: false,
    journalPath: join(dir, 'run.jsonl'),
    machineProbe,
  });
  assert.equal(machineProbe.calls, 3, 'the probe measured each of the 3 trials');
  assert.deepEqual(report.trials.map((t) => t.machine), others.map((o) => ({ cores: 2, otherCpuCores: o })));
  return report;
}

const p95Of = (r: { verdicts: ObjectiveVerdict[] }) => r.verdicts.find((v) => v.name === 'api p95')!;

describe('a target starved of CPU', () => {
  it('a failure on a starved machine is INCONCLUSIVE, with the numbers', async () => {
    const r = await gate(contract('5ms'), [1.78, 1.78, 1.78]);
    assert.equal(r.outcome, 'inconclusive', r.reasons.join('\n'));
    assert.equal(r.exitCode, EXIT.INCONCLUSIVE);
    assert.match(
      r.reasons[0],
      /^other processes used 1\.78 of 2 cores during the trials, leaving 0\.22 to the target and the generator \(a verdict needs 0\.25\): latency api p95 failed \(\d[\d.,]* ms > 5\.0 ms\), but the machine cannot support the verdict; run the gate again when the machine is quieter$/,
    );
    const p95 = p95Of(r);
    assert.equal(p95.verdict, 'warn');
    assert.match(p95.reason, /^not judged: other processes used 1\.78 of 2 cores .*; run the gate again when it is quieter\. p95 \d[\d.,]* ms is over the ceiling 5\.0 ms/);
    // The share within 1 s passed, and stays a pass.
    assert.equal(r.verdicts.find((v) => v.name === 'api')!.verdict, 'pass');
  });

  it('one starved trial is enough, and the reason names it', async () => {
    const r = await gate(contract('5ms'), [0.1, 1.9, 0.1]);
    assert.equal(r.outcome, 'inconclusive');
    assert.match(r.reasons[0], /^other processes used 1\.90 of 2 cores during trial 2 of 3, leaving 0\.10 to the target/);
  });

  it('a pass on a starved machine stays a pass', async () => {
    const r = await gate(contract('2s'), [1.78, 1.78, 1.78]);
    assert.equal(r.outcome, 'pass', r.reasons.join('\n'));
    assert.equal(r.exitCode, EXIT.OK);
    assert.equal(p95Of(r).verdict, 'pass');
    assert.ok(![...r.reasons, ...r.notes].some((x) => x.includes('other processes')), r.reasons.join('\n'));
  });

  it('the same failure on a quiet machine stays FAIL', async () => {
    // 0.1 of 2 cores used by others: 1.9 free, far above the 0.25 floor.
    const r = await gate(contract('5ms'), [0.1, 0.1, 0.1]);
    assert.equal(r.outcome, 'fail', r.reasons.join('\n'));
    assert.equal(r.exitCode, EXIT.FAILED);
    assert.equal(p95Of(r).verdict, 'fail');
    assert.match(r.reasons[0], /^latency api p95: p95 \d[\d.,]* ms is over the ceiling 5\.0 ms/);
  });

  it('an errors failure the answered client errors alone fail (404s) stays FAIL on a starved machine; one of 503s is not judged', async () => {
    // A Nest user trial: 144 NotFoundExceptions of 375 were withdrawn with the rest as "the machine
    // cannot support this verdict". No busy machine answers a 404.
    const errors = (path: string) => starvedContract(`  - { name: item, method: GET, path: ${path}/:id }`, '{ route: item, weight: 1, params: { id: "choice(1,2)" } }', '  errors: { objective: 99% }');
    const notFound = await gate(errors('/items'), [1.78, 1.78, 1.78]);
    assert.equal(notFound.outcome, 'fail', notFound.reasons.join('\n'));
    const v = notFound.verdicts.find((x) => x.contract === 'errors')!;
    assert.equal(v.verdict, 'fail', v.reason);
    assert.match(v.reason, /other processes used 1\.78 of 2 cores during the trials.*, but that does not explain this failure: counting every answer a busy machine can cause as good \(5xx, 408, 429, shed, timeouts and connection failures\), the client's answered errors alone leave \d+(\.\d+)?% against 99%/);
    const busy = await gate(errors('/busy'), [1.78, 1.78, 1.78]);
    assert.equal(busy.outcome, 'inconclusive', busy.reasons.join('\n'));
    assert.equal(busy.verdicts.find((x) => x.contract === 'errors')!.verdict, 'warn');
    assert.match(busy.reasons[0], /errors errors failed .*but the machine cannot support the verdict/);
  });

  it('an availability failure its success part alone explains (404s) stays FAIL on a starved machine; one of 503s is not judged', async () => {
    const availability = (path: string) => starvedContract(`  - { name: item, method: GET, path: ${path}/:id }`, '{ route: item, weight: 1, params: { id: "choice(1,2)" } }', '  errors: { objective: 99% }\n  availability: { objective: 99% }');
    const notFound = await gate(availability('/items'), [1.78, 1.78, 1.78]);
    assert.equal(notFound.outcome, 'fail', notFound.reasons.join('\n'));
    const v = notFound.verdicts.find((x) => x.contract === 'availability')!;
    assert.equal(v.verdict, 'fail', v.reason);
    assert.match(v.reason, /, but that does not explain this failure: counting every answer a busy machine can cause as good \(5xx, 408, 429, shed, timeouts and connection failures\), and the health, latency and dependencies parts as met, the success part \(weighted success met 99% in 0 of 3 trials[^)]*\)\) alone leaves the composite at \d+(\.\d+)?% against 99%/);
    const busy = await gate(availability('/busy'), [1.78, 1.78, 1.78]);
    assert.equal(busy.outcome, 'inconclusive', busy.reasons.join('\n'));
    assert.equal(busy.verdicts.find((x) => x.contract === 'availability')!.verdict, 'warn');
  });

  it('a failure the machine does not explain (a route the service lacks) stays FAIL, and the latency failure is still not judged', async () => {
    const r = await gate(contract('5ms', 'gone'), [1.78, 1.78, 1.78]);
    assert.equal(r.outcome, 'fail', r.reasons.join('\n'));
    assert.ok(r.verdicts.some((v) => v.contract === 'routes' && v.verdict === 'fail'), JSON.stringify(r.verdicts.map((v) => [v.contract, v.name, v.verdict])));
    assert.equal(p95Of(r).verdict, 'warn');
    // The failure that stands is the reason; the one the machine withdrew is said beside it.
    assert.ok(r.reasons.some((x) => x.startsWith('routes GET /gone:')), r.reasons.join('\n'));
    assert.ok(!r.reasons.some((x) => x.includes('other processes')), r.reasons.join('\n'));
    assert.ok(r.notes.some((x) => /^other processes used 1\.78 of 2 cores .*latency api p95 failed/.test(x)), r.notes.join('\n'));
  });
});

describe('a baseline recorded on a busier machine', () => {
  it('a p95 pass the quieter machine could explain is not judged: INCONCLUSIVE, not a pass (accept said so; the gate passed)', async () => {
    // 4 trials a side: 3 against 3 could never reach p < 0.05 (not judged for that instead). A
    // p95 tolerance of +1000%: the comparison passes whatever this shared machine does to the
    // service's 20 ms between the runs (a CI run beside another file read +13.7%, p = 0.029 against
    // the plain baseline, a warn), so what is tested is what the machine check does to a pass.
    const loaded = parseContract(contract('2s').replace('trials: 3', 'trials: 4, p95: +1000%'), 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const profile = gateProfile(loaded.contract);
    if (typeof profile === 'string') throw new Error(profile);
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-quieter-'));
    const run = (others: number[], updateBaseline: boolean) => runGate({
      contract: loaded.contract!, contractFile: 'slo.yaml', contractPath: join(dir, 'slo.yaml'), profile, target: base, allowRemote: false,
      baselinePath: join(dir, 'baseline.json'), updateBaseline, journalPath: join(dir, `run-${updateBaseline}.jsonl`), machineProbe: probe(others),
    });
    // Other processes left 0.8 of 2 cores free while the baseline was recorded, 1.9 now.
    const recorded = await run([1.2, 1.2, 1.2, 1.2], true);
    assert.equal(recorded.outcome, 'pass', recorded.reasons.join('\n'));
    const now = await run([0.1, 0.1, 0.1, 0.1], false);
    const p95 = now.baseline!.comparisons.find((c) => c.metric === 'p95')!;
    assert.equal(p95.withheld, 'pass', p95.reason);
    assert.equal(p95.withheldBy, 'machine');
    assert.equal(now.outcome, 'inconclusive', now.reasons.join('\n'));
    assert.equal(now.exitCode, EXIT.INCONCLUSIVE);
    assert.match(now.reasons[0], /^regression p95: not judged: other processes left 1\.90 of 2 CPU cores free during this run, against 0\.80 when the baseline was recorded/);
    assert.match(now.reasons[0], /record the baseline again under this run's profile \(--update-baseline on the last good build\) to judge it$/);
    // The same machine as at the baseline: judged, a pass.
    const same = await run([1.2, 1.2, 1.2, 1.2], false);
    assert.equal(same.outcome, 'pass', same.reasons.join('\n'));
  });
});

describe('starvation, pure', () => {
  const trial = (index: number, machine?: TrialMachine): TrialMetrics =>
    ({ index, startedAt: 0, durationMs: 1000, requests: 100, p95Ms: 10, errorRatio: 0, memoryPerRequestBytes: null, throughput: 100, latency: {} as TrialMetrics['latency'], ...(machine ? { machine } : {}) });

  it('the threshold is the baseline check floor: less than 0.25 cores free in a trial', () => {
    assert.equal(STARVED_FREE_CORES, 0.25);
    assert.equal(starvation([trial(0, { cores: 2, otherCpuCores: 1.75 })]), undefined, '0.25 free is enough');
    assert.deepEqual(starvation([trial(0, { cores: 2, otherCpuCores: 1.76 })])?.starvedTrials, [1], '0.24 free is not');
    assert.deepEqual(starvation([trial(0, { cores: 16, otherCpuCores: 15.9 }), trial(1, { cores: 16, otherCpuCores: 8 })])?.starvedTrials, [1], 'absolute, whatever the core count');
    assert.equal(starvation([trial(0), trial(1)]), undefined, 'not measured: no claim');
    assert.equal(starvation([]), undefined);
  });

  it('withdraws only the failures CPU explains; passes and other failures stay', () => {
    const s = starvation([trial(0, { cores: 2, otherCpuCores: 1.9 }), trial(1, { cores: 2, otherCpuCores: 1.8 })])!;
    assert.equal(s.text, 'other processes used 1.85 of 2 cores during the trials, leaving 0.15 to the target and the generator (a verdict needs 0.25)');
    const v = (contract: string, name: string, verdict: ObjectiveVerdict['verdict']): ObjectiveVerdict =>
      ({ contract, name, verdict, measured: 0.9, objective: 0.99, unit: 'ratio', direction: 'higher-is-better', margin: -0.09, reason: 'r' });
    const verdicts = [v('errors', 'errors', 'fail'), v('latency', 'api', 'pass'), v('memory', 'heap', 'fail'), v('routes', 'GET /gone', 'fail'), v('availability', 'avail', 'warn')];
    const comparison = (metric: 'p95' | 'errorRatio' | 'memoryPerRequest', verdict: 'fail' | 'pass') =>
      ({ metric, unit: metric === 'p95' ? 'ms' : metric === 'errorRatio' ? 'points' : 'bytes', baseline: [], current: [], baselineMedian: 20, currentMedian: 30, change: 0.5, tolerance: 0.05, test: 't', pValue: 0.004, alpha: 0.05, verdict, reason: 'r' }) as BaselineComparison['comparisons'][number];
    const baseline: BaselineComparison = { path: 'b.json', createdAt: 0, comparisons: [comparison('p95', 'fail'), comparison('errorRatio', 'pass')], verdict: 'fail' };
    const withdrawn = withdrawStarvedFailures(s, verdicts, baseline);
    assert.deepEqual(withdrawn, ['errors errors failed (90% < 99%)', "regression p95 failed (30.0 ms against the baseline's 20.0 ms)"]);
    assert.deepEqual(verdicts.map((x) => x.verdict), ['warn', 'pass', 'fail', 'fail', 'warn']);
    assert.match(verdicts[0].reason, /^not judged: other processes used 1\.85 of 2 cores/);
    assert.equal(verdicts[1].reason, 'r');
    assert.equal(baseline.verdict, 'warn', 'recomputed');
    assert.equal(starvedReason(s, withdrawn.slice(0, 1)), `${s.text}: errors errors failed (90% < 99%), but the machine cannot support the verdict; run the gate again when the machine is quieter`);
    // A memory-per-request failure is not the machine's doing.
    const mem: BaselineComparison = { path: 'b.json', createdAt: 0, comparisons: [comparison('memoryPerRequest', 'fail')], verdict: 'fail' };
    assert.deepEqual(withdrawStarvedFailures(s, [], mem), []);
    assert.equal(mem.verdict, 'fail');
  });

  it('the availability verdict marks a dependencies part a check that threw its own error failed (no busy machine causes it), not one a timed-out check failed', () => {
    const c = parseContract(`apiVersion: sloctl/v1
service: { name: s }
routes: [{ name: items, method: GET, path: /items }]
dependencies: [{ name: db, timeout: 100ms, critical: true }]
objectives:
  availability: { objective: 99% }
`, 'slo.yaml').contract!;
    const h = new Histogram();
    h.record(20_000, 100);
    const row: RouteResult = { name: 'items', sent: 100, completed: 100, statuses: { 200: 100 }, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
    const client: LoadResult = { source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 1000, sent: 100, completed: 100, errors: 0, timeouts: 0, throughput: 100, latency: row.latency, serviceTime: row.serviceTime, statuses: row.statuses, routes: [row], notes: [] };
    const depsPart = (reason: string) => {
      const health = { liveShare: 1, upShare: 0, checkShares: { liveness: 1, latency: 1, success: 1, dependencies: 0 }, failing: [{ name: 'db', status: 'DOWN', reason, ms: 1000, share: 1 }] } as unknown as HealthStats;
      const v = judgeObjectives(c, { client, health, service: { slos: [] } } as unknown as GateViews).find((x) => x.contract === 'availability')!;
      assert.equal(v.verdict, 'fail', v.reason);
      return v.parts!.find((p) => p.name === 'dependencies')!;
    };
    assert.equal(depsPart('check threw: no such table').busyExplains, false);
    for (const busy of ['check timed out after 200ms', 'check returned false', 'circuit breaker open', 'check threw: The operation was aborted due to timeout', 'check threw: connect ECONNREFUSED 127.0.0.1:5432', 'check threw: fetch failed']) {
      assert.equal(depsPart(busy).busyExplains, undefined, busy);
    }
  });

  it('an availability failure a dependency check that threw its own error makes stands; one a timed-out check makes is not judged', () => {
    const s = starvation([trial(0, { cores: 2, otherCpuCores: 1.9 })])!;
    // The composite as availabilityVerdict writes it: every part met but the critical dependency's (down all the run).
    const parts = (busyExplains: boolean): AvailabilityPart[] => [
      { name: 'health', weight: 0.3, client: 1, service: 1, detail: 'live' },
      { name: 'latency', weight: 0.25, client: 1, service: 1, detail: 'met' },
      { name: 'success', weight: 0.25, client: 1, service: 1, detail: 'met' },
      { name: 'dependencies', weight: 0.2, client: 0, service: 0, detail: 'down: db: check threw: no such table', ...(busyExplains ? {} : { busyExplains: false as const }) },
    ];
    const availability = (busyExplains: boolean): ObjectiveVerdict =>
      ({ contract: 'availability', name: 'availability', verdict: 'fail', measured: 0.8, objective: 0.99, unit: 'ratio', direction: 'higher-is-better', margin: -0.19, client: 0.8, reason: 'r', parts: parts(busyExplains) });
    const threw = availability(false);
    assert.deepEqual(withdrawStarvedFailures(s, [threw], undefined, [availability(false)]), []);
    assert.equal(threw.verdict, 'fail');
    assert.match(threw.reason, /but that does not explain this failure: .*and the health and latency parts as met, the success part \(met\) and the dependencies part \(down: db: check threw: no such table\) alone leave the composite at 80% against 99%/);
    const timedOut = availability(true);
    assert.deepEqual(withdrawStarvedFailures(s, [timedOut], undefined, [availability(true)]), ['availability availability failed (80% < 99%)']);
    assert.equal(timedOut.verdict, 'warn');
  });
});
