// The code check for Go services: which Prometheus metrics a module registers through
// client_golang, the HTTP routes it registers (go-routes.ts), and the dependencies it names through
// sloctl's Go SDK (go-sdk-dependencies.ts). Parsed with tree-sitter, so neither Go nor the module's dependencies are needed.

import path from 'node:path';
import { clientGolangDefaults, goSdkMetrics, type BulkSite } from './default-metrics.ts';
import { DEFAULT_COLLECTORS_VIA, usesDefaultRegistry } from './go-default-registry.ts';
import { collectImports, importsAny, type GoImports } from './go-imports.ts';
import { goParser, type GoNode, type GoParser, type GoTree } from './go-parser.ts';
import { detectRegistration, type GoFileContext } from './go-registrations.ts';
import { detectGoRoutes, type GoRouteContext } from './go-routes.ts';
import { detectGoSdk, type GoSdkSite } from './go-sdk.ts';
import { collectGoSdkValues, detectGoSdkDependencies, emptySdkValues, type GoSdkValues } from './go-sdk-dependencies.ts';
import { GoPackageScope } from './go-scope.ts';
import { detectGoUntimedClients, packageClientUses, setsDefaultClientTimeout, viaDefaultClient } from './go-timeouts.ts';
import { firstSyntaxError, positionOf, significantChildren } from './go-syntax.ts';
import { readSources, type ReadSource } from './read-sources.ts';
import { assertDirectory } from './scan-root.ts';
import { finishResult } from './scan-result.ts';
import type { DependencyCall, RegisteredMetric, RegisteredRoute, ScanResult, ScanWarning, SdkDependency, TimedClient, UnresolvedRoute, UntimedClient } from './types.ts';
import { walkSourceFiles } from './walk-files.ts';

// The go tool ignores vendor copies, testdata, and names starting with "_" or ".".
const SKIP_DIRS = new Set(['vendor', 'testdata', 'node_modules']);

function isSource(fileName: string): boolean {
  return fileName.endsWith('.go') && !fileName.endsWith('_test.go') && !fileName.startsWith('_');
}

interface ParsedFile {
  source: ReadSource;
  tree: GoTree;
  root: GoNode;
  packageName: string;
}

/**
 * Scans every non-test .go file under `dir` (skipping vendor, testdata, hidden and `_` names).
 * Throws only when `dir` is not a directory or the Go grammar cannot load; every problem in a
 * file becomes a located warning.
 */
