// Semantic checks: rules that involve more than one value, or numbers that parse but cannot be
// meant (a 150% objective, a dependency timeout longer than the latency budget it sits in).
//
// Pure: a typed contract in, findings with contract paths out. Turning paths into line:column
// is the loader's job, so these rules stay easy to test and to read.
import type { DiagnosticCode, PathSegment, Severity } from './diagnostic.ts';
import { checkMixPaths } from './mix-paths.ts';
import { checkMixBodies } from './mix-body.ts';
import { detectingThreshold, drillDetection, whyNothingElse } from './drill-detection.ts';
import { unmeasuredDependencies, UNMEASURED_DEPENDENCIES_FIX } from './availability-parts.ts';
import { checkLabelMatchers, checkPromql } from './promql.ts';
import { DRILL_FIELD_FAULTS, IN_PROCESS_FAULTS, PROXY_FAULTS, type Contract, type Drill, type LatencyObjective, type Route } from './schema.ts';
import { closest } from './suggest.ts';
import { formatBytes, formatDuration, formatElapsed, formatPercent, formatRate } from './units.ts';
import { cannotReachAlpha, DEFAULT_ALPHA } from '../verdicts/stats.ts';
import { DEFAULT_LEAK_BYTES_PER_SECOND } from '../drill/plan.ts';
import { HEALTH_WINDOW_DEFAULT_MS } from '../sdk/core/health.ts';
import { LEAK_MAX_BYTES } from '../sdk/drill/types.ts';
import { PERCENTILE_QUANTILE } from './percentiles.ts';

export interface Finding {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  path: PathSegment[];
  /** Locate at the mapping key instead of the value. */
  at?: 'key' | 'value';
  /** For findings inside a string value (PromQL): offset into that string. */
  offset?: number;
  hint?: string;
  related?: Array<{ path: PathSegment[]; message: string }>;
}

/** What validation knows beyond the contract: the stored baseline's trial count, when it read one; the source text of a value. */
export interface SemanticContext {
  baselineTrials?: number;
  /** A scalar as the file writes it (`200s`, where the contract holds 200000), for messages in the writer's own terms. */
  written?: (path: readonly PathSegment[]) => string | undefined;
}

type Check = (c: Contract, out: Finding[], context: SemanticContext) => void;

const error = (code: DiagnosticCode, path: PathSegment[], message: string, extra: Partial<Finding> = {}): Finding => ({
  code, severity: 'error', message, path, ...extra,
});
const warning = (code: DiagnosticCode, path: PathSegment[], message: string, extra: Partial<Finding> = {}): Finding => ({
  code, severity: 'warning', message, path, ...extra,
});

/** Every objective in the contract, with where it sits and what it is called. */
function objectivesOf(c: Contract): Array<{ name: string; kind: string; objective: number; path: PathSegment[] }> {
  const out: Array<{ name: string; kind: string; objective: number; path: PathSegment[] }> = [];
  c.objectives.latency?.forEach((o, i) => out.push({ name: o.name, kind: 'latency', objective: o.objective, path: ['objectives', 'latency', i, 'objective'] }));
  if (c.objectives.errors) out.push({ name: c.objectives.errors.name, kind: 'errors', objective: c.objectives.errors.objective, path: ['objectives', 'errors', 'objective'] });
  if (c.objectives.availability) {
    const a = c.objectives.availability;
    out.push({ name: a.name, kind: 'availability', objective: a.objective, path: ['objectives', 'availability', 'objective'] });
  }
  c.slis.forEach((s, i) => out.push({ name: s.name, kind: 'custom SLI', objective: s.objective, path: ['slis', i, 'objective'] }));
  return out;
}

const objectiveRange: Check = (c, out) => {
  const all = [...objectivesOf(c)];
  c.objectives.resilience?.drills.forEach((d, i) => {
    if (d.degraded?.latency) all.push({ name: d.name, kind: 'degraded latency', objective: d.degraded.latency.objective, path: ['objectives', 'resilience', 'drills', i, 'degraded', 'latency', 'objective'] });
    if (d.degraded?.errors !== undefined) all.push({ name: d.name, kind: 'degraded errors', objective: d.degraded.errors, path: ['objectives', 'resilience', 'drills', i, 'degraded', 'errors'] });
  });
  for (const o of all) {
    if (o.objective > 0 && o.objective < 1) continue;
    const why =
      o.objective >= 1 && o.objective === 1
        ? 'leaves no error budget at all: one slow or failed request breaks it'
        : o.objective > 1
          ? 'is more than every event'
          : 'promises nothing';
    out.push(error('SLO_OBJECTIVE_RANGE', o.path, `objective ${formatPercent(o.objective)} of ${o.kind} "${o.name}" is outside (0%, 100%): it ${why}`, {
      hint: 'an objective is the share of good events over the window, e.g. 99.5%',
    }));
  }
};

const windowFitsBuckets: Check = (c, out) => {
  if (typeof c.window === 'number') {
    if (c.window % c.bucket !== 0) {
      out.push(error('SLO_WINDOW_BUCKETS', ['window'], `the window ${formatDuration(c.window)} is not a whole number of ${formatDuration(c.bucket)} buckets (${(c.window / c.bucket).toFixed(2)})`, {
        hint: `choose a bucket that divides the window, e.g. ${formatDuration(gcdBucket(c.window, c.bucket))}`,
      }));
    }
  } else if (86_400_000 % c.bucket !== 0) {
    out.push(error('SLO_WINDOW_BUCKETS', ['bucket'], `a calendar window needs buckets that divide a day; ${formatDuration(c.bucket)} does not`, { hint: 'use 1m, 5m, 1h or another divisor of 24h' }));
  }
  if (c.bucket < c.scrapeInterval) {
    out.push(error('SLO_BUCKET_SCRAPE', ['bucket'], `the bucket ${formatDuration(c.bucket)} is shorter than the scrape interval ${formatDuration(c.scrapeInterval)}: some buckets would have no sample`, {
      hint: `make the bucket at least ${formatDuration(c.scrapeInterval)}, or scrape more often`,
      related: [{ path: ['scrapeInterval'], message: 'the scrape interval is set here' }],
    }));
  }
};

function gcdBucket(window: number, bucket: number): number {
  let a = window;
  let b = bucket;
  while (b > 0) [a, b] = [b, a % b];
  return a;
}

/** The longest a window can be: a calendar month is at least 28 days. */
function windowLengthMs(w: Contract['window']): number {
  return typeof w === 'number' ? w : w.calendar === 'week' ? 7 * 86_400_000 : 28 * 86_400_000;
}

