// The generator's check on itself. A load test whose generator fell behind may measure the
// generator, not the target, so the run says so (GeneratorHealth.ok false, with reasons a user can
// act on). What a judge does with it is the judge's business: the gate and accept keep a pass the
// lag could not have caused and make INCONCLUSIVE only a failure within the lag's reach
// (src/verdicts/generator-lag.ts); the drills' judge gives up on a drill whose own window had too many
// late sends (src/verdicts/window-generator.ts, from the slices' late counts).
//
// It is not ok when:
//  - the achieved arrival rate is below 99% of the requested one;
//  - more than 1% of the sends left late: more than LATE threshold after their intended time, where
//    the threshold is max(10 ms, 2 send intervals) capped at 100 ms. 10 ms is above the jitter of
//    Node's timers and of a minor GC on a busy machine; 2 intervals means "the next request was
//    already due", which at low rates is the first sign of a generator that cannot keep up;
//  - any scheduled request was dropped (never sent: the in-flight bound was reached, or the sender
//    was still behind schedule a quarter second after the window ended).
// Its event-loop delay and CPU share are reported with the reasons, to say which remedy fits.

import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { ConnectionWaits, DropCauses, GeneratorHealth } from './types.ts';

/** Achieved rate below this share of the requested one makes the run not ok. */
export const MIN_RATE_SHARE = 0.99;
/** More late sends than this share of all sends makes the run not ok. */
export const MAX_LATE_SHARE = 0.01;
const LATE_FLOOR_MS = 10;
const LATE_CAP_MS = 100;

/** The lateness beyond which a send counts as late, for a requested rate (per second). */
export function lateThresholdMs(requestedRate: number | null): number {
  if (requestedRate === null || !(requestedRate > 0)) return LATE_FLOOR_MS;
  return Math.min(LATE_CAP_MS, Math.max(LATE_FLOOR_MS, 2000 / requestedRate));
}

/** What a run (or the merge of workers' runs) measured about its own sending. */
export interface GeneratorStats {
  requestedRate: number | null;
  /** Requests sent and the length of the sending phase, ms. */
  sent: number;
  durationMs: number;
  lateSends: number;
  lateThresholdMs: number;
  maxLagMs: number;
  droppedSends: number;
  eventLoopDelayP99Ms: number;
  cpu: number;
  workers: number;
  /** Why requests were dropped, if the caller knows. */
  drops?: DropCauses;
  connectionWaits?: ConnectionWaits;
}

/** Turns the stats into the verdict on the generator, with reasons that say what to do. */
export function assessGenerator(s: GeneratorStats): GeneratorHealth {
  const achievedRate = s.durationMs > 0 ? (s.sent / s.durationMs) * 1000 : 0;
  const reasons: string[] = [];
  const busy = `generator CPU ${Math.round(s.cpu * 100)}% of a core, event-loop delay p99 ${round(s.eventLoopDelayP99Ms, 1)} ms`;
  const saturated = s.cpu >= 0.8 || s.eventLoopDelayP99Ms >= LATE_FLOOR_MS;
  const moreWorkers = (): string => {
    if (s.requestedRate === null || achievedRate <= 0) return `use --workers ${s.workers + 1}`;
    const need = Math.max(s.workers + 1, Math.ceil((s.workers * s.requestedRate) / achievedRate));
    return `use --workers ${need} (this machine may need more cores) or a lower --rate`;
  };

  if (s.requestedRate !== null && s.requestedRate > 0 && achievedRate < MIN_RATE_SHARE * s.requestedRate) {
    reasons.push(
      `achieved ${fmtRate(achievedRate)} of ${fmtRate(s.requestedRate)} requested (${round((100 * achievedRate) / s.requestedRate, 1)}%; ${busy}): ` +
        (saturated || s.droppedSends === 0 ? moreWorkers() : 'lower --rate or raise --timeout/--connections'),
    );
  }
  const sends = s.sent + s.droppedSends;
  if (sends > 0 && s.lateSends > MAX_LATE_SHARE * sends) {
    reasons.push(
      `${s.lateSends} of ${sends} sends (${round((100 * s.lateSends) / sends, 1)}%) left more than ${round(s.lateThresholdMs, 1)} ms after their scheduled time, ` +
        `worst ${round(s.maxLagMs, 1)} ms (${busy}): ${saturated ? moreWorkers() : 'the machine is busy; run on a quieter one or lower --rate'}`,
    );
  }
  if (s.droppedSends > 0) reasons.push(...dropReasons(s.droppedSends, s.drops, busy, saturated ? moreWorkers() : 'run on a quieter machine or lower --rate'));
  return {
    requestedRate: s.requestedRate === null ? null : round(s.requestedRate, 3),
    achievedRate: round(achievedRate, 3),
    lateSends: s.lateSends,
    lateThresholdMs: round(s.lateThresholdMs, 3),
    maxLagMs: round(s.maxLagMs, 3),
    droppedSends: s.droppedSends,
    ...(s.drops && s.droppedSends > 0 ? { drops: s.drops } : {}),
    ...(s.connectionWaits && s.connectionWaits.waited > 0 ? { connectionWaits: s.connectionWaits } : {}),
    eventLoopDelayP99Ms: round(s.eventLoopDelayP99Ms, 3),
    cpu: round(s.cpu, 3),
    workers: s.workers,
    ok: reasons.length === 0,
    reasons,
  };
}

