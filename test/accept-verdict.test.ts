// The fold of every phase's verdicts into one row per contract (src/verdicts/accept.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseContract } from '../src/contract/load.ts';
import { ACCEPT_CONTRACTS, judgeAccept, type AcceptInput } from '../src/verdicts/accept.ts';
import { generatorLagReason, LAG_NOTE_PREFIX, type GeneratorLag } from '../src/verdicts/generator-lag.ts';
import { restartsText, takingTurnsText } from '../src/verdicts/memory.ts';
import { caveatReasons, type ServiceView } from '../src/verdicts/objectives.ts';
import { replayedRequestsNote } from '../src/verdicts/replayed-requests.ts';
import type { SloStatus } from '../src/evaluate/report.ts';
import type { LoadResult } from '../src/measure/types.ts';
import type { GateReport, ObjectiveVerdict } from '../src/verdicts/types.ts';
import type { DrillVerdict } from '../src/verdicts/drill-types.ts';
import { writeProject } from './helpers/project.ts';

const contract = parseContract(readFileSync(new URL('../examples/checkout/slo.yaml', import.meta.url), 'utf8'), 'slo.yaml').contract!;

function v(contractName: string, name: string, verdict: ObjectiveVerdict['verdict'], reason = `${name} measured`): ObjectiveVerdict {
  return { contract: contractName, name, verdict, measured: 1, objective: 1, unit: 'ratio', direction: 'higher-is-better', margin: 0, reason };
}

function gate(verdicts: ObjectiveVerdict[], over: Partial<GateReport> = {}): GateReport {
  return {
    service: 'checkout', contractFile: 'slo.yaml', startedAt: 0, finishedAt: 1, outcome: 'pass', exitCode: 0, reasons: [], notes: [], target: { url: '', started: false },
    profile: { rate: 200, durationMs: 1, warmupMs: 0, connections: 1, trials: 1, workers: 1 }, verdicts, trials: [], journal: 'j', ...over,
  };
}

const allGate = () => gate(['latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency'].map((c) => v(c, c, 'pass')), {
  baseline: { path: 'b', createdAt: 0, verdict: 'pass', comparisons: [{ metric: 'p95', unit: 'ms', baseline: [1], current: [1], baselineMedian: 1, currentMedian: 1, change: 0, tolerance: 0.05, test: 't', pValue: 1, alpha: 0.05, verdict: 'pass', reason: 'p95 unchanged' }] } as GateReport['baseline'],
});

function drill(name: string, outcome: DrillVerdict['outcome'], reasons: string[] = []): DrillVerdict {
  return {
    name, fault: 'latency', target: 'dependency payments', outcome, reasons, score: 1,
    steady: { met: true, checks: [] },
    during: { judged: true, checks: [{ name: 'errors', objective: 0.98, unit: 'ratio', client: 0.995, service: 0.996, met: true }] },
    detection: { withinMs: 10_000, ms: 2_800, signal: 'health DEGRADED', resolutionMs: 250, met: true },
    recovery: { withinMs: 15_000, ms: 3_100, met: true },
    removed: { ok: true, detail: 'the proxy holds no toxic' },
  };
}

function healthy(over: Partial<AcceptInput> = {}): AcceptInput {
  return {
    contract,
    gate: allGate(),
    drills: { outcome: 'pass', reasons: [], resilienceScore: 100, drills: [drill('payments-slow', 'pass')] },
    staticDependencies: { name: 'static', outcome: 'pass', reason: '10 files, all timed' },
    dependencyTimeouts: [{ name: 'payments blackholed', outcome: 'pass', reason: 'max 160 ms within 400 ms' }],
    observability: { name: 'observability', outcome: 'pass', reason: 'series 178 -> 402 (maxSeries 2,000)' },
    drift: { name: 'drift', outcome: 'pass', reason: 'shed after 11 s (deadline 15 s)' },
    notReached: {},
    ...over,
  };
}

