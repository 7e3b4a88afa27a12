// What a gate run produces: one verdict per objective (client and service view), the baseline
// comparison, the generator's check on itself, and the outcome with its exit code. The renderers
// (table, JSON, JUnit, Markdown) and the journal read only these shapes.
import type { GeneratorHealth, LatencySummary, LoadResult } from '../measure/types.ts';
import type { ServiceRestart } from './memory.ts';

export type Verdict = 'pass' | 'warn' | 'fail' | 'skipped';

/** How a number is shown: ratio 0..1 as %, ms, requests/s, bytes, percentage points. */
export type Unit = 'ratio' | 'ms' | 'rate' | 'bytes' | 'points' | 'count';

export interface ObjectiveVerdict {
  /** Which contract it belongs to: latency, errors, throughput, availability, memory, regression, custom. */
  contract: string;
  /** The objective, e.g. "api-latency", "api-latency p95", "errors", "regression p95". */
  name: string;
  verdict: Verdict;
  /** The value judged (the client view when there is one, else the service view). */
  measured: number;
  objective: number;
  unit: Unit;
  direction: 'higher-is-better' | 'lower-is-better';
  /** Headroom: positive means inside the objective by that much (same unit), negative means outside. */
  margin: number;
  /** Both views where both exist; NaN when a view could not be measured. */
  client?: number;
  service?: number;
  /** One sentence a reader acts on: why it passed, warned or failed. */
  reason: string;
  /**
   * Set on an objective the run could not measure: a ratio objective it sent too few requests for
   * (its error budget is under one request, and what it saw cannot say it was missed), or heap
   * growth per request across a restart of the service. No verdict (skipped), and the gate's
   * outcome cannot be a pass (INCONCLUSIVE, unless a failure elsewhere stands).
   */
  unmeasurable?: true;
  /** A failing objective: the routes that cause it, worst first, with their numbers. */
  routes?: RouteCause[];
  /** An availability verdict: the parts of the composite, their weights and values. */
  parts?: AvailabilityPart[];
  /**
   * A client percentile (latency p95 ...): the quantile and the client's share of requests at or
   * under the ceiling, so a reader can weigh how far the tail is (the generator's lag does).
   */
  tail?: { quantile: number; withinCeiling: number };
  /**
   * A percentile the service's histogram estimated: the bucket it lies in, ms (lower exclusive,
   * upper inclusive). More than the quantile's tail lies above `lower`, whatever the estimate inside.
   */
  serviceBucket?: { lower: number; upper: number };
  /** A peak judged against two levels (concurrency): at or over warn warns, at or over critical fails. */
  thresholds?: { warn: number; critical: number };
  /** The service's series the value was read from (concurrency). */
  series?: string;
  /** When the peak was observed: the trial (1-based) of how many, and ms since the measured phase opened. */
  peakAt?: { trial: number; trials?: number; offsetMs: number };
  /** Files captured from the service when the signal first crossed a level (concurrency.pprof, Go): what, where, or why not. */
  evidence?: Evidence[];
}

/**
 * One file fetched from the service as evidence for a verdict: a goroutine dump or a heap profile,
 * read from the contract's `concurrency.pprof` the first time a signal crossed warn or critical.
 * A capture that failed keeps its row with `error` (the verdict does not change).
 */
export interface Evidence {
  /** goroutines: the text dump (`goroutine?debug=2`); heap: the heap profile (gzip'd protobuf, for `go tool pprof`). */
  kind: 'goroutines' | 'heap';
  /** The level whose first crossing triggered the capture, and the signal's value then. */
  level: 'warn' | 'critical';
  value: number;
  /** ms since the measured phase opened, when the crossing was seen. */
  offsetMs?: number;
  /** The endpoint read. */
  url: string;
  /** The file written: relative to the contract's directory (absolute when outside it). Absent when the capture failed. */
  path?: string;
  bytes?: number;
  /** The dump was cut at the size cap: the file holds its first `bytes`. */
  truncated?: boolean;
  /** The goroutine dump's biggest groups, one line each: "412 goroutines blocked at main.main.func1.1 (main.go:27) [chan receive]". */
  top?: string[];
  /** Why nothing was captured (the HTTP status and what to change, a timeout...). */
  error?: string;
}

/**
 * One evidence file the service's own saturation monitor (the Node SDK) wrote while sloctl ran, as
 * its drill endpoint listed it (GET <drill path>/evidence). Named in the report next to the
 * memory or concurrency verdict it explains; the file stays on the service's machine.
 */
export interface ServiceEvidenceFile {
  /** The file name, inside `dir`. */
  file: string;
  /** The evidence directory: absolute when the service said it or the file was found there; absent when unknown. */
  dir?: string;
  /** The signal that crossed (eventLoopDelay, heap, ...), its level, and the objective it belongs to. */
  signal: string;
  level: 'warn' | 'critical';
  objective: 'concurrency' | 'memory';
  bytes: number;
  /** When the threshold was crossed (ISO 8601). */
  at: string;
}

