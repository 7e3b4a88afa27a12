// Small helpers over tree-sitter's Go syntax tree.

import type { GoNode } from './go-parser.ts';

export interface Position {
  line: number;
  col: number;
}

/** 1-based line and column (tree-sitter's are 0-based, in UTF-16 code units for JS strings). */
export function positionOf(node: GoNode): Position {
  return { line: node.startPosition.row + 1, col: node.startPosition.column + 1 };
}

/** Named children without comments: a comment between arguments is a named node too. */
export function significantChildren(node: GoNode | null | undefined): GoNode[] {
  if (!node) return [];
  const out: GoNode[] = [];
  for (const child of node.namedChildren) if (child && child.type !== 'comment') out.push(child);
  return out;
}

/** A call's arguments, in order. */
export function callArguments(call: GoNode): GoNode[] {
  return significantChildren(call.childForFieldName('arguments'));
}

/** `x.y` as its two texts, when `node` is a selector on a plain identifier. */
export function selectorParts(node: GoNode | null): { operand: string; field: string } | undefined {
  if (node?.type !== 'selector_expression') return undefined;
  const operand = node.childForFieldName('operand');
  const field = node.childForFieldName('field');
  if (operand?.type !== 'identifier' || !field) return undefined;
  return { operand: operand.text, field: field.text };
}

/** Strips redundant parentheses: `("x")` is `"x"`. */
export function unparen(node: GoNode): GoNode {
  let current = node;
  while (current.type === 'parenthesized_expression') {
    const inner = significantChildren(current)[0];
    if (!inner) break;
    current = inner;
  }
  return current;
}

/**
 * The first syntax error in a tree, or null. Descends only into subtrees that contain an
 * error, so a clean file costs one check of the root.
 */
export function firstSyntaxError(root: GoNode): GoNode | null {
  if (!root.hasError) return null;
  let node: GoNode = root;
  for (;;) {
    if (node.isError || node.isMissing) return node;
    let next: GoNode | null = null;
    for (const child of node.children) {
      if (child && (child.isError || child.isMissing || child.hasError)) {
        next = child;
        break;
      }
    }
    if (!next) return node;
    node = next;
  }
}
