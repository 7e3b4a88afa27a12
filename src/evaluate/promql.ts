// The PromQL path of `sloctl status`: the same SLO statuses, read from a Prometheus-compatible
// server instead of scraped by sloctl.
//
// Names come from the rule generator (src/emit): per SLO, `sloctl:total_events:increase<W>` and
// `sloctl:bad_events:increase<W>` over the SLO window, `sloctl:burn_rate:<w>` per tier window and
// `sloctl:error_budget_remaining:ratio`, all labelled {sloctl_service, sloctl_slo}. When the server
// has no such series (the rules are not loaded, or not evaluated yet), the same PromQL the rules
// would run is sent directly (`SloPlan.events`, `SloPlan.errorRatio`), and the report says so.
// Tier windows also read their event totals (a raw increase) so a low-traffic tier is "unknown"
// exactly as in the embedded engine; Prometheus' alerts themselves have no such state.
//
// A calendar window is read over its real span (the rules approximate it with a rolling one).
//
// With `--selector`, the recorded series and the alerts are read only when the server's rules API
// confirms the loaded rules were generated with that selector (loaded-rules.ts): the recorded
// series carry no label saying which, and rules generated without it sum every job's series. Else
// every built-in SLO is computed from the raw series with the selector, and the report says so.
//
// Alert states are Prometheus' own when its rules are read (`ALERTS{alertstate="pending"|"firing"}`:
// a tier whose condition holds is pending for its `for` before it fires); sloctl's evaluation of the
// tiers from the burn rates says only what would fire.
//
// Numbers from PromQL's increase() are extrapolated to the range edges (see src/engine/counter.ts),
// so event counts here are usually not whole numbers.
import { labelMap, unmeasurableErrors, unseenClasses } from '../contract/label-map.ts';
import type { Contract } from '../contract/schema.ts';
import { formatMs } from '../engine/alerts.ts';
import { calendarWindow } from '../engine/calendar.ts';
import { bucketOfQuantileValue } from '../engine/histogram.ts';
import { dur, leMatcher, matcher, num as promNum, selector } from '../emit/promql.ts';
import { MISSING_LE_LABEL, planSlos, RECORD, sloSeries, type SloPlan } from '../emit/slos.ts';
import type { LoadedRuleGroup, PromqlClient } from '../observe/promql-client.ts';
import { defineSlos, type Scope, type SloDefinition } from './definitions.ts';
import { checkRulesSelector } from './loaded-rules.ts';
import { evaluateSlo, healthRows, num, percentileStatus, skippedSlo, type EventSource, type PercentileStatus, type PrometheusAlert, type SloStatus, type WindowCounts } from './report.ts';

export interface PromqlStatusOptions {
  /** Extra label matchers for the built-in SLIs' raw selectors, e.g. `job="checkout"`. */
  selector?: string;
  /** Window for the latency percentiles (default: 1h, or the SLO window when shorter). */
  percentileWindowMs?: number;
}

export interface PromqlStatus {
  slos: SloStatus[];
  health: ReturnType<typeof healthRows>;
  /** True when the generated recording rules were found and read. */
  recordingRules: boolean;
  /** True when this server has series recorded by sloctl's rules for the service (read or not). */
  rulesLoaded: boolean;
  /** What applies to the whole report (recorded series left unread, and why). */
  notes: string[];
  /** Every query sent, in order. */
  queries: string[];
}

const HOUR = 3_600_000;

/** Whole seconds of a span, as a PromQL range (at least 1s). */
function rangeOf(ms: number): number {
  return Math.max(1000, Math.floor(ms / 1000) * 1000);
}

