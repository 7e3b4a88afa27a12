// Settles the shape of Node's process.nextTick queue entries once, at start, so that V8 does not
// change it under load.
//
// Node builds each entry as `{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger,
// callback, args }` (lib/internal/process/task_queues.js). The ids come from a Float64Array: the
// same id arrives as a small integer from optimized code and as a boxed double from the
// interpreter, so the first entries decide a field representation (small integer) that a later
// entry breaks. V8 then replaces the shape, and the feedback of the literal's stores, already
// recorded for the old one, turns megamorphic for good: every optimized stream function with
// nextTick inlined (endReadable, onwrite, emitReadable...) then builds its entries through V8's
// runtime instead of inline stores. Measured on a Fastify hello-world with sloctl's plugin (or
// fastify-metrics: any metrics plugin reaches it, a bare app does not), bench/RESULTS.md
// 2026-12-05: in a process that had loaded node:tls, 8-12% more CPU a request; an instrumented
// process then costs what one without tls does.
//
// The fix is to give V8 the general shape first: two objects of the entry's exact shape, one
// with non-number ids, so the id fields are generic (tagged) before any feedback is recorded
// and never change again. They are kept (module scope) so the shape they hold stays alive. The
// symbols are Node's own, read off an AsyncResource, which carries the same two. If a Node
// version builds its entries differently, this makes two small objects and changes nothing.
import { AsyncResource } from 'node:async_hooks';

let settled: readonly object[] | undefined;

/** Once per process; before the service handles requests (instrument() calls it). */
export function settleTickShape(): void {
  if (settled !== undefined) return;
  settled = [];
  let syms: symbol[];
  try {
    syms = Object.getOwnPropertySymbols(new AsyncResource('sloctl'));
  } catch {
    return;
  }
  const asyncId = syms.find((s) => s.description === 'async_id_symbol');
  const triggerId = syms.find((s) => s.description === 'trigger_async_id_symbol');
  if (asyncId === undefined || triggerId === undefined) return;
  // The same literal, property for property, as Node's queue entry: the same shape.
  const entry = (id: unknown, trigger: unknown, callback: () => void, args: unknown[] | undefined) => ({
    [asyncId]: id,
    [triggerId]: trigger,
    callback,
    args,
  });
  settled = [entry('', '', () => {}, undefined), entry(1.5, 1, function settle() {}, [0])];
}
