// The memory objectives (`objectives.memory`): heap and RSS peaks against warn/critical, and heap
// growth per request. Pure: the service's readings in, verdicts out; no clock, no I/O.
//
// Growth per request is read from the heap's floor, not from two readings. A heap reading is the
// retained set plus garbage not yet collected, and the garbage comes and goes with the collector
// (the young generation alone can be tens of MiB): the last reading minus the first says as much
// about when the collector last ran as about what the service keeps. A collection cannot lower the
// heap below what is retained, so the lowest reading over a stretch of the run (its floor) is the
// closest the run comes to the retained set. The run's scrapes are cut in thirds; the floor of
// each third is its lowest reading:
// - Growth per request is (floor of the last third - floor of the first) / the requests the
//   service finished between the two readings. At or under the limit: PASS.
// - A leak is shown when the floor rose through the whole run: each third's floor above the one
//   before by more than the limit per request finished between them, at least LEAK_SCRAPES
//   readings (two per third), and the growth LEAK_FACTOR times the limit or more: FAIL, with the
//   floors, the requests and the rate.
// - Over the limit without that (a floor that fell back in the middle third, growth under
//   LEAK_FACTOR times the limit, or too few scrapes): WARN, with the numbers and why it is not a
//   leak shown. Not INCONCLUSIVE: garbage promoted to the old generation stays until the next
//   major collection, so between two of them a healthy service's floor rises too (the checkout
//   example: its old generation grew 24.3 -> 33.3 MiB over 2,000 requests, 4.6 KiB a request, with
//   its limit at 2 KiB, while its heap-used floor over three 6 s runs read 0 B-1.8 KiB a request).
//   Runs shorter than the time between major collections would exit 4 on healthy services, and a
//   verdict that is INCONCLUSIVE on most healthy runs says nothing. Not a pass either: the row
//   says WARN, the gate's notes repeat it, and `sloctl accept` marks it `!`.
// - A service that restarted during the run: growth per request across processes means nothing
//   (INCONCLUSIVE, naming the restarts); the peaks are still peaks (a lower bound of each
//   process's, as any sampled peak) and are judged, their reason naming the restarts.
import type { Contract } from '../contract/schema.ts';
import { formatValue } from './format.ts';
import type { ObjectiveVerdict, Unit } from './types.ts';

/** The heap gauge and the request counter (absolute, as the service exported it) at one scrape. */
export interface HeapReading {
  /** ms since the scrape that opened the measured phase. */
  offsetMs: number;
  heapBytes: number;
  requests?: number;
}

/** A restart of the service seen between two scrapes of the measured phase. */
export interface ServiceRestart {
  /** ms since the measured phase opened: when the new process started (its start time), else the scrape that saw it. */
  offsetMs: number;
  /** The scrape that saw it (ms since the phase opened). */
  seenAtMs: number;
  /** What showed it: "process_start_time_seconds changed", "http_server_requests_total went down from 812 to 35". */
  evidence: string;
}

/** The readings a leak needs: two per third, so each floor is the lower of at least two. */
export const LEAK_SCRAPES = 6;
/**
 * How many times the limit the floor must rise per request for one run to call it a leak. Garbage
 * promoted and not yet collected raises a healthy floor too: the checkout example's old
 * generation by 4.6 KiB a request, a user's Koa service 2.2-6 KiB (last reading minus first), both
 * with a 2 KiB limit; 5 times it (10 KiB) stays clear of both, and of the 48 KiB a leak showed.
 */
export const LEAK_FACTOR = 5;

export interface HeapFloors {
  /** Readings used (those with both the heap and the request counter). */
  scrapes: number;
  /** The lowest reading of the first, middle and last thirds (the middle is absent under 3 readings). */
  start: HeapReading;
  middle?: HeapReading;
  end: HeapReading;
  /** Requests the service finished between the start and end floor readings. */
  requests: number;
  /** (end - start) / requests; NaN without requests between them. */
  perRequest: number;
  /** Each third's floor above the previous one's by more than `limit` per request finished between them. */
  rising: boolean;
  /** rising, at least LEAK_SCRAPES readings, and perRequest at least LEAK_FACTOR × limit. */
  leak: boolean;
}

