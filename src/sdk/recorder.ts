// The per-request hot path: what an adapter calls when a request is handed over (`begin`) and
// when its response is finished or abandoned (`end`).
//
// Cost after warm-up: two clock reads, a bucket search over ~20 numbers, a handful of additions,
// one array read for the error class (a thrown error walks its cause chain instead). No strings
// are built, no label objects hashed, nothing allocated: series are created on first use per
// label set and found by offset afterwards, their numbers adjacent in one array (what a request
// costs in a server is mostly the cache lines it touches: series-metrics.ts). For the same reason
// `begin` and `end` read nothing at module level: everything they use hangs off the recorder
// (`this`, read anyway). A module-level binding is read through its module's context (or an
// import's cell), an object no other code of a request touches, and `perf annotate` of a saturated
// server put a quarter of `end`'s time on the load of `performance` through its import
// (bench/RESULTS.md).
import { performance } from 'node:perf_hooks';
import type { Classifier } from '../contract/classify.ts';
import { STATUS_ABORTED, STATUS_CLASSES, statusClassIndex } from './core/labels.ts';
import type { RecentWindow } from './core/recent.ts';
import type { Cells, SeriesCounter, SeriesHistogram } from './metrics/series-metrics.ts';
import type { RouteSlot } from './route-table.ts';

export const STATUS_CLASS_COUNT = STATUS_CLASSES.length;

export class Recorder {
  /** Requests begun and not yet ended. */
  inFlight = 0;
  private readonly bounds: Float64Array;
  private readonly nBounds: number;
  private readonly nClasses: number;
  /** Where a histogram series keeps its sum and its count, from its offset (SeriesHistogram's layout). */
  private readonly sumCell: number;
  private readonly countCell: number;
  /** Where the series' numbers are (shared by the histogram and both counters). */
  private readonly cells: Cells;
  /** The clock and the status-class function, on `this` (see the header). */
  private readonly clock = performance;
  private readonly statusClassOf = statusClassIndex;
  private readonly abortedStatusClass = STATUS_ABORTED;
  private readonly classes: Classifier['classes'];
  /**
   * Bucket counts (not cumulative: the histogram's bounds, then +Inf) of the requests the adapter
   * kept out of the health window (`judged` false: shed by the limiter, rejected before a handler),
   * by "METHOD route". The drift latency signal takes them out of the histogram it reads: the
   * instant 503s of its own `shed` action pulled the quantile down, which relaxed the action, and
   * it flapped. Kept only when set (a contract with a drift latency signal).
   */
  unjudged: Map<string, Float64Array> | undefined = undefined;

  constructor(
    private readonly classifier: Classifier,
    private readonly histogram: SeriesHistogram,
    private readonly requests: SeriesCounter,
    private readonly weighted: SeriesCounter,
    private readonly recent: RecentWindow,
  ) {
    this.bounds = histogram.boundsMs;
    this.cells = histogram.cells;
    this.sumCell = histogram.sumCell;
    this.countCell = histogram.countCell;
    this.nBounds = this.bounds.length;
    this.nClasses = classifier.classes.length;
    this.classes = classifier.classes;
  }

  /** A request was handed over: returns its start time (pass it to `end`). */
  begin(): number {
    this.inFlight++;
    return this.clock.now();
  }

  /**
   * The request's response finished (`aborted` false) or the client went away first (true).
   * `error` is what the handler threw, if the adapter saw it. `judged` false keeps the request out
   * of the health window even on a judged slot (a request the framework rejected before its
   * handler). Returns the duration in ms.
   */
  end(slot: RouteSlot, status: number, error: unknown, start: number, aborted: boolean, judged = true): number {
    this.inFlight--;
    const now = this.clock.now();
    const ms = now - start;
    if (slot.excluded) return ms;

    const sc = aborted ? this.abortedStatusClass : this.statusClassOf(status);
    const c = error !== undefined ? this.classifier.errorIndex(error, aborted ? -1 : status)
      : aborted ? this.classifier.aborted : this.classifier.statusIndex(status);

    const cls = this.classes;
    const k = sc * this.nClasses + c;
    // The series first (making one may move the cells), then the array.
    const h = slot.hist[sc] ?? this.newHistogramSeries(slot, sc);
    const r = slot.counts[k] ?? this.newRequestsSeries(slot, sc, c);
    const w = slot.weighted ?? this.newWeightedSeries(slot);

    const cells = this.cells.data;
    const bounds = this.bounds;
    const n = this.nBounds;
    let b = 0;
    while (b < n && ms > bounds[b]) b++;
    cells[h + b]++;
    cells[h + this.sumCell] += ms;
    cells[h + this.countCell]++;
    cells[r]++;
    cells[w] += slot.weight;

    // Health judges only the requests its policy names (by default: ones that reached a route).
    if (slot.judged && judged) this.recent.record(now, ms <= slot.thresholdMs, cls[c].weight);
    else if (!judged && this.unjudged !== undefined) this.countUnjudged(slot, b);
    return ms;
  }

  /**
   * Makes a declared route's series for a successful answer, at zero, before its first request:
   * the route shows on /metrics from the start, so `validate --target` can read its buckets and
   * labels on a service that has served nothing yet (a CI step "start it, validate it" failed
   * --strict with SLO_METRIC_NO_SAMPLES until a request came), and Prometheus' increase(), which
   * takes a series' first sample as its baseline, counts the route's first request.
   */
  prime(slot: RouteSlot): void {
    if (slot.excluded) return;
    const sc = this.statusClassOf(200);
    const c = this.classifier.statusIndex(200);
    if (slot.hist[sc] === undefined) this.newHistogramSeries(slot, sc);
    if (slot.counts[sc * this.nClasses + c] === undefined) this.newRequestsSeries(slot, sc, c);
    if (slot.weighted === undefined) this.newWeightedSeries(slot);
  }

  private newHistogramSeries(slot: RouteSlot, sc: number): number {
    return (slot.hist[sc] = this.histogram.series({ method: slot.method, route: slot.route, status_class: STATUS_CLASSES[sc], sli_class: slot.sliClass }).at);
  }

  private newRequestsSeries(slot: RouteSlot, sc: number, c: number): number {
    return (slot.counts[sc * this.nClasses + c] = this.requests.series({ method: slot.method, route: slot.route, status_class: STATUS_CLASSES[sc], error_class: this.classes[c].class }).at);
  }

  private newWeightedSeries(slot: RouteSlot): number {
    return (slot.weighted = this.weighted.series({ method: slot.method, route: slot.route, sli_class: slot.sliClass }).at);
  }

  /**
   * Requests begun so far: those in flight plus those counted finished (read off the request
   * counter's series, not counted again on the hot path; requests on an excluded slot, which are
   * not counted, are left out). For the server's check on requests its adapter never saw.
   */
  begun(): number {
    return this.inFlight + this.requests.total();
  }

  private countUnjudged(slot: RouteSlot, bucket: number): void {
    const key = `${slot.method} ${slot.route}`;
    let counts = this.unjudged!.get(key);
    if (counts === undefined) this.unjudged!.set(key, (counts = new Float64Array(this.nBounds + 1)));
    counts[bucket]++;
  }
}
