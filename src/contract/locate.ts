// Maps a path in the contract (["objectives", "latency", 0, "threshold"]) back to line:column in
// the YAML source, so every finding points at the exact spot a person has to edit.
import { isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { PathSegment, Position } from './diagnostic.ts';

export interface Located extends Position {
  /** True when the whole path exists in the source; false when we fell back to an ancestor. */
  exact: boolean;
}

function span(lines: LineCounter, range: readonly [number, number, number] | null | undefined): Position {
  if (!range) return { line: 1, col: 1 };
  const start = lines.linePos(range[0]);
  const end = lines.linePos(range[1]);
  return { line: start.line, col: start.col, endLine: end.line, endCol: end.col };
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/**
 * Finds the node at `path`. With `at: 'key'` a mapping entry is located at its key (right for
 * "unknown key" findings); by default at its value. When the path runs past what the source has
 * (a default value, a missing key), the deepest existing ancestor is returned with exact=false.
 */
export function locate(doc: Document, lines: LineCounter, path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Located {
  let node: unknown = doc.contents;
  let last: Position = span(lines, (doc.contents as Node | null)?.range);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(keyOf(p)) === String(segment));
      if (!pair) return { ...last, exact: false };
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      if (isLast && at === 'key') return { ...span(lines, keyNode?.range), exact: true };
      // `key:` with nothing after it has no value node: point at the key.
      last = valueNode?.range ? span(lines, valueNode.range) : span(lines, keyNode?.range);
      node = valueNode;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return { ...last, exact: false };
      last = span(lines, item.range);
      node = item;
    } else {
      return { ...last, exact: false };
    }
  }
  return { ...last, exact: true };
}

/**
 * yaml reports an unclosed quote where the file ends, which can be many lines later. The spot to
 * edit is where the quote opened: the quoted scalar that runs up to the error.
 */
export function unclosedQuoteAt(doc: Document, errorOffset: number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[1] >= errorOffset && (found === undefined || node.range[0] < found)) found = node.range[0];
    },
  });
  return found;
}
