// Which declared dependencies each route `sloctl init` writes calls: its `dependencies:` list, which
// the verdicts name ("GET /checkout (calls payments)"), validate checks each dependency's timeout
// against, and the dependency phase of accept and drill uses to tell the routes that call a
// dependency from those that do not (src/run/dependency-phase.ts: once any route lists it, a route
// that does not is judged as not calling it). A wrong list is worse than none, so a list is
// written only from what the code shows for certain:
//
//   - the route's handler is known (src/scan: an inline function, or a function of the same file
//     or package named at the registration and written nowhere else), no other registration was
//     folded into the route (its handler would run too), and it is not Go ServeMux's catch-all
//     "/" (its handler also answers every path no other pattern matches: its calls may be theirs);
//   - a dependency is in the list when one of its calls sits inside that handler's own code: an
//     outbound call init grouped under it, a call on a client held in a package-level variable
//     (Go), or the SDK's `.dependency('name')` (or the `useFallback` read) there. One level only:
//     a call in a function the handler calls is not followed;
//   - a dependency with a call anywhere else (a helper, middleware, another route's handler init
//     does not list, a background job) is in no list at all: the routes that reach it that way
//     would be judged as not calling it;
//   - a dependency whose timeout is not below the latency threshold is in no list: validate would
//     call the route's budget spent (SLO_DEPENDENCY_BUDGET), and init writes a contract that
//     validates.
//
// Pure: spans and positions in, lists out.

import type { DeclaredDependency, FoundCall } from './scaffold-dependencies.ts';
import { formatDuration } from './units.ts';

/** A stretch of a file, from (line, col) to the character after it (endLine, endCol): src/scan/types.ts SourceSpan. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

type At = { file: string; line: number; col: number };

/** A route as init plans it, with where the code registers it (and its handler, when known). */
export interface RouteWithHandler {
  name: string;
  from: At & { handler?: Span; catchAll?: true };
  merged?: true;
}

export interface RouteDependencies {
  /** By route name: the declared dependencies its handler calls (routes without one are absent). */
  byRoute: Map<string, string[]>;
  /** Routes whose handler's own code sloctl read. */
  followed: number;
  /** Declared dependencies a followed handler calls that are in no list, each with why and where. */
  leftOut: Array<{ name: string; why: string; at?: At }>;
}

/** A Go client literal is made once, not a call: its calls are its `uses`. */
function isClient(call: FoundCall): boolean {
  return call.via.endsWith('.Client{}') || call.via.startsWith('new(');
}

function inside(at: At, span: Span): boolean {
  if (at.file !== span.file) return false;
  const afterStart = at.line > span.line || (at.line === span.line && at.col >= span.col);
  const beforeEnd = at.line < span.endLine || (at.line === span.endLine && at.col < span.endCol);
  return afterStart && beforeEnd;
}

/**
 * `timeoutMs` is the timeout init writes for a dependency; `thresholdMs` the latency threshold of
 * every route (init writes one).
 */
export function planRouteDependencies(routes: readonly RouteWithHandler[], declared: readonly DeclaredDependency[], timeoutMs: (d: DeclaredDependency) => number, thresholdMs: number): RouteDependencies {
  const known = routes.filter((r) => r.from.handler !== undefined && !r.merged && !r.from.catchAll);
  const byRoute = new Map<string, string[]>();
  const leftOut: RouteDependencies['leftOut'] = [];
  const handlerOf = (at: At) => known.filter((r) => inside(at, r.from.handler!));
  for (const d of declared) {
    // The calls that send a request; the SDK's handle read in a handler says the handler uses the dependency too.
    const requests: At[] = [];
    for (const c of [...d.calls, ...d.timed]) {
      if (!isClient(c)) requests.push(c);
      else requests.push(...(c.uses ?? []), ...(handlerOf(c).length > 0 ? [c] : []));
    }
    const handles: At[] = d.named.flatMap((n) => [n, ...(n.fallback ? [n.fallback] : [])]);
    const callers = new Set([...requests, ...handles].flatMap((at) => handlerOf(at).map((r) => r.name)));
    if (callers.size === 0) continue;
    const outside = requests.find((at) => handlerOf(at).length === 0);
    if (outside) {
      leftOut.push({ name: d.name, why: 'it is also called outside the handlers sloctl read', at: outside });
      continue;
    }
    const ms = timeoutMs(d);
    if (ms >= thresholdMs) {
      leftOut.push({ name: d.name, why: `its ${formatDuration(ms)} timeout is not below the ${formatDuration(thresholdMs)} latency threshold` });
      continue;
    }
    for (const name of callers) byRoute.set(name, [...(byRoute.get(name) ?? []), d.name]);
  }
  return { byRoute, followed: known.length, leftOut };
}
