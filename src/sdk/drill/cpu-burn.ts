// cpu-burn: `cores` of CPU burnt on worker threads (a noisy neighbour in the process: a
// compression or crypto job gone wild), leaving the event loop free, so the drill isolates CPU
// starvation from event-loop blocking (which event-loop-block covers). Each worker runs a duty
// cycle: busy `share x periodMs`, then waits (Atomics.wait, no CPU) for the rest; above one core,
// ceil(cores) workers share the load. process.cpuUsage() and process_cpu_seconds_total count
// worker threads, so the burn shows in the service's own metrics.
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
const { workerData } = require('node:worker_threads');
const { share, periodMs, remainingMs, stop } = workerData;
const flag = new Int32Array(stop);
const end = performance.now() + remainingMs;
while (Atomics.load(flag, 0) === 0) {
  const t0 = performance.now();
  if (t0 >= end) break;
  const busyUntil = t0 + share * periodMs;
  while (performance.now() < busyUntil) { /* burn */ }
  const idle = t0 + periodMs - performance.now();
  if (idle > 0) Atomics.wait(flag, 0, 0, idle);
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
    const stop = new SharedArrayBuffer(4);
    const flag = new Int32Array(stop);
    const remainingMs = Math.max(0, ctx.deadline - performance.now());
    const workers: Worker[] = [];
    let errors = 0;
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER, { eval: true, workerData: { share: p.cores / n, periodMs: p.periodMs, remainingMs, stop } });
      w.on('error', () => errors++);
      w.unref();
      workers.push(w);
    }
    return {
      stop() {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        for (const w of workers) void w.terminate();
      },
      counters: () => ({ workers: workers.length, workerErrors: errors }),
    };
  },
};
