// The HTTP routes a Go file registers:
//   net/http   http.HandleFunc / http.Handle / mux.HandleFunc / mux.Handle, Go 1.22 patterns
//              ("GET /items/{id}", a host before the path is dropped); no method = any method
//   gorilla    r.HandleFunc(path, h).Methods("GET"), r.PathPrefix("/api").Subrouter(),
//              r.PathPrefix("/api").Handler(h) (a mount: below)
//   gin        r.GET/POST/.../Any(path, ...), r.Handle(method, path, ...), g := r.Group("/v1")
//   echo       e.GET/POST/.../Any(path, ...), e.Add(method, path, ...), g := e.Group("/api")
//   chi        r.Get/Post/...(path, h), r.Route("/api", func(r chi.Router) { ... }),
//              r.Mount("/api", h) (a mount: below)
// Paths and group prefixes are read statically (literals, constants, `+`); a group reached
// through a parameter or a field sits under a prefix sloctl cannot see, and a computed path is
// recorded as unresolved, never guessed.
//
// A ServeMux pattern's trailing `/` (net/http only) means more than a path:
//   "/products/"        a subtree: `/products/`, `/products/42`, `/products/42/reviews`; ServeMux
//                       redirects `/products` to `/products/`. Recorded as `/products/*`, `subtree`.
//   "/files/{rest...}"  the same subtree with its rest named (Go 1.22): `/files/` and everything
//                       below; `/files` is redirected to `/files/` as well (ServeMux redirects a
//                       path when the path plus `/` is an exact match). Recorded as written, `subtree`.
//   "/products/{$}"     exactly `/products/` (Go 1.22), recorded as written; `/products` gets a 301
//                       to `/products/` (src/scan/go-trailing-slash.ts).
//   "/"                 the catch-all: ServeMux sends it every request no other pattern matches.
//                       Recorded as the path `/` alone, `catchAll`: as a subtree it would claim every
//                       contract route served, typos included, while most such handlers are an index
//                       page that answers anything else with a 404. What else it serves is unknown, so
//                       the route check turns "not registered" into a warning where a catch-all could
//                       be serving it (src/cli/validate-routes.ts), rather than an error or a pass.
// In gorilla/mux, chi, gin and echo a trailing `/` is one exact path, kept as written (also through
// a group: gin's `v1.GET("/")` is `/v1/`); what each router answers for the other spelling is
// its rule, recorded on the route (src/scan/go-trailing-slash.ts). A path ending in a wildcard
// (gin's "/files/*rest", chi's and echo's "/files/*") is a subtree: `/files/` and every path
// below; `/files` gets what the router answers for a missing `/` (gin 1.8: a 301 to `/files/`;
// chi 5.0.7 and echo: a 404; each checked against a built service), except chi's "/*" at the root
// of a Route("/api") or Mount("/api"), which also gets `/api`.
// A ServeMux pattern whose handler is a router sloctl reads itself (`http.Handle("/", r)` with
// `r := mux.NewRouter()`, a chi, gin or echo router, another ServeMux in the same package) is where
// that router is mounted, not a route: its own registrations are the routes, and it is not
// recorded. Wrapped in `http.StripPrefix("/api", r)` the mount strips `/api` before the router
// sees the path, so the router's routes are served under `/api` and recorded with it; a mount
// without StripPrefix passes the whole path, so they keep their own. A StripPrefix argument that is
// computed at run time makes the router's routes unresolved; a handler that is no router sloctl
// reads (`http.StripPrefix("/static", http.FileServer(...))`) is recorded as the pattern's own
// route, as any handler is. A router sloctl reads is one a router package's constructor makes in
// the package, held in a variable or returned by a function of the package (routersOf).
//
// gorilla's `r.PathPrefix("/api").Handler(h)` and chi's `r.Mount("/api", h)` mount the same way
// (read with gorilla/mux 1.8.0 and chi 5.0.7, and checked against a built service:
// test/fixtures/routes-go-mounts):
//   gorilla    the handler gets the whole path: a router keeps its own paths, or under
//              `http.StripPrefix("/api", sub)` serves them under /api. Any other handler gets
//              every path that begins with the prefix, a string match: "/static/" is a subtree
//              `/static/*` whose root `/static` is a 404 (StrictSlash or not); "/api" is `/api`
//              and the subtree `/api/*`.
//   chi        a chi router mounted there gets the path below the pattern (chi routes it itself,
//              whatever the URL says): its "/" is served at `/api` and `/api/`, at `/api/` alone
//              for `Mount("/api/", sub)`, as for `Route`. Any other handler, StripPrefix
//              included, is not followed: `/api` and the subtree `/api/*`, or for "/api/" the
//              subtree alone (`/api` is a 404). A pattern ending in `*` makes chi panic when the
//              service starts ("wildcard '*' must be the last value in a route"): unresolved.
// A StripPrefix argument ending in `/` (`http.StripPrefix("/api/", r)`, also "/") strips the `/`
// the router's paths begin with: for /api/x, r gets `x`. Go 1.19's ServeMux and gorilla/mux clean
// it to `/x` and answer with a 301 redirect there, out of the mount (gorilla with SkipClean(true):
// a 404); chi matches nothing (a 404) but its "/", which gets the empty rest of /api/. So only
// chi's "/" is recorded, at /api/, and a warning at the StripPrefix call says why the rest is not.
// A StripPrefix("/api") under the ServeMux subtree pattern "/api/" passes `/` for `/api/`, but
// ServeMux answers `/api` itself with a 301 to `/api/`: the router's "/" is recorded at `/api/` alone.

import { resolveGoString } from './go-constants.ts';
import type { GoNode } from './go-parser.ts';
import type { GoPackageScope } from './go-scope.ts';
import { decodeGoString } from './go-strings.ts';
import { callArguments, positionOf, significantChildren, unparen } from './go-syntax.ts';
import { excerpt } from './metric-name.ts';
import { joinRoutePath, type TrailingSlashRule } from '../contract/route-paths.ts';
import { CHI_MOUNT_ROOT, CHI_WILDCARD_ROOT, GORILLA_PREFIX_ROOT, SERVEMUX_EXACT_PATH, SERVEMUX_EXACT_SLASH, serveMuxMountRoot, slashSettings, trailingSlashRule, type SlashRouter } from './go-trailing-slash.ts';
import type { RegisteredRoute, ScanWarning, SourceSpan, UnresolvedRoute } from './types.ts';

