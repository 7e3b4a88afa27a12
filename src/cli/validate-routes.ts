// The route check of `validate --project` / `--go-module-path`, both ways: every contract route
// must be one the code registers (an error located at the route's path in slo.yaml, naming the
// closest registered route), and with --strict every registered route must be one the contract
// lists (one warning with the list of routes to add). Registrations whose path is computed at
// run time make the check partial: then nothing is called missing for sure. Go's ServeMux adds
// two cases (src/scan/go-routes.ts): a contract route that is a subtree's root without its slash
// (`/products` beside `"/products/"`) is answered with a redirect, so it is not served as
// written; and a route nothing registers may still be served by a catch-all `"/"`, whose handler
// sloctl does not read, so it is a warning that names the catch-all instead of an error. Go's
// other routers (and ServeMux's `{$}`) keep a trailing `/`: a contract route that differs from a
// registration only by it is an error that says what the router answers instead (a redirect or a
// 404), or a warning where a middleware seen in the code may rewrite it (src/scan/go-trailing-slash.ts).
// Node's routers get the same check where they keep the two apart (Fastify and Hono by default,
// Express and @koa/router in strict routing), and a trailing wildcard's root where their wildcard
// does not take it (src/scan/node-routers.ts).
// A load.mix entry's `path:` is held to the same rule (mixSlashFindings): the contract check
// compares it with its route segment by segment, the trailing `/` aside, so a mix that sends
// `/products/` to a gin `"/products"` passed and every request got a 301 at run time.

import type { Diagnostic } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';
import { catchAllMayServe, closestRoute, normalizeRoutePath, routeServes, showRoute, slashMismatch, subtreeRedirect, subtreeRoot, type SlashAnswer } from '../contract/route-paths.ts';
import type { RegisteredRoute, ScanWarning, UnresolvedRoute } from '../scan/types.ts';
import { pluralize } from './plural.ts';

/** How many registrations a finding lists as notes; the message counts them all. */
const MAX_NOTES = 20;

export interface RouteCheck {
  diagnostics: Diagnostic[];
  /** One line for the summary: what was compared, or why nothing was. */
  summary: string;
}

/**
 * `routes` and `unresolved` are the registrations in the code that belongs to this contract,
 * with `file` as shown to the user; `where` names the directories that code was looked for in
 * (the contract's own, when it is below the scanned one). `elsewhere`, when the contract's code
 * registers no route: what the scan found outside it and why it is not this contract's.
 * `strips`: the scan's `slash-strip` warnings in that code (a Go StripPrefix ending in `/`), named
 * by a missing contract route under their prefix, whose routes they are likely to be.
 */
