// Compares this run's trials with the baseline's, one metric at a time, without pretending that one
// number against another says anything on a noisy machine.
//
// The question asked of each metric is "is this build worse than the baseline by MORE than the
// tolerance?", so the null hypothesis is "current ≤ baseline shifted by the tolerance", and the
// test is an exact one-sided Mann-Whitney U test (src/verdicts/stats.ts) of the current trials against
// the baseline's trials shifted by the tolerance:
//   p95                 baseline × (1 + tolerance)                 relative: +5% is 5% slower
//   error ratio         baseline + tolerance                       absolute points: +0.1 pt
//   memory per request  baseline + max(tolerance × |median|, floor) relative, with an absolute floor
// Verdicts:
//   fail  the test rejects (p < alpha) AND the median change exceeds the tolerance (a significant
//         shift smaller than the tolerance is not what the contract forbids, and a median beyond
//         it whose trials overlap is not evidence);
//   warn  the median is beyond the tolerance and the trials are significantly worse than the
//         baseline's own (unshifted), but not significantly beyond the tolerance; or significantly
//         beyond the shifted baseline with the median inside; or the sample is too small to decide:
//         fewer than MIN_TRIALS on a side, or so few that no data could reach p < alpha (3 vs 3:
//         the smallest p is 1/C(6,3) = 1/20 = 0.05), whatever the medians say, since a pass there
//         would claim what the test could never have found;
//   pass  otherwise, including a median beyond the tolerance whose trials do not differ
//         significantly even from the unshifted baseline's: that is run-to-run noise (measured:
//         heap growth per request swings by several KiB between 2 s trials from GC alone, and
//         warning on it made 7 of 20 unchanged runs warn).
//
// Alpha is 0.05 by default. Under H0 at its boundary (a build exactly `tolerance` worse, trials
// exchangeable) the false-alarm rate is at most alpha per metric (with 5 vs 5 trials the attainable
// level is 12/252 = 4.8%); an unchanged build is further from the boundary and fails far less often.
// alpha 0.01 would need 24 of the 25 pairs in order, and then misses a 20% slower build whose p95
// rises by only ~10% (the fixed part of the latency does not slow down).
//
// What the test cannot see is drift between runs that moves all trials of a run together: above
// all, other processes on the machine. Each trial records the CPU they used (src/verdicts/machine.ts);
// when the CPU they left free differs from the baseline's by more than MACHINE_TOLERANCE, a p95
// the machine could explain is not judged (busier now: a fail becomes a warn; quieter now: a pass
// becomes a warn; another core count: either). bench/baseline-noise.ts measures all of this.
//
// Memory per request (heap growth over a trial / requests) is near zero for a service that does
// not leak, and negative when a GC ran during the trial; 10% of "near zero" is nothing, so the
// allowance is never smaller than `memoryFloorBytes` (1 KiB per request by default: a leak that
// size shows as 1 MB per 1000 requests; GC noise larger than it is left to the test).
import { heapFloors, LEAK_COLLECTIONS, type HeapReading } from './memory.ts';
import type { BaselineFile, BaselineProfile } from './baseline.ts';
import { profileMismatch } from './baseline.ts';
import { formatBytes, formatMillis } from '../contract/units.ts';
import { cannotReachAlpha, DEFAULT_ALPHA, mannWhitneyGreater, median } from './stats.ts';
import type { BaselineComparison, MetricComparison, RouteRegression, TrialMetrics, TrialRoute, Unit, Verdict } from './types.ts';

export interface RegressionTolerances {
  /** Relative p95 increase allowed: 0.05 = +5%. */
  p95: number;
  /** Absolute error-ratio increase allowed: 0.001 = +0.1 percentage points. */
  errorRatio: number;
  /** Relative memory-per-request increase allowed, never less than the floor. */
  memoryPerRequest: number;
}

