// The run's timeline (LoadOptions.sliceMs): every request counted in the slice of its INTENDED send
// time, [k·sliceMs, (k+1)·sliceMs) from the run's start, per route, with the same corrected latency
// the route's histogram holds. A drill judges steady state, fault and recovery on these windows,
// from the client's view; grouping by intended time (not by answer time) puts a request that a
// fault made slow in the window where the fault hit it.
//
// Memory. A dense HDR histogram of the default layout is 188 KB, too much to keep per slice and
// route for an hour's run, so only the slices that can still change hold one: a slice is "live"
// while requests it sent are in flight or the sender may still send into it, and it is settled
// (compacted to its sparse JSON, the histogram returned to a pool) as soon as neither holds; the
// sweep of the driver calls settle() every <= 50 ms. Requests time out timeoutMs after their
// intended time, so at most about timeoutMs / sliceMs + 2 slices are live at once, whatever the
// run's length. A settled slice costs about 0.5 KB per route plus ~75 bytes per non-empty bucket
// (an [index, count] pair), and a slice-route has at most as many buckets as requests. Measured
// (Node 20, one route, latencies lognormal around 5 ms), one hour in 500 ms slices (7200): at 50/s
// 18 MB of heap (3 MB as JSON), at 500/s 137 MB (17 MB), at 5000/s 1 GB (124 MB): ask for wider
// slices at high rates. MAX_SLICES caps the count. With sliceMs unset none of this exists: the
// driver's hot path tests one field.
//
// Merging (worker threads of one run): slices of the same index cover the same window (workers
// share the start instant), so they add up index by index (mergeSlices).

import { Histogram } from '../measure/histogram.ts';
import { sortKeys, summedCount } from './recorder.ts';
import { classMarksJson, classMarksOf, countMark } from '../measure/class-marks.ts';
import type { HistogramJson, LoadSlice } from './types.ts';

/** Fewest milliseconds a slice may be, and most slices a run may have (a bound on the result's size). */
export const MIN_SLICE_MS = 1;
export const MAX_SLICES = 100_000;

type SliceRoute = LoadSlice['routes'][number];

/** One route's counts in one live slice. */
class Cell {
  sent = 0;
  completed = 0;
  statuses: Map<number, number> | null = null;
  errors: Map<string, number> | null = null;
  /** Of the answers, those the service marked shed. */
  shed = 0;
  /** Of the answers, those the service marked with an error class, by "status class" (recorder.ts countMark). */
  marks: Map<string, number> | null = null;
  /** From the pool at the first answer; back to it when the slice settles. */
  histogram: Histogram | null = null;
}

class LiveSlice {
  /** Requests sent in this slice and not yet answered, failed or cancelled. */
  outstanding = 0;
  /** Sends that left late (LoadSlice.late) and the worst of their lags. */
  late = 0;
  lateMaxLagMs = 0;
  readonly cells: Cell[];
  constructor(
    readonly k: number,
    routes: number,
  ) {
    this.cells = Array.from({ length: routes }, () => new Cell());
  }
}

export class SliceRecorder {
  /** Route slot of each template index (templates that share a name share a route, as in RunRecorder). */
  private readonly slotOf: number[];
  private readonly names: string[] = [];
  private readonly live = new Map<number, LiveSlice>();
  /** The slice the last send went to: consecutive sends nearly always share one. */
  private last: LiveSlice | null = null;
  private readonly settled: Array<LoadSlice | undefined> = [];
  private readonly pool: Histogram[] = [];
  private readonly emptyLayout: HistogramJson;
  /** Highest slice index used so far (-1: none). */
  private maxK = -1;
  /** Slices handed out by takeFinal so far. */
  private taken = 0;
  /** Most live slices at once (for tests and the memory note). */
  peakLive = 0;

  constructor(
    readonly sliceMs: number,
    templateNames: readonly string[],
  ) {
    const byName = new Map<string, number>();
    this.slotOf = templateNames.map((name) => {
      let slot = byName.get(name);
      if (slot === undefined) {
        slot = this.names.length;
        byName.set(name, slot);
        this.names.push(name);
      }
      return slot;
    });
    this.emptyLayout = new Histogram().toJSON();
  }

  /**
   * A request of template `route` intended at `atMs` after the start was sent: returns its slice
   * index. `lateLagMs`: how late it left, when that was past the run's late threshold.
   */
  sent(atMs: number, route: number, lateLagMs?: number): number {
    const k = atMs > 0 ? Math.floor(atMs / this.sliceMs) : 0;
    let s = this.last;
    if (s === null || s.k !== k) s = this.open(k);
    s.outstanding++;
    s.cells[this.slotOf[route]].sent++;
    if (lateLagMs !== undefined) {
      s.late++;
      if (lateLagMs > s.lateMaxLagMs) s.lateMaxLagMs = lateLagMs;
    }
    return k;
  }

