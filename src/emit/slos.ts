// From a contract to the SLOs the emitters write rules and panels for: each SLO's objective,
// window, alert tiers, and the PromQL that measures its error ratio over any range.
//
// One plan feeds both emitters, so the dashboard reads exactly the series the rules record.
//
// SLOs covered: every latency objective, the errors objective, the availability objective (the
// SDK's composite gauge; for a contract that maps labels, the gauge or else the composite from its
// parts) and every custom SLI. Throughput is not a ratio and has no budget.
//
// Every selector reads the contract's label mapping (src/contract/label-map.ts), as the embedded
// engine does: the route and method labels (methods in any case when mapped, promhttp writes
// "post"), and each error class as its matchers (`error_class="server"` from the SDK, or
// `code=~"5.."` minus the earlier classes' codes when classes are derived from a status label).
// Without `metrics.labels` the rules are exactly the SDK's.
//
// Which series each SLI reads is src/contract/sli-scope.ts's, shared with the embedded engine:
// the objective's routes, or every request that reached a route (not the SDK's
// route="unmatched", label-map.ts reachedRouteMatchers).
import { checkPromql, WINDOW_PLACEHOLDER } from '../contract/promql.ts';
import { badClasses, countedClasses } from '../contract/classify.ts';
import { classSelectors, labelMap, type LabelMatch } from '../contract/label-map.ts';
import { errorsScope, latencyScopes } from '../contract/sli-scope.ts';
import { HTTP_ROLES } from '../contract/metric-names.ts';
import { partEvidenceWindowMs, unmeasuredDependencies, unmeasuredDependenciesText, UNMEASURED_DEPENDENCIES_FIX } from '../contract/availability-parts.ts';
import type { Alerting, Contract, CustomSli, LatencyObjective } from '../contract/schema.ts';
import { formatDuration, formatPercent, parseDuration } from '../contract/units.ts';
import { scaleTiers, WORKBOOK_TIERS } from '../engine/alerts.ts';
import { INTERVAL_Z } from '../engine/interval-miss.ts';
import { dur, isLabelName, leMatcher, matcher, num, oneOf, selector, str, sumOfUnion, templateLiteral } from './promql.ts';
import { percentileQuantile } from '../contract/percentiles.ts';

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
  /** Availability without the SDK's gauge: the composite (0..1) at each rule evaluation. */
  availability: 'sloctl:availability:ratio',
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
  /**
   * PromQL that is non-empty when the input metrics exist but cannot measure the SLI (the label the
   * mapping reads is on no series, no histogram bucket at a threshold), with what to do: the
   * `... or vector(0)` of the errors SLI would otherwise read that as "no errors". Errors: written
   * for contracts that map labels (`metrics.labels`; the SDK always labels its errors). Latency:
   * for every contract, one alert per histogram series that counts requests without a bucket at
   * its threshold (an instance still running with an older contract's buckets).
   */
  unmeasurable?: {
    expr: string;
    summary: string;
    description: string;
    /**
     * True when summary and description are Go templates (they read the alert's labels, literal
     * text written with templateLiteral); else they are literal text.
     */
    template?: boolean;
  };
  /**
   * Latency and errors SLOs: PromQL that is 1 when the last scrape interval (irate: the last two
   * samples) met the objective, else 0; empty when it cannot be measured. Feeds the availability
   * composite built from its parts, as src/evaluate/embedded.ts builds it per scrape.
   */
  /**
   * The availability composite's part for the last scrape interval (`irate` over `rangeMs`); an
   * interval below the objective is missed only when the bad requests of the last `evidenceMs`
   * (`increase`) are more than the objective gives by chance (intervalPart).
   */
  lastInterval?: (rangeMs: number, evidenceMs: number) => string;
  /** Latency SLOs: what the dashboard needs for per-route percentiles. */
  latency?: {
    bucketMetric: string; scope: string[][]; thresholds: Array<{ seconds: number; routes: string }>; percentiles: Array<[string, number, number]>;
    /**
     * The histogram series that gained their threshold's bucket within a range (labels of
     * `_count` and MISSING_LE_LABEL): the SLI counts only their current process' requests there.
     */
    younger(rangeMs: number): string;
  };
  /** Errors SLO: the request counter and the scope, for the per-route error panel. */
  requests?: { metric: string; scope: string[][] };
  /**
   * Availability composed from its parts (no SDK gauge): each weighted part's PromQL (1 or 0, or
   * `up` averaged), so `status --prometheus` can say which part has no data when the recorded
   * composite is empty. The gauge's own query comes first, as `gauge`.
   */
  parts?: Array<{ name: string; expr: string }>;
  /** What the alerts and `status` must say about how the SLI is measured (a part left out). */
  note?: string;
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

