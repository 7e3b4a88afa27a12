// The code check for TypeScript and JavaScript services: which Prometheus metrics the sources
// register through prom-client or sloctl's SDK, the HTTP routes they register (ts-routes.ts;
// NestJS controllers: ts-nest.ts), and the dependencies they name through the SDK
// (ts-sdk-dependencies.ts).

import path, { join } from 'node:path';
import { readSources, type ReadSource } from './read-sources.ts';
import { assertDirectory } from './scan-root.ts';
import { finishResult } from './scan-result.ts';
import { scanTypeScriptSource } from './ts-file.ts';
import { linkNestRoutes, type NestFacts } from './ts-nest.ts';
import { resolveModule } from './ts-modules.ts';
import { linkRoutes } from './ts-route-tables.ts';
import type { PendingSdkOrder } from './ts-sdk-order.ts';
import { linkSdkDependencies, type FileSdkDependencies } from './ts-sdk-dependencies.ts';
import type { FileRoutes } from './ts-routes.ts';
import type { ExpressSdkUse, RegisteredMetric, ScanResult, ScanWarning, SdkInstrumentCall, SdkOrderProblem, ServeCall, TimedClient, UntimedClient } from './types.ts';
import { walkSourceFiles } from './walk-files.ts';
import { entryOf, findWorkspacePackages, linkedPackage, packageOf, specifiersIn, type WorkspacePackage } from './ts-workspace.ts';

const EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx']);

// Dependencies, build output and test scaffolding do not register the service's metrics.
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '__tests__', '__mocks__']);
/** The skipped directories that are build output (the code compiled), as opposed to dependencies or tests. */
const BUILD_DIRS = new Set(['dist', 'build']);

// Declaration files hold no code; test files register metrics for tests, not for the service
// (the same rule Go applies to `_test.go`).
const NOT_SERVICE_CODE = /\.(d|test|spec)\.[cm]?[jt]sx?$/;

function isSource(fileName: string): boolean {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && EXTENSIONS.has(fileName.slice(dot).toLowerCase()) && !NOT_SERVICE_CODE.test(fileName);
}

/**
 * Scans every TS/JS source under `dir` (skipping node_modules, dist, build, coverage, hidden
 * directories, symlinks, declaration and test files), and the sources of the monorepo workspace
 * packages they import by name (followWorkspaceImports). Throws only when `dir` is not a
 * directory; every problem inside it becomes a located warning.
 */