export interface CompareOptions {
  /** Significance level of the one-sided test; default DEFAULT_ALPHA. */
  alpha?: number;
  /** Smallest memory-per-request allowance in bytes; default MEMORY_FLOOR_BYTES. */
  memoryFloorBytes?: number;
  /** Where the baseline was read from, for the report. */
  path?: string;
  /** This run's profile: when it differs from the baseline's, every metric warns instead of judging. */
  profile?: BaselineProfile;
  /** What sets this run's trial count, for advice: default the contract's objectives.regression.trials ('--trials' when the flag did). */
  trialsSetting?: string;
  /** The trials this run was to have: more than it has means it was cut short (the target died, an interrupt). */
  plannedTrials?: number;
  /** How much the CPU left free by other processes may differ (relative) before p95 is not judged; default MACHINE_TOLERANCE. */
  machineTolerance?: number;
  /**
   * This run's heap readings over the measured phase (the gate's service view), with the count of
   * major collections when the service exports it: a memory-per-request failure stands only when
   * the heap right after major collections rose through the run (heapWithheld). Without them the
   * comparison judges the trials' numbers alone.
   */
  heap?: { series: readonly HeapReading[]; majorGcMetric?: string };
}

export { DEFAULT_ALPHA };
export const MEMORY_FLOOR_BYTES = 1024;
/**
 * The CPU other processes left free may differ by 25% of the baseline's, and by at least
 * MACHINE_MIN_CORES, before p95 is not judged. The floor matters on a loaded machine: 0.30 against
 * 0.45 cores free is 50% apart, but measured there the unchanged server's p95 stayed within 7% of
 * its baseline (a timer-driven service that sleeps between requests gets the CPU back quickly,
 * however busy the other cores are).
 */
export const MACHINE_TOLERANCE = 0.25;
export const MACHINE_MIN_CORES = 0.25;
/** Below this many trials on either side the test cannot tell much (3 vs 3: smallest p = 0.05); medians only. */
export const MIN_TRIALS = 3;

interface MetricSpec {
  metric: MetricComparison['metric'];
  label: string;
  unit: Unit;
  tolerance: number;
  value: (t: TrialMetrics) => number | null;
  /** The same number of one route of a trial (routeRegressions), for the metrics a route has one of. */
  routeValue?: (r: TrialRoute) => number;
  /** The baseline trials moved to the edge of the tolerance, and how the test is named. */
  shift: (baseline: number[]) => { shifted: number[]; test: string; allowance: number };
  /** Relative or absolute change, as MetricComparison.change documents. */
  change: (baselineMedian: number, currentMedian: number, allowance: number) => number;
  format: (v: number) => string;
  formatChange: (change: number, baselineMedian: number, currentMedian: number) => string;
  formatTolerance: (allowance: number, baselineMedian: number) => string;
}

const TEST = 'Mann-Whitney U exact one-sided';

