// Whether a Go service exposes client_golang's default registry, which carries the Go and
// process collectors from the start. Any of these is taken as evidence: serving
// `promhttp.Handler()`, naming `prometheus.DefaultRegisterer`/`DefaultGatherer`, calling
// `prometheus.MustRegister`/`Register` (which register on the default registry), or
// constructing a Go collector (`collectors.NewGoCollector()`, `prometheus.NewGoCollector()`).

import type { ClientGolangPackage, GoImports } from './go-imports.ts';
import type { GoNode } from './go-parser.ts';
import { selectorParts } from './go-syntax.ts';

export const DEFAULT_COLLECTORS_VIA = 'client_golang default collectors';

const CALLS: ReadonlyArray<readonly [ClientGolangPackage, string]> = [
  ['promhttp', 'Handler'],
  ['prometheus', 'MustRegister'],
  ['prometheus', 'Register'],
  ['prometheus', 'NewGoCollector'],
  ['collectors', 'NewGoCollector'],
];

const VALUES = new Set(['DefaultRegisterer', 'DefaultGatherer']);

/** Whether `node` (a call or a selector) is evidence of the default registry. */
export function usesDefaultRegistry(imports: GoImports, node: GoNode): boolean {
  if (node.type === 'call_expression') {
    const parts = selectorParts(node.childForFieldName('function'));
    const pkg = parts && imports.byName.get(parts.operand);
    return pkg !== undefined && CALLS.some(([p, name]) => p === pkg && name === parts!.field);
  }
  if (node.type === 'selector_expression') {
    const parts = selectorParts(node);
    return parts !== undefined && VALUES.has(parts.field) && imports.byName.get(parts.operand) === 'prometheus';
  }
  return false;
}
