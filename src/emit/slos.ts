// From a contract to the SLOs the emitters write rules and panels for: each SLO's objective,
// window, alert tiers, and the PromQL that measures its error ratio over any range.
//
// One plan feeds both emitters, so the dashboard reads exactly the series the rules record.
//
// SLOs covered: every latency objective, the errors objective, the availability objective (the
// SDK's composite gauge) and every custom SLI. Throughput is not a ratio and has no budget.
import { checkPromql, WINDOW_PLACEHOLDER } from '../contract/promql.ts';
import { HTTP_ROLES } from '../contract/metric-names.ts';
import type { Alerting, Contract, CustomSli, LatencyObjective, Route } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import { scaleTiers, WORKBOOK_TIERS } from '../engine/alerts.ts';
import { dur, isLabelName, leMatcher, num, oneOf, selector, str, sumOfUnion } from './promql.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Names of the recorded series. The window is part of the name (as in Sloth and the Prometheus
 * naming convention `level:metric:operations`); the SLO is in the labels `sloctl_service` and
 * `sloctl_slo`, so one query can read a series for every SLO of a fleet.
 */
export const RECORD = {
  /** Error ratio over the window divided by the error budget (1 - objective). */
  burnRate: (windowMs: number) => `sloctl:burn_rate:${dur(windowMs)}`,
  /** Bad events over the SLO window (weighted by class for the errors SLO). */
  badEvents: (windowMs: number) => `sloctl:bad_events:increase${dur(windowMs)}`,
  /** All events over the SLO window. */
  totalEvents: (windowMs: number) => `sloctl:total_events:increase${dur(windowMs)}`,
  /** Share of the SLO window's error budget not yet spent (1 = untouched; negative = overspent). */
  budgetRemaining: 'sloctl:error_budget_remaining:ratio',
  /** Threshold SLIs: 1 when the value met its threshold in the slice, else 0. */
  thresholdGood: (sliceMs: number) => `sloctl:threshold_good:${dur(sliceMs)}`,
} as const;

export type Severity = 'page' | 'ticket';

export interface TierPlan {
  /** `page-1h`, `ticket-2d19h12m`: severity and long window. */
  name: string;
  severity: Severity;
  burnRate: number;
  longMs: number;
  shortMs: number;
  forMs: number;
  /** Share of the whole window's budget spent in the long window when the tier fires. */
  budgetShare: number;
  /** `contract`: written in the contract, used as is; `default`: the SRE workbook's, scaled. */
  source: 'contract' | 'default';
}

export type SloKind = 'latency' | 'errors' | 'availability' | 'events' | 'ratio' | 'threshold';

export interface SloPlan {
  name: string;
  kind: SloKind;
  /** What the SLO promises, in words, for alert descriptions and panel titles. */
  promise: string;
  objective: number;
  windowMs: number;
  tiers: TierPlan[];
  /** Distinct windows burn rates are recorded for, ascending: every tier's long and short window. */
  windows: number[];
  /** Labels every recorded series and alert of this SLO carries. */
  labels: Record<string, string>;
  runbook?: string;
  /** The contract's `alerting.name`, when it names the burn-rate alert itself. */
  alertName?: string;
  dashboard?: string;
  alertLabels: Record<string, string>;
  alertAnnotations: Record<string, string>;
  /** PromQL: the (weighted) error ratio over a range, from raw series. */
  errorRatio(rangeMs: number): string;
  /** PromQL: bad and total events over a range (increase), when the SLI counts events. */
  events?: { bad(rangeMs: number): string; total(rangeMs: number): string };
  /** Threshold SLIs: the per-slice indicator recorded before the windows read it. */
  slice?: { record: string; expr: string };
  /** PromQL that is non-empty when the SLI's input metrics are missing; undefined when unknown. */
  absent?: string;
  /** Latency SLOs: what the dashboard needs for per-route percentiles. */
  latency?: { bucketMetric: string; scope: string[][]; thresholds: Array<{ seconds: number; routes: string }>; percentiles: Array<[string, number, number]> };
  /** Errors SLO: the request counter and the scope, for the per-route error panel. */
  requests?: { metric: string; scope: string[][] };
}

