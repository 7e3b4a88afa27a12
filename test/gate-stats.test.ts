import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { choose, mannWhitneyGreater, median, midRanks, smallestPValue } from '../src/gate/stats.ts';

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
});