const text = (m: LabelMatch): string => matcher(m.name, m.op, m.value);

/**
 * The label the latency SLO's unmeasurable alert carries: the `le` (seconds) of the threshold the
 * series has no bucket at.
 */
export const MISSING_LE_LABEL = 'sloctl_threshold_le';

/** The range function of a query. */
export type Fn = 'rate' | 'increase' | 'irate';

/** `fn(selector[range])`. */
function call(fn: Fn, sel: string, range: RangeText): string {
  return `${fn}(${sel}[${range}])`;
}

/**
 * The availability composite's part for one scrape interval (the last two samples): met when the
 * interval's ratio meets the objective (`ratioMet`, 1 or 0), or when the bad requests (weighted by
 * class, as the SLO counts them) of the evidence window up to it (`bad` and `total`: increase over partEvidenceWindowMs) are
 * within what the objective itself gives at 95%, the bound src/engine/interval-miss.ts computes for
 * `status` and the gate too. Judged on its ratio alone, a scrape interval of 100 requests at 99%
 * missed its part on one 500, and a service within its errors objective burnt its availability
 * budget and paged.
 */
function intervalPart(ratioMet: string, bad: string, total: string, objective: number): string {
  const p = +(1 - objective).toPrecision(12);
  const z = +(INTERVAL_Z * Math.sqrt(p * (1 - p))).toPrecision(12);
  return `clamp_max(${ratioMet} + (${bad} <= bool (${total} * ${num(p)} + sqrt(${total}) * ${num(z)} + 0.5)), 1)`;
}

/**
 * A range as PromQL text: `5m` (dur(ms)) in the rules, or a placeholder a writer of other specs
 * fills in (`$window`, src/contract/promql.ts WINDOW_PLACEHOLDER, for the OpenSLO export).
 */
export type RangeText = string;

function ranged(fn: Fn, metric: string, base: string | undefined, scope: Scope, extra: string[], range: RangeText): string[] {
  return scope.map((alt) => call(fn, selector(metric, base, ...alt, ...extra), range));
}

function substitute(query: string, rangeMs: number): string {
  return query.split(WINDOW_PLACEHOLDER).join(dur(rangeMs));
}

const OPS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function metricName(c: Contract, role: 'requestDuration' | 'requests' | 'availability'): string {
  return c.metrics?.[role] ?? HTTP_ROLES[role].name;
}

/**
 * The latency SLI's raw queries, over any range: what the rules record and the OpenSLO export
 * (src/convert/openslo-write.ts) writes, so both read the same series.
 */
export interface LatencyQueries {
  /** Disjoint groups of series, each good at its own threshold; `le` is its bucket's matcher. */
  groups: Array<{ thresholdMs: number; routes: string; scope: Scope; le: string }>;
  /** The scope of the total, as matcher lists. */
  totalScope: Scope;
  bucket: string;
  count: string;
  /** Requests within their threshold. */
  good(fn: Fn, range: RangeText): string;
  /** Requests of the histogram series that have the bucket at their threshold. */
  total(fn: Fn, range: RangeText): string;
  /**
   * The series (labels of `_count`, with MISSING_LE_LABEL) that gained their threshold's bucket
   * within the range: measured since the process that exports it started, not over the range.
   */
  younger(range: RangeText): string;
}

