// The gate report as JUnit XML (`--junit PATH`), the format CI servers show as tests: Jenkins,
// GitLab, GitHub Actions reporters, Azure DevOps.
//
// One <testsuite> for the gate run; one <testcase> per objective verdict and per baseline metric:
//   fail    -> <failure message="the reason" type="objective|regression">measured ... </failure>
//   skipped -> <skipped message="the reason"/>
//   warn    -> passed, with the reason in <system-out> ("WARN: ...")
//   pass    -> passed, with what was measured in <system-out>
// A run that could not judge (INCONCLUSIVE, TARGET FAILED, USAGE ERROR) adds a "gate outcome" test
// case with an <error>, so CI never shows green for it; so does a FAIL no test case carries.
//
// Escaping: &, <, >, quotes (and in attributes tab, newline, carriage return, which attribute
// normalization would turn into spaces) become references. Characters XML 1.0 cannot carry at
// all (control characters other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF) become the
// text \u0001; no CDATA sections, so "]]>" in a name needs nothing special.
import { num } from '../evaluate/report.ts';
import { comparisonDetail, generatorLagLines, generatorLine, metricLabel, outcomeHead, outcomeLabel, outcomeReasons, profileLine, routeDetail, verdictDetail, visibleEscape } from './format.ts';
import { evidenceText, serviceEvidenceFor, serviceEvidenceLines, unmatchedServiceEvidence } from './evidence.ts';
import type { GateReport, MetricComparison, ObjectiveVerdict, RouteReport } from '../verdicts/types.ts';

/** Characters XML 1.0 cannot hold, not even as &#n; references (plus the discouraged C1 block). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udfff]/gu;

/** Element text. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML, visibleEscape).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value (for double quotes; single quotes escaped too, for any consumer). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

/** Seconds with millisecond precision, as JUnit's `time` is. */
function seconds(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0';
}

/** The first line of a possibly multi-line reason: what a CI list shows as the message. */
function firstLine(s: string): string {
  return s.split('\n', 1)[0];
}

interface Case {
  name: string;
  classname: string;
  /** Child elements, already rendered. */
  body: string[];
  kind: 'passed' | 'failure' | 'error' | 'skipped';
}

function verdictCase(r: GateReport, v: ObjectiveVerdict): Case {
  const classname = `sloctl.gate.${r.service}.${v.contract}`;
  // Files captured from the service for this row (concurrency.pprof): where they are, or why not.
  // And the service's own saturation evidence for this signal (Node SDK), named where it is.
  const saturation = serviceEvidenceLines(serviceEvidenceFor(r.serviceEvidence, v));
  const detail = [verdictDetail(v), ...evidenceText(v), ...saturation].join('\n');
  switch (v.verdict) {
    case 'fail':
      return { name: v.name, classname, kind: 'failure', body: [`<failure${attrs({ message: firstLine(v.reason), type: 'objective' })}>${xmlText(`${v.reason}\n${detail}`)}</failure>`] };
    case 'skipped':
      // Not judged (no series), yet the service may have written evidence for that signal: still named.
      return { name: v.name, classname, kind: 'skipped', body: [`<skipped${attrs({ message: firstLine(v.reason) })}/>`, ...(saturation.length > 0 ? [`<system-out>${xmlText(saturation.join('\n'))}</system-out>`] : [])] };
    case 'warn':
      return { name: v.name, classname, kind: 'passed', body: [`<system-out>${xmlText(`WARN: ${v.reason}\n${detail}`)}</system-out>`] };
    case 'pass':
      return { name: v.name, classname, kind: 'passed', body: [`<system-out>${xmlText(`PASS: ${v.reason}\n${detail}`)}</system-out>`] };
  }
}

function comparisonCase(r: GateReport, c: MetricComparison): Case {
  const classname = `sloctl.gate.${r.service}.baseline`;
  const name = `baseline ${metricLabel(c.metric)}`;
  const detail = comparisonDetail(c);
  switch (c.verdict) {
    case 'fail':
      return { name, classname, kind: 'failure', body: [`<failure${attrs({ message: firstLine(c.reason), type: 'regression' })}>${xmlText(`${c.reason}\n${detail}`)}</failure>`] };
    case 'skipped':
      return { name, classname, kind: 'skipped', body: [`<skipped${attrs({ message: firstLine(c.reason) })}/>`] };
    default:
      return { name, classname, kind: 'passed', body: [`<system-out>${xmlText(`${c.verdict.toUpperCase()}: ${c.reason}\n${detail}`)}</system-out>`] };
  }
}

