// What every in-process fault is: parameters checked up front (a bad one is a 400 naming the
// parameter and its bounds), then a start that takes resources and returns how to give every one
// of them back. Timers a fault runs on are unref'd: a fault never keeps a process alive by itself
// (what it leaks on purpose, like the handle leak's timers, may).
import type { FaultCounters, FaultName } from './types.ts';

/** A parameter the caller got wrong: the endpoint answers 400 with this message. */
export class FaultParamError extends Error {
  override name = 'FaultParamError';
}

export interface RunningFault {
  /** Gives back everything the fault took. Called once. */
  stop(): void;
  /** Counters for the list (blocks done, bytes held, handles open, ...). */
  counters(): FaultCounters;
  /**
   * For faults that hold requests (unsettled-promises): a promise this request awaits before its
   * handler runs, or undefined to let it through. Adapters call it once per request.
   */
  hold?(): Promise<void> | undefined;
}

export interface FaultContext {
  /** performance.now() at which the fault must be gone (its expiry). */
  deadline: number;
}

export interface FaultDefinition<P> {
  name: FaultName;
  /** Checks and completes the caller's parameters (defaults filled in). */
  parse(raw: Record<string, unknown>): P;
  start(params: P, ctx: FaultContext): RunningFault;
}

type Raw = Record<string, unknown>;

/** Refuses parameters the fault does not know (a typo must not silently become the default). */
export function onlyKnown(fault: FaultName, raw: Raw, known: readonly string[]): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new FaultParamError(`${fault}: unknown parameter "${k}" (it takes: ${known.join(', ')})`);
  }
}

/** A finite number in [min, max] (or the default when absent). */
export function num(fault: FaultName, raw: Raw, key: string, dflt: number, min: number, max: number, opts: { integer?: boolean; exclusiveMin?: boolean } = {}): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FaultParamError(`${fault}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  if (opts.integer && !Number.isInteger(v)) throw new FaultParamError(`${fault}: "${key}" must be a whole number, got ${v}`);
  const low = opts.exclusiveMin ? v <= min : v < min;
  if (low || v > max) throw new FaultParamError(`${fault}: "${key}" must be ${opts.exclusiveMin ? 'above' : 'at least'} ${min} and at most ${max}, got ${v}`);
  return v;
}

export function oneOf<T extends string>(fault: FaultName, raw: Raw, key: string, dflt: T, allowed: readonly T[]): T {
  const v = raw[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new FaultParamError(`${fault}: "${key}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Spreads `perSecond` over ticks of `tickMs`, carrying fractions, so 0.5/s leaks one every 2 s. */
export class RateAccumulator {
  private carry = 0;
  private last: number;
  constructor(private readonly perSecond: number, now: number) {
    this.last = now;
  }
  /** Whole units due since the previous call. */
  due(now: number): number {
    this.carry += ((now - this.last) / 1000) * this.perSecond;
    this.last = now;
    const n = Math.floor(this.carry);
    this.carry -= n;
    return n;
  }
}
