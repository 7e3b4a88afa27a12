// Merges load results into one: the trials of a gate run back to back (sequential: durations add)
// or the worker threads of one run (concurrent: rates add, the run lasts as long as the longest).
// Counts add, histograms merge exactly (HDR buckets), and the generator's health is judged again on
// the merged numbers; a part that was not ok keeps its reasons, so a bad trial is never averaged away.

import { Histogram } from '../measure/histogram.ts';
import { sortKeys, summedCount } from './recorder.ts';
import { classMarksOf } from '../measure/class-marks.ts';
import { assessGenerator, mergeDrops, type GeneratorStats } from './self-check.ts';
import { mergeSlices } from './slices.ts';
import type { GeneratorHealth, LatencySummary, LoadResult, RouteResult } from './types.ts';

export interface MergeOptions {
  /** True when the results ran at the same time (worker threads); default false: one after the other. */
  concurrent?: boolean;
  /**
   * Judge the generator on the merged numbers only. For parts that are slices of one phase (the
   * gate's trials): one late send in a slice of 100 sends is 1% of it but noise in the phase.
   * Default false: a part that was not ok keeps its reasons.
   */
  judgeWhole?: boolean;
}

export function mergeResults(results: readonly LoadResult[], opts: MergeOptions = {}): LoadResult {
  if (!Array.isArray(results) || results.length === 0) throw new RangeError('mergeResults: no results to merge');
  if (results.length === 1) return results[0];
  const concurrent = opts.concurrent === true;
  const first = results[0];
  const notes = new Set<string>();
  for (const r of results) for (const n of r.notes ?? []) notes.add(n);
  if (results.some((r) => r.source !== first.source)) notes.add(`merged results from different tools (${[...new Set(results.map((r) => r.source))].join(', ')})`);
  if (results.some((r) => r.model !== first.model)) notes.add('merged open-model and closed-model results: latencies are not comparable');
  if (results.some((r) => r.url !== first.url)) notes.add(`merged results of different targets (${[...new Set(results.map((r) => r.url))].join(', ')})`);

  const sum = (f: (r: LoadResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const durationMs = concurrent ? Math.max(...results.map((r) => r.durationMs)) : sum((r) => r.durationMs);
  const completed = sum((r) => r.completed);

  // Routes by name, in order of first appearance.
  const byName = new Map<string, RouteResult[]>();
  for (const r of results) for (const route of r.routes) byName.set(route.name, [...(byName.get(route.name) ?? []), route]);
  const overall = { latency: new Histogram(), service: new Histogram() };
  let approximate = false;
  const routes: RouteResult[] = [];
  for (const [name, parts] of byName) {
    const lat = mergeHistograms(parts.map((p) => [p.histogram, p.latency]), `route ${name}: histogram`);
    const svc = mergeHistograms(parts.map((p) => [p.serviceHistogram, p.serviceTime]), `route ${name}: serviceHistogram`);
    approximate ||= lat.approximate || svc.approximate;
    overall.latency.merge(lat.histogram);
    overall.service.merge(svc.histogram);
    routes.push({
      name,
      sent: parts.reduce((a, p) => a + p.sent, 0),
      completed: parts.reduce((a, p) => a + p.completed, 0),
      statuses: addCounts(parts.map((p) => p.statuses)),
      errors: addCounts(parts.map((p) => p.errors)),
      latency: lat.summary,
      serviceTime: svc.summary,
      histogram: lat.histogram.toJSON(),
      serviceHistogram: svc.histogram.toJSON(),
      ...summedCount(parts, 'queuedTimeouts'),
      ...summedCount(parts, 'replayed'),
      ...summedCount(parts, 'shed'),
      ...classMarksOf(parts),
    });
  }
  let latency = overall.latency.summary();
  let serviceTime = overall.service.summary();
  if (approximate) {
    // Some part has summaries but no histogram (a k6 import): merge the summaries instead.
    latency = mergeSummaries(results.map((r) => r.latency));
    serviceTime = mergeSummaries(results.map((r) => r.serviceTime));
    notes.add('some merged results carry no latency histogram (k6 summaries): merged percentiles are the worst of the parts, means are weighted');
  }

  const merged: LoadResult = {
    source: first.source,
    url: first.url,
    model: first.model,
    startedAt: Math.min(...results.map((r) => r.startedAt)),
    durationMs: round3(durationMs),
    sent: sum((r) => r.sent),
    completed,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    throughput: durationMs > 0 ? round3((completed / durationMs) * 1000) : 0,
    latency,
    serviceTime,
    statuses: addCounts(results.map((r) => r.statuses)),
    routes,
    notes: [...notes],
  };
  const details: Record<string, string> = {};
  for (const r of results) {
    const d: Record<string, string> = r.errorDetails ?? {};
    for (const k of Object.keys(d)) if (!(k in details)) details[k] = d[k];
  }
  if (Object.keys(details).length > 0) merged.errorDetails = details;
  const sliced = results.filter((r) => r.slices !== undefined);
  if (sliced.length > 0) {
    // Slices share one axis only when the parts ran from one start (worker threads) with one width.
    const sliceMs = first.sliceMs;
    if (concurrent && sliced.length === results.length && sliceMs !== undefined && results.every((r) => r.sliceMs === sliceMs)) {
      merged.slices = mergeSlices(results.map((r) => r.slices!), sliceMs, routes.map((r) => r.name));
      merged.sliceMs = sliceMs;
    } else {
      merged.notes.push(
        concurrent
          ? `slices left out: ${sliced.length === results.length ? 'the merged results were sliced at different widths' : `only ${sliced.length} of ${results.length} merged results were sliced`}`
          : 'slices left out: results run one after the other have no common timeline',
      );
    }
  }
  const generator = mergeHealth(results, durationMs, concurrent, opts.judgeWhole === true);
  if (generator) merged.generator = generator;
  const unchecked = results.filter((r) => r.generator === undefined).length;
  if (generator && unchecked > 0) merged.notes.push(`${unchecked} of ${results.length} merged results carry no generator check (imported): the generator health covers the others only`);
  return merged;
}

function mergeHealth(results: readonly LoadResult[], durationMs: number, concurrent: boolean, judgeWhole: boolean): GeneratorHealth | undefined {
  const parts = results.filter((r): r is LoadResult & { generator: GeneratorHealth } => r.generator !== undefined);
  if (parts.length === 0) return undefined;
  const closed = parts.some((r) => r.generator.requestedRate === null);
  let requestedRate: number | null = null;
  if (!closed) {
    requestedRate = concurrent
      ? parts.reduce((a, r) => a + (r.generator.requestedRate ?? 0), 0)
      : parts.reduce((a, r) => a + (r.generator.requestedRate ?? 0) * r.durationMs, 0) / Math.max(durationMs, 1e-9);
  }
  const stats: GeneratorStats = {
    requestedRate,
    sent: parts.reduce((a, r) => a + r.sent, 0),
    durationMs,
    lateSends: parts.reduce((a, r) => a + r.generator.lateSends, 0),
    lateThresholdMs: Math.max(...parts.map((r) => r.generator.lateThresholdMs)),
    maxLagMs: Math.max(...parts.map((r) => r.generator.maxLagMs)),
    droppedSends: parts.reduce((a, r) => a + r.generator.droppedSends, 0),
    ...mergeWaits(parts.map((r) => r.generator), concurrent),
    drops: mergeDrops(parts.map((r) => (r.generator.droppedSends > 0 ? r.generator.drops : { inFlight: 0, inFlightBound: 0, behind: 0, behindMs: 0 }))),
    eventLoopDelayP99Ms: Math.max(...parts.map((r) => r.generator.eventLoopDelayP99Ms)),
    cpu: Math.max(...parts.map((r) => r.generator.cpu)),
    workers: concurrent ? parts.reduce((a, r) => a + r.generator.workers, 0) : Math.max(...parts.map((r) => r.generator.workers)),
  };
  const health = assessGenerator(stats);
  if (judgeWhole) return health;
  const what = concurrent ? 'worker' : 'run';
  // A part that fell short while the whole did not must still show (never averaged away).
  if (health.ok) parts.forEach((r, k) => r.generator.reasons.forEach((reason) => health.reasons.push(`${what} ${k + 1} of ${parts.length}: ${reason}`)));
  health.ok = health.reasons.length === 0;
  return health;
}

/** Merges serialized histograms; falls back to summaries when a part has values but no buckets. */
function mergeHistograms(parts: Array<[RouteResult['histogram'], LatencySummary]>, where: string): { histogram: Histogram; summary: LatencySummary; approximate: boolean } {
  const h = new Histogram();
  let approximate = false;
  for (const [json, summary] of parts) {
    const part = Histogram.fromJSON(json, where);
    if (part.count < summary.count) approximate = true;
    h.merge(part);
  }
  return { histogram: h, summary: approximate ? mergeSummaries(parts.map(([, s]) => s)) : h.summary(), approximate };
}

type SummaryField = NonNullable<LatencySummary['absent']>[number];
const PERCENTILES: readonly SummaryField[] = ['max', 'p50', 'p90', 'p95', 'p99', 'p999'];

/**
 * Without histograms: counts add, means are weighted, percentiles and max are the worst part's (an
 * upper bound). A field some part did not report (`absent`) is taken from the parts that did, and
 * stays absent when none did.
 */
function mergeSummaries(parts: readonly LatencySummary[]): LatencySummary {
  const live = parts.filter((s) => s.count > 0);
  const count = live.reduce((a, s) => a + s.count, 0);
  if (count === 0) return { count: 0, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const has = (k: SummaryField) => live.filter((s) => !s.absent?.includes(k));
  const absent: SummaryField[] = [];
  const out: LatencySummary = { count, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const withMin = has('min');
  if (withMin.length > 0) out.min = Math.min(...withMin.map((s) => s.min));
  else absent.push('min');
  for (const k of PERCENTILES) {
    const w = has(k);
    if (w.length > 0) out[k] = Math.max(...w.map((s) => s[k]));
    else absent.push(k);
  }
  const withMean = has('mean');
  const n = withMean.reduce((a, s) => a + s.count, 0);
  const mean = n > 0 ? withMean.reduce((a, s) => a + s.mean * s.count, 0) / n : 0;
  if (withMean.length > 0) out.mean = round3(mean);
  else absent.push('mean');
  const withStdev = has('stdev').filter((s) => withMean.includes(s));
  if (withStdev.length === live.length) {
    out.stdev = round3(Math.sqrt(live.reduce((a, s) => a + s.count * (s.stdev ** 2 + (s.mean - mean) ** 2), 0) / count));
  } else absent.push('stdev');
  if (absent.length > 0) out.absent = absent;
  return out;
}

function addCounts(parts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p ?? {})) out[k] = (out[k] ?? 0) + v;
  return sortKeys(out);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Waits for a free connection, added up. Workers side by side each have the same connections
 * (load.connections is per worker), so theirs multiply; trials one after another keep the largest.
 */
function mergeWaits(parts: readonly GeneratorHealth[], concurrent: boolean): Pick<GeneratorHealth, 'connectionWaits'> {
  const known = parts.flatMap((g) => (g.connectionWaits ? [g.connectionWaits] : []));
  if (known.length === 0) return {};
  const most = Math.max(...known.map((w) => w.connections));
  return {
    connectionWaits: {
      waited: known.reduce((a, w) => a + w.waited, 0),
      waitMs: Math.max(...known.map((w) => w.waitMs)),
      connections: concurrent ? most * parts.length : most,
    },
  };
}
