// The gate report as GitHub-flavoured Markdown: for `--markdown PATH` and the job summary
// ($GITHUB_STEP_SUMMARY). The outcome comes first here (a summary page is read top-down), then the
// objectives table, the baseline table, the generator's check, the reasons and the notes.
//
// Text from the contract or the service (names, reasons, log lines) is escaped so that it cannot
// break a table (pipes, newlines) or turn into markup (*, _, `, [, <, &...): every ASCII
// punctuation character may be backslash-escaped in CommonMark, and a table cell cannot hold a
// newline, so inline text has newlines as spaces (multi-line reasons get a code block under their
// bullet).
import { appendFileSync } from 'node:fs';
import { formatValue } from '../verdicts/format.ts';
import {
  formatChange,
  formatMargin,
  formatObjective,
  formatTest,
  formatTolerance,
  generatorLagLines,
  generatorLine,
  isoTime,
  metricLabel,
  outcomeHead,
  outcomeReasons,
  profileLine,
  ROUTE_HEAD,
  routeRows,
  targetLine,
  measuredCell,
  serviceCell,
  verdictCell,
  verdictLabel,
} from './format.ts';
import { evidenceLines, serviceEvidenceFor, serviceEvidenceLines, unmatchedServiceEvidence, type EvidenceLine } from './evidence.ts';
import type { Evidence, GateReport } from '../verdicts/types.ts';

/** Inline text: markup characters escaped, control characters dropped (newlines to spaces). */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\\`*_{}[\]<>|~&!#]/g, (c) => `\\${c}`);
}

/** A table cell: inline text, never empty (an empty cell is fine in GFM, but "-" reads better). */
export function mdCell(s: string): string {
  const t = mdText(s.trim());
  return t === '' ? '-' : t;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], rows: string[][]): string[] {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)];
}

/** A reason that may span lines: the first line as the bullet, the rest as a code block under it. */
function bullet(reason: string): string[] {
  const [first, ...rest] = reason.replace(/\r\n?/g, '\n').split('\n');
  // Text that would open a block inside the item (a nested list, a setext underline) is escaped.
  const start = mdText(first).replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
  const out = [`- ${start}`];
  const body = rest.join('\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trimEnd();
  if (body !== '') {
    // A fence longer than any run of backticks inside, so the text cannot close it.
    const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(Math.max(3, longest + 1));
    out.push(`  ${fence}text`, ...body.split('\n').map((l) => `  ${l}`), `  ${fence}`);
  }
  return out;
}

/** The files in the row's Why cell: "captured: PATH, PATH", "the pprof capture failed". */
function evidenceCell(evidence: readonly Evidence[]): string {
  const paths = evidence.flatMap((e) => (e.path !== undefined ? [e.path] : []));
  const failed = evidence.length - paths.length;
  if (paths.length === 0) return 'the pprof capture failed';
  return `captured: ${paths.join(', ')}${failed > 0 ? `; ${failed} not captured` : ''}`;
}

/** A file's line with its path as code ("goroutine dump: `PATH` (120 KiB)"); a failure as text. */
function evidenceMarkdown(l: EvidenceLine): string {
  const at = l.path === undefined ? -1 : l.text.indexOf(l.path);
  if (l.path === undefined || at < 0 || /[\u0000-\u001f\u007f]/.test(l.path)) return mdText(l.text);
  const longest = Math.max(0, ...[...l.path.matchAll(/`+/g)].map((x) => x[0].length));
  const tick = '`'.repeat(longest + 1);
  const pad = longest > 0 ? ' ' : '';
  return `${mdText(l.text.slice(0, at))}${tick}${pad}${l.path}${pad}${tick}${mdText(l.text.slice(at + l.path.length))}`;
}

