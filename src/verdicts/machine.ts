// How busy the rest of the machine was while a trial ran. Measured on this repository's 2-core
// machine (bench/baseline-noise.ts), an unchanged server's p95 moved by -25% to +105% between runs
// as other processes came and went, while its trials within one run agreed to a few percent: no
// statistics on the trials can tell that from a regression. So each trial records the CPU that
// everything but the target and the generator used, and the comparison refuses to judge latency
// when that changed too much since the baseline (src/verdicts/compare.ts).
//
// other CPU = (cores × wall time − idle time of all cores) − the generator's CPU − the target's CPU.
// Idle time comes from os.cpus() (so time stolen by a hypervisor and I/O wait count as "not
// available", which is what matters), the generator's from process.cpuUsage() (all its threads),
// the target's from the caller: /proc when the gate started it (processTreeCpuMs), or the delta of
// its process_cpu_seconds_total when attached. Without the target's CPU there is no measurement:
// a build that burns more CPU would otherwise look like a busier machine.
import { MACHINE_MIN_CORES, overallVerdict } from './compare.ts';
import { median } from './stats.ts';
import { failsObjective, measuredValue, verdictKey, withdrawFailures } from './withdraw.ts';
import { formatValue } from './format.ts';
import type { LoadResult, RouteResult } from '../measure/types.ts';
import type { BaselineComparison, MetricComparison, ObjectiveVerdict, TrialMachine, TrialMetrics } from './types.ts';

export interface CpuSample {
  /** performance.now() when taken. */
  atMs: number;
  /** Idle time summed over all cores, ms. */
  idleMs: number;
  cores: number;
  /** CPU used by this process (all threads), ms. */
  selfCpuMs: number;
}

/** The rest of the machine's CPU between two samples, given the target's CPU over the same interval (ms). */
export function machineBetween(before: CpuSample, after: CpuSample, targetCpuMs: number): TrialMachine | undefined {
  const wall = after.atMs - before.atMs;
  if (!(wall > 0) || before.cores !== after.cores || after.cores === 0 || !Number.isFinite(targetCpuMs)) return undefined;
  const busy = after.cores * wall - (after.idleMs - before.idleMs);
  const others = (busy - (after.selfCpuMs - before.selfCpuMs) - targetCpuMs) / wall;
  // Idle time is counted in clock ticks (10 ms), so small negative values are rounding, not a measurement.
  return { cores: after.cores, otherCpuCores: Math.min(after.cores, Math.max(0, others)) };
}

/** Measures the rest of the machine over one trial: `begin` before it, the function it returns after. */
export interface MachineProbe {
  /** `targetCpuMs`: the target's CPU so far (ms), undefined when it cannot be read. */
  begin(targetCpuMs: number | undefined): (targetCpuMs: number | undefined) => TrialMachine | undefined;
}

// --- a starved target ---------------------------------------------------------------------------
//
// When other processes leave the target and the generator almost no CPU, a slow p95, timeouts, a
// throughput shortfall or failed health checks say nothing about the build. Such a failure is not
// judged: the run is INCONCLUSIVE (exit 4) unless something else failed on its own. A pass stays a
// pass: the service met its objectives even so.
//
// Starved: a trial in which the CPU other processes left free (cores - their CPU; that is, the idle
// time plus what the target and the generator used) was below STARVED_FREE_CORES, a quarter of a
// core. It is the absolute floor the baseline comparison already uses (MACHINE_MIN_CORES in
// compare.ts, where on a loaded machine a timer-driven service kept its p95 within 7% with 0.30
// cores free): below it the target and the generator had less than a quarter of a core between
// them, and the generator alone takes 10-30% of a core at a few hundred requests per second. One
// starved trial is enough, since the merged p95 of five trials can come from one trial's requests.

/** Less CPU than this (cores) left free by other processes during a trial starves the target. */
export const STARVED_FREE_CORES = MACHINE_MIN_CORES;

export interface Starvation {
  cores: number;
  /** Trials (1-based) that had less than STARVED_FREE_CORES free, and how many were measured. */
  starvedTrials: number[];
  measuredTrials: number;
  /** Cores' worth of CPU other processes used: the median over the starved trials. */
  otherCpuCores: number;
  /** "other processes used 1.78 of 2 cores during the trials". */
  text: string;
}

