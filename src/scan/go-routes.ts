// The HTTP routes a Go file registers:
//   net/http   http.HandleFunc / http.Handle / mux.HandleFunc / mux.Handle, Go 1.22 patterns
//              ("GET /items/{id}", a host before the path is dropped); no method = any method
//   gorilla    r.HandleFunc(path, h).Methods("GET"), r.PathPrefix("/api").Subrouter()
//   gin        r.GET/POST/.../Any(path, ...), r.Handle(method, path, ...), g := r.Group("/v1")
//   echo       e.GET/POST/.../Any(path, ...), e.Add(method, path, ...), g := e.Group("/api")
//   chi        r.Get/Post/...(path, h), r.Route("/api", func(r chi.Router) { ... })
// Paths and group prefixes are read statically (literals, constants, `+`); a group reached
// through a parameter or a field sits under a prefix sloctl cannot see, and a computed path is
// recorded as unresolved, never guessed.
//
// A ServeMux pattern's trailing `/` (net/http only: in gorilla, chi, gin and echo it is one exact
// path) means more than a path:
//   "/products/"    a subtree: `/products/`, `/products/42`, `/products/42/reviews`; ServeMux
//                   redirects `/products` to `/products/`. Recorded as `/products/*`, `subtree`.
//   "/products/{$}" exactly `/products/` (Go 1.22), recorded as written.
//   "/"             the catch-all: ServeMux sends it every request no other pattern matches.
//                   Recorded as the path `/` alone, `catchAll`: as a subtree it would claim every
//                   contract route served, typos included, while most such handlers are an index
//                   page that answers anything else with a 404. What else it serves is unknown, so
//                   the route check turns "not registered" into a warning where a catch-all could
//                   be serving it (src/cli/validate-routes.ts), rather than an error or a pass.
// A ServeMux pattern whose handler is a router sloctl reads itself (`http.Handle("/", r)` with
// `r := mux.NewRouter()`, a chi, gin or echo router, another ServeMux) is where that router is
// mounted, not a route: its own registrations are the routes, and it is not recorded.

import { resolveGoString } from './go-constants.ts';
import type { GoNode } from './go-parser.ts';
import type { GoPackageScope } from './go-scope.ts';
import { decodeGoString } from './go-strings.ts';
import { callArguments, positionOf, significantChildren, unparen } from './go-syntax.ts';
import { excerpt } from './metric-name.ts';
import { joinRoutePath } from '../contract/route-paths.ts';
import type { RegisteredRoute, UnresolvedRoute } from './types.ts';

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
const CHI_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'HandleFunc', 'Handle']);
const MAX_DEPTH = 32;

export interface GoRouteContext {
  file: string;
  scope: GoPackageScope;
  routes: RegisteredRoute[];
  unresolved: UnresolvedRoute[];
}