/** One reason per cause of the drops: they call for different remedies. */
function dropReasons(dropped: number, drops: DropCauses | undefined, busy: string, generatorRemedy: string): string[] {
  const never = (n: number) => `${n} scheduled request${n === 1 ? ' was' : 's were'} never sent`;
  const slowTarget = 'the target answered too slowly for this rate; lower --rate or --timeout';
  if (!drops || drops.inFlight + drops.behind !== dropped) return [`${never(dropped)}: ${slowTarget}`];
  const out: string[] = [];
  if (drops.inFlight > 0) out.push(`${never(drops.inFlight)} (${drops.inFlightBound} requests were already in flight): ${slowTarget}`);
  if (drops.behind > 0) {
    out.push(`${never(drops.behind)}: the generator was still ${round(drops.behindMs, 1)} ms behind schedule when the run's window had ended (${busy}); ${generatorRemedy}`);
  }
  return out;
}

/** Adds up the threads' (or runs') drop causes; undefined when none of them knows. */
export function mergeDrops(parts: ReadonlyArray<DropCauses | undefined>): DropCauses | undefined {
  const known = parts.filter((d): d is DropCauses => d !== undefined);
  if (known.length === 0) return undefined;
  return {
    inFlight: known.reduce((a, d) => a + d.inFlight, 0),
    inFlightBound: Math.max(...known.map((d) => d.inFlightBound)),
    behind: known.reduce((a, d) => a + d.behind, 0),
    behindMs: Math.max(...known.map((d) => d.behindMs)),
  };
}

/**
 * Watches this thread while a run goes: event-loop delay (perf_hooks.monitorEventLoopDelay) and the
 * thread's CPU share. The CPU share is process.threadCpuUsage where Node has it (23.9+), otherwise
 * the event-loop utilisation, which for a thread that only sends requests is its busy share; in the
 * main thread of Node 20 it also counts anything else that loop runs (a test server, the CLI).
 */
export class GeneratorMonitor {
  private static readonly RESOLUTION_MS = 10;
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: GeneratorMonitor.RESOLUTION_MS });
  private elu: EventLoopUtilization | null = null;
  private cpu0: NodeJS.CpuUsage | null = null;
  private wall0 = 0;

  start(): this {
    this.delay.enable();
    this.elu = performance.eventLoopUtilization();
    const threadCpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
    this.cpu0 = typeof threadCpu === 'function' ? threadCpu.call(process) : null;
    this.wall0 = performance.now();
    return this;
  }

  /** Stops watching; returns the delay p99 (ms, above the sampling interval) and the CPU share of one core. */
  stop(): { eventLoopDelayP99Ms: number; cpu: number } {
    this.delay.disable();
    // Each sample is the time between two timer ticks; what exceeds the sampling interval is the delay.
    const p99 = this.delay.count > 0 ? Math.max(0, this.delay.percentile(99) / 1e6 - GeneratorMonitor.RESOLUTION_MS) : 0;
    let cpu = 0;
    const threadCpu = (process as { threadCpuUsage?: (prev?: NodeJS.CpuUsage) => NodeJS.CpuUsage }).threadCpuUsage;
    const wallMs = performance.now() - this.wall0;
    if (this.cpu0 && typeof threadCpu === 'function' && wallMs > 0) {
      const d = threadCpu.call(process, this.cpu0);
      cpu = (d.user + d.system) / 1000 / wallMs;
    } else if (this.elu) {
      cpu = performance.eventLoopUtilization(this.elu).utilization;
    }
    return { eventLoopDelayP99Ms: p99, cpu: Math.min(Math.max(cpu, 0), 1) };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmtRate(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond) : round(perSecond, 1)}/s`;
}