export async function scanTypeScriptProject(dir: string): Promise<ScanResult> {
  await assertDirectory(dir);
  const walk = await walkSourceFiles(dir, { skipDir: (name) => SKIP_DIRS.has(name), isSource });
  const warnings: ScanWarning[] = [...walk.warnings];
  const metrics: RegisteredMetric[] = [];
  const sources = await readSources(walk.files, warnings);
  const workspace = await followWorkspaceImports(dir, sources, warnings);
  sources.push(...workspace.sources);
  const local = workspace.entries.size > 0 ? (s: string) => workspace.entries.has(s) : undefined;
  const routeFacts: FileRoutes[] = [];
  const untimed: UntimedClient[] = [];
  const timed: TimedClient[] = [];
  const nestFacts: NestFacts[] = [];
  const sdkFacts: FileSdkDependencies[] = [];
  const sdkOrder: SdkOrderProblem[] = [];
  const sdkOrderPending: PendingSdkOrder[] = [];
  let expressSdk: ExpressSdkUse | undefined;
  const sdkInstruments: SdkInstrumentCall[] = [];
  const serveCalls: ServeCall[] = [];
  for (const source of sources) {
    const found = scanTypeScriptSource(source.relPath, source.text, local);
    metrics.push(...found.metrics);
    warnings.push(...found.warnings);
    if (found.routes) routeFacts.push(found.routes);
    if (found.untimed) untimed.push(...found.untimed);
    if (found.timed) timed.push(...found.timed);
    if (found.nest) nestFacts.push(found.nest);
    if (found.sdkDependencies) sdkFacts.push(found.sdkDependencies);
    if (found.sdkOrder) sdkOrder.push(...found.sdkOrder);
    if (found.sdkOrderPending) sdkOrderPending.push(...found.sdkOrderPending);
    if (found.expressSdk) expressSdk = joinExpressSdk(expressSdk, found.expressSdk);
    if (found.sdkServe) {
      sdkInstruments.push(...found.sdkServe.instruments);
      serveCalls.push(...found.sdkServe.serves);
    }
  }
  const { routes, unresolved, sdkScopes } = linkRoutes(routeFacts, workspace.entries);
  sdkOrder.push(...linkSdkOrder(sdkOrderPending, routeFacts, workspace.entries));
  const nest = linkNestRoutes(nestFacts);
  routes.push(...nest.routes);
  unresolved.push(...nest.unresolved);
  warnings.push(...nest.warnings);
  const byFile = new Map(sdkFacts.map((f) => [f.file, f]));
  const sdk = linkSdkDependencies(sdkFacts, (from, specifier) => resolveModule(byFile, from, specifier, workspace.entries));
  warnings.push(...sdk.warnings);
  const buildOutput = metrics.length === 0 && routes.length === 0 && unresolved.length === 0 ? await buildOutputIn(dir, walk.skipped) : [];
  return finishResult({ metrics, warnings, filesScanned: sources.length, routes, unresolvedRoutes: unresolved, untimedClients: untimed, timedClients: timed, sdkDependencies: sdk.dependencies, unfollowedDependencyCalls: sdk.unfollowed, sdkOrder, sdkScopes, ...(expressSdk ? { expressSdk } : {}), sdkInstruments, serveCalls, buildOutput, workspacePackages: workspace.packages });
}

/**
 * The SDK registrations after an Express `app.use(x)` of a name imported from another file: the
 * first such `x` that is, in the file its import names (one level, no re-exports, as the route
 * scan's mounts), an exported Express router or app with a route of its own; else the route of
 * the registration's own file after them, if any. A middleware or a router with no route of its
 * own there is not a route: left out, so the finding is never a guess.
 */
function linkSdkOrder(pending: readonly PendingSdkOrder[], routeFacts: readonly FileRoutes[], packages: ReadonlyMap<string, string>): SdkOrderProblem[] {
  const byFile = new Map(routeFacts.map((f) => [f.file, f]));
  const out: SdkOrderProblem[] = [];
  for (const p of pending) {
    let found: SdkOrderProblem | undefined;
    for (const m of p.imports) {
      const target = resolveModule(byFile, p.problem.file, m.source, packages);
      const exported = target?.exports.get(m.imported === '*' ? 'default' : m.imported);
      if (target === undefined || exported?.kind !== 'table' || target.tables.get(exported.key)?.router?.framework !== 'express') continue;
      const first = target.routes.find((r) => r.table?.kind === 'table' && r.table.key === exported.key);
      if (first === undefined) continue;
      found = { ...p.problem, route: { line: m.line, col: m.col, call: m.call }, router: { file: target.file, line: first.line, col: first.col, what: `${first.method} ${first.path ?? first.what}` } };
      break;
    }
    if (found === undefined && p.route !== undefined) found = { ...p.problem, route: p.route };
    if (found !== undefined) out.push(found);
  }
  return out;
}

/** Workspace packages whose directory this many levels of imports away are followed, at most (a guard, not a limit a real monorepo meets). */
const MAX_WORKSPACE_PACKAGES = 200;

/**
 * Follows the scanned files' imports of a monorepo's workspace packages by name (`@mono/lib`,
 * `@mono/lib/x`; ts-workspace.ts): each such package's sources are read with the same rules as
 * the scanned directory's (the same skipped directories and size limit), and their imports of
 * other workspace packages in turn. `entries` maps each specifier to the path (relative to `dir`)
 * of the source file it names, for resolveModule. A package under `dir` is already scanned: only
 * its specifiers and importers are recorded.
 */
