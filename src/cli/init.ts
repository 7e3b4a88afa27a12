// `sloctl init [dir]`: a first slo.yaml written from the service's own code. The code check that
// `validate --project` runs (src/scan) finds the routes, the outbound calls and the dependencies
// the code names through sloctl's SDK; the contract is built from them (src/contract/scaffold*.ts),
// validated with the same parser as `sloctl validate`, and written only when that finds nothing.
// Exit 0 written, 2 a bad flag, a missing directory, or a contract already there (without --force).
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { parseContract } from '../contract/load.ts';
import { codeTimeout, guessDependencies, planDependencies } from '../contract/scaffold-dependencies.ts';
import { planRouteDependencies, type RouteDependencies } from '../contract/scaffold-route-dependencies.ts';
import { planRoutes, sanitizeName } from '../contract/scaffold-routes.ts';
import { renderScaffold, SCAFFOLD_DEFAULTS, THRESHOLD_MS as SCAFFOLD_THRESHOLD_MS } from '../contract/scaffold.ts';
import { formatDuration, parseDuration } from '../contract/units.ts';
import { NAME_PATTERN } from '../contract/zod-units.ts';
import { writeAtomically } from '../files/write-atomically.ts';
import type { ScanResult } from '../scan/index.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';
import { CONTRACT_FILE_NAMES } from './files.ts';
import { pluralize } from './plural.ts';
import { sdkPathFor } from './validate-sdk-paths.ts';

interface InitOptions {
  name?: string;
  url?: string;
  runtime?: string;
  force?: boolean;
  stdout?: boolean;
}

type Runtime = 'node' | 'go';

/** The names validate looks for; init writes the first. */
const CONTRACT_FILES = CONTRACT_FILE_NAMES;

/** What each runtime's code check reads, for the message when it finds no route. */
const READS: Record<Runtime, string> = {
  node: 'Fastify, Express, Koa with @koa/router, Hono and NestJS controllers; node:http routes are not read',
  go: 'net/http with Go 1.22 patterns, gorilla/mux, gin, echo and chi',
};

export function register(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description("Write a first slo.yaml from the service's code: a route per registration found, its outbound calls, and a small set of objectives to start from.")
    .argument('[dir]', 'the service\'s directory: its code is read, slo.yaml is written there', '.')
    .option('--name <name>', 'service.name (default: the package.json name, the Go module\'s last element, or the directory\'s name)')
    .option('--url <url>', `target.url, where the running service answers (default: ${SCAFFOLD_DEFAULTS.url})`)
    .option('--runtime <runtime>', 'node or go (default: go when DIR has a go.mod, node when it has a package.json and Node sources, else the runtime of most of its source files: a GOPATH-mode Go service without go.mod is go, also with the package.json that installs sloctl)')
    .option('--force', 'overwrite the slo.yaml that is there')
    .option('--stdout', 'print the contract instead of writing it')
    .action(async (dir: string, opts: InitOptions) => {
      ctx.exitCode = await init(dir, opts, ctx);
    });
}

