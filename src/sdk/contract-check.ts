// The contract's text checked as `sloctl validate` checks it: the contract, or the located error
// message. Run on the contract thread (contract-thread-worker.ts) in the built package, and in the
// caller's thread from the sources (contract-thread.ts says why).
import { hasErrors } from '../contract/diagnostic.ts';
import { parseContract } from '../contract/load.ts';
import { renderDiagnostic } from '../contract/render.ts';
import type { Contract } from '../contract/schema.ts';

/** The contract, or the errors `sloctl validate` would print (each with its place and excerpt). */
export type ContractCheck = { ok: true; contract: Contract } | { ok: false; invalid: string };

export function checkContract(text: string, file: string): ContractCheck {
  const loaded = parseContract(text, file);
  if (loaded.contract !== undefined && !hasErrors(loaded.diagnostics)) return { ok: true, contract: loaded.contract };
  const sources = new Map([[file, text]]);
  const shown = loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(d, { sources }));
  return { ok: false, invalid: shown.join('\n') };
}
