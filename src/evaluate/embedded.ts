// The embedded path: scrapes (through the series store) in, rolling windows filled incrementally,
// SLO statuses out. No clock: every scrape carries its time, `evaluate(at)` takes the time.
//
// Per scrape and per SLO, the reset-corrected increases the store computed for each matching
// series (O(1) per series, see series-store.ts) are summed into one (bad, total) increment and
// added to the SLO's rolling window at the scrape's time: the events of the interval that ended
// with this scrape. A scrape in which none of the SLO's series had a previous sample adds nothing
// (its interval is unknown, not idle); a failed scrape adds nothing at all, so the buckets it should
// have filled stay unknown.
//
// Plain (not extrapolated) increases are used, so counts stay whole numbers and the window is the
// exact sum of its buckets; see src/engine/counter.ts for how that differs from PromQL's
// `increase` and test/agreement.test.ts for how much it matters in practice.
import type { Bucket } from '../engine/histogram.ts';
import { goodRatioAtThreshold, histogramQuantile, parseLe, quantileBucket, sameBound } from '../engine/histogram.ts';
import { RollingWindow, type WindowSum } from '../engine/window.ts';
import { formatMs } from '../engine/alerts.ts';
import { classOf, unmeasurableErrors } from '../contract/label-map.ts';
import { intervalMissStands } from '../engine/interval-miss.ts';
import { unmeasuredDependenciesText } from '../contract/availability-parts.ts';
import { compileMatchers, type IngestResult, type Series, type SeriesStore } from '../observe/series-store.ts';
import type { AvailabilitySource, ErrorsSource, LatencySource, Scope, SloDefinition } from './definitions.ts';
import { SAMPLES_UNIT, type SampleEvidence } from './thin-evidence.ts';
import { evaluateSlo, healthRows, num, percentileStatus, skippedSlo, type EventSource, type PercentileStatus, type SloStatus, type WindowCounts } from './report.ts';

const DAY = 86_400_000;

/**
 * A rolling window of (bad, total) where bad may exceed total (class weights above 1). The engine's
 * RollingWindow keeps 0 <= good <= total, so two of them are kept: one of totals and one of
 * (weighted) bad events, each fed as (good 0, total x). Totals of whole requests stay exact
 * integers; coverage (buckets with data) comes from the totals window, which gets every increment.
 */
export class BadTotalWindow {
  readonly totals: RollingWindow;
  readonly bads: RollingWindow;
  constructor(bucketMs: number, windowMs: number) {
    this.totals = new RollingWindow({ bucketMs, windowMs });
    this.bads = new RollingWindow({ bucketMs, windowMs });
  }
  add(t: number, bad: number, total: number): boolean {
    const ok = this.totals.add(t, 0, total);
    if (ok) this.bads.add(t, 0, bad);
    return ok;
  }
  private static counts(tot: WindowSum, bad: WindowSum): WindowCounts {
    // Prefix-sum differences of fractional (weighted) counts can leave 1e-13 where 0 is meant.
    const b = Math.abs(bad.total) < 1e-9 ? 0 : bad.total;
    return { good: tot.total - b, bad: b, total: tot.total, start: tot.start, end: tot.end, buckets: tot.buckets, bucketsWithData: tot.bucketsWithData };
  }
  sum(start: number, end: number): WindowCounts {
    return BadTotalWindow.counts(this.totals.sum(start, end), this.bads.sum(start, end));
  }
  over(durationMs: number, end: number): WindowCounts {
    return BadTotalWindow.counts(this.totals.over(durationMs, end), this.bads.over(durationMs, end));
  }
  slices(start: number, end: number, sliceMs: number): WindowCounts[] {
    const b = this.bads.slices(start, end, sliceMs);
    return this.totals.slices(start, end, sliceMs).map((s, i) => BadTotalWindow.counts(s, b[i]));
  }
}

type Role =
  | { role: 'bucket'; group: number; le: number }
  | { role: 'count' }
  | { role: 'requests'; value: string | undefined; cls: string | undefined }
  | { role: 'gauge' }
  | { role: 'dependency'; name: string };

function scopeTest(scope: Scope): (labels: Readonly<Record<string, string>>) => boolean {
  const alts = scope.map((m) => compileMatchers(m));
  return (labels) => alts.some((t) => t(labels));
}

/** Key of a histogram's label set without `le`: the buckets of one histogram series. */
function withoutLe(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).filter((k) => k !== 'le').sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
}


