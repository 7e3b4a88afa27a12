// Flag values parsed with the contract's own unit rules, and errors that name the flag and say
// what was expected. Shared by every command that takes durations, rates and counts.
import { parseDuration, parseRate } from '../contract/units.ts';
import { UsageError } from './exit.ts';

/** `--timeout 10s` -> 10000. */
export function durationFlag(name: string, text: string): number {
  const p = parseDuration(text);
  if (!p.ok) throw new UsageError(`--${name}: ${p.message}`);
  return p.value;
}

/** `--warmup 0`, `0s`, `0ms` -> 0 (a duration may not be zero in the contract, but "no warm-up" is); else as durationFlag. */
export function durationOrZeroFlag(name: string, text: string): number {
  if (/^0+(\.0+)?(ms|s|m|h)?$/.test(text.trim())) return 0;
  return durationFlag(name, text);
}

/** `--rate 500`, `500/s`, `6000/m` -> per second; `max` when `allowMax`. */
export function rateFlag(name: string, text: string, allowMax = false): number | 'max' {
  const s = text.trim();
  if (allowMax && s === 'max') return 'max';
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) {
    const n = Number(s);
    if (n > 0) return n;
  } else {
    const p = parseRate(s);
    if (p.ok) return p.value;
  }
  throw new UsageError(`--${name}: expected a number of requests per second (500), a rate (500/s, 6000/m)${allowMax ? ' or max' : ''}, got ${JSON.stringify(text)}`);
}

/** A whole number within [min, max]. */
export function intFlag(name: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const s = text.trim();
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name}: expected a whole number ${range}, got ${JSON.stringify(text)}`);
  }
  return n;
}