/** Whether other processes starved the target in any trial; undefined when none did or nothing was measured. */
export function starvation(trials: readonly TrialMetrics[], floor = STARVED_FREE_CORES): Starvation | undefined {
  const measured = trials.filter((t): t is TrialMetrics & { machine: TrialMachine } => t.machine !== undefined);
  const starved = measured.filter((t) => t.machine.cores - t.machine.otherCpuCores < floor);
  if (starved.length === 0) return undefined;
  const cores = Math.max(...starved.map((t) => t.machine.cores));
  const others = median(starved.map((t) => t.machine.otherCpuCores));
  const free = median(starved.map((t) => t.machine.cores - t.machine.otherCpuCores));
  const during =
    starved.length === trials.length
      ? 'during the trials'
      : `during ${starved.length === 1 ? 'trial' : 'trials'} ${starved.map((t) => t.index + 1).join(', ')} of ${trials.length}`;
  return {
    cores,
    starvedTrials: starved.map((t) => t.index + 1),
    measuredTrials: measured.length,
    otherCpuCores: others,
    text: `other processes used ${others.toFixed(2)} of ${cores} cores ${during}, leaving ${Math.max(0, free).toFixed(2)} to the target and the generator (a verdict needs ${floor})`,
  };
}

/** Objectives whose failure a CPU-starved target explains by itself; a missing route or a heap peak it does not. */
const CPU_BOUND_CONTRACTS = new Set(['latency', 'errors', 'throughput', 'availability']);
/** The same for the baseline comparison: slower, and timing out; not memory per request. */
const CPU_BOUND_METRICS = new Set<MetricComparison['metric']>(['p95', 'errorRatio']);

/**
 * Takes back the failures a starved machine explains: each such failed objective (and failed
 * p95 / error-ratio comparison with the baseline) becomes a warning whose reason starts "not
 * judged: <the numbers>", and the baseline's overall verdict is recomputed. Returns what was taken
 * back ("latency api-latency p95 failed (254 ms > 200 ms)"), for starvedReason. Passes are left alone.
 */
export function withdrawStarvedFailures(s: Starvation, verdicts: ObjectiveVerdict[], baseline?: BaselineComparison, starvationProof?: readonly ObjectiveVerdict[]): string[] {
  const twins = new Map((starvationProof ?? []).map((v) => [verdictKey(v), v]));
  const stands = new Map<ObjectiveVerdict, string>();
  const withdrawn = withdrawFailures({
    note: `not judged: ${s.text}, so the machine cannot support this verdict; run the gate again when it is quieter.`,
    objective: (v) => {
      if (!CPU_BOUND_CONTRACTS.has(v.contract)) return false;
      // An errors failure that the answered client errors alone still fail (starvationProofView):
      // no busy machine answers a 404 or a 400 (a Nest user trial: 144 NotFoundExceptions of 375
      // were withdrawn with the rest). The availability composite's the same way, through its
      // success part alone.
      const twin = twins.get(verdictKey(v));
      const standing = twin === undefined ? undefined : v.contract === 'errors' ? errorsStanding(v, twin) : v.contract === 'availability' ? availabilityStanding(v, twin) : undefined;
      if (standing !== undefined) {
        stands.set(v, standing);
        return false;
      }
      return true;
    },
    comparison: (c) => CPU_BOUND_METRICS.has(c.metric),
  }, verdicts, baseline);
  for (const [v, why] of stands) {
    v.reason += `; ${s.text}, but that does not explain this failure: counting every answer a busy machine can cause as good (5xx, 408, 429, shed, timeouts and connection failures), ${why}`;
  }
  return withdrawn;
}

/** An errors failure its starvation-proof twin still fails: what the answered client errors alone leave. */
function errorsStanding(v: ObjectiveVerdict, twin: ObjectiveVerdict): string | undefined {
  if (!measuredValue(twin.client) || !failsObjective(twin, twin.client)) return undefined;
  return `the client's answered errors alone leave ${formatValue(twin.client ?? NaN, twin.unit)} against ${formatValue(v.objective, v.unit)}`;
}

