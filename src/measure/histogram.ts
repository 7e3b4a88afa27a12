// An HDR histogram of latencies in microseconds (the layout of Gil Tene's HdrHistogram): values are
// kept with `digits` significant decimal digits over a fixed range, in log-linear buckets. Memory is
// fixed by the range and precision, never by the number of values, and two histograms of the same
// layout merge exactly (the merge is the histogram of the union), which is what lets worker threads
// and repeated trials be combined without losing the tail.
//
// Layout: bucket 0 holds values 0 .. subBucketCount-1 at unit resolution; each next bucket covers
// twice the range with the same number of (half) sub-buckets, so a value's bucket width is at most
// value / 2^subBucketHalfCountMagnitude < value / 10^digits. Reported values are the highest value
// equivalent to a bucket (as HdrHistogram does), so a percentile is never below the truth and above
// it by less than 10^-digits of it.

import type { HistogramJson, LatencySummary } from './types.ts';

export interface HistogramOptions {
  /** Lowest value told apart from 0, microseconds (default 1). */
  lowestUs?: number;
  /** Highest trackable value, microseconds (default 1 hour); larger ones are clamped and counted in `overflow`. */
  highestUs?: number;
  /** Significant decimal digits kept, 1..5 (default 3). */
  digits?: number;
}

const HOUR_US = 3_600_000_000;
/** Bucket indexes are computed with 32-bit bit tricks (Math.clz32), so values must fit 32 bits (~71 minutes). */
const MAX_HIGHEST_US = 2 ** 32 - 1;

export class Histogram {
  readonly lowestUs: number;
  readonly highestUs: number;
  readonly digits: number;
  /** Values recorded above highestUs (clamped into the top bucket). */
  overflow = 0;

  private readonly unitMagnitude: number;
  private readonly subBucketHalfCountMagnitude: number;
  private readonly subBucketHalfCount: number;
  private readonly subBucketMask: number;
  private readonly leadingZeroCountBase: number;
  private readonly counts: Float64Array;
  private total = 0;
  /** Lowest and highest non-zero indexes, so scans skip the empty ends (-1 / -1 when empty). */
  private minIndex = -1;
  private maxIndex = -1;

