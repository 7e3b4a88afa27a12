// The OpenSLO <-> sloctl mapping rules both directions use, so that reading and writing cannot
// drift apart.
//
// The round trip `toOpenSlo(fromOpenSlo(x))` loses nothing OpenSLO can express. Fields with a
// sloctl home map to it; the rest are kept as `openslo.com/...` annotations (keys below). Where a
// field maps only approximately (a `1Q` calendar window, a `28d` that sloctl would write `4w`, an
// alert policy kept by reference), the annotation holds the original, and the writer uses it only
// while the sloctl value still is what the reader derived from it: edit the contract, and the
// OpenSLO written follows the edit instead of the stale original.
import { formatDuration, parseDuration } from '../contract/units.ts';
import { LINK_MAX } from '../contract/zod-units.ts';
import { isLabelName } from '../emit/promql.ts';
import { DEFAULT_FOR_MS } from '../emit/slos.ts';
import { deepEqual, isPlainObject } from './common.ts';

/** Annotation keys (prefix `openslo.com/`). SLI-level unless marked service-level. */
export const ANN = {
  /** The OpenSLO SLO name, when the sloctl SLI name differs (several objectives, or not a valid sloctl name). */
  slo: 'openslo.com/slo',
  /** `spec.service` of the SLO, when it is not the contract's service. */
  service: 'openslo.com/service',
  objectiveDisplayName: 'openslo.com/objective-display-name',
  /** "true": the objective was written as `targetPercent` (0..100), not `target` (0..1). */
  targetPercent: 'openslo.com/target-percent',
  /** JSON: objective fields sloctl has no place for (e.g. `op` on a ratio metric). */
  objective: 'openslo.com/objective',
  /** JSON of the original `timeWindow`, or `absent`. */
  timeWindow: 'openslo.com/time-window',
  /** The original `budgetingMethod` spelling, or `absent`. */
  budgetingMethod: 'openslo.com/budgeting-method',
  /** JSON of the original `timeSliceWindow` (e.g. the number 5, meaning minutes). */
  timeSliceWindow: 'openslo.com/time-slice-window',
  /** The SLI was a separate `kind: SLI` document with this name, referenced by `indicatorRef`. */
  indicatorRef: 'openslo.com/indicator-ref',
  indicatorName: 'openslo.com/indicator-name',
  indicatorDisplayName: 'openslo.com/indicator-display-name',
  indicatorDescription: 'openslo.com/indicator-description',
  /** JSON: the rest of the indicator (metadata labels/annotations, unknown fields). */
  indicatorExtra: 'openslo.com/indicator-extra',
  /** `ratioMetric.counter`: "true" or "false". */
  counter: 'openslo.com/counter',
  /** `ratioMetric.rawType` of a raw ratio: "success" (the query is 1 - errorRatio) or "failure". */
  rawType: 'openslo.com/raw-type',
  /** JSON of the metricSource, with the query replaced by QUERY_MARK (Prometheus) or verbatim (other sources). Suffix `.good` etc. when the roles differ. */
  metricSource: 'openslo.com/metric-source',
  /** The range placeholder the queries used when not `{{.window}}` (suffix `.good` etc. when they differ). */
  windowPlaceholder: 'openslo.com/window-placeholder',
  /** JSON of the SLO's original `alertPolicies` (inline policies, or references to AlertPolicy documents). */
  alertPolicies: 'openslo.com/alert-policies',
  /** JSON: the rest of the SLO document (list-valued labels, unknown fields). Service-level: the rest of the Service document. */
  extra: 'openslo.com/extra',
  /** Service-level: the original metadata.name of the Service, when not a valid sloctl name. */
  name: 'openslo.com/name',
  /** Service-level: `absent` when the input had no Service document. */
  serviceDocument: 'openslo.com/service-document',
  /** Service-level: "true" when the input was one YAML list of objects rather than `---` documents. */
  listForm: 'openslo.com/list-form',
  /** Service-level prefix: `openslo.com/doc.<Kind>.<name>` holds a document sloctl does not model, as JSON. */
  docPrefix: 'openslo.com/doc.',
} as const;