export function renderMarkdown(r: GateReport): string {
  const out: string[] = [];
  out.push(`### sloctl gate: ${mdText(r.service)}: ${outcomeHead(r)}`, '');
  out.push(`${mdText(targetLine(r))}  `, `Profile: ${mdText(profileLine(r))}`, '');

  if (r.verdicts.length === 0) out.push('No objective was judged.', '');
  else {
    const rows = r.verdicts.map((v) => [
      mdCell(v.contract),
      mdCell(v.name),
      mdCell(verdictCell(v, v.client)),
      mdCell(serviceCell(v)),
      mdCell(measuredCell(v)),
      mdCell(formatObjective(v)),
      mdCell(formatMargin(v)),
      v.verdict === 'fail' ? `**${verdictLabel(v.verdict)}**` : verdictLabel(v.verdict),
      mdCell(v.evidence?.length ? `${v.reason} (${evidenceCell(v.evidence)}; see below)` : v.reason),
    ]);
    out.push(...table(['Contract', 'Objective', 'Client', 'Service', 'Measured', 'Required', 'Margin', 'Verdict', 'Why'], rows), '');
    // Files captured from the service (concurrency.pprof): per row, where they are or why not, and the dump's biggest stacks.
    const withEvidence = r.verdicts.filter((v) => (v.evidence?.length ?? 0) > 0);
    if (withEvidence.length > 0) {
      out.push('Captured from the service:', '');
      for (const v of withEvidence) {
        out.push(`- ${mdText(`${v.contract} ${v.name}`)}`);
        for (const l of evidenceLines(v)) out.push(`${'  '.repeat(l.depth + 1)}- ${evidenceMarkdown(l)}`);
      }
      out.push('');
    }
    // The service's own saturation evidence (Node SDK): under the verdict it explains, or on its own.
    const saturation = [
      ...r.verdicts.flatMap((v) => serviceEvidenceLines(serviceEvidenceFor(r.serviceEvidence, v)).map((l) => `- ${mdText(`${v.contract} ${v.name}: ${l}`)}`)),
      ...serviceEvidenceLines(unmatchedServiceEvidence(r.serviceEvidence, r.verdicts)).map((l) => `- ${mdText(l)}`),
    ];
    if (saturation.length > 0) out.push('Written by the service (saturation monitor):', '', ...saturation, '');
  }

  if (r.routes && r.routes.length > 0) {
    out.push('Routes (client: corrected latency; service: its histogram, estimated between buckets):', '');
    const head = ROUTE_HEAD.map((h) => h.charAt(0) + h.slice(1).toLowerCase());
    const rows = routeRows(r.routes).map((row) => row.map((c, i) => (i === row.length - 1 && c !== '-' ? `**${mdCell(c)}**` : mdCell(c))));
    out.push(...table(head, rows), '');
  }

  const b = r.baseline;
  if (b) {
    const commit = b.commit !== undefined ? `, commit ${b.commit}` : '';
    out.push(`Baseline ${mdText(b.path)} (${mdText(isoTime(b.createdAt) + commit)}): ${verdictLabel(b.verdict)}`, '');
    if (b.comparisons.length > 0) {
      const rows = b.comparisons.map((c) => [
        mdCell(metricLabel(c.metric)),
        mdCell(formatValue(c.baselineMedian, c.unit)),
        mdCell(formatValue(c.currentMedian, c.unit)),
        mdCell(formatChange(c)),
        mdCell(formatTolerance(c)),
        mdCell(formatTest(c)),
        c.verdict === 'fail' ? `**${verdictLabel(c.verdict)}**` : verdictLabel(c.verdict),
        mdCell(c.reason),
      ]);
      out.push(...table(['Metric', 'Baseline (median)', 'Current (median)', 'Change', 'Tolerance', 'Test', 'Verdict', 'Why'], rows), '');
    }
  }
  if (r.baselineUpdated !== undefined) out.push(`Baseline updated: ${mdText(r.baselineUpdated)}`, '');
  if (r.generator) {
    out.push(`Load generator: ${mdText(generatorLine(r.generator, r))}`, '');
    if (!r.generator.ok) out.push(...r.generator.reasons.flatMap(bullet), '');
    const lag = generatorLagLines(r);
    if (lag.length > 0) out.push(...lag.flatMap(bullet), '');
  }

  out.push(`**${outcomeHead(r)}**`, '');
  const reasons = outcomeReasons(r);
  for (const reason of reasons) out.push(...bullet(reason));
  // What did not decide the outcome, apart from what did.
  if (r.notes.length > 0) out.push(...(reasons.length > 0 ? [''] : []), 'Notes:', '', ...r.notes.flatMap(bullet));
  if (r.journal) out.push('', `Journal: ${mdText(r.journal)}`);
  return `${out.join('\n')}\n`;
}

/**
 * Appends the Markdown to the GitHub Actions job summary when $GITHUB_STEP_SUMMARY is set; returns
 * the file written, or undefined when not running there. Throws when the file cannot be written.
 */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.GITHUB_STEP_SUMMARY;
  if (path === undefined || path === '') return undefined;
  appendFileSync(path, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
  return path;
}