const alertTiersFit: Check = (c, out) => {
  const visit = (alerting: Contract['slis'][number]['alerting'], base: PathSegment[], windowMs = windowLengthMs(c.window)) => {
    if (!alerting) return;
    for (const severity of ['page', 'ticket'] as const) {
      const tiers = alerting[severity];
      if (!tiers) continue;
      tiers.forEach((t, i) => {
        const path = [...base, 'alerting', severity, i];
        if (t.short >= t.long) out.push(error('SLO_INVALID_VALUE', [...path, 'short'], `the short window ${formatDuration(t.short)} must be shorter than the long window ${formatDuration(t.long)}`, { hint: 'the SRE workbook uses a short window of 1/12 of the long one (1h with 5m)' }));
        if (t.long > windowMs) out.push(error('SLO_INVALID_VALUE', [...path, 'long'], `the long window ${formatDuration(t.long)} is longer than the SLO window ${formatDuration(windowMs)}`));
      });
    }
  };
  c.objectives.latency?.forEach((o, i) => visit(o.alerting, ['objectives', 'latency', i]));
  visit(c.objectives.errors?.alerting, ['objectives', 'errors']);
  visit(c.objectives.availability?.alerting, ['objectives', 'availability']);
  c.slis.forEach((s, i) => visit(s.alerting, ['slis', i], windowLengthMs(s.window ?? c.window)));
};

const availabilityWeights: Check = (c, out) => {
  const a = c.objectives.availability;
  if (!a) return;
  const w = a.weights;
  const sum = w.health + w.latency + w.success + w.dependencies;
  if (Math.abs(sum - 1) > 1e-9) {
    out.push(error('SLO_WEIGHTS_SUM', ['objectives', 'availability', 'weights'], `availability weights sum to ${+sum.toFixed(6)}, not 1 (health ${w.health} + latency ${w.latency} + success ${w.success} + dependencies ${w.dependencies})`, {
      at: 'key',
      hint: 'the composite is a weighted average: the defaults are 0.3 / 0.25 / 0.25 / 0.2',
    }));
  }
};

const percentileOrder: Check = (c, out) => {
  const order = ['p50', 'p90', 'p95', 'p99', 'p999'] as const;
  c.objectives.latency?.forEach((o, i) => {
    const p = o.percentiles;
    if (!p) return;
    const declared = order.filter((k) => p[k] !== undefined);
    for (let j = 0; j + 1 < declared.length; j++) {
      const lo = declared[j];
      const hi = declared[j + 1];
      if (p[lo]! > p[hi]!) {
        out.push(error('SLO_PERCENTILE_ORDER', ['objectives', 'latency', i, 'percentiles', lo], `${lo} ceiling ${formatDuration(p[lo]!)} is above the ${hi} ceiling ${formatDuration(p[hi]!)}: ${lo} can never exceed ${hi}`, {
          hint: `lower ${lo} or raise ${hi}`,
          related: [{ path: ['objectives', 'latency', i, 'percentiles', hi], message: `${hi} is set here` }],
        }));
      }
    }
  });
};

const thresholdOrder: Check = (c, out) => {
  const pairs: Array<[PathSegment[], { warn: number; critical: number } | undefined, (v: number) => string]> = [
    [['objectives', 'memory', 'heap'], c.objectives.memory?.heap, formatBytes],
    [['objectives', 'memory', 'rss'], c.objectives.memory?.rss, formatBytes],
    [['objectives', 'concurrency', 'eventLoopDelay'], c.objectives.concurrency?.eventLoopDelay, formatDuration],
    [['objectives', 'concurrency', 'eventLoopUtilization'], c.objectives.concurrency?.eventLoopUtilization, formatPercent],
    [['objectives', 'concurrency', 'inFlight'], c.objectives.concurrency?.inFlight, String],
    [['objectives', 'concurrency', 'handles'], c.objectives.concurrency?.handles, String],
    [['objectives', 'concurrency', 'goroutines'], c.objectives.concurrency?.goroutines, String],
  ];
  for (const [path, t, fmt] of pairs) {
    if (t && t.warn >= t.critical) {
      out.push(error('SLO_THRESHOLD_ORDER', [...path, 'warn'], `warn (${fmt(t.warn)}) must be below critical (${fmt(t.critical)}): a warning is the early signal before the critical one`, {
        related: [{ path: [...path, 'critical'], message: 'critical is set here' }],
      }));
    }
  }
  const elu = c.objectives.concurrency?.eventLoopUtilization;
  if (elu && elu.critical > 1) out.push(error('SLO_INVALID_VALUE', ['objectives', 'concurrency', 'eventLoopUtilization', 'critical'], 'event-loop utilization cannot exceed 100%'));
};

/** Each latency objective's route list as a set (undefined: it covers every route), built once per contract. */
function coverage(c: Contract): Array<Set<string> | undefined> {
  return (c.objectives.latency ?? []).map((o) => (o.routes ? new Set(o.routes) : undefined));
}

/** The latency threshold a route lives under: its own, else the tightest objective covering it. */
function routeThreshold(c: Contract, route: Route, routeIndex: number, covered = coverage(c)): { ms: number; path: PathSegment[] } | undefined {
  if (route.latency !== undefined) return { ms: route.latency, path: ['routes', routeIndex, 'latency'] };
  let best: { ms: number; path: PathSegment[] } | undefined;
  c.objectives.latency?.forEach((o: LatencyObjective, i) => {
    if (covered[i] && !covered[i].has(route.name)) return;
    if (!best || o.threshold < best.ms) best = { ms: o.threshold, path: ['objectives', 'latency', i, 'threshold'] };
  });
  return best;
}

const dependencyBudget: Check = (c, out) => {
  const deps = new Map(c.dependencies.map((d, i) => [d.name, { d, i }]));
  const depNames = [...deps.keys()];
  const covered = coverage(c);
  const suggest = suggester();
  c.routes.forEach((route, r) => {
    route.dependencies.forEach((depName, k) => {
      const found = deps.get(depName);
      if (!found) {
        const guess = suggest(depName, depNames);
        out.push(error('SLO_UNKNOWN_REFERENCE', ['routes', r, 'dependencies', k], `route "${route.name}" uses dependency "${depName}", which is not declared under dependencies`, {
          hint: guess ? `did you mean "${guess}"?` : 'declare it under `dependencies:` with its timeout',
        }));
        return;
      }
      const threshold = routeThreshold(c, route, r, covered);
      if (!threshold) return;
      if (found.d.timeout >= threshold.ms) {
        out.push(error('SLO_DEPENDENCY_BUDGET', ['dependencies', found.i, 'timeout'], `dependency "${depName}" times out after ${formatDuration(found.d.timeout)}, not below the ${formatDuration(threshold.ms)} latency threshold of route "${route.name}": a request that waits the whole timeout has already missed its objective`, {
          hint: `lower the timeout below ${formatDuration(threshold.ms)} (leave room for the route's own work), or raise the threshold`,
          related: [{ path: threshold.path, message: `the ${formatDuration(threshold.ms)} threshold of route "${route.name}"` }],
        }));
      }
    });
  });
};

