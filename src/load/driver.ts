// One thread's share of a load run: sends on the schedule (open model) or as fast as its connections
// answer (closed model) over its own keep-alive HTTP/1.1 connections (http1-connection.ts), times
// every request and returns what it measured.
//
// Open model (wrk2, vegeta): request i leaves at its intended time whether or not earlier ones came
// back; its latency is counted from that intended time, so a stalled target shows as the queue it
// causes (coordinated omission corrected), and the time from the write to the socket is kept
// apart as service time. The sender sleeps on a timer until the next request is due and then sends
// every request due by then. Node's timers have 1 ms granularity (they fire up to ~1 ms late), so a
// request due within `earlyMs` (0.5 ms) is sent at once, slightly early, and its latency is then
// counted from the actual send: the sends centre on the schedule (lag within about ±0.5 ms) and a
// latency is never shorter than what the client saw. Polling (setImmediate, `spinMs`) would be
// tighter on an idle machine but costs a whole core from 1000/s up, which a busy CI runner pays
// for in late sends; it stays available as a tuning knob.
//
// Closed model (autocannon, wrk): each of the `connections` loops sends its next request as soon as
// the previous one ended, so every connection always carries one request.
//
// Connections: up to `connections`, opened when first needed, one request on each at a time. A
// request due while all are busy waits in a queue for the next free one (the time it waited is part
// of its latency, and counted in a note when long). Memory is bounded: histograms are fixed-size,
// the requests in flight (waiting included) are kept in an intrusive list (each removed when it
// ends) and capped at `maxInFlight`, beyond which due requests are dropped and counted. A request
// still unsent END_GRACE_MS after the run's window ended is dropped too (a generator that far
// behind would stretch the run); one only a timer's or a GC's hiccup late at the end is sent late,
// as it would be mid-run, and counted as a late send. A timeout
// sweep aborts requests unanswered `timeoutMs` after their intended time; it runs every
// min(timeoutMs / 10, 50 ms), so a timeout fires up to that much late.

import { performance } from 'node:perf_hooks';
import { CONNECT_TIMEOUT, TIMEOUT } from './failure-kinds.ts';
import { Connection, targetOf, type ConnectionOwner, type Target } from './http1-connection.ts';
import { RequestEncoder, type WireRequest } from './http1-request.ts';
import { compileMix, type Mix, type PreparedRequest } from './mix.ts';
import { RunRecorder } from './recorder.ts';
import { SliceRecorder } from './slices.ts';
import type { Schedule } from './schedule.ts';
import { assessGenerator, GeneratorMonitor, lateThresholdMs, type GeneratorStats } from './self-check.ts';
import type { LoadOptions, LoadResult, LoadSlice } from './types.ts';
import type { Histogram } from '../measure/histogram.ts';

/** Which requests of the schedule this thread sends: global indexes index, index + count, ... */
export interface ThreadShare {
  index: number;
  count: number;
}

/** Internal knobs (tests and benchmarks); the defaults suit real runs. */
export interface ThreadTuning {
  /** Requests in flight beyond which due requests are dropped (default 10000). */
  maxInFlight?: number;
  /** Poll with setImmediate when the next send is due within this many ms (default 0: timers only). */
  spinMs?: number;
  /** Send a request up to this many ms before its intended time (default 0.5; see the file comment). */
  earlyMs?: number;
  /** Most requests sent in one turn of the event loop before letting responses in (default 256). */
  batch?: number;
}

export interface ThreadSnapshot {
  elapsedMs: number;
  sent: number;
  completed: number;
  errors: number;
  inFlight: number;
  /** Corrected latency of everything answered so far (live: read it, do not keep it). */
  latency: Histogram;
}

export interface ThreadOutcome {
  result: LoadResult;
  stats: GeneratorStats;
}

