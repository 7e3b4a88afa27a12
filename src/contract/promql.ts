// PromQL in custom SLIs, checked with Prometheus' own grammar (lezer-promql, the parser behind
// the Prometheus UI), so a query that would fail in Prometheus fails here first.
import { createRequire } from 'node:module';
import type { parser as PromqlParser } from '@prometheus-io/lezer-promql';

type Tree = ReturnType<typeof PromqlParser.parse>;

/**
 * The grammar, loaded on the first query checked: only custom SLIs carry PromQL, and every
 * command and the SDK load the contract through this module; most contracts have none (the
 * grammar and @lezer/lr: ~30 ms and ~1.3 MB of heap at start-up that `import('sloctl/sdk')`
 * paid for nothing). Synchronously, through the package's CommonJS build, as checking is.
 */
let grammar: typeof PromqlParser | undefined;
function promqlParser(): typeof PromqlParser {
  grammar ??= (createRequire(import.meta.url)('@prometheus-io/lezer-promql') as { parser: typeof PromqlParser }).parser;
  return grammar;
}

/** Placeholder a custom SLI writes for its window, e.g. `rate(x[$window])`. */
export const WINDOW_PLACEHOLDER = '$window';
// Same length as the placeholder, so offsets in the parsed text are offsets in the original.
const WINDOW_STAND_IN = '999999s';

export interface PromqlProblem {
  /** 0-based offset into the query text. */
  offset: number;
  message: string;
}

export interface PromqlCheck {
  problems: PromqlProblem[];
  /** Metric names the query selects: `foo{...}` and `{__name__="foo"}`. */
  metrics: string[];
  /**
   * Set when the query could not be checked at all (too large or too deeply nested for the
   * parser): a warning to show, never a syntax error. `problems` is then empty.
   */
  unchecked?: string;
}

function describeAt(query: string, offset: number): string {
  if (offset >= query.length) return 'the query ends too early (an unclosed bracket or a missing operand?)';
  const rest = query.slice(offset).match(/^\S{1,20}/)?.[0] ?? query[offset];
  // `histogram_share(0.2, x)`: the grammar knows its functions, so an unknown one fails at `(`.
  const fn = query[offset] === '(' ? /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(query.slice(Math.max(0, offset - 64), offset))?.[1] : undefined;
  if (fn) return `unexpected ${JSON.stringify(rest)}: ${fn} is not a PromQL function`;
  return `unexpected ${JSON.stringify(rest)}`;
}

// --- long operator chains -----------------------------------------------------------------------
//
// lezer-promql parses `a + a + ... + a` with a parse stack that grows with every term, and lezer
// cuts a stack deeper than a fixed limit (Rec.CutDepth, about 650 terms of a sum): a valid sum of
// thousands of terms came out as a "syntax error". Before parsing, every chain of more than
// CHAIN operands at one bracket level is grouped with parentheses, CHAIN operands to a group
// (groups of groups for longer chains), so the stack stays shallow. Parentheses around whole
// operands change neither whether the query parses nor which metrics it selects; the offsets of
// problems are mapped back to the query as written.

const CHAIN = 64;
/** A bracket nesting deeper than this is beyond what the parser can check (each level is stack). */
const MAX_NESTING = 400;

interface Tok {
  kind: 'open' | 'close' | 'comma' | 'op' | 'word' | 'literal' | 'other';
  text: string;
  from: number;
  to: number;
}

const OPS = ['==', '!=', '>=', '<=', '=~', '!~', '>', '<', '+', '-', '*', '/', '%', '^', '=', '@', ':'];
const BINARY = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '>=', '<=', '>', '<']);
const WORD_BINARY = new Set(['and', 'or', 'unless', 'atan2']);
/** Words after which `(...)` is a list of label names, not an expression. */
const LABEL_LIST = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...WORD_BINARY, ...LABEL_LIST, 'bool', 'offset']);

