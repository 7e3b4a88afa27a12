// The SDK's own paths against where its Hono middleware runs (`validate --project`). The Hono
// middleware serves the contract's health and metrics paths (`target.health`, `target.metrics`)
// only for the requests it sees, and it sees only those its registration matches: on an app with
// `basePath('/api')`, `app.use('*', middleware(sdk))` is registered at `/api/*`, so `/healthz` is
// Hono's 404 and sloctl gate, drill and accept never see the service UP. An error at the path,
// naming the registration and the path to write. A path the code registers a route for itself (a
// handler that calls sdk.healthResponse()) is its own, and a pattern sloctl cannot judge (a
// parameter, a prefix it did not see) is left alone.

import type { Diagnostic } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';
import { joinRoutePath, routeServes } from '../contract/route-paths.ts';
import type { RegisteredRoute, SdkScope } from '../scan/types.ts';

/** Whether Hono runs a middleware registered at `pattern` for `path`; undefined when sloctl cannot say. */
export function honoPatternSees(pattern: string, path: string): boolean | undefined {
  if (pattern === '*' || pattern === '/*') return true;
  const base = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
  if (/[:*{(]/.test(base)) return undefined;
  // Hono's `/api/*` also matches `/api`.
  return pattern.endsWith('/*') ? path === base || path.startsWith(`${base}/`) : path === base;
}

/**
 * Where the SDK's path `path` is answered, given where its Hono middleware runs: `path` itself when
 * a registration sees it (or sloctl cannot judge one), else `path` under the first registration's
 * prefix (`/api/healthz` for `/api/*`). What `sloctl init` writes.
 */
export function sdkPathFor(scopes: readonly SdkScope[], path: string): { path: string; scope?: SdkScope } {
  if (scopes.length === 0 || scopes.some((s) => s.prefixUnknown || honoPatternSees(s.path, path) !== false)) return { path };
  const s = scopes[0];
  return { path: joinRoutePath(s.path.endsWith('/*') ? s.path.slice(0, -2) : s.path, path), scope: s };
}

export function checkSdkPaths(l: LoadedContract, scopes: readonly SdkScope[], routes: readonly RegisteredRoute[]): Diagnostic[] {
  const c = l.contract;
  if (!c || scopes.length === 0 || scopes.some((s) => s.prefixUnknown)) return [];
  const out: Diagnostic[] = [];
  const paths = [
    { key: 'health', path: c.target?.health ?? '/healthz', what: 'health endpoint', who: 'sloctl gate, drill and accept wait for it to say UP, and never do' },
    { key: 'metrics', path: c.target?.metrics ?? '/metrics', what: 'metrics endpoint', who: 'sloctl gate, status and validate --target read nothing' },
  ] as const;
  for (const p of paths) {
    const seen = scopes.map((s) => honoPatternSees(s.path, p.path));
    if (seen.some((v) => v !== false)) continue;
    if (routes.some((r) => routeServes(r, { method: 'GET', path: p.path }))) continue;
    const s = scopes[0];
    const pos = l.locate(['target', p.key], 'value'); // the path, or where the default applies
    const suggestion = sdkPathFor(scopes, p.path).path;
    out.push({
      file: l.file, ...pos, severity: 'error', code: 'SLO_SDK_PATH_UNSERVED', path: ['target', p.key],
      message: `the ${p.what} ${p.path} (target.${p.key}) is never answered: sloctl's Hono middleware is registered at \`${s.path}\` (${s.file}:${s.line}:${s.col}: ${s.what}), so it never sees a request for ${p.path}, which Hono answers with a 404; ${p.who}`,
      hint: `write \`${p.key}: ${suggestion}\` under target (the SDK answers the path the contract names, for the requests it sees), or register the middleware on an app without a basePath or mount prefix`,
      related: scopes.map((x) => ({ file: x.file, line: x.line, col: x.col, message: `${x.what}: the middleware runs for \`${x.path}\`` })),
    });
  }
  return out;
}
