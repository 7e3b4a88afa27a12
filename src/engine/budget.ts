// Budgeting methods and the error budget, as OpenSLO defines them.
//
// The SLI of an objective over a window is computed by one of three methods:
// - Occurrences: good events / total events. Every event weighs the same, so a busy hour counts
//   more than a quiet one.
// - Timeslices: the window is cut into slices (e.g. 1 minute); a slice is good when its own
//   good/total ratio meets the slice target (`timeSliceTarget`); the SLI is good slices / slices.
//   This is "available 99% of the minutes".
// - RatioTimeslices: the average of the slices' own ratios. A burst of failures inside a few
//   slices weighs by the time it lasted, not by how many requests it carried.
//
// Slices without events have no ratio. They are *unknown* and left out of both numerator and
// denominator (and counted, so a report can show coverage); treating them as good would let an
// outage that stopped all traffic look perfect.
//
// The error budget is the share of the window's events (or slices) allowed to be bad:
// allowed = (1 - objective) × eligible, consumed = bad, remaining = allowed - consumed. Remaining goes
// negative when the budget is overspent; it is not clamped, because "how far over" is what ranks
// the most urgent SLO first.

/** Good and total events of one time slice (a `WindowSum` fits). */
export interface SliceCounts {
  good: number;
  total: number;
}

export type BudgetingMethod = 'Occurrences' | 'Timeslices' | 'RatioTimeslices';

/** Occurrences: good / total; NaN when there were no events (unknown, not perfect). */
export function occurrencesRatio(good: number, total: number): number {
  return total > 0 ? good / total : NaN;
}

export interface TimesliceResult {
  /** The SLI: good slices / slices with events (Timeslices) or mean slice ratio (RatioTimeslices). */
  sli: number;
  goodSlices: number;
  badSlices: number;
  /** Slices without events: no ratio, left out. */
  unknownSlices: number;
  /**
   * What the slices spent of the error budget, in slices: the bad slices (Timeslices), or the sum
   * of (1 - ratio) over known slices (RatioTimeslices). Pass it to `errorBudget` with the number of
   * slices in the whole window as `eligible`.
   */
  bad: number;
}

/**
 * Timeslices: a slice is good when its ratio is >= `sliceTarget` (OpenSLO's `timeSliceTarget`;
 * `op: gt` in a contract can pass `strict: true` to require >).
 */
export function timeslicesRatio(slices: readonly SliceCounts[], sliceTarget: number, strict = false): TimesliceResult {
  let goodSlices = 0;
  let badSlices = 0;
  let unknownSlices = 0;
  for (const s of slices) {
    if (!(s.total > 0)) {
      unknownSlices++;
      continue;
    }
    const r = s.good / s.total;
    if (strict ? r > sliceTarget : r >= sliceTarget) goodSlices++;
    else badSlices++;
  }
  const known = goodSlices + badSlices;
  return { sli: known > 0 ? goodSlices / known : NaN, goodSlices, badSlices, unknownSlices, bad: badSlices };
}

/**
 * RatioTimeslices: the mean of the slices' own ratios. `goodSlices`/`badSlices` count slices whose
 * ratio is 1 / below 1, for the report.
 */
export function ratioTimeslicesRatio(slices: readonly SliceCounts[]): TimesliceResult {
  let sum = 0;
  let bad = 0;
  let known = 0;
  let goodSlices = 0;
  let unknownSlices = 0;
  for (const s of slices) {
    if (!(s.total > 0)) {
      unknownSlices++;
      continue;
    }
    const r = s.good / s.total;
    sum += r;
    bad += 1 - r;
    known++;
    if (r === 1) goodSlices++;
  }
  return { sli: known > 0 ? sum / known : NaN, goodSlices, badSlices: known - goodSlices, unknownSlices, bad };
}

export interface ErrorBudget {
  objective: number;
  /** Events (Occurrences) or slices (Timeslices) the budget is a share of. */
  eligible: number;
  /** (1 - objective) × eligible. */
  allowed: number;
  /** Bad events or bad slices so far. */
  consumed: number;
  /** allowed - consumed; negative when overspent. consumed + remaining = allowed. */
  remaining: number;
  /** remaining / allowed: 1 untouched, 0 exhausted, < 0 overspent; NaN when nothing is allowed or eligible. */
  remainingRatio: number;
}

/**
 * The error budget for `bad` out of `eligible`. For Occurrences `eligible` is the events counted
 * (or expected) in the window; for Timeslices it is the number of slices in the whole window — the
 * budget is fixed by the window's length, not by how much of it has elapsed.
 */
export function errorBudget(objective: number, eligible: number, bad: number): ErrorBudget {
  if (!(objective >= 0 && objective <= 1)) throw new RangeError(`objective must be in [0, 1], got ${objective}`);
  // eligible - objective × eligible rather than (1 - objective) × eligible: the product rounds at the
  // scale of `eligible`, so round inputs give round budgets (95% of 336,000 leaves exactly 16,800),
  // where 1 - 0.95 would carry 0.95's binary representation error into every budget.
  const allowed = eligible - objective * eligible;
  const remaining = allowed - bad;
  let remainingRatio: number;
  if (allowed > 0) remainingRatio = remaining / allowed;
  else remainingRatio = bad > 0 ? -Infinity : NaN; // a 100% objective, or no events: no budget to speak of
  return { objective, eligible, allowed, consumed: bad, remaining, remainingRatio };
}

/**
 * Burn rate: how many times faster than "exactly on budget" the window is spending its budget,
 * (bad / total) / (1 - objective). 1 means the budget would last exactly the SLO window; 14.4 means
 * a 30-day budget lasts 50 hours. NaN with no events: no traffic is unknown, not a burn of 0.
 */
export function burnRate(bad: number, total: number, objective: number): number {
  if (!(total > 0)) return NaN;
  return bad / total / (1 - objective);
}

/**
 * Time (ms) until the budget is gone if the current burn rate continues.
 *
 * At burn rate 1 a whole budget lasts exactly the SLO window, so the budget drains at
 * `burn / windowMs` of the full budget per ms, and what is left lasts
 * remainingRatio × windowMs / burn. Infinity at burn 0 (or below); 0 when nothing is left;
 * NaN when the burn rate is unknown.
 */
export function timeToExhaustion(remainingRatio: number, burn: number, windowMs: number): number {
  if (Number.isNaN(burn) || Number.isNaN(remainingRatio)) return NaN;
  if (remainingRatio <= 0) return 0;
  if (burn <= 0) return Infinity;
  return (remainingRatio * windowMs) / burn;
}

/** Share of the whole window's budget spent by burning at `burn` for `durationMs`. */
export function budgetShareConsumed(burn: number, durationMs: number, windowMs: number): number {
  return (burn * durationMs) / windowMs;
}
