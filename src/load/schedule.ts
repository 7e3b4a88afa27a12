// The arrival schedule of the open model, as pure arithmetic: request i is due when the integral of
// the rate reaches i (so the first one leaves at 0). A constant stage is a line; a linear ramp from
// r0 to r1 over d is a parabola, N(t) = r0·t + (r1 − r0)·t²/(2d), inverted in closed form. Stages of
// rate 'max' make the closed model instead (no schedule: each connection sends when it is free).

import { LoadConfigError } from './errors.ts';
import type { LoadStage } from './types.ts';

export class ScheduleError extends LoadConfigError {
  override name = 'ScheduleError';
}

interface Segment {
  startMs: number;
  durationMs: number;
  /** Rates in requests per millisecond at the start and end of the stage. */
  r0: number;
  r1: number;
  /** Requests due before this stage starts (the integral up to startMs). */
  before: number;
  /** Requests due during the stage (the integral over it). */
  count: number;
}

export interface Schedule {
  model: 'open' | 'closed';
  /** Planned length of the run, ms. */
  durationMs: number;
  /** Requests the open model sends over the whole run (0 for the closed model). */
  total: number;
  /** Average requested rate over the run, per second (null for the closed model). */
  requestedRate: number | null;
  /** Intended send time of request i (0-based), ms from the start. Only for the open model. */
  timeOf(i: number): number;
  /** Requests due strictly before `tMs` (how many should have left by then). */
  dueBefore(tMs: number): number;
  /** Requested rate at `tMs`, per second (null for the closed model). */
  rateAt(tMs: number): number | null;
}

/** Validates the stages and builds the schedule; throws a ScheduleError saying which stage is wrong. */
export function buildSchedule(stages: readonly LoadStage[]): Schedule {
  if (!Array.isArray(stages) || stages.length === 0) throw new ScheduleError('load stages: at least one stage is needed (a rate and a duration)');
  stages.forEach((s, k) => {
    const where = `load stage ${k + 1}`;
    if (!(typeof s.durationMs === 'number' && Number.isFinite(s.durationMs) && s.durationMs > 0)) throw new ScheduleError(`${where}: duration must be a positive number of ms, got ${String(s.durationMs)}`);
    if (s.rate === 'max') {
      if (s.to !== undefined && s.to !== 'max') throw new ScheduleError(`${where}: rate 'max' cannot ramp (drop "to")`);
      return;
    }
    for (const [key, v] of [['rate', s.rate], ['to', s.to ?? s.rate]] as const) {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new ScheduleError(`${where}: ${key} must be a number of requests per second >= 0 or 'max', got ${String(v)}`);
    }
  });
  const durationMs = stages.reduce((a, s) => a + s.durationMs, 0);
  const maxStages = stages.filter((s) => s.rate === 'max').length;
  if (maxStages > 0) {
    if (maxStages !== stages.length) throw new ScheduleError("load stages: rate 'max' (the closed model) cannot be mixed with fixed-rate stages; run them separately");
    return {
      model: 'closed',
      durationMs,
      total: 0,
      requestedRate: null,
      timeOf: () => {
        throw new ScheduleError('the closed model has no send schedule');
      },
      dueBefore: () => 0,
      rateAt: () => null,
    };
  }

  const segments: Segment[] = [];
  let startMs = 0;
  let before = 0;
  for (const s of stages) {
    const r0 = (s.rate as number) / 1000;
    const r1 = (s.to ?? (s.rate as number)) / 1000;
    const count = ((r0 + r1) / 2) * s.durationMs;
    segments.push({ startMs, durationMs: s.durationMs, r0, r1, before, count });
    startMs += s.durationMs;
    before += count;
  }
  // Requests i = 0, 1, ... with N(t) = i for t < duration: the integers in [0, N(end)). The epsilon
  // keeps float error (500/s × 5 s = 2500.0000000001) from adding a request.
  const total = Math.max(0, Math.ceil(before - 1e-7));

  const segmentFor = (i: number): Segment => {
    // Few stages: a linear scan is faster than a search. A request exactly at a boundary belongs to the next stage.
    for (let k = segments.length - 1; k >= 0; k--) if (segments[k].before <= i && segments[k].count > 0) return segments[k];
    return segments[0];
  };

  return {
    model: 'open',
    durationMs,
    total,
    requestedRate: (total / durationMs) * 1000,
    timeOf(i: number): number {
      const seg = segmentFor(i);
      const n = i - seg.before;
      const a = (seg.r1 - seg.r0) / (2 * seg.durationMs);
      // Root of a·t² + r0·t − n = 0 in the form that is stable when a is 0 or r0 is 0.
      const disc = Math.max(0, seg.r0 * seg.r0 + 4 * a * n);
      const denom = seg.r0 + Math.sqrt(disc);
      const t = denom > 0 ? (2 * n) / denom : 0;
      return seg.startMs + Math.min(Math.max(t, 0), seg.durationMs);
    },
    dueBefore(tMs: number): number {
      if (tMs <= 0) return 0;
      if (tMs >= durationMs) return total;
      let seg = segments[0];
      for (const s of segments) if (s.startMs < tMs) seg = s;
      const t = tMs - seg.startMs;
      const n = seg.before + seg.r0 * t + ((seg.r1 - seg.r0) * t * t) / (2 * seg.durationMs);
      return Math.min(total, Math.ceil(n - 1e-7));
    },
    rateAt(tMs: number): number {
      let seg = segments[0];
      for (const s of segments) if (s.startMs <= tMs) seg = s;
      const t = Math.min(Math.max(tMs - seg.startMs, 0), seg.durationMs);
      return (seg.r0 + ((seg.r1 - seg.r0) * t) / seg.durationMs) * 1000;
    },
  };
}
