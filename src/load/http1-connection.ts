// One keep-alive HTTP/1.1 connection of the load generator: at most one request on it at a time
// (no pipelining, as before with undici's pipelining: 1), the response parsed as it arrives and its
// body skipped, so the connection is reused. It connects when first asked to send and again after
// the server closed it. Its owner (the driver) hears of each request once: written (when it had to
// wait for the connection), then answered or failed; a request the owner gives up on (timeout,
// stop) is aborted, which closes the connection and reports nothing.
//
// Why not undici: per request, undici builds and validates a Request, calls back into JavaScript
// for every response header from its wasm parser, and goes through its dispatcher queue; together
// that cost a quarter more CPU per request than autocannon, and CPU per request is what bounds a
// load generator's rate. This writes bytes encoded once per template and reads only what it needs
// (http1-response.ts). Plain sockets read into one buffer shared by all connections of the thread
// (net's `onread`), so reads allocate nothing either.
//
// Keep-alive: a server closes an idle connection after its timeout, and a request written just then
// fails. As undici does, the connection is not reused once idle for longer than the server's
// Keep-Alive: timeout hint minus 2 s (4 s when the server gives no hint); it reconnects instead.
// A server may close an idle connection sooner than it said (a graceful drain closes the idle ones
// once it stops listening), and its close can cross a request on the wire: an HTTP/1.1 race no
// server can win, which clients are expected to absorb (RFC 9112 §9.3.1). Two things keep the
// load generator from counting that race against the service:
// - a request for a connection idle REVALIDATE_IDLE_MS or more is written in a check phase that
//   follows a poll: a close the server sent before it is seen first, and the request goes out on a
//   new connection instead (it never left, so it is not a failure);
// - a request on a reused connection that closed (FIN, or reset) before any byte of its answer is
//   sent once more on a new connection when it may be (an idempotent method, or an
//   Idempotency-Key header), as Go's http.Transport and browsers do; the owner hears of it
//   (`replayed`) and the result says how many. A POST is not sent again: it fails as before.

