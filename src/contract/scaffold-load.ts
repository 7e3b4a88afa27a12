// The `load:` profile `sloctl init` writes, so that `sloctl gate` can run on the first contract
// without the user learning the mix syntax first. Only what needs no guess is sent: GET and HEAD
// routes whose path is plain text (no parameter to invent a value for, no body to make up, no
// prefix sloctl could not see). Every other route becomes a commented-out mix entry with the
// syntax filled in (`path: /greet/{name}`, `params: { name: ... }`, `body: {}`) and what the user
// has to supply.
//
// Pure: the route plan in, the load plan out.

import { subtreeName } from './route-paths.ts';
import type { PlannedRoute } from './scaffold-routes.ts';

/** A route the gate can call as it is: nothing in its request is a guess. */
export interface SentRoute {
  route: PlannedRoute;
}

/** A route left out of the mix until the user supplies what sloctl cannot know. */
export interface HeldRoute {
  route: PlannedRoute;
  /** The request path with `{param}` placeholders (the load mix's syntax), when it differs from the route's. */
  path?: string;
  /** Each placeholder in the path, to give a value or a generator. */
  params: string[];
  /** The method carries a body (POST, PUT, PATCH): an empty JSON object to fill in. */
  body: boolean;
  /** What the user has to supply or decide, one line. */
  todo: string;
}

export interface LoadPlan {
  sent: SentRoute[];
  held: HeldRoute[];
}

/** Methods the gate sends without a body and without changing anything on the service. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/**
 * A path segment that is only text and means the same in every router: RFC 3986's unreserved
 * characters. `:`, `{`, `*`, `?`, `(`, `+` are pattern syntax in one router or another, and the
 * rest needs encoding, so a route holding them is not called on a guess of what it matches.
 */
const PLAIN_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
/** `:name` anywhere (as the gate reads a route path: src/run/profile.ts), with Express' optional `?`. */
const COLON_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)\??/g;
/** `*name` at the start of a segment, or a bare `*`: a wildcard, named `rest` when it has no name. */
const WILDCARD = /(?<=\/)\*([A-Za-z_][A-Za-z0-9_]*)?/g;
/** A placeholder the load mix fills (src/load/mix.ts). */
const BRACE_PARAM = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

export function planLoad(routes: readonly PlannedRoute[]): LoadPlan {
  const plan: LoadPlan = { sent: [], held: [] };
  for (const route of routes) {
    // A trailing `/` the template keeps (a Go router registers the path with it) is part of the plain path.
    const plain = route.path === '/' || route.path.replace(/\/$/, '').split('/').slice(1).every((s) => PLAIN_SEGMENT.test(s));
    if (SAFE_METHODS.has(route.method) && plain && !isSubtree(route) && !trailingSlash(route) && !route.from.prefixUnknown) {
      plan.sent.push({ route });
      continue;
    }
    const path = route.path.replace(COLON_PARAM, '{$1}').replace(WILDCARD, (_m, name: string | undefined) => `{${name ?? 'rest'}}`);
    const params = [...new Set([...path.matchAll(BRACE_PARAM)].map((m) => m[1]))];
    const body = BODY_METHODS.has(route.method);
    const shown = trailingSlash(route) && params.length === 0 ? `${path}/` : path;
    plan.held.push({ route, ...(shown !== route.path ? { path: shown } : {}), params, body, todo: todoOf(route, params, body, plain) });
  }
  return plan;
}

/**
 * A Go subtree (ServeMux's `"/products/"`, the route `/products/*`; gin's `/products/*rest`):
 * every path under it, and `/products` itself only as a redirect or a 404. Which of them clients
 * call is theirs to say.
 */
function isSubtree(route: PlannedRoute): boolean {
  return route.from.subtree === true;
}

/**
 * Registered with a trailing `/` the contract's template leaves out (Node's routers, where the
 * gate's path may or may not be served as written; a Go router's template keeps it, see
 * scaffold-routes.ts).
 */
function trailingSlash(route: PlannedRoute): boolean {
  return route.path !== '/' && !isSubtree(route) && route.from.path.endsWith('/') && !route.path.endsWith('/');
}

function todoOf(route: PlannedRoute, params: readonly string[], body: boolean, plain: boolean): string {
  const needs: string[] = [];
  if (route.from.prefixUnknown) needs.push('write the full path the clients call (it is mounted under a prefix sloctl cannot see)');
  else if (isSubtree(route)) needs.push(`write the path clients call (the code registers ${subtreeName(route.from)}: every path under it)`);
  else if (trailingSlash(route)) needs.push(`write the path as clients send it (the code registers ${route.from.path}, with its trailing /)`);
  else if (!plain && params.length === 0) needs.push('write the path as clients send it');
  if (params.length > 0) needs.push(`give ${params.join(', ')} values the service knows`);
  if (body) needs.push('give the JSON body it expects');
  if (route.method === 'DELETE') needs.push('it deletes what it names: send it to a test instance only');
  if (route.method === 'OPTIONS') needs.push('send it only if users do (a CORS preflight is no user request)');
  return needs.join('; ');
}