interface Session {
  scrapes: number;
  /**
   * Where the span the counts cover starts: the scrape before the first counted interval (its
   * baseline), since an increase is counted at the end of its interval; a gauge sample's own time.
   */
  coveredFrom?: number;
  lastAt?: number;
  bad: number;
  total: number;
  /** Errors: count and weight per class (counted classes), other classes' counts. */
  classes: Map<string, { count: number; weight: number }>;
  otherClasses: Map<string, number>;
  seriesWithoutClass: number;
  /** Errors: request series in scope that carry the label the classes are read from, and the label names seen. */
  seriesWithLabel: number;
  labelNames: Set<string>;
  /** Latency: thresholds no bucket is at, with the bucket bounds the series in that group have. */
  noBucket: Map<number, { routes: string; les: Set<number> }>;
  /** Latency: increases per bucket bound, summed over the series in scope (for percentiles). */
  buckets: Map<number, number>;
  interpolated: Set<number>;
  /** Availability: how the composite was obtained. */
  availabilityFrom: Set<string>;
  /** Scrapes that carried the availability gauge while it judged requests from before (gaugeTrusted false). */
  untrustedGauge: number;
  /** Samples of availability read from the gauge. */
  gaugeSamples: number;
  /** Availability: the last sample counted as an independent observation (observe()). */
  lastObservationAt?: number;
  /** The spacing of the latest sample and what it is (SampleEvidence). */
  spacing?: { ms: number; what: string };
  missing: Set<string>;
  /**
   * Availability composed from its parts: per part (`latency <slo>`, `success`), the scrape
   * intervals it missed (bad requests the objective cannot explain) and those it was below the
   * objective by requests that could happen at it (counted as met), each with its worst interval.
   */
  partsMissed: Map<string, PartIntervals>;
  partsNoise: Map<string, PartIntervals>;
}

interface PartIntervals {
  scrapes: number;
  /** The interval with the lowest ratio: its bad requests (counted once) of its total, and the ratio. */
  worst: { bad: number; total: number; ratio: number; objective: number; windowBad: number; windowTotal: number; windowMs: number };
}

interface State {
  def: SloDefinition;
  window: BadTotalWindow | undefined;
  roles: WeakMap<Series, Role | null>;
  classify: (s: Series) => Role | null;
  session: Session;
  /** The increment of the latest scrape that had data (and where its interval began), for the availability composite. */
  last?: { at: number; from: number; bad: number; total: number };
  /** The latest intervals' requests and bad ones (weighted, as the SLO counts them; a few minutes), for the composite's evidence window. */
  recent: Array<{ at: number; total: number; bad: number }>;
  /** Availability: one event per sample that is an independent observation (observe()), in the SLO's buckets. */
  observations?: RollingWindow;
}

/** How long `State.recent` keeps intervals: past any evidence window a contract sets in practice. */
const RECENT_MS = 15 * 60_000;

function newSession(): Session {
  return { scrapes: 0, bad: 0, total: 0, classes: new Map(), otherClasses: new Map(), seriesWithoutClass: 0, seriesWithLabel: 0, labelNames: new Set(), noBucket: new Map(), buckets: new Map(), interpolated: new Set(), availabilityFrom: new Set(), untrustedGauge: 0, gaugeSamples: 0, missing: new Set(), partsMissed: new Map(), partsNoise: new Map() };
}

/** Buckets a window needs: the SLO window (a calendar month at its longest) and every tier window. */
function windowLength(def: SloDefinition): number {
  let ms = def.window.kind === 'rolling' ? def.window.ms : def.window.calendar === 'week' ? 7 * DAY + 3_600_000 : 31 * DAY + 3_600_000;
  for (const t of def.tiers) ms = Math.max(ms, t.longMs);
  return Math.ceil(ms / def.bucketMs) * def.bucketMs;
}

function classifier(def: SloDefinition): (s: Series) => Role | null {
  const src = def.source;
  if (src.kind === 'latency') {
    const groups = src.groups.map((g) => scopeTest(g.scope));
    const total = scopeTest(src.totalScope);
    return (s) => {
      if (s.name === src.bucketMetric) {
        const le = parseLe(s.labels.le ?? '');
        if (Number.isNaN(le)) return null;
        const g = groups.findIndex((t) => t(s.labels));
        return g < 0 ? null : { role: 'bucket', group: g, le };
      }
      if (s.name === src.countMetric) return total(s.labels) ? { role: 'count' } : null;
      return null;
    };
  }
  if (src.kind === 'errors') {
    const inScope = scopeTest(src.scope);
    // The class is decided once per series (its labels never change): label-map.ts's matchers.
    return (s) => {
      if (s.name !== src.metric || !inScope(s.labels)) return null;
      const value = s.labels[src.label];
      return { role: 'requests', value: value === '' ? undefined : value, cls: value === undefined || value === '' ? undefined : classOf(src.selectors, s.labels) };
    };
  }
  if (src.kind === 'availability') {
    return (s) => {
      if (s.name === src.gauge) return { role: 'gauge' };
      if (s.name === src.dependencyGauge && src.criticalDependencies.includes(s.labels.dependency ?? '')) return { role: 'dependency', name: s.labels.dependency };
      return null;
    };
  }
  return () => null;
}

