// The baseline file: the trials of the last accepted gate run, and the profile they were measured
// under, so the next run has something to compare with (src/verdicts/compare.ts). Plain JSON, one file
// per service. What it holds and how it is checked live here; reading and writing the file is
// src/run/baseline-file.ts.
import { z } from 'zod';
import type { PathSegment, Position } from '../contract/diagnostic.ts';
import { formatDuration, formatRate } from '../contract/units.ts';
import { UsageError } from '../errors.ts';
import { median } from './stats.ts';
import type { GateReport, TrialMetrics } from './types.ts';

export const BASELINE_VERSION = 1;

/** The load profile a run was measured under (the gate report's `profile`). */
export type BaselineProfile = GateReport['profile'];

/** Medians over the trials, for a reader of the file (the comparison uses the trials themselves). */
export interface BaselineSummary {
  p95Ms: number;
  errorRatio: number;
  memoryPerRequestBytes: number | null;
  throughput: number;
  requests: number;
}

export interface BaselineFile {
  version: 1;
  service: string;
  /** When the run was measured, ms since the epoch. */
  createdAt: number;
  /** `git rev-parse HEAD` of the build measured, when the caller could tell. */
  commit?: string;
  profile: BaselineProfile;
  trials: TrialMetrics[];
  summary: BaselineSummary;
}

// Every number is range-checked, not only typed: a baseline is a file anyone can edit, and a p95
// of -1e308 or an error ratio of 5 would otherwise be compared against ("-Infinity ms").
// (z.number() already refuses NaN and the infinities; JSON cannot hold them anyway.)
const nonNegative = (what: string) => z.number().min(0, { error: `${what} cannot be negative` });
const ms = nonNegative('a duration in ms').max(Number.MAX_SAFE_INTEGER, { error: 'a duration in ms this large is not a measurement' });
const latencyMs = nonNegative('a latency').max(Number.MAX_SAFE_INTEGER, { error: 'a latency this large is not a measurement' });
const ratio = z.number().min(0, { error: 'a ratio is between 0 and 1' }).max(1, { error: 'a ratio is between 0 and 1' });
// One route's weighted error ratio can pass 1 in a run that passed (a route of a small share whose
// every answer is a class of weight 2.5): bounded only as a plausible number.
const weightedRatio = nonNegative('an error ratio').max(Number.MAX_SAFE_INTEGER, { error: 'an error ratio this large is not a measurement' });
const count = (what: string) => z.number().int({ error: `${what} is a whole number` }).min(0, { error: `${what} cannot be negative` }).max(Number.MAX_SAFE_INTEGER, { error: `${what} is too large` });
const positiveCount = (what: string) => z.number().int({ error: `${what} is a whole number` }).min(1, { error: `${what} is at least 1` }).max(Number.MAX_SAFE_INTEGER, { error: `${what} is too large` });
const perSecond = nonNegative('a rate').max(Number.MAX_SAFE_INTEGER, { error: 'a rate this large is not a measurement' });
const timestamp = nonNegative('a time').max(Number.MAX_SAFE_INTEGER, { error: 'a time this large is not a date' });
// Heap growth per request can be negative (a collection during the trial); it only has to be a
// plausible number of bytes (a terabyte per request is not).
const bytesPerRequest = z.number().min(-(2 ** 40), { error: 'memory per request beyond ±1 TiB is not a measurement' }).max(2 ** 40, { error: 'memory per request beyond ±1 TiB is not a measurement' });

const latencySummary = z.object({
  count: count('a count'), min: latencyMs, mean: latencyMs, stdev: latencyMs, max: latencyMs,
  p50: latencyMs, p90: latencyMs, p95: latencyMs, p99: latencyMs, p999: latencyMs,
});
const trial = z.object({
  index: count('a trial index'),
  startedAt: timestamp,
  durationMs: ms,
  requests: count('a request count'),
  p95Ms: latencyMs,
  errorRatio: ratio,
  memoryPerRequestBytes: bytesPerRequest.nullable(),
  throughput: perSecond,
  latency: latencySummary,
  machine: z.object({ cores: positiveCount('a number of cores'), otherCpuCores: nonNegative('a number of busy cores') }).optional(),
  routes: z.array(z.object({ route: z.string().min(1, { error: 'a route is named' }), requests: count('a request count'), p95Ms: latencyMs, errorRatio: weightedRatio })).optional(),
});
const baselineSchema = z.object({
  version: z.literal(BASELINE_VERSION),
  service: z.string().min(1),
  createdAt: timestamp,
  commit: z.string().optional(),
  profile: z.object({
    rate: z.union([perSecond, z.literal('max')]),
    durationMs: ms,
    warmupMs: ms,
    connections: count('a number of connections'),
    trials: positiveCount('a number of trials'),
    workers: positiveCount('a number of workers'),
  }),
  trials: z.array(trial).min(1, { error: 'no trials' }),
  summary: z.object({
    p95Ms: latencyMs,
    errorRatio: ratio,
    memoryPerRequestBytes: bytesPerRequest.nullable(),
    throughput: perSecond,
    requests: count('a request count'),
  }),
});

