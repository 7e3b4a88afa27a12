import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canReachAlpha, cannotReachAlpha, cannotReachAlphaText, choose, mannWhitneyGreater, median, midRanks, smallestPValue, trialsToReachAlpha } from '../src/verdicts/stats.ts';
import { parseContract } from '../src/contract/load.ts';
import { checkSemantics } from '../src/contract/semantic.ts';

/** U of x straight from its definition: pairs with x > y, plus half the ties. */
function uByPairs(x: readonly number[], y: readonly number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

/** Every way to pick n of the pooled values as "x", as index lists. */
function* subsets(size: number, n: number, start = 0, picked: number[] = []): Generator<number[]> {
  if (picked.length === n) {
    yield picked;
    return;
  }
  for (let i = start; i <= size - (n - picked.length); i++) yield* subsets(size, n, i + 1, [...picked, i]);
}

/** The p-value by brute force: the share of all splits of the pooled values whose U is at least the observed one. */
function bruteForceP(x: readonly number[], y: readonly number[]): number {
  const pooled = [...x, ...y];
  const observed = uByPairs(x, y);
  let atLeast = 0;
  let total = 0;
  for (const pick of subsets(pooled.length, x.length)) {
    const chosen = new Set(pick);
    const xs = pooled.filter((_, i) => chosen.has(i));
    const ys = pooled.filter((_, i) => !chosen.has(i));
    total++;
    if (uByPairs(xs, ys) >= observed - 1e-9) atLeast++;
  }
  return atLeast / total;
}

// Small integer values so ties are frequent; sides of 1..6 values (at most C(12,6) = 924 splits).
const side = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 6 });