async function init(dir: string, opts: InitOptions, ctx: CliContext): Promise<number> {
  const url = urlFlag(opts.url);
  if (opts.name !== undefined && !NAME_PATTERN.test(opts.name)) {
    throw new UsageError(`--name ${JSON.stringify(opts.name)}: a service name is lower-case letters, digits, - and _, starting with a letter or digit, at most 63 (e.g. --name ${sanitizeName(opts.name) || 'checkout'})`);
  }
  if (opts.runtime !== undefined && opts.runtime !== 'node' && opts.runtime !== 'go') throw new UsageError(`--runtime must be node or go, got ${JSON.stringify(opts.runtime)}`);
  const abs = resolve(ctx.cwd, dir);
  if (!isDirectory(abs)) throw new UsageError(`${dir}: ${existsSync(abs) ? 'not a directory' : 'no such directory'}: name the service's directory (default: .)`);

  const existing = CONTRACT_FILES.map((f) => join(abs, f)).find((f) => existsSync(f));
  const file = existing ?? join(abs, CONTRACT_FILES[0]);
  const shown = relative(ctx.cwd, file) || basename(file);
  if (existing && !opts.stdout && !opts.force) {
    throw new UsageError(`${shown} exists: sloctl init does not overwrite a contract; run with --force to replace it, or --stdout to print the new one`);
  }

  const runtime: Runtime = (opts.runtime as Runtime | undefined) ?? (await detectRuntime(abs));
  const scan = await scanFor(runtime, abs, dir);
  const frameworks = frameworksOf(runtime, abs, scan);
  // No framework sloctl reads, and a plain node:http server: its routes are the handler's own code.
  const httpServer = runtime === 'node' && frameworks.length === 0 ? nodeHttpServerIn(abs, scan) : undefined;
  if (httpServer) frameworks.push('node:http');
  const name = opts.name ?? defaultName(runtime, abs);
  // sloctl's Hono middleware under a basePath answers only the paths under it: its health and metrics go there.
  const health = sdkPathFor(scan.sdkScopes, SCAFFOLD_DEFAULTS.health);
  const metricsPath = sdkPathFor(scan.sdkScopes, SCAFFOLD_DEFAULTS.metrics);
  const sdkPaths = health.scope ? { health: health.path, metrics: metricsPath.path, why: `whose Hono middleware runs for ${health.scope.path} (${join(dir, health.scope.file)}:${health.scope.line}:${health.scope.col})` } : undefined;
  const routes = planRoutes(scan.routes, { health: health.path, metrics: metricsPath.path });
  // What the code names through sloctl's SDK is declared (the SDK refuses anything else at start), with the timeout its calls use
  // when sloctl can read it; the other outbound calls are proposed, with their timeout or waiting for one.
  const dependencies = planDependencies(scan.sdkDependencies, guessDependencies(scan.untimedClients, scan.timedClients));
  // A declared dependency's timeout is read from the code when its calls all carry one sloctl reads (and none lacks one).
  const readTimeout = (d: (typeof dependencies.declared)[number]) => (d.calls.length === 0 ? codeTimeout(d.timed) : undefined);
  // Each route's `dependencies:`, from the calls inside its handler's own code, where sloctl knows the handler.
  const routeDeps = planRouteDependencies(routes.routes, dependencies.declared, (d) => readTimeout(d) ?? DEFAULT_DEPENDENCY_TIMEOUT_MS, SCAFFOLD_THRESHOLD_MS);
  for (const r of routes.routes) {
    const names = routeDeps.byRoute.get(r.name);
    if (names) r.dependencies = names;
  }
  const schema = existsSync(join(abs, 'node_modules/sloctl/schema/slo.schema.json')) ? './node_modules/sloctl/schema/slo.schema.json' : undefined;
  // A service that instruments itself with express-prom-bundle (and not with sloctl's SDK): the
  // contract maps its names, or it would read series the service does not export (a user trial).
  const usesSdk = scan.metrics.some((m) => m.bulk === 'sdk');
  const bundle = runtime === 'node' && !usesSdk ? scan.metrics.find((m) => m.via.startsWith('express-prom-bundle') && m.type === 'histogram') : undefined;
  const bundleAt = bundle ? `${join(dir, bundle.file)}:${bundle.line}:${bundle.col}` : undefined;
  const bundleLabels = bundle?.labels;
  const mapped = bundle && bundleLabels && ['path', 'method', 'status_code'].every((l) => bundleLabels.includes(l));
  // A Go service instrumented the promhttp way (client_golang histogram and counter labelled with a
  // route, `method` and `code`): mapped the same way, or its first `validate --go-module-path .`
  // fails on series it does not export (a chi user trial).
  const promhttp = runtime === 'go' && !usesSdk ? promhttpMetrics(scan) : undefined;
  const ownMetrics = mapped
    ? { via: 'express-prom-bundle', at: bundleAt!, histogram: bundle.name, requests: `${bundle.name}_count`, labels: { route: 'path', method: 'method', status: 'status_code' } }
    : promhttp
      ? {
        via: `client_golang with promhttp's labels`, at: `${join(dir, promhttp.histogram.file)}:${promhttp.histogram.line}:${promhttp.histogram.col}`, histogram: promhttp.histogram.name, requests: promhttp.requests, labels: promhttp.labels,
        ...bucketsWithoutThreshold(promhttp.histogram, dir),
      }
      : undefined;
  const text = renderScaffold({
    service: { name, runtime }, url, scanned: dir, frameworks, reads: READS[runtime], routes, dependencies, unresolved: scan.unresolvedRoutes,
    ...(schema !== undefined ? { schema } : {}),
    ...(ownMetrics ? { ownMetrics } : {}),
    ...(sdkPaths ? { sdkPaths } : {}),
  });

  // What `sloctl validate` would say of it: nothing. Anything else is a bug here, not the user's.
  const checked = parseContract(text, shown);
  if (!checked.contract || checked.diagnostics.length > 0) {
    const list = checked.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join('; ');
    throw new Error(`the contract sloctl init built for ${dir} does not validate: ${list}`);
  }

  // With --stdout the contract is the output; what init has to say goes to stderr.
  const say = opts.stdout ? ctx.stderr : ctx.stdout;
  if (opts.stdout) ctx.stdout(text);
  else writeAtomically(file, text, shown);

  if (scan.routes.length === 0 && scan.unresolvedRoutes.length === 0) {
    const server = httpServer ? `; ${join(dir, httpServer.file)}:${httpServer.line}:${httpServer.col} starts a node:http server, whose routing is its handler's own code` : '';
    ctx.stderr(`sloctl init: no route registrations were found under ${dir} (sloctl reads ${READS[runtime]})${server}: the contract has an example route in a comment; list the service's routes there\n`);
  }
  for (const w of scan.warnings.slice(0, 3)) ctx.stderr(`${join(dir, w.file)}:${w.line}:${w.col}: warning: ${w.message}\n`);
  if (scan.warnings.length > 3) ctx.stderr(`... and ${scan.warnings.length - 3} more code-check warning(s): \`sloctl validate --project\` lists them\n`);

  const c = checked.contract;
  const probes = routes.probes.length > 0 ? `, ${pluralize(routes.probes.length, 'probe')}` : '';
  const found = frameworks.length > 0 ? `; ${frameworks.join(', ')}` : '';
  const sections = Object.entries(c.objectives).filter(([, v]) => v !== undefined).map(([k]) => k);
  const what = `service "${c.service.name}" (${runtime}${found}), ${pluralize(c.routes.length, 'route')}${probes}, ${pluralize(c.dependencies.length, 'dependency', 'dependencies')}, ${sections.length} objectives (${sections.join(', ')}); it validates with 0 errors`;
  say(opts.stdout ? `printed the contract for ${shown} (nothing written): ${what}\n` : `wrote ${shown}: ${what}\n`);
  const notes: string[] = [];
  if (routes.skipped.length > 0) notes.push(`${routes.skipped.length} registration(s) not written as routes: ${routes.skipped.map((s) => `${s.from.method} ${s.from.path} (${s.why})`).join('; ')}`);
  const others = scan.otherPrograms ?? [];
  if (others.length > 0) notes.push(`${pluralize(others.length, 'program')} of ${others.length === 1 ? 'its' : 'their'} own below ${dir} left out: ${others.map((d) => `${join(dir, d)}/`).join(', ')} (a package main below the service's, with ${others.length === 1 ? 'its' : 'their'} own routes and calls: a stub of a dependency, a tool); run sloctl init there for ${others.length === 1 ? 'its' : 'their'} own contract`);
  if (scan.unresolvedRoutes.length > 0) notes.push(`${scan.unresolvedRoutes.length} registration(s) with a path computed at run time are listed in a comment, not as routes: add them by hand`);
  const { declared, undeclarable, proposed } = dependencies;
  const defaulted = declared.filter((d) => readTimeout(d) === undefined);
  if (declared.length > 0) {
    const untimed = declared.reduce((n, d) => n + d.calls.length, 0);
    const also = untimed > 0 ? `; ${pluralize(untimed, 'outbound HTTP call')} to them without a timeout ${untimed === 1 ? 'is' : 'are'} listed under them: give ${untimed === 1 ? 'it' : 'them'} that timeout` : '';
    const read = declared.filter((d) => readTimeout(d) !== undefined).map((d) => `${d.name} ${formatDuration(readTimeout(d)!)}`);
    const timeouts = defaulted.length === 0
      ? ` with the timeout ${declared.length === 1 ? 'its' : 'their'} calls use, read from the code (${read.join(', ')})`
      : ` with a default timeout of ${SCAFFOLD_DEFAULTS.dependencyTimeout}${read.length > 0 ? ` where the code shows none sloctl can read (read: ${read.join(', ')})` : ''}: set each to the client timeout the code uses for it`;
    notes.push(`${pluralize(declared.length, 'dependency', 'dependencies')} the code names through sloctl's SDK ${declared.length === 1 ? 'is' : 'are'} declared (${declared.map((d) => d.name).join(', ')}; the SDK refuses an undeclared one at start)${timeouts}${also}`);
  }
  if (declared.length > 0 && routes.routes.length > 0) notes.push(routeDependencyNote(routes.routes.length, routeDeps, dir));
  for (const n of undeclarable) notes.push(`${join(dir, n.file)}:${n.line}:${n.col}: the code names dependency ${JSON.stringify(n.name)} through sloctl's SDK, which no contract can declare (lower-case letters, digits, - and _): rename it in the code, then declare it`);
  const waiting = proposed.named.filter((d) => d.calls.length > 0);
  const calls = waiting.reduce((n, d) => n + d.calls.length, 0) + proposed.unnamed.length;
  if (calls > 0) notes.push(`${pluralize(calls, 'outbound HTTP call')} without a timeout ${calls === 1 ? 'is' : 'are'} in a comment, as ${pluralize(waiting.length, 'dependency', 'dependencies')} to declare once the code gives ${calls === 1 ? 'it' : 'them'} a timeout`);
  const ready = proposed.named.filter((d) => d.calls.length === 0);
  const timedCalls = ready.reduce((n, d) => n + d.timed.length, 0) + proposed.unnamedTimed.length;
  if (timedCalls > 0) {
    const withIt = ready.map((d) => (codeTimeout(d.timed) !== undefined ? `${d.name} ${formatDuration(codeTimeout(d.timed)!)}` : `${d.name}, its timeout to read from the code`));
    const parts = [
      ...(ready.length > 0 ? [`as ${pluralize(ready.length, 'dependency', 'dependencies')} to declare with the timeout the code uses (${withIt.join('; ')})`] : []),
      ...(proposed.unnamedTimed.length > 0 ? [`${proposed.unnamedTimed.length} to a target sloctl cannot tell, listed with file:line:col to declare by hand`] : []),
    ];
    notes.push(`${pluralize(timedCalls, 'outbound HTTP call')} with a timeout ${timedCalls === 1 ? 'is' : 'are'} in a comment, ${parts.join('; ')}`);
  }
  for (const n of notes) say(`  ${n}\n`);
  const sdk = scan.metrics.find((m) => m.bulk === 'sdk');
  const gate: GateStep = c.load ? { url } : { held: c.routes.length > 0 };
  const modules: ModuleSystem = runtime === 'node' ? moduleSystemOf(abs, scan) : { kind: 'esm' };
  const own = bundle ? { via: 'express-prom-bundle', at: bundleAt!, mapped: mapped === true, labels: bundleLabels } : ownMetrics ? { via: 'client_golang (promhttp)', at: ownMetrics.at, mapped: true, labels: undefined, bucketsWithoutThreshold: ownMetrics.bucketsWithoutThreshold } : undefined;
  say(`${nextSteps(runtime, frameworks, modules, shown, relative(ctx.cwd, abs) || '.', sdk ? `${join(dir, sdk.file)}:${sdk.line}:${sdk.col}` : undefined, gate, defaulted.length > 0, own)}\n`);
  return EXIT.OK;
}

