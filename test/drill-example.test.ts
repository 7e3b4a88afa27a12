// `sloctl drill` on the bundled example (issue 11's "done when"): the contract's drills as shipped
// pass, printing detection and recovery times; without the payments breaker, payments-down fails
// with a sentence about what the service did; without the payments timeout, payments-slow does.
// The copies run on free ports (test/helpers/example-contract.ts) with shorter phases. The
// contract's four drills run as two `--drill` halves side by side (each half its own copy of the
// service), then the two failure variants side by side: about 75 s instead of the 90 s of one
// four-drill timeline. Two services at a time, not three: with the variants beside the halves
// (three services, and the three drills' load generators in this one process, on 2 cores) a CI run
// stalled the recommendations-down half long enough for its clients to see 98% within 200 ms
// against the drill's 99% (the service's own metrics: 99.76%; 2026-12-07), a FAIL the drill judge
// cannot tell from the service's. Four starting together (tsx compiling each) kept the payments
// breaker open into the first steady window (INCONCLUSIVE).
// Every drill of the shipped contract still runs and must pass; `sloctl accept` runs them all in
// one timeline (test/accept-e2e.test.ts and the demo).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMap, isSeq, parseDocument } from 'yaml';
import { runCli, type CliRun } from './helpers/cli.ts';
import { EXAMPLE_TEXT, exampleContract } from './helpers/example-contract.ts';
import { parseDuration } from '../src/contract/units.ts';

/**
 * Each drill's fault 5s (detection within it). Recovery keeps the contract's own `recoverWithin`
 * (10-15 s): the example's payments drills recover 2.2-2.7 s after removal (the payments breaker's
 * 5 s reset after it opened ~2.5 s into the fault). With a 10 s reset they recovered in 7.2-7.5 s,
 * and one failed trial call after removal (a stall of the shared host) kept the breaker open
 * 10 s more: payments-slow recovered in 17.9 s against 15 s (CI, 2026-12-05). Now two failed
 * trials still recover in time. The watch ends once recovery has held a judged window + 3 s
 * (src/verdicts/drill.ts, recoveryHeld).
 */
function shortened(text: string): string {
  const doc = parseDocument(text);
  const drills = doc.getIn(['objectives', 'resilience', 'drills']);
  assert.ok(isSeq(drills), 'the example declares drills');
  const ms = (v: unknown) => {
    const p = parseDuration(String(v));
    assert.ok(p.ok, `a duration: ${String(v)}`);
    return p.value;
  };
  for (const d of drills.items) {
    assert.ok(isMap(d));
    d.set('duration', '5s');
    if (ms(d.get('detectWithin')) > 5000) d.set('detectWithin', '5s');
  }
  return doc.toString();
}

// Warm-up 3s: the runs start together on a shared 2-core machine, and the example's first seconds
// (tsx compiling, breakers settling) missed the 200 ms objective in the first drill's steady
// window with 1s (76.8% and 94% within, INCONCLUSIVE; three runs at a time then).
const ARGS = ['--steady', '3s', '--warmup', '3s', '--rate', '100', '--no-progress'];

interface Verdict {
  name: string;
  outcome: string;
  detection: { ms?: number; signal?: string };
  recovery: { ms?: number };
  reasons: string[];
}

