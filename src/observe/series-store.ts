// An in-memory series store with bounded memory, fed by the scraper, read by the evaluator.
//
// A series is a metric name plus its label set, as Prometheus keys them. Each keeps its last
// `maxSamplesPerSeries` samples in a ring (older ones are overwritten and counted); the store keeps
// at most `maxSeries` series. When a new series arrives at a full store, the series that went
// stale longest ago is evicted to make room; if no series is stale, the new one is refused (and
// counted) rather than pushing out a live series an SLO may be reading — Prometheus makes the same
// choice with sample_limit. Both counts are reported by `stats()` and by every `ingest()`.
//
// Counters, and the counter-like series of histograms and summaries (`_bucket`, `_count`, `_sum`),
// carry an engine CounterTracker: each appended sample yields its reset-corrected increase since
// the previous one (`lastIncrease`), O(1), so the evaluator feeds rolling windows incrementally
// without rescanning. A drop is a reset, as in PromQL's `increase`. When the scraper knows the
// target restarted (process_start_time_seconds changed) the next sample of every counter is counted
// from zero even if it did not drop — a restart whose new process already counted past the old
// value would otherwise be undercounted (PromQL cannot know and undercounts it).
//
// Staleness follows Prometheus: a series that a successful scrape no longer exposes, or every series
// of a target whose scrape failed, is stale from that time. A stale series is absent from instant
// lookups (`select(..., { at })`), keeps its samples, and becomes live again if it reappears; its
// counter tracker keeps its baseline, so a reappearing counter that dropped counts as a reset, like
// `increase` over a range that holds a stale marker.
//
// Batches move forward in time. A batch (or a failed scrape's staleness mark) whose time is not
// after the previous batch's is refused as a whole and reported (`late`, every sample counted in
// `outOfOrder`): nothing is appended and nothing is marked stale. Appending what could be appended
// would mark every series the late batch could not update stale. The scraper never sends one (its
// clock is monotonic); a caller that does gets a result to read, not an exception.
import { CounterTracker, type Sample as EngineSample } from '../engine/counter.ts';
import type { MetricType } from './exposition.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A PromQL-style label matcher. Regexes are fully anchored, as in PromQL. */
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface SeriesStoreOptions {
  /** Series kept at most. Default 100,000. */
  maxSeries?: number;
  /** Samples kept per series (a ring: older ones are overwritten). Default 1,000. */
  maxSamplesPerSeries?: number;
}

export const SERIES_STORE_DEFAULTS = { maxSeries: 100_000, maxSamplesPerSeries: 1_000 } as const;

/** One sample as the scraper hands it over. */
export interface IngestSample {
  /** The sample's own name (`x_bucket`, `x_total`, ...). */
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  /** The family's declared type, when known. */
  type?: MetricType;
}

export interface IngestBatch {
  /** Scrape time (ms since the epoch); every sample of the batch gets it. */
  at: number;
  samples: readonly IngestSample[];
  /** The target restarted since the previous batch: count every counter from zero. */
  restart?: boolean;
  /**
   * Series of this target not in `samples` become stale (default true). A store shared by several
   * targets passes false and calls `markStale` itself.
   */
  staleness?: boolean;
}

export interface IngestResult {
  at: number;
  /** Series updated by this batch, in sample order. */
  updated: Series[];
  /** Series that went stale at `at`. */
  stale: Series[];
  /** Series created by this batch. */
  created: number;
  /** Counters (and histogram/summary counter-like series) reset: they dropped, or the target restarted. */
  resets: number;
  /** Samples whose timestamp was not after the series' newest one (out of order / duplicates). */
  outOfOrder: number;
  /** New series refused because the store was full and nothing was stale. */
  refusedSeries: number;
  /** Stale series evicted to make room for new ones. */
  evictedSeries: number;
  /** The batch's time was not after the previous batch's: nothing was ingested or marked stale. */
  late?: { previousAt: number };
}

export interface StoreStats {
  series: number;
  liveSeries: number;
  staleSeries: number;
  samples: number;
  maxSeries: number;
  maxSamplesPerSeries: number;
  /** Samples overwritten by a full ring, since the store was created. */
  evictedSamples: number;
  /** Stale series evicted to make room, since the store was created. */
  evictedSeries: number;
  /** New series refused at a full store, since the store was created. */
  refusedSeries: number;
  /** A rough size of the sample rings: 16 bytes per slot allocated. */
  approxBytes: number;
}

export type IngestListener = (result: IngestResult) => void;

const INITIAL_RING = 16;

