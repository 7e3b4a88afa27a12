// A load result built from per-route rows, for judging routes without running load: each row's
// requests all at the given latencies, the client's and the service-time histograms alike.
import { Histogram } from '../../src/measure/histogram.ts';
import type { LoadResult, RouteResult } from '../../src/load/types.ts';

/** One route's row: its requests at `latenciesMs`, answered with `statuses` (status -> count). */
export function routeRow(name: string, latenciesMs: readonly number[], statuses: Record<string, number>): RouteResult {
  const h = new Histogram();
  for (const ms of latenciesMs) h.record(ms * 1000);
  const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { name, sent: completed, completed, statuses, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
}

/** A 10 s open-model run of these rows against a loopback URL. */
export function loadOf(rows: RouteResult[]): LoadResult {
  const all = new Histogram();
  for (const r of rows) all.merge(Histogram.fromJSON(r.histogram));
  const completed = rows.reduce((n, r) => n + r.completed, 0);
  return { source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 10_000, sent: completed, completed, errors: 0, timeouts: 0, throughput: completed / 10, latency: all.summary(), serviceTime: all.summary(), statuses: {}, routes: rows, notes: [] };
}