export async function evaluateThroughPrometheus(contract: Contract, client: PromqlClient, at: number, options: PromqlStatusOptions = {}): Promise<PromqlStatus> {
  const defs = defineSlos(contract);
  const plan = planSlos(contract, { selector: options.selector });
  const plans = new Map(plan.slos.map((p) => [p.name, p]));
  const queries: string[] = [];
  const ask = async (q: string): Promise<number | undefined> => {
    queries.push(q);
    const r = await client.query(q, { time: at });
    if (r.resultType === 'scalar') return Number.isNaN(r.result.value) ? undefined : r.result.value;
    if (r.resultType !== 'vector' || r.result.length === 0) return undefined;
    // A recorded series per SLO is one series; raw sums are one too. Several (e.g. the rules loaded
    // twice under different job labels) are added, as `sum` would.
    const v = r.result.reduce((s, x) => s + x.value, 0);
    return Number.isNaN(v) ? undefined : v;
  };

  const service = contract.service.name;
  const recordedCount = await ask(`count({__name__=~"sloctl:.+", sloctl_service=${JSON.stringify(service)}})`);
  const rulesLoaded = (recordedCount ?? 0) > 0;
  const base = options.selector?.trim() || undefined;
  // The built-in SLOs' recorded series answer for the selector only when the rules read it.
  const builtin = defs.filter((d) => d.kind !== 'custom').map((d) => d.name);
  let builtinRecorded = rulesLoaded;
  const reportNotes: string[] = [];
  if (rulesLoaded && base !== undefined && builtin.length > 0) {
    let groups: LoadedRuleGroup[] | Error;
    try {
      groups = await client.rules();
    } catch (e) {
      groups = e instanceof Error ? e : new Error(String(e));
    }
    const check = checkRulesSelector(groups, service, builtin, base);
    if (!check.confirmed) {
      builtinRecorded = false;
      reportNotes.push(`sloctl's recording rules are loaded, but not read: ${check.reason}. The built-in SLOs are computed from the raw series with ${base}, and their ALERT column is sloctl's evaluation, not Prometheus' alerts (generate the rules with --selector '${base}' to read them)`);
    }
  }
  const recordingRules = rulesLoaded && (builtinRecorded || defs.some((d) => d.kind === 'custom'));

  const raw = async (q: string) => {
    queries.push(q);
    const r = await client.query(q, { time: at });
    return r.resultType === 'vector' ? r.result : [];
  };
  const slos: SloStatus[] = [];
  for (const def of defs) {
    const p = plans.get(def.name);
    if (p === undefined) {
      slos.push(skippedSlo(def, at, 'the rule generator has no plan for it'));
      continue;
    }
    const facts = await seriesFacts(contract, def, p, raw, base, sloWindow(def, p, at).ms);
    const recorded = def.kind === 'custom' ? rulesLoaded : builtinRecorded;
    slos.push(await evaluateOne(def, p, at, ask, raw, { loaded: rulesLoaded, read: recorded, selector: base }, options, facts));
  }
  return { slos, health: healthRows(slos), recordingRules, rulesLoaded, notes: reportNotes, queries };
}

type Ask = (q: string) => Promise<number | undefined>;
type Raw = (q: string) => Promise<Array<{ metric: Record<string, string>; value: number }>>;

interface SeriesFacts {
  /** Why the series there are cannot measure the SLI (a missing label or bucket), with the fix. */
  unmeasurable?: string;
  /** Latency: the `le` values of the histogram series in scope (for the percentiles' ceilings). */
  les?: number[];
  notes: string[];
}

function scopeSelectors(metric: string, base: string | undefined, scope: Scope, extra: string[] = []): string[] {
  return scope.map((alt) => selector(metric, base, ...alt.map((m) => matcher(m.name, m.op, m.value)), ...extra));
}

/**
 * What the server's series can measure, asked the way the embedded engine learns it from scrapes:
 * for the errors SLO, whether any request series carries the label the classes are read from; for
 * a latency SLO, the `le` values present per threshold group (a threshold with no bucket is not
 * measurable, and a percentile ceiling between buckets is interpolated).
 */
/** The SLO window status reads: the rolling window, or a calendar window's real span so far. */
function sloWindow(def: SloDefinition, p: SloPlan, at: number): { start: number; ms: number; calendar: boolean } {
  if (def.window.kind === 'calendar') {
    const start = calendarWindow(def.window.calendar, at, def.window.timeZone).start;
    return { start, ms: rangeOf(at - start), calendar: true };
  }
  return { start: at - p.windowMs, ms: p.windowMs, calendar: false };
}