export interface ScrapeContext {
  /** The target's health endpoint said UP (true), not UP (false), or was not checked. */
  healthUp?: boolean;
  /**
   * False when the availability gauge cannot be read for the span being judged: it judges the
   * service's last N seconds of requests, and they reach back before it (a gate's warm-up, requests
   * sloctl did not send). The composite is then computed from its parts, as for a service with no
   * gauge: the parts judge only the scrape interval. Undefined or true: the gauge is read.
   */
  gaugeTrusted?: boolean;
  /**
   * The window the service's health body says its checks (and so its availability gauge) judge
   * (HealthWatcher.reportedWindow): `settled` when the span it reports stopped growing (the SDK and
   * the Go middleware report the lesser of the window and their uptime), so it is the window itself;
   * not settled, the window is at least `ms`. Undefined: the contract's health.window.
   */
  healthWindow?: { ms: number; settled: boolean };
}

/**
 * How far apart two samples of the availability gauge must be to judge different requests: the
 * window the service reports (ScrapeContext.healthWindow; at least the contract's until it settles,
 * so a young service's short span never counts more observations than the contract's window would),
 * else the contract's health.window; and how a reason names it, saying so when the two differ.
 */
export function gaugeSpacing(contractMs: number, reported: ScrapeContext['healthWindow']): { ms: number; what: string } {
  const what = 'health window the gauge judges';
  if (reported === undefined) return { ms: contractMs, what };
  const ms = reported.settled ? reported.ms : Math.max(contractMs, reported.ms);
  if (ms === contractMs) return { ms, what };
  const said = reported.settled ? `its health endpoint reports ${formatMs(ms)}` : `its health endpoint reports at least ${formatMs(ms)}`;
  return { ms, what: `${what} (${said}; the contract's health.window is ${formatMs(contractMs)})` };
}

export class EmbeddedEvaluator {
  readonly definitions: readonly SloDefinition[];
  private readonly states: State[];
  private healthUp: boolean | undefined;
  private gaugeTrusted: boolean | undefined;
  private healthWindow: ScrapeContext['healthWindow'];

  constructor(definitions: readonly SloDefinition[]) {
    this.definitions = definitions;
    this.states = definitions.map((def) => {
      const classify = classifier(def);
      const roles = new WeakMap<Series, Role | null>();
      return {
        def,
        window: def.source.kind === 'custom' ? undefined : new BadTotalWindow(def.bucketMs, windowLength(def)),
        roles,
        classify: (s: Series) => {
          let r = roles.get(s);
          if (r === undefined) {
            r = classify(s);
            roles.set(s, r);
          }
          return r;
        },
        session: newSession(),
        recent: [],
        ...(def.source.kind === 'availability' ? { observations: new RollingWindow({ bucketMs: def.bucketMs, windowMs: windowLength(def) }) } : {}),
      };
    });
  }

  /** Feeds every ingest of `store` from now on. Returns the unsubscribe function. */
  attach(store: SeriesStore): () => void {
    return store.subscribe((r) => this.ingest(r));
  }

  /** The health check made with the next scrape (for the availability composite). */
  setHealth(up: boolean | undefined): void {
    this.healthUp = up;
  }

  /** Whether the next scrape's availability gauge judges only the span being judged (ScrapeContext.gaugeTrusted). */
  setGaugeTrusted(trusted: boolean | undefined): void {
    this.gaugeTrusted = trusted;
  }

  /** The window the service's health body reported by the next scrape (ScrapeContext.healthWindow). */
  setHealthWindow(reported: ScrapeContext['healthWindow']): void {
    this.healthWindow = reported;
  }

  /** One scrape's worth of increases. Failed scrapes (nothing updated) add nothing. */
  ingest(result: IngestResult, context: ScrapeContext = { healthUp: this.healthUp, gaugeTrusted: this.gaugeTrusted, healthWindow: this.healthWindow }): void {
    if (result.updated.length === 0) return;
    for (const st of this.states) {
      const src = st.def.source;
      if (src.kind === 'latency') this.ingestLatency(st, src, result);
      else if (src.kind === 'errors') this.ingestErrors(st, src, result);
      else if (src.kind === 'availability') this.ingestAvailability(st, src, result, context);
    }
  }

  /** Counts of the interval (from, at] (a gauge sample: from = at), added at `at`. */
  private record(st: State, at: number, bad: number, total: number, from: number): void {
    st.window!.add(at, bad, total);
    st.last = { at, from, bad, total };
    st.recent.push({ at, total, bad });
    while (st.recent.length > 0 && st.recent[0].at <= at - RECENT_MS) st.recent.shift();
    const s = st.session;
    s.scrapes++;
    s.coveredFrom = Math.min(s.coveredFrom ?? from, from);
    s.lastAt = at;
    s.bad += bad;
    s.total += total;
  }

