// The library entry: the contract API (load, validate, types). Commands live in src/cli.
export { parseContract, pathText, type LoadedContract } from './contract/load.ts';
export { contractSchema, type Contract, type ContractInput } from './contract/schema.ts';
export { contractJsonSchema } from './contract/json-schema.ts';
export { CODES, hasErrors, type Diagnostic, type DiagnosticCode } from './contract/diagnostic.ts';
export { renderDiagnostic } from './contract/render.ts';
export { requiredMetrics } from './contract/required-metrics.ts';
export * from './contract/metric-names.ts';
export * from './contract/units.ts';
