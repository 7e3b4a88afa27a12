// One proxy: a listener on loopback in front of one dependency, its connections, and its toxics.
// Disabling it closes the listener and every connection (the dependency looks down); enabling it
// listens again on the same address (the port it got first, when it was asked for port 0).
import { createServer, type Server, type Socket } from 'node:net';
import { checkListen, checkUpstream, formatHostPort, type HostPort } from './address.ts';
import { Connection, type TrafficStats } from './connection.ts';
import { badField, FaultApiError, toxicNotFound } from './errors.ts';
import { ActiveToxic, type Stream, type ToxicJson } from './toxic.ts';
import { TOXIC_TYPES } from './toxic-types.ts';

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** A toxic to add (toxiproxy's JSON); checked at run time, every field but `type` optional. */
export interface ToxicSpec {
  /** Default `${type}_${stream}`. */
  name?: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'limit_data' | 'slicer' | 'http_error' | 'http_abort';
  /** Default downstream (upstream for the http_* toxics). */
  stream?: Stream;
  /** Share of connections (of requests for http_*) it acts on, 0..1; default 1. */
  toxicity?: number;
  attributes?: Record<string, unknown>;
}

export interface ProxyOptions {
  name: string;
  /** "127.0.0.1:0" (the default) for any free port. */
  listen?: string;
  upstream: string;
  enabled?: boolean;
  /** Allow an upstream off loopback (default false). */
  allowRemote?: boolean;
  /** Seed of which connections and requests the toxics hit (default 1). */
  seed?: number;
}

export class FaultProxy {
  readonly name: string;
  private listenAt: HostPort;
  private upstreamAt: HostPort;
  private server?: Server;
  private readonly connections = new Set<Connection>();
  private readonly toxicsByName = new Map<string, ActiveToxic>();
  /** The TCP and the HTTP toxics, kept apart for the data path (read on every chunk). */
  private tcpList: ActiveToxic[] = [];
  private httpList: ActiveToxic[] = [];
  private readonly seed: number;
  private readonly allowRemote: boolean;
  /** Cumulative since the proxy was created: disabling or resetting it does not clear them. */
  private readonly traffic: TrafficStats = { connections: 0, requests: 0, bytesUp: 0, bytesDown: 0 };

  constructor(options: ProxyOptions) {
    if (typeof options.name !== 'string' || options.name === '') throw badField('name', 'a non-empty string', options.name);
    if (/[/?#%\s]/.test(options.name)) throw badField('name', 'a name without "/", "?", "#", "%" or spaces (it is part of the API\'s URLs)', options.name);
    if (options.upstream === undefined || options.upstream === '') throw new FaultApiError('missing required field: upstream', 400);
    this.name = options.name;
    this.allowRemote = options.allowRemote === true;
    this.listenAt = checkListen(options.listen ?? '127.0.0.1:0');
    this.upstreamAt = checkUpstream(options.upstream, this.allowRemote);
    this.seed = options.seed ?? 1;
  }

  get enabled(): boolean {
    return this.server !== undefined;
  }

  /** The address the proxy listens on ("127.0.0.1:40123" once started with port 0). */
  get listen(): string {
    return formatHostPort(this.listenAt);
  }

  get upstream(): string {
    return formatHostPort(this.upstreamAt);
  }

  get port(): number {
    return this.listenAt.port;
  }

  /** Starts listening; a no-op when enabled. */
  async enable(): Promise<void> {
    if (this.server) return;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new FaultApiError(`proxy ${JSON.stringify(this.name)} cannot listen on ${this.listen}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another process has that port; use port 0 for any free one)' : ''}`, 409)));
      server.listen(this.listenAt.port, this.listenAt.host, () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.listenAt = { host: this.listenAt.host, port: addr.port };
    this.server = server;
  }

  /** Stops listening and closes every connection through the proxy. */
  async disable(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Changes listen / upstream / enabled (toxiproxy's POST /proxies/{name}); restarts when an address changes. */
  async update(patch: { listen?: unknown; upstream?: unknown; enabled?: unknown }): Promise<void> {
    if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') throw badField('enabled', 'true or false', patch.enabled);
    const listen = patch.listen === undefined ? undefined : checkListen(patch.listen);
    const upstream = patch.upstream === undefined ? undefined : checkUpstream(patch.upstream, this.allowRemote);
    const wasEnabled = this.enabled;
    const moved = (listen && formatHostPort(listen) !== this.listen) || (upstream && formatHostPort(upstream) !== this.upstream);
    const enable = (patch.enabled as boolean | undefined) ?? wasEnabled;
    if (moved || !enable) await this.disable();
    if (listen) this.listenAt = listen;
    if (upstream) this.upstreamAt = upstream;
    if (enable) await this.enable();
  }

  /** The toxics, upstream ones first, each stream in the order added (toxiproxy's listing order). */
  toxics(): ActiveToxic[] {
    const all = [...this.toxicsByName.values()];
    return [...all.filter((t) => t.stream === 'upstream'), ...all.filter((t) => t.stream === 'downstream')];
  }

  toxic(name: string): ActiveToxic {
    const t = this.toxicsByName.get(name);
    if (!t) throw toxicNotFound(this.name, name);
    return t;
  }

  /** Adds a toxic (toxiproxy's JSON: {name?, type, stream?, toxicity?, attributes?}); it acts on open connections too. */
  addToxic(body: ToxicSpec): ActiveToxic {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('(body)', 'a JSON object {type, stream, toxicity, attributes}', body);
    const b = body as unknown as Record<string, unknown>;
    const kind = typeof b.type === 'string' ? TOXIC_TYPES.get(b.type) : undefined;
    if (!kind) throw new FaultApiError(`invalid toxic type: type: expected one of ${[...TOXIC_TYPES.keys()].join(', ')}, got ${JSON.stringify(b.type ?? null)}`, 400);
    const stream = b.stream ?? (kind.http ? 'upstream' : 'downstream');
    if (stream !== 'upstream' && stream !== 'downstream') throw new FaultApiError(`stream was invalid, can be either upstream or downstream: stream: got ${JSON.stringify(stream)}`, 400);
    if (kind.type === 'http_error' && stream !== 'upstream') throw badField('stream', '"upstream" for http_error (the proxy answers in place of the dependency)', stream);
    const name = b.name ?? `${kind.type}_${stream}`;
    if (typeof name !== 'string' || name === '' || /[/?#%\s]/.test(name)) throw badField('name', 'a non-empty string without "/", "?", "#", "%" or spaces', name);
    if (this.toxicsByName.has(name)) throw new FaultApiError(`toxic already exists: ${JSON.stringify(name)} on proxy ${JSON.stringify(this.name)}`, 409);
    const toxicity = checkToxicity(b.toxicity, 1);
    const attributes = kind.parse(checkAttributes(b.attributes));
    const toxic = new ActiveToxic(name, kind, stream as Stream, toxicity, attributes, this.name, this.seed);
    this.toxicsByName.set(name, toxic);
    this.split();
    if (!kind.http) for (const c of this.connections) c.consider(toxic);
    return toxic;
  }

  /** Updates a toxic's attributes and toxicity (the others keep their values). */
  updateToxic(name: string, body: { toxicity?: number; attributes?: Record<string, unknown> }): ActiveToxic {
    const toxic = this.toxic(name);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('(body)', 'a JSON object {attributes, toxicity}', body);
    const b = body as Record<string, unknown>;
    const toxicity = checkToxicity(b.toxicity, toxic.toxicity);
    const attributes = toxic.kind.parse(checkAttributes(b.attributes), toxic.attributes);
    toxic.toxicity = toxicity;
    toxic.attributes = attributes;
    if (!toxic.kind.http) for (const c of this.connections) c.refresh(toxic);
    return toxic;
  }

  /** Removes a toxic: data held or delayed by it goes on at once. */
  removeToxic(name: string): void {
    const toxic = this.toxic(name);
    this.toxicsByName.delete(name);
    this.split();
    for (const c of this.connections) c.remove(toxic);
  }

  removeAllToxics(): void {
    for (const name of [...this.toxicsByName.keys()]) this.removeToxic(name);
  }

  /**
   * Traffic through the proxy since it was created (a copy): client connections accepted, HTTP
   * requests seen from the clients (0 when the stream is not HTTP), bytes read from the clients
   * (up) and from the dependency (down). A drill reads it before and after a fault to tell "the
   * service stopped calling the dependency" from "the calls failed". Answers injected by
   * http_error are the proxy's own, not counted in bytesDown; bytes a toxic drops or delays were
   * still read, so they count.
   */
  stats(): TrafficStats {
    return { ...this.traffic };
  }

  toJSON(): ProxyJson {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.toxics().map((t) => t.toJSON()) };
  }

  private split(): void {
    // In the order added: the order of each stream's chain, and of the HTTP toxics' judging.
    const all = [...this.toxicsByName.values()];
    this.tcpList = all.filter((t) => !t.kind.http);
    this.httpList = all.filter((t) => t.kind.http);
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const conn = new Connection(
      {
        upstreamHost: this.upstreamAt.host,
        upstreamPort: this.upstreamAt.port,
        tcpToxics: () => this.tcpList,
        httpToxics: () => this.httpList,
        stats: this.traffic,
        closed: (c) => this.connections.delete(c),
      },
      socket,
    );
    this.connections.add(conn);
    this.traffic.connections++;
  }
}

function checkToxicity(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw badField('toxicity', 'a number from 0 to 1 (the share of connections, or of requests for http_* toxics)', v);
  return v;
}

function checkAttributes(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badField('attributes', 'a JSON object', v);
  return v as Record<string, unknown>;
}