const OWN_KEYS: ReadonlySet<string> = new Set(Object.values(ANN));

/**
 * Annotations `--to openslo` writes on the OpenSLO documents themselves (`metadata.annotations`),
 * for the parts of a sloctl alert tier OpenSLO has no field for; `--from openslo` reads them back.
 * Other OpenSLO tools ignore them.
 */
export const SLOCTL_ANN = {
  /**
   * AlertCondition: the tier's short window (a sloctl duration), written when it is not what a
   * reader derives from the one lookbackWindow OpenSLO has (1/12 of it, the SRE workbook's ratio).
   */
  shortWindow: 'sloctl.dev/short-window',
  /** AlertPolicy: the contract's `alerting.name`, the name of the burn-rate alert. */
  alertName: 'sloctl.dev/alert-name',
} as const;

/** Is this annotation one of the converter's own (not the user's)? */
export function isOwnAnnotation(key: string): boolean {
  return OWN_KEYS.has(key) || key.startsWith(`${ANN.metricSource}.`) || key.startsWith(`${ANN.windowPlaceholder}.`) || key.startsWith(ANN.docPrefix);
}

export const API_VERSION = 'openslo/v1';
/** Marks where the query goes in a stored metricSource. */
export const QUERY_MARK = '<sloctl:query>';
export const DEFAULT_SOURCE = { type: 'Prometheus', spec: { query: QUERY_MARK } };
/** Metric source types whose queries are PromQL. */
export const PROMQL_SOURCE = /^(prometheus|thanos|mimir|cortex|victoriametrics|amazonprometheus|googlemanagedprometheus)$/i;
export const DEFAULT_WINDOW_TOKEN = '{{.window}}';
/** startTime written for a calendar window from a native contract (a Monday and the 1st of a month). */
export const CALENDAR_START = '2024-01-01 00:00:00';

export type MetricRole = 'good' | 'bad' | 'total' | 'raw' | 'threshold';

/** What a sloctl SLI has in place of a non-PromQL metric source: valid PromQL that names what it stands for. */
export function placeholderQuery(role: MetricRole, type: unknown): string {
  const t = typeof type === 'string' && type !== '' ? type.replace(/[^A-Za-z0-9_. -]/g, '_') : 'unknown';
  return `openslo_unconverted_${role}{source_type="${t}"}`;
}

/** The type of a metricSource: its own `type`, or that of the DataSource its metricSourceRef names. */
export function sourceTypeOf(ms: Record<string, unknown>, docs: DocStore): string | undefined {
  if (typeof ms.type === 'string' && ms.type !== '') return ms.type;
  if (typeof ms.metricSourceRef === 'string') {
    const ds = docs.get(`DataSource/${ms.metricSourceRef}`);
    const t = isPlainObject(ds?.spec) ? ds.spec.type : undefined;
    if (typeof t === 'string') return t;
  }
  return undefined;
}

export function hasQueryMark(v: unknown): boolean {
  if (v === QUERY_MARK) return true;
  if (Array.isArray(v)) return v.some(hasQueryMark);
  if (isPlainObject(v)) return Object.values(v).some(hasQueryMark);
  return false;
}

export function fillQueryMark(v: unknown, query: string): unknown {
  if (v === QUERY_MARK) return query;
  if (Array.isArray(v)) return v.map((x) => fillQueryMark(x, query));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillQueryMark(x, query)]));
  return v;
}

// --- durations --------------------------------------------------------------------------------

const MINUTE = 60_000;
const DAY = 86_400_000;
const SHORTHAND_UNITS: Record<string, number> = { m: MINUTE, h: 60 * MINUTE, d: DAY, w: 7 * DAY };
/** OpenSLO's calendar units have no fixed length; these are what a rolling approximation uses. */
const APPROX_UNITS: Record<string, number> = { M: 30 * DAY, Q: 91 * DAY, Y: 365 * DAY };

export interface Shorthand {
  ms: number;
  n: number;
  unit: string;
  /** False for M, Q, Y: their length is approximate. */
  exact: boolean;
}

