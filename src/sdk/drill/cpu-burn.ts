// cpu-burn: `cores` of CPU burnt on worker threads (a noisy neighbour in the process: a
// compression or crypto job gone wild), leaving the event loop free, so the drill isolates CPU
// starvation from event-loop blocking (which event-loop-block covers). Above one core,
// ceil(cores) workers share the load. process.cpuUsage() and process_cpu_seconds_total count
// worker threads, so the burn shows in the service's own metrics.
//
// Each worker burns CPU time, not wall time: on Linux it reads its own thread's CPU time
// (/proc/thread-self/stat) and spins while it is behind `share x time since start`, waits
// (Atomics.wait, no CPU) while ahead; a debt of more than two periods (the machine was too busy to
// give it the CPU) is forgiven rather than paid back in a burst. Elsewhere it runs a wall-clock
// duty cycle (busy share x periodMs of every periodMs).
//
// The workers are unref'd (they never keep the process alive), stop themselves at the fault's
// expiry even if the main thread is too busy to tell them, and are terminated on removal.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { num, onlyKnown, type FaultDefinition } from './fault.ts';
import type { CpuBurnParams } from './types.ts';

const KNOWN = ['cores', 'periodMs'] as const;

// Plain JavaScript, evaluated: no file to resolve, the same under tsx and the built package.
const WORKER = `
const { readFileSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { share, periodMs, remainingMs, shared, index } = workerData;
const flag = new Int32Array(shared, 0, 1);
const used = new Float64Array(shared, 8);
const TICK_MS = 1000 / 100; // USER_HZ
function threadCpuMs() {
  try {
    const s = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch { return undefined; }
}
const end = performance.now() + remainingMs;
let t0 = performance.now();
const c0 = threadCpuMs();
const spin = (ms) => { const until = performance.now() + ms; while (performance.now() < until) { /* burn */ } };
while (Atomics.load(flag, 0) === 0) {
  const now = performance.now();
  if (now >= end) break;
  if (c0 === undefined) {
    spin(share * periodMs);
    const idle = now + periodMs - performance.now();
    if (idle > 0) Atomics.wait(flag, 0, 0, idle);
    used[index] = (performance.now() - t0) * share;
    continue;
  }
  const spent = threadCpuMs() - c0;
  used[index] = spent;
  let owed = share * (now - t0) - spent;
  if (owed > 2 * periodMs) { t0 += (owed - 2 * periodMs) / share; owed = 2 * periodMs; }
  if (owed > 0) spin(Math.min(owed, periodMs));
  else Atomics.wait(flag, 0, 0, Math.min(-owed / share, periodMs));
}
`;

export const cpuBurn: FaultDefinition<CpuBurnParams> = {
  name: 'cpu-burn',
  parse(raw) {
    onlyKnown('cpu-burn', raw, KNOWN);
    return {
      cores: num('cpu-burn', raw, 'cores', 0.5, 0, availableParallelism(), { exclusiveMin: true }),
      periodMs: num('cpu-burn', raw, 'periodMs', 100, 10, 1000),
    };
  },
  start(p, ctx) {
    const n = Math.ceil(p.cores - 1e-9);
    const shared = new SharedArrayBuffer(8 + 8 * n);
    const flag = new Int32Array(shared, 0, 1);
    const used = new Float64Array(shared, 8);
    const remainingMs = Math.max(0, ctx.deadline - performance.now());
    const workers: Worker[] = [];
    let errors = 0;
    let exited = 0;
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER, { eval: true, workerData: { share: p.cores / n, periodMs: p.periodMs, remainingMs, shared, index: i } });
      w.on('error', () => errors++);
      w.on('exit', () => exited++);
      w.unref();
      workers.push(w);
    }
    return {
      stop() {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        for (const w of workers) void w.terminate();
      },
      counters: () => ({ workers: n, exited, workerErrors: errors, cpuMs: Math.round(used.reduce((a, b) => a + b, 0)) }),
    };
  },
};
