// Multiwindow, multi-burn-rate alerts (Google SRE workbook, ch. 5 "Alerting on SLOs").
//
// A tier fires when the burn rate over its long window AND over its short window both exceed the
// tier's burn-rate threshold: the long window proves enough budget was spent to matter, the short
// window proves it is still being spent (so the alert stops soon after the problem does).
//
// The workbook's defaults are stated for a 30-day SLO window. What a tier really means is "page
// when X% of the whole budget went in the long window": budgetShare = burnRate × long / sloWindow
// (14.4 × 1h / 30d = 2%). For another SLO window there are two ways to keep that share:
//
// - `windows` (default, Pyrra's choice): keep the burn-rate threshold and scale both windows by
//   sloWindow / 30d. For 28d: 14.4x over 56m and 5m (4m40s rounded to the 1m resolution). The
//   detection time of a given outage, as a fraction of the SLO window, stays the same.
// - `burn-rate` (Sloth's choice): keep the windows and scale the threshold by sloWindow / 30d.
//   For 28d: 13.44x over 1h and 5m. Windows stay the familiar 5m/1h/..., which suits recording
//   rules shared between SLOs.
//
// Scaled windows are rounded to a resolution (the bucket width, default 1m) so the rolling window
// can answer them exactly; `budgetShare` is recomputed from the rounded windows and reported.
//
// Thresholds compare with `>` as the workbook's rules do, so the embedded engine and the generated
// Prometheus rules fire on the same data.
//
// Low traffic: with 20 requests an hour, one failure is a 5% error ratio, above a 14.4x threshold for
// a 99.9% SLO. Below `minEvents` in the long window a tier is "unknown", never "ok" and never
// firing. The default ('auto') is the fewest events for which a single bad event alone cannot cross
// the tier's threshold: ceil(1 / (burnRate × (1 - objective))), e.g. 70 for 14.4x at 99.9%.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The SLO window the workbook's numbers are stated for. */
export const WORKBOOK_SLO_WINDOW_MS = 30 * DAY;

export type Severity = 'page' | 'ticket';

export interface BurnRateTier {
  name: string;
  severity: Severity;
  /** Fire when the burn rate is above this over both windows. */
  burnRate: number;
  longMs: number;
  shortMs: number;
  /** false: not evaluated (the contract turned it off). Default true. */
  enabled?: boolean;
  /** Minimum events in the long window, or 'auto' (see the file comment). Default 'auto'. */
  minEvents?: number | 'auto';
}

/** The SRE workbook's tiers, for a 30-day SLO window. */
export const WORKBOOK_TIERS: readonly BurnRateTier[] = Object.freeze([
  { name: 'page-1h', severity: 'page', burnRate: 14.4, longMs: HOUR, shortMs: 5 * MINUTE },
  { name: 'page-6h', severity: 'page', burnRate: 6, longMs: 6 * HOUR, shortMs: 30 * MINUTE },
  { name: 'ticket-1d', severity: 'ticket', burnRate: 3, longMs: DAY, shortMs: 2 * HOUR },
  { name: 'ticket-3d', severity: 'ticket', burnRate: 1, longMs: 3 * DAY, shortMs: 6 * HOUR },
]) as readonly BurnRateTier[];

export type ScaleMode = 'windows' | 'burn-rate';

export interface ScaleOptions {
  mode?: ScaleMode;
  /** Windows are rounded to a multiple of this (the bucket width). Default 1 minute. */
  resolutionMs?: number;
  /** The window the tiers were written for. Default 30 days. */
  referenceWindowMs?: number;
}

export interface ScaledTier extends BurnRateTier {
  /** Share of the whole SLO window's budget that the long window must have spent to fire. */
  budgetShare: number;
}

function roundTo(ms: number, resolution: number): number {
  return Math.max(resolution, Math.round(ms / resolution) * resolution);
}

