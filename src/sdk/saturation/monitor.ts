// The saturation monitor: samples the contract's memory and concurrency signals about once a
// second, exports their states and crossings, and captures evidence once per crossing.
//
// Sampling is at the edge here; the decision is states.ts (pure). Signals and how they are read:
//   heap, rss             process.memoryUsage() (heapUsed, rss), bytes
//   eventLoopDelay        p99 over the interval of the time between ticks of a 20 ms timer, ms
//                         (src/sdk/loop-delay.ts says why this and not monitorEventLoopDelay).
//   eventLoopUtilization  performance.eventLoopUtilization over the interval, 0..1
//   inFlight              the SDK's own in-flight count (http_server_active_requests)
//   handles               process.getActiveResourcesInfo().length
//
// Evidence: memory signals capture per `objectives.memory.capture` (heap sampling by default),
// concurrency signals per `objectives.concurrency.capture` (a CPU profile). At most one capture
// per signal and level per evidence.minInterval (a warn capture does not hold back the critical
// one: the escalation is new evidence); a crossing held back says so in one line. A crossing while
// a capture of the same kind is running shares it (both signals saw the same seconds: one file,
// not two). Every timer is unref'd.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { LoopDelaySampler } from '../loop-delay.ts';
import { dirname, resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Contract } from '../../contract/schema.ts';
import { cpuProfile, heapSamplingProfile, heapSnapshot, type CaptureKind } from './capture.ts';
import { EvidenceStore, evidenceName, type EvidenceFile, type EvidenceKind } from './evidence.ts';
import { decide, stateValue, type SaturationLevel, type SaturationSignal, type SaturationState, type Thresholds } from './states.ts';

export const SATURATION_METRICS = {
  state: { name: 'sloctl_saturation_state', help: 'Saturation state per signal from the contract\'s memory and concurrency thresholds: 0 ok, 1 warn, 2 critical.' },
  crossings: { name: 'sloctl_saturation_crossings_total', help: 'Times a saturation signal crossed its warn or critical threshold upward.' },
  evidenceFiles: { name: 'sloctl_evidence_files', help: 'Evidence files (heap and CPU profiles) in the evidence directory.' },
} as const;

export interface SaturationOptions {
  /** How often the signals are sampled (ms). Default 1000. */
  intervalMs?: number;
  /** The evidence directory (relative to the working directory). Default: the contract's evidence.dir, relative to the contract file. */
  dir?: string;
  /** Length of a CPU profile (ms). Default 1500. */
  cpuProfileMs?: number;
  /** Length of a heap sampling window (ms). Default 2000. */
  heapSamplingMs?: number;
  /** Event-loop delay sampling resolution (ms). Default 20 (see above). */
  eventLoopResolutionMs?: number;
  /**
   * Signals are sampled but not judged for this long after the monitor starts (ms). Default 5000:
   * a service's start-up (module loading, compiling, building caches) blocks the loop for hundreds
   * of ms (the example: 320 ms) and that is not saturation; a profile of it at every start is noise.
   */
  startupGraceMs?: number;
  /** Where the JSON line per capture (or failed capture) goes. Default: stderr. */
  log?: (line: string) => void;
}

/** What the monitor needs of the Sdk (a structural type: no import cycle). */
export interface SaturationHost {
  readonly contract: Contract;
  readonly file: string | undefined;
  readonly registry: Registry;
  readonly recorder: { readonly inFlight: number };
  readonly drill?: { attachEvidence(list: () => EvidenceFile[], dir?: string): void } | undefined;
}

interface SignalConfig {
  signal: SaturationSignal;
  thresholds: Thresholds;
  capture: CaptureKind | undefined;
}

export interface SaturationStats {
  /** Evidence files written. */
  captured: number;
  /** Crossings that captured nothing because the signal captured within minInterval. */
  rateLimited: number;
  /** Crossings that shared a capture of the same kind already running. */
  joined: number;
  failed: number;
}

const EXTENSION: Record<CaptureKind, EvidenceKind> = { 'heap-sampling': 'heapprofile', 'heap-snapshot': 'heapsnapshot', 'cpu-profile': 'cpuprofile' };

/** The signals the contract gives thresholds for, with what each captures. */
export function saturationSignals(contract: Contract): SignalConfig[] {
  const m = contract.objectives.memory;
  const k = contract.objectives.concurrency;
  const memCapture: CaptureKind | undefined = m?.capture === 'none' ? undefined : m?.capture;
  const cpuCapture: CaptureKind | undefined = k?.capture === 'none' ? undefined : k?.capture;
  const out: SignalConfig[] = [];
  const add = (signal: SaturationSignal, t: Thresholds | undefined, capture: CaptureKind | undefined) => {
    if (t !== undefined) out.push({ signal, thresholds: { warn: t.warn, critical: t.critical }, capture });
  };
  add('heap', m?.heap, memCapture);
  add('rss', m?.rss, memCapture);
  add('eventLoopDelay', k?.eventLoopDelay, cpuCapture);
  add('eventLoopUtilization', k?.eventLoopUtilization, cpuCapture);
  add('inFlight', k?.inFlight, cpuCapture);
  add('handles', k?.handles, cpuCapture);
  return out;
}

