import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketDeltas, goodRatioAtThreshold, histogramQuantile, normalizeBuckets, parseLe, type Bucket } from '../../src/engine/index.ts';

const h = (pairs: Array<[number, number]>): Bucket[] => pairs.map(([le, count]) => ({ le, count }));
// 100 observations: 10 <= 0.1s, 20 more <= 0.2s, 60 more <= 0.5s, 10 more <= 1s, none above.
const LAT = h([[0.1, 10], [0.2, 30], [0.5, 90], [1, 100], [Infinity, 100]]);

// Expected values below are worked by hand from Prometheus' bucketQuantile (promql/quantile.go):
// rank = q * count(+Inf); b = first bucket with cumulative count >= rank (searching all but +Inf);
// result = lower(b) + (upper(b) - lower(b)) * (rank - count(b-1)) / (count(b) - count(b-1)),
// with lower = 0 for the lowest bucket when its bound is > 0.
test('histogram_quantile: interpolation inside a bucket', () => {
  // q=0.5: rank 50 -> bucket le=0.5 (90): 0.2 + 0.3 * (50 - 30) / 60 = 0.3
  assert.ok(Math.abs(histogramQuantile(0.5, LAT) - 0.3) < 1e-15);
  // q=0.99: rank 99 -> bucket le=1 (100): 0.5 + 0.5 * (99 - 90) / 10 = 0.95
  assert.ok(Math.abs(histogramQuantile(0.99, LAT) - 0.95) < 1e-15);
  // q=1: rank 100 -> bucket le=1 (100 >= 100, the +Inf bucket is never searched): 1
  assert.equal(histogramQuantile(1, LAT), 1);
  // q=0: rank 0 -> lowest bucket, interpolated from 0: 0
  assert.equal(histogramQuantile(0, LAT), 0);
});

test('histogram_quantile: lowest bucket interpolates from 0 when its bound is > 0', () => {
  // q=0.05: rank 5 -> bucket le=0.1 (10): 0 + 0.1 * 5/10 = 0.05
  assert.ok(Math.abs(histogramQuantile(0.05, LAT) - 0.05) < 1e-15);
});

test('histogram_quantile: lowest bucket with a bound <= 0 returns that bound', () => {
  const neg = h([[-1, 10], [0, 20], [1, 30], [Infinity, 30]]);
  // q=0.2: rank 6 -> lowest bucket (le=-1 <= 0): -1
  assert.equal(histogramQuantile(0.2, neg), -1);
  // q=0.5: rank 15 -> bucket le=0: -1 + 1 * (15 - 10) / 10 = -0.5
  assert.equal(histogramQuantile(0.5, neg), -0.5);
});

test('histogram_quantile: a rank in the +Inf bucket returns the second-highest bound', () => {
  // 70 of 100 above 0.2s: q=0.5 rank 50 is beyond le=0.2 (30) -> 0.2
  assert.equal(histogramQuantile(0.5, h([[0.1, 10], [0.2, 30], [Infinity, 100]])), 0.2);
  assert.equal(histogramQuantile(0.99, h([[0.1, 10], [0.2, 30], [Infinity, 100]])), 0.2);
});

test('histogram_quantile: special cases', () => {
  assert.equal(histogramQuantile(-0.1, LAT), -Infinity);
  assert.equal(histogramQuantile(1.1, LAT), Infinity);
  assert.ok(Number.isNaN(histogramQuantile(NaN, LAT)));
  assert.ok(Number.isNaN(histogramQuantile(0.5, [])));
  // No +Inf bucket.
  assert.ok(Number.isNaN(histogramQuantile(0.5, h([[0.1, 10], [0.2, 30]]))));
  // Only the +Inf bucket: fewer than two buckets.
  assert.ok(Number.isNaN(histogramQuantile(0.5, h([[Infinity, 30]]))));
  // No observations.
  assert.ok(Number.isNaN(histogramQuantile(0.5, h([[0.1, 0], [Infinity, 0]]))));
  // q = 0 with an empty lowest bucket: rank 0 lands in that bucket and interpolates 0/0. Prometheus
  // returns NaN here as well (bucketQuantile divides rank by the bucket's own count).
  assert.ok(Number.isNaN(histogramQuantile(0, h([[0.1, 0], [Infinity, 5]]))));
  // q < 0 wins over an empty histogram, like Prometheus (checked first).
  assert.equal(histogramQuantile(-1, []), -Infinity);
});

test('histogram_quantile: unsorted input, duplicate bounds, forced monotonicity', () => {
  assert.ok(Math.abs(histogramQuantile(0.5, [...LAT].reverse()) - 0.3) < 1e-15);
  // Two series with le=0.1 are merged (coalesced): 5 + 5 = 10 of 10 -> q=0.5: 0.1 * 5/10 = 0.05
  assert.equal(histogramQuantile(0.5, h([[0.1, 5], [0.1, 5], [Infinity, 10]])), 0.05);
  // le=0.5 reports 20 though le=0.2 has 30: Prometheus raises it to 30 (the envelope).
  // q=0.8: rank 32 -> bucket le=1 (40): 0.5 + 0.5 * (32 - 30) / 10 = 0.6.
  // Without the fix it would be 0.5 + 0.5 * (32 - 20) / 20 = 0.8.
  const broken = h([[0.1, 10], [0.2, 30], [0.5, 20], [1, 40], [Infinity, 40]]);
  assert.equal(histogramQuantile(0.8, broken), 0.6);
  const n = normalizeBuckets(broken);
  assert.equal(n.forcedMonotonic, true);
  assert.deepEqual(n.buckets.map((b) => b.count), [10, 30, 30, 40, 40]);
  // A relative dip of <= 1e-12 is float noise, fixed without calling it non-monotonic.
  const noisy = normalizeBuckets(h([[0.1, 10], [0.2, 10 - 1e-12], [Infinity, 10]]));
  assert.equal(noisy.fixedPrecision, true);
  assert.equal(noisy.forcedMonotonic, false);
  assert.equal(noisy.buckets[1].count, 10);
});

