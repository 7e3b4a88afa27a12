// The watchdog between sloctl and the target: the target dies with sloctl, whatever kills sloctl.
//
// The target runs detached (its own session and process group), so no signal sent to sloctl or its
// group reaches it, and Linux has no parent-death signal for a group one did not set up oneself.
// So sloctl does not spawn `sh -c <run>` itself: it spawns this small node process (its own
// session too, so killing sloctl's group does not take the watchdog with it), which spawns the
// target and holds the read end of a pipe whose only write end is sloctl's. When sloctl exits or
// is killed (SIGKILL included) the kernel closes that end; the watchdog reads EOF and stops the
// target: SIGTERM to its process group and to every process that carries the run's marker in its
// environment (children that left the group with setsid keep their environment), SIGKILL to what
// is left after the grace, a line in the target's log for each step, then it exits. When sloctl
// stops the target itself, it closes the pipe afterwards and the watchdog, finding nothing left,
// exits at once.
//
// Messages to sloctl, one JSON object a line on the watchdog's stdout:
//   {"pid": N}                         the shell started; N is its pid and the group id
//   {"error": "...", "code": "..."}    the shell could not be spawned (the watchdog exits 1)
//   {"exit": {"code": C, "signal": S}} the shell exited (the watchdog stays: the group may live on)
//
// The watchdog's code is a string run with `node -e`: it needs nothing but node, and survives
// compiling src/ to dist/ unchanged (no file to locate, no TypeScript at run time).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { signalGroup } from './process-group.ts';
import type { ExitInfo } from './target-error.ts';

/** The environment variable that marks every process of one started target (see findMarked). */
export const MARKER_VARIABLE = 'SLOCTL_TARGET_ID';

export const WATCHDOG_SOURCE = String.raw`'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const cfg = JSON.parse(process.argv[1]);
const env = Object.assign({}, process.env);
if (typeof cfg.nodeOptions === 'string') env.NODE_OPTIONS = cfg.nodeOptions;
else delete env.NODE_OPTIONS;
const say = (m) => { try { fs.writeSync(1, JSON.stringify(m) + '\n'); } catch (e) { /* sloctl is gone */ } };
const note = (t) => { try { fs.writeSync(3, '[sloctl watchdog] ' + t + '\n'); } catch (e) { /* no log */ } };
let pgid = 0;
let stopping = false;
function members() {
  let names;
  try { names = fs.readdirSync('/proc'); } catch (e) {
    try { process.kill(-pgid, 0); return [-pgid]; } catch (e2) { return e2.code === 'EPERM' ? [-pgid] : []; }
  }
  const out = [];
  for (const n of names) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    let stat;
    try { stat = fs.readFileSync('/proc/' + n + '/stat', 'latin1'); } catch (e) { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    if (Number(f[2]) === pgid) { out.push(Number(n)); continue; }
    let environ;
    try { environ = fs.readFileSync('/proc/' + n + '/environ', 'latin1'); } catch (e) { continue; }
    if (('\0' + environ).includes('\0' + cfg.marker + '\0')) out.push(Number(n));
  }
  return out;
}
function kill(pids, signal) {
  try { process.kill(-pgid, signal); } catch (e) { /* group gone */ }
  for (const p of pids) if (p > 0) { try { process.kill(p, signal); } catch (e) { /* gone */ } }
}
function shutdown(why) {
  if (stopping) return;
  stopping = true;
  const first = members();
  if (first.length === 0) process.exit(0);
  note(why + ': stopping the target (pids ' + first.join(' ') + ') with SIGTERM');
  kill(first, 'SIGTERM');
  const deadline = Date.now() + cfg.graceMs;
  const tick = () => {
    const left = members();
    if (left.length === 0) { note('the target is stopped'); process.exit(0); }
    if (Date.now() >= deadline) {
      note('still running ' + cfg.graceMs + ' ms after SIGTERM: SIGKILL to pids ' + left.join(' '));
      kill(left, 'SIGKILL');
      setTimeout(() => process.exit(0), 50);
      return;
    }
    setTimeout(tick, 50);
  };
  tick();
}
const child = spawn('sh', ['-c', cfg.command], { cwd: cfg.cwd, env, detached: true, stdio: ['ignore', 3, 3] });
child.once('error', (e) => { say({ error: e.message, code: e.code }); process.exit(1); });
child.once('exit', (code, signal) => say({ exit: { code, signal } }));
child.once('spawn', () => {
  pgid = child.pid;
  say({ pid: pgid });
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => shutdown('the watchdog got ' + s));
  process.stdin.on('data', () => {});
  process.stdin.once('end', () => shutdown('sloctl went away (exited or was killed)'));
  process.stdin.once('error', () => shutdown('sloctl went away (its pipe failed)'));
  process.stdin.once('close', () => shutdown('sloctl went away (its pipe closed)'));
});
`;

