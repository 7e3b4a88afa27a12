// Classic (cumulative) Prometheus histograms: good ratios at a latency threshold, quantiles, and
// the change between two scrapes.
//
// A classic histogram is a set of cumulative buckets: `count` observations were <= `le` (seconds,
// by Prometheus convention), with a final `+Inf` bucket holding every observation. Quantiles
// follow PromQL's `histogram_quantile` (promql/quantile.go, `bucketQuantile`) so that a number
// sloctl prints in-process is the number a user gets from Prometheus on the same data.

/** One cumulative bucket: `count` observations were <= `le`. */
export interface Bucket {
  le: number;
  count: number;
}

/** Parses an `le` label value the way Prometheus does (`+Inf`, `Inf`, decimals, exponents). */
export function parseLe(text: string): number {
  const s = text.trim();
  if (/^\+?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  return s === '' ? NaN : Number(s);
}

export interface NormalizedBuckets {
  buckets: Bucket[];
  /** A count was lower than the one below it and was raised to it (inconsistent source data). */
  forcedMonotonic: boolean;
  /** A tiny relative difference (<= 1e-12) between neighbours was treated as float noise. */
  fixedPrecision: boolean;
}

/**
 * Sorts by `le`, merges buckets with the same bound, and repairs non-monotonic counts the way
 * Prometheus does before it computes a quantile: first float noise (relative difference <= 1e-12
 * is taken as equal), then the "envelope" (a count lower than a previous one is raised to it).
 * Returns a copy; the input is not modified.
 */
export function normalizeBuckets(input: readonly Bucket[]): NormalizedBuckets {
  const sorted = input.map((b) => ({ le: b.le, count: b.count })).sort((a, b) => a.le - b.le);
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last !== undefined && last.le === b.le) last.count += b.count;
    else buckets.push(b);
  }
  let fixedPrecision = false;
  if (buckets.length > 0) {
    let prev = buckets[0].count;
    for (let i = 1; i < buckets.length; i++) {
      const curr = buckets[i].count;
      const delta = Math.abs(curr - prev);
      if (delta === 0) continue;
      if (delta / curr <= 1e-12) {
        buckets[i].count = prev;
        fixedPrecision = true;
      } else {
        prev = curr;
      }
    }
  }
  let forcedMonotonic = false;
  if (buckets.length > 0) {
    let max = buckets[0].count;
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i].count > max) max = buckets[i].count;
      else if (buckets[i].count < max) {
        buckets[i].count = max;
        forcedMonotonic = true;
      }
    }
  }
  return { buckets, forcedMonotonic, fixedPrecision };
}

/**
 * The bucket histogram_quantile's rank falls in (the same search as Go's sort.Search over all but
 * +Inf), with the buckets normalised; undefined where it returns NaN (no `+Inf` bucket, fewer than
 * two buckets, no observations). `b` is the index of the bucket; `buckets.length - 1` is `+Inf`.
 */
function rankBucket(q: number, input: readonly Bucket[]): { buckets: Bucket[]; b: number; rank: number } | undefined {
  if (input.length === 0) return undefined;
  const { buckets } = normalizeBuckets(input);
  if (buckets[buckets.length - 1].le !== Infinity) return undefined;
  if (buckets.length < 2) return undefined;
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return undefined;
  const rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i].count >= rank) {
      b = i;
      break;
    }
  }
  return { buckets, b, rank };
}

/**
 * PromQL `histogram_quantile(q, ...)` over one classic histogram. Same edge cases as Prometheus:
 * q NaN -> NaN; q < 0 -> -Inf; q > 1 -> +Inf; no `+Inf` bucket, fewer than two buckets, or zero
 * observations -> NaN; a rank in the `+Inf` bucket returns the second-highest bound; in the lowest
 * bucket it interpolates from 0 when that bucket's bound is > 0, else returns that bound.
 * Within a bucket the observations are assumed to be spread linearly.
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const found = rankBucket(q, input);
  if (!found) return NaN;
  const { buckets, b } = found;
  let { rank } = found;
  if (b === buckets.length - 1) return buckets[buckets.length - 2].le;
  if (b === 0 && buckets[0].le <= 0) return buckets[0].le;

  let bucketStart = 0;
  const bucketEnd = buckets[b].le;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].le;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * What a histogram knows of a quantile: it lies in (lower, upper], the bucket its rank falls in.
 * The value histogram_quantile prints inside it is a linear guess; in the `+Inf` bucket it is the
 * highest finite bound, which the quantile is above (upper: Infinity).
 */
export interface QuantileBucket {
  lower: number;
  upper: number;
}

/** The bucket histogramQuantile(q) interpolates in; undefined where it returns NaN or q is outside [0, 1]. */
export function quantileBucket(q: number, input: readonly Bucket[]): QuantileBucket | undefined {
  if (!(q >= 0 && q <= 1)) return undefined;
  const found = rankBucket(q, input);
  if (!found) return undefined;
  const { buckets, b } = found;
  if (b === buckets.length - 1) return { lower: buckets[buckets.length - 2].le, upper: Infinity };
  // The lowest bucket starts at 0 (latencies are not negative), as histogram_quantile assumes;
  // a lowest bound <= 0 has no known lower edge.
  if (b === 0) return { lower: buckets[0].le > 0 ? 0 : -Infinity, upper: buckets[0].le };
  return { lower: buckets[b - 1].le, upper: buckets[b].le };
}

/**
 * The bucket a value histogram_quantile returned lies in, from the histogram's bounds alone (a
 * PromQL answer carries no bucket). A value exactly at the highest finite bound is either the top
 * of that bucket or a quantile in `+Inf` (which returns that bound): the two together, (lower,
 * Infinity). A value under it is inside its bucket (`+Inf` never returns less than the bound).
 */