type Router = 'nethttp' | 'gin' | 'echo' | 'gorilla' | 'chi';

const ROUTER_PACKAGES: ReadonlyArray<[RegExp, Router]> = [
  [/^net\/http$/, 'nethttp'],
  [/^github\.com\/gin-gonic\/gin$/, 'gin'],
  [/^github\.com\/labstack\/echo(\/v\d+)?$/, 'echo'],
  [/^github\.com\/gorilla\/mux$/, 'gorilla'],
  [/^github\.com\/go-chi\/chi(\/v\d+)?$/, 'chi'],
];

/** Calls that make a router whose routes this file's registrations are read from. */
const ROUTER_CONSTRUCTORS = new Set(['NewRouter', 'NewMux', 'NewServeMux', 'New', 'Default']);
const UPPER_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'Any']);
// chi.Router's one-method registrations (HandleFunc/Handle, any method, are read with net/http's).
const CHI_METHODS = new Set(['Connect', 'Delete', 'Get', 'Head', 'Options', 'Patch', 'Post', 'Put', 'Trace']);
const MAX_DEPTH = 32;

export interface GoRouteContext {
  file: string;
  scope: GoPackageScope;
  routes: RegisteredRoute[];
  unresolved: UnresolvedRoute[];
  /**
   * Every file of the package, the same array for each of them: where a router is mounted and
   * how its trailing slashes are set may be in another file. This file alone when not given.
   */
  packageFiles?: ReadonlyArray<{ file: string; root: GoNode }>;
  /** Where a mount makes its router's routes unreachable (http.StripPrefix("/api/", r)); not reported when not given. */
  warnings?: ScanWarning[];
}

/** A file's context with what detectGoRoutes reads once per file. */
interface FileContext extends GoRouteContext {
  imports: Map<string, Router>;
  packageFiles: ReadonlyArray<{ file: string; root: GoNode }>;
}

interface Prefix {
  value: string;
  unknown: boolean;
  computed: boolean;
  /** Why a computed prefix is, for the unresolved route's note; the group prefix's wording when unset. */
  computedBy?: string;
  /**
   * Under `http.StripPrefix` of a string ending in `/` (`value` is it, joined): the router gets the
   * rest without its leading `/`, which none of its routes matches (packageMounts warns); chi alone
   * serves its `"/"` there, at `value` itself.
   */
  slashStripped?: true;
  /**
   * Mounted on a ServeMux subtree pattern whose StripPrefix leaves the router the path from its `/`
   * (`mux.Handle("/api/", http.StripPrefix("/api", r))`; the pattern): the router's "/" is reached
   * at `/api/` alone, since ServeMux redirects `/api` to `/api/` before the router sees it. (A
   * group below keeps the field with its own longer value: only the mount's own value counts.)
   */
  muxSubtree?: string;
}

/** The routers a file imports, by local package name (`http`, `gin`, an alias). */
export function routerImports(root: GoNode): Map<string, Router> {
  const out = new Map<string, Router>();
  for (const decl of significantChildren(root)) {
    if (decl.type !== 'import_declaration') continue;
    const specs = significantChildren(decl).flatMap((c) => (c.type === 'import_spec_list' ? significantChildren(c) : [c])).filter((c) => c.type === 'import_spec');
    for (const spec of specs) {
      const pathNode = spec.childForFieldName('path');
      const importPath = pathNode ? decodeGoString(pathNode) : undefined;
      const router = importPath === undefined ? undefined : ROUTER_PACKAGES.find(([re]) => re.test(importPath))?.[1];
      if (!router) continue;
      const alias = spec.childForFieldName('name')?.text;
      const own = importPath!.split('/').filter((p) => !/^v\d+$/.test(p)).pop()!;
      out.set(alias && alias !== '_' && alias !== '.' ? alias : own === 'http' ? 'http' : own, router);
    }
  }
  return out;
}

export function detectGoRoutes(routeCtx: GoRouteContext, root: GoNode): void {
  const imports = routerImports(root);
  if (imports.size === 0) return;
  const ctx: FileContext = { ...routeCtx, imports, packageFiles: routeCtx.packageFiles ?? [{ file: routeCtx.file, root }] };
  const kinds = new Set(imports.values());
  for (const call of root.descendantsOfType('call_expression')) {
    if (call) detectCall(ctx, imports, kinds, call);
  }
}

/** The router a registration belongs to, when the file's imports say which. */
function oneOf(kinds: Set<Router>, a: SlashRouter, b: SlashRouter): SlashRouter | undefined {
  if (kinds.has(a) && !kinds.has(b)) return a;
  if (kinds.has(b) && !kinds.has(a)) return b;
  return undefined;
}

function ruleOf(ctx: FileContext, router: SlashRouter | undefined): TrailingSlashRule | undefined {
  return router === undefined ? undefined : trailingSlashRule(router, slashSettings(ctx.packageFiles));
}

