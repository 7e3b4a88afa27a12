// Histogram bucket boundaries that make the contract's latency SLIs exact.
//
// "Share of requests under 200 ms" is exact only when 0.2 s is a bucket boundary; otherwise it is
// interpolated, and the interpolation error is largest exactly where the objective is judged. So
// every latency threshold the contract declares is a boundary: the latency objectives' thresholds
// and percentile ceilings, the routes' own thresholds, the drills' degraded thresholds and the
// drift responder's latency thresholds. Around each, half and twice the threshold give the
// quantile estimate resolution near it, and Prometheus' usual defaults cover the rest of the range.
// Candidates closer than MIN_GAP (relative) to a boundary already chosen are dropped, thresholds
// never are, and the top boundary is at least twice the largest threshold.
//
// Pure: all in milliseconds; the histogram exports seconds.
import type { Contract } from '../../contract/schema.ts';

/** Prometheus client defaults (5 ms .. 10 s), in ms. */
export const DEFAULT_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const MIN_GAP = 0.15;

/** Every latency threshold the contract declares, in ms, sorted, without repeats. */
export function latencyThresholds(c: Contract): number[] {
  const out: number[] = [];
  for (const o of c.objectives.latency ?? []) {
    out.push(o.threshold);
    for (const v of Object.values(o.percentiles ?? {})) if (typeof v === 'number') out.push(v);
  }
  for (const r of c.routes) if (r.latency !== undefined) out.push(r.latency);
  for (const d of c.objectives.resilience?.drills ?? []) if (d.degraded?.latency) out.push(d.degraded.latency.threshold);
  for (const s of c.objectives.drift?.signals ?? []) if (s.signal === 'latency') out.push(s.threshold);
  return [...new Set(out.filter((v) => Number.isFinite(v) && v > 0))].sort((a, b) => a - b);
}

/** Bucket upper bounds (ms, ascending) containing every threshold, plus defaults around them. */
export function chooseBuckets(thresholdsMs: readonly number[], defaults: readonly number[] = DEFAULT_BUCKETS_MS): number[] {
  const must = [...new Set(thresholdsMs.filter((v) => Number.isFinite(v) && v > 0))];
  const candidates = new Set<number>(defaults);
  for (const t of must) {
    candidates.add(t / 2);
    candidates.add(t * 2);
  }
  const kept = [...must];
  const far = (v: number) => kept.every((k) => Math.abs(v - k) / Math.max(v, k) >= MIN_GAP);
  for (const v of [...candidates].sort((a, b) => a - b)) if (v > 0 && far(v)) kept.push(v);
  const max = Math.max(0, ...must);
  if (max > 0 && Math.max(...kept) < 2 * max) kept.push(2 * max);
  return kept.sort((a, b) => a - b);
}

/** The buckets for a contract. */
export function bucketsFor(c: Contract): number[] {
  return chooseBuckets(latencyThresholds(c));
}
