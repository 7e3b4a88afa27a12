// The accept report's renderers (src/report/accept.ts): the table, Markdown and JUnit of one run,
// folded by the real judge from the gate and drill fixtures of the HTML tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseContract } from '../src/contract/load.ts';
import type { AcceptReport } from '../src/accept/run.ts';
import { renderAcceptJson, renderAcceptJunit, renderAcceptMarkdown, renderAcceptTable } from '../src/report/accept.ts';
import { judgeAccept } from '../src/verdicts/accept.ts';
import type { GateReport } from '../src/verdicts/types.ts';
import type { DrillRunReport } from '../src/drill/run.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'report-html');
const revive = (_k: string, v: unknown) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);

function report(): AcceptReport {
  const gate = JSON.parse(readFileSync(join(FIXTURES, 'gate.json'), 'utf8'), revive) as GateReport;
  const drills = (JSON.parse(readFileSync(join(FIXTURES, 'drill.json'), 'utf8'), revive) as { report: DrillRunReport }).report;
  const contract = parseContract(readFileSync(join(import.meta.dirname, '..', 'examples', 'checkout', 'slo.yaml'), 'utf8'), 'slo.yaml').contract!;
  const phases = {
    staticDependencies: { name: 'dependencies: outbound calls without a timeout (the code)', outcome: 'fail' as const, reason: '1 outbound call without a timeout in 10 files: src/pay.ts:12:5 `fetch(url)` (fetch): pass signal: AbortSignal.timeout(ms)' },
    dependencyTimeouts: [{ name: 'payments blackholed', outcome: 'pass' as const, reason: 'max 170 ms of 400 ms' }],
    observability: { name: 'observability', outcome: 'pass' as const, reason: 'series 178 -> 402 | maxSeries 2,000' },
  };
  const v = judgeAccept({ contract, gate, drills: { outcome: drills.outcome as 'pass', drills: drills.drills, reasons: drills.reasons, resilienceScore: drills.resilienceScore }, ...phases, notReached: { drift: 'left out with --skip' } });
  return {
    service: 'checkout', contractFile: 'examples/checkout/slo.yaml', outcome: v.outcome, exitCode: v.exitCode, reasons: v.reasons, startedAt: 0, finishedAt: 171_000,
    target: { url: 'http://127.0.0.1:8080', started: true, reached: true, command: 'npm run example' }, contracts: v.rows,
    phases: [{ phase: 'static dependency check', startedAt: 0, finishedAt: 300, result: 'fail' }, { phase: 'drift', startedAt: 170_000, finishedAt: 170_000, result: 'not run: left out with --skip' }],
    gate, drills, ...phases, journal: '.sloctl/runs/x/journal.jsonl',
  };
}