describe('accept: one verdict over the eleven contracts', () => {
  it('every phase passing: PASS, exit 0, a row per contract in the contract order', () => {
    const r = judgeAccept(healthy());
    assert.deepEqual(r.rows.map((x) => x.contract), [...ACCEPT_CONTRACTS]);
    assert.deepEqual(r.rows.map((x) => x.outcome), ACCEPT_CONTRACTS.map(() => 'pass'));
    assert.equal(r.outcome, 'pass');
    assert.equal(r.exitCode, 0);
  });

  it('the gate\'s note that the service\'s series have no route label is repeated as a note (a PASS does not hide it); its other notes are not', () => {
    const note = "the service's histogram http_request_duration_seconds has no `route` label (its series carry {code, method}; `metrics.labels` names no route label, so sloctl reads `route`), so its side cannot tell the routes apart: latency api (its side would hold POST /orders to 200ms, not its own 300ms) was judged by the client's view alone";
    const r = judgeAccept(healthy({ gate: { ...allGate(), notes: ['the target was stopped with SIGTERM', note] } }));
    assert.equal(r.outcome, 'pass');
    assert.deepEqual(r.reasons, [`note: ${note}`]);
  });

  it('the gate\'s notes that qualify a verdict (a restart, workers taking turns, a thin sample, a lagging generator) are repeated with their numbers; the others stay in the gate\'s report', () => {
    // The notes as the gate writes them (src/gate/run.ts), from the functions that write them.
    const restart = `the service ${restartsText([{ offsetMs: 8_100, seenAtMs: 9_000, evidence: 'process_start_time_seconds changed' }])}; 12 requests were refused a connection (nothing listened while it restarted); its counters started again from 0 each time (their increases are reset-corrected)`;
    const turns = takingTurnsText({ atLeast: 2, seenAtMs: 4_000, evidence: 'process_start_time_seconds 1700000000 then 1700000003' });
    const turnsVerdicts = [v('latency', 'api', 'warn', `share of requests within 200ms 99.1% meets 95%; but the service side is INCONCLUSIVE: ${turns}`), v('errors', 'errors', 'warn', `weighted success 99.9% meets 99%; but the service side is INCONCLUSIVE: ${turns}`)];
    // Availability judged on the client alone: 3 scrapes of the gauge over one 30 s health window.
    const thinVerdict = { ...v('availability', 'availability', 'pass'), service: NaN, objective: 0.99 };
    const thinSlo = { name: 'availability', kind: 'availability', counts: { total: 3, bad: 0 }, notes: [], thinSamples: { samples: 3, independent: 1, spanMs: 6_000, spacingMs: 30_000, spacingWhat: 'health window the gauge judges', reason: '', needed: 100 } } as unknown as SloStatus;
    const caveats = caveatReasons([...turnsVerdicts, thinVerdict], { slos: [thinSlo] } as ServiceView);
    const lag = { lateShare: 0.04, lateThresholdMs: 10, maxLagMs: 180, minor: false, marginMs: 360, underDelivered: false, text: '4% of sends left more than 10 ms late (worst 180 ms)' } as unknown as GeneratorLag;
    const lagNote = generatorLagReason(lag, []);
    const replayed = replayedRequestsNote({ sent: 1000, routes: [{ name: 'orders', sent: 1000, replayed: 1 }] } as unknown as LoadResult)!;
    const others = ['the target was stopped with SIGTERM', replayed, 'the health endpoint reported failing checks during the measured phase: db DOWN (2% of the time)', 'no baseline at b.json yet: run with --update-baseline once this build is accepted'];
    const r = judgeAccept(healthy({ gate: { ...allGate(), notes: [restart, ...others, lagNote, ...caveats] } }));
    assert.equal(r.outcome, 'pass');
    assert.deepEqual(r.reasons, [
      'note: the service restarted once (at 8.1 s of the measured phase: process_start_time_seconds changed); 12 requests were refused a connection (nothing listened while it restarted); its counters started again from 0 each time (their increases are reset-corrected)',
      'note: the load generator could not deliver the profile on time: 4% of sends left more than 10 ms late (worst 180 ms); latency counts from the intended send time, so the lag can only make the service look slower: the passes stand',
      "note: availability availability: judged on the client's view alone; the service's view is missing (its composite read 100% from 3 samples over 6s, 1 independent observation (samples closer than the 30s health window the gauge judges count as one), and 99% allows 0.01 bad ones in it, which cannot say whether it was met; it needs 100 observations at least 30s apart (a measured phase of 50m))",
      // Workers taking turns: once, naming the verdicts it qualifies, with the evidence.
      `note: latency api, errors errors: the service side is INCONCLUSIVE: its /metrics was answered by at least 2 processes taking turns (at 4 s of the measured phase: process_start_time_seconds 1700000000 then 1700000003), so its counters and gauges mix them (cluster mode: node:cluster or PM2 -i, one registry per worker); serve one /metrics for all workers from the primary with prom-client's AggregatorRegistry, or give each worker its own metrics port (src/sdk/README.md, "Cluster mode")`,
    ]);
  });

  it('one failing check fails its own row only, and the outcome names it with its reason', () => {
    const g = allGate();
    g.verdicts.push(v('latency', 'api-latency p95', 'fail', 'p95 254 ms is over the ceiling 200 ms; caused by GET /slow'));
    const r = judgeAccept(healthy({ gate: g }));
    assert.deepEqual(r.rows.filter((x) => x.outcome === 'fail').map((x) => x.contract), ['latency']);
    assert.equal(r.outcome, 'fail');
    assert.equal(r.exitCode, 1);
    assert.match(r.reasons[0]!, /^latency: latency api-latency p95: p95 254 ms .*GET \/slow/);
  });

  it('a failure the generator lag withdrew is INCONCLUSIVE, never a pass', () => {
    const g = allGate();
    g.verdicts[0] = v('latency', 'api-latency', 'warn', `${LAG_NOTE_PREFIX} 2% of sends late`);
    const r = judgeAccept(healthy({ gate: g }));
    assert.equal(r.rows.find((x) => x.contract === 'latency')!.outcome, 'inconclusive');
    assert.equal(r.outcome, 'inconclusive');
    assert.equal(r.exitCode, 4);
  });

  it('a gate INCONCLUSIVE for the whole run (profile not delivered) turns its passes inconclusive', () => {
    const g = allGate();
    g.outcome = 'inconclusive';
    g.reasons = ['the load generator could not deliver the profile (achieved 120/s of 200/s)'];
    const r = judgeAccept(healthy({ gate: g }));
    for (const c of ['latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency', 'regression']) {
      const row = r.rows.find((x) => x.contract === c)!;
      assert.equal(row.outcome, 'inconclusive', c);
      assert.match(row.reason, /could not deliver the profile/);
    }
    assert.equal(r.outcome, 'inconclusive');
  });

  it('a phase that did not run leaves its contracts INCONCLUSIVE with the reason, and a contract part-judged too', () => {
    const r = judgeAccept(healthy({ drills: undefined, dependencyTimeouts: undefined, notReached: { drills: 'interrupted before it started', 'dependency timeouts': 'interrupted before it started' } }));
    const res = r.rows.find((x) => x.contract === 'resilience')!;
    assert.equal(res.outcome, 'inconclusive');
    assert.match(res.reason, /drills phase did not run: interrupted/);
    const deps = r.rows.find((x) => x.contract === 'dependencies')!;
    assert.equal(deps.outcome, 'inconclusive', 'the static half passed, the dynamic half did not run');
    assert.equal(r.outcome, 'inconclusive');
  });

  it('a regression too few trials could test: beyond the tolerance its row is INCONCLUSIVE (the gate was), within it a pass with a warning', () => {
    const comparison = (over: object) => ({ ...allGate().baseline!.comparisons[0], verdict: 'warn' as const, test: 'medians only (fewer than 3 trials)', pValue: NaN, ...over });
    const beyond = comparison({ currentMedian: 1.5, change: 0.5, withheld: 'fail', withheldBy: 'trials', reason: 'p95 rose from 1.0 ms to 1.5 ms (+50%); not judged: a statistical comparison needs at least 3 trials on each side (baseline 1, this run 1), so only the medians were compared and this one is beyond the tolerance; set objectives.regression.trials to 3 or more and record the baseline again with --update-baseline' });
    const g = allGate();
    g.baseline = { ...g.baseline!, verdict: 'warn', comparisons: [beyond] };
    g.outcome = 'inconclusive';
    const r = judgeAccept(healthy({ gate: g }));
    const reg = r.rows.find((x) => x.contract === 'regression')!;
    assert.equal(reg.outcome, 'inconclusive', reg.reason);
    assert.match(reg.reason, /beyond the tolerance; set objectives\.regression\.trials to 3/);
    assert.equal(r.outcome, 'inconclusive');
    const within = allGate();
    within.baseline = { ...within.baseline!, verdict: 'warn', comparisons: [comparison({ reason: 'p95 1.0 ms, unchanged; not judged: a statistical comparison needs at least 3 trials on each side (baseline 1, this run 1), so only the medians were compared; set objectives.regression.trials to 3 or more' })] };
    const ok = judgeAccept(healthy({ gate: within }));
    assert.equal(ok.rows.find((x) => x.contract === 'regression')!.outcome, 'pass');
    assert.equal(ok.outcome, 'pass');
  });

  it('a failure still fails when another phase was not reached', () => {
    const r = judgeAccept(healthy({ observability: { name: 'observability', outcome: 'fail', reason: 'series 178 -> 12,402 (maxSeries 2,000): http_requests_total `route` +12,000' }, drift: undefined, notReached: { drift: 'interrupted before it started' } }));
    assert.equal(r.outcome, 'fail');
    assert.equal(r.rows.find((x) => x.contract === 'drift')!.outcome, 'inconclusive');
  });

  it('an undeclared contract and a first run without a baseline are NOT JUDGED and leave a PASS a PASS, saying so', () => {
    const bare = { ...contract, objectives: { ...contract.objectives, drift: undefined } };
    const r = judgeAccept(healthy({ contract: bare, drift: undefined, gate: { ...allGate(), baseline: undefined, notes: ['no baseline at b.json yet: run with --update-baseline once this build is accepted'] } }));
    assert.equal(r.rows.find((x) => x.contract === 'drift')!.outcome, 'not-judged');
    const reg = r.rows.find((x) => x.contract === 'regression')!;
    assert.equal(reg.outcome, 'not-judged');
    assert.match(reg.reason, /no baseline at b\.json/);
    assert.equal(r.outcome, 'pass');
    assert.match(r.reasons.at(-1)!, /not judged: regression \(no baseline.*; drift \(not declared in the contract's objectives\)$/);
    // Many undeclared contracts are one clause naming them all, not the same reason once each.
    const few = { ...contract, objectives: { ...contract.objectives, drift: undefined, memory: undefined, observability: undefined } };
    const r2 = judgeAccept(healthy({ contract: few, drift: undefined, observability: undefined }));
    assert.equal(r2.outcome, 'pass');
    assert.equal(r2.reasons.at(-1), "not judged: memory, drift, observability (not declared in the contract's objectives)");
  });

  it('a target that failed: TARGET FAILED, exit 3, first reason the target\'s', () => {
    const r = judgeAccept(healthy({ targetFailure: 'the target exited with code 1 during the drills', drift: undefined, notReached: { drift: 'the target failed' } }));
    assert.equal(r.outcome, 'target-failed');
    assert.equal(r.exitCode, 3);
    assert.equal(r.reasons[0], 'the target exited with code 1 during the drills');
  });

  it('a drill says its numbers when it passes, and its reasons then its numbers when it fails', () => {
    const r = judgeAccept(healthy({ drills: { outcome: 'fail', reasons: [], resilienceScore: 50, drills: [drill('payments-slow', 'pass'), drill('payments-down', 'fail', ['kept calling payments throughout the outage'])] } }));
    const res = r.rows.find((x) => x.contract === 'resilience')!;
    assert.match(res.checks[0]!.reason, /^dependency payments: detected in 2\.8 s by health DEGRADED \(within 10 s\); during the fault weighted success 99\.5% \(objective 98%\); recovered in 3\.1 s \(within 15 s\); fault removed$/);
    assert.equal(res.outcome, 'fail');
    assert.match(res.reason, /^drill payments-down: kept calling payments throughout the outage; drill payments-down: dependency payments: detected/);
  });

  it('a route the service lacks (the gate\'s routes verdict) fails errors', () => {
    const g = allGate();
    g.verdicts.push(v('routes', 'GET /missing', 'fail', 'the service does not have GET /missing'));
    const r = judgeAccept(healthy({ gate: g }));
    assert.equal(r.rows.find((x) => x.contract === 'errors')!.outcome, 'fail');
  });
});

describe('accept: the static dependency check (src/run/static-dependency-phase.ts)', () => {
  const fixtures = new URL('./fixtures/scan-timeouts/', import.meta.url).pathname;
  const withRuntime = (runtime: 'node' | 'go') => ({ ...contract, service: { ...contract.service, runtime } });

  it('fetch(url) without a signal fails dependencies, named by file:line:col with the fix; the timed code passes', async () => {
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    const bad = await staticDependencyPhase({ contract: withRuntime('node'), dir: `${fixtures}ts-bad`, cwd: fixtures });
    assert.equal(bad.outcome, 'fail');
    assert.match(bad.reason, /ts-bad\/fetch\.ts:\d+:\d+ `fetch\(/);
    const good = await staticDependencyPhase({ contract: withRuntime('node'), dir: `${fixtures}ts-good`, cwd: fixtures });
    assert.equal(good.outcome, 'pass', good.reason);
  });

  it('without objectives.dependencies, a call without a timeout is listed, not failed: a pass with a warning, as validate --project says "not checked"', async () => {
    // A user trial: accept failed `dependencies` on a fetch in a script beside the service while
    // validate --project said "not checked: it declares no dependencies contract".
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    const { dependencies: _, ...objectives } = contract.objectives;
    const noSection = { ...withRuntime('node'), objectives };
    const v = await staticDependencyPhase({ contract: noSection, dir: `${fixtures}ts-bad`, cwd: fixtures });
    assert.equal(v.outcome, 'pass', v.reason);
    assert.equal(v.warn, true);
    assert.match(v.reason, /^the contract declares no dependencies contract \(`objectives\.dependencies`\), so \d+ calls without a timeout are not judged \(as `validate --project` says\): ts-bad\/.*ts-bad\/fetch\.ts:\d+:\d+ `fetch\(/);
    assert.match(v.reason, /declare `objectives\.dependencies: \{\}` to require a timeout on every outbound call$/);
    const row = judgeAccept(healthy({ staticDependencies: v })).rows.find((x) => x.contract === 'dependencies')!;
    assert.equal(row.outcome, 'pass');
    // The section declared with its defaults (requireTimeout: true) still fails it.
    const declared = parseContract('apiVersion: sloctl/v1\nservice: { name: s, owner: o }\nobjectives:\n  dependencies: {}\n', 'slo.yaml').contract!;
    assert.equal(declared.objectives.dependencies?.requireTimeout, true);
    const bad = await staticDependencyPhase({ contract: { ...noSection, objectives: { ...objectives, dependencies: declared.objectives.dependencies } }, dir: `${fixtures}ts-bad`, cwd: fixtures });
    assert.equal(bad.outcome, 'fail', bad.reason);
  });

  it('Go: http.Get fails, named by file:line; the client with a Timeout passes', async () => {
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    const bad = await staticDependencyPhase({ contract: withRuntime('go'), dir: `${fixtures}go-bad`, cwd: fixtures });
    assert.equal(bad.outcome, 'fail');
    assert.match(bad.reason, /go-bad\/client\.go:\d+:\d+ `http\.Get\(/);
    const good = await staticDependencyPhase({ contract: withRuntime('go'), dir: `${fixtures}go-good`, cwd: fixtures });
    assert.equal(good.outcome, 'pass', good.reason);
  });

  it('a declared dependency the code, which uses the SDK, never names: a pass with a warning naming it and the call, as validate warns; the row passes with the check marked', async () => {
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    // The checkout contract declares payments and recommendations; this service names payments only.
    const dir = writeProject({
      'service.ts': "import { instrument } from 'sloctl/sdk';\nconst sdk = instrument('slo.yaml');\nsdk.dependency('payments').breaker(breaker);\n",
    });
    const v = await staticDependencyPhase({ contract: withRuntime('node'), dir, cwd: dir });
    assert.equal(v.outcome, 'pass', v.reason);
    assert.equal(v.warn, true);
    assert.equal(v.reason, "1 TypeScript/JavaScript file under .: every outbound HTTP call sloctl can see carries a timeout; the code uses sloctl's SDK but never names dependency \"recommendations\" (`sdk.dependency('recommendations')`) through it: the service never reports its state (no `sloctl_dependency_up` series, and the health endpoint says UNKNOWN), so the drills never see it down; the dependency timeouts phase still blackholes it and times the service's answers. Name it where the service calls it and attach a breaker or check, or remove it from the contract");
    const row = judgeAccept(healthy({ staticDependencies: v })).rows.find((x) => x.contract === 'dependencies')!;
    assert.equal(row.outcome, 'pass');
    assert.deepEqual(row.checks.map((c) => [c.name, c.outcome, c.warn === true]), [[v.name, 'pass', true], ['payments blackholed', 'pass', false]]);

    // Go: MustDependency in the call; with an untimed call too, a fail that says both.
    const go = writeProject({
      'go.mod': 'module example.com/checkout\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/sloctl/sloctl-go/sloctl"\n)\n\nfunc main() {\n\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\tsdk.MustDependency("payments")\n\thttp.Get("http://recommendations")\n}\n',
    });
    const g = await staticDependencyPhase({ contract: withRuntime('go'), dir: go, cwd: go });
    assert.equal(g.outcome, 'fail', g.reason);
    assert.match(g.reason, /^1 outbound call without a timeout in 1 Go file: \.\/main\.go:12:2 `http\.Get\(.*; the code uses sloctl's SDK but never names dependency "recommendations" \(`sdk\.MustDependency\("recommendations"\)`\) through it/);
    // payments is critical: availability counts it down, so the reason says availability misses it too.
    const noPayments = await staticDependencyPhase({ contract: withRuntime('node'), dir: writeProject({ 'service.ts': "import { instrument } from 'sloctl/sdk';\nconst sdk = instrument('slo.yaml');\n" }), cwd: dir });
    assert.match(noPayments.reason, /never names dependencies "payments" \(`sdk\.dependency\('payments'\)`\), "recommendations" \(`sdk\.dependency\('recommendations'\)`\) through it: the service never reports their state \(no `sloctl_dependency_up` series, and the health endpoint says UNKNOWN\), so availability \(which counts a critical dependency down\) and the drills never see them down/);
  });

  it('says nothing of names for a service that does not use the SDK, and that it could not tell for a computed name', async () => {
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    const promClient = writeProject({ 'service.ts': "import client from 'prom-client';\nclient.collectDefaultMetrics();\n" });
    const p = await staticDependencyPhase({ contract: withRuntime('node'), dir: promClient, cwd: promClient });
    assert.equal(p.outcome, 'pass');
    assert.equal(p.warn, undefined);
    assert.doesNotMatch(p.reason, /SDK/);
    const computed = writeProject({ 'service.ts': "import { instrument } from 'sloctl/sdk';\nconst sdk = instrument('slo.yaml');\nfor (const n of names) sdk.dependency(n);\n" });
    const c = await staticDependencyPhase({ contract: withRuntime('node'), dir: computed, cwd: computed });
    assert.equal(c.outcome, 'pass');
    assert.equal(c.warn, undefined);
    assert.match(c.reason, /; whether the code names every declared dependency through sloctl's SDK is not judged: the name at \.\/service\.ts:3:39 cannot be read, and may be any of them$/);
  });

  it('no source file to read is INCONCLUSIVE with --project, never a pass', async () => {
    const { staticDependencyPhase } = await import('../src/run/static-dependency-phase.ts');
    const none = await staticDependencyPhase({ contract: withRuntime('node'), dir: `${fixtures}go-good`, cwd: fixtures });
    assert.equal(none.outcome, 'inconclusive');
    assert.match(none.reason, /pass --project DIR/);
  });
});

describe('the contract the service runs (/healthz?include=config) against the one judged', () => {
  it('the SDK\'s digest of its file matches ours: no word; another file, or the same one edited since, is named with what to do; nothing to compare: no word', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { instrument } = await import('../src/sdk/index.ts');
    const { testRegistry } = await import('../src/sdk/testing.ts');
    const { contractMismatch, fileDigest: digestOrNot } = await import('../src/run/contract-match.ts');
    const fileDigest = (path: string) => digestOrNot(path)!;
    // A path naming no file (a contract handed over parsed): no digest, so no comparison, never a crash.
    assert.equal(digestOrNot(join(tmpdir(), 'sloctl-no-such-dir', 'slo.yaml')), undefined);
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-match-'));
    const served = join(dir, 'slo.yaml');
    const judged = join(dir, 'slo-drain.yaml');
    const text = 'apiVersion: sloctl/v1\nservice: { name: shop }\nroutes: [{ name: a, method: GET, path: /a }]\n';
    writeFileSync(served, text);
    writeFileSync(judged, text.replace('/a', '/b'));
    const sdk = instrument({ contract: served, registry: testRegistry(), defaultMetrics: false });
    const health = JSON.parse(String((await sdk.healthResponse('include=config')).body));
    assert.equal(contractMismatch(health, { file: served, digest: fileDigest(served) }), undefined, 'the same file');
    const other = contractMismatch(health, { file: judged, digest: fileDigest(judged) });
    assert.match(other ?? '', new RegExp(`^the service runs another contract than the one judged: its /healthz\\?include=config says ${served.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(sha256:[0-9a-f]{12}\\), this run judges .*slo-drain\\.yaml \\(sha256:[0-9a-f]{12}\\);.*start the service with this contract, or judge the one it reads$`));
    writeFileSync(served, text + '# edited\n');
    assert.match(contractMismatch(health, { file: served, digest: fileDigest(served) }) ?? '', /as it read it at start, this run judges .*, edited since\); .*restart the service$/);
    assert.equal(contractMismatch({ status: 'UP' }, { file: judged, digest: fileDigest(judged) }), undefined, 'no config section');
    assert.equal(contractMismatch(undefined, { file: judged, digest: fileDigest(judged) }), undefined, 'no answer');
    assert.equal(contractMismatch({ config: { digest: 'sha256:00' } }, { file: judged, digest: fileDigest(judged) }), undefined, 'a parsed contract: no file to compare');
    sdk.saturation?.close();
  });
});