  answered(k: number, route: number, status: number, latencyUs: number, shed = false, errorClass = ''): void {
    const s = this.liveSlice(k);
    s.outstanding--;
    const c = s.cells[this.slotOf[route]];
    c.completed++;
    if (shed) c.shed++;
    else if (errorClass !== '') c.marks = countMark(c.marks, status, errorClass);
    const statuses = (c.statuses ??= new Map());
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    (c.histogram ??= this.pool.pop() ?? new Histogram()).record(latencyUs);
  }

  failed(k: number, route: number, kind: string): void {
    const s = this.liveSlice(k);
    s.outstanding--;
    const errors = (s.cells[this.slotOf[route]].errors ??= new Map());
    errors.set(kind, (errors.get(kind) ?? 0) + 1);
  }

  /** Cancelled when the run was stopped: counted as sent, neither answered nor failed (as in the run's totals). */
  cancelled(k: number): void {
    this.liveSlice(k).outstanding--;
  }

  /**
   * Settles every live slice that ends at or before `sendingFromMs` (no send can be intended
   * before it any more) and has nothing in flight. Infinity settles whatever has nothing in flight.
   */
  settle(sendingFromMs: number): void {
    for (const s of this.live.values()) {
      if (s.outstanding === 0 && (s.k + 1) * this.sliceMs <= sendingFromMs) this.close(s);
    }
  }

  /**
   * The slices that became final since the last call, in order from slice 0 and empty ones
   * included (LoadOptions.onSlice): every slice before the first one that may still change, that
   * is one still live or one the sender has not passed the end of (`sendingFromMs`, as for settle).
   */
  takeFinal(sendingFromMs: number): LoadSlice[] {
    let upTo = sendingFromMs === Infinity ? this.maxK + 1 : Math.floor(sendingFromMs / this.sliceMs + 1e-9);
    for (const s of this.live.values()) if (s.k < upTo) upTo = s.k;
    const out: LoadSlice[] = [];
    for (; this.taken < upTo; this.taken++) out.push(this.settled[this.taken] ?? this.empty(this.taken));
    return out;
  }

  /** How many slices takeFinal has handed out (0 .. taken − 1). */
  get takenCount(): number {
    return this.taken;
  }