test('goodRatioAtThreshold: exact at a bucket boundary', () => {
  assert.deepEqual(goodRatioAtThreshold(LAT, 0.2), { good: 30, total: 100, ratio: 0.3, exact: true, method: 'boundary' });
  // 200ms converted to seconds matches le="0.2".
  assert.equal(goodRatioAtThreshold(LAT, 200 / 1000).exact, true);
  assert.equal(goodRatioAtThreshold(LAT, 0.1 + 0.2 - 0.1).exact, true); // 0.20000000000000004
  assert.equal(goodRatioAtThreshold(LAT, Infinity).ratio, 1);
});

test('goodRatioAtThreshold: interpolated between boundaries, flagged not exact', () => {
  // 0.3s lies in (0.2, 0.5]: 30 + 60 * (0.3 - 0.2) / 0.3 = 50 -> 0.5, the inverse of quantile(0.5) = 0.3.
  const r = goodRatioAtThreshold(LAT, 0.3);
  assert.equal(r.exact, false);
  assert.equal(r.method, 'interpolated');
  assert.ok(Math.abs(r.good - 50) < 1e-12);
  // Lowest bucket, from 0: 10 * 0.05 / 0.1 = 5.
  assert.ok(Math.abs(goodRatioAtThreshold(LAT, 0.05).good - 5) < 1e-12);
  // Above the highest finite bound: only what is under 1s is known to be good.
  const above = goodRatioAtThreshold(h([[0.1, 10], [0.2, 30], [Infinity, 100]]), 2);
  assert.deepEqual([above.good, above.method, above.exact], [30, 'lower-bound', false]);
  assert.equal(goodRatioAtThreshold(LAT, -1).good, 0);
  // No observations: unknown, not perfect.
  assert.ok(Number.isNaN(goodRatioAtThreshold(h([[0.1, 0], [Infinity, 0]]), 0.1).ratio));
  assert.ok(Number.isNaN(goodRatioAtThreshold(h([[0.1, 3]]), 0.1).ratio));
});

test('bucketDeltas: per-bucket change, and a restart taken as counting from zero', () => {
  const prev = h([[0.1, 5], [0.5, 8], [Infinity, 10]]);
  assert.deepEqual(bucketDeltas(prev, h([[0.1, 7], [0.5, 12], [Infinity, 15]])), {
    buckets: h([[0.1, 2], [0.5, 4], [Infinity, 5]]),
    reset: false,
  });
  const restarted = h([[0.1, 1], [0.5, 2], [Infinity, 3]]);
  assert.deepEqual(bucketDeltas(prev, restarted), { buckets: restarted, reset: true });
  // One bucket dropped while others grew: still one restart for the whole histogram.
  assert.equal(bucketDeltas(prev, h([[0.1, 4], [0.5, 12], [Infinity, 15]])).reset, true);
  // A new bucket layout is a new process.
  assert.equal(bucketDeltas(prev, h([[0.1, 6], [0.25, 7], [0.5, 9], [Infinity, 11]])).reset, true);
});

test('parseLe', () => {
  assert.equal(parseLe('+Inf'), Infinity);
  assert.equal(parseLe('0.25'), 0.25);
  assert.equal(parseLe('1e-3'), 0.001);
  assert.ok(Number.isNaN(parseLe('')));
});

const histogramArb = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat({ max: 1000 }), { minLength: 13, maxLength: 13 }),
  )
  .map(([bounds, incs]) => {
    const les = bounds.sort((a, b) => a - b).map((b) => b / 1000);
    let c = 0;
    const buckets = les.map((le, i) => ({ le, count: (c += incs[i]) }));
    buckets.push({ le: Infinity, count: c + incs[12] });
    return buckets;
  });

test('property: goodRatioAtThreshold inverts histogramQuantile inside the finite buckets', () => {
  fc.assert(
    fc.property(histogramArb, fc.double({ min: 0.001, max: 1, noNaN: true }), (buckets, q) => {
      const total = buckets[buckets.length - 1].count;
      const highestFinite = buckets[buckets.length - 2].count;
      fc.pre(total > 0 && q * total <= highestFinite);
      const x = histogramQuantile(q, buckets);
      const r = goodRatioAtThreshold(buckets, x);
      assert.ok(Math.abs(r.ratio - q) < 1e-9, `q=${q} x=${x} ratio=${r.ratio}`);
    }),
  );
});

test('property: quantiles are monotonic in q', () => {
  fc.assert(
    fc.property(histogramArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (buckets, a, b) => {
      fc.pre(buckets[buckets.length - 1].count > 0);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const x = histogramQuantile(lo, buckets);
      const y = histogramQuantile(hi, buckets);
      // Rank 0 in an empty lowest bucket is 0/0 in Prometheus too (see the special cases test).
      if (lo === 0 && buckets[0].count === 0) assert.ok(Number.isNaN(x));
      else assert.ok(x <= y + 1e-12, `${lo}: ${x} > ${hi}: ${y}`);
    }),
  );
});