/** The heap's floor over the run (file comment): undefined under two readings with the request counter. */
export function heapFloors(series: readonly HeapReading[], limit: number): HeapFloors | undefined {
  const rs = series.filter((r) => r.requests !== undefined && Number.isFinite(r.heapBytes));
  const n = rs.length;
  if (n < 2) return undefined;
  const third = Math.max(1, Math.floor(n / 3));
  const lowest = (xs: readonly HeapReading[]) => xs.reduce((a, b) => (b.heapBytes < a.heapBytes ? b : a));
  const start = lowest(rs.slice(0, third));
  const end = lowest(rs.slice(n - third));
  const mid = rs.slice(third, n - third);
  const middle = mid.length > 0 ? lowest(mid) : undefined;
  const between = (a: HeapReading, b: HeapReading) => b.requests! - a.requests!;
  const requests = between(start, end);
  const perRequest = requests > 0 ? (end.heapBytes - start.heapBytes) / requests : NaN;
  const rose = (a: HeapReading, b: HeapReading) => b.heapBytes - a.heapBytes > limit * Math.max(0, between(a, b));
  const rising = middle !== undefined && rose(start, middle) && rose(middle, end);
  const leak = rising && n >= LEAK_SCRAPES && perRequest >= LEAK_FACTOR * limit;
  return { scrapes: n, start, ...(middle ? { middle } : {}), end, requests, perRequest, rising, leak };
}

/** What the memory verdicts read from the service's view (ServiceView's fields). */
export interface MemoryView {
  heapMaxBytes?: number;
  rssMaxBytes?: number;
  /** Heap at the end minus at the start, and the requests finished meanwhile: used only without `heapSeries`. */
  heapGrowthBytes?: number;
  requests?: number;
  heapSeries?: readonly HeapReading[];
  restarts?: readonly ServiceRestart[];
  unavailable?: string;
}