const dependencyPolicy: Check = (c, out) => {
  const policy = c.objectives.dependencies;
  if (!policy) return;
  const applies = (rule: 'critical' | 'all' | 'none', critical: boolean) => rule === 'all' || (rule === 'critical' && critical);
  c.dependencies.forEach((d, i) => {
    if (applies(policy.requireBreaker, d.critical) && !d.breaker) {
      out.push(error('SLO_CONTRACT_GAP', ['dependencies', i], `dependency "${d.name}" declares no breaker, and the dependencies contract requires one for ${policy.requireBreaker === 'all' ? 'every dependency' : 'critical dependencies'}`, {
        hint: 'add `breaker: {}` (defaults: 50% errors open it, 10s reset) or set `critical: false`',
      }));
    }
    if (applies(policy.requireFallback, d.critical) && !d.fallback) {
      out.push(error('SLO_CONTRACT_GAP', ['dependencies', i], `dependency "${d.name}" declares no fallback, and the dependencies contract requires one`, { hint: 'describe what the service answers without it: `fallback: cached prices`' }));
    }
  });
};

/**
 * A critical dependency the availability composite cannot measure: the contract maps its metrics
 * (not sloctl's SDK, which exports sloctl_dependency_up) and no `metrics.dependencyUp` gauge. The
 * rules and `status` leave the part out and renormalise the others (availability-parts.ts); say so
 * where the dependency is declared, with the fix.
 */
const availabilityDependencies: Check = (c, out) => {
  const u = unmeasuredDependencies(c);
  if (!u) return;
  c.dependencies.forEach((d, i) => {
    if (!u.dependencies.includes(d.name)) return;
    const lost = u.measuredWeight > 0
      ? `availability leaves out its dependencies part (weight ${u.weight}) and renormalises the health, latency and success parts: a down ${d.name} does not lower it`
      : 'availability weighs only its dependencies part, so it is never measured';
    out.push(warning('SLO_CONTRACT_GAP', ['dependencies', i, 'critical'], `critical dependency "${d.name}" has no gauge to read whether it is up: the contract maps its metrics (\`metrics.labels\`) but no \`metrics.dependencyUp\`, so ${lost}`, {
      at: 'key',
      hint: UNMEASURED_DEPENDENCIES_FIX,
      related: [{ path: ['objectives', 'availability'], message: `the availability objective (dependencies weight ${u.weight})` }],
    }));
  });
};

const duplicateNames: Check = (c, out) => {
  const groups: Array<[string, Array<{ name: string; path: PathSegment[] }>]> = [
    ['route', c.routes.map((r, i) => ({ name: r.name, path: ['routes', i, 'name'] }))],
    ['dependency', c.dependencies.map((d, i) => ({ name: d.name, path: ['dependencies', i, 'name'] }))],
    ['error class', c.errorClasses.map((e, i) => ({ name: e.name, path: ['errorClasses', i, 'name'] }))],
    ['drill', (c.objectives.resilience?.drills ?? []).map((d, i) => ({ name: d.name, path: ['objectives', 'resilience', 'drills', i, 'name'] }))],
    ['SLO', sloNames(c)],
  ];
  for (const [kind, items] of groups) {
    const seen = new Map<string, PathSegment[]>();
    for (const item of items) {
      const first = seen.get(item.name);
      if (first) {
        out.push(error('SLO_DUPLICATE_NAME', item.path, `${kind} name "${item.name}" is used twice`, {
          hint: 'names identify rules, series and report rows: give each its own',
          related: [{ path: first, message: 'first used here' }],
        }));
      } else seen.set(item.name, item.path);
    }
  }
};

/** Names of everything that becomes an SLO (and so a rule name); shared with the cross-file check. */
export function sloNames(c: Contract): Array<{ name: string; path: PathSegment[] }> {
  const out: Array<{ name: string; path: PathSegment[] }> = [];
  c.objectives.latency?.forEach((o, i) => out.push({ name: o.name, path: ['objectives', 'latency', i, 'name'] }));
  if (c.objectives.errors) out.push({ name: c.objectives.errors.name, path: ['objectives', 'errors', 'name'] });
  if (c.objectives.throughput) out.push({ name: c.objectives.throughput.name, path: ['objectives', 'throughput', 'name'] });
  if (c.objectives.availability) out.push({ name: c.objectives.availability.name, path: ['objectives', 'availability', 'name'] });
  c.slis.forEach((s, i) => out.push({ name: s.name, path: ['slis', i, 'name'] }));
  return out;
}

/**
 * "Did you mean" costs one edit distance per declared name, so thousands of bad references to
 * thousands of names would make validation quadratic. Bounded twice: over at most 1,000 declared
 * names (no real contract declares more routes or dependencies), and for the first 200 distinct
 * misspellings of a check (as many as the text output prints); past that, the hint lists names.
 */
const MAX_SUGGESTION_CANDIDATES = 1000;
const MAX_SUGGESTIONS = 200;

function suggester(): (name: string, known: readonly string[]) => string | undefined {
  const memo = new Map<string, string | undefined>();
  return (name, known) => {
    if (known.length > MAX_SUGGESTION_CANDIDATES) return undefined;
    if (memo.has(name)) return memo.get(name);
    if (memo.size >= MAX_SUGGESTIONS) return undefined;
    const guess = closest(name, known);
    memo.set(name, guess);
    return guess;
  };
}