  private ingestLatency(st: State, src: LatencySource, result: IngestResult): void {
    let total = 0;
    let informed = false;
    let from = result.at;
    const hists = new Map<string, { group: number; buckets: Bucket[] }>();
    for (const s of result.updated) {
      const r = st.classify(s);
      if (r === null) continue;
      if (s.length < 2) continue; // first sample: a baseline, no increase yet
      informed = true;
      from = Math.min(from, s.previousAt() ?? from);
      if (r.role === 'count') total += s.lastIncrease;
      else if (r.role === 'bucket') {
        const key = withoutLe(s.labels);
        let h = hists.get(key);
        if (h === undefined) {
          h = { group: r.group, buckets: [] };
          hists.set(key, h);
        }
        h.buckets.push({ le: r.le, count: s.lastIncrease });
        st.session.buckets.set(r.le, (st.session.buckets.get(r.le) ?? 0) + s.lastIncrease);
      }
    }
    if (!informed) return;
    let good = 0;
    for (const h of hists.values()) {
      const g = src.groups[h.group];
      const threshold = g.thresholdSeconds;
      const exact = h.buckets.find((b) => sameBound(b.le, threshold));
      if (exact) good += exact.count;
      else {
        // No bucket at the threshold: the SLO cannot be measured (evaluate() says so, with the
        // bucket list). The interpolated estimate still fills the window, for the explanation only.
        const r = goodRatioAtThreshold(h.buckets, threshold);
        if (!Number.isNaN(r.good)) good += r.good;
        st.session.interpolated.add(threshold);
        const nb = st.session.noBucket.get(threshold) ?? { routes: g.routes, les: new Set<number>() };
        for (const b of h.buckets) nb.les.add(b.le);
        st.session.noBucket.set(threshold, nb);
      }
    }
    // Buckets and counts come from the same scrape; a mismatch can only be a broken exposition.
    good = Math.min(good, total);
    this.record(st, result.at, total - good, total, from);
  }

  private ingestErrors(st: State, src: ErrorsSource, result: IngestResult): void {
    let total = 0;
    let bad = 0;
    let informed = false;
    let from = result.at;
    for (const s of result.updated) {
      const r = st.classify(s);
      if (r === null || r.role !== 'requests' || s.length < 2) continue;
      informed = true;
      from = Math.min(from, s.previousAt() ?? from);
      const inc = s.lastIncrease;
      total += inc;
      const value = r.value;
      if (value === undefined) {
        st.session.seriesWithoutClass++;
        // The label names the series do carry, for the hint (which one holds the status code).
        for (const k of Object.keys(s.labels)) st.session.labelNames.add(k);
        continue;
      }
      st.session.seriesWithLabel++;
      // The class from the contract's mapping (label-map.ts): the error-class label itself, or the
      // status label through errorClasses[].status, first class wins: exactly the rules' matchers.
      const cls = r.cls;
      const w = cls === undefined ? undefined : src.weights.get(cls);
      if (cls !== undefined && w !== undefined) {
        bad += inc * w;
        const c = st.session.classes.get(cls) ?? { count: 0, weight: w };
        c.count += inc;
        st.session.classes.set(cls, c);
      } else if (cls === undefined && !src.fromStatus && !src.known.has(value) && value !== 'none') {
        st.session.otherClasses.set(value, (st.session.otherClasses.get(value) ?? 0) + inc);
      }
    }
    if (informed) this.record(st, result.at, bad, total, from);
  }

