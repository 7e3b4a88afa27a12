// The drift responder: every `interval` it reads the contract's drift signals (signals.ts), feeds
// them to the pure decision (decide.ts), and takes or lifts the contract's action:
//
//   shed     sdk.admission.shed(true, reason): the limiter sheds, lowest business weight first
//   degrade  health DEGRADED, and non-critical dependencies' `useFallback` true (user code reads it)
//   drain    the graceful drain of the server given to sdk.serve(), then exit 0 (never relaxed)
//
// Each action and each relaxation is one JSON line (stderr by default) and moves the metrics
// sloctl_drift_action{action} (1 while in force) and sloctl_drift_actions_total{action,signal}.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Contract } from '../../contract/schema.ts';
import { formatDuration } from '../../contract/units.ts';
import { evaluateDrift, initialDriftState, probeAfterMs, RELAX_FACTOR, type DriftEvent, type DriftSignalSpec, type DriftState } from './decide.ts';
import { signalReader, type DriftSources, type SignalReader } from './signals.ts';

export type DriftAction = 'shed' | 'degrade' | 'drain';

export const DRIFT_METRICS = {
  action: { name: 'sloctl_drift_action', help: 'The drift responder\'s action: 1 while it is in force, else 0.' },
  actions: { name: 'sloctl_drift_actions_total', help: 'Drift actions taken, by action and the signal that caused them.' },
  drainServer: { name: 'sloctl_drain_server', help: 'With the drain action: 1 when a server was given to sdk.serve(), so a drain stops accepting, finishes the requests in flight and exits; 0 when a drain can only turn health DOWN.' },
} as const;

export interface DriftLogLine {
  time: string;
  /** drift-error: an evaluation failed (a reader threw); nothing was acted on. */
  event: 'drift-action' | 'drift-relax' | 'drift-error';
  action: DriftAction;
  /** The signal that tripped (act) or the first tripped one that recovered (relax). */
  signal: string;
  value: number | null;
  threshold: number;
  /** Every signal's last value (null: no evidence), by signal name. */
  values: Record<string, number | null>;
  reason: string;
}

export interface DriftOptions {
  /** Where the JSON lines go. Default: one line on stderr each. */
  log?: (line: DriftLogLine) => void;
  /** Overrides the contract's interval (ms). */
  intervalMs?: number;
  /** Hysteresis: a tripped signal recovers under threshold × this. Default 0.9. */
  relaxFactor?: number;
  /** Do not start the timer (call evaluate() yourself, e.g. in a test). Default true. */
  autoStart?: boolean;
}

/** What the responder does to the service (the Sdk implements it). */
export interface DriftEffects {
  shed(on: boolean, reason: string): void;
  degrade(on: boolean, reason: string): void;
  drain(reason: string): void;
}

const UNIT: Record<string, (v: number) => string> = {
  latency: (v) => formatDuration(Math.round(v * 10) / 10),
  eventLoopDelay: (v) => formatDuration(Math.round(v * 10) / 10),
  errors: (v) => `${+(v * 100).toPrecision(4)}%`,
  eventLoopUtilization: (v) => `${+(v * 100).toPrecision(4)}%`,
  heap: (v) => `${+(v / 1024 / 1024).toFixed(1)}MiB`,
  inFlight: (v) => String(v),
};

/** A reading for the JSON line: 3 decimals are plenty (497.872 ms, not 497.8723404255319). */
function rounded(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 1000) / 1000;
}