/** A route that makes an objective fail: "GET /api/tags: p95 254 ms, 84% within 100 ms". */
export interface RouteCause {
  /** "GET /api/tags": the method and the route template. */
  route: string;
  /** Which view the numbers come from. */
  view: 'client' | 'service';
  /** The number the ranking used (bad requests, a percentile in ms, weighted errors...). */
  value: number;
  unit: Unit;
  /** The numbers in words, without the route: "p95 254 ms, 84% within 100 ms". */
  detail: string;
  /** The dependencies the contract declares this route calls (`routes[].dependencies`); absent when none. */
  dependencies?: string[];
}

/** One part of the availability composite, as each view measured it. */
export interface AvailabilityPart {
  /** health (the process is live), latency, success, dependencies. */
  name: 'health' | 'latency' | 'success' | 'dependencies';
  /** The contract's weight (before any renormalisation). */
  weight: number;
  /** 0..1; NaN when that view could not measure it. */
  client: number;
  service: number;
  /** How the client's value was measured, and what failed ("db: check threw: no such table"). */
  detail: string;
  /**
   * Latency and success, scored trial by trial: the shortest judged trial's share of the judged
   * time (1 for a single measured phase). A failure of the run's objective shows at least one trial
   * failed, so at least this much of the part (generator-lag.ts weighs it).
   */
  shortestTrial?: number;
  /**
   * false when what failed this part is something no busy machine causes: a dependency check
   * that threw an error other than a timeout or a connection failure ("check threw: no such
   * table"). A starved machine's withdrawal keeps such a part as measured (machine.ts).
   */
  busyExplains?: false;
}

/** One route's numbers from one view over the measured phase. */
export interface RouteNumbers {
  /** Requests judged: answered plus those that got no answer (client); finished (service). */
  requests: number;
  /** Milliseconds; NaN when not measured. The service's are estimates between histogram buckets. */
  p50: number;
  p95: number;
  p99: number;
  /** Share of requests within the route's threshold (0..1; NaN when unmeasured). */
  withinThreshold: number;
  /** Σ errors x class weight, and the same over requests. */
  weightedErrors: number;
  errorRatio: number;
  /** Error events by class (classes that weigh more than 0). */
  errorsByClass: Record<string, number>;
  /**
   * The client's only: of errorsByClass, the requests refused a connection (ECONNREFUSED: nothing
   * listened), per class; absent when none was. The tables name them "connection refused".
   */
  refusedByClass?: Record<string, number>;
  /** The service restarted during the measured phase: the tables say that is why connections were refused. */
  restarting?: boolean;
  /**
   * Client: answers 404 or 405. Service: when it has no series for the route, the requests of
   * that method it counted as unmatched (its unmatched count is per method, not per path); else 0.
   */
  notFound: number;
  /**
   * The service's only: its histogram's lowest bucket bound, ms. A percentile at or under it lies
   * in that first bucket, (0, lowestBucketMs], where its value is a guess: the tables print it as
   * "≤ lowestBucketMs" (the number stays in p50/p95/p99).
   */
  lowestBucketMs?: number;
}

/** A row per route (method + template) with both views where available. */
export interface RouteReport {
  /** "GET /orders/:id". */
  route: string;
  /** The contract route's name, when the contract declares it. */
  name?: string;
  method: string;
  path: string;
  /** The route's own latency threshold in the contract, else its (first) latency objective's; ms. */
  thresholdMs?: number;
  client?: RouteNumbers;
  service?: RouteNumbers;
  /** Objectives this route makes fail ("latency api-latency p95"). */
  causes: string[];
}

/** One metric compared with the baseline's trials. */
export interface MetricComparison {
  metric: 'p95' | 'errorRatio' | 'memoryPerRequest';
  unit: Unit;
  baseline: number[];
  current: number[];
  baselineMedian: number;
  currentMedian: number;
  /** Relative change (p95, memory: 0.2 = +20%) or absolute change in points (error ratio: 0.001 = +0.1 pt). */
  change: number;
  tolerance: number;
  /**
   * The tolerance as applied, in the metric's unit, where it is not `tolerance` itself: memory per
   * request's bytes (the relative tolerance of the baseline's median, or the floor when that is larger).
   */
  allowance?: number;
  /** Name of the statistical test and its one-sided p-value for "current is worse than baseline + tolerance". */
  test: string;
  pValue: number;
  /** Significance level the test is judged at. */
  alpha: number;
  verdict: Verdict;
  reason: string;
  /**
   * What the comparison found when it was not judged (a baseline of another profile, a machine
   * busier or quieter than the baseline's): `fail` is a regression beyond the tolerance that the
   * gate cannot pass (it is INCONCLUSIVE), only not blame on the build.
   */
  withheld?: Verdict;
  /**
   * Why it was not judged, with `withheld`: a baseline of another `profile` (record it again under
   * this one), a `machine` busier or quieter than the baseline's, or a `heap` that does not show the
   * memory a failure claims (a run too short for major collections: its reason says what would), or
   * too few `trials` for any test to confirm a median beyond the tolerance (its reason says how many).
   */
  withheldBy?: 'profile' | 'machine' | 'heap' | 'trials';
  /**
   * The routes behind a p95 or error ratio beyond the tolerance (the same test on each route's own
   * trials), worst first; absent when the metric is within it, or neither side has per-route numbers.
   */
  routes?: RouteRegression[];
}