/** `a, b, c` — or the first ten and how many more, so a hint stays one line whatever the file holds. */
function listSome(names: readonly string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

const references: Check = (c, out) => {
  const routeNames = c.routes.map((r) => r.name);
  const latencyNames = (c.objectives.latency ?? []).map((o) => o.name);
  const depNames = c.dependencies.map((d) => d.name);
  const sets = new Map<string[], Set<string>>();
  const suggest = suggester();
  const check = (name: string, known: string[], path: PathSegment[], what: string, where: string) => {
    let set = sets.get(known);
    if (!set) sets.set(known, (set = new Set(known)));
    if (set.has(name)) return;
    const guess = suggest(name, known);
    out.push(error('SLO_UNKNOWN_REFERENCE', path, `${what} "${name}" is not declared${where}`, {
      hint: guess ? `did you mean "${guess}"?` : known.length ? `declared: ${listSome(known)}` : `declare it first`,
    }));
  };
  c.objectives.latency?.forEach((o, i) => o.routes?.forEach((r, k) => check(r, routeNames, ['objectives', 'latency', i, 'routes', k], 'route', ' under routes')));
  c.objectives.errors?.routes?.forEach((r, k) => check(r, routeNames, ['objectives', 'errors', 'routes', k], 'route', ' under routes'));
  c.objectives.throughput?.atLatency?.forEach((n, k) => check(n, latencyNames, ['objectives', 'throughput', 'atLatency', k], 'latency objective', ' under objectives.latency'));
  c.load?.mix.forEach((m, i) => check(m.route, routeNames, ['load', 'mix', i, 'route'], 'route', ' under routes'));
  c.objectives.resilience?.drills.forEach((d, i) => {
    const path: PathSegment[] = ['objectives', 'resilience', 'drills', i];
    if (d.dependency !== undefined) check(d.dependency, depNames, [...path, 'dependency'], 'dependency', ' under dependencies');
    checkDrillFields(c, d, path, out);
  });
  c.objectives.drift?.signals.forEach((s, i) => {
    if (s.signal === 'latency' && s.objective !== undefined) check(s.objective, latencyNames, ['objectives', 'drift', 'signals', i, 'objective'], 'latency objective', ' under objectives.latency');
  });
};

/**
 * What a drill needs to be runnable, field by field: a proxy fault attacks a declared dependency
 * with a `url` (the fault proxy forwards there), an in-process fault runs in the service and names
 * none; each optional field belongs to some faults only (one set on another fault would be
 * silently ignored, the drill then not testing what its author wrote).
 */
function checkDrillFields(c: Contract, d: Drill, path: PathSegment[], out: Finding[]): void {
  const proxy = (PROXY_FAULTS as readonly string[]).includes(d.fault);
  if (proxy && d.dependency === undefined) {
    out.push(error('SLO_CONTRACT_GAP', [...path, 'fault'], `${aFault(d.fault)} drill runs through the fault proxy in front of a dependency: name it with \`dependency:\``, {
      hint: c.dependencies.length ? `declared: ${listSome(c.dependencies.map((x) => x.name))}` : 'declare the dependency under `dependencies:` with its `url`',
    }));
  }
  if (proxy && d.dependency !== undefined) {
    const i = c.dependencies.findIndex((x) => x.name === d.dependency);
    if (i >= 0 && c.dependencies[i].url === undefined) {
      out.push(error('SLO_CONTRACT_GAP', [...path, 'dependency'], `drill "${d.name}" attacks dependency "${d.dependency}", which declares no \`url\`: the fault proxy has nowhere to forward to`, {
        hint: `add \`url:\` (where the service reaches ${d.dependency}, e.g. http://127.0.0.1:8081) to the dependency`,
        related: [{ path: ['dependencies', i], message: 'declared here' }],
      }));
    }
  }
  if (!proxy && d.dependency !== undefined) {
    out.push(error('SLO_INVALID_VALUE', [...path, 'dependency'], `${aFault(d.fault)} fault runs inside the service (through sloctl/sdk's drill endpoint), not on a dependency: \`dependency: ${d.dependency}\` would be ignored`, {
      at: 'key',
      hint: `remove \`dependency:\`, or drill ${d.dependency} with a proxy fault (${PROXY_FAULTS.join(', ')})`,
    }));
  }
  for (const [field, faults] of Object.entries(DRILL_FIELD_FAULTS)) {
    if (field === 'dependency' || d[field as keyof Drill] === undefined || (faults as readonly string[]).includes(d.fault)) continue;
    out.push(error('SLO_INVALID_VALUE', [...path, field], `\`${field}\` does not apply to ${aFault(d.fault)} fault: it would be ignored`, {
      at: 'key',
      hint: `\`${field}\` is for ${faults.join(' and ')} faults; remove it, or change \`fault:\``,
    }));
  }
  if ((d.fault === 'latency' || d.fault === 'event-loop-block') && d.delay === undefined) {
    out.push(error('SLO_CONTRACT_GAP', [...path, 'fault'], `${aFault(d.fault)} drill needs \`delay:\` (${d.fault === 'latency' ? 'how late the dependency answers, e.g. 1s' : 'how long each block lasts, e.g. 300ms'})`));
  }
  if (d.fault === 'bandwidth' && d.rate === undefined) {
    out.push(error('SLO_CONTRACT_GAP', [...path, 'fault'], 'a bandwidth drill needs `rate:` (the bytes per second the link carries, e.g. 100KB/s)'));
  }
  if (d.fault === 'bandwidth' && d.rate !== undefined && d.rate < 1000) {
    out.push(error('SLO_INVALID_VALUE', [...path, 'rate'], `a bandwidth of ${formatBytes(d.rate)}/s is below the fault proxy's resolution of 1KB/s`, { hint: 'write at least 1KB/s' }));
  }
  if (d.fault === 'event-loop-block' && d.delay !== undefined && d.delay >= (d.every ?? DEFAULT_BLOCK_EVERY_MS)) {
    out.push(error('SLO_INVALID_VALUE', [...path, d.every === undefined ? 'delay' : 'every'], `blocks of ${formatDuration(d.delay)} cannot start every ${formatDuration(d.every ?? DEFAULT_BLOCK_EVERY_MS)}${d.every === undefined ? ' (the default `every`)' : ''}: each must end before the next begins`, {
      hint: `set \`every:\` above ${formatDuration(d.delay)}, e.g. ${formatDuration(d.delay * 3)}`,
    }));
  }
  // The judge looks for the service's own signals only while the fault is in place: past its end,
  // whatever shows is the recovery, not detection.
  if (d.detectWithin > d.duration) {
    out.push(error('SLO_INVALID_VALUE', [...path, 'detectWithin'], `drill "${d.name}" removes its fault after ${formatDuration(d.duration)}, before its detection bound of ${formatDuration(d.detectWithin)}: a detection that late can never be observed, since the fault is gone by then`, {
      hint: `lower detectWithin to at most ${formatDuration(d.duration)}, or lengthen duration`,
      related: [{ path: [...path, 'duration'], message: 'the fault lasts this long' }],
    }));
  }
}

/** "an error", "a latency": a fault name with its article. */
const aFault = (fault: string) => `${/^[aeiou]/.test(fault) ? 'an' : 'a'} ${fault}`;

/** event-loop-block's period when the drill names none (sloctl/sdk's default too). */
export const DEFAULT_BLOCK_EVERY_MS = 1000;

const statusRanges: Check = (c, out) => {
  c.errorClasses.forEach((e, i) => e.status?.forEach((s, k) => {
    if (typeof s !== 'string' || !s.includes('-')) return;
    const [lo, hi] = s.split('-').map(Number);
    if (lo > hi) out.push(error('SLO_INVALID_VALUE', ['errorClasses', i, 'status', k], `status range "${s}" is empty: it starts above where it ends`, { hint: `write "${hi}-${lo}"` }));
  }));
};

const drillsFitRun: Check = (c, out) => {
  const drills = c.objectives.resilience?.drills;
  if (!drills) return;
  if (!c.load) {
    out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'resilience'], 'drills run under the load profile, and this contract has no `load` section: drill and accept cannot run them', { at: 'key' }));
    return;
  }
  const run = c.load.duration;
  drills.forEach((d, i) => {
    if (d.duration > run) {
      out.push(error('SLO_DRILL_LONGER_THAN_RUN', ['objectives', 'resilience', 'drills', i, 'duration'], `drill "${d.name}" lasts ${formatDuration(d.duration)}, longer than the ${formatDuration(run)} load run it happens in`, {
        hint: `shorten the drill, or lengthen load.duration to at least ${formatDuration(d.duration)}`,
        related: [{ path: ['load', 'duration'], message: 'the load run is set here' }],
      }));
    }
  });
};

