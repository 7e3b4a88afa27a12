// What a load run measured, as plain JSON: the shapes the load generator and its importers (vegeta,
// k6) produce and the judges (src/verdicts/), reports and baselines read. They live below both, so
// judging a run never reaches into the generator that made it. Times are milliseconds as floats with
// microsecond resolution; rates are per second.

/** The requests whose intended send time fell in [startMs, startMs + sliceMs), by route. */
export interface LoadSlice {
  /** ms after the run's start (LoadResult.startedAt). */
  startMs: number;
  routes: Array<Pick<RouteResult, 'name' | 'sent' | 'completed' | 'statuses' | 'errors' | 'histogram' | 'shed' | 'errorClasses'>>;
  /**
   * Sends intended in this slice that left more than the run's late threshold after their intended
   * time (GeneratorHealth.lateThresholdMs), and the worst of their lags, ms. Absent when none was
   * late. Over all slices they add up to GeneratorHealth.lateSends: a judge of one window (a drill)
   * can tell whether the generator's lag fell in it.
   */
  late?: number;
  lateMaxLagMs?: number;
}

/** Serialized HDR histogram: mergeable across workers and runs, bounded size. */
export interface HistogramJson {
  /** Lowest and highest trackable values, in microseconds, and significant digits. */
  lowestUs: number;
  highestUs: number;
  digits: number;
  /** Non-zero buckets as [index, count] pairs. */
  counts: Array<[number, number]>;
  /** Values above highestUs, clamped into the top bucket. */
  overflow: number;
}

export interface LatencySummary {
  count: number;
  /** Milliseconds. NaN-free: 0 when count is 0. */
  min: number;
  mean: number;
  stdev: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  /**
   * Fields the source did not report (an imported k6 summary has no stdev, and no p99 unless the
   * test asked for it). They hold 0, which is not a measurement: show them as n/a and never judge
   * an objective on them. Absent (undefined) when every field was measured.
   */
  absent?: Array<'min' | 'mean' | 'stdev' | 'max' | 'p50' | 'p90' | 'p95' | 'p99' | 'p999'>;
}

export interface RouteResult {
  name: string;
  /** Requests issued (sent on schedule), answered ones, and failed ones (network error or timeout). */
  sent: number;
  completed: number;
  /** Responses by status code, e.g. {"200": 95, "503": 5}. */
  statuses: Record<string, number>;
  /** Failures without a response, by kind: "timeout", or the error code (ECONNRESET, ECONNREFUSED...). */
  errors: Record<string, number>;
  /** Latency from the intended send time (coordinated omission corrected). */
  latency: LatencySummary;
  /** Latency from the actual send time (service time as the client sees it). */
  serviceTime: LatencySummary;
  histogram: HistogramJson;
  serviceHistogram: HistogramJson;
  /**
   * Of the "timeout" errors, those that timed out before any connection was free to carry them
   * (all of the generator's connections busy): they never reached the target. Absent when none.
   */
  queuedTimeouts?: number;
  /**
   * Requests sent a second time, on a new connection, after the reused keep-alive connection they
   * went out on closed before any byte of an answer (src/load/http1-connection.ts: idempotent
   * methods only). Each is counted once in `sent`, and by what its second attempt got. Absent when none.
   */
  replayed?: number;
  /**
   * Of the answers (in `statuses` too), those the service marked shed (header `sloctl-shed`: the
   * SDK's concurrency limiter turned the request away). Judges class them "shed", as the service's
   * own counters do, not by their status. Absent when none.
   */
  shed?: number;
  /**
   * Of the answers (in `statuses` too), those the service marked with the class it gave them by
   * what its handler threw (header `sloctl-error-class`, sloctl's SDK), by status then class:
   * {"500": {"transient": 85}}. Judges class an error status so marked by the class when the
   * contract declares it (src/verdicts/client-view.ts). Absent when none.
   */
  errorClasses?: Record<string, Record<string, number>>;
}

/**
 * Requests that waited for one of the generator's connections (all busy) longer than `waitMs`, or
 * timed out waiting: their latency (from the intended send time) includes time spent in the
 * generator, which more connections would not have spent (src/load/driver.ts).
 */
export interface ConnectionWaits {
  waited: number;
  waitMs: number;
  /** The generator's connections, all workers together. */
  connections: number;
}

/** The two ways a scheduled request goes unsent (src/load/driver.ts). */
export interface DropCauses {
  /** Due while `inFlightBound` requests were in flight: the target answered too slowly for the rate. */
  inFlight: number;
  inFlightBound: number;
  /** Still unsent when the sender gave up after the run's window, `behindMs` behind schedule: the generator could not keep up. */
  behind: number;
  behindMs: number;
}

/** The generator's check on itself: when it fell short, the run cannot judge the target. */
export interface GeneratorHealth {
  /** Requested and achieved arrival rate over the run (achieved = sent / duration). */
  requestedRate: number | null;
  achievedRate: number;
  /** Sends that left more than `lateThresholdMs` after their intended time, and the worst lag. */
  lateSends: number;
  lateThresholdMs: number;
  maxLagMs: number;
  /** Scheduled requests never sent (the in-flight bound was reached, or the generator was still far behind after the window). */
  droppedSends: number;
  /** Why they were dropped, when droppedSends > 0 and the generator knows (sloctl's does). */
  drops?: DropCauses;
  /** Requests that waited for a free connection, when any did (sloctl's generator). */
  connectionWaits?: ConnectionWaits;
  /** Event-loop delay p99 of the generator's threads, and CPU used as a share of one core (max over workers). */
  eventLoopDelayP99Ms: number;
  cpu: number;
  workers: number;
  /** True when the run delivered the profile it was asked for. */
  ok: boolean;
  /** Why not, in words a user can act on ("achieved 812/s of 1000/s: use --workers 2"). */
  reasons: string[];
}

export interface LoadResult {
  /** Who measured it: sloctl's generator, or an imported vegeta / k6 result. */
  source: 'sloctl' | 'vegeta' | 'k6';
  url: string;
  model: 'open' | 'closed';
  /** Wall-clock start (ms since epoch) and length of the measured run. */
  startedAt: number;
  durationMs: number;
  sent: number;
  completed: number;
  /** Responses with status >= 400, plus failures without a response. */
  errors: number;
  timeouts: number;
  /** Responses per second over the run. */
  throughput: number;
  /** All routes together. */
  latency: LatencySummary;
  serviceTime: LatencySummary;
  statuses: Record<string, number>;
  routes: RouteResult[];
  /** Absent for imported results (vegeta and k6 do not report on themselves). */
  generator?: GeneratorHealth;
  /** What an import could not carry over (e.g. k6 has no per-status counts), or other caveats. */
  notes: string[];
  /**
   * One example of what went wrong per failure kind, where there is more to say than the kind
   * (e.g. HPE_INVALID_CONSTANT: `first bytes: "SSH-2.0-OpenSSH_9.2"`). Absent when none.
   */
  errorDetails?: Record<string, string>;
  /** With LoadOptions.sliceMs: every slice from the start, in order (empty slices included). */
  slices?: LoadSlice[];
  sliceMs?: number;
}
