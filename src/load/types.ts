// The shapes the load generator, its importers (vegeta, k6), the progress display and the gate
// share. Times in results are milliseconds as floats with microsecond resolution; rates are per
// second. A LoadResult is plain JSON: it is what `sloctl load --json` prints and what the gate
// stores in its journal and baseline.

export type { ConnectionWaits, DropCauses, GeneratorHealth, HistogramJson, LatencySummary, LoadResult, LoadSlice, RouteResult } from '../measure/types.ts';
import type { LoadSlice } from '../measure/types.ts';

/** One request the mix can produce. `path` may hold {param} placeholders filled from `params`. */
export interface RequestTemplate {
  /** Label in results: the contract route name, or "GET /path" for a single URL. */
  name: string;
  /** Relative share of requests (any positive number; normalised). */
  weight: number;
  method: string;
  /** Path and query, e.g. /products/{id}?q=1. */
  path: string;
  /** Generators for {param}: "int(1,500)", "uuid", "choice(a,b,c)", or a literal. */
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON, content-type application/json unless set) or a string. */
  body?: unknown;
}

/** A phase of the arrival schedule: constant rate, or a linear ramp from `rate` to `to`. */
export interface LoadStage {
  /** Requests per second at the start of the stage; 'max' is the closed model (every connection busy). */
  rate: number | 'max';
  /** Requests per second at the end of the stage (linear ramp); default: `rate`. */
  to?: number;
  durationMs: number;
}

export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:8080; request paths are resolved against it. */
  url: string;
  requests: RequestTemplate[];
  stages: LoadStage[];
  /** Keep-alive connections per worker's pool. */
  connections: number;
  /** A request unanswered this long after its intended send time is aborted and counted as a timeout. */
  timeoutMs: number;
  /** Worker threads; 1 runs in the calling thread. */
  workers?: number;
  /**
   * Seed of the request sequence (which template request i uses, and its parameter values; see
   * mix.ts): the same seed sends the same requests, whatever the number of workers. Default 1.
   */
  seed?: number;
  /** Allow a target that is not a loopback address. */
  allowRemote?: boolean;
  /** Called about once a second with the totals so far (all workers). */
  onProgress?: (p: LoadProgress) => void;
  /** Stops the run early; what was measured so far is returned. */
  signal?: AbortSignal;
  /**
   * Also group every request by its intended send time into slices this wide (ms), in
   * LoadResult.slices: the timeline a drill judges (steady state, fault, recovery). Off by default.
   */
  sliceMs?: number;
  /**
   * Called once when the schedule starts, with the epoch ms (Date.now()'s clock) that
   * LoadResult.startedAt will hold and slice 0 starts at: a caller can put its own marks
   * (Date.now() when it applied a fault) on the slices' axis as `mark - startedAt`. With workers
   * it is called at their shared start instant (and not at all when the run is stopped before the
   * workers are ready). A callback that throws ends the run with its error.
   */
  onStart?: (startedAt: number) => void;
  /**
   * With sliceMs: called with each slice as soon as it is final (nothing sent in it is still in
   * flight, and no request can be intended in it any more), once per slice, in order from slice 0,
   * empty ones included; the same slices LoadResult.slices holds at the end. A drill watches
   * recovery on them while the run goes. With workers, slice k comes once every worker has
   * finished it (merged). Runs on the load's timers: keep it quick.
   */
  onSlice?: (slice: LoadSlice) => void;
}


/** Sent about once a second while a run goes. */
export interface LoadProgress {
  elapsedMs: number;
  totalMs: number;
  sent: number;
  completed: number;
  errors: number;
  /** Achieved arrival rate over the last second, and requested rate (null for 'max'). */
  rate: number;
  requestedRate: number | null;
  /** p95 of corrected latency so far, ms. */
  p95: number;
  inFlight: number;
}
