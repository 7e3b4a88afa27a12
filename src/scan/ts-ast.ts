// Small helpers over Babel's AST: one iterative walk (deeply nested input must not overflow the
// stack), unwrapping of type-only wrappers, and property lookup with JavaScript's own semantics.

import type * as t from '@babel/types';

// Keys that hold positions, comments or parser bookkeeping, never child nodes worth visiting.
const NON_CHILD_KEYS = new Set([
  'loc', 'start', 'end', 'range', 'extra', 'errors', 'comments', 'tokens',
  'leadingComments', 'trailingComments', 'innerComments',
]);

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const FUNCTION_TYPES: ReadonlySet<string> = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

/** A function of any form: a declaration, an expression, an arrow, an object or class method. */
export function isFunctionNode(node: t.Node): node is t.Function {
  return FUNCTION_TYPES.has(node.type);
}

/** Visits every node under `root` (including it), parents before children. */
export function forEachNode(root: t.Node, visit: (node: t.Node) => void): void {
  const stack: t.Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node);
    const record = node as unknown as Record<string, unknown>;
    for (const key in record) {
      if (NON_CHILD_KEYS.has(key)) continue;
      const value = record[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) if (isNode(value[i])) stack.push(value[i]);
      } else if (isNode(value)) {
        stack.push(value);
      }
    }
  }
}

/** Strips what changes only the static type or grouping: `x as const`, `x!`, `(x)`, `<T>x`. */
export function unwrapExpression(node: t.Node): t.Node {
  let current = node;
  for (;;) {
    switch (current.type) {
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'TSInstantiationExpression':
      case 'ParenthesizedExpression':
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** The static name of a property key, or undefined when it is computed from a non-literal. */
export function propertyKeyName(key: t.Node, computed: boolean): string | undefined {
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  if (!computed && key.type === 'Identifier') return key.name;
  return undefined;
}

/** The module a `require('x')` or `import('x')` call loads, if the specifier is a literal. */
export function loadedModule(node: t.Node): string | undefined {
  const expr = unwrapExpression(node.type === 'AwaitExpression' ? unwrapExpression(node.argument) : node);
  if (expr.type === 'ImportExpression') return literalText(expr.source);
  if (expr.type !== 'CallExpression' || expr.arguments.length < 1) return undefined;
  const isRequire = expr.callee.type === 'Identifier' && expr.callee.name === 'require';
  if (!isRequire && expr.callee.type !== 'Import') return undefined;
  return literalText(expr.arguments[0]);
}

function literalText(node: t.Node): string | undefined {
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

export type PropertyLookup =
  | { kind: 'found'; value: t.Node; node: t.Node }
  | { kind: 'absent' }
  /** A spread, method, or computed key could set it: the value is not knowable statically. */
  | { kind: 'unknown'; node: t.Node };

/** Finds `name` in an object literal; the last definition wins, as in JavaScript. */
export function lookupProperty(object: t.ObjectExpression, name: string): PropertyLookup {
  let result: PropertyLookup = { kind: 'absent' };
  for (const prop of object.properties) {
    if (prop.type === 'SpreadElement') {
      result = { kind: 'unknown', node: prop };
      continue;
    }
    const key = propertyKeyName(prop.key, prop.computed);
    if (key === undefined) {
      result = { kind: 'unknown', node: prop };
    } else if (key === name) {
      result = prop.type === 'ObjectProperty' ? { kind: 'found', value: prop.value, node: prop } : { kind: 'unknown', node: prop };
    }
  }
  return result;
}

export interface Position {
  line: number;
  col: number;
}

/** 1-based line and column of a node's start. */
export function positionOf(node: t.Node): Position {
  const start = node.loc?.start;
  return start ? { line: start.line, col: start.column + 1 } : { line: 1, col: 1 };
}

/** The member name of `a.b` / `a['b']`, or undefined when computed from a non-literal. */
export function memberName(node: t.MemberExpression | t.OptionalMemberExpression): string | undefined {
  return propertyKeyName(node.property, node.computed);
}
