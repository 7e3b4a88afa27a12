// The service under test: started by sloctl from the contract's `run` command, or attached to with
// `--target URL`.
//
// Started: `sh -c <run>` with PORT set, in its own process group (detached) so that stop() reaches
// the whole tree (npm -> sh -> node), output appended to a log file the child writes directly (it
// survives sloctl being killed). sloctl waits until the health endpoint says UP (see health.ts:
// DEGRADED and DOWN are answers, not health), and gives up at once when the command exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../cli/exit.ts';
import { formatDuration } from '../contract/units.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import { DEFAULT_HEALTH_PATH, describeProbe, endpointUrl, probeHealth, type HealthProbe } from './health.ts';
import { tailFile } from './log-tail.ts';
import { freePort, groupMembers, signalGroup, waitGroupGone } from './process-group.ts';
import { describeExit, logBlock, TargetError, type ExitInfo } from './target-error.ts';

export { HealthWatcher, type HealthStats, type HealthWatcherOptions } from './health-watcher.ts';
export { TargetError, type ExitInfo, type TargetErrorKind } from './target-error.ts';

export interface StartTargetOptions {
  /** The contract's target.run, run with `sh -c`. */
  command: string;
  /** Working directory (the contract's target.cwd resolved against the contract's directory). */
  cwd: string;
  /** Port to give the target in $PORT; a free one on 127.0.0.1 when omitted. */
  port?: number;
  /** Extra environment (the contract's target.env); PORT is always sloctl's. */
  env?: Record<string, string>;
  /** Health path on the target (the contract's target.health). Default /healthz. */
  healthPath?: string;
  /** Or the whole health URL from the base URL; wins over healthPath. */
  healthUrlFor?: (baseUrl: string) => string;
  /** How long to wait for the health endpoint to say UP (the contract's target.startTimeout). */
  startTimeoutMs: number;
  /** The target's stdout and stderr are appended here (directory created). */
  logFile: string;
  /** Aborts the start: the target is stopped and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Time between health probes while waiting. Default 100 ms. */
  pollMs?: number;
  /** Timeout of one health probe while waiting. Default 1 s (never past the start deadline). */
  probeTimeoutMs?: number;
}

export interface StopResult {
  /** How the command's shell ended; null when it had already ended before stop(). */
  exit: ExitInfo | null;
  /** True when SIGTERM was not enough within the grace and the group got SIGKILL. */
  forced: boolean;
  /** Processes of the group still alive at the end (should be empty). */
  leftovers: number[];
}

export interface RunningTarget {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  readonly healthUrl: string;
  /** The shell's pid, which is also the process group id. */
  readonly pid: number;
  readonly port: number;
  readonly command: string;
  readonly logFile: string;
  /** Milliseconds from spawn to the first UP. */
  readonly readyMs: number;
  /** Resolves when the command's shell exits, for whatever reason (also after stop()). */
  readonly exited: Promise<ExitInfo>;
  isAlive(): boolean;
  /**
   * Called once if the target exits while nobody asked it to (not after stop()), with a ready
   * TargetError of kind 'died' and the exit code or signal. Called on the next tick when it already has. Returns an unsubscribe.
   */
  onExit(listener: (error: TargetError, exit: ExitInfo) => void): () => void;
  /** SIGTERM to the whole group, SIGKILL after `graceMs` (default 5000). Idempotent. */
  stop(graceMs?: number): Promise<StopResult>;
  /** The last `n` lines of the target's log (default 20). */
  logTail(n?: number): string;
}

export interface AttachedTarget {
  /** The base URL, without query, fragment or trailing slash. */
  url: string;
  healthUrl: string;
  /** The probe that found it UP. */
  health: HealthProbe;
}

const LOG_LINES = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function shown(command: string, cwd: string): string {
  return `\`${command}\` (in ${cwd})`;
}

/** Opens the log for appending, creating its directory. */
function openLog(logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  return openSync(logFile, 'a');
}

