// Numbers as the gate's reasons and tables show them, by unit. One place, so a verdict's reason
// and the table beside it never disagree on rounding.
import { formatBytes, formatMillis } from '../contract/units.ts';
import { pct, successPct } from '../evaluate/report.ts';
// The bucket helpers live beside the status report's, which prints percentiles the same way.
export { formatBound, lowestBucketBound } from '../evaluate/report.ts';
import type { ObjectiveVerdict, Unit } from './types.ts';

/** units.ts formatMillis: 0.2134 -> "0.213 ms", 21.37 -> "21.4 ms", 1234.5 -> "1,235 ms". */
export function formatLatency(ms: number): string {
  return formatMillis(ms);
}

/** A value in its unit; `signed` adds "+" to positive values (margins, changes). */
export function formatValue(v: number, unit: Unit, signed = false): string {
  if (!Number.isFinite(v)) return 'n/a';
  const sign = signed && v > 0 ? '+' : '';
  switch (unit) {
    case 'ratio':
      return `${sign}${pct(v, 3)}`;
    case 'points':
      return `${sign}${+(v * 100).toPrecision(3)} pt`;
    case 'ms':
      return `${sign}${formatLatency(v)}`;
    case 'rate':
      return `${sign}${v.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s`;
    case 'bytes':
      // Whole bytes below a KiB (a per-request heap growth of 357.557 B is noise below a byte's
      // resolution), three significant digits above: 43.4 MiB.
      return v < 0 ? `-${formatBytes(-v)}` : `${sign}${formatBytes(v)}`;
    case 'count':
      return `${sign}${v.toLocaleString('en-US', { maximumFractionDigits: 1 })}`;
  }
}

/** A weighted success ratio (the errors objective's): below 0 it shows "0% (weighted errors 1.12× the requests)" (evaluate/report.ts successPct). */
export function formatSuccess(v: number): string {
  return successPct(v, 3);
}

/** A verdict's value (client, service, measured) as people read it: the errors objective's weighted success through formatSuccess, the rest through formatValue. */
export function formatVerdictValue(v: Pick<ObjectiveVerdict, 'contract' | 'unit'>, x: number): string {
  return v.contract === 'errors' && v.unit === 'ratio' ? formatSuccess(x) : formatValue(x, v.unit);
}

