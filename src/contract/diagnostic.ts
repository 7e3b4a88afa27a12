// What validate reports: one located finding, with a code a script can match on.
//
// Codes are stable (like fastify's FST_ERR_*): tests, editors and CI annotations key on them,
// while the message is free to improve.

export type Severity = 'error' | 'warning';
export type PathSegment = string | number;

export interface Position {
  line: number; // 1-based
  col: number; // 1-based
  endLine?: number;
  endCol?: number;
}

export interface Related extends Position {
  file: string;
  message: string;
}

export interface Diagnostic extends Position {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  file: string;
  /** Where in the contract, as a path of keys and indexes (empty for the whole document). */
  path?: PathSegment[];
  hint?: string;
  related?: Related[];
}

export const CODES = {
  SLO_YAML_SYNTAX: 'the file is not valid YAML',
  SLO_TOO_LARGE: 'a contract file larger than sloctl reads (1 MiB)',
  SLO_TOO_DEEP: 'mappings and lists nested deeper than sloctl reads (64 levels)',
  SLO_EMPTY: 'the file has no contract in it',
  SLO_NOT_MAPPING: 'the document is not a mapping of keys to values',
  SLO_MULTIPLE_DOCUMENTS: 'more than one YAML document in a contract file',
  SLO_UNKNOWN_KEY: 'a key the format does not have',
  SLO_MISSING_KEY: 'a required key is missing',
  SLO_INVALID_VALUE: 'a value of the wrong type, unit or range',
  SLO_OBJECTIVE_RANGE: 'an objective outside (0%, 100%)',
  SLO_WINDOW_BUCKETS: 'a window that is not a whole number of buckets',
  SLO_BUCKET_SCRAPE: 'a bucket shorter than the scrape interval',
  SLO_WEIGHTS_SUM: 'availability weights that do not sum to 1',
  SLO_PERCENTILE_ORDER: 'a lower percentile with a higher ceiling than a higher one',
  SLO_THRESHOLD_ORDER: 'a warn threshold not below its critical one',
  SLO_THRESHOLD_ABOVE_PERCENTILE: 'a latency threshold above its objective\'s largest percentile ceiling: looser than that ceiling, or a unit slip (a warning)',
  SLO_DRILL_HEALTH_WINDOW: 'a drill whose recoverWithin is shorter than the window the health endpoint judges, so health cannot read UP in time (a warning)',
  SLO_DRILL_LEAK_SHORT: 'a memory-leak drill too small to bring the heap to its warn level by its detection bound (a warning)',
  SLO_DRILL_UNDETECTABLE: 'an in-process drill no signal the drill judge reads can show: no saturation warn level its fault raises, and nothing else it moves (a warning)',
  SLO_LOOP_DELAY_FLOOR: 'an eventLoopDelay threshold (saturation or drift) at or under 25 ms, which an idle Node event loop already reads (a warning)',
  SLO_MIX_BODY_METHOD: 'a load.mix entry with a body on a GET or HEAD route: the generator sends it, and HTTP gives it no meaning there (a warning)',
  SLO_DEPENDENCY_BUDGET: 'a dependency timeout not below the latency threshold of a route that uses it',
  SLO_DRILL_LONGER_THAN_RUN: 'a drill that does not fit in the load run',
  SLO_DUPLICATE_NAME: 'two things of one kind with the same name',
  SLO_UNKNOWN_REFERENCE: 'a name that refers to nothing declared',
  SLO_BUDGET_UNMEASURABLE: 'an error budget smaller than one request of the load profile',
  SLO_PROMQL: 'a PromQL query that does not parse',
  SLO_CONTRACT_GAP: 'something a contract section needs is not declared',
  SLO_MIX_PATH: 'a load.mix entry whose requests cannot reach the route it names (its path does not match the route\'s template, or with --project differs from the path the code registers by a trailing / its router keeps apart), or that the load generator refuses (a placeholder without a param, a bad generator or header)',
  SLO_METRIC_NOT_REGISTERED: 'a metric the contract reads that the code does not register',
  SLO_DEPENDENCY_TIMEOUT: 'an outbound HTTP call without a timeout in the code',
  SLO_DEPENDENCY_TIMEOUT_LONGER: 'an outbound HTTP client whose timeout in the code is longer than its dependency\'s contract timeout (a warning)',
  SLO_DEPENDENCY_UNDECLARED: 'a dependency the code names through sloctl\'s SDK that the contract does not declare (the SDK refuses it at start)',
  SLO_DEPENDENCY_UNNAMED: 'a declared dependency the code, which uses sloctl\'s SDK, never names through it (its state is never reported)',
  SLO_SDK_ORDER: 'sloctl\'s SDK middleware mounted on an Express, Koa or Hono app after a route on that app, so that route\'s requests are never recorded (a warning)',
  SLO_SDK_ERRORS_UNSEEN: 'an error class matching thrown errors by name or code, on an Express service that mounts sloctl\'s middleware and never its errorHandler, so no thrown error reaches the classification (a warning)',
  SLO_DRAIN_NOT_SERVED: 'a Node contract whose drift action is drain, on code that calls instrument() and never sdk.serve(server), so the drain can only turn health DOWN (a warning)',
  SLO_METRIC_TYPE: 'a metric registered with another type than the contract reads',
  SLO_METRIC_UNCOVERED: 'an SLI-looking metric no contract reads',
  SLO_SCAN: 'a source file the code check could not read fully',
  SLO_ROUTE_NOT_REGISTERED: 'a contract route the code does not register',
  SLO_ROUTE_UNCOVERED: 'routes the code registers that no contract route covers',
  SLO_ROUTE_PARTIAL: 'routes the code check could not read statically, so the route check is partial',
  SLO_SDK_PATH_UNSERVED: 'a health or metrics path sloctl\'s Hono middleware never sees: registered under a basePath or mount prefix, it leaves the path to Hono\'s 404',
  SLO_BUCKET_MISSING: 'a latency threshold or percentile ceiling with no histogram bucket at it on the running service (validate --target)',
  SLO_LABEL_MISSING: 'a label the contract maps that the running service\'s series do not carry (validate --target)',
  SLO_METRIC_NOT_EXPOSED: 'a metric the contract reads that the running service does not expose (validate --target)',
  SLO_ROUTE_NO_SERIES: 'a contract route with no series of the request counter or latency histogram on the running service: not served yet, or the route label does not hold its template (validate --target, a warning)',
  SLO_ROUTE_LABEL_VALUES: 'a route label whose values on the running service are not route templates: raw paths, one value for every series, or names that are not paths (validate --target, a warning)',
  SLO_DEPENDENCY_NO_SERIES: 'a declared dependency with no series of the mapped metrics.dependencyUp gauge on the running service (validate --target, a warning)',
  SLO_METRIC_NO_SAMPLES: 'a metric the running service declares but has not observed yet, so its buckets or labels could not be checked (validate --target)',
  SLO_CONTRACT_JSON_STALE: 'a contract JSON beside the contract (slo.json, what sloctl\'s Go middleware loads) that differs from what the contract generates now',
  SLO_ERROR_CLASS_UNSEEN: 'error classes that the status label cannot show, so the service\'s own series never count them',
} as const;

export type DiagnosticCode = keyof typeof CODES;

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders findings the way a reader scans a file: by file, then line, then column. */
export function byLocation(a: Diagnostic, b: Diagnostic): number {
  // Most comparisons are within one file: skip the (slow) locale comparison for those.
  return (a.file === b.file ? 0 : a.file.localeCompare(b.file)) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code);
}