function detectCall(ctx: FileContext, imports: Map<string, Router>, kinds: Set<Router>, call: GoNode): void {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return;
  const operand = fn.childForFieldName('operand');
  const field = fn.childForFieldName('field')?.text ?? '';
  if (!operand) return;
  const args = callArguments(call);
  const pkg = operand.type === 'identifier' ? imports.get(operand.text) : undefined;

  if ((field === 'HandleFunc' || field === 'Handle') && (kinds.has('nethttp') || kinds.has('gorilla') || kinds.has('chi')) && args.length === 2) {
    if (pkg !== undefined && pkg !== 'nethttp') return;
    // A ServeMux pattern is the whole path, under the prefix a StripPrefix mount of the mux strips.
    const serveMux = pkg === 'nethttp' || (!kinds.has('gorilla') && !kinds.has('chi')) || isServeMux(ctx, operand);
    if (serveMux && isRouter(ctx, imports, args[1])) return;
    const prefixes = serveMux ? serveMuxPrefixes(ctx, pkg === 'nethttp' ? undefined : operand, 0) : prefixOf(ctx, operand, 0);
    const methods = gorillaMethods(ctx, imports, call);
    const router = serveMux ? undefined : oneOf(kinds, 'gorilla', 'chi');
    addPattern(ctx, call, args[0], prefixes, methods, pkg === 'nethttp' ? `http.${field}` : `.${field}`, serveMux, router, handlerSpan(ctx, imports, args[1]));
    return;
  }
  if (pkg !== undefined) return; // gin.Default() and the like are not routes
  if (kinds.has('chi') && field === 'Mount' && args.length === 2) return chiMount(ctx, call, operand, args[0], args[1]);
  const prefixCall = kinds.has('gorilla') && args.length === 1 ? pathPrefixHandlerCall(field, operand) : undefined;
  if (prefixCall) return gorillaPrefix(ctx, imports, call, prefixCall, args[0]);
  if ((kinds.has('gin') || kinds.has('echo')) && UPPER_METHODS.has(field) && args.length >= 2) {
    const router = oneOf(kinds, 'gin', 'echo');
    // gin: middleware, then the handler last; echo: the handler, then middleware.
    const handler = args.length === 2 ? args[1] : router === 'gin' ? args[args.length - 1] : router === 'echo' ? args[1] : undefined;
    addRoute(ctx, call, args[0], prefixOf(ctx, operand, 0), field === 'Any' ? ['*'] : [field], `.${field}`, router, handlerSpan(ctx, imports, handler));
    return;
  }
  if ((kinds.has('gin') && field === 'Handle') || (kinds.has('echo') && field === 'Add')) {
    if (args.length < 3) return;
    const method = resolveGoString(args[0], ctx.scope) ?? methodConstant(imports, args[0]);
    addRoute(ctx, call, args[1], prefixOf(ctx, operand, 0), method === undefined ? undefined : [method.toUpperCase()], `.${field}`, field === 'Handle' ? 'gin' : 'echo', handlerSpan(ctx, imports, field === 'Handle' ? args[args.length - 1] : args[2]));
    return;
  }
  if (kinds.has('chi') && CHI_METHODS.has(field) && args.length >= 2) {
    addRoute(ctx, call, args[0], prefixOf(ctx, operand, 0), [field.toUpperCase()], `.${field}`, 'chi', handlerSpan(ctx, imports, args[1]));
    return;
  }
  // chi's `r.Method("GET", "/x", h)` / `r.MethodFunc(http.MethodGet, "/x", f)`: how a handler that
  // is already an http.Handler (promhttp.InstrumentHandler... around it) is registered for one method.
  if (kinds.has('chi') && (field === 'Method' || field === 'MethodFunc') && args.length === 3) {
    const method = resolveGoString(args[0], ctx.scope) ?? methodConstant(imports, args[0]);
    addRoute(ctx, call, args[1], prefixOf(ctx, operand, 0), method === undefined ? undefined : [method.toUpperCase()], `.${field}`, 'chi', handlerSpan(ctx, imports, args[2]));
  }
}

/**
 * A method named by its package's constant: net/http's `http.MethodPatch` ("PATCH"), echo's
 * `echo.PATCH`, the way `r.Handle(http.MethodGet, "/x", h)` (gin) and `e.Add(...)` (echo) are
 * usually written. Undefined for anything else.
 */
function methodConstant(imports: Map<string, Router>, node: GoNode): string | undefined {
  const n = unparen(node);
  if (n.type !== 'selector_expression') return undefined;
  const operand = n.childForFieldName('operand');
  const field = n.childForFieldName('field')?.text ?? '';
  if (operand?.type !== 'identifier') return undefined;
  const pkg = imports.get(operand.text);
  if (pkg === 'nethttp') return NET_HTTP_METHODS.get(field);
  if (pkg === 'echo') return ECHO_METHODS.has(field) ? field : undefined;
  return undefined;
}

const NET_HTTP_METHODS = new Map(['Get', 'Head', 'Post', 'Put', 'Patch', 'Delete', 'Connect', 'Options', 'Trace'].map((m) => [`Method${m}`, m.toUpperCase()]));
const ECHO_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PUT', 'TRACE', 'REPORT']);

/** gorilla's `r.HandleFunc(path, h).Methods("GET", http.MethodPost)`: the methods, when the call is chained so. */
function gorillaMethods(ctx: FileContext, imports: Map<string, Router>, call: GoNode): string[] | undefined {
  const selector = call.parent;
  if (selector?.type !== 'selector_expression' || selector.childForFieldName('field')?.text !== 'Methods') return undefined;
  const outer = selector.parent;
  if (outer?.type !== 'call_expression') return undefined;
  const methods = callArguments(outer).map((a) => resolveGoString(a, ctx.scope) ?? methodConstant(imports, a));
  return methods.every((m) => m !== undefined) && methods.length > 0 ? methods.map((m) => m!.toUpperCase()) : undefined;
}

/**
 * chi's `r.Mount(pattern, handler)`. A router sloctl reads is no route of its own: its routes are,
 * under the pattern (mountPrefixes). Any other handler, `http.StripPrefix(...)` included, is
 * followed no further: chi sends it `pattern`, `pattern/` and every path below (a subtree), or
 * for a pattern ending in `/` only what is below it; chi panics on a pattern ending in `*`.
 */
function chiMount(ctx: FileContext, call: GoNode, receiver: GoNode, patternNode: GoNode, handler: GoNode): void {
  if (routersOf(ctx, handler).length > 0) return;
  const pattern = resolveGoString(patternNode, ctx.scope);
  if (pattern === undefined) return unresolved(ctx, call, patternNode);
  if (pattern.endsWith('*')) return unresolved(ctx, call, patternNode, CHI_STAR);
  pushMountedHandler(ctx, call, prefixOf(ctx, receiver, 0), pattern, ['*'], '.Mount', patternNode, CHI_MOUNT_ROOT);
}

const CHI_STAR = ', which chi refuses when the service starts (Mount panics: "wildcard \'*\' must be the last value in a route")';