/** The query's tokens, as far as grouping needs them (what is wrong with them is the parser's to say). */
function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    const from = i;
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' && c !== '`' ? 2 : 1;
      i = Math.min(i + 1, text.length); // an unclosed string runs to the end: the parser reports it
      toks.push({ kind: 'literal', text: text.slice(from, i), from, to: i });
      continue;
    }
    if (/[a-zA-Z_:]/.test(c) && !(c === ':' && toks.length > 0 && toks[toks.length - 1].kind !== 'op')) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text.slice(i, i + 4096))!;
      i += m[0].length;
      toks.push({ kind: 'word', text: m[0], from, to: i });
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const m = /^(?:0[xX][0-9a-fA-F]+|[0-9.]+(?:[eE][+-]?[0-9]+)?[0-9a-zA-Z_.]*)/.exec(text.slice(i, i + 4096));
      i += m ? m[0].length : 1;
      toks.push({ kind: 'literal', text: text.slice(from, i), from, to: i });
      continue;
    }
    if ('([{'.includes(c)) { i++; toks.push({ kind: 'open', text: c, from, to: i }); continue; }
    if (')]}'.includes(c)) { i++; toks.push({ kind: 'close', text: c, from, to: i }); continue; }
    if (c === ',') { i++; toks.push({ kind: 'comma', text: c, from, to: i }); continue; }
    const op = OPS.find((o) => text.startsWith(o, i));
    i += op ? op.length : 1;
    toks.push({ kind: op ? 'op' : 'other', text: text.slice(from, i), from, to: i });
  }
  return toks;
}

interface Rebalanced {
  text: string;
  /** Offsets (in `text`) of the characters that were inserted, ascending. */
  inserted: number[];
  /** Operands of the longest chain, for messages. */
  longest: number;
  /** Deepest bracket nesting. */
  depth: number;
  /** Longest run of signs (`- - - a`): each nests like a bracket. */
  signs: number;
}

/** The query with its long chains grouped (see above). An invalid query stays invalid: the parser reports it. */
function rebalance(text: string): Rebalanced {
  const toks = tokenize(text);
  // Matching brackets, of any kind. An unclosed one runs to the end; a stray closing one is
  // left for the parser to report.
  const match = new Array<number>(toks.length).fill(toks.length);
  const open: number[] = [];
  let depth = 0;
  let signs = 0;
  for (let i = 0, run = 0; i < toks.length; i++) {
    run = toks[i].kind === 'op' && (toks[i].text === '-' || toks[i].text === '+') ? run + 1 : 0;
    signs = Math.max(signs, run);
    if (toks[i].kind === 'open') { open.push(i); depth = Math.max(depth, open.length); } else if (toks[i].kind === 'close') {
      const o = open.pop();
      if (o === undefined) toks[i] = { ...toks[i], kind: 'other' };
      else match[o] = i;
    }
  }

  const inserts: Array<{ at: number; ch: string }> = [];
  let longest = 0;
  const endsOperand = (t: Tok) => t.kind === 'literal' || (t.kind === 'word' && !KEYWORDS.has(t.text));
  // Groups that are expressions: the whole query and every `(...)` that is not a label list.
  // Iterative (a worklist), so deep nesting cannot overflow the JavaScript stack here.
  const work: Array<[number, number]> = [[0, toks.length]];
  while (work.length > 0) {
    const [start, end] = work.pop()!;
    let spans: Array<[number, number]> = [];
    let operandStart = start;
    let prevEnds = false;
    const finish = (segEnd: number) => {
      spans.push([operandStart, segEnd - 1]);
      if (spans.length > longest) longest = spans.length;
      // An empty operand (`a + on(x) * b`, a trailing `+`) is an error the parser reports; the
      // operands around it are grouped all the same, so it reports it where it is.
      const operands = spans.filter(([a, b]) => a <= b && b < toks.length);
      if (operands.length > CHAIN) group(operands.map(([a, b]) => ({ from: toks[a].from, to: toks[b].to })), inserts);
      spans = [];
    };
    let i = start;
    while (i < end) {
      const t = toks[i];
      if (t.kind === 'open') {
        const j = match[i];
        const prev = i > start ? toks[i - 1] : undefined;
        if (t.text === '(' && !(prev?.kind === 'word' && LABEL_LIST.has(prev.text))) work.push([i + 1, j]);
        i = j + 1;
        prevEnds = true;
        continue;
      }
      if (t.kind === 'comma') {
        finish(i);
        operandStart = i + 1;
        prevEnds = false;
        i++;
        continue;
      }
      if (prevEnds && ((t.kind === 'op' && BINARY.has(t.text)) || (t.kind === 'word' && WORD_BINARY.has(t.text)))) {
        spans.push([operandStart, i - 1]);
        i++;
        // The operator's modifiers: bool, on(...)/ignoring(...), group_left(...)/group_right(...).
        while (i < end && toks[i].kind === 'word' && (toks[i].text === 'bool' || LABEL_LIST.has(toks[i].text))) {
          i++;
          if (i < end && toks[i].kind === 'open' && toks[i].text === '(') i = match[i] + 1;
        }
        operandStart = i;
        prevEnds = false;
        continue;
      }
      prevEnds = endsOperand(t);
      i++;
    }
    finish(end);
  }
  if (inserts.length === 0) return { text, inserted: [], longest, depth, signs };
  inserts.sort((a, b) => a.at - b.at);
  let out = '';
  let last = 0;
  const inserted: number[] = [];
  for (const ins of inserts) {
    out += text.slice(last, ins.at);
    inserted.push(out.length);
    out += ins.ch;
    last = ins.at;
  }
  out += text.slice(last);
  return { text: out, inserted, longest, depth, signs };
}

/** Parentheses around runs of CHAIN operands, and around runs of those groups, until one level is short. */
function group(level: Array<{ from: number; to: number }>, inserts: Array<{ at: number; ch: string }>): void {
  while (level.length > CHAIN) {
    const next: Array<{ from: number; to: number }> = [];
    for (let k = 0; k < level.length; k += CHAIN) {
      const chunk = level.slice(k, k + CHAIN);
      const from = chunk[0].from;
      const to = chunk[chunk.length - 1].to;
      if (chunk.length > 1) inserts.push({ at: from, ch: '(' }, { at: to, ch: ')' });
      next.push({ from, to });
    }
    level = next;
  }
}

/** An offset in the rebalanced text as an offset in the query as written. */
function originalOffset(r: Rebalanced, offset: number): number {
  let lo = 0;
  let hi = r.inserted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r.inserted[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return offset - lo;
}

export function checkPromql(query: string): PromqlCheck {
  const text = query.split(WINDOW_PLACEHOLDER).join(WINDOW_STAND_IN);
  const r = rebalance(text);
  const problems: PromqlProblem[] = [];
  const metrics = new Set<string>();
  const tooLarge = (why: string): PromqlCheck => ({
    problems: [],
    metrics: [],
    unchecked: `the query is too large to check (${why}): not checked`,
  });
  if (r.depth > MAX_NESTING) return tooLarge(`brackets nested ${r.depth} deep`);
  if (r.signs > MAX_NESTING) return tooLarge(`${r.signs} signs in a row`);
  let tree: Tree;
  try {
    tree = promqlParser().parse(r.text);
  } catch (e) {
    if (e instanceof RangeError) return tooLarge(`${r.longest} terms, ${text.length} characters`);
    throw e;
  }
  const at = (offset: number) => originalOffset(r, offset);
  try {
    walk(tree, r, text, at, problems, metrics);
  } catch (e) {
    if (e instanceof RangeError) return tooLarge(`${r.longest} terms, ${text.length} characters`);
    throw e;
  }
  if (text.trim() === '') problems.push({ offset: 0, message: 'the query is empty' });
  return { problems, metrics: [...metrics] };
}

/** Syntax errors (and ranges on what is not a selector) and the metric names, from the parse tree. */
function walk(tree: Tree, r: Rebalanced, text: string, at: (offset: number) => number, problems: PromqlProblem[], metrics: Set<string>): void {
  const problem = (from: number, message: (offset: number) => string) => {
    const offset = at(from);
    if (problems.length === 0 || problems[problems.length - 1].offset !== offset) problems.push({ offset, message: message(offset) });
  };
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        problem(node.from, (offset) => `PromQL syntax error at character ${offset + 1}: ${describeAt(text, offset)}`);
        return false;
      }
      if (node.name === 'MatrixSelector') {
        // The grammar takes `vector(1)[5m]`; Prometheus does not ("ranges only allowed for vector selectors").
        const inner = node.node.firstChild;
        if (inner && inner.name !== 'VectorSelector') {
          problem(inner.from, (offset) => `PromQL error at character ${offset + 1}: a range [...] only follows a metric selector (\`x[5m]\`); for the range of an expression, use a subquery (\`(expr)[5m:]\`)`);
        }
      }
      if (node.name === 'VectorSelector') {
        const first = node.node.firstChild;
        if (first?.name === 'Identifier') metrics.add(r.text.slice(first.from, first.to));
      }
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const labelName = node.node.getChild('LabelName');
        const value = node.node.getChild('StringLiteral');
        const op = node.node.getChild('MatchOp');
        if (labelName && value && op && r.text.slice(labelName.from, labelName.to) === '__name__' && r.text.slice(op.from, op.to) === '=') {
          metrics.add(r.text.slice(value.from + 1, value.to - 1));
        }
      }
      return undefined;
    },
  });
}

