// Maps a path in the contract (["objectives", "latency", 0, "threshold"]) back to line:column in
// the YAML source, so every finding points at the exact spot a person has to edit. The same for a
// JSON file sloctl reads (the yaml package reads JSON and keeps the ranges), and where JSON.parse
// stopped in one.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
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

/**
 * A locator for a JSON file that JSON.parse already read: `locate` over the yaml package's reading
 * of the same text (JSON is YAML; duplicate keys are not an error here, JSON.parse took the last).
 */
export function jsonLocator(text: string): (path: readonly PathSegment[]) => Located {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  return (path) => locate(doc, lines, path);
}

/** 1-based line and column of a character offset in TEXT. */
export function lineColAt(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: Math.min(offset, text.length) - start + 1 };
}

// V8 quotes an unexpected token with up to this many characters of the text either side of it.
const JSON_CONTEXT = 10;

/**
 * Where JSON.parse stopped in TEXT, from its MESSAGE: "at position N" (Node 20), "(line L column C)"
 * (Node 22), the end for "end of JSON input"; for an unexpected token Node 20 gives no position but
 * quotes the text around it (`Unexpected token '<', ..."1,\n  "b": <<<<<<< HE"... is not valid JSON`),
 * found again in TEXT when it occurs there once. Undefined when the message does not tell.
 */
export function jsonErrorPosition(text: string, message: string): Position | undefined {
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lc) return { line: Number(lc[1]), col: Number(lc[2]) };
  const pos = /at position (\d+)/.exec(message);
  if (pos) return lineColAt(text, Number(pos[1]));
  if (/end of JSON input/.test(message)) return lineColAt(text, text.trimEnd().length); // where the text stops, not past its last newline
  const quoted = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!quoted) return undefined;
  const [, token, before, context, after] = quoted;
  const once = (s: string): number | undefined => {
    const i = text.indexOf(s);
    return i >= 0 && text.indexOf(s, i + 1) < 0 ? i : undefined;
  };
  let offset: number | undefined;
  if (!before && !after) offset = context === text ? once(token) : undefined; // a short text, quoted whole
  else if (!before) offset = text.startsWith(context) ? context.length - JSON_CONTEXT : undefined;
  else if (!after) offset = text.endsWith(context) ? text.length - context.length + JSON_CONTEXT : undefined;
  else {
    const at = once(context);
    offset = at === undefined ? undefined : at + JSON_CONTEXT;
  }
  return offset !== undefined && text[offset] === token ? lineColAt(text, offset) : undefined;
}
