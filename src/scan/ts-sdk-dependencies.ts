// The dependencies a Node service names through sloctl's SDK: `sdk.dependency('payments')`. The
// SDK throws a ContractError when the service starts if its contract declares no such dependency
// (src/sdk/instrument.ts), so `validate --project` checks each name against the contract and
// `sloctl init` declares them. The rule, kept simple so a report is never a guess:
//
//   a `.dependency(name)` call with one argument whose receiver is an SDK value, which is
//   - a call of `instrument(...)`, or `new Sdk(...)`, imported from 'sloctl/sdk' (a named or
//     namespace import, or require), written in place: `instrument(opts).dependency('x')`;
//   - a name, or `this.name` / `this.#name`, assigned one of these in the same file
//     (`const sdk = instrument(...)`, `this.sdk = instrument(...)`, a class field), or assigned
//     another SDK value (`const s = sdk`);
//   - a name, or a class field, declared with the SDK's type: `sdk: Sdk` with `Sdk` imported
//     from 'sloctl/sdk' (type-only imports too), as a parameter, a variable, a class field or a
//     constructor's parameter property (which is `this.sdk` as well);
//   - `X.sloctl` in a file importing 'sloctl/sdk/fastify' (the plugin decorates the Fastify
//     instance with the SDK under that name: `app.sloctl`, `request.server.sloctl`);
//   - a name imported from another file of the project that exports an SDK value under it
//     (`export const sdk = instrument(...)`, `export { sdk }`, `export default sdk`); re-exports
//     and CommonJS `module.exports` are not followed (typescript.ts joins the files).
//   Names are matched by name within the file, not by scope: a file's `sdk` is one thing.
//
// The name must be a string literal or a `const` of one (ts-strings.ts); anything else is a
// warning at the argument, never a guess. A `.dependency(name)` call with a readable name on any
// other receiver (a parameter without the `Sdk` type, in a file that may not import the SDK at
// all) is kept apart as unfollowed: it may be the SDK, so validate neither checks its name nor
// says a declared dependency it names is never named. A read of `.useFallback` on the call, or on a name
// assigned the call (`const rec = sdk.dependency('recommendations'); rec.useFallback`), is noted:
// the SDK turns it true only for a dependency the contract declares non-critical.

import type * as t from '@babel/types';
import { forEachNode, memberName, positionOf, propertyKeyName, unwrapExpression } from './ts-ast.ts';
import { isProjectModule } from './ts-modules.ts';
import { collectBindings, type Bindings } from './ts-bindings.ts';
import { sourceOf, type TsFileContext } from './ts-context.ts';
import { calledExport, isSdkModule } from './ts-sdk.ts';
import type { DependencyCall, SdkDependency, ScanWarning } from './types.ts';

const FASTIFY_ADAPTER = 'sloctl/sdk/fastify';

/** A `.dependency()` call whose receiver is a name another file may export as an SDK value. */
export interface ImportedReceiver {
  /** The module specifier as written, and the export the name is bound to (`default` for a default import). */
  source: string;
  imported: string;
  /** What the call names (or the warning, when the name is computed): kept only if the export is an SDK value. */
  found: Found;
}

type Found = { dependency: SdkDependency } | { warning: ScanWarning };

export interface FileSdkDependencies {
  file: string;
  dependencies: SdkDependency[];
  /** Calls on imported names, decided when the project's files are joined (linkSdkDependencies). */
  imported: ImportedReceiver[];
  /** The names this file exports an SDK value under (`default` for the default export). */
  exports: Set<string>;
  /** `.dependency(name)` calls with a readable name on a receiver not known to be the SDK. */
  unfollowed: DependencyCall[];
}

