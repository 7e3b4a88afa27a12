// The memory objectives (`objectives.memory`): heap and RSS peaks against warn/critical, and heap
// growth per request. Pure: the service's readings in, verdicts out; no clock, no I/O.
//
// Growth per request is read from the heap's floor, not from two readings. A heap reading is the
// retained set plus garbage not yet collected, and the garbage comes and goes with the collector
// (the young generation alone can be tens of MiB): the last reading minus the first says as much
// about when the collector last ran as about what the service keeps. Any reading is at least what
// is retained, so the lowest reading over a stretch of the run (its floor) is the closest the run
// comes to the retained set without knowing when the collector ran. The run's scrapes are cut in
// thirds; the floor of each third is its lowest reading:
// - Growth per request is (floor of the last third - floor of the first) / the requests the
//   service finished between the two readings. At or under the limit: PASS.
// - A floor is no evidence of retention unless a MAJOR collection ran before it: a minor one
//   (V8's scavenge) promotes garbage to the old generation, where it stays until the next major
//   one, so between two major collections a healthy service's floor rises too (a Koa service
//   that retained nothing: floor 13.6 -> 32.7 MiB over 16.2 s, 20.3 KiB a request, and then one
//   major collection took the heap from 40.9 to 16.9 MiB). So a leak is shown only by readings
//   taken after major collections: those whose count of major collections (HeapReading.majorGcs:
//   nodejs_gc_duration_seconds_count{kind="major"} from prom-client's default metrics,
//   go_gc_duration_seconds_count from client_golang's, where every collection is full) rose
//   since the previous reading. Such a reading is what the collection left (the retained set)
//   plus what was allocated between it and the scrape. The leak rule (heapFloors' `collected`):
//   the floor of the first third (at most what was retained then), and the readings after major
//   collections later in the run, split into their earlier and later halves, the floor of each
//   (at least what was retained at those collections, less the allocation since): each above the
//   one before by more than the limit per request finished between them, at least LEAK_SCRAPES
//   readings in all and LEAK_COLLECTIONS after a major collection past the first third (one for
//   each half), and the growth LEAK_FACTOR times the limit or more (what was allocated between a
//   collection and its scrape still rides on the later readings): FAIL, with the readings, the
//   collections, the requests and the rate.
// - Over the limit without that: WARN, with the numbers and why no leak is shown: no major
//   collection (or too few) ran after the first third, the count stayed where it was (naming the
//   metric and its value); the service exports no count of major collections (naming the metric
//   that would tell); the heap after the collections fell back, or rose by less than LEAK_FACTOR
//   times the limit; too few scrapes. Not INCONCLUSIVE: runs shorter than the time between major
//   collections (a V8 heap that grows stretches that time: a service keeping 64 KiB a request at
//   60/s ran one every ~11 s) would exit 4 on healthy services, and a verdict that is INCONCLUSIVE
//   on most healthy runs says nothing. Not a pass either: the row says WARN, the gate's notes
//   repeat it, and `sloctl accept` marks it `!`.
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
  /**
   * The service's count of major (full) garbage collections so far, when it exports one
   * (MemoryView.majorGcMetric): a reading whose count rose since the previous one was taken after
   * a major collection.
   */
  majorGcs?: number;
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

/**
 * Scrapes of one /metrics answered by more than one process in turn (node:cluster or PM2 cluster
 * mode: each worker has its own registry, and whichever worker takes the connection answers): not
 * restarts, since a restart never brings back an earlier process's start time or counts.
 */
export interface TakingTurns {
  /** Processes seen at least (distinct start times; 2 when they started in the same second). */
  atLeast: number;
  /** The scrape that first showed it (ms since the phase opened). */
  seenAtMs: number;
  /** What showed it, with the numbers. */
  evidence: string;
}

/** Why the service's own counters cannot be judged when processes took turns answering its /metrics, with what to do. */
/** How takingTurnsText opens (sloctl accept says it once for the verdicts it qualifies: verdicts/accept.ts). */
export const TAKING_TURNS_OPENING = 'its /metrics was answered by at least';

export function takingTurnsText(t: TakingTurns, span = 'the measured phase'): string {
  return `${TAKING_TURNS_OPENING} ${t.atLeast} processes taking turns (at ${secs(t.seenAtMs)} of ${span}: ${t.evidence}), so its counters and gauges mix them`
    + ' (cluster mode: node:cluster or PM2 -i, one registry per worker); serve one /metrics for all workers from the primary with prom-client\'s AggregatorRegistry, or give each worker its own metrics port (src/sdk/README.md, "Cluster mode")';
}

