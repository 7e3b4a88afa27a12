// sloctl's own Go middleware (go/sloctl in this repository, module github.com/sloctl/sloctl-go).
// Its series are registered inside the package, so the code check looks for the service switching
// it on, as ts-sdk.ts does for the Node SDK. The rule:
//
//   a file that imports github.com/sloctl/sloctl-go/sloctl and calls its `New(...)` (which
//   registers the series: the middleware then records them), or imports one of the router
//   adapters (.../sloctlgin, .../sloctlecho) and calls its `Middleware(...)`.
//
// Either registers every HTTP role's series (src/contract/metric-names.ts HTTP_ROLES, the names
// go/sloctl/names.go gives them). `New` also registers client_golang's Go and process collectors
// when it makes the registry itself: its options are a literal naming neither `Registry` nor
// `Registerer` and not `NoRuntimeCollectors: true` (go/sloctl/sdk.go).

import type { BulkSite } from './default-metrics.ts';
import { importedName } from './go-imports.ts';
import type { GoNode } from './go-parser.ts';
import { callArguments, positionOf, selectorParts, unparen } from './go-syntax.ts';

export const SLOCTL_GO_MODULE = 'github.com/sloctl/sloctl-go';

/** Each package's import path, and the call that switches the series on. */
const ENTRY_POINTS: ReadonlyMap<string, string> = new Map([
  [`${SLOCTL_GO_MODULE}/sloctl`, 'New'],
  [`${SLOCTL_GO_MODULE}/sloctlgin`, 'Middleware'],
  [`${SLOCTL_GO_MODULE}/sloctlecho`, 'Middleware'],
]);

export interface GoSdkSite extends BulkSite {
  /** `New` with options that leave the SDK to make its registry, with the runtime collectors. */
  runtimeCollectors: boolean;
}

/** The first call in the file that switches sloctl's Go middleware on, if any. */
export function detectGoSdk(file: string, root: GoNode): GoSdkSite | undefined {
  const imported = new Map<string, string>(); // local name -> import path
  for (const path of ENTRY_POINTS.keys()) {
    const name = importedName(root, path);
    if (name !== undefined) imported.set(name, path);
  }
  if (imported.size === 0) return undefined;
  for (const call of root.descendantsOfType('call_expression')) {
    if (!call) continue;
    const parts = selectorParts(call.childForFieldName('function'));
    const path = parts && imported.get(parts.operand);
    if (path === undefined || ENTRY_POINTS.get(path) !== parts!.field) continue;
    const isNew = parts!.field === 'New';
    return { file, ...positionOf(call), via: `${path} ${parts!.field}()`, runtimeCollectors: isNew && makesOwnRegistry(callArguments(call)[1]) };
  }
  return undefined;
}

function makesOwnRegistry(options: GoNode | undefined): boolean {
  if (!options) return false;
  const literal = unparen(options);
  if (literal.type !== 'composite_literal') return false;
  const text = literal.childForFieldName('body')?.text ?? '';
  return !/\bRegist(ry|erer)\s*:/.test(text) && !/\bNoRuntimeCollectors\s*:\s*true\b/.test(text);
}
