// One SLO's status at a time `at`, from its definition and a source of event counts — the rolling
// window the embedded engine fills from scrapes, or numbers read from Prometheus. Pure: the same
// inputs give the same report, with the arithmetic behind every number written out (`explain`).
//
// Events are (good, bad, total) with bad = total - good. For the errors SLO `bad` is class-weighted
// and may exceed `total` (a server error weighs 2.5): the SLI (weighted success ratio) is then
// negative, which is what the contract's formula says, and the budget is simply overspent. The
// number stays so (JSON, the explanation's arithmetic); the tables say "0% (weighted errors 1.12×
// the requests)" (successPct): "-12%" read as nonsense.
import { evaluateBurnRateAlerts, explainTier, formatMs, type AlertEvaluation, type WindowEvents } from '../engine/alerts.ts';
import {
  burnRate,
  errorBudget,
  ratioTimeslicesRatio,
  timeslicesRatio,
  timeToExhaustion,
  type BudgetingMethod,
  type ErrorBudget,
  type TimesliceResult,
} from '../engine/budget.ts';
import { calendarWindow } from '../engine/calendar.ts';
import { healthTable, type HealthInput, type HealthRow } from '../engine/health.ts';
import { ceilingSide, type QuantileBucket } from '../engine/histogram.ts';
import { formatElapsed, formatMillis } from '../contract/units.ts';
import type { SloDefinition } from './definitions.ts';
import { SAMPLES_UNIT, thinEvidence, thinSamples, type SampleEvidence, type ThinSamples } from './thin-evidence.ts';

/** Events over a span, with how much of it had data (when the source knows). */
export interface WindowCounts {
  good: number;
  bad: number;
  total: number;
  start: number;
  end: number;
  buckets?: number;
  bucketsWithData?: number;
}

/** Where an SLO's events come from. */
export interface EventSource {
  /** Events with timestamps in [start, end). */
  range(start: number, end: number): WindowCounts;
  /** Events over the last `durationMs` ending at `end` (the tiers' windows). */
  over(durationMs: number, end: number): WindowCounts;
  /** Consecutive slices of [start, end) for Timeslices budgeting; absent when the source cannot. */
  slices?(start: number, end: number, sliceMs: number): WindowCounts[];
  /** What the events are, for the explanation (one line each). */
  describe(): string[];
  /** How the counts were obtained, e.g. "plain increases between scrapes" or "PromQL increase()". */
  countedBy: string;
  /** Unit of one event, e.g. "requests", "scrapes of the composite". */
  unit: string;
  /**
   * Availability samples: how many of those in [start, end) are independent observations
   * (thin-evidence.ts SampleEvidence). Absent: every event counts as one.
   */
  samples?(start: number, end: number): SampleEvidence;
}

export interface PercentileStatus {
  label: string;
  quantile: number;
  objectiveSeconds: number;
  /** NaN when there were no observations. */
  valueSeconds: number;
  /** The span the quantile was computed over. */
  over: string;
  /** The same span in ms, for the table's WINDOW column. */
  overMs?: number;
  /**
   * The ceiling has no histogram bucket: the buckets around it, and whether the value lands in the
   * bucket that holds the ceiling (then histogram_quantile's linear interpolation decides the
   * verdict, and no verdict is given).
   */
  interpolated?: { below: number; above: number; undecided: boolean };
  /**
   * The histogram bucket the quantile lies in, (lowerSeconds, upperSeconds]: all the histogram
   * knows of it (valueSeconds is a linear guess inside it). upperSeconds is Infinity when the
   * quantile is in the +Inf bucket (then valueSeconds is the highest finite bound, a lower bound).
   * From a PromQL answer, a value at the highest finite bound reads as (the bound below, Infinity).
   * Absent when there were no observations.
   */
  bucket?: { lowerSeconds: number; upperSeconds: number };
}

export type SloState = 'ok' | 'failing' | 'unknown' | 'skipped';

/** An alert of sloctl's rules as Prometheus holds it (`ALERTS`): pending until its `for` has passed, then firing. */
export interface PrometheusAlert {
  alertname: string;
  state: 'pending' | 'firing';
  severity?: string;
  /** The burn-rate tier (`sloctl_tier`); absent for the SLIMissing and SLIUnmeasurable alerts. */
  tier?: string;
}

