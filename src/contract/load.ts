// From YAML text to a typed Contract, or to every located finding at once.
//
// Pure: the caller reads the file; this never touches the filesystem, so the pre-commit hook can
// hand it the staged content and property tests can hand it garbage.
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, type CST, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { byLocation, type Diagnostic, type DiagnosticCode, type PathSegment, type Position } from './diagnostic.ts';
import { locate, nodeAt, unclosedQuoteAt } from './locate.ts';
import { contractSchema, type Contract } from './schema.ts';
import { knownKeysAt } from './schema-walk.ts';
import { checkSemantics, type Finding } from './semantic.ts';
import { closest } from './suggest.ts';
import { EXAMPLE_CONTRACT } from './example-path.ts';

export interface LoadedContract {
  file: string;
  /** Present when the schema accepted the file (semantic errors may still be in diagnostics). */
  contract?: Contract;
  diagnostics: Diagnostic[];
  /** For callers that locate further findings (the code check): the parsed document. */
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): Position;
}

/**
 * "Billion laughs" guard, the `yaml` package's `maxAliasCount`: alias expansions (weighted by the
 * aliases inside what they expand) beyond this are refused. A contract has no reason for more.
 */
export const MAX_ALIASES = 100;

/**
 * The largest contract file read, in bytes. A real slo.yaml is a few KB (the eleven-contract
 * example is under 10 KB); 1 MiB is a hundred times that and still parses in well under a second,
 * while a 50 MB file used to take 28 s and 1.9 GB of memory. A file this large is the wrong file or
 * an attack, so there is no setting to raise it. Checked before anything is parsed.
 */
export const MAX_CONTRACT_BYTES = 1024 * 1024;

/**
 * The deepest nesting of mappings and lists read. A contract's deepest path is about 6 levels
 * (objectives.latency[0].percentiles.p95; a load `body` may add a few). Checked on the parser's
 * tokens, which it builds without recursion, before the recursive steps (composing the document,
 * converting it, the schema) run: 10,000 levels used to end in "Maximum call stack size exceeded".
 */
export const MAX_NESTING = 64;

export interface ParseOptions {
  /** The file's size in bytes when the caller knows it without the text (it did not read a file over the limit). */
  size?: number;
}