/**
 * gorilla's `r.PathPrefix(prefix).Handler(handler)`. A router sloctl reads, maybe inside
 * `http.StripPrefix`, is mounted there (mountPrefixes), no route of its own. Any other handler gets
 * every path that begins with the prefix, a plain string match: `"/static/"` is a subtree without
 * `/static` (a 404); `"/api"` is `/api` and the subtree `/api/` (and `/apix`, which no contract means).
 */
function gorillaPrefix(ctx: FileContext, imports: Map<string, Router>, call: GoNode, prefixCall: GoNode, handler: GoNode): void {
  if (isRouter(ctx, imports, handler)) return;
  const prefixNode = callArguments(prefixCall)[0];
  const receiver = prefixCall.childForFieldName('function')?.childForFieldName('operand');
  if (!prefixNode || !receiver) return;
  const prefix = resolveGoString(prefixNode, ctx.scope);
  if (prefix === undefined) return unresolved(ctx, call, prefixNode);
  pushMountedHandler(ctx, call, prefixOf(ctx, receiver, 0), prefix, gorillaMethods(ctx, imports, call) ?? ['*'], '.PathPrefix', prefixNode, GORILLA_PREFIX_ROOT);
}

/**
 * A handler mounted at `prefix` that sloctl does not read (chi's Mount, gorilla's PathPrefix): it
 * gets every path below the prefix, a subtree whose root without the `/` is answered by `rootRule`
 * (a 404), and for a prefix without a trailing `/` the prefix itself too.
 */
function pushMountedHandler(ctx: FileContext, call: GoNode, prefixes: Prefix[], prefix: string, methods: string[], via: string, node: GoNode, rootRule: TrailingSlashRule): void {
  if (prefix.endsWith('/')) return push(ctx, call, prefixes, `${prefix}*`, methods, via, node, { subtree: true, rule: rootRule });
  push(ctx, call, prefixes, prefix, methods, via, node, {});
  push(ctx, call, prefixes, `${prefix}/*`, methods, via, node, { subtree: true, rule: rootRule });
}

/** `mux` in `mux.HandleFunc(...)` is a ServeMux: bound to `http.NewServeMux()` or `&http.ServeMux{}`. */
function isServeMux(ctx: GoRouteContext, receiver: GoNode): boolean {
  const expr = unparen(receiver);
  if (expr.type !== 'identifier') return false;
  const binding = ctx.scope.lookup(expr.text, expr);
  if (binding?.kind !== 'var' || !binding.value) return false;
  return /^&?\s*[A-Za-z_][A-Za-z0-9_]*\.(NewServeMux\(\s*\)|ServeMux\s*\{\s*\})$/.test(unparen(binding.value).text);
}

/** The handler is a router sloctl reads, made in this package (routersOf), maybe inside `http.StripPrefix`. */
function isRouter(ctx: FileContext, imports: Map<string, Router>, handler: GoNode | undefined): boolean {
  if (!handler) return false;
  const stripped = stripPrefixCall(imports, handler);
  if (stripped) return isRouter(ctx, imports, stripped.inner);
  return routersOf(ctx, handler).length > 0;
}

/** A router value: its constructor call (settings chained on it included) or ServeMux literal, and which router it makes. */
interface RouterValue {
  value: GoNode;
  router: Router;
}

/**
 * The routers a handler expression stands for, by a router package's constructor
 * (`mux.NewRouter()`, `chi.NewRouter()`, `http.NewServeMux()`, `&http.ServeMux{}`): directly,
 * through a variable, or returned by a function of the package (`r.Mount("/api", apiRouter())`).
 */
function routersOf(ctx: FileContext, handler: GoNode, depth = 0): RouterValue[] {
  if (depth > MAX_DEPTH) return [];
  const expr = unparen(handler);
  if (expr.type === 'identifier') {
    const binding = ctx.scope.lookup(expr.text, expr);
    return binding?.kind === 'var' && binding.value ? routersOf(ctx, binding.value, depth + 1) : [];
  }
  if (expr.type === 'unary_expression' || expr.type === 'composite_literal') {
    return /^&?\s*[A-Za-z_][A-Za-z0-9_]*\.ServeMux\s*\{\s*\}$/.test(expr.text) ? [{ value: expr, router: 'nethttp' }] : [];
  }
  if (expr.type !== 'call_expression') return [];
  const called = expr.childForFieldName('function');
  if (called?.type === 'identifier') return returnedRouters(ctx, called.text, depth + 1);
  // A setting chained on the constructor returns the router: `mux.NewRouter().StrictSlash(true)`.
  let inner = expr;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const operand = inner.childForFieldName('function')?.childForFieldName('operand');
    if (!operand || unparen(operand).type !== 'call_expression') break;
    inner = unparen(operand);
  }
  const fn = inner.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return [];
  const operand = fn.childForFieldName('operand');
  // A package-level router may be made in another file, which imports its package.
  const router = operand?.type === 'identifier' ? routerImports(fileOf(inner)).get(operand.text) : undefined;
  return router && ROUTER_CONSTRUCTORS.has(fn.childForFieldName('field')?.text ?? '') ? [{ value: expr, router }] : [];
}

/** What the package's function `name` returns, when that is a router (`func apiRouter() chi.Router { r := chi.NewRouter(); ...; return r }`). */
function returnedRouters(ctx: FileContext, name: string, depth: number): RouterValue[] {
  const out: RouterValue[] = [];
  for (const { root } of ctx.packageFiles) {
    for (const decl of significantChildren(root)) {
      if (decl.type !== 'function_declaration' || decl.childForFieldName('name')?.text !== name) continue;
      for (const ret of decl.descendantsOfType('return_statement')) {
        const list = ret ? significantChildren(ret)[0] : undefined;
        const first = list?.type === 'expression_list' ? significantChildren(list)[0] : list;
        if (first) out.push(...routersOf(ctx, first, depth + 1));
      }
    }
  }
  return out;
}

/** gorilla's `r.PathPrefix("/api").Handler(h)` (or `.HandlerFunc`): the `PathPrefix` call, given the outer call's field and operand. */
function pathPrefixHandlerCall(field: string | undefined, operand: GoNode): GoNode | undefined {
  if (field !== 'Handler' && field !== 'HandlerFunc') return undefined;
  const inner = unparen(operand);
  return inner.type === 'call_expression' && calledField(inner) === 'PathPrefix' ? inner : undefined;
}

