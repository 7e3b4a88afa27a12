// The service under test: started by sloctl from the contract's `run` command, or attached to with
// `--target URL`.
//
// Started: `sh -c <run>` with PORT set, in its own process group (detached) so that stop() reaches
// the whole tree (npm -> sh -> node), output appended to a log file the child writes directly (it
// survives sloctl being killed). The shell is spawned by a watchdog (supervisor.ts) that stops the
// target when sloctl goes away, SIGKILL included. sloctl waits until the health endpoint says UP
// (see health.ts: DEGRADED and DOWN are answers, not health), and gives up at once when the
// command exits.
//
// The health the gate trusts must be the target's: on a fixed port, sloctl first checks that the
// port is free (a service left running there would answer for the new build), and once UP it
// checks that the socket listening on the port belongs to the target (its process group, or a
// process carrying its marker) and not to whoever else answers (port-owner.ts).
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.ts';
import { formatDuration, formatElapsed } from '../contract/units.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import { DEFAULT_HEALTH_PATH, describeProbe, endpointUrl, probeHealth, type HealthProbe } from './health.ts';
import { tailFile } from './log-tail.ts';
import { checkPortFree, loopbackListeners, socketHolders } from './port-owner.ts';
import { isLive, processCommand, readProcStat, readProcStats, type ProcStat } from './proc-stat.ts';
import { carriesMarker, freePort, groupMembers, signalGroup, targetProcesses } from './process-group.ts';
import { spawnSupervised, type Supervised } from './supervisor.ts';
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
  /** When sloctl dies: how long the watchdog waits after SIGTERM before SIGKILL. Default 3 s. */
  orphanGraceMs?: number;
}

/** A process named in a report: its pid and command line (when it could be read). */
export interface ProcessNote {
  pid: number;
  command?: string;
}

/** A process of the target that had left its process group (setsid), and how it ended. */
export interface EscapedProcess extends ProcessNote {
  /** 'stopped' on SIGTERM, 'killed' by SIGKILL after the grace, 'left running' when even that failed. */
  outcome: 'stopped' | 'killed' | 'left running';
}

/**
 * Whose socket listens on the target's port once it says UP: 'verified' (the target's), or
 * 'unverified' with why sloctl could not tell (no /proc, or a process it cannot look into: another
 * user's, such as docker-proxy). A process that is visibly someone else's is a TargetError instead.
 */
export type ListenerCheck = { verified: true; pids: number[] } | { verified: false; note: string };

export interface StopResult {
  /** How the command's shell ended; null when it had already ended before stop(). */
  exit: ExitInfo | null;
  /** True when SIGTERM was not enough within the grace and the group got SIGKILL. */
  forced: boolean;
  /** The grace between SIGTERM and SIGKILL, ms. */
  graceMs: number;
  /** The processes still running when the grace ended, which got SIGKILL (empty unless forced). */
  killed: ProcessNote[];
  /** Processes of the target outside its group (they called setsid), found by its marker; stopped with the group. */
  escaped: EscapedProcess[];
  /** Processes of the target still alive at the end (should be empty). */
  leftovers: number[];
}

export interface RunningTarget {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  readonly healthUrl: string;
  /** The shell's pid, which is also the process group id. */
  readonly pid: number;
  /** The watchdog that stops the target if sloctl dies (supervisor.ts). */
  readonly watchdogPid: number;
  readonly port: number;
  /** Whose socket answered on the port when the target became UP (see ListenerCheck). */
  readonly listener: ListenerCheck;
  /** Checks again that the socket on the port is the target's (e.g. at the end of the run). Throws a TargetError when it is someone else's. */
  checkListener(): ListenerCheck;
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
  /**
   * SIGTERM to the whole group and to the target's processes that left it, SIGKILL after `graceMs`
   * (default 5000), then the watchdog is released. Idempotent. The result says what it took.
   */
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

/** Spawns the command (through the watchdog) in its own process group, output to the log; rejects with a 'spawn' TargetError. */
async function spawnTarget(opts: StartTargetOptions, port: number): Promise<Supervised> {
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
    return await spawnSupervised({
      command: opts.command,
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, PORT: String(port) },
      logFd,
      orphanGraceMs: opts.orphanGraceMs ?? 3000,
    });
  } catch (e) {
    throw new TargetError('spawn', `cannot start ${shown(opts.command, opts.cwd)}: ${(e as Error).message}`, { cause: e });
  } finally {
    // The watchdog holds its own copy of the descriptor.
    closeSync(logFd);
  }
}

