// Every process's /proc/<pid>/stat, for what the gate needs of the target's process tree: its live
// members (stopping it) and the CPU it used (the machine check). Linux only; undefined elsewhere.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Session id (a process that called setsid() leads a new one). */
  session: number;
  /** Start time since boot in clock ticks: with the pid, a process's identity (pids are reused). */
  startTicks: number;
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
    const p = readProcStat(Number(name));
    if (p) out.push(p); // else exited while we looked
  }
  return out;
}

/** One process's stat; undefined when it is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so split after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), startTicks: Number(f[19]), cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** Alive: listed and neither a zombie nor dead. */
export function isLive(p: ProcStat | undefined): p is ProcStat {
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** The command line of a process for a message ("node server.mjs"), at most 120 characters; undefined when unreadable. */
export function processCommand(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  text = text.replace(/\0+$/, '').replace(/\0/g, ' ').trim();
  if (text === '') {
    try {
      text = `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
    } catch {
      return undefined;
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