/** The monitor for this SDK, started; undefined when turned off or the contract sets no thresholds. */
export function startSaturation(host: SaturationHost, opts: SaturationOptions | false | undefined): SaturationMonitor | undefined {
  if (opts === false) return undefined;
  const signals = saturationSignals(host.contract);
  if (signals.length === 0) return undefined;
  return new SaturationMonitor(host, signals, opts ?? {});
}

export class SaturationMonitor {
  readonly store: EvidenceStore;
  readonly stats: SaturationStats = { captured: 0, rateLimited: 0, joined: 0, failed: 0 };
  private readonly signals: SignalConfig[];
  private readonly states = new Map<SaturationSignal, SaturationState>();
  private readonly values = new Map<SaturationSignal, number>();
  /** Per "signal level": when it last captured, and whether a held-back crossing was logged since. */
  private readonly lastCapture = new Map<string, { at: number; toldHeld: boolean }>();
  private readonly running = new Map<CaptureKind, Promise<void>>();
  private readonly minIntervalMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly eld: LoopDelaySampler | undefined;
  private readonly crossings: Counter<'signal' | 'level'>;
  private readonly log: (line: string) => void;
  private readonly cpuMs: number;
  private readonly heapMs: number;
  private elu: EventLoopUtilization;
  private tickFailed = false;
  private readonly judgeFrom: number;
  private closed = false;

  constructor(private readonly host: SaturationHost, signals: SignalConfig[], opts: SaturationOptions) {
    const intervalMs = opts.intervalMs ?? 1000;
    if (!(Number.isFinite(intervalMs) && intervalMs >= 10)) throw new TypeError(`sloctl: saturation.intervalMs must be a number of milliseconds, at least 10; got ${intervalMs}`);
    this.signals = signals;
    this.judgeFrom = performance.now() + (opts.startupGraceMs ?? 5000);
    const ev = host.contract.evidence;
    const dir = opts.dir !== undefined
      ? resolve(opts.dir)
      : resolve(host.file !== undefined ? dirname(host.file) : process.cwd(), ev?.dir ?? '.sloctl/evidence');
    this.store = new EvidenceStore(dir, { maxFiles: ev?.maxFiles ?? 10, maxBytes: ev?.maxBytes ?? 100 * 1024 * 1024 });
    this.minIntervalMs = ev?.minInterval ?? 60_000;
    this.cpuMs = opts.cpuProfileMs ?? 1500;
    this.heapMs = opts.heapSamplingMs ?? 2000;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    for (const s of signals) this.states.set(s.signal, 'ok');

    if (signals.some((s) => s.signal === 'eventLoopDelay')) {
      this.eld = new LoopDelaySampler(opts.eventLoopResolutionMs);
    }
    this.elu = performance.eventLoopUtilization();
    this.crossings = this.registerMetrics(host.registry);
    host.drill?.attachEvidence(() => this.evidence(), resolve(this.store.dir));

    // Read in the check phase, after every expired timer ran: after a block this timer and the
    // delay timer are both due, and the block's delay belongs to the interval it ended.
    this.timer = setInterval(() => setImmediate(() => this.tick()).unref(), intervalMs);
    this.timer.unref();
  }

  private registerMetrics(reg: Registry): Counter<'signal' | 'level'> {
    const monitor = this;
    const M = SATURATION_METRICS;
    // One monitor per registry: a second Sdk on the same registry would fail on the HTTP metrics first.
    for (const m of Object.values(M)) reg.removeSingleMetric(m.name);
    // Merged across a cluster's workers (AggregatorRegistry) the state is the worst worker's (its
    // default, the sum, read two workers at warn as 2, critical); the evidence files are each worker's, summed.
    new Gauge({
      name: M.state.name, help: M.state.help, labelNames: ['signal'], registers: [reg], aggregator: 'max',
      collect() {
        for (const [signal, s] of monitor.states) this.set({ signal }, stateValue(s));
      },
    });
    const crossings = new Counter({ name: M.crossings.name, help: M.crossings.help, labelNames: ['signal', 'level'] as const, registers: [reg] });
    for (const s of this.signals) for (const level of ['warn', 'critical'] as const) crossings.inc({ signal: s.signal, level }, 0);
    new Gauge({
      name: M.evidenceFiles.name, help: M.evidenceFiles.help, registers: [reg],
      collect() {
        this.set(monitor.store.list().length);
      },
    });
    return crossings;
  }

