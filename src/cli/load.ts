// `sloctl load URL`: load one URL and print what was measured. `sloctl load --contract slo.yaml`
// sends the contract's weighted mix instead (the `load.mix` routes, with their path parameters,
// headers and bodies), at the contract's rate, duration, connections and timeout unless a flag says
// otherwise: traffic for a Prometheus or a dashboard without running a gate. Its base URL is the URL
// argument or --target, else the contract's target.url, else http://127.0.0.1:<target.port>.
//
// `--rate N` is the open model: requests leave on schedule whether or not earlier ones came back,
// and latency is measured from the time each was due (coordinated omission corrected) as well as
// from the actual send (service time). `--rate max` is the closed model for capacity runs: every
// connection sends again as soon as it is answered. `--ramp TO` ramps the rate linearly to TO.
// `--from FILE` reads a vegeta, k6 or sloctl result instead of running load, and prints it the same
// way, so a team already on vegeta or k6 can feed sloctl.
//
// Exit codes: 0 the run delivered the profile; 2 bad flags or an unreadable file; 3 no request got
// an answer: the target could not be reached, or it answered with something that is not HTTP/1.1,
// stalled, reset or closed its connections (the message says which); 4 the generator fell short of the
// profile (its reasons are printed) or the run was stopped with Ctrl-C.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { checkTargetUrl } from '../observe/scraper.ts';
import { noAnswerMessage } from '../load/failure-kinds.ts';
import { readLoadResult } from '../load/import.ts';
import { MAX_WORKERS } from '../load/run.ts';
import { K6_FAILED_KIND } from '../load/import-k6.ts';
import { ProgressWriter } from '../load/progress.ts';
import { renderLoadTable } from '../load/render-table.ts';
import type { LoadOptions, LoadProgress, LoadResult, RequestTemplate } from '../load/types.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';
import { gateProfile, type ProfileOverrides } from '../run/profile.ts';
import { loadValidContract, readInputFile, writeAtomically } from './files.ts';
import { durationFlag, intFlag, rateFlag } from './flags.ts';
import { pluralize } from './plural.ts';
import { EXAMPLE_CONTRACT } from '../contract/example-path.ts';

interface LoadFlags {
  rate?: string;
  duration?: string;
  connections?: string;
  timeout?: string;
  workers?: string;
  method: string;
  header: string[];
  body?: string;
  ramp?: string;
  seed?: string;
  json?: boolean;
  output?: string;
  allowRemote?: boolean;
  from?: string;
  contract?: string;
  target?: string;
  /** --progress: true (the redrawn line even without a terminal); --no-progress: false; neither: undefined (by the terminal). */
  progress?: boolean;
}

/** What the command needs from outside; tests replace parts of it. */
export interface LoadCommandDeps {
  /** The generator. Default: src/load/run.ts's runLoad. */
  runLoad?: (options: LoadOptions) => Promise<LoadResult>;
  /** Draw the progress bar (a terminal on stderr). Default: process.stderr.isTTY. --progress and --no-progress override it. */
  isTTY?: boolean;
  /** Stops the run like Ctrl-C does (Ctrl-C itself always works). */
  signal?: AbortSignal;
}

/** Flags that shape a run; meaningless with --from. */
const RUN_FLAGS = ['rate', 'duration', 'connections', 'timeout', 'workers', 'method', 'header', 'body', 'ramp', 'seed', 'allowRemote', 'contract', 'target'] as const;
const FLAG_NAMES: Record<string, string> = { allowRemote: 'allow-remote' };
/** Flags that describe the one request of a single-URL run; the contract's mix describes its own. */
const SINGLE_REQUEST_FLAGS = ['method', 'body'] as const;

