// Route templates as frameworks spell them, reduced to one form so a contract route and a
// registered route can be compared: `:id`, `:id(\d+)`, `:id?`, `{id}`, `{id:[0-9]+}` are all a
// parameter (`:`); `*`, `*rest`, `{rest...}` are a wildcard (`*`) that takes the rest of the path.
// Go's ServeMux gives a trailing `/` two meanings the common form cannot hold alone, so the code
// check marks them on the registration: a subtree (`"/products/"`, `subtree`) and the catch-all
// root (`"/"`, `catchAll`).

import { editDistance } from './suggest.ts';

/**
 * A route the code registers, as the contract's checks and `sloctl init` read it: method and
 * path template as the framework spells it (`:id`, `{id}`, `*x`), with every statically visible
 * prefix applied. The code check (src/scan/types.ts RegisteredRoute) adds how it was registered.
 */
export interface FoundRoute {
  /** Upper case; `*` when any method reaches it (`app.all`, a Go pattern without a method). */
  method: string;
  path: string;
  /**
   * The route table is mounted somewhere sloctl cannot see (a plugin, router or group that is
   * exported or passed in): `path` is only the end of the real path, so it matches a contract
   * route that ends with it.
   */
  prefixUnknown?: boolean;
  /**
   * A Go ServeMux subtree pattern (`"/products/"`): `path` ends with a wildcard (`/products/*`),
   * for `/products/` and every path under it. ServeMux answers the subtree's root without its
   * slash (`/products`) with a 301 redirect to `/products/`, so that path is not served as written.
   */
  subtree?: true;
  /**
   * Go ServeMux's root pattern (`"/"`, `"GET /"`): `path` is `/`, the one path it is known to
   * serve. ServeMux also sends it every request no other pattern matches, which its handler may
   * serve (a hand-written dispatch) or answer with a 404 (an index page): sloctl cannot tell.
   */
  catchAll?: true;
  file: string;
  line: number;
  col: number;
}

const PARAM = ':';
const WILDCARD = '*';

/** One segment in the common form. */
function normalizeSegment(segment: string): string {
  if (segment === '*' || /^\*[A-Za-z0-9_]*$/.test(segment)) return WILDCARD; // Fastify, Express 5 `*splat`, gin `*x`, Hono
  if (/^\{[A-Za-z_][A-Za-z0-9_]*\.\.\.\}$/.test(segment)) return WILDCARD; // Go 1.22 `{rest...}`
  if (/^\{[^{}]*\}$/.test(segment)) return PARAM; // Go 1.22 / gorilla `{id}`, `{id:[0-9]+}`
  if (/^:[A-Za-z0-9_$]+(\([^)]*\)|\{[^}]*\})?\??$/.test(segment)) return PARAM; // `:id`, `:id(\d+)`, Hono `:id{[0-9]+}`, optional `:id?`
  // A parameter inside a segment (`:from-:to`, `file.:ext`): keep the literal parts.
  return segment.replace(/:[A-Za-z0-9_$]+(\([^)]*\))?\??/g, PARAM).replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, PARAM);
}

/** The path's segments in the common form; `{$}` (Go's "exactly this path") adds nothing. */
export function routeSegments(path: string): string[] {
  const withoutQuery = path.split('?')[0];
  return withoutQuery.split('/').filter((s) => s !== '' && s !== '{$}').map(normalizeSegment);
}

/** The common form as a path: `/products/{id}` and `/products/:productId` are both `/products/:`. */
export function normalizeRoutePath(path: string): string {
  return `/${routeSegments(path).join('/')}`;
}

/** Joins a mount prefix and a route path the way routers do (no doubled or missing `/`). */
export function joinRoutePath(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path === '' ? '/' : path;
  const left = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (path === '' || path === '/') return left;
  return path.startsWith('/') ? left + path : `${left}/${path}`;
}

export interface RouteLike {
  method: string;
  path: string;
  prefixUnknown?: boolean;
  subtree?: true;
  catchAll?: true;
}

function methodMatches(contractMethod: string, registered: string): boolean {
  const want = contractMethod.toUpperCase();
  return registered === '*' || registered === want || (registered === 'GET' && want === 'HEAD');
}

/** Whether `code` segments match `contract` segments from the start; a trailing wildcard takes the rest. */
function segmentsMatch(contract: string[], code: string[]): boolean {
  for (let i = 0; i < code.length; i++) {
    if (code[i] === WILDCARD && i === code.length - 1) return contract.length >= i;
    if (i >= contract.length || contract[i] !== code[i]) return false;
  }
  return contract.length === code.length;
}

/**
 * Whether a registered route serves the contract route. A route under a prefix sloctl cannot see
 * serves every contract path that ends with its own path. A ServeMux subtree serves every path
 * under it but not its root without the slash (`/products/*` serves `/products/` and
 * `/products/:id`, not `/products`: see subtreeRedirect).
 */
export function routeServes(registered: RouteLike, contract: { method: string; path: string }): boolean {
  if (!methodMatches(contract.method, registered.method)) return false;
  const want = routeSegments(contract.path);
  const have = routeSegments(registered.path);
  const redirected = (w: string[]) => registered.subtree === true && w.length < have.length && !endsWithSlash(contract.path);
  if (!registered.prefixUnknown) return segmentsMatch(want, have) && !redirected(want);
  for (let start = 0; start <= want.length; start++) {
    const tail = want.slice(start);
    if (segmentsMatch(tail, have) && !redirected(tail)) return true;
  }
  return false;
}

/**
 * Whether the contract route is a ServeMux subtree's root without its slash (`/products` for the
 * subtree `"/products/"`), which ServeMux answers with a 301 redirect instead of the handler.
 */
export function subtreeRedirect(registered: RouteLike, contract: { method: string; path: string }): boolean {
  if (registered.subtree !== true || !methodMatches(contract.method, registered.method) || endsWithSlash(contract.path)) return false;
  const root = routeSegments(registered.path).slice(0, -1);
  const want = routeSegments(contract.path);
  const tails = registered.prefixUnknown ? want.map((_, start) => want.slice(start)) : [want];
  return tails.some((w) => w.length === root.length && w.every((s, i) => s === root[i]));
}

/**
 * Whether a ServeMux catch-all (`"/"`) may be what serves the contract route: it gets every
 * request of its method that no other pattern matches.
 */
export function catchAllMayServe(registered: RouteLike, contract: { method: string }): boolean {
  return registered.catchAll === true && methodMatches(contract.method, registered.method);
}

function endsWithSlash(path: string): boolean {
  return path.split('?')[0].endsWith('/');
}

/** How a registered route is shown: `GET /products/:id`, `* /x` for any method, `GET …/x` under an unknown prefix. */
export function showRoute(route: RouteLike): string {
  const method = route.method === '*' ? 'ALL' : route.method;
  return `${method} ${route.prefixUnknown ? '…' : ''}${route.path}`;
}

/** The registered route most like a contract route (by path, then method), for a hint. */
export function closestRoute<T extends RouteLike>(contract: { method: string; path: string }, registered: readonly T[]): T | undefined {
  const want = normalizeRoutePath(contract.path);
  let best: T | undefined;
  let bestScore = Infinity;
  for (const r of registered) {
    const have = normalizeRoutePath(r.path);
    const score = editDistance(want, have) * 2 + (methodMatches(contract.method, r.method) ? 0 : 1);
    if (score < bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}
