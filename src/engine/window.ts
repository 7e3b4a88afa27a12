// Rolling windows of good/total events, made of buckets aligned to UTC.
//
// Bucket k of width w covers [k*w, (k+1)*w) in ms since the Unix epoch. Aligning to multiples of
// the width (not to the first sample) means two observers of the same events — sloctl in-process
// and Prometheus, or two runs started a few seconds apart — put every event in the same bucket, so
// their windows agree; the phase at which samples arrive inside a bucket does not matter.
//
// `RollingWindow` keeps, per bucket, the *cumulative* good and total counts since it started
// (prefix sums) in a ring buffer of N+1 slots. The sum over any run of buckets is then the
// difference of two prefix sums: O(1) for 5m, 1h or the whole 28 days alike, with no rescan. Adding
// to the newest bucket is O(1); moving to a new bucket writes each skipped slot once, so the cost is
// O(1) amortized per elapsed bucket. A late sample for an older bucket still inside the window costs
// O(buckets since then) — rare for a scraper, which moves forward in time.
//
// A bucket into which no sample fell is *unknown*, not good: the service may have been down, or
// the scraper may have failed. Each query says how many of its buckets had data, so a caller can
// report coverage and refuse to call a gap "100%". A sample with zero events (the service was up
// and idle) does mark its bucket as having data.
//
// Precision: prefix sums are float64 and only grow, so integer event counts stay exact up to 2^53
// events since the window started (~285 years at a million events a second). Fractional increments
// (e.g. extrapolated ones) lose about one ulp of the running total per query, which is why the
// engine feeds plain counter increases.
//
// Memory: 18 bytes per bucket (two float64 prefix sums, a uint16 data count), i.e. ~709 KiB for a
// 28-day window of 1-minute buckets. See bench/engine.bench.ts.

/** Index of the bucket holding time `t` (ms): floor(t / width), also for times before 1970. */
export function bucketIndex(t: number, widthMs: number): number {
  return Math.floor(t / widthMs);
}

/** Start (ms) of the bucket holding time `t`. */
export function bucketStart(t: number, widthMs: number): number {
  return Math.floor(t / widthMs) * widthMs;
}

/** Good and total events over a run of buckets, with how much of the run is known. */
export interface WindowSum {
  good: number;
  total: number;
  /** Buckets the query covered. */
  buckets: number;
  /** Of those, how many received at least one sample. The rest are unknown. */
  bucketsWithData: number;
  /** Start (inclusive) and end (exclusive) in ms of the buckets covered. */
  start: number;
  end: number;
}

export interface RollingWindowOptions {
  /** Bucket width in ms, e.g. 60_000. */
  bucketMs: number;
  /** Window length in ms, a whole multiple of bucketMs, e.g. 28 days. */
  windowMs: number;
}

export class RollingWindow {
  readonly bucketMs: number;
  readonly windowMs: number;
  /** Buckets in the window (N). */
  readonly size: number;
  /** Samples refused because their bucket had already left the window. */
  dropped = 0;

  // N+1 slots: the sum over the full N-bucket window needs the prefix sum of the bucket before it.
  private readonly slots: number;
  // Interleaved [cumGood, cumTotal] per slot.
  private readonly cum: Float64Array;
  // Cumulative count of buckets with data, kept modulo 2^16 or 2^32: a difference over at most
  // `slots` buckets is still exact after wrap-around, and it halves the memory for 1m/28d windows.
  private readonly cumData: Uint16Array | Uint32Array;
  private readonly dataMask: number;
  private head = 0;
  private started = false;