export interface PlanOptions {
  /**
   * Extra label matchers for the built-in SLIs' selectors, e.g. `job="checkout"`, so the rules
   * read this service's series in a Prometheus that scrapes many. Custom SLIs are the user's
   * own PromQL and are not changed.
   */
  selector?: string;
  /** `for` of a burn-rate tier that does not set one. Default 2 minutes. */
  defaultForMs?: number;
  /** `for` of the absent-metric alert. Default 10 minutes. */
  absentForMs?: number;
}

export interface Plan {
  service: string;
  slos: SloPlan[];
  warnings: string[];
  absentForMs: number;
}

export const DEFAULT_FOR_MS = 2 * MINUTE;
export const DEFAULT_ABSENT_FOR_MS = 10 * MINUTE;

/** The window Prometheus can evaluate: rolling windows as they are; calendar ones approximated. */
function rollingWindow(w: Contract['window'], what: string, warnings: string[]): number {
  if (typeof w === 'number') return w;
  const ms = w.calendar === 'week' ? 7 * DAY : 30 * DAY;
  warnings.push(`${what}: Prometheus has no calendar windows; the rules use a rolling ${formatDuration(ms)} for the calendar ${w.calendar} (the embedded engine and \`sloctl status\` use the real calendar)`);
  return ms;
}

function tierName(severity: Severity, longMs: number, shortMs: number, taken: Set<string>): string {
  let n = `${severity}-${dur(longMs)}`;
  if (taken.has(n)) n = `${n}-${dur(shortMs)}`;
  for (let i = 2; taken.has(n); i++) n = `${severity}-${dur(longMs)}-${i}`;
  taken.add(n);
  return n;
}

/**
 * The contract's tiers: written ones as they are, `false` turns a severity off, and a missing one
 * gets the SRE workbook's defaults scaled to the SLO window by src/engine/alerts.ts (keeping each
 * tier's budget share, windows rounded to the bucket width), so the rules and the embedded engine
 * alert on the same tiers.
 */
export function planTiers(alerting: Alerting | undefined, windowMs: number, bucketMs: number, defaultForMs: number): TierPlan[] {
  const out: TierPlan[] = [];
  const taken = new Set<string>();
  for (const severity of ['page', 'ticket'] as const) {
    const spec = alerting?.[severity];
    if (spec === false) continue;
    const tiers = spec === undefined
      ? scaleTiers(WORKBOOK_TIERS.filter((t) => t.severity === severity), windowMs, { resolutionMs: bucketMs }).map((t) => ({ burnRate: t.burnRate, longMs: t.longMs, shortMs: t.shortMs, forMs: defaultForMs, source: 'default' as const }))
      : spec.map((t) => ({ burnRate: t.burnRate, longMs: t.long, shortMs: t.short, forMs: t.for ?? defaultForMs, source: 'contract' as const }));
    for (const t of tiers) {
      out.push({ ...t, severity, name: tierName(severity, t.longMs, t.shortMs, taken), budgetShare: (t.burnRate * t.longMs) / windowMs });
    }
  }
  return out;
}

/** A scope is a union of matcher lists: `[[]]` is everything, `[[a, b], [c]]` is {a,b} or {c}. */
type Scope = string[][];
const EVERYTHING: Scope = [[]];

/** The routes as (method, route template) pairs, grouped by method. */
function routesScope(routes: readonly Route[]): Scope {
  const byMethod = new Map<string, string[]>();
  for (const r of routes) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r.path]);
  return [...byMethod].sort(([a], [b]) => a.localeCompare(b)).map(([m, paths]) => [oneOf('method', [m]), oneOf('route', paths)]);
}

