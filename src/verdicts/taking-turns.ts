// Which process answered a scrape of /metrics: the same one as before, a new one (a restart), or
// another one that was already there (processes taking turns answering one port: node:cluster
// workers, PM2's cluster mode). One reading per successful scrape, in order; `sloctl gate`'s
// service watch and `sloctl status` both ask it. Pure: no clock, no I/O.
//
// The signs, strongest first:
// - the SDK's sloctl_cluster_worker gauge (the worker's id) went back to an id read before, or
//   changed while the start time stayed: another worker;
// - process_start_time_seconds went back to one read before: a restart never brings an earlier
//   start back, so another process answered;
// - the request counter went down while the start time stayed: prom-client rounds the start time
//   to the second, so workers forked together share it, and a restarted process counts from 0
//   under a new start time.
// A changed start time never read before, or a counter that went down with no start time to tell,
// is a restart.
import { CLUSTER_WORKER } from '../contract/metric-names.ts';
import type { TakingTurns } from './memory.ts';

/** What one scrape said about the process that answered it. */
export interface ProcessReading {
  /** The process_start_time_seconds values the scrape carried (none: the service does not export it). */
  startTimes: readonly number[];
  /** The request counter summed over the series the scrape carried. */
  requests?: number;
  /** The SDK's sloctl_cluster_worker, when the scrape carried it. */
  worker?: number;
}

export type ProcessChange =
  | { kind: 'turn' }
  /** `newestStart`: the newest start time the scrape carried (s since the epoch), when it changed. */
  | { kind: 'restart'; evidence: string; newestStart?: number };

export const START_TIME = 'process_start_time_seconds';

/** The SDK's worker id gauge, when the scrape carried one number for it. */
function workerOf(values: readonly number[]): { worker?: number } {
  return values.length === 1 && Number.isFinite(values[0]) ? { worker: values[0]! } : {};
}

/**
 * What a scrape said about the process that answered it, from the values it carried of each
 * metric (`carried`: SeriesStore.valuesAt at the scrape) and the request counter's name.
 */
export function processReading(carried: (name: string) => number[], requestsName: string): ProcessReading {
  const requests = carried(requestsName);
  return { startTimes: carried(START_TIME), ...(requests.length > 0 ? { requests: requests.reduce((a, b) => a + b, 0) } : {}), ...workerOf(carried(CLUSTER_WORKER.name)) };
}

export class ProcessTurns {
  /** Processes took turns answering, from the first scrape that showed it. */
  turns: TakingTurns | undefined;
  /** The first cluster worker id read (the SDK's gauge): this /metrics is one worker's. */
  worker: number | undefined;
  private prev: { starts?: string; requests?: number; worker?: number } | undefined;
  private readonly startsSeen = new Set<string>();
  private readonly workersSeen = new Set<number>();

  /** `requests`: the request counter's name, for the evidence. */
  constructor(private readonly requests: string) {}

  /** The scrape at `offsetMs` (into the span watched): undefined when the same process answered. */
  observe(offsetMs: number, r: ProcessReading): ProcessChange | undefined {
    const starts = r.startTimes.length > 0 ? [...r.startTimes].sort((a, b) => a - b).join(',') : undefined;
    const prev = this.prev;
    this.prev = { starts, requests: r.requests, worker: r.worker };
    const startSeen = starts !== undefined && this.startsSeen.has(starts);
    if (starts !== undefined) this.startsSeen.add(starts);
    const workerSeen = r.worker !== undefined && this.workersSeen.has(r.worker);
    if (r.worker !== undefined) {
      this.worker ??= r.worker;
      this.workersSeen.add(r.worker);
    }
    if (prev === undefined) return undefined;
    const turn = (evidence: string): ProcessChange => {
      this.turns ??= { atLeast: 2, seenAtMs: offsetMs, evidence };
      this.turns.atLeast = Math.max(this.turns.atLeast, this.startsSeen.size, this.workersSeen.size);
      return { kind: 'turn' };
    };
    const startChanged = starts !== undefined && prev.starts !== undefined && starts !== prev.starts;
    if (r.worker !== undefined && prev.worker !== undefined && r.worker !== prev.worker && (workerSeen || !startChanged)) {
      return turn(`${CLUSTER_WORKER.name} went from ${prev.worker} to ${r.worker}${workerSeen ? ', a worker read before' : ''}`);
    }
    if (startChanged) {
      if (startSeen) return turn(`${START_TIME} went back from ${prev.starts} to ${starts}, an earlier scrape's`);
      return { kind: 'restart', evidence: `${START_TIME} changed`, newestStart: Math.max(...r.startTimes) };
    }
    if (r.requests !== undefined && prev.requests !== undefined && r.requests < prev.requests) {
      if (starts !== undefined && starts === prev.starts) return turn(`${this.requests} went down from ${prev.requests} to ${r.requests} while ${START_TIME} stayed ${starts}`);
      return { kind: 'restart', evidence: `${this.requests} went down from ${prev.requests} to ${r.requests}` };
    }
    return undefined;
  }
}
