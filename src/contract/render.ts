// Findings as people read them: `file:line:col`, the line itself, a caret under the spot, a hint.
// The first line of each finding is grep- and editor-friendly (`file:line:col: error: ...`).
import type { Diagnostic } from './diagnostic.ts';

export interface RenderOptions {
  /** The source text of each file, to quote the offending line. */
  sources?: ReadonlyMap<string, string>;
  color?: boolean;
}

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderDiagnostic(d: Diagnostic, opts: RenderOptions = {}): string {
  const color = opts.color ?? false;
  const sev = d.severity === 'error' ? paint(color, 31, 'error') : paint(color, 33, 'warning');
  const out = [`${d.file}:${d.line}:${d.col}: ${sev} ${d.code}: ${d.message}`];
  const source = opts.sources?.get(d.file);
  if (source !== undefined) {
    const text = source.split(/\r?\n/)[d.line - 1];
    if (text !== undefined) {
      const gutter = String(d.line).length;
      // Control characters from a binary or hostile file must not reach the terminal as escapes.
      // eslint-disable-next-line no-control-regex
      const shown = text.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '\ufffd');
      const width = d.endLine === d.line && d.endCol !== undefined && d.endCol > d.col ? d.endCol - d.col : 1;
      out.push(`${' '.repeat(gutter)} |`);
      out.push(`${d.line} | ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`);
      out.push(`${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, d.col - 1))}${paint(color, 31, '^'.repeat(Math.min(width, 80)))}`);
    }
  }
  if (d.hint) out.push(`  ${paint(color, 36, 'hint')}: ${d.hint}`);
  for (const r of d.related ?? []) out.push(`  ${paint(color, 2, 'note')}: ${r.file}:${r.line}:${r.col}: ${r.message}`);
  return out.join('\n');
}