/** The timeout init writes for a dependency whose code shows none it can read. */
const DEFAULT_DEPENDENCY_TIMEOUT_MS = (() => {
  const p = parseDuration(SCAFFOLD_DEFAULTS.dependencyTimeout);
  return p.ok ? p.value : 0;
})();

/**
 * One line: how many routes got a `dependencies:` list, how many handlers were read, that the
 * others (and the functions a handler calls) were not followed, and the dependencies left out of
 * every list with why.
 */
function routeDependencyNote(total: number, plan: RouteDependencies, dir: string): string {
  const why = "(imported, a method, a wrapper's result, named elsewhere too, or registered twice)";
  if (plan.followed === 0) return `no route lists the declared dependencies its handler calls: sloctl did not follow ${total === 1 ? "the route's handler" : `the ${total} routes' handlers`} ${why}: give ${total === 1 ? 'it' : 'them'} \`dependencies:\` by hand`;
  const listed = plan.byRoute.size;
  const others = total - plan.followed;
  const notFollowed = others > 0 ? `; the handler${others === 1 ? '' : 's'} of the other ${pluralize(others, 'route')} ${others === 1 ? 'was' : 'were'} not followed ${why}: give ${others === 1 ? 'it' : 'them'} \`dependencies:\` by hand` : '';
  const left = plan.leftOut.map((l) => `; ${l.name} is in no list: ${l.why}${l.at ? ` (${join(dir, l.at.file)}:${l.at.line}:${l.at.col})` : ''}`).join('');
  return `${listed} of ${pluralize(total, 'route')} ${listed === 1 ? 'lists' : 'list'} the declared dependencies ${listed === 1 ? 'its' : 'their'} handler calls, read from the ${pluralize(plan.followed, 'handler')} sloctl followed (${plan.followed === 1 ? 'its' : 'their'} own code, not the functions ${plan.followed === 1 ? 'it calls' : 'they call'})${notFollowed}${left}`;
}

