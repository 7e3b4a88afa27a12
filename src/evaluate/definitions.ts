// From a contract to the SLO definitions the embedded engine evaluates. Pure: no clock, no I/O.
//
// Every definition selects exactly the series the generated Prometheus rules select (src/emit/
// slos.ts), written here as label-matcher objects instead of PromQL text, so `sloctl status`
// scraping by itself and Prometheus evaluating the rules count the same events:
//
// - latency: good = the histogram bucket at the threshold `le` (a route with its own `latency`
//   is good at its own threshold), total = `_count`; scoped to the objective's routes as
//   (method, route template) pairs, or to every request that reached a route when it names none
//   (src/contract/sli-scope.ts: not the SDK's route="unmatched", as the SDK's health judges);
// - errors: total = the request counter (the objective's routes, or every request that reached a
//   route); weighted bad = Σ increase(class) × weight(class) over the
//   contract's error classes and the classifier's built-in ones (`shed` ×0.3, `unclassified` ×1;
//   src/contract/classify.ts countedClasses) that are not `good` and weigh more than 0. A class
//   neither names adds nothing, as in the rules, and is reported so the user sees it;
// - labels: the route, method and error-class labels are the contract's mapping (`metrics.labels`,
//   src/contract/label-map.ts): the SDK's names by default; with a mapping, methods match in any
//   case and error classes may be derived from a status label (`code="503"`), first class wins;
// - availability: the SDK's composite gauge averaged over time (the rules' avg_over_time); when a
//   target does not export it, the composite is computed per scrape from its parts where they are
//   known (see embedded.ts); a contract that maps its metrics but no dependency gauge leaves the
//   dependencies part out, the other weights renormalised, as the rules do;
// - custom SLIs are PromQL: only `--prometheus` can evaluate them.
//
// Alert tiers come from src/emit's planTiers, so both paths alert on the same tiers: written ones
// as they are, `false` turns a severity off, missing ones are the SRE workbook's scaled to the SLO
// window and rounded to the bucket width.
import { badClasses, countedClasses } from '../contract/classify.ts';
import { partEvidenceWindowMs, unmeasuredDependencies, type UnmeasuredDependencies } from '../contract/availability-parts.ts';
import { classSelectors, labelMap, unseenClasses, type ClassSelector } from '../contract/label-map.ts';
import { errorsScope, latencyScopes } from '../contract/sli-scope.ts';
import { HTTP_ROLES } from '../contract/metric-names.ts';
import type { Alerting, Contract, LatencyObjective } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import type { BudgetingMethod } from '../engine/budget.ts';
import type { CalendarKind } from '../engine/calendar.ts';
import type { ScaledTier } from '../engine/alerts.ts';
import { DEFAULT_FOR_MS, planTiers } from '../emit/slos.ts';
import type { LabelMatcher } from '../observe/series-store.ts';
import { percentileQuantile } from '../contract/percentiles.ts';
import { HEALTH_WINDOW_DEFAULT_MS } from '../sdk/core/health.ts';

const DAY = 86_400_000;

/** A union of matcher lists: `[[]]` is every series; `[[a, b], [c]]` is (a and b) or c. */
export type Scope = LabelMatcher[][];

export type WindowSpec =
  | { kind: 'rolling'; ms: number }
  | { kind: 'calendar'; calendar: CalendarKind; timeZone: string };

export interface LatencySource {
  kind: 'latency';
  /** `<histogram>_bucket` and `<histogram>_count`. */
  bucketMetric: string;
  countMetric: string;
  /** Disjoint groups of series, each good at its own threshold. */
  groups: Array<{ thresholdSeconds: number; scope: Scope; routes: string }>;
  totalScope: Scope;
  /** Percentile ceilings: [label, quantile, seconds]. */
  percentiles: Array<[string, number, number]>;
}

