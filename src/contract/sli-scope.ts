// Which series the built-in SLIs read, as label matchers: one place for the generated rules and
// dashboard (src/emit/slos.ts), the embedded engine and `status --prometheus` (src/evaluate/
// definitions.ts), so they all count the same requests.
//
// - latency: disjoint groups of series, each good at its own threshold (a route with its own
//   `latency` at that one), and the scope of the total; scoped to the objective's routes as
//   (method, route template) pairs, or to every request that reached a route when it names none;
// - errors: the objective's routes, or every request that reached a route.
//
// "Reached a route" leaves out the SDK's `route="unmatched"` series (label-map.ts,
// reachedRouteMatchers): junk paths, 404s of no route, methods no route takes.
import { exceptRoutesMatchScope, labelMap, reachedScope, routesMatchScope, type MatchScope } from './label-map.ts';
import type { Contract, LatencyObjective, Route } from './schema.ts';

export interface ThresholdGroup {
  thresholdMs: number;
  scope: MatchScope;
  /** The routes, in words: names, "all routes" or "all other routes". */
  routes: string;
}

export interface LatencyScopes {
  /** Disjoint; their union is `total`. */
  groups: ThresholdGroup[];
  total: MatchScope;
}

function byThreshold(rs: readonly Route[], thresholdOf: (r: Route) => number): Array<[number, Route[]]> {
  const m = new Map<number, Route[]>();
  for (const r of rs) m.set(thresholdOf(r), [...(m.get(thresholdOf(r)) ?? []), r]);
  return [...m].sort(([a], [b]) => a - b);
}

export function latencyScopes(c: Pick<Contract, 'metrics' | 'routes' | 'target' | 'probes'>, o: Pick<LatencyObjective, 'routes' | 'threshold'>): LatencyScopes {
  const lm = labelMap(c);
  const thresholdOf = (r: Route) => r.latency ?? o.threshold;
  const groups: ThresholdGroup[] = [];
  const names = (rs: readonly Route[]) => rs.map((r) => r.name).join(', ');
  if (o.routes) {
    const covered = c.routes.filter((r) => o.routes!.includes(r.name));
    for (const [t, rs] of byThreshold(covered, thresholdOf)) groups.push({ thresholdMs: t, scope: routesMatchScope(lm, rs), routes: names(rs) });
    return { groups, total: routesMatchScope(lm, covered) };
  }
  const own = c.routes.filter((r) => thresholdOf(r) !== o.threshold);
  groups.push({ thresholdMs: o.threshold, scope: exceptRoutesMatchScope(lm, own), routes: own.length ? 'all other routes' : 'all routes' });
  for (const [t, rs] of byThreshold(own, thresholdOf)) groups.push({ thresholdMs: t, scope: routesMatchScope(lm, rs), routes: names(rs) });
  return { groups, total: reachedScope(lm) };
}

export function errorsScope(c: Pick<Contract, 'metrics' | 'routes' | 'target' | 'probes'>, routes: readonly string[] | undefined): MatchScope {
  const lm = labelMap(c);
  return routes ? routesMatchScope(lm, c.routes.filter((r) => routes.includes(r.name))) : reachedScope(lm);
}