/** Adapts tiers written for `referenceWindowMs` (30d) to an SLO window, keeping each tier's budget share. */
export function scaleTiers(tiers: readonly BurnRateTier[], sloWindowMs: number, options: ScaleOptions = {}): ScaledTier[] {
  const mode = options.mode ?? 'windows';
  const resolution = options.resolutionMs ?? MINUTE;
  const ratio = sloWindowMs / (options.referenceWindowMs ?? WORKBOOK_SLO_WINDOW_MS);
  return tiers.map((t) => {
    const longMs = mode === 'windows' ? roundTo(t.longMs * ratio, resolution) : t.longMs;
    const shortMs = mode === 'windows' ? roundTo(t.shortMs * ratio, resolution) : t.shortMs;
    const burnRate = mode === 'windows' ? t.burnRate : t.burnRate * ratio;
    return {
      name: t.name,
      severity: t.severity,
      burnRate,
      longMs,
      shortMs,
      enabled: t.enabled,
      minEvents: t.minEvents,
      budgetShare: (burnRate * longMs) / sloWindowMs,
    };
  });
}

/** Events over one window, as a rolling window (or PromQL) answers. */
export interface WindowEvents {
  good: number;
  total: number;
  /** Buckets covered and how many had data, when the source knows (a RollingWindow does). */
  buckets?: number;
  bucketsWithData?: number;
  /**
   * Of `total`, how many are independent observations, when fewer: samples of the availability
   * composite closer than the span each judges (src/evaluate/thin-evidence.ts SampleEvidence).
   * `minEvents` counts these: 150 scrapes 10 ms apart of a gauge over the last 10 s are one.
   */
  observations?: number;
}

/** "Good and total events over the last `durationMs` ending at `end`." */
export type EventQuery = (durationMs: number, end: number) => WindowEvents;

export interface WindowEvaluation {
  durationMs: number;
  good: number;
  total: number;
  bad: number;
  /** bad / total; NaN with no events. */
  errorRatio: number;
  /** errorRatio / (1 - objective); NaN with no events. */
  burnRate: number;
  buckets?: number;
  bucketsWithData?: number;
  /** WindowEvents.observations. */
  observations?: number;
}

export type TierStatus = 'firing' | 'ok' | 'unknown' | 'disabled';

export interface TierEvaluation {
  name: string;
  severity: Severity;
  status: TierStatus;
  burnRateThreshold: number;
  /** The same threshold as an error ratio: burnRate × (1 - objective). */
  errorRatioThreshold: number;
  budgetShare: number;
  minEvents: number;
  long?: WindowEvaluation;
  short?: WindowEvaluation;
  /** Why the status is what it is, in a few words. `explainTier` adds the arithmetic. */
  reason: string;
  /** The tier's windows, kept for the explanation. */
  longMs: number;
  shortMs: number;
}

export interface AlertEvaluation {
  at: number;
  objective: number;
  sloWindowMs: number;
  /** page/ticket when a tier of that severity fires (page wins); unknown when none fires but one could not be judged. */
  status: 'page' | 'ticket' | 'ok' | 'unknown' | 'disabled';
  tiers: TierEvaluation[];
}

export interface AlertInput {
  objective: number;
  sloWindowMs: number;
  /** Evaluation time, ms since the epoch. */
  at: number;
  query: EventQuery;
  /** Tiers already in the SLO's own terms. Default: the workbook tiers scaled with `scale`. */
  tiers?: readonly (BurnRateTier & { budgetShare?: number })[];
  scale?: ScaleOptions;
}

/** Smallest event count for which one bad event alone stays at or under the threshold. */
export function autoMinEvents(burnRateThreshold: number, objective: number): number {
  const perEvent = burnRateThreshold * (1 - objective);
  return perEvent > 0 ? Math.ceil(1 / perEvent) : Infinity;
}