/** What the drill judge says when the machine, not the service, kept a drill from being judged. */
const BUSY = /a drill on a failing service proves nothing|the load generator (did not deliver the load|lagged in this drill's window)|the latency check is not judged: .* its event loop stalled during the fault/;

/**
 * One `sloctl drill` run on a fresh copy; run once more when it came out INCONCLUSIVE (exit 4) for
 * a reason a busy machine gives: two runs share 2 cores, and a steady window that the others'
 * start or an event-loop-block drill starved is rightly not judged (once in a CI run: 96.4% within
 * 200 ms before the fault). Any other outcome is the answer.
 */
async function drill(text: string, env: Record<string, string>, extra: string[]): Promise<{ run: CliRun; dir: string }> {
  let last!: { run: CliRun; dir: string };
  for (let attempt = 1; attempt <= 2; attempt++) {
    const c = await exampleContract(shortened(text), { prefix: 'sloctl-drill-example-', env });
    const run = await runCli(['drill', c.file, ...ARGS, '--journal', 'j.jsonl', ...extra], c.dir);
    last = { run, dir: c.dir };
    if (!(run.code === 4 && BUSY.test(run.stdout))) break;
  }
  return last;
}

const DRILL_NAMES = (parseDocument(EXAMPLE_TEXT).toJS() as { objectives: { resilience: { drills: Array<{ name: string }> } } }).objectives.resilience.drills.map((d) => d.name);

describe('sloctl drill examples/checkout/slo.yaml', () => {
  // The two halves of the contract's drills side by side, then the two variants side by side.
  const half = Math.ceil(DRILL_NAMES.length / 2);
  const halves = [DRILL_NAMES.slice(0, half), DRILL_NAMES.slice(half)].map((names) => drill(EXAMPLE_TEXT, {}, ['--markdown', 'drill.md', ...names.flatMap((n) => ['--drill', n])]));
  // The variants start once both halves are over (settled, so a half that throws still lets them run).
  const variants = Promise.allSettled(halves).then(async () => {
    const [noBreaker, noTimeout] = await Promise.all([
      drill(EXAMPLE_TEXT, { PAYMENTS_BREAKER: 'off' }, ['--drill', 'payments-down', '--json']),
      drill(EXAMPLE_TEXT, { PAYMENTS_TIMEOUT: 'off' }, ['--drill', 'payments-slow', '--json']),
    ]);
    return { noBreaker: noBreaker!, noTimeout: noTimeout! };
  });

  it('passes the example as shipped, printing each drill\'s detection and recovery time', async (t) => {
    assert.ok(DRILL_NAMES.length >= 2, `the example declares drills: ${DRILL_NAMES.join(', ')}`);
    const runs = await Promise.all(halves);
    const seen: string[] = [];
    for (const { run, dir } of runs) {
      assert.equal(run.code, 0, run.stdout + run.stderr);
      for (const name of DRILL_NAMES) {
        // "payments-down  error → dependency payments  held  2.5s ≤ 5s  2.8s ≤ 8s  yes  PASS"
        const row = run.stdout.split('\n').find((l) => l.startsWith(`${name} `));
        if (row === undefined) continue;
        seen.push(name);
        t.diagnostic(row);
        assert.match(row, /\d+(\.\d)?s ≤ \d+s\s+\d+(\.\d)?s ≤ \d+s\s+yes\s+PASS$/, row);
      }
      assert.match(run.stdout, /^PASS \(exit 0\)$/m);
      assert.match(readFileSync(join(dir, 'drill.md'), 'utf8'), /PASS \(exit 0\)/);
    }
    assert.deepEqual(seen.sort(), [...DRILL_NAMES].sort(), 'every drill of the contract ran once, in one half or the other');
  });

  it('without the payments breaker, payments-down fails with a sentence about what the service did', async () => {
    const { run } = (await variants).noBreaker;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const v = (JSON.parse(run.stdout) as { drills: Verdict[] }).drills.find((d) => d.name === 'payments-down')!;
    assert.equal(v.outcome, 'fail', JSON.stringify(v));
    assert.ok(v.reasons.length > 0);
    assert.match(v.reasons.join(' '), /payments/);
  });

  it('without the payments timeout, payments-slow fails with a sentence about what the service did', async () => {
    const { run } = (await variants).noTimeout;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const v = (JSON.parse(run.stdout) as { drills: Verdict[] }).drills.find((d) => d.name === 'payments-slow')!;
    assert.equal(v.outcome, 'fail', JSON.stringify(v));
    assert.match(v.reasons.join(' '), /payments|timeout|latency/);
  });
});