/** The readings a leak needs: two per third, so each floor is the lower of at least two. */
export const LEAK_SCRAPES = 6;
/**
 * The readings after a major collection, past the run's first third, a leak needs: one for each
 * half of them (the heap after collections must rise twice: from the first third's floor, and
 * again). A V8 heap that a leak grows runs few major collections (a service keeping 64 KiB a
 * request at 60/s: one every ~11 s), so more would leave most runs unable to show one.
 */
export const LEAK_COLLECTIONS = 2;
/**
 * How many times the limit the heap must rise per request for one run to call it a leak. Garbage
 * promoted and not yet collected raises a healthy floor: the checkout example's old generation by
 * 4.6 KiB a request, a user's Koa service 2.2-6 KiB (last reading minus first), both with a 2 KiB
 * limit. After a major collection what was allocated between it and the scrape still rides on the
 * reading; 5 times the limit (10 KiB) stays clear of both, and of the 48 KiB a leak showed.
 */
export const LEAK_FACTOR = 5;

/** What the readings taken after major collections show (the file comment's leak rule). */
export interface CollectedFloors {
  /** The count of major collections at the first and the last reading that carried it. */
  firstCount: number;
  lastCount: number;
  /** Readings past the first third whose count rose since the previous reading, in order. */
  after: HeapReading[];
  /** The lowest of the earlier and of the later half of `after` (absent under LEAK_COLLECTIONS of them). */
  middle?: HeapReading;
  end?: HeapReading;
  /** Requests finished between the first third's floor and `end`; NaN without `end`. */
  requests: number;
  /** (end - the first third's floor) / requests; NaN without `end` or requests. */
  perRequest: number;
  /** The first third's floor, `middle` and `end`: each above the one before by more than `limit` per request finished between them. */
  rising: boolean;
}

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
  /** The readings after major collections; undefined when no reading carried a count of them. */
  collected?: CollectedFloors;
  /** collected.rising, at least LEAK_SCRAPES readings, LEAK_COLLECTIONS after a major collection, and collected.perRequest at least LEAK_FACTOR × limit. */
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
  const counted = rs.filter((r) => r.majorGcs !== undefined && Number.isFinite(r.majorGcs));
  let collected: CollectedFloors | undefined;
  if (counted.length > 0) {
    const after = rs.filter((r, i) => i >= third && r.majorGcs !== undefined && rs[i - 1].majorGcs !== undefined && r.majorGcs > rs[i - 1].majorGcs!);
    const half = Math.floor(after.length / 2);
    const cMiddle = after.length >= LEAK_COLLECTIONS ? lowest(after.slice(0, half)) : undefined;
    const cEnd = after.length >= LEAK_COLLECTIONS ? lowest(after.slice(half)) : undefined;
    const cRequests = cEnd ? between(start, cEnd) : NaN;
    collected = {
      firstCount: counted[0].majorGcs!,
      lastCount: counted.at(-1)!.majorGcs!,
      after,
      ...(cMiddle && cEnd ? { middle: cMiddle, end: cEnd } : {}),
      requests: cRequests,
      perRequest: cEnd && cRequests > 0 ? (cEnd.heapBytes - start.heapBytes) / cRequests : NaN,
      rising: cMiddle !== undefined && cEnd !== undefined && rose(start, cMiddle) && rose(cMiddle, cEnd),
    };
  }
  const leak = collected !== undefined && collected.rising && n >= LEAK_SCRAPES && collected.after.length >= LEAK_COLLECTIONS && collected.perRequest >= LEAK_FACTOR * limit;
  return { scrapes: n, start, ...(middle ? { middle } : {}), end, requests, perRequest, rising, ...(collected ? { collected } : {}), leak };
}

/** What the memory verdicts read from the service's view (ServiceView's fields). */
export interface MemoryView {
  heapMaxBytes?: number;
  rssMaxBytes?: number;
  /** Heap at the end minus at the start, and the requests finished meanwhile: used only without `heapSeries`. */
  heapGrowthBytes?: number;
  requests?: number;
  heapSeries?: readonly HeapReading[];
  /** The metric HeapReading.majorGcs is read from, as a selector ('nodejs_gc_duration_seconds_count{kind="major"}'): named in the reasons. */
  majorGcMetric?: string;
  restarts?: readonly ServiceRestart[];
  takingTurns?: TakingTurns;
  unavailable?: string;
}

