// Measuring the machine around a trial (os.cpus(), process.cpuUsage(), /proc); the judgment of
// what the numbers mean is src/verdicts/machine.ts.
import os from 'node:os';
import { machineBetween, type CpuSample, type MachineProbe } from '../verdicts/machine.ts';
import { readProcStats } from './proc-stat.ts';

export function sampleCpu(): CpuSample {
  const cpus = os.cpus();
  const self = process.cpuUsage();
  return { atMs: performance.now(), idleMs: cpus.reduce((sum, c) => sum + c.times.idle, 0), cores: cpus.length, selfCpuMs: (self.user + self.system) / 1000 };
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

/** The real probe: os.cpus() idle time and this process's CPU, around the trial. */
export const systemMachineProbe: MachineProbe = {
  begin(target0) {
    const cpu0 = sampleCpu();
    return (target1) => {
      const cpu1 = sampleCpu();
      return target0 !== undefined && target1 !== undefined ? machineBetween(cpu0, cpu1, target1 - target0) : undefined;
    };
  },
};

