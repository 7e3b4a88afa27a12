// Static evaluation of the string expressions metric names are written with: literals,
// expression-free templates, and `const`s of those in the same file, joined by `+` or `${}`.
// Anything else is "computed at run time" and reported, never guessed.

import type * as t from '@babel/types';
import { memberName, propertyKeyName, unwrapExpression } from './ts-ast.ts';
import type { FileFacts } from './ts-facts.ts';

// Deep enough for any real chain of constants, shallow enough that a cycle ends quickly.
const MAX_DEPTH = 32;

export class ConstStrings {
  /** Initializers of each `const` name; more than one means shadowing, so it is not resolved. */
  readonly #consts = new Map<string, t.Node[]>();
  /** `enum Name { Member = 'value' }` members by enum name. */
  readonly #enums = new Map<string, Map<string, t.Node>[]>();

  constructor(facts: FileFacts) {
    for (const { kind, node } of facts.declarators) {
      if (kind !== 'const' || node.id.type !== 'Identifier' || !node.init) continue;
      push(this.#consts, node.id.name, node.init);
    }
    for (const decl of facts.enums) {
      const members = new Map<string, t.Node>();
      // Babel 7 puts members on the declaration; Babel 8 moves them into `body`.
      const list = decl.members ?? decl.body?.members ?? [];
      for (const member of list) {
        const key = propertyKeyName(member.id, false);
        if (key !== undefined && member.initializer) members.set(key, member.initializer);
      }
      push(this.#enums, decl.id.name, members);
    }
  }

  /** The object literal a `const` name is bound to, when there is exactly one such const. */
  constObject(name: string): t.ObjectExpression | undefined {
    const inits = this.#consts.get(name);
    if (inits?.length !== 1) return undefined;
    const object = unwrapExpression(inits[0]);
    return object.type === 'ObjectExpression' ? object : undefined;
  }

  /** A string, or an array literal of them (`['GET', 'POST']`, route paths): each resolved; undefined when any is computed. */
  resolveList(node: t.Node): string[] | undefined {
    const expr = unwrapExpression(node);
    if (expr.type !== 'ArrayExpression') {
      const v = this.resolve(expr);
      return v === undefined ? undefined : [v];
    }
    const out: string[] = [];
    for (const e of expr.elements) {
      const v = e && e.type !== 'SpreadElement' ? this.resolve(e) : undefined;
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }

  /** An array literal of strings, inline or a `const` bound to one (`labelNames: LABELS`); undefined otherwise. */
  resolveArray(node: t.Node): string[] | undefined {
    let expr = unwrapExpression(node);
    if (expr.type === 'Identifier') {
      const inits = this.#consts.get(expr.name);
      if (inits?.length !== 1) return undefined;
      expr = unwrapExpression(inits[0]);
    }
    return expr.type === 'ArrayExpression' ? this.resolveList(expr) : undefined;
  }

  /** The string value of `node`, or undefined when it depends on run-time values. */
  resolve(node: t.Node): string | undefined {
    return this.#resolve(node, 0);
  }

  #resolve(node: t.Node, depth: number): string | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const expr = unwrapExpression(node);
    switch (expr.type) {
      case 'StringLiteral':
        return expr.value;
      case 'TemplateLiteral':
        return this.#template(expr, depth);
      case 'BinaryExpression':
        return this.#concat(expr, depth);
      case 'Identifier':
        return this.#identifier(expr.name, depth);
      case 'MemberExpression':
        return this.#member(expr, depth);
      default:
        return undefined;
    }
  }

  #template(expr: t.TemplateLiteral, depth: number): string | undefined {
    let text = '';
    for (let i = 0; i < expr.quasis.length; i++) {
      const cooked = expr.quasis[i].value.cooked;
      if (cooked === undefined || cooked === null) return undefined;
      text += cooked;
      const part = expr.expressions[i];
      if (part === undefined) continue;
      const value = this.#resolve(part, depth + 1);
      if (value === undefined) return undefined;
      text += value;
    }
    return text;
  }

  #concat(expr: t.BinaryExpression, depth: number): string | undefined {
    if (expr.operator !== '+') return undefined;
    const left = this.#resolve(expr.left, depth + 1);
    if (left === undefined) return undefined;
    const right = this.#resolve(expr.right, depth + 1);
    return right === undefined ? undefined : left + right;
  }

  #identifier(name: string, depth: number): string | undefined {
    const inits = this.#consts.get(name);
    if (inits?.length !== 1) return undefined;
    return this.#resolve(inits[0], depth + 1);
  }

  /** `NAMES.latency` on a const object literal, or `Metric.Latency` on an enum. */
  #member(expr: t.MemberExpression, depth: number): string | undefined {
    const key = memberName(expr);
    if (key === undefined || expr.object.type !== 'Identifier') return undefined;
    const objectName = expr.object.name;
    const enums = this.#enums.get(objectName);
    if (enums !== undefined) {
      const member = enums.length === 1 && !this.#consts.has(objectName) ? enums[0].get(key) : undefined;
      return member === undefined ? undefined : this.#resolve(member, depth + 1);
    }
    const object = this.constObject(objectName);
    return object === undefined ? undefined : this.#objectMember(object, key, depth);
  }

  #objectMember(object: t.ObjectExpression, key: string, depth: number): string | undefined {
    let value: t.Node | undefined;
    for (const prop of object.properties) {
      // A spread or computed key could override the member: not knowable statically.
      if (prop.type === 'SpreadElement') return undefined;
      const name = propertyKeyName(prop.key, prop.computed);
      if (name === undefined) return undefined;
      if (name === key) value = prop.type === 'ObjectProperty' ? prop.value : undefined;
    }
    return value === undefined ? undefined : this.#resolve(value, depth + 1);
  }
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