export function detectSdkDependencies(ctx: TsFileContext, program: t.Program): FileSdkDependencies | undefined {
  const sdk = collectBindings(ctx.facts, isSdkModule);
  const types = sdkTypeNames(ctx.facts.imports, sdk);
  // A file that neither uses the SDK nor calls `.dependency` on something imported from the project has nothing to find.
  const relative: Bindings = ctx.source.includes('dependency') ? collectBindings(ctx.facts, (s) => isProjectModule(s, ctx.local)) : new Map();
  if (sdk.size === 0 && types.names.size === 0 && types.namespaces.size === 0 && relative.size === 0) {
    const unfollowed = ctx.source.includes('dependency') ? ctx.facts.calls.map((c) => unfollowedCall(ctx, c)).filter((c) => c !== undefined) : [];
    return unfollowed.length > 0 ? { file: ctx.file, dependencies: [], imported: [], exports: new Set(), unfollowed } : undefined;
  }
  const fastify = [...sdk.values()].some((b) => b.source === FASTIFY_ADAPTER);

  // Why each name is an SDK value, for the finding's `via`.
  const values = new Map<string, string>();
  const assigned: Array<[string, t.Node]> = [];
  const fallbackReads: t.MemberExpression[] = [];
  const typed = (annotation: t.Node | null | undefined): boolean => annotation?.type === 'TSTypeAnnotation' && namesSdkType(annotation.typeAnnotation, types);
  forEachNode(program, (node) => {
    switch (node.type) {
      case 'Identifier':
        // Parameters and variables: `(sdk: Sdk) => ...`, `let sdk: Sdk`.
        if (typed(node.typeAnnotation)) values.set(node.name, 'a value typed Sdk (sloctl/sdk)');
        break;
      case 'VariableDeclarator':
        if (node.id.type === 'Identifier' && node.init) assigned.push([node.id.name, node.init]);
        break;
      case 'AssignmentExpression': {
        const key = node.operator === '=' ? keyOf(node.left) : undefined;
        if (key !== undefined) assigned.push([key, node.right]);
        break;
      }
      case 'ClassProperty':
      case 'ClassPrivateProperty': {
        const key = fieldKey(node);
        if (key === undefined) break;
        if (node.value) assigned.push([key, node.value]);
        if (typed(node.typeAnnotation)) values.set(key, 'a class field typed Sdk (sloctl/sdk)');
        break;
      }
      case 'TSParameterProperty': {
        const param = node.parameter.type === 'AssignmentPattern' ? node.parameter.left : node.parameter;
        if (param.type === 'Identifier' && typed(param.typeAnnotation)) values.set(`this.${param.name}`, 'a parameter property typed Sdk (sloctl/sdk)');
        break;
      }
      case 'MemberExpression':
        if (memberName(node) === 'useFallback') fallbackReads.push(node);
        break;
    }
  });

  /** Why `node` is an SDK value, or undefined when it is not one this rule knows. */
  const sdkValue = (node: t.Node): string | undefined => {
    const expr = unwrapExpression(node);
    if (expr.type === 'CallExpression' || expr.type === 'NewExpression') {
      const target = calledExport(expr.callee, sdk);
      const wanted = expr.type === 'CallExpression' ? 'instrument' : 'Sdk';
      if (target?.name === wanted) return expr.type === 'CallExpression' ? `instrument() from ${target.binding.source}` : `new Sdk() from ${target.binding.source}`;
      return undefined;
    }
    const key = keyOf(expr);
    if (key !== undefined && values.has(key)) return values.get(key);
    if (fastify && expr.type === 'MemberExpression' && memberName(expr) === 'sloctl') return `the SDK the Fastify plugin (${FASTIFY_ADAPTER}) decorates the instance with`;
    return undefined;
  };
  // Aliases of aliases: a few rounds reach any real chain.
  for (let round = 0, changed = true; changed && round < 8; round++) {
    changed = false;
    for (const [key, init] of assigned) {
      if (values.has(key)) continue;
      const why = sdkValue(init);
      if (why !== undefined) {
        values.set(key, why);
        changed = true;
      }
    }
  }

  const out: FileSdkDependencies = { file: ctx.file, dependencies: [], imported: [], exports: exportedValues(program, sdkValue), unfollowed: [] };
  const byCall = new Map<t.Node, SdkDependency>();
  for (const call of ctx.facts.calls) {
    const callee = unwrapExpression(call.callee);
    if (callee.type !== 'MemberExpression' || memberName(callee) !== 'dependency' || call.arguments.length !== 1) continue;
    const receiver = unwrapExpression(callee.object);
    const why = sdkValue(receiver);
    const binding = why === undefined && receiver.type === 'Identifier' ? relative.get(receiver.name) : undefined;
    // A namespace or `require` of the whole file (`m.sdk.dependency(...)`) is not followed.
    if (why === undefined && (binding === undefined || binding.imported === '*')) {
      const other = unfollowedCall(ctx, call);
      if (other) out.unfollowed.push(other);
      continue;
    }
    const found = named(ctx, call, why ?? `${receiver.type === 'Identifier' ? receiver.name : 'a value'} exported by ${binding!.source}`);
    if ('dependency' in found) byCall.set(call, found.dependency);
    if (why !== undefined) {
      if ('dependency' in found) out.dependencies.push(found.dependency);
      else ctx.warnings.push(found.warning);
    } else out.imported.push({ source: binding!.source, imported: binding!.imported, found });
  }
  noteFallbacks(ctx.file, fallbackReads, assigned, byCall);
  return out;
}