const budgetMeasurable: Check = (c, out) => {
  if (!c.load) return;
  const totalMix = c.load.mix.reduce((s, m) => s + m.weight, 0);
  if (totalMix === 0) {
    out.push(error('SLO_INVALID_VALUE', ['load', 'mix'], 'every mix weight is 0: the load would send nothing'));
    return;
  }
  const requests = c.load.rate * (c.load.duration / 1000);
  const shareOf = (routes: string[] | undefined) => {
    if (routes === undefined) return 1;
    const set = new Set(routes);
    return c.load!.mix.filter((m) => set.has(m.route)).reduce((s, m) => s + m.weight, 0) / totalMix;
  };
  const candidates = [
    ...(c.objectives.latency ?? []).map((o, i) => ({ name: o.name, objective: o.objective, share: shareOf(o.routes), path: ['objectives', 'latency', i, 'objective'] as PathSegment[] })),
    ...(c.objectives.errors ? [{ name: c.objectives.errors.name, objective: c.objectives.errors.objective, share: shareOf(c.objectives.errors.routes), path: ['objectives', 'errors', 'objective'] as PathSegment[] }] : []),
  ];
  for (const o of candidates) {
    if (!(o.objective > 0 && o.objective < 1)) continue; // already reported as out of range
    const events = requests * o.share;
    const budget = (1 - o.objective) * events;
    if (budget < 1) {
      const needed = Math.ceil(1 / (1 - o.objective));
      out.push(error('SLO_BUDGET_UNMEASURABLE', o.path, `objective ${formatPercent(o.objective)} of "${o.name}" allows ${budget.toPrecision(2)} bad requests in the load run's ${Math.round(events)} (${formatRate(c.load.rate)} for ${formatDuration(c.load.duration)}): a single failure is already over budget, so the run cannot measure it`, {
        hint: `send at least ${needed} requests to these routes (raise load.rate or load.duration), or lower the objective`,
        related: [{ path: ['load', 'rate'], message: 'the load rate is set here' }],
      }));
    }
  }
  const throughput = c.objectives.throughput;
  if (throughput) {
    const weights = new Map(c.routes.map((r) => [r.name, r.weight]));
    const weighted = c.load.rate * c.load.mix.reduce((s, m) => s + m.weight * (weights.get(m.route) ?? 1), 0) / totalMix;
    if (weighted < throughput.minimum) {
      out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'throughput', 'minimum'], `the load profile only reaches a weighted ${formatRate(weighted)}, below the throughput minimum ${formatRate(throughput.minimum)}: the gate cannot show the service sustains it`, {
        hint: 'raise load.rate, or set findKnee: true so the run ramps past it',
      }));
    }
  }
};

/**
 * Options that only one runtime has. Node's: event-loop signals, libuv handles, V8 heap captures
 * (heap-sampling, heap-snapshot) and the SDK's CPU profile; Go's: goroutines and the pprof
 * endpoint, which is also where a Go service's heap profile and goroutine dump come from.
 */
const PPROF_HOW = 'serve net/http/pprof (`import _ "net/http/pprof"` on the default mux, or `mux.HandleFunc("/debug/pprof/", pprof.Index)` on your own) and set `objectives.concurrency.pprof: /debug/pprof`';
const runtimeFit: Check = (c, out) => {
  const k = c.objectives.concurrency;
  const go = c.service.runtime === 'go';
  if (k && c.service.runtime === 'node' && k.goroutines) out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'concurrency', 'goroutines'], 'goroutines apply to Go services, and service.runtime is node: this threshold is never evaluated', { at: 'key', hint: 'set service.runtime: go, or use eventLoopDelay / inFlight for Node' }));
  if (k && c.service.runtime === 'node' && k.pprof !== undefined) out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'concurrency', 'pprof'], 'pprof is a Go service\'s profiling endpoint, and service.runtime is node: it is never read', { at: 'key', hint: 'a Node service\'s CPU profile is taken through sloctl/sdk (`capture: cpu-profile`); set service.runtime: go if the service is a Go one' }));
  if (!go) return;
  if (k) {
    for (const key of ['eventLoopDelay', 'eventLoopUtilization', 'handles'] as const) {
      if (k[key]) out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'concurrency', key], `${key} applies to Node services, and service.runtime is go: this threshold is never evaluated`, { at: 'key', hint: 'for a Go service use goroutines (go_goroutines, from client_golang\'s Go collector) and inFlight (promhttp.InstrumentHandlerInFlight)' }));
    }
    if (k.capture === 'cpu-profile' && k.pprof === undefined) {
      // Located at the section: `capture` is usually not written (cpu-profile is the default).
      out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'concurrency'], '`capture: cpu-profile` (the default) is a CPU profile taken by sloctl/sdk inside a Node process, and service.runtime is go: nothing is captured when a concurrency threshold is crossed', { at: 'key', hint: `the Go equivalent is the pprof endpoint: ${PPROF_HOW}; or set \`capture: none\`` }));
    }
  }
  const m = c.objectives.memory;
  if (m && m.capture !== 'none' && (m.capture === 'heap-snapshot' || k?.pprof === undefined)) {
    out.push(warning('SLO_CONTRACT_GAP', m.capture === 'heap-snapshot' ? ['objectives', 'memory', 'capture'] : ['objectives', 'memory'], `\`capture: ${m.capture}\`${m.capture === 'heap-sampling' ? ' (the default)' : ''} is a V8 heap capture (Node), and service.runtime is go: a Go service has no V8 heap to ${m.capture === 'heap-snapshot' ? 'snapshot' : 'sample'}`, {
      at: 'key',
      hint: `the Go equivalent is the heap profile of the pprof endpoint: ${PPROF_HOW}${k?.pprof !== undefined ? ' (done: pprof\'s heap profile is a sampling one, so write `capture: heap-sampling`)' : '; or set `capture: none`'}`,
    }));
  }
  c.objectives.resilience?.drills.forEach((d, i) => {
    if ((IN_PROCESS_FAULTS as readonly string[]).includes(d.fault)) {
      const why = d.fault === 'event-loop-block' ? 'blocks a Node event loop through sloctl/sdk, and service.runtime is go: a Go service has no event loop to block' : 'runs inside the service through the Node SDK\'s drill endpoint (sloctl/sdk), and service.runtime is go: the Go packages have no drill endpoint';
      out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'resilience', 'drills', i, 'fault'], `${aFault(d.fault)} drill ${why}`, { hint: `for a Go service drill its dependencies (${PROXY_FAULTS.join(', ')} faults)` }));
    }
  });
  c.objectives.drift?.signals.forEach((s, i) => {
    if (s.signal === 'eventLoopDelay' || s.signal === 'eventLoopUtilization') {
      out.push(warning('SLO_CONTRACT_GAP', ['objectives', 'drift', 'signals', i, 'signal'], `the ${s.signal} drift signal is a Node signal, and service.runtime is go: it never moves`, { hint: 'for a Go service use the latency, errors or inFlight signals' }));
    }
  });
};