// --- label matchers (`job="checkout", env!="dev"`) ------------------------------------------------

export interface LabelMatcherText {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  /** The string literal's value, escapes resolved. */
  value: string;
}

export type LabelMatchersCheck =
  | { ok: true; matchers: LabelMatcherText[] }
  | { ok: false; problem: PromqlProblem };

/**
 * A list of PromQL label matchers, as `--selector` and the contract's `metrics.selector` take them
 * to add to every selector sloctl writes. Parsed as the inside of one vector selector's braces
 * (`x{…}`), which must be all there is: a text such as `job="a"} or y{b="c"` parses as valid
 * PromQL once braced, and would have turned every rule into a union.
 */
export function checkLabelMatchers(text: string): LabelMatchersCheck {
  const fail = (offset: number, message: string): LabelMatchersCheck => ({ ok: false, problem: { offset: Math.max(0, Math.min(offset, text.length)), message } });
  if (text.trim() === '') return fail(0, 'no label matchers (write one or more, such as job="checkout")');
  const prefix = 'x{';
  const query = `${prefix}${text}}`;
  const tree = promqlParser().parse(query);
  const top = tree.topNode.firstChild;
  let problem: LabelMatchersCheck | undefined;
  const matchers: LabelMatcherText[] = [];
  tree.iterate({
    enter(node) {
      if (problem) return false;
      const at = node.from - prefix.length;
      if (node.type.isError) {
        const what = at >= text.length ? 'an unclosed quote, or a brace that closes too early' : `unexpected ${JSON.stringify(text.slice(at).match(/^\S{1,20}/)?.[0] ?? text[at])}`;
        problem = fail(at, `label matchers: syntax error at character ${at + 1}: ${what}`);
        return false;
      }
      if (node.name === 'QuotedLabelMatcher') {
        problem = fail(at, 'label matchers: a quoted label name needs Prometheus 3 and sloctl writes rules Prometheus 2 loads: use a name of letters, digits and _');
        return false;
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const name = node.node.getChild('LabelName');
        const op = node.node.getChild('MatchOp');
        const lit = node.node.getChild('StringLiteral');
        if (!name || !op || !lit) {
          problem = fail(at, `label matchers: "${query.slice(node.from, node.to)}" is not name, operator and quoted value (e.g. job="checkout")`);
          return false;
        }
        const label = query.slice(name.from, name.to);
        const value = unquoteString(query.slice(lit.from, lit.to));
        if (value === undefined) {
          problem = fail(lit.from - prefix.length, `label matchers: the string at character ${lit.from - prefix.length + 1} is not closed, or has an escape PromQL does not read`);
          return false;
        }
        if (label === '__name__') {
          problem = fail(at, 'label matchers: __name__ cannot be matched here: every selector sloctl writes already names its metric');
          return false;
        }
        matchers.push({ name: label, op: query.slice(op.from, op.to) as LabelMatcherText['op'], value });
        return false;
      }
      return undefined;
    },
  });
  if (problem) return problem;
  // One vector selector, ending where the text does: anything after the braces (`} or y{…`) is not a matcher.
  if (!top || top.name !== 'VectorSelector' || top.to !== query.length) {
    let first = top;
    while (first && first.name !== 'VectorSelector') first = first.firstChild;
    const end = first ? first.to - prefix.length - 1 : 0;
    return fail(end, `label matchers: only matchers may be given, separated by commas; ${JSON.stringify(text.slice(end))} at character ${end + 1} is more than that`);
  }
  if (matchers.length === 0) return fail(0, 'no label matchers (write one or more, such as job="checkout")');
  return { ok: true, matchers };
}

/** A PromQL string literal's value ("…" and '…' with Go's escapes, `…` raw), or undefined. */
export function unquoteString(text: string): string | undefined {
  const q = text[0];
  if (text.length < 2 || text.at(-1) !== q) return undefined;
  const body = text.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body;
  if (q !== '"' && q !== "'") return undefined;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === q) return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === undefined) return undefined;
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (n in simple) out += simple[n];
    else if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return undefined;
      out += String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else return undefined;
  }
  return out;
}