/** Joins the files: a call on an imported name counts when the file it comes from exports an SDK value under that name. */
export function linkSdkDependencies(files: readonly FileSdkDependencies[], resolve: (from: string, specifier: string) => FileSdkDependencies | undefined): { dependencies: SdkDependency[]; warnings: ScanWarning[]; unfollowed: DependencyCall[] } {
  const dependencies: SdkDependency[] = [];
  const warnings: ScanWarning[] = [];
  const unfollowed: DependencyCall[] = [];
  for (const f of files) {
    dependencies.push(...f.dependencies);
    unfollowed.push(...f.unfollowed);
    for (const use of f.imported) {
      if (!resolve(f.file, use.source)?.exports.has(use.imported)) {
        if ('dependency' in use.found) unfollowed.push(callOf(use.found.dependency));
        continue;
      }
      if ('dependency' in use.found) dependencies.push(use.found.dependency);
      else warnings.push(use.found.warning);
    }
  }
  return { dependencies, warnings, unfollowed };
}

const callOf = ({ name, file, line, col, call, method }: SdkDependency): DependencyCall => ({ name, file, line, col, call, method });

/** A `.dependency(name)` call with one readable name, whatever its receiver. */
function unfollowedCall(ctx: TsFileContext, call: t.CallExpression): DependencyCall | undefined {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== 'MemberExpression' || memberName(callee) !== 'dependency' || call.arguments.length !== 1) return undefined;
  const found = named(ctx, call, '');
  return 'dependency' in found ? callOf(found.dependency) : undefined;
}

/** The name a `.dependency(...)` call passes, or why it cannot be read. */
function named(ctx: TsFileContext, call: t.CallExpression, via: string): Found {
  const arg = call.arguments[0];
  const at = { file: ctx.file, ...positionOf(arg) };
  const name = arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder' ? undefined : ctx.consts.resolve(arg);
  if (name === undefined) {
    return { warning: { ...at, about: 'sdk-dependency', message: `\`${sourceOf(ctx, call)}\`: the dependency's name is computed at run time, so sloctl cannot check that the contract declares it (the SDK refuses an undeclared name when the service starts); write it as a string literal or a \`const\` of one` } };
  }
  return { dependency: { name, ...at, call: sourceOf(ctx, call), method: 'dependency', via } };
}

