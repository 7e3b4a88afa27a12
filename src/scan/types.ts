// What the code check reports: the metrics a service's source registers, and the places it
// could not read. The contract check matches the contract's metric names against `metrics`;
// `warnings` tell the user where sloctl had to give up, so a "not registered" error is never
// silently wrong.

export type RegisteredMetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface RegisteredMetric {
  /** The full metric name as the exposition shows it (without `_bucket`/`_sum`/`_count`). */
  name: string;
  type: RegisteredMetricType;
  /** Path relative to the scanned directory, with `/` separators. */
  file: string;
  /**
   * 1-based line and column (UTF-16 code units, as editors count them). For an explicit
   * registration this is the name's expression inside the options (`name: '...'` in
   * prom-client, `Name: "..."` in client_golang); for a bulk registration (default metrics,
   * the SDK) it is the call that turns them on.
   */
  line: number;
  col: number;
  /** How it was registered, e.g. "prom-client new Histogram", "promauto.NewCounterVec". */
  via: string;
}

export interface ScanWarning {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface ScanResult {
  metrics: RegisteredMetric[];
  warnings: ScanWarning[];
  /** Source files read and parsed (files skipped for size are not counted). */
  filesScanned: number;
}