interface Prefix {
  value: string;
  unknown: boolean;
  computed: boolean;
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

export function detectGoRoutes(ctx: GoRouteContext, root: GoNode): void {
  const imports = routerImports(root);
  if (imports.size === 0) return;
  const kinds = new Set(imports.values());
  for (const call of root.descendantsOfType('call_expression')) {
    if (call) detectCall(ctx, imports, kinds, call);
  }
}

function detectCall(ctx: GoRouteContext, imports: Map<string, Router>, kinds: Set<Router>, call: GoNode): void {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return;
  const operand = fn.childForFieldName('operand');
  const field = fn.childForFieldName('field')?.text ?? '';
  if (!operand) return;
  const args = callArguments(call);
  const pkg = operand.type === 'identifier' ? imports.get(operand.text) : undefined;

  if ((field === 'HandleFunc' || field === 'Handle') && (kinds.has('nethttp') || kinds.has('gorilla') || kinds.has('chi')) && args.length === 2) {
    if (pkg !== undefined && pkg !== 'nethttp') return;
    // A ServeMux pattern is the whole path (a mux mounted under http.StripPrefix is not followed).
    const serveMux = pkg === 'nethttp' || (!kinds.has('gorilla') && !kinds.has('chi')) || isServeMux(ctx, operand);
    if (serveMux && isRouter(ctx, imports, args[1])) return;
    const prefixes = serveMux ? [{ value: '', unknown: false, computed: false }] : prefixOf(ctx, operand, 0);
    const methods = gorillaMethods(ctx, call);
    addPattern(ctx, call, args[0], prefixes, methods, pkg === 'nethttp' ? `http.${field}` : `.${field}`, serveMux);
    return;
  }
  if (pkg !== undefined) return; // gin.Default() and the like are not routes
  if ((kinds.has('gin') || kinds.has('echo')) && UPPER_METHODS.has(field) && args.length >= 2) {
    addRoute(ctx, call, args[0], prefixOf(ctx, operand, 0), field === 'Any' ? ['*'] : [field], `.${field}`);
    return;
  }
  if ((kinds.has('gin') && field === 'Handle') || (kinds.has('echo') && field === 'Add')) {
    if (args.length < 3) return;
    const method = resolveGoString(args[0], ctx.scope);
    addRoute(ctx, call, args[1], prefixOf(ctx, operand, 0), method === undefined ? undefined : [method.toUpperCase()], `.${field}`);
    return;
  }
  if (kinds.has('chi') && CHI_METHODS.has(field) && field !== 'HandleFunc' && field !== 'Handle' && args.length >= 2) {
    addRoute(ctx, call, args[0], prefixOf(ctx, operand, 0), [field.toUpperCase()], `.${field}`);
  }
}

/** gorilla's `r.HandleFunc(path, h).Methods("GET", "POST")`: the methods, when the call is chained so. */
function gorillaMethods(ctx: GoRouteContext, call: GoNode): string[] | undefined {
  const selector = call.parent;
  if (selector?.type !== 'selector_expression' || selector.childForFieldName('field')?.text !== 'Methods') return undefined;
  const outer = selector.parent;
  if (outer?.type !== 'call_expression') return undefined;
  const methods = callArguments(outer).map((a) => resolveGoString(a, ctx.scope));
  return methods.every((m) => m !== undefined) && methods.length > 0 ? methods.map((m) => m!.toUpperCase()) : undefined;
}

/** `mux` in `mux.HandleFunc(...)` is a ServeMux: bound to `http.NewServeMux()` or `&http.ServeMux{}`. */
function isServeMux(ctx: GoRouteContext, receiver: GoNode): boolean {
  const expr = unparen(receiver);
  if (expr.type !== 'identifier') return false;
  const binding = ctx.scope.lookup(expr.text, expr);
  if (binding?.kind !== 'var' || !binding.value) return false;
  return /^&?\s*[A-Za-z_][A-Za-z0-9_]*\.(NewServeMux\(\s*\)|ServeMux\s*\{\s*\})$/.test(unparen(binding.value).text);
}

/** The handler is a router made in this package by a router package's constructor (`mux.NewRouter()`, `http.NewServeMux()`). */
function isRouter(ctx: GoRouteContext, imports: Map<string, Router>, handler: GoNode | undefined): boolean {
  if (!handler) return false;
  let expr = unparen(handler);
  if (expr.type === 'identifier') {
    const binding = ctx.scope.lookup(expr.text, expr);
    if (binding?.kind !== 'var' || !binding.value) return false;
    expr = unparen(binding.value);
  }
  if (expr.type === 'unary_expression' || expr.type === 'composite_literal') return /^&?\s*[A-Za-z_][A-Za-z0-9_]*\.ServeMux\s*\{\s*\}$/.test(expr.text);
  if (expr.type !== 'call_expression') return false;
  const fn = expr.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return false;
  const operand = fn.childForFieldName('operand');
  return operand?.type === 'identifier' && imports.has(operand.text) && ROUTER_CONSTRUCTORS.has(fn.childForFieldName('field')?.text ?? '');
}

/** A net/http pattern: `[METHOD ][HOST]/PATH`; in a ServeMux, a trailing `/` is a subtree or the catch-all. */
function addPattern(ctx: GoRouteContext, call: GoNode, node: GoNode, prefixes: Prefix[], methods: string[] | undefined, via: string, serveMux: boolean): void {
  const pattern = resolveGoString(node, ctx.scope);
  if (pattern === undefined) return unresolved(ctx, call, node);
  const match = /^(?:([A-Z]+)\s+)?([^/\s]*)(\/.*)?$/.exec(pattern.trim());
  if (!match || match[3] === undefined) return unresolved(ctx, call, node);
  const method = match[1];
  const path = match[3];
  const kind: ServeMuxKind | undefined = !serveMux || !path.endsWith('/') ? undefined : path === '/' ? { catchAll: true } : { subtree: true };
  push(ctx, call, prefixes, kind?.subtree ? `${path}*` : path, method ? [method] : (methods ?? ['*']), via, node, kind);
}

type ServeMuxKind = { subtree: true; catchAll?: undefined } | { catchAll: true; subtree?: undefined };

function addRoute(ctx: GoRouteContext, call: GoNode, node: GoNode, prefixes: Prefix[], methods: string[] | undefined, via: string): void {
  const path = resolveGoString(node, ctx.scope);
  if (path === undefined || methods === undefined) return unresolved(ctx, call, node);
  push(ctx, call, prefixes, path, methods, via, node);
}

function push(ctx: GoRouteContext, call: GoNode, prefixes: Prefix[], path: string, methods: string[], via: string, node: GoNode, kind?: ServeMuxKind): void {
  for (const p of prefixes) {
    if (p.computed) {
      unresolved(ctx, call, node, ' under a group prefix computed at run time');
      continue;
    }
    for (const method of methods) {
      ctx.routes.push({ method, path: joinRoutePath(p.value, path), ...(p.unknown ? { prefixUnknown: true } : {}), ...kind, file: ctx.file, ...positionOf(call), via });
    }
  }
}

function unresolved(ctx: GoRouteContext, call: GoNode, node: GoNode, why = ''): void {
  ctx.unresolved.push({ file: ctx.file, ...positionOf(call), what: `${excerpt(node.text)}${why}` });
}

/** The group prefix a receiver stands for: `r` from gin.Default() is "", `v1 := r.Group("/v1")` is "/v1". */
function prefixOf(ctx: GoRouteContext, receiver: GoNode, depth: number): Prefix[] {
  if (depth > MAX_DEPTH) return [{ value: '', unknown: true, computed: false }];
  const expr = unparen(receiver);
  if (expr.type === 'call_expression') return groupCall(ctx, expr, depth) ?? [{ value: '', unknown: false, computed: false }];
  if (expr.type !== 'identifier') return [{ value: '', unknown: true, computed: false }];
  const binding = ctx.scope.lookup(expr.text, expr);
  if (binding?.kind === 'var' && binding.value) {
    const value = unparen(binding.value);
    if (value.type === 'call_expression') return groupCall(ctx, value, depth) ?? [{ value: '', unknown: false, computed: false }];
    if (value.type === 'unary_expression' || value.type === 'composite_literal') return [{ value: '', unknown: false, computed: false }];
    return [{ value: '', unknown: true, computed: false }];
  }
  if (binding?.kind === 'other') return chiSubrouter(ctx, expr, depth) ?? [{ value: '', unknown: true, computed: false }];
  return [{ value: '', unknown: true, computed: false }];
}

/** `x.Group("/v1")`, `x.PathPrefix("/api").Subrouter()`: the prefix; undefined for a constructor like gin.New(). */
function groupCall(ctx: GoRouteContext, call: GoNode, depth: number): Prefix[] | undefined {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'selector_expression') return undefined;
  const field = fn.childForFieldName('field')?.text;
  const operand = fn.childForFieldName('operand');
  if (!operand) return undefined;
  if (field === 'Subrouter') {
    const inner = unparen(operand);
    const innerFn = inner.type === 'call_expression' ? inner.childForFieldName('function') : null;
    if (innerFn?.type === 'selector_expression' && innerFn.childForFieldName('field')?.text === 'PathPrefix') {
      return extend(ctx, innerFn.childForFieldName('operand')!, callArguments(inner)[0], depth);
    }
    return undefined;
  }
  if (field !== 'Group') return undefined;
  const first = callArguments(call)[0];
  // chi's r.Group(func(r chi.Router) {...}) adds no prefix.
  if (!first || first.type === 'func_literal') return prefixOf(ctx, operand, depth + 1);
  return extend(ctx, operand, first, depth);
}

function extend(ctx: GoRouteContext, parent: GoNode, prefixNode: GoNode | undefined, depth: number): Prefix[] {
  const prefix = prefixNode ? resolveGoString(prefixNode, ctx.scope) : '';
  return prefixOf(ctx, parent, depth + 1).map((p) => (prefix === undefined ? { ...p, computed: true } : { ...p, value: joinRoutePath(p.value, prefix) }));
}

/** chi: `r.Route("/api", func(r chi.Router) { r.Get(...) })`: the parameter is the parent under "/api". */
function chiSubrouter(ctx: GoRouteContext, use: GoNode, depth: number): Prefix[] | undefined {
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
  if (field === 'Route' && callArgs.length === 2 && callArgs[1].id === node.id) return extend(ctx, operand, callArgs[0], depth);
  if (field === 'Group' && callArgs.length === 1) return prefixOf(ctx, operand, depth + 1);
  return undefined;
}
