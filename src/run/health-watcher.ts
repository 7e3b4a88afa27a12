// Watches the health endpoint through a run: how much of the time it said UP (the health weight of
// the availability composite), and whether it stopped answering at all.
//
// Probes run one after another, `intervalMs` apart from start to start (a probe that takes longer
// delays the next one; they never pile up). Each probe's state holds until the next probe starts,
// so the UP share is a share of time, honest also when slow probes make the spacing uneven.
//
// "Stopped answering" is K probes in a row without an HTTP answer (refused, reset, timed out). A
// service that answers 503 DOWN is answering: the gate measures it instead of calling it dead. The
// defaults (1 s apart, 5 s timeout, K = 3) notice a dead process within ~3 s (refused at once) and
// give a service saturated by the load ~15 s of silence before calling it unresponsive.
import { describeProbe, probeHealth, type FailingCheck, type HealthProbe, type HealthState } from './health.ts';
import type { HealthStats } from '../verdicts/health.ts';
import { TargetError } from './target-error.ts';

export interface HealthWatcherOptions {
  /** The health endpoint, e.g. http://127.0.0.1:8080/healthz. */
  url: string;
  /** Time from one probe's start to the next one's. Default 1000 ms. */
  intervalMs?: number;
  /** Timeout of one probe. Default 5000 ms. */
  timeoutMs?: number;
  /** Probes in a row without an answer that mean "stopped answering". Default 3. */
  failuresToUnresponsive?: number;
  /** Every probe as it completes (e.g. to feed the evaluator's health input). */
  onProbe?: (probe: HealthProbe) => void;
  /** Called once when the target stops answering, with a TargetError of kind 'unresponsive'. */
  onUnresponsive?: (error: TargetError) => void;
}

export type { HealthStats } from '../verdicts/health.ts';

export class HealthWatcher {
  readonly url: string;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly k: number;
  private readonly opts: HealthWatcherOptions;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private counts: Record<HealthState, number> = { up: 0, degraded: 0, down: 0, unreachable: 0 };
  private probes = 0;
  /** Time-weighted accounting: each probe's state holds from its start until the next probe's start. */
  private upMs = 0;
  private totalMs = 0;
  private current: { state: HealthState; since: number; probe: HealthProbe } | undefined;
  private liveMs = 0;
  private checkMs = { known: 0, liveness: 0, latency: 0, success: 0, dependencies: 0 };
  private failing = new Map<string, FailingCheck & { ms: number }>();
  private consecutive = 0;
  private lastProbe: HealthProbe | undefined;
  /** Each probe whose body said how far back its ratio checks look (one a probe interval: a few thousand at most). */
  private windows: Array<{ at: number; windowMs: number }> = [];
  private fired = false;
  private resolveUnresponsive!: (e: TargetError) => void;
  /** Resolves (never rejects) with the 'unresponsive' TargetError when the target stops answering. */
  readonly unresponsive: Promise<TargetError>;

  constructor(options: HealthWatcherOptions) {
    this.opts = options;
    this.url = options.url;
    this.intervalMs = options.intervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.k = options.failuresToUnresponsive ?? 3;
    if (!(this.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${this.intervalMs}`);
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${this.timeoutMs}`);
    if (!Number.isInteger(this.k) || this.k < 1) throw new RangeError(`failuresToUnresponsive must be a whole number of at least 1, got ${this.k}`);
    this.unresponsive = new Promise((resolve) => {
      this.resolveUnresponsive = resolve;
    });
  }

  /** Starts probing (the first probe at once). */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop();
    return this;
  }

  /** Stops probing; resolves once a probe in flight has been counted. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    this.closeSpan(performance.now());
  }

  /** True when the last probe said UP (false before the first one). */
  get lastUp(): boolean {
    return this.lastProbe?.state === 'up';
  }

