// The baseline file: the trials of the last accepted gate run, and the profile they were measured
// under, so the next run has something to compare with (src/gate/compare.ts). Plain JSON, one file
// per service, written atomically (a temporary file beside it, then a rename) so a run killed while
// writing leaves the previous baseline whole.
//
// The writer lives in src/cli/files.ts (`writeAtomically`): the gate is a command, and one atomic
// writer for every file sloctl writes is better than two.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { formatDuration, formatRate } from '../contract/units.ts';
import { UsageError } from '../cli/exit.ts';
import { writeAtomically } from '../cli/files.ts';
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

const finite = z.number();
const latencySummary = z.object({
  count: finite, min: finite, mean: finite, stdev: finite, max: finite,
  p50: finite, p90: finite, p95: finite, p99: finite, p999: finite,
});
const trial = z.object({
  index: z.number().int(),
  startedAt: finite,
  durationMs: finite,
  requests: finite,
  p95Ms: finite,
  errorRatio: finite,
  memoryPerRequestBytes: finite.nullable(),
  throughput: finite,
  latency: latencySummary,
  machine: z.object({ cores: z.number().int().min(1), otherCpuCores: finite }).optional(),
});
const baselineSchema = z.object({
  version: z.literal(BASELINE_VERSION),
  service: z.string().min(1),
  createdAt: finite,
  commit: z.string().optional(),
  profile: z.object({
    rate: z.union([finite, z.literal('max')]),
    durationMs: finite,
    warmupMs: finite,
    connections: finite,
    trials: z.number().int(),
    workers: finite,
  }),
  trials: z.array(trial).min(1, { error: 'no trials' }),
  summary: z.object({
    p95Ms: finite,
    errorRatio: finite,
    memoryPerRequestBytes: finite.nullable(),
    throughput: finite,
    requests: finite,
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

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  const at = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return `${at ? `at ${at}: ` : ''}${issue.message}`;
}

/**
 * The baseline at PATH for SERVICE; undefined when there is none yet. A file that is there but
 * cannot be used (unreadable, not JSON, another version, another service, malformed) is a
 * UsageError (exit 2) that names the file and says what to do.
 */
export function readBaseline(path: string, service: string, shown = path): BaselineFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read baseline ${shown}: ${code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`baseline ${shown} is not valid JSON (${(e as Error).message}): ${WHAT_TO_DO}`);
  }
  if (typeof data !== 'object' || data === null || !('version' in data)) {
    throw new UsageError(`${shown} is not a sloctl baseline (no "version" field): ${WHAT_TO_DO}`);
  }
  if ((data as { version: unknown }).version !== BASELINE_VERSION) {
    throw new UsageError(
      `baseline ${shown} has version ${JSON.stringify((data as { version: unknown }).version)}, this sloctl reads version ${BASELINE_VERSION}: ${WHAT_TO_DO}`,
    );
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`baseline ${shown} is malformed ${issueText(parsed.error)}: ${WHAT_TO_DO}`);
  if (parsed.data.service !== service) {
    throw new UsageError(
      `baseline ${shown} is for service "${parsed.data.service}", this contract is for "${service}": point regression.baseline (or --baseline) at this service's file, or ${WHAT_TO_DO}`,
    );
  }
  return parsed.data as BaselineFile;
}

/**
 * Writes the baseline atomically: a temporary file in the same directory, then a rename over PATH,
 * so a reader sees the old file or the new one, never half of one. Creates the directory
 * (.sloctl/ by default). Refuses a baseline it could not read back (e.g. a NaN p95 would become null).
 */
export function writeBaseline(path: string, file: BaselineFile, shown = path): void {
  const checked = baselineSchema.safeParse(file);
  if (!checked.success) throw new Error(`refusing to write baseline ${shown}: it would not read back, ${issueText(checked.error)}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the directory of baseline ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`, shown);
}

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
