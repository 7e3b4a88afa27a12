// One entry point for a load result on disk, whoever measured it: sloctl's own JSON (`sloctl load
// --json` / `--output`), vegeta's results as JSON lines or its JSON report, or a k6 end-of-test
// summary. The format is recognised from the content, not the file name.
import { jsonErrorPosition } from '../contract/locate.ts';
import { Histogram } from '../measure/histogram.ts';
import { ImportError, importError, shown } from './import-error.ts';
import { fromK6Summary, isK6Summary } from './import-k6.ts';
import { fromVegetaLines, fromVegetaReport, isVegetaReport } from './import-vegeta.ts';
import type { LatencySummary, LoadResult } from './types.ts';

export { ImportError } from './import-error.ts';

export const ACCEPTED_FORMATS = [
  'a sloctl load result (sloctl load --json, or --output FILE)',
  'vegeta results as JSON lines (vegeta encode --to json)',
  'a vegeta JSON report (vegeta report -type=json)',
  'a k6 end-of-test summary (k6 run --summary-export FILE, handleSummary data, or --new-machine-readable-summary)',
];

function accepted(): string {
  return `sloctl reads: ${ACCEPTED_FORMATS.join('; ')}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Binary input: vegeta's default gob encoding, or anything else that is not text. */
function looksBinary(text: string): boolean {
  const head = text.slice(0, 256);
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(head);
}

function firstLine(text: string): { text: string; line: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '') return { text: lines[i].trim(), line: i + 1 };
  return { text: '', line: 1 };
}

/**
 * Reads a load result from `text` (the content of `path`, named as the user wrote it). Throws an
 * ImportError naming the file (and line) and what is accepted when the content is none of them.
 */
export function readLoadResult(path: string, text: string): LoadResult {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw importError(path, `the file is empty; ${accepted()}`);
  if (looksBinary(body)) {
    throw importError(path, `binary content: vegeta writes its results in a binary encoding (gob) by default; convert them with \`vegeta encode --to json ${path} > results.json\` and read that. ${accepted()}`);
  }
  let doc: unknown;
  let parseError: Error | undefined;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    parseError = e as Error;
  }
  if (parseError === undefined) {
    if (!isObject(doc)) throw importError(path, `expected a JSON object, got ${shown(doc)}; ${accepted()}`);
    return fromDocument(doc, path);
  }
  // Not one JSON document: JSON lines, if its first line is a JSON object.
  const first = firstLine(body);
  let head: unknown;
  try {
    head = JSON.parse(first.text);
  } catch {
    /* not JSON lines either */
  }
  if (isObject(head)) {
    if ('latency' in head && 'timestamp' in head) return fromVegetaLines(body, path);
    if (head.type === 'Metric' || head.type === 'Point') {
      throw importError(path, `this is k6's --out json stream (one sample per line); sloctl reads k6's end-of-test summary instead: run k6 with --summary-export FILE`, first.line);
    }
    throw importError(path, `JSON lines whose first object (line ${first.line}) is not a vegeta result (no "latency" and "timestamp"); ${accepted()}`, first.line);
  }
  if (/^\d{10,},\d{1,3},\d+,/.test(first.text)) {
    throw importError(path, `this looks like vegeta's CSV encoding; sloctl reads its JSON: \`vegeta encode --to json ${path} > results.json\``, first.line);
  }
  const at = jsonErrorPosition(body, parseError.message);
  if (at && body.trimStart().startsWith('{')) {
    throw importError(path, `invalid JSON at column ${at.col}: ${parseError.message.replace(/^JSON\.parse: /, '')}; ${accepted()}`, at.line);
  }
  throw importError(path, `not JSON; ${accepted()}`);
}

/** A single JSON document: which format is it? */
function fromDocument(doc: Record<string, unknown>, path: string): LoadResult {
  if (doc.source === 'sloctl' || doc.source === 'vegeta' || doc.source === 'k6') {
    if ('routes' in doc && 'latency' in doc) return checkLoadResult(doc, path);
  }
  if (isVegetaReport(doc)) return fromVegetaReport(doc, path);
  if (isK6Summary(doc)) return fromK6Summary(doc, path);
  if ('latency' in doc && 'timestamp' in doc && 'code' in doc) return fromVegetaLines(JSON.stringify(doc), path);
  const keys = Object.keys(doc).slice(0, 6).map((k) => JSON.stringify(k)).join(', ');
  throw importError(path, `a JSON object with keys ${keys || '(none)'}, which is not a load result; ${accepted()}`);
}