/** The latency threshold init writes, in seconds (a histogram bucket's unit). */
const THRESHOLD_S = SCAFFOLD_THRESHOLD_MS / 1000;

/** The histogram's buckets when the code states them and none is at the threshold init writes. */
function bucketsWithoutThreshold(m: ScanResult['metrics'][number], dir: string): { bucketsWithoutThreshold?: { buckets: readonly number[]; at: string } } {
  if (m.buckets === undefined || m.buckets.some((b) => Math.abs(b - THRESHOLD_S) < 1e-9)) return {};
  const at = m.bucketsAt ? `${join(dir, m.file)}:${m.bucketsAt.line}:${m.bucketsAt.col}` : `${join(dir, m.file)}:${m.line}:${m.col}`;
  return { bucketsWithoutThreshold: { buckets: m.buckets, at } };
}

/** The label names promhttp-style instrumentation gives the route (curried in), the method and the status. */
const PROMHTTP_ROUTE_LABELS = ['handler', 'route', 'path'];

/**
 * A client_golang histogram in seconds labelled with a route (`handler`, as the promhttp examples
 * curry it), `method` and `code` (what promhttp.InstrumentHandlerDuration fills in), and the counter
 * with the same labels when there is one (else the histogram's `_count`). Undefined when the code has
 * none, or more than one such histogram (which one the SLOs mean is the user's choice).
 */
function promhttpMetrics(scan: ScanResult): { histogram: ScanResult['metrics'][number]; requests: string; labels: { route: string; method: string; status: string } } | undefined {
  const routeLabel = (labels: readonly string[] | undefined) => PROMHTTP_ROUTE_LABELS.find((l) => labels?.includes(l));
  const fits = (m: ScanResult['metrics'][number]) => !m.bulk && routeLabel(m.labels) !== undefined && m.labels!.includes('method') && m.labels!.includes('code');
  const histograms = scan.metrics.filter((m) => m.type === 'histogram' && m.name.endsWith('_seconds') && fits(m));
  if (histograms.length !== 1) return undefined;
  const histogram = histograms[0];
  const route = routeLabel(histogram.labels)!;
  const counters = scan.metrics.filter((m) => m.type === 'counter' && fits(m) && routeLabel(m.labels) === route);
  return { histogram, requests: counters.length === 1 ? counters[0].name : `${histogram.name}_count`, labels: { route, method: 'method', status: 'code' } };
}

function urlFlag(text: string | undefined): string {
  if (text === undefined) return SCAFFOLD_DEFAULTS.url;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(text)}: expected an absolute URL such as http://127.0.0.1:8080`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url ${JSON.stringify(text)}: expected an http:// or https:// URL such as http://127.0.0.1:8080`);
  return text;
}

