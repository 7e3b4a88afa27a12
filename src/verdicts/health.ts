// What a health endpoint said, as data: one probe's reading and the shares over a watched run.
// The prober and watcher (src/run/health.ts, health-watcher.ts) produce these; the judges read them.

export type HealthState = 'up' | 'degraded' | 'down' | 'unreachable';

export interface HealthProbe {
  state: HealthState;
  /** When the probe started (ms since the epoch) and how long it took. */
  at: number;
  ms: number;
  statusCode?: number;
  /** The JSON body's `status`, when there was one. */
  status?: string;
  /** Why there was no answer (unreachable), one line. */
  error?: string;
  /** What a JSON body said about its checks, when it said anything. */
  body?: HealthBody;
}

/** A check the health body reports as failing, with its reason when the body gives one. */
export interface FailingCheck {
  /** The check's name as the body gives it: "liveness", "latency", "sqlite"... */
  name: string;
  status: string;
  reason?: string;
  /** How far back the check looked (the SDK's ratio checks judge the last `windowMs` of requests). */
  windowMs?: number;
}

/**
 * What a health body says beyond its status. The SDK's body (src/sdk/core/health.ts) is read
 * exactly: `checks.liveness`, `checks.latency`, `checks.success`, `checks.dependencies` (with
 * `details` per dependency). Other bodies are read for what they commonly carry: `checks`,
 * `components` (Spring Boot), `dependencies` or `details` holding entries with a `status` and a
 * `reason` / `error` / `message` / `output`.
 */
export interface HealthBody {
  /** The process serves and is not draining (the SDK's liveness check); undefined when the body does not say. */
  live?: boolean;
  /** The SDK's four checks: true when the check scores 1 (UP or UNKNOWN), false when DOWN. */
  checks?: { liveness: boolean; latency: boolean; success: boolean; dependencies: boolean };
  /** Checks and dependencies reported as failing, innermost first (a dependency before its group). */
  failing: FailingCheck[];
  /**
   * How far back the SDK's ratio checks (latency, success) look at this probe: the last `windowMs`
   * of requests (its recent window, shorter while the process is younger than it). Its composite
   * availability gauge judges the same requests.
   */
  windowMs?: number;
}

export interface HealthStats {
  probes: number;
  /** Probes by state. */
  counts: Record<HealthState, number>;
  /** Share of the watched time the endpoint said UP, 0..1; NaN before the first probe completed. */
  upShare: number;
  /**
   * Share of the watched time the process was live: the body's liveness check UP (the SDK's), or
   * for a body that does not say, an answer that is UP or DEGRADED. NaN before the first probe.
   */
  liveShare: number;
  /**
   * The SDK's four checks: share of the watched time each scored 1 (UP or UNKNOWN), over the time
   * the body reported them; absent when no probe carried them.
   */
  checkShares?: { liveness: number; latency: number; success: number; dependencies: number };
  /** Every check the body reported failing during the watched time, with its last reason and how long it failed. */
  failing: Array<FailingCheck & { ms: number; share: number }>;
  /** Milliseconds of watched time (from the first probe's start to the last probe's end or now). */
  watchedMs: number;
  consecutiveFailures: number;
  last?: HealthProbe;
}