async function seriesFacts(contract: Contract, def: SloDefinition, p: SloPlan, raw: Raw, base: string | undefined, windowMs: number): Promise<SeriesFacts> {
  const src = def.source;
  const notes: string[] = [];
  // Each selector's latest sample of the last 5 minutes (an instant query's own lookback), read
  // through last_over_time: a range selection skips staleness markers, so one failed scrape (a
  // busy target past its scrape_timeout) does not hide a series and with it the bucket layout.
  const recent = (sel: string) => `last_over_time(${sel}[5m])`;
  if (src.kind === 'errors') {
    const unseen = unseenClasses(contract);
    if (unseen.length > 0) notes.push(`error classes the label mapping cannot see (no status to derive them from; they are only seen client-side, in thrown errors): ${unseen.join(', ')}`);
    const any = await raw(`topk(1, ${recent(selector(src.metric, base))})`);
    if (any.length === 0) return { notes };
    const labelled = await raw(`count(${recent(selector(src.metric, base, matcher(src.label, '!=', '')))})`);
    if (labelled.length > 0) return { notes };
    const names = Object.keys(any[0].metric).filter((k) => k !== '__name__');
    return { unmeasurable: unmeasurableErrors({ metrics: src.metrics }, src.metric, names), notes };
  }
  if (src.kind === 'latency') {
    const lesOf = async (scope: Scope): Promise<number[]> => {
      const parts = scopeSelectors(src.bucketMetric, base, scope);
      const r = await raw(`count by (le) (${parts.map(recent).join(' or ')})`);
      return r.map((x) => parseFloat(x.metric.le === '+Inf' ? 'Infinity' : (x.metric.le ?? 'NaN'))).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    };
    const missing: string[] = [];
    const add: number[] = [];
    for (const g of src.groups) {
      const les = await lesOf(g.scope);
      if (les.length === 0) continue; // no series in this group: nothing to judge
      const r = await raw(`count(${scopeSelectors(src.bucketMetric, base, g.scope, [leMatcher(g.thresholdSeconds)]).map(recent).join(' or ')})`);
      if (r.length > 0) continue;
      missing.push(`no bucket at le=${promNum(g.thresholdSeconds)} (the ${formatMs(Math.round(g.thresholdSeconds * 1000))} threshold of ${g.routes}); its buckets are ${les.map((x) => (x === Infinity ? '+Inf' : String(x))).join(', ')}`);
      add.push(g.thresholdSeconds);
    }
    if (missing.length === 0 && p.unmeasurable) {
      // Every group has its bucket on some series; a series that counts requests without it (an
      // instance or route still on an older contract's buckets) is left out of the rules' SLI, as
      // their unmeasurable alert says: the same query, one result per such series.
      const r = await raw(p.unmeasurable.expr);
      const byLe = new Map<string, Set<string>>();
      const lm = labelMap(contract);
      for (const x of r) {
        const le = x.metric[MISSING_LE_LABEL] ?? '?';
        byLe.set(le, (byLe.get(le) ?? new Set()).add(`${x.metric[lm.method] ?? ''} ${x.metric[lm.route] ?? ''}`.trim() || JSON.stringify(x.metric)));
      }
      for (const [le, series] of [...byLe].sort(([a], [b]) => parseFloat(a) - parseFloat(b))) {
        const g = src.groups.find((x) => promNum(x.thresholdSeconds) === le);
        missing.push(`no bucket at le=${le}${g ? ` (the ${formatMs(Math.round(g.thresholdSeconds * 1000))} threshold of ${g.routes})` : ''} on the series of ${[...series].sort().join(', ')}, which counted requests recently`);
        if (!Number.isNaN(parseFloat(le))) add.push(parseFloat(le));
      }
    }
    if (p.latency) {
      // Series that gained their threshold's bucket within the window (restarted with the bucket
      // `validate` asked for): the rules and these numbers count their current process' requests
      // only; the earlier ones cannot be told fast from slow (src/emit/slos.ts latencyQueries).
      const r = await raw(p.latency.younger(windowMs));
      const lm = labelMap(contract);
      const byLe = new Map<string, Set<string>>();
      for (const x of r) {
        const le = x.metric[MISSING_LE_LABEL] ?? '?';
        byLe.set(le, (byLe.get(le) ?? new Set()).add(`${x.metric[lm.method] ?? ''} ${x.metric[lm.route] ?? ''}`.trim() || JSON.stringify(x.metric)));
      }
      for (const [le, series] of [...byLe].sort(([a], [b]) => parseFloat(a) - parseFloat(b))) {
        notes.push(`the bucket at le=${le} is younger than the ${dur(windowMs)} window on the series of ${[...series].sort().join(', ')}: the SLI counts their requests since their process last started, with the bucket; the ones before cannot be told fast from slow and are left out, until the bucket is ${dur(windowMs)} old`);
      }
    }
    const les = await lesOf(src.totalScope);
    if (missing.length === 0) return { les, notes };
    const hist = src.bucketMetric.replace(/_bucket$/, '');
    return { les, notes, unmeasurable: `the histogram ${hist} cannot measure this SLO: ${missing.join('; ')}: add ${add.map(promNum).join(', ')} to the histogram's buckets (an interpolated count would be a guess)` };
  }
  return { notes };
}