export interface DriverInput {
  options: LoadOptions;
  origin: string;
  schedule: Schedule;
  share: ThreadShare;
  tuning?: ThreadTuning;
  onTick?: (s: ThreadSnapshot) => void;
  /** With sliceMs: the slices that became final, in order from 0 (see LoadOptions.onSlice). */
  onSlices?: (slices: LoadSlice[]) => void;
  signal?: AbortSignal;
  /** Called once when the schedule starts, with the epoch ms LoadResult.startedAt will hold (see LoadOptions.onStart). */
  onStart?: (startedAt: number) => void;
  /**
   * When the schedule's time 0 is, as performance.timeOrigin + performance.now() (epoch ms with µs
   * precision, the same clock in every thread): worker threads share it so their interleaved
   * shares keep the global spacing. Default: now.
   */
  startAt?: number;
}

const DEFAULT_MAX_IN_FLIGHT = 10_000;
/**
 * How long after the window's end the sender still sends what was due in it (at least the late
 * threshold). A timer that fired 30 ms late at the end once dropped the last request of a trial,
 * and a dropped send makes the gate's run INCONCLUSIVE (the profile not delivered) where a late
 * one is weighed by its reach (src/verdicts/generator-lag.ts); a quarter second is far beyond such
 * a hiccup and short enough not to stretch a run whose generator is really behind.
 */
const END_GRACE_MS = 250;
/** Size of the read buffer the thread's connections share (one read is parsed before the next). */
const READ_BUFFER_BYTES = 64 * 1024;

/** One request on its way, from its intended send time to its answer or failure. */
class Flight {
  done = false;
  /** When it was written to a connected socket (-1 until then). */
  wireAt = -1;
  /** The connection carrying it (null while it waits for one). */
  conn: Connection<Flight> | null = null;
  /** Its slice of the timeline (LoadOptions.sliceMs; 0 when the run is not sliced). */
  slice = 0;
  prev: Flight | null = null;
  next: Flight | null = null;

  constructor(
    readonly wire: WireRequest,
    readonly route: number,
    /** Intended send time (performance.now() ms); the actual send for the closed model. */
    readonly intended: number,
    readonly dispatchedAt: number,
  ) {}
}

class ThreadRun implements ConnectionOwner<Flight> {
  private readonly o: LoadOptions;
  private readonly schedule: Schedule;
  private readonly share: ThreadShare;
  private readonly mix: Mix;
  private readonly encoder: RequestEncoder;
  /** Every connection, and the free ones (a stack: the most recently used first, still warm). */
  private readonly connections: Array<Connection<Flight>> = [];
  private readonly free: Array<Connection<Flight>> = [];
  /** Requests waiting for a free connection, oldest first, from `waitingHead` on (done ones are skipped). */
  private waiting: Flight[] = [];
  private waitingHead = 0;
  private readonly target: Target;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly rec: RunRecorder;
  /** The timeline, only with LoadOptions.sliceMs (null otherwise: one test per request). */
  private readonly slices: SliceRecorder | null;
  private readonly monitor = new GeneratorMonitor();
  private readonly maxInFlight: number;
  private readonly spinMs: number;
  private readonly earlyMs: number;
  private readonly batch: number;
  private readonly lateMs: number;
  private readonly closed: boolean;

  private t0 = 0;
  private startedAt = 0;
  private nextIndex: number;
  private inFlight = 0;
  private head: Flight | null = null;
  private tail: Flight | null = null;
  private stopped = false;
  private sendingOver = false;
  private endedAt = -1;
  private lateSends = 0;
  private maxLag = 0;
  /** Never sent: the in-flight bound was reached (droppedInFlight), or still due END_GRACE_MS after the window (droppedBehind). */
  private droppedInFlight = 0;
  private droppedBehind = 0;
  /** How far behind the sender was when it gave up on the rest, ms (with droppedBehind). */
  private behindMs = 0;
  private cancelled = 0;
  private waitedForConnection = 0;
  private loopsRunning = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;
  private readonly onTick?: (s: ThreadSnapshot) => void;
  private readonly onSlices?: (slices: LoadSlice[]) => void;
  private readonly onStart?: (startedAt: number) => void;

