import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram } from '../src/measure/histogram.ts';

const HOUR_US = 3_600_000_000;

/** The value at percentile p of a sorted array, with the rank rule of HdrHistogram (smallest value covering p%). */
function truthAt(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1];
}

function histogramOf(values: number[], opts?: ConstructorParameters<typeof Histogram>[0]): Histogram {
  const h = new Histogram(opts);
  for (const v of values) h.record(v);
  return h;
}

// Integer microsecond values across the whole range, with weight on the latencies that matter.
const latencyUs = fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: HOUR_US }));

describe('Histogram', () => {
  it('reports every percentile within its 3 significant digits of the sorted truth, never below it', () => {
    fc.assert(
      fc.property(fc.array(latencyUs, { minLength: 1, maxLength: 400 }), fc.double({ min: 0, max: 100, noNaN: true }), (values, p) => {
        const h = histogramOf(values);
        const sorted = [...values].sort((a, b) => a - b);
        const truth = truthAt(sorted, p);
        const got = h.valueAtPercentileUs(p);
        if (p === 0) {
          assert.ok(got <= truth && truth - got <= truth / 1000, `p0: ${got} vs ${truth}`);
        } else {
          assert.ok(got >= truth, `p${p}: ${got} below the truth ${truth}`);
          assert.ok(got - truth <= truth / 1000, `p${p}: ${got} vs ${truth}: error ${got - truth} above 1/1000 of the value`);
        }
        assert.equal(h.valueAtPercentile(p), got / 1000, 'the ms value is the µs value / 1000');
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the precision asked for (2 and 4 digits) and a coarser unit', () => {
    for (const [digits, bound] of [[2, 1 / 64], [4, 1 / 8192]] as const) {
      fc.assert(
        fc.property(fc.array(latencyUs, { minLength: 1, maxLength: 200 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (values, p) => {
          const h = histogramOf(values, { digits });
          const truth = truthAt([...values].sort((a, b) => a - b), p);
          const got = h.valueAtPercentileUs(p);
          assert.ok(got >= truth && got - truth <= truth * bound, `digits ${digits}, p${p}: ${got} vs ${truth}`);
        }),
        { numRuns: 100 },
      );
    }
    const ms = histogramOf([0, 999, 1000, 1500, 250_000], { lowestUs: 1000 });
    // lowestUs 1000: the unit is 512 µs (the power of two below), so 0 and 999 fall in different units.
    assert.equal(ms.valueAtPercentileUs(20), 511);
    assert.equal(ms.valueAtPercentileUs(40), 1023);
    assert.ok(Math.abs(ms.valueAtPercentileUs(100) - 250_000) < 512, 'below 1000 units, the resolution is one unit');
  });

  it('merges exactly: the merge of two histograms is the histogram of the union', () => {
    fc.assert(
      fc.property(fc.array(latencyUs, { maxLength: 300 }), fc.array(latencyUs, { maxLength: 300 }), (a, b) => {
        const merged = histogramOf(a).merge(histogramOf(b));
        const union = histogramOf([...a, ...b]);
        assert.deepEqual(merged.toJSON(), union.toJSON());
        assert.deepEqual(merged.summary(), union.summary());
        assert.equal(merged.count, a.length + b.length);
      }),
      { numRuns: 200 },
    );
  });

  it('merges a histogram of another layout at the precision of the coarser one', () => {
    const fine = histogramOf([100, 20_000, 500_000], { digits: 4 });
    const h = new Histogram().merge(fine);
    assert.equal(h.count, 3);
    assert.ok(Math.abs(h.valueAtPercentileUs(100) - 500_000) <= 500);
    assert.ok(Math.abs(h.valueAtPercentileUs(50) - 20_000) <= 20);
  });

  it('round-trips through JSON, and the JSON holds only non-zero buckets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(latencyUs, fc.integer({ min: 1, max: 5 })), { maxLength: 200 }), (pairs) => {
        const h = new Histogram();
        for (const [v, n] of pairs) h.record(v, n);
        const json = JSON.parse(JSON.stringify(h.toJSON()));
        const back = Histogram.fromJSON(json);
        assert.deepEqual(back.toJSON(), h.toJSON());
        assert.deepEqual(back.summary(), h.summary());
        assert.deepEqual(Histogram.summaryOf(json), h.summary());
        assert.ok(json.counts.every(([, c]: [number, number]) => c > 0));
      }),
      { numRuns: 150 },
    );
  });

  it('uses fixed memory: a million values fill no more buckets than the layout has', () => {
    const h = new Histogram();
    for (let i = 0; i < 1_000_000; i++) h.record((i * 7919) % 10_000_000);
    const size = h.toJSON().counts.length;
    assert.ok(size < 12_000, `${size} buckets for values up to 10 s`);
    assert.equal(h.count, 1_000_000);
  });

  it('clamps values above the range into the top bucket and counts them as overflow', () => {
    const h = histogramOf([10, 5 * HOUR_US, HOUR_US + 1]);
    assert.equal(h.count, 3);
    assert.equal(h.overflow, 2);
    assert.equal(h.valueAtPercentileUs(100), HOUR_US);
    assert.equal(h.toJSON().overflow, 2);
    assert.equal(Histogram.fromJSON(h.toJSON()).overflow, 2);
    const m = new Histogram().merge(h).merge(h);
    assert.equal(m.overflow, 4);
  });

  it('counts values within a threshold to the histogram precision', () => {
    fc.assert(
      fc.property(fc.array(latencyUs, { maxLength: 300 }), fc.integer({ min: 0, max: 2_000_000 }), (values, thresholdUs) => {
        const h = histogramOf(values);
        const got = h.countAtOrBelowMs(thresholdUs / 1000);
        const exact = values.filter((v) => v <= thresholdUs).length;
        const loose = values.filter((v) => v <= thresholdUs * 1.001 + 1).length;
        assert.ok(got >= exact && got <= loose, `${got} not in ${exact}..${loose}`);
      }),
      { numRuns: 200 },
    );
    const h = histogramOf([150_000, 199_000, 200_000, 250_000]);
    assert.equal(h.countAtOrBelowMs(200), 3, 'share of requests under 200 ms');
    assert.equal(h.countAtOrBelowMs(10_000_000), 4);
    assert.equal(new Histogram().countAtOrBelowMs(200), 0);
  });

  it('summarises in milliseconds: mean and stdev close to the exact ones, 0 when empty', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 1_000 + ((i * 104729) % 99_000));
    const s = histogramOf(values).summary();
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(s.mean - mean / 1000) <= (mean / 1000) * 1e-3, `mean ${s.mean}`);
    assert.ok(Math.abs(s.stdev - sd / 1000) <= (sd / 1000) * 2e-3, `stdev ${s.stdev}`);
    assert.equal(s.count, 10_000);
    assert.ok(s.min <= 1 && s.min >= 0.999);
    assert.ok(s.max >= 99.999 && s.max <= 100.1);
    assert.ok(s.p50 <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max);
    assert.deepEqual(new Histogram().summary(), { count: 0, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 });
  });

  it('rounds fractional microseconds, treats a negative as 0 and refuses NaN', () => {
    const h = histogramOf([1.4, 1.6, -0.5]);
    assert.deepEqual(h.toJSON().counts, [[0, 1], [1, 1], [2, 1]]);
    assert.throws(() => h.record(Number.NaN), /NaN/);
  });

  it('refuses a bad layout or a bad serialized histogram, saying what is wrong', () => {
    assert.throws(() => new Histogram({ digits: 6 }), /digits must be an integer 1\.\.5/);
    assert.throws(() => new Histogram({ lowestUs: 0 }), /lowestUs/);
    assert.throws(() => new Histogram({ highestUs: 2 ** 40 }), /highestUs/);
    const good = histogramOf([5, 50]).toJSON();
    const bad: Array<[unknown, RegExp]> = [
      [null, /expected an object/],
      ['x', /expected an object/],
      [{ ...good, digits: 9 }, /bad layout: digits/],
      [{ ...good, counts: 'x' }, /counts must be an array/],
      [{ ...good, counts: [[1]] }, /counts\[0\] must be an \[index, count\] pair/],
      [{ ...good, counts: [[-1, 1]] }, /counts\[0\]: index -1 is not an integer in 0\.\./],
      [{ ...good, counts: [[10 ** 9, 1]] }, /index 1000000000/],
      [{ ...good, counts: [[1, 1.5]] }, /count 1\.5 is not a non-negative integer/],
      [{ ...good, counts: [[1, -2]] }, /count -2/],
      [{ ...good, overflow: 3 }, /overflow 3 must be an integer in 0\.\.2/],
    ];
    for (const [json, re] of bad) assert.throws(() => Histogram.fromJSON(json as never, 'baseline.json: routes[0].histogram'), (e: Error) => e instanceof RangeError && re.test(e.message) && e.message.startsWith('baseline.json: routes[0].histogram'), String(re));
  });
});