/** `base`: extra matchers for every selector (`--selector`, the contract's metrics.selector). */
export function latencyQueries(c: Contract, o: LatencyObjective, base: string | undefined): LatencyQueries {
  const hist = metricName(c, 'requestDuration');
  const bucket = `${hist}_bucket`;
  const count = `${hist}_count`;
  // Good = requests in the bucket at the threshold: exact, because the SDK's histogram always has
  // a bucket boundary at every threshold the contract declares. A route with its own `latency`
  // is good at its own threshold; the groups (src/contract/sli-scope.ts) are disjoint, so their
  // union can be summed.
  const scopes = latencyScopes(c, o);
  const groups = scopes.groups.map((g) => ({ thresholdMs: g.thresholdMs, routes: g.routes, scope: g.scope.map((alt) => alt.map(text)), le: leMatcher(g.thresholdMs / 1000) }));
  const totalScope: Scope = scopes.total.map((alt) => alt.map(text));
  // A series is measured over a range only where its threshold's bucket existed: good and total
  // over the same span, never `_count` over the range against the bucket over part of it.
  //
  // A series without the bucket (a service still running with the buckets of an older contract,
  // on some instances or routes only) cannot tell its fast requests from its slow ones, and
  // counting them all as slow made a healthy service read a 50x burn. It is left out of the SLI,
  // and the unmeasurable alert below names it.
  //
  // A series that GAINED the bucket within the range (the service was restarted with the bucket
  // `validate` asked for) has requests from before it, which no bucket can judge. Counting them as
  // slow (total = increase of `_count` over the whole range, good = increase of the bucket that
  // exists since the restart) made a healthy service read a 40x burn, page, and keep the loss in
  // the SLO window for 28 days. Which series those are is exact: `_count` and its buckets come
  // from the same scrapes, so a bucket with fewer samples in the range than its `_count` is
  // younger than the range (`younger` below; the other series, `full`, are read as before, so
  // their numbers are unchanged). Such a series counts the requests of the process that exports
  // it now, read from the counters themselves: the bucket's and `_count`'s current values. A
  // histogram's buckets are fixed when it is created, so both count exactly the same requests
  // since the process started, and that process started inside the range and with the bucket
  // (a `_count` sample in the range has no bucket sample: an older process, without the bucket,
  // was scraped after the range began). A rate is that count over the range's seconds, as rate()
  // is an increase over them. What this leaves out: the requests before the bucket existed (they
  // cannot be judged), and those of an earlier process that already had the bucket when the
  // series restarted again inside the range (measurable, but PromQL takes `_count`'s increase
  // over the bucket's lifetime only through a subquery, `increase((count and ignoring(le)
  // bucket)[r:step])`, with good read through the same one so both cover the same steps: it
  // evaluates its inner query at every step of the range at every rule evaluation, 40,320 times
  // for the 28d window at 1m, in every rule, whether or not a series is young).
  //
  // Considered and not chosen: leaving such a series out of every range it is younger than.
  // Exact, but the short burn windows would be blind to a slow deploy until the bucket was as old
  // as them (the 1h page tier for an hour), and the SLO window would read no data for 28 days
  // after adding a bucket, for every instance restarted with it.
  //
  // Count and bucket series of one histogram differ only in `le`; `max without (le)` joins the
  // bucket when `le` is matched as both `1` and `1.0`. irate() reads the last two samples, which
  // are of one process and both have the bucket when irate() of the bucket exists: it is read as
  // it was.
  const seconds = (range: RangeText): number => {
    const d = parseDuration(range);
    if (!d.ok) throw new Error(`rate() of the latency SLI needs a duration range, got ${range}`);
    return d.value / 1000;
  };
  type Group = (typeof groups)[number];
  // `_count`'s samples in the range, kept where the bucket has as many (`<=`) or fewer (`>`).
  const samples = (op: '<=' | '>') => (g: Group, alt: string[], range: RangeText) =>
    `(count_over_time(${selector(count, base, ...alt)}[${range}]) ${op} max without (le) (count_over_time(${selector(bucket, base, ...alt, g.le)}[${range}])))`;
  const full = samples('<=');
  const young = samples('>');
  // The young part: increase reads the current value, rate that over the range's seconds.
  const perRange = (fn: Fn, e: string, range: RangeText) => (fn === 'rate' ? `${e} / ${num(seconds(range))}` : e);
  const good = (fn: Fn, range: RangeText) =>
    sumOfUnion(groups.flatMap((g) => g.scope.flatMap((alt) => {
      const b = selector(bucket, base, ...alt, g.le);
      if (fn === 'irate') return [call(fn, b, range)];
      return [
        `(${fn}(${b}[${range}]) and ignoring(le) ${full(g, alt, range)})`,
        perRange(fn, `(${b} and ignoring(le) ${young(g, alt, range)})`, range),
      ];
    })));
  const total = (fn: Fn, range: RangeText) =>
    sumOfUnion(groups.flatMap((g) => g.scope.flatMap((alt) => {
      const n = selector(count, base, ...alt);
      const b = selector(bucket, base, ...alt, g.le);
      if (fn === 'irate') return [`(${call(fn, n, range)} and ignoring(le) ${call(fn, b, range)})`];
      return [
        `(${fn}(${n}[${range}]) and ${full(g, alt, range)})`,
        perRange(fn, `(${n} and ignoring(le) ${b} and ${young(g, alt, range)})`, range),
      ];
    })));
  const younger = (range: RangeText) => groups.flatMap((g) => g.scope.map((alt) =>
    `label_replace(${young(g, alt, range)}, ${str(MISSING_LE_LABEL)}, ${str(num(g.thresholdMs / 1000))}, "", "")`)).join(' or ');
  return { groups, totalScope, bucket, count, good, total, younger };
}

