// A declared dependency's live state, as the health composite and `sloctl_dependency_up` read it.
//
// Fed by a circuit breaker (anything shaped like opossum's: `opened`, and `halfOpen` if it has
// one), by a check function (`() => boolean | Promise<boolean>`, run with a timeout when health is
// asked for), or both: the dependency is down when the breaker is open or the check fails.
// Nothing attached: "unknown" (reported, not counted against the service).
import type { Dependency } from '../contract/schema.ts';
import type { DependencyState } from './core/health.ts';

/** The part of an opossum CircuitBreaker the SDK reads. */
export interface BreakerLike {
  readonly opened: boolean;
  readonly halfOpen?: boolean;
}

export type DependencyCheck = () => boolean | Promise<boolean>;

export interface CheckOptions {
  /** A check slower than this fails (ms). Default 1000. */
  timeoutMs?: number;
}

export class DependencyHandle {
  readonly name: string;
  readonly critical: boolean;
  /**
   * True while the service is in degraded mode (the drift responder's `degrade` action, or
   * sdk.degrade()) and this dependency is not critical: call its fallback instead of it.
   */
  useFallback = false;
  private breakers: BreakerLike[] = [];
  private checkFn: DependencyCheck | undefined;
  private checkTimeoutMs = 1000;

  constructor(readonly declared: Dependency) {
    this.name = declared.name;
    this.critical = declared.critical;
  }

  /** Report this dependency's state from a circuit breaker (opossum or alike). */
  breaker(b: BreakerLike): this {
    if (typeof b !== 'object' || b === null || !('opened' in b)) {
      throw new TypeError(`sloctl: dependency("${this.name}").breaker() expects a circuit breaker with an \`opened\` property (opossum's CircuitBreaker)`);
    }
    this.breakers.push(b);
    return this;
  }

  /** Report this dependency's state from a check run when health is asked for. */
  check(fn: DependencyCheck, opts: CheckOptions = {}): this {
    if (typeof fn !== 'function') throw new TypeError(`sloctl: dependency("${this.name}").check() expects a function returning a boolean`);
    this.checkFn = fn;
    this.checkTimeoutMs = opts.timeoutMs ?? 1000;
    return this;
  }

  async state(): Promise<DependencyState> {
    const base = { name: this.name, critical: this.critical };
    let breaker: DependencyState['breaker'];
    for (const b of this.breakers) {
      const s = b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed';
      if (breaker === undefined || s === 'open' || (s === 'half-open' && breaker === 'closed')) breaker = s;
    }
    if (breaker === 'open') return { ...base, state: 'down', breaker, reason: 'circuit breaker open' };
    if (this.checkFn === undefined) return { ...base, state: breaker ? 'up' : 'unknown', ...(breaker ? { breaker } : {}) };
    const result = await runCheck(this.checkFn, this.checkTimeoutMs);
    return { ...base, state: result.ok ? 'up' : 'down', ...(breaker ? { breaker } : {}), ...(result.reason ? { reason: result.reason } : {}) };
  }
}

async function runCheck(fn: DependencyCheck, timeoutMs: number): Promise<{ ok: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<{ ok: boolean; reason: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `check timed out after ${timeoutMs}ms` }), timeoutMs);
      timer.unref?.();
    });
    const run = Promise.resolve().then(fn).then((v) => (v === true ? { ok: true } : { ok: false, reason: 'check returned false' }));
    return await Promise.race([run, timeout]);
  } catch (err) {
    return { ok: false, reason: `check threw: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