/** Whether sloctl's rules are loaded for the service, and whether this SLO's recorded series and alerts are read. */
interface Rules {
  loaded: boolean;
  read: boolean;
  selector: string | undefined;
}

async function evaluateOne(def: SloDefinition, p: SloPlan, at: number, ask: Ask, rawAsk: Raw, rules: Rules, options: PromqlStatusOptions, facts: SeriesFacts): Promise<SloStatus> {
  const lines: string[] = [];
  const notes: string[] = [...facts.notes];
  const budget = 1 - def.objective;
  const { start: windowStart, ms: W, calendar } = sloWindow(def, p, at);
  const useRecorded = rules.read && !calendar;
  // The availability composite of a contract that maps labels exists only as the rules' recorded
  // series: when they are not read for this selector, it is not read at all.
  const unreadable = p.slice !== undefined && rules.loaded && !rules.read
    ? `availability is recorded by sloctl's rules (${p.slice.record}), and the rules loaded here are not confirmed to read ${rules.selector}: generate them with --selector '${rules.selector}' and load them`
    : undefined;
  // A recorded series that was asked for and missing (a raw query with no recorded counterpart is not).
  let recordedMissing = false;

  const value = async (what: string, recorded: string | undefined, raw: string): Promise<number | undefined> => {
    if (unreadable !== undefined) return undefined;
    if (recorded !== undefined && useRecorded) {
      const v = await ask(recorded);
      if (v !== undefined) {
        lines.push(`${what}: ${recorded} = ${num(v)}`);
        return v;
      }
      recordedMissing = true;
    }
    const v = await ask(raw);
    lines.push(`${what}: ${oneLine(raw)} = ${v === undefined ? 'no data' : num(v)}`);
    return v;
  };

  const events = p.events;
  let windowCounts: WindowCounts;
  let ratioMissing = false;
  if (events) {
    const total = await value(`total over ${dur(W)}`, sloSeries(p, RECORD.totalEvents(W)), events.total(W));
    const bad = await value(`bad over ${dur(W)}`, sloSeries(p, RECORD.badEvents(W)), events.bad(W));
    windowCounts = counts(total, bad, windowStart, at);
  } else {
    // A ratio SLO (availability, custom ratio or threshold): no event counts, only the ratio.
    const ratio = await value(`error ratio over ${dur(W)}`, undefined, p.errorRatio(W));
    ratioMissing = ratio === undefined;
    windowCounts = counts(ratio === undefined ? undefined : 1, ratio, windowStart, at);
    notes.push('a ratio without event counts: "events" are the ratio itself (total 1), so the budget is a share of the window');
  }

  const tierWindows = new Map<number, WindowCounts>();
  for (const w of [...new Set(def.tiers.flatMap((t) => [t.longMs, t.shortMs]))].sort((a, b) => a - b)) {
    const burnQ = `(${p.errorRatio(w)}) / ${+budget.toPrecision(12)}`;
    const burn = await value(`burn rate over ${dur(w)}`, sloSeries(p, RECORD.burnRate(w)), burnQ);
    let total: number | undefined = 1;
    if (events && unreadable === undefined) {
      total = await ask(events.total(w));
      lines.push(`total over ${dur(w)} (for the low-traffic check): ${oneLine(events.total(w))} = ${total === undefined ? 'no data' : num(total)}`);
    }
    // A ratio SLO's "total" is the ratio itself: without a burn rate there is nothing in the window
    // (unknown), not a ratio of 0 (ok).
    if (!events && burn === undefined) total = undefined;
    tierWindows.set(w, counts(total, burn === undefined || total === undefined ? undefined : burn * budget * total, at - w, at));
  }
  if (!events) {
    // Without counts a tier cannot judge low traffic: let every tier judge.
    def = { ...def, tiers: def.tiers.map((t) => ({ ...t, minEvents: 0 })) };
  }

  const percentiles: PercentileStatus[] = [];
  if (p.latency && p.latency.percentiles.length > 0) {
    const pw = Math.min(options.percentileWindowMs ?? HOUR, W);
    const parts = p.latency.scope.map((alt) => `increase(${selector(p.latency!.bucketMetric, rules.selector, ...alt)}[${dur(pw)}])`);
    for (const [label, q, seconds] of p.latency.percentiles) {
      const expr = `histogram_quantile(${q}, sum by (le) (${parts.join(' or ')}))`;
      const v = await ask(expr);
      lines.push(`${label}: ${expr} = ${v === undefined ? 'no data' : num(v)}`);
      const value = v ?? NaN;
      percentiles.push(percentileStatus({ label, quantile: q, objectiveSeconds: seconds, valueSeconds: value, over: `the last ${formatMs(pw)}`, overMs: pw }, facts.les ?? [], facts.les ? bucketOfQuantileValue(value, facts.les) : undefined));
    }
  }

  // Prometheus' own alerts for the SLO, pending (the condition holds, `for` has not passed) or
  // firing, when its rules are the ones read.
  let prometheusAlerts: PrometheusAlert[] | undefined;
  if (rules.read) {
    const q = `ALERTS${sloSeries(p, '')}`;
    const found = await rawAsk(q);
    prometheusAlerts = found
      .filter((a) => a.metric.alertstate === 'firing' || a.metric.alertstate === 'pending')
      .map((a) => ({
        alertname: a.metric.alertname ?? '',
        state: a.metric.alertstate as PrometheusAlert['state'],
        ...(a.metric.severity !== undefined ? { severity: a.metric.severity } : {}),
        ...(a.metric.sloctl_tier !== undefined ? { tier: a.metric.sloctl_tier } : {}),
      }))
      .sort((a, b) => `${a.alertname} ${a.tier ?? ''}`.localeCompare(`${b.alertname} ${b.tier ?? ''}`));
    lines.push(`alerts: ${q} = ${prometheusAlerts.length === 0 ? 'none pending or firing' : prometheusAlerts.map((a) => `${a.alertname}${a.tier ? ` ${a.tier}` : ''} ${a.state}`).join(', ')}`);
  }
  lines.push(`coverage: each window is read with one query over its whole range; how much of the range Prometheus holds samples for is not read (a server with less history than the window counts what it has, and the rest of the window is not counted as good or bad)`);

  // The availability composite without the SDK's gauge exists only as the rules' recorded series
  // (its "raw" queries read it too): when the rules are loaded and it is empty, one of its parts
  // has no data. Ask each, so the note names it instead of "load the rules" or "not evaluated yet".
  const emptyParts = def.kind === 'availability' && p.slice !== undefined && unreadable === undefined && rules.loaded && (ratioMissing || recordedMissing);
  if (useRecorded && recordedMissing && !emptyParts) notes.push('some recorded series were missing (rules not loaded, or not evaluated yet): those numbers were computed from the raw series');
  if (def.kind === 'availability' && p.note !== undefined) notes.push(p.note);
  if (def.kind === 'availability' && p.slice && unreadable === undefined && !rules.loaded) {
    notes.push(`availability is recorded by the rules of \`sloctl generate prometheus\` (${p.slice.record}: the gauge, or the composite from its parts), which this Prometheus has not recorded: load the rules to read it`);
  } else if (emptyParts) {
    notes.push(await emptyComposite(p, ask, lines));
  }
  if (!rules.loaded) notes.push('the recording rules of `sloctl generate prometheus` are not loaded in this Prometheus: every number was computed from the raw series');
  if (calendar) notes.push('a calendar window: read from the raw series over its real span (the rules approximate it with a rolling window)');

  const source: EventSource = {
    range: () => windowCounts,
    over: (d) => tierWindows.get(d) ?? counts(undefined, undefined, at - d, at),
    describe: () => lines,
    countedBy: events ? 'PromQL increase(), extrapolated to the range edges' : 'PromQL ratio',
    unit: events ? 'requests' : 'ratio units',
  };
  return evaluateSlo(def, source, at, { notes, percentiles, unmeasurable: facts.unmeasurable ?? unreadable, sliWindowMs: W, ...(prometheusAlerts ? { prometheusAlerts } : {}) });
}