import { connect as netConnect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { EOF_BEFORE_RESPONSE, EOF_MID_RESPONSE } from './failure-kinds.ts';
import { MALFORMED, NEED_MORE, ResponseParser } from './http1-response.ts';
import type { WireRequest } from './http1-request.ts';

/** What a connection carries: anything holding the request's bytes (the driver's Flight). */
export interface Exchange {
  readonly wire: WireRequest;
}

export interface ConnectionOwner<E extends Exchange> {
  /** A request that waited for the connection was written to it (send() returned false). */
  written(ex: E): void;
  /** A full response arrived at `now` (performance.now()); the connection is free again. `shed`: it carried the SDK's sloctl-shed mark. */
  answered(conn: Connection<E>, ex: E, status: number, now: number, shed: boolean, errorClass?: string): void;
  /**
   * The request failed without a (complete) response; the connection is free again. `detail`
   * says more where there is more to say (the first bytes of a response that is not HTTP).
   */
  failed(conn: Connection<E>, ex: E, code: string, detail?: string): void;
  /** The request went out on a reused connection that closed before any byte of its answer: it is being sent again on a new one (once). */
  replayed(ex: E): void;
}

export interface Target {
  /** Host name or IP address (no brackets around IPv6). */
  host: string;
  port: number;
  tls: boolean;
}

/** Where the target is, from its origin (http[s]://host[:port]). */
export function targetOf(origin: string): Target {
  const u = new URL(origin);
  const tls = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
}

const DEFAULT_KEEP_ALIVE_MS = 4_000;
const KEEP_ALIVE_MARGIN_MS = 2_000;
const MAX_KEEP_ALIVE_MS = 600_000;
/**
 * A connection idle this long has its next request written in a check phase after a poll, which
 * reads a close already on its way (the header says why). No server closes an idle connection
 * sooner; the wait is part of one event-loop turn, and a connection busier than this never pays it.
 */
export const REVALIDATE_IDLE_MS = 100;
/** How a reused connection may fail a request that is then sent again: the server's FIN (''), or its reset. */
const REPLAYABLE_CLOSE = new Set(['', 'ECONNRESET', 'EPIPE']);

export class Connection<E extends Exchange> {
  private socket: Socket | null = null;
  private connected = false;
  private current: E | null = null;
  private readonly parser = new ResponseParser();
  /** When the last response ended (performance.now()), and how long the server keeps an idle connection. */
  private idleSince = 0;
  private keepAliveMs = DEFAULT_KEEP_ALIVE_MS;
  /** The socket's error, reported when it closes. */
  private errorCode = '';
  /** Bytes of the current response received so far (tells a close mid-response from one before it). */
  private received = 0;
  /** Responses the socket carried so far: a request on it after the first is on a reused connection. */
  private served = 0;
  /** The socket the current request waits to be written to, in the check phase (REVALIDATE_IDLE_MS). */
  private deferredOn: Socket | null = null;
  private readonly writeDeferredBound = (): void => this.writeDeferred();
  private readonly afterPollBound = (): void => void setImmediate(this.writeDeferredBound);

  constructor(
    private readonly target: Target,
    private readonly owner: ConnectionOwner<E>,
    /** Read buffer shared by the thread's plain connections (each read is parsed before the next). */
    private readonly readBuffer: Buffer,
  ) {}

  /** When the socket being opened started connecting (performance.now()), -1 when none is opening. */
  private openedAt = -1;

  /** Whether a request is on this connection. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** How long the socket has been trying to connect, ms (0 when connected or idle). */
  connectingMs(now: number): number {
    return this.socket !== null && !this.connected && this.openedAt >= 0 ? now - this.openedAt : 0;
  }

  /**
   * Sends a request (the connection must be free). Returns true when it was written at once, false
   * when it waits for the connection to open (the owner then hears `written`).
   */
  send(ex: E, now: number): boolean {
    this.current = ex;
    this.received = 0;
    this.parser.reset(ex.wire.expectsBody);
    if (this.connected && now - this.idleSince > this.keepAliveMs) this.drop();
    if (this.socket === null) {
      this.open();
      return false;
    }
    if (!this.connected) return false;
    if (now - this.idleSince >= REVALIDATE_IDLE_MS) {
      // Two check phases: the second one follows a poll whichever phase this runs in (a send from
      // a response's callback runs in the poll phase, whose own check phase comes before any poll).
      this.deferredOn = this.socket;
      setImmediate(this.afterPollBound);
      return false;
    }
    this.write(ex.wire);
    return true;
  }

  /** The check phase after a long-idle connection was handed a request: still open, so write it. */
  private writeDeferred(): void {
    const s = this.deferredOn;
    this.deferredOn = null;
    const ex = this.current;
    // Closed meanwhile (the request went to a new socket: closed()), aborted, or reopened.
    if (s === null || s !== this.socket || ex === null) return;
    this.write(ex.wire);
    this.owner.written(ex);
  }

  /** Gives up on the request on this connection, if any: closes the connection, reports nothing. */
  abort(): void {
    this.current = null;
    this.drop();
  }

  private open(): void {
    const { host, port, tls } = this.target;
    let sock: Socket;
    if (tls) {
      sock = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
      sock.setNoDelay(true);
      sock.on('data', (d: Buffer) => {
        if (sock === this.socket) this.onBytes(d, d.length);
      });
    } else {
      sock = netConnect({
        host,
        port,
        noDelay: true,
        onread: {
          buffer: this.readBuffer,
          callback: (n: number, buf: Uint8Array): boolean => {
            if (sock === this.socket) this.onBytes(buf as Buffer, n);
            return true;
          },
        },
      });
    }
    sock.setKeepAlive(true, 60_000);
    this.socket = sock;
    this.connected = false;
    this.served = 0;
    this.deferredOn = null;
    this.openedAt = performance.now();
    this.errorCode = '';
    sock.once(tls ? 'secureConnect' : 'connect', () => {
      if (sock !== this.socket) return;
      this.connected = true;
      const ex = this.current;
      if (ex !== null) {
        this.write(ex.wire);
        this.owner.written(ex);
      }
    });
    sock.on('error', (err: Error) => {
      if (sock === this.socket) this.errorCode = errorKind(err);
    });
    sock.on('end', () => {
      if (sock === this.socket) this.closed();
    });
    sock.on('close', () => {
      if (sock === this.socket) this.closed();
    });
  }

  private write(w: WireRequest): void {
    const s = this.socket!;
    if (w.body === null) {
      if (typeof w.bytes === 'string') s.write(w.bytes, 'latin1');
      else s.write(w.bytes);
    } else {
      s.cork();
      s.write(w.bytes as string, 'latin1');
      s.write(w.body);
      s.uncork();
    }
  }

  private onBytes(buf: Buffer, end: number): void {
    const ex = this.current;
    if (ex === null) {
      this.drop(); // bytes nobody asked for: the connection cannot be trusted to frame the next response
      return;
    }
    const before = this.received;
    this.received += end;
    const r = this.parser.feed(buf, 0, end);
    if (r === NEED_MORE) return;
    this.current = null;
    if (r === MALFORMED) {
      this.drop();
      this.owner.failed(this, ex, this.parser.error, malformedDetail(buf, end, before));
      return;
    }
    const now = performance.now();
    const p = this.parser;
    this.served++;
    // Bytes after the response were not asked for (one request at a time): do not reuse the connection.
    if (r < end || !p.keepAlive || ex.wire.close) this.drop();
    else {
      this.idleSince = now;
      this.keepAliveMs = p.keepAliveHintMs < 0 ? DEFAULT_KEEP_ALIVE_MS : Math.min(p.keepAliveHintMs - KEEP_ALIVE_MARGIN_MS, MAX_KEEP_ALIVE_MS);
      if (this.keepAliveMs <= 0) this.drop();
    }
    this.owner.answered(this, ex, p.status, now, p.shed, p.errorClass);
  }

  /**
   * The server closed the connection (or it failed): a body that runs to the close is complete,
   * anything else failed. A clean close (FIN, no socket error) is not a reset: it is counted as
   * EOF_MID_RESPONSE when part of the response had come, EOF_BEFORE_RESPONSE when none had.
   */
  private closed(): void {
    const ex = this.current;
    const ended = this.parser.endsAtClose && (this.errorCode === '' || this.errorCode === 'ECONNRESET');
    // Not written yet (it waited for the check phase): it never left, so it goes on a new socket.
    const unsent = this.deferredOn !== null && this.deferredOn === this.socket;
    // Written to a reused connection that closed before any byte of the answer: the keep-alive race.
    // (Once at most: it goes out again on a new connection, which is not a reused one.)
    const replay = !unsent && !ended && ex !== null && this.received === 0 && this.served > 0 &&
      ex.wire.replayable && REPLAYABLE_CLOSE.has(this.errorCode);
    this.current = null;
    this.drop();
    if (ex === null) return;
    if (unsent || replay) {
      this.current = ex;
      this.parser.reset(ex.wire.expectsBody);
      if (replay) this.owner.replayed(ex);
      this.open(); // written once connected; the owner hears `written`
      return;
    }
    if (ended) this.owner.answered(this, ex, this.parser.status, performance.now(), this.parser.shed, this.parser.errorClass);
    else this.owner.failed(this, ex, this.errorCode || (this.received > 0 ? EOF_MID_RESPONSE : EOF_BEFORE_RESPONSE));
  }

  private drop(): void {
    const s = this.socket;
    this.deferredOn = null;
    if (s === null) return;
    this.socket = null;
    this.connected = false;
    s.destroy();
  }
}

/** What a response that is not HTTP looked like: its first bytes (when this read held its start), printable. */
function malformedDetail(buf: Buffer, end: number, before: number): string {
  if (before > 0) return `after ${before} bytes of the response`;
  const n = Math.min(end, 48);
  const text = buf.toString('latin1', 0, n).replace(/[^\x20-\x7e]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return `first bytes: "${text}"${end > n ? '…' : ''}`;
}

/** "ECONNREFUSED", "ECONNRESET", a TLS code...: the error's code, or its name. */
export function errorKind(err: Error & { code?: unknown }): string {
  if (typeof err?.code === 'string' && err.code !== '') return err.code;
  return err?.name || 'Error';
}
