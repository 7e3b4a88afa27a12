// `sloctl accept`'s report: the one verdict, a row per contract with every check under it (the
// reason of each carries its numbers), the phases with their times; as a table (stdout), JSON,
// Markdown, JUnit (one test case per contract) and the HTML page (the gate's and the drills'
// sections under a card per contract). Pure: strings out.
import type { AcceptReport } from '../accept/run.ts';
import type { DrillTimeline } from './html-model.ts';
import { htmlFromDrill, htmlFromGate, type HtmlCard, type HtmlReportModel, type HtmlSection } from './html-model.ts';
import { jsonSafe } from './json.ts';
import { xmlAttr, xmlText } from './junit.ts';
import { reasonOutcome, type ContractOutcome } from '../verdicts/accept.ts';
import { targetText } from './target.ts';

const ROW_LABEL: Record<ContractOutcome, string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', 'not-judged': 'NOT JUDGED' };
const OUTCOME_LABEL: Record<AcceptReport['outcome'], string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', 'target-failed': 'TARGET FAILED' };
const MARK: Record<ContractOutcome, string> = { pass: '✓', fail: '✗', inconclusive: '?', 'not-judged': '-' };

/** A check's word: WARN for a pass with a warning (over a limit it could not judge), never PASS beside it. */
const checkLabel = (x: AcceptReport['contracts'][number]['checks'][number]): string => (x.warn ? 'WARN' : ROW_LABEL[x.outcome]);

/** "2m41s", "38.2s", "840 ms". */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

function head(r: AcceptReport): string[] {
  const judged = r.contracts.filter((c) => c.outcome !== 'not-judged').length;
  return [
    `sloctl accept: ${OUTCOME_LABEL[r.outcome]}  ${r.service} (${r.contractFile}): ${judged} of ${r.contracts.length} contracts judged (exit ${r.exitCode})`,
    `target: ${targetText(r.target)}${r.target.log ? `; log ${r.target.log}` : ''}; ${elapsed(r.finishedAt - r.startedAt)}; journal ${r.journal}`,
  ];
}

export function renderAcceptTable(r: AcceptReport): string {
  const out = [...head(r), ''];
  const w = Math.max(...r.contracts.map((c) => c.contract.length), 'CONTRACT'.length);
  out.push(`${'CONTRACT'.padEnd(w)}  ${'OUTCOME'.padEnd(12)}  CHECKS`);
  for (const c of r.contracts) {
    out.push(`${c.contract.padEnd(w)}  ${ROW_LABEL[c.outcome].padEnd(12)}  ${c.checks.length === 0 ? c.reason : `${c.checks.filter((x) => x.outcome === 'pass').length} of ${c.checks.length} held`}`);
    for (const x of c.checks) out.push(`${' '.repeat(w + 2)}${x.warn ? '!' : MARK[x.outcome]} ${x.name}: ${x.warn ? 'WARN ' : ''}${x.reason}`);
  }
  out.push('', 'PHASE                     TIME      RESULT');
  for (const p of r.phases) out.push(`${p.phase.padEnd(24)}  ${elapsed(p.finishedAt - p.startedAt).padEnd(8)}  ${p.result}`);
  if (r.reasons.length > 0) {
    out.push('');
    // A row's sentence says the row's word (an INCONCLUSIVE row under a FAIL outcome is not a failure); the run's own notes say the outcome's.
    for (const reason of r.reasons) {
      // A note (the gate's, repeated) is no reason for the outcome: said as a note.
      if (reason.startsWith('note: ')) {
        out.push(reason);
        continue;
      }
      const row = reasonOutcome(r.contracts, reason);
      out.push(`${row ? ROW_LABEL[row] : OUTCOME_LABEL[r.outcome]}: ${reason}`);
    }
  }
  return out.join('\n');
}

