// One client connection through a proxy: the client's socket, the socket to the dependency, and
// the two links between them. Half-closes pass through (each side's FIN reaches the other after
// the data before it); an error or a reset on one side destroys the other.
import { connect, type Socket } from 'node:net';
import { decideRequest, type HttpDecision } from './http-faults.ts';
import { HttpRequestFramer } from './http-framer.ts';
import { Link } from './link.ts';
import type { ActiveToxic } from './toxic.ts';

/** A proxy's cumulative traffic (see FaultProxy.stats()); connections add to it as bytes arrive. */
export interface TrafficStats {
  /** Client connections accepted. */
  connections: number;
  /** HTTP requests whose head the framer saw coming from a client (0 for a stream that is not HTTP). */
  requests: number;
  /** Bytes read from the clients, and from the dependency, as they arrived (before any toxic). */
  bytesUp: number;
  bytesDown: number;
}

export interface ConnectionHost {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** Counters this connection adds to (a plain object: an increment per chunk on the data path). */
  readonly stats: TrafficStats;
  /** The proxy's TCP toxics now, in the order they were added. */
  tcpToxics(): readonly ActiveToxic[];
  /** The proxy's HTTP toxics now, in the order they were added. */
  httpToxics(): readonly ActiveToxic[];
  closed(conn: Connection): void;
}

export class Connection {
  readonly upstream: Socket;
  private up?: Link;
  private down?: Link;
  private readonly framer = new HttpRequestFramer();
  private done = false;
  /** An http_abort on the downstream stream hit the last request: reset when its answer starts. */
  private abortAnswer = false;

  constructor(
    private readonly host: ConnectionHost,
    readonly client: Socket,
  ) {
    client.setNoDelay(true);
    client.pause();
    this.upstream = connect({ host: host.upstreamHost, port: host.upstreamPort, allowHalfOpen: true, noDelay: true });
    this.upstream.once('connect', () => this.start());
    for (const s of [client, this.upstream]) {
      s.on('error', () => this.destroy());
      s.on('close', () => this.maybeDone());
    }
  }

  private start(): void {
    if (this.done) return;
    const { client, upstream } = this;
    const close = (how: 'end' | 'reset', from: Link) => this.closeFrom(how, from);
    this.up = new Link('upstream', client, upstream, close);
    this.down = new Link('downstream', upstream, client, close);
    for (const t of this.host.tcpToxics()) this.consider(t);
    const stats = this.host.stats;
    client.on('data', (chunk: Buffer) => {
      stats.bytesUp += chunk.length;
      this.fromClient(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      stats.bytesDown += chunk.length;
      if (this.abortAnswer) this.reset();
      else this.down!.push(chunk);
    });
    client.on('end', () => this.up!.pushEnd());
    upstream.on('end', () => this.down!.pushEnd());
    client.resume();
  }

  /** A TCP toxic judges this connection; a hit joins the chain of its direction. */
  consider(toxic: ActiveToxic): void {
    if (!this.up || !this.down || this.done) return;
    if (toxic.judge()) this.linkFor(toxic).attach(toxic, toxic.nextRandom());
  }

  remove(toxic: ActiveToxic): void {
    this.up?.detach(toxic);
    this.down?.detach(toxic);
  }

  refresh(toxic: ActiveToxic): void {
    const link = this.up && this.down ? this.linkFor(toxic) : undefined;
    if (link?.has(toxic)) link.refresh(toxic, toxic.nextRandom());
  }

  private linkFor(toxic: ActiveToxic): Link {
    return toxic.stream === 'upstream' ? this.up! : this.down!;
  }

  /** Client bytes: cut at request boundaries so the HTTP toxics can act on whole requests. */
  private fromClient(chunk: Buffer): void {
    if (this.framer.opaque) return this.up!.push(chunk);
    const http = this.host.httpToxics();
    for (const piece of this.framer.feed(chunk)) {
      const req = piece.req;
      if (req && piece.isHead) {
        this.host.stats.requests++;
        req.decision = http.length > 0 ? decideRequest(http, req.head!.method) : undefined;
      }
      const decision = req?.decision as HttpDecision | undefined;
      if (!decision || decision.kind === 'pass') this.up!.push(piece.data);
      else if (decision.kind === 'abort') return this.reset();
      else if (decision.kind === 'abort-answer') {
        this.up!.push(piece.data);
        // The next bytes from the dependency are this request's answer (requests are not pipelined).
        if (piece.last) this.abortAnswer = true;
      }
      else if (piece.last) this.down!.push(decision.response);
      if (this.done) return;
    }
  }

  /** A toxic closes the connection from one link's side. */
  private closeFrom(how: 'end' | 'reset', from: Link): void {
    if (how === 'reset') return this.reset();
    const [dst, other] = from === this.up ? [this.upstream, this.client] : [this.client, this.upstream];
    this.stopLinks();
    dst.end();
    other.destroy();
  }

  /** An RST to the client (it sees ECONNRESET); the dependency's side is dropped. */
  reset(): void {
    this.stopLinks();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream.destroy();
  }

  destroy(): void {
    this.stopLinks();
    this.client.destroy();
    this.upstream.destroy();
  }

  private stopLinks(): void {
    this.up?.close();
    this.down?.close();
  }

  private maybeDone(): void {
    if (this.done) return;
    if (this.client.destroyed && this.upstream.destroyed) {
      this.done = true;
      this.stopLinks();
      this.host.closed(this);
    } else if (this.upstream.destroyed && !this.up) {
      // Never connected (refused): nothing to relay.
      this.destroy();
    }
  }
}