  private ingestAvailability(st: State, src: AvailabilitySource, result: IngestResult, context: ScrapeContext): void {
    const gauges: number[] = [];
    const deps = new Map<string, number>();
    for (const s of result.updated) {
      const r = st.classify(s);
      if (r === null) continue;
      const v = s.latest()?.v;
      if (v === undefined || Number.isNaN(v)) continue;
      if (r.role === 'gauge') gauges.push(v);
      else if (r.role === 'dependency') deps.set(r.name, Math.min(deps.get(r.name) ?? 1, v));
    }
    if (gauges.length > 0 && context.gaugeTrusted !== false) {
      // The SDK's own composite, averaged over instances (the rules' avg(avg_over_time(...))).
      const a = Math.min(1, Math.max(0, gauges.reduce((x, y) => x + y, 0) / gauges.length));
      st.session.availabilityFrom.add(`the ${src.gauge} gauge`);
      st.session.gaugeSamples++;
      this.record(st, result.at, 1 - a, 1, result.at);
      const spacing = gaugeSpacing(src.healthWindowMs, context.healthWindow);
      observe(st, result.at, spacing.ms, spacing.what);
      return;
    }
    // No gauge (or one judging requests from before): the composite from its parts, when every
    // weighted part is known at this scrape.
    if (gauges.length > 0) st.session.untrustedGauge++;
    const at = result.at;
    const w = src.weights;
    const parts: Array<[string, number, number | undefined]> = [];
    parts.push(['health', w.health, context.healthUp === undefined ? undefined : context.healthUp ? 1 : 0]);
    const lat = this.states.filter((x) => x.def.source.kind === 'latency');
    const errs = this.states.find((x) => x.def.source.kind === 'errors');
    // Latency and success are judged on this scrape's interval; a scrape that only set their
    // baselines (the first one) has no interval to judge, and adds no sample.
    if ([...lat, ...(errs ? [errs] : [])].some((x) => x.last?.at !== at)) {
      if (lat.length === 0) st.session.missing.add('latency (no latency objective)');
      if (errs === undefined) st.session.missing.add('success (no errors objective)');
      if (lat.length > 0 && errs !== undefined) return;
    }
    // A part whose SLI cannot be measured (no bucket at a threshold, no error label) is unknown, not good.
    const windowMs = src.evidenceWindowMs;
    const latencyOk = lat.length === 0 || lat.some((x) => x.last?.at !== at || unmeasurable(x) !== undefined) ? undefined : lat.every((x) => meets(x, windowMs)) ? 1 : 0;
    const successOk = errs === undefined || errs.last?.at !== at || unmeasurable(errs) !== undefined ? undefined : meets(errs, windowMs) ? 1 : 0;
    parts.push(['latency', w.latency, latencyOk]);
    parts.push(['success', w.success, successOk]);
    // Which intervals each part missed, or was below its objective by noise (kept when the scrape
    // is composed: the notes say why the composite is what it is).
    const judged: Array<[string, State]> = [];
    if (latencyOk !== undefined) for (const x of lat) judged.push([`latency (${x.def.name})`, x]);
    if (successOk !== undefined && errs !== undefined) judged.push(['success', errs]);
    // No gauge the contract maps for the critical dependencies (availability-parts.ts): the part is
    // left out and the others renormalised, as the rules do; never read as up.
    const leftOut = src.unmeasuredDependencies !== undefined && src.unmeasuredDependencies.measuredWeight > 0 ? src.unmeasuredDependencies : undefined;
    if (leftOut === undefined) {
      let depsOk: number | undefined = 1;
      for (const d of src.criticalDependencies) {
        const v = deps.get(d);
        if (v === undefined) depsOk = undefined;
        else if (depsOk !== undefined && v < 1) depsOk = 0;
      }
      parts.push(['dependencies', w.dependencies, depsOk]);
    }
    const missing = parts.filter(([, weight, v]) => weight > 0 && v === undefined).map(([n]) => n);
    if (missing.length > 0) {
      for (const m of missing) {
        if (m === 'health') st.session.missing.add('health (the health endpoint was not checked)');
        else if (m === 'dependencies') st.session.missing.add(`dependencies (no ${src.dependencyGauge} for ${src.criticalDependencies.join(', ')})`);
        else if (![...st.session.missing].some((x) => x.startsWith(m))) st.session.missing.add(partMissing(m, m === 'latency' ? lat : errs ? [errs] : []));
      }
      return;
    }
    for (const [name, x] of judged) {
      const l = x.last!;
      if (!(l.total > 0) || 1 - l.bad / l.total >= x.def.objective) continue;
      tallyInterval(meets(x, windowMs) ? st.session.partsNoise : st.session.partsMissed, name, x, windowMs);
    }
    const a = parts.reduce((sum, [, weight, v]) => sum + weight * (v ?? 0), 0) / (leftOut?.measuredWeight ?? 1);
    const which = leftOut === undefined
      ? 'health endpoint, latency and success of the scrape interval, critical dependencies'
      : `health endpoint, latency and success of the scrape interval, divided by their weights ${leftOut.measuredWeight}; the dependencies part is left out: no metrics.dependencyUp gauge`;
    st.session.availabilityFrom.add(gauges.length > 0 ? `its parts while its gauge judged requests from before (${which})` : `its parts (${which})`);
    // The parts judge the scrape interval the latency and errors SLOs just counted.
    // (Neither objective declared: health and dependencies are read at the scrape, as a gauge is.)
    const from = Math.min(at, ...[...lat, ...(errs ? [errs] : [])].map((x) => x.last?.from ?? at));
    this.record(st, at, Math.max(0, 1 - a), 1, from);
    observe(st, at, src.scrapeIntervalMs, 'scrape interval the contract declares (one composed sample per scrape in the rules)');
  }

