// The statistics behind the baseline comparison, pure: the median and an exact one-sided
// Mann-Whitney U test for the handful of trials a gate run makes (5 against 5 by default).
//
// Why exact and not the normal approximation: with 5 vs 5 trials there are only C(10,5) = 252 ways
// to split the ranks, so the smallest attainable one-sided p is 1/252 ≈ 0.004 and the p-values come
// in coarse steps; the normal approximation is off by a factor of two in the tail at these sizes.
// Counting the splits is cheap, so we count.
//
// Ties (p95 values come out of an HDR histogram with 3 significant digits, error ratios are often
// all zero) get mid-ranks, and the p-value is taken from the exact permutation distribution of the
// mid-rank sum GIVEN that tie pattern: every one of the C(n+m, n) ways to choose which pooled values
// are "x" is equally likely under H0, and we count those whose rank sum is at least the observed
// one. That p-value is exact (P(p ≤ α) ≤ α under H0), neither approximate nor over-conservative.

/** Median of the values; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Ranks 1..N of the values in their order, tied values sharing the mean of their ranks. */
export function midRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end][0] === order[start][0]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k][1]] = rank;
    start = end;
  }
  return ranks;
}

/** n choose k as a float (exact below 2^53, which covers every size the exact test runs at). */
export function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * P(X >= k) for X ~ Binomial(n, p): how likely k or more bad requests of n are when each is bad
 * with probability p. Summed from the lower side (k is small wherever it is asked: runs too
 * short for their objective), in floating point; 1 for k <= 0.
 */
export function binomialTailAtLeast(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let pmf = Math.pow(1 - p, n);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += pmf;
    pmf *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.max(0, Math.min(1, 1 - below));
}

/**
 * How unlikely the bad events a count too small for its objective saw must be under the objective
 * for its failure to stand (one-sided binomial tail): below it, the count says "missed".
 */
export const SHORT_RUN_ALPHA = 0.05;

/** A ratio objective over fewer events than its budget can judge (shortOfObjective). */
export interface ShortOfObjective {
  /** Bad events the objective allows in those counted: under 1. */
  allowedBad: number;
  /** The bad events, whole (weighted ones rounded up). */
  bad: number;
  /** P(X >= bad) were the objective met. */
  tail: number;
  /** Events it takes for the objective to allow one bad one. */
  needed: number;
  /** Too many bad for the objective to explain (tail < SHORT_RUN_ALPHA): a failure stands. */
  tooMany: boolean;
}

/**
 * `bad` of `events` against `objective`, when the objective's budget is under one event of them:
 * none bad cannot show it met (100 clean requests cannot tell 99.9% from 99%), and a few cannot
 * show it missed, unless they are too many for it. Undefined when the events can judge it. The
 * gate's rule for a run too short for its objective, and `sloctl status`'s for a quiet window;
 * `trials`: the count the binomial tail is taken over (default `events`).
 */
export function shortOfObjective(events: number, bad: number, objective: number, trials = events): ShortOfObjective | undefined {
  const allowed = 1 - objective;
  if (!(events > 0) || !(allowed > 0) || events * allowed >= 1) return undefined;
  const k = Math.ceil(bad - 1e-9);
  const tail = binomialTailAtLeast(trials, k, allowed);
  return { allowedBad: events * allowed, bad: k, tail, needed: Math.ceil(1 / allowed), tooMany: tail < SHORT_RUN_ALPHA };
}

/** The smallest one-sided p-value any data can give with n vs m observations: one split in C(n+m, n). */
export function smallestPValue(n: number, m: number): number {
  return 1 / choose(n + m, n);
}

/**
 * Whether the exact test can reject at all with n vs m observations: some data give p < alpha.
 * A result is significant when p < alpha (strictly), so 3 vs 3 (smallest p = 1/20 = 0.05) cannot
 * reach alpha 0.05 whatever the trials measure: every trial worse than every baseline trial gives
 * exactly p = 0.05.
 */
export function canReachAlpha(n: number, m: number, alpha: number): boolean {
  return n >= 1 && m >= 1 && smallestPValue(n, m) < alpha;
}

/** The regression comparison's significance level (src/verdicts/compare.ts), also what `validate` checks trials against. */
export const DEFAULT_ALPHA = 0.05;

/** Beyond this many trials the search below stops: alphas that need more are not sensible. */
const MAX_TRIALS_SEARCHED = 1000;

/**
 * The fewest trials n that can reach alpha against n of their own (the baseline recorded with the
 * same count): the first n with 1/C(2n, n) < alpha. 4 for alpha 0.05 (1/70), 5 for 0.01 (1/252).
 * Undefined when no n up to 1000 does (an alpha too small for any gate run).
 */
export function trialsToReachAlpha(alpha: number): number | undefined {
  for (let n = 1; n <= MAX_TRIALS_SEARCHED; n++) if (canReachAlpha(n, n, alpha)) return n;
  return undefined;
}

function pNumber(p: number): string {
  return String(+p.toPrecision(2));
}

/** Why a comparison of n trials against m could not fail, and what to change. */
export interface UnreachableAlpha {
  /** "with 3 trials against 3 the test cannot reach p < 0.05 (the smallest p it can give is 1/20 = 0.05): this comparison could not fail". */
  problem: string;
  /** "raise objectives.regression.trials to 4" (and/or record the baseline again). */
  fix: string;
  /** The smallest p-value the test can give, 1/splits; splits = C(n+m, n). */
  smallestP: number;
  splits: number;
}

