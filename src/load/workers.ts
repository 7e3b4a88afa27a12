// `workers > 1`: the schedule spread over worker threads when one core cannot drive the rate. Worker
// w of W sends the requests w, w + W, w + 2W, ... of the global schedule from one shared start
// instant, so together they keep the exact arrival times (each at 1/W of the rate, staggered by one
// interval), each with its own connection pool of `connections`. Progress is summed from their ticks; results are merged
// concurrently (counts add, histograms merge exactly) and the generator judged on the whole.

import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Histogram } from '../measure/histogram.ts';
import { mergeResults } from './merge.ts';
import { ProgressMeter } from './progress-meter.ts';
import type { ThreadTuning } from './driver.ts';
import type { CheckedLoad } from './run.ts';
import { mergeSliceParts } from './slices.ts';
import type { LoadResult, LoadSlice } from './types.ts';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './worker.ts';

/** Time between the last worker being ready and the shared start, for the start message to arrive. */
const START_MARGIN_MS = 20;

// Built (dist/load/workers.js): the worker is plain JavaScript beside this file. From the sources
// (tsx, in development and tests): an entry that registers tsx in the thread first.
const ENTRY = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : new URL('./worker.js', import.meta.url);

export async function runWorkers(checked: CheckedLoad, tuning?: ThreadTuning): Promise<LoadResult> {
  const { options, workers: count } = checked;
  const { onProgress, onStart, onSlice, signal, ...plain } = options;
  const ticks: Array<Extract<WorkerMessage, { type: 'tick' }> | undefined> = new Array(count);
  const meter = new ProgressMeter(checked.schedule);
  const threads: Worker[] = [];
  let ready = 0;
  const send = (w: Worker, m: WorkerCommand): void => w.postMessage(m);
  // onStart runs here (functions do not cross threads), on a timer set for the shared instant.
  let startTimer: NodeJS.Timeout | undefined;
  let startFailed: { error: unknown } | undefined;
  // Every worker loads its modules (through tsx) at its own pace; they start together at one shared instant.
  const startAll = (): void => {
    const startAt = performance.timeOrigin + performance.now() + START_MARGIN_MS;
    for (const w of threads) send(w, { type: 'start', startAt });
    if (onStart) {
      startTimer = setTimeout(() => {
        try {
          onStart(Math.round(startAt));
        } catch (error) {
          // As in one thread, a callback that throws ends the run with its error.
          startFailed = { error };
          stopAll();
        }
      }, Math.max(0, startAt - performance.timeOrigin - performance.now()));
    }
  };

  // Workers tick once a second from the same start: report when every worker has sent its k-th
  // tick, so the sums (and the rate over the last second) are of one moment.
  const rounds = new Array<number>(count).fill(0);
  let reported = 0;
  const report = (): void => {
    if (!onProgress || Math.min(...rounds) <= reported) return;
    reported = Math.min(...rounds);
    const live = ticks as Array<Extract<WorkerMessage, { type: 'tick' }>>;
    const latency = new Histogram();
    for (const t of live) latency.merge(Histogram.fromJSON(t.latency));
    const add = (f: (t: (typeof live)[number]) => number): number => live.reduce((a, t) => a + f(t), 0);
    onProgress(
      meter.next({
        elapsedMs: Math.max(...live.map((t) => t.elapsedMs)),
        sent: add((t) => t.sent),
        completed: add((t) => t.completed),
        errors: add((t) => t.errors),
        inFlight: add((t) => t.inFlight),
        p95: latency.valueAtPercentile(95),
      }),
    );
  };

  // Live slices (onSlice): slice k is every worker's slice k added up, handed on once each worker
  // has finished its own (a worker that is done has nothing more in any later slice). Each
  // worker's slices arrive in order from 0; the ones handed on are forgotten.
  const pending = Array.from({ length: count }, () => new Map<number, LoadSlice>());
  const received = new Array<number>(count).fill(0);
  const finished = new Array<boolean>(count).fill(false);
  let nextSlice = 0;
  const passSlices = (): void => {
    if (!onSlice) return;
    for (;;) {
      const k = nextSlice;
      if (pending.some((p, w) => !p.has(k) && !finished[w])) return;
      const parts = pending.flatMap((p) => p.get(k) ?? []);
      if (parts.length === 0) return;
      for (const p of pending) p.delete(k);
      nextSlice++;
      onSlice(mergeSliceParts(parts, parts[0].startMs, []));
    }
  };

  const results = Array.from({ length: count }, (_, index) => {
    const input: WorkerInput = { options: plain, origin: checked.origin, share: { index, count }, tuning, liveSlices: onSlice !== undefined };
    // execArgv: [] so a parent's `--import tsx` is not loaded twice; the source entry registers tsx itself.
    const worker = new Worker(ENTRY, { workerData: input, execArgv: [] });
    threads.push(worker);
    return new Promise<LoadResult>((resolve, reject) => {
      let settled = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          if (++ready === count && !signal?.aborted) startAll();
        } else if (m.type === 'tick') {
          ticks[index] = m;
          rounds[index]++;
          report();
        } else if (m.type === 'slices') {
          for (const x of JSON.parse(m.json) as LoadSlice[]) pending[index].set(received[index]++, x);
          passSlices();
        } else if (m.type === 'done') {
          settled = true;
          finished[index] = true;
          passSlices();
          resolve(JSON.parse(m.json) as LoadResult);
        } else if (m.type === 'error') {
          settled = true;
          reject(Object.assign(new Error(`load worker ${index + 1}: ${m.message}`), { stack: m.stack }));
        }
      });
      worker.on('error', (e) => {
        if (!settled) reject(new Error(`load worker ${index + 1} failed: ${e.message}`, { cause: e }));
        settled = true;
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`load worker ${index + 1} exited (code ${code}) before reporting its result`));
        settled = true;
      });
    });
  });

  const stopAll = (): void => threads.forEach((w) => send(w, { type: 'stop' }));
  signal?.addEventListener('abort', stopAll, { once: true });
  if (signal?.aborted) stopAll();
  try {
    const all = await Promise.all(results);
    if (startFailed) throw startFailed.error;
    return mergeResults(all, { concurrent: true });
  } catch (e) {
    await Promise.all(threads.map((w) => w.terminate()));
    throw e;
  } finally {
    clearTimeout(startTimer);
    signal?.removeEventListener('abort', stopAll);
  }
}
