// A contract parsed from YAML text for a test: the contract, or a failed assertion naming what
// the parser said (each test file had its own copy of this).
import assert from 'node:assert/strict';
import { parseContract } from '../../src/contract/load.ts';
import type { Contract } from '../../src/contract/schema.ts';

export function contractFrom(text: string, file = 'slo.yaml'): Contract {
  const loaded = parseContract(text, file);
  assert.ok(loaded.contract, loaded.diagnostics.map((d) => `${d.code}: ${d.message}`).join('; '));
  return loaded.contract;
}
