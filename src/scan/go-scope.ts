// Name lookup for the Go scanner: what an identifier at a given place refers to, following Go's
// block scoping closely enough to never resolve a shadowed name to the wrong constant. Locals
// are found by walking up from the use; package-level names come from every file of the package.

import type { GoNode } from './go-parser.ts';
import { significantChildren, unparen } from './go-syntax.ts';

/** `value` is undefined when the spec has no initializer of its own (e.g. an iota group). */
export type GoBinding =
  | { kind: 'const'; value: GoNode | undefined }
  | { kind: 'var'; value: GoNode | undefined }
  /** A parameter, receiver, loop or other binding whose value is not a literal. */
  | { kind: 'other' };

const FUNCTIONS = new Set(['function_declaration', 'method_declaration', 'func_literal']);
const WITH_INITIALIZER = new Set(['if_statement', 'expression_switch_statement', 'type_switch_statement']);

export class GoPackageScope {
  readonly #names = new Map<string, GoBinding[]>();
  readonly #assigned = new Set<string>();

  /** Adds a file's package-level `const` and `var` declarations, and the names it assigns to. */
  addFile(root: GoNode): void {
    for (const stmt of root.descendantsOfType('assignment_statement')) {
      for (const target of significantChildren(stmt?.childForFieldName('left'))) {
        // `x = ...`, `x[i] = ...`, `x.f = ...`: the variable's value is not its initializer any more.
        let base: GoNode | null = unparen(target);
        while (base && (base.type === 'index_expression' || base.type === 'selector_expression' || base.type === 'slice_expression')) {
          base = base.childForFieldName('operand');
        }
        if (base?.type === 'identifier') this.#assigned.add(base.text);
      }
    }
    for (const decl of significantChildren(root)) {
      if (decl.type !== 'const_declaration' && decl.type !== 'var_declaration') continue;
      for (const spec of specsOf(decl)) {
        for (const name of fieldIdentifiers(spec, 'name')) {
          const binding = specBinding(decl, spec, name.text);
          if (!binding) continue;
          const list = this.#names.get(name.text);
          if (list) list.push(binding);
          else this.#names.set(name.text, [binding]);
        }
      }
    }
  }

  /**
   * Whether anything in the package assigns to a variable of this name (`buckets = append(buckets,
   * 0.3)`, `buckets[0] = 0.01`), in any scope: a variable's initializer is then not known to be its
   * value where it is used. By name only, so a shadowing local counts too (erring towards "unknown").
   */
  isAssigned(name: string): boolean {
    return this.#assigned.has(name);
  }

  /** What `name`, used at `use`, refers to; undefined when unknown or declared twice. */
  lookup(name: string, use: GoNode): GoBinding | undefined {
    const local = lookupLocal(name, use);
    if (local) return local;
    const list = this.#names.get(name);
    return list?.length === 1 ? list[0] : undefined;
  }
}

function lookupLocal(name: string, use: GoNode): GoBinding | undefined {
  let child = use;
  let node = use.parent;
  while (node && node.type !== 'source_file') {
    if (node.type === 'statement_list' || node.type === 'block') {
      // Only statements before the use are in scope (a local declared later does not count).
      for (const stmt of significantChildren(node)) {
        if (stmt.startIndex >= child.startIndex) break;
        const binding = declaredIn(stmt, name);
        if (binding) return binding;
      }
    } else if (FUNCTIONS.has(node.type)) {
      if (declaresParameter(node, name)) return { kind: 'other' };
    } else if (WITH_INITIALIZER.has(node.type)) {
      const init = node.childForFieldName('initializer');
      const binding = init && init.startIndex < child.startIndex ? declaredIn(init, name) : undefined;
      if (binding) return binding;
    } else if (node.type === 'for_statement') {
      for (const clause of significantChildren(node)) {
        if ((clause.type === 'for_clause' || clause.type === 'range_clause') && mentions(clause, name)) return { kind: 'other' };
      }
    }
    child = node;
    node = node.parent;
  }
  return undefined;
}

function declaredIn(stmt: GoNode, name: string): GoBinding | undefined {
  if (stmt.type === 'const_declaration' || stmt.type === 'var_declaration') {
    for (const spec of specsOf(stmt)) {
      if (fieldIdentifiers(spec, 'name').some((n) => n.text === name)) return specBinding(stmt, spec, name);
    }
    return undefined;
  }
  if (stmt.type === 'short_var_declaration') {
    const left = significantChildren(stmt.childForFieldName('left'));
    const index = left.findIndex((n) => n.type === 'identifier' && n.text === name);
    if (index < 0) return undefined;
    const right = significantChildren(stmt.childForFieldName('right'));
    return { kind: 'var', value: right.length === left.length ? right[index] : undefined };
  }
  return undefined;
}

function specsOf(decl: GoNode): GoNode[] {
  const specs: GoNode[] = [];
  for (const child of significantChildren(decl)) {
    if (child.type === 'const_spec' || child.type === 'var_spec') specs.push(child);
    else if (child.type === 'var_spec_list' || child.type === 'const_spec_list') specs.push(...significantChildren(child));
  }
  return specs;
}

function specBinding(decl: GoNode, spec: GoNode, name: string): GoBinding | undefined {
  const names = fieldIdentifiers(spec, 'name');
  const index = names.findIndex((n) => n.text === name);
  if (index < 0) return undefined;
  const values = significantChildren(spec.childForFieldName('value'));
  const value = values.length === names.length ? values[index] : undefined;
  return { kind: decl.type === 'const_declaration' ? 'const' : 'var', value };
}

function declaresParameter(fn: GoNode, name: string): boolean {
  for (const field of ['receiver', 'parameters', 'result']) {
    const list = fn.childForFieldName(field);
    if (list?.type !== 'parameter_list') continue;
    for (const param of significantChildren(list)) {
      if (fieldIdentifiers(param, 'name').some((n) => n.text === name)) return true;
    }
  }
  return false;
}

/** Whether a loop clause binds `name` (its left-hand identifiers). */
function mentions(clause: GoNode, name: string): boolean {
  const target = clause.type === 'range_clause' ? clause.childForFieldName('left') : clause.childForFieldName('initializer');
  const left = target?.type === 'short_var_declaration' ? target.childForFieldName('left') : target;
  return significantChildren(left).some((n) => n.type === 'identifier' && n.text === name);
}

/** The identifiers of a field that repeats (`a, b = ...`); the grammar also tags the commas. */
function fieldIdentifiers(node: GoNode, field: string): GoNode[] {
  return node.childrenForFieldName(field).filter((n): n is GoNode => n !== null && n.type === 'identifier');
}