  /** The status of every SLO at `at`. */
  evaluate(at: number): SloStatus[] {
    return this.states.map((st) => {
      const def = st.def;
      if (def.source.kind === 'custom' || st.window === undefined) {
        return skippedSlo(def, at, 'a custom PromQL SLI: only Prometheus can evaluate it (pass --prometheus URL)');
      }
      const win = st.window;
      const source: EventSource = {
        range: (a, b) => win.sum(a, b),
        over: (d, end) => win.over(d, end),
        slices: (a, b, slice) => win.slices(a, b, slice),
        describe: () => describeSource(st),
        countedBy: 'plain increases between scrapes, reset-corrected',
        unit: def.source.kind === 'availability' ? SAMPLES_UNIT : 'requests',
        ...(st.observations !== undefined ? { samples: (a: number, b: number) => sampleEvidence(st, a, b) } : {}),
      };
      const s = st.session;
      const sliWindowMs = coveredMs(s);
      // The window the samples were spaced by (the service's, when it reported one: gaugeSpacing).
      const gaugeWindowMs = def.source.kind === 'availability' && s.gaugeSamples > 0 ? (s.spacing?.ms ?? def.source.healthWindowMs) : undefined;
      return evaluateSlo(def, source, at, { notes: notesOf(st), percentiles: percentilesOf(st), unmeasurable: unmeasurable(st) ?? uncomposed(st), ...(sliWindowMs !== undefined ? { sliWindowMs } : {}), ...(gaugeWindowMs !== undefined ? { gaugeWindowMs } : {}) });
    });
  }

  /** Statuses plus the health table. */
  report(at: number): { slos: SloStatus[]; health: ReturnType<typeof healthRows> } {
    const slos = this.evaluate(at);
    return { slos, health: healthRows(slos) };
  }
}

/**
 * Fewest share of the spacing between two samples that still counts them as separate observations:
 * a scraper's timer drifts by a few ms, and scrapes meant one health window apart must not count as
 * one observation every other time.
 */
const SPACING_SLACK = 0.95;

/**
 * Counts an availability sample at `at` as an independent observation when it is at least
 * `spacingMs` (less the timer's slack) after the last one counted (thin-evidence.ts SampleEvidence:
 * closer samples judge the same span, so a burst of fast scrapes counts as the span it covers).
 * O(1): one comparison and one add to a window of the SLO's buckets.
 */
function observe(st: State, at: number, spacingMs: number, what: string): void {
  const s = st.session;
  s.spacing = { ms: spacingMs, what };
  if (s.lastObservationAt !== undefined && at - s.lastObservationAt < spacingMs * SPACING_SLACK) return;
  s.lastObservationAt = at;
  st.observations?.add(at, 0, 1);
}

/** The availability samples in [start, end) and the independent observations among them. */
function sampleEvidence(st: State, start: number, end: number): SampleEvidence {
  const s = st.session;
  const samples = st.window!.sum(start, end).total;
  const independent = st.observations!.sum(start, end).total;
  // The span the samples cover (a composed sample's from the scrape before it, as the row's WINDOW).
  const spanMs = s.coveredFrom !== undefined && s.lastAt !== undefined ? s.lastAt - Math.max(s.coveredFrom, start) : 0;
  const spacing = s.spacing ?? { ms: 0, what: 'scrape interval' };
  return { samples, independent, spanMs: Math.max(0, spanMs), spacingMs: spacing.ms, spacingWhat: spacing.what };
}

/** Why the SLO cannot be measured from the series scraped so far, with the fix; undefined when it can. */
function unmeasurable(st: State): string | undefined {
  const src = st.def.source;
  const s = st.session;
  if (src.kind === 'errors') {
    // Requests exist, but none carries the label the classes are read from: every request would
    // read as good. That is not a measurement.
    if (s.total > 0 && s.seriesWithLabel === 0) return unmeasurableErrors({ metrics: src.metrics }, src.metric, s.labelNames);
    return undefined;
  }
  if (src.kind === 'latency' && s.noBucket.size > 0) {
    const hist = src.bucketMetric.replace(/_bucket$/, '');
    const parts = [...s.noBucket].sort(([a], [b]) => a - b).map(([t, nb]) => {
      const les = [...nb.les].sort((a, b) => a - b).map((x) => (x === Infinity ? '+Inf' : String(x)));
      return `no bucket at le=${t} (the ${formatMs(Math.round(t * 1000))} threshold of ${nb.routes}); its buckets are ${les.join(', ')}`;
    });
    const add = [...s.noBucket.keys()].sort((a, b) => a - b).join(', ');
    return `the histogram ${hist} cannot measure this SLO: ${parts.join('; ')}: add ${add} to the histogram's buckets (an interpolated count would be a guess)`;
  }
  return undefined;
}

/**
 * Availability with no sample at all while scrapes came in: the composite's parts were never all
 * known (and no gauge was read). UNKNOWN with the parts that were missing, not "no data".
 */
function uncomposed(st: State): string | undefined {
  const src = st.def.source;
  const s = st.session;
  if (src.kind !== 'availability' || s.scrapes > 0 || s.missing.size === 0) return undefined;
  const gauge = s.untrustedGauge > 0 ? `the ${src.gauge} gauge judged requests from before` : `no ${src.gauge} gauge`;
  return `${gauge}, and the composite could not be composed from its parts at any scrape: ${[...s.missing].join('; ')}`;
}