/** An OpenSLO duration-shorthand (`5m`, `4w`, `1M`), or a sloctl duration (`90s`, `1h30m`). */
export function parseShorthand(v: unknown): Shorthand | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([0-9]+)(m|h|d|w|M|Q|Y)$/.exec(v.trim());
  if (m) {
    const n = Number(m[1]);
    const exact = m[2] in SHORTHAND_UNITS;
    const ms = n * (SHORTHAND_UNITS[m[2]] ?? APPROX_UNITS[m[2]]);
    return ms > 0 ? { ms, n, unit: m[2], exact } : undefined;
  }
  const p = parseDuration(v);
  return p.ok ? { ms: p.value, n: p.value, unit: 'ms', exact: true } : undefined;
}

/** Milliseconds as OpenSLO duration-shorthand in the largest unit that divides them, or undefined (not whole minutes). */
export function toShorthand(ms: number): string | undefined {
  for (const unit of ['w', 'd', 'h', 'm']) {
    const scale = SHORTHAND_UNITS[unit];
    if (ms >= scale && ms % scale === 0) return `${ms / scale}${unit}`;
  }
  return undefined;
}

/** `toShorthand`, rounding up to whole minutes when it must (the caller reports the rounding); `ms` is what the text says. */
export function toShorthandRounded(ms: number): { text: string; rounded: boolean; ms: number } {
  const exact = toShorthand(ms);
  if (exact) return { text: exact, rounded: false, ms };
  const up = Math.max(MINUTE, Math.ceil(ms / MINUTE) * MINUTE);
  return { text: toShorthand(up)!, rounded: true, ms: up };
}

// --- time windows -----------------------------------------------------------------------------

export type SloWindow = number | { calendar: 'month' | 'week'; timeZone: string };

export interface DerivedWindow {
  /** undefined: the SLO has no window of its own (the contract window applies). */
  window?: SloWindow;
  /** Set when the mapping is approximate or the input was not usable. */
  note?: string;
}

/** sloctl's window for an OpenSLO `timeWindow` list. */
export function deriveWindow(tw: unknown): DerivedWindow {
  if (tw === undefined || tw === null) return {};
  const item = Array.isArray(tw) ? tw[0] : undefined;
  if (!isPlainObject(item)) return { note: 'timeWindow is not a list with one window: the contract window applies' };
  const extra = Array.isArray(tw) && tw.length > 1 ? ` (timeWindow has ${tw.length} windows; OpenSLO allows one, and only the first is used)` : '';
  const d = parseShorthand(item.duration);
  if (!d) return { note: `timeWindow duration ${JSON.stringify(item.duration)} is not a duration-shorthand such as 28d or 1M: the contract window applies` };
  const calendar = isPlainObject(item.calendar) ? item.calendar : undefined;
  const rolling = item.isRolling === true || (item.isRolling === undefined && calendar === undefined);
  if (!rolling) {
    const timeZone = typeof calendar?.timeZone === 'string' && calendar.timeZone !== '' ? calendar.timeZone : 'UTC';
    const several = extra ? { note: extra.trim().slice(1, -1) } : {};
    if (d.n === 1 && d.unit === 'M') return { window: { calendar: 'month', timeZone }, ...several };
    if (d.n === 1 && d.unit === 'w') return { window: { calendar: 'week', timeZone }, ...several };
    return {
      window: d.ms,
      note: `the calendar window of ${item.duration} is not one sloctl has (a calendar month or week): it becomes a rolling ${toShorthand(d.ms) ?? `${d.ms}ms`} window${extra}`,
    };
  }
  if (!d.exact) return { window: d.ms, note: `the rolling window ${item.duration} has no fixed length: sloctl reads it as ${toShorthand(d.ms)}${extra}` };
  return { window: d.ms, ...(extra ? { note: extra.trim().slice(1, -1) } : {}) };
}