const secs = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${+(b / 2 ** 20).toFixed(1)} MiB`;

/** "restarted 2 times (at 8.1 s and 16.3 s of the measured phase: process_start_time_seconds changed)". */
export function restartsText(restarts: readonly ServiceRestart[]): string {
  const at = restarts.map((r) => secs(r.offsetMs));
  const how = [...new Set(restarts.map((r) => r.evidence.replace(/ from \d+(\.\d+)? to \d+(\.\d+)?$/, '')))].join('; ');
  const list = at.length === 1 ? at[0] : `${at.slice(0, -1).join(', ')} and ${at.at(-1)}`;
  return `restarted ${restarts.length === 1 ? 'once' : `${restarts.length} times`} (at ${list} of the measured phase: ${how})`;
}

export function memoryVerdicts(contract: Contract, service: MemoryView): ObjectiveVerdict[] {
  const m = contract.objectives.memory;
  if (!m) return [];
  const out: ObjectiveVerdict[] = [];
  const show = (v: number) => formatValue(v, 'bytes');
  const restarts = service.restarts ?? [];
  const across = restarts.length > 0 ? `; across ${restarts.length + 1} processes: the service ${restartsText(restarts)}` : '';
  const peak = (name: string, th: { warn: number; critical: number } | undefined, value: number | undefined, what: string) => {
    if (!th) return;
    const base = { contract: 'memory', name, objective: th.critical, unit: 'bytes' as Unit, direction: 'lower-is-better' as const, service: value ?? NaN };
    if (value === undefined) {
      out.push({ ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: `the service does not expose its ${what} (${service.unavailable ?? 'metric missing'})` });
      return;
    }
    const margin = th.critical - value;
    if (value >= th.critical) out.push({ ...base, verdict: 'fail', measured: value, margin, reason: `${what} peaked at ${show(value)}, at or over critical ${show(th.critical)}${across}` });
    else if (value >= th.warn) out.push({ ...base, verdict: 'warn', measured: value, margin, reason: `${what} peaked at ${show(value)}, over warn ${show(th.warn)} (critical ${show(th.critical)})${across}` });
    else out.push({ ...base, verdict: 'pass', measured: value, margin, reason: `${what} peaked at ${show(value)}, under warn ${show(th.warn)}${across}` });
  };
  peak('heap', m.heap, service.heapMaxBytes, 'heap used');
  peak('rss', m.rss, service.rssMaxBytes, 'resident memory');
  if (m.perRequest !== undefined) out.push(perRequestVerdict(m.perRequest, service));
  return out;
}

function perRequestVerdict(limit: number, service: MemoryView): ObjectiveVerdict {
  const show = (v: number) => formatValue(v, 'bytes');
  const base = { contract: 'memory', name: 'per-request', objective: limit, unit: 'bytes' as Unit, direction: 'lower-is-better' as const };
  const restarts = service.restarts ?? [];
  if (restarts.length > 0) {
    return { ...base, service: NaN, verdict: 'skipped', unmeasurable: true, measured: NaN, margin: NaN, reason: `not judged: the service ${restartsText(restarts)}; heap growth per request across processes says nothing of one process's growth (a new process starts with a small heap and its request counter at 0): run the gate again once the service stays up` };
  }
  const unproven = (per: number, reason: string): ObjectiveVerdict => ({ ...base, service: per, verdict: 'warn', measured: per, margin: limit - per, reason });
  const floors = service.heapSeries ? heapFloors(service.heapSeries, limit) : undefined;
  if (!floors) {
    // No series (a view built from two readings): the two readings, as the only evidence there is.
    const per = service.heapGrowthBytes !== undefined && service.requests ? service.heapGrowthBytes / service.requests : undefined;
    if (per === undefined) return { ...base, service: NaN, verdict: 'skipped', measured: NaN, margin: NaN, reason: 'heap growth per request needs the heap gauge and the request counter from the service, read at two scrapes or more' };
    if (per <= limit) return { ...base, service: per, verdict: 'pass', measured: per, margin: limit - per, reason: `heap grew ${show(per)} per request between the first and last readings, within ${show(limit)}` };
    return unproven(per, `heap grew ${show(per)} per request between two readings, over the limit ${show(limit)}; two readings cannot tell retained memory from garbage not yet collected, so no leak is shown`);
  }
  const f = floors;
  const per = f.perRequest;
  const floorsText = `the heap's floor (its lowest reading in the first and last thirds of ${f.scrapes} scrapes) went from ${mib(f.start.heapBytes)} at ${secs(f.start.offsetMs)} to ${mib(f.end.heapBytes)} at ${secs(f.end.offsetMs)}${f.middle ? ` (${mib(f.middle.heapBytes)} at ${secs(f.middle.offsetMs)} in the middle third)` : ''} over ${f.requests} requests`;
  if (!Number.isFinite(per)) return { ...base, service: NaN, verdict: 'skipped', measured: NaN, margin: NaN, reason: `no requests finished between the heap's floor readings (${f.scrapes} scrapes): nothing to divide the growth by` };
  const margin = limit - per;
  if (per <= limit) {
    const note = per < 0 ? `; it fell by ${show(-per)} per request: no growth` : '';
    return { ...base, service: per, verdict: 'pass', measured: per, margin, reason: `heap grew ${show(Math.max(0, per))} per request, within ${show(limit)}: ${floorsText}${note}` };
  }
  if (f.leak) {
    return { ...base, service: per, verdict: 'fail', measured: per, margin, reason: `a leak: ${floorsText}, ${show(per)} per request, ${+(per / limit).toFixed(1)} times the limit ${show(limit)}; the floor rose in each third of the run, and a garbage collection cannot lower the heap below what the service retains` };
  }
  const why = f.scrapes < LEAK_SCRAPES
    ? `${f.scrapes} scrapes are too few to show a floor rising through the run (${LEAK_SCRAPES} needed: a longer load.duration, or a shorter scrapeInterval)`
    : !f.rising
      ? 'the floor did not rise through every third of the run (a collection brought it down in between), so the run does not show growth that lasts'
      : `it rose through the run, but by less than ${LEAK_FACTOR} times the limit, which garbage promoted and not yet collected can explain in one run`;
  return unproven(per, `heap grew ${show(per)} per request, over the limit ${show(limit)}, but no leak is shown: ${floorsText}; ${why}; a longer run (past a major collection) or the memory-leak drill can tell`);
}
