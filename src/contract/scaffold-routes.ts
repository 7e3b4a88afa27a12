// The contract routes `sloctl init` writes, from the route registrations the code check found
// (src/scan): one per registration, with the path in the contract's `:param` syntax and a name
// made from method and path. Health and readiness paths become probes (outside every SLI) instead
// of routes, the SDK's own health and metrics paths are left out (the SDK serves them and they are
// outside every SLI already), and what a contract route cannot say is skipped with the reason.
// A Go subtree (ServeMux's `"/products/"`, gin's `"/products/*rest"`, a gorilla PathPrefix or chi
// Mount handler) is written `/products/*`, the template both SDKs' matchers take for `/products/`,
// `/products/42` and `/products/42/x` alike. A Go router that
// keeps a trailing `/` (gin, echo, gorilla/mux, chi; ServeMux's `{$}`) gets it in the template
// too: `/products` would be a redirect or a 404 there (src/scan/go-trailing-slash.ts).
//
// Pure: registrations in, the plan out.

import { HTTP_METHODS } from './schema.ts';
import { normalizeRoutePath, OPTIONAL_WILDCARD, subtreeName, type FoundRoute } from './route-paths.ts';

export type { FoundRoute };

/** A method a contract route may name (the schema's list). */
type ContractMethod = (typeof HTTP_METHODS)[number];

/**
 * Paths that are health or readiness checks by their name (Kubernetes' and load balancers'
 * conventions): requests there say nothing about what users get, so they go under `probes:`.
 */
const PROBE_PATHS = new Set(['/health', '/healthz', '/healthcheck', '/ready', '/readyz', '/readiness', '/live', '/livez', '/liveness', '/ping']);

/** Whether a path is a health or readiness check by its name (PROBE_PATHS). */
export function isProbePath(path: string): boolean {
  return PROBE_PATHS.has(path);
}

export interface PlannedRoute {
  name: string;
  method: ContractMethod;
  path: string;
  /** Where the code registers it. */
  from: FoundRoute;
  /** What the reader must check: a method assumed, a prefix sloctl could not see. */
  note?: string;
  /** Another registration of the same method and template was folded into this one: its handler may run too. */
  merged?: true;
  /** The declared dependencies its handler calls (scaffold-route-dependencies.ts); none written when undefined. */
  dependencies?: string[];
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** Health and readiness paths the code registers, for `probes:`. */
  probes: Array<{ path: string; from: FoundRoute }>;
  /** Registrations not written, each with why; `sdk`: the SDK's own health or metrics path (nothing to add by hand). */
  skipped: Array<{ from: FoundRoute; why: string; sdk?: true }>;
}

/** Turns the registrations into contract routes; `health` and `metrics` are the target's paths (the SDK serves them). */
export function planRoutes(found: readonly FoundRoute[], sdkPaths: { health: string; metrics: string }): RoutePlan {
  const plan: RoutePlan = { routes: [], probes: [], skipped: [] };
  const sdkOwn = new Set([normalizeRoutePath(sdkPaths.health), normalizeRoutePath(sdkPaths.metrics)]);
  const seen = new Set<string>();
  const paths = new Set<string>();
  const planned = new Map<string, PlannedRoute[]>();
  const names = new Set<string>();
  // Explicit methods first, so `app.all('/x')` beside `app.get('/x')` adds nothing.
  const ordered = [...found.filter((r) => r.method !== '*'), ...found.filter((r) => r.method === '*')];
  for (const r of ordered) {
    const template = contractTemplate(r.path);
    const path = r.trailingSlash && template !== '/' && /\/(\{\$\})?$/.test(r.path) ? `${template}/` : template;
    const normalized = normalizeRoutePath(path);
    if (!r.prefixUnknown && sdkOwn.has(normalized)) {
      plan.skipped.push({ from: r, why: `${normalized} is the contract's health or metrics path (target.health / target.metrics), outside every SLI`, sdk: true });
      continue;
    }
    if (!r.prefixUnknown && PROBE_PATHS.has(normalized.toLowerCase()) && (r.method === 'GET' || r.method === 'HEAD' || r.method === '*')) {
      if (!plan.probes.some((p) => p.path === path)) plan.probes.push({ path, from: r });
      continue;
    }
    const anyMethod = r.method === '*';
    const method = anyMethod ? 'GET' : r.method;
    if (!(HTTP_METHODS as readonly string[]).includes(method)) {
      plan.skipped.push({ from: r, why: `a contract route's method is one of ${HTTP_METHODS.join(', ')}, not ${r.method}` });
      continue;
    }
    // One route per method and template: the same route registered twice (or under two spellings
    // of one template) is written once, and an any-method registration only where no explicit one is.
    const pathKey = `${r.prefixUnknown ? '…' : ''}${normalized}`;
    if (anyMethod ? paths.has(pathKey) : seen.has(`${method} ${pathKey}`)) {
      for (const p of planned.get(pathKey) ?? []) if (anyMethod || p.method === method) p.merged = true;
      continue;
    }
    seen.add(`${method} ${pathKey}`);
    paths.add(pathKey);
    const notes: string[] = [];
    if (anyMethod) notes.push('registered for any method: GET written, add a route for each other method it serves');
    if (r.prefixUnknown) notes.push('mounted under a prefix sloctl cannot see: write the full path the clients call');
    if (r.subtree) notes.push(`${subtreeName(r)}: every path under it`);
    if (r.catchAll) notes.push("Go ServeMux's catch-all: it counts requests for / alone, so add a route for each other path its handler serves");
    const route: PlannedRoute = {
      name: uniqueName(routeName(method, path), names),
      method: method as ContractMethod,
      path,
      from: r,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
    plan.routes.push(route);
    planned.set(pathKey, [...(planned.get(pathKey) ?? []), route]);
  }
  // A route on a probe's path (POST /readyz beside GET /readyz; the end of a route under an unknown
  // prefix that reads /healthz) would be outside every SLI: it counts nothing, so it is not written.
  const outside = new Set([sdkPaths.health, ...plan.probes.map((p) => p.path)]);
  plan.routes = plan.routes.filter((r) => {
    if (!outside.has(r.path)) return true;
    plan.skipped.push({ from: r.from, why: `${r.path} is ${r.path === sdkPaths.health ? 'the health path' : 'a probe path'}, outside every SLI${r.from.prefixUnknown ? ' (this route is under a prefix sloctl cannot see: write it with its full path)' : ''}` });
    return false;
  });
  // By path, then method as the contract's list orders them: a resource's routes sit together.
  const rank = (m: string) => (HTTP_METHODS as readonly string[]).indexOf(m);
  plan.routes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : rank(a.method) - rank(b.method)));
  return plan;
}

