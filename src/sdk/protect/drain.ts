// Graceful drain: stop a service without losing a request it accepted.
//
//   const drainer = sdk.serve(server, { signals: true });   // SIGTERM / SIGUSR2 drain, SIGUSR1 sheds
//
// The order matters, and each step is there for a client that would otherwise lose a request:
//   1. health says DOWN (sdk.drain()), so load balancers and readiness probes move traffic away;
//   2. for `announceMs` the server keeps accepting and serving as before: a balancer only sees DOWN
//      at its next probe, and a connection refused before then is a request lost. Keep-alive stays
//      on here on purpose: answering `Connection: close` now would make every client reconnect for
//      every request, and at the moment the listener closes, the connections the kernel has
//      completed but Node not yet accepted (the listen backlog) are reset: measured, 5 to 60
//      requests lost at 300 req/s. With keep-alive, almost nobody is connecting at that moment;
//   3. the listener closes once the kernel's accept queue is empty (connections it completed that
//      the server has not accepted: closing resets them; Linux shows the queue, accept-queue.ts).
//      Not with http's server.close(): since Node 19 it also closes every idle keep-alive
//      connection at once, which is the race of step 4; the framework's own close (Fastify's
//      app.close() calls server.close()) belongs in `onDrained`, when no connection is left. From now on every response carries
//      `Connection: close` (responses already begun included), so a keep-alive client's next
//      request on that connection is answered and the connection closes behind it;
//   4. from IDLE_CLOSE_MS after the close, a connection idle that long is closed: not at once, because a client may be writing
//      its next request on a connection the server sees idle, and closing it then resets that
//      request (an HTTP/1.1 race no server can win); one idle that long is one nobody is using
//      (a balancer that saw DOWN stopped sending on it);
//   5. every request in flight finishes; then `onDrained` runs and, for a drain a signal or the
//      drift responder started, the process exits 0 (1 when the deadline cut requests).
// `timeoutMs` bounds the whole drain (from step 1): what is still open then is cut and logged.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';
import { acceptQueueLength } from './accept-queue.ts';

/** One JSON line per drain step (stderr by default). */
export interface DrainLogLine {
  time: string;
  event: 'drain' | 'shed' | 'unhandled-requests' | 'signal-listeners';
  phase?: 'announce' | 'closing' | 'drained' | 'cut';
  reason: string;
  inFlight?: number;
  connections?: number;
  elapsedMs?: number;
  message?: string;
  /** unhandled-requests: requests the server received, and those the SDK's adapter (or its health and metrics endpoints) handled. */
  arrived?: number;
  handled?: number;
  /** signal-listeners: the signal, and how many listeners besides the drainer's it has. */
  signal?: string;
  listeners?: number;
}

export interface ServeOptions {
  /**
   * How long the server keeps accepting after health turns DOWN (ms), so load balancers see DOWN
   * before connections are refused. Default 10000: twice a 5 s probe interval. Set it to your
   * balancer's probe period × its failure threshold, plus a margin.
   */
  announceMs?: number;
  /** The whole drain's deadline, from its start (ms): then open connections are cut (and logged). Default 30000, Kubernetes' default grace. */
  timeoutMs?: number;
  /** Install process signal handlers: SIGTERM and SIGUSR2 drain (then exit), SIGUSR1 toggles shedding. Default false. Another SIGTERM / SIGUSR2 listener (now or later) is warned about once, and left in place. */
  signals?: boolean;
  /** Runs after the drain, when no connection is left: the framework's close (Fastify's `app.close()`, for its onClose hooks), pools, other servers; then the exit. */
  onDrained?: (result: DrainResult) => unknown;
  /** Called with 0 after a drain a signal or the drift responder started (1 if the deadline cut requests or onDrained threw). Default process.exit; false: no exit. */
  exit?: ((code: number) => void) | false;
  /** Where the JSON lines go. Default: one line on stderr each. */
  log?: (line: DrainLogLine) => void;
}

export interface DrainResult {
  reason: string;
  /** Requests still in flight, and connections still open, when the deadline cut them (0: a clean drain). */
  cut: { requests: number; connections: number };
  /** The drain's duration (ms). */
  elapsedMs: number;
}

/** What the drainer needs of the Sdk (kept narrow so it can be tested alone). */
export interface DrainHost {
  drain(): void;
  readonly recorder: { readonly inFlight: number };
  readonly admission?: { shed?(on: boolean, reason: string): unknown };
  /** Requests the SDK's adapter handled so far (begun), plus those its health and metrics endpoints answered. */
  handledRequests?(): number;
}

