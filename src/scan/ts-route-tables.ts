// Joins the route facts of every file of a project: a router exported by one file and mounted
// with `app.use('/api', router)` in another gets the prefix; a plugin registered with
// `{ prefix: '/v1' }` gets it too; a table nobody visibly mounts is an app (its paths are whole)
// or, for a router or plugin, sits under a prefix sloctl cannot see (its paths are only ends).

import { joinRoutePath } from '../contract/route-paths.ts';
import { resolveModule } from './ts-modules.ts';
import type { FileRoutes, LocalRef } from './ts-routes.ts';
import type { RegisteredRoute, UnresolvedRoute } from './types.ts';

/** A table mounted through more chains than this keeps the first ones. */
const MAX_PREFIXES = 16;
const COMPUTED = '\u0000';

interface Prefix {
  value: string;
  /** Mounted somewhere sloctl cannot see: `value` is only the end of the prefix. */
  unknown: boolean;
  computed: boolean;
}

export function linkRoutes(files: readonly FileRoutes[]): { routes: RegisteredRoute[]; unresolved: UnresolvedRoute[] } {
  const byFile = new Map(files.map((f) => [f.file, f]));
  const global = (file: string, ref: LocalRef, param = 0): string | undefined => {
    if (ref.kind === 'table') return `${file}|${ref.key}`;
    if (ref.kind === 'fn') return `${file}|${ref.key}:p${param}`;
    const target = resolveModule(byFile, file, ref.source);
    if (!target) return undefined;
    const exported = target.exports.get(ref.imported === '*' ? 'default' : ref.imported);
    if (!exported || exported.kind === 'import') return undefined; // re-exports are not followed
    return global(target.file, exported, param);
  };

  const tables = new Map<string, { root: boolean; own: string }>();
  const mountsOf = new Map<string, Array<{ parent: string; prefix: string | undefined }>>();
  for (const f of files) {
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

  const routes: RegisteredRoute[] = [];
  const unresolved: UnresolvedRoute[] = [];
  for (const f of files) {
    for (const r of f.routes) {
      const key = r.table ? global(f.file, r.table) : undefined;
      const prefixes = key ? prefixesOf(key, new Set()) : [{ value: '', unknown: true, computed: false }];
      const at = { file: f.file, line: r.line, col: r.col };
      if (r.path === undefined) {
        unresolved.push({ ...at, what: r.what });
        continue;
      }
      for (const p of prefixes) {
        if (p.computed) unresolved.push({ ...at, what: `${r.what} under a prefix computed at run time` });
        else routes.push({ method: r.method, path: joinRoutePath(p.value, r.path), ...(p.unknown ? { prefixUnknown: true } : {}), ...at, via: r.via });
      }
    }
  }
  return { routes, unresolved };
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