describe('the accept report', () => {
  const r = report();

  it('table: the verdict line, a row per contract with its checks under it, the phases, the reasons', () => {
    const t = renderAcceptTable(r);
    assert.match(t, /^sloctl accept: FAIL {2}checkout \(examples\/checkout\/slo\.yaml\): \d+ of 11 contracts judged \(exit 1\)$/m);
    assert.match(t, /^dependencies +FAIL +1 of 2 held$/m);
    assert.match(t, /^ +✗ dependencies: outbound calls without a timeout \(the code\): 1 outbound call .*src\/pay\.ts:12:5/m);
    assert.match(t, /^drift +INCONCLUSIVE +the drift phase did not run: left out with --skip$/m);
    assert.match(t, /^drift +0 ms +not run: left out with --skip$/m);
    assert.match(t, /^FAIL: dependencies: /m);
    for (const c of ['latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency', 'resilience', 'observability', 'regression']) assert.match(t, new RegExp(`^${c} +(PASS|FAIL|INCONCLUSIVE|NOT JUDGED) `, 'm'), c);
  });

  it('table: a note among the reasons (the gate\'s route-label note) is said as a note, not as the outcome\'s reason', () => {
    const t = renderAcceptTable({ ...r, reasons: [...r.reasons, "note: the service's histogram h has no `route` label"] });
    assert.match(t, /^note: the service's histogram h has no `route` label$/m);
    assert.doesNotMatch(t, /^FAIL: note:/m);
  });

  it('Markdown: one table row per contract, a failure in bold, pipes in reasons escaped', () => {
    const md = renderAcceptMarkdown(r);
    assert.match(md, /^## sloctl accept: FAIL — checkout$/m);
    assert.equal(md.split('\n').filter((l) => /^\| [a-z]+ \| /.test(l)).length, 11);
    assert.match(md, /^\| dependencies \| \*\*FAIL\*\* \| /m);
    assert.match(md, /series 178 -> 402 \\\| maxSeries/);
  });

  it('JUnit: a test case per contract; fail a <failure>, inconclusive an <error>, not judged <skipped>, with counts that match', () => {
    const x = renderAcceptJunit(r);
    const count = (re: RegExp) => [...x.matchAll(re)].length;
    assert.equal(count(/<testcase /g), 11);
    const failures = r.contracts.filter((c) => c.outcome === 'fail').length;
    const errors = r.contracts.filter((c) => c.outcome === 'inconclusive').length;
    const skipped = r.contracts.filter((c) => c.outcome === 'not-judged').length;
    assert.ok(failures >= 1 && errors >= 1);
    assert.match(x, new RegExp(`<testsuites name="sloctl accept" tests="11" failures="${failures}" errors="${errors}" skipped="${skipped}"`));
    assert.equal(count(/<failure /g), failures);
    assert.equal(count(/<error /g), errors);
    assert.equal(count(/<skipped /g), skipped);
    assert.match(x, /<testcase name="dependencies" classname="sloctl\.accept\.checkout" time="0">\s*<failure message="[^"]*src\/pay\.ts:12:5/);
  });

  it('the summary lines say each row\'s own word: a failing row FAIL, an inconclusive one INCONCLUSIVE under a FAIL outcome', () => {
    const t = renderAcceptTable(r);
    assert.match(t, /^FAIL: dependencies: /m);
    // The drift phase was skipped: its row is INCONCLUSIVE, and so is its summary line, though the outcome is FAIL.
    assert.match(t, /^INCONCLUSIVE: drift not judged: the drift phase did not run: left out with --skip$/m);
    assert.doesNotMatch(t, /^FAIL: [a-z, ]+ not judged: /m);
  });

  it('a baseline from another profile: the regression row is INCONCLUSIVE and its summary line says INCONCLUSIVE, beside a FAIL and under an INCONCLUSIVE outcome', () => {
    const gate = JSON.parse(readFileSync(join(FIXTURES, 'gate.json'), 'utf8'), revive) as GateReport;
    const mismatch = 'not judged: the baseline was recorded with another profile (rate 100/s, this run 50/s). p95 rose from 7.7 ms to 8.1 ms (+5.2%, tolerance +5%)';
    gate.baseline = { ...gate.baseline!, comparisons: gate.baseline!.comparisons.map((c) => ({ ...c, verdict: 'warn' as const, reason: mismatch })) };
    const contract = parseContract(readFileSync(join(import.meta.dirname, '..', 'examples', 'checkout', 'slo.yaml'), 'utf8'), 'slo.yaml').contract!;
    const pass = (name: string) => ({ name, outcome: 'pass' as const, reason: `${name} held` });
    const synthetic = (staticOutcome: 'pass' | 'fail'): AcceptReport => {
      const phases = {
        staticDependencies: staticOutcome === 'fail' ? { name: 'static', outcome: 'fail' as const, reason: 'src/pay.ts:12:5 `fetch(url)` without a timeout' } : pass('static'),
        dependencyTimeouts: [pass('payments blackholed'), pass('recommendations blackholed')],
        observability: pass('observability'),
        drift: pass('drift'),
      };
      const drills = { outcome: 'pass' as const, drills: [], reasons: [], resilienceScore: 100 };
      const v = judgeAccept({ contract, gate, drills, ...phases, notReached: {} });
      return {
        service: 'checkout', contractFile: 'slo.yaml', outcome: v.outcome, exitCode: v.exitCode, reasons: v.reasons, startedAt: 0, finishedAt: 1,
        target: { url: 'http://127.0.0.1:8080', started: true, reached: true }, contracts: v.rows, phases: [], gate, ...phases, journal: 'j',
      };
    };
    const failing = synthetic('fail');
    assert.equal(failing.outcome, 'fail');
    assert.equal(failing.contracts.find((c) => c.contract === 'regression')!.outcome, 'inconclusive');
    const t = renderAcceptTable(failing);
    assert.match(t, /^regression +INCONCLUSIVE /m);
    assert.match(t, /^FAIL: dependencies: static: src\/pay\.ts:12:5/m);
    assert.match(t, /^INCONCLUSIVE: regression not judged: regression p95, regression errorRatio, regression memoryPerRequest: not judged: the baseline was recorded with another profile/m);
    assert.doesNotMatch(t, /^FAIL: regression/m);

    const unjudged = synthetic('pass');
    assert.equal(unjudged.outcome, 'inconclusive');
    assert.match(renderAcceptTable(unjudged), /^INCONCLUSIVE: regression not judged: /m);
  });

  it('JSON: the report round-trips, NaN as null', () => {
    const j = JSON.parse(renderAcceptJson(r));
    assert.equal(j.contracts.length, 11);
    assert.equal(j.outcome, 'fail');
  });
});