/** Everything except the given routes: other methods, and the given methods on other paths. */
function exceptRoutesScope(routes: readonly Route[]): Scope {
  if (routes.length === 0) return EVERYTHING;
  const byMethod = new Map<string, string[]>();
  for (const r of routes) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r.path]);
  const methods = [...byMethod.keys()].sort();
  return [[oneOf('method', methods, true)], ...methods.map((m) => [oneOf('method', [m]), oneOf('route', byMethod.get(m)!, true)])];
}

function ranged(fn: 'rate' | 'increase', metric: string, base: string | undefined, scope: Scope, extra: string[], rangeMs: number): string[] {
  return scope.map((alt) => `${fn}(${selector(metric, base, ...alt, ...extra)}[${dur(rangeMs)}])`);
}

function substitute(query: string, rangeMs: number): string {
  return query.split(WINDOW_PLACEHOLDER).join(dur(rangeMs));
}

const OPS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function metricName(c: Contract, role: 'requestDuration' | 'requests' | 'availability'): string {
  return c.metrics?.[role] ?? HTTP_ROLES[role].name;
}

function latencyPlan(c: Contract, o: LatencyObjective, base: string | undefined): Pick<SloPlan, 'errorRatio' | 'events' | 'absent' | 'latency' | 'promise'> {
  const hist = metricName(c, 'requestDuration');
  const bucket = `${hist}_bucket`;
  const count = `${hist}_count`;
  const thresholdOf = (r: Route) => r.latency ?? o.threshold;
  // Good = requests in the bucket at the threshold: exact, because the SDK's histogram always has
  // a bucket boundary at every threshold the contract declares. A route with its own `latency`
  // is good at its own threshold; the groups below are disjoint, so their union can be summed.
  const groups: Array<{ thresholdMs: number; scope: Scope; routes: string }> = [];
  let totalScope: Scope;
  if (o.routes) {
    const covered = c.routes.filter((r) => o.routes!.includes(r.name));
    const byThreshold = new Map<number, Route[]>();
    for (const r of covered) byThreshold.set(thresholdOf(r), [...(byThreshold.get(thresholdOf(r)) ?? []), r]);
    for (const [t, rs] of [...byThreshold].sort(([a], [b]) => a - b)) groups.push({ thresholdMs: t, scope: routesScope(rs), routes: rs.map((r) => r.name).join(', ') });
    totalScope = routesScope(covered);
  } else {
    const own = c.routes.filter((r) => thresholdOf(r) !== o.threshold);
    groups.push({ thresholdMs: o.threshold, scope: exceptRoutesScope(own), routes: own.length ? 'all other routes' : 'all routes' });
    const byThreshold = new Map<number, Route[]>();
    for (const r of own) byThreshold.set(thresholdOf(r), [...(byThreshold.get(thresholdOf(r)) ?? []), r]);
    for (const [t, rs] of [...byThreshold].sort(([a], [b]) => a - b)) groups.push({ thresholdMs: t, scope: routesScope(rs), routes: rs.map((r) => r.name).join(', ') });
    totalScope = EVERYTHING;
  }
  const good = (fn: 'rate' | 'increase', rangeMs: number) =>
    sumOfUnion(groups.flatMap((g) => ranged(fn, bucket, base, g.scope, [leMatcher(g.thresholdMs / 1000)], rangeMs)));
  const total = (fn: 'rate' | 'increase', rangeMs: number) => sumOfUnion(ranged(fn, count, base, totalScope, [], rangeMs));
  const own = groups.filter((g) => g.thresholdMs !== o.threshold);
  const overrides = own.length ? ` (${own.map((g) => `${g.routes} within ${formatDuration(g.thresholdMs)}`).join('; ')})` : '';
  const percentiles = Object.entries(o.percentiles ?? {})
    .filter((e): e is [string, number] => e[1] !== undefined)
    .map(([k, v]): [string, number, number] => [k, Number(`0.${k.slice(1)}`), v / 1000]);
  return {
    promise: `${formatPercent(o.objective)} of ${o.routes ? `requests to ${o.routes.join(', ')}` : 'requests'} within ${formatDuration(o.threshold)}${overrides}`,
    errorRatio: (r) => `1 - ${good('rate', r)} / ${total('rate', r)}`,
    events: { bad: (r) => `${total('increase', r)} - ${good('increase', r)}`, total: (r) => total('increase', r) },
    absent: `absent(${selector(count, base)})`,
    latency: { bucketMetric: bucket, scope: totalScope, thresholds: groups.map((g) => ({ seconds: g.thresholdMs / 1000, routes: g.routes })), percentiles },
  };
}

