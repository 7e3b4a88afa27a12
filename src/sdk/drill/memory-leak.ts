// memory-leak: the heap grows by `bytesPerSecond`, retained in an array the fault holds (as a
// cache nobody evicts would), until `maxBytes`; removal drops the array and the next GC takes
// it back. Allocated in 256 KiB arrays of small integers every 100 ms: on the V8 heap (counted in
// heapUsed, which nodejs_heap_size_used_bytes reports), 8 bytes an element (Node builds V8
// without pointer compression), measured at 1.00 x the bytes asked for.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { num, onlyKnown, RateAccumulator, type FaultDefinition } from './fault.ts';
import { LEAK_MAX_BYTES, type MemoryLeakParams } from './types.ts';

const KNOWN = ['bytesPerSecond', 'maxBytes'] as const;
const TICK_MS = 100;
/** Elements per array: 256 KiB, in large-object space (never copied by the scavenger), below V8's limit for a fast `new Array(n)`. */
const CHUNK_ELEMENTS = 32_768;
const ELEMENT_BYTES = 8;
const MiB = 1024 * 1024;

export const memoryLeak: FaultDefinition<MemoryLeakParams> = {
  name: 'memory-leak',
  parse(raw) {
    onlyKnown('memory-leak', raw, KNOWN);
    const limit = getHeapStatistics().heap_size_limit;
    const ceiling = Math.floor(limit * 0.8);
    return {
      bytesPerSecond: num('memory-leak', raw, 'bytesPerSecond', MiB, 1, LEAK_MAX_BYTES),
      maxBytes: num('memory-leak', raw, 'maxBytes', Math.min(LEAK_MAX_BYTES, Math.floor(limit / 2)), 1, ceiling),
    };
  },
  start(p) {
    let retained: number[][] = [];
    let heldBytes = 0;
    let carryElements = 0;
    const rate = new RateAccumulator(p.bytesPerSecond, performance.now());
    const grow = () => {
      carryElements += rate.due(performance.now()) / ELEMENT_BYTES;
      let n = Math.min(Math.floor(carryElements), Math.floor((p.maxBytes - heldBytes) / ELEMENT_BYTES));
      carryElements -= Math.floor(carryElements);
      while (n > 0) {
        const k = Math.min(n, CHUNK_ELEMENTS);
        retained.push(new Array<number>(k).fill(0));
        heldBytes += k * ELEMENT_BYTES;
        n -= k;
      }
    };
    const every = setInterval(grow, TICK_MS);
    every.unref();
    return {
      stop() {
        clearInterval(every);
        retained = [];
      },
      counters: () => ({ heldBytes, capped: heldBytes + ELEMENT_BYTES > p.maxBytes }),
    };
  },
};