const WHAT_TO_DO = 'delete it (the next run with --update-baseline records a new one once the gate passes)';

/** Medians of the trials' numbers; memory is null when no trial measured it. */
export function summarizeTrials(trials: readonly TrialMetrics[]): BaselineSummary {
  const memory = trials.map((t) => t.memoryPerRequestBytes).filter((v): v is number => v !== null);
  return {
    p95Ms: median(trials.map((t) => t.p95Ms)),
    errorRatio: median(trials.map((t) => t.errorRatio)),
    memoryPerRequestBytes: memory.length > 0 ? median(memory) : null,
    throughput: median(trials.map((t) => t.throughput)),
    requests: trials.reduce((sum, t) => sum + t.requests, 0),
  };
}

/** A baseline from an accepted run's trials. */
export function makeBaseline(run: { service: string; profile: BaselineProfile; trials: TrialMetrics[]; commit?: string; createdAt?: number }): BaselineFile {
  return {
    version: BASELINE_VERSION,
    service: run.service,
    createdAt: run.createdAt ?? Date.now(),
    ...(run.commit ? { commit: run.commit } : {}),
    profile: run.profile,
    trials: run.trials,
    summary: summarizeTrials(run.trials),
  };
}

/** `at trials[1].p95Ms: a latency cannot be negative, got -1e+308`: the field, what is wrong, the value. */
function issueText(error: z.ZodError, data: unknown): string {
  const issue = error.issues[0];
  const at = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  let value: unknown = data;
  for (const p of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  const got = issue.path.length === 0 ? '' : value === undefined ? ', got nothing' : `, got ${shortJson(value)}`;
  return `${at ? `at ${at}: ` : ''}${issue.message}${got}`;
}

function shortJson(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * The baseline in DATA (parsed JSON from SHOWN) for SERVICE. Data that cannot be used (another
 * version, another service, malformed) is a UsageError (exit 2) that names the file and says what
 * to do; LOCATE (a path in DATA to its line:col in the file) puts a malformed value's line:col
 * after the file. Reading the file is src/run/baseline-file.ts's job.
 */
export function parseBaseline(data: unknown, service: string, shown: string, locate?: (path: readonly PathSegment[]) => Position | undefined): BaselineFile {
  if (typeof data !== 'object' || data === null || !('version' in data)) {
    throw new UsageError(`${shown} is not a sloctl baseline (no "version" field): ${WHAT_TO_DO}`);
  }
  if ((data as { version: unknown }).version !== BASELINE_VERSION) {
    throw new UsageError(
      `baseline ${shown} has version ${JSON.stringify((data as { version: unknown }).version)}, this sloctl reads version ${BASELINE_VERSION}: ${WHAT_TO_DO}`,
    );
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) {
    // Where the value is in the file (the object a missing field belongs in), when the caller can tell.
    const at = locate?.(parsed.error.issues[0].path as PathSegment[]);
    throw new UsageError(`baseline ${shown}${at ? `:${at.line}:${at.col}` : ''}: malformed ${issueText(parsed.error, data)}: ${WHAT_TO_DO}`);
  }
  if (parsed.data.service !== service) {
    throw new UsageError(
      `baseline ${shown} is for service "${parsed.data.service}", this contract is for "${service}": point regression.baseline (or --baseline) at this service's file, or ${WHAT_TO_DO}`,
    );
  }
  return parsed.data as BaselineFile;
}

/** Why FILE would not read back (e.g. a NaN p95 would become null), or undefined when it would. */
export function unreadableBaseline(file: BaselineFile): string | undefined {
  const checked = baselineSchema.safeParse(file);
  return checked.success ? undefined : issueText(checked.error, file);
}

export const BASELINE_WHAT_TO_DO = WHAT_TO_DO;

function describeProfile(p: Pick<BaselineProfile, 'rate' | 'durationMs' | 'trials'>): string {
  const rate = p.rate === 'max' ? 'the maximum rate (closed model)' : formatRate(p.rate);
  return `${rate} for ${formatDuration(p.durationMs)} in ${p.trials} trial${p.trials === 1 ? '' : 's'}`;
}

/**
 * Why the baseline cannot judge this run: it was measured at another rate, phase length or number
 * of trials (latency depends on all three), or undefined when the profiles match. Warm-up,
 * connections and workers do not change what the service is asked to do, so they may differ.
 */
export function profileMismatch(baseline: Pick<BaselineFile, 'profile'>, profile: BaselineProfile): string | undefined {
  const b = baseline.profile;
  if (b.rate === profile.rate && b.durationMs === profile.durationMs && b.trials === profile.trials) return undefined;
  return `the baseline was measured at ${describeProfile(b)}, this run at ${describeProfile(profile)}; a baseline only judges runs of the same profile (run with --update-baseline to record one for this profile)`;
}
