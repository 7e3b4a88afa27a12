// sloctl's load generator: `runLoad(options)` checks what it was asked, then runs the schedule in
// this thread or spread over worker threads, and returns one LoadResult. See driver.ts for how a
// thread sends and times requests, self-check.ts for how a run judges itself.

import { checkTargetUrl, ScrapeError } from '../observe/scraper.ts';
import { LoadConfigError } from './errors.ts';
import { compileMix } from './mix.ts';
import { ProgressMeter } from './progress-meter.ts';
import { buildSchedule, type Schedule } from './schedule.ts';
import { MAX_SLICES, MIN_SLICE_MS } from './slices.ts';
import { runThread, type ThreadTuning } from './driver.ts';
import type { LoadOptions, LoadResult } from './types.ts';

/** Worker threads a run may use: one a core is what helps; past a few hundred only memory grows (the CLI's --workers shares the bound). */
export const MAX_WORKERS = 256;

export interface CheckedLoad {
  options: LoadOptions;
  /** scheme://host:port; request paths are absolute paths on it (resolved against the URL like a link: /x replaces the URL's own path). */
  origin: string;
  schedule: Schedule;
  workers: number;
}

/** Validates the options; throws a LoadConfigError saying what to fix (before any request leaves). */
export function checkLoadOptions(options: LoadOptions): CheckedLoad {
  if (options === null || typeof options !== 'object') throw new LoadConfigError('load options: expected an object');
  let url: URL;
  try {
    url = checkTargetUrl(options.url, options.allowRemote === true, 'send load to');
  } catch (e) {
    if (e instanceof ScrapeError) throw new LoadConfigError(e.message);
    throw e;
  }
  const positiveInt = (v: unknown, what: string, fix: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new LoadConfigError(`load options: ${what} must be a whole number >= 1, got ${String(v)} (${fix})`);
    return v;
  };
  positiveInt(options.connections, 'connections', 'e.g. --connections 64');
  const workers = positiveInt(options.workers ?? 1, 'workers', 'e.g. --workers 2');
  if (workers > MAX_WORKERS) throw new LoadConfigError(`load options: workers must be at most ${MAX_WORKERS}, got ${workers} (one thread a core is what helps; e.g. --workers 2)`);
  if (!(typeof options.timeoutMs === 'number' && Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new LoadConfigError(`load options: timeoutMs must be a positive number of ms, got ${String(options.timeoutMs)} (e.g. --timeout 10s)`);
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) throw new LoadConfigError(`load options: seed must be a number, got ${String(options.seed)}`);
  const schedule = buildSchedule(options.stages);
  if (options.sliceMs !== undefined) {
    const s = options.sliceMs;
    if (!(typeof s === 'number' && Number.isFinite(s) && s >= MIN_SLICE_MS)) {
      throw new LoadConfigError(`load options: sliceMs must be a number of ms >= ${MIN_SLICE_MS}, got ${String(s)} (e.g. 500 for half-second slices)`);
    }
    const n = Math.ceil(schedule.durationMs / s);
    if (n > MAX_SLICES) {
      throw new LoadConfigError(`load options: sliceMs ${s} cuts the ${schedule.durationMs} ms run into ${n} slices, more than ${MAX_SLICES}; use slices of at least ${Math.ceil(schedule.durationMs / MAX_SLICES)} ms`);
    }
  }
  if (options.onStart !== undefined && typeof options.onStart !== 'function') throw new LoadConfigError(`load options: onStart must be a function, got ${typeof options.onStart}`);
  if (options.onSlice !== undefined && typeof options.onSlice !== 'function') throw new LoadConfigError(`load options: onSlice must be a function, got ${typeof options.onSlice}`);
  if (options.onSlice !== undefined && options.sliceMs === undefined) throw new LoadConfigError('load options: onSlice needs sliceMs (the width of the slices it is called with, e.g. 500)');
  compileMix(options.requests, options.seed); // throws on a bad template, naming it
  return { options, origin: url.origin, schedule, workers };
}

/**
 * Runs a load test and returns what it measured. Rejects with a LoadConfigError on bad options;
 * a target that refuses or fails requests is not an error here: it shows in the result's counts.
 */
export async function runLoad(options: LoadOptions, tuning?: ThreadTuning): Promise<LoadResult> {
  const checked = checkLoadOptions(options);
  if (checked.workers > 1) {
    const { runWorkers } = await import('./workers.ts');
    return runWorkers(checked, tuning);
  }
  const meter = new ProgressMeter(checked.schedule);
  const { onProgress } = options;
  const { result } = await runThread({
    options,
    origin: checked.origin,
    schedule: checked.schedule,
    share: { index: 0, count: 1 },
    tuning,
    signal: options.signal,
    onStart: options.onStart,
    onSlices: options.onSlice ? (slices) => slices.forEach((x) => options.onSlice!(x)) : undefined,
    onTick: onProgress
      ? (s) => onProgress(meter.next({ elapsedMs: s.elapsedMs, sent: s.sent, completed: s.completed, errors: s.errors, inFlight: s.inFlight, p95: s.latency.valueAtPercentile(95) }))
      : undefined,
  });
  return result;
}