function errorsPlan(c: Contract, routes: string[] | undefined, objective: number, base: string | undefined): Pick<SloPlan, 'errorRatio' | 'events' | 'absent' | 'requests' | 'promise'> {
  const requests = metricName(c, 'requests');
  const scope = routes ? routesScope(c.routes.filter((r) => routes.includes(r.name))) : EVERYTHING;
  // The weights are constants from the contract, baked into the rule, not read from the SDK's
  // `sloctl_error_class_weight` gauge with a join. The contract is the source of truth and this
  // file is generated from it: the weights are reviewable in the diff of the rules, they do not
  // change when an old build still running exports old weights during a rollout, they work for
  // services not instrumented with the SDK (a Go service with its own counter), and there is no
  // many-to-many join to break when several instances export the same gauge.
  const byWeight = new Map<number, string[]>();
  for (const e of c.errorClasses) {
    if (e.good || e.weight === 0) continue;
    byWeight.set(e.weight, [...(byWeight.get(e.weight) ?? []), e.name]);
  }
  const weighted = [...byWeight].sort(([a], [b]) => b - a);
  // sum(rate(x{class=a}) * 2.5 or rate(x{class=b}) or ...): each class's series keep their
  // error_class label, so the union is disjoint. A class with no series yet drops out of the
  // union instead of emptying the whole sum, and `or vector(0)` makes "no errors at all" a 0.
  const bad = (fn: 'rate' | 'increase', rangeMs: number) =>
    weighted.length === 0
      ? 'vector(0)'
      : `(${sumOfUnion(weighted.flatMap(([w, names]) => ranged(fn, requests, base, scope, [oneOf('error_class', names)], rangeMs).map((e) => (w === 1 ? e : `${e} * ${num(w)}`))))} or vector(0))`;
  const total = (fn: 'rate' | 'increase', rangeMs: number) => sumOfUnion(ranged(fn, requests, base, scope, [], rangeMs));
  const classes = weighted.map(([w, names]) => `${names.join(', ')} ×${num(w)}`).join('; ');
  return {
    promise: `weighted success ≥ ${formatPercent(objective)} of ${routes ? `requests to ${routes.join(', ')}` : 'requests'} (${classes || 'no weighted classes'})`,
    errorRatio: (r) => `${bad('rate', r)} / ${total('rate', r)}`,
    events: { bad: (r) => bad('increase', r), total: (r) => total('increase', r) },
    absent: `absent(${selector(requests, base)})`,
    requests: { metric: requests, scope },
  };
}