const secs = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${+(b / 2 ** 20).toFixed(1)} MiB`;

/** "restarted 2 times (at 8.1 s and 16.3 s of the measured phase: process_start_time_seconds changed)". */
/** How the gate's note on a restart opens (`the service ${restartsText(...)}`; sloctl accept repeats it: verdicts/accept.ts). */
export const RESTART_NOTE_OPENING = 'the service restarted';

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
  const across = service.takingTurns ? `; a peak of whichever process answered each scrape: ${takingTurnsText(service.takingTurns)}` : restarts.length > 0 ? `; across ${restarts.length + 1} processes: the service ${restartsText(restarts)}` : '';
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
  if (service.takingTurns) {
    return { ...base, service: NaN, verdict: 'skipped', unmeasurable: true, measured: NaN, margin: NaN, reason: `not judged: ${takingTurnsText(service.takingTurns)}; heap growth per request read from one process's heap and another's counter means nothing` };
  }
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
  const metric = service.majorGcMetric ?? 'a count of major collections';
  const c = f.collected;
  const at = (r: HeapReading) => `${mib(r.heapBytes)} at ${secs(r.offsetMs)}`;
  const offsets = service.heapSeries!.map((r) => r.offsetMs);
  const span = secs(Math.max(...offsets) - Math.min(...offsets));
  if (f.leak && c?.middle && c.end) {
    const cPer = c.perRequest;
    const when = c.after.map((r) => secs(r.offsetMs)).join(', ');
    return { ...base, service: cPer, verdict: 'fail', measured: cPer, margin: limit - cPer, reason: `a leak: the heap right after major collections rose through the run: from the heap's floor of ${at(f.start)} (the lowest reading of the first third of ${f.scrapes} scrapes, at most what was retained then) to ${at(c.middle)} and ${at(c.end)} (the lowest readings after major collections in the earlier and later halves of the ${c.after.length} read after one, at ${when}; ${metric} went from ${c.firstCount} to ${c.lastCount}) over ${c.requests} requests, ${show(cPer)} per request, ${+(cPer / limit).toFixed(1)} times the limit ${show(limit)}; a major collection cannot lower the heap below what the service retains` };
  }
  const why = f.scrapes < LEAK_SCRAPES
    ? `${f.scrapes} scrapes are too few to show the heap rising through the run (${LEAK_SCRAPES} needed: a longer load.duration, or a shorter scrapeInterval)`
    : c === undefined
      ? `the service exports no count of its major garbage collections (${metric}), so no reading is known to follow one, and the heap's floor cannot tell retained memory from garbage not yet collected`
      : c.after.length < LEAK_COLLECTIONS
        ? `${c.lastCount === c.firstCount
          ? `no major collection ran in the ${span} of the run (${metric} stayed at ${c.firstCount})`
          : c.after.length === 0
            ? `the major collections of the ${span} run all ran in its first third (${metric} went from ${c.firstCount} to ${c.lastCount}), none later`
            : `only one reading past the first third of the ${span} run followed a major collection (${at(c.after[0])}; ${metric} went from ${c.firstCount} to ${c.lastCount}), ${LEAK_COLLECTIONS} needed to show the heap after collections rising`}: garbage promoted to the old generation stays until a major collection, so the heap's floor cannot tell retained memory from it`
        : !c.rising
          ? `the heap right after major collections did not rise through the run (the first third's floor ${at(f.start)}, then ${at(c.middle!)} and ${at(c.end!)} after collections; ${metric} went from ${c.firstCount} to ${c.lastCount}): what rose was garbage the collections took back`
          : `the heap right after major collections rose through the run (the first third's floor ${at(f.start)}, then ${at(c.middle!)} and ${at(c.end!)} after collections), but by ${show(c.perRequest)} per request, less than ${LEAK_FACTOR} times the limit, which what was allocated between a collection and its scrape can explain in one run`;
  return unproven(per, `heap grew ${show(per)} per request, over the limit ${show(limit)}, but no leak is shown: ${floorsText}; ${why}; a longer run (past several major collections) or the memory-leak drill can tell`);
}