  /** Every slice from 0 to the end of a run of `durationMs` (empty ones included), in order. Settles all. */
  result(durationMs: number): LoadSlice[] {
    for (const s of this.live.values()) this.close(s);
    this.pool.length = 0; // the dense histograms are no longer needed
    const n = Math.max(Math.ceil(durationMs / this.sliceMs - 1e-9), this.maxK + 1);
    const out: LoadSlice[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.settled[k] ?? this.empty(k);
    return out;
  }

  /** Slices that still hold a dense histogram or may still change. */
  get liveCount(): number {
    return this.live.size;
  }

  private open(k: number): LiveSlice {
    let s = this.live.get(k);
    if (s === undefined) {
      // The sender's intended times only move forward and a slice settles only once the sender
      // has passed its end, so a settled slice is never sent into again.
      if (this.settled[k] !== undefined) throw new Error(`load slices: a request was sent into slice ${k} after it was settled (a bug in sloctl)`);
      s = new LiveSlice(k, this.names.length);
      this.live.set(k, s);
      if (this.live.size > this.peakLive) this.peakLive = this.live.size;
      if (k > this.maxK) this.maxK = k;
    }
    this.last = s;
    return s;
  }

  private liveSlice(k: number): LiveSlice {
    const s = this.last !== null && this.last.k === k ? this.last : this.live.get(k);
    if (s === undefined) throw new Error(`load slices: slice ${k} is not live (a bug in sloctl)`);
    return s;
  }

  private close(s: LiveSlice): void {
    this.live.delete(s.k);
    if (this.last === s) this.last = null;
    const routes: SliceRoute[] = s.cells.map((c, slot) => {
      let histogram: HistogramJson;
      if (c.histogram) {
        histogram = c.histogram.toJSON();
        c.histogram.reset();
        this.pool.push(c.histogram);
        c.histogram = null;
      } else histogram = this.emptyHistogram();
      return {
        name: this.names[slot],
        sent: c.sent,
        completed: c.completed,
        statuses: c.statuses ? leanCounts(Object.fromEntries([...c.statuses].map(([k, v]) => [String(k), v]))) : {},
        errors: c.errors ? leanCounts(Object.fromEntries(c.errors)) : {},
        histogram,
        ...(c.shed > 0 ? { shed: c.shed } : {}),
        ...classMarksJson(c.marks),
      };
    });
    this.settled[s.k] = s.late > 0 ? { startMs: s.k * this.sliceMs, routes, late: s.late, lateMaxLagMs: round3(s.lateMaxLagMs) } : { startMs: s.k * this.sliceMs, routes };
  }

  private empty(k: number): LoadSlice {
    return {
      startMs: k * this.sliceMs,
      routes: this.names.map((name) => ({ name, sent: 0, completed: 0, statuses: {}, errors: {}, histogram: this.emptyHistogram() })),
    };
  }

  private emptyHistogram(): HistogramJson {
    return { ...this.emptyLayout, counts: [] };
  }
}

/**
 * Adds up the slices of results that ran at the same time from one start (worker threads): slice k
 * of the merge is the sum of every part's slice k; a part that ended earlier (stopped) counts as
 * empty there. Routes in the order of `routeNames` (the merged result's), then any others.
 */
export function mergeSlices(parts: ReadonlyArray<readonly LoadSlice[]>, sliceMs: number, routeNames: readonly string[]): LoadSlice[] {
  const n = Math.max(0, ...parts.map((p) => p.length));
  const out: LoadSlice[] = [];
  for (let k = 0; k < n; k++) out.push(mergeSliceParts(parts.flatMap((p) => (p[k] ? [p[k]] : [])), k * sliceMs, routeNames));
  return out;
}

/** One slice of the parts that share it (same window), starting at `startMs`: counts add, histograms merge. */
export function mergeSliceParts(parts: readonly LoadSlice[], startMs: number, routeNames: readonly string[]): LoadSlice {
  const byName = new Map<string, SliceRoute[]>(routeNames.map((name) => [name, []]));
  for (const p of parts) for (const r of p.routes) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const routes: SliceRoute[] = [];
  for (const [name, rs] of byName) {
    routes.push({
      name,
      sent: rs.reduce((a, r) => a + r.sent, 0),
      completed: rs.reduce((a, r) => a + r.completed, 0),
      statuses: addCounts(rs.map((r) => r.statuses)),
      errors: addCounts(rs.map((r) => r.errors)),
      histogram: mergeHistogramJson(rs.map((r) => r.histogram), `slice at ${startMs} ms route ${name}: histogram`),
      ...summedCount(rs, 'shed'),
      ...classMarksOf(rs),
    });
  }
  const late = parts.reduce((a, p) => a + (p.late ?? 0), 0);
  if (late === 0) return { startMs, routes };
  return { startMs, routes, late, lateMaxLagMs: Math.max(...parts.map((p) => p.lateMaxLagMs ?? 0)) };
}

/** Lags to the microsecond: a slice's JSON need not carry float noise. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Sparse merge of serialized histograms of one layout (no dense 188 KB array per part); parts of
 * another layout go through Histogram.merge, which re-records them at bucket precision.
 */
export function mergeHistogramJson(parts: readonly HistogramJson[], where: string): HistogramJson {
  if (parts.length === 0) return new Histogram().toJSON();
  const [first] = parts;
  const same = parts.every((p) => p.lowestUs === first.lowestUs && p.highestUs === first.highestUs && p.digits === first.digits);
  if (!same) {
    const h = Histogram.fromJSON(first, where);
    for (const p of parts.slice(1)) h.merge(Histogram.fromJSON(p, where));
    return h.toJSON();
  }
  if (parts.length === 1) return { ...first, counts: first.counts.map(([i, c]) => [i, c]) };
  const sum = new Map<number, number>();
  let overflow = 0;
  for (const p of parts) {
    for (const [i, c] of p.counts) if (c !== 0) sum.set(i, (sum.get(i) ?? 0) + c);
    overflow += p.overflow ?? 0;
  }
  const counts = [...sum].sort((a, b) => a[0] - b[0]);
  return { lowestUs: first.lowestUs, highestUs: first.highestUs, digits: first.digits, counts, overflow };
}

function addCounts(parts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p ?? {})) out[k] = (out[k] ?? 0) + v;
  return leanCounts(out);
}

/**
 * The same counts, sorted by key, as an object V8 stores compactly. Built key by key, an object
 * with an index-like key ("200", "503") gets an elements array as long as the largest index: 2.6 KB
 * for {"200": n} (6 KB for "503", measured on Node 20), more than the rest of a slice; the object
 * JSON.parse builds holds the same in about 200 bytes. Once per slice and route, off the hot path.
 */
function leanCounts(o: Record<string, number>): Record<string, number> {
  const keys = Object.keys(o);
  if (keys.length === 0) return {};
  return JSON.parse(JSON.stringify(sortKeys(o))) as Record<string, number>;
}
