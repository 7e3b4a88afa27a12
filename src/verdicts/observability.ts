// The observability verdict (issue 13, `objectives.observability`): the metrics the contract reads
// are exposed with the right type and HELP text, and a burst of hostile requests (random paths, odd
// methods: src/run/hostile.ts) leaves the number of exposed series under `maxSeries`.
//
// Pure: the metric families scraped before and after the hostile phase, the metrics the contract
// reads (requiredMetrics: the same list `validate --target` checks, with `metrics:` overrides
// applied) and the hostile phase's numbers in; one ObjectiveVerdict out, which the gate's renderers
// already show. No clock, no I/O.
//
// Outcome, in this order:
// - FAIL when a scrape that was read shows a metric the contract reads missing, of another type, or
//   without HELP (requireHelp), or when the series after the hostile requests exceed maxSeries
//   (even if fewer requests were answered than asked: fewer already made it grow past the cap).
// - INCONCLUSIVE when a scrape could not be read, or fewer hostile requests were answered than
//   asked for: the series count would say nothing about what the full burst does.
// - PASS otherwise.
// ObjectiveVerdict knows pass / warn / fail / skipped; INCONCLUSIVE is `outcome: 'inconclusive'`
// with verdict 'skipped' (the renderers show it as not judged, and the reason says why).
import { requiredMetrics, type RequiredMetric } from '../contract/required-metrics.ts';
import type { Contract } from '../contract/schema.ts';
import type { ObjectiveVerdict } from './types.ts';

/**
 * A scraped metric family, as src/observe's exposition parser gives it (its MetricFamily fits this
 * shape; the judges may not import src/observe, test/layering.test.ts).
 */
export interface MetricFamily {
  name: string;
  /** counter, gauge, histogram, summary; untyped / unknown without `# TYPE`. */
  type: string;
  help?: string;
  samples: ReadonlyArray<{ name: string; labels: Readonly<Record<string, string>> }>;
}

/** One scrape: its families, or why it could not be read. */
export type ScrapeOutcome = { ok: true; families: readonly MetricFamily[] } | { ok: false; error: string };

/** What src/run/hostile.ts returns. */
export interface HostileResult {
  /** Requests asked for (the contract's hostileRequests, or the caller's). */
  asked: number;
  sent: number;
  /** Requests that got an HTTP response, whatever its status. */
  answered: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Requests without a response, by error kind (ECONNRESET, timeout, ...). */
  errors: Record<string, number>;
  /** Milliseconds the burst took. */
  durationMs: number;
}

export interface ObservabilityInput {
  objective: { maxSeries: number; hostileRequests: number; requireHelp: boolean };
  /** The metrics the contract reads: requiredMetrics(contract) (see observabilityInputFor). */
  reads: readonly RequiredMetric[];
  before: ScrapeOutcome;
  after: ScrapeOutcome;
  hostile: HostileResult;
  /** The metrics URL, for the sentences. */
  url: string;
}

export type ObservabilityOutcome = 'pass' | 'fail' | 'inconclusive';

export interface FamilyGrowth {
  family: string;
  before: number;
  after: number;
  /** The label whose distinct values grew most in this family, and by how many. */
  label?: string;
  labelValuesBefore?: number;
  labelValuesAfter?: number;
}

export interface ObservabilityVerdict extends ObjectiveVerdict {
  contract: 'observability';
  outcome: ObservabilityOutcome;
  seriesBefore: number;
  seriesAfter: number;
  /** Problems with the metrics the contract reads, one sentence each. */
  metricProblems: string[];
  /** Families whose series grew, most first (at most 5). */
  growth: FamilyGrowth[];
  hostile: HostileResult;
}

/** The contract's objective with its defaults, and the metrics it reads. */
export function observabilityInputFor(c: Contract): Pick<ObservabilityInput, 'objective' | 'reads'> | undefined {
  const o = c.objectives.observability;
  if (!o) return undefined;
  return { objective: { maxSeries: o.maxSeries, hostileRequests: o.hostileRequests, requireHelp: o.requireHelp }, reads: requiredMetrics(c) };
}

const n = (v: number) => v.toLocaleString('en-US');

/** Each sample line is one series (what Prometheus's sample_limit counts). */
export function seriesCount(families: readonly MetricFamily[]): number {
  let total = 0;
  for (const f of families) total += f.samples.length;
  return total;
}

/** The family that shows a metric read as `name`: the family itself, a counter with or without `_total`, a histogram's part. */
function familyFor(need: RequiredMetric, families: readonly MetricFamily[]): { family: MetricFamily; countOf: boolean } | undefined {
  for (const f of families) {
    if (f.name === need.name || f.name + '_total' === need.name || need.name + '_total' === f.name) return { family: f, countOf: false };
  }
  for (const f of families) {
    if (f.samples.some((s) => s.name === need.name)) {
      // A histogram's or summary's `_count` read as a request counter (OpenTelemetry has no other).
      const countOf = need.name.endsWith('_count') && (f.type === 'histogram' || f.type === 'summary');
      return { family: f, countOf };
    }
  }
  return undefined;
}

function metricProblems(input: ObservabilityInput, families: readonly MetricFamily[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const need of input.reads) {
    if (seen.has(need.name)) continue;
    seen.add(need.name);
    const hit = familyFor(need, families);
    if (!hit) {
      // The availability gauge: the rules compose availability from its parts without it.
      if (need.optional) continue;
      out.push(`\`${need.name}\` (read by ${need.why}) is missing`);
      continue;
    }
    const { family, countOf } = hit;
    const t = family.type;
    if (need.type && t !== need.type && t !== 'untyped' && t !== 'unknown' && !(need.type === 'counter' && countOf)) {
      out.push(`\`${need.name}\` (read by ${need.why}) has type ${t}, not ${need.type}`);
    }
    if (input.objective.requireHelp && (family.help === undefined || family.help.trim() === '')) {
      out.push(`\`${family.name}\` (read by ${need.why}) has no HELP text`);
    }
  }
  return out;
}

