// Which scanned file a relative import (or an import of a monorepo's workspace package) names, for
// the facts joined across files (routers mounted in another file, an SDK value exported by another
// file).

import path from 'node:path';

/**
 * Whether an import names the project's own code, whose facts are joined across files: a relative
 * path, or (`local`) a workspace package the scan follows (ts-workspace.ts).
 */
export function isProjectModule(source: string, local?: (source: string) => boolean): boolean {
  return source.startsWith('.') || local?.(source) === true;
}

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

/**
 * The scanned file a relative specifier names: as written, with a TS extension for `.js`, or an
 * index file. `files` is keyed by the path the scan reports (relative, `/` separators); a bare
 * specifier (a package) names none, unless `packages` maps it to the path of the workspace
 * package's source entry (ts-workspace.ts), which is then looked up as a relative one would be.
 */
export function resolveModule<T>(files: ReadonlyMap<string, T>, from: string, specifier: string, packages?: ReadonlyMap<string, string>): T | undefined {
  const entry = specifier.startsWith('.') ? undefined : packages?.get(specifier);
  if (!specifier.startsWith('.') && entry === undefined) return undefined;
  const base = entry ?? path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.[cm]?[jt]sx?$/, '');
  const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => `${base}/index${e}`)];
  for (const c of candidates) {
    const found = files.get(c);
    if (found !== undefined) return found;
  }
  return undefined;
}