export function register(program: Command, ctx: CliContext, deps: LoadCommandDeps = {}): void {
  program
    .command('load')
    .description(
      'Send load to one URL, or a contract\'s weighted mix of routes (--contract), at a constant (or ramped) arrival rate, or as fast as the connections allow, and print latency (corrected and service time), statuses per route and the generator\'s check on itself; --from reads a vegeta, k6 or sloctl result instead.',
    )
    .argument('[url]', 'the URL to load, e.g. http://127.0.0.1:8080/products (loopback only unless --allow-remote); with --contract, the base URL the routes\' paths go to')
    .option(
      '--contract <file>',
      'send the weighted mix of this slo.yaml\'s load section (its routes, path parameters, headers and bodies) at its rate, duration, connections and timeout; the flags below override them. Base URL: the URL argument or --target, else target.url, else http://127.0.0.1:<target.port>',
    )
    .option('--target <url>', 'with --contract: the base URL of the service, e.g. http://127.0.0.1:8080 (same as giving it as the URL argument)')
    .option('--rate <rate>', 'requests per second: 500, 500/s, 6000/m; or max, the closed model (every connection busy); required unless --from or --contract')
    .option('--duration <duration>', 'how long to send, e.g. 30s, 2m (default 30s, or the contract\'s load.duration)')
    .option('--connections <n>', 'keep-alive connections (per worker) (default 64, or the contract\'s load.connections)')
    .option('--timeout <duration>', 'a request unanswered this long after it was due counts as a timeout (default 10s, or the contract\'s load.timeout)')
    .option('--workers <n>', 'worker threads sharing the load, when one core cannot drive the rate (default 1)')
    .option('--method <method>', 'HTTP method (not with --contract: each route has its own)', 'GET')
    .option('-H, --header <name:value>', 'a request header; repeat for more (with --contract: added to every route\'s requests, replacing the mix\'s header of that name)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--body <json|@file>', 'request body: inline JSON (sent as application/json), or @file (JSON if it parses, else sent as is); not with --contract')
    .option('--ramp <rate>', 'ramp the rate linearly from --rate to this over the duration')
    .option('--seed <n>', 'seed of the request sequence (which route each request goes to, and its path parameters), for reproducible runs (default 1)')
    .option('--json', 'print the result as JSON (the LoadResult) instead of the table')
    .option('--output <file>', 'also write the result as JSON to FILE (atomically)')
    .option('--allow-remote', 'allow a target that is not on a loopback address')
    .option('--from <file>', 'read a result instead of running load: vegeta JSON lines or report, k6 summary, or sloctl JSON')
    // Both defined, --progress first: commander then leaves the value undefined when neither is given.
    .option('--progress', 'redraw the progress line in place even when stderr is not a terminal (2>&1 | tee, say); by default it is redrawn on a terminal, else one plain line every 5s')
    .option('--no-progress', 'no progress display on stderr')
    .action(async (url: string | undefined, flags: LoadFlags, cmd: Command) => {
      const explicit = new Set(RUN_FLAGS.filter((f) => cmd.getOptionValueSource(f) === 'cli'));
      await runLoadCommand(url, flags, ctx, deps, explicit);
    });
}

function parseHeaders(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf(':');
    const name = i < 0 ? '' : v.slice(0, i).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`--header: expected "name: value", e.g. -H 'authorization: Bearer x', got ${JSON.stringify(v)}`);
    out[name.toLowerCase()] = v.slice(i + 1).trim();
  }
  return out;
}

function parseBody(text: string, ctx: CliContext): unknown {
  if (text.startsWith('@')) {
    const file = readInputFile(ctx, text.slice(1), 'name the body file itself');
    try {
      return JSON.parse(file.text) as unknown;
    } catch {
      return file.text;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`--body: expected JSON or @file, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)} (${(e as Error).message}); quote it for the shell, e.g. --body '{"id": 1}'`);
  }
}

function rateText(rate: number | 'max', to?: number): string {
  if (rate === 'max') return 'max (closed model)';
  return to === undefined ? `${rate}/s` : `${rate}/s ramping to ${to}/s`;
}