async function followWorkspaceImports(dir: string, scanned: readonly ReadSource[], warnings: ScanWarning[]): Promise<{ sources: ReadSource[]; entries: Map<string, string>; packages: { name: string; dir: string; importedBy: string[] }[] }> {
  const root = path.resolve(dir);
  const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/');
  const entries = new Map<string, string>();
  const followed = new Map<string, { name: string; dir: string; importedBy: Set<string> }>();
  const sources: ReadSource[] = [];
  const seen = new Set(scanned.map((s) => s.relPath));
  let workspace: WorkspacePackage[] | undefined;
  const linked = new Map<string, WorkspacePackage | undefined>();
  for (let queue: readonly ReadSource[] = scanned; queue.length > 0; ) {
    const next: ReadSource[] = [];
    for (const source of queue) {
      for (const { specifier, line, col } of specifiersIn(source.text)) {
        if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) continue;
        workspace ??= await findWorkspacePackages(root);
        let hit = packageOf(workspace, specifier);
        if (hit === undefined) {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
          if (!linked.has(name)) linked.set(name, await linkedPackage(path.dirname(source.absPath), name));
          const pkg = linked.get(name);
          if (pkg !== undefined) hit = packageOf([pkg], specifier);
        }
        if (hit === undefined) continue;
        const entry = entryOf(hit.pkg, hit.subpath);
        if (entry === undefined) {
          warnings.push({ file: source.relPath, line, col, message: `imports workspace package "${specifier}", but no source file of ${rel(hit.pkg.dir) || '.'} is its entry (package.json exports/module/main, or src/index.ts); what it registers is not checked` });
          continue;
        }
        entries.set(specifier, rel(entry));
        let pkg = followed.get(hit.pkg.dir);
        if (pkg === undefined) {
          if (followed.size >= MAX_WORKSPACE_PACKAGES) continue;
          pkg = { name: hit.pkg.name, dir: rel(hit.pkg.dir), importedBy: new Set() };
          followed.set(hit.pkg.dir, pkg);
          // A package that holds the scanned directory (the root package) is not walked: its files
          // beside the scanned directory are another service's.
          if (pkg.dir.startsWith('../') && !pkg.dir.split('/').every((s) => s === '..')) {
            const walk = await walkSourceFiles(hit.pkg.dir, { skipDir: (name) => SKIP_DIRS.has(name), isSource });
            const files = walk.files.map((f) => ({ absPath: f.absPath, relPath: rel(f.absPath) })).filter((f) => !seen.has(f.relPath));
            for (const f of files) seen.add(f.relPath);
            warnings.push(...walk.warnings.map((w) => ({ ...w, file: rel(path.join(hit.pkg.dir, w.file)) })));
            const read = await readSources(files, warnings);
            sources.push(...read);
            next.push(...read);
          }
        }
        if (!(source.relPath === pkg.dir || source.relPath.startsWith(`${pkg.dir}/`) || pkg.dir === '')) pkg.importedBy.add(source.relPath);
      }
    }
    queue = next;
  }
  const packages = [...followed.values()].map((p) => ({ name: p.name, dir: p.dir, importedBy: [...p.importedBy].sort() })).sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  return { sources, entries, packages };
}

/** The project's use of the Express adapter: the first middleware in file order, errorHandler or another adapter in any file. */
function joinExpressSdk(a: ExpressSdkUse | undefined, b: ExpressSdkUse): ExpressSdkUse {
  if (a === undefined) return b;
  const middleware = a.middleware ?? b.middleware;
  return { ...(middleware ? { middleware } : {}), errorHandler: a.errorHandler || b.errorHandler, otherAdapter: a.otherAdapter || b.otherAdapter };
}

/** The skipped build directories (dist/, build/) that hold source files, with how many. */
async function buildOutputIn(dir: string, skipped: readonly string[]): Promise<{ dir: string; files: number }[]> {
  const out: { dir: string; files: number }[] = [];
  for (const rel of skipped) {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (!BUILD_DIRS.has(name)) continue;
    const inner = await walkSourceFiles(join(dir, rel), { skipDir: (n) => SKIP_DIRS.has(n), isSource });
    if (inner.files.length > 0) out.push({ dir: rel, files: inner.files.length });
  }
  return out;
}
