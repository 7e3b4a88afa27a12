// Route templates as frameworks spell them, reduced to one form so a contract route and a
// registered route can be compared: `:id`, `:id(\d+)`, `:id?`, `{id}`, `{id:[0-9]+}` are all a
// parameter (`:`); `*`, `*rest`, `{rest...}` are a wildcard (`*`) that takes the rest of the path.
// Go's ServeMux gives a trailing `/` two meanings the common form cannot hold alone, so the code
// check marks them on the registration: a subtree (`"/products/"`, `"/files/{rest...}"`:
// `subtree`) and the catch-all root (`"/"`, `catchAll`). The common form also drops a trailing
// `/`, which Node's routers mostly ignore; Go's routers do not (gin redirects, echo, gorilla/mux
// and chi answer 404, ServeMux redirects to a `{$}` pattern), so a Go registration carries its
// router's rule (`trailingSlash`) and is compared with the `/` kept.

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
   * gorilla/mux's `PathPrefix("/static/")` and chi's `Mount("/static/", h)` are subtrees too; they
   * carry `trailingSlash`, whose `added` says what they answer for the root without its slash (a 404).
   */
  subtree?: true;
  /**
   * Go ServeMux's root pattern (`"/"`, `"GET /"`): `path` is `/`, the one path it is known to
   * serve. ServeMux also sends it every request no other pattern matches, which its handler may
   * serve (a hand-written dispatch) or answer with a 404 (an index page): sloctl cannot tell.
   */
  catchAll?: true;
  /**
   * The registration's router treats `/products` and `/products/` as two paths (Go's routers;
   * Fastify and Hono by default, Express and @koa/router in strict routing: src/scan/node-routers.ts):
   * a contract path that differs from `path` only by its trailing `/` is not served as written,
   * and this says what the router answers instead.
   */
  trailingSlash?: TrailingSlashRule;
  file: string;
  line: number;
  col: number;
}

/** What a router answers for a path that differs from a registered one only by its trailing `/`. */
export type SlashAnswer =
  /** A redirect to the registered path: `status` for GET, `otherMethods` (when it differs) for the rest. */
  | { kind: 'redirect'; status: number; otherMethods?: number; because: string }
  | { kind: 'not-found'; because: string }
  /**
   * A middleware seen in the code rewrites the path to the registered one, so the route is
   * served if that middleware wraps this route's router (sloctl does not check which it wraps).
   */
  | { kind: 'rewritten'; because: string; file: string; line: number; col: number };

export interface TrailingSlashRule {
  /** As a message names it: `gin`, `echo`, `gorilla/mux`, `chi`, `Go's ServeMux`, `Fastify`, `Express`, `@koa/router`. */
  router: string;
  /**
   * For a request without the `/` when the registered path has it (`/products` for `/products/`;
   * a subtree's root without its slash, `/files` for `/files/*`). Undefined: served as well
   * (Node routers that take either spelling one way only: @koa/router serves `/products/` for
   * `/products`, not `/products` for `/products/`).
   */
  added?: SlashAnswer;
  /** For a request with a `/` the registered path lacks (`/products/` for `/products`). Undefined: served as well. */
  removed?: SlashAnswer;
  /**
   * A subtree only: what the router answers for its root with the slash (`/files/` for Express'
   * `/files/*splat`, whose wildcard takes one character or more). Undefined: the subtree's handler
   * serves it.
   */
  root?: SlashAnswer;
}

const PARAM = ':';
/**
 * express-prom-bundle (`includePath: true`) labels a request with its path, each segment that
 * looks like a value (a number, a UUID, a long hex id: url-value-parser) replaced by `#val`:
 * `/items/42` is `path="/items/#val"`, the route `/items/:id` as far as its label can say. Only
 * its default replacement (`urlPathReplacement`) is known.
 */
const URL_VALUE = '#val';
const WILDCARD = '*';
/** path-to-regexp 8's (Express 5, @koa/router) wildcard that may be empty, `{*rest}`: the name in group 1. */
export const OPTIONAL_WILDCARD = /^\{\*([A-Za-z0-9_$]+)\}$/;