/** The field a call calls: `PathPrefix` in `r.PathPrefix("/api")`. */
function calledField(call: GoNode): string | undefined {
  const fn = call.childForFieldName('function');
  return fn?.type === 'selector_expression' ? fn.childForFieldName('field')?.text : undefined;
}

function sameNode(a: GoNode, b: GoNode): boolean {
  return a.id === b.id && a.startIndex === b.startIndex && a.endIndex === b.endIndex;
}

function fileOf(node: GoNode): GoNode {
  let root = node;
  while (root.parent) root = root.parent;
  return root;
}

/** `http.StripPrefix(prefix, inner)`: its two arguments. */
function stripPrefixCall(imports: Map<string, Router>, handler: GoNode): { prefix: GoNode; inner: GoNode } | undefined {
  const expr = unparen(handler);
  if (expr.type !== 'call_expression') return undefined;
  const fn = expr.childForFieldName('function');
  const operand = fn?.type === 'selector_expression' ? fn.childForFieldName('operand') : null;
  if (operand?.type !== 'identifier' || imports.get(operand.text) !== 'nethttp' || fn!.childForFieldName('field')?.text !== 'StripPrefix') return undefined;
  const args = callArguments(expr);
  return args.length === 2 ? { prefix: args[0], inner: args[1] } : undefined;
}

/** A net/http pattern: `[METHOD ][HOST]/PATH`; in a ServeMux, a trailing `/` (or `{rest...}`) is a subtree or the catch-all. */
function addPattern(ctx: FileContext, call: GoNode, node: GoNode, prefixes: Prefix[], methods: string[] | undefined, via: string, serveMux: boolean, router: SlashRouter | undefined, handler?: SourceSpan): void {
  const h = handler ? { handler } : {};
  const pattern = resolveGoString(node, ctx.scope);
  if (pattern === undefined) return unresolved(ctx, call, node);
  const match = /^(?:([A-Z]+)\s+)?([^/\s]*)(\/.*)?$/.exec(pattern.trim());
  if (!match || match[3] === undefined) return unresolved(ctx, call, node);
  const methodList = match[1] ? [match[1]] : (methods ?? ['*']);
  const path = match[3];
  if (!serveMux) return push(ctx, call, prefixes, path, methodList, via, node, { router, rule: ruleOf(ctx, router), ...h });
  if (path === '/') return push(ctx, call, prefixes, path, methodList, via, node, { catchAll: true, ...h });
  if (path.endsWith('/')) return push(ctx, call, prefixes, `${path}*`, methodList, via, node, { subtree: true, ...h });
  if (/\/\{[A-Za-z_][A-Za-z0-9_]*\.\.\.\}$/.test(path)) return push(ctx, call, prefixes, path, methodList, via, node, { subtree: true, ...h });
  push(ctx, call, prefixes, path, methodList, via, node, { rule: path.endsWith('/{$}') ? SERVEMUX_EXACT_SLASH : SERVEMUX_EXACT_PATH, ...h });
}

/** How a registration is recorded beyond its path: a ServeMux subtree or catch-all, or the rule of a router that keeps the trailing `/`. */
interface Kind {
  subtree?: true;
  catchAll?: true;
  rule?: TrailingSlashRule;
  /** gin, echo, gorilla, chi: a trailing `/` of the path survives the group prefix. */
  router?: SlashRouter;
  /** The handler's own code, when sloctl knows it (handlerSpan). */
  handler?: SourceSpan;
}

function addRoute(ctx: FileContext, call: GoNode, node: GoNode, prefixes: Prefix[], methods: string[] | undefined, via: string, router: SlashRouter | undefined, handler?: SourceSpan): void {
  const h = handler ? { handler } : {};
  const path = resolveGoString(node, ctx.scope);
  if (path === undefined || methods === undefined) return unresolved(ctx, call, node);
  // A wildcard ending the path (gin's `/files/*rest`, chi's and echo's `/files/*`) takes what
  // follows `/files/`, the empty rest included: a subtree whose root without its `/` the router
  // answers as it answers any missing slash (gin: a redirect to `/files/`; echo: a 404 unless its
  // AddTrailingSlash middleware runs; chi: a 404, which no slash middleware changes; but chi's
  // `"/*"` at the root of a router mounted at `/api` also gets `/api`, as its `"/"` does: push).
  if (WILDCARD_END.test(path) && (router === 'gin' || router === 'echo' || router === 'chi')) {
    return push(ctx, call, prefixes, path, methods, via, node, { subtree: true, rule: router === 'chi' ? CHI_WILDCARD_ROOT : ruleOf(ctx, router), router, ...h });
  }
  push(ctx, call, prefixes, path, methods, via, node, { router, rule: ruleOf(ctx, router), ...h });
}

/** A path whose last segment is a wildcard: gin's `*name`, chi's and echo's `*`. */
const WILDCARD_END = /\/\*[A-Za-z0-9_]*$/;

