// A request due while all of the generator's connections are busy waits in the generator for one
// (src/load/driver.ts). Its latency counts from its intended send time, so the wait is in it; that
// is right for a stalled target (the queue it causes is the point of the open model), but the same
// queue forms when the profile's rate is more than its few connections can carry at a healthy
// time on the wire (16 connections at 3 ms each carry ~5,000/s; asked for 1,000,000/s, every
// request waits seconds). From one run the two cannot be told apart: a target at its capacity, or
// a profile with too few connections for its rate (more would show which).
//
// So a latency, errors or availability failure measured through that wait is judged again on the
// time on the wire (wireView: each request from when it was written to its connection, the
// timeouts that never got a connection left out). When the wire meets the objective, the failure
// is the wait's alone: it is taken back (INCONCLUSIVE, "raise load.connections"). It stands when
// the wire fails too (a slow or stalled target: the found-by-CI case of 2026-12-06 was the other
// kind), and when the service's own metrics fail it.
//
// Pure: data in, verdicts out (no clock, no I/O).
import { serviceFails, verdictKey, withdrawFailures } from './withdraw.ts';
import type { ConnectionWaits, LoadResult, RouteResult } from '../measure/types.ts';
import type { ObjectiveVerdict } from './types.ts';

/** Starts the reason of every verdict this module withdrew. */
export const QUEUE_NOTE_PREFIX = 'not judged (requests waited for a free connection):';

/** What the wait for a connection can inflate: the client's latency, its timeouts, and the composite of both. */
const QUEUE_BOUND = new Set(['latency', 'errors', 'availability']);

function wireRoute(r: RouteResult): RouteResult {
  const q = r.queuedTimeouts ?? 0;
  const errors = { ...r.errors };
  if (q > 0) {
    const left = (errors.timeout ?? 0) - q;
    if (left > 0) errors.timeout = left;
    else delete errors.timeout;
  }
  const { queuedTimeouts: _, ...rest } = r;
  return { ...rest, sent: r.sent - q, errors, latency: r.serviceTime, histogram: r.serviceHistogram };
}

/**
 * The run as the target saw it: each request's latency from when it was written to its connection
 * (the client's service time), and the timeouts of requests that never got a connection left out.
 */
export function wireView(load: LoadResult): LoadResult {
  const q = load.routes.reduce((a, r) => a + (r.queuedTimeouts ?? 0), 0);
  return {
    ...load,
    sent: load.sent - q,
    errors: load.errors - q,
    timeouts: load.timeouts - q,
    latency: load.serviceTime,
    routes: load.routes.map(wireRoute),
  };
}

/** "1,500 requests waited more than 10 ms for one of the generator's 16 connections". */
export function waitsText(w: ConnectionWaits): string {
  return `${w.waited.toLocaleString('en-US')} request${w.waited === 1 ? '' : 's'} waited more than ${+w.waitMs.toPrecision(3)} ms for one of the generator's ${w.connections} connection${w.connections === 1 ? '' : 's'} (all busy)`;
}

/**
 * Takes back the failures the wait for a connection alone explains: a failed latency, errors or
 * availability objective whose twin judged on the wire (`wire`: the same objectives judged on
 * wireView) does not fail, and whose service view (if any) does not fail either. Each becomes a
 * warning whose reason starts with QUEUE_NOTE_PREFIX. Returns what was taken back, for the outcome.
 */
export function withdrawQueueFailures(waits: ConnectionWaits | undefined, verdicts: ObjectiveVerdict[], wire: readonly ObjectiveVerdict[]): string[] {
  if (!waits || waits.waited <= 0) return [];
  const twins = new Map(wire.map((v) => [verdictKey(v), v]));
  return withdrawFailures({
    note: `${QUEUE_NOTE_PREFIX} ${waitsText(waits)}, and the time on the wire meets this objective; the wait is counted in the latency, and it is either the target at its capacity or too few connections for the rate: raise load.connections (--connections) to tell them apart.`,
    objective: (v) => {
      if (!QUEUE_BOUND.has(v.contract)) return false;
      // The service's own metrics fail it: the target's failure, whatever the generator's queue.
      if (serviceFails(v)) return false;
      const twin = twins.get(verdictKey(v));
      return twin !== undefined && twin.verdict !== 'fail';
    },
    comparison: () => false,
  }, verdicts);
}

/** The outcome's reason when the wait for connections withdrew failures. */
/** What marks connectionQueueReason's sentence (sloctl accept repeats the gate's note: verdicts/accept.ts). */
export const QUEUE_REASON_MARK = 'only with that wait counted';

export function connectionQueueReason(waits: ConnectionWaits, withdrawn: readonly string[]): string {
  const one = withdrawn.length === 1;
  return `${waitsText(waits)}: ${withdrawn.join(', ')} ${QUEUE_REASON_MARK}, and the time on the wire meets ${one ? 'it' : 'them'}, so ${one ? 'it is' : 'they are'} not judged; raise load.connections (--connections) to see whether the target keeps up, or lower --rate`;
}