  constructor(options: RollingWindowOptions) {
    const { bucketMs, windowMs } = options;
    if (!Number.isFinite(bucketMs) || bucketMs <= 0) throw new RangeError(`bucketMs must be a positive number of ms, got ${bucketMs}`);
    const n = windowMs / bucketMs;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`windowMs (${windowMs}) must be a whole positive multiple of bucketMs (${bucketMs})`);
    }
    this.bucketMs = bucketMs;
    this.windowMs = windowMs;
    this.size = n;
    this.slots = n + 1;
    this.cum = new Float64Array(this.slots * 2);
    if (this.slots <= 0xffff) {
      this.cumData = new Uint16Array(this.slots);
      this.dataMask = 0xffff;
    } else {
      this.cumData = new Uint32Array(this.slots);
      this.dataMask = 0xffffffff;
    }
  }

  /** Index of the newest bucket that received a sample; undefined before the first sample. */
  get newestBucket(): number | undefined {
    return this.started ? this.head : undefined;
  }

  private slot(k: number): number {
    const s = k % this.slots;
    return s < 0 ? s + this.slots : s;
  }

  /**
   * Adds `good` of `total` events observed at time `t` (ms). Returns false, and counts the sample
   * in `dropped`, when its bucket is older than the window.
   */
  add(t: number, good: number, total: number): boolean {
    if (!(good >= 0 && total >= 0 && good <= total) || !Number.isFinite(total) || !Number.isFinite(t)) {
      throw new RangeError(`invalid increment at t=${t}: good=${good}, total=${total} (need 0 <= good <= total, finite)`);
    }
    const k = bucketIndex(t, this.bucketMs);
    if (!this.started) {
      // Fresh typed arrays are zero: every slot already holds the (empty) prefix sums of the
      // buckets before the first sample.
      this.started = true;
      this.head = k;
    } else if (k > this.head) {
      this.advanceTo(k);
    } else if (k < this.head - this.size + 1) {
      this.dropped++;
      return false;
    }

    const s = this.slot(k);
    const hadData = ((this.cumData[s] - this.cumData[this.slot(k - 1)]) & this.dataMask) !== 0;
    // Prefix sums from bucket k to the newest one all include this sample: one slot in the usual
    // case (k is the newest bucket), more only for a late sample.
    for (let x = k; x <= this.head; x++) {
      const i = this.slot(x);
      this.cum[2 * i] += good;
      this.cum[2 * i + 1] += total;
      if (!hadData) this.cumData[i] = (this.cumData[i] + 1) & this.dataMask;
    }
    return true;
  }

  /** Moves the newest bucket to k, copying the prefix sums into the buckets skipped (no data). */
  private advanceTo(k: number): void {
    const from = this.slot(this.head);
    const g = this.cum[2 * from];
    const tot = this.cum[2 * from + 1];
    const d = this.cumData[from];
    const steps = Math.min(k - this.head, this.slots);
    for (let x = k - steps + 1; x <= k; x++) {
      const i = this.slot(x);
      this.cum[2 * i] = g;
      this.cum[2 * i + 1] = tot;
      this.cumData[i] = d;
    }
    this.head = k;
  }

  /** Sums over buckets first..last (inclusive bucket indexes). */
  sumBuckets(first: number, last: number): WindowSum {
    const w = this.bucketMs;
    const buckets = Math.max(0, last - first + 1);
    const out: WindowSum = { good: 0, total: 0, buckets, bucketsWithData: 0, start: first * w, end: (last + 1) * w };
    if (!this.started || buckets === 0) return out;
    // Buckets older than the window are forgotten (unknown); buckets after the newest hold nothing.
    const lo = Math.max(first, this.head - this.size + 1);
    const hi = Math.min(last, this.head);
    if (hi < lo) return out;
    const a = this.slot(lo - 1);
    const b = this.slot(hi);
    out.good = this.cum[2 * b] - this.cum[2 * a];
    out.total = this.cum[2 * b + 1] - this.cum[2 * a + 1];
    out.bucketsWithData = (this.cumData[b] - this.cumData[a]) & this.dataMask;
    return out;
  }

  /**
   * Sums over the buckets whose start lies in [start, end). For a window "the last W ms at time t"
   * call `sum(t - W, t)`: with W a multiple of the bucket width that is exactly W / width buckets,
   * including the current (possibly partial) one when t is inside a bucket.
   */
  sum(start: number, end: number): WindowSum {
    const w = this.bucketMs;
    return this.sumBuckets(Math.ceil(start / w), Math.ceil(end / w) - 1);
  }

  /** `sum(end - durationMs, end)`, in the shape the alert evaluator asks for. */
  over(durationMs: number, end: number): WindowSum {
    return this.sum(end - durationMs, end);
  }

  /**
   * Consecutive slices of `sliceMs` (a multiple of the bucket width, aligned to UTC multiples of
   * itself) covering [start, end): the input of the Timeslices and RatioTimeslices budgeting
   * methods. O(1) per slice.
   */
  slices(start: number, end: number, sliceMs: number): WindowSum[] {
    const per = sliceMs / this.bucketMs;
    if (!Number.isInteger(per) || per < 1) {
      throw new RangeError(`sliceMs (${sliceMs}) must be a whole positive multiple of bucketMs (${this.bucketMs})`);
    }
    const out: WindowSum[] = [];
    for (let s = Math.ceil(start / sliceMs); s * sliceMs < end; s++) {
      out.push(this.sumBuckets(s * per, s * per + per - 1));
    }
    return out;
  }
}