/** Requests the server received that the SDK never handled, before it says so (once): a few (a drill endpoint's, a probe's) are no sign. */
export const UNHANDLED_WARN_AT = 100;
/** How often the arrivals are compared with what the SDK handled (ms; the timer does not hold the process open). */
export const UNHANDLED_CHECK_MS = 5000;

/** The signals the drainer drains on and then exits: another listener on them may exit first. */
const EXITING_SIGNALS = ['SIGTERM', 'SIGUSR2'] as const satisfies readonly NodeJS.Signals[];

export const DEFAULT_ANNOUNCE_MS = 10_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
const IDLE_SWEEP_MS = 100;
/** How long the drain waits for an empty accept queue before it closes the listener anyway. */
const QUEUE_WAIT_MS = 500;
/** After the listener closed, a connection idle this long is closed (see step 4 above). */
export const IDLE_CLOSE_MS = 1000;

type ResponseLike = { headersSent: boolean; writableEnded?: boolean; setHeader(k: string, v: string): void; once(e: 'finish', f: () => void): unknown };
type TrackedSocket = Socket & { _httpMessage?: ResponseLike | null };

export function jsonLineToStderr(line: object): void {
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export class Drainer {
  readonly announceMs: number;
  readonly timeoutMs: number;
  private readonly sockets = new Set<Socket>();
  private draining = false;
  /** Responses after the listener closed say Connection: close. */
  private closing = false;
  /** Per connection, when it last had a request or finished a response (tracked from the drain's start only). */
  private readonly lastActive = new WeakMap<Socket, number>();
  private result: Promise<DrainResult> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private shedding = false;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  /** The signals whose other listeners were warned about (once each). */
  private readonly warnedSignals = new Set<NodeJS.Signals>();
  private readonly log: (line: DrainLogLine) => void;
  /** Requests the server received (its 'request' events): one increment per request, compared off the hot path. */
  private arrivals = 0;
  private unhandledTimer: NodeJS.Timeout | undefined;
  private unhandledSaid = false;
  /** The drain could not list the connections opened before serve() (see run()). */
  private unlisted = false;
  /** Called when the last tracked connection closed (set while a drain waits for it). */
  private onEmpty: (() => void) | undefined;

  constructor(private readonly host: DrainHost, readonly server: Server, private readonly opts: ServeOptions = {}) {
    if (server === null || typeof server !== 'object' || typeof server.close !== 'function' || typeof server.on !== 'function') {
      throw new TypeError('sloctl: sdk.serve(server) expects a node:http (or https) Server: for Fastify pass app.server, for Express the value app.listen() returns');
    }
    const num = (v: number | undefined, d: number, what: string) => {
      if (v === undefined) return d;
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`sloctl: sdk.serve(): ${what} must be a number of ms >= 0, got ${String(v)}`);
      return v;
    };
    this.timeoutMs = num(opts.timeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 'timeoutMs');
    // The announce cannot eat the whole deadline: requests in flight need time to finish.
    this.announceMs = Math.min(num(opts.announceMs, DEFAULT_ANNOUNCE_MS, 'announceMs'), this.timeoutMs);
    this.log = opts.log ?? jsonLineToStderr;
    // Per connection, not per request: the hot path pays nothing until a drain starts. The
    // connections open before serve() are looked up when a drain starts (run()).
    server.on('connection', (s: Socket) => this.track(s));
    // Before the framework's own listener, so a response started now is marked. Its listener is
    // wrapped when it is the only one, as the Fastify plugin does: a second listener would take
    // every request off Node's single-listener path (an array copied and walked per request).
    const arrived = (req: IncomingMessage, res: ServerResponse): void => {
      this.arrivals++;
      if (!this.draining) return;
      // A connection the drain has not met (opened before serve(), on a Node that does not list its connections).
      if (!this.sockets.has(req.socket)) this.track(req.socket);
      this.touch(req.socket, res);
      if (this.closing && !res.headersSent) res.setHeader('connection', 'close');
    };
    const listeners = server.listeners('request');
    if (listeners.length === 1) {
      const framework = listeners[0] as (this: unknown, req: IncomingMessage, res: ServerResponse) => void;
      server.removeListener('request', framework);
      server.on('request', function sloctlDrainRequest(this: unknown, req: IncomingMessage, res: ServerResponse) {
        arrived(req, res);
        framework.call(this, req, res);
      });
    } else server.prependListener('request', arrived);
    if (opts.signals) this.installSignals();
    if (typeof host.handledRequests === 'function') {
      this.unhandledTimer = setInterval(() => this.checkUnhandled(), UNHANDLED_CHECK_MS);
      this.unhandledTimer.unref?.();
      server.once('close', () => clearInterval(this.unhandledTimer));
    }
  }

  /**
   * Compares the requests the server received with those the SDK handled; once at least
   * UNHANDLED_WARN_AT went unhandled and they are most of them, logs one warning line (JSON on
   * stderr, as the drain's) and stops checking: the adapter is registered where most requests never
   * reach it (Koa or Express: after the routers), so the SDK's metrics and health see nothing.
   * Returns the line when it logged it. Runs on a timer; callable directly (tests).
   */
  checkUnhandled(): DrainLogLine | undefined {
    if (this.unhandledSaid || typeof this.host.handledRequests !== 'function') return undefined;
    const arrived = this.arrivals;
    const handled = Math.min(this.host.handledRequests(), arrived);
    const unhandled = arrived - handled;
    if (unhandled < UNHANDLED_WARN_AT || handled >= arrived / 2) return undefined;
    this.unhandledSaid = true;
    clearInterval(this.unhandledTimer);
    const line: DrainLogLine = {
      time: new Date().toISOString(), event: 'unhandled-requests', reason: 'the adapter never saw most requests', arrived, handled,
      message: `sloctl: ${arrived} requests reached the server and the SDK handled ${handled} of them: its adapter does not see the rest, so its metrics and health do not count them; register the middleware before the routers (sloctl/sdk/koa: app.use(middleware(sdk)) before app.use(router.routes()); sloctl/sdk/express: app.use(middleware(sdk)) before the routes; sloctl/sdk/hono: app.use('*', middleware(sdk)) first)`,
    };
    this.log(line);
    return line;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Drains (once: later calls get the same promise). Resolves when every request finished or the deadline cut them. */
  drain(reason = 'drain requested'): Promise<DrainResult> {
    this.result ??= this.run(reason);
    return this.result;
  }

  /** Drains, runs onDrained, then exits (the `exit` option): what a signal or the drift responder calls. */
  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= (async () => {
      let code = 0;
      try {
        const r = await this.drain(reason);
        // A drain that cut requests lost work: say so in the exit code too.
        if (r.cut.requests > 0) code = 1;
        await this.opts.onDrained?.(r);
      } catch (err) {
        code = 1;
        this.emit({ event: 'drain', reason, message: `shutdown failed: ${err instanceof Error ? err.message : String(err)}` });
      }
      const exit = this.opts.exit === undefined ? (c: number) => process.exit(c) : this.opts.exit;
      if (exit !== false) exit(code);
    })();
    return this.shutdownPromise;
  }

  /** Turns shedding on or off through sdk.admission (the adaptive limiter), when the service has one. */
  shed(on: boolean, reason: string): void {
    const shed = this.host.admission?.shed;
    if (typeof shed !== 'function') {
      this.emit({ event: 'shed', reason, message: 'no admission limiter in this SDK (sdk.admission): nothing to shed with' });
      return;
    }
    shed.call(this.host.admission, on, reason);
    this.shedding = on;
    this.emit({ event: 'shed', reason, message: on ? 'shedding on' : 'shedding off' });
  }

  /**
   * SIGTERM and SIGUSR2: drain, then exit; SIGUSR1: shedding on (again: off). Idempotent. Another
   * listener on SIGTERM or SIGUSR2, there now or added later, is warned about once (a JSON line):
   * Node calls every listener, and one that exits the process ends the drain half way.
   */
  installSignals(): this {
    if (this.handlers.length > 0) return this;
    const drain = (sig: NodeJS.Signals) => () => {
      // Here too, in case a listener came some way 'newListener' did not see.
      this.checkOtherSignalListeners(sig, 'signal');
      void this.shutdown(sig);
    };
    this.handlers.push(['SIGTERM', drain('SIGTERM')], ['SIGUSR2', drain('SIGUSR2')], ['SIGUSR1', () => this.shed(!this.shedding, 'SIGUSR1')]);
    // First in line: health is DOWN and the warning written before another listener can exit
    // (stderr is synchronous on Linux).
    for (const [sig, fn] of this.handlers) process.prependListener(sig, fn);
    process.on('newListener', this.onNewListener);
    for (const sig of EXITING_SIGNALS) this.checkOtherSignalListeners(sig, 'installed');
    return this;
  }

  removeSignals(): void {
    for (const [sig, fn] of this.handlers) process.off(sig, fn);
    process.off('newListener', this.onNewListener);
    this.handlers.length = 0;
  }

  private readonly onNewListener = (event: string | symbol, listener: unknown): void => {
    if (!(EXITING_SIGNALS as readonly (string | symbol)[]).includes(event)) return;
    if (this.handlers.some(([, fn]) => fn === listener)) return;
    // 'newListener' comes before the listener is added: look once it is there.
    process.nextTick(() => this.checkOtherSignalListeners(event as NodeJS.Signals, 'added'));
  };

  /**
   * Logs, once per signal, that `sig` has listeners besides the drainer's (its own are not
   * counted; another SDK's drainer is). Returns the line when it logged it. The other listeners
   * stay: they may be harmless (a log line), and they are the user's.
   */
  checkOtherSignalListeners(sig: NodeJS.Signals, when: 'installed' | 'added' | 'signal'): DrainLogLine | undefined {
    if (this.warnedSignals.has(sig) || this.handlers.length === 0) return undefined;
    const own = new Set<unknown>(this.handlers.map(([, fn]) => fn));
    const others = process.listeners(sig).filter((l) => !own.has(l));
    if (others.length === 0) return undefined;
    this.warnedSignals.add(sig);
    const names = others.map((l) => l.name).filter((n) => n !== '' && !n.startsWith('bound '));
    const named = names.length > 0 ? ` (named: ${names.join(', ')})` : '';
    const at = when === 'signal' ? `${sig} arrived and ` : when === 'added' ? 'a listener was added: ' : '';
    const line: DrainLogLine = {
      time: new Date().toISOString(), event: 'signal-listeners', reason: `${others.length} other ${sig} listener(s)`, signal: sig, listeners: others.length,
      message: `sloctl: sdk.serve(server, { signals: true }) drains on ${sig} and exits once the last request has finished, but ${at}${others.length} other ${sig} listener(s)${named} run too: one that exits the process or closes the server (process.exit(), close-with-grace, Nest's app.enableShutdownHooks()) loses the requests the drain is finishing. Move its work into sdk.serve()'s onDrained (it runs after the drain, before the exit), or leave signals off and call drainer.shutdown('${sig}') from your own ${sig} handler. The SDK leaves the other listener(s) in place.`,
    };
    this.emitLine(line);
    return line;
  }

  /** Follows a connection until it closes (idempotent). */
  private track(s: Socket): void {
    if (this.sockets.has(s) || s.destroyed) return;
    this.sockets.add(s);
    s.once('close', () => {
      this.sockets.delete(s);
      if (this.sockets.size === 0) this.onEmpty?.();
    });
  }

  private touch(socket: Socket, res: ResponseLike): void {
    this.lastActive.set(socket, Date.now());
    res.once('finish', () => this.lastActive.set(socket, Date.now()));
  }

  /**
   * Closes the connections idle for IDLE_CLOSE_MS or more (idle: no response in progress; never
   * seen active since the drain began: idle that long), in the check phase: right after a poll
   * read what had arrived, so a request already on its way to a connection (its bytes in the
   * kernel, not yet read) has begun its response and keeps the connection. Closed from a timer,
   * such a connection was reset with the request on it.
   */
  private closeLongIdle(): void {
    setImmediate(this.closeLongIdleNowBound);
  }

  private readonly closeLongIdleNowBound = (): void => this.closeLongIdleNow();

  private closeLongIdleNow(): void {
    const now = Date.now();
    if (this.unlisted) {
      // Once, at the first sweep: the connections this drain could not list have been idle since
      // before it began (one that served a request since is tracked); in-flight responses are
      // spared (Node's closeIdleConnections skips them).
      this.unlisted = false;
      this.server.closeIdleConnections?.();
    }
    for (const s of this.sockets as Set<TrackedSocket>) {
      if (s._httpMessage) continue;
      if (now - (this.lastActive.get(s) ?? 0) >= IDLE_CLOSE_MS) s.destroy();
    }
  }

  private emit(line: Omit<DrainLogLine, 'time'>): void {
    this.emitLine({ time: new Date().toISOString(), ...line });
  }

  private emitLine(line: DrainLogLine): void {
    try {
      this.log(line);
    } catch {
      // A broken logger must not stop the drain.
    }
  }

  /** Stops listening, synchronously; the promise settles when the last connection ended (net's close). */
  private closeListener(onError: (err: Error) => void): Promise<void> {
    // net.Server's close, not http's (see step 3): stop listening at once (first: nothing between
    // the queue check and this), call back once the last connection ended.
    const closed = new Promise<void>((resolve) => {
      NetServer.prototype.close.call(this.server, (err?: Error) => {
        if (err) onError(err);
        resolve();
      });
    });
    this.closing = true;
    // Responses begun and not yet sent say Connection: close too.
    for (const s of this.sockets as Set<TrackedSocket>) {
      const res = s._httpMessage;
      if (res && !res.headersSent) res.setHeader('connection', 'close');
    }
    return closed;
  }

  private async run(reason: string): Promise<DrainResult> {
    const start = Date.now();
    const elapsed = () => Date.now() - start;
    this.draining = true;
    this.host.drain();
    // The connections opened before serve() (called after listen(), with clients already kept
    // alive): the 'connection' events saw none of them, and unmet, an idle one was never closed
    // and the drain waited for its keep-alive timeout or its deadline. node:http lists its
    // connections; without that list, the first idle sweep asks the server to close its idle ones.
    const listed = httpConnections(this.server);
    if (listed !== undefined) for (const s of listed) this.track(s);
    this.unlisted = listed === undefined;
    // `_httpMessage` is the response a socket is serving (node:http has kept the name since 0.x).
    for (const s of this.sockets as Set<TrackedSocket>) if (s._httpMessage) this.touch(s, s._httpMessage);
    this.emit({ event: 'drain', phase: 'announce', reason, inFlight: this.host.recorder.inFlight, connections: this.sockets.size, message: `health is DOWN; accepting for ${this.announceMs} ms more so load balancers see it` });

    const deadline = start + this.timeoutMs;
    await delay(this.announceMs);

    this.emit({ event: 'drain', phase: 'closing', reason, inFlight: this.host.recorder.inFlight, connections: this.sockets.size, elapsedMs: elapsed(), message: 'no longer accepting connections; finishing the requests in flight' });
    // Close only when the kernel's accept queue is empty (Linux says; see accept-queue.ts): a
    // connection still queued when the listener closes is reset (RST), and its client had already
    // connected and usually sent its request. The check and the close run in one synchronous step,
    // in the check phase, right after a poll phase accepted what it could.
    let closeError: unknown;
    const { closing, queued } = await new Promise<{ closing: Promise<void>; queued: number | undefined }>((resolve) => {
      const listener = tcpListener(this.server);
      const giveUpAt = Date.now() + QUEUE_WAIT_MS;
      const attempt = () => {
        const waiting = listener === undefined ? undefined : acceptQueueLength(listener.port, listener.family);
        // libuv accepts one connection per loop turn (libuv#3696, libuv 1.45, Node 20): as many
        // turns as are queued, then look again.
        if (waiting !== undefined && waiting > 0 && Date.now() < giveUpAt) {
          let turns = waiting;
          const turn = () => (--turns > 0 ? setImmediate(turn) : setImmediate(attempt));
          setImmediate(turn);
          return;
        }
        resolve({ closing: this.closeListener((err) => { closeError = err; }), queued: waiting });
      };
      setImmediate(attempt);
    });
    if (queued !== undefined && queued > 0) {
      this.emit({ event: 'drain', phase: 'closing', reason, elapsedMs: elapsed(), message: `new connections kept arriving for ${QUEUE_WAIT_MS} ms: the listener closed with ${queued} connection(s) in the kernel's accept queue, which are reset` });
    }
    // The first sweep waits IDLE_CLOSE_MS too: a client still sending here picks its idle
    // connections now, and each request it sends on one is answered and closes it (Connection: close).
    let sweep: NodeJS.Timeout | undefined;
    const firstSweep = setTimeout(() => {
      this.closeLongIdle();
      sweep = setInterval(() => this.closeLongIdle(), IDLE_SWEEP_MS);
    }, IDLE_CLOSE_MS);
    // Every connection gone (net's close callback says so too, except for a server someone else
    // already closed: it answers ERR_SERVER_NOT_RUNNING at once).
    const empty = new Promise<void>((resolve) => {
      if (this.sockets.size === 0) resolve();
      else this.onEmpty = resolve;
    });
    let deadlineTimer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([closing, empty]).then(() => false),
      new Promise<boolean>((resolve) => {
        deadlineTimer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
      }),
    ]);
    // Nothing of the drain may keep the process alive after it.
    clearTimeout(deadlineTimer);
    this.onEmpty = undefined;
    clearTimeout(firstSweep);
    if (sweep !== undefined) clearInterval(sweep);

    let cut = { requests: 0, connections: 0 };
    if (timedOut) {
      // Counted by the server too: net counts every connection it accepted, the drain only those
      // it can reach (an upgraded one, a WebSocket, opened before serve() is on no list), and the
      // requests by the responses still open too (the SDK's count misses a request its adapter
      // did not handle). The line says what was cut and what was left open.
      const reached = this.sockets.size;
      const open = Math.max(reached, (await netConnections(this.server)) ?? 0);
      let answering = 0;
      for (const s of this.sockets as Set<TrackedSocket>) if (s._httpMessage && !s._httpMessage.writableEnded) answering++;
      cut = { requests: Math.max(this.host.recorder.inFlight, answering), connections: open };
      const parts: string[] = [];
      if (reached > 0 || cut.requests > 0) parts.push(`cutting ${cut.requests} request(s) in flight on ${reached} connection(s)`);
      if (open > reached) parts.push(`${open - reached} connection(s) the server holds are out of the SDK's reach (upgraded ones, such as WebSockets, opened before sdk.serve()) and stay open until the process exits; call sdk.serve(server) before server.listen() so the drain tracks every connection`);
      if (parts.length === 0) parts.push('no request was in flight and no connection open, but the server had not reported itself closed');
      else if (cut.requests > 0) parts.push('raise timeoutMs if they are legitimately slow');
      this.emit({ event: 'drain', phase: 'cut', reason, inFlight: cut.requests, connections: cut.connections, elapsedMs: elapsed(), message: `the drain deadline (${this.timeoutMs} ms) passed: ${parts.join('; ')}` });
      this.server.closeAllConnections?.();
      for (const s of this.sockets) s.destroy();
    }
    if (closeError !== undefined) {
      this.emit({ event: 'drain', reason, message: `closing the server failed: ${closeError instanceof Error ? closeError.message : String(closeError)}` });
    }
    const result: DrainResult = { reason, cut, elapsedMs: elapsed() };
    this.emit({ event: 'drain', phase: 'drained', reason, inFlight: this.host.recorder.inFlight, connections: this.sockets.size, elapsedMs: result.elapsedMs });
    return result;
  }
}