  constructor(input: DriverInput) {
    this.o = input.options;
    this.schedule = input.schedule;
    this.share = input.share;
    this.closed = input.schedule.model === 'closed';
    // One sequence for the whole run (a pure function of the seed and the request's index): each
    // thread sends its share of it, so the mix is faithful over the union of the threads.
    this.mix = compileMix(this.o.requests, this.o.seed ?? 1);
    this.rec = new RunRecorder(this.mix.names);
    this.slices = this.o.sliceMs === undefined ? null : new SliceRecorder(this.o.sliceMs, this.mix.names);
    this.maxInFlight = input.tuning?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.spinMs = input.tuning?.spinMs ?? 0;
    this.earlyMs = input.tuning?.earlyMs ?? 0.5;
    this.batch = input.tuning?.batch ?? 256;
    this.lateMs = lateThresholdMs(this.schedule.requestedRate);
    this.nextIndex = input.share.index;
    this.onTick = input.onTick;
    this.onSlices = input.onSlices;
    this.onStart = input.onStart;
    this.target = targetOf(input.origin);
    this.encoder = new RequestEncoder(new URL(input.origin).host);
  }

  async run(signal?: AbortSignal, startAt?: number): Promise<ThreadOutcome> {
    if (startAt !== undefined) await waitUntil(startAt - performance.timeOrigin, signal);
    this.t0 = startAt === undefined ? performance.now() : startAt - performance.timeOrigin;
    // From the shared instant itself when given, so every worker (and the merge) holds the same ms.
    this.startedAt = Math.round(startAt ?? performance.timeOrigin + this.t0);
    // Before any timer exists: a callback that throws rejects the run with nothing left running.
    this.onStart?.(this.startedAt);
    this.monitor.start();
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    const sweepMs = Math.max(1, Math.min(this.o.timeoutMs / 10, 50));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    if (this.onTick) this.ticker = setInterval(() => this.onTick!(this.snapshot()), 1000);

    if (signal?.aborted) this.stop();
    else if (this.closed) this.startClosed();
    else this.pump();

    await done;
    signal?.removeEventListener('abort', onAbort);
    clearInterval(this.sweeper);
    if (this.ticker) clearInterval(this.ticker);
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    const health = this.monitor.stop();
    for (const c of this.connections) c.abort();
    return this.outcome(health);
  }

  snapshot(): ThreadSnapshot {
    return {
      elapsedMs: performance.now() - this.t0,
      sent: this.rec.sent,
      completed: this.rec.completed,
      errors: this.rec.errors,
      inFlight: this.inFlight,
      latency: this.rec.latency,
    };
  }

  // --- open model ---

  private readonly pumpBound = (): void => this.pump();

  private pump(): void {
    this.timer = null;
    this.immediate = null;
    if (this.stopped || this.sendingOver) return;
    const { total, durationMs } = this.schedule;
    const step = this.share.count;
    const grace = durationMs + Math.max(this.lateMs, END_GRACE_MS);
    let sentNow = 0;
    while (this.nextIndex < total) {
      const due = this.schedule.timeOf(this.nextIndex);
      const now = performance.now() - this.t0;
      if (due > now + this.earlyMs) break;
      if (now > grace) {
        // Too far behind to send the rest in the run's time: they count as dropped.
        this.droppedBehind += Math.ceil((total - this.nextIndex) / step);
        this.behindMs = now - due;
        this.nextIndex = total;
        break;
      }
      if (sentNow >= this.batch) {
        this.immediate = setImmediate(this.pumpBound);
        return;
      }
      if (this.inFlight >= this.maxInFlight) this.droppedInFlight++;
      else {
        const lag = now - due;
        const late = lag > this.lateMs;
        if (late) this.lateSends++;
        if (lag > this.maxLag) this.maxLag = lag;
        // Latency counts from the earlier of the intended time and the actual send: from the intended
        // time when sent late (the lag is part of what a user would have waited: coordinated omission
        // corrected), from the send when sent early (never less than what the client saw).
        this.send(this.mix.at(this.nextIndex), this.t0 + Math.min(due, now), this.t0 + now, due, late ? lag : undefined);
        sentNow++;
      }
      this.nextIndex += step;
    }
    if (this.nextIndex >= total) {
      // Nothing left to send; the run still lasts its planned time (a ramp may end at rate 0).
      const left = durationMs - (performance.now() - this.t0);
      if (left > 0) this.timer = setTimeout(() => this.endSending(), left);
      else this.endSending();
      return;
    }
    const wait = this.schedule.timeOf(this.nextIndex) - this.earlyMs - (performance.now() - this.t0);
    if (wait <= this.spinMs) this.immediate = setImmediate(this.pumpBound);
    else this.timer = setTimeout(this.pumpBound, wait - this.spinMs);
  }