const probesOverlapRoutes: Check = (c, out) => {
  const probePaths = new Set([...(c.target ? [c.target.health] : ['/healthz']), ...c.probes.map((p) => (typeof p === 'string' ? p : p.path))]);
  c.routes.forEach((r, i) => {
    if (probePaths.has(r.path)) out.push(warning('SLO_CONTRACT_GAP', ['routes', i, 'path'], `route "${r.name}" is a probe path: probes are outside every SLI, so its objectives count nothing`));
  });
};

const metricsSelector: Check = (c, out) => {
  const sel = c.metrics?.selector;
  if (sel === undefined) return;
  const r = checkLabelMatchers(sel);
  if (!r.ok) out.push(error('SLO_PROMQL', ['metrics', 'selector'], r.problem.message, { offset: r.problem.offset, hint: 'write PromQL label matchers, comma-separated, such as job="checkout", env!="dev"' }));
};

const promqlQueries: Check = (c, out) => {
  c.slis.forEach((s, i) => {
    for (const key of ['good', 'bad', 'total', 'errorRatio'] as const) {
      const q = s[key];
      if (q === undefined) continue;
      const checked = checkPromql(q);
      const first = checked.problems[0];
      if (first) out.push(error('SLO_PROMQL', ['slis', i, key], first.message, { offset: first.offset, hint: 'write `$window` where the range goes, e.g. sum(rate(x_total[$window]))' }));
      else if (checked.unchecked) out.push(warning('SLO_PROMQL', ['slis', i, key], checked.unchecked, { hint: 'Prometheus checks it when it loads the rules (promtool check rules)' }));
    }
    if (s.threshold) {
      const checked = checkPromql(s.threshold.query);
      const first = checked.problems[0];
      if (first) out.push(error('SLO_PROMQL', ['slis', i, 'threshold', 'query'], first.message, { offset: first.offset }));
      else if (checked.unchecked) out.push(warning('SLO_PROMQL', ['slis', i, 'threshold', 'query'], checked.unchecked, { hint: 'Prometheus checks it when it loads the rules (promtool check rules)' }));
    }
  });
};

/**
 * The gate compares this run's trials with the baseline's by an exact one-sided Mann-Whitney U
 * test, significant at p < 0.05 (src/verdicts/compare.ts, stats.ts). With n against m trials the
 * smallest p any data can give is 1/C(n+m, n): 3 against 3 gives 1/20 = 0.05, which is not below
 * 0.05, so no regression, however large, could fail the gate. The baseline's count is taken from
 * the context when known, else assumed to be the same as `trials` (a baseline records that many).
 */
const regressionTrials: Check = (c, out, context) => {
  const r = c.objectives.regression;
  if (!r) return;
  const known = context.baselineTrials !== undefined && context.baselineTrials >= 1;
  const m = known ? context.baselineTrials! : r.trials;
  const u = cannotReachAlpha(r.trials, m, DEFAULT_ALPHA);
  if (!u) return;
  const n = r.trials;
  const message =
    `${n} trial${n === 1 ? '' : 's'} ${known ? `against the baseline's ${m}` : '(against a baseline of as many)'} can never fail the regression comparison: ` +
    `a regression fails only at p < ${DEFAULT_ALPHA}, and the smallest p the exact one-sided Mann-Whitney U test can give with ${n} against ${m} is 1/${u.splits} = ${+u.smallestP.toPrecision(2)}`;
  out.push(warning('SLO_INVALID_VALUE', ['objectives', 'regression', 'trials'], message, { hint: u.fix }));
};

/** The load mix's paths against the routes they name (src/contract/mix-paths.ts). */
const mixPaths: Check = (c, out) => {
  out.push(...checkMixPaths(c));
};

/** A load.mix body on a GET or HEAD route (src/contract/mix-body.ts). */
const mixBodies: Check = (c, out) => {
  out.push(...checkMixBodies(c));
};

/** A threshold this many times the objective's largest ceiling is a unit slip whatever the percentile. */
const THRESHOLD_FAR_ABOVE = 100;

/**
 * A latency objective's `threshold` is the bound of a good request: `objective` of requests must
 * finish within it. Far above the objective's largest percentile ceiling it is a unit slip (user
 * trials: `threshold: 200s` beside `p99: 100ms`). When that ceiling's percentile is at or above the
 * objective (p99 with 99%), the SLI is implied by the ceiling at any distance: the error budget,
 * its alerts and burn rates then pass what the ceiling fails. Below it (p50 with 99%) the tail may
 * legitimately be longer than the ceiling (250ms for 99% beside p50 200ms), so only a threshold
 * THRESHOLD_FAR_ABOVE times the ceiling is reported.
 */
const thresholdAbovePercentiles: Check = (c, out, context) => {
  c.objectives.latency?.forEach((o, i) => {
    const p = o.percentiles;
    if (!p) return;
    let top: { key: keyof typeof PERCENTILE_QUANTILE; ms: number } | undefined;
    for (const key of Object.keys(PERCENTILE_QUANTILE) as Array<keyof typeof PERCENTILE_QUANTILE>) {
      const ms = p[key];
      if (ms !== undefined && (!top || ms >= top.ms)) top = { key, ms };
    }
    if (!top || o.threshold <= top.ms) return;
    const ratio = o.threshold / top.ms;
    const implied = PERCENTILE_QUANTILE[top.key] >= o.objective - 1e-9;
    if (!implied && ratio < THRESHOLD_FAR_ABOVE) return;
    const path: PathSegment[] = ['objectives', 'latency', i, 'threshold'];
    const thr = context.written?.(path)?.trim() ?? formatDuration(o.threshold);
    const ceiling = `${top.key} ≤ ${formatDuration(top.ms)}`;
    const far = ratio >= 10;
    const slip = far ? sameNumberInMs(thr) : undefined;
    const why = implied
      ? `${far ? 'most likely a unit slip; ' : ''}a request is good within the threshold, and ${formatPercent(o.objective)} of requests within ${thr} already holds whenever ${ceiling} does, so this SLI, its error budget and its alerts pass what the ${top.key} ceiling fails`
      : `a good-request bound that far above the ${top.key} ceiling is most likely a unit slip`;
    const tighter = implied ? ` (at most ${formatDuration(top.ms)} keeps the SLI as strict as ${top.key})` : '';
    out.push(warning('SLO_THRESHOLD_ABOVE_PERCENTILE', path, `the threshold of latency objective "${o.name}" is ${thr}, ${far ? `${+ratio.toPrecision(3)} times` : 'above'} its largest percentile ceiling (${ceiling}): ${why}`, {
      hint: slip !== undefined && slip <= 10 * top.ms
        ? `did you mean \`threshold: ${formatDuration(slip)}\`?${slip > top.ms ? tighter : ''}`
        : implied
          ? `lower the threshold to at most ${formatDuration(top.ms)} (the ${top.key} ceiling), or raise ${top.key} if the ceiling is what is wrong`
          : `check the units: the threshold is ${thr}, the ${top.key} ceiling ${formatDuration(top.ms)}`,
      related: [{ path: ['objectives', 'latency', i, 'percentiles', top.key], message: `the ${top.key} ceiling is set here` }],
    }));
  });
};