export interface SupervisedOptions {
  command: string;
  cwd: string;
  /** The target's whole environment (sloctl's, the contract's, PORT). */
  env: NodeJS.ProcessEnv;
  /** The target's log, open for appending: its stdout and stderr, and the watchdog's notes. */
  logFd: number;
  /** How long the watchdog waits after SIGTERM before SIGKILL, once sloctl is gone. */
  orphanGraceMs: number;
}

export interface Supervised {
  /** The shell's pid, which is also the target's process group id. */
  readonly pid: number;
  readonly watchdogPid: number;
  /** `SLOCTL_TARGET_ID=<random>`: in the environment of every process the target starts. */
  readonly marker: string;
  /** The shell's exit. If the watchdog itself dies first, the group is killed and this says how the watchdog ended. */
  readonly exited: Promise<ExitInfo>;
  /** Closes the pipe (the watchdog stops whatever is left and exits); resolves when it has exited (at most 2 s). */
  release(): Promise<void>;
}

interface Message {
  pid?: number;
  error?: string;
  code?: string;
  exit?: ExitInfo;
}

/** Spawns the watchdog, which spawns `sh -c command`; resolves once the shell runs. */
export async function spawnSupervised(o: SupervisedOptions): Promise<Supervised> {
  const marker = `${MARKER_VARIABLE}=${randomBytes(12).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...o.env, [MARKER_VARIABLE]: marker.slice(MARKER_VARIABLE.length + 1) };
  // The watchdog runs without the target's NODE_OPTIONS (a --require meant for the service must not
  // load into it); it hands them back to the shell.
  const nodeOptions = env.NODE_OPTIONS;
  delete env.NODE_OPTIONS;
  const config = JSON.stringify({ command: o.command, cwd: o.cwd, graceMs: o.orphanGraceMs, marker, nodeOptions: nodeOptions ?? null });
  const watchdog: ChildProcess = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, config], {
    cwd: o.cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', o.logFd, o.logFd],
  });
  // A write to a watchdog that is gone must not crash sloctl.
  watchdog.stdin!.on('error', () => {});
  // 'close', not 'exit': its last message (the shell's exit) is read by then.
  const watchdogExit = new Promise<ExitInfo>((resolve) => watchdog.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  let resolveExit!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => {
    resolveExit = r;
  });
  let shellPid: number | undefined;
  const started = new Promise<number>((resolve, reject) => {
    watchdog.once('error', (e) => reject(e));
    const lines = createInterface({ input: watchdog.stdout! });
    lines.on('line', (line) => {
      let m: Message;
      try {
        m = JSON.parse(line) as Message;
      } catch {
        return;
      }
      if (typeof m.pid === 'number') {
        shellPid = m.pid;
        resolve(m.pid);
      } else if (m.error !== undefined) {
        reject(Object.assign(new Error(m.error), { code: m.code }));
      } else if (m.exit) {
        resolveExit(m.exit);
      }
    });
    void watchdogExit.then((e) => {
      if (shellPid === undefined) reject(new Error(`the watchdog ${e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`} before the command started`));
      else {
        // The guard is gone (someone killed it): nothing would stop the group if sloctl died now.
        signalGroup(shellPid, 'SIGKILL');
        resolveExit({ code: null, signal: e.signal ?? 'SIGKILL' });
      }
    });
  });
  const pid = await started;
  let released: Promise<void> | undefined;
  return {
    pid,
    watchdogPid: watchdog.pid!,
    marker,
    exited,
    release() {
      released ??= (async () => {
        watchdog.stdin!.end();
        await Promise.race([watchdogExit, new Promise((r) => setTimeout(r, 2000).unref())]);
      })();
      return released;
    },
  };
}