  /** The state of each sampled signal. */
  stateOf(signal: SaturationSignal): SaturationState | undefined {
    return this.states.get(signal);
  }

  /** The last sampled value of a signal, in the contract's units. */
  valueOf(signal: SaturationSignal): number | undefined {
    return this.values.get(signal);
  }

  /**
   * The evidence files this process wrote that are still in the directory (pruning removes the
   * oldest), oldest first. Not every file there: replicas started from one working directory, or a
   * second copy beside the one a drill attacks, share the default `.sloctl/evidence`, and a drill's
   * report must not name another process's CPU profile as this service's. The directory's count
   * (sloctl_evidence_files) and pruning still cover every file in it: the size bound is the disk's.
   */
  evidence(): EvidenceFile[] {
    return this.store.listWritten();
  }

  /** Resolves when no capture is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops sampling. A capture in progress finishes (its timers are unref'd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.eld?.stop();
  }

  /** Samples every signal once now (the timer calls it; tests may too). */
  sample(now = Date.now()): void {
    const mem = this.signals.some((s) => s.signal === 'heap' || s.signal === 'rss') ? process.memoryUsage() : undefined;
    const eld = this.eld?.take() ?? Number.NaN;
    const eluNow = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(eluNow, this.elu).utilization;
    this.elu = eluNow;
    for (const c of this.signals) {
      const value = c.signal === 'heap' ? mem!.heapUsed
        : c.signal === 'rss' ? mem!.rss
        : c.signal === 'eventLoopDelay' ? eld
        : c.signal === 'eventLoopUtilization' ? elu
        : c.signal === 'inFlight' ? this.host.recorder.inFlight
        : process.getActiveResourcesInfo().length;
      this.values.set(c.signal, value);
      if (performance.now() < this.judgeFrom) continue;
      const d = decide(value, c.thresholds, this.states.get(c.signal)!);
      this.states.set(c.signal, d.state);
      for (const level of d.crossed) this.crossings.inc({ signal: c.signal, level });
      if (d.crossed.length > 0) this.onCrossing(c, d.crossed[d.crossed.length - 1]!, value, now);
    }
  }

  private tick(): void {
    try {
      this.sample();
    } catch (err) {
      if (this.tickFailed) return;
      this.tickFailed = true; // once: a failure every second would flood the log
      this.line({ sloctl: 'saturation', error: `sampling failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private onCrossing(c: SignalConfig, level: SaturationLevel, value: number, at: number): void {
    if (c.capture === undefined || this.closed) return;
    const key = `${c.signal} ${level}`;
    const last = this.lastCapture.get(key);
    if (last !== undefined && at - last.at < this.minIntervalMs) {
      this.stats.rateLimited++;
      if (!last.toldHeld) {
        last.toldHeld = true;
        this.line({ sloctl: 'evidence', signal: c.signal, level, value, skipped: `not captured: this signal captured at ${level} ${Math.round((at - last.at) / 1000)} s ago, within evidence.minInterval (${Math.round(this.minIntervalMs / 1000)} s); further crossings until then are not logged` });
      }
      return;
    }
    this.lastCapture.set(key, { at, toldHeld: false });
    if (this.running.has(c.capture)) {
      this.stats.joined++;
      return;
    }
    const kind = c.capture;
    const p = this.capture(kind, evidenceName(at, c.signal, level, EXTENSION[kind]), c.signal, level, value)
      .finally(() => this.running.delete(kind));
    this.running.set(kind, p);
  }

  private async capture(kind: CaptureKind, name: string, signal: SaturationSignal, level: SaturationLevel, value: number): Promise<void> {
    const where = `${this.store.dir}/${name}`;
    try {
      let file: EvidenceFile;
      if (kind === 'heap-snapshot') {
        const w = this.store.open(name);
        try {
          await heapSnapshot(w);
        } catch (err) {
          w.abort();
          throw err;
        }
        file = w.commit();
      } else {
        const text = kind === 'cpu-profile' ? await cpuProfile(this.cpuMs) : await heapSamplingProfile(this.heapMs);
        file = this.store.write(name, text);
      }
      this.stats.captured++;
      this.line({ sloctl: 'evidence', signal, level, value, file: where, bytes: file.bytes });
    } catch (err) {
      this.stats.failed++;
      const code = (err as { code?: string }).code;
      const fix = code === 'EACCES' || code === 'EROFS' || code === 'ENOENT'
        ? ': the directory is not writable; set evidence.dir in the contract (or instrument()\'s saturation.dir) to a writable one'
        : '';
      this.line({ sloctl: 'evidence', signal, level, error: `capturing ${where} failed: ${err instanceof Error ? err.message : String(err)}${fix}` });
    }
  }

  /** One JSON line, with its time first (like the drain's and the drift responder's lines). */
  private line(fields: Record<string, unknown>): void {
    this.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
  }
}