export async function scanGoModule(dir: string): Promise<ScanResult> {
  await assertDirectory(dir);
  const parser = await goParser();
  const walk = await walkSourceFiles(dir, { skipDir: (name) => name.startsWith('_') || SKIP_DIRS.has(name), isSource });
  const warnings: ScanWarning[] = [...walk.warnings];
  const metrics: RegisteredMetric[] = [];
  const sources = await readSources(walk.files, warnings);
  let defaultSite: BulkSite | undefined;
  // A scanned directory that is itself `package main` is the service's program; a `package main`
  // below it is another program (a stub of a dependency, a tool, a second binary): its routes,
  // clients and metrics are not the service's (a user trial: a gin service with its stub
  // dependency in inventory/, whose /stock/* routes init wrote into the service's contract).
  // Scanned from a module root that is not `package main` (cmd/api, cmd/worker), every program
  // is read, as before: which one is the service is not known.
  // Whether a directory is a program is read from the parse (the package clause and a top-level
  // func main), not the text: `package main` in a raw string or after a "/*" in a string is not
  // the clause. The root directory is decided first, and a directory before those below it, so
  // every directory is parsed once and a program's directory (and all below it) is not scanned.
  const groups = groupByDirectory(sources);
  const dirOf = (group: ReadSource[]) => path.posix.dirname(group[0].relPath);
  const rootGroup = groups.find((g) => dirOf(g) === '.');
  const ordered = [...(rootGroup ? [rootGroup] : []), ...groups.filter((g) => g !== rootGroup).sort((a, b) => (dirOf(a) < dirOf(b) ? -1 : 1))];
  let rootIsMain = false;
  // The packages below another program's directory are its own (its handlers, its internal/).
  const otherPrograms: string[] = [];
  const under = (dir: string) => otherPrograms.some((d) => dir === d || dir.startsWith(`${d}/`));
  const routes: Routes = { routes: [], unresolved: [], untimed: [], timed: [], sdkDependencies: [], unfollowedDependencyCalls: [] };
  let filesScanned = 0;
  let defaultClientTimed = false;
  for (const group of ordered) {
    const dir = dirOf(group);
    if (under(dir)) continue;
    const parseWarnings: ScanWarning[] = [];
    const parsed = group.map((source) => parseFile(parser, source, parseWarnings)).filter((p) => p !== undefined);
    // A `//go:build ignore` file (a generator, a one-off tool) is not part of the package, as for
    // `go build`: it neither makes the directory a program nor adds routes or metrics.
    const inPackage = parsed.filter((file) => !buildIgnored(file.root));
    const ignored = new Set(parsed.filter((file) => !inPackage.includes(file)).map((file) => file.source.relPath));
    for (const file of parsed) if (ignored.has(file.source.relPath)) file.tree.delete();
    const program = isProgram(inPackage);
    if (dir === '.') rootIsMain = program;
    else if (rootIsMain && program) {
      otherPrograms.push(dir);
      for (const file of inPackage) file.tree.delete();
      continue;
    }
    warnings.push(...parseWarnings.filter((w) => !ignored.has(w.file)));
    const kept = group.filter((source) => !ignored.has(source.relPath));
    filesScanned += kept.length;
    if (kept.some((s) => setsDefaultClientTimeout(s.text))) defaultClientTimed = true;
    const site = scanPackageDirectory(inPackage, metrics, warnings, routes);
    if (site && (!defaultSite || before(site, defaultSite))) defaultSite = site;
  }
  // Some kept file sets http.DefaultClient.Timeout: http.Get and DefaultClient are bounded (known only once every file is read).
  if (defaultClientTimed) routes.untimed = routes.untimed.filter((client) => !viaDefaultClient(client));
  // sloctl's Go middleware: its series, and the runtime collectors of the registry it makes (once: a
  // default registry shown elsewhere carries the same collectors).
  const sdk = routes.sdk;
  if (sdk) metrics.push(...goSdkMetrics(sdk));
  if (!defaultSite && sdk?.runtimeCollectors) defaultSite = { file: sdk.file, line: sdk.line, col: sdk.col, via: `${sdk.via}: client_golang Go and process collectors` };
  if (defaultSite) metrics.push(...clientGolangDefaults(defaultSite));
  const outermost = otherPrograms.filter((d) => !otherPrograms.some((o) => d.startsWith(`${o}/`)));
  return finishResult({ metrics, warnings, filesScanned, otherPrograms: outermost, routes: routes.routes, unresolvedRoutes: routes.unresolved, untimedClients: routes.untimed, timedClients: routes.timed, sdkDependencies: routes.sdkDependencies, unfollowedDependencyCalls: routes.unfollowedDependencyCalls });
}

interface Routes {
  routes: RegisteredRoute[];
  unresolved: UnresolvedRoute[];
  /** Outbound HTTP calls without a timeout (go-timeouts.ts); carried with the routes, per file. */
  untimed: UntimedClient[];
  /** Clients with a Timeout (a dependency the code has, for init). */
  timed: TimedClient[];
  /** Dependencies named through sloctl's Go middleware (go-sdk-dependencies.ts). */
  sdkDependencies: SdkDependency[];
  /** The same calls on receivers not known to be the SDK (go-sdk-dependencies.ts). */
  unfollowedDependencyCalls: DependencyCall[];
  /** Where the module first switches sloctl's Go middleware on (go-sdk.ts); carried like the routes. */
  sdk?: GoSdkSite;
}