/** "PID 123 (`node server.js`)". */
function describeProcess(p: ProcessNote): string {
  return p.command === undefined ? `PID ${p.pid}` : `PID ${p.pid} (\`${p.command}\`)`;
}

function note(pid: number): ProcessNote {
  const command = processCommand(pid);
  return command === undefined ? { pid } : { pid, command };
}

/** A fixed port must be free before the target starts: whoever holds it would answer for the new build. */
async function ensurePortFree(port: number, who: string): Promise<void> {
  const check = await checkPortFree(port);
  if (check.free) return;
  if (check.code === 'EACCES') {
    throw new TargetError('port-busy', `cannot start ${who} on target.port ${port}: sloctl may not listen there (${check.message}); ports below 1024 need privileges: pick another target.port`);
  }
  if (check.code !== 'EADDRINUSE') {
    throw new TargetError('port-busy', `cannot start ${who} on target.port ${port}: listening on 127.0.0.1:${port} fails (${check.message}); pick another target.port`);
  }
  const after = 'it would answer the gate\'s health checks and load in place of the build under test (a service left running, by an earlier gate that was killed or by hand?)';
  if (check.holders === undefined) {
    throw new TargetError('port-busy', `cannot start ${who}: target.port ${port} is already in use on 127.0.0.1 by another process, and this system has no /proc to say which; ${after}. Stop it, or pick another target.port.`);
  }
  if (check.holders.length === 0) {
    throw new TargetError('port-busy', `cannot start ${who}: target.port ${port} is already taken on 127.0.0.1 by an unknown process (sloctl cannot see which: another user's, or a socket that is not listening); ${after}. Find it (\`ss -ltnp 'sport = :${port}'\`) and stop it, or pick another target.port.`);
  }
  const holders = check.holders.map((pid) => describeProcess(note(pid)));
  const kill = `kill ${check.holders.join(' ')}`;
  throw new TargetError('port-busy', `cannot start ${who}: target.port ${port} is already in use on 127.0.0.1 by ${holders.join(', ')}; ${after}. Stop it (\`${kill}\`), or pick another target.port.`);
}