/**
 * The connections node:http holds open for `server` (its ConnectionsList, the one
 * closeIdleConnections() walks; Node >= 18.2), or undefined when this Node does not have it where
 * it was. Internal to Node, as `_httpMessage` is: test/sdk-drain.test.ts fails if it moves.
 */
function httpConnections(server: Server): Socket[] | undefined {
  try {
    const key = Object.getOwnPropertySymbols(server).find((k) => k.description === 'http.server.connections');
    const list = key === undefined ? undefined : (server as unknown as Record<symbol, { all?: () => Array<{ socket?: unknown } | null> }>)[key];
    if (typeof list?.all !== 'function') return undefined;
    const sockets: Socket[] = [];
    for (const parser of list.all()) {
      const s = parser?.socket;
      if (s instanceof Socket && !s.destroyed) sockets.push(s);
    }
    return sockets;
  } catch {
    return undefined;
  }
}

/** The connections `server` holds open by net's count (every one it accepted and not yet closed), or undefined if it cannot say. */
function netConnections(server: Server): Promise<number | undefined> {
  return new Promise((resolve) => {
    try {
      server.getConnections((err, n) => resolve(err ? undefined : n));
    } catch {
      resolve(undefined);
    }
  });
}

/** The TCP port and family a server listens on (undefined for a pipe or a server not listening). */
function tcpListener(server: Server): { port: number; family: 'IPv4' | 'IPv6' } | undefined {
  const address = server.address();
  if (address === null || typeof address !== 'object') return undefined;
  return { port: address.port, family: address.family === 'IPv6' ? 'IPv6' : 'IPv4' };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
