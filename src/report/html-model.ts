// What the HTML report shows, as data: a title, the verdict, and sections (cards, charts, tables),
// built from a gate report or a drill report by the adapters below. renderHtml (html.ts) draws any
// model, so `sloctl accept` can put a gate's sections and a drill's sections on one page. Pure: no
// I/O, no clock; strings are plain text here (html.ts escapes them).
import { formatDuration } from '../contract/units.ts';
import { Histogram } from '../measure/histogram.ts';
import type { LoadResult, LoadSlice } from '../measure/types.ts';
import { formatValue, formatVerdictValue } from '../verdicts/format.ts';
import type { DrillEvidence, DrillVerdict } from '../verdicts/drill-types.ts';
import type { GateReport, ObjectiveVerdict } from '../verdicts/types.ts';
import type { DrillRunReport } from '../drill/run.ts';
import { detectionText, drillOutcomeHead, duringText, faultText, recoveryText } from './drill.ts';
import { evidenceLines, serviceEvidenceFor, serviceEvidenceLines, unmatchedServiceEvidence } from './evidence.ts';
import { targetText } from './target.ts';
import {
  formatChange, formatMargin, formatObjective, formatTest, formatTolerance, generatorLagLines, generatorLine, isoTime, metricLabel, outcomeHead, outcomeReasons, profileLine, ROUTE_HEAD, routeRows, targetLine, serviceCell, verdictCell,
} from './format.ts';

export type HtmlOutcome = 'pass' | 'fail' | 'inconclusive' | 'target-failed' | 'usage';

export interface HtmlCard {
  title: string;
  /** pass, warn, fail, skipped, inconclusive: the card's colour and tag. */
  verdict: string;
  /** Label and value pairs ("client", "99.2%"). */
  facts: Array<[string, string]>;
  /** Sentences under the numbers: the reason, the evidence files, the routes that cause a failure. */
  lines: string[];
}

export interface HtmlSeries {
  label: string;
  /** x: ms since the run's (or timeline's) origin; y: in the section's unit. */
  points: Array<{ x: number; y: number }>;
}

/** A shaded window on a timeline: a load phase (trial, steady state), a fault, a recovery watch. */
export interface HtmlBand {
  kind: 'phase' | 'fault' | 'recovery';
  label: string;
  fromMs: number;
  toMs: number;
}

export type HtmlSection =
  | { kind: 'cards'; title: string; cards: HtmlCard[] }
  | { kind: 'timeline'; title: string; unit: 'ms'; series: HtmlSeries[]; bands: HtmlBand[]; references: Array<{ label: string; y: number }>; note?: string }
  /** The share of the error budget spent (0..1, over 1 when overspent) as the run went. */
  | { kind: 'budget'; title: string; points: Array<{ x: number; spent: number }>; note: string }
  /** A time against its limit per row (detection and recovery per drill). */
  | { kind: 'bars'; title: string; rows: Array<{ label: string; ms?: number; limitMs: number; met: boolean | undefined; text: string }>; note?: string }
  | { kind: 'table'; title: string; head: string[]; rows: string[][]; numeric?: number[]; note?: string }
  | { kind: 'text'; title: string; lines: string[] };

export interface HtmlReportModel {
  title: string;
  /** Lines under the title: the target, the profile, when. */
  subtitle: string[];
  verdict: { outcome: HtmlOutcome; label: string; reasons: string[] };
  sections: HtmlSection[];
  /** Where the journal is, and what made the page. */
  footer: string[];
}

/** p50 / p95 / p99 per slice, all routes merged; a slice without a request leaves a gap (no point). */
export function sliceLatency(slices: readonly LoadSlice[], sliceMs: number): HtmlSeries[] {
  const out: HtmlSeries[] = [50, 95, 99].map((p) => ({ label: `p${p} (client, corrected)`, points: [] }));
  for (const s of slices) {
    let h: Histogram | undefined;
    for (const r of s.routes) {
      if (r.histogram.counts.length === 0 && r.histogram.overflow === 0) continue;
      const one = Histogram.fromJSON(r.histogram);
      h = h ? h.merge(one) : one;
    }
    if (!h) continue;
    const x = s.startMs + sliceMs / 2;
    [50, 95, 99].forEach((p, i) => out[i].points.push({ x, y: h!.valueAtPercentile(p) }));
  }
  return out;
}