function isDirectory(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

/**
 * go with a go.mod; node with a package.json beside Node sources; else whichever sources the
 * directory has (node when neither). A package.json beside Go sources and no Node one is the
 * manifest that installs sloctl itself (`npm install --save-dev sloctl` in a GOPATH-mode Go
 * service, as the README tells a Go user), not a Node service: go.
 */
async function detectRuntime(abs: string): Promise<Runtime> {
  if (existsSync(join(abs, 'go.mod'))) return 'go';
  const { walkSourceFiles } = await import('../scan/walk-files.ts');
  const count = async (isSource: (n: string) => boolean) => (await walkSourceFiles(abs, { skipDir: (n) => n === 'node_modules' || n === 'vendor', isSource })).files.length;
  const go = await count((n) => n.endsWith('.go') && !n.endsWith('_test.go'));
  if (go === 0) return 'node';
  const node = await count((n) => /\.[cm]?[jt]sx?$/.test(n) && !/\.(d|test|spec)\.[cm]?[jt]sx?$/.test(n));
  if (existsSync(join(abs, 'package.json'))) return node === 0 ? 'go' : 'node';
  return go > node ? 'go' : 'node';
}

/** The code check for the runtime; the scanners load only for the runtime read (as validate does). */
async function scanFor(runtime: Runtime, abs: string, dir: string): Promise<ScanResult> {
  if (runtime === 'node') return (await import('../scan/typescript.ts')).scanTypeScriptProject(abs);
  const { scanGoModule } = await import('../scan/go.ts');
  try {
    return await scanGoModule(abs);
  } catch (e) {
    // The scanner's message names validate's flag; say it in init's terms.
    if (e instanceof UsageError && e.message.includes('web-tree-sitter')) {
      throw new UsageError(`reading the Go routes under ${dir} needs the WebAssembly tree-sitter runtime, an optional peer dependency of sloctl: install it beside sloctl (npm install --save-dev web-tree-sitter) and run again, or pass --runtime node for a Node service`);
    }
    throw e;
  }
}

/** Frameworks by the names people write, in a fixed order, with the module that says each. */
const NODE_FRAMEWORKS: ReadonlyArray<[string, RegExp]> = [
  ['Fastify', /^fastify$/],
  ['Express', /^express$/],
  ['Koa', /^(koa|@koa\/router|koa-router)$/],
  ['Hono', /^hono(\/.*)?$/],
  // Before NestJS: a Nest application on Fastify is wired with the Fastify plugin, not Express's middleware.
  ['NestJS on Fastify', /^@nestjs\/platform-fastify$/],
  ['NestJS', /^@nestjs\/(core|common)$/],
];
const GO_FRAMEWORKS: ReadonlyArray<[string, RegExp]> = [
  ['gin', /github\.com\/gin-gonic\/gin\b/],
  ['echo', /github\.com\/labstack\/echo\b/],
  ['chi', /github\.com\/go-chi\/chi\b/],
  ['gorilla/mux', /github\.com\/gorilla\/mux\b/],
];

/**
 * The web frameworks the service uses: its manifest's dependencies (package.json, go.mod), else
 * the modules the files registering routes import. For Go, net/http when routes were found and no
 * router package is named (a ServeMux).
 */
function frameworksOf(runtime: Runtime, abs: string, scan: ScanResult): string[] {
  const routeFiles = [...new Set(scan.routes.map((r) => r.file))].slice(0, 50);
  const readText = (rel: string) => {
    try {
      return readFileSync(join(abs, rel), 'utf8');
    } catch {
      return '';
    }
  };
  if (runtime === 'node') {
    let modules: string[] = [];
    try {
      const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const key of ['dependencies', 'devDependencies', 'peerDependencies']) {
        const deps = pkg[key];
        if (deps !== null && typeof deps === 'object') modules.push(...Object.keys(deps));
      }
    } catch {
      // no package.json, or not JSON: the imports below say it
    }
    if (!NODE_FRAMEWORKS.some(([, re]) => modules.some((m) => re.test(m)))) {
      modules = routeFiles.flatMap((f) => [...readText(f).matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]));
    }
    const found = NODE_FRAMEWORKS.filter(([, re]) => modules.some((m) => re.test(m))).map(([name]) => name);
    return found.includes('NestJS on Fastify') ? found.filter((f) => f !== 'NestJS' && f !== 'Fastify') : found;
  }
  let text = readText('go.mod');
  if (!GO_FRAMEWORKS.some(([, re]) => re.test(text))) text = routeFiles.map(readText).join('\n');
  const found = GO_FRAMEWORKS.filter(([, re]) => re.test(text)).map(([name]) => name);
  return found.length === 0 && scan.routes.length > 0 ? ['net/http'] : found;
}

/** How the next steps load the SDK: `import` (ES modules, and TypeScript whatever it compiles to) or `require`, with the evidence. */
type ModuleSystem = { kind: 'esm' } | { kind: 'commonjs'; why: string };