/**
 * A path template in the contract's syntax: `:name` parameters (Go's `{id}`, gorilla's
 * `{id:[0-9]+}`, Express' `:id(\d+)`, Hono's `:id{[0-9]+}` all become `:id`; Express' optional
 * `:id?` stays), `*name` wildcards (Go's `{rest...}` and Express 5's `{*rest}` become `*rest`), no `{$}` (Go's "this path
 * exactly") and no empty segments. A segment whose rewrite would compare differently with the
 * code's (route-paths.ts, which validate and the gate match by) is kept as the code writes it.
 */
export function contractTemplate(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== '{$}').map((s) => {
    const rewritten = contractSegment(s);
    return normalizeRoutePath(`/${rewritten}`) === normalizeRoutePath(`/${s}`) ? rewritten : s;
  });
  // No trailing or doubled `/`: the contract writes `/cart` for `router.get('/')` under `/cart`.
  return `/${segments.join('/')}`;
}

function contractSegment(s: string): string {
  const rest = /^\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}$/.exec(s) ?? OPTIONAL_WILDCARD.exec(s); // Go `{rest...}`, path-to-regexp `{*rest}`
  if (rest) return `*${rest[1]}`;
  const goParam = /^\{([A-Za-z_][A-Za-z0-9_]*)(:[^{}]*)?\}$/.exec(s);
  if (goParam) return `:${goParam[1]}`;
  // `:id(\d+)`, `:id{[0-9]+}`, alone or inside a segment (`:from-:to`): the name, and `?` if optional.
  return s.replace(/:([A-Za-z0-9_$]+)(\([^)]*\)|\{[^}]*\})?(\?)?/g, ':$1$3');
}

/** `GET /users/:id` -> `get-users-by-id`; `GET /` -> `get-root`; `*rest` -> `any-rest`. */
export function routeName(method: string, path: string): string {
  const words = path.split('/').filter(Boolean).map((s) => {
    if (s.startsWith(':')) return `by-${s.slice(1)}`;
    if (s.startsWith('*')) return s.length > 1 ? `any-${s.slice(1)}` : 'any';
    return s;
  });
  return sanitizeName([method.toLowerCase(), ...(words.length > 0 ? words : ['root'])].join('-'));
}

const NAME_MAX = 63;

/**
 * Any text as a contract name (lower-case letters, digits, `-` and `_`, starting with a letter
 * or digit, at most 63): camelCase words split, everything else a dash. Empty when nothing is left.
 */
export function sanitizeName(text: string): string {
  const dashed = text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^[-_]+/, '');
  return dashed.slice(0, NAME_MAX).replace(/[-_]+$/, '');
}

/** `name`, or `name-2`, `name-3`... whichever is not taken yet; records the one returned. */
function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) {
    const suffix = `-${n}`;
    candidate = `${name.slice(0, NAME_MAX - suffix.length).replace(/[-_]+$/, '')}${suffix}`;
  }
  taken.add(candidate);
  return candidate;
}