function customPlan(s: CustomSli, bucketMs: number, labels: Record<string, string>): Pick<SloPlan, 'errorRatio' | 'events' | 'absent' | 'slice' | 'promise' | 'kind'> {
  const metrics = [...new Set([s.good, s.bad, s.total, s.errorRatio, s.threshold?.query].filter((q): q is string => q !== undefined).flatMap((q) => checkPromql(q).metrics))].sort();
  // Missing inputs: absent() of each metric by name only. The user's matchers are left out on
  // purpose: `orders_total{state="confirmed"}` is legitimately absent before the first one.
  const absent = metrics.length ? metrics.map((m) => `absent(${m})`).join(' or ') : undefined;
  const promise = s.description ? `${formatPercent(s.objective)}: ${s.description.trim().replace(/\.$/, '')}` : `${formatPercent(s.objective)} good`;
  if (s.threshold) {
    const sliceMs = s.timeslice?.window ?? bucketMs;
    const t = s.threshold;
    const record = RECORD.thresholdGood(sliceMs);
    const sel = selector(record, ...Object.entries(labels).map(([k, v]) => `${k}=${str(v)}`));
    return {
      kind: 'threshold',
      promise: s.description ? promise : `${formatPercent(s.objective)} of ${formatDuration(sliceMs)} slices with the value ${OPS[t.op]} ${num(t.value)}`,
      slice: { record, expr: `(${substitute(t.query, sliceMs)}) ${OPS[t.op]} bool ${num(t.value)}` },
      // The share of slices (rule evaluations) that missed the threshold.
      errorRatio: (r) => `1 - avg_over_time(${sel}[${dur(r)}])`,
      absent,
    };
  }
  if (s.errorRatio !== undefined) {
    const q = s.errorRatio;
    return { kind: 'ratio', promise, errorRatio: (r) => `(${substitute(q, r)})`, absent };
  }
  const total = (r: number) => `(${substitute(s.total!, r)})`;
  if (s.good !== undefined) {
    const good = (r: number) => `(${substitute(s.good!, r)})`;
    return { kind: 'events', promise, errorRatio: (r) => `1 - ${good(r)} / ${total(r)}`, events: { bad: (r) => `${total(r)} - ${good(r)}`, total }, absent };
  }
  const bad = (r: number) => `(${substitute(s.bad!, r)})`;
  return { kind: 'events', promise, errorRatio: (r) => `${bad(r)} / ${total(r)}`, events: { bad, total }, absent };
}

