// The faults in effect in this process: apply, remove, list, reset, and expiry.
//
// Every fault has a maximum duration: the caller's `durationMs` (default 60 s), cut to the
// service's cap (default 5 min). An unref'd timer removes it then, so a runner that died mid-drill
// (kill -9 of sloctl) leaves nothing behind past that: the service needs no one to clean up.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cpuBurn } from './cpu-burn.ts';
import { eventLoopBlock } from './event-loop-block.ts';
import { FaultParamError, type FaultDefinition, type RunningFault } from './fault.ts';
import { handleLeak } from './handle-leak.ts';
import { memoryLeak } from './memory-leak.ts';
import {
  DEFAULT_DURATION_MS, DEFAULT_MAX_DURATION_MS, FAULT_NAMES, MAX_MAX_DURATION_MS,
  type FaultCounters, type FaultList, type FaultName, type FaultState,
} from './types.ts';
import { unsettledPromises } from './unsettled-promises.ts';

export const FAULTS: Readonly<Record<FaultName, FaultDefinition<unknown>>> = {
  'event-loop-block': eventLoopBlock as FaultDefinition<unknown>,
  'memory-leak': memoryLeak as FaultDefinition<unknown>,
  'handle-leak': handleLeak as FaultDefinition<unknown>,
  'unsettled-promises': unsettledPromises as FaultDefinition<unknown>,
  'cpu-burn': cpuBurn as FaultDefinition<unknown>,
};

/** Too many faults at once: the endpoint answers 409. */
export class TooManyFaultsError extends Error {
  override name = 'TooManyFaultsError';
}

export interface RunnerOptions {
  /** The longest a fault may last (ms). Default 300000 (5 min); at most 1 h. */
  maxDurationMs?: number;
  /** Faults in effect at once. Default 16. */
  maxFaults?: number;
}

interface Active {
  id: string;
  fault: FaultName;
  params: Record<string, number | string>;
  startedAt: number;
  expiresAt: number;
  durationMs: number;
  requestedDurationMs: number | undefined;
  running: RunningFault;
  expiry: NodeJS.Timeout;
}

export class FaultRunner {
  readonly maxDurationMs: number;
  readonly maxFaults: number;
  private readonly active = new Map<string, Active>();
  /** Running faults that hold requests: checked once per request by the adapters. */
  private holders: RunningFault[] = [];
  /** Faults that ended (removal, expiry), for the last word on each: their counters stay live, so a caller sees the release finish (sockets closed, workers exited). */
  private readonly ended = new Map<string, { state: FaultState; running: RunningFault }>();

  constructor(opts: RunnerOptions = {}) {
    const max = opts.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
    if (!Number.isInteger(max) || max < 1000 || max > MAX_MAX_DURATION_MS) {
      throw new RangeError(`sloctl: drill.maxDurationMs must be a whole number of ms from 1000 to ${MAX_MAX_DURATION_MS} (1 h), got ${max}`);
    }
    this.maxDurationMs = max;
    this.maxFaults = opts.maxFaults ?? 16;
  }

  /**
   * Starts a fault. Throws FaultParamError (bad fault name, parameter or duration) or
   * TooManyFaultsError; the state says the duration in effect.
   */
  apply(fault: unknown, params: unknown = {}, durationMs?: unknown): FaultState {
    if (typeof fault !== 'string' || !(FAULT_NAMES as readonly string[]).includes(fault)) {
      throw new FaultParamError(`unknown fault ${JSON.stringify(fault)}: the in-process faults are ${FAULT_NAMES.join(', ')}`);
    }
    const def = FAULTS[fault as FaultName];
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new FaultParamError(`${fault}: "params" must be an object`);
    if (durationMs !== undefined && (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs <= 0)) {
      throw new FaultParamError(`"durationMs" must be a positive number of milliseconds, got ${JSON.stringify(durationMs)}`);
    }
    const parsed = def.parse(params as Record<string, unknown>);
    if (this.active.size >= this.maxFaults) throw new TooManyFaultsError(`${this.active.size} faults are in effect, the most this service allows (remove one, or POST reset)`);
    const requested = durationMs === undefined ? DEFAULT_DURATION_MS : Math.ceil(durationMs as number);
    const duration = Math.min(requested, this.maxDurationMs);
    const startedAt = Date.now();
    const deadline = performance.now() + duration;
    const running = def.start(parsed, { deadline });
    const id = `${fault}-${randomBytes(4).toString('hex')}`;
    const expiry = setTimeout(() => this.end(id, 'expired'), duration);
    expiry.unref();
    const a: Active = {
      id, fault: fault as FaultName, params: parsed as Record<string, number | string>, startedAt, expiresAt: startedAt + duration,
      durationMs: duration, requestedDurationMs: requested > duration ? requested : undefined, running, expiry,
    };
    this.active.set(id, a);
    if (running.hold !== undefined) this.holders = [...this.holders, running];
    return this.stateOf(a, true);
  }

