// The mutant matrix's table (scripts/mutants.mjs): a pure function of accept's JSON reports, so it
// is tested on made-up reports, without starting anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without types
import { CONTRACTS, MUTANTS, cellOf, mutantMatrix, parseArgs, renderMatrix, renderMatrixMarkdown } from '../scripts/mutants.mjs';
import { MUTANTS as EXAMPLE_MUTANTS, parseMutant } from '../examples/checkout/mutants.ts';
import { ACCEPT_CONTRACTS } from '../src/verdicts/accept.ts';

type Outcome = 'pass' | 'fail' | 'inconclusive' | 'not-judged';
interface Row { name: string; expect?: string; cells: Record<string, string>; ok: boolean; verdict: string; unexpected?: string[] }
interface Matrix { rows: Row[]; ok: boolean; problems: string[] }

/** An accept JSON report: every contract PASS but the ones given. */
function report(outcome: string, rows: Partial<Record<string, Outcome>> = {}) {
  return { outcome, exitCode: outcome === 'pass' ? 0 : 1, contracts: (CONTRACTS as string[]).map((contract) => ({ contract, outcome: rows[contract] ?? 'pass', reason: '...' })) };
}
const healthy = { name: 'healthy', report: report('pass', { regression: 'not-judged' }) };

describe('mutants: the lists', () => {
  it('names the same mutants, with the same contracts, as the example', () => {
    assert.deepEqual((MUTANTS as Array<{ name: string; contract: string }>).map((m) => [m.name, m.contract]), EXAMPLE_MUTANTS.map((m) => [m.name, m.contract]));
  });

  it('covers the eleven contracts accept judges, one mutant each', () => {
    assert.deepEqual(CONTRACTS, [...ACCEPT_CONTRACTS]);
    assert.deepEqual([...(MUTANTS as Array<{ contract: string }>).map((m) => m.contract)].sort(), [...CONTRACTS].sort());
  });

  it('the example refuses an unknown name, listing the mutants', () => {
    assert.deepEqual(parseMutant(undefined), {});
    assert.deepEqual(parseMutant(''), {});
    assert.deepEqual(parseMutant('leak'), { mutant: 'leak' });
    const e = parseMutant('leek').error ?? '';
    assert.match(e, /CHECKOUT_MUTANT="leek" is not a mutant/);
    for (const m of EXAMPLE_MUTANTS) assert.ok(e.includes(`${m.name} (${m.contract})`), m.name);
  });
});

describe('mutants: the matrix', () => {
  it('holds when the healthy run passes and each mutant fails its own contract only', () => {
    const m: Matrix = mutantMatrix([healthy, { name: 'leak', report: report('fail', { memory: 'fail' }) }, { name: 'no-breaker', report: report('fail', { resilience: 'fail', drift: 'inconclusive' }) }]);
    assert.equal(m.ok, true, m.problems.join('; '));
    assert.deepEqual(m.rows.map((r) => r.verdict), ['passed', 'yes', 'yes']);
    assert.equal(m.rows[2].cells.drift, 'INC');
    assert.equal(m.rows[0].cells.regression, '-');
  });

  it('fails when a mutant does not fail its own contract, naming what it got', () => {
    const m: Matrix = mutantMatrix([healthy, { name: 'cpu-burn', report: report('pass') }, { name: 'no-timeout', report: report('inconclusive', { dependencies: 'inconclusive' }) }]);
    assert.equal(m.ok, false);
    assert.deepEqual(m.problems, ['cpu-burn: no: concurrency PASS', 'no-timeout: no: dependencies INC']);
  });

  it('fails when the healthy run did not pass, saying which rows', () => {
    const m: Matrix = mutantMatrix([{ name: 'healthy', report: report('inconclusive', { drift: 'inconclusive' }) }, { name: 'leak', report: report('fail', { memory: 'fail' }) }]);
    assert.equal(m.ok, false);
    assert.deepEqual(m.problems, ['healthy: did not pass (inconclusive: drift INC)']);
  });

  it('shows a mutant that also fails other contracts, marking the ones not documented, without failing the matrix', () => {
    const m: Matrix = mutantMatrix([healthy, { name: 'server-errors', report: report('fail', { errors: 'fail', availability: 'fail', regression: 'fail', memory: 'fail' }) }]);
    assert.equal(m.ok, true);
    assert.equal(m.rows[1].verdict, 'also availability, memory (unexpected), regression');
    assert.deepEqual(m.rows[1].unexpected, ['memory']);
  });

  it('says when accept stopped early (target failed), without failing a mutant that failed its own contract', () => {
    const m: Matrix = mutantMatrix([healthy, { name: 'capacity-cap', report: report('target-failed', { throughput: 'fail', latency: 'fail', availability: 'fail', resilience: 'inconclusive' }) }]);
    assert.equal(m.ok, true);
    assert.equal(m.rows[1].verdict, 'also latency, availability; accept: TARGET FAILED, later phases not run');
    assert.equal(m.rows[1].cells.resilience, 'INC');
  });

  it('a run without a report is a problem, and its cells are ?', () => {
    const m: Matrix = mutantMatrix([healthy, { name: 'leak', error: 'exit 2, no JSON on stdout' }]);
    assert.equal(m.ok, false);
    assert.equal(m.rows[1].cells.memory, '?');
    assert.deepEqual(m.problems, ['leak: no report: exit 2, no JSON on stdout']);
  });

  it('reads every outcome accept writes, and a row it lacks as ?', () => {
    const r = { contracts: [{ contract: 'latency', outcome: 'pass' }, { contract: 'errors', outcome: 'fail' }, { contract: 'throughput', outcome: 'inconclusive' }, { contract: 'memory', outcome: 'not-judged' }, { contract: 'drift', outcome: 'not-declared' }] };
    assert.deepEqual(['latency', 'errors', 'throughput', 'memory', 'drift', 'regression'].map((c) => cellOf(r, c)), ['PASS', 'FAIL', 'INC', '-', '-', '?']);
  });

  it('renders 11 columns of cells plus the verdict, the own contract marked', () => {
    const runs = [healthy, ...(MUTANTS as Array<{ name: string; contract: string }>).map((x) => ({ name: x.name, report: report('fail', { [x.contract]: 'fail' }) }))];
    const m: Matrix = mutantMatrix(runs);
    assert.equal(m.ok, true);
    const text: string = renderMatrix(m);
    const lines = text.split('\n');
    assert.equal(lines.length, 2 + 12);
    assert.match(lines[0], /^run +latency +errors .* regress +only its own contract failed\?$/);
    assert.match(lines.find((l) => l.startsWith('leak'))!, /^leak +PASS +PASS +PASS +PASS +FAIL\* +PASS .* yes$/);
    const md: string = renderMatrixMarkdown(m);
    assert.match(md, /^\| run \| latency \| errors \|/);
    assert.match(md, /\| slower-build \| PASS .* \| \*\*FAIL\*\* \| yes \|/);
  });

  it('parses its options', () => {
    assert.deepEqual(parseArgs(['--only', 'leak,cpu-burn', '--quick']), { only: ['leak', 'cpu-burn'], quick: true, out: undefined, baseline: undefined, markdown: false, src: false });
  });
});