function signed(text: string, v: number): string {
  return `${v >= 0 ? '+' : '−'}${text}`;
}
function percentText(ratio: number): string {
  return `${+(Math.abs(ratio) * 100).toFixed(Math.abs(ratio) < 0.1 ? 2 : 1)}%`;
}
function ms(v: number): string {
  return formatMillis(v);
}
function bytes(v: number): string {
  const text = formatBytes(Math.abs(v));
  return v < 0 && Math.round(Math.abs(v)) !== 0 ? `−${text}` : text;
}
function ratioText(v: number): string {
  return `${+(v * 100).toPrecision(3)}%`;
}
function points(v: number): string {
  return `${+(Math.abs(v) * 100).toPrecision(3)} points`;
}
function pText(p: number): string {
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

function specs(tolerances: RegressionTolerances, memoryFloor: number): MetricSpec[] {
  const p95: MetricSpec = {
    metric: 'p95',
    label: 'p95',
    unit: 'ms',
    tolerance: tolerances.p95,
    value: (t) => t.p95Ms,
    routeValue: (r) => r.p95Ms,
    shift: (b) => ({ shifted: b.map((v) => v * (1 + tolerances.p95)), test: `${TEST}: current > baseline × ${+(1 + tolerances.p95).toFixed(6)}`, allowance: tolerances.p95 }),
    change: (b, c) => (b > 0 ? c / b - 1 : c > 0 ? Infinity : 0),
    format: ms,
    formatChange: (change) => (Number.isFinite(change) ? signed(percentText(change), change) : 'from zero'),
    formatTolerance: () => `+${percentText(tolerances.p95)}`,
  };
  const errorRatio: MetricSpec = {
    metric: 'errorRatio',
    label: 'error ratio',
    unit: 'points',
    tolerance: tolerances.errorRatio,
    value: (t) => t.errorRatio,
    routeValue: (r) => r.errorRatio,
    shift: (b) => ({ shifted: b.map((v) => v + tolerances.errorRatio), test: `${TEST}: current > baseline + ${points(tolerances.errorRatio)}`, allowance: tolerances.errorRatio }),
    change: (b, c) => c - b,
    format: ratioText,
    formatChange: (change) => signed(points(change), change),
    formatTolerance: () => `+${points(tolerances.errorRatio)}`,
  };
  const allowanceOf = (b: number[]) => Math.max(tolerances.memoryPerRequest * Math.abs(median(b)), memoryFloor);
  const memory: MetricSpec = {
    metric: 'memoryPerRequest',
    label: 'memory per request',
    unit: 'bytes',
    tolerance: tolerances.memoryPerRequest,
    value: (t) => t.memoryPerRequestBytes,
    shift: (b) => {
      const allowance = allowanceOf(b);
      return { shifted: b.map((v) => v + allowance), test: `${TEST}: current > baseline + ${bytes(allowance)}`, allowance };
    },
    // Relative to the baseline, or to the size the floor stands for when the baseline is near zero,
    // so that `change > tolerance` means exactly "grew by more than the allowance".
    change: (b, c, allowance) => (c - b) / (tolerances.memoryPerRequest > 0 ? allowance / tolerances.memoryPerRequest : allowance),
    format: bytes,
    formatChange: (_change, b, c) => `${signed(bytes(Math.abs(c - b)), c - b)} per request`,
    formatTolerance: (allowance, b) =>
      allowance > tolerances.memoryPerRequest * Math.abs(b)
        ? `+${bytes(allowance)}: +${percentText(tolerances.memoryPerRequest)} of a baseline this close to zero would be ${bytes(tolerances.memoryPerRequest * Math.abs(b))}, so the floor of ${bytes(memoryFloor)} per request applies`
        : `+${percentText(tolerances.memoryPerRequest)} = ${bytes(allowance)}`,
  };
  return [p95, errorRatio, memory];
}

function movement(label: string, format: (v: number) => string, b: number, c: number): string {
  if (format(b) === format(c)) return `${label} stayed at ${format(c)}`;
  return `${label} ${c > b ? 'rose' : 'fell'} from ${format(b)} to ${format(c)}`;
}

function values(trials: readonly TrialMetrics[], spec: MetricSpec): number[] {
  return trials.map(spec.value).filter((v): v is number => v !== null && Number.isFinite(v));
}

/** A run that has fewer trials than it was to have: its advice is to run them all, not to change the count. */
function cutShort(trials: number, planned: number | undefined): boolean {
  return planned !== undefined && trials < planned;
}

function compareMetric(
  spec: MetricSpec,
  baselineTrials: readonly TrialMetrics[],
  currentTrials: readonly TrialMetrics[],
  alpha: number,
  mismatch: string | undefined,
  machine: MachineChange | undefined,
  trialsSetting?: string,
  plannedTrials?: number,
  heap?: CompareOptions['heap'],
): MetricComparison {
  const baseline = values(baselineTrials, spec);
  const current = values(currentTrials, spec);
  // A run cut short is told to run its trials, not to change their count. (By the trials that ran:
  // one that ran without this metric, memory across a restart of the service, is not a short run.)
  const ran = currentTrials.length;
  const cut = cutShort(ran, plannedTrials) ? `this run was cut short after ${ran} of its ${plannedTrials} trials: run the whole profile` : undefined;
  const blank = { metric: spec.metric, unit: spec.unit, baseline, current, tolerance: spec.tolerance, alpha };
  if (baseline.length === 0 || current.length === 0) {
    const side = baseline.length === 0 && current.length === 0 ? 'neither the baseline nor this run' : baseline.length === 0 ? 'the baseline' : 'this run';
    return {
      ...blank,
      baselineMedian: median(baseline),
      currentMedian: median(current),
      change: NaN,
      test: 'none',
      pValue: NaN,
      verdict: 'skipped',
      reason: `${spec.label} not compared: ${side} has no measurement of it${spec.metric === 'memoryPerRequest' ? ' (the service exposes no heap metric, or it could not be scraped)' : ''}`,
    };
  }
  const bMed = median(baseline);
  const cMed = median(current);
  const { shifted, test, allowance } = spec.shift(baseline);
  const change = spec.change(bMed, cMed, allowance);
  const beyond = cMed > median(shifted);
  const head = `${movement(spec.label, spec.format, bMed, cMed)} (${spec.formatChange(change, bMed, cMed)}, tolerance ${spec.formatTolerance(allowance, bMed)})`;
  const common = { ...blank, baselineMedian: bMed, currentMedian: cMed, change, ...(spec.unit === 'bytes' ? { allowance } : {}) };

  if (baseline.length < MIN_TRIALS || current.length < MIN_TRIALS) {
    // The advice follows the reason there are too few: another profile (the fix is a baseline of
    // this one, not another trial count), a run cut short, trials that ran without this metric
    // (memory across a restart), else the trial count itself.
    const without = (side: string, measured: number, trials: number) =>
      `${trials - measured} of ${side} ${trials} trials ${trials - measured === 1 ? 'has' : 'have'} no ${spec.label}${spec.metric === 'memoryPerRequest' ? ' (a trial during which the service restarted, or its heap could not be scraped, has none)' : ''}`;
    const advice = mismatch !== undefined
      ? 'record the baseline again under this profile (--update-baseline)'
      : cut !== undefined && plannedTrials! >= MIN_TRIALS && baseline.length >= MIN_TRIALS
        ? cut
        : current.length < MIN_TRIALS && ran >= MIN_TRIALS
          ? `${without("this run's", current.length, ran)}: run the gate again`
          : baseline.length < MIN_TRIALS && baselineTrials.length >= MIN_TRIALS
            ? `${without("the baseline's", baseline.length, baselineTrials.length)}: record the baseline again with --update-baseline`
            : `set ${trialsSetting ?? 'objectives.regression.trials'} to ${MIN_TRIALS} or more and record the baseline again with --update-baseline`;
    const reason = `${head}; not judged: a statistical comparison needs at least ${MIN_TRIALS} trials on each side (baseline ${baseline.length}, this run ${current.length}), so only the medians were compared${beyond ? ' and this one is beyond the tolerance' : ''}; ${advice}`;
    return {
      ...common,
      test: `medians only (fewer than ${MIN_TRIALS} trials)`,
      pValue: NaN,
      verdict: 'warn',
      reason: mismatch !== undefined ? `not judged: ${mismatch}. ${reason}` : reason,
      // A median beyond the tolerance that no test could confirm is no pass of the build either
      // (a user trial: 1 trial against 1, p95 worse, and the gate said PASS): the gate is INCONCLUSIVE.
      ...(beyond ? { withheld: 'fail' as const, withheldBy: 'trials' as const } : {}),
    };
  }

  const { pValue } = mannWhitneyGreater(current, shifted);
  // Significant means p < alpha, strictly: with 3 vs 3 trials (smallest p = 1/20) nothing is.
  const significant = pValue < alpha;
  const over = `${baseline.length} baseline vs ${current.length} current trials`;
  const stat = `Mann-Whitney U one-sided p = ${pText(pValue)} ${significant ? '<' : '≥'} ${alpha} over ${over}`;
  const u = cannotReachAlpha(current.length, baseline.length, alpha, trialsSetting);
  const unreachable = u && `${u.problem}; ${cut ?? u.fix}`;
  // Whether the trials moved at all: the same test against the baseline as it is, not shifted.
  const plainP = mannWhitneyGreater(current, baseline).pValue;

  let verdict: Verdict;
  let reason: string;
  if (significant && beyond) {
    verdict = 'fail';
    reason = `${head}; ${stat}: a regression beyond the tolerance, not noise`;
  } else if (unreachable) {
    // A pass here would claim what the test could never have found: not judged, whatever the medians.
    verdict = 'warn';
    reason = `${head}; not judged: ${unreachable}`;
    if (beyond) return { ...common, test, pValue, verdict, reason, withheld: 'fail', withheldBy: 'trials' };
  } else if (beyond && plainP < alpha) {
    verdict = 'warn';
    reason = `${head}: the trials are significantly worse than the baseline's (p = ${pText(plainP)}) but not significantly beyond the tolerance (${stat}); run the gate again, or with more trials, to decide`;
  } else if (beyond) {
    verdict = 'pass';
    reason = `${head}, but the trials do not differ significantly even from the baseline's own (Mann-Whitney U one-sided p = ${pText(plainP)} ≥ ${alpha} over ${over}): run-to-run noise, not a regression`;
  } else if (significant) {
    verdict = 'warn';
    reason = `${head}: the median is within the tolerance, but the trials sit consistently above the baseline plus the tolerance (${stat}); watch the next runs`;
  } else {
    verdict = 'pass';
    reason = `${head}: within the tolerance (${stat})`;
  }
  // Beyond the tolerance, judged, and not passed as noise: which route it comes from, with each
  // route's own numbers. (Where the whole could not be judged, no route can be either.)
  const attribution = beyond && verdict !== 'pass' && !unreachable ? routeRegressions(spec, baselineTrials, currentTrials, alpha) : undefined;
  if (attribution !== undefined) reason += `; ${attribution.text}`;
  const found = verdict;
  let withheldBy: MetricComparison['withheldBy'];
  if (mismatch) {
    verdict = 'warn';
    reason = `not judged: ${mismatch}. ${reason}`;
    withheldBy = 'profile';
  } else if (heap !== undefined && spec.metric === 'memoryPerRequest' && verdict === 'fail') {
    const why = heapWithheld(heap, Math.max(0, bMed) + allowance);
    if (why !== undefined) {
      verdict = 'warn';
      reason = `not judged: ${why}. ${reason}`;
      withheldBy = 'heap';
    }
  } else if (machine && spec.metric === 'p95') {
    const unjudged = machine.direction === 'busier' ? verdict === 'fail' : machine.direction === 'quieter' ? verdict === 'pass' : verdict !== 'warn';
    // busier: only a fail could be the machine's doing; quieter: only a pass; incomparable: either.
    if (unjudged) {
      verdict = 'warn';
      reason = `not judged: ${machine.text}. ${reason}`;
      withheldBy = 'machine';
    }
  }
  return { ...common, test, pValue, verdict, reason, ...(verdict !== found ? { withheld: found, ...(withheldBy !== undefined ? { withheldBy } : {}) } : {}), ...(attribution?.routes !== undefined ? { routes: attribution.routes } : {}) };
}

/**
 * Why a memory-per-request failure cannot stand on this run's heap, or undefined when it can. A
 * trial's number is its last heap reading minus its first over the requests between: garbage not
 * yet collected moves it by MiBs whichever way the collector happened to run (an unchanged Koa
 * service: a baseline median of −7.46 KiB, the next run's 26.5 KiB, p = 0.048), so it says when
 * the collector ran more than what the service keeps. What the service keeps shows in the heap
 * right after major collections (memory.ts): the failure stands only when that rose through the
 * run by more than `limitBytes` a request (the baseline's growth plus the allowance), from the
 * first third's floor to the lowest after a collection in the earlier half, and again to the later.
 */
function heapWithheld(heap: NonNullable<CompareOptions['heap']>, limitBytes: number): string | undefined {
  const floors = heapFloors(heap.series, limitBytes);
  const gc = heap.majorGcMetric ?? 'the count of major collections';
  const head = "a trial's memory per request is its last heap reading minus its first, which garbage not yet collected moves by MiBs with when the collector ran";
  if (floors?.collected === undefined) return `${head}, and the service exports no count of major collections (${gc}) to read the heap after one; the memory objective's perRequest or a memory-leak drill tells a leak from garbage`;
  const c = floors.collected;
  if (c.after.length < LEAK_COLLECTIONS) return `${head}, and ${c.after.length === 0 ? 'no' : `only ${c.after.length}`} major collection${c.after.length === 1 ? '' : 's'} ran past the first third of the run (${gc} went from ${c.firstCount} to ${c.lastCount}): too few to read what the heap keeps; a longer run, or a memory-leak drill, tells a leak from garbage`;
  if (!c.rising) return `${head}, and the heap right after major collections did not rise through the run by more than ${formatBytes(limitBytes)} a request (${gc} went from ${c.firstCount} to ${c.lastCount}): no growth the service keeps is shown`;
  return undefined;
}

/** Routes named in a reason; the rest are counted. */
const ROUTES_NAMED = 3;

/** Each route's values over the trials that measured it (a trial without route numbers, or without a request to it, has none). */
function routeValues(trials: readonly TrialMetrics[], routeValue: (r: TrialRoute) => number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const t of trials) {
    for (const r of t.routes ?? []) {
      if (r.requests === 0) continue;
      const v = routeValue(r);
      if (!Number.isFinite(v)) continue;
      const list = out.get(r.route);
      if (list === undefined) out.set(r.route, [v]);
      else list.push(v);
    }
  }
  return out;
}