describe('gate stats', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const values = [5, 1, 3];
    assert.equal(median(values), 3);
    assert.deepEqual(values, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('mid-ranks share the mean rank of a tie', () => {
    assert.deepEqual(midRanks([10, 20, 20, 5, 20]), [2, 4, 4, 1, 4]);
  });

  it('the textbook 5 vs 5 values: complete separation gives 1/252, U ≥ 21 gives 12/252', () => {
    const r = mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);
    assert.equal(r.u, 25);
    assert.equal(r.pValue, 1 / 252);
    assert.equal(smallestPValue(5, 5), 1 / 252);
    // One pair out of order: x = {5,7,8,9,10} vs y = {1,2,3,4,6}: U = 4·5 + 4 = 24.
    assert.equal(mannWhitneyGreater([5, 7, 8, 9, 10], [1, 2, 3, 4, 6]).pValue, 2 / 252);
    // The distribution of U for 5 vs 5 has 1,1,2,3,5 splits at U = 25..21 (Mann & Whitney 1947).
    assert.equal(mannWhitneyGreater([4, 5, 8, 9, 10], [1, 2, 3, 6, 7]).u, 21);
    assert.ok(Math.abs(mannWhitneyGreater([4, 5, 8, 9, 10], [1, 2, 3, 6, 7]).pValue - 12 / 252) < 1e-15);
    // The reverse direction is near 1.
    assert.ok(mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue === 1);
  });

  it('U equals its pair-counting definition, ties counted as halves', () => {
    fc.assert(
      fc.property(side, side, (x, y) => {
        assert.equal(mannWhitneyGreater(x, y).u, uByPairs(x, y));
      }),
    );
  });

  it('exact p-values equal brute-force enumeration of all splits, with and without ties', () => {
    fc.assert(
      fc.property(side, side, (x, y) => {
        const exact = mannWhitneyGreater(x, y).pValue;
        assert.ok(Math.abs(exact - bruteForceP(x, y)) < 1e-12, `x=${x} y=${y}: ${exact} vs ${bruteForceP(x, y)}`);
      }),
      { numRuns: 300 },
    );
    // Distinct continuous values too.
    fc.assert(
      fc.property(fc.uniqueArray(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 2, maxLength: 11 }), fc.integer({ min: 1, max: 10 }), (pooled, cut) => {
        const k = Math.min(cut, pooled.length - 1);
        const x = pooled.slice(0, k);
        const y = pooled.slice(k);
        assert.ok(Math.abs(mannWhitneyGreater(x, y).pValue - bruteForceP(x, y)) < 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('the test holds its level: over all splits of any tie pattern, P(p ≤ α) ≤ α', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 10 }), fc.integer({ min: 1, max: 9 }), (pooled, cut) => {
        const n = Math.min(cut, pooled.length - 1);
        const ps: number[] = [];
        for (const pick of subsets(pooled.length, n)) {
          const chosen = new Set(pick);
          ps.push(mannWhitneyGreater(pooled.filter((_, i) => chosen.has(i)), pooled.filter((_, i) => !chosen.has(i))).pValue);
        }
        for (const alpha of [0.01, 0.05, 0.1, 0.25, 0.5]) {
          const rejected = ps.filter((p) => p <= alpha + 1e-12).length / ps.length;
          assert.ok(rejected <= alpha + 1e-12, `α=${alpha}: rejected ${rejected} of splits of ${pooled}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('all values tied: p = 1 (nothing to see)', () => {
    assert.equal(mannWhitneyGreater([0, 0, 0], [0, 0, 0, 0]).pValue, 1);
    assert.equal(mannWhitneyGreater([0, 0, 0], [0, 0, 0, 0]).ties, true);
  });

  it('above the exact limit the normal approximation agrees with the exact count to 0.01', () => {
    // 61 vs 61 with ties: exact forced by raising the limit, compared with the approximation.
    const x = Array.from({ length: 61 }, (_, i) => Math.round((i * 7) % 40) + 3);
    const y = Array.from({ length: 61 }, (_, i) => Math.round((i * 11) % 40));
    const approx = mannWhitneyGreater(x, y);
    const exact = mannWhitneyGreater(x, y, 1000);
    assert.equal(approx.method, 'normal');
    assert.equal(exact.method, 'exact');
    assert.ok(exact.pValue > 0.001 && exact.pValue < 0.999, `a p in the middle of the range makes the check meaningful: ${exact.pValue}`);
    assert.ok(Math.abs(approx.pValue - exact.pValue) < 0.01, `${approx.pValue} vs ${exact.pValue}`);
  });

  it('rejects empty sides and non-finite values', () => {
    assert.throws(() => mannWhitneyGreater([], [1]), /both sides/);
    assert.throws(() => mannWhitneyGreater([NaN], [1]), /finite/);
  });

  it('choose', () => {
    assert.equal(choose(10, 5), 252);
    assert.equal(choose(6, 0), 1);
    assert.equal(choose(3, 4), 0);
  });

  it('whether the exact test can reach alpha at all: 3 vs 3 cannot reach 0.05, 4 vs 3 can', () => {
    // The smallest p is what the most extreme data (every trial above every baseline trial) give.
    for (const [n, m] of [[3, 3], [4, 3], [5, 5], [2, 5], [1, 19]] as const) {
      const x = Array.from({ length: n }, (_, i) => 100 + i);
      const y = Array.from({ length: m }, (_, i) => i);
      assert.equal(mannWhitneyGreater(x, y).pValue, smallestPValue(n, m), `${n} vs ${m}`);
    }
    assert.equal(smallestPValue(3, 3), 0.05);
    assert.equal(canReachAlpha(3, 3, 0.05), false, '1/20 = 0.05 is not < 0.05');
    assert.equal(canReachAlpha(3, 3, 0.051), true);
    assert.equal(canReachAlpha(4, 3, 0.05), true, '1/35');
    assert.equal(canReachAlpha(2, 5, 0.05), true, '1/21');
    assert.equal(canReachAlpha(2, 4, 0.05), false, '1/15');
    assert.equal(canReachAlpha(1, 19, 0.05), false, '1/20');
    assert.equal(canReachAlpha(1, 20, 0.05), true, '1/21');
    // Trials needed with a baseline of as many: the first n with 1/C(2n, n) < alpha.
    assert.equal(trialsToReachAlpha(0.05), 4); // 1/70; 3 gives 1/20
    assert.equal(trialsToReachAlpha(0.01), 5); // 1/252; 4 gives 1/70
    assert.equal(trialsToReachAlpha(0.001), 7); // 1/3432; 6 gives 1/924
    assert.equal(trialsToReachAlpha(0), undefined, 'no p is below 0');
  });

  it('says why a comparison could not fail and what to change', () => {
    assert.equal(cannotReachAlpha(4, 4, 0.05), undefined);
    assert.equal(cannotReachAlphaText(5, 5, 0.05), undefined);
    assert.equal(
      cannotReachAlphaText(3, 3, 0.05),
      'with 3 trials against 3 the test cannot reach p < 0.05 (the smallest p it can give is 1/20 = 0.05): this comparison could not fail; raise objectives.regression.trials to 4',
    );
    // Enough trials, too small a baseline: record the baseline again rather than raising trials to 20.
    assert.equal(cannotReachAlpha(5, 1, 0.05)?.fix, 'record the baseline again with --update-baseline (it has 1 trial, objectives.regression.trials is 5)');
    // Both too few, and the baseline too few for the new count too.
    assert.equal(cannotReachAlpha(2, 1, 0.05)?.fix, 'raise objectives.regression.trials to 4 and record the baseline again with --update-baseline');
    assert.deepEqual({ ...cannotReachAlpha(3, 3, 0.05), problem: '', fix: '' }, { problem: '', fix: '', smallestP: 0.05, splits: 20 });
    // A count --trials set: the advice names the flag, not the contract it overrode.
    assert.equal(cannotReachAlpha(1, 4, 0.05, '--trials')?.fix, 'raise --trials to 4');
  });

  it('validate warns, located at objectives.regression.trials, when the trials cannot reach alpha', () => {
    const contract = (trials: number) => `apiVersion: sloctl/v1
service: { name: x }
routes:
  - { name: work, method: GET, path: /work }
objectives:
  regression: { baseline: b.json, trials: ${trials} }
`;
    const three = parseContract(contract(3), 'slo.yaml');
    const found = three.diagnostics.filter((d) => d.path?.join('.') === 'objectives.regression.trials');
    assert.equal(found.length, 1, JSON.stringify(three.diagnostics));
    assert.equal(found[0].severity, 'warning');
    assert.deepEqual([found[0].line, found[0].col], [6, 43]);
    assert.equal(
      found[0].message,
      '3 trials (against a baseline of as many) can never fail the regression comparison: a regression fails only at p < 0.05, and the smallest p the exact one-sided Mann-Whitney U test can give with 3 against 3 is 1/20 = 0.05',
    );
    assert.equal(found[0].hint, 'raise objectives.regression.trials to 4');
    assert.deepEqual(parseContract(contract(4), 'slo.yaml').diagnostics, []);
    assert.match(parseContract(contract(1), 'slo.yaml').diagnostics[0]?.message ?? '', /^1 trial \(against a baseline of as many\) can never fail .* is 1\/2 = 0\.5$/);
    // With the baseline's count known: 5 trials against a 1-trial baseline cannot fail either; 5 against 3 can.
    const five = parseContract(contract(5), 'slo.yaml').contract!;
    const vsOne = checkSemantics(five, { baselineTrials: 1 }).filter((f) => f.path.join('.') === 'objectives.regression.trials');
    assert.equal(vsOne.length, 1);
    assert.match(vsOne[0].message, /^5 trials against the baseline's 1 can never fail .* is 1\/6 = 0\.17$/);
    assert.match(vsOne[0].hint ?? '', /^record the baseline again with --update-baseline/);
    assert.deepEqual(checkSemantics(five, { baselineTrials: 3 }).filter((f) => f.path.join('.') === 'objectives.regression.trials'), []);
    // No regression section, nothing to say.
    assert.deepEqual(parseContract(contract(3).replace(/  regression:.*\n/, '  errors: { objective: 99% }\n'), 'slo.yaml').diagnostics, []);
  });
});
