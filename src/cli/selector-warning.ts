// The warning `generate prometheus|grafana` and `status --prometheus` print without --selector:
// every service instrumented with sloctl's SDK exports the same metric names, so selectors without
// a job matcher sum every such service a Prometheus scrapes (and `absent()` never fires while any
// of them is scraped). The selector is the flag's, else the contract's metrics.selector.
import type { Contract } from '../contract/schema.ts';
import { defineSlos } from '../evaluate/definitions.ts';

/** The metrics the built-in SLOs read, in contract order ("a, b and c"); empty for custom SLIs only. */
function builtinMetrics(contract: Contract): string[] {
  const names: string[] = [];
  for (const d of defineSlos(contract)) {
    const src = d.source;
    if (src.kind === 'latency') names.push(src.bucketMetric.replace(/_bucket$/, ''));
    else if (src.kind === 'errors') names.push(src.metric);
    else if (src.kind === 'availability') names.push(src.gauge);
  }
  return [...new Set(names)];
}

function list(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
}

/**
 * One line (no prefix, no newline) for `what` ("the rules", "the dashboard's panels", "the raw
 * queries"), or undefined when a selector was given or the contract has no built-in SLO.
 * `flag: false` where --selector cannot be given (generate with several contracts refuses it).
 */
export function everyJobWarning(contract: Contract, selector: string | undefined, what: string, consequence: string, opts: { flag?: boolean } = {}): string | undefined {
  if (selector !== undefined && selector.trim() !== '') return undefined;
  const metrics = builtinMetrics(contract);
  if (metrics.length === 0) return undefined;
  const job = `job=${JSON.stringify(contract.service.name)}`;
  return `without a selector ${what} match ${list(metrics)} of every job this Prometheus scrapes (every service instrumented with sloctl's SDK exports these names): ${consequence}; set \`metrics: { selector: '${job}' }\` in the contract (the service's scrape job)${opts.flag === false ? '' : `, or pass --selector '${job}'`}`;
}