function latencyPlan(c: Contract, o: LatencyObjective, base: string | undefined): Pick<SloPlan, 'errorRatio' | 'events' | 'absent' | 'latency' | 'promise' | 'unmeasurable' | 'lastInterval'> {
  const hist = metricName(c, 'requestDuration');
  const lm = labelMap(c);
  const q = latencyQueries(c, o, base);
  const { bucket, count, groups, totalScope } = q;
  const good = (fn: Fn, rangeMs: number) => q.good(fn, dur(rangeMs));
  const total = (fn: Fn, rangeMs: number) => q.total(fn, dur(rangeMs));
  // The histogram series that counted requests recently but have no bucket at their group's
  // threshold, one alert instance each, labelled with the threshold's `le` for the annotation.
  const recentMs = Math.max(5 * MINUTE, 4 * c.scrapeInterval);
  const noBucket = groups.flatMap((g) => g.scope.map((alt) =>
    `label_replace((rate(${selector(count, base, ...alt)}[${dur(recentMs)}]) > 0) unless ignoring(le) rate(${selector(bucket, base, ...alt, g.le)}[${dur(recentMs)}]), ${str(MISSING_LE_LABEL)}, ${str(num(g.thresholdMs / 1000))}, "", "")`));
  const thresholds = groups.map((g) => `le=${num(g.thresholdMs / 1000)} (${g.routes})`).join(', ');
  const own = groups.filter((g) => g.thresholdMs !== o.threshold);
  const overrides = own.length ? ` (${own.map((g) => `${g.routes} within ${formatDuration(g.thresholdMs)}`).join('; ')})` : '';
  const percentiles = Object.entries(o.percentiles ?? {})
    .filter((e): e is [string, number] => e[1] !== undefined)
    .map(([k, v]): [string, number, number] => [k, percentileQuantile(k), v / 1000]);
  const series = `{{ $labels.${lm.method} }} {{ $labels.${lm.route} }}`;
  // The way to set buckets in the service's own runtime (a Node service has no client_golang).
  const bucketsWay = c.service.runtime === 'go'
    ? 'client_golang: prometheus.HistogramOpts.Buckets'
    : c.service.runtime === 'node'
      ? 'prom-client: the histogram\'s `buckets`; express-prom-bundle: its `buckets` option'
      : 'client_golang: prometheus.HistogramOpts.Buckets; prom-client: the histogram\'s `buckets`';
  const fix = lm.mapped
    ? `Add the thresholds to the histogram's buckets (${bucketsWay}).`
    : 'The SDK puts a bucket at every threshold of the contract it runs with: this instance runs with another contract (the rules were generated from a newer one than it was deployed with?). Deploy the service with this contract, or generate the rules from the one it runs.';
  return {
    promise: `${formatPercent(o.objective)} of ${o.routes ? `requests to ${o.routes.join(', ')}` : 'requests'} within ${formatDuration(o.threshold)}${overrides}`,
    errorRatio: (r) => `1 - ${good('rate', r)} / ${total('rate', r)}`,
    events: { bad: (r) => `${total('increase', r)} - ${good('increase', r)}`, total: (r) => total('increase', r) },
    absent: `absent(${selector(count, base)})`,
    latency: { bucketMetric: bucket, scope: totalScope, thresholds: groups.map((g) => ({ seconds: g.thresholdMs / 1000, routes: g.routes })), percentiles, younger: (r) => q.younger(dur(r)) },
    unmeasurable: {
      expr: noBucket.join('\nor\n'),
      template: true,
      summary: `${templateLiteral(`${c.service.name} ${o.name}: `)}${series} has no bucket at le={{ $labels.${MISSING_LE_LABEL} }} in ${templateLiteral(hist)}`,
      description: templateLiteral(`The ${hist} histogram of `) + series + templateLiteral(` counted requests in the last ${dur(recentMs)}, but has no bucket at `) +
        `le={{ $labels.${MISSING_LE_LABEL} }}` +
        templateLiteral(`, the latency threshold the contract sets for it (thresholds: ${thresholds}). Its fast requests cannot be told from its slow ones, so the ${o.name} SLO leaves that series out (its burn rates read the series that have their bucket, and read nothing when none has). ${fix}`),
    },
    // A series without its threshold's bucket makes the interval unknown (no sample), as in embedded.ts.
    lastInterval: (r, e) => `(${intervalPart(`((${total('irate', r)} - ${good('irate', r)}) <= bool ${num(+(1 - o.objective).toPrecision(12))} * ${total('irate', r)})`, `(${total('increase', e)} - ${good('increase', e)})`, total('increase', e), o.objective)} unless on() (${noBucket.join(' or ')}))`,
  };
}