/** One route of the load mix compared on its own: what makes a whole run's regression its route's. */
export interface RouteRegression {
  /** The load mix's route ("GET /orders/{id}"). */
  route: string;
  baselineMedian: number;
  currentMedian: number;
  /** As MetricComparison.change. */
  change: number;
  /** The one-sided test of this route's trials against its baseline's shifted by the tolerance. */
  pValue: number;
  /** fail: this route alone is significantly beyond the tolerance; warn: its median is beyond, its trials not significantly. */
  verdict: 'fail' | 'warn';
}

export interface BaselineComparison {
  path: string;
  /** The stored run: when, which commit, which profile. */
  createdAt: number;
  commit?: string;
  comparisons: MetricComparison[];
  verdict: Verdict;
}

/** One of the repeated trials the measured phase is split into, as the baseline stores it. */
export interface TrialMetrics {
  index: number;
  startedAt: number;
  durationMs: number;
  requests: number;
  /** Client-view p95 of corrected latency, ms. */
  p95Ms: number;
  /** Weighted error ratio 0..1 (contract error classes). */
  errorRatio: number;
  /** Heap growth per request over the trial from the service's metrics; null when not exposed. */
  memoryPerRequestBytes: number | null;
  throughput: number;
  latency: LatencySummary;
  /** How busy the rest of the machine was during the trial (src/verdicts/machine.ts); absent when it could not be measured. */
  machine?: TrialMachine;
  /** Each route of the load mix on its own, so a regression can name its route; absent in baselines recorded before sloctl had them. */
  routes?: TrialRoute[];
}

/** One route of the load mix in one trial, from the client's side. */
export interface TrialRoute {
  /** The load mix's route ("GET /orders/{id}"). */
  route: string;
  requests: number;
  /** Its own client-view p95 of corrected latency, ms (0 when it had no request). */
  p95Ms: number;
  /** Its own weighted error ratio 0..1. */
  errorRatio: number;
}

/**
 * CPU the rest of the machine used while a trial ran. Other processes slow the service by
 * themselves, so a baseline comparison made on a busier machine is not judged (src/verdicts/compare.ts).
 */
export interface TrialMachine {
  /** Logical CPU cores of the machine. */
  cores: number;
  /** Cores' worth of CPU used by everything but the target and the generator, averaged over the trial. */
  otherCpuCores: number;
}

export type GateOutcome = 'pass' | 'fail' | 'inconclusive' | 'target-failed' | 'usage';

export interface GateReport {
  service: string;
  contractFile: string;
  startedAt: number;
  finishedAt: number;
  outcome: GateOutcome;
  exitCode: number;
  /**
   * What decided the outcome, most important first: the failures of a FAIL, what withdrew or
   * blocked the verdict of an INCONCLUSIVE, the target's failure; empty for a PASS.
   */
  reasons: string[];
  /**
   * What the reader should know that did not decide the outcome: how to record the first
   * baseline, how the target was stopped, a view that was missing, a failing health check, a
   * route the service recorded nothing under, failures withdrawn beside ones that stand.
   */
  notes: string[];
  /**
   * started: sloctl spawned `command` (whether or not it then said UP); reached: its health said UP
   * (absent in reports before it was recorded: a known URL then counts as reached). src/report/target.ts.
   */
  target: { url: string; started: boolean; reached?: boolean; command?: string; log?: string };
  profile: { rate: number | 'max'; durationMs: number; warmupMs: number; connections: number; trials: number; workers: number };
  verdicts: ObjectiveVerdict[];
  /** A row per route of the load mix, both views; absent when no load was measured. */
  routes?: RouteReport[];
  trials: TrialMetrics[];
  baseline?: BaselineComparison;
  /** Set when --update-baseline wrote a new baseline. */
  baselineUpdated?: string;
  generator?: GeneratorHealth;
  /** The measured phase as the client saw it (all trials merged). */
  load?: LoadResult;
  /** Files the service's saturation monitor wrote during the run (read from its drill endpoint; [] when it has none or none was read). */
  serviceEvidence?: ServiceEvidenceFile[];
  /** Where the run journal (JSON lines) is. */
  journal: string;
  /** Restarts of the service seen during the measured phase (its start time changed, its request counter went down); absent when none. */
  serviceRestarts?: ServiceRestart[];
}
