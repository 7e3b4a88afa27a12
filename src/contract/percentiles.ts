// The percentile ceilings a latency objective may declare (`percentiles: { p99: 250ms }`), and the
// share of requests each bounds: one table for the validator, the rules, the engine and the judges.

export const PERCENTILE_QUANTILE = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 } as const;

export type PercentileLabel = keyof typeof PERCENTILE_QUANTILE;

/** The quantile a percentile label stands for (`p999` → 0.999); NaN for a label that is not one. */
export function percentileQuantile(label: string): number {
  return Object.hasOwn(PERCENTILE_QUANTILE, label) ? PERCENTILE_QUANTILE[label as PercentileLabel] : NaN;
}