/** `useFallback` read on a dependency call, or on a name assigned one. */
function noteFallbacks(file: string, reads: readonly t.MemberExpression[], assigned: ReadonlyArray<[string, t.Node]>, byCall: ReadonlyMap<t.Node, SdkDependency>): void {
  if (reads.length === 0 || byCall.size === 0) return;
  const handles = new Map<string, SdkDependency>();
  for (const [key, init] of assigned) {
    const dep = byCall.get(unwrapExpression(init));
    if (dep) handles.set(key, dep);
  }
  for (const read of reads) {
    const object = unwrapExpression(read.object);
    const key = keyOf(object);
    const dep = byCall.get(object) ?? (key !== undefined ? handles.get(key) : undefined);
    if (dep && !dep.fallback) dep.fallback = { file, ...positionOf(read) };
  }
}

/** The local names of the SDK's `Sdk` type, and of namespaces it is reached through (`s.Sdk`). */
function sdkTypeNames(imports: ReadonlyArray<t.ImportDeclaration | t.TSImportEqualsDeclaration>, sdk: Bindings): { names: Set<string>; namespaces: Set<string> } {
  const names = new Set<string>();
  const namespaces = new Set<string>();
  for (const node of imports) {
    if (node.type !== 'ImportDeclaration' || !isSdkModule(node.source.value)) continue;
    for (const spec of node.specifiers) {
      if (spec.type === 'ImportNamespaceSpecifier') namespaces.add(spec.local.name);
      else if (spec.type === 'ImportSpecifier' && (spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value) === 'Sdk') names.add(spec.local.name);
    }
  }
  for (const [local, binding] of sdk) {
    if (binding.imported === '*') namespaces.add(local);
    else if (binding.imported === 'Sdk') names.add(local);
  }
  return { names, namespaces };
}

function namesSdkType(type: t.Node, types: { names: Set<string>; namespaces: Set<string> }): boolean {
  if (type.type === 'TSUnionType') return type.types.some((member) => namesSdkType(member, types));
  if (type.type !== 'TSTypeReference') return false;
  const name = type.typeName;
  if (name.type === 'Identifier') return types.names.has(name.name);
  return name.type === 'TSQualifiedName' && name.left.type === 'Identifier' && types.namespaces.has(name.left.name) && name.right.name === 'Sdk';
}

/** `x`, `this.x`, `this.#x`: the names SDK values are tracked under. */
function keyOf(node: t.Node): string | undefined {
  const expr = unwrapExpression(node);
  if (expr.type === 'Identifier') return expr.name;
  if (expr.type !== 'MemberExpression' || expr.object.type !== 'ThisExpression') return undefined;
  if (expr.property.type === 'PrivateName') return `this.#${expr.property.id.name}`;
  const name = memberName(expr);
  return name === undefined ? undefined : `this.${name}`;
}

function fieldKey(node: t.ClassProperty | t.ClassPrivateProperty): string | undefined {
  if (node.static) return undefined;
  if (node.type === 'ClassPrivateProperty') return `this.#${node.key.id.name}`;
  const name = propertyKeyName(node.key, node.computed);
  return name === undefined ? undefined : `this.${name}`;
}

/** `export const sdk = instrument(...)`, `export { sdk as s }`, `export default sdk`. */
function exportedValues(program: t.Program, sdkValue: (node: t.Node) => string | undefined): Set<string> {
  const out = new Set<string>();
  for (const stmt of program.body) {
    if (stmt.type === 'ExportNamedDeclaration' && !stmt.source) {
      if (stmt.declaration?.type === 'VariableDeclaration') {
        for (const d of stmt.declaration.declarations) if (d.id.type === 'Identifier' && sdkValue(d.id) !== undefined) out.add(d.id.name);
      }
      for (const spec of stmt.specifiers) {
        if (spec.type !== 'ExportSpecifier' || sdkValue(spec.local) === undefined) continue;
        out.add(spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value);
      }
    } else if (stmt.type === 'ExportDefaultDeclaration' && sdkValue(stmt.declaration) !== undefined) {
      out.add('default');
    }
  }
  return out;
}
