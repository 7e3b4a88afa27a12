// Which scanned file a relative import names, for the facts joined across files (routers mounted
// in another file, an SDK value exported by another file).

import path from 'node:path';

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

/**
 * The scanned file a relative specifier names: as written, with a TS extension for `.js`, or an
 * index file. `files` is keyed by the path the scan reports (relative, `/` separators); a bare
 * specifier (a package) names none.
 */
export function resolveModule<T>(files: ReadonlyMap<string, T>, from: string, specifier: string): T | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.[cm]?[jt]sx?$/, '');
  const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => `${base}/index${e}`)];
  for (const c of candidates) {
    const found = files.get(c);
    if (found !== undefined) return found;
  }
  return undefined;
}