// --- sloctl's own result: checked, so a hand-edited or truncated file fails here, not in the gate ---

const SUMMARY_FIELDS = ['count', 'min', 'mean', 'stdev', 'max', 'p50', 'p90', 'p95', 'p99', 'p999'] as const;

function fail(path: string, field: string, expected: string, got: unknown): never {
  throw importError(path, `${field} must be ${expected}, got ${shown(got)} (is this a sloctl load result?)`);
}

function need(path: string, obj: Record<string, unknown>, field: string, prefix: string, kind: 'number' | 'string' | 'object'): void {
  const v = obj[field];
  const ok = kind === 'object' ? isObject(v) : kind === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'string';
  if (!ok) fail(path, `${prefix}${field}`, kind === 'object' ? 'an object' : `a ${kind}`, v);
}

function checkSummary(path: string, v: unknown, field: string): void {
  if (!isObject(v)) fail(path, field, 'an object', v);
  for (const f of SUMMARY_FIELDS) need(path, v, f, `${field}.`, 'number');
}

function checkCounts(path: string, v: unknown, field: string): void {
  if (!isObject(v)) fail(path, field, 'an object of name -> count', v);
  for (const [k, n] of Object.entries(v)) if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(path, `${field}.${k}`, 'a whole number', n);
}

function checkHistogram(path: string, v: unknown, field: string): void {
  try {
    Histogram.fromJSON(v as never, field);
  } catch (e) {
    throw importError(path, `${(e as Error).message}`);
  }
}

/** Checks the shape of a LoadResult read from JSON; returns it typed. */
export function checkLoadResult(doc: Record<string, unknown>, path: string): LoadResult {
  if (doc.model !== 'open' && doc.model !== 'closed') fail(path, 'model', '"open" or "closed"', doc.model);
  need(path, doc, 'url', '', 'string');
  for (const f of ['startedAt', 'durationMs', 'sent', 'completed', 'errors', 'timeouts', 'throughput']) need(path, doc, f, '', 'number');
  checkSummary(path, doc.latency, 'latency');
  checkSummary(path, doc.serviceTime, 'serviceTime');
  checkCounts(path, doc.statuses, 'statuses');
  if (!Array.isArray(doc.routes)) fail(path, 'routes', 'an array', doc.routes);
  (doc.routes as unknown[]).forEach((r, i) => {
    const at = `routes[${i}]`;
    if (!isObject(r)) fail(path, at, 'an object', r);
    need(path, r, 'name', `${at}.`, 'string');
    need(path, r, 'sent', `${at}.`, 'number');
    need(path, r, 'completed', `${at}.`, 'number');
    checkCounts(path, r.statuses, `${at}.statuses`);
    checkCounts(path, r.errors, `${at}.errors`);
    checkSummary(path, r.latency, `${at}.latency`);
    checkSummary(path, r.serviceTime, `${at}.serviceTime`);
    checkHistogram(path, r.histogram, `${at}.histogram`);
    checkHistogram(path, r.serviceHistogram, `${at}.serviceHistogram`);
    // Optional counts of the route's requests, which judges and notes read as such.
    for (const f of ['queuedTimeouts', 'shed', 'replayed'] as const) {
      const n = r[f];
      if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) fail(path, `${at}.${f}`, 'a whole number', n);
    }
  });
  if (doc.notes === undefined) doc.notes = [];
  if (!Array.isArray(doc.notes) || doc.notes.some((n) => typeof n !== 'string')) fail(path, 'notes', 'an array of strings', doc.notes);
  if (doc.generator !== undefined) {
    const g = doc.generator;
    if (!isObject(g)) fail(path, 'generator', 'an object', g);
    if (typeof g.ok !== 'boolean') fail(path, 'generator.ok', 'true or false', g.ok);
    if (!Array.isArray(g.reasons)) fail(path, 'generator.reasons', 'an array of strings', g.reasons);
    need(path, g, 'achievedRate', 'generator.', 'number');
  }
  return doc as unknown as LoadResult;
}

/** Fields of a summary that hold no measurement (see LatencySummary.absent). */
export function isAbsent(s: LatencySummary, field: NonNullable<LatencySummary['absent']>[number]): boolean {
  return s.absent?.includes(field) === true;
}
