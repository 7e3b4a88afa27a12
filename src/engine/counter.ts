// Counters: how much a monotonically increasing counter grew, with restarts.
//
// A Prometheus counter only goes up while its process lives; when the process restarts it starts
// again from 0. PromQL's `increase`/`rate` treat any drop between two consecutive samples as such a
// reset: the counter is assumed to have gone to 0 and up to the new value, so the new value itself
// is the increase across the drop. Everything here follows that rule exactly.
//
// Two versions of "increase", and where they differ:
//
// - `increase` (plain) is the sum of the observed, reset-corrected steps between the first and the
//   last sample. It is exact for what was observed and additive: the increases of adjacent runs of
//   samples sum to the increase of the whole run. That is what the engine feeds into its rolling
//   windows, because a 28-day budget must be the sum of its minute buckets, and integer event counts
//   must stay integers.
// - `extrapolatedIncrease` is what PromQL's `increase(x[r])` returns. Prometheus only sees the
//   samples inside the range, so the events between the range start and the first sample, and
//   between the last sample and the range end, are missing from the plain difference. It estimates
//   them by stretching the observed slope towards the range edges (at most 1.1x the average sample
//   interval, else half an interval; never below the counter's own zero point). The result is
//   usually not an integer, and increases over adjacent ranges do not sum to the increase over their
//   union. The engine keeps it only to agree with Prometheus (the generated recording rules use
//   `increase`), never for budgets.

/** One sample of a series: timestamp in ms since the Unix epoch, and its value. */
export interface Sample {
  t: number;
  v: number;
}

/**
 * The increase of a counter from `prev` to `next`: a drop means the counter was reset (the process
 * restarted) and counted `next` from zero, so the increase is `next` itself. Never negative for
 * non-negative counter values.
 */
export function counterStep(prev: number, next: number): number {
  return next >= prev ? next - prev : next;
}

/**
 * Plain increase over a run of samples (ordered by time): the sum of reset-corrected steps,
 * no extrapolation. 0 for fewer than two samples: one sample says nothing about growth.
 */
export function increase(samples: readonly Sample[]): number {
  let sum = 0;
  for (let i = 1; i < samples.length; i++) sum += counterStep(samples[i - 1].v, samples[i].v);
  return sum;
}

/** Number of counter resets (drops) in a run of samples. */
export function resets(samples: readonly Sample[]): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i].v < samples[i - 1].v) n++;
  return n;
}

/**
 * An O(1)-per-sample increase tracker for a live stream (a scraper feeding the rolling window):
 * `observe` returns the reset-corrected increase since the previous value. The first value only
 * sets the baseline and returns 0, because a counter's absolute value includes everything counted
 * before we started watching.
 */
export class CounterTracker {
  private last: number | undefined;
  observe(value: number): number {
    const prev = this.last;
    this.last = value;
    return prev === undefined ? 0 : counterStep(prev, value);
  }
  /** Forget the baseline, e.g. when the target itself was replaced. */
  reset(): void {
    this.last = undefined;
  }
}

/**
 * PromQL `increase(x[range])` for a float counter: Prometheus' `extrapolatedRate` (promql/functions.go)
 * with isCounter=true, isRate=false.
 *
 * Samples are taken as Prometheus 3 selects them for a range ending at `rangeEnd`: those with
 * rangeStart < t <= rangeEnd (left-open). Returns undefined when fewer than two samples remain,
 * where Prometheus returns no value at all.
 */
export function extrapolatedIncrease(samples: readonly Sample[], rangeStart: number, rangeEnd: number): number | undefined {
  const inRange = samples.filter((s) => s.t > rangeStart && s.t <= rangeEnd);
  if (inRange.length < 2) return undefined;
  const first = inRange[0];
  const last = inRange[inRange.length - 1];

  // last - first, plus the value before every drop: identical to summing counterStep.
  let result = last.v - first.v;
  for (let i = 1; i < inRange.length; i++) {
    if (inRange[i].v < inRange[i - 1].v) result += inRange[i - 1].v;
  }

  // Prometheus works in seconds; ratios are unit-free, so ms give the same factor.
  let durationToStart = first.t - rangeStart;
  let durationToEnd = rangeEnd - last.t;
  const sampledInterval = last.t - first.t;
  // Two samples at one timestamp carry no slope (Prometheus never stores such duplicates).
  if (sampledInterval <= 0) return undefined;
  const averageInterval = sampledInterval / (inRange.length - 1);

  // "Close enough" to an edge is up to 10% more than the average spacing: then the series is
  // assumed to cover the range up to that edge. Further away, it is assumed to start (or end)
  // half a spacing beyond its first (last) sample.
  const threshold = averageInterval * 1.1;
  if (durationToStart >= threshold) durationToStart = averageInterval / 2;

  // A counter cannot be negative: if extrapolating backwards at the observed slope would cross
  // zero before the range start, stop at the zero point instead.
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }

  if (durationToEnd >= threshold) durationToEnd = averageInterval / 2;

  const factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  return result * factor;
}

/** PromQL `rate(x[range])`: the extrapolated increase per second of the range. */
export function extrapolatedRate(samples: readonly Sample[], rangeStart: number, rangeEnd: number): number | undefined {
  const inc = extrapolatedIncrease(samples, rangeStart, rangeEnd);
  return inc === undefined ? undefined : inc / ((rangeEnd - rangeStart) / 1000);
}