export function parseContract(text: string, file: string, options: ParseOptions = {}): LoadedContract {
  const diagnostics: Diagnostic[] = [];
  const at = (pos: Position) => ({ file, line: pos.line, col: pos.col, endLine: pos.endLine, endCol: pos.endCol });
  const noLocate = () => ({ line: 1, col: 1 });

  const size = options.size ?? (text.length * 3 <= MAX_CONTRACT_BYTES ? text.length : Buffer.byteLength(text, 'utf8'));
  if (size > MAX_CONTRACT_BYTES) return { file, diagnostics: [tooLarge(file, size)], locate: noLocate };

  // yaml's parseAllDocuments, in its steps, so the nesting is bounded between them.
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const deep = tooDeep(tokens);
  if (deep !== undefined) {
    return {
      file,
      diagnostics: [{
        ...at(lines.linePos(deep)), severity: 'error', code: 'SLO_TOO_DEEP',
        message: `mappings and lists nest more than ${MAX_NESTING} levels deep here; a contract needs fewer than 10`,
        hint: 'nesting this deep is a mistake: unbalanced brackets, or a syntax error above this line (a stray `:` or indent) that nests each line below one level deeper',
      }],
      locate: noLocate,
    };
  }
  // Duplicate keys are found below, in one pass: yaml's own check compares each key with every
  // earlier key of its mapping, which is quadratic in the size of a mapping.
  const docs = Array.from(new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)) as Document.Parsed[];

  if (docs.length === 0) return { file, diagnostics: [emptyFile(file)], locate: noLocate };

  const doc = docs[0];
  // A YAML parser that loses its way at one spot reads most of what follows as errors too (one
  // unquoted `{` in a flow mapping made hundreds): the first error is shown, with its hint, and
  // the rest are counted on it.
  const syntax: Array<{ offset: number; diagnostic: Diagnostic }> = [];
  // Where an over-indented line below was found, the parser's other errors at the same spot say the same.
  const explained = new Set<number>();
  for (const d of docs) {
    for (const e of [...d.errors]) {
      if (explained.has(e.pos[0])) continue;
      const quote = e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? unclosedQuoteAt(d, e.pos[0]) : undefined;
      if (quote !== undefined) {
        syntax.push({ offset: quote, diagnostic: { ...at(lines.linePos(quote)), severity: 'error', code: 'SLO_YAML_SYNTAX', message: 'this quoted string is never closed', hint: 'add the closing quote at the end of the value' } });
        continue;
      }
      const deeper = e.code === 'BLOCK_AS_IMPLICIT_KEY' ? overIndentedKeyBelow(text, e.pos[0]) : undefined;
      if (deeper !== undefined) {
        explained.add(e.pos[0]);
        syntax.push({
          offset: deeper.offset,
          diagnostic: {
            ...at(lines.linePos(deeper.offset)), severity: 'error', code: 'SLO_YAML_SYNTAX',
            message: `\`${deeper.key}:\` is indented ${deeper.indent} spaces, more than \`${deeper.above}:\` on the line above (${deeper.aboveIndent}), so YAML reads it as part of \`${deeper.above}\`'s value`,
            hint: `indent \`${deeper.key}:\` by ${deeper.aboveIndent} spaces, as \`${deeper.above}:\`, if it belongs beside it`,
          },
        });
        continue;
      }
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      const brace = e.code === 'UNEXPECTED_TOKEN' ? braceInFlowValue(text, e.pos[0]) : undefined;
      syntax.push({
        offset: e.pos[0],
        diagnostic: brace
          ? { ...at(pos), severity: 'error', code: 'SLO_YAML_SYNTAX', message: `a \`{\` inside a flow mapping (\`{ key: value, ... }\`) starts a new mapping, so \`${brace.value}\` is not read as one value`, hint: `quote the value (${brace.value.includes("'") ? JSON.stringify(brace.value) : `'${brace.value}'`})${brace.params.length > 0 ? `, or write ${brace.params.map((p) => `:${p}`).join(', ')} (${brace.colon})` : ''}` }
          : { ...at(pos), severity: 'error', code: 'SLO_YAML_SYNTAX', message: firstLine(e.message), hint: yamlHint(e.code) },
      });
    }
  }
  if (syntax.length > 0) {
    syntax.sort((a, b) => a.offset - b.offset);
    const first = syntax[0].diagnostic;
    if (syntax.length > 1) {
      const next = syntax[1].diagnostic;
      const last = syntax[syntax.length - 1].diagnostic;
      const span = syntax.length === 2 ? `at ${next.line}:${next.col}` : `from ${next.line}:${next.col} to ${last.line}:${last.col}`;
      first.related = [...(first.related ?? []), { file, line: next.line, col: next.col, message: `${syntax.length - 1} more YAML ${syntax.length === 2 ? 'error' : 'errors'} after this one (${span}), not shown: most follow from the first, as the parser reads what comes after it out of place; fix this one and run again` }];
    }
    diagnostics.push(first);
  }
  const walked = walk(docs);
  for (const dup of walked.duplicates) {
    const first = lines.linePos(dup.first);
    diagnostics.push({
      ...at(lines.linePos(dup.offset)), severity: 'error', code: 'SLO_YAML_SYNTAX',
      message: `duplicate key \`${dup.key}\` (first at line ${first.line}): keys must be unique in a mapping`, hint: yamlHint('DUPLICATE_KEY'),
    });
  }
  if (docs.length > 1) {
    const second = docs[1];
    const pos = lines.linePos(second.range[0]);
    diagnostics.push({ ...at(pos), severity: 'error', code: 'SLO_MULTIPLE_DOCUMENTS', message: `found ${docs.length} YAML documents; a contract file holds one`, hint: 'split them into one slo.yaml per service, or remove the `---` separator' });
  }
  if (diagnostics.length > 0) return { file, diagnostics: diagnostics.sort(byLocation), locate: noLocate };

  const locateIn = (path: readonly PathSegment[], where: 'key' | 'value' = 'value') => locate(doc, lines, path, where);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { file, diagnostics: [emptyFile(file)], locate: locateIn };
  }
  if (!isMap(doc.contents)) {
    const kind = Array.isArray((doc.contents as { items?: unknown }).items) ? 'a list' : 'a single value';
    diagnostics.push({ ...at(locateIn([])), severity: 'error', code: 'SLO_NOT_MAPPING', message: `the contract is ${kind}, not a mapping of keys to values`, hint: 'a contract starts with `apiVersion: sloctl/v1` and `service:` at the top level' });
    return { file, diagnostics, locate: locateIn };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const excessive = /alias/i.test((e as Error).message);
    const where = excessive && walked.firstAlias !== undefined ? lines.linePos(walked.firstAlias) : locateIn([]);
    diagnostics.push(excessive
      ? { ...at(where), severity: 'error', code: 'SLO_YAML_SYNTAX', message: `the YAML aliases (*name) in this file expand to more than ${MAX_ALIASES} copies, which is how a "billion laughs" file exhausts memory; a contract needs a few at most`, hint: 'write the repeated values out, or use fewer aliases' }
      : { ...at(where), severity: 'error', code: 'SLO_YAML_SYNTAX', message: firstLine((e as Error).message) });
    return { file, diagnostics, locate: locateIn };
  }

  // jitless: zod compiles a fast path for each object schema on its first parse (new Function),
  // which pays off over many parses; a contract is parsed once per process, and the compiling cost
  // ~25 ms of every `sloctl validate` (the pre-commit hook). Per call, so no one else's zod changes.
  const parsed = contractSchema.safeParse(data, { jitless: true });
  if (!parsed.success) {
    for (const issue of flattenIssues(parsed.error.issues)) diagnostics.push(...fromIssue(issue, data, file, locateIn));
    return { file, diagnostics: dropMissingExplainedByTypo(dedupe(diagnostics)).sort(byLocation), locate: locateIn };
  }
  const written = (path: readonly PathSegment[]) => {
    const node = nodeAt(doc, path);
    return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
  };
  for (const f of checkSemantics(parsed.data, { written })) diagnostics.push(fromFinding(f, file, text, doc, locateIn));
  return { file, contract: parsed.data, diagnostics: diagnostics.sort(byLocation), locate: locateIn };
}