  constructor(opts: HistogramOptions = {}) {
    const lowestUs = opts.lowestUs ?? 1;
    const highestUs = opts.highestUs ?? HOUR_US;
    const digits = opts.digits ?? 3;
    if (!Number.isInteger(lowestUs) || lowestUs < 1) throw new RangeError(`histogram: lowestUs must be an integer >= 1, got ${lowestUs}`);
    if (!Number.isInteger(highestUs) || highestUs < 2 * lowestUs || highestUs > MAX_HIGHEST_US) {
      throw new RangeError(`histogram: highestUs must be an integer between 2 × lowestUs (${2 * lowestUs}) and ${MAX_HIGHEST_US}, got ${highestUs}`);
    }
    if (!Number.isInteger(digits) || digits < 1 || digits > 5) throw new RangeError(`histogram: digits must be an integer 1..5, got ${digits}`);
    this.lowestUs = lowestUs;
    this.highestUs = highestUs;
    this.digits = digits;

    const largestValueWithSingleUnitResolution = 2 * 10 ** digits;
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestValueWithSingleUnitResolution));
    this.unitMagnitude = Math.floor(Math.log2(lowestUs));
    this.subBucketHalfCountMagnitude = subBucketCountMagnitude - 1;
    const subBucketCount = 2 ** subBucketCountMagnitude;
    this.subBucketHalfCount = subBucketCount / 2;
    this.subBucketMask = (subBucketCount - 1) * 2 ** this.unitMagnitude;
    this.leadingZeroCountBase = 32 - this.unitMagnitude - subBucketCountMagnitude;

    let smallestUntrackable = subBucketCount * 2 ** this.unitMagnitude;
    let bucketCount = 1;
    while (smallestUntrackable <= highestUs) {
      smallestUntrackable *= 2;
      bucketCount++;
    }
    this.counts = new Float64Array((bucketCount + 1) * this.subBucketHalfCount);
  }

  /** Number of values recorded (overflowed ones included). */
  get count(): number {
    return this.total;
  }

  /** Records `count` occurrences of a value in microseconds (rounded to a whole microsecond). */
  record(us: number, count = 1): void {
    if (!(us >= 0)) {
      if (Number.isNaN(us)) throw new RangeError('histogram: cannot record NaN');
      us = 0; // a clock that stepped back a hair: count it as instantaneous
    }
    let v = Math.round(us);
    if (v > this.highestUs) {
      v = this.highestUs;
      this.overflow += count;
    }
    const i = this.indexOf(v);
    this.counts[i] += count;
    this.total += count;
    if (i > this.maxIndex) this.maxIndex = i;
    if (i < this.minIndex || this.minIndex < 0) this.minIndex = i;
  }

  /** Adds every value of `other`. Exact when both have the same layout; otherwise values are re-recorded at bucket precision. */
  merge(other: Histogram): this {
    if (other.total === 0) return this;
    const same = other.lowestUs === this.lowestUs && other.highestUs === this.highestUs && other.digits === this.digits;
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const c = other.counts[i];
      if (c === 0) continue;
      if (same) {
        this.counts[i] += c;
        this.total += c;
        if (i > this.maxIndex) this.maxIndex = i;
        if (i < this.minIndex || this.minIndex < 0) this.minIndex = i;
      } else {
        this.record(other.highestEquivalent(i), c);
      }
    }
    // With another layout, re-recording counts as overflow only what exceeds this range.
    if (same) this.overflow += other.overflow;
    return this;
  }

  /** The value at percentile `p` (0..100), in milliseconds; 0 when empty. */
  valueAtPercentile(p: number): number {
    return this.valueAtPercentileUs(p) / 1000;
  }

  /** The value at percentile `p` (0..100), in microseconds; 0 when empty. */
  valueAtPercentileUs(p: number): number {
    if (this.total === 0) return 0;
    const pct = Math.min(Math.max(p, 0), 100);
    // Round the rank up so the value returned covers at least p% of the values; the small epsilon
    // keeps floating-point noise (0.99 × 100 = 99.00000000000001) from skipping a rank.
    const rank = Math.max(1, Math.ceil((pct / 100) * this.total - 1e-9));
    let seen = 0;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      seen += this.counts[i];
      if (seen >= rank) return pct === 0 ? this.lowestEquivalent(i) : this.highestEquivalent(i);
    }
    return this.highestEquivalent(this.maxIndex);
  }

  /**
   * Values at or below `ms` milliseconds (e.g. requests within a 200 ms objective). A value that
   * falls in the same bucket as the threshold counts as within it: the histogram cannot tell them
   * apart, and the difference is below its precision (10^-digits of the threshold).
   */
  countAtOrBelowMs(ms: number): number {
    if (this.total === 0 || !(ms >= 0)) return 0;
    const us = Math.round(ms * 1000);
    if (us >= this.highestUs) return this.total;
    const last = Math.min(this.indexOf(us), this.maxIndex);
    let n = 0;
    for (let i = Math.max(this.minIndex, 0); i <= last; i++) n += this.counts[i];
    return n;
  }

  /** Count, min, mean, stdev, max and the usual percentiles, in milliseconds (0 when empty). */
  summary(): LatencySummary {
    if (this.total === 0) return { count: 0, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
    // Mean and stdev from bucket midpoints (as HdrHistogram does): within the histogram's precision.
    let sum = 0;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      const c = this.counts[i];
      if (c !== 0) sum += this.medianEquivalent(i) * c;
    }
    const mean = sum / this.total;
    let sq = 0;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      const c = this.counts[i];
      if (c !== 0) sq += (this.medianEquivalent(i) - mean) ** 2 * c;
    }
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: this.total,
      min: ms(this.lowestEquivalent(this.minIndex)),
      mean: ms(mean),
      stdev: ms(Math.sqrt(sq / this.total)),
      max: ms(this.highestEquivalent(this.maxIndex)),
      p50: ms(this.valueAtPercentileUs(50)),
      p90: ms(this.valueAtPercentileUs(90)),
      p95: ms(this.valueAtPercentileUs(95)),
      p99: ms(this.valueAtPercentileUs(99)),
      p999: ms(this.valueAtPercentileUs(99.9)),
    };
  }

  /** Plain JSON: the layout and the non-zero buckets, so its size grows with the spread of values, not their number. */
  toJSON(): HistogramJson {
    const counts: Array<[number, number]> = [];
    for (let i = Math.max(this.minIndex, 0); i <= this.maxIndex; i++) {
      const c = this.counts[i];
      if (c !== 0) counts.push([i, c]);
    }
    return { lowestUs: this.lowestUs, highestUs: this.highestUs, digits: this.digits, counts, overflow: this.overflow };
  }

  /** Rebuilds a histogram from `toJSON()` output; throws a RangeError saying what is wrong with a bad one. */
  static fromJSON(j: HistogramJson, where = 'histogram'): Histogram {
    if (j === null || typeof j !== 'object') throw new RangeError(`${where}: expected an object with lowestUs, highestUs, digits, counts, overflow; got ${j === null ? 'null' : typeof j}`);
    let h: Histogram;
    try {
      h = new Histogram({ lowestUs: j.lowestUs, highestUs: j.highestUs, digits: j.digits });
    } catch (e) {
      throw new RangeError(`${where}: bad layout: ${(e as Error).message.replace(/^histogram: /, '')}`);
    }
    if (!Array.isArray(j.counts)) throw new RangeError(`${where}: counts must be an array of [index, count] pairs`);
    for (let k = 0; k < j.counts.length; k++) {
      const pair = j.counts[k];
      if (!Array.isArray(pair) || pair.length !== 2) throw new RangeError(`${where}: counts[${k}] must be an [index, count] pair`);
      const [i, c] = pair;
      if (!Number.isInteger(i) || i < 0 || i >= h.counts.length) throw new RangeError(`${where}: counts[${k}]: index ${String(i)} is not an integer in 0..${h.counts.length - 1}`);
      if (!Number.isInteger(c) || c < 0) throw new RangeError(`${where}: counts[${k}]: count ${String(c)} is not a non-negative integer`);
      if (c === 0) continue;
      h.counts[i] += c;
      h.total += c;
      if (i > h.maxIndex) h.maxIndex = i;
      if (i < h.minIndex || h.minIndex < 0) h.minIndex = i;
    }
    const overflow = j.overflow ?? 0;
    if (!Number.isInteger(overflow) || overflow < 0 || overflow > h.total) throw new RangeError(`${where}: overflow ${String(overflow)} must be an integer in 0..${h.total} (the total count)`);
    h.overflow = overflow;
    return h;
  }

  /** The summary of a serialized histogram. */
  static summaryOf(j: HistogramJson): LatencySummary {
    return Histogram.fromJSON(j).summary();
  }

  /**
   * Every value less `us` microseconds, in the same layout: each bucket's count re-recorded at the
   * bucket's LOW end less `us` (never above the true value less `us`), 0 at the least. What a run
   * would show had each request been up to `us` faster (src/verdicts/generator-lag.ts, lagProofView).
   */
  shiftedDown(us: number): Histogram {
    const out = new Histogram({ lowestUs: this.lowestUs, highestUs: this.highestUs, digits: this.digits });
    for (let i = Math.max(this.minIndex, 0); i <= this.maxIndex; i++) {
      const c = this.counts[i];
      if (c !== 0) out.record(Math.max(0, this.lowestEquivalent(i) - us), c);
    }
    return out;
  }

  /** A copy (same layout and counts). */
  clone(): Histogram {
    return new Histogram({ lowestUs: this.lowestUs, highestUs: this.highestUs, digits: this.digits }).merge(this);
  }

  /** Clears every count, keeping the layout (and its memory). */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.overflow = 0;
    this.minIndex = -1;
    this.maxIndex = -1;
  }

  // --- layout arithmetic (HdrHistogram's, with 32-bit values) ---

  private indexOf(v: number): number {
    const bucket = this.leadingZeroCountBase - Math.clz32(v | this.subBucketMask);
    const sub = Math.floor(v / 2 ** (bucket + this.unitMagnitude));
    return ((bucket + 1) << this.subBucketHalfCountMagnitude) + (sub - this.subBucketHalfCount);
  }

  private bucketOf(i: number): { bucket: number; sub: number } {
    let bucket = (i >> this.subBucketHalfCountMagnitude) - 1;
    let sub = (i & (this.subBucketHalfCount - 1)) + this.subBucketHalfCount;
    if (bucket < 0) {
      sub -= this.subBucketHalfCount;
      bucket = 0;
    }
    return { bucket, sub };
  }

  private lowestEquivalent(i: number): number {
    const { bucket, sub } = this.bucketOf(i);
    return sub * 2 ** (bucket + this.unitMagnitude);
  }

  private bucketWidth(i: number): number {
    const { bucket } = this.bucketOf(i);
    return 2 ** (bucket + this.unitMagnitude);
  }

  private highestEquivalent(i: number): number {
    return Math.min(this.lowestEquivalent(i) + this.bucketWidth(i) - 1, this.highestUs);
  }

  private medianEquivalent(i: number): number {
    return this.lowestEquivalent(i) + Math.floor(this.bucketWidth(i) / 2);
  }
}