export interface SloStatus {
  name: string;
  kind: SloDefinition['kind'];
  promise: string;
  objective: number;
  budgeting: BudgetingMethod;
  window: { label: string; start: number; end: number; lengthMs: number };
  counts: WindowCounts;
  /** The SLI over the window so far; NaN when unknown. */
  current: number;
  state: SloState;
  /** Why it is skipped or unknown, or what to look at. */
  reason?: string;
  budget?: ErrorBudget;
  timeslices?: TimesliceResult & { sliceMs: number; eligibleSlices: number };
  /** Burn rate over the window so far. */
  burnRate: number;
  /** Burn rate the time to exhaustion uses (the shortest tier's long window), and that window. */
  currentBurn?: { burnRate: number; windowMs: number };
  timeToExhaustionMs: number;
  /**
   * sloctl's evaluation of the burn-rate tiers: what would fire on these numbers (a Prometheus alert
   * is pending for its `for` first). Not an alert anyone was sent.
   */
  alerts?: AlertEvaluation;
  /** Prometheus' own alerts for the SLO (pending or firing), when its rules were read; absent otherwise. */
  prometheusAlerts?: PrometheusAlert[];
  /**
   * The span the SLI's counts cover: the span sloctl watched (scraping), or the range queried
   * (PromQL: the SLO window). Absent when nothing was counted.
   */
  sliWindowMs?: number;
  /**
   * Availability read from the SDK's gauge (scraping): how far back each sample judges the service
   * (its health.window), which for the first samples is before the span sloctl watched.
   */
  gaugeWindowMs?: number;
  /**
   * Availability UNKNOWN because its samples hold fewer independent observations than the
   * objective needs: the numbers (the gate's service view reads them, objectives.ts).
   */
  thinSamples?: ThinSamples;
  percentiles: PercentileStatus[];
  notes: string[];
  explain: string[];
}

export interface StatusReport {
  service: string;
  at: number;
  source:
    | { kind: 'scrape'; url: string; scrapes: number; failures: number; firstAt?: number; lastAt?: number; restarts: number; errors: string[] }
    | { kind: 'prometheus'; url: string; recordingRules: boolean; rulesLoaded?: boolean; selector?: string };
  slos: SloStatus[];
  /** Notes on the whole report (e.g. recorded series left unread, and why). */
  notes?: string[];
  health: HealthRow[];
  /** Store bounds and evictions (embedded mode). */
  store?: { series: number; samples: number; evictedSamples: number; evictedSeries: number; refusedSeries: number };
}

// --- number formatting, shared by the explanation and the renderers --------------------------

/** 0.991667 -> "99.1667%"; NaN -> "n/a". */
export function pct(ratio: number, digits = 4): string {
  if (Number.isNaN(ratio)) return 'n/a';
  if (!Number.isFinite(ratio)) return ratio > 0 ? '+Inf%' : '-Inf%';
  return `${+(ratio * 100).toFixed(digits)}%`;
}

/**
 * A weighted success ratio as people read it: pct, but below 0 it is "0% (weighted errors 1.12×
 * the requests)". 1 - Σ class weight × errors / requests goes negative when the weighted errors
 * outnumber the requests (a server fault weighs 2.5); "-12%" read as nonsense. Only the words:
 * the number itself (JSON, verdicts, the explanation's arithmetic) stays as the formula gives it.
 */
export function successPct(ratio: number, digits = 4): string {
  if (!(ratio < 0) || !Number.isFinite(ratio)) return pct(ratio, digits);
  return `0% (weighted errors ${num(+(1 - ratio).toPrecision(3))}× the requests)`;
}

/** 1234 -> "1,234"; 12.3456789 -> "12.3457"; NaN -> "n/a". */
export function num(n: number): string {
  if (Number.isNaN(n)) return 'n/a';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const r = +n.toPrecision(6);
  return Math.abs(r) >= 1000 ? r.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(r);
}

/** A burn rate: "0.833x". */
export function burn(b: number): string {
  return Number.isNaN(b) ? 'n/a' : `${num(+b.toPrecision(3))}x`;
}