function verdictCard(v: ObjectiveVerdict, r: GateReport): HtmlCard {
  const facts: Array<[string, string]> = [];
  if (v.client !== undefined) facts.push(['client', verdictCell(v, v.client)]);
  if (v.service !== undefined) facts.push(['service', serviceCell(v)]);
  if (v.client === undefined && v.service === undefined && Number.isFinite(v.measured)) facts.push(['measured', verdictCell(v, v.measured)]);
  const required = formatObjective(v);
  if (required !== '-') facts.push(['required', required]);
  if (Number.isFinite(v.margin)) facts.push(['margin', formatMargin(v)]);
  const lines = [v.reason];
  for (const part of v.parts ?? []) lines.push(`${part.name} (weight ${part.weight}): client ${formatValue(part.client, 'ratio')}, service ${formatValue(part.service, 'ratio')}${part.detail ? `; ${part.detail}` : ''}`);
  for (const cause of v.routes ?? []) lines.push(`${cause.route} (${cause.view}): ${cause.detail}`);
  for (const l of evidenceLines(v)) lines.push(`${'› '.repeat(l.depth + 1)}${l.text}`);
  for (const l of serviceEvidenceLines(serviceEvidenceFor(r.serviceEvidence, v))) lines.push(l);
  return { title: v.name === v.contract ? v.contract : `${v.contract} · ${v.name}`, verdict: v.verdict, facts, lines };
}

