// The drift signals' readers: each turns what the SDK and the runtime already measure into one
// number per evaluation, in the unit the contract's threshold has (ms, a 0..1 ratio, bytes,
// requests). undefined means "no evidence this time" (too few requests, nothing sampled).
//
//   latency               the quantile of request durations finished since the last evaluation, from
//                         the SDK's own request histogram (deltas of its buckets, interpolated as
//                         Prometheus' histogram_quantile does). The quantile is the named latency
//                         objective's (99% -> p99) over its routes; without `objective`, p99 over all.
//                         Requests the service did not serve (shed) are left out: their instant 503s
//                         would read as the latency recovering while the `shed` action holds it.
//   errors                the weighted error ratio health judges (recent window, class weights).
//   eventLoopDelay        p99 of the gaps between ticks of a 20 ms timer since the last evaluation,
//                         as the saturation monitor reads it (src/sdk/loop-delay.ts).
//   eventLoopUtilization  the share of time the loop was busy since the last evaluation.
//   heap                  V8's used heap now.
//   inFlight              requests in flight now.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { LoopDelaySampler } from '../loop-delay.ts';
import type { Contract } from '../../contract/schema.ts';
import type { RecentTotals } from '../core/recent.ts';

export type DriftSignal = NonNullable<Contract['objectives']['drift']>['signals'][number];

export interface SignalReader {
  /** The value now; undefined: no evidence; null: withheld, the service served none of the signal's requests (all shed) though it got them. */
  read(): Promise<number | undefined | null> | number | undefined | null;
  stop?(): void;
}

/** What the readers read from (the Sdk passes its own). */
export interface DriftSources {
  contract: Contract;
  /** The recent window's totals now (errors). */
  recent: () => RecentTotals;
  /** Fewer requests than this and latency / errors read undefined. */
  minRequests: number;
  inFlight: () => number;
  /** The request-duration histogram as prom-client reads it (cumulative `_bucket` values with `le`). */
  histogram?: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> }> };
  /**
   * Of the histogram's requests, those the service did not serve (shed, rejected before a
   * handler), by "METHOD route": bucket counts, not cumulative, in the histogram's bucket order
   * (+Inf last). The latency signal leaves them out (Recorder.unjudged).
   */
  excluded?: () => ReadonlyMap<string, ArrayLike<number>> | undefined;
}

export function signalReader(signal: DriftSignal, src: DriftSources): SignalReader {
  switch (signal.signal) {
    case 'latency': return latencyReader(signal.objective, src);
    case 'errors': return {
      read() {
        const t = src.recent();
        return t.total < Math.max(1, src.minRequests) ? undefined : Math.min(1, t.weightedErrors / t.total);
      },
    };
    case 'eventLoopDelay': return eventLoopDelayReader();
    case 'eventLoopUtilization': {
      let last: EventLoopUtilization = performance.eventLoopUtilization();
      return {
        read() {
          const now = performance.eventLoopUtilization();
          const d = performance.eventLoopUtilization(now, last);
          last = now;
          return d.utilization;
        },
      };
    }
    case 'heap': return { read: () => process.memoryUsage().heapUsed };
    case 'inFlight': return { read: () => src.inFlight() };
  }
}

function eventLoopDelayReader(): SignalReader {
  // Was monitorEventLoopDelay at 10 ms: a 300 ms block every second was one sample in ~70 and its
  // p99 read ~12 ms, so the signal never tripped on a loop blocked 30% of the time.
  const sampler = new LoopDelaySampler();
  return {
    // Read in the check phase, after every expired timer ran: after a block the evaluation's timer
    // and the sampler's are both due, and the block's gap belongs to the interval it ended.
    read: () => new Promise<number | undefined>((done) => setImmediate(() => done(sampler.take()))),
    stop: () => sampler.stop(),
  };
}

/** Takes the excluded requests (per-bucket counts by "METHOD route") out of the cumulative `now`, bucket by bucket in `bounds` order. */
function subtractExcluded(now: Map<number, number>, bounds: readonly number[], excluded: ReadonlyMap<string, ArrayLike<number>> | undefined, routeKeys: ReadonlySet<string> | undefined): void {
  if (excluded === undefined || excluded.size === 0) return;
  const perBucket = new Float64Array(bounds.length);
  for (const [key, counts] of excluded) {
    if (routeKeys !== undefined && !routeKeys.has(key)) continue;
    // Another bucket layout (not the histogram's): nothing to line up with.
    if (counts.length !== bounds.length) return;
    for (let i = 0; i < counts.length; i++) perBucket[i] += counts[i]!;
  }
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += perBucket[i]!;
    now.set(bounds[i]!, Math.max(0, (now.get(bounds[i]!) ?? 0) - cumulative));
  }
}

/** The quantile `q` of a cumulative histogram ([upper bound ms, count ≤ bound] ascending, +Inf last), as histogram_quantile. */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (buckets.length === 0) return undefined;
  const total = buckets[buckets.length - 1][1];
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // Past the top finite bound nothing is known but "above it": report the bound, as Prometheus does.
      if (!Number.isFinite(bound)) return prevBound;
      if (count === prevCount) return bound;
      return prevBound + (bound - prevBound) * ((rank - prevCount) / (count - prevCount));
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

function latencyReader(objectiveName: string | undefined, src: DriftSources): SignalReader {
  const objective = objectiveName === undefined ? undefined : src.contract.objectives.latency?.find((o) => o.name === objectiveName);
  const q = objective?.objective ?? 0.99;
  // The objective's routes as the histogram labels them (method and template).
  const routeKeys = objective?.routes === undefined ? undefined
    : new Set(src.contract.routes.filter((r) => objective.routes!.includes(r.name)).map((r) => `${r.method} ${r.path}`));
  let previous = new Map<number, number>();
  let previousReceived = 0;
  return {
    async read() {
      if (src.histogram === undefined) return undefined;
      const { values } = await src.histogram.get();
      const now = new Map<number, number>();
      for (const v of values) {
        if (v.metricName === undefined || !v.metricName.endsWith('_bucket')) continue;
        if (routeKeys !== undefined && !routeKeys.has(`${v.labels.method} ${v.labels.route}`)) continue;
        const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le) * 1000;
        now.set(le, (now.get(le) ?? 0) + v.value);
      }
      const bounds = [...now.keys()].sort((a, b) => a - b);
      const received = bounds.length > 0 ? now.get(bounds[bounds.length - 1]!)! : 0;
      subtractExcluded(now, bounds, src.excluded?.(), routeKeys);
      // A counter that went down was reset: its whole value is new.
      const reset = bounds.some((b) => (now.get(b) ?? 0) < (previous.get(b) ?? 0));
      const delta = bounds.map((b) => [b, (now.get(b) ?? 0) - (reset ? 0 : previous.get(b) ?? 0)] as const);
      previous = now;
      const total = delta.length > 0 ? delta[delta.length - 1][1] : 0;
      const receivedSince = received - (reset ? 0 : previousReceived);
      previousReceived = received;
      const enough = Math.max(1, src.minRequests);
      if (total < enough) {
        // Requests came and were not served (shed): not an idle service, and not a recovery.
        return receivedSince - total >= enough ? null : undefined;
      }
      return histogramQuantile(q, delta);
    },
  };
}