export function bucketOfQuantileValue(value: number, bounds: readonly number[]): QuantileBucket | undefined {
  const finite = [...new Set(bounds)].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!Number.isFinite(value) || finite.length === 0) return undefined;
  const i = finite.findIndex((le) => value <= le || sameBound(value, le));
  if (i < 0) return undefined;
  const lower = i > 0 ? finite[i - 1] : finite[0] > 0 ? 0 : -Infinity;
  const top = i === finite.length - 1 && sameBound(value, finite[i]);
  return { lower, upper: top ? Infinity : finite[i] };
}

/**
 * What the quantile's bucket says about a ceiling (same unit): `within` when the ceiling is at or
 * above the bucket's upper bound, `over` when it is at or below its lower bound (the quantile is
 * above the lower bound), `undecided` when the ceiling lies inside the bucket: the interpolated
 * value beside it is a guess that cannot say which side the quantile is.
 */
export function ceilingSide(bucket: QuantileBucket, ceiling: number): 'within' | 'over' | 'undecided' {
  if (ceiling >= bucket.upper || sameBound(ceiling, bucket.upper)) return 'within';
  if (ceiling <= bucket.lower || sameBound(ceiling, bucket.lower)) return 'over';
  return 'undecided';
}

export interface ThresholdRatio {
  /** Observations at or under the threshold (interpolated when `exact` is false). */
  good: number;
  /** All observations (the `+Inf` bucket). */
  total: number;
  /** good / total; NaN when there are no observations (unknown, not perfect). */
  ratio: number;
  /** True when the threshold is a bucket boundary, so `good` is a count, not an estimate. */
  exact: boolean;
  /**
   * How `good` was obtained: `boundary` (a bucket's own count), `interpolated` (linear within the
   * bucket, as histogram_quantile assumes), `lower-bound` (threshold in the `+Inf` bucket: only the
   * observations under the highest finite bound are known to be good), `below-lowest` (threshold
   * under the lowest bucket's lower edge: none are known to be good).
   */
  method: 'boundary' | 'interpolated' | 'lower-bound' | 'below-lowest';
}

/** Bounds equal up to float noise, so that `200 / 1000` matches a bucket written `le="0.2"`. */
export function sameBound(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Share of observations at or under `thresholdSeconds` — the latency SLI "requests under 200ms".
 * Exact when the threshold is a bucket boundary (the contract should choose its threshold among
 * the buckets; `sloctl validate` says so). Otherwise the value is interpolated linearly inside the
 * bucket that holds the threshold, the inverse of what histogram_quantile does, and flagged
 * `exact: false` so a report can say it is an estimate.
 */
export function goodRatioAtThreshold(input: readonly Bucket[], thresholdSeconds: number): ThresholdRatio {
  const { buckets } = normalizeBuckets(input);
  const top = buckets[buckets.length - 1];
  if (top === undefined || top.le !== Infinity || Number.isNaN(thresholdSeconds)) {
    return { good: NaN, total: NaN, ratio: NaN, exact: false, method: 'interpolated' };
  }
  const total = top.count;
  const result = (good: number, exact: boolean, method: ThresholdRatio['method']): ThresholdRatio => ({
    good,
    total,
    ratio: total > 0 ? good / total : NaN,
    exact,
    method,
  });

  for (const b of buckets) if (sameBound(b.le, thresholdSeconds)) return result(b.count, true, 'boundary');

  const i = buckets.findIndex((b) => b.le > thresholdSeconds);
  if (i === buckets.length - 1) return result(buckets[i - 1]?.count ?? 0, false, 'lower-bound');
  if (i === 0) {
    const upper = buckets[0].le;
    // histogram_quantile's natural lower bound: 0 when the lowest bound is positive; a lowest
    // bound <= 0 has no known lower edge, so nothing under it is known to be good.
    if (upper <= 0 || thresholdSeconds <= 0) return result(0, false, 'below-lowest');
    return result((buckets[0].count * thresholdSeconds) / upper, false, 'interpolated');
  }
  const lo = buckets[i - 1];
  const hi = buckets[i];
  const good = lo.count + ((hi.count - lo.count) * (thresholdSeconds - lo.le)) / (hi.le - lo.le);
  return result(good, false, 'interpolated');
}

export interface BucketDelta {
  buckets: Bucket[];
  /** The later snapshot was taken as counting from zero (a restart, or a changed bucket layout). */
  reset: boolean;
}

/**
 * Observations added between two cumulative snapshots of one histogram, per bucket.
 *
 * A reset is detected for the histogram as a whole: if any bucket count went down, or the set of
 * bounds changed, the process restarted and the later snapshot is itself the increase (as for a
 * counter). PromQL's `increase()` on `_bucket` series decides per series instead; the two agree
 * on every real restart except one where some bucket has already re-grown past its old count,
 * where per-series detection would miss the reset for that bucket and undercount it.
 */
export function bucketDeltas(prev: readonly Bucket[], curr: readonly Bucket[]): BucketDelta {
  const a = normalizeBuckets(prev).buckets;
  const b = normalizeBuckets(curr).buckets;
  const sameLayout = a.length === b.length && a.every((x, i) => x.le === b[i].le);
  if (!sameLayout || a.some((x, i) => b[i].count < x.count)) {
    return { buckets: b, reset: true };
  }
  return { buckets: b.map((x, i) => ({ le: x.le, count: x.count - a[i].count })), reset: false };
}