function push(ctx: GoRouteContext, call: GoNode, prefixes: Prefix[], path: string, methods: string[], via: string, node: GoNode, kind: Kind): void {
  for (const p of prefixes) {
    if (p.computed) {
      unresolved(ctx, call, node, p.computedBy ?? ' under a group prefix computed at run time');
      continue;
    }
    if (p.slashStripped && !(kind.router === 'chi' && path === '/')) continue;
    let joined = joinRoutePath(p.value, path);
    let rule = kind.rule;
    let shape: { subtree?: true; catchAll?: true } = kind.subtree ? { subtree: true } : kind.catchAll ? { catchAll: true } : {};
    if (kind.subtree && path === '/*' && chiServesBareMount(kind, p)) {
      // "/*" matches that "/": every path from `/api` on, the root without its slash included (a plain wildcard route).
      shape = {};
      rule = undefined;
    }
    if (kind.catchAll && joined !== '/') {
      // An inner ServeMux's "/" under a StripPrefix mount gets only what the mount passes it: a subtree there.
      joined = joinRoutePath(p.value, '/*');
      shape = { subtree: true };
    }
    if (kind.router && path.endsWith('/') && !joined.endsWith('/')) {
      // gin joins `"/v1"` and `"/"` to `/v1/`, echo and gorilla concatenate; chi's Route serves its
      // `"/"` at both `/api` and `/api/`, so there the slash is no rule.
      if (chiServesBareMount(kind, p)) rule = undefined;
      else joined += '/';
    }
    if (p.muxSubtree === `${p.value}/` && !kind.subtree && !kind.catchAll && (path === '/' || path === '') && !joined.endsWith('/')) {
      // The router's "/" behind `mux.Handle("/api/", http.StripPrefix("/api", r))`: `/api` is ServeMux's 301.
      joined += '/';
      rule = serveMuxMountRoot(p.muxSubtree);
    }
    for (const method of methods) {
      ctx.routes.push({ method, path: joined, ...(p.unknown ? { prefixUnknown: true } : {}), ...shape, ...(rule ? { trailingSlash: rule } : {}), file: ctx.file, ...positionOf(call), via, ...(kind.handler ? { handler: kind.handler } : {}) });
    }
  }
}

/**
 * chi hands a router mounted at `/api` (Route or Mount, a pattern without a trailing `/`) the path
 * `/api` itself as "/", so its "/" and "/*" serve `/api` as well as `/api/`. Mounted at "/api/",
 * chi routes `/api/*` alone, and `/api` is a 404.
 */
function chiServesBareMount(kind: Kind, p: Prefix): boolean {
  return kind.router === 'chi' && p.value !== '' && !p.value.endsWith('/');
}

/**
 * Where a registration's handler is written, when sloctl knows it for certain: a function literal
 * (`mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) { ... })`), or the name of a
 * function the package declares (`mux.HandleFunc("/x", handleCheckout)`, also inside
 * `http.HandlerFunc(...)`) that the package writes nowhere else (not called by other code; in a
 * package other than main, not exported): then only this registration runs it. A method value
 * (`h.Checkout`), a wrapper's result or a variable is undefined.
 */
function handlerSpan(ctx: FileContext, imports: Map<string, Router>, node: GoNode | undefined): SourceSpan | undefined {
  if (!node) return undefined;
  const expr = unparen(node);
  if (expr.type === 'func_literal') return goSpan(ctx.file, expr);
  if (expr.type === 'call_expression') {
    // The conversion `http.HandlerFunc(handleCheckout)`.
    const fn = unparen(expr.childForFieldName('function') ?? expr);
    const operand = fn.type === 'selector_expression' ? fn.childForFieldName('operand') : null;
    const args = callArguments(expr);
    if (operand?.type === 'identifier' && imports.get(operand.text) === 'nethttp' && fn.childForFieldName('field')?.text === 'HandlerFunc' && args.length === 1) return handlerSpan(ctx, imports, args[0]);
    return undefined;
  }
  if (expr.type !== 'identifier' || ctx.scope.lookup(expr.text, expr) !== undefined) return undefined;
  const pkg = packageFacts(ctx.packageFiles);
  // Its declaration and this registration: written twice in the package.
  if (pkg.mentions.get(expr.text) !== 2 || (pkg.name !== 'main' && /^[A-Z]/.test(expr.text))) return undefined;
  const decls = pkg.functions.get(expr.text) ?? [];
  return decls.length === 1 ? goSpan(decls[0].file, decls[0].node) : undefined;
}

function goSpan(file: string, node: GoNode): SourceSpan {
  return { file, line: node.startPosition.row + 1, col: node.startPosition.column + 1, endLine: node.endPosition.row + 1, endCol: node.endPosition.column + 1 };
}

interface PackageFacts {
  name: string;
  /** How often each identifier is written in the package's files. */
  mentions: Map<string, number>;
  /** The package's function declarations (not methods), by name. */
  functions: Map<string, Array<{ file: string; node: GoNode }>>;
}

const packageFactsMemo = new WeakMap<ReadonlyArray<{ file: string; root: GoNode }>, PackageFacts>();

function packageFacts(files: ReadonlyArray<{ file: string; root: GoNode }>): PackageFacts {
  const memo = packageFactsMemo.get(files);
  if (memo) return memo;
  const facts: PackageFacts = { name: '', mentions: new Map(), functions: new Map() };
  for (const { file, root } of files) {
    for (const decl of significantChildren(root)) {
      if (decl.type === 'package_clause') facts.name = significantChildren(decl)[0]?.text ?? '';
      if (decl.type !== 'function_declaration') continue;
      const name = decl.childForFieldName('name')?.text;
      if (name === undefined) continue;
      const list = facts.functions.get(name) ?? [];
      list.push({ file, node: decl });
      facts.functions.set(name, list);
    }
    for (const id of root.descendantsOfType('identifier')) {
      if (id) facts.mentions.set(id.text, (facts.mentions.get(id.text) ?? 0) + 1);
    }
  }
  packageFactsMemo.set(files, facts);
  return facts;
}

function unresolved(ctx: GoRouteContext, call: GoNode, node: GoNode, why = ''): void {
  ctx.unresolved.push({ file: ctx.file, ...positionOf(call), what: `${excerpt(node.text)}${why}` });
}

const KNOWN_ROOT: Prefix = { value: '', unknown: false, computed: false };
/** Under a prefix sloctl cannot see (a router reached through a parameter or a field, or too deep to follow). */
const UNKNOWN_ROOT: Prefix = { value: '', unknown: true, computed: false };

/**
 * The prefixes a ServeMux's patterns are served under: none for `http.HandleFunc` (the
 * DefaultServeMux, `receiver` undefined) or a mux sloctl cannot follow (a parameter: a ServeMux is
 * the server's root as a rule), else those of its StripPrefix mounts.
 */
function serveMuxPrefixes(ctx: FileContext, receiver: GoNode | undefined, depth: number): Prefix[] {
  if (!receiver) return [KNOWN_ROOT];
  const expr = unparen(receiver);
  if (expr.type !== 'identifier') return [KNOWN_ROOT];
  const binding = ctx.scope.lookup(expr.text, expr);
  return binding?.kind === 'var' && binding.value ? mountPrefixes(ctx, unparen(binding.value), depth) : [KNOWN_ROOT];
}