/** One segment in the common form. */
function normalizeSegment(segment: string): string {
  if (segment === '*' || /^\*[A-Za-z0-9_]*$/.test(segment)) return WILDCARD; // Fastify, Express 5 `*splat`, gin `*x`, Hono
  if (/^\{[A-Za-z_][A-Za-z0-9_]*\.\.\.\}$/.test(segment)) return WILDCARD; // Go 1.22 `{rest...}`
  if (OPTIONAL_WILDCARD.test(segment)) return WILDCARD; // path-to-regexp 8 (Express 5, @koa/router) `{*splat}`, which may be empty
  if (/^\{[^{}]*\}$/.test(segment)) return PARAM; // Go 1.22 / gorilla `{id}`, `{id:[0-9]+}`
  if (segment === URL_VALUE) return PARAM; // express-prom-bundle's (url-value-parser's) id segment in a route label: `/items/#val`
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

/**
 * Regexes (RE2 and JavaScript alike, also under JavaScript's `u` flag) for every way a router
 * writes one segment kind in a route label: what normalizeSegment reduces to `*` and to `:`.
 */
const WILDCARD_RE = String.raw`\*\w*|\{\w+\.\.\.\}|\{\*[\w$]+\}`;
const PARAM_RE = String.raw`:[\w$]+[^/]*|\{\w+(?::[^/]*)?\}|#val`;
/** A parameter inside a segment (`:from-:to`, `file.:ext`, `{id}.json`), as normalizeSegment finds it. */
const INNER_PARAM = /:[A-Za-z0-9_$]+(\([^)]*\))?\??|\{[A-Za-z_][A-Za-z0-9_]*\}/g;

/** `s` as a regular expression that matches it literally. */
export function reEscapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regex (anchored by the matcher that uses it; RE2, JavaScript and JavaScript's `u` flag alike)
 * for every spelling a router writes for the same route template as `path`, so a label written by
 * another router's convention selects the route: `/orders/:id` matches `/orders/:id`,
 * `/orders/{id}` (Go 1.22 ServeMux, gorilla/mux), `/orders/{id:[0-9]+}` (chi, gorilla),
 * `/orders/:orderId` and `/orders/:id(\d+)`; a wildcard (`*`, `*rest`, `{rest...}`, `{*rest}`) any
 * wildcard; a trailing `/` also Go's `/{$}`. Parameter names do not count (normalizeRoutePath's
 * common form). The trailing `/` is kept: Go's routers serve `/orders` and `/orders/` apart.
 * Undefined when the path has one spelling only (no parameter, wildcard or trailing `/`): match it
 * with `=`.
 */
export function routePathRegex(path: string): string | undefined {
  let p = path.split('?')[0];
  if (p.endsWith('/{$}')) p = p.slice(0, -3);
  const slash = p.endsWith('/');
  const segments = p.split('/').filter((s) => s !== '');
  let variable = slash;
  const parts = segments.map((segment) => {
    const kind = normalizeSegment(segment);
    if (kind === WILDCARD) {
      variable = true;
      return `(?:${WILDCARD_RE})`;
    }
    if (kind === PARAM) {
      variable = true;
      return `(?:${PARAM_RE})`;
    }
    let out = '';
    let last = 0;
    for (const m of segment.matchAll(INNER_PARAM)) {
      variable = true;
      out += `${reEscapeLiteral(segment.slice(last, m.index))}(?:${PARAM_RE})`;
      last = m.index! + m[0].length;
    }
    return out + reEscapeLiteral(segment.slice(last));
  });
  if (!variable) return undefined;
  const body = parts.map((x) => `/${x}`).join('');
  return slash ? `${body}/(?:\\{\\$\\})?` : body;
}

