// Flag values parsed with the contract's own unit rules, and errors that name the flag and say
// exactly what is wrong with the value: a number that is 0 or negative where that means nothing
// is told it must be greater than 0, not that it is not a number. Shared by every command that
// takes durations, rates and counts.
import { DURATION_HELP, parseDuration, parseRate } from '../contract/units.ts';
import { UsageError } from './exit.ts';

/**
 * The number a value spells as typed, before any unit: "500", "-1", "1.5", "+3" (so a negative
 * or fractional value can be told what is wrong with it); NaN and Infinity too, by name. Anything
 * else (units, words, "1e3") is undefined.
 */
function typedNumber(s: string): number | undefined {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s);
  if (/^[+-]?(infinity|inf)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  return undefined;
}

/** `--timeout 10s` -> 10000. */
export function durationFlag(name: string, text: string): number {
  return duration(name, text, false);
}

/** `--warmup 0`, `0s`, `0ms` -> 0 (a duration may not be zero in the contract, but "no warm-up" is); else as durationFlag. */
export function durationOrZeroFlag(name: string, text: string): number {
  return duration(name, text, true);
}

function duration(name: string, text: string, zeroIsNone: boolean): number {
  const s = text.trim();
  const m = /^(.*?)(ms|s|m|h|d|w)?$/.exec(s)!;
  const n = typedNumber(m[1]);
  if (zeroIsNone && n === 0) return 0;
  const p = parseDuration(text);
  if (p.ok) return p.value;
  // A number with a unit, or a bare one: say what is wrong with it rather than how to write one.
  if (n !== undefined) {
    if (Number.isNaN(n)) throw new UsageError(`--${name}: ${m[1]} is not a number: write ${DURATION_HELP}`);
    if (n <= 0) throw new UsageError(`--${name}: must be ${zeroIsNone ? '0 (none) or more' : 'greater than 0'}, got ${s}`);
    if (!Number.isFinite(n)) throw new UsageError(`--${name}: must be finite, got ${s}`);
    if (m[2] === undefined) throw new UsageError(`--${name}: ${s} has no unit: write ${s}s, ${s}ms or ${s}m (${DURATION_HELP})`);
  }
  throw new UsageError(`--${name}: ${p.message}`);
}

/** `--rate 500`, `500/s`, `6000/m` -> per second; `max` when `allowMax`. */
export function rateFlag(name: string, text: string, allowMax = false): number | 'max' {
  const s = text.trim();
  if (allowMax && s === 'max') return 'max';
  const expected = `a number of requests per second (500), a rate (500/s, 6000/m)${allowMax ? ' or max' : ''}`;
  // "0", "-5", "0/s", "-5/m", "Infinity": numbers, with what is wrong with them.
  const m = /^(.*?)(\/(s|m|h))?$/.exec(s)!;
  const n = typedNumber(m[1]);
  if (n !== undefined) {
    if (Number.isNaN(n)) throw new UsageError(`--${name}: ${m[1]} is not a number: expected ${expected}`);
    if (n <= 0) throw new UsageError(`--${name}: must be greater than 0 requests per second, got ${s}`);
    if (!Number.isFinite(n)) throw new UsageError(`--${name}: must be finite, got ${s}${allowMax ? ' (for as fast as the connections allow, use max: the closed model)' : ''}`);
    if (m[2] === undefined) return n;
    const p = parseRate(s);
    if (p.ok) return p.value;
  }
  if (s === 'max') throw new UsageError(`--${name}: max (the closed model) is not accepted here: expected a number of requests per second (500) or a rate (500/s, 6000/m)`);
  throw new UsageError(`--${name}: expected ${expected}, got ${JSON.stringify(text)}`);
}

/**
 * A whole number within [min, max]. `why` says why the bounds are what they are, after the
 * message of a value outside them ("an increase needs two scrapes").
 */
export function intFlag(name: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER, why?: string): number {
  const s = text.trim();
  const n = typedNumber(s);
  const bounded = max !== Number.MAX_SAFE_INTEGER;
  const range = bounded ? `from ${min} to ${max}` : `of at least ${min}`;
  const because = why === undefined ? '' : ` (${why})`;
  if (n === undefined) throw new UsageError(`--${name}: expected a whole number ${range}, got ${JSON.stringify(text)}`);
  if (Number.isNaN(n)) throw new UsageError(`--${name}: ${s} is not a number: expected a whole number ${range}`);
  if (n < min) throw new UsageError(`--${name}: must be at least ${min}${because}, got ${s}`);
  if (!bounded && !Number.isFinite(n)) throw new UsageError(`--${name}: must be finite, got ${s}`);
  if (n > max) throw new UsageError(`--${name}: must be at most ${max}${because}, got ${s}`);
  if (!Number.isInteger(n)) throw new UsageError(`--${name}: must be a whole number${bounded ? ` from ${min} to ${max}` : ''}, got ${s}`);
  // "+3", "007", "-0": the number they spell.
  return n === 0 ? 0 : n;
}