/** A latency or success part that is not known at a scrape, and why: its SLI cannot be measured, or no interval was counted. */
function partMissing(part: string, sources: readonly State[]): string {
  const blind = sources.filter((x) => unmeasurable(x) !== undefined).map((x) => x.def.name);
  if (blind.length > 0) return `${part} (the ${blind.join(', ')} SLO${blind.length === 1 ? '' : 's'} cannot be measured from these series: see ${blind.length === 1 ? 'it' : 'them'})`;
  return part;
}

/**
 * Whether the last scrape interval met the SLO's objective, as a part of the availability
 * composite: an interval below it missed it only when the bad requests (weighted by class, as the
 * SLO counts them) of the last `windowMs` are more than the objective gives by chance (src/engine/interval-miss.ts; the rules use
 * the same bound). A scrape interval holds few requests: 1% of 100 allows one, and one 500 (weight
 * 2.5) read "success missed", so a service at a tenth of its errors budget failed availability at
 * 99% on its 500s alone.
 */
function meets(st: State, windowMs: number): boolean {
  const l = st.last!;
  if (l.total === 0 || 1 - l.bad / l.total >= st.def.objective) return true;
  const w = recentSum(st, windowMs);
  return !intervalMissStands(w.total, w.bad, st.def.objective);
}

/** Requests and bad ones (counted once) of the intervals that ended within `windowMs` of the last. */
function recentSum(st: State, windowMs: number): { total: number; bad: number } {
  const end = st.last!.at;
  let total = 0;
  let bad = 0;
  for (const r of st.recent) {
    if (r.at <= end - windowMs) continue;
    total += r.total;
    bad += r.bad;
  }
  return { total, bad };
}

function tallyInterval(into: Map<string, PartIntervals>, name: string, st: State, windowMs: number): void {
  const l = st.last!;
  const ratio = 1 - l.bad / l.total;
  const w = recentSum(st, windowMs);
  const worst = { bad: l.bad, total: l.total, ratio, objective: st.def.objective, windowBad: w.bad, windowTotal: w.total, windowMs };
  const had = into.get(name);
  if (had === undefined) into.set(name, { scrapes: 1, worst });
  else {
    had.scrapes++;
    if (ratio < had.worst.ratio) had.worst = worst;
  }
}

function intervalsText(m: Map<string, PartIntervals>): string {
  return [...m].map(([name, p]) => {
    // The errors SLO counts bad requests by their class's weight (a 500: 2.5), and so does the bound.
    const bad = name === 'success' ? 'weighted bad' : 'bad';
    return `${name} at ${p.scrapes} (the worst: ${num(p.worst.bad)} ${bad} of ${num(p.worst.total)} requests, ${formatRatio(p.worst.ratio)} against ${formatRatio(p.worst.objective)}; ${num(p.worst.windowBad)} ${bad} of ${num(p.worst.windowTotal)} in the ${formatMs(p.worst.windowMs)} up to it)`;
  }).join(', ');
}

function formatRatio(x: number): string {
  return `${+(Math.max(0, x) * 100).toPrecision(4)}%`;
}

/** The span the session's counts cover (Session.coveredFrom to its last scrape), once anything was counted. */
function coveredMs(s: Session): number | undefined {
  return s.coveredFrom !== undefined && s.lastAt !== undefined ? s.lastAt - s.coveredFrom : undefined;
}

function isoTime(t: number): string {
  return new Date(t).toISOString();
}

function scopeText(scope: Scope): string {
  if (scope.length === 1 && scope[0].length === 0) return 'every series';
  return scope.map((alt) => (alt.length === 0 ? 'every series' : `{${alt.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`)).join(' or ');
}