/** An optional field a newer gate may carry (`evidence`): shown as lines, whatever its entries look like. */
function looseLines(x: unknown): string[] {
  const items = Array.isArray(x) ? x : x === undefined || x === null ? [] : [x];
  return items.map((i) => (typeof i === 'string' ? i : i !== null && typeof i === 'object' ? Object.entries(i).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ') : String(i)));
}

/** The gate report as a page: banner, the notes, a card per objective, latency per trial (or slice), the error budget, routes, baseline. */
export function htmlFromGate(r: GateReport): HtmlReportModel {
  const sections: HtmlSection[] = [];
  // Under the banner (which holds the reasons that decided the outcome): what else to know.
  if (r.notes.length > 0) sections.push({ kind: 'text', title: 'Notes', lines: r.notes });
  if (r.verdicts.length > 0) sections.push({ kind: 'cards', title: 'Objectives', cards: r.verdicts.map((v) => verdictCard(v, r)) });
  else sections.push({ kind: 'text', title: 'Objectives', lines: ['No objective was judged.'] });

  // Latency over time: the load's slices when it has them; else each trial's percentiles as a step.
  const first = r.trials[0]?.startedAt ?? r.startedAt;
  const bands: HtmlBand[] = r.trials.map((t) => ({ kind: 'phase', label: r.trials.length > 1 ? `trial ${t.index + 1}` : 'measured', fromMs: t.startedAt - first, toMs: t.startedAt - first + t.durationMs }));
  let series: HtmlSeries[];
  let note: string | undefined;
  if (r.load?.slices && r.load.slices.length > 0) {
    series = sliceLatency(r.load.slices, r.load.sliceMs ?? 1000);
  } else {
    series = (['p50', 'p95', 'p99'] as const).map((p) => ({ label: `${p} (client, corrected)`, points: r.trials.flatMap((t) => [{ x: t.startedAt - first, y: t.latency[p] }, { x: t.startedAt - first + t.durationMs, y: t.latency[p] }]) }));
    note = 'one value per trial (the load kept no finer slices)';
  }
  const references = r.verdicts.filter((v) => v.contract === 'latency' && v.unit === 'ms' && Number.isFinite(v.objective)).map((v) => ({ label: `${v.name} ≤ ${formatValue(v.objective, 'ms')}`, y: v.objective }));
  if (r.trials.length > 0) sections.push({ kind: 'timeline', title: 'Latency over the measured phase', unit: 'ms', series, bands, references, ...(note ? { note } : {}) });

  // The error budget: the errors objective allows (1 - objective) of the requests to fail; the
  // share of that allowance the run spent, trial by trial (client view, contract-weighted errors).
  const errors = r.verdicts.find((v) => v.contract === 'errors' && v.unit === 'ratio' && v.direction === 'higher-is-better' && Number.isFinite(v.objective) && v.objective < 1);
  const total = r.trials.reduce((a, t) => a + t.requests, 0);
  if (errors && total > 0) {
    const allowed = (1 - errors.objective) * total;
    let bad = 0;
    const points = [{ x: 0, spent: 0 }];
    for (const t of r.trials) {
      bad += t.errorRatio * t.requests;
      points.push({ x: t.startedAt - first + t.durationMs, spent: bad / allowed });
    }
    const spent = bad / allowed;
    const view = Number.isFinite(errors.client ?? NaN) ? errors.client! : errors.measured;
    sections.push({ kind: 'budget', title: 'Error budget burn', points, note: `${formatValue(spent, 'ratio')} of the run's error budget spent (objective ${formatValue(errors.objective, 'ratio')} success: ${Math.round(allowed * 10) / 10} weighted errors allowed over ${total} requests; ${+(bad).toFixed(1)} counted; measured success ${formatVerdictValue(errors, view)})` });
  }

  if (r.routes && r.routes.length > 0) sections.push({ kind: 'table', title: 'Routes', head: ROUTE_HEAD.map((h) => h.charAt(0) + h.slice(1).toLowerCase()), rows: routeRows(r.routes), numeric: [2, 3, 4, 5, 7, 9] });

  const b = r.baseline;
  if (b) {
    sections.push({
      kind: 'table',
      title: `Baseline comparison: ${b.verdict.toUpperCase()}`,
      head: ['Metric', 'Baseline (median)', 'Current (median)', 'Change', 'Tolerance', 'Test', 'Verdict', 'Why'],
      rows: b.comparisons.map((x) => [metricLabel(x.metric), formatValue(x.baselineMedian, x.unit), formatValue(x.currentMedian, x.unit), formatChange(x), formatTolerance(x), formatTest(x), x.verdict.toUpperCase(), x.reason]),
      numeric: [1, 2, 3, 4],
      note: `${b.path} (${isoTime(b.createdAt)}${b.commit !== undefined ? `, commit ${b.commit}` : ''})`,
    });
  }
  const extra = [
    ...serviceEvidenceLines(unmatchedServiceEvidence(r.serviceEvidence, r.verdicts)),
    ...looseLines((r as { evidence?: unknown }).evidence),
  ];
  if (extra.length > 0) sections.push({ kind: 'text', title: 'Evidence', lines: extra });
  if (r.generator) sections.push({ kind: 'text', title: 'Load generator', lines: [generatorLine(r.generator, r), ...(r.generator.ok ? [] : r.generator.reasons), ...generatorLagLines(r)] });
  return {
    title: `sloctl gate: ${r.service}`,
    subtitle: [targetLine(r), `profile: ${profileLine(r)}`, `${isoTime(r.startedAt)}, ${formatDuration(Math.max(0, r.finishedAt - r.startedAt))}`],
    verdict: { outcome: r.outcome, label: outcomeHead(r), reasons: outcomeReasons(r) },
    sections,
    footer: [...(r.baselineUpdated !== undefined ? [`baseline updated: ${r.baselineUpdated}`] : []), `journal: ${r.journal}`],
  };
}

/** What a drill run measured beyond its report: the windows and client slices (DrillRunResult's evidence and load). */
export interface DrillTimeline {
  evidence?: ReadonlyArray<Pick<DrillEvidence, 'steadyFromMs' | 'faultAtMs' | 'removedAtMs' | 'endMs' | 'client' | 'sliceMs'> & { drill: { name: string } }>;
  load?: Pick<LoadResult, 'slices' | 'sliceMs'>;
}

/** "2.5s": a measured time at the resolution the drill judge has (drill.ts shows the same). */
const secs = (ms: number): string => `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

function drillCard(v: DrillVerdict): HtmlCard {
  return {
    title: v.name,
    verdict: v.outcome,
    facts: [['fault', faultText(v)], ['score', Number.isFinite(v.score) ? formatValue(v.score, 'ratio') : 'n/a'], ['removed', v.removed.ok ? 'yes' : 'NO']],
    lines: [`during: ${duringText(v)}`, `detection: ${detectionText(v)}`, `recovery: ${recoveryText(v)}`, `removed: ${v.removed.detail}`, ...v.reasons],
  };
}

/** The drill report as a page: banner, a card per drill, latency with the fault windows shaded, detection and recovery bars. */
export function htmlFromDrill(r: DrillRunReport, t: DrillTimeline = {}): HtmlReportModel {
  const sections: HtmlSection[] = [];
  const score = Number.isFinite(r.resilienceScore) ? `${Math.round(r.resilienceScore * 10) / 10}/100` : 'n/a (no drill could be judged)';
  if (r.drills.length > 0) sections.push({ kind: 'cards', title: 'Drills', cards: r.drills.map(drillCard) });
  else sections.push({ kind: 'text', title: 'Drills', lines: ['No drill was judged.'] });

  const bands: HtmlBand[] = [];
  for (const e of t.evidence ?? []) {
    bands.push({ kind: 'phase', label: 'steady', fromMs: e.steadyFromMs, toMs: e.faultAtMs });
    if (e.removedAtMs !== undefined) {
      bands.push({ kind: 'fault', label: `${e.drill.name} (fault)`, fromMs: e.faultAtMs, toMs: e.removedAtMs });
      bands.push({ kind: 'recovery', label: 'recovery', fromMs: e.removedAtMs, toMs: e.endMs });
    }
  }
  // The load's slices cover the whole timeline; without them, each drill's own (they share the origin).
  const sliceMs = t.load?.sliceMs ?? t.evidence?.[0]?.sliceMs ?? r.profile.sliceMs;
  let slices: LoadSlice[] = [...(t.load?.slices ?? [])];
  if (slices.length === 0) {
    const seen = new Set<number>();
    for (const e of t.evidence ?? []) for (const s of e.client) if (!seen.has(s.startMs)) (seen.add(s.startMs), slices.push(s));
    slices = slices.sort((a, b) => a.startMs - b.startMs);
  }
  if (slices.length > 0) sections.push({ kind: 'timeline', title: 'Latency over the drills', unit: 'ms', series: sliceLatency(slices, sliceMs), bands, references: [], note: `${sliceMs} ms slices by intended send time; shaded: steady state, fault, recovery watch` });

  if (r.drills.length > 0) {
    sections.push({
      kind: 'bars',
      title: 'Detection and recovery',
      rows: r.drills.flatMap((v) => [
        { label: `${v.name}: detected`, ms: v.detection.ms, limitMs: v.detection.withinMs, met: v.detection.met, text: v.detection.ms === undefined ? `not seen (limit ${formatDuration(v.detection.withinMs)})` : `${secs(v.detection.ms)}${v.detection.signal ? ` (${v.detection.signal})` : ''} / ${formatDuration(v.detection.withinMs)}` },
        { label: `${v.name}: recovered`, ms: v.recovery.ms, limitMs: v.recovery.withinMs, met: v.recovery.met, text: v.recovery.ms === undefined ? `not recovered (limit ${formatDuration(v.recovery.withinMs)})` : `${secs(v.recovery.ms)} / ${formatDuration(v.recovery.withinMs)}` },
      ]),
      note: 'bar: the measured time (pale: never seen, drawn to the limit); black tick: detectWithin / recoverWithin',
    });
  }
  const evidence = serviceEvidenceLines(r.evidence ?? []);
  if (evidence.length > 0) sections.push({ kind: 'text', title: 'Evidence', lines: evidence });
  sections.push({ kind: 'text', title: 'Resilience score', lines: [`${score}${r.scoreRule ? ` (${r.scoreRule})` : ''}`] });
  if (r.generator) sections.push({ kind: 'text', title: 'Load generator', lines: [generatorLine(r.generator), ...(r.generator.ok ? [] : r.generator.reasons)] });
  const p = r.profile;
  const target = `${r.service} (${r.contractFile}): ${targetText(r.target)}`;
  return {
    title: `sloctl drill: ${r.service}`,
    subtitle: [target, `profile: ${p.rate === 'max' ? 'max' : `${p.rate}/s`} open model, ${p.connections} connections, warm-up ${formatDuration(p.warmupMs)}, steady ${formatDuration(p.steadyMs)} before each fault`, `${isoTime(r.startedAt)}, ${formatDuration(Math.max(0, r.finishedAt - r.startedAt))}`],
    verdict: { outcome: r.outcome, label: drillOutcomeHead(r), reasons: r.reasons.length > 0 ? r.reasons : r.outcome === 'pass' ? ['every drill passed'] : [] },
    sections,
    footer: [`journal: ${r.journal}`],
  };
}