/** Every SLO of the contract, with what the emitters need to write it. */
export function planSlos(c: Contract, opts: PlanOptions = {}): Plan {
  const warnings: string[] = [];
  const base = opts.selector?.trim() || undefined;
  const defaultForMs = opts.defaultForMs ?? DEFAULT_FOR_MS;
  const contractWindow = rollingWindow(c.window, 'window', warnings);
  const service = c.service.name;
  const slos: SloPlan[] = [];

  const add = (
    name: string,
    kind: SloKind,
    objective: number,
    windowMs: number,
    alerting: Alerting | undefined,
    budgeting: string | undefined,
    parts: Pick<SloPlan, 'errorRatio' | 'promise'> & Partial<SloPlan>,
    extraLabels: Record<string, string> = {},
    extraAnnotations: Record<string, string> = {},
  ) => {
    const tiers = planTiers(alerting, windowMs, c.bucket, defaultForMs);
    const windows = [...new Set(tiers.flatMap((t) => [t.longMs, t.shortMs]))].sort((a, b) => a - b);
    // With every tier off there is nothing to alert on, but the dashboard still wants a
    // short-term burn rate: record one over 5 minutes (or the bucket, when wider).
    if (windows.length === 0) windows.push(Math.max(5 * MINUTE, c.bucket));
    for (const w of windows) {
      if (w < 4 * c.scrapeInterval) warnings.push(`${name}: the ${formatDuration(w)} window holds fewer than four scrapes at a ${formatDuration(c.scrapeInterval)} interval; rate() over it is noisy, and empty when a scrape is missed (set the tiers in the contract's alerting, or scrape more often)`);
    }
    if ((budgeting ?? c.budgeting) !== 'Occurrences' && kind !== 'threshold') {
      warnings.push(`${name}: the rules count occurrences over the window; ${budgeting ?? c.budgeting} budgeting is evaluated by the embedded engine (\`sloctl status\`), not by these rules`);
    }
    slos.push({
      name,
      kind,
      objective,
      windowMs,
      tiers,
      windows,
      labels: { sloctl_service: service, sloctl_slo: name },
      runbook: alerting?.runbook,
      alertName: alerting?.name,
      dashboard: alerting?.dashboard,
      alertLabels: ruleMap(name, 'label', { ...extraLabels, ...(alerting?.labels ?? {}) }, warnings),
      alertAnnotations: ruleMap(name, 'annotation', { ...extraAnnotations, ...(alerting?.annotations ?? {}) }, warnings),
      ...parts,
    });
  };

  for (const o of c.objectives.latency ?? []) {
    add(o.name, 'latency', o.objective, contractWindow, o.alerting, o.budgeting, latencyPlan(c, o, base));
  }
  const e = c.objectives.errors;
  if (e) add(e.name, 'errors', e.objective, contractWindow, e.alerting, e.budgeting, errorsPlan(c, e.routes, e.objective, base));
  const a = c.objectives.availability;
  if (a) {
    const gauge = selector(metricName(c, 'availability'), base);
    add(a.name, 'availability', a.objective, contractWindow, a.alerting, a.budgeting, {
      promise: `composite availability ≥ ${formatPercent(a.objective)} (health ${a.weights.health}, latency ${a.weights.latency}, success ${a.weights.success}, dependencies ${a.weights.dependencies})`,
      // The SDK exports the composite (0..1) as a gauge: the time-average over the range, across
      // instances, is the availability; its complement is the error ratio.
      errorRatio: (r) => `1 - avg(avg_over_time(${gauge}[${dur(r)}]))`,
      absent: `absent(${gauge})`,
    });
  }
  for (const s of c.slis) {
    const windowMs = s.window !== undefined ? rollingWindow(s.window, `${s.name}: window`, warnings) : contractWindow;
    const labels = { sloctl_service: service, sloctl_slo: s.name };
    const p = customPlan(s, c.bucket, labels);
    add(s.name, p.kind!, s.objective, windowMs, s.alerting, s.budgeting, p, s.labels, s.annotations);
  }
  return { service, slos, warnings, absentForMs: opts.absentForMs ?? DEFAULT_ABSENT_FOR_MS };
}

/**
 * The labels or annotations a contract puts on an SLO's alerts, as Prometheus takes them. A key
 * that is not a Prometheus name (`[a-zA-Z_][a-zA-Z0-9_]*`; a label also not `__name__`) makes
 * `promtool check rules` reject the whole file: such keys are left out of the rules, with one
 * warning per SLO naming them. They stay in the contract. Typical ones are the converters'
 * bookkeeping (`openslo.com/objective`, `sloth.dev/alert-name`), which is contract metadata for
 * `sloctl convert --to openslo`, not something an alert should carry.
 */
export function ruleMap(slo: string, kind: 'label' | 'annotation', m: Record<string, string>, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (isLabelName(k) && !(kind === 'label' && k === '__name__')) out[k] = v;
    else dropped.push(k);
  }
  if (dropped.length > 0) {
    const names = dropped.map((k) => JSON.stringify(k)).join(', ');
    const rule = kind === 'label' ? 'a label name is [a-zA-Z_][a-zA-Z0-9_]* and not __name__' : 'an annotation name is [a-zA-Z_][a-zA-Z0-9_]*';
    warnings.push(`${slo}: ${dropped.length === 1 ? `${kind} ${names} is` : `${kind}s ${names} are`} not on its alerts: Prometheus rejects the rules file otherwise (${rule}); ${dropped.length === 1 ? 'it stays' : 'they stay'} in the contract`);
  }
  return out;
}

/** `name{sloctl_service="x", sloctl_slo="y"}`: a recorded series of one SLO. */
export function sloSeries(slo: SloPlan, record: string): string {
  return selector(record, ...Object.entries(slo.labels).map(([k, v]) => `${k}=${str(v)}`));
}