/**
 * The errors SLI's raw queries, over any range: what the rules record and the OpenSLO export
 * (src/convert/openslo-write.ts) writes, so both read the same series.
 */
export interface ErrorsQueries {
  requests: string;
  /** The objective's routes, or every request that reached a route, as matcher lists. */
  scope: Scope;
  /** Each bad class (or group of classes of one weight) as its weight, matchers and name(s), heaviest first. */
  weighted: Array<[number, string[], string]>;
  /** Bad classes by weight, heaviest first (names as the contract and classify.ts order them). */
  weightedByName: Array<[number, string[]]>;
  /**
   * Bad requests: each weighted by its class (the rules' error ratio), or, with `weighted: false`,
   * each counted once (an OpenSLO ratio counts events). `vector(0)` when no class can be seen.
   */
  bad(fn: Fn, range: RangeText, opts?: { weighted?: boolean }): string;
  total(fn: Fn, range: RangeText): string;
}

/** `base`: extra matchers for every selector (`--selector`, the contract's metrics.selector). */
export function errorsQueries(c: Contract, routes: readonly string[] | undefined, base: string | undefined): ErrorsQueries {
  const requests = metricName(c, 'requests');
  const lm = labelMap(c);
  // The objective's routes, or every request that reached a route (src/contract/sli-scope.ts).
  const scope: Scope = errorsScope(c, routes).map((alt) => alt.map(text));
  // The weights are constants from the contract, baked into the rule, not read from the SDK's
  // `sloctl_error_class_weight` gauge with a join. The contract is the source of truth and this
  // file is generated from it: the weights are reviewable in the diff of the rules, they do not
  // change when an old build still running exports old weights during a rollout, they work for
  // services not instrumented with the SDK (a Go service with its own counter), and there is no
  // many-to-many join to break when several instances export the same gauge.
  // The classes are the contract's plus the classifier's built-in ones (src/contract/classify.ts):
  // "shed" ×0.3 and "unclassified" ×1 cost budget in the SDK's verdicts, so they do here too, or a
  // service shedding half its traffic would read healthy in Prometheus.
  const counted = countedClasses(c.errorClasses);
  const byWeight = new Map<number, string[]>();
  for (const e of badClasses(c)) byWeight.set(e.weight, [...(byWeight.get(e.weight) ?? []), e.name]);
  const weightedByName = [...byWeight].sort(([a], [b]) => b - a);
  // Each bad class as the matchers that select it (label-map.ts): from the error-class label,
  // classes of one weight share one `=~` matcher; from a status label, each class has its own
  // (its statuses minus every earlier class's: first class wins), and a class no status can show
  // (one only seen in thrown errors) adds nothing.
  const weighted: Array<[number, string[], string]> = lm.errors.from === 'errorClass'
    ? weightedByName.map(([w, names]) => [w, [oneOf(lm.errors.label, names)], names.join(', ')])
    : classSelectors({ metrics: c.metrics, errorClasses: counted })
      .filter((k) => !k.good && k.weight > 0 && k.matchers !== undefined)
      .sort((a, b) => b.weight - a.weight)
      .map((k) => [k.weight, k.matchers!.map(text), k.name]);
  // Counted once each: the error-class label's bad classes as one matcher; a status label's
  // classes each as its own matchers (they are disjoint already).
  const once: string[][] = lm.errors.from === 'errorClass'
    ? (weightedByName.length > 0 ? [[oneOf(lm.errors.label, weightedByName.flatMap(([, names]) => names))]] : [])
    : weighted.map(([, matchers]) => matchers);
  // sum(rate(x{class=a}) * 2.5 or rate(x{class=b}) or ...): each class's series keep their
  // class (or status) label, so the union is disjoint. A class with no series yet drops out of the
  // union instead of emptying the whole sum, and `or vector(0)` makes "no errors at all" a 0
  // (the unmeasurable alert below says when "no errors" is only "no label to read them from").
  const bad = (fn: Fn, range: RangeText, opts: { weighted?: boolean } = {}) => {
    const parts = opts.weighted === false
      ? once.flatMap((matchers) => ranged(fn, requests, base, scope, matchers, range))
      : weighted.flatMap(([w, matchers]) => ranged(fn, requests, base, scope, matchers, range).map((e) => (w === 1 ? e : `${e} * ${num(w)}`)));
    return parts.length === 0 ? 'vector(0)' : `(${sumOfUnion(parts)} or vector(0))`;
  };
  const total = (fn: Fn, range: RangeText) => sumOfUnion(ranged(fn, requests, base, scope, [], range));
  return { requests, scope, weighted, weightedByName, bad, total };
}