/** The OpenSLO `timeWindow` for a sloctl window. */
export function renderWindow(w: SloWindow): { timeWindow: unknown[]; rounded: boolean } {
  if (typeof w === 'number') {
    const s = toShorthandRounded(w);
    return { timeWindow: [{ duration: s.text, isRolling: true }], rounded: s.rounded };
  }
  return {
    timeWindow: [{ duration: w.calendar === 'month' ? '1M' : '1w', isRolling: false, calendar: { startTime: CALENDAR_START, timeZone: w.timeZone } }],
    rounded: false,
  };
}

/** The length of the contract window as semantic.ts measures alert windows against it. */
export function windowLengthMs(w: SloWindow): number {
  return typeof w === 'number' ? w : w.calendar === 'week' ? 7 * DAY : 28 * DAY;
}

// --- objectives -------------------------------------------------------------------------------

export const BUDGETING = ['Occurrences', 'Timeslices', 'RatioTimeslices'] as const;
export type Budgeting = (typeof BUDGETING)[number];

export function deriveBudgeting(v: unknown): Budgeting | undefined {
  if (typeof v !== 'string') return undefined;
  const norm = v.replace(/[\s_-]/g, '').toLowerCase();
  return BUDGETING.find((b) => b.toLowerCase() === norm || (b === 'Occurrences' && norm === 'occurences'));
}

/** `timeSliceWindow`: a number of minutes, or duration-shorthand. */
export function deriveSliceWindow(v: unknown): number | undefined {
  if (typeof v === 'number') return v > 0 ? v * MINUTE : undefined;
  const d = parseShorthand(v);
  return d?.exact ? d.ms : undefined;
}

/** A ratio as OpenSLO writes it (no float noise: 0.9998999999999999 is 0.9999). */
export function ratioNumber(r: number): number {
  return +r.toPrecision(12);
}

// --- alerting ---------------------------------------------------------------------------------

export interface Tier {
  burnRate: number;
  long: number;
  short: number;
  for?: number;
}

export interface DerivedAlerting {
  page: Tier[] | false;
  ticket: Tier[] | false;
}

/** Documents of the input by `Kind/name`, for resolving alertPolicyRef / conditionRef. */
export type DocStore = ReadonlyMap<string, Record<string, unknown>>;

const PAGE_SEVERITY = /^(page|pager|paging|critical|crit|sev-?[01]|p[01]|high|urgent|emergency)$/i;

export function isPageSeverity(s: unknown): boolean {
  return typeof s === 'string' && PAGE_SEVERITY.test(s.trim());
}

function refName(item: unknown, refKey: string): string | undefined {
  if (typeof item === 'string') return item;
  if (isPlainObject(item) && typeof item[refKey] === 'string' && item.kind === undefined && item.spec === undefined) return item[refKey] as string;
  return undefined;
}

/** The AlertPolicy objects an SLO's `alertPolicies` names (inline, or by reference to a document). */
export function resolvePolicies(list: unknown, docs: DocStore): Array<{ policy?: Record<string, unknown>; ref?: string }> {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const ref = refName(item, 'alertPolicyRef');
    if (ref !== undefined) {
      const doc = docs.get(`AlertPolicy/${ref}`);
      return doc ? { policy: doc, ref } : { ref };
    }
    return isPlainObject(item) ? { policy: item } : {};
  });
}

export function resolveConditions(policy: Record<string, unknown>, docs: DocStore): Array<{ condition?: Record<string, unknown>; ref?: string }> {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  if (!Array.isArray(spec.conditions)) return [];
  return spec.conditions.map((item) => {
    const ref = refName(item, 'conditionRef');
    if (ref !== undefined) {
      const doc = docs.get(`AlertCondition/${ref}`);
      return doc ? { condition: doc, ref } : { ref };
    }
    return isPlainObject(item) ? { condition: item } : {};
  });
}

/** The short window a reader gives a tier of one lookback window: 1/12 of it (the SRE workbook's ratio), whole seconds. */
export function derivedShortMs(longMs: number): number {
  return Math.max(1000, Math.round(longMs / 12 / 1000) * 1000);
}