  /** Removes a fault: its final state, or undefined when no such fault is in effect. */
  remove(id: string): FaultState | undefined {
    return this.end(id, 'removed');
  }

  /** Removes every fault; their final states. */
  reset(): FaultState[] {
    return [...this.active.keys()].map((id) => this.end(id, 'reset')).filter((s): s is FaultState => s !== undefined);
  }

  get(id: string): FaultState | undefined {
    const a = this.active.get(id);
    if (a !== undefined) return this.stateOf(a, true);
    const e = this.ended.get(id);
    return e === undefined ? undefined : { ...e.state, counters: e.running.counters() };
  }

  list(): FaultList {
    return {
      faults: [...this.active.values()].map((a) => this.stateOf(a, true)),
      available: [...FAULT_NAMES],
      defaultDurationMs: Math.min(DEFAULT_DURATION_MS, this.maxDurationMs),
      maxDurationMs: this.maxDurationMs,
    };
  }

  get size(): number {
    return this.active.size;
  }

  /** The faults in effect per kind (for the gauge). */
  countsByFault(): Record<FaultName, number> {
    const out = Object.fromEntries(FAULT_NAMES.map((f) => [f, 0])) as Record<FaultName, number>;
    for (const a of this.active.values()) out[a.fault]++;
    return out;
  }

  /** Promises pending now under unsettled-promises faults. */
  get unsettled(): number {
    let n = 0;
    for (const a of this.active.values()) {
      const c = a.running.counters().pending;
      if (a.fault === 'unsettled-promises' && typeof c === 'number') n += c;
    }
    return n;
  }

  /** For adapters, per request: a promise to await before the handler, or undefined (almost always). */
  hold(): Promise<void> | undefined {
    const hs = this.holders;
    if (hs.length === 0) return undefined;
    for (const h of hs) {
      const p = h.hold!();
      if (p !== undefined) return p;
    }
    return undefined;
  }

  private end(id: string, why: 'removed' | 'expired' | 'reset'): FaultState | undefined {
    const a = this.active.get(id);
    if (a === undefined) return undefined;
    this.active.delete(id);
    clearTimeout(a.expiry);
    if (a.running.hold !== undefined) this.holders = this.holders.filter((h) => h !== a.running);
    let counters: FaultCounters;
    try {
      counters = a.running.counters();
    } finally {
      a.running.stop();
    }
    const state: FaultState = { ...this.stateOf(a, false, counters), ended: why };
    this.ended.set(id, { state, running: a.running });
    // The last word on a few ended faults, not a history.
    if (this.ended.size > 64) this.ended.delete(this.ended.keys().next().value as string);
    return state;
  }

  private stateOf(a: Active, active: boolean, counters: FaultCounters = a.running.counters()): FaultState {
    return {
      id: a.id, fault: a.fault, params: { ...a.params },
      startedAt: new Date(a.startedAt).toISOString(), expiresAt: new Date(a.expiresAt).toISOString(),
      durationMs: a.durationMs,
      ...(a.requestedDurationMs !== undefined ? { requestedDurationMs: a.requestedDurationMs } : {}),
      active, counters,
    };
  }
}