/**
 * A route as a test case (classname sloctl.gate.<service>.route): failed when it makes an
 * objective fail (the message says which and with what numbers), else passed with its numbers.
 * A route the service does not have is already a failed "routes" case: not repeated here.
 */
function routeCase(r: GateReport, route: RouteReport): Case | undefined {
  const classname = `sloctl.gate.${r.service}.route`;
  const causes = route.causes.filter((c) => c !== `routes ${route.route}`);
  if (causes.length < route.causes.length && causes.length === 0) return undefined;
  const numbers = routeDetail(route);
  if (causes.length === 0) return { name: route.route, classname, kind: 'passed', body: [`<system-out>${xmlText(`PASS: ${numbers}`)}</system-out>`] };
  const why = causes.map((c) => {
    const v = r.verdicts.find((x) => `${x.contract} ${x.name}` === c);
    const cause = v?.routes?.find((x) => x.route === route.route);
    return cause ? `${c} (${cause.detail})` : c;
  });
  const message = `${route.route} makes ${why.join('; ')} fail`;
  return { name: route.route, classname, kind: 'failure', body: [`<failure${attrs({ message, type: 'route' })}>${xmlText(`${message}\n${numbers}`)}</failure>`] };
}

/** The notes beside the outcome, under a "notes:" line; none when there are none. */
function notesLines(r: GateReport): string[] {
  return r.notes.length > 0 ? ['notes:', ...r.notes.map((x) => `- ${x}`)] : [];
}

/** The outcome as a test case, when the per-objective cases alone would not show it. */
function outcomeCase(r: GateReport, cases: readonly Case[]): Case | undefined {
  const reasons = outcomeReasons(r);
  const message = `${outcomeHead(r)}${reasons.length > 0 ? `: ${firstLine(reasons[0])}` : ''}`;
  const text = xmlText([outcomeHead(r), ...reasons, ...notesLines(r)].join('\n'));
  const classname = `sloctl.gate.${r.service}`;
  if (r.outcome === 'pass') return undefined;
  if (r.outcome === 'fail') {
    if (cases.some((c) => c.kind === 'failure')) return undefined;
    return { name: 'gate outcome', classname, kind: 'failure', body: [`<failure${attrs({ message, type: 'fail' })}>${text}</failure>`] };
  }
  return { name: 'gate outcome', classname, kind: 'error', body: [`<error${attrs({ message, type: r.outcome })}>${text}</error>`] };
}

export function renderJunit(r: GateReport): string {
  const routeCases = (r.routes ?? []).map((x) => routeCase(r, x)).filter((c): c is Case => c !== undefined);
  const cases: Case[] = [...r.verdicts.map((v) => verdictCase(r, v)), ...routeCases, ...(r.baseline?.comparisons ?? []).map((c) => comparisonCase(r, c))];
  const outcome = outcomeCase(r, cases);
  if (outcome) cases.push(outcome);
  const count = (k: Case['kind']) => cases.filter((c) => c.kind === k).length;
  const time = seconds(r.finishedAt - r.startedAt);
  const timestamp = new Date(r.startedAt).toISOString().replace(/\.\d+Z$/, 'Z');

  const props: Array<[string, string | undefined]> = [
    ['contract', r.contractFile],
    ['target', r.target.url],
    ['target.command', r.target.command],
    ['outcome', r.outcome],
    ['exitCode', String(r.exitCode)],
    ['profile', profileLine(r)],
    ['baseline', r.baseline?.path],
    ['generator', r.generator ? [generatorLine(r.generator, r), ...r.generator.reasons, ...generatorLagLines(r)].join('; ') : undefined],
    ['journal', r.journal || undefined],
  ];
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: 'sloctl gate', tests: cases.length, failures: count('failure'), errors: count('error'), time })}>`);
  out.push(`  <testsuite${attrs({ name: `sloctl gate: ${r.service}`, tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped'), time, timestamp })}>`);
  out.push('    <properties>');
  for (const [name, value] of props) if (value !== undefined) out.push(`      <property${attrs({ name, value })}/>`);
  out.push('    </properties>');
  for (const c of cases) {
    const head = `    <testcase${attrs({ name: c.name, classname: c.classname, time: '0' })}`;
    if (c.body.length === 0) out.push(`${head}/>`);
    else out.push(`${head}>`, ...c.body.map((b) => `      ${b}`), '    </testcase>');
  }
  const summary = [`${outcomeLabel(r.outcome)} (exit ${num(r.exitCode)})`, ...outcomeReasons(r).map((x) => `- ${x}`), ...notesLines(r), ...serviceEvidenceLines(unmatchedServiceEvidence(r.serviceEvidence, r.verdicts))].join('\n');
  out.push(`    <system-out>${xmlText(summary)}</system-out>`);
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
