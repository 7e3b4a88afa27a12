// The drill report (`sloctl drill`) as the terminal table, JSON, JUnit XML and Markdown. Pure:
// report in, text out (the CLI writes the files and the GitHub step summary).
//
// Per drill: its outcome; the objectives during the fault from both sides of the wire (client /
// service); detection time and the signal that showed the fault, against detectWithin; recovery
// time against recoverWithin; whether the fault was removed. Then the reasons, the resilience score
// with the rule that computes it, and the outcome last (where the eye lands when the command ends).
import { formatDuration } from '../contract/units.ts';
import { formatSuccess, formatValue } from '../verdicts/format.ts';
import { windowCheckLabel, type DrillVerdict, type WindowCheck } from '../verdicts/drill-types.ts';
import type { DrillRunReport } from '../drill/run.ts';
import { jsonSafe } from './json.ts';
import { xmlAttr, xmlText } from './junit.ts';
import { mdCell, mdText } from './markdown.ts';
import { printable } from './format.ts';
import { serviceEvidenceLines } from './evidence.ts';
import { targetText } from './target.ts';

export interface DrillTableOptions {
  color?: boolean;
}

const CODES: Record<string, string> = { pass: '32', fail: '31', inconclusive: '33', 'target-failed': '31' };

function label(o: string): string {
  return o === 'target-failed' ? 'TARGET FAILED' : o.toUpperCase();
}

/** "PASS (exit 0)". */
export function drillOutcomeHead(r: DrillRunReport): string {
  return `${label(r.outcome)} (exit ${r.exitCode})`;
}

/** "latency 400ms on payments", "event-loop-block in the service". */
export function faultText(v: Pick<DrillVerdict, 'fault' | 'target'>): string {
  return `${v.fault} → ${v.target}`;
}

/**
 * A window check's measured values, client / service: "latency 500 ms 97.1% / 96.8% (objective
 * 95%, ok)", "weighted success 99.2% / 99.4% (objective 97%, ok)" (the errors check's values are
 * weighted success, never a share of errors; below 0% it says 0% and why, formatSuccess).
 */
export function checkText(c: WindowCheck): string {
  const side = (x: number) => (c.name === 'errors' && c.unit === 'ratio' ? formatSuccess(x) : formatValue(x, c.unit));
  const mark = c.met === undefined ? 'not judged' : c.met ? 'ok' : 'MISSED';
  return `${windowCheckLabel(c)} ${side(c.client)} / ${side(c.service)} (objective ${formatValue(c.objective, c.unit)}, ${mark})`;
}