export interface ErrorsSource {
  kind: 'errors';
  metric: string;
  scope: Scope;
  /** Weight per error class that counts as bad. */
  weights: Map<string, number>;
  /** Classes the contract names (bad or good), so others can be reported. */
  known: Set<string>;
  /** Every error class as label matchers (src/contract/label-map.ts), first match wins. */
  selectors: ClassSelector[];
  /** The label the classes are read from, and whether it is a status label they are derived from. */
  label: string;
  fromStatus: boolean;
  /** The contract's `metrics` section, for the hint when the label is missing. */
  metrics: Contract['metrics'];
  /** Bad classes the mapping cannot see (no status to derive them from). */
  unseen: string[];
}

export interface AvailabilitySource {
  kind: 'availability';
  gauge: string;
  weights: { health: number; latency: number; success: number; dependencies: number };
  /** Critical dependencies, for the composite computed from parts. */
  criticalDependencies: string[];
  dependencyGauge: string;
  /**
   * Set when the dependencies part cannot be measured (a contract that maps its metrics but no
   * `metrics.dependencyUp`, src/contract/availability-parts.ts): the composite from parts leaves it
   * out and divides by the other weights, as the generated rules do.
   */
  unmeasuredDependencies?: UnmeasuredDependencies;
  /**
   * How far back a scrape's latency or success part below its objective is weighed
   * (availability-parts.ts partEvidenceWindowMs): missed only when that span's bad requests are
   * more than the objective gives by chance.
   */
  evidenceWindowMs: number;
  /** How far back the SDK's gauge judges at each scrape: the contract's health.window (default 30 s). */
  healthWindowMs: number;
  /**
   * The contract's scrapeInterval: the span one sample composed from its parts stands for (one per
   * Prometheus scrape in the rules), so samples closer than it count as one observation (embedded.ts).
   */
  scrapeIntervalMs: number;
}

export interface CustomSource {
  kind: 'custom';
}

export type SliSource = LatencySource | ErrorsSource | AvailabilitySource | CustomSource;

export interface SloDefinition {
  name: string;
  kind: 'latency' | 'errors' | 'availability' | 'custom';
  /** What it promises, in words. */
  promise: string;
  objective: number;
  window: WindowSpec;
  /** The window Prometheus' rules use: the rolling window, or the calendar one approximated. */
  rollingWindowMs: number;
  bucketMs: number;
  budgeting: BudgetingMethod;
  tiers: ScaledTier[];
  source: SliSource;
}

function windowSpec(w: Contract['window']): WindowSpec {
  return typeof w === 'number' ? { kind: 'rolling', ms: w } : { kind: 'calendar', calendar: w.calendar, timeZone: w.timeZone };
}

/** Same approximation as src/emit: a calendar month is 30 days, a week 7, for the rules' windows. */
function rollingMs(w: Contract['window']): number {
  if (typeof w === 'number') return w;
  return w.calendar === 'week' ? 7 * DAY : 30 * DAY;
}

function tiersFor(alerting: Alerting | undefined, windowMs: number, bucketMs: number): ScaledTier[] {
  return planTiers(alerting, windowMs, bucketMs, DEFAULT_FOR_MS).map((t) => ({
    name: t.name,
    severity: t.severity,
    burnRate: t.burnRate,
    longMs: t.longMs,
    shortMs: t.shortMs,
    budgetShare: t.budgetShare,
  }));
}

function metricName(c: Contract, role: 'requestDuration' | 'requests' | 'availability' | 'dependencyUp'): string {
  return c.metrics?.[role] ?? HTTP_ROLES[role].name;
}

function latencySource(c: Contract, o: LatencyObjective): LatencySource {
  const hist = metricName(c, 'requestDuration');
  // The groups and the total's scope are the rules' (src/contract/sli-scope.ts).
  const scopes = latencyScopes(c, o);
  const groups: LatencySource['groups'] = scopes.groups.map((g) => ({ thresholdSeconds: g.thresholdMs / 1000, scope: g.scope, routes: g.routes }));
  const percentiles = Object.entries(o.percentiles ?? {})
    .filter((e): e is [string, number] => e[1] !== undefined)
    .map(([k, v]): [string, number, number] => [k, percentileQuantile(k), v / 1000]);
  return { kind: 'latency', bucketMetric: `${hist}_bucket`, countMetric: `${hist}_count`, groups, totalScope: scopes.total, percentiles };
}

