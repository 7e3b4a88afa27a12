// The packages of a monorepo's workspace (npm/yarn `workspaces`, pnpm-workspace.yaml), so an import
// of one (`import { api } from '@mono/lib'`) is followed to its source like a relative import: the
// routes, metrics and dependencies a shared package defines count for the service that imports it.
// Real third-party packages in node_modules are never read.

import { existsSync, statSync } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface WorkspacePackage {
  /** The package.json `name`. */
  name: string;
  /** Absolute directory of the package. */
  dir: string;
  manifest: Record<string, unknown>;
}

/** A glob like `packages/**` walks at most this deep, so a stray pattern cannot walk a whole disk. */
const MAX_GLOB_DEPTH = 6;
/** Directories a workspace glob never enters: dependencies and hidden directories. */
const NEVER = new Set(['node_modules']);

/**
 * The workspace packages of the nearest workspace root at or above `dir` (a package.json with
 * `workspaces`, an array or `{ packages }`, or a pnpm-workspace.yaml with `packages:`); none when
 * there is no such root.
 */
export async function findWorkspacePackages(dir: string): Promise<WorkspacePackage[]> {
  for (let at = path.resolve(dir); ; ) {
    const globs = await workspaceGlobs(at);
    if (globs !== undefined) return packagesOf(at, globs);
    const parent = path.dirname(at);
    if (parent === at) return [];
    at = parent;
  }
}

async function workspaceGlobs(dir: string): Promise<string[] | undefined> {
  const manifest = await readJson(path.join(dir, 'package.json'));
  const ws = manifest?.workspaces;
  if (Array.isArray(ws)) return ws.filter((g): g is string => typeof g === 'string');
  if (isRecord(ws) && Array.isArray(ws.packages)) return ws.packages.filter((g): g is string => typeof g === 'string');
  const pnpm = await readFile(path.join(dir, 'pnpm-workspace.yaml'), 'utf8').catch(() => undefined);
  if (pnpm === undefined) return undefined;
  try {
    const doc: unknown = parseYaml(pnpm);
    if (isRecord(doc) && Array.isArray(doc.packages)) return doc.packages.filter((g): g is string => typeof g === 'string');
  } catch {
    // A pnpm-workspace.yaml that does not parse lists no package: imports are not followed.
  }
  return [];
}

async function packagesOf(root: string, globs: readonly string[]): Promise<WorkspacePackage[]> {
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const g of globs) {
    const negated = g.startsWith('!');
    const pattern = (negated ? g.slice(1) : g).replace(/^\.\//, '').replace(/\/+$/, '');
    for (const d of await expand(root, pattern.split('/').filter((s) => s !== '' && s !== '.'), 0)) (negated ? excluded : included).add(d);
  }
  const out: WorkspacePackage[] = [];
  for (const d of [...included].sort()) {
    if (excluded.has(d)) continue;
    const manifest = await readJson(path.join(d, 'package.json'));
    if (manifest !== undefined && typeof manifest.name === 'string' && manifest.name !== '') out.push({ name: manifest.name, dir: d, manifest });
  }
  return out;
}