function errorsPlan(c: Contract, routes: string[] | undefined, objective: number, base: string | undefined): Pick<SloPlan, 'errorRatio' | 'events' | 'absent' | 'requests' | 'promise' | 'unmeasurable' | 'lastInterval'> {
  const lm = labelMap(c);
  const q = errorsQueries(c, routes, base);
  const { requests, scope, weighted, weightedByName } = q;
  const bad = (fn: Fn, rangeMs: number) => q.bad(fn, dur(rangeMs));
  const total = (fn: Fn, rangeMs: number) => q.total(fn, dur(rangeMs));
  const classes = (lm.errors.from === 'errorClass' ? weightedByName.map(([w, names]) => `${names.join(', ')} ×${num(w)}`) : weighted.map(([w, , name]) => `${name} ×${num(w)}`)).join('; ');
  const labelled = selector(requests, base, matcher(lm.errors.label, '!=', ''));
  const what = lm.errors.from === 'status' ? `the status label ${lm.errors.label} (metrics.labels.status)` : `the error-class label ${lm.errors.label} (metrics.labels.errorClass)`;
  return {
    promise: `weighted success ≥ ${formatPercent(objective)} of ${routes ? `requests to ${routes.join(', ')}` : 'requests'} (${classes || 'no weighted classes'})`,
    errorRatio: (r) => `${bad('rate', r)} / ${total('rate', r)}`,
    events: { bad: (r) => bad('increase', r), total: (r) => total('increase', r) },
    absent: `absent(${selector(requests, base)})`,
    requests: { metric: requests, scope },
    ...(lm.mapped
      ? {
        unmeasurable: {
          expr: `count(${selector(requests, base)}) unless count(${labelled})`,
          summary: `no ${requests} series carries ${lm.errors.label}: errors cannot be counted`,
          description: `${requests} has series, but none carries ${what}, so no request is classed as an error and the errors SLO reads 100% good whatever happens. Map the label that carries the status code in the contract (promhttp: metrics.labels.status: code) and generate the rules again. Until then its burn-rate alerts cannot fire.`,
        },
      }
      : {}),
    // Without the label a request cannot be classed: the interval is unknown, not good (as embedded.ts).
    lastInterval: (r, e) => `(${intervalPart(`(${bad('irate', r)} <= bool ${num(+(1 - objective).toPrecision(12))} * ${total('irate', r)})`, q.bad('increase', dur(e)), total('increase', e), objective)} and on() count(${labelled}))`,
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
    const promise = `composite availability ≥ ${formatPercent(a.objective)} (health ${a.weights.health}, latency ${a.weights.latency}, success ${a.weights.success}, dependencies ${a.weights.dependencies})`;
    const composite = labelMap(c).mapped ? availabilityFromParts(c, a.weights, slos, base, warnings) : undefined;
    if (composite === undefined) {
      add(a.name, 'availability', a.objective, contractWindow, a.alerting, a.budgeting, {
        promise,
        // The SDK exports the composite (0..1) as a gauge: the time-average over the range, across
        // instances, is the availability; its complement is the error ratio.
        errorRatio: (r) => `1 - avg(avg_over_time(${gauge}[${dur(r)}]))`,
        absent: `absent(${gauge})`,
      });
    } else {
      // A service not instrumented by the SDK has no gauge: the composite is recorded at every
      // evaluation, from the gauge when there is one, else from its parts, and averaged over the
      // range as the gauge is.
      const sel = selector(RECORD.availability, `sloctl_service=${str(service)}`, `sloctl_slo=${str(a.name)}`);
      add(a.name, 'availability', a.objective, contractWindow, a.alerting, a.budgeting, {
        promise,
        slice: { record: RECORD.availability, expr: `avg(${gauge})\nor\n${composite.expr}` },
        errorRatio: (r) => `1 - avg_over_time(${sel}[${dur(r)}])`,
        absent: `absent(${sel})`,
        parts: [{ name: 'gauge', expr: `avg(${gauge})` }, ...composite.parts],
        ...(composite.note !== undefined ? { note: composite.note } : {}),
      });
    }
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
 * The availability composite from its parts, for a service without the SDK's gauge, mirroring
 * src/evaluate/embedded.ts (which composes it per scrape): weights × parts, each part 0 or 1,
 *
 *   health        the target is up. embedded.ts reads the health endpoint sloctl checks with each
 *                 scrape; Prometheus does not probe it, so the rules read `up` of the scrape (the
 *                 service answered /metrics), averaged over the instances the selector matches:
 *                 the closest signal a Prometheus has without a blackbox probe. Pass --selector
 *                 (job="...") so it is this service's `up`, not every target's.
 *   latency       every latency SLO met its objective over the last scrape interval
 *   success       the errors SLO met its objective over the last scrape interval (irate: the last
 *                 two samples, the interval embedded.ts judges); unknown without the error label
 *   dependencies  every critical dependency's gauge is 1 (none critical: 1); unknown when one is
 *                 missing. A contract that maps its metrics but no `metrics.dependencyUp` gauge
 *                 has nothing to read it from: the part is left out and the others' weighted sum
 *                 divided by their weights (src/contract/availability-parts.ts), with a warning
 *
 * A part with a weight whose input is missing leaves the composite empty (no sample), as
 * embedded.ts adds no sample then. Undefined (with a warning) when a weighted part has no SLO to
 * come from.
 */
function availabilityFromParts(c: Contract, w: { health: number; latency: number; success: number; dependencies: number }, slos: readonly SloPlan[], base: string | undefined, warnings: string[]): { expr: string; parts: Array<{ name: string; expr: string }>; note?: string } | undefined {
  const range = Math.max(4 * c.scrapeInterval, 1000);
  const latency = slos.filter((s) => s.kind === 'latency' && s.lastInterval);
  const errors = slos.find((s) => s.kind === 'errors' && s.lastInterval);
  const missing: string[] = [];
  if (w.latency > 0 && latency.length === 0) missing.push('latency (no latency objective)');
  if (w.success > 0 && errors === undefined) missing.push('success (no errors objective)');
  if (missing.length > 0) {
    warnings.push(`availability: its composite cannot be built from its parts without ${missing.join(' and ')}: the rules read the ${metricName(c, 'availability')} gauge only (sloctl's SDK exports it)`);
    return undefined;
  }
  if (w.health > 0 && base === undefined) {
    warnings.push('availability: the health part reads `up`, of every target this Prometheus scrapes: pass --selector (job="...") so it is this service\'s');
  }
  const unmeasured = unmeasuredDependencies(c);
  let note: string | undefined;
  if (unmeasured !== undefined) {
    note = unmeasuredDependenciesText(unmeasured);
    warnings.push(`${note}. To measure it, ${UNMEASURED_DEPENDENCIES_FIX}`);
  }
  const parts: Array<{ name: string; weight: number; expr: string }> = [];
  if (w.health > 0) parts.push({ name: 'health', weight: w.health, expr: `avg(${selector('up', base)})` });
  const evidence = partEvidenceWindowMs(c);
  if (w.latency > 0) parts.push({ name: 'latency', weight: w.latency, expr: latency.map((s) => s.lastInterval!(range, evidence)).join(' * ') });
  if (w.success > 0) parts.push({ name: 'success', weight: w.success, expr: errors!.lastInterval!(range, evidence) });
  if (w.dependencies > 0 && (unmeasured === undefined || unmeasured.measuredWeight <= 0)) {
    const critical = c.dependencies.filter((d) => d.critical).map((d) => d.name);
    if (critical.length === 0) parts.push({ name: 'dependencies', weight: w.dependencies, expr: '' });
    else {
      const deps = selector(c.metrics?.dependencyUp ?? HTTP_ROLES.dependencyUp.name, base, oneOf('dependency', critical));
      parts.push({ name: 'dependencies', weight: w.dependencies, expr: `((min(${deps}) >= bool 1) and on() (count(count by (dependency) (${deps})) == ${critical.length}))` });
    }
  }
  const measured = parts.filter((p) => p.expr !== '').map((p) => ({ name: p.name, expr: p.expr }));
  if (parts.length === 0) return { expr: 'vector(0)', parts: measured, ...(note !== undefined ? { note } : {}) };
  // A scalar term alone would make the sum a scalar: keep it a vector.
  const terms = parts.map((p) => (p.expr === '' ? `vector(${num(p.weight)})` : `${num(p.weight)} * ${p.expr}`));
  const sum = terms.join('\n+\n');
  const expr = unmeasured !== undefined && unmeasured.measuredWeight > 0 ? `(\n${sum}\n) / ${num(unmeasured.measuredWeight)}` : sum;
  return { expr, parts: measured, ...(note !== undefined ? { note } : {}) };
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