/** One burn-rate tier from an AlertCondition, or why it cannot be one. */
export function conditionTier(condition: Record<string, unknown>, windowMs: number): { tier: Tier; page: boolean; note?: string } | { why: string } {
  const spec = isPlainObject(condition.spec) ? condition.spec : {};
  const c = isPlainObject(spec.condition) ? spec.condition : undefined;
  if (!c) return { why: 'it has no `condition`' };
  if (c.kind !== undefined && String(c.kind).toLowerCase() !== 'burnrate') return { why: `its kind ${JSON.stringify(c.kind)} is not burnrate` };
  if (c.op !== undefined && c.op !== 'gt' && c.op !== 'gte') return { why: `it fires when the burn rate is ${c.op} the threshold, and sloctl alerts fire above it` };
  if (typeof c.threshold !== 'number' || !(c.threshold > 0)) return { why: 'its threshold is not a positive number' };
  const long = parseShorthand(c.lookbackWindow);
  if (!long?.exact) return { why: `its lookbackWindow ${JSON.stringify(c.lookbackWindow)} is not a fixed duration` };
  if (long.ms > windowMs) return { why: `its lookbackWindow ${c.lookbackWindow} is longer than the SLO window` };
  const after = c.alertAfter === undefined ? undefined : parseShorthand(c.alertAfter);
  if (c.alertAfter !== undefined && !after && !/^0[a-zA-Z]*$/.test(String(c.alertAfter).trim())) return { why: `its alertAfter ${JSON.stringify(c.alertAfter)} is not a duration` };
  // The short window sloctl wrote, when it is not the derived one (SLOCTL_ANN.shortWindow).
  const meta = isPlainObject(condition.metadata) ? condition.metadata : {};
  const written = isPlainObject(meta.annotations) ? meta.annotations[SLOCTL_ANN.shortWindow] : undefined;
  const short = typeof written === 'string' ? parseDuration(written) : undefined;
  const tier: Tier = { burnRate: c.threshold, long: long.ms, short: short?.ok && short.value < long.ms ? short.value : derivedShortMs(long.ms) };
  if (after?.exact) tier.for = after.ms;
  // alertAfter 0: the alert fires on the first evaluation that sees the burn. A sloctl tier's `for`
  // is a duration above zero, so the tier keeps the rules' default.
  const note = c.alertAfter !== undefined && !after
    ? `its alertAfter ${c.alertAfter} fires on the first evaluation, and a sloctl tier's \`for\` is above zero: the tier waits sloctl's default ${formatDuration(DEFAULT_FOR_MS)}`
    : undefined;
  return { tier, page: isPageSeverity(spec.severity), ...(note ? { note } : {}) };
}

/**
 * sloctl's alerting for an SLO's `alertPolicies`: each burn-rate condition is a tier, with the
 * SRE workbook's short window of 1/12 of the long one (OpenSLO has one lookback window). An SLO
 * without alert policies has no alerts; so has a severity no condition uses.
 */
export function deriveAlerting(list: unknown, docs: DocStore, windowMs: number, warn?: (m: string) => void): DerivedAlerting {
  const page: Tier[] = [];
  const ticket: Tier[] = [];
  for (const { policy, ref } of resolvePolicies(list, docs)) {
    if (!policy) {
      warn?.(ref !== undefined ? `alert policy "${ref}" is not in the file: its alerts are not converted` : 'an alertPolicies entry is neither a reference nor an AlertPolicy');
      continue;
    }
    const pname = isPlainObject(policy.metadata) ? String(policy.metadata.name ?? '') : '';
    for (const { condition, ref: cref } of resolveConditions(policy, docs)) {
      if (!condition) {
        warn?.(`alert condition "${cref ?? '?'}" of alert policy "${pname}" is not in the file: its alert is not converted`);
        continue;
      }
      const t = conditionTier(condition, windowMs);
      if ('why' in t) {
        const cname = isPlainObject(condition.metadata) ? String(condition.metadata.name ?? '') : '';
        warn?.(`alert condition "${cname}" of alert policy "${pname}" is not a sloctl burn-rate tier: ${t.why}`);
        continue;
      }
      if (t.note) {
        const cname = isPlainObject(condition.metadata) ? String(condition.metadata.name ?? '') : '';
        warn?.(`alert condition "${cname}" of alert policy "${pname}": ${t.note}`);
      }
      (t.page ? page : ticket).push(t.tier);
    }
  }
  return { page: page.length > 0 ? page : false, ticket: ticket.length > 0 ? ticket : false };
}