/** Spawns the command in its own process group, output to the log; rejects with a 'spawn' TargetError. */
async function spawnTarget(opts: StartTargetOptions, port: number): Promise<ChildProcess> {
  let isDir = false;
  try {
    isDir = statSync(opts.cwd).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new TargetError('spawn', `cannot start ${shown(opts.command, opts.cwd)}: the directory ${opts.cwd} does not exist; fix target.cwd in the contract (it is relative to the contract file)`);
  let logFd: number;
  try {
    logFd = openLog(opts.logFile);
  } catch (e) {
    throw new TargetError('spawn', `cannot start ${shown(opts.command, opts.cwd)}: cannot write its log ${opts.logFile}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const child = spawn('sh', ['-c', opts.command], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, PORT: String(port) },
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new TargetError('spawn', `cannot start ${shown(opts.command, opts.cwd)}: ${e.message}`, { cause: e })));
    });
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
}

/** Starts the target and waits until its health endpoint says UP. Rejects with a TargetError. */
export async function startTarget(opts: StartTargetOptions): Promise<RunningTarget> {
  opts.signal?.throwIfAborted();
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const healthUrl = opts.healthUrlFor ? opts.healthUrlFor(url) : endpointUrl(url, opts.healthPath ?? DEFAULT_HEALTH_PATH);
  const pollMs = opts.pollMs ?? 100;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1000;

  const t0 = performance.now();
  const child = await spawnTarget(opts, port);
  const pid = child.pid!;
  const target = new Target({ child, pid, url, healthUrl, port, command: opts.command, logFile: opts.logFile });

  const who = shown(opts.command, opts.cwd);
  const fail = async (error: unknown): Promise<never> => {
    await target.stop(1000);
    throw error;
  };
  const exitedEarly = target.exited.then((exit) => ({ kind: 'exit' as const, exit }));
  let onAbort = () => {};
  const aborted = new Promise<{ kind: 'abort' }>((resolve) => {
    onAbort = () => resolve({ kind: 'abort' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await waitHealthy();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  async function waitHealthy(): Promise<RunningTarget> {
  const deadline = t0 + opts.startTimeoutMs;
  const exitedError = async (exit: ExitInfo): Promise<never> => {
    const after = formatDuration(Math.round(performance.now() - t0));
    // The shell is gone; a background child it left may not be: stop the group before reporting.
    await target.stop(1000);
    const tail = target.logTail(LOG_LINES);
    throw new TargetError(
      'exited',
      `the target ${who} ${describeExit(exit)} after ${after}, before ${healthUrl} said UP\n${logBlock(tail, opts.logFile)}\n` +
        `Run it yourself (PORT=${port} ${opts.command}) to see why, and fix it or target.run in the contract.`,
      { exit, logTail: tail },
    );
  };
  let last: HealthProbe | undefined;
  // The last real answer tells more than a final probe the deadline cut short.
  let answered: HealthProbe | undefined;
  for (;;) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    const probe = probeHealth(healthUrl, Math.max(1, Math.min(probeTimeoutMs, remaining))).then((p) => ({ kind: 'probe' as const, p }));
    const r = await Promise.race([probe, exitedEarly, aborted]);
    if (r.kind === 'abort') return fail(opts.signal!.reason);
    if (r.kind === 'exit') return exitedError(r.exit);
    last = r.p;
    if (last.state !== 'unreachable') answered = last;
    if (last.state === 'up') {
      target.readyMs = performance.now() - t0;
      return target;
    }
    const wait = Math.min(pollMs, Math.max(0, deadline - performance.now()));
    const w = await Promise.race([sleep(wait).then(() => ({ kind: 'tick' as const })), exitedEarly, aborted]);
    if (w.kind === 'abort') return fail(opts.signal!.reason);
    if (w.kind === 'exit') return exitedError(w.exit);
  }
  // The deadline passed; an exit at the same moment is still an exit.
  if (!target.isAlive()) return exitedError(await target.exited);
  const seen = answered !== undefined ? `last ${describeProbe(answered)}` : last === undefined ? 'was never probed' : `never answered (last: ${last.error})`;
  const hint =
    answered === undefined
      ? `check that it listens on $PORT (${port} here) on 127.0.0.1 and serves target.health`
      : answered.statusCode === 404
        ? 'check that target.health is the right path'
        : 'it runs and answers, but says it is not healthy: look at what its health check reports';
  return fail(
    new TargetError(
      'start-timeout',
      `the target ${who} did not become healthy within ${formatDuration(opts.startTimeoutMs)}: ${healthUrl} ${seen}\n${logBlock(target.logTail(LOG_LINES), opts.logFile)}\n` +
        `${hint[0].toUpperCase()}${hint.slice(1)}; or raise target.startTimeout in the contract.`,
      { logTail: target.logTail(LOG_LINES) },
    ),
  );
  }
}

interface TargetInit {
  child: ChildProcess;
  pid: number;
  url: string;
  healthUrl: string;
  port: number;
  command: string;
  logFile: string;
}

class Target implements RunningTarget {
  readonly url: string;
  readonly healthUrl: string;
  readonly pid: number;
  readonly port: number;
  readonly command: string;
  readonly logFile: string;
  readyMs = NaN;
  readonly exited: Promise<ExitInfo>;
  private exit: ExitInfo | null = null;
  private stopping: Promise<StopResult> | null = null;
  private readonly listeners = new Set<(error: TargetError, exit: ExitInfo) => void>();
  /** Last resort when sloctl exits without stopping the target (an uncaught error, process.exit). */
  private readonly killOnExit = () => {
    signalGroup(this.pid, 'SIGKILL');
  };

  constructor(init: TargetInit) {
    this.url = init.url;
    this.healthUrl = init.healthUrl;
    this.pid = init.pid;
    this.port = init.port;
    this.command = init.command;
    this.logFile = init.logFile;
    this.exited = new Promise<ExitInfo>((resolve) => {
      init.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        if (this.stopping === null) this.notify(this.exit);
      });
    });
    process.on('exit', this.killOnExit);
  }

  isAlive(): boolean {
    return this.exit === null;
  }

  private diedError(exit: ExitInfo): TargetError {
    const tail = this.logTail(LOG_LINES);
    return new TargetError(
      'died',
      `the target \`${this.command}\` ${describeExit(exit)} during the run (it was healthy at ${this.url})\n${logBlock(tail, this.logFile)}\n` +
        'A service that dies under load fails the gate: look at its log for the cause (out of memory, an uncaught error, a crash).',
      { exit, logTail: tail },
    );
  }

  private notify(exit: ExitInfo): void {
    if (this.listeners.size === 0) return;
    const error = this.diedError(exit);
    for (const l of [...this.listeners]) l(error, exit);
    this.listeners.clear();
  }

  onExit(listener: (error: TargetError, exit: ExitInfo) => void): () => void {
    if (this.exit !== null) {
      const exit = this.exit;
      if (this.stopping === null) process.nextTick(() => listener(this.diedError(exit), exit));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(graceMs = 5000): Promise<StopResult> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<StopResult> {
    this.listeners.clear();
    const before = this.exit;
    let forced = false;
    if (groupMembers(this.pid).length > 0) {
      signalGroup(this.pid, 'SIGTERM');
      if (!(await waitGroupGone(this.pid, graceMs))) {
        forced = true;
        signalGroup(this.pid, 'SIGKILL');
        await waitGroupGone(this.pid, 2000);
      }
    }
    // The shell is our child: its exit event comes once the group is gone (a shell that was
    // SIGKILLed may still be waiting to be reaped for a moment).
    if (this.exit === null) await Promise.race([this.exited, sleep(2000)]);
    process.removeListener('exit', this.killOnExit);
    return { exit: before === null ? this.exit : null, forced, leftovers: groupMembers(this.pid) };
  }

  logTail(n = LOG_LINES): string {
    return tailFile(this.logFile, n);
  }
}

/**
 * `--target URL`: checks the URL (loopback unless allowRemote: a UsageError otherwise) and probes
 * its health once. TargetError 'unreachable' when nothing answers, 'unhealthy' when the answer is
 * not UP.
 */
export async function attachTarget(url: string, healthPath: string = DEFAULT_HEALTH_PATH, allowRemote = false, options: { timeoutMs?: number } = {}): Promise<AttachedTarget> {
  let u: URL;
  try {
    u = checkTargetUrl(url, allowRemote, 'load');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  const healthUrl = endpointUrl(u, healthPath);
  const health = await probeHealth(healthUrl, options.timeoutMs ?? 5000);
  if (health.state === 'unreachable') {
    throw new TargetError('unreachable', `the target ${base} is not reachable: ${healthUrl} ${describeProbe(health)}; start the service first, or check --target and target.health`);
  }
  if (health.state !== 'up') {
    throw new TargetError('unhealthy', `the target ${base} is not healthy: ${healthUrl} ${describeProbe(health)}; the gate measures only a service that says UP (fix it, or check target.health is the right path)`);
  }
  return { url: base, healthUrl, health };
}
