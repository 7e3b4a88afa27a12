// sloctl's load generator: the public API (see types.ts for the shapes).
export type * from './types.ts';
export { runLoad, checkLoadOptions, type CheckedLoad } from './run.ts';
export { Histogram, type HistogramOptions } from '../measure/histogram.ts';
export { mergeResults, type MergeOptions } from './merge.ts';
export { compileMix, parseGenerator, MixError, type Mix, type PreparedRequest } from './mix.ts';
export { buildSchedule, ScheduleError, type Schedule } from './schedule.ts';
export { assessGenerator, lateThresholdMs, MIN_RATE_SHARE, MAX_LATE_SHARE, type GeneratorStats } from './self-check.ts';
export { LoadConfigError } from './errors.ts';
export { mergeSlices, mergeHistogramJson, MAX_SLICES, MIN_SLICE_MS } from './slices.ts';