/**
 * The routes behind a whole run's p95 or error ratio beyond the tolerance: the same test on each
 * route's own trials against its baseline's, shifted by the same tolerance. A route significantly
 * beyond it is the regression's cause (fail); one whose median is beyond without significance is
 * named as a suspect (warn). When no route is beyond, the whole moved without any one route
 * moving that far (a few routes a little each), and the reason says so. Undefined for a metric
 * routes have none of (memory).
 */
function routeRegressions(spec: MetricSpec, baselineTrials: readonly TrialMetrics[], currentTrials: readonly TrialMetrics[], alpha: number): { routes?: RouteRegression[]; text: string } | undefined {
  if (spec.routeValue === undefined) return undefined;
  const before = routeValues(baselineTrials, spec.routeValue);
  const now = routeValues(currentTrials, spec.routeValue);
  if (before.size === 0) {
    return now.size === 0 ? undefined : { text: 'the baseline has no numbers per route (an earlier sloctl recorded it), so no route can be named: record it again with --update-baseline once this build is fixed' };
  }
  const found: RouteRegression[] = [];
  const unjudged: string[] = [];
  for (const [route, current] of now) {
    const baseline = before.get(route);
    if (baseline === undefined || baseline.length < MIN_TRIALS || current.length < MIN_TRIALS) {
      unjudged.push(route);
      continue;
    }
    const { shifted, allowance } = spec.shift(baseline);
    const bMed = median(baseline);
    const cMed = median(current);
    if (!(cMed > median(shifted))) continue;
    const { pValue } = mannWhitneyGreater(current, shifted);
    found.push({ route, baselineMedian: bMed, currentMedian: cMed, change: spec.change(bMed, cMed, allowance), pValue, verdict: pValue < alpha ? 'fail' : 'warn' });
  }
  // Significant ones first, then the largest change.
  found.sort((a, b) => (a.verdict === b.verdict ? (b.change === a.change ? a.route.localeCompare(b.route) : b.change > a.change ? 1 : -1) : a.verdict === 'fail' ? -1 : 1));
  const newRoutes = unjudged.filter((r) => !before.has(r));
  const short = unjudged.filter((r) => before.has(r));
  const tail = [
    newRoutes.length > 0 ? `${newRoutes.join(', ')} ${newRoutes.length === 1 ? 'is' : 'are'} not in the baseline (a route new to the load mix moves the whole; --update-baseline records it once it passes)` : '',
    short.length > 0 ? `${short.join(', ')} had too few trials with requests to compare (fewer than ${MIN_TRIALS} on a side)` : '',
  ].filter((x) => x !== '');
  const describe = (r: RouteRegression) => `${r.route} ${spec.format(r.baselineMedian)} → ${spec.format(r.currentMedian)} (${spec.formatChange(r.change, r.baselineMedian, r.currentMedian)}, p = ${pText(r.pValue)})`;
  const list = (rs: RouteRegression[]) => `${rs.slice(0, ROUTES_NAMED).map(describe).join(', ')}${rs.length > ROUTES_NAMED ? ` and ${rs.length - ROUTES_NAMED} more` : ''}`;
  const causes = found.filter((r) => r.verdict === 'fail');
  const suspects = found.filter((r) => r.verdict === 'warn');
  let text: string;
  if (causes.length > 0) {
    text = `from ${causes.length === 1 ? 'route' : 'routes'} ${list(causes)}${suspects.length > 0 ? `; beyond it by the median only: ${list(suspects)}` : ''}`;
  } else if (suspects.length > 0) {
    text = `no route alone is significantly beyond the tolerance; by the median: ${list(suspects)}`;
  } else {
    text = `no route alone is beyond the tolerance${now.size > 1 ? ': the whole moved with several routes a little each' : ''}`;
  }
  if (tail.length > 0) text += `; ${tail.join('; ')}`;
  return { ...(found.length > 0 ? { routes: found } : {}), text };
}

