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
import { describeProbe, probeHealth, type HealthProbe, type HealthState } from './health.ts';
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

export interface HealthStats {
  probes: number;
  /** Probes by state. */
  counts: Record<HealthState, number>;
  /** Share of the watched time the endpoint said UP, 0..1; NaN before the first probe completed. */
  upShare: number;
  /** Milliseconds of watched time (from the first probe's start to the last probe's end or now). */
  watchedMs: number;
  consecutiveFailures: number;
  last?: HealthProbe;
}

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
  private current: { state: HealthState; since: number } | undefined;
  private consecutive = 0;
  private lastProbe: HealthProbe | undefined;
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
    if (this.current) this.current.since = performance.now();
  }

  stats(): HealthStats {
    const now = performance.now();
    let up = this.upMs;
    let total = this.totalMs;
    if (this.current && this.running) {
      const open = now - this.current.since;
      total += open;
      if (this.current.state === 'up') up += open;
    }
    const s: HealthStats = {
      probes: this.probes,
      counts: { ...this.counts },
      upShare: this.current === undefined ? NaN : total > 0 ? up / total : this.current.state === 'up' ? 1 : 0,
      watchedMs: total,
      consecutiveFailures: this.consecutive,
    };
    if (this.lastProbe) s.last = this.lastProbe;
    return s;
  }

  private closeSpan(end: number): void {
    if (!this.current) return;
    const span = Math.max(0, end - this.current.since);
    this.totalMs += span;
    if (this.current.state === 'up') this.upMs += span;
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

  private record(p: HealthProbe, started: number): void {
    // The previous state held until this probe started; this one holds from its start on.
    this.closeSpan(started);
    this.current = { state: p.state, since: started };
    this.probes++;
    this.counts[p.state]++;
    this.lastProbe = p;
    this.consecutive = p.state === 'unreachable' ? this.consecutive + 1 : 0;
    this.opts.onProbe?.(p);
    if (this.consecutive >= this.k && !this.fired) {
      this.fired = true;
      const e = new TargetError(
        'unresponsive',
        `the target stopped answering: ${this.k} health probes of ${this.url} in a row got no answer (last: ${describeProbe(p)}); ` +
          `it may have hung, or be too overloaded to answer within ${this.timeoutMs / 1000}s: look at its log and its CPU`,
      );
      this.resolveUnresponsive(e);
      this.opts.onUnresponsive?.(e);
    }
  }
}
