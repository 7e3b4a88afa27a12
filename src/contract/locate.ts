// Maps a path in the contract (["objectives", "latency", 0, "threshold"]) back to line:column in
// the YAML source, so every finding points at the exact spot a person has to edit.
import { isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
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
 * The index that keeps locating linear: each mapping's entries by key, built once, on the first
 * lookup in that mapping, and reused by every later finding (50,000 unknown keys are 50,000
 * lookups in one mapping; a scan per lookup made validation quadratic). Keyed weakly by the node,
 * so it lives as long as the document. Rebuilt if the mapping's items were replaced or resized.
 */
interface KeyIndex {
  items: unknown[];
  size: number;
  byKey: Map<string, Pair>;
}
const indexes = new WeakMap<YAMLMap, KeyIndex>();

function entry(map: YAMLMap, segment: PathSegment): Pair | undefined {
  let index = indexes.get(map);
  if (!index || index.items !== map.items || index.size !== map.items.length) {
    const byKey = new Map<string, Pair>();
    for (const pair of map.items as Pair[]) {
      const k = String(keyOf(pair));
      if (!byKey.has(k)) byKey.set(k, pair); // the first of duplicate keys, as a scan would find
    }
    index = { items: map.items, size: map.items.length, byKey };
    indexes.set(map, index);
  }
  return index.byKey.get(String(segment));
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
      const pair = entry(node, segment);
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

/** The node at `path` (through the same index as `locate`), or undefined when the source does not have it. */
export function nodeAt(doc: Document, path: readonly PathSegment[]): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isMap(node)) node = entry(node, segment)?.value ?? undefined;
    else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
    else return undefined;
  }
  return node ?? undefined;
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
