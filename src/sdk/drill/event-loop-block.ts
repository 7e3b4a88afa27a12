// event-loop-block: the main thread does nothing else for `blockMs`, every `everyMs` (300 ms
// every 1 s: a pattern, as a hot synchronous path under load is, not one long stall). 'spin'
// burns CPU while blocked (a huge JSON.parse, a regular expression backtracking); 'sleep' blocks
// without CPU (Atomics.wait: a synchronous read of a slow disk).
import { performance } from 'node:perf_hooks';
import { FaultParamError, num, oneOf, onlyKnown, type FaultDefinition } from './fault.ts';
import type { EventLoopBlockParams } from './types.ts';

const KNOWN = ['blockMs', 'everyMs', 'mode'] as const;

export const eventLoopBlock: FaultDefinition<EventLoopBlockParams> = {
  name: 'event-loop-block',
  parse(raw) {
    onlyKnown('event-loop-block', raw, KNOWN);
    const blockMs = num('event-loop-block', raw, 'blockMs', 300, 1, 10_000);
    const everyMs = num('event-loop-block', raw, 'everyMs', Math.max(1000, blockMs * 2), 2, 60_000);
    if (everyMs <= blockMs) throw new FaultParamError(`event-loop-block: "everyMs" (${everyMs}) must be greater than "blockMs" (${blockMs}), or the loop never runs between blocks`);
    return { blockMs, everyMs, mode: oneOf('event-loop-block', raw, 'mode', 'spin', ['spin', 'sleep'] as const) };
  },
  start(p, ctx) {
    let blocks = 0;
    let blockedMs = 0;
    let stopped = false;
    const cell = p.mode === 'sleep' ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    const block = () => {
      const start = performance.now();
      if (stopped || start >= ctx.deadline) return;
      // Never past the fault's expiry.
      const until = Math.min(start + p.blockMs, ctx.deadline);
      if (cell !== undefined) {
        Atomics.wait(cell, 0, 0, until - start);
      } else {
        while (performance.now() < until) { /* the block */ }
      }
      blocks++;
      blockedMs += performance.now() - start;
    };
    // The first block after the answer to the request that applied it has gone out.
    const first = setTimeout(block, 0);
    first.unref();
    const every = setInterval(block, p.everyMs);
    every.unref();
    return {
      stop() {
        stopped = true;
        clearTimeout(first);
        clearInterval(every);
      },
      counters: () => ({ blocks, blockedMs: Math.round(blockedMs) }),
    };
  },
};
