// The contract as normalized JSON: what another runtime's SDK reads instead of parsing slo.yaml
// itself (`sloctl generate contract slo.yaml`). One parser, sloctl's: units are resolved to
// numbers (durations in milliseconds, every key that holds one ends in `Ms`; ratios in 0..1),
// defaults are applied, and what the Node SDK derives from the contract is written out as it
// derives it (the histogram buckets, each route's latency threshold, the health policy), so the Go
// middleware (go/sloctl) cannot drift from it.
//
// Keys come out in a fixed order (the order of the object literals below), absent optional values
// are null rather than missing, and `schemaVersion` says which shape this is: a reader refuses a
// version it does not know.
//
// Pure: a parsed contract in, text out.
import { HTTP_ROLES } from '../contract/metric-names.ts';
import type { Contract } from '../contract/schema.ts';
import { bucketsFor, latencyThresholds } from '../sdk/core/buckets.ts';
import { DEFAULT_WEIGHTS, HEALTH_WINDOW_DEFAULT_MS } from '../sdk/core/health.ts';
import { DEFAULT_SLI_CLASS, thresholdFor } from '../sdk/route-table.ts';

/** Bumped when a key changes meaning or goes away; adding keys keeps the version. */
export const CONTRACT_JSON_SCHEMA_VERSION = 1;

/** The health endpoint's defaults (src/sdk/instrument.ts HealthOptions); the contract's `health.window` replaces windowMs. */
export const HEALTH_DEFAULTS = Object.freeze({ windowMs: HEALTH_WINDOW_DEFAULT_MS, minRequests: 20, downBelow: 0.5 });

export interface ContractJsonOptions {
  /** The contract file as the user named it, recorded in `source`. */
  source?: string;
}

type StatusRange = [number, number];

/** A class's status matchers as inclusive ranges: 503 is [503, 503], "5xx" [500, 599], "500-504" [500, 504]. */
export function statusRanges(matchers: readonly (number | string)[] | undefined): StatusRange[] {
  const out: StatusRange[] = [];
  for (const m of matchers ?? []) {
    if (typeof m === 'number') {
      out.push([m, m]);
      continue;
    }
    const cls = /^([1-5])xx$/.exec(m);
    if (cls) {
      out.push([Number(cls[1]) * 100, Number(cls[1]) * 100 + 99]);
      continue;
    }
    const range = /^([1-5][0-9]{2})-([1-5][0-9]{2})$/.exec(m);
    if (range) out.push([Number(range[1]), Number(range[2])]);
  }
  return out;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** The normalized contract as a plain object, keys in their documented order. */
export function contractJson(c: Contract, opts: ContractJsonOptions = {}): Record<string, unknown> {
  const latency = c.objectives.latency ?? [];
  const latencyObjectives = latency.map((o) => o.objective);
  return {
    schemaVersion: CONTRACT_JSON_SCHEMA_VERSION,
    source: opts.source ?? null,
    service: { name: c.service.name, runtime: c.service.runtime },
    paths: { health: c.target?.health ?? '/healthz', metrics: c.target?.metrics ?? '/metrics' },
    errorClasses: c.errorClasses.map((e) => ({
      name: e.name,
      weight: e.good ? 0 : e.weight,
      good: e.good,
      status: statusRanges(e.status),
      errors: [...(e.errors ?? [])],
      codes: [...(e.codes ?? [])],
    })),
    probes: c.probes.map((p) => (typeof p === 'string'
      ? { path: p, method: null, userAgent: null }
      : { path: p.path, method: p.method ?? null, userAgent: p.userAgent ?? null })),
    routes: c.routes.map((r) => ({
      name: r.name,
      method: r.method,
      path: r.path,
      weight: r.weight,
      sliClass: r.class ?? DEFAULT_SLI_CLASS,
      thresholdMs: finiteOrNull(thresholdFor(c, r.name, r.latency)),
      dependencies: [...r.dependencies],
    })),
    // For a request on no contract route: the objective that covers all routes, if one does.
    defaultThresholdMs: finiteOrNull(thresholdFor(c, undefined, undefined)),
    dependencies: c.dependencies.map((d) => ({
      name: d.name,
      critical: d.critical,
      timeoutMs: d.timeout,
      url: d.url ?? null,
      breaker: d.breaker ? { errorThreshold: d.breaker.errorThreshold, resetTimeoutMs: d.breaker.resetTimeout, volumeThreshold: d.breaker.volumeThreshold } : null,
    })),
    health: {
      weights: { ...(c.objectives.availability?.weights ?? DEFAULT_WEIGHTS) },
      // The strictest latency objective and the errors objective: what the health endpoint's
      // latency and success checks compare the recent window with.
      latencyObjective: latencyObjectives.length > 0 ? Math.max(...latencyObjectives) : null,
      successObjective: c.objectives.errors?.objective ?? null,
      windowMs: c.health?.window ?? HEALTH_DEFAULTS.windowMs,
      minRequests: HEALTH_DEFAULTS.minRequests,
      downBelow: HEALTH_DEFAULTS.downBelow,
    },
    latencyThresholdsMs: latencyThresholds(c),
    // The histogram's upper bounds (src/sdk/core/buckets.ts); exported in seconds as ms / 1000.
    bucketsMs: bucketsFor(c),
    metricNames: Object.fromEntries(Object.entries(HTTP_ROLES).map(([role, m]) => [role, m.name])),
  };
}

/** The text `sloctl generate contract` writes: two-space indented JSON and a final newline. */
export function renderContractJson(c: Contract, opts: ContractJsonOptions = {}): string {
  return `${JSON.stringify(contractJson(c, opts), null, 2)}\n`;
}
