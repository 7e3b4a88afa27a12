// The gate report as JSON (`sloctl gate --json`): the GateReport itself, in a stable key order.
//
// JSON has no NaN or Infinity. A number that could not be measured (NaN) is written as null; an
// unbounded one as the string "Infinity" or "-Infinity" (as `sloctl status --json` does). Keys
// appear in the order the report's types declare them (service, outcome, exitCode, reasons, ...
// for the report; contract, name, verdict, ... for a verdict), then any others alphabetically, at
// every depth; two runs of the same build differ only in their numbers.
import type { GateReport } from './types.ts';

/** JSON.stringify replacer: NaN -> null, ±Infinity -> "Infinity" / "-Infinity". */
export function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

/** Keys that lead, in this order, wherever they occur; the rest follow alphabetically. */
const LEADING = [
  // GateReport
  'service', 'contractFile', 'outcome', 'exitCode', 'reasons', 'startedAt', 'finishedAt', 'target', 'profile', 'verdicts', 'baseline', 'baselineUpdated', 'generator', 'trials', 'load', 'journal',
  // ObjectiveVerdict, MetricComparison, BaselineComparison
  'contract', 'name', 'metric', 'path', 'createdAt', 'commit', 'verdict', 'measured', 'objective', 'unit', 'direction', 'margin', 'client', 'baselineMedian', 'currentMedian', 'change', 'tolerance', 'test', 'pValue', 'alpha', 'reason', 'comparisons',
  // target, profile
  'url', 'started', 'command', 'log', 'rate', 'durationMs', 'warmupMs', 'connections', 'workers',
  // TrialMetrics
  'index', 'requests', 'p95Ms', 'errorRatio', 'memoryPerRequestBytes', 'throughput', 'latency',
] as const;
const RANK = new Map<string, number>(LEADING.map((k, i) => [k, i]));

function order(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  if (ra !== undefined) return -1;
  if (rb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A copy with every object's keys in the stable order (arrays keep their order). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort(order)) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
  return out;
}

export function renderJson(report: GateReport): string {
  return JSON.stringify(sortKeys(report), jsonSafe, 2);
}
