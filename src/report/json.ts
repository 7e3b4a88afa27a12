// The gate report as JSON (`sloctl gate --json`): the GateReport itself, in a stable key order.
//
// JSON has no NaN or Infinity. A number that could not be measured (NaN) is written as null; an
// unbounded one as the string "Infinity" or "-Infinity" (as `sloctl status --json` does). Keys
// appear in a fixed order whatever order the report was built in: the report, its verdicts,
// baseline comparisons and trials in the order their types declare (the outcome near the top),
// everything else (the load result, latency summaries) alphabetically, at every depth.
import type { GateReport } from '../verdicts/types.ts';

/**
 * JSON.stringify replacer: NaN -> null, ±Infinity -> "Infinity" / "-Infinity"; a Map -> an object
 * of its entries (keys as strings: a bucket bound Infinity is "Infinity"), a Set -> an array.
 * JSON.stringify alone writes a Map or a Set as `{}`: the drill journal's service scrapes
 * (ServiceRoutes, by route, with Maps of buckets and error classes) were written as `"routes":{}`.
 */
export function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity';
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
  if (v instanceof Set) return [...v];
  return v;
}

/** Each shape's keys in the order its type declares them; the children that have a shape of their own. */
interface Shape {
  keys: readonly string[];
  children?: Record<string, Shape>;
}
const CAUSE: Shape = { keys: ['route', 'view', 'value', 'unit', 'detail'] };
const PART: Shape = { keys: ['name', 'weight', 'client', 'service', 'detail', 'shortestTrial'] };
const EVIDENCE: Shape = { keys: ['kind', 'level', 'value', 'offsetMs', 'url', 'path', 'bytes', 'truncated', 'top', 'error'] };
const VERDICT: Shape = { keys: ['contract', 'name', 'verdict', 'measured', 'objective', 'unit', 'direction', 'margin', 'client', 'service', 'reason', 'routes', 'parts', 'thresholds', 'series', 'peakAt', 'evidence'], children: { routes: CAUSE, parts: PART, thresholds: { keys: ['warn', 'critical'] }, peakAt: { keys: ['trial', 'trials', 'offsetMs'] }, evidence: EVIDENCE } };
const SERVICE_EVIDENCE: Shape = { keys: ['file', 'dir', 'signal', 'level', 'objective', 'bytes', 'at'] };
const NUMBERS: Shape = { keys: ['requests', 'p50', 'p95', 'p99', 'withinThreshold', 'weightedErrors', 'errorRatio', 'errorsByClass', 'refusedByClass', 'restarting', 'notFound', 'lowestBucketMs'] };
const ROUTE: Shape = { keys: ['route', 'name', 'method', 'path', 'thresholdMs', 'client', 'service', 'causes'], children: { client: NUMBERS, service: NUMBERS } };
const COMPARISON: Shape = { keys: ['metric', 'unit', 'baseline', 'current', 'baselineMedian', 'currentMedian', 'change', 'tolerance', 'allowance', 'test', 'pValue', 'alpha', 'verdict', 'reason', 'withheld', 'withheldBy', 'routes'], children: { routes: { keys: ['route', 'baselineMedian', 'currentMedian', 'change', 'pValue', 'verdict'] } } };
const BASELINE: Shape = { keys: ['path', 'createdAt', 'commit', 'comparisons', 'verdict'], children: { comparisons: COMPARISON } };
const TRIAL: Shape = { keys: ['index', 'startedAt', 'durationMs', 'requests', 'p95Ms', 'errorRatio', 'memoryPerRequestBytes', 'throughput', 'latency', 'machine', 'routes'], children: { routes: { keys: ['route', 'requests', 'p95Ms', 'errorRatio'] } } };
const REPORT: Shape = {
  keys: ['service', 'contractFile', 'outcome', 'exitCode', 'reasons', 'notes', 'startedAt', 'finishedAt', 'target', 'profile', 'verdicts', 'serviceEvidence', 'routes', 'baseline', 'baselineUpdated', 'generator', 'serviceRestarts', 'trials', 'load', 'journal'],
  children: {
    target: { keys: ['url', 'started', 'command', 'log'] },
    profile: { keys: ['rate', 'durationMs', 'warmupMs', 'connections', 'trials', 'workers'] },
    verdicts: VERDICT,
    serviceEvidence: SERVICE_EVIDENCE,
    routes: ROUTE,
    baseline: BASELINE,
    trials: TRIAL,
    serviceRestarts: { keys: ['offsetMs', 'seenAtMs', 'evidence'] },
  },
};
/** Objects of no declared shape (the load result, latency summaries...): alphabetical. */
const ALPHABETICAL: Shape = { keys: [] };

function keyOrder(shape: Shape): (a: string, b: string) => number {
  return (a, b) => {
    const ra = shape.keys.indexOf(a);
    const rb = shape.keys.indexOf(b);
    if (ra >= 0 && rb >= 0) return ra - rb;
    if (ra >= 0) return -1;
    if (rb >= 0) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

/** A copy with every object's keys in its shape's order (arrays keep their order). */
function sortKeys(v: unknown, shape: Shape): unknown {
  if (Array.isArray(v)) return v.map((x) => sortKeys(x, shape));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort(keyOrder(shape))) if (o[k] !== undefined) out[k] = sortKeys(o[k], shape.children?.[k] ?? ALPHABETICAL);
  return out;
}

export function renderJson(report: GateReport): string {
  return JSON.stringify(sortKeys(report, REPORT), jsonSafe, 2);
}
