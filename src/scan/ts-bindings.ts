// Which local names refer to which module exports. Detection keys on these bindings rather
// than on bare names, so a user's own `class Counter` is never mistaken for prom-client's.

import type * as t from '@babel/types';
import { loadedModule, memberName, propertyKeyName, unwrapExpression } from './ts-ast.ts';
import type { FileFacts } from './ts-facts.ts';

/** `*` is the whole module (namespace import or `require`), `default` its default export. */
export interface ModuleBinding {
  source: string;
  imported: string;
}

export type Bindings = Map<string, ModuleBinding>;

/** Whether the binding stands for the module object rather than one export of it. */
export function isModuleObject(binding: ModuleBinding): boolean {
  return binding.imported === '*' || binding.imported === 'default';
}

/**
 * Collects bindings to modules accepted by `wanted`: ES imports, `import x = require()`,
 * `require()` and `await import()` with identifier, destructuring or `.member` targets, and
 * destructuring of an already-bound module object (`const { Counter } = client`).
 */
export function collectBindings(facts: FileFacts, wanted: (source: string) => boolean): Bindings {
  const bindings: Bindings = new Map();
  for (const node of facts.imports) addImport(bindings, node, wanted);
  for (const { node } of facts.declarators) addRequire(bindings, node, wanted);
  // Second round: aliases of module objects bound in the first.
  for (const { node } of facts.declarators) addAlias(bindings, node);
  return bindings;
}

function addImport(bindings: Bindings, node: t.ImportDeclaration | t.TSImportEqualsDeclaration, wanted: (s: string) => boolean): void {
  if (node.importKind === 'type' || node.importKind === 'typeof') return;
  if (node.type === 'TSImportEqualsDeclaration') {
    const ref = node.moduleReference;
    if (ref.type === 'TSExternalModuleReference' && wanted(ref.expression.value)) {
      bindings.set(node.id.name, { source: ref.expression.value, imported: '*' });
    }
    return;
  }
  const source = node.source.value;
  if (!wanted(source)) return;
  for (const spec of node.specifiers) {
    if (spec.type === 'ImportNamespaceSpecifier') {
      bindings.set(spec.local.name, { source, imported: '*' });
    } else if (spec.type === 'ImportDefaultSpecifier') {
      bindings.set(spec.local.name, { source, imported: 'default' });
    } else if (spec.importKind !== 'type' && spec.importKind !== 'typeof') {
      const imported = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
      bindings.set(spec.local.name, { source, imported });
    }
  }
}

function addRequire(bindings: Bindings, node: t.VariableDeclarator, wanted: (s: string) => boolean): void {
  if (!node.init) return;
  const init = unwrapExpression(node.init);
  const whole = loadedModule(init);
  if (whole !== undefined) {
    if (wanted(whole)) bindTarget(bindings, node.id, { source: whole, imported: '*' });
    return;
  }
  // `const Counter = require('prom-client').Counter`
  if (init.type === 'MemberExpression') {
    const source = loadedModule(init.object);
    const name = memberName(init);
    if (source !== undefined && name !== undefined && wanted(source)) {
      bindTarget(bindings, node.id, { source, imported: name });
    }
  }
}

function addAlias(bindings: Bindings, node: t.VariableDeclarator): void {
  if (!node.init) return;
  const init = unwrapExpression(node.init);
  if (init.type === 'Identifier') {
    const target = bindings.get(init.name);
    if (target && isModuleObject(target)) bindTarget(bindings, node.id, target);
  } else if (init.type === 'MemberExpression' && init.object.type === 'Identifier') {
    // `const Counter = client.Counter`
    const target = bindings.get(init.object.name);
    const name = memberName(init);
    if (target && isModuleObject(target) && name !== undefined && node.id.type === 'Identifier') {
      bindings.set(node.id.name, { source: target.source, imported: name });
    }
  }
}

/** Binds an identifier to the module object, or each destructured key to its export. */
function bindTarget(bindings: Bindings, id: t.Node, moduleObject: ModuleBinding): void {
  if (id.type === 'Identifier') {
    bindings.set(id.name, moduleObject);
    return;
  }
  if (id.type !== 'ObjectPattern') return;
  for (const prop of id.properties) {
    if (prop.type !== 'ObjectProperty') continue;
    const key = propertyKeyName(prop.key, prop.computed);
    const local = prop.value.type === 'AssignmentPattern' ? prop.value.left : prop.value;
    if (key === undefined || local.type !== 'Identifier') continue;
    // Destructuring the module object picks named exports; destructuring a default import
    // picks from module.exports too, since prom-client is CommonJS.
    bindings.set(local.name, { source: moduleObject.source, imported: key });
  }
}