/** Resolves constants across one directory's parsed files, then detects; frees the trees. */
function scanPackageDirectory(parsed: ParsedFile[], metrics: RegisteredMetric[], warnings: ScanWarning[], routes: Routes): BulkSite | undefined {
  try {
    let site: BulkSite | undefined;
    for (const pkg of groupByPackage(parsed)) {
      const scope = new GoPackageScope();
      for (const file of pkg) scope.addFile(file.root);
      // Where a router is mounted and how its slashes are set may be in another file of the package.
      const packageFiles = pkg.map((file) => ({ file: file.source.relPath, root: file.root }));
      // The SDK values the package's files declare, before any file's calls are read: a handler in one file uses the SDK made in another.
      const sdkValues = emptySdkValues();
      for (const file of pkg) {
        try {
          collectGoSdkValues(file.root, sdkValues);
        } catch (error) {
          warnings.push({ file: file.source.relPath, line: 1, col: 1, about: 'sdk-dependency', message: `could not read where this file keeps sloctl's Go SDK (${String(error)}); the dependencies named through it are not checked against the contract` });
        }
      }
      const clientsFrom = { untimed: routes.untimed.length, timed: routes.timed.length };
      for (const file of pkg) {
        const found = scanFileSafely(file, scope, packageFiles, sdkValues, metrics, warnings, routes);
        if (found && (!site || before(found, site))) site = found;
      }
      // A client held in a package-level variable: where the package calls it (for init's route dependencies).
      for (const client of [...routes.untimed.slice(clientsFrom.untimed), ...routes.timed.slice(clientsFrom.timed)]) {
        const variable = client.holder ?? client.target;
        if (!client.via.endsWith('.Client{}') || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) continue;
        try {
          const uses = packageClientUses(packageFiles, scope, variable);
          if (uses.length > 0) client.uses = uses;
        } catch {
          // Only init's route dependencies read these: without them, no route lists the client's dependency.
        }
      }
    }
    return site;
  } finally {
    // Trees live in the WebAssembly heap, which no garbage collector reclaims.
    for (const file of parsed) file.tree.delete();
  }
}

function parseFile(parser: GoParser, source: ReadSource, warnings: ScanWarning[]): ParsedFile | undefined {
  const text = source.text.charCodeAt(0) === 0xfeff ? source.text.slice(1) : source.text;
  let tree: GoTree | null = null;
  try {
    tree = parser.parse(text);
  } catch (error) {
    parser.reset();
    warnings.push({ file: source.relPath, line: 1, col: 1, message: `cannot parse this file (${String(error)}); metrics registered in it are not checked` });
    return undefined;
  }
  if (!tree) {
    warnings.push({ file: source.relPath, line: 1, col: 1, message: 'cannot parse this file; metrics registered in it are not checked' });
    return undefined;
  }
  const root = tree.rootNode;
  const error = firstSyntaxError(root);
  if (error) {
    const what = error.isMissing ? `missing ${error.type}` : 'unexpected input';
    warnings.push({ file: source.relPath, ...positionOf(error), message: `syntax error: ${what}; registrations in this file may be missed` });
  }
  return { source: { ...source, text }, tree, root, packageName: packageNameOf(root) };
}

/** One odd file (error recovery can leave unexpected shapes) must not end the whole scan. */
function scanFileSafely(file: ParsedFile, scope: GoPackageScope, packageFiles: GoRouteContext['packageFiles'], sdkValues: GoSdkValues, metrics: RegisteredMetric[], warnings: ScanWarning[], routes: Routes): BulkSite | undefined {
  try {
    const ctx: GoRouteContext = { file: file.source.relPath, scope, routes: routes.routes, unresolved: routes.unresolved, packageFiles, warnings };
    detectGoRoutes(ctx, file.root);
  } catch (error) {
    warnings.push({ file: file.source.relPath, line: 1, col: 1, message: `could not read the routes of this file (${String(error)}); routes registered in it are not checked` });
  }
  try {
    routes.untimed.push(...detectGoUntimedClients(file.source.relPath, file.root, false, routes.timed));
  } catch (error) {
    warnings.push({ file: file.source.relPath, line: 1, col: 1, message: `could not read the outbound HTTP calls of this file (${String(error)}); their timeouts are not checked` });
  }
  try {
    const sdk = detectGoSdk(file.source.relPath, file.root);
    if (sdk && (!routes.sdk || before(sdk, routes.sdk))) routes.sdk = sdk;
  } catch (error) {
    warnings.push({ file: file.source.relPath, line: 1, col: 1, message: `could not read whether this file switches sloctl's Go middleware on (${String(error)}); its series are not counted as registered` });
  }
  try {
    detectGoSdkDependencies(file.source.relPath, file.root, scope, sdkValues, routes.sdkDependencies, warnings, routes.unfollowedDependencyCalls);
  } catch (error) {
    warnings.push({ file: file.source.relPath, line: 1, col: 1, about: 'sdk-dependency', message: `could not read the dependencies this file names through sloctl's Go SDK (${String(error)}); they are not checked against the contract` });
  }
  try {
    return scanFile(file, scope, metrics, warnings);
  } catch (error) {
    warnings.push({ file: file.source.relPath, line: 1, col: 1, message: `could not analyze this file (${String(error)}); metrics registered in it are not checked` });
    return undefined;
  }
}

