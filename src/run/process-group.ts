// The target's process group: `npm run x` is npm, a shell and node; stopping only the first leaves
// the service running. The target is spawned detached (its own session and group, whose id is the
// shell's pid), so a signal to -pgid reaches the whole tree.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { isLive, readProcStats, type ProcStat } from './proc-stat.ts';

/**
 * Live members of process group `pgid`. On Linux from /proc, leaving out zombies: an orphaned child
 * whose parent never reaps it (PID 1 in many containers) is dead but still listed. Elsewhere a
 * signal-0 probe says only whether any member exists, reported as [pgid].
 */
export function groupMembers(pgid: number): number[] {
  const stats = process.platform === 'linux' ? readProcStats() : undefined;
  if (stats) return stats.filter((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X').map((p) => p.pid);
  return groupExists(pgid) ? [pgid] : [];
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves true once the group has no live member, false at the deadline. Polls: there is no
 * event for "the last grandchild exited" (they are not our children).
 */
export async function waitGroupGone(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - performance.now()))));
  }
}

/**
 * A port that was free a moment ago on 127.0.0.1. Another process may take it before the target
 * binds it; the target then exits (EADDRINUSE) and the gate reports that with the log.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether `/proc/<pid>/environ` holds `marker` (`NAME=value`); false when unreadable. */
export function carriesMarker(pid: number, marker: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false;
  }
  return `\0${environ}`.includes(`\0${marker}\0`);
}

/**
 * The live processes of a started target: its process group, and every process (not in `exclude`)
 * whose environment carries the run's marker, which is how a child that left the group with
 * setsid (and was perhaps re-parented to init) is still found. Undefined without /proc.
 */
export function targetProcesses(pgid: number, marker: string, exclude: number[] = []): ProcStat[] | undefined {
  const stats = process.platform === 'linux' ? readProcStats() : undefined;
  if (!stats) return undefined;
  const skip = new Set([process.pid, ...exclude]);
  return stats.filter((p) => isLive(p) && !skip.has(p.pid) && (p.pgrp === pgid || carriesMarker(p.pid, marker)));
}
