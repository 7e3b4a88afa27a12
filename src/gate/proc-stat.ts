// Every process's /proc/<pid>/stat, for what the gate needs of the target's process tree: its live
// members (stopping it) and the CPU it used (the machine check). Linux only; undefined elsewhere.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, in clock ticks (USER_HZ). */
  cpuTicks: number;
}

/** All processes readable now; undefined when there is no /proc. */
export function readProcStats(): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const out: ProcStat[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
  }
  return out;
}
