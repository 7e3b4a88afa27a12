// What one thread measured, per route and overall: fixed-size histograms and counters, so memory
// does not grow with the number of requests. Templates that share a name share a route.

import { Histogram } from '../measure/histogram.ts';
import type { RouteResult } from './types.ts';
import { classMarksJson, countMark } from '../measure/class-marks.ts';

class RouteSlot {
  sent = 0;
  completed = 0;
  readonly statuses = new Map<number, number>();
  readonly errors = new Map<string, number>();
  /** Timeouts of requests no connection was free to carry: they never reached the target. */
  queuedTimeouts = 0;
  /** Requests sent again after their reused connection closed before answering (http1-connection.ts). */
  replayed = 0;
  /** Answers the service marked shed (its limiter turned the request away), counted in `statuses` too. */
  shed = 0;
  /** Answers the service marked with an error class (sloctl-error-class), by "status class" (classMarks). */
  marks: Map<string, number> | null = null;
  readonly latency = new Histogram();
  readonly service = new Histogram();
  constructor(readonly name: string) {}
}

export class RunRecorder {
  /** Slot of each template index. */
  private readonly slotOf: RouteSlot[];
  private readonly slots: RouteSlot[] = [];
  /** All routes together, kept as they go so progress can read a percentile without merging. */
  readonly latency = new Histogram();
  readonly service = new Histogram();
  sent = 0;
  completed = 0;
  /** Responses with status >= 400 plus failures without a response. */
  errors = 0;
  timeouts = 0;
  queuedTimeouts = 0;
  replayed = 0;
  /** The first detail given for each failure kind (e.g. the first bytes of a response that is not HTTP). */
  readonly details = new Map<string, string>();

  constructor(templateNames: readonly string[]) {
    const byName = new Map<string, RouteSlot>();
    this.slotOf = templateNames.map((name) => {
      let slot = byName.get(name);
      if (!slot) {
        slot = new RouteSlot(name);
        byName.set(name, slot);
        this.slots.push(slot);
      }
      return slot;
    });
  }

  sentOne(route: number): void {
    this.slotOf[route].sent++;
    this.sent++;
  }

  /** A full response: latency from the intended send time, service time from the write to the socket (µs). */
  answered(route: number, status: number, latencyUs: number, serviceUs: number, shed = false, errorClass = ''): void {
    const slot = this.slotOf[route];
    slot.completed++;
    if (shed) slot.shed++;
    else if (errorClass !== '') slot.marks = countMark(slot.marks, status, errorClass);
    this.completed++;
    slot.statuses.set(status, (slot.statuses.get(status) ?? 0) + 1);
    if (status >= 400) this.errors++;
    slot.latency.record(latencyUs);
    this.latency.record(latencyUs);
    if (serviceUs >= 0) {
      slot.service.record(serviceUs);
      this.service.record(serviceUs);
    }
  }

  /** A failure without a response: "timeout" or an error code, and what more there is to say of it. */
  failed(route: number, kind: string, detail?: string): void {
    if (detail !== undefined && !this.details.has(kind)) this.details.set(kind, detail);
    const slot = this.slotOf[route];
    slot.errors.set(kind, (slot.errors.get(kind) ?? 0) + 1);
    this.errors++;
    if (kind === 'timeout') this.timeouts++;
  }

  /** A "timeout" of a request still waiting for a free connection (recorded by failed() too). */
  queuedTimeout(route: number): void {
    this.slotOf[route].queuedTimeouts++;
    this.queuedTimeouts++;
  }

  /** A request going out a second time, on a new connection (it stays one request in `sent`). */
  replayedOne(route: number): void {
    this.slotOf[route].replayed++;
    this.replayed++;
  }

  statuses(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const slot of this.slots) for (const [s, n] of slot.statuses) out[s] = (out[s] ?? 0) + n;
    return sortKeys(out);
  }

  routes(): RouteResult[] {
    return this.slots.map((s) => ({
      name: s.name,
      sent: s.sent,
      completed: s.completed,
      statuses: sortKeys(Object.fromEntries([...s.statuses].map(([k, v]) => [String(k), v]))),
      errors: sortKeys(Object.fromEntries(s.errors)),
      latency: s.latency.summary(),
      serviceTime: s.service.summary(),
      histogram: s.latency.toJSON(),
      serviceHistogram: s.service.toJSON(),
      ...(s.queuedTimeouts > 0 ? { queuedTimeouts: s.queuedTimeouts } : {}),
      ...(s.replayed > 0 ? { replayed: s.replayed } : {}),
      ...(s.shed > 0 ? { shed: s.shed } : {}),
      ...classMarksJson(s.marks),
    }));
  }
}

/**
 * An optional count of parts added up, absent when none (as a route or slice carries it): a merged
 * route's or slice's `shed`, a merged route's `queuedTimeouts` and `replayed`.
 */
export function summedCount<K extends string>(parts: ReadonlyArray<Partial<Record<K, number>>>, key: K): Partial<Record<K, number>> {
  const n = parts.reduce((a, p) => a + (p[key] ?? 0), 0);
  return n > 0 ? ({ [key]: n } as Partial<Record<K, number>>) : {};
}

export function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