/**
 * Undefined when the exact test can reach alpha with n trials against m baseline trials; else
 * what to say and what to do. `cannotReachAlphaText` joins the two with "; ".
 */
export function cannotReachAlpha(n: number, m: number, alpha: number, setting = 'objectives.regression.trials'): UnreachableAlpha | undefined {
  if (n < 1 || m < 1 || canReachAlpha(n, m, alpha)) return undefined;
  const splits = choose(n + m, n);
  const problem = `with ${n} trial${n === 1 ? '' : 's'} against ${m} the test cannot reach p < ${alpha} (the smallest p it can give is 1/${splits} = ${pNumber(1 / splits)}): this comparison could not fail`;
  // Enough trials of its own, too few in the baseline: recording the baseline again is the fix.
  const base = { problem, smallestP: 1 / splits, splits };
  if (canReachAlpha(n, n, alpha)) return { ...base, fix: `record the baseline again with --update-baseline (it has ${m} trial${m === 1 ? '' : 's'}, ${setting} is ${n})` };
  const need = trialsToReachAlpha(alpha);
  if (need === undefined) return { ...base, fix: `no number of trials up to ${MAX_TRIALS_SEARCHED} can reach p < ${alpha}: use a larger alpha` };
  return { ...base, fix: `raise ${setting} to ${need}${canReachAlpha(need, m, alpha) ? '' : ' and record the baseline again with --update-baseline'}` };
}

/** "with 3 trials against 3 the test cannot reach p < 0.05 (...): this comparison could not fail; raise objectives.regression.trials to 4", or undefined. */
export function cannotReachAlphaText(n: number, m: number, alpha: number, setting?: string): string | undefined {
  const u = cannotReachAlpha(n, m, alpha, setting);
  return u && `${u.problem}; ${u.fix}`;
}

export interface MannWhitneyResult {
  /** U of x: pairs (x, y) with x > y, plus half the tied pairs. 0..n·m. */
  u: number;
  /** One-sided p for H1 "x tends to be larger than y": P(U ≥ u) under H0. */
  pValue: number;
  n: number;
  m: number;
  /** Whether any pooled values were tied (mid-ranks used). */
  ties: boolean;
  /** 'exact' (counted), or 'normal' (approximation, only above EXACT_LIMIT observations in total). */
  method: 'exact' | 'normal';
}

/** Above this many observations in total the normal approximation (with tie correction) is used; it is accurate there. */
export const EXACT_LIMIT = 120;

/**
 * Exact one-sided Mann-Whitney U test: is x stochastically larger than y?
 * Needs at least one value on each side; values must be finite.
 */
export function mannWhitneyGreater(x: readonly number[], y: readonly number[], exactLimit = EXACT_LIMIT): MannWhitneyResult {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) throw new RangeError(`Mann-Whitney U needs values on both sides (got ${n} and ${m})`);
  for (const v of [...x, ...y]) if (!Number.isFinite(v)) throw new RangeError(`Mann-Whitney U needs finite values, got ${v}`);
  const ranks = midRanks([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < n; i++) rankSumX += ranks[i];
  const u = rankSumX - (n * (n + 1)) / 2;
  const ties = new Set(ranks).size < ranks.length;
  if (n + m > exactLimit) return { u, pValue: normalUpperTail(u, n, m, ranks), n, m, ties, method: 'normal' };
  return { u, pValue: exactUpperTail(ranks, n, rankSumX), n, m, ties, method: 'exact' };
}

/**
 * P(rank sum of a random n-subset ≥ observed), counting subsets of the pooled mid-ranks by
 * dynamic programming over (size, sum). Mid-ranks are multiples of 1/2, so doubled they are integers.
 */
function exactUpperTail(ranks: readonly number[], n: number, observedSum: number): number {
  const doubled = ranks.map((r) => Math.round(r * 2));
  const maxSum = doubled.reduce((a, b) => a + b, 0);
  // ways[k][s]: number of k-element subsets of the ranks seen so far whose doubled sum is s.
  const ways = Array.from({ length: n + 1 }, () => new Float64Array(maxSum + 1));
  ways[0][0] = 1;
  let reach = 0;
  for (const r of doubled) {
    reach += r;
    for (let k = n; k >= 1; k--) {
      const from = ways[k - 1];
      const to = ways[k];
      for (let s = reach; s >= r; s--) if (from[s - r] !== 0) to[s] += from[s - r];
    }
  }
  const threshold = Math.round(observedSum * 2);
  let atLeast = 0;
  let total = 0;
  const last = ways[n];
  for (let s = 0; s <= maxSum; s++) {
    total += last[s];
    if (s >= threshold) atLeast += last[s];
  }
  return atLeast / total;
}

/** Normal approximation of P(U ≥ u) with the tie-corrected variance and a continuity correction of 1/2. */
function normalUpperTail(u: number, n: number, m: number, ranks: readonly number[]): number {
  const big = n + m;
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of counts.values()) tieTerm += t ** 3 - t;
  const variance = ((n * m) / 12) * (big + 1 - tieTerm / (big * (big - 1)));
  if (variance === 0) return 1;
  const z = (u - (n * m) / 2 - 0.5) / Math.sqrt(variance);
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