/** Starts the target and waits until its health endpoint says UP. Rejects with a TargetError. */
export async function startTarget(opts: StartTargetOptions): Promise<RunningTarget> {
  opts.signal?.throwIfAborted();
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const healthUrl = opts.healthUrlFor ? opts.healthUrlFor(url) : endpointUrl(url, opts.healthPath ?? DEFAULT_HEALTH_PATH);
  const pollMs = opts.pollMs ?? 100;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1000;

  const who = shown(opts.command, opts.cwd);
  if (opts.port !== undefined) await ensurePortFree(port, who);
  opts.signal?.throwIfAborted();

  const t0 = performance.now();
  const supervised = await spawnTarget(opts, port);
  const target = new Target({ supervised, url, healthUrl, port, command: opts.command, logFile: opts.logFile });

  const fail = async (error: unknown): Promise<never> => {
    await target.stop(1000);
    throw error;
  };
  const exitedEarly = target.exited.then((exit) => ({ kind: 'exit' as const, exit }));
  let onAbort = () => {};
  const aborted = new Promise<{ kind: 'abort' }>((resolve) => {
    onAbort = () => resolve({ kind: 'abort' });
    // Aborted while the target was being spawned (the watchdog's handshake can take a while on a
    // busy machine, and the target may already be running): 'abort' has fired and will not again.
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await waitHealthy();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  async function waitHealthy(): Promise<RunningTarget> {
  const deadline = t0 + opts.startTimeoutMs;
  const exitedError = async (exit: ExitInfo): Promise<never> => {
    const after = formatElapsed(Math.round(performance.now() - t0));
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
      try {
        target.listener = target.checkListener();
      } catch (e) {
        return fail(e);
      }
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
  supervised: Supervised;
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
  readonly watchdogPid: number;
  readonly port: number;
  readonly command: string;
  readonly logFile: string;
  readyMs = NaN;
  listener: ListenerCheck = { verified: false, note: 'not checked yet' };
  readonly exited: Promise<ExitInfo>;
  private readonly supervised: Supervised;
  private exit: ExitInfo | null = null;
  private stopping: Promise<StopResult> | null = null;
  private readonly listeners = new Set<(error: TargetError, exit: ExitInfo) => void>();
  /** Last resort when sloctl exits without stopping the target (an uncaught error, process.exit); the watchdog does the rest. */
  private readonly killOnExit = () => {
    signalGroup(this.pid, 'SIGKILL');
  };

  constructor(init: TargetInit) {
    this.supervised = init.supervised;
    this.url = init.url;
    this.healthUrl = init.healthUrl;
    this.pid = init.supervised.pid;
    this.watchdogPid = init.supervised.watchdogPid;
    this.port = init.port;
    this.command = init.command;
    this.logFile = init.logFile;
    this.exited = init.supervised.exited.then((exit) => {
      this.exit = exit;
      if (this.stopping === null) this.notify(exit);
      return exit;
    });
    process.on('exit', this.killOnExit);
  }

  /** The target's live processes (its group, and what carries its marker); undefined without /proc. */
  private processes(): ProcStat[] | undefined {
    return targetProcesses(this.pid, this.supervised.marker, [this.watchdogPid]);
  }

  /** Whether `pid` is one of the target's: in its group, a descendant of its shell, or carrying its marker. */
  private owns(pid: number, stats: ProcStat[]): boolean {
    let byPid = this.byPid.get(stats);
    if (!byPid) {
      byPid = new Map(stats.map((p) => [p.pid, p]));
      this.byPid = new WeakMap([[stats, byPid]]);
    }
    for (let q = byPid.get(pid), hops = 0; q !== undefined && hops < 64; q = byPid.get(q.ppid), hops++) {
      if (q.pgrp === this.pid || q.pid === this.pid) return true;
    }
    return pid !== this.watchdogPid && pid !== process.pid && carriesMarker(pid, this.supervised.marker);
  }
  private byPid = new WeakMap<ProcStat[], Map<number, ProcStat>>();

  checkListener(): ListenerCheck {
    const listeners = process.platform === 'linux' ? loopbackListeners(this.port) : undefined;
    const stats = listeners === undefined ? undefined : readProcStats();
    if (listeners === undefined || stats === undefined) {
      return { verified: false, note: `could not check that the socket on port ${this.port} belongs to the target (no /proc on this system): the health and load went to whoever listens there` };
    }
    if (listeners.length === 0) {
      return { verified: false, note: `could not check that the socket on port ${this.port} belongs to the target: no listening socket on it is visible (another network namespace, or a forwarder?)` };
    }
    const inodes = listeners.map((l) => l.inode);
    // The target's own processes first (cheap); every process only when some socket is not theirs.
    const own = stats.filter((p) => this.owns(p.pid, stats)).map((p) => p.pid);
    let holders = socketHolders(inodes, own);
    if (holders.size < inodes.length) holders = socketHolders(inodes);
    const pids = [...new Set([...holders.values()].flat())].sort((a, b) => a - b);
    const foreign = pids.filter((p) => !this.owns(p, stats));
    if (foreign.length > 0) {
      const who = foreign.map((p) => describeProcess(note(p))).join(', ');
      const tail = this.logTail(LOG_LINES);
      throw new TargetError(
        'foreign-listener',
        `the service answering on port ${this.port} is not the target sloctl started: the socket listening there belongs to ${who}, which is not part of \`${this.command}\` (process group ${this.pid}). ` +
          `Its health and its numbers would be another program's (a service left running, by an earlier gate that was killed or by hand?); the target itself probably could not bind the port (see its log).\n${logBlock(tail, this.logFile)}\n` +
          `Stop ${foreign.length === 1 ? 'it' : 'them'} (\`kill ${foreign.join(' ')}\`), or set another target.port. ` +
          'If the target hands its port to another program on purpose (docker-proxy for `docker run -p`), start it yourself and attach with --target URL.',
        { logTail: tail },
      );
    }
    const unseen = listeners.filter((l) => !holders.has(l.inode));
    if (pids.length === 0 || unseen.length > 0) {
      return { verified: false, note: `could not check that the socket on port ${this.port} belongs to the target: it is held by a process sloctl cannot look into (another user's, such as docker-proxy)` };
    }
    return { verified: true, pids };
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
    let killed: ProcessNote[] = [];
    // Who is there before the signal: the group, and the target's processes that left it.
    const snapshot = this.processes();
    const escapees = (snapshot ?? []).filter((p) => p.pgrp !== this.pid).map((p) => ({ stat: p, note: note(p.pid) }));
    /** The escapees still alive as the same processes (pids are reused). */
    const escapedAlive = () => escapees.filter((e) => {
      const now = readProcStat(e.stat.pid);
      return isLive(now) && now.startTicks === e.stat.startTicks;
    });
    const remaining = () => [...groupMembers(this.pid), ...escapedAlive().map((e) => e.stat.pid)];
    const signalAll = (signal: NodeJS.Signals) => {
      signalGroup(this.pid, signal);
      for (const e of escapedAlive()) {
        try {
          process.kill(e.stat.pid, signal);
        } catch {
          /* gone */
        }
      }
    };
    const waitGone = async (ms: number): Promise<boolean> => {
      const deadline = performance.now() + ms;
      for (;;) {
        if (remaining().length === 0) return true;
        if (performance.now() >= deadline) return false;
        await sleep(Math.min(25, Math.max(1, deadline - performance.now())));
      }
    };
    let killedEscapees = new Set<number>();
    if (remaining().length > 0) {
      signalAll('SIGTERM');
      if (!(await waitGone(graceMs))) {
        forced = true;
        const left = remaining();
        killed = left.map((pid) => note(pid));
        killedEscapees = new Set(escapedAlive().map((e) => e.stat.pid));
        signalAll('SIGKILL');
        await waitGone(2000);
      }
    }
    // The shell is the watchdog's child: its exit comes once the group is gone (a shell that was
    // SIGKILLed may still be waiting to be reaped for a moment).
    if (this.exit === null) await Promise.race([this.exited, sleep(2000)]);
    const stillEscaped = new Set(escapedAlive().map((e) => e.stat.pid));
    const escaped: EscapedProcess[] = escapees.map((e) => ({
      ...e.note,
      outcome: stillEscaped.has(e.stat.pid) ? 'left running' : killedEscapees.has(e.stat.pid) ? 'killed' : 'stopped',
    }));
    const leftovers = remaining();
    await this.supervised.release();
    process.removeListener('exit', this.killOnExit);
    return { exit: before === null ? this.exit : null, forced, graceMs, killed, escaped, leftovers };
  }

  logTail(n = LOG_LINES): string {
    return tailFile(this.logFile, n);
  }
}

/**
 * What a stop took, for the gate's output and journal: forced kills, processes that had left the
 * group, leftovers. Empty when SIGTERM ended everything.
 */
export function describeStop(r: StopResult, command: string): string[] {
  const out: string[] = [];
  const list = (ps: ProcessNote[]) => ps.map(describeProcess).join(', ');
  const grace = formatElapsed(r.graceMs);
  if (r.forced) {
    // Not "it ignores SIGTERM": a service that drains first is still running when the grace ends
    // (sloctl/sdk's sdk.serve(server, { signals: true }) announces DOWN for 10 s by default, so a
    // user's gate said so after every run of a service that drained correctly).
    out.push(`the target \`${command}\` did not stop within ${grace} of SIGTERM: sloctl killed ${r.killed.length === 1 ? 'it' : `${r.killed.length} processes`} with SIGKILL: ${list(r.killed)}. Either it ignores SIGTERM (then it loses its in-flight requests on every deploy), or it drains for longer than that (sloctl/sdk's \`sdk.serve(server, { signals: true })\` announces DOWN for 10 s by default: pass a shorter \`announceMs\` when sloctl starts it, as examples/checkout does with DRAIN_ANNOUNCE_MS)`);
  }
  const escaped = r.escaped.filter((e) => e.outcome !== 'left running');
  if (escaped.length > 0) {
    out.push(`${escaped.length === 1 ? 'a process' : `${escaped.length} processes`} of the target had left its process group (setsid) and would have outlived the gate: sloctl stopped ${list(escaped)}${escaped.some((e) => e.outcome === 'killed') ? ' (SIGKILL after the grace)' : ''}`);
  }
  const alive = r.leftovers.map((pid) => r.escaped.find((e) => e.pid === pid) ?? r.killed.find((k) => k.pid === pid) ?? note(pid));
  if (alive.length > 0) {
    out.push(`${alive.length === 1 ? 'a process' : `${alive.length} processes`} of the target ${alive.length === 1 ? 'is' : 'are'} still running after SIGKILL: ${list(alive)}; stop ${alive.length === 1 ? 'it' : 'them'} by hand`);
  }
  return out;
}

/**
 * The URL a gate or drill attaches to: `--target`, else the contract's `target.url` when it has no
 * `run` to start (`run` wins when it has both: the build under test is the one sloctl starts).
 */
export function attachUrl(flagTarget: string | undefined, target: { url?: string; run?: string } | undefined): string | undefined {
  return flagTarget ?? (target?.run === undefined ? target?.url : undefined);
}

/**
 * The longest a windowed check's verdict on earlier requests is waited out before attaching: the
 * SDK's default window is 30 s; a longer one is not waited for (said, with the window).
 */
const MAX_WINDOW_WAIT_MS = 65_000;
/** How often the health endpoint is asked while a window passes. */
const WINDOW_POLL_MS = 1000;

/**
 * The time after which a DEGRADED answer's failing checks have forgotten the requests they judged,
 * when every failing check is one of the SDK's ratio checks over its recent window (latency,
 * success: they carry `windowMs`): they judge the traffic of the last `windowMs` (another run's,
 * a hand-sent 500), not the service as it is, and pass once that traffic is out of the window.
 * Undefined when something else fails (a dependency, liveness, a degrade action).
 */
function windowedOnly(probe: HealthProbe): number | undefined {
  if (probe.state !== 'degraded') return undefined;
  const failing = probe.body?.failing ?? [];
  if (failing.length === 0 || !failing.every((f) => f.windowMs !== undefined)) return undefined;
  return Math.max(...failing.map((f) => f.windowMs!));
}

/**
 * `--target URL`: checks the URL (loopback unless allowRemote: a UsageError otherwise) and probes
 * its health. TargetError 'unreachable' when nothing answers, 'unhealthy' when the answer is not
 * UP. A DEGRADED that only the SDK's windowed ratio checks cause (the requests of the last
 * `windowMs`, e.g. the previous run's) is waited out, polling, for up to that window (at most
 * MAX_WINDOW_WAIT_MS), saying so through `log`: then the service is judged as it is now.
 */
export async function attachTarget(url: string, healthPath: string = DEFAULT_HEALTH_PATH, allowRemote = false, options: { timeoutMs?: number; log?: (message: string) => void; signal?: AbortSignal; from?: string } = {}): Promise<AttachedTarget> {
  let u: URL;
  try {
    u = checkTargetUrl(url, allowRemote, 'load', 'http://127.0.0.1:8080 (the service\'s base URL)');
  } catch (e) {
    // Where the URL came from (the flag, or the contract's target.url), so the fix is made there.
    throw new UsageError(`${options.from ?? '--target'}: ${(e as Error).message}`);
  }
  const base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  const healthUrl = endpointUrl(u, healthPath);
  let health = await probeHealth(healthUrl, options.timeoutMs ?? 5000);
  const windowMs = windowedOnly(health);
  if (windowMs !== undefined && windowMs <= MAX_WINDOW_WAIT_MS) {
    options.log?.(`the target says DEGRADED from its last ${formatDuration(windowMs)} of requests, before this run (${describeProbe(health)}); waiting up to ${formatDuration(windowMs + WINDOW_POLL_MS)} for that window to pass`);
    const until = performance.now() + windowMs + WINDOW_POLL_MS;
    while (health.state !== 'up' && windowedOnly(health) !== undefined && performance.now() < until && !options.signal?.aborted) {
      await sleep(WINDOW_POLL_MS);
      health = await probeHealth(healthUrl, options.timeoutMs ?? 5000);
    }
  }
  if (health.state === 'unreachable') {
    throw new TargetError('unreachable', `the target ${base} is not reachable: ${healthUrl} ${describeProbe(health)}; start the service first, or check --target and target.health`);
  }
  if (health.state !== 'up') {
    throw new TargetError('unhealthy', `the target ${base} is not healthy: ${healthUrl} ${describeProbe(health)}; the gate measures only a service that says UP (fix it, or check target.health is the right path)`);
  }
  return { url: base, healthUrl, health };
}