/** `200s` → 200 (200ms): the threshold as written, its number with ms as its unit, when one s, m or h value. */
function sameNumberInMs(written: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(s|m|h)$/.exec(written);
  return m ? Number(m[1]) : undefined;
}

/** Faults whose requests fail while they last: a failed answer, a cut connection, no answer at all. */
const FAILING_FAULTS: ReadonlySet<string> = new Set(['error', 'abort', 'reset', 'blackhole', 'unsettled-promises']);

/**
 * Whether the fault certainly leaves failed or slow requests behind: the failing faults; a latency
 * fault whose delay (+ jitter) reaches the dependency's timeout or the latency threshold of a route
 * that calls it (the smallest anywhere when no route names it); an event-loop block as long as the
 * smallest latency threshold. Not: a leak, a CPU burn on worker threads, a bandwidth limit (whether
 * it slows a request depends on the size of the answers), nor a delay that fits in the threshold.
 */
function spoilsRequests(c: Contract, d: Drill): boolean {
  if (FAILING_FAULTS.has(d.fault)) return true;
  const covered = coverage(c);
  const thresholds = (routes: readonly Route[]) => routes.map((r) => routeThreshold(c, r, c.routes.indexOf(r), covered)?.ms).filter((ms): ms is number => ms !== undefined);
  const smallest = Math.min(...thresholds(c.routes), ...(c.objectives.latency ?? []).map((o) => o.threshold));
  if (d.fault === 'event-loop-block') return d.delay !== undefined && d.delay >= smallest;
  if (d.fault !== 'latency' || d.delay === undefined) return false;
  const dep = c.dependencies.find((x) => x.name === d.dependency);
  if (!dep) return false;
  const callers = thresholds(c.routes.filter((r) => r.dependencies.includes(dep.name)));
  const bound = Math.min(dep.timeout, ...(callers.length > 0 ? callers : [smallest]));
  return d.delay + (d.jitter ?? 0) >= bound;
}

/**
 * A drill's recovery needs health UP (src/verdicts/drill.ts), and the health endpoint of
 * sloctl/sdk and of the Go middleware judges latency and success over the last `health.window` of
 * requests: the fault's failed or slow ones stay in it for up to that long after the fault ends,
 * holding health below UP, so a shorter recoverWithin fails whatever the service does. Compared
 * with the contract's window when it declares one, else with the SDK's default for services that
 * run the SDK (Node, or Go with the middleware, which has the same default); not for runtime
 * `other` or a service mapped with `metrics:` (not instrumented with sloctl's SDK: its health is
 * its own). Nothing to compare without a latency or errors objective (health then judges no
 * window), nor for a drill whose fault need not fail or slow a request (spoilsRequests).
 */
const recoveryWithinHealthWindow: Check = (c, out) => {
  const drills = c.objectives.resilience?.drills;
  if (!drills || (!c.objectives.latency && !c.objectives.errors)) return;
  const declared = c.health?.window;
  const go = c.service.runtime === 'go';
  if (declared === undefined && (c.service.runtime === 'other' || c.metrics !== undefined)) return;
  const windowMs = declared ?? HEALTH_WINDOW_DEFAULT_MS;
  const w = formatDuration(windowMs);
  drills.forEach((d, i) => {
    if (d.recoverWithin >= windowMs || !spoilsRequests(c, d)) return;
    if (go && (IN_PROCESS_FAULTS as readonly string[]).includes(d.fault)) return; // cannot run at all: runtimeFit says so
    const shorter = suggestWindow(d.recoverWithin);
    const judge = declared !== undefined
      ? `its health endpoint judges the last ${w} of requests (health.window)`
      : go
        ? `sloctl's Go middleware, if the service uses it, judges health over the last ${w} of requests (its default window: the contract declares none)`
        : `the health endpoint of sloctl/sdk judges the last ${w} of requests (the SDK's default window: the contract declares none)`;
    const how = declared !== undefined
      ? `shorten health.window to at most ${formatDuration(d.recoverWithin)}, e.g. ${formatDuration(shorter)}`
      : `declare a shorter window in the contract, e.g. \`health: { window: ${formatDuration(shorter)} }\` (${go ? 'the Go middleware reads it from the contract JSON: regenerate slo.json; Options.HealthWindow in the code overrides it' : 'sloctl/sdk reads it; instrument({ health: { windowMs } }) in the code overrides it'})`;
    out.push(warning('SLO_DRILL_HEALTH_WINDOW', ['objectives', 'resilience', 'drills', i, 'recoverWithin'], `drill "${d.name}" must recover within ${formatDuration(d.recoverWithin)} of the fault's end, and ${judge}: the fault's failed or slow requests stay in that window for up to ${w} after it ends and keep health from reading UP, so the recovery check fails however fast the service recovers`, {
      hint: `give recoverWithin at least ${w}, or ${how}`,
      ...(declared !== undefined ? { related: [{ path: ['health', 'window'], message: 'the health window is set here' }] } : {}),
    }));
  });
};

/** A health window that fits in `recoverWithin` with room for the last slow requests: about two thirds of it. */
function suggestWindow(recoverWithinMs: number): number {
  const two = (recoverWithinMs * 2) / 3;
  return Math.floor(two / 1000) * 1000 || Math.floor(two / 100) * 100 || recoverWithinMs;
}

/**
 * A memory-leak drill is detected by the heap reaching its warn level (nothing else the service
 * exports moves for a leak: requests stay good, health UP). The fault retains `rate` bytes a second
 * (measured at 1.00x on the V8 heap), up to LEAK_MAX_BYTES, so by detectWithin it has added
 * rate × detectWithin. The heap before the fault is unknown statically; taken generously as half
 * the warn level (a warn level set with less headroom above the steady heap is the exception),
 * a drill that cannot add the other half by detectWithin cannot be detected by the heap. Said in
 * the terms of the whole fault (rate × duration) when even that falls short: then the drill never
 * exercises the heap threshold at all.
 */