/**
 * Where a handler that may be a router is mounted: a ServeMux's `Handle`
 * (`mux.Handle("/api/", http.StripPrefix("/api", inner))`), gorilla's
 * `r.PathPrefix("/api").Handler(...)`, chi's `r.Mount("/api", inner)`.
 */
interface Mount {
  /** A ServeMux's receiver (undefined for `http.Handle`, the DefaultServeMux), or the gorilla or chi router or group mounting it. */
  on: { serveMux: GoNode | undefined } | { router: GoNode };
  strip: GoNode | undefined;
  inner: GoNode;
  /** A ServeMux's pattern (`mux.Handle(pattern, ...)`). */
  muxPattern?: GoNode;
  /** chi's Mount pattern: chi itself routes the path below it in a chi router mounted there. */
  chiPattern?: GoNode;
}

const mountCache = new WeakMap<object, Mount[]>();

/** Every mount of the package (read once per package). */
function packageMounts(ctx: FileContext): Mount[] {
  const known = mountCache.get(ctx.packageFiles);
  if (known) return known;
  const out: Mount[] = [];
  for (const { file, root } of ctx.packageFiles) {
    const imports = routerImports(root);
    const kinds = new Set(imports.values());
    for (const call of root.descendantsOfType('call_expression')) {
      const fn = call?.childForFieldName('function');
      if (!call || fn?.type !== 'selector_expression') continue;
      const field = fn.childForFieldName('field')?.text;
      const operand = fn.childForFieldName('operand');
      const args = callArguments(call);
      if (!operand) continue;
      const pkg = operand.type === 'identifier' ? imports.get(operand.text) : undefined;
      const prefixCall = kinds.has('gorilla') && args.length === 1 ? pathPrefixHandlerCall(field, operand) : undefined;
      let mount: Mount | undefined;
      if (field === 'Handle' && kinds.has('nethttp') && args.length === 2 && (pkg === undefined || pkg === 'nethttp')) {
        if (pkg === undefined && (kinds.has('gorilla') || kinds.has('chi')) && !isServeMux(ctx, operand)) continue;
        const stripped = stripPrefixCall(imports, args[1]);
        mount = { on: { serveMux: pkg === 'nethttp' ? undefined : operand }, strip: stripped?.prefix, inner: stripped?.inner ?? args[1], muxPattern: args[0] };
      } else if (field === 'Mount' && kinds.has('chi') && args.length === 2 && pkg === undefined) {
        // A handler inside http.StripPrefix is not followed (chiMount).
        mount = { on: { router: operand }, strip: undefined, inner: args[1], chiPattern: args[0] };
      } else if (prefixCall) {
        const router = prefixCall.childForFieldName('function')?.childForFieldName('operand');
        if (!router) continue;
        const stripped = stripPrefixCall(imports, args[0]);
        mount = { on: { router }, strip: stripped?.prefix, inner: stripped?.inner ?? args[0] };
      }
      if (!mount) continue;
      out.push(mount);
      warnSlashStrip(ctx, file, mount);
    }
  }
  mountCache.set(ctx.packageFiles, out);
  return out;
}

/**
 * `http.StripPrefix("/api/", r)` passes r `users` for `/api/users`: a path without the leading `/`
 * every route of r begins with (Go's net/http StripPrefix; read in Go 1.19, with gorilla/mux 1.8
 * and chi 5.0). gorilla/mux and Go's ServeMux clean it to `/users` and answer with a 301 redirect
 * there, out of the mount (gorilla with SkipClean(true): a 404); chi matches nothing (a 404) but
 * its "/", which gets the empty rest of `/api/`. So the router's routes are not served under the
 * prefix, and a warning at the StripPrefix says so.
 */
function warnSlashStrip(ctx: FileContext, file: string, m: Mount): void {
  if (!m.strip || !ctx.warnings) return;
  const strip = resolveGoString(m.strip, ctx.scope);
  const routers = routersOf(ctx, m.inner);
  if (strip === undefined || !strip.endsWith('/') || routers.length === 0) return;
  const trimmed = strip.replace(/\/+$/, '');
  const name = excerpt(m.inner.text);
  const router = routers[0].router;
  const answer = router === 'chi'
    ? `which chi answers with a 404, so no route of ${name} but its "/" (at ${strip}) is served under ${strip}`
    : `which ${router === 'gorilla' ? 'gorilla/mux' : router === 'nethttp' ? "Go's ServeMux" : router} answers with a 301 redirect to /x, out of the mount, so no route of ${name} is served under ${strip}`;
  const at = m.strip.parent?.parent ?? m.strip; // the StripPrefix call
  ctx.warnings.push({
    file, ...positionOf(at), about: 'slash-strip', prefix: strip,
    message: `http.StripPrefix(${excerpt(m.strip.text)}, ${name}) strips the / that ${name}'s paths begin with: for ${strip}x it passes x, ${answer}; strip ${JSON.stringify(trimmed)} instead`,
  });
}

/**
 * The prefixes a router made by `value` (its constructor call or literal) is served under, from
 * each place it is mounted. The router sees the request's path: the mounting router's own place
 * (a gorilla PathPrefix or a chi Route strips nothing), less a StripPrefix argument; a chi router
 * mounted with chi's Mount sees the path below the pattern, which chi routes itself. "" when it
 * is mounted nowhere sloctl sees (it is the server's handler).
 */