/** The SLOs of a contract the engine can evaluate, in contract order. */
export function defineSlos(c: Contract): SloDefinition[] {
  const out: SloDefinition[] = [];
  const window = windowSpec(c.window);
  const rolling = rollingMs(c.window);
  const base = (name: string, kind: SloDefinition['kind'], objective: number, alerting: Alerting | undefined, budgeting: BudgetingMethod | undefined, promise: string, source: SliSource, w: Contract['window'] = c.window): SloDefinition => ({
    name,
    kind,
    promise,
    objective,
    window: w === c.window ? window : windowSpec(w),
    rollingWindowMs: w === c.window ? rolling : rollingMs(w),
    bucketMs: c.bucket,
    budgeting: budgeting ?? c.budgeting,
    tiers: tiersFor(alerting, w === c.window ? rolling : rollingMs(w), c.bucket),
    source,
  });

  for (const o of c.objectives.latency ?? []) {
    const src = latencySource(c, o);
    const overrides = src.groups.filter((g) => g.thresholdSeconds * 1000 !== o.threshold);
    const promise = `${formatPercent(o.objective)} of ${o.routes ? `requests to ${o.routes.join(', ')}` : 'requests'} within ${formatDuration(o.threshold)}${overrides.length ? ` (${overrides.map((g) => `${g.routes} within ${formatDuration(g.thresholdSeconds * 1000)}`).join('; ')})` : ''}`;
    out.push(base(o.name, 'latency', o.objective, o.alerting, o.budgeting, promise, src));
  }
  const e = c.objectives.errors;
  if (e) {
    // The contract's classes and the classifier's built-in ones ("shed" ×0.3, "unclassified" ×1),
    // as the rules weigh them (src/emit/slos.ts) and the SDK's verdicts do.
    const counted = countedClasses(c.errorClasses);
    const weights = new Map(badClasses(c).map((k) => [k.name, k.weight]));
    const lm = labelMap(c);
    const scope = errorsScope(c, e.routes);
    const classes = [...weights].map(([n, w]) => `${n} ×${w}`).join('; ');
    out.push(base(e.name, 'errors', e.objective, e.alerting, e.budgeting, `weighted success ≥ ${formatPercent(e.objective)} of ${e.routes ? `requests to ${e.routes.join(', ')}` : 'requests'} (${classes || 'no weighted classes'})`, {
      kind: 'errors',
      metric: metricName(c, 'requests'),
      scope,
      weights,
      known: new Set(counted.map((k) => k.name)),
      selectors: classSelectors({ metrics: c.metrics, errorClasses: counted }),
      label: lm.errors.label,
      fromStatus: lm.errors.from === 'status',
      metrics: c.metrics,
      unseen: unseenClasses(c),
    }));
  }
  const a = c.objectives.availability;
  if (a) {
    const unmeasured = unmeasuredDependencies(c);
    out.push(base(a.name, 'availability', a.objective, a.alerting, a.budgeting, `composite availability ≥ ${formatPercent(a.objective)} (health ${a.weights.health}, latency ${a.weights.latency}, success ${a.weights.success}, dependencies ${a.weights.dependencies})`, {
      kind: 'availability',
      gauge: metricName(c, 'availability'),
      weights: a.weights,
      criticalDependencies: c.dependencies.filter((d) => d.critical).map((d) => d.name),
      dependencyGauge: metricName(c, 'dependencyUp'),
      evidenceWindowMs: partEvidenceWindowMs(c),
      healthWindowMs: c.health?.window ?? HEALTH_WINDOW_DEFAULT_MS,
      scrapeIntervalMs: c.scrapeInterval,
      ...(unmeasured !== undefined ? { unmeasuredDependencies: unmeasured } : {}),
    }));
  }
  for (const s of c.slis) {
    out.push(base(s.name, 'custom', s.objective, s.alerting, s.budgeting, s.description ?? `${formatPercent(s.objective)} good (custom PromQL SLI)`, { kind: 'custom' }, s.window ?? c.window));
  }
  return out;
}