function tooLarge(file: string, size: number): Diagnostic {
  return {
    file, line: 1, col: 1, severity: 'error', code: 'SLO_TOO_LARGE',
    message: `the file is ${formatSize(size)}; sloctl reads contract files of at most ${formatSize(MAX_CONTRACT_BYTES)} (a real slo.yaml is a few KB)`,
    hint: 'check that this is the right file; keep long text (runbooks, descriptions) in documents the contract links to, and split a file that describes several services into one slo.yaml per service',
  };
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/** The offset of the first collection nested deeper than MAX_NESTING, found without recursion. */
function tooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    switch (token.type) {
      case 'document':
        if (token.value) stack.push([token.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > MAX_NESTING) return token.offset;
        for (const item of token.items) {
          if (item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

interface Walked {
  duplicates: Array<{ key: string; offset: number; first: number }>;
  /** Offset of the first alias (`*name`) in the source. */
  firstAlias?: number;
}

/** One pass over the composed documents (iterative; the depth is bounded already): duplicate keys, the first alias. */
function walk(docs: readonly Document.Parsed[]): Walked {
  const out: Walked = { duplicates: [] };
  const stack: unknown[] = docs.map((d) => d.contents);
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      const offset = node.range?.[0];
      if (offset !== undefined && (out.firstAlias === undefined || offset < out.firstAlias)) out.firstAlias = offset;
    } else if (isMap(node)) {
      // yaml's own rule: scalar keys are equal when their values are (1 and "1" differ).
      const seen = new Map<unknown, number>();
      for (const pair of node.items as Pair[]) {
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          const first = seen.get(key.value);
          const offset = key.range?.[0] ?? 0;
          if (first === undefined) seen.set(key.value, offset);
          else out.duplicates.push({ key: String(key.value), offset, first });
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  out.duplicates.sort((a, b) => a.offset - b.offset);
  return out;
}

function emptyFile(file: string): Diagnostic {
  return {
    file, line: 1, col: 1, severity: 'error', code: 'SLO_EMPTY',
    message: 'the file has no contract in it (it is empty or only comments)',
    hint: `start with \`apiVersion: sloctl/v1\` and a \`service:\` section; see ${EXAMPLE_CONTRACT}`,
  };
}

/**
 * The unquoted value around a `{` glued to the text before it (`path: /carts/{id}` inside a flow
 * mapping, where the `{` opens a mapping): the value as written, and with `{name}` as `:name`.
 */
function braceInFlowValue(text: string, offset: number): { value: string; colon: string; params: string[] } | undefined {
  if (text[offset] !== '{' || offset === 0 || /[\s,[{:]/.test(text[offset - 1])) return undefined;
  let start = offset;
  while (start > 0 && !/[\s,[{]/.test(text[start - 1])) start--;
  let end = offset;
  let depth = 0;
  while (end < text.length) {
    const ch = text[end];
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && /[\s,\]]/.test(ch)) break;
    else if (ch === '\n') break;
    end++;
  }
  const value = text.slice(start, end);
  if (depth !== 0 || value === '') return undefined;
  const params = [...value.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
  return { value, colon: value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1'), params };
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * `name: x` followed by `   runtime: go`, indented one space more: YAML reads the second line
 * as the rest of `x` and reports the error at `x`, on the line above the mistake (a user trial:
 * "a key is missing its `:`" at line 3 for a stray space on line 4). When the line after the
 * error's is a `key:` indented more than the error line's own `key: value`, that line is the one
 * to point at.
 */
function overIndentedKeyBelow(text: string, offset: number): { offset: number; key: string; indent: number; above: string; aboveIndent: number } | undefined {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  if (end < 0) return undefined;
  const line = /^( *)(?:- +)?([A-Za-z_][\w.-]*) *: +\S/.exec(text.slice(start, end));
  if (!line) return undefined;
  const nextEnd = text.indexOf('\n', end + 1);
  const next = /^( *)([A-Za-z_][\w.-]*) *:(?: |$)/.exec(text.slice(end + 1, nextEnd < 0 ? undefined : nextEnd));
  if (!next) return undefined;
  const aboveIndent = text.slice(start, end).indexOf(line[2]);
  if (next[1].length <= aboveIndent) return undefined;
  return { offset: end + 1 + next[1].length, key: next[2], indent: next[1].length, above: line[2], aboveIndent };
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY': return 'each key may appear once in a mapping: remove or rename one';
    case 'BAD_INDENT': return 'check the indentation: nested keys are indented more than their parent, with spaces, not tabs';
    case 'TAB_AS_INDENT': return 'YAML indents with spaces; replace the tab';
    case 'BLOCK_AS_IMPLICIT_KEY': return 'a key is missing its `:` or the line above is not closed';
    default: return undefined;
  }
}

type Issue = z.core.$ZodIssue;

/**
 * zod reports a failed union as one issue holding each branch's issues. Show the branch the
 * author evidently meant (the one that got furthest), so `window: 5 minutes` says "invalid
 * duration" rather than "expected a mapping or a string".
 */
function flattenIssues(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((branch) => branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue));
      const score = (b: Issue[]) => Math.max(...b.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
      const best = branches.reduce((a, b) => (score(b) > score(a) ? b : a));
      // Branches that all fail on the type alone: say which types are accepted, once.
      if (branches.every((b) => b.length === 1 && b[0].code === 'invalid_type' && b[0].path.length === issue.path.length)) {
        out.push({ ...issue, message: unionTypeMessage(issue, branches) } as Issue);
      } else out.push(...flattenIssues(best));
    } else out.push(issue);
  }
  return out;
}

function unionTypeMessage(issue: Issue, branches: Issue[][]): string {
  const expected = [...new Set(branches.map((b) => (b[0] as { expected?: string }).expected ?? 'value'))];
  const input = (issue as { input?: unknown }).input;
  return `expected ${expected.map(typeWord).join(' or ')}, got ${describe(input)}`;
}

function typeWord(t: string): string {
  return t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * `fault: { type: error, dependency: inventory, status: 503 }`: a mapping where one word goes,
 * holding keys that belong beside it (a user's drill). The hint says to write the word and move
 * the keys up a level; undefined when the mapping holds none of the parent's keys.
 */
function nestedSiblingsHint(path: readonly (string | number)[], got: unknown, values: readonly string[]): string | undefined {
  if (got === null || typeof got !== 'object' || Array.isArray(got) || path.length === 0) return undefined;
  const key = String(path[path.length - 1]);
  const parent = path.slice(0, -1);
  const allowed = new Set(knownKeysAt(contractSchema, parent));
  const inner = Object.keys(got);
  const siblings = inner.filter((k) => k !== key && allowed.has(k));
  if (siblings.length === 0) return undefined;
  const named = inner.map((k) => (got as Record<string, unknown>)[k]).find((v): v is string => typeof v === 'string' && values.includes(v));
  const list = siblings.map((k) => `\`${k}\``).join(', ');
  return `\`${key}\` takes one word (\`${key}: ${named ?? values[0]}\`); ${list} ${siblings.length === 1 ? 'is a key' : 'are keys'} of ${pathText(parent)}, written beside \`${key}\`, not inside it`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

function fromIssue(issue: Issue, data: unknown, file: string, locateIn: LoadedContract['locate']): Diagnostic[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = pathText(path);
  const base = (pos: Position, code: DiagnosticCode, message: string, hint?: string, p = path): Diagnostic => ({
    file, line: pos.line, col: pos.col, endLine: pos.endLine, endCol: pos.endCol, severity: 'error', code, message, path: p, ...(hint ? { hint } : {}),
  });

  if (issue.code === 'unrecognized_keys') {
    // A misspelt key means one that is not there yet: `p59` beside `p50` meant `p95`.
    const present = valueAt(data, path);
    const siblings = new Set(present && typeof present === 'object' ? Object.keys(present) : []);
    const known = knownKeysAt(contractSchema, path).filter((k) => !siblings.has(k));
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      const hint = guess ? `did you mean \`${guess}\`?` : known.length ? `keys allowed here: ${known.join(', ')}` : undefined;
      return base(locateIn([...path, key], 'key'), 'SLO_UNKNOWN_KEY', `unknown key \`${key}\`${path.length ? ` in ${where}` : ' at the top level'}`, hint, [...path, key]);
    });
  }
  const present = valueAt(data, path) !== undefined;
  if (issue.code === 'invalid_type' && !present) {
    const key = path[path.length - 1];
    const parent = path.slice(0, -1);
    return [base(locateIn(parent, 'key'), 'SLO_MISSING_KEY', `missing required key \`${String(key)}\`${parent.length ? ` in ${pathText(parent)}` : ' at the top level'}`, `add \`${String(key)}:\``, path)];
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((v) => String(v));
    const got = valueAt(data, path);
    const guess = typeof got === 'string' ? closest(got, values) : undefined;
    const message = values.length === 1 ? `${where} must be ${JSON.stringify(issue.values[0])}, got ${describe(got)}` : `${where} must be one of ${values.join(', ')}, got ${describe(got)}`;
    return [base(locateIn(path), 'SLO_INVALID_VALUE', issue.message.startsWith('Invalid') ? message : `${issue.message}, got ${describe(got)}`, guess ? `did you mean \`${guess}\`?` : nestedSiblingsHint(path, got, values))];
  }
  const message = issue.message.startsWith('Invalid input') ? `${where}: ${issue.message.replace(/^Invalid input: /, '')}` : issue.message;
  return [base(locateIn(path), 'SLO_INVALID_VALUE', path.length ? `${message}${message.includes(where) ? '' : ` (at ${where})`}` : message, mappingHint(issue, path))];
}

/**
 * A value where a mapping belongs (`degraded: { latency: 90% }`, whose latency is `{ threshold,
 * objective }`): the keys it takes, in the shape to write, since "expected object, received
 * string" alone does not say what (a user trial).
 */
function mappingHint(issue: Issue, path: ReadonlyArray<string | number>): string | undefined {
  if (issue.code !== 'invalid_type' || issue.expected !== 'object' || path.length === 0) return undefined;
  const keys = knownKeysAt(contractSchema, path);
  if (keys.length === 0) return undefined;
  const key = path[path.length - 1];
  return `${typeof key === 'string' ? `\`${key}\`` : 'this'} is a mapping with the keys ${keys.join(', ')}: write \`${typeof key === 'string' ? `${key}: ` : ''}{ ${keys.map((k) => `${k}: …`).join(', ')} }\``;
}

function fromFinding(f: Finding, file: string, text: string, doc: Document, locateIn: LoadedContract['locate']): Diagnostic {
  let pos = locateIn(f.path, f.at ?? 'value');
  if (f.offset !== undefined) pos = withinScalar(text, doc, f.path, pos, f.offset);
  return {
    file, line: pos.line, col: pos.col, endLine: pos.endLine, endCol: pos.endCol,
    severity: f.severity, code: f.code, message: f.message, path: f.path,
    ...(f.hint ? { hint: f.hint } : {}),
    ...(f.related ? { related: f.related.map((r) => ({ file, ...locateIn(r.path), message: r.message })) } : {}),
  };
}

/**
 * Moves a position to a character inside a one-line scalar (a PromQL query), when it can be
 * exact: the value's characters are walked in the source, so a quoted scalar's escapes (`''` in
 * single quotes, `\"` or `\x41` in double quotes) count as the one character they stand for.
 */
function withinScalar(text: string, doc: Document, path: PathSegment[], pos: Position, offset: number): Position {
  const node = nodeAt(doc, path);
  if (!isScalar(node) || pos.endLine !== pos.line || !node.range) return pos;
  const start = node.range[0];
  if (node.type === 'PLAIN') return { line: pos.line, col: pos.col + offset };
  if (node.type !== 'QUOTE_SINGLE' && node.type !== 'QUOTE_DOUBLE') return pos;
  let i = start + 1; // past the opening quote
  for (let k = 0; k < offset; k++) {
    if (i >= node.range[1]) return pos;
    const c = text[i];
    if (node.type === 'QUOTE_SINGLE') i += c === "'" ? 2 : 1;
    else if (c !== '\\') i += 1;
    else {
      const n = text[i + 1];
      i += n === 'x' ? 4 : n === 'u' ? 6 : n === 'U' ? 10 : 2;
    }
  }
  return { line: pos.line, col: pos.col + (i - start) };
}

/** `objectives.latency[0].threshold` */
export function pathText(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || 'the document';
}

/**
 * `objectve: 99%` is one mistake, not two: when an unknown key's suggestion is a required key
 * missing from the same mapping, the "missing" finding says nothing the typo finding does not.
 */
function dropMissingExplainedByTypo(ds: Diagnostic[]): Diagnostic[] {
  const explained = new Set<string>();
  for (const d of ds) {
    const meant = d.code === 'SLO_UNKNOWN_KEY' ? /^did you mean `(.+)`\?$/.exec(d.hint ?? '')?.[1] : undefined;
    if (meant && d.path) explained.add(JSON.stringify([...d.path.slice(0, -1), meant]));
  }
  return ds.filter((d) => !(d.code === 'SLO_MISSING_KEY' && d.path && explained.has(JSON.stringify(d.path))));
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.code}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