export function checkRoutes(l: LoadedContract, routes: readonly RegisteredRoute[], unresolved: readonly UnresolvedRoute[], where: string, strict: boolean, elsewhere = '', strips: readonly ScanWarning[] = []): RouteCheck {
  const c = l.contract!;
  const out: Diagnostic[] = [];
  if (routes.length === 0 && unresolved.length === 0) {
    const summary = c.routes.length === 0
      ? `  route check (${l.file}): no routes in the contract, none registered in its code under ${where}`
      : `  route check (${l.file}): not done, no route registrations found in its code under ${where}${elsewhere} (sloctl reads Fastify, Express, Koa with @koa/router, Hono, NestJS controllers, net/http, gorilla/mux, gin, echo and chi)`;
    return { diagnostics: out, summary };
  }
  const partial = unresolved.length > 0;
  const computed = `${pluralize(unresolved.length, 'route')} registered with computed paths ${unresolved.length === 1 ? 'was' : 'were'} not checked`;
  let missing = 0;
  c.routes.forEach((route, i) => {
    if (routes.some((r) => routeServes(r, route))) return;
    missing++;
    const pos = l.locate(['routes', i, 'path'], 'value');
    const redirect = routes.find((r) => subtreeRedirect(r, route));
    if (redirect) {
      const root = `${route.path.split('?')[0]}/`;
      out.push({
        file: l.file, ...pos, severity: partial ? 'warning' : 'error', code: 'SLO_ROUTE_NOT_REGISTERED', path: ['routes', i, 'path'],
        message: `route "${route.name}" (${route.method} ${route.path}) is not served as written: the code registers the ServeMux subtree \`${showRoute({ ...redirect, path: subtreeRoot(redirect.path) })}\` (${redirect.file}:${redirect.line}:${redirect.col}), and Go's ServeMux answers ${route.path} with a 301 redirect to ${root}${partial ? `; ${computed}, so it may be one of them` : ''}`,
        hint: `write the path clients call: ${root} for that path alone, or ${root}* for every path under it; or register ${route.path} in the code as well`,
        related: [{ file: redirect.file, line: redirect.line, col: redirect.col, message: `${showRoute(redirect)} registered here (${redirect.via})` }],
      });
      return;
    }
    const slash = slashFinding(route, routes);
    if (slash) {
      const { registered: r } = slash;
      const asked = route.path.split('?')[0];
      const other = asked.endsWith('/') ? asked.slice(0, -1) : `${asked}/`;
      const said = slashWords(slash, route, routes, "the contract's route");
      out.push({
        file: l.file, ...pos, severity: partial || said.maybe ? 'warning' : 'error', code: 'SLO_ROUTE_NOT_REGISTERED', path: ['routes', i, 'path'],
        message: `route "${route.name}" (${route.method} ${route.path}) ${said.maybe ? 'may not be' : 'is not'} served as written: the code registers \`${showRoute(r)}\` (${r.file}:${r.line}:${r.col}), and ${said.what}${partial ? `; ${computed}, so it may be one of them` : ''}`,
        hint: r.subtree && r.trailingSlash?.root !== undefined
          // Neither spelling of the wildcard's root is served (Express' `/files/*splat`): only the paths under it.
          ? `write ${subtreeRoot(r.path)}* (every path under ${subtreeRoot(r.path)}) or one such path; or register ${asked} in the code as well`
          : `write ${other}, the path the code registers${said.maybe && !said.catchAll ? ', so the route is served whichever router the middleware wraps' : ''}; or register ${asked} in the code as well`,
        related: [{ file: r.file, line: r.line, col: r.col, message: `${showRoute(r)} registered here (${r.via})` }, ...said.related],
      });
      return;
    }
    const closest = closestRoute(route, routes);
    // Under a StripPrefix("/shop/", r) that leaves r's paths without their leading `/`: most likely r's route.
    const strip = strips.find((w) => w.prefix !== undefined && route.path.startsWith(w.prefix));
    const hint = strip
      ? `strip ${JSON.stringify(strip.prefix!.replace(/\/+$/, ''))} instead of ${JSON.stringify(strip.prefix)} at ${strip.file}:${strip.line}:${strip.col}, so the mounted router's routes are served under it`
      : closest
        ? `the closest route the code registers is \`${showRoute(closest)}\` (${closest.file}:${closest.line}:${closest.col}): fix the contract's method or path, or register the route`
        : 'register the route in the code, or remove it from the contract';
    const catchAll = routes.find((r) => catchAllMayServe(r, route));
    const mayBe = [
      ...(partial ? [`${computed}, so it may be one of them`] : []),
      ...(catchAll ? [`Go's ServeMux sends it to the catch-all \`${showRoute(catchAll)}\` (${catchAll.file}:${catchAll.line}:${catchAll.col}), which serves it only if that handler dispatches on the path itself`] : []),
    ];
    const related = [
      ...(strip ? [{ file: strip.file, line: strip.line, col: strip.col, message: `the StripPrefix that leaves the mounted router's paths without their leading / (its warning says what the router answers)` }] : []),
      ...(closest ? [{ file: closest.file, line: closest.line, col: closest.col, message: `${showRoute(closest)} registered here` }] : []),
      ...(catchAll && catchAll !== closest ? [{ file: catchAll.file, line: catchAll.line, col: catchAll.col, message: `${showRoute(catchAll)} registered here: the catch-all` }] : []),
    ];
    out.push({
      file: l.file, ...pos, severity: mayBe.length > 0 ? 'warning' : 'error', code: 'SLO_ROUTE_NOT_REGISTERED', path: ['routes', i, 'path'],
      message: `route "${route.name}" (${route.method} ${route.path}) is not registered by the code under ${where}${strip ? `; a router is mounted at ${strip.prefix} with http.StripPrefix(${JSON.stringify(strip.prefix)}, …) (${strip.file}:${strip.line}:${strip.col}), which strips the / its paths begin with, so its routes are not served under it` : ''}${mayBe.map((m) => `; ${m}`).join('')}`,
      hint: catchAll ? `${hint}; if the catch-all's handler serves it, register it with a pattern of its own so the route check sees it` : hint,
      ...(related.length > 0 ? { related } : {}),
    });
  });

  out.push(...mixSlashFindings(l, routes, partial ? computed : undefined));

  let uncoveredCount = 0;
  if (strict) {
    const exempt = new Set([c.target?.health, c.target?.metrics, ...c.probes.map((p) => (typeof p === 'string' ? p : p.path))].filter((p): p is string => typeof p === 'string').map(normalizeRoutePath));
    const seen = new Set<string>();
    const uncovered = routes.filter((r) => {
      if (c.routes.some((route) => routeServes(r, route))) return false;
      if (!r.prefixUnknown && exempt.has(normalizeRoutePath(r.path))) return false;
      const key = `${r.method} ${r.prefixUnknown ? '…' : ''}${normalizeRoutePath(r.path)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    uncoveredCount = uncovered.length;
    if (uncovered.length > 0) {
      const pos = c.routes.length > 0 ? l.locate(['routes'], 'key') : l.locate([]);
      const list = uncovered.map(showRoute);
      out.push({
        file: l.file, ...pos, severity: 'warning', code: 'SLO_ROUTE_UNCOVERED', path: ['routes'],
        message: `${pluralize(uncovered.length, 'route')} the code registers ${uncovered.length === 1 ? 'is' : 'are'} not in the contract: ${list.join(', ')}`,
        hint: 'add each under `routes:` (name, method, path, weight) so an objective covers it; list health and readiness paths under `probes:`',
        related: uncovered.slice(0, MAX_NOTES).map((r) => ({ file: r.file, line: r.line, col: r.col, message: `${showRoute(r)} registered here (${r.via})` })),
      });
    }
  }

  if (partial && (missing > 0 || strict)) {
    const first = unresolved[0];
    out.push({
      file: first.file, line: first.line, col: first.col, severity: 'warning', code: 'SLO_ROUTE_PARTIAL',
      message: `the route check of ${l.file} is partial: ${computed} (${unresolved.slice(0, 3).map((u) => u.what).join(', ')}${unresolved.length > 3 ? ', …' : ''})`,
      hint: 'write route paths and prefixes as literals or constants of the file, so sloctl can read them',
      related: unresolved.slice(1, MAX_NOTES).map((u) => ({ file: u.file, line: u.line, col: u.col, message: `path computed at run time: ${u.what}` })),
    });
  }

  const found = c.routes.length - missing;
  const parts = [`${found}/${c.routes.length} contract routes found among ${routes.length} registered under ${where}`];
  if (partial) parts.push(computed);
  if (strict) parts.push(`${pluralize(uncoveredCount, 'registered route')} not in the contract`);
  return { diagnostics: out, summary: `  route check (${l.file}): ${parts.join('; ')}` };
}

/**
 * The load.mix entries whose `path:` differs from their route's by the trailing `/` alone (the
 * contract check lets that pass: src/contract/mix-paths.ts) where the code's router keeps the two
 * apart: `path: /products/` for a gin `"/products"` is a 301 for every request the entry sends, a
 * ServeMux subtree's root without its slash too, chi and echo answer a 404. Only entries whose
 * route the code serves as written (the route check says the rest). `computed`: the route check
 * is partial (some registrations were not read), so a finding is a warning.
 */
function mixSlashFindings(l: LoadedContract, routes: readonly RegisteredRoute[], computed: string | undefined): Diagnostic[] {
  const c = l.contract!;
  const out: Diagnostic[] = [];
  c.load?.mix.forEach((entry, i) => {
    const route = c.routes.find((r) => r.name === entry.route);
    if (route === undefined || entry.path === undefined) return;
    const [sent, query] = [entry.path.split('?')[0], entry.path.includes('?') ? entry.path.slice(entry.path.indexOf('?')) : ''];
    const routePath = route.path.split('?')[0];
    if (sent === '/' || routePath === '/' || sent.endsWith('/') === routePath.endsWith('/')) return;
    if (!routes.some((r) => routeServes(r, route))) return; // the route check's finding
    // The request as a route: the route's own template with the mix's trailing `/` (its segments match: mix-paths.ts).
    const asked = { method: route.method, path: sent.endsWith('/') ? `${routePath}/` : routePath.slice(0, -1) };
    if (routes.some((r) => routeServes(r, asked))) return; // the router serves both spellings, or the code registers both
    const fixed = `${sent.endsWith('/') ? sent.slice(0, -1) : `${sent}/`}${query}`;
    const pos = l.locate(['load', 'mix', i, 'path'], 'value');
    const label = `load.mix[${i}] (route "${route.name}", ${route.method} ${route.path}) sends ${entry.path}`;
    const whom = 'every request of the entry';
    const redirect = routes.find((r) => subtreeRedirect(r, asked));
    if (redirect) {
      out.push({
        file: l.file, ...pos, severity: computed ? 'warning' : 'error', code: 'SLO_MIX_PATH', path: ['load', 'mix', i, 'path'],
        message: `${label}, without the trailing / of the ServeMux subtree \`${showRoute({ ...redirect, path: subtreeRoot(redirect.path) })}\` (${redirect.file}:${redirect.line}:${redirect.col}) that serves the route: Go's ServeMux answers ${asked.path} with a 301 redirect to ${asked.path}/, so ${whom} gets a 301 instead of the route's answer and the gate reports route "${route.name}" as not tested${computed ? `; ${computed}, so another may serve it` : ''}`,
        hint: `write \`path: ${fixed}\`, the path the code registers`,
        related: [{ file: redirect.file, line: redirect.line, col: redirect.col, message: `${showRoute(redirect)} registered here (${redirect.via})` }],
      });
      return;
    }
    const slash = slashFinding(asked, routes);
    if (!slash) return; // nothing sloctl knows the router answers: not judged
    const said = slashWords(slash, asked, routes, whom);
    const r = slash.registered;
    const rule = r.trailingSlash!;
    const middleware = MIDDLEWARE_FIX[`${rule.router} ${sent.endsWith('/') ? 'removed' : 'added'}`];
    out.push({
      file: l.file, ...pos, severity: computed || said.maybe ? 'warning' : 'error', code: 'SLO_MIX_PATH', path: ['load', 'mix', i, 'path'],
      message: `${label}, which differs from the path the code registers, \`${showRoute(r)}\` (${r.file}:${r.line}:${r.col}), by its trailing / alone: ${said.what}${said.maybe ? '' : slash.answer.kind === 'redirect' ? `, and the gate reports route "${route.name}" as not tested` : `, and the gate reports route "${route.name}" as not served`}${computed ? `; ${computed}, so another may serve it` : ''}`,
      hint: `write \`path: ${fixed}\`, the path the code registers${middleware && !said.maybe ? `; or ${middleware}` : ''}`,
      related: [{ file: r.file, line: r.line, col: r.col, message: `${showRoute(r)} registered here (${r.via})` }, ...said.related],
    });
  });
  return out;
}