  // --- closed model: each connection sends its next request when the previous one ended ---

  private startClosed(): void {
    this.loopsRunning = this.o.connections;
    for (let c = 0; c < this.o.connections; c++) this.closedNext();
  }

  private closedNext(): void {
    const now = performance.now();
    if (this.stopped || this.sendingOver || now - this.t0 >= this.schedule.durationMs) {
      if (--this.loopsRunning === 0) this.endSending();
      return;
    }
    // No schedule: this thread's requests are still its share of the sequence, in order.
    this.send(this.mix.at(this.nextIndex), now, now, now - this.t0);
    this.nextIndex += this.share.count;
  }

  private readonly closedNextBound = (): void => this.closedNext();

  // --- requests ---

  /**
   * `atMs`: its intended send time from the start (the schedule's, even when sent a hair early),
   * which picks its slice; `lateLagMs`: how late it left, when past the late threshold.
   */
  private send(req: PreparedRequest, intended: number, now: number, atMs: number, lateLagMs?: number): void {
    const f = new Flight(this.encoder.encode(req), req.route, intended, now);
    if (this.slices) f.slice = this.slices.sent(atMs, req.route, lateLagMs);
    if (this.tail) {
      this.tail.next = f;
      f.prev = this.tail;
    } else this.head = f;
    this.tail = f;
    this.inFlight++;
    this.rec.sentOne(req.route);
    let conn = this.free.pop();
    if (conn === undefined && this.connections.length < this.o.connections) {
      conn = new Connection<Flight>(this.target, this, this.readBuffer);
      this.connections.push(conn);
    }
    if (conn === undefined) this.wait(f);
    else this.sendOn(conn, f, now);
  }

  private sendOn(conn: Connection<Flight>, f: Flight, now: number): void {
    f.conn = conn;
    if (conn.send(f, now)) f.wireAt = now;
  }