/** Sample names that are counters whatever the family says (cumulative by definition). */
function counterLike(name: string, type: MetricType | undefined): boolean {
  switch (type) {
    case 'counter':
      return !name.endsWith('_created');
    case 'histogram':
    case 'summary':
      return name.endsWith('_bucket') || name.endsWith('_count') || name.endsWith('_sum');
    case 'gauge':
    case 'gaugehistogram':
    case 'info':
    case 'stateset':
      return false;
    default:
      // No TYPE line: go by the naming conventions.
      return name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count');
  }
}

/** The store's key for a series: name plus label pairs sorted by label name. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  if (names.length > 1) names.sort();
  let key = name;
  // Label names cannot hold NUL or '='; values can hold anything, so they are quoted.
  for (const n of names) key += `\u0000${n}=${JSON.stringify(labels[n])}`;
  return key;
}

export class Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly key: string;
  readonly type: MetricType | undefined;
  /** Counters and the cumulative parts of histograms and summaries. */
  readonly counter: boolean;
  /** Stale since `staleAt` (ms), until a sample arrives again. */
  stale = false;
  staleAt: number | undefined;
  /** Reset-corrected increase brought by the newest sample (0 for the first, and for gauges). */
  lastIncrease = 0;
  /** Drops seen (counter resets). */
  resets = 0;

  private readonly tracker: CounterTracker | undefined;
  private forceReset = false;
  private ts: Float64Array;
  private vs: Float64Array;
  private start = 0;
  private len = 0;
  private readonly max: number;
  private readonly onEvict: () => void;

  constructor(name: string, labels: Readonly<Record<string, string>>, key: string, type: MetricType | undefined, max: number, onEvict: () => void) {
    this.name = name;
    this.labels = labels;
    this.key = key;
    this.type = type;
    this.counter = counterLike(name, type);
    this.tracker = this.counter ? new CounterTracker() : undefined;
    this.max = max;
    this.onEvict = onEvict;
    const cap = Math.min(INITIAL_RING, max);
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
  }

  get length(): number {
    return this.len;
  }

  /** Slots allocated (grows by doubling up to the per-series bound). */
  get capacity(): number {
    return this.ts.length;
  }

  /** The next sample is counted from zero (the target restarted). */
  markRestart(): void {
    if (this.tracker) this.forceReset = true;
  }

  /** Appends a sample; false when it is not newer than the newest one (dropped, as Prometheus does). */
  append(t: number, v: number): boolean {
    if (this.len > 0 && t <= this.ts[(this.start + this.len - 1) % this.ts.length]) return false;
    if (this.tracker) {
      if (this.forceReset) {
        this.forceReset = false;
        this.tracker.reset();
        // Baseline 0: the new process counted `v` from zero (unless nothing was seen before).
        if (this.len > 0) this.tracker.observe(0);
        if (this.len > 0) this.resets++;
      } else if (this.len > 0 && v < this.vs[(this.start + this.len - 1) % this.ts.length]) {
        this.resets++;
      }
      const inc = this.tracker.observe(v);
      this.lastIncrease = Number.isFinite(inc) ? inc : 0;
    }
    this.stale = false;
    this.staleAt = undefined;
    if (this.len === this.ts.length && this.len < this.max) this.grow();
    if (this.len < this.ts.length) {
      const i = (this.start + this.len) % this.ts.length;
      this.ts[i] = t;
      this.vs[i] = v;
      this.len++;
    } else {
      // Full ring at the bound: overwrite the oldest.
      this.ts[this.start] = t;
      this.vs[this.start] = v;
      this.start = (this.start + 1) % this.ts.length;
      this.onEvict();
    }
    return true;
  }

  private grow(): void {
    const cap = Math.min(this.max, this.ts.length * 2);
    const ts = new Float64Array(cap);
    const vs = new Float64Array(cap);
    for (let k = 0; k < this.len; k++) {
      const i = (this.start + k) % this.ts.length;
      ts[k] = this.ts[i];
      vs[k] = this.vs[i];
    }
    this.ts = ts;
    this.vs = vs;
    this.start = 0;
  }

  /** The newest sample, if any. */
  latest(): EngineSample | undefined {
    if (this.len === 0) return undefined;
    const i = (this.start + this.len - 1) % this.ts.length;
    return { t: this.ts[i], v: this.vs[i] };
  }

  /** Time of the sample before the newest: where the newest increase (`lastIncrease`) starts. */
  previousAt(): number | undefined {
    if (this.len < 2) return undefined;
    return this.ts[(this.start + this.len - 2) % this.ts.length];
  }

  /** Samples with from <= t <= to (default: all kept), oldest first. */
  samples(from = -Infinity, to = Infinity): EngineSample[] {
    const out: EngineSample[] = [];
    for (let k = 0; k < this.len; k++) {
      const i = (this.start + k) % this.ts.length;
      const t = this.ts[i];
      if (t >= from && t <= to) out.push({ t, v: this.vs[i] });
    }
    return out;
  }

  /** The value at `at` as an instant lookup sees it: the newest sample at or before `at`, unless stale by then. */
  valueAt(at: number, lookbackMs = 5 * 60_000): number | undefined {
    if (this.stale && this.staleAt !== undefined && this.staleAt <= at) return undefined;
    for (let k = this.len - 1; k >= 0; k--) {
      const i = (this.start + k) % this.ts.length;
      if (this.ts[i] <= at) return at - this.ts[i] <= lookbackMs ? this.vs[i] : undefined;
    }
    return undefined;
  }
}