/** What a sloctl alerting section has besides its tiers: what the alerts are called and carry. */
export interface AlertMeta {
  name?: string;
  runbook?: string;
  dashboard?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Prometheus alert name, as the contract's `alerting.name` must be. */
const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * sloctl's alerting.runbook, dashboard, name, labels and annotations from the metadata of an SLO's
 * alert policies, as `--to openslo` writes them on each policy: the annotations `runbook` and
 * `dashboard`, SLOCTL_ANN.alertName, the other annotations, and the labels. Only what a Prometheus
 * rule can carry is taken (string values under Prometheus names); the rest stays in the policies
 * the contract keeps verbatim. sloctl has one of each per SLO: when two policies disagree, the
 * first one's is taken and `warn` says so.
 */
export function deriveAlertMeta(list: unknown, docs: DocStore, warn?: (m: string) => void): AlertMeta {
  const out: AlertMeta = {};
  const from: Record<string, string> = {};
  const conflicts = new Set<string>();
  const take = (what: string, value: string, policy: string, set: () => void, current: string | undefined) => {
    if (current === undefined) {
      set();
      from[what] = policy;
    } else if (current !== value && !conflicts.has(what)) {
      conflicts.add(what);
      warn?.(`alert policies "${from[what]}" and "${policy}" have different ${what}s, and a sloctl SLO has one: the contract takes "${from[what]}"'s (${JSON.stringify(current)})`);
    }
  };
  for (const { policy } of resolvePolicies(list, docs)) {
    if (!policy || !isPlainObject(policy.metadata)) continue;
    const meta = policy.metadata;
    const pname = String(meta.name ?? '');
    const ann = isPlainObject(meta.annotations) ? meta.annotations : {};
    for (const [k, v] of Object.entries(ann)) {
      if (typeof v !== 'string') continue;
      if (k === 'runbook' || k === 'dashboard') {
        if (v.length <= LINK_MAX) take(k, v, pname, () => (out[k] = v), out[k]);
      } else if (k === SLOCTL_ANN.alertName) {
        if (ALERT_NAME.test(v)) take('alert name', v, pname, () => (out.name = v), out.name);
      } else if (isLabelName(k)) {
        take(`annotation ${k}`, v, pname, () => (out.annotations = { ...(out.annotations ?? {}), [k]: v }), out.annotations?.[k]);
      }
    }
    const labels = isPlainObject(meta.labels) ? meta.labels : {};
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string' || !isLabelName(k) || k === '__name__') continue;
      take(`label ${k}`, v, pname, () => (out.labels = { ...(out.labels ?? {}), [k]: v }), out.labels?.[k]);
    }
  }
  return out;
}

export function sameAlertMeta(a: AlertMeta | undefined, b: AlertMeta | undefined): boolean {
  const core = (m: AlertMeta | undefined) => ({ name: m?.name, runbook: m?.runbook, dashboard: m?.dashboard, labels: m?.labels ?? {}, annotations: m?.annotations ?? {} });
  return deepEqual(core(a), core(b));
}

/** The page/ticket part of a contract's alerting, comparable with deriveAlerting's result. */
export function alertingCore(a: { page?: Tier[] | false; ticket?: Tier[] | false } | undefined): { page?: Tier[] | false; ticket?: Tier[] | false } {
  const tiers = (t: Tier[] | false | undefined) => (t === undefined || t === false ? t : t.map((x) => ({ burnRate: x.burnRate, long: x.long, short: x.short, ...(x.for !== undefined ? { for: x.for } : {}) })));
  return { page: tiers(a?.page), ticket: tiers(a?.ticket) };
}

export function sameAlerting(a: Parameters<typeof alertingCore>[0], b: Parameters<typeof alertingCore>[0]): boolean {
  return deepEqual(alertingCore(a), alertingCore(b));
}