const leakReachesHeapWarn: Check = (c, out) => {
  const warn = c.objectives.memory?.heap?.warn;
  const drills = c.objectives.resilience?.drills;
  if (warn === undefined || !drills || c.service.runtime === 'go') return; // a Go service cannot run it: runtimeFit says so
  const half = warn / 2;
  drills.forEach((d, i) => {
    if (d.fault !== 'memory-leak') return;
    const rate = d.rate ?? DEFAULT_LEAK_BYTES_PER_SECOND;
    const byDetect = Math.min((rate * d.detectWithin) / 1000, LEAK_MAX_BYTES);
    if (byDetect >= half) return;
    const byEnd = Math.min((rate * d.duration) / 1000, LEAK_MAX_BYTES);
    const rateText = `${d.rate === undefined ? 'the default ' : ''}${formatBytes(rate)}/s`;
    const from = `even from a heap already at half its warn level (${formatBytes(half)}) before the fault`;
    // RSS grows with the heap: with an rss warn level, that one may still show the leak.
    const rss = c.objectives.memory?.rss !== undefined;
    const signal = rss ? 'the heap threshold (only rss.warn is left to detect the leak)' : 'the heap threshold, the signal that detects a leak';
    const late = rss ? 'the heap threshold shows it too late (only rss.warn is left to detect the leak)' : 'the heap threshold, the signal that detects a leak, shows it too late';
    const message = byEnd < half
      ? `memory-leak drill "${d.name}" retains at most ${formatBytes(byEnd)} (${rateText} for ${formatDuration(d.duration)}${byEnd === LEAK_MAX_BYTES ? ', where the SDK\'s leak stops' : ''}): ${from}, the heap reaches ${formatBytes(half + byEnd)}, ${formatBytes(half - byEnd)} short of heap.warn ${formatBytes(warn)}, so the drill never exercises ${signal}`
      : `memory-leak drill "${d.name}" retains ${formatBytes(byDetect)} by its detection bound (${rateText} for detectWithin ${formatDuration(d.detectWithin)}): ${from}, the heap reaches heap.warn ${formatBytes(warn)} only after ${formatElapsed((half / rate) * 1000)}, ${formatBytes(half - byDetect)} short at detectWithin, so ${late}`;
    const needed = half / (d.detectWithin / 1000);
    out.push(warning('SLO_DRILL_LEAK_SHORT', ['objectives', 'resilience', 'drills', i, d.rate === undefined ? 'fault' : 'rate'], message, {
      hint: half > LEAK_MAX_BYTES
        ? `lower heap.warn: the SDK's leak stops at ${formatBytes(LEAK_MAX_BYTES)}, less than half of it`
        : `write \`rate: ${ceilRate(needed)}\` or more (half the warn level within detectWithin ${formatDuration(d.detectWithin)})${byEnd < half ? ', or lower heap.warn' : ', lengthen detectWithin, or lower heap.warn'}`,
      related: [{ path: ['objectives', 'memory', 'heap', 'warn'], message: 'the heap warn level is set here' }],
    }));
  });
};

/**
 * A drill nothing can detect: the drill judge (src/verdicts/drill.ts) counts health not UP, a
 * dependency gauge down, a saturation signal at its warn level, an error class rising; when the
 * contract gives no warn level to a saturation signal the fault can raise (the judge's own rule)
 * and the fault certainly moves none of the others (drill-detection.ts says when that is certain),
 * its detection check fails whatever the service does. A user trial: an event-loop-block drill in
 * a contract without objectives.concurrency failed at run time, "nothing sloctl read showed it".
 */
const drillsDetectable: Check = (c, out) => {
  c.objectives.resilience?.drills.forEach((d, i) => {
    const found = drillDetection(c, d);
    if (!found || found.saturation.length > 0 || found.other.length > 0) return;
    const fix = detectingThreshold(d);
    if (!fix) return;
    out.push(warning('SLO_DRILL_UNDETECTABLE', ['objectives', 'resilience', 'drills', i, 'fault'], `drill "${d.name}" (${d.fault}) can never be detected: the contract gives no warn level to a saturation signal the fault can raise (${fix.signal} would show it${fix.when ? `, ${fix.when}` : ''}), and ${whyNothingElse(c, d)}; so the drill fails its detection check (detectWithin ${formatDuration(d.detectWithin)}) whatever the service does`, {
      hint: `add ${fix.add}`,
    }));
  });
};

/** What an idle Node event loop reads: sloctl/sdk (saturation monitor, drift responder) and the prom-client defaults it registers sample the loop with a 20 ms timer, and a tick's gap is the reading. */
const IDLE_LOOP_DELAY_MS = 20;
/** A threshold at or under this is reached by an idle loop's reading (20 ms plus a little timer jitter). */
const LOOP_DELAY_FLOOR_MS = 25;

/**
 * An eventLoopDelay threshold an idle loop already reaches: the saturation monitor would capture
 * a CPU profile, and the drift responder act, with nothing wrong. A user trial moved the drift
 * responder onto the monitor's 20 ms timer (a 300 ms block a second read ~12 ms at 10 ms), so a
 * drift threshold between ~12 and 25 ms that never tripped before would now trip on an idle loop.
 */
const loopDelayFloor: Check = (c, out) => {
  if (c.service.runtime === 'go') return; // runtimeFit says these are never evaluated there
  const say = (path: Array<string | number>, what: string, ms: number) => out.push(warning('SLO_LOOP_DELAY_FLOOR', path, `${what} is ${formatDuration(ms)}, and an idle Node event loop already reads about ${IDLE_LOOP_DELAY_MS}ms (sloctl/sdk and prom-client's nodejs_eventloop_lag_p99_seconds sample the loop with a ${IDLE_LOOP_DELAY_MS} ms timer and read the gaps between its ticks), so it is reached with nothing wrong`, {
    hint: 'write at least 50ms: a loop that is really behind reads far above its idle 20 ms (a 300 ms block reads 300ms)',
  }));
  const k = c.objectives.concurrency?.eventLoopDelay;
  if (k !== undefined) {
    if (k.warn <= LOOP_DELAY_FLOOR_MS) say(['objectives', 'concurrency', 'eventLoopDelay', 'warn'], 'the eventLoopDelay warn level', k.warn);
    else if (k.critical <= LOOP_DELAY_FLOOR_MS) say(['objectives', 'concurrency', 'eventLoopDelay', 'critical'], 'the eventLoopDelay critical level', k.critical);
  }
  c.objectives.drift?.signals.forEach((sig, i) => {
    if (sig.signal === 'eventLoopDelay' && sig.threshold <= LOOP_DELAY_FLOOR_MS) say(['objectives', 'drift', 'signals', i, 'threshold'], 'the eventLoopDelay drift threshold', sig.threshold);
  });
};

/** 13.4 MiB/s → `14MiB/s`: a bytes-per-second rate rounded up to a value a contract can hold. */
function ceilRate(bytesPerSecond: number): string {
  const MiB = 1024 ** 2;
  return bytesPerSecond >= MiB ? `${Math.ceil(bytesPerSecond / MiB)}MiB/s` : `${Math.ceil(bytesPerSecond / 1024)}KiB/s`;
}

const CHECKS: Check[] = [
  objectiveRange, windowFitsBuckets, alertTiersFit, availabilityWeights, percentileOrder, thresholdOrder,
  dependencyBudget, dependencyPolicy, availabilityDependencies, duplicateNames, references, statusRanges, drillsFitRun, budgetMeasurable,
  runtimeFit, probesOverlapRoutes, metricsSelector, promqlQueries, regressionTrials, mixPaths, mixBodies,
  thresholdAbovePercentiles, recoveryWithinHealthWindow, leakReachesHeapWarn, drillsDetectable, loopDelayFloor,
];

export function checkSemantics(c: Contract, context: SemanticContext = {}): Finding[] {
  const out: Finding[] = [];
  for (const check of CHECKS) check(c, out, context);
  return out;
}