  /**
   * True when the last probe reached a live process: the body's liveness check (the SDK's) or, for
   * a body that does not say, an answer UP or DEGRADED. False before the first probe.
   */
  get lastLive(): boolean {
    const p = this.lastProbe;
    if (p === undefined || p.state === 'unreachable') return false;
    return p.body?.live ?? (p.state === 'up' || p.state === 'degraded');
  }

  /** Share of the watched time the endpoint said UP; NaN before the first probe. */
  get upShare(): number {
    return this.stats().upShare;
  }

  /**
   * Starts the UP share afresh from now (the state seen last carries on), e.g. when the measured
   * phase begins after the warm-up. The unresponsive detection is not reset.
   */
  resetShare(): void {
    this.upMs = 0;
    this.totalMs = 0;
    this.probes = 0;
    this.counts = { up: 0, degraded: 0, down: 0, unreachable: 0 };
    this.liveMs = 0;
    this.checkMs = { known: 0, liveness: 0, latency: 0, success: 0, dependencies: 0 };
    this.failing = new Map();
    if (this.current) this.current.since = performance.now();
  }

  stats(): HealthStats {
    const now = performance.now();
    // The open span (the last probe's state, until now) counted on copies.
    const acc = { up: this.upMs, total: this.totalMs, live: this.liveMs, checks: { ...this.checkMs }, failing: new Map([...this.failing].map(([k, v]) => [k, { ...v }])) };
    if (this.current && this.running) this.account(acc, this.current.probe, now - this.current.since);
    const total = acc.total;
    const share = (ms: number, state: boolean) => (this.current === undefined ? NaN : total > 0 ? ms / total : state ? 1 : 0);
    const s: HealthStats = {
      probes: this.probes,
      counts: { ...this.counts },
      upShare: share(acc.up, this.current?.state === 'up'),
      liveShare: share(acc.live, this.current !== undefined && isLive(this.current.probe)),
      watchedMs: total,
      consecutiveFailures: this.consecutive,
      failing: [...acc.failing.values()].map((f) => ({ ...f, share: total > 0 ? f.ms / total : 0 })).sort((a, b) => b.ms - a.ms),
    };
    const c = acc.checks;
    if (c.known > 0) s.checkShares = { liveness: c.liveness / c.known, latency: c.latency / c.known, success: c.success / c.known, dependencies: c.dependencies / c.known };
    else if (this.current?.probe.body?.checks) {
      const b = this.current.probe.body.checks;
      s.checkShares = { liveness: +b.liveness, latency: +b.latency, success: +b.success, dependencies: +b.dependencies };
    }
    if (this.lastProbe) s.last = this.lastProbe;
    return s;
  }

  /** Adds `span` ms in which `p` held to the accumulators. */
  private account(acc: { up: number; total: number; live: number; checks: HealthWatcher['checkMs']; failing: HealthWatcher['failing'] }, p: HealthProbe, span: number): void {
    if (!(span > 0)) return;
    acc.total += span;
    if (p.state === 'up') acc.up += span;
    if (isLive(p)) acc.live += span;
    const checks = p.body?.checks;
    if (checks) {
      acc.checks.known += span;
      for (const k of ['liveness', 'latency', 'success', 'dependencies'] as const) if (checks[k]) acc.checks[k] += span;
    }
    if (p.state !== 'up' || (p.body?.failing.length ?? 0) > 0) {
      for (const f of p.body?.failing ?? []) {
        const prev = acc.failing.get(f.name);
        acc.failing.set(f.name, { ...f, ms: (prev?.ms ?? 0) + span });
      }
    }
  }

  private closeSpan(end: number): void {
    if (!this.current) return;
    const span = Math.max(0, end - this.current.since);
    const acc = { up: this.upMs, total: this.totalMs, live: this.liveMs, checks: this.checkMs, failing: this.failing };
    this.account(acc, this.current.probe, span);
    this.upMs = acc.up;
    this.totalMs = acc.total;
    this.liveMs = acc.live;
    this.current.since = end;
  }

