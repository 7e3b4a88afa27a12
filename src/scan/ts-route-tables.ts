// Joins the route facts of every file of a project: a router exported by one file and mounted
// with `app.use('/api', router)` in another gets the prefix; a plugin registered with
// `{ prefix: '/v1' }` gets it too; a table nobody visibly mounts is an app (its paths are whole)
// or, for a router or plugin, sits under a prefix sloctl cannot see (its paths are only ends).
// Each route also gets what its router answers for the other spelling of its trailing `/`
// (src/scan/node-routers.ts): the table's own router, else the one it is mounted on (a Fastify
// plugin shares its instance's options), else the framework its file imports.

import { joinRoutePath } from '../contract/route-paths.ts';
import { resolveModule } from './ts-modules.ts';
import { defaultRouter, nodeRouteShapes, type NodeFramework, type NodeRouter } from './node-routers.ts';
import type { FileRoutes, LocalRef, TableInfo } from './ts-routes.ts';
import type { RegisteredRoute, SdkScope, UnresolvedRoute } from './types.ts';

/** A table mounted through more chains than this keeps the first ones. */
const MAX_PREFIXES = 16;
const COMPUTED = '\u0000';

interface Prefix {
  value: string;
  /** Mounted somewhere sloctl cannot see: `value` is only the end of the prefix. */
  unknown: boolean;
  computed: boolean;
}

export function linkRoutes(files: readonly FileRoutes[], packages?: ReadonlyMap<string, string>): { routes: RegisteredRoute[]; unresolved: UnresolvedRoute[]; sdkScopes: SdkScope[] } {
  const byFile = new Map(files.map((f) => [f.file, f]));
  const global = (file: string, ref: LocalRef, param = 0): string | undefined => {
    if (ref.kind === 'table') return `${file}|${ref.key}`;
    if (ref.kind === 'fn') return `${file}|${ref.key}:p${param}`;
    const target = resolveModule(byFile, file, ref.source, packages);
    if (!target) return undefined;
    const exported = target.exports.get(ref.imported === '*' ? 'default' : ref.imported);
    if (!exported || exported.kind === 'import') return undefined; // re-exports are not followed
    return global(target.file, exported, param);
  };

  const tables = new Map<string, TableInfo>();
  const fileFramework = new Map<string, NodeFramework | undefined>();
  const mountsOf = new Map<string, Array<{ parent: string; prefix: string | undefined }>>();
  for (const f of files) {
    fileFramework.set(f.file, f.framework);
    for (const [key, info] of f.tables) tables.set(`${f.file}|${key}`, info);
    for (const m of f.mounts) {
      const parent = global(f.file, m.parent);
      const child = global(f.file, m.child, m.param);
      if (!parent || !child) continue;
      const list = mountsOf.get(child) ?? [];
      list.push({ parent, prefix: m.prefix });
      mountsOf.set(child, list);
    }
  }

  const memo = new Map<string, Prefix[]>();
  const prefixesOf = (key: string, visiting: Set<string>): Prefix[] => {
    const cached = memo.get(key);
    if (cached) return cached;
    const info = tables.get(key);
    const own = info?.own ?? '';
    const withOwn = (p: Prefix): Prefix => (own === COMPUTED ? { ...p, computed: true } : { ...p, value: joinRoutePath(p.value, own) });
    const mounts = mountsOf.get(key) ?? [];
    let out: Prefix[] = [];
    if (visiting.has(key)) return [{ value: '', unknown: true, computed: false }];
    visiting.add(key);
    for (const m of mounts) {
      for (const p of prefixesOf(m.parent, visiting)) {
        if (out.length >= MAX_PREFIXES) break;
        out.push(withOwn(m.prefix === undefined ? { ...p, computed: true } : { ...p, value: joinRoutePath(p.value, m.prefix) }));
      }
    }
    visiting.delete(key);
    if (mounts.length === 0) out = [withOwn({ value: '', unknown: !info?.root, computed: false })];
    out = dedupe(out);
    memo.set(key, out);
    return out;
  };

  // A table whose maker sloctl did not see (a plugin's parameter, mounted where sloctl cannot see)
  // gets its file's framework with the options every app of that framework in the project agrees
  // on: a Fastify plugin's instance is one of them.
  const appRouters = [...tables.values()].filter((t) => t.root && t.router !== undefined).map((t) => t.router!);
  const projectRouters = new Map<NodeFramework, NodeRouter>();
  const fileRouter = (file: string): NodeRouter | undefined => {
    const framework = fileFramework.get(file);
    if (framework === undefined) return undefined;
    let router = projectRouters.get(framework);
    if (router === undefined) {
      const same = appRouters.filter((r) => r.framework === framework);
      router = same.length === 0 ? defaultRouter(framework) : same.every((r) => r.strict === same[0].strict) ? same[0] : { framework, strict: undefined };
      projectRouters.set(framework, router);
    }
    return router;
  };
  const routerMemo = new Map<string, NodeRouter | undefined>();
  const routerOf = (key: string, visiting: Set<string>): NodeRouter | undefined => {
    if (routerMemo.has(key)) return routerMemo.get(key);
    let router = tables.get(key)?.router;
    if (router === undefined && !visiting.has(key)) {
      visiting.add(key);
      for (const m of mountsOf.get(key) ?? []) {
        router = routerOf(m.parent, visiting);
        if (router !== undefined) break;
      }
      visiting.delete(key);
    }
    router ??= fileRouter(key.slice(0, key.lastIndexOf('|'))); // the key is `${file}|${local key}`
    routerMemo.set(key, router);
    return router;
  };

  const routes: RegisteredRoute[] = [];
  const unresolved: UnresolvedRoute[] = [];
  for (const f of files) {
    for (const r of f.routes) {
      const key = r.table ? global(f.file, r.table) : undefined;
      const prefixes = key ? prefixesOf(key, new Set()) : [{ value: '', unknown: true, computed: false }];
      const router = key ? routerOf(key, new Set()) : fileRouter(f.file);
      const at = { file: f.file, line: r.line, col: r.col };
      if (r.path === undefined) {
        unresolved.push({ ...at, what: r.what });
        continue;
      }
      for (const p of prefixes) {
        if (p.computed) unresolved.push({ ...at, what: `${r.what} under a prefix computed at run time` });
        else {
          const mountedRoot = r.path === '/' && (p.unknown || (p.value !== '' && p.value !== '/'));
          for (const shape of nodeRouteShapes(router, joinRoutePath(p.value, r.path), mountedRoot)) {
            routes.push({ method: r.method, ...shape, ...(p.unknown ? { prefixUnknown: true } : {}), ...at, via: r.via, ...(r.handler ? { handler: r.handler } : {}) });
          }
        }
      }
    }
  }
  // Where sloctl's Hono middleware runs: its pattern under each prefix of its app.
  const sdkScopes: SdkScope[] = [];
  for (const f of files) {
    for (const u of f.sdkUses ?? []) {
      const key = global(f.file, u.table);
      const prefixes = key ? prefixesOf(key, new Set()) : [{ value: '', unknown: true, computed: false }];
      for (const p of prefixes) {
        if (p.computed) continue;
        sdkScopes.push({ path: joinRoutePath(p.value, u.path), ...(p.unknown ? { prefixUnknown: true } : {}), file: f.file, line: u.line, col: u.col, what: u.what });
      }
    }
  }
  return { routes, unresolved, sdkScopes };
}

function dedupe(list: Prefix[]): Prefix[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = `${p.value}|${p.unknown}|${p.computed}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
