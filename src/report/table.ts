// The gate report as the terminal shows it: what ran against what, one row per objective with both
// views, the baseline comparison, the generator's check on itself, and the outcome with the
// reasons that decided it, then the notes beside it, last (where the eye lands when the command
// ends). Pure: report in, text out.
import { num } from '../evaluate/report.ts';
import { formatValue } from '../verdicts/format.ts';
import { evidenceText, serviceEvidenceFor, serviceEvidenceLines, unmatchedServiceEvidence } from './evidence.ts';
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
  printable,
  profileLine,
  ROUTE_HEAD,
  routeRows,
  targetLine,
  measuredCell,
  serviceCell,
  verdictCell,
  verdictLabel,
} from './format.ts';
import type { GateOutcome, GateReport, Verdict } from '../verdicts/types.ts';

/** The JSON rendering lives in render-json.ts; re-exported for callers that pick a format here. */
export { renderJson } from './json.ts';

export interface TableOptions {
  /** ANSI colors on verdicts and the outcome (the CLI passes its `color`: a TTY without NO_COLOR). */
  color?: boolean;
}

type Paint = (text: string, verdict: Verdict | GateOutcome) => string;

const CODES: Record<Verdict | GateOutcome, string> = {
  pass: '32',
  warn: '33',
  fail: '31',
  skipped: '2',
  inconclusive: '33',
  'target-failed': '31',
  usage: '31',
};

function painter(color: boolean): Paint {
  return color ? (text, v) => `\u001b[${CODES[v]}m${text}\u001b[0m` : (text) => text;
}

/**
 * Columns padded to their widest cell; the last column is not padded. `paintLast` colors the last
 * cell after padding, so escape codes never count toward a width.
 */
function grid(rows: string[][], paintLast?: (row: number, text: string) => string): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) =>
    r
      .map((cell, c) => (c === r.length - 1 ? (paintLast && i > 0 ? paintLast(i - 1, cell) : cell) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

/** A reason that may span lines (a target's log tail): the first line after `lead`, the rest indented. */
function block(lead: string, text: string, indent: string): string[] {
  const [first, ...rest] = printable(text, true).split('\n');
  return [`${lead}${first}`, ...rest.map((l) => `${indent}${l}`)];
}

export function renderTable(r: GateReport, options: TableOptions = {}): string {
  const paint = painter(options.color === true);
  const out: string[] = [];
  out.push(printable(`sloctl gate: ${targetLine(r)}`));
  out.push(printable(`profile: ${profileLine(r)}`));

  // Objectives.
  out.push('');
  if (r.verdicts.length === 0) {
    out.push('no objective was judged');
  } else {
    const head = ['CONTRACT', 'OBJECTIVE', 'CLIENT', 'SERVICE', 'MEASURED', 'REQUIRED', 'MARGIN', 'VERDICT'];
    const rows = r.verdicts.map((v) => [
      printable(v.contract),
      printable(v.name),
      verdictCell(v, v.client),
      serviceCell(v),
      measuredCell(v),
      formatObjective(v),
      formatMargin(v),
      verdictLabel(v.verdict),
    ]);
    out.push(...grid([head, ...rows], (i, text) => paint(text, r.verdicts[i].verdict)));
    // Not passing, or with files captured from the service (concurrency.pprof): the reason, then the files.
    // The service's own saturation evidence (Node SDK) goes under the verdict it explains.
    const notable = r.verdicts.filter((v) => v.verdict !== 'pass' || (v.evidence?.length ?? 0) > 0 || serviceEvidenceFor(r.serviceEvidence, v).length > 0);
    if (notable.length > 0) {
      out.push('');
      for (const v of notable) {
        out.push(...block(`${paint(verdictLabel(v.verdict), v.verdict)} ${printable(`${v.contract} ${v.name}`)}: `, v.reason, '    '));
        out.push(...evidenceText(v, '    ').map((l) => printable(l)));
        out.push(...serviceEvidenceLines(serviceEvidenceFor(r.serviceEvidence, v)).map((l) => printable(`    ${l}`)));
      }
    }
    const unmatched = serviceEvidenceLines(unmatchedServiceEvidence(r.serviceEvidence, r.verdicts));
    if (unmatched.length > 0) out.push('', ...unmatched.map((l) => printable(l)));
  }

  // Routes: a row per route and view, with the objectives each one makes fail.
  if (r.routes && r.routes.length > 0) {
    out.push('', 'routes (client: corrected latency, exact; service: its histogram, estimated between buckets):');
    const rows = routeRows(r.routes).map((row) => row.map((c) => printable(c)));
    out.push(...grid([ROUTE_HEAD, ...rows], (_i, text) => (text === '-' ? text : paint(text, 'fail'))));
  }

  // Trials, when there were several: the spread the baseline test works with.
  if (r.trials.length > 1) {
    const p95 = r.trials.map((t) => formatValue(t.p95Ms, 'ms')).join(', ');
    const err = r.trials.map((t) => formatValue(t.errorRatio, 'ratio')).join(', ');
    out.push('', `trials: p95 ${p95}; weighted error ratio ${err}`);
  }

  // The baseline.
  const b = r.baseline;
  if (b) {
    const commit = b.commit !== undefined ? `, commit ${b.commit}` : '';
    out.push('', printable(`baseline ${b.path} (${isoTime(b.createdAt)}${commit}): `) + paint(verdictLabel(b.verdict), b.verdict));
    if (b.comparisons.length > 0) {
      const head = ['METRIC', 'BASELINE', 'CURRENT', 'CHANGE', 'TOLERANCE', 'TEST', 'VERDICT'];
      const rows = b.comparisons.map((c) => [
        metricLabel(c.metric),
        formatValue(c.baselineMedian, c.unit),
        formatValue(c.currentMedian, c.unit),
        formatChange(c),
        formatTolerance(c),
        printable(formatTest(c)),
        verdictLabel(c.verdict),
      ]);
      out.push(...grid([head, ...rows], (i, text) => paint(text, b.comparisons[i].verdict)));
      for (const c of b.comparisons.filter((x) => x.verdict !== 'pass')) out.push(...block(`${paint(verdictLabel(c.verdict), c.verdict)} ${metricLabel(c.metric)}: `, c.reason, '    '));
    }
  }
  if (r.baselineUpdated !== undefined) out.push('', printable(`baseline updated: ${r.baselineUpdated}`));

  // The generator's check on itself.
  if (r.generator) {
    out.push('', printable(`generator: ${generatorLine(r.generator, r)}`));
    if (!r.generator.ok) for (const reason of r.generator.reasons) out.push(...block('  - ', reason, '    '));
    for (const line of generatorLagLines(r)) out.push(...block('  ', line, '    '));
  }

  // The outcome and the reasons that decided it; then what else to know, apart, so a note (how to
  // record the first baseline) never reads as one of the reasons a build failed.
  const reasons = outcomeReasons(r);
  out.push('');
  const head = paint(outcomeHead(r), r.outcome);
  if (reasons.length === 1) out.push(...block(`${head}: `, reasons[0], '  '));
  else {
    out.push(`${head}${reasons.length > 0 ? `: ${num(reasons.length)} reasons` : ''}`);
    for (const reason of reasons) out.push(...block('  - ', reason, '    '));
  }
  if (r.notes.length > 0) {
    out.push('notes:');
    for (const note of r.notes) out.push(...block('  - ', note, '    '));
  }
  if (r.journal) out.push(printable(`journal: ${r.journal}`));
  if (r.target.log !== undefined) out.push(printable(`target log: ${r.target.log}`));
  return out.join('\n');
}