  private loop(): void {
    if (!this.running) return;
    const started = performance.now();
    this.inFlight = probeHealth(this.url, this.timeoutMs).then((p) => {
      this.record(p, started);
      this.inFlight = undefined;
      if (!this.running) return;
      const wait = Math.max(0, this.intervalMs - (performance.now() - started));
      this.timer = setTimeout(() => this.loop(), wait);
    });
  }

  /**
   * The start (ms since the epoch) of the first probe whose body said its ratio checks look back
   * no further than `since` (probe time minus the body's windowMs): from then on the service's
   * windowed checks, and its availability gauge, judge only requests after `since`. Undefined when
   * no probe did, or no body said how far back it looks.
   */
  windowClearOf(since: number): number | undefined {
    return this.windows.find((w) => w.at - w.windowMs >= since)?.at;
  }

  /**
   * The window the service's ratio checks judge, as its bodies report it (sloctl/sdk and the Go
   * middleware report the lesser of their window and their uptime): the span two probes at
   * different times both reported is no longer growing, so it is the window (`settled`); before
   * that, the window is at least the longest span reported. Undefined when no body said.
   */
  get reportedWindow(): { ms: number; settled: boolean } | undefined {
    const max = this.windowMs;
    if (max === undefined) return undefined;
    const first = new Map<number, number>();
    for (const w of this.windows) if (!first.has(w.windowMs)) first.set(w.windowMs, w.at);
    for (let i = this.windows.length - 1; i > 0; i--) {
      const w = this.windows[i];
      if (first.get(w.windowMs)! < w.at) return { ms: w.windowMs, settled: true };
    }
    return { ms: max, settled: false };
  }

  /** The longest look-back any probe's body reported (ms); undefined when none said. */
  get windowMs(): number | undefined {
    return this.windows.length > 0 ? Math.max(...this.windows.map((w) => w.windowMs)) : undefined;
  }

  /**
   * Why probes go unanswered, as far as the last one tells: a refused connection is nothing
   * listening (the process exited or closed its listener: a hang or an overload still accepts
   * connections), and a liveness reason it gave before (the SDK's "draining: ...") says who ended it.
   */
  private silenceCause(p: HealthProbe): string {
    if (!/ECONNREFUSED/.test(p.error ?? '')) return `it may have hung, or be too overloaded to answer within ${this.timeoutMs / 1000}s: look at its log and its CPU`;
    const said = this.failing.get('liveness')?.reason;
    return said !== undefined
      ? `nothing listens there any more: the service closed its listener or exited, after its health said "liveness: ${said}" (something stopped it: a SIGTERM, a deploy); a run needs the service up throughout`
      : 'nothing listens there any more: the service exited or closed its listener; look at its log';
  }

  private record(p: HealthProbe, started: number): void {
    // The previous state held until this probe started; this one holds from its start on.
    this.closeSpan(started);
    if (p.body?.windowMs !== undefined) this.windows.push({ at: p.at, windowMs: p.body.windowMs });
    this.current = { state: p.state, since: started, probe: p };
    this.probes++;
    this.counts[p.state]++;
    this.lastProbe = p;
    this.consecutive = p.state === 'unreachable' ? this.consecutive + 1 : 0;
    this.opts.onProbe?.(p);
    if (this.consecutive >= this.k && !this.fired) {
      this.fired = true;
      const e = new TargetError(
        'unresponsive',
        `the target stopped answering: ${this.k} health probes of ${this.url} in a row got no answer (last: ${describeProbe(p)}); ${this.silenceCause(p)}`,
      );
      this.resolveUnresponsive(e);
      this.opts.onUnresponsive?.(e);
    }
  }
}

/** The process is live: the body's liveness check says so, or (a body that does not say) it answered UP or DEGRADED. */
export function isLive(p: HealthProbe): boolean {
  if (p.state === 'unreachable') return false;
  if (p.body?.live !== undefined) return p.body.live;
  return p.state === 'up' || p.state === 'degraded';
}
