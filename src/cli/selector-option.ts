// The label matchers generate and status add to every selector they write: `--selector`, else the
// contract's `metrics.selector` (validated with the contract, located there), else none.
import { checkLabelMatchers } from '../contract/promql.ts';
import type { Contract } from '../contract/schema.ts';
import { UsageError } from './exit.ts';

/** A `--selector` value checked as a list of PromQL label matchers; a usage error says what is wrong. */
export function checkSelectorFlag(sel: string | undefined): void {
  if (sel === undefined) return;
  const r = checkLabelMatchers(sel);
  if (!r.ok) throw new UsageError(`--selector must be PromQL label matchers such as 'job="checkout"' (${r.problem.message}), got ${JSON.stringify(sel)}`);
}

/** The selector to use: the flag's, else the contract's; undefined for none. */
export function selectorFor(contract: Contract, flag: string | undefined): string | undefined {
  if (flag !== undefined && flag.trim() !== '') return flag.trim();
  return contract.metrics?.selector?.trim() || undefined;
}
