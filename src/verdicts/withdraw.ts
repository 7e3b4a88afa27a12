// Taking back failures the run cannot support: a starved machine (machine.ts) and a lagging load
// generator (generator-lag.ts) each decide WHICH failures they explain; this does the taking back
// the same way for both: a failed objective becomes a warning whose reason starts with the note,
// a failed baseline comparison likewise (the comparison's overall verdict recomputed), and each is
// listed ("latency api p95 failed (254 ms > 200 ms)") for the outcome's reason. Pure.
import { overallVerdict } from './compare.ts';
import { formatValue, formatVerdictValue } from './format.ts';
import type { BaselineComparison, MetricComparison, ObjectiveVerdict } from './types.ts';

/** An objective verdict's identity across two judgements of the same run (its twin on another view: lag-proof, wire, starvation-proof). */
export function verdictKey(v: ObjectiveVerdict): string {
  return `${v.contract}\0${v.name}`;
}

/** "254 ms > 200 ms": the value beside the objective it missed. */
export function missed(v: ObjectiveVerdict): string {
  return `${formatVerdictValue(v, v.measured)} ${v.direction === 'lower-is-better' ? '>' : '<'} ${formatValue(v.objective, v.unit)}`;
}

/** A view that was measured: present and a number (NaN marks one that could not be). */
export function measuredValue(x: number | undefined): x is number {
  return x !== undefined && Number.isFinite(x);
}

/** Whether a value fails the verdict's objective, in its direction. */
export function failsObjective(v: ObjectiveVerdict, x: number): boolean {
  return v.direction === 'higher-is-better' ? x < v.objective : x > v.objective;
}

/** The service's own metrics fail the objective: whatever the client's side did, the failure is the service's. */
export function serviceFails(v: ObjectiveVerdict): boolean {
  return measuredValue(v.service) && failsObjective(v, v.service);
}

export interface Withdrawal {
  /** Starts the reason of everything taken back. */
  note: string;
  /** Whether this failed objective is explained (only failures are asked). */
  objective: (v: ObjectiveVerdict) => boolean;
  /** Whether this failed baseline comparison is explained (only failures are asked). */
  comparison: (c: MetricComparison) => boolean;
}

export function withdrawFailures(w: Withdrawal, verdicts: ObjectiveVerdict[], baseline?: BaselineComparison): string[] {
  const withdrawn: string[] = [];
  for (const v of verdicts) {
    if (v.verdict !== 'fail' || !w.objective(v)) continue;
    withdrawn.push(`${v.contract} ${v.name} failed (${missed(v)})`);
    v.verdict = 'warn';
    v.reason = `${w.note} ${v.reason}`;
  }
  if (baseline) {
    let changed = false;
    for (const c of baseline.comparisons) {
      if (c.verdict !== 'fail' || !w.comparison(c)) continue;
      withdrawn.push(`regression ${c.metric} failed (${formatValue(c.currentMedian, c.unit)} against the baseline's ${formatValue(c.baselineMedian, c.unit)})`);
      c.verdict = 'warn';
      c.reason = `${w.note} ${c.reason}`;
      changed = true;
    }
    if (changed) baseline.verdict = overallVerdict(baseline.comparisons);
  }
  return withdrawn;
}
