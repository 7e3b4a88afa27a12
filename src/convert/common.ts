// What the OpenSLO and Sloth converters share: reading YAML with located errors, the result type,
// names, the `$window` placeholder, and writing the contract back as commented YAML.
import { isMap, isSeq, LineCounter, parseAllDocuments, stringify, type Document } from 'yaml';
import type { Diagnostic, DiagnosticCode, PathSegment } from '../contract/diagnostic.ts';
import { SloctlError } from '../errors.ts';
import { locate, unclosedQuoteAt } from '../contract/locate.ts';
import { parseContract } from '../contract/load.ts';
import type { ContractInput } from '../contract/schema.ts';

/** A converted contract: the object, the slo.yaml text (with a header saying where it came from), and what did not map. */
export interface ConvertResult {
  contract: ContractInput;
  text: string;
  warnings: string[];
}

/** The input could not be read at all (YAML syntax, not a spec of the expected kind): located, exit 1. */
export class ConvertError extends SloctlError {
  override name = 'ConvertError';
  readonly code = 'SLOCTL_CONVERT';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n'));
  }
}

/** One YAML document of the input, kept with what it takes to point at a spot in it. */
export interface SourceDoc {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** An object of the input (a document, or an item of a top-level list) and where it sits. */
export interface SourceObject {
  value: Record<string, unknown>;
  src: SourceDoc;
  /** Path of the object inside its YAML document ([] for a whole document, [i] for a list item). */
  path: PathSegment[];
}

export interface ReadObjects {
  objects: SourceObject[];
  /** The file was one YAML list of objects rather than `---`-separated documents. */
  listForm: boolean;
}

const MAX_ALIASES = 100;

export function located(file: string, lines: LineCounter, doc: Document, path: readonly PathSegment[], code: DiagnosticCode, message: string, hint?: string, at: 'key' | 'value' = 'value'): Diagnostic {
  const pos = locate(doc, lines, path, at);
  return { file, line: pos.line, col: pos.col, endLine: pos.endLine, endCol: pos.endCol, severity: 'error', code, message, path: [...path], ...(hint ? { hint } : {}) };
}

/**
 * Every top-level object of a YAML stream: the documents of a `---`-separated file, or the items
 * of a file that is one list (how the OpenSLO SDK writes several objects). Syntax errors throw.
 */
export function readObjects(text: string, file: string, what: string): ReadObjects {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: Diagnostic[] = [];
  if (!Array.isArray(docs) || docs.length === 0) {
    throw new ConvertError([{ file, line: 1, col: 1, severity: 'error', code: 'SLO_EMPTY', message: `the file has no ${what} in it (it is empty or only comments)` }]);
  }
  for (const d of docs) {
    for (const e of d.errors) {
      const quote = e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? unclosedQuoteAt(d, e.pos[0]) : undefined;
      if (quote !== undefined) {
        const p = lines.linePos(quote);
        errors.push({ file, line: p.line, col: p.col, severity: 'error', code: 'SLO_YAML_SYNTAX', message: 'this quoted string is never closed', hint: 'add the closing quote at the end of the value' });
        continue;
      }
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      errors.push({ file, line: pos.line, col: pos.col, severity: 'error', code: 'SLO_YAML_SYNTAX', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') });
    }
  }
  if (errors.length > 0) throw new ConvertError(errors);

  const objects: SourceObject[] = [];
  let listForm = false;
  for (const doc of docs as Document.Parsed[]) {
    const src: SourceDoc = { file, doc, lines };
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      throw new ConvertError([located(file, lines, doc, [], 'SLO_YAML_SYNTAX', (e as Error).message.split('\n')[0])]);
    }
    if (value === null || value === undefined) continue;
    if (isSeq(doc.contents)) {
      listForm = true;
      (value as unknown[]).forEach((item, i) => {
        if (!isPlainObject(item)) throw new ConvertError([located(file, lines, doc, [i], 'SLO_NOT_MAPPING', `item ${i + 1} of the list is not a ${what} (a mapping with apiVersion and kind)`)]);
        objects.push({ value: item, src, path: [i] });
      });
    } else if (isMap(doc.contents) && isPlainObject(value)) {
      objects.push({ value, src, path: [] });
    } else {
      throw new ConvertError([located(file, lines, doc, [], 'SLO_NOT_MAPPING', `the document is a single value, not a ${what}`)]);
    }
  }
  if (objects.length === 0) {
    throw new ConvertError([{ file, line: 1, col: 1, severity: 'error', code: 'SLO_EMPTY', message: `the file has no ${what} in it (it is empty or only comments)` }]);
  }
  return { objects, listForm };
}


/** `file:line:col: ` for a spot inside an input object, to prefix a warning with. */
export function where(o: SourceObject, path: readonly PathSegment[] = []): string {
  const pos = locate(o.src.doc, o.src.lines, [...o.path, ...path]);
  return `${o.src.file}:${pos.line}:${pos.col}: `;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep equality of JSON-like values (key order does not matter; undefined members are ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON-like value. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** `extra` merged into `base`: objects merge key by key, anything else in `extra` replaces. */
export function deepMerge(base: unknown, extra: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(extra)) return clone(extra);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = k in out ? deepMerge(out[k], v) : clone(v);
  return out;
}

const containers = new WeakSet<object>();

/** Marks an object the converter made to collect leftovers, so `prune` may drop it when it stays empty. */
export function container<T extends object>(o: T): T {
  containers.add(o);
  return o;
}

/**
 * The residue worth storing: undefined members dropped, and the converter's own containers dropped
 * when nothing is left in them. An empty map the input itself has (`labels: {}`) is kept.
 */
export function prune(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = prune(x);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length === 0 && containers.has(v) ? undefined : out;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidName(s: string): boolean {
  return NAME_RE.test(s);
}

/** The closest valid sloctl name: lower case, other characters as `-`, at most 63 characters. */
export function toName(s: string, fallback = 'slo'): string {
  if (isValidName(s)) return s;
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[-_]+$/, '');
  return n || fallback;
}

/** `base`, or `base-2`, `base-3`... whichever is not taken yet (and records it as taken). */
export function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) {
    const suffix = `-${i}`;
    name = `${base.slice(0, 63 - suffix.length)}${suffix}`;
  }
  taken.add(name);
  return name;
}

/** Sloth's Go-template range (`{{.window}}`, any spacing), which sloctl writes `$window`. */
export const GO_TEMPLATE_WINDOW = /\{\{-?\s*\.window\s*-?\}\}/g;
export const SLOCTL_WINDOW = '$window';

/** The query with its window placeholder in sloctl's form, and the placeholder it had (if any). */
export function toSloctlWindow(query: string): { query: string; token?: string } {
  const m = query.match(GO_TEMPLATE_WINDOW);
  if (m) return { query: query.replace(GO_TEMPLATE_WINDOW, SLOCTL_WINDOW), token: m[0] };
  if (query.includes(SLOCTL_WINDOW)) return { query, token: SLOCTL_WINDOW };
  return { query };
}

export function fromSloctlWindow(query: string, token: string): string {
  return query.split(SLOCTL_WINDOW).join(token);
}

/** The slo.yaml text: a header comment (where it came from, what did not convert), then the contract. */
export function contractText(contract: ContractInput, header: string[], warnings: string[]): string {
  const lines = header.map((h) => `# ${h}`.trimEnd());
  if (warnings.length > 0) {
    lines.push('#', '# Not converted as is (also printed by `sloctl convert` on stderr):');
    for (const w of warnings) lines.push(`#   - ${w.replace(/\n/g, ' ')}`);
  }
  const body = stringify(contract, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return `${lines.join('\n')}\n${body}`;
}

/** YAML text of a list of objects, as `---`-separated documents or as one list. */
export function yamlDocuments(objects: unknown[], listForm: boolean): string {
  const opts = { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false } as const;
  if (listForm) return stringify(objects, opts);
  return objects.map((o) => stringify(o, opts)).join('---\n');
}

/** One build of a converted contract, or a request to build again (the builder dropped a source SLO). */
export type BuildAttempt<K> = { retry: true } | { retry: false; result: ConvertResult; /** per SLI of the contract, the source it came from */ origin: K[] };

/**
 * Builds the converted contract and validates it; each source SLO whose SLI does not validate is
 * dropped (with the reason, so the builder can warn) and the contract built again, until it
 * validates, nothing more can be dropped, or `maxRounds` runs out. What still fails is reported
 * as warnings rather than hidden.
 */
export function buildValidContract<K>(file: string, maxRounds: number, build: (dropped: Map<K, string>) => BuildAttempt<K>): ConvertResult {
  const dropped = new Map<K, string>();
  for (let round = 0; ; round++) {
    const built = build(dropped);
    if (built.retry) continue;
    const errors = parseContract(built.result.text, file).diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0 || round > maxRounds) return built.result;
    let progress = false;
    for (const e of errors) {
      const source = e.path?.[0] === 'slis' && typeof e.path[1] === 'number' ? built.origin[e.path[1]] : undefined;
      if (source !== undefined && !dropped.has(source)) {
        dropped.set(source, `the converted SLI would not validate (${e.message})`);
        progress = true;
      }
    }
    if (!progress) {
      built.result.warnings.push(...errors.map((e) => `the converted contract does not validate: ${e.message} (at ${(e.path ?? []).join('.')})`));
      return built.result;
    }
  }
}