export class DriftResponder {
  readonly action: DriftAction;
  readonly intervalMs: number;
  readonly specs: readonly DriftSignalSpec[];
  private state: DriftState;
  private readonly readers: SignalReader[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DriftEvent | undefined> | undefined;
  private readonly log: (line: DriftLogLine) => void;
  private readonly relaxFactor: number;
  private readonly gauge: Gauge;
  private readonly counter: Counter;

  constructor(drift: NonNullable<Contract['objectives']['drift']>, sources: DriftSources, private readonly effects: DriftEffects, registry: Registry, opts: DriftOptions = {}) {
    this.action = drift.action;
    this.intervalMs = opts.intervalMs ?? drift.interval;
    if (!(this.intervalMs > 0)) throw new RangeError(`sloctl: the drift interval must be > 0 ms, got ${String(this.intervalMs)}`);
    this.specs = drift.signals.map((s) => ({ signal: s.signal, threshold: s.threshold, evaluations: s.evaluations }));
    this.readers = drift.signals.map((s) => signalReader(s, sources));
    this.state = initialDriftState(this.specs);
    this.relaxFactor = opts.relaxFactor ?? RELAX_FACTOR;
    this.log = opts.log ?? ((line) => process.stderr.write(`${JSON.stringify(line)}\n`));
    this.gauge = new Gauge({ name: DRIFT_METRICS.action.name, help: DRIFT_METRICS.action.help, labelNames: ['action'], registers: [registry] });
    this.gauge.set({ action: this.action }, 0);
    this.counter = new Counter({ name: DRIFT_METRICS.actions.name, help: DRIFT_METRICS.actions.help, labelNames: ['action', 'signal'], registers: [registry] });
    for (const s of this.specs) this.counter.inc({ action: this.action, signal: s.signal }, 0);
    if (opts.autoStart ?? true) this.start();
  }

  /** The action is in force. */
  get active(): boolean {
    return this.state.active;
  }

  start(): void {
    if (this.timer !== undefined) return;
    // unref: the responder never keeps a process alive on its own.
    this.timer = setInterval(() => void this.evaluate().catch((err) => this.log({
      time: new Date().toISOString(), event: 'drift-error', action: this.action, signal: '', value: null, threshold: 0, values: {},
      reason: `the drift evaluation failed: ${err instanceof Error ? err.message : String(err)}`,
    })), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const r of this.readers) r.stop?.();
  }

  /** One evaluation now (the timer calls it every interval); returns what it did, if anything. */
  evaluate(): Promise<DriftEvent | undefined> {
    // Never two at once: a slow read (a busy loop) must not stack evaluations.
    this.running ??= this.evaluateOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async evaluateOnce(): Promise<DriftEvent | undefined> {
    const readings = await Promise.all(this.readers.map((r) => r.read()));
    const { state, event } = evaluateDrift(this.specs, this.state, readings, Date.now(), { relaxFactor: this.relaxFactor, irreversible: this.action === 'drain', probeAfterMs: probeAfterMs(this.intervalMs) });
    this.state = state;
    if (event === undefined) return undefined;
    const spec = this.specs[event.signal];
    const fmt = UNIT[spec.signal] ?? String;
    const values = Object.fromEntries(this.specs.map((s, i) => [s.signal, rounded(state.signals[i].value)]));
    const reason = event.kind === 'act'
      ? `${spec.signal} ${fmt(event.value)} > ${fmt(spec.threshold)} for ${spec.evaluations} consecutive evaluations (every ${formatDuration(this.intervalMs)})${event.cameBackAfterMs !== undefined ? `; back ${formatDuration(event.cameBackAfterMs)} after it was lifted, so the next lift waits ${event.holdFactor} × ${spec.evaluations} evaluations under the relax line` : ''}`
      : event.probeAfterWithheldMs !== undefined
        ? `${spec.signal} had no evidence for ${Math.round(event.probeAfterWithheldMs / 1000)} s: the action answered every request of its routes itself, so none was served to measure; relaxing to probe (it comes back after ${spec.evaluations} breaches if the drift is still there)`
        : `every tripped signal under ${fmt(spec.threshold * this.relaxFactor)} (${this.relaxFactor} × its threshold) for its ${this.state.holdDoublings ? `${2 ** this.state.holdDoublings} × ` : ''}${spec.evaluations} evaluations; ${spec.signal} now ${event.value === undefined ? 'without evidence' : fmt(event.value)}`;
    // The line first: if the action is a drain that exits, it is already written.
    this.log({
      time: new Date(event.atMs).toISOString(), event: event.kind === 'act' ? 'drift-action' : 'drift-relax', action: this.action,
      signal: spec.signal, value: rounded(event.value), threshold: spec.threshold, values, reason,
    });
    const on = event.kind === 'act';
    this.gauge.set({ action: this.action }, on ? 1 : 0);
    if (on) this.counter.inc({ action: this.action, signal: spec.signal });
    const why = `drift: ${reason}`;
    if (this.action === 'shed') this.effects.shed(on, why);
    else if (this.action === 'degrade') this.effects.degrade(on, why);
    else if (on) this.effects.drain(why);
    return event;
  }
}