/** The directories under `dir` a workspace pattern's segments match (`*` one name, `**` any depth). */
async function expand(dir: string, segments: readonly string[], depth: number): Promise<string[]> {
  if (segments.length === 0) return [dir];
  if (depth > MAX_GLOB_DEPTH) return [];
  const [head, ...rest] = segments;
  if (!/[*?[{]/.test(head)) return existsSync(path.join(dir, head)) ? expand(path.join(dir, head), rest, depth + 1) : [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NEVER.has(e.name)).map((e) => e.name);
  const out: string[] = [];
  if (head === '**') {
    out.push(...(await expand(dir, rest, depth)));
    for (const s of subdirs) out.push(...(await expand(path.join(dir, s), segments, depth + 1)));
    return out;
  }
  const re = segmentRegExp(head);
  for (const s of subdirs) if (re.test(s)) out.push(...(await expand(path.join(dir, s), rest, depth + 1)));
  return out;
}

function segmentRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\{([^}]*)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`);
  return new RegExp(`^${body}$`);
}

/**
 * The package a bare specifier names (the longest name that is the specifier or a prefix of it
 * followed by `/`), and the subpath after the name (`.` or `./x`).
 */
export function packageOf(packages: readonly WorkspacePackage[], specifier: string): { pkg: WorkspacePackage; subpath: string } | undefined {
  let best: WorkspacePackage | undefined;
  for (const p of packages) {
    if ((specifier === p.name || specifier.startsWith(`${p.name}/`)) && (best === undefined || p.name.length > best.name.length)) best = p;
  }
  if (best === undefined) return undefined;
  return { pkg: best, subpath: specifier === best.name ? '.' : `.${specifier.slice(best.name.length)}` };
}

/**
 * A package reached through `node_modules/<name>` above `fromDir` that is a symlink to a directory
 * outside any node_modules (npm and pnpm link workspace packages so): the user's own code. A real
 * directory, or a link into node_modules (pnpm's store), is a third-party package: none.
 */
export async function linkedPackage(fromDir: string, name: string): Promise<WorkspacePackage | undefined> {
  if (!/^(@[^/]+\/)?[^./@][^/]*$/.test(name)) return undefined;
  for (let at = path.resolve(fromDir); ; ) {
    const link = path.join(at, 'node_modules', name);
    const info = await lstat(link).catch(() => undefined);
    if (info !== undefined) {
      if (!info.isSymbolicLink()) return undefined;
      const real = await realpath(link).catch(() => undefined);
      if (real === undefined || real.split(path.sep).includes('node_modules')) return undefined;
      const manifest = await readJson(path.join(real, 'package.json'));
      return manifest === undefined ? undefined : { name, dir: real, manifest };
    }
    const parent = path.dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

// A package's entry points into its build output (`main: dist/index.js`, exports `./dist/...`);
// the scan reads sources and never build output (dist/ and build/ are skipped, and are often not
// built in a checkout), so the source file that output is compiled from is read instead.
const BUILD_DIRS = ['dist', 'build', 'out'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

/**
 * The source file (absolute) a subpath (`.` or `./x`) of a workspace package names: its
 * `exports` ("import", "default", "node", "require" or a string), else `module`, else `main`,
 * else index; a path into build output is read from its source (`src/...` with a TS extension,
 * else `src/index.ts`). Undefined when no such file exists, or `exports` does not export it.
 */
export function entryOf(pkg: WorkspacePackage, subpath: string): string | undefined {
  const target = exportTarget(pkg.manifest, subpath);
  if (target === null) return undefined;
  const rel = target ?? (subpath === '.' ? stringField(pkg.manifest.module) ?? stringField(pkg.manifest.main) ?? 'index.js' : subpath);
  return sourceFile(pkg.dir, rel, subpath === '.');
}

function sourceFile(dir: string, rel: string, isRoot: boolean): string | undefined {
  const clean = path.posix.normalize(rel.replace(/^\.\//, ''));
  const stem = clean.replace(/\.[cm]?[jt]sx?$/, '');
  const segments = clean.split('/');
  const fromBuild = BUILD_DIRS.includes(segments[0]) ? ['src', ...segments.slice(1)].join('/').replace(/\.[cm]?[jt]sx?$/, '') : undefined;
  const candidates = [
    ...(fromBuild !== undefined ? [...SOURCE_EXTENSIONS.map((e) => fromBuild + e), ...SOURCE_EXTENSIONS.map((e) => `${fromBuild}/index${e}`)] : []),
    clean,
    ...SOURCE_EXTENSIONS.map((e) => stem + e),
    ...SOURCE_EXTENSIONS.map((e) => `${clean}/index${e}`),
    ...(isRoot ? SOURCE_EXTENSIONS.map((e) => `src/index${e}`) : []),
  ];
  for (const c of candidates) {
    const abs = path.join(dir, c);
    if (c.split('/').some((s) => s === 'node_modules' || s === '..')) continue;
    if (!isDeclaration(c) && existsFile(abs)) return abs;
  }
  return undefined;
}

function isDeclaration(file: string): boolean {
  return /\.d\.[cm]?ts$/.test(file);
}

function existsFile(abs: string): boolean {
  return statSync(abs, { throwIfNoEntry: false })?.isFile() === true;
}

/**
 * What `exports` maps a subpath to: a path, undefined when the package has no `exports` (fall
 * back to module/main), or null when `exports` does not export the subpath (Node refuses it).
 */
function exportTarget(manifest: Record<string, unknown>, subpath: string): string | undefined | null {
  const exp = manifest.exports;
  if (exp === undefined) return undefined;
  const isSubpathMap = isRecord(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionTarget(exp) ?? null : null;
  const map = exp as Record<string, unknown>;
  if (subpath in map) return conditionTarget(map[subpath]) ?? null;
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [pre, post] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= pre.length + post.length) {
      const target = conditionTarget(value);
      if (target !== undefined) return target.replace('*', subpath.slice(pre.length, subpath.length - post.length));
    }
  }
  return null;
}

/** The path an exports value gives an ESM import: a string, or the first condition we read ("types" points at declarations). */
function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = conditionTarget(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  for (const condition of ['import', 'default', 'node', 'require']) {
    if (condition in value) {
      const t = conditionTarget(value[condition]);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

function stringField(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The module specifiers a source names (import/export from, import(), require()), found by their
 * shape (a parse per file is not needed to know which packages to read), each with where it is
 * first written (1-based), for a warning.
 */
export function specifiersIn(text: string): { specifier: string; line: number; col: number }[] {
  const out = new Map<string, { specifier: string; line: number; col: number }>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (out.has(m[2])) continue;
    const at = m.index + m[0].length - m[2].length - 2;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    out.set(m[2], { specifier: m[2], line, col: at - before.lastIndexOf('\n') });
  }
  return [...out.values()];
}