/**
 * An availability failure the composite still fails with every part a busy machine can move
 * counted as met (liveness: probes left unanswered; latency; a dependency's check timing out) and
 * the rest as measured: the success part from the starvation-proof twin (answered client errors),
 * and a part whose failure no busy machine causes (a dependency check that threw an error of its
 * own: busyExplains false; a CI run on a starved machine withdrew "db: check threw: no such table").
 */
function availabilityStanding(v: ObjectiveVerdict, twin: ObjectiveVerdict): string | undefined {
  const kept = (twin.parts ?? []).filter((p) => p.weight > 0 && Number.isFinite(p.client) && (p.name === 'success' || p.busyExplains === false));
  if (kept.length === 0) return undefined;
  const weighed = (twin.parts ?? []).filter((p) => p.weight > 0 && Number.isFinite(p.client));
  const total = weighed.reduce((sum, p) => sum + p.weight, 0);
  const composite = weighed.reduce((sum, p) => sum + p.weight * (kept.includes(p) ? p.client : 1), 0) / total;
  if (!measuredValue(composite) || !failsObjective(v, composite)) return undefined;
  const met = weighed.filter((p) => !kept.includes(p)).map((p) => p.name);
  const names = met.length <= 1 ? met.join('') : `${met.slice(0, -1).join(', ')} and ${met.at(-1)}`;
  const asMet = met.length > 0 ? `and the ${names} part${met.length === 1 ? '' : 's'} as met, ` : '';
  const measured = kept.map((p) => `the ${p.name} part (${p.detail})`).join(' and ');
  return `${asMet}${measured} alone leave${kept.length === 1 ? 's' : ''} the composite at ${formatValue(composite, v.unit)} against ${formatValue(v.objective, v.unit)}`;
}

/** An answer a starved machine can cause: a server error (a dependency call timed out, the limiter shed), a request timeout, too many requests. */
function machineCanCause(status: string): boolean {
  const n = Number(status);
  return n >= 500 || n === 408 || n === 429;
}

/**
 * The run as if every answer a starved machine can cause were a success: 5xx, 408 and 429 answers,
 * shed ones, and failures without an answer (timeouts, resets, refused connections) become 200s.
 * What still fails the errors objective here are answered client errors (a 404, a 400), which no
 * busy machine causes. Latency is not re-read (the histograms are the run's).
 */
export function starvationProofView(load: LoadResult): LoadResult {
  const statusesOf = (statuses: Record<string, number>, extra: number) => {
    const out: Record<string, number> = {};
    let moved = extra;
    for (const [status, n] of Object.entries(statuses)) {
      if (machineCanCause(status)) moved += n;
      else out[status] = (out[status] ?? 0) + n;
    }
    if (moved > 0) out['200'] = (out['200'] ?? 0) + moved;
    return out;
  };
  const route = (r: RouteResult): RouteResult => {
    const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
    const { shed: _shed, queuedTimeouts: _queued, errorClasses, ...rest } = r;
    const kept = errorClasses === undefined ? undefined : Object.fromEntries(Object.entries(errorClasses).filter(([status]) => !machineCanCause(status)));
    return { ...rest, completed: r.completed + failed, statuses: statusesOf(r.statuses, failed), errors: {}, ...(kept !== undefined ? { errorClasses: kept } : {}) };
  };
  const routes = load.routes.map(route);
  const errors = routes.reduce((n, r) => n + Object.entries(r.statuses).reduce((m, [status, k]) => (Number(status) >= 400 ? m + k : m), 0), 0);
  return { ...load, completed: routes.reduce((n, r) => n + r.completed, 0), errors, timeouts: 0, statuses: statusesOf(load.statuses, load.sent - load.completed), routes };
}

/** The outcome's reason for failures taken back: the numbers, what failed, and that it is not a verdict. */
/** What marks starvedReason's sentence (sloctl accept repeats the gate's note: verdicts/accept.ts). */
export const STARVED_REASON_MARK = 'but the machine cannot support';

export function starvedReason(s: Starvation, withdrawn: readonly string[]): string {
  return `${s.text}: ${withdrawn.join(', ')}, ${STARVED_REASON_MARK} ${withdrawn.length === 1 ? 'the verdict' : 'these verdicts'}; run the gate again when the machine is quieter`;
}