/** How the rest of the machine differed between the baseline's trials and this run's. */
export interface MachineChange {
  /**
   * busier: less CPU was free this run (a slower p95 may be the machine's doing);
   * quieter: more was free (a regression may hide); incomparable: another core count.
   */
  direction: 'busier' | 'quieter' | 'incomparable';
  /** What differed and what to do, for the reason. */
  text: string;
}

function cores(v: number): string {
  return v.toFixed(2);
}

/**
 * Compares the CPU the rest of the machine left free during the baseline's trials and this run's
 * (median over trials); undefined when they are within `tolerance` of the baseline's (relative,
 * and at least MACHINE_MIN_CORES), or when either side did not measure it.
 */
export function machineChange(baseline: readonly TrialMetrics[], current: readonly TrialMetrics[], tolerance = MACHINE_TOLERANCE): MachineChange | undefined {
  const b = baseline.flatMap((t) => (t.machine ? [t.machine] : []));
  const c = current.flatMap((t) => (t.machine ? [t.machine] : []));
  if (b.length === 0 || c.length === 0) return undefined;
  const bCores = median(b.map((m) => m.cores));
  const cCores = median(c.map((m) => m.cores));
  if (bCores !== cCores) {
    return { direction: 'incomparable', text: `the baseline was recorded on a machine with ${bCores} CPU cores, this run on one with ${cCores}; latency on different machines does not compare, so record a baseline on this one with --update-baseline` };
  }
  const free = (ms: typeof b) => median(ms.map((m) => m.cores - m.otherCpuCores));
  const bFree = free(b);
  const cFree = free(c);
  const allowed = Math.max(tolerance * bFree, MACHINE_MIN_CORES);
  const said = `other processes left ${cores(cFree)} of ${cCores} CPU cores free during this run, against ${cores(bFree)} when the baseline was recorded`;
  if (cFree < bFree - allowed) {
    return { direction: 'busier', text: `${said}; a busier machine slows the service by itself, so run the gate again when the machine is quieter` };
  }
  if (cFree > bFree + allowed) {
    return { direction: 'quieter', text: `${said}; the CPU this run had to spare can hide a regression, so record the baseline again (--update-baseline) when the machine is as quiet as now` };
  }
  return undefined;
}