function mountPrefixes(ctx: FileContext, value: GoNode, depth: number): Prefix[] {
  if (depth > MAX_DEPTH) return [UNKNOWN_ROOT];
  const out: Prefix[] = [];
  for (const m of packageMounts(ctx)) {
    const mounted = routersOf(ctx, m.inner).find((r) => sameNode(r.value, value));
    if (!mounted) continue;
    if (m.chiPattern && mounted.router === 'chi' && 'router' in m.on) {
      const pattern = resolveGoString(m.chiPattern, ctx.scope);
      const why = pattern === undefined ? ` under Mount(${excerpt(m.chiPattern.text)}, …), computed at run time` : pattern.endsWith('*') ? ` under Mount(${JSON.stringify(pattern)}, …)${CHI_STAR}` : undefined;
      out.push(...prefixOf(ctx, m.on.router, depth + 1).map((o) => (why ? { ...o, computed: true, computedBy: why } : { ...o, value: joinRoutePath(o.value, pattern!) })));
      continue;
    }
    const outer = 'serveMux' in m.on ? serveMuxPrefixes(ctx, m.on.serveMux, depth + 1) : prefixOf(ctx, m.on.router, depth + 1, false);
    if (!m.strip) {
      out.push(...outer);
      continue;
    }
    const strip = resolveGoString(m.strip, ctx.scope);
    const pattern = m.muxPattern === undefined ? undefined : resolveGoString(m.muxPattern, ctx.scope);
    out.push(...outer.map((o): Prefix => {
      if (strip === undefined) return { ...o, computed: true, computedBy: ` under http.StripPrefix(${excerpt(m.strip!.text)}, …), computed at run time` };
      const joined = joinRoutePath(o.value, strip);
      if (strip.endsWith('/')) return { ...o, value: joined.endsWith('/') ? joined : `${joined}/`, slashStripped: true };
      // "/api/" stripped of "/api": the subtree's root without its slash is ServeMux's redirect.
      const { muxSubtree: _outer, ...rest } = o;
      return pattern !== undefined && strip !== '' && pattern === `${strip}/` ? { ...rest, value: joined, muxSubtree: pattern } : { ...rest, value: joined };
    }));
  }
  const seen = new Set<string>();
  const unique = out.filter((p) => {
    const key = `${p.value} ${p.unknown} ${p.computed} ${p.slashStripped ?? false} ${p.muxSubtree ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.length > 0 ? unique : [KNOWN_ROOT];
}

/**
 * The group prefix a receiver stands for: `r` from gin.Default() is "", `v1 := r.Group("/v1")` is
 * "/v1". Without `groups`, only where its router is mounted: the path a handler mounted on the
 * group sees (a group strips nothing).
 */
function prefixOf(ctx: FileContext, receiver: GoNode, depth: number, groups = true): Prefix[] {
  if (depth > MAX_DEPTH) return [UNKNOWN_ROOT];
  const expr = unparen(receiver);
  if (expr.type === 'call_expression') return groupCall(ctx, expr, depth, groups) ?? [KNOWN_ROOT];
  if (expr.type !== 'identifier') return [UNKNOWN_ROOT];
  const binding = ctx.scope.lookup(expr.text, expr);
  if (binding?.kind === 'var' && binding.value) {
    const value = unparen(binding.value);
    // A router's constructor (`mux.NewRouter()`, `&http.ServeMux{}`): served where it is mounted.
    if (value.type === 'call_expression') return groupCall(ctx, value, depth, groups) ?? mountPrefixes(ctx, value, depth);
    if (value.type === 'unary_expression' || value.type === 'composite_literal') return mountPrefixes(ctx, value, depth);
    return [UNKNOWN_ROOT];
  }
  if (binding?.kind === 'other') return chiSubrouter(ctx, expr, depth, groups) ?? [UNKNOWN_ROOT];
  return [UNKNOWN_ROOT];
}

/** `x.Group("/v1")`, `x.PathPrefix("/api").Subrouter()`: the prefix; undefined for a constructor like gin.New(). */
function groupCall(ctx: FileContext, call: GoNode, depth: number, groups: boolean): Prefix[] | undefined {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return undefined;
  const field = fn.childForFieldName('field')?.text;
  const operand = fn.childForFieldName('operand');
  if (!operand) return undefined;
  if (field === 'Subrouter') {
    const inner = unparen(operand);
    if (inner.type === 'call_expression' && calledField(inner) === 'PathPrefix') {
      return extend(ctx, inner.childForFieldName('function')!.childForFieldName('operand')!, callArguments(inner)[0], depth, groups);
    }
    return undefined;
  }
  // chi's r.With(middleware...) is the same router with middleware: no prefix of its own.
  if (field === 'With') return prefixOf(ctx, operand, depth + 1, groups);
  if (field !== 'Group') return undefined;
  const first = callArguments(call)[0];
  // chi's r.Group(func(r chi.Router) {...}) adds no prefix.
  if (!first || first.type === 'func_literal') return prefixOf(ctx, operand, depth + 1, groups);
  return extend(ctx, operand, first, depth, groups);
}

function extend(ctx: FileContext, parent: GoNode, prefixNode: GoNode | undefined, depth: number, groups: boolean): Prefix[] {
  if (!groups) return prefixOf(ctx, parent, depth + 1, false);
  const prefix = prefixNode ? resolveGoString(prefixNode, ctx.scope) : '';
  return prefixOf(ctx, parent, depth + 1).map((p) => (prefix === undefined ? { ...p, computed: true } : { ...p, value: joinRoutePath(p.value, prefix) }));
}

/** chi: `r.Route("/api", func(r chi.Router) { r.Get(...) })`: the parameter is the parent under "/api". */
function chiSubrouter(ctx: FileContext, use: GoNode, depth: number, groups: boolean): Prefix[] | undefined {
  let node = use.parent;
  while (node && node.type !== 'func_literal' && node.type !== 'function_declaration' && node.type !== 'method_declaration') node = node.parent;
  if (node?.type !== 'func_literal') return undefined;
  const params = significantChildren(node.childForFieldName('parameters'));
  if (!params.some((p) => p.childrenForFieldName('name').some((n) => n?.text === use.text))) return undefined;
  const args = node.parent;
  const call = args?.parent;
  if (args?.type !== 'argument_list' || call?.type !== 'call_expression') return undefined;
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return undefined;
  const field = fn.childForFieldName('field')?.text;
  const operand = fn.childForFieldName('operand')!;
  const callArgs = callArguments(call);
  if (field === 'Route' && callArgs.length === 2 && callArgs[1].id === node.id) return extend(ctx, operand, callArgs[0], depth, groups);
  if (field === 'Group' && callArgs.length === 1) return prefixOf(ctx, operand, depth + 1, groups);
  return undefined;
}