function evaluateWindow(q: WindowEvents, durationMs: number, objective: number): WindowEvaluation {
  const bad = q.total - q.good;
  const errorRatio = q.total > 0 ? bad / q.total : NaN;
  return {
    durationMs,
    good: q.good,
    total: q.total,
    bad,
    errorRatio,
    burnRate: errorRatio / (1 - objective),
    buckets: q.buckets,
    bucketsWithData: q.bucketsWithData,
    observations: q.observations,
  };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const units: Array<[string, number]> = [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', 1000]];
  let rest = Math.round(ms);
  let out = '';
  for (const [u, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${u}`;
      rest %= size;
    }
  }
  if (rest > 0 || out === '') out += `${rest}ms`;
  return out;
}

function describe(w: WindowEvaluation): string {
  const pct = Number.isNaN(w.errorRatio) ? 'n/a' : `${(w.errorRatio * 100).toPrecision(3)}%`;
  const burn = Number.isNaN(w.burnRate) ? 'n/a' : `${w.burnRate.toPrecision(3)}x`;
  const coverage = w.buckets !== undefined && w.bucketsWithData !== undefined ? `, data in ${w.bucketsWithData}/${w.buckets} buckets` : '';
  return `${formatMs(w.durationMs)}: ${w.bad} bad / ${w.total} = ${pct} -> burn ${burn}${coverage}`;
}

/**
 * One line with the arithmetic behind a tier's status, for `--explain`. Built on demand: number
 * formatting costs more than the evaluation itself. `firing` is the word for a firing tier (`status`
 * says "WOULD FIRE": its evaluation has no `for`, a Prometheus alert is pending first).
 */
export function explainTier(t: TierEvaluation, firing = 'FIRING'): string {
  const head = `${t.name} (${t.severity}: burn > ${t.burnRateThreshold}x over ${formatMs(t.longMs)} and ${formatMs(t.shortMs)}, ${(t.budgetShare * 100).toPrecision(3)}% of budget)`;
  if (t.status === 'disabled') return `${head}: disabled`;
  const numbers = t.long && t.short ? `; long ${describe(t.long)}; short ${describe(t.short)}` : '';
  return `${head}: ${t.status === 'firing' ? firing : t.status.toUpperCase()}, ${t.reason}${numbers}`;
}

/** Evaluates every tier at `at`. Pure: the same query answers give the same result. */
export function evaluateBurnRateAlerts(input: AlertInput): AlertEvaluation {
  const { objective, sloWindowMs, at, query } = input;
  const tiers = input.tiers ?? scaleTiers(WORKBOOK_TIERS, sloWindowMs, input.scale);
  const results: TierEvaluation[] = tiers.map((tier) => {
    const budgetShare = tier.budgetShare ?? (tier.burnRate * tier.longMs) / sloWindowMs;
    const minEvents = tier.minEvents === undefined || tier.minEvents === 'auto' ? autoMinEvents(tier.burnRate, objective) : tier.minEvents;
    // One object shape for every tier (plain literals, no spreads): this runs for every SLO at every
    // evaluation.
    const out: TierEvaluation = {
      name: tier.name,
      severity: tier.severity,
      status: 'disabled',
      burnRateThreshold: tier.burnRate,
      errorRatioThreshold: tier.burnRate * (1 - objective),
      budgetShare,
      minEvents,
      long: undefined,
      short: undefined,
      reason: 'disabled in the contract',
      longMs: tier.longMs,
      shortMs: tier.shortMs,
    };
    if (tier.enabled === false) return out;

    const long = evaluateWindow(query(tier.longMs, at), tier.longMs, objective);
    const short = evaluateWindow(query(tier.shortMs, at), tier.shortMs, objective);
    let status: TierStatus;
    let reason: string;
    if (long.bucketsWithData === 0 || short.bucketsWithData === 0) {
      status = 'unknown';
      reason = long.bucketsWithData === 0 ? 'no data in the long window' : 'no data in the short window';
    } else if (long.total < minEvents) {
      status = 'unknown';
      reason = `${long.total} events in the long window, fewer than the ${minEvents} needed to judge`;
    } else if (long.observations !== undefined && long.observations < minEvents) {
      status = 'unknown';
      reason = `${long.total} samples in the long window, ${long.observations} of them independent (the rest judge the same span), fewer than the ${minEvents} needed to judge`;
    } else if (long.burnRate > tier.burnRate && short.burnRate > tier.burnRate) {
      status = 'firing';
      reason = 'both windows above threshold';
    } else {
      status = 'ok';
      reason = short.total === 0 ? 'no events in the short window' : long.burnRate > tier.burnRate ? 'short window below threshold' : 'long window below threshold';
    }
    out.status = status;
    out.long = long;
    out.short = short;
    out.reason = reason;
    return out;
  });

  const enabled = results.filter((r) => r.status !== 'disabled');
  let status: AlertEvaluation['status'];
  if (enabled.length === 0) status = 'disabled';
  else if (enabled.some((r) => r.status === 'firing' && r.severity === 'page')) status = 'page';
  else if (enabled.some((r) => r.status === 'firing')) status = 'ticket';
  else if (enabled.some((r) => r.status === 'unknown')) status = 'unknown';
  else status = 'ok';
  return { at, objective, sloWindowMs, status, tiers: results };
}