/** Builds the run from the flags; every mistake is a UsageError naming its flag. */
function loadOptions(url: string | undefined, flags: LoadFlags, ctx: CliContext): { options: LoadOptions; title: string } {
  if (url === undefined) throw new UsageError('missing URL: sloctl load URL --rate 500 (or --contract slo.yaml to send its mix, or --from FILE to read a vegeta, k6 or sloctl result)');
  if (flags.rate === undefined) throw new UsageError('--rate is required: requests per second (500, 500/s, 6000/m) or max (the closed model)');
  const rate = rateFlag('rate', flags.rate, true);
  const durationText = flags.duration ?? DEFAULTS.duration;
  const durationMs = durationFlag('duration', durationText);
  const connections = intFlag('connections', flags.connections ?? DEFAULTS.connections, 1, 100_000);
  const timeoutMs = durationFlag('timeout', flags.timeout ?? DEFAULTS.timeout);
  const { workers, seed, to } = commonFlags(flags, rate);
  const method = flags.method.trim().toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`--method: expected an HTTP method such as GET or POST, got ${JSON.stringify(flags.method)}`);
  const headers = parseHeaders(flags.header);
  const body = flags.body === undefined ? undefined : parseBody(flags.body, ctx);
  let u: URL;
  try {
    u = checkTargetUrl(url, flags.allowRemote === true, 'send load to');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const request: RequestTemplate = {
    name: `${method} ${u.pathname}`,
    weight: 1,
    method,
    path: `${u.pathname}${u.search}`,
    ...(headers ? { headers } : {}),
    ...(body !== undefined ? { body } : {}),
  };
  const options: LoadOptions = {
    url: u.toString(),
    requests: [request],
    stages: [{ rate, ...(to !== undefined ? { to } : {}), durationMs }],
    connections,
    timeoutMs,
    ...(workers !== undefined ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    allowRemote: flags.allowRemote === true,
  };
  const title = `sloctl load ${method} ${u.toString()}: ${rate === 'max' ? 'closed' : 'open'} model, ${durationText} at ${rateText(rate, to)}, ${pluralize(connections, 'connection')}${workers && workers > 1 ? ` × ${workers} workers` : ''}`;
  return { options, title };
}

/** Defaults of a single-URL run (a contract run takes its own from the contract's load section). */
const DEFAULTS = { duration: '30s', connections: '64', timeout: '10s' };

/** The flags both kinds of run read the same way. */
function commonFlags(flags: LoadFlags, rate: number | 'max'): { workers?: number; seed?: number; to?: number } {
  const workers = flags.workers === undefined ? undefined : intFlag('workers', flags.workers, 1, MAX_WORKERS);
  const seed = flags.seed === undefined ? undefined : intFlag('seed', flags.seed, 0, 2 ** 32 - 1);
  let to: number | undefined;
  if (flags.ramp !== undefined) {
    if (rate === 'max') throw new UsageError(`--ramp: the closed model (${flags.rate === undefined ? "the contract's load.rate max" : '--rate max'}) has no rate to ramp from; give --rate a number`);
    to = rateFlag('ramp', flags.ramp) as number;
  }
  return { workers, seed, to };
}

/** `--contract FILE`: the contract's mix, its load section's numbers, and a base URL; every mistake a UsageError naming the flag or field. */
function contractLoadOptions(url: string | undefined, flags: LoadFlags, ctx: CliContext, explicit: ReadonlySet<string>): { options: LoadOptions; title: string } {
  const file = flags.contract!;
  for (const f of SINGLE_REQUEST_FLAGS) {
    if (explicit.has(f) || (f === 'body' && flags.body !== undefined)) {
      throw new UsageError(`--${f} describes the one request of a single-URL run; with --contract each route of load.mix has its own ${f === 'method' ? 'method (routes[].method)' : 'body (load.mix[].body)'}: drop --${f}`);
    }
  }
  if (url !== undefined && flags.target !== undefined) {
    throw new UsageError(`the base URL is given twice (${url} and --target ${flags.target}): with --contract the URL argument and --target are the same thing; keep one`);
  }
  const { contract, shown } = loadValidContract(ctx, file, `sloctl load --contract ${file}`);
  if (!contract.load) {
    throw new UsageError(`--contract ${shown}: the contract has no \`load\` section: add one with rate, duration and mix (see ${EXAMPLE_CONTRACT}), or load one URL without --contract`);
  }
  const overrides: ProfileOverrides = {};
  if (flags.rate !== undefined) overrides.rate = rateFlag('rate', flags.rate, true);
  if (flags.duration !== undefined) overrides.durationMs = durationFlag('duration', flags.duration);
  if (flags.connections !== undefined) overrides.connections = intFlag('connections', flags.connections, 1, 100_000);
  if (flags.timeout !== undefined) overrides.timeoutMs = durationFlag('timeout', flags.timeout);
  const profile = gateProfile(contract, overrides);
  if (typeof profile === 'string') throw new UsageError(`--contract ${shown}: ${profile}`);
  const { workers, seed, to } = commonFlags(flags, profile.rate);

  const t = contract.target;
  const base = url ?? flags.target ?? t?.url ?? (t?.port !== undefined ? `http://127.0.0.1:${t.port}` : undefined);
  const from = url !== undefined ? 'the URL' : flags.target !== undefined ? '--target' : t?.url !== undefined ? `target.url in ${shown}` : 'target.port';
  if (base === undefined) {
    throw new UsageError(`--contract ${shown}: no base URL: the contract has neither target.url nor target.port; pass the service's URL, e.g. sloctl load --contract ${file} http://127.0.0.1:8080`);
  }
  let u: URL;
  try {
    u = checkTargetUrl(base, flags.allowRemote === true, 'send load to');
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (the base URL, from ${from})`);
  }
  if (u.pathname !== '/' || u.search !== '') {
    // The routes' paths are absolute (as the gate sends them): a path here would be dropped silently.
    throw new UsageError(`the base URL ${base} (from ${from}) has a path or query, but the contract's routes are absolute paths (e.g. ${profile.requests[0].path}) sent as they are: give the origin only, e.g. ${u.origin}`);
  }
  const headers = parseHeaders(flags.header);
  const requests: RequestTemplate[] = headers === undefined ? profile.requests : profile.requests.map((r) => ({ ...r, headers: { ...lowerKeys(r.headers), ...headers } }));
  const options: LoadOptions = {
    url: u.origin,
    requests,
    stages: [{ rate: profile.rate, ...(to !== undefined ? { to } : {}), durationMs: profile.durationMs }],
    connections: profile.connections,
    timeoutMs: profile.timeoutMs,
    ...(workers !== undefined ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    allowRemote: flags.allowRemote === true,
  };
  const total = requests.reduce((a, r) => a + r.weight, 0);
  const mix = requests.map((r) => `${r.name} ${percentText((r.weight / total) * 100)}`).join(', ');
  const title =
    `sloctl load --contract ${shown} (${contract.service.name}) to ${u.origin}: ${profile.rate === 'max' ? 'closed' : 'open'} model, ${profile.durationMs / 1000}s at ${rateText(profile.rate, to)}, ` +
    `${pluralize(profile.connections, 'connection')}${workers && workers > 1 ? ` × ${workers} workers` : ''}; mix ${mix}`;
  return { options, title };
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function percentText(p: number): string {
  return `${Number.isInteger(p) ? p : Number(p.toFixed(1))}%`;
}

/** Kinds of failure that mean "never answered"; k6's http_req_failed mixes in HTTP errors, so it does not. */
function failuresWithoutResponse(r: LoadResult): { total: number; kinds: Record<string, number> } {
  const kinds: Record<string, number> = {};
  let total = 0;
  for (const route of r.routes) {
    for (const [k, n] of Object.entries(route.errors)) {
      kinds[k] = (kinds[k] ?? 0) + n;
      total += n;
    }
  }
  return { total, kinds };
}

/** The exit code of a result, and the message that goes with it on stderr. */
export function loadOutcome(r: LoadResult, stopped: boolean): { code: number; message?: string } {
  const { total, kinds } = failuresWithoutResponse(r);
  if (r.sent > 0 && r.completed === 0 && total > 0 && !(K6_FAILED_KIND in kinds)) {
    return { code: EXIT.TARGET, message: noAnswerMessage(r.url, r.sent, kinds, r.errorDetails) };
  }
  if (r.generator && !r.generator.ok) {
    return { code: EXIT.INCONCLUSIVE, message: `the generator fell short of the profile, so these numbers cannot judge the target:\n${r.generator.reasons.map((x) => `  - ${x}`).join('\n')}` };
  }
  if (stopped) return { code: EXIT.INCONCLUSIVE, message: `stopped before the end: the results cover the ${(r.durationMs / 1000).toFixed(1)}s measured` };
  return { code: EXIT.OK };
}

function print(r: LoadResult, flags: LoadFlags, ctx: CliContext, title: string | undefined): void {
  const json = `${JSON.stringify(r, null, 2)}\n`;
  if (flags.output !== undefined) writeAtomically(resolve(ctx.cwd, flags.output), json, flags.output);
  if (flags.json) ctx.stdout(json);
  else ctx.stdout(`${renderLoadTable(r, title === undefined ? {} : { title })}\n`);
}

async function defaultRunLoad(options: LoadOptions): Promise<LoadResult> {
  const { runLoad } = await import('../load/run.ts');
  return runLoad(options);
}

export async function runLoadCommand(url: string | undefined, flags: LoadFlags, ctx: CliContext, deps: LoadCommandDeps = {}, explicit: ReadonlySet<string> = new Set()): Promise<void> {
  if (flags.from !== undefined) {
    if (url !== undefined) throw new UsageError(`--from reads a result instead of running load: drop the URL (${url}), or drop --from to send load`);
    const clash = RUN_FLAGS.find((f) => explicit.has(f));
    if (clash) throw new UsageError(`--${FLAG_NAMES[clash] ?? clash} shapes a run, and --from reads one that already happened: drop one of them`);
    const input = readInputFile(ctx, flags.from, 'name the result file itself');
    // An ImportError (not a result of any format it reads) ends the command with exit 2.
    const result: LoadResult = readLoadResult(input.shown, input.text);
    print(result, flags, ctx, `${result.source === 'sloctl' ? 'sloctl load' : `${result.source} result`} read from ${input.shown}: ${result.url || 'target not recorded'}, ${result.model} model, ${(result.durationMs / 1000).toFixed(1)}s`);
    const outcome = loadOutcome(result, false);
    if (outcome.message && (flags.json || outcome.code === EXIT.TARGET)) ctx.stderr(`sloctl: ${outcome.message}\n`);
    ctx.exitCode = outcome.code;
    return;
  }

  if (flags.contract === undefined && flags.target !== undefined) {
    throw new UsageError(`--target is the base URL of a --contract run; to load one URL, give it as the argument: sloctl load ${flags.target} --rate 100`);
  }
  const { options, title } = flags.contract !== undefined ? contractLoadOptions(url, flags, ctx, explicit) : loadOptions(url, flags, ctx);
  const stop = new AbortController();
  // The first Ctrl-C stops the run and keeps what was measured; a second one (no listener left) ends the process.
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const onExternal = () => stop.abort();
  deps.signal?.addEventListener('abort', onExternal, { once: true });
  if (deps.signal?.aborted) stop.abort();
  const progress = flags.progress === false ? undefined : new ProgressWriter({ write: ctx.stderr, isTTY: flags.progress === true || (deps.isTTY ?? Boolean(process.stderr.isTTY)) });
  let result: LoadResult;
  try {
    result = await (deps.runLoad ?? defaultRunLoad)({ ...options, signal: stop.signal, ...(progress ? { onProgress: (p: LoadProgress) => progress.update(p) } : {}) });
  } finally {
    progress?.clear();
    process.removeListener('SIGINT', onSigint);
    deps.signal?.removeEventListener('abort', onExternal);
  }
  print(result, flags, ctx, title);
  const outcome = loadOutcome(result, stop.signal.aborted);
  // The table already shows the generator's reasons; JSON on stdout needs them on stderr.
  if (outcome.message && (flags.json || outcome.code !== EXIT.INCONCLUSIVE || stop.signal.aborted)) ctx.stderr(`sloctl: ${outcome.message}\n`);
  ctx.exitCode = outcome.code;
}