  private wait(f: Flight): void {
    // Done requests (timed out while waiting) are skipped when reached; compact when they pile up.
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead).filter((w) => !w.done);
      this.waitingHead = 0;
    }
    this.waiting.push(f);
  }

  /** A connection is free: it takes the oldest waiting request, or waits itself. */
  private release(conn: Connection<Flight>, now: number): void {
    while (this.waitingHead < this.waiting.length) {
      const f = this.waiting[this.waitingHead++];
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      if (!f.done) {
        this.sendOn(conn, f, now);
        return;
      }
    }
    this.free.push(conn);
  }

  /** Written once the connection opened (it was not open when the request was handed to it). */
  written(f: Flight): void {
    f.wireAt = performance.now();
  }

  private unlink(f: Flight): void {
    f.done = true;
    f.conn = null;
    this.inFlight--;
    if (f.prev) f.prev.next = f.next;
    else this.head = f.next;
    if (f.next) f.next.prev = f.prev;
    else this.tail = f.prev;
    f.prev = f.next = null;
  }

  answered(conn: Connection<Flight>, f: Flight, status: number, now: number, shed: boolean, errorClass = ''): void {
    if (f.done) return;
    this.unlink(f);
    if (f.wireAt >= 0 && f.wireAt - f.dispatchedAt > this.lateMs) this.waitedForConnection++;
    const latencyUs = (now - f.intended) * 1000;
    this.rec.answered(f.route, status, latencyUs, f.wireAt >= 0 ? (now - f.wireAt) * 1000 : -1, shed, errorClass);
    if (this.slices) this.slices.answered(f.slice, f.route, status, latencyUs, shed, errorClass);
    this.release(conn, now);
    this.afterRequest(false);
  }

  failed(conn: Connection<Flight>, f: Flight, code: string, detail?: string): void {
    if (f.done) return;
    this.unlink(f);
    this.rec.failed(f.route, code, detail);
    if (this.slices) this.slices.failed(f.slice, f.route, code);
    this.release(conn, performance.now());
    this.afterRequest(true);
  }

  replayed(f: Flight): void {
    this.rec.replayedOne(f.route);
  }

  private timeOut(f: Flight): void {
    const conn = f.conn;
    // Never written, on a connection that spent most of the timeout trying to open: the connect
    // timed out (a request that waited in the queue and was handed to a fresh connection did not).
    const connecting = conn !== null && f.wireAt < 0 && conn.connectingMs(performance.now()) >= this.o.timeoutMs / 2;
    this.unlink(f);
    const kind = connecting ? CONNECT_TIMEOUT : TIMEOUT;
    this.rec.failed(f.route, kind);
    // Never written and not connecting: it waited for a free connection all along (all busy), or
    // was handed one only moments ago. Either way the target never saw it (connection-queue.ts).
    if (kind === TIMEOUT && f.wireAt < 0) this.rec.queuedTimeout(f.route);
    if (this.slices) this.slices.failed(f.slice, f.route, kind);
    if (conn !== null) {
      conn.abort();
      this.release(conn, performance.now());
    }
    this.afterRequest(true);
  }

  private afterRequest(failed: boolean): void {
    if (this.closed && !this.stopped) {
      // A failure can come back synchronously (e.g. refused at once): yield to the event loop so a
      // dead target does not turn the loop into a synchronous spin.
      if (failed) setImmediate(this.closedNextBound);
      else this.closedNext();
    } else if (this.sendingOver && this.inFlight === 0) this.end();
  }

  /** Aborts requests unanswered timeoutMs after their intended time (the list is in that order). */
  private sweep(): void {
    const limit = performance.now() - this.o.timeoutMs;
    // The closed model's list is in send order too: each loop appends when it sends.
    while (this.head && this.head.intended <= limit) this.timeOut(this.head);
    if (this.slices) {
      const from = this.sendingFrom();
      this.slices.settle(from);
      if (this.onSlices) {
        const final = this.slices.takeFinal(from);
        if (final.length > 0) this.onSlices(final);
      }
    }
  }

  /** No request can be intended (ms from the start) before this any more: slices ending by then can settle. */
  private sendingFrom(): number {
    if (this.sendingOver) return Infinity;
    if (this.closed) return performance.now() - this.t0;
    return this.nextIndex < this.schedule.total ? this.schedule.timeOf(this.nextIndex) : Infinity;
  }

  // --- ending ---

  private endSending(): void {
    if (this.sendingOver) return;
    this.sendingOver = true;
    this.endedAt = performance.now() - this.t0;
    if (this.inFlight === 0) this.end();
  }

  /** The run's signal: stop sending, cancel what is in flight, return what was measured. */
  stop(): void {
    if (this.stopped || this.finish === null) return;
    this.stopped = true;
    if (!this.sendingOver) {
      this.sendingOver = true;
      this.endedAt = performance.now() - this.t0;
    }
    while (this.head) {
      const f = this.head;
      const conn = f.conn;
      this.unlink(f);
      this.cancelled++;
      if (this.slices) this.slices.cancelled(f.slice);
      conn?.abort();
    }
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.end();
  }

  private end(): void {
    const finish = this.finish;
    this.finish = null;
    finish?.();
  }

  private outcome(health: { eventLoopDelayP99Ms: number; cpu: number }): ThreadOutcome {
    const { schedule } = this;
    const stoppedEarly = this.stopped && this.endedAt < schedule.durationMs;
    const durationMs = stoppedEarly ? Math.max(this.endedAt, 0) : schedule.durationMs;
    // This thread's share of the requested rate (all threads' shares add up to the schedule's).
    let requestedRate: number | null = null;
    if (!this.closed && durationMs > 0) {
      const due = stoppedEarly ? schedule.dueBefore(durationMs) : schedule.total;
      requestedRate = (countOfShare(due, this.share) / durationMs) * 1000;
    }
    const stats: GeneratorStats = {
      requestedRate,
      sent: this.rec.sent,
      durationMs,
      lateSends: this.lateSends,
      lateThresholdMs: this.lateMs,
      maxLagMs: this.maxLag,
      droppedSends: this.droppedInFlight + this.droppedBehind,
      eventLoopDelayP99Ms: health.eventLoopDelayP99Ms,
      cpu: health.cpu,
      workers: 1,
      ...(this.waitedForConnection + this.rec.queuedTimeouts > 0
        ? { connectionWaits: { waited: this.waitedForConnection + this.rec.queuedTimeouts, waitMs: round3(this.lateMs), connections: this.o.connections } }
        : {}),
      ...(this.droppedInFlight + this.droppedBehind > 0
        ? { drops: { inFlight: this.droppedInFlight, inFlightBound: this.maxInFlight, behind: this.droppedBehind, behindMs: round3(this.behindMs) } }
        : {}),
    };
    const notes: string[] = [];
    if (this.cancelled > 0) notes.push(`${this.cancelled} request${this.cancelled === 1 ? '' : 's'} in flight when the run was stopped ${this.cancelled === 1 ? 'was' : 'were'} cancelled: counted as sent, neither answered nor failed`);
    if (this.waitedForConnection > 0) {
      notes.push(
        `${this.waitedForConnection} request${this.waitedForConnection === 1 ? '' : 's'} waited more than ${Math.round(this.lateMs)} ms for a free connection (all ${this.o.connections} busy): ` +
          'their latency includes that wait; raise --connections to see the target alone',
      );
    }
    if (this.rec.replayed > 0) {
      notes.push(
        `${this.rec.replayed} requests were sent again on a new connection: the server closed the reused keep-alive connection they went out on before any byte of an answer ` +
          '(the HTTP/1.1 keep-alive race; idempotent methods only, once each, as Go\'s client and browsers do); their latency includes both attempts',
      );
    }
    const seconds = durationMs / 1000;
    const slices = this.slices ? this.slices.result(durationMs) : undefined;
    // The ones not handed out while the run went: the last, and any the stop ended early.
    if (slices && this.onSlices && this.slices!.takenCount < slices.length) this.onSlices(slices.slice(this.slices!.takenCount));
    const result: LoadResult = {
      source: 'sloctl',
      url: this.o.url,
      model: this.closed ? 'closed' : 'open',
      startedAt: this.startedAt,
      durationMs: round3(durationMs),
      sent: this.rec.sent,
      completed: this.rec.completed,
      errors: this.rec.errors,
      timeouts: this.rec.timeouts,
      throughput: seconds > 0 ? round3(this.rec.completed / seconds) : 0,
      latency: this.rec.latency.summary(),
      serviceTime: this.rec.service.summary(),
      statuses: this.rec.statuses(),
      routes: this.rec.routes(),
      generator: assessGenerator(stats),
      notes,
      ...(this.rec.details.size > 0 ? { errorDetails: Object.fromEntries(this.rec.details) } : {}),
      ...(slices ? { slices, sliceMs: this.slices!.sliceMs } : {}),
    };
    return { result, stats };
  }
}

/** Requests among the first `n` of the schedule that belong to a share. */
export function countOfShare(n: number, share: ThreadShare): number {
  return n > share.index ? Math.ceil((n - share.index) / share.count) : 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Runs one thread's share of the load. */
export function runThread(input: DriverInput): Promise<ThreadOutcome> {
  return new ThreadRun(input).run(input.signal, input.startAt);
}

/** Resolves at performance.now() >= t (a timer, then polling for the last millisecond), or on abort. */
function waitUntil(t: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      const left = t - performance.now();
      if (left <= 0 || signal?.aborted) resolve();
      else if (left > 2) setTimeout(check, left - 1);
      else setImmediate(check);
    };
    check();
  });
}
