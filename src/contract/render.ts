// Findings as people read them: `file:line:col`, the line itself, a caret under the spot, a hint.
// The first line of each finding is grep- and editor-friendly (`file:line:col: error: ...`).
import type { Diagnostic } from './diagnostic.ts';

export interface RenderOptions {
  /** The source text of each file, to quote the offending line. */
  sources?: ReadonlyMap<string, string>;
  color?: boolean;
}

/**
 * One line table per source text, shared by every finding of that file: the start offset of each
 * line, computed once. Splitting the file again for each finding made 50,000 findings quadratic.
 * Cached weakly by the `sources` map a caller passes for all its findings.
 */
const lineTables = new WeakMap<ReadonlyMap<string, string>, Map<string, { text: string; starts: number[] }>>();

function lineStarts(sources: ReadonlyMap<string, string>, file: string, text: string): number[] {
  let tables = lineTables.get(sources);
  if (!tables) lineTables.set(sources, (tables = new Map()));
  const cached = tables.get(file);
  if (cached && cached.text === text) return cached.starts;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  tables.set(file, { text, starts });
  return starts;
}

/** Line `line` (1-based) of `text` without its line break, as `text.split(/\r?\n/)[line - 1]` would give. */
export function lineOf(sources: ReadonlyMap<string, string>, file: string, text: string, line: number): string | undefined {
  const starts = lineStarts(sources, file, text);
  if (!Number.isInteger(line) || line < 1 || line > starts.length) return undefined;
  const start = starts[line - 1];
  const end = line < starts.length ? starts[line] - 1 : text.length;
  return text.endsWith('\r', end) && end > start && line < starts.length ? text.slice(start, end - 1) : text.slice(start, end);
}

const SHOWN = 200; // characters of the line quoted

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderDiagnostic(d: Diagnostic, opts: RenderOptions = {}): string {
  const color = opts.color ?? false;
  const sev = d.severity === 'error' ? paint(color, 31, 'error') : paint(color, 33, 'warning');
  const out = [`${d.file}:${d.line}:${d.col}: ${sev} ${d.code}: ${d.message}`];
  const source = opts.sources?.get(d.file);
  if (source !== undefined && opts.sources) {
    const text = lineOf(opts.sources, d.file, source, d.line);
    if (text !== undefined) {
      const gutter = String(d.line).length;
      // Control characters from a binary or hostile file must not reach the terminal as escapes.
      // Only the part shown is cleaned: a line may be a megabyte long. (Both replacements keep one
      // UTF-16 unit per unit, so columns still line up with the caret.)
      // eslint-disable-next-line no-control-regex
      const clean = (t: string) => t.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '\ufffd');
      // A window of the line around the column: its start, or from a little before a far column.
      const from = d.col - 1 > SHOWN - 40 ? d.col - 1 - 40 : 0;
      const shown = `${from > 0 ? '…' : ''}${clean(text.slice(from, from + SHOWN))}${text.length > from + SHOWN ? '…' : ''}`;
      const caretAt = Math.max(0, d.col - 1 - from) + (from > 0 ? 1 : 0);
      const width = d.endLine === d.line && d.endCol !== undefined && d.endCol > d.col ? d.endCol - d.col : 1;
      out.push(`${' '.repeat(gutter)} |`);
      out.push(`${d.line} | ${shown}`);
      out.push(`${' '.repeat(gutter)} | ${' '.repeat(caretAt)}${paint(color, 31, '^'.repeat(Math.min(width, 80)))}`);
    }
  }
  if (d.hint) out.push(`  ${paint(color, 36, 'hint')}: ${d.hint}`);
  for (const r of d.related ?? []) out.push(`  ${paint(color, 2, 'note')}: ${r.file}:${r.line}:${r.col}: ${r.message}`);
  return out.join('\n');
}
