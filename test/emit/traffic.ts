// Scripted traffic for `promtool test rules`: counters written one sample a minute from a
// per-minute event script, and the arithmetic Prometheus does on them, written out so a test can
// say when an alert must fire without asking Prometheus first.

/** Events during minute k, i.e. in (k-1, k] minutes, for k >= 1. */
export type PerMinute = (k: number) => number;

/** A counter's samples at minutes 0..minutes: c(0) = 0, c(m) = c(m-1) + events in minute m. */
export function cumulative(perMinute: PerMinute, minutes: number): number[] {
  const c = [0];
  for (let m = 1; m <= minutes; m++) c.push(c[m - 1] + perMinute(m));
  return c;
}

/**
 * promtool's expanding notation, compactly: runs with a constant step become `a+bxn` (n+1
 * values: a, a+b, ..., a+n·b), missing samples `_`. Exact for the integers these scripts produce.
 */
export function encodeValues(values: ReadonlyArray<number | undefined>): string {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    const v = values[i];
    if (v === undefined) {
      let j = i;
      while (j < values.length && values[j] === undefined) j++;
      out.push(j - i === 1 ? '_' : `_x${j - i}`);
      i = j;
      continue;
    }
    const next = values[i + 1];
    if (next === undefined || i + 1 >= values.length) {
      out.push(String(v));
      i++;
      continue;
    }
    const step = next - v;
    let j = i + 1;
    while (j + 1 < values.length && values[j + 1] !== undefined && values[j + 1]! - values[j]! === step) j++;
    const n = j - i;
    out.push(step >= 0 ? `${v}+${step}x${n}` : `${v}-${-step}x${n}`);
    i = j + 1;
  }
  return out.join(' ');
}

/**
 * rate() (per minute) of a counter sampled every minute, over a window of `w` minutes ending at
 * minute t, as Prometheus computes it:
 *
 * - Prometheus 2: the range is [t-w, t], closed. It holds the samples at t-w, ..., t; the first
 *   sits on the range start and the last on its end, so there is nothing to extrapolate:
 *   rate = (c(t) - c(t-w)) / w, the events of minutes t-w+1 .. t.
 * - Prometheus 3: the range is (t-w, t], left-open. It holds t-w+1, ..., t: the samples span
 *   w-1 minutes and the range start is one sample interval (< 1.1 intervals) before the first,
 *   so the increase is extrapolated to the whole window: rate = (c(t) - c(t-w+1)) / (w-1).
 *
 * The scripts start every counter at 0 a whole window before anything is asked of it, so the
 * counter-start and zero-clamp cases of the extrapolation never apply.
 */
export function ratePerMinute(c: readonly number[], t: number, w: number, leftOpen: boolean): number {
  if (t - w < 0) throw new Error(`window ${w}m at ${t}m reaches before the script starts`);
  return leftOpen ? (c[t] - c[t - w + 1]) / (w - 1) : (c[t] - c[t - w]) / w;
}

/** The first minute in [from, to] at which `cond` holds, or undefined. */
export function firstMinute(from: number, to: number, cond: (t: number) => boolean): number | undefined {
  for (let t = from; t <= to; t++) if (cond(t)) return t;
  return undefined;
}

/** Distance of x from the nearest integer: a fixture whose threshold sits on a tie is rejected. */
export function offInteger(x: number): number {
  return Math.abs(x - Math.round(x));
}