/**
 * Why the recorded composite is empty while sloctl's rules are loaded: each part of the rule's
 * expression asked now (the composite is recorded only when every weighted part has a sample).
 */
async function emptyComposite(p: SloPlan, ask: Ask, lines: string[]): Promise<string> {
  const record = p.slice!.record;
  const parts = p.parts ?? [];
  const gauge = parts.find((x) => x.name === 'gauge');
  const composite = parts.filter((x) => x.name !== 'gauge');
  const read: Array<{ name: string; expr: string; v: number | undefined }> = [];
  for (const x of parts) {
    const v = await ask(x.expr);
    lines.push(`part ${x.name} now: ${oneLine(x.expr)} = ${v === undefined ? 'no data' : num(v)}`);
    read.push({ ...x, v });
  }
  const gaugeRead = read.find((x) => x.name === 'gauge');
  if (gaugeRead?.v !== undefined) {
    return `sloctl's rules are loaded, and ${record} has no sample in the window although the gauge (${gauge!.expr}) reads ${num(gaugeRead.v)} now: the rules have not been evaluated since it appeared; read again after an evaluation interval`;
  }
  const empty = read.filter((x) => x.name !== 'gauge' && x.v === undefined);
  if (empty.length === 0) {
    const now = read.filter((x) => x.name !== 'gauge').map((x) => `${x.name} ${num(x.v!)}`).join(', ');
    return `sloctl's rules are loaded, and ${record} has no sample in the window, but every part of it has data now (${now || 'no weighted part'}): the rules record it from their next evaluation on`;
  }
  const names = empty.map((x) => `${x.name} (\`${oneLine(x.expr)}\`)`).join('; ');
  const known = read.filter((x) => x.name !== 'gauge' && x.v !== undefined).map((x) => `${x.name} ${num(x.v!)}`);
  return `sloctl's rules are loaded, but ${record} has no sample in the window: it is recorded from the ${gauge ? `gauge (${gauge.expr}), which has no data, or else from its parts` : 'parts'} (${composite.map((x) => x.name).join(', ')}), and ${empty.length === 1 ? 'this part has' : 'these parts have'} no data now: ${names}${known.length > 0 ? `; the others read ${known.join(', ')}` : ''}. An empty part empties the composite (its alert SLIMissing fires): export what ${empty.length === 1 ? 'it reads' : 'they read'}, or fix the contract's \`metrics:\` mapping`;
}

/**
 * A window's counts from one PromQL answer. Whether it had data is known (bucketsWithData 0 or 1:
 * the tiers' "no data" test); how much of the window the samples span is not, so `buckets` is left
 * out: it was 1, and `--explain` and the JSON said "data in 1 of its 1 buckets" of a 28-day window
 * over a Prometheus holding two minutes.
 */
function counts(total: number | undefined, bad: number | undefined, start: number, end: number): WindowCounts {
  if (total === undefined) return { good: 0, bad: 0, total: 0, start, end, bucketsWithData: 0 };
  const b = bad ?? 0;
  return { good: total - b, bad: b, total, start, end, bucketsWithData: 1 };
}

function oneLine(q: string): string {
  return q.replace(/\s*\n\s*/g, ' ');
}