/** Joins a mount prefix and a route path the way routers do (no doubled or missing `/`). */
export function joinRoutePath(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path === '' ? '/' : path;
  const left = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (path === '' || path === '/') return left;
  return path.startsWith('/') ? left + path : `${left}/${path}`;
}

/** What matching needs of a registration: FoundRoute without its place in the code. */
export type RouteLike = Omit<FoundRoute, 'file' | 'line' | 'col'>;

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
  if (slashDiffers(registered, contract.path)) return false;
  const want = routeSegments(contract.path);
  const have = routeSegments(registered.path);
  // A subtree's root: without its slash, ServeMux redirects and other routers answer `added`;
  // with it, the handler serves it unless the rule says otherwise (`root`).
  const rule = registered.trailingSlash;
  const rootRefused = endsWithSlash(contract.path) ? rule?.root !== undefined : rule === undefined || rule.added !== undefined;
  const redirected = (w: string[]) => registered.subtree === true && w.length < have.length && rootRefused;
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
  return registered.trailingSlash === undefined && atSubtreeRoot(registered, contract);
}

/** The contract route is a subtree's root without its slash (`/products` for `/products/*`), or with it (`withSlash`: `/products/`). */
function atSubtreeRoot(registered: RouteLike, contract: { method: string; path: string }, withSlash = false): boolean {
  if (registered.subtree !== true || !methodMatches(contract.method, registered.method) || endsWithSlash(contract.path) !== withSlash) return false;
  const root = routeSegments(registered.path).slice(0, -1);
  const want = routeSegments(contract.path);
  const tails = registered.prefixUnknown ? want.map((_, start) => want.slice(start)) : [want];
  return tails.some((w) => w.length === root.length && w.every((s, i) => s === root[i]));
}

/**
 * What the registration's router answers for the contract route, when the two differ only by a
 * trailing `/` in a router that keeps it (`trailingSlash`): `/products` against gin's
 * `"/products/"` is a redirect. Undefined when they differ in more, or not at all.
 */
export function slashMismatch(registered: RouteLike, contract: { method: string; path: string }): SlashAnswer | undefined {
  const rule = registered.trailingSlash;
  // A subtree of gorilla/mux, chi or a Node router: its root without the slash gets what the
  // router answers; with the slash, what `root` says (Express' `/files/*splat` needs a character).
  if (rule && registered.subtree) {
    if (atSubtreeRoot(registered, contract)) return rule.added;
    return atSubtreeRoot(registered, contract, true) ? rule.root : undefined;
  }
  if (!rule || !slashDiffers(registered, contract.path)) return undefined;
  if (!routeServes({ ...registered, trailingSlash: undefined }, contract)) return undefined;
  return registeredEndsWithSlash(registered.path) ? rule.added : rule.removed;
}

/** A router that keeps the trailing `/` would not match the contract path for it alone (the root `/` has no other spelling). */
function slashDiffers(registered: RouteLike, contractPath: string): boolean {
  const rule = registered.trailingSlash;
  if (!rule || registered.subtree || registered.catchAll) return false;
  if (routeSegments(registered.path).length === 0 && !registered.prefixUnknown) return false;
  const registeredSlash = registeredEndsWithSlash(registered.path);
  if (endsWithSlash(contractPath) === registeredSlash) return false;
  return (registeredSlash ? rule.added : rule.removed) !== undefined;
}

/** `/products/` and ServeMux's `/products/{$}` (exactly `/products/`) end with a `/`. */
function registeredEndsWithSlash(path: string): boolean {
  return endsWithSlash(path) || path.split('?')[0].endsWith('/{$}');
}

/** A subtree's root, with its slash: `/products/` for `/products/*` or `/products/{rest...}`. */
export function subtreeRoot(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

/** A subtree as messages name it, with its router: "the Go ServeMux subtree /products/", "the gin subtree /files/". */
export function subtreeName(registered: Pick<RouteLike, 'path' | 'trailingSlash'>): string {
  return `the ${registered.trailingSlash?.router ?? "Go ServeMux"} subtree ${subtreeRoot(registered.path)}`;
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
