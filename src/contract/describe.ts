// A contract read back in plain words: what the service promises, one line per objective, so a
// reviewer can check the numbers mean what the team agreed.
import type { Contract, Drill } from './schema.ts';
import { formatBytes, formatDuration, formatPercent, formatRate } from './units.ts';

export function describeContract(c: Contract): string[] {
  const o = c.objectives;
  const lines: string[] = [];
  const window = typeof c.window === 'number' ? `rolling ${formatDuration(c.window)}` : `calendar ${c.window.calendar} (${c.window.timeZone})`;
  lines.push(`window: ${window} in ${formatDuration(c.bucket)} buckets, ${c.budgeting} budgeting`);
  if (c.load) lines.push(`load: ${formatRate(c.load.rate)} for ${formatDuration(c.load.duration)} (+${formatDuration(c.load.warmup)} warm-up), ${c.load.mix.length} routes in the mix`);
  const pair = (t: { warn: number; critical: number }, f: (v: number) => string) => `warn ${f(t.warn)} / critical ${f(t.critical)}`;
  for (const l of o.latency ?? []) {
    const p = l.percentiles ? ` (${Object.entries(l.percentiles).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ≤ ${formatDuration(v!)}`).join(', ')})` : '';
    lines.push(`latency ${l.name}: ${formatPercent(l.objective)} of ${l.routes ? l.routes.join(', ') : 'all routes'} within ${formatDuration(l.threshold)}${p}`);
  }
  if (o.errors) lines.push(`errors ${o.errors.name}: weighted success ≥ ${formatPercent(o.errors.objective)} (${c.errorClasses.map((e) => `${e.name} ×${e.weight}`).join(', ')})`);
  if (o.throughput) lines.push(`throughput: ≥ ${formatRate(o.throughput.minimum)} business-weighted within the latency objectives${o.throughput.findKnee ? ', knee search on' : ''}`);
  if (o.availability) {
    const w = o.availability.weights;
    lines.push(`availability: ≥ ${formatPercent(o.availability.objective)} composite (health ${w.health}, latency ${w.latency}, success ${w.success}, dependencies ${w.dependencies})`);
  }
  if (o.memory) {
    const parts = [o.memory.heap && `heap ${pair(o.memory.heap, formatBytes)}`, o.memory.rss && `RSS ${pair(o.memory.rss, formatBytes)}`].filter(Boolean);
    lines.push(`memory: ${parts.join('; ') || 'no thresholds'}, capture ${o.memory.capture}`);
  }
  if (o.concurrency) {
    const k = o.concurrency;
    const parts = [
      k.eventLoopDelay && `event-loop delay ${pair(k.eventLoopDelay, formatDuration)}`,
      k.eventLoopUtilization && `utilization ${pair(k.eventLoopUtilization, formatPercent)}`,
      k.inFlight && `in-flight ${pair(k.inFlight, String)}`,
      k.handles && `handles ${pair(k.handles, String)}`,
      k.goroutines && `goroutines ${pair(k.goroutines, String)}`,
    ].filter(Boolean);
    lines.push(`concurrency: ${parts.join('; ')}`);
  }
  if (o.dependencies) lines.push(`dependencies: ${c.dependencies.map((d) => `${d.name} (timeout ${formatDuration(d.timeout)}${d.breaker ? ', breaker' : ''}${d.fallback ? ', fallback' : ''})`).join(', ') || 'none declared'}`);
  if (o.regression) lines.push(`regression: p95 +${formatPercent(o.regression.p95)}, error ratio +${formatPercent(o.regression.errorRatio)} points, memory/request +${formatPercent(o.regression.memoryPerRequest)} vs ${o.regression.baseline}`);
  if (o.resilience) lines.push(`resilience: ${o.resilience.drills.map((d) => `${d.name} (${faultWords(d)}${d.dependency ? ` on ${d.dependency}` : ''}, ${formatDuration(d.duration)}; detect within ${formatDuration(d.detectWithin)}, recover within ${formatDuration(d.recoverWithin)})`).join(', ')}`);
  if (o.drift) lines.push(`drift: ${o.drift.action} when ${o.drift.signals.map((s) => `${s.signal} > ${driftThreshold(s)} ×${s.evaluations}`).join(' or ')}`);
  if (o.observability) lines.push(`observability: ≤ ${o.observability.maxSeries} series after ${o.observability.hostileRequests} hostile requests`);
  for (const s of c.slis) lines.push(`custom SLI ${s.name}: ${formatPercent(s.objective)}`);
  return lines;
}

/** A drill's fault with the numbers it runs with ("latency 1s ±100ms", "error 503 to 50%"). */
function faultWords(d: Drill): string {
  const parts: string[] = [d.fault];
  if (d.delay !== undefined) parts.push(formatDuration(d.delay) + (d.jitter ? ` ±${formatDuration(d.jitter)}` : ''));
  if (d.fault === 'error') parts.push(String(d.status ?? 503));
  if (d.every !== undefined) parts.push(`every ${formatDuration(d.every)}`);
  if (d.rate !== undefined) parts.push(`${formatBytes(d.rate)}/s`);
  if (d.cores !== undefined) parts.push(`${d.cores} cores`);
  if (d.share < 1) parts.push(`to ${formatPercent(d.share)}`);
  return parts.join(' ');
}

type DriftSignal = NonNullable<Contract['objectives']['drift']>['signals'][number];

function driftThreshold(s: DriftSignal): string {
  switch (s.signal) {
    case 'latency': case 'eventLoopDelay': return formatDuration(s.threshold);
    case 'errors': case 'eventLoopUtilization': return formatPercent(s.threshold);
    case 'heap': return formatBytes(s.threshold);
    case 'inFlight': return String(s.threshold);
  }
}
