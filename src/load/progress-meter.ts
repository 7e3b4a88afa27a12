// Turns running totals into LoadProgress: the arrival rate over the last interval (not since the
// start, so a generator falling behind shows at once) next to the rate the schedule asks for now.

import type { Schedule } from './schedule.ts';
import type { LoadProgress } from './types.ts';

export interface ProgressTotals {
  elapsedMs: number;
  sent: number;
  completed: number;
  errors: number;
  inFlight: number;
  /** p95 of the corrected latency so far, ms. */
  p95: number;
}

export class ProgressMeter {
  private lastSent = 0;
  private lastMs = 0;
  constructor(private readonly schedule: Schedule) {}

  next(t: ProgressTotals): LoadProgress {
    const dt = t.elapsedMs - this.lastMs;
    const rate = dt > 0 ? ((t.sent - this.lastSent) / dt) * 1000 : 0;
    this.lastSent = t.sent;
    this.lastMs = t.elapsedMs;
    const requested = this.schedule.rateAt(Math.min(t.elapsedMs, this.schedule.durationMs));
    return {
      elapsedMs: Math.round(t.elapsedMs),
      totalMs: this.schedule.durationMs,
      sent: t.sent,
      completed: t.completed,
      errors: t.errors,
      rate: Math.round(rate * 10) / 10,
      requestedRate: requested === null ? null : Math.round(requested * 1000) / 1000,
      p95: t.p95,
      inFlight: t.inFlight,
    };
  }
}