export function renderAcceptJson(r: AcceptReport): string {
  return JSON.stringify(r, jsonSafe, 2);
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderAcceptMarkdown(r: AcceptReport): string {
  const out = [`## sloctl accept: ${OUTCOME_LABEL[r.outcome]} — ${mdCell(r.service)}`, '', head(r)[1], '', '| Contract | Outcome | Why |', '| --- | --- | --- |'];
  for (const c of r.contracts) out.push(`| ${c.contract} | ${c.outcome === 'fail' ? '**FAIL**' : ROW_LABEL[c.outcome]} | ${mdCell(c.reason)} |`);
  if (r.reasons.length > 0) out.push('', ...r.reasons.map((x) => `- ${mdCell(x)}`));
  return `${out.join('\n')}\n`;
}

/** One test case per contract: fail -> <failure>, inconclusive -> <error> (never green), not judged -> <skipped>. */
export function renderAcceptJunit(r: AcceptReport): string {
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const cases = r.contracts.map((c) => {
    const detail = c.checks.map((x) => `${checkLabel(x)} ${x.name}: ${x.reason}`).join('\n');
    const open = `    <testcase name="${xmlAttr(c.contract)}" classname="sloctl.accept.${xmlAttr(r.service)}" time="0">`;
    if (c.outcome === 'fail') {
      failures++;
      return `${open}\n      <failure message="${xmlAttr(c.reason)}" type="contract">${xmlText(detail)}</failure>\n    </testcase>`;
    }
    if (c.outcome === 'inconclusive') {
      errors++;
      return `${open}\n      <error message="${xmlAttr(`inconclusive: ${c.reason}`)}" type="inconclusive">${xmlText(detail)}</error>\n    </testcase>`;
    }
    if (c.outcome === 'not-judged') {
      skipped++;
      return `${open}\n      <skipped message="${xmlAttr(c.reason)}"/>\n    </testcase>`;
    }
    return `${open}\n      <system-out>${xmlText(detail)}</system-out>\n    </testcase>`;
  });
  if (r.outcome === 'target-failed') {
    errors++;
    cases.push(`    <testcase name="target" classname="sloctl.accept.${xmlAttr(r.service)}" time="0">\n      <error message="${xmlAttr(r.reasons[0] ?? 'the target failed')}" type="target-failed"/>\n    </testcase>`);
  }
  const time = ((r.finishedAt - r.startedAt) / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sloctl accept" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`,
    `  <testsuite name="${xmlAttr(`accept ${r.service}`)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${new Date(r.startedAt).toISOString().slice(0, 19)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The page: a card per contract (its checks as lines), the phases, then the gate's and the drills' own sections. */
export function htmlFromAccept(r: AcceptReport, timeline?: DrillTimeline): HtmlReportModel {
  const cards: HtmlCard[] = r.contracts.map((c) => ({
    title: c.contract,
    verdict: c.outcome === 'not-judged' ? 'skipped' : c.outcome,
    facts: [['checks', `${c.checks.filter((x) => x.outcome === 'pass').length} of ${c.checks.length} held`]],
    lines: c.checks.length === 0 ? [c.reason] : c.checks.map((x) => `${checkLabel(x)} ${x.name}: ${x.reason}`),
  }));
  const sections: HtmlSection[] = [
    { kind: 'cards', title: 'The eleven contracts', cards },
    { kind: 'table', title: 'Phases', head: ['Phase', 'Time', 'Result'], rows: r.phases.map((p) => [p.phase, elapsed(p.finishedAt - p.startedAt), p.result]) },
  ];
  const prefixed = (what: string, s: HtmlSection): HtmlSection => ({ ...s, title: `${what}: ${s.title}` });
  if (r.gate) sections.push(...htmlFromGate(r.gate).sections.map((s) => prefixed('Gate', s)));
  if (r.drills) sections.push(...htmlFromDrill(r.drills, timeline).sections.map((s) => prefixed('Drills', s)));
  return {
    title: `sloctl accept — ${r.service}`,
    subtitle: [head(r)[1], `started ${new Date(r.startedAt).toISOString()}`],
    verdict: { outcome: r.outcome, label: `${OUTCOME_LABEL[r.outcome]} (exit ${r.exitCode})`, reasons: r.reasons },
    sections,
    footer: [`journal: ${r.journal}`, 'made by sloctl accept'],
  };
}