/** A time span for a reader (units.ts formatElapsed): "8.196s", "1m31s", "3d4h"; "never" for Infinity. */
export function duration(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  if (ms === Infinity) return 'never';
  return formatElapsed(ms);
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

// --- the evaluation ------------------------------------------------------------------------------

function windowOf(def: SloDefinition, at: number): { label: string; start: number; end: number; lengthMs: number } {
  if (def.window.kind === 'rolling') {
    return { label: `rolling ${formatMs(def.window.ms)}`, start: at - def.window.ms, end: at, lengthMs: def.window.ms };
  }
  const w = calendarWindow(def.window.calendar, at, def.window.timeZone);
  return { label: `calendar ${def.window.calendar} in ${def.window.timeZone} (${iso(w.start)} to ${iso(w.end)})`, start: w.start, end: at, lengthMs: w.end - w.start };
}

function toWindowEvents(c: WindowCounts): WindowEvents {
  const out: WindowEvents = { good: c.total - c.bad, total: c.total };
  if (c.buckets !== undefined) out.buckets = c.buckets;
  if (c.bucketsWithData !== undefined) out.bucketsWithData = c.bucketsWithData;
  return out;
}

export interface EvaluateOptions {
  /** Extra notes (e.g. interpolated thresholds, unknown error classes) to print with the SLO. */
  notes?: string[];
  percentiles?: PercentileStatus[];
  /** Override Timeslices: slice width (default: the bucket) and slice target (default: the objective). */
  slice?: { ms?: number; target?: number };
  /**
   * Why the SLI cannot be measured from the series there are (a label the mapping reads is on no
   * series, a threshold has no histogram bucket), with the fix: the SLO is UNKNOWN with that reason,
   * never read as good or bad from what the selectors happen to match.
   */
  unmeasurable?: string;
  /** SloStatus.sliWindowMs. */
  sliWindowMs?: number;
  /** SloStatus.gaugeWindowMs. */
  gaugeWindowMs?: number;
  /** SloStatus.prometheusAlerts. */
  prometheusAlerts?: PrometheusAlert[];
}

/** The status of one SLO at `at`, from its events. */
export function evaluateSlo(def: SloDefinition, source: EventSource, at: number, options: EvaluateOptions = {}): SloStatus {
  const win = windowOf(def, at);
  const counts = source.range(win.start, win.end);
  const notes = [...(options.notes ?? [])];
  const explain: string[] = [];
  const unit = source.unit;
  const status: SloStatus = { ...blankStatus(def, win, counts), percentiles: options.percentiles ?? [], notes, explain };
  if (options.sliWindowMs !== undefined) status.sliWindowMs = options.sliWindowMs;
  if (options.gaugeWindowMs !== undefined) status.gaugeWindowMs = options.gaugeWindowMs;
  if (options.prometheusAlerts !== undefined) status.prometheusAlerts = options.prometheusAlerts;

  explain.push(`${def.name}: ${def.promise}`);
  for (const line of source.describe()) explain.push(`  ${line}`);
  if (options.unmeasurable !== undefined) {
    for (const p of status.percentiles) explain.push(`  ${percentileExplain(p)}`);
    for (const n of notes) explain.push(`  note: ${n}`);
    status.reason = options.unmeasurable;
    // The total is known; which of them were bad is not (0 would read as "all good").
    status.counts = { ...counts, good: NaN, bad: NaN };
    explain.push(`  state: UNKNOWN (${options.unmeasurable}; not judged: the events the selectors match are not the SLI)`);
    return status;
  }
  const coverage = counts.buckets !== undefined && counts.bucketsWithData !== undefined
    ? `; data in ${num(counts.bucketsWithData)} of its ${num(counts.buckets)} buckets of ${formatMs(def.bucketMs)}`
    : '';
  explain.push(`  window: ${win.label}, ${iso(win.start)} to ${iso(win.end)}${coverage}`);
  explain.push(`  events (${source.countedBy}): bad ${num(counts.bad)} of ${num(counts.total)} ${unit}; good = ${num(counts.total)} - ${num(counts.bad)} = ${num(counts.total - counts.bad)}`);

  const o = def.objective;
  const allowedShare = 1 - o;
  status.burnRate = burnRate(counts.bad, counts.total, o);

  if (def.budgeting === 'Occurrences' || source.slices === undefined) {
    if (def.budgeting !== 'Occurrences') notes.push(`${def.budgeting} budgeting needs per-slice counts this source does not have; counted as Occurrences`);
    if (counts.total > 0) {
      status.current = 1 - counts.bad / counts.total;
      const budget = errorBudget(o, counts.total, counts.bad);
      status.budget = budget;
      const below = status.current < 0 ? '; below 0%: the weighted errors outnumber the requests (error classes weigh over 1), shown as 0%' : '';
      explain.push(`  SLI = 1 - ${num(counts.bad)} / ${num(counts.total)} = ${pct(status.current)} (objective ${pct(o)})${below}`);
      explain.push(`  budget: allowed = (1 - ${pct(o)}) × ${num(counts.total)} = ${num(budget.allowed)} bad ${unit}; spent ${num(budget.consumed)}; remaining ${num(budget.allowed)} - ${num(budget.consumed)} = ${num(budget.remaining)} (${pct(budget.remainingRatio, 2)} of the budget)`);
    }
  } else {
    const sliceMs = options.slice?.ms ?? def.bucketMs;
    const target = options.slice?.target ?? o;
    const start = Math.ceil(win.start / sliceMs) * sliceMs;
    const slices = source.slices(start, win.end, sliceMs).map((s) => ({ good: s.total - s.bad, total: s.total }));
    const res = def.budgeting === 'Timeslices' ? timeslicesRatio(slices, target) : ratioTimeslicesRatio(slices);
    const eligible = Math.round(win.lengthMs / sliceMs);
    status.timeslices = { ...res, sliceMs, eligibleSlices: eligible };
    const known = res.goodSlices + res.badSlices;
    if (known > 0) {
      status.current = res.sli;
      const budget = errorBudget(o, eligible, res.bad);
      status.budget = budget;
      if (def.budgeting === 'Timeslices') {
        explain.push(`  slices of ${formatMs(sliceMs)}: a slice is good when its ratio is at least ${pct(target)}; ${res.goodSlices} good, ${res.badSlices} bad, ${res.unknownSlices} without events (unknown, left out)`);
        explain.push(`  SLI = ${res.goodSlices} / ${known} = ${pct(status.current)} (objective ${pct(o)})`);
      } else {
        explain.push(`  slices of ${formatMs(sliceMs)}: SLI = mean of the ${known} slice ratios = ${pct(status.current)} (objective ${pct(o)}); ${res.unknownSlices} slices without events left out`);
      }
      explain.push(`  budget: the window has ${num(eligible)} slices; allowed = (1 - ${pct(o)}) × ${num(eligible)} = ${num(budget.allowed)} bad slices; spent ${num(budget.consumed)}; remaining ${num(budget.remaining)} (${pct(budget.remainingRatio, 2)} of the budget)`);
    }
  }

  if (!Number.isNaN(status.burnRate)) {
    explain.push(`  burn rate over the window = (${num(counts.bad)} / ${num(counts.total)}) / (1 - ${pct(o)}) = ${burn(status.burnRate)}`);
  }

  const alerts = evaluateBurnRateAlerts({
    objective: o,
    sloWindowMs: win.lengthMs,
    at,
    // Availability samples: the tiers' minimum counts independent observations, not scrapes.
    query: (d, end) => {
      const w = toWindowEvents(source.over(d, end));
      if (source.samples !== undefined) w.observations = source.samples(end - d, end).independent;
      return w;
    },
    tiers: def.tiers,
  });
  status.alerts = alerts;
  // sloctl's evaluation of a tier has no `for`: what it finds above both thresholds would fire.
  for (const t of alerts.tiers) explain.push(`  alert ${explainTier(t, 'WOULD FIRE')}`);
  if (alerts.tiers.length === 0) explain.push('  alerts: every tier is disabled in the contract');

  // Time to exhaustion at the current burn: the burn over the shortest tier's long window.
  const shortest = [...def.tiers].sort((a, b) => a.longMs - b.longMs)[0];
  if (status.budget && shortest) {
    const w = source.over(shortest.longMs, at);
    const b = burnRate(w.bad, w.total, o);
    status.currentBurn = { burnRate: b, windowMs: shortest.longMs };
    status.timeToExhaustionMs = timeToExhaustion(status.budget.remainingRatio, b, win.lengthMs);
    if (status.budget.remaining <= 0) {
      explain.push(`  time to exhaustion: none, the budget is already spent`);
    } else if (!Number.isNaN(b)) {
      explain.push(`  time to exhaustion at the ${formatMs(shortest.longMs)} burn of ${burn(b)}: ${pct(status.budget.remainingRatio, 2)} × ${formatMs(win.lengthMs)} / ${burn(b)} = ${duration(status.timeToExhaustionMs)}`);
    }
  } else if (status.budget) {
    status.currentBurn = { burnRate: status.burnRate, windowMs: win.end - win.start };
    status.timeToExhaustionMs = timeToExhaustion(status.budget.remainingRatio, status.burnRate, win.lengthMs);
  }

  for (const p of status.percentiles) explain.push(`  ${percentileExplain(p)}`);
  for (const n of notes) explain.push(`  note: ${n}`);

  if (Number.isNaN(status.current)) {
    status.state = 'unknown';
    status.reason = counts.total === 0 && (counts.bucketsWithData ?? 0) > 0 ? `no ${unit} in the window` : 'no data in the window';
    explain.push(`  state: UNKNOWN (${status.reason}; a gap is never counted as good)`);
  } else {
    const failing = status.current < o || (status.budget !== undefined && status.budget.remaining < 0);
    // Too few events for the objective (thin-evidence.ts): requests, and the availability
    // composite's samples (one per scrape), which no number of them under one allowed bad one can
    // judge either way (thinSamples says why). Time slices are not events. (The exemption the
    // samples had, "each interval is judged against what its part's objective gives by chance
    // already", guarded only a part's miss, never availability's own objective: 3 clean samples
    // read OK at 99.9%, and one burst read FAILING.)
    // Samples count as independent observations only when far enough apart (SampleEvidence): 1,000
    // scrapes 10 ms apart of a gauge that judges its last 30 s are one observation, not 1,000.
    const perEvent = def.budgeting === 'Occurrences' || source.slices === undefined;
    const samples = !perEvent || unit !== SAMPLES_UNIT ? undefined
      : thinSamples(source.samples?.(win.start, win.end) ?? { samples: counts.total, independent: counts.total, spanMs: NaN, spacingMs: 0, spacingWhat: 'scrape interval' }, counts.bad, o);
    if (samples !== undefined) status.thinSamples = samples;
    const thin = !perEvent ? undefined
      : unit === 'requests' ? thinEvidence(counts.total, counts.bad, o, unit)
      : samples?.reason;
    if (thin !== undefined) {
      status.state = 'unknown';
      status.reason = thin;
      explain.push(`  state: UNKNOWN (${thin}; read ${pct(status.current)} against ${pct(o)})`);
    } else {
      status.state = failing ? 'failing' : 'ok';
      explain.push(`  state: ${failing ? 'FAILING' : 'OK'} (${pct(status.current)} ${failing ? '<' : '>='} ${pct(o)})`);
    }
  }
  return status;
}

/** "le=0.1 and le=0.25" for a reader. */
export function interpolationText(p: PercentileStatus): string | undefined {
  const i = p.interpolated;
  if (!i) return undefined;
  const le = (x: number) => (x === Infinity ? '+Inf' : String(x));
  return `interpolated: the ${formatMillis(p.objectiveSeconds * 1000)} ceiling falls between the buckets le=${le(i.below)} and le=${le(i.above)}; histogram_quantile interpolates linearly inside a bucket, which can overstate the percentile${i.undecided ? ', and the value lands in that bucket, so it cannot say which side of the ceiling the percentile is' : ''} (add a bucket at le=${+p.objectiveSeconds.toPrecision(12)})`;
}

function percentileExplain(p: PercentileStatus): string {
  const base = `${p.label} = ${formatMillis(p.valueSeconds * 1000)} over ${p.over} (ceiling ${formatMillis(p.objectiveSeconds * 1000)}; histogram_quantile over the bucket increases)`;
  const i = interpolationText(p);
  return i ? `${base}; ${i}` : base;
}

/**
 * The buckets around a percentile's ceiling when none is at it (PercentileStatus.interpolated).
 * Undecided when the quantile's bucket holds the ceiling; without the bucket, when the value lands
 * in (below, above] (which misses a quantile in +Inf, whose value is the bound below).
 */
export function ceilingBuckets(les: readonly number[], ceilingSeconds: number, valueSeconds: number, bucket?: QuantileBucket): PercentileStatus['interpolated'] {
  const sorted = [...new Set(les)].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((x) => Number.isFinite(x) && Math.abs(x - ceilingSeconds) <= 1e-9 * Math.max(x, ceilingSeconds))) return undefined;
  const below = [...sorted].reverse().find((x) => x < ceilingSeconds) ?? 0;
  const above = sorted.find((x) => x > ceilingSeconds) ?? Infinity;
  const undecided = bucket ? ceilingSide(bucket, ceilingSeconds) === 'undecided' : Number.isFinite(valueSeconds) && valueSeconds > below && valueSeconds <= above;
  return { below, above, undecided };
}

