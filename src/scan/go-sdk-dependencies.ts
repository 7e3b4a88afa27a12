// The dependencies a Go service names through sloctl's Go middleware: `sdk.Dependency("x")` and
// `sdk.MustDependency("x")`. The first returns an error and the second panics when the contract
// declares no such dependency (go/sloctl/sdk.go), so `validate --go-module-path` checks each name
// against the contract and `sloctl init` declares them, as ts-sdk-dependencies.ts does for Node.
// The rule tracks the SDK value, per package (the files of one directory that declare one package):
//
//   an SDK value is a name bound to the first result of `sloctl.New(...)` (`sdk, err :=
//   sloctl.New(...)`, `=`, `var`), or another SDK value (`s = sdk`), or declared with the type
//   `*sloctl.SDK` / `sloctl.SDK` (a variable, a parameter, a receiver), in a file that imports
//   github.com/sloctl/sloctl-go/sloctl (under any name but `_` and `.`); a struct field declared
//   with that type is one too, through any selector (`srv.sdk`);
//   a call `X.Dependency(name)` or `X.MustDependency(name)` in any file of the package whose
//   receiver X is such a name or field counts.
//   Names are matched by name across the package, not by scope: a package's `sdk` is one thing.
//   An SDK reached otherwise (a function's result, a map) is not followed.
//
// The name must be a string literal or a constant of one (go-constants.ts); anything else is a
// warning at the argument, never a guess. The same call with a readable name on any other receiver
// (an SDK returned by a function, in a package that may not import sloctl at all) is kept apart
// as unfollowed: it may be the SDK, so validate neither checks its name nor says a declared
// dependency it names is never named.

import { resolveGoString } from './go-constants.ts';
import { importedName } from './go-imports.ts';
import type { GoNode } from './go-parser.ts';
import type { GoPackageScope } from './go-scope.ts';
import { SLOCTL_GO_MODULE } from './go-sdk.ts';
import { callArguments, positionOf, selectorParts, significantChildren, unparen } from './go-syntax.ts';
import { excerpt } from './metric-name.ts';
import type { DependencyCall, ScanWarning, SdkDependency } from './types.ts';

const SLOCTL_PACKAGE = `${SLOCTL_GO_MODULE}/sloctl`;
const METHODS = new Set(['Dependency', 'MustDependency']);

/** A package's SDK values: names and struct fields, each with why it is one (for the finding's `via`). */
export interface GoSdkValues {
  names: Map<string, string>;
  fields: Map<string, string>;
}

export function emptySdkValues(): GoSdkValues {
  return { names: new Map(), fields: new Map() };
}

/** Adds the SDK values one file declares; a file that does not import the sloctl package declares none. */
export function collectGoSdkValues(root: GoNode, into: GoSdkValues): void {
  const pkg = importedName(root, SLOCTL_PACKAGE);
  if (pkg === undefined) return;
  const isNew = (node: GoNode | undefined) => {
    const call = node && unparen(node);
    const parts = call?.type === 'call_expression' ? selectorParts(call.childForFieldName('function')) : undefined;
    return parts?.operand === pkg && parts.field === 'New';
  };
  const isSdkType = (node: GoNode | null) => {
    const type = node?.type === 'pointer_type' ? significantChildren(node)[0] : node;
    return type?.type === 'qualified_type' && type.childForFieldName('package')?.text === pkg && type.childForFieldName('name')?.text === 'SDK';
  };
  const typed = `a *${pkg}.SDK`;
  const made = `the first result of ${pkg}.New()`;
  const assignments: Array<[GoNode[], GoNode[]]> = [];
  for (const node of root.descendantsOfType(['short_var_declaration', 'assignment_statement', 'var_spec', 'parameter_declaration', 'field_declaration'])) {
    if (!node) continue;
    if (node.type === 'field_declaration') {
      if (isSdkType(node.childForFieldName('type'))) for (const f of namesOf(node)) into.fields.set(f.text, `a struct field of type *${pkg}.SDK`);
      continue;
    }
    if (node.type === 'parameter_declaration' || node.type === 'var_spec') {
      if (isSdkType(node.childForFieldName('type'))) for (const n of namesOf(node)) into.names.set(n.text, typed);
    }
    if (node.type === 'parameter_declaration') continue;
    const left = node.type === 'var_spec' ? namesOf(node) : significantChildren(node.childForFieldName('left'));
    const right = significantChildren(node.childForFieldName(node.type === 'var_spec' ? 'value' : 'right'));
    if (right.length === 1 && isNew(right[0]) && left[0]?.type === 'identifier') into.names.set(left[0].text, made);
    else if (right.length === left.length) assignments.push([left, right]);
  }
  // Aliases (`s := sdk`), a few rounds deep.
  for (let round = 0, changed = true; changed && round < 8; round++) {
    changed = false;
    for (const [left, right] of assignments) {
      left.forEach((l, i) => {
        const r = unparen(right[i]);
        const why = r.type === 'identifier' ? into.names.get(r.text) : undefined;
        if (l.type === 'identifier' && why !== undefined && !into.names.has(l.text)) {
          into.names.set(l.text, why);
          changed = true;
        }
      });
    }
  }
}

/**
 * The `.Dependency(...)` / `.MustDependency(...)` calls of one file on the package's SDK values
 * (`out`), and those with a readable name on other receivers (`unfollowed`).
 */
export function detectGoSdkDependencies(file: string, root: GoNode, scope: GoPackageScope, values: GoSdkValues, out: SdkDependency[], warnings: ScanWarning[], unfollowed: DependencyCall[]): void {
  if (!root.text.includes('Dependency(')) return;
  for (const call of root.descendantsOfType('call_expression')) {
    const fn = call?.childForFieldName('function');
    if (!call || fn?.type !== 'selector_expression') continue;
    const method = fn.childForFieldName('field')?.text;
    const args = callArguments(call);
    if (method === undefined || !METHODS.has(method) || args.length !== 1) continue;
    const operand = fn.childForFieldName('operand');
    const field = operand?.type === 'selector_expression' ? operand.childForFieldName('field')?.text : undefined;
    const via = operand?.type === 'identifier' ? values.names.get(operand.text) : field !== undefined ? values.fields.get(field) : undefined;
    const at = { file, ...positionOf(args[0]) };
    const text = excerpt(call.text);
    const name = resolveGoString(args[0], scope);
    if (via === undefined) {
      if (name !== undefined) unfollowed.push({ name, ...at, call: text, method: method as SdkDependency['method'] });
      continue;
    }
    if (name === undefined) {
      warnings.push({ ...at, about: 'sdk-dependency', message: `\`${text}\`: the dependency's name is computed at run time, so sloctl cannot check that the contract declares it (the SDK refuses an undeclared name when the service starts); write it as a string literal or a constant` });
      continue;
    }
    out.push({ name, ...at, call: text, method: method as SdkDependency['method'], via });
  }
}


/** The names a declaration repeats (`a, b *T`): the grammar tags the commas too. */
function namesOf(node: GoNode): GoNode[] {
  return node.childrenForFieldName('name').filter((n): n is GoNode => n !== null && (n.type === 'identifier' || n.type === 'field_identifier'));
}