/** Compiles matchers once; regexes anchored like PromQL's. */
export function compileMatchers(matchers: readonly LabelMatcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === '=' || m.op === '!=') {
      const eq = m.op === '=';
      return (labels: Readonly<Record<string, string>>) => ((labels[m.name] ?? '') === m.value) === eq;
    }
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.value})$`, 'su');
    } catch (e) {
      throw new SyntaxError(`invalid regex in matcher ${m.name}${m.op}"${m.value}": ${(e as Error).message}`);
    }
    const pos = m.op === '=~';
    return (labels: Readonly<Record<string, string>>) => re.test(labels[m.name] ?? '') === pos;
  });
  return (labels) => tests.every((t) => t(labels));
}

export interface SelectOptions {
  /** Only series live at this time (not stale, a sample within the lookback). */
  at?: number;
  lookbackMs?: number;
}

export class SeriesStore {
  readonly maxSeries: number;
  readonly maxSamplesPerSeries: number;
  private readonly byName = new Map<string, Map<string, Series>>();
  private count = 0;
  /** Stale series in the order they went stale: eviction candidates, oldest first. */
  private readonly staleOrder = new Set<Series>();
  /** Series seen in the previous batch, for staleness. */
  private previous = new Set<Series>();
  /** Time of the newest batch ingested (or staleness mark). */
  private lastBatchAt = -Infinity;
  /** Time of the last batch ingested (not a failed scrape): where a counter born since was 0. */
  private lastGoodAt: number | undefined;
  private readonly listeners = new Set<IngestListener>();
  private evictedSamples = 0;
  private evictedSeries = 0;
  private refusedSeries = 0;
  private readonly countEviction = () => {
    this.evictedSamples++;
  };

  constructor(options: SeriesStoreOptions = {}) {
    const maxSeries = options.maxSeries ?? SERIES_STORE_DEFAULTS.maxSeries;
    const maxSamples = options.maxSamplesPerSeries ?? SERIES_STORE_DEFAULTS.maxSamplesPerSeries;
    if (!Number.isInteger(maxSeries) || maxSeries < 1) throw new RangeError(`maxSeries must be a positive integer, got ${maxSeries}`);
    if (!Number.isInteger(maxSamples) || maxSamples < 2) throw new RangeError(`maxSamplesPerSeries must be an integer >= 2 (increases need two samples), got ${maxSamples}`);
    this.maxSeries = maxSeries;
    this.maxSamplesPerSeries = maxSamples;
  }

  /** Called after every ingest with what changed. Returns an unsubscribe function. */
  subscribe(listener: IngestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The series for name+labels, if the store has it. */
  get(name: string, labels: Readonly<Record<string, string>>): Series | undefined {
    return this.byName.get(name)?.get(seriesKey(name, labels));
  }

  /** Series of one metric name whose labels match every matcher. */
  select(name: string, matchers: readonly LabelMatcher[] = [], options: SelectOptions = {}): Series[] {
    const all = this.byName.get(name);
    if (!all) return [];
    const test = compileMatchers(matchers);
    const out: Series[] = [];
    for (const s of all.values()) {
      if (!test(s.labels)) continue;
      if (options.at !== undefined && s.valueAt(options.at, options.lookbackMs) === undefined) continue;
      out.push(s);
    }
    return out;
  }

  /**
   * The values a scrape at `at` carried for one metric name (series matching every matcher): the
   * series whose latest sample is at `at`. A series the scrape did not carry keeps its older value
   * in the store, and is left out (a new process has not recreated it yet, or it went away).
   */
  valuesAt(name: string, at: number, matchers: readonly LabelMatcher[] = []): number[] {
    const out: number[] = [];
    for (const s of this.select(name, matchers)) {
      const last = s.latest();
      if (last !== undefined && last.t === at) out.push(last.v);
    }
    return out;
  }

  /** Metric names held (sample names: `x_bucket`, not `x`). */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Ingests one scrape: appends every sample at `at`, marks what disappeared stale, notifies listeners. */
  ingest(batch: IngestBatch): IngestResult {
    const { at } = batch;
    const result: IngestResult = { at, updated: [], stale: [], created: 0, resets: 0, outOfOrder: 0, refusedSeries: 0, evictedSeries: 0 };
    if (!(at > this.lastBatchAt)) {
      result.late = { previousAt: this.lastBatchAt };
      result.outOfOrder = batch.samples.length;
      this.notify(result);
      return result;
    }
    this.lastBatchAt = at;
    const seen = new Set<Series>();
    if (batch.restart) for (const s of this.previous) s.markRestart();
    for (const sample of batch.samples) {
      let series = this.get(sample.name, sample.labels);
      if (series === undefined) {
        series = this.create(sample, result);
        if (series === undefined) continue;
        if (batch.restart) series.markRestart();
        // A counter that the previous successful batch of the same process did not have was 0
        // then: client libraries create a labelled child on its first event (promhttp's first 500,
        // the Go middleware's first error of a class). Counted from that 0, its first events are
        // not lost as a baseline, which PromQL's increase() does (Prometheus' own fix is its
        // created-timestamp zero ingestion). The very first batch stays a baseline: its counters
        // hold everything counted before sloctl watched.
        else if (series.counter && this.lastGoodAt !== undefined) series.append(this.lastGoodAt, 0);
      } else if (seen.has(series)) {
        // The same series twice in one exposition: Prometheus rejects the duplicate.
        result.outOfOrder++;
        continue;
      }
      const resetsBefore = series.resets;
      if (!series.append(at, sample.value)) {
        result.outOfOrder++;
        continue;
      }
      this.staleOrder.delete(series);
      if (series.resets > resetsBefore) result.resets++;
      seen.add(series);
      result.updated.push(series);
    }
    if (batch.staleness !== false) {
      for (const s of this.previous) if (!seen.has(s)) this.setStale(s, at, result);
      this.previous = seen;
    }
    this.lastGoodAt = at;
    this.notify(result);
    return result;
  }

  /**
   * Marks every series of the previous batch stale at `at`: what Prometheus does when a scrape
   * fails. The samples already stored are kept.
   */
  markAllStale(at: number): IngestResult {
    const result: IngestResult = { at, updated: [], stale: [], created: 0, resets: 0, outOfOrder: 0, refusedSeries: 0, evictedSeries: 0 };
    if (!(at > this.lastBatchAt)) {
      result.late = { previousAt: this.lastBatchAt };
      this.notify(result);
      return result;
    }
    this.lastBatchAt = at;
    for (const s of this.previous) this.setStale(s, at, result);
    this.previous = new Set();
    this.notify(result);
    return result;
  }

  /** Marks one series stale at `at` (for callers managing staleness themselves). */
  markStale(series: Series, at: number): void {
    this.setStale(series, at);
  }

  stats(): StoreStats {
    let samples = 0;
    let slots = 0;
    let stale = 0;
    for (const m of this.byName.values()) {
      for (const s of m.values()) {
        samples += s.length;
        slots += s.capacity;
        if (s.stale) stale++;
      }
    }
    return {
      series: this.count,
      liveSeries: this.count - stale,
      staleSeries: stale,
      samples,
      maxSeries: this.maxSeries,
      maxSamplesPerSeries: this.maxSamplesPerSeries,
      evictedSamples: this.evictedSamples,
      evictedSeries: this.evictedSeries,
      refusedSeries: this.refusedSeries,
      approxBytes: slots * 16,
    };
  }

  private setStale(s: Series, at: number, result?: IngestResult): void {
    if (s.stale) return;
    s.stale = true;
    s.staleAt = at;
    this.staleOrder.add(s);
    result?.stale.push(s);
  }

  private create(sample: IngestSample, result: IngestResult): Series | undefined {
    if (this.count >= this.maxSeries) {
      const victim = this.staleOrder.values().next().value as Series | undefined;
      if (victim === undefined) {
        this.refusedSeries++;
        result.refusedSeries++;
        return undefined;
      }
      this.remove(victim);
      this.evictedSeries++;
      result.evictedSeries++;
    }
    // Copy the labels: the parser may share label objects between samples.
    const labels = Object.freeze({ ...sample.labels });
    const key = seriesKey(sample.name, labels);
    const series = new Series(sample.name, labels, key, sample.type, this.maxSamplesPerSeries, this.countEviction);
    let m = this.byName.get(sample.name);
    if (m === undefined) {
      m = new Map();
      this.byName.set(sample.name, m);
    }
    m.set(key, series);
    this.count++;
    result.created++;
    return series;
  }

  private remove(s: Series): void {
    const m = this.byName.get(s.name);
    if (m?.delete(s.key)) {
      this.count--;
      if (m.size === 0) this.byName.delete(s.name);
    }
    this.staleOrder.delete(s);
    this.previous.delete(s);
  }

  private notify(result: IngestResult): void {
    for (const l of this.listeners) l(result);
  }
}