/**
 * A percentile's status from its value, the histogram's bounds (`les`, seconds) and the bucket the
 * quantile lies in (the embedded engine knows it; from PromQL it is read off the value and bounds).
 */
export function percentileStatus(p: Omit<PercentileStatus, 'interpolated' | 'bucket'>, les: readonly number[], bucket: QuantileBucket | undefined): PercentileStatus {
  const interpolated = ceilingBuckets(les, p.objectiveSeconds, p.valueSeconds, bucket);
  return { ...p, ...(interpolated ? { interpolated } : {}), ...(bucket ? { bucket: { lowerSeconds: bucket.lower, upperSeconds: bucket.upper } } : {}) };
}

/** An SLO before anything is known about it: every number unknown (NaN), never "good". */
function blankStatus(def: SloDefinition, win: SloStatus['window'], counts: SloStatus['counts']): SloStatus {
  return {
    name: def.name,
    kind: def.kind,
    promise: def.promise,
    objective: def.objective,
    budgeting: def.budgeting,
    window: win,
    counts,
    current: NaN,
    state: 'unknown',
    burnRate: NaN,
    timeToExhaustionMs: NaN,
    percentiles: [],
    notes: [],
    explain: [],
  };
}

/** A skipped SLO (e.g. a custom PromQL SLI without --prometheus). */
export function skippedSlo(def: SloDefinition, at: number, reason: string): SloStatus {
  const win = windowOf(def, at);
  return {
    ...blankStatus(def, win, { good: 0, bad: 0, total: 0, start: win.start, end: win.end }),
    state: 'skipped',
    reason,
    explain: [`${def.name}: ${def.promise}`, `  skipped: ${reason}`],
  };
}