function seconds(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

function met(m: boolean | undefined): string {
  return m === undefined ? 'not judged' : m ? 'met' : 'MISSED';
}

/** "1.8s (health DEGRADED), within 10s: met". */
export function detectionText(v: DrillVerdict): string {
  if (v.notRun) return 'not run';
  const d = v.detection;
  const seen = d.ms === undefined ? 'not seen' : `${seconds(d.ms)}${d.signal ? ` (${d.signal})` : ''}`;
  return `${seen}, within ${formatDuration(d.withinMs)}: ${met(d.met)}`;
}

export function recoveryText(v: DrillVerdict): string {
  if (v.notRun) return 'not run';
  const r = v.recovery;
  return `${r.ms === undefined ? 'not recovered' : seconds(r.ms)}, within ${formatDuration(r.withinMs)}: ${met(r.met)}`;
}

export function duringText(v: DrillVerdict): string {
  if (!v.during.judged) return `not judged (${v.during.why ?? 'no degraded objectives'})`;
  return v.during.checks.map(checkText).join('; ') || 'no check';
}

function scoreText(r: DrillRunReport): string {
  const s = Number.isFinite(r.resilienceScore) ? `${Math.round(r.resilienceScore * 10) / 10}/100` : 'n/a (no drill could be judged)';
  return `resilience score: ${s}${r.scoreRule ? ` (${r.scoreRule})` : ''}`;
}

/** "checkout (slo.yaml): started `npm start` at http://127.0.0.1:8080" (src/report/target.ts). */
function targetHead(r: DrillRunReport): string {
  return `${r.service} (${r.contractFile}): ${targetText(r.target)}`;
}

function profileText(r: DrillRunReport): string {
  const p = r.profile;
  const rate = p.rate === 'max' ? 'max' : `${p.rate}/s`;
  return `${rate} open model, ${p.connections} connections, warm-up ${formatDuration(p.warmupMs)}, steady ${formatDuration(p.steadyMs)} before each fault, ${p.sliceMs} ms slices`;
}

function grid(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** Short cells for the table: "2.8s ≤ 10s", "not seen (5s)", "held", "MISSED". */
function detectedCell(v: DrillVerdict): string {
  if (v.notRun) return '-';
  const d = v.detection;
  return d.ms === undefined ? `not seen (${formatDuration(d.withinMs)})` : `${seconds(d.ms)} ${d.met === false ? '>' : '≤'} ${formatDuration(d.withinMs)}`;
}
function recoveredCell(v: DrillVerdict): string {
  if (v.notRun) return '-';
  const r = v.recovery;
  return r.ms === undefined ? `not recovered (${formatDuration(r.withinMs)})` : `${seconds(r.ms)} ${r.met === false ? '>' : '≤'} ${formatDuration(r.withinMs)}`;
}
function duringCell(v: DrillVerdict): string {
  if (!v.during.judged) return '-';
  return v.during.checks.every((c) => c.met === true) ? 'held' : v.during.checks.some((c) => c.met === false) ? 'MISSED' : 'n/a';
}

export function renderDrillTable(r: DrillRunReport, options: DrillTableOptions = {}): string {
  const paint = (text: string, o: string) => (options.color ? `\u001b[${CODES[o] ?? '0'}m${text}\u001b[0m` : text);
  const out: string[] = [];
  out.push(printable(`sloctl drill: ${targetHead(r)}`));
  out.push(printable(`profile: ${profileText(r)}`));
  out.push('');
  if (r.drills.length === 0) out.push('No drill was judged.');
  else {
    const rows = [['DRILL', 'FAULT', 'DURING', 'DETECTED', 'RECOVERED', 'REMOVED', 'OUTCOME']];
    for (const v of r.drills) rows.push([v.name, faultText(v), duringCell(v), detectedCell(v), recoveredCell(v), !v.removed.ok ? 'NO' : v.notRun ? '-' : 'yes', label(v.outcome)]);
    // The outcome is the last column: coloured after padding, so escape codes never count toward a width.
    grid(rows).forEach((line, i) => out.push(i === 0 ? line : printable(line.slice(0, line.length - label(r.drills[i - 1].outcome).length)) + paint(label(r.drills[i - 1].outcome), r.drills[i - 1].outcome)));
    out.push('');
    for (const v of r.drills) {
      out.push(printable(`${v.name}: ${faultText(v)}`));
      // A drill that never ran says only that: its reason and fix are under the outcome.
      if (v.notRun) {
        const unjudged = ['steady state', ...(v.during.why === 'the fault never ran' ? ['degraded objectives'] : []), 'detection', 'recovery'];
        out.push(printable(`  not run: the fault never ran, so nothing was judged (${unjudged.join(', ')}); why, and what to do: below${v.removed.ok ? '' : `; removed: ${v.removed.detail}`}`));
        continue;
      }
      out.push(printable(`  steady state before: ${v.steady.met === undefined ? 'not judged' : v.steady.met ? 'met' : 'NOT met'}${v.steady.checks.length ? ` (${v.steady.checks.map(checkText).join('; ')})` : ''}`));
      out.push(printable(`  during the fault (client / service): ${duringText(v)}`));
      out.push(printable(`  detection: ${detectionText(v)}`));
      out.push(printable(`  recovery: ${recoveryText(v)}`));
      out.push(printable(`  removed: ${v.removed.detail}`));
      // A drill that did not pass has its reasons under the outcome; a pass may carry notes.
      // A passing drill's reasons are notes; those that say so already are not prefixed twice.
      if (v.outcome === 'pass') for (const reason of v.reasons) out.push(...printable(`  ${reason.startsWith('note: ') ? '' : 'note: '}${reason}`, true).split('\n'));
    }
  }
  // The profiles the service's saturation monitor wrote meanwhile: where to look first.
  const evidence = serviceEvidenceLines(r.evidence ?? []);
  if (evidence.length > 0) out.push('', ...evidence.map((l) => printable(l)));
  out.push('');
  out.push(scoreText(r));
  out.push('');
  out.push(paint(drillOutcomeHead(r), r.outcome));
  const reasons = r.reasons.length > 0 ? r.reasons : r.outcome === 'pass' ? ['every drill passed'] : [];
  for (const reason of reasons) out.push(...printable(`  ${reason}`, true).split('\n'));
  out.push(`journal: ${r.journal}`);
  return out.join('\n');
}

/** The report as JSON: NaN as null, the report's own key order. */
export function renderDrillJson(r: DrillRunReport): string {
  return JSON.stringify(r, jsonSafe, 2);
}

/** One <testcase> per drill: fail -> <failure>, inconclusive -> <error> (CI never shows it green), pass -> <system-out>. */
export function renderDrillJunit(r: DrillRunReport): string {
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const v of r.drills) {
    const detail = [`fault: ${faultText(v)}`, `during: ${duringText(v)}`, `detection: ${detectionText(v)}`, `recovery: ${recoveryText(v)}`, `removed: ${v.removed.detail}`, ...v.reasons].join('\n');
    const head = `    <testcase name="${xmlAttr(v.name)}" classname="${xmlAttr(`sloctl.drill.${r.service}`)}">`;
    const message = v.reasons[0] ?? label(v.outcome);
    if (v.outcome === 'fail') {
      failures++;
      cases.push(head, `      <failure message="${xmlAttr(message)}" type="drill">${xmlText(detail)}</failure>`, '    </testcase>');
    } else if (v.outcome === 'inconclusive') {
      errors++;
      cases.push(head, `      <error message="${xmlAttr(message)}" type="inconclusive">${xmlText(detail)}</error>`, '    </testcase>');
    } else cases.push(head, `      <system-out>${xmlText(detail)}</system-out>`, '    </testcase>');
  }
  // A run that could not judge at all (the target failed, nothing ran) still shows as an error.
  if (r.drills.length === 0 || r.outcome === 'target-failed') {
    errors++;
    cases.push(`    <testcase name="drill outcome" classname="${xmlAttr(`sloctl.drill.${r.service}`)}">`, `      <error message="${xmlAttr(r.reasons[0] ?? drillOutcomeHead(r))}" type="${xmlAttr(r.outcome)}">${xmlText(r.reasons.join('\n'))}</error>`, '    </testcase>');
  }
  const tests = r.drills.length + (r.drills.length === 0 || r.outcome === 'target-failed' ? 1 : 0);
  const time = ((r.finishedAt - r.startedAt) / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sloctl drill" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${xmlAttr(`sloctl drill ${r.service}`)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    ...cases,
    `    <system-out>${xmlText([scoreText(r), ...serviceEvidenceLines(r.evidence ?? []), drillOutcomeHead(r)].join('\n'))}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function renderDrillMarkdown(r: DrillRunReport): string {
  const out: string[] = [];
  out.push(`### sloctl drill: ${mdText(r.service)}: ${drillOutcomeHead(r)}`, '');
  out.push(`${mdText(targetHead(r))}  `, `Profile: ${mdText(profileText(r))}`, '');
  if (r.drills.length === 0) out.push('No drill was judged.', '');
  else {
    out.push('| Drill | Fault | Outcome | During (client / service) | Detected | Recovered | Removed |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const v of r.drills) out.push(`| ${[v.name, faultText(v), label(v.outcome), duringText(v), detectionText(v), recoveryText(v), v.removed.ok ? 'yes' : 'NO'].map(mdCell).join(' | ')} |`);
    out.push('');
    for (const v of r.drills) for (const reason of v.reasons) out.push(`- **${mdText(v.name)}**: ${mdText(reason)}`);
    if (r.drills.some((v) => v.reasons.length > 0)) out.push('');
  }
  for (const l of serviceEvidenceLines(r.evidence ?? [])) out.push(`${mdText(l)}  `);
  if ((r.evidence ?? []).length > 0) out.push('');
  out.push(mdText(scoreText(r)), '');
  out.push(`**${drillOutcomeHead(r)}**`, '');
  for (const reason of r.reasons) out.push(`- ${mdText(reason)}`);
  out.push('', `Journal: ${mdText(r.journal)}`);
  return `${out.join('\n')}\n`;
}