/** Where a service without route files or a `main` usually starts. */
const ENTRY_CANDIDATES = ['index', 'server', 'app', 'main', 'src/index', 'src/server', 'src/app', 'src/main'].flatMap((f) => [`${f}.js`, `${f}.cjs`]);
/** An import or export statement at the start of a line (not `import(`, `import.meta` or `important`). */
const ESM_SYNTAX = /^[ \t]*(?:import\b\s*[\w${*'"]|export\b\s*[\w${*])/m;
const REQUIRE_CALL = /\brequire\s*\(\s*['"`]/;

/**
 * The files that say how the service starts: the package's `main` and the files that register
 * routes, else those of `candidates` that exist; with package.json's "type".
 */
function serviceFiles(abs: string, scan: ScanResult, candidates: readonly string[]): { type: unknown; read: string[] } {
  let type: unknown;
  let main: unknown;
  try {
    ({ type, main } = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')) as { type?: unknown; main?: unknown });
  } catch {
    // no package.json: Node's default, CommonJS, for .js; the files' syntax decides
  }
  const routeFiles = [...new Set([...scan.routes, ...scan.unresolvedRoutes].map((r) => r.file))];
  const entry = typeof main === 'string' ? relative(abs, resolve(abs, main)).split(sep).join('/') : undefined;
  const read = [...new Set([...(entry !== undefined && !entry.startsWith('..') && existsSync(join(abs, entry)) ? [entry] : []), ...routeFiles])];
  if (read.length === 0) read.push(...candidates.filter((f) => existsSync(join(abs, f))));
  return { type, read };
}

/** Where a plain node:http service may start: ENTRY_CANDIDATES, and the same names as ES modules and TypeScript. */
const HTTP_ENTRY_CANDIDATES = ['index', 'server', 'app', 'main', 'src/index', 'src/server', 'src/app', 'src/main'].flatMap((f) => ['js', 'cjs', 'mjs', 'ts', 'mts'].map((x) => `${f}.${x}`));
/** node:http or node:https loaded by import or require (`http`, `node:http`, `https`, `node:https`). */
const HTTP_MODULE = /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"](?:node:)?https?['"]/;
/** A createServer call (http.createServer(, createServer( after a destructured import). */
const CREATE_SERVER = /\bcreateServer\s*\(/g;

/**
 * A node:http server the service starts, for a service none of the frameworks sloctl reads serve:
 * the first `createServer(` call in a file that loads node:http or node:https, among the files
 * that say how the service starts (serviceFiles). Its routing is the handler's own code, which
 * sloctl does not read; but the SDK's line for it is known (sloctl/sdk/http's wrap).
 */
export function nodeHttpServerIn(abs: string, scan: ScanResult): { file: string; line: number; col: number } | undefined {
  for (const file of serviceFiles(abs, scan, HTTP_ENTRY_CANDIDATES).read.slice(0, 50)) {
    let text: string;
    try {
      text = readFileSync(join(abs, file), 'utf8');
    } catch {
      continue;
    }
    if (!HTTP_MODULE.test(text)) continue;
    CREATE_SERVER.lastIndex = 0;
    const m = CREATE_SERVER.exec(text);
    if (m === null) continue;
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    return { file, line, col: m.index - before.lastIndexOf('\n') };
  }
  return undefined;
}

/**
 * Whether the service's code is CommonJS, by what its files say: the package's `main` and the files
 * that register routes (else the usual entry files at the top and in src/). A `.cjs` file is; a
 * `.js`/`.jsx` one is when package.json's "type" is not "module" and the file calls `require(...)`
 * with no import or export statement. TypeScript is written with `import` whatever it compiles
 * to, and `.mjs` (or `.js` under "type": "module") is an ES module. CommonJS when more of the files
 * read say so than say ES module; with no evidence, or a tie, `import` (the README's form).
 */
function moduleSystemOf(abs: string, scan: ScanResult): ModuleSystem {
  const { type, read } = serviceFiles(abs, scan, ENTRY_CANDIDATES);
  const cjs: string[] = [];
  let esm = 0;
  for (const file of read.slice(0, 50)) {
    const ext = extname(file).toLowerCase();
    if (ext === '.cjs') cjs.push(file);
    else if (ext === '.js' || ext === '.jsx') {
      if (type === 'module') esm++;
      else {
        let text = '';
        try {
          text = readFileSync(join(abs, file), 'utf8');
        } catch {
          continue;
        }
        if (ESM_SYNTAX.test(text)) esm++;
        else if (REQUIRE_CALL.test(text)) cjs.push(file);
      }
    } else esm++; // .ts, .tsx, .mts, .cts, .mjs
  }
  if (cjs.length <= esm) return { kind: 'esm' };
  const named = cjs.slice(0, 2).join(', ') + (cjs.length > 2 ? ` and ${cjs.length - 2} more` : '');
  const one = cjs.length === 1;
  if (cjs.every((f) => f.toLowerCase().endsWith('.cjs'))) return { kind: 'commonjs', why: `${named} ${one ? 'is' : 'are'} CommonJS` };
  const typeSays = type === 'commonjs' ? 'package.json has "type": "commonjs"' : 'package.json has no "type": "module"';
  return { kind: 'commonjs', why: `${named} ${one ? 'calls' : 'call'} require(); ${typeSays}` };
}

/** service.name: the package's or module's name, else the directory's, as a contract name. */
function defaultName(runtime: Runtime, abs: string): string {
  let candidate: string | undefined;
  try {
    if (runtime === 'node') {
      const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')) as { name?: unknown };
      if (typeof pkg.name === 'string') candidate = pkg.name.replace(/^@[^/]+\//, '');
    } else {
      const module = /^\s*module\s+"?([^\s"]+)"?/m.exec(readFileSync(join(abs, 'go.mod'), 'utf8'))?.[1];
      // example.com/orders/v2 -> orders
      if (module !== undefined) candidate = module.split('/').filter((p) => !/^v[0-9]+$/.test(p)).pop();
    }
  } catch {
    // no manifest: the directory's name
  }
  return sanitizeName(candidate ?? '') || sanitizeName(basename(abs)) || 'service';
}

/**
 * Node: the adapter line for each framework (src/sdk/README.md's table), as an ES module imports it
 * and as CommonJS requires it (`require('sloctl/sdk/...')` loads the ES module on Node >= 20.19, the
 * package's floor; the Fastify plugin is also the named export `sloctl`, so no `.default`).
 * CommonJS has no top-level await, and a Fastify plugin registered without it is loaded after the
 * routes that follow, which it then does not wrap (measured: every request warned
 * SLOCTL_FASTIFY_ROUTE_UNSEEN), so the CommonJS Fastify line says where the await goes.
 */
const NODE_ADAPTERS: Record<string, { esm: string; cjs: string }> = {
  Fastify: {
    esm: "import sloctl from 'sloctl/sdk/fastify';  await app.register(sloctl, { sdk });  // before the routes",
    cjs: "const { sloctl } = require('sloctl/sdk/fastify');  await app.register(sloctl, { sdk });  // before the routes, in an async function (CommonJS has no top-level await; not awaited, the routes after it are not wrapped)",
  },
  Express: {
    esm: "import { middleware, errorHandler } from 'sloctl/sdk/express';  app.use(middleware(sdk));  // first; app.use(errorHandler(sdk)) after the routes",
    cjs: "const { middleware, errorHandler } = require('sloctl/sdk/express');  app.use(middleware(sdk));  // first; app.use(errorHandler(sdk)) after the routes",
  },
  Koa: {
    esm: "import { middleware } from 'sloctl/sdk/koa';  app.use(middleware(sdk));  // first",
    cjs: "const { middleware } = require('sloctl/sdk/koa');  app.use(middleware(sdk));  // first",
  },
  Hono: {
    esm: "import { middleware } from 'sloctl/sdk/hono';  app.use('*', middleware(sdk));  // first",
    cjs: "const { middleware } = require('sloctl/sdk/hono');  app.use('*', middleware(sdk));  // first",
  },
  // A plain node:http server (nodeHttpServerIn): `route` names the template the handler's own routing matched.
  'node:http': {
    esm: "import { wrap } from 'sloctl/sdk/http';  http.createServer(wrap(handler, sdk));  // or wrap(handler, sdk, { route }), route(req) returning the template your routing matched ('/users/:id'); without it, the contract route the path matches",
    cjs: "const { wrap } = require('sloctl/sdk/http');  http.createServer(wrap(handler, sdk));  // or wrap(handler, sdk, { route }), route(req) returning the template your routing matched ('/users/:id'); without it, the contract route the path matches",
  },
  'NestJS on Fastify': {
    esm: "import sloctl from 'sloctl/sdk/fastify';  await app.register(sloctl, { sdk });  // in main.ts, right after NestFactory.create, before listen; errors by name: src/sdk/README.md, \"NestJS\"",
    cjs: "const { sloctl } = require('sloctl/sdk/fastify');  await app.register(sloctl, { sdk });  // in main.js's bootstrap, right after NestFactory.create, before listen; errors by name: src/sdk/README.md, \"NestJS\"",
  },
  NestJS: {
    esm: "import { middleware } from 'sloctl/sdk/express';  app.use(middleware(sdk));  // in main.ts, right after NestFactory.create (@nestjs/platform-express); errors by name: src/sdk/README.md, \"NestJS\"",
    cjs: "const { middleware } = require('sloctl/sdk/express');  app.use(middleware(sdk));  // in main.js, right after NestFactory.create (@nestjs/platform-express); errors by name: src/sdk/README.md, \"NestJS\"",
  },
};
/** Go: the middleware line for each router (README, "The Go middleware: go/"). */
const GO_ADAPTERS: Record<string, string> = {
  'net/http': 'http.ListenAndServe(addr, sdk.Middleware(mux))',
  chi: 'http.ListenAndServe(addr, sdk.Middleware(r))  // chi: the router is an http.Handler',
  'gorilla/mux': 'http.ListenAndServe(addr, sdk.Middleware(r))  // gorilla/mux: the router is an http.Handler',
  gin: 'r.Use(sloctlgin.Middleware(sdk))',
  echo: 'e.Use(sloctlecho.Middleware(sdk))',
};

/**
 * What the gate step says: the contract has a `load:` profile and the service answers at `url`;
 * or the profile is a comment, `held` when routes wait for values (else no route is listed yet).
 */
type GateStep = { url: string } | { held: boolean };

/**
 * `instrumented`: where the code calls sloctl's SDK already (file:line:col), if it does;
 * `defaultTimeouts`: the contract declares dependencies with init's default timeout.
 */
function nextSteps(runtime: Runtime, frameworks: readonly string[], modules: ModuleSystem, contract: string, dir: string, instrumented: string | undefined, gate: GateStep, defaultTimeouts: boolean, own?: { via: string; at: string; mapped: boolean; labels: string[] | undefined; bucketsWithoutThreshold?: { buckets: readonly number[]; at: string } }): string {
  const flag = runtime === 'go' ? '--go-module-path' : '--project';
  const here = contract === 'slo.yaml' && dir === '.';
  const validate = here ? `sloctl validate ${flag} .` : `sloctl validate ${contract} ${flag} ${dir}`;
  const lines = ['next:', '  1. read it through: the owner, the latency threshold and the objectives are a start to agree on'];
  if (defaultTimeouts) lines.push(`     each dependency's timeout is a default (${SCAFFOLD_DEFAULTS.dependencyTimeout}): set it to the client timeout the code uses`);
  const json = dir === '.' ? 'slo.json' : join(dir, 'slo.json');
  if (instrumented && runtime === 'go') {
    // The Go middleware reads the contract as JSON (sloctl.LoadFile), not this YAML.
    lines.push(
      `  2. the code already instruments itself with sloctl's Go middleware (${instrumented}): it serves what the contract reads`,
      `     once it loads this contract, as JSON: sloctl generate contract ${contract} -o ${json}`,
    );
  } else if (instrumented) {
    lines.push(`  2. the code already instruments itself with sloctl's SDK (${instrumented}): it serves what the contract reads`);
  } else if (own?.mapped) {
    lines.push(
      `  2. the code instruments itself with ${own.via} (${own.at}): the contract maps its names under \`metrics:\``,
      '     (README, "A service instrumented with promhttp only", its mapping table); keep a bucket at every latency threshold',
    );
    const b = own.bucketsWithoutThreshold;
    // Else the next step, validate --go-module-path, fails on it (SLO_BUCKET_MISSING).
    if (b) lines.push(`     its histogram has no bucket at ${THRESHOLD_S} s, the ${SCAFFOLD_DEFAULTS.latency.threshold} threshold (buckets at ${b.at}: ${b.buckets.join(', ')}): add ${THRESHOLD_S}, or set the threshold to one of them`);
  } else if (own) {
    const missing = [['method', 'includeMethod: true'], ['path', 'includePath: true'], ['status_code', 'includeStatusCode (on by default)']].filter(([l]) => own.labels !== undefined && !own.labels.includes(l)).map(([, o]) => o);
    lines.push(
      `  2. the code instruments itself with express-prom-bundle (${own.at}), but ${own.labels === undefined ? 'its labels cannot be read' : `without ${missing.join(', ')}`}: the contract reads sloctl's SDK's series, which it does not export;`,
      '     turn those options on and map its names under `metrics:` (README, "A service instrumented with promhttp only", its mapping table):',
      '       metrics: { requestDuration: http_request_duration_seconds, requests: http_request_duration_seconds_count, labels: { route: path, method: method, status: status_code } }',
    );
  } else if (runtime === 'node') {
    const cjs = modules.kind === 'commonjs';
    lines.push(
      cjs
        ? `  2. instrument the service with the SDK (README, "The SDK: sloctl/sdk"; npm install sloctl), with require:\n     the code is CommonJS (${modules.why})`
        : '  2. instrument the service with the SDK (README, "The SDK: sloctl/sdk"; npm install sloctl):',
      cjs ? "       const { instrument } = require('sloctl/sdk');" : "       import { instrument } from 'sloctl/sdk';",
      "       const sdk = instrument({ contract: 'slo.yaml' });  // the path from where the service starts",
    );
    const known = frameworks.filter((f) => NODE_ADAPTERS[f] !== undefined);
    if (known.length === 0) lines.push('       then the one line for your framework: Fastify, Express, Koa, Hono or node:http (src/sdk/README.md lists them)');
    for (const f of known) lines.push(`       ${f}: ${NODE_ADAPTERS[f][cjs ? 'cjs' : 'esm']}`);
  } else {
    lines.push(
      '  2. instrument the service with sloctl\'s Go middleware (README, "The Go middleware: go/"), or keep promhttp and',
      '     map its names under `metrics:` (README, "A service instrumented with promhttp only"):',
      `       sloctl generate contract ${contract} -o ${json}`,
      '       contract, err := sloctl.LoadFile("slo.json"); sdk, err := sloctl.New(contract, sloctl.Options{})',
    );
    for (const f of frameworks.length > 0 ? frameworks : ['net/http']) lines.push(`       ${f}: ${GO_ADAPTERS[f]}`);
  }
  lines.push(
    `  3. ${validate}   # the contract against the code: its routes, and the metrics it reads`,
  );
  if ('url' in gate) {
    // The gate starts target.run itself; init writes only target.url, which the gate attaches to.
    lines.push(
      `  4. start the service (at ${gate.url}), then: sloctl gate${here ? '' : ` ${contract}`}   # sends the \`load:\` profile, judges every objective`,
      '     (README, "The release gate: sloctl gate"; with `target.run: <command>` in the contract the gate starts the service itself)',
    );
  } else {
    const what = gate.held ? 'every route needs a value sloctl cannot guess: fill in the commented-out `load:` mix' : 'list the routes, then a mix entry for each in the commented-out `load:` profile';
    lines.push(`  4. ${what}, uncomment it, and run \`sloctl gate\` against the running service (README, "The release gate: sloctl gate")`);
  }
  return lines.join('\n');
}
