// `sloctl faults serve`: the fault proxy as a server, with a toxiproxy-compatible control API
// (src/faults/api.ts), so scripts written for toxiproxy (toxiproxy-node-client, toxiproxy-cli,
// curl) drive it. It prints the API's address and runs until Ctrl-C or SIGTERM, which remove every
// proxy and close everything.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FaultApiError, FaultProxies, startControlServer, TOXIC_TYPES } from '../faults/index.ts';
import { isLoopbackHost } from '../net/loopback.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';
import { intFlag } from './flags.ts';

interface ServeFlags {
  host: string;
  port: string;
  seed?: string;
  allowRemote?: boolean;
  config?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const faults = program.command('faults').description('Inject faults between a service and its dependencies (a toxiproxy-compatible fault proxy).');
  faults
    .command('serve')
    .description(
      'Run the fault proxy with its control API (toxiproxy\'s HTTP API: /proxies, /proxies/NAME/toxics, /reset, /populate, /version). ' +
        `Toxic types: ${[...TOXIC_TYPES.keys()].join(', ')}. Listens on loopback only; runs until Ctrl-C or SIGTERM, which remove every fault. ` +
        'With SLOCTL_FAULTS_TOKEN set, every API request must send `Authorization: Bearer $SLOCTL_FAULTS_TOKEN` (toxiproxy clients send none, so it is off by default).',
    )
    .option('--host <address>', 'loopback address of the control API', '127.0.0.1')
    .option('--port <port>', 'port of the control API (toxiproxy\'s default; 0 for any free port, printed)', '8474')
    .option('--seed <n>', 'seed of which connections and requests the toxics hit: the same seed, the same drill (default 1)')
    .option('--allow-remote', 'allow proxies whose upstream is not on a loopback address')
    .option('--config <file>', 'create the proxies listed in FILE at start (toxiproxy\'s -config: a JSON array of {name, listen, upstream})')
    .action(async (flags: ServeFlags) => {
      await serve(flags, ctx);
    });
}

async function serve(flags: ServeFlags, ctx: CliContext): Promise<void> {
  if (!isLoopbackHost(flags.host)) throw new UsageError(`--host: ${JSON.stringify(flags.host)} is not a loopback address; the control API listens on loopback only (e.g. 127.0.0.1)`);
  const port = intFlag('port', flags.port, 0, 65535);
  const seed = flags.seed === undefined ? 1 : intFlag('seed', flags.seed, 0, 2 ** 32 - 1);
  let config: unknown;
  if (flags.config !== undefined) {
    const path = resolve(ctx.cwd, flags.config);
    try {
      config = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${flags.config}: ${(e as Error).message}`);
    }
  }
  const token = process.env.SLOCTL_FAULTS_TOKEN || undefined;
  const proxies = new FaultProxies({ seed, allowRemote: flags.allowRemote === true });
  let server;
  try {
    if (config !== undefined) await proxies.populate(config);
    server = await startControlServer(proxies, { host: flags.host, port, version: version(), token, log: (line) => ctx.stderr(`sloctl faults: ${line}\n`) });
  } catch (e) {
    await proxies.close();
    if (e instanceof FaultApiError) throw new UsageError(`--config ${flags.config}: ${e.message}`);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: ${flags.host}:${port} is in use (a toxiproxy running?); pass another --port, or --port 0 for any free one`);
    // Not a bug in sloctl (exit 70) but this machine's answer to where it was asked to listen.
    if (err.code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen on ${flags.host}:${port} (ports below 1024 need privileges); pass a port above 1023, or --port 0 for any free one`);
    if (err.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${flags.host}: no interface of this machine has that address; use 127.0.0.1`);
    throw e;
  }
  ctx.stdout(`sloctl faults: control API on ${server.url} (toxiproxy-compatible, seed ${seed}${token ? ', token required: SLOCTL_FAULTS_TOKEN' : ''})\n`);
  for (const p of proxies.list()) ctx.stdout(`sloctl faults: proxy ${p.name} listening on ${p.listen} -> ${p.upstream}\n`);

  await new Promise<void>((done) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  ctx.stdout('sloctl faults: stopped; every proxy and toxic removed\n');
  ctx.exitCode = EXIT.OK;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