const SEVERITY: Record<Verdict, number> = { skipped: 0, pass: 1, warn: 2, fail: 3 };

/** The worst verdict among the comparisons; 'skipped' only when nothing was compared. */
export function overallVerdict(comparisons: readonly MetricComparison[]): Verdict {
  let worst: Verdict = 'skipped';
  for (const c of comparisons) if (SEVERITY[c.verdict] > SEVERITY[worst]) worst = c.verdict;
  return worst;
}

/**
 * Compares the current run's trials with the baseline's: p95, error ratio and memory per request,
 * each with its tolerance (the contract's `regression` section), each judged as described above.
 */
export function compareWithBaseline(baseline: BaselineFile, current: TrialMetrics[], tolerances: RegressionTolerances, options: CompareOptions = {}): BaselineComparison {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${alpha}`);
  const mismatch = options.profile ? profileMismatch(baseline, options.profile) : undefined;
  const machine = machineChange(baseline.trials, current, options.machineTolerance ?? MACHINE_TOLERANCE);
  const comparisons = specs(tolerances, options.memoryFloorBytes ?? MEMORY_FLOOR_BYTES).map((spec) => compareMetric(spec, baseline.trials, current, alpha, mismatch, machine, options.trialsSetting, options.plannedTrials, options.heap));
  return {
    path: options.path ?? '',
    createdAt: baseline.createdAt,
    ...(baseline.commit ? { commit: baseline.commit } : {}),
    comparisons,
    verdict: overallVerdict(comparisons),
  };
}