/**
 * Which side of its ceiling a percentile is, by the bucket it lies in when that is known
 * (ceilingSide), else by its value.
 */
export function percentileSide(p: PercentileStatus): 'within' | 'over' | 'undecided' {
  if (p.bucket) return ceilingSide({ lower: p.bucket.lowerSeconds, upper: p.bucket.upperSeconds }, p.objectiveSeconds);
  if (p.interpolated?.undecided) return 'undecided';
  return p.valueSeconds > p.objectiveSeconds ? 'over' : 'within';
}

/** The quantile lies in the +Inf bucket: its value is the highest finite bound, and it is above that. */
export function aboveHighestBound(p: PercentileStatus): boolean {
  return p.bucket !== undefined && p.bucket.upperSeconds === Infinity && p.valueSeconds === p.bucket.lowerSeconds;
}

/** The health table (src/engine/health.ts) over the evaluated SLOs and their percentile ceilings. */
export function healthRows(slos: readonly SloStatus[]): HealthRow[] {
  const inputs: HealthInput[] = [];
  for (const s of slos) {
    if (s.state === 'skipped') continue;
    const input: HealthInput = { name: s.name, current: s.current, objective: s.objective, direction: 'higher-is-better', kind: 'ratio' };
    if (s.budget) input.budgetRemainingRatio = s.budget.remainingRatio;
    else input.budgetRemainingRatio = NaN;
    inputs.push(input);
    for (const p of s.percentiles) {
      // Judged by the bucket the quantile lies in, as the gate judges it (ceilingSide): inside the
      // bucket that holds the ceiling the value is a guess (unknown). Over: a quantile in the +Inf
      // bucket is printed as the highest finite bound, so with the ceiling at that bound the value
      // would read as met (250 ms <= 250 ms) while the quantile is over it: judged as above it.
      const side = percentileSide(p);
      const current = side === 'undecided' ? NaN : side === 'over' && !(p.valueSeconds > p.objectiveSeconds) ? Infinity : p.valueSeconds * 1000;
      inputs.push({ name: `${s.name} ${p.label}`, current, objective: p.objectiveSeconds * 1000, direction: 'lower-is-better', kind: 'value' });
    }
  }
  return healthTable(inputs);
}

/**
 * The upper bound of a service percentile's bucket when it is the histogram's lowest (from 0, a
 * finite bound), else undefined: there histogram_quantile interpolates from 0, which says nothing,
 * and what the histogram knows is "at or under the bound" (the tables print "≤ 5 ms").
 */
export function lowestBucketBound(bucket: { lower: number; upper: number } | undefined): number | undefined {
  return bucket !== undefined && !(bucket.lower > 0) && Number.isFinite(bucket.upper) ? bucket.upper : undefined;
}

/**
 * A histogram bucket bound in ms, as exact as its `le` label (no padding to three figures: the
 * bound is a number someone chose): 5 -> "5 ms", 2.5 -> "2.5 ms", 10000 -> "10,000 ms".
 */
export function formatBound(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return `${(+ms.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 })} ms`;
}