/** Detects in one file; returns where it shows the default registry, if it does. */
function scanFile(file: ParsedFile, scope: GoPackageScope, metrics: RegisteredMetric[], warnings: ScanWarning[]): BulkSite | undefined {
  const imports: GoImports = collectImports(file.root);
  // Every detected form names a client_golang package in this file (even a factory's options
  // are a prometheus.XxxOpts literal), so a file importing none has nothing to find.
  if (!importsAny(imports)) return undefined;
  const ctx: GoFileContext = { file: file.source.relPath, imports, scope, metrics, warnings };
  let site: BulkSite | undefined;
  for (const node of file.root.descendantsOfType(['call_expression', 'selector_expression'])) {
    if (!node) continue;
    if (node.type === 'call_expression') detectRegistration(ctx, node);
    if (!site && usesDefaultRegistry(imports, node)) site = { file: ctx.file, ...positionOf(node), via: DEFAULT_COLLECTORS_VIA };
  }
  return site;
}

function packageNameOf(root: GoNode): string {
  const clause = significantChildren(root).find((n) => n.type === 'package_clause');
  return clause ? (significantChildren(clause)[0]?.text ?? '') : '';
}

function groupByDirectory(sources: ReadSource[]): ReadSource[][] {
  const groups = new Map<string, ReadSource[]>();
  for (const source of sources) {
    const dir = path.posix.dirname(source.relPath);
    const group = groups.get(dir);
    if (group) group.push(source);
    else groups.set(dir, [source]);
  }
  return [...groups.values()];
}

/**
 * Whether a directory's files (build-ignored ones left out) are a program: all `package main`,
 * one of them with a top-level `func main()`. Read from the parse, so a clause in a string or a
 * comment does not count.
 */
function isProgram(files: ParsedFile[]): boolean {
  return files.length > 0 && files.every((f) => f.packageName === 'main') && files.some((f) => declaresFuncMain(f.root));
}

function declaresFuncMain(root: GoNode): boolean {
  return significantChildren(root).some((n) => n.type === 'function_declaration' && n.childForFieldName('name')?.text === 'main' && !n.childForFieldName('type_parameters'));
}

/**
 * Whether the file's build constraint leaves it out of every build the way `go build` does for
 * `//go:build ignore` (or the older `// +build ignore`): the constraint requires the tag `ignore`,
 * which no build sets. Only line comments before the package clause are constraints; when a
 * `//go:build` line is there, `// +build` lines are not read (as in Go 1.17 and later).
 */
function buildIgnored(root: GoNode): boolean {
  const header: string[] = [];
  for (const child of root.namedChildren) {
    if (!child || child.type !== 'comment') break;
    header.push(child.text);
  }
  const goBuild = header.map((c) => /^\/\/go:build\s+(.*)$/.exec(c.trim())?.[1]).find((e) => e !== undefined);
  // A conjunction with a bare `ignore` term (`ignore`, `ignore && linux`): false for every build.
  if (goBuild !== undefined) return !goBuild.includes('||') && goBuild.split('&&').some((t) => t.replace(/[()\s]/g, '') === 'ignore');
  // `// +build a b` is a or b; `a,b` is a and b; several lines are all required.
  return header.some((c) => {
    const line = /^\/\/\s*\+build\s+(.*)$/.exec(c.trim())?.[1];
    return line !== undefined && line.trim().split(/\s+/).every((option) => option.split(',').includes('ignore'));
  });
}

/** Files of one directory that declare different packages (build-tagged tools) do not share names. */
function groupByPackage(files: ParsedFile[]): ParsedFile[][] {
  const groups = new Map<string, ParsedFile[]>();
  for (const file of files) {
    const group = groups.get(file.packageName);
    if (group) group.push(file);
    else groups.set(file.packageName, [file]);
  }
  return [...groups.values()];
}

function before(a: BulkSite, b: BulkSite): boolean {
  if (a.file !== b.file) return a.file < b.file;
  return a.line < b.line || (a.line === b.line && a.col < b.col);
}
