// A load worker thread: runs its share of the schedule (see driver.ts) and reports to the main
// thread: a tick about once a second (totals and the latency histogram so far), then the result.

import { parentPort, workerData } from 'node:worker_threads';
import { runThread, type ThreadShare, type ThreadTuning } from './driver.ts';
import { buildSchedule } from './schedule.ts';
import type { HistogramJson, LoadOptions, LoadResult } from './types.ts';

export interface WorkerInput {
  /** LoadOptions without the callbacks and signal (they do not cross threads). */
  options: Omit<LoadOptions, 'onProgress' | 'onStart' | 'onSlice' | 'signal'>;
  /** Post each slice as it becomes final (the caller gave LoadOptions.onSlice). */
  liveSlices?: boolean;
  origin: string;
  share: ThreadShare;
  tuning?: ThreadTuning;
}

/** Main to worker: start at a shared instant (see DriverInput.startAt), or stop. */
export type WorkerCommand = { type: 'start'; startAt: number } | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'tick'; elapsedMs: number; sent: number; completed: number; errors: number; inFlight: number; latency: HistogramJson }
  /** Slices that became final, in order (JSON text, as for done). */
  | { type: 'slices'; json: string }
  /**
   * The result as JSON text (a LoadResult is plain JSON): a structured clone rebuilds every
   * {"200": n} of it with an elements array as long as the status code (KBs each, per slice with
   * LoadOptions.sliceMs), JSON.parse in the main thread does not.
   */
  | { type: 'done'; json: string }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort;
if (!port) throw new Error('src/load/worker.ts runs only as a worker thread (see workers.ts)');
const input = workerData as WorkerInput;
const stop = new AbortController();
let start: (startAt: number | undefined) => void = () => {};
const started = new Promise<number | undefined>((resolve) => (start = resolve));
port.on('message', (m: WorkerCommand) => {
  if (m?.type === 'stop') {
    stop.abort();
    start(undefined);
  } else if (m?.type === 'start') start(m.startAt);
});
const post = (m: WorkerMessage): void => port.postMessage(m);
post({ type: 'ready' });

try {
  const startAt = await started;
  const { result } = await runThread({
    startAt,
    options: input.options,
    origin: input.origin,
    schedule: buildSchedule(input.options.stages),
    share: input.share,
    tuning: input.tuning,
    signal: stop.signal,
    onSlices: input.liveSlices ? (slices) => post({ type: 'slices', json: JSON.stringify(slices) }) : undefined,
    onTick: (s) => post({ type: 'tick', elapsedMs: s.elapsedMs, sent: s.sent, completed: s.completed, errors: s.errors, inFlight: s.inFlight, latency: s.latency.toJSON() }),
  });
  post({ type: 'done', json: JSON.stringify(result) });
} catch (e) {
  const err = e as Error;
  post({ type: 'error', message: err?.message ?? String(e), stack: err?.stack });
}
port.close();