function describeSource(st: State): string[] {
  const src = st.def.source;
  const s = st.session;
  const windowMs = st.def.window.kind === 'rolling' ? st.def.window.ms : undefined;
  const share = windowMs !== undefined ? ` of the ${formatMs(windowMs)} window` : ' of the calendar window';
  // The counts of an interval are added at its end: the span they cover starts at the scrape before
  // the first one counted (its baseline), not at the end of the first interval.
  const coveredSpan = coveredMs(s);
  const covered = coveredSpan !== undefined
    ? `covering ${formatMs(coveredSpan)}${share} (${isoTime(s.coveredFrom!)} to ${isoTime(s.lastAt!)}); the rest of the window is unknown to sloctl (read it all with --prometheus)`
    : undefined;
  const span = covered === undefined ? 'no scrape with data yet' : `${s.scrapes} scrape interval(s) with data, ${covered}`;
  if (src.kind === 'latency') {
    const good = src.groups.map((g) => `${src.bucketMetric}{le="${g.thresholdSeconds}"} over ${scopeText(g.scope)} (${g.routes})`).join(' + ');
    return [`good: ${good}`, `total: ${src.countMetric} over ${scopeText(src.totalScope)}`, `scraped: ${span}`];
  }
  if (src.kind === 'errors') {
    const weights = [...src.weights].map(([c, w]) => `${c} ×${w}`).join(', ');
    const classes = src.fromStatus
      ? src.selectors.filter((k) => src.weights.has(k.name) && k.matchers).map((k) => `${k.name} {${k.matchers!.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}} ×${k.weight}`).join(', ')
      : weights;
    const lines = [`total: ${src.metric} over ${scopeText(src.scope)}`, `bad: Σ increase × weight over ${src.fromStatus ? `classes derived from the ${src.label} label` : src.label}: ${classes || 'none weighted'}`];
    const parts = [...s.classes].filter(([, c]) => c.count > 0).map(([n, c]) => `${n} ${num(c.count)} × ${c.weight} = ${num(c.count * c.weight)}`);
    if (parts.length > 1) lines.push(`bad over the scrapes: ${parts.join(' + ')} = ${num(s.bad)}`);
    else if (parts.length === 1) lines.push(`bad over the scrapes: ${parts[0]}`);
    lines.push(`scraped: ${span}`);
    return lines;
  }
  if (src.kind === 'availability') {
    const from = s.availabilityFrom.size > 0 ? [...s.availabilityFrom].join('; ') : 'nothing yet';
    const samples = covered === undefined ? 'no sample of the composite yet' : `${s.scrapes} sample(s) of the composite, ${covered}`;
    return [`composite per scrape from ${from}; bad = 1 - composite, total = 1 per scrape`, `scraped: ${samples}`];
  }
  return [];
}

function notesOf(st: State): string[] {
  const s = st.session;
  const out: string[] = [];
  // Kept as a note too: the gate's service view (src/verdicts/objectives.ts) reads it as "estimated".
  for (const t of s.noBucket.keys()) out.push(`the histogram has no bucket at le=${t}: the requests there were interpolated inside a bucket, an estimate that is not judged`);
  if (st.def.source.kind === 'errors' && st.def.source.unseen.length > 0) {
    out.push(`error classes the label mapping cannot see (no status to derive them from; they are only seen client-side, in thrown errors): ${st.def.source.unseen.join(', ')}`);
  }
  if (s.otherClasses.size > 0) {
    out.push(`error classes neither the contract nor the SDK (none, unclassified, aborted, shed) names were not counted as bad (as in the generated rules): ${[...s.otherClasses].map(([c, n]) => `${c} ${num(n)}`).join(', ')}`);
  }
  if (s.seriesWithoutClass > 0 && s.seriesWithLabel > 0 && st.def.source.kind === 'errors') out.push(`some request series have no ${st.def.source.label} label: their errors cannot be weighted${st.def.source.fromStatus ? '' : ' (the SDK adds it)'}`);
  const src = st.def.source;
  if (src.kind === 'availability' && src.unmeasuredDependencies !== undefined) out.push(unmeasuredDependenciesText(src.unmeasuredDependencies));
  if (s.partsMissed.size > 0) out.push(`the composite's parts missed their objectives at scrape intervals: ${intervalsText(s.partsMissed)}`);
  if (s.partsNoise.size > 0) out.push(`below their objectives at scrape intervals, with no more bad requests in the span up to each than the objective gives by chance (95%), counted as met: ${intervalsText(s.partsNoise)}`);
  if (s.missing.size > 0 && st.def.source.kind === 'availability') {
    out.push(s.untrustedGauge > 0
      ? `the ${st.def.source.gauge} gauge judged requests from before at ${s.untrustedGauge} scrape(s), and the composite's parts were not all known there: ${[...s.missing].join('; ')}`
      : `no ${st.def.source.gauge} gauge, and the composite's parts were not all known: ${[...s.missing].join('; ')} (the SDK exports the gauge)`);
  }
  return out;
}

function percentilesOf(st: State): PercentileStatus[] {
  const src = st.def.source;
  if (src.kind !== 'latency' || src.percentiles.length === 0) return [];
  const buckets = [...st.session.buckets].map(([le, count]) => ({ le, count }));
  const s = st.session;
  const overMs = coveredMs(s);
  const over = overMs !== undefined ? `the ${s.scrapes} scrape interval(s) observed (${formatMs(overMs)})` : 'no data';
  const les = buckets.map((b) => b.le);
  return src.percentiles.map(([label, q, seconds]) => {
    const valueSeconds = buckets.length ? histogramQuantile(q, buckets) : NaN;
    return percentileStatus({ label, quantile: q, objectiveSeconds: seconds, valueSeconds, over, ...(overMs !== undefined ? { overMs } : {}) }, les, quantileBucket(q, buckets));
  });
}