/** Distinct values per label name in a family. */
function labelValues(f: MetricFamily | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of f?.samples ?? []) {
    for (const [k, v] of Object.entries(s.labels)) {
      // A histogram's buckets and a summary's quantiles are the family's shape, not cardinality a
      // request can add: naming `le` as the label that grew would point at the wrong fix.
      if (k === 'le' || k === 'quantile') continue;
      let set = out.get(k);
      if (!set) out.set(k, (set = new Set()));
      set.add(v);
    }
  }
  return out;
}

export function familyGrowth(before: readonly MetricFamily[], after: readonly MetricFamily[]): FamilyGrowth[] {
  const prev = new Map(before.map((f) => [f.name, f]));
  const out: FamilyGrowth[] = [];
  for (const f of after) {
    const b = prev.get(f.name);
    const was = b?.samples.length ?? 0;
    if (f.samples.length <= was) continue;
    const g: FamilyGrowth = { family: f.name, before: was, after: f.samples.length };
    const vb = labelValues(b);
    let best = 0;
    for (const [label, values] of labelValues(f)) {
      const grew = values.size - (vb.get(label)?.size ?? 0);
      if (grew > best) {
        best = grew;
        g.label = label;
        g.labelValuesBefore = vb.get(label)?.size ?? 0;
        g.labelValuesAfter = values.size;
      }
    }
    out.push(g);
  }
  return out.sort((a, b) => b.after - b.before - (a.after - a.before) || a.family.localeCompare(b.family)).slice(0, 5);
}

function showGrowth(g: FamilyGrowth): string {
  const label = g.label ? ` (label \`${g.label}\` took ${n(g.labelValuesAfter! - g.labelValuesBefore!)} new values, ${n(g.labelValuesAfter!)} in all)` : '';
  return `${g.family} +${n(g.after - g.before)}${label}`;
}

function answeredText(h: HostileResult): string {
  const errs = Object.entries(h.errors).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  return `${n(h.answered)} of ${n(h.asked)} hostile requests were answered${h.sent < h.asked ? ` (${n(h.sent)} sent)` : ''}${errs ? `; no answer: ${errs}` : ''}`;
}

export function judgeObservability(input: ObservabilityInput): ObservabilityVerdict {
  const { objective, hostile, url } = input;
  const max = objective.maxSeries;
  const beforeFams = input.before.ok ? input.before.families : [];
  const afterFams = input.after.ok ? input.after.families : undefined;
  // Labelled metrics show series only after their first observation: judge them on the later scrape.
  const judged = afterFams ?? (input.before.ok ? input.before.families : undefined);
  const problems = judged ? metricProblems(input, judged) : [];
  const seriesBefore = input.before.ok ? seriesCount(input.before.families) : NaN;
  const seriesAfter = afterFams ? seriesCount(afterFams) : NaN;
  const growth = afterFams ? familyGrowth(beforeFams, afterFams) : [];
  const over = afterFams !== undefined && seriesAfter > max;
  const short = hostile.answered < hostile.asked;

  const sentences: string[] = [];
  let outcome: ObservabilityOutcome;
  if (problems.length > 0 || over) {
    outcome = 'fail';
    if (problems.length > 0) sentences.push(`a metric the contract reads is not exposed as it must be on ${url}: ${problems.join('; ')}`);
    if (over) {
      const from = Number.isNaN(seriesBefore) ? '' : ` from ${n(seriesBefore)}`;
      const top = growth[0] ? `: the biggest growth is ${showGrowth(growth[0])}` : '';
      sentences.push(`series grew${from} to ${n(seriesAfter)} after ${n(hostile.answered)} answered hostile requests (maxSeries ${n(max)})${top}; bound that label (map unmatched paths to one route template, cap the values)`);
    }
    if (short) sentences.push(answeredText(hostile));
  } else if (!input.before.ok || !input.after.ok || short) {
    outcome = 'inconclusive';
    if (!input.before.ok) sentences.push(`the metrics before the hostile requests could not be read: ${input.before.error}`);
    if (!input.after.ok) sentences.push(`the metrics after the hostile requests could not be read: ${input.after.error}`);
    if (short) sentences.push(`${answeredText(hostile)}: the series count says nothing about the full burst; check that the service answers every method and path (a 404 or 405 is an answer)`);
  } else {
    outcome = 'pass';
    const top = growth[0] ? `; the biggest growth is ${showGrowth(growth[0])}` : '';
    sentences.push(`every metric the contract reads is exposed with its type${objective.requireHelp ? ' and HELP text' : ''}; series went from ${n(seriesBefore)} to ${n(seriesAfter)} after ${n(hostile.answered)} hostile requests (maxSeries ${n(max)})${top}`);
  }

  return {
    contract: 'observability',
    name: 'observability',
    verdict: outcome === 'inconclusive' ? 'skipped' : outcome,
    outcome,
    measured: seriesAfter,
    objective: max,
    unit: 'count',
    direction: 'lower-is-better',
    margin: max - seriesAfter,
    service: seriesAfter,
    reason: sentences.join('. ') + '.',
    seriesBefore,
    seriesAfter,
    metricProblems: problems,
    growth,
    hostile,
  };
}