/** A router's own middleware that serves the other spelling, by router and the slash the request has in excess (`removed`) or lacks (`added`). */
const MIDDLEWARE_FIX: Record<string, string> = {
  'chi removed': 'have the router strip it: `r.Use(middleware.StripSlashes)` (github.com/go-chi/chi/v5/middleware)',
  'echo removed': 'have echo strip it before routing: `e.Pre(middleware.RemoveTrailingSlash())`',
  'echo added': 'have echo add it before routing: `e.Pre(middleware.AddTrailingSlash())`',
};

/**
 * What a router answers for a path that misses a registration by its trailing `/` alone, as a
 * finding words it: `gin redirects /a/ to /a (...): <whom> gets a 301`. `maybe`: a middleware seen
 * in the code may rewrite the path, or (Go's ServeMux, a 404 otherwise) the catch-all `"/"` gets it.
 */
function slashWords(slash: { registered: RegisteredRoute; answer: SlashAnswer }, asked: { method: string; path: string }, routes: readonly RegisteredRoute[], whom: string): { what: string; maybe: boolean; catchAll: boolean; related: Array<{ file: string; line: number; col: number; message: string }> } {
  const { registered: r, answer } = slash;
  const path = asked.path.split('?')[0];
  const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
  const router = r.trailingSlash!.router;
  if (answer.kind === 'redirect') {
    return { what: `${router} redirects ${path} to ${other} (${answer.because}): ${whom} gets a ${asked.method.toUpperCase() === 'GET' ? answer.status : (answer.otherMethods ?? answer.status)}`, maybe: false, catchAll: false, related: [] };
  }
  if (answer.kind === 'rewritten') {
    return { what: `${router} answers ${path} with a 404 unless ${answer.because} before it routes; sloctl does not check which router that middleware wraps`, maybe: true, catchAll: false, related: [{ file: answer.file, line: answer.line, col: answer.col, message: 'the middleware that may rewrite the path' }] };
  }
  // ServeMux hands a path no pattern matches to its catch-all "/", whose handler sloctl does not read.
  const catchAll = r.trailingSlash === undefined || !r.trailingSlash.router.includes('ServeMux') ? undefined : routes.find((x) => catchAllMayServe(x, asked));
  if (catchAll) {
    return { what: `${router} sends ${path} to the catch-all \`${showRoute(catchAll)}\` (${catchAll.file}:${catchAll.line}:${catchAll.col}) (${answer.because}), which serves it only if that handler dispatches on the path itself`, maybe: true, catchAll: true, related: [{ file: catchAll.file, line: catchAll.line, col: catchAll.col, message: `${showRoute(catchAll)} registered here: the catch-all` }] };
  }
  return { what: `${router} answers ${path} with a 404 (${answer.because})`, maybe: false, catchAll: false, related: [] };
}

/** The registration a contract route misses by its trailing `/` alone, and what its router answers; a redirect or 404 before a rewrite. */
function slashFinding(route: { method: string; path: string }, routes: readonly RegisteredRoute[]): { registered: RegisteredRoute; answer: SlashAnswer } | undefined {
  let found: { registered: RegisteredRoute; answer: SlashAnswer } | undefined;
  for (const registered of routes) {
    const answer = slashMismatch(registered, route);
    if (answer && (!found || (found.answer.kind === 'rewritten' && answer.kind !== 'rewritten'))) found = { registered, answer };
  }
  return found;
}
