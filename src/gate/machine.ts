// How busy the rest of the machine was while a trial ran. Measured on this repository's 2-core
// machine (bench/baseline-noise.ts), an unchanged server's p95 moved by -25% to +105% between runs
// as other processes came and went, while its trials within one run agreed to a few percent: no
// statistics on the trials can tell that from a regression. So each trial records the CPU that
// everything but the target and the generator used, and the comparison refuses to judge latency
// when that changed too much since the baseline (src/gate/compare.ts).
//
// other CPU = (cores × wall time − idle time of all cores) − the generator's CPU − the target's CPU.
// Idle time comes from os.cpus() (so time stolen by a hypervisor and I/O wait count as "not
// available", which is what matters), the generator's from process.cpuUsage() (all its threads),
// the target's from the caller: /proc when the gate started it (processTreeCpuMs), or the delta of
// its process_cpu_seconds_total when attached. Without the target's CPU there is no measurement:
// a build that burns more CPU would otherwise look like a busier machine.
import os from 'node:os';
import { readProcStats } from './proc-stat.ts';
import type { TrialMachine } from './types.ts';

export interface CpuSample {
  /** performance.now() when taken. */
  atMs: number;
  /** Idle time summed over all cores, ms. */
  idleMs: number;
  cores: number;
  /** CPU used by this process (all threads), ms. */
  selfCpuMs: number;
}

export function sampleCpu(): CpuSample {
  const cpus = os.cpus();
  const self = process.cpuUsage();
  return { atMs: performance.now(), idleMs: cpus.reduce((sum, c) => sum + c.times.idle, 0), cores: cpus.length, selfCpuMs: (self.user + self.system) / 1000 };
}

/** The rest of the machine's CPU between two samples, given the target's CPU over the same interval (ms). */
export function machineBetween(before: CpuSample, after: CpuSample, targetCpuMs: number): TrialMachine | undefined {
  const wall = after.atMs - before.atMs;
  if (!(wall > 0) || before.cores !== after.cores || after.cores === 0 || !Number.isFinite(targetCpuMs)) return undefined;
  const busy = after.cores * wall - (after.idleMs - before.idleMs);
  const others = (busy - (after.selfCpuMs - before.selfCpuMs) - targetCpuMs) / wall;
  // Idle time is counted in clock ticks (10 ms), so small negative values are rounding, not a measurement.
  return { cores: after.cores, otherCpuCores: Math.min(after.cores, Math.max(0, others)) };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/**
 * CPU used so far by a process and all its descendants (a `run: npm start` target is npm, a shell
 * and node), ms, from /proc: user + system time of each, plus that of their children already
 * reaped. Undefined when /proc is not there (not Linux) or the process is gone.
 */
export function processTreeCpuMs(pid: number): number | undefined {
  const stats = readProcStats();
  if (!stats || !stats.some((p) => p.pid === pid)) return undefined;
  const parent = new Map(stats.map((p) => [p.pid, p.ppid]));
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p, hops = 0; q !== undefined && q > 0 && hops < 64; q = parent.get(q), hops++) if (q === pid) return true;
    return false;
  };
  let total = 0;
  for (const p of stats) if (inTree(p.pid)) total += p.cpuTicks;
  return (total * 1000) / USER_HZ;
}
