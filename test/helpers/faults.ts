// What the fault-proxy tests share: a local upstream (HTTP or raw TCP) on 127.0.0.1 port 0, and
// requests timed from the client's side.
import { request, type Agent, type IncomingMessage, type RequestListener, type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';

export interface Upstream<S> {
  server: S;
  port: number;
  /** Connections the upstream accepted so far. */
  connections: number;
  close(): Promise<void>;
}

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<Upstream<S>> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const up: Upstream<S> = {
    server,
    port: (server.address() as AddressInfo).port,
    connections: 0,
    close: () => new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server.on('connection', () => up.connections++);
  return up;
}

export function httpUpstream(handler: RequestListener): Promise<Upstream<HttpServer>> {
  const server = createHttpServer({ keepAliveTimeout: 30_000 }, handler);
  return listen(server);
}

export async function tcpUpstream(onSocket: (s: Socket) => void): Promise<Upstream<TcpServer>> {
  const sockets = new Set<Socket>();
  const server = createTcpServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  const up = await listen(server);
  const close = up.close;
  up.close = () => {
    for (const s of sockets) s.destroy();
    return close();
  };
  return up;
}

export interface Timed {
  status: number;
  body: Buffer;
  headers: IncomingMessage['headers'];
  /** From sending to the last byte of the body, ms. */
  ms: number;
}

export interface GetOptions {
  method?: string;
  path?: string;
  body?: Buffer | string;
  agent?: Agent | false;
  /** The client's own timeout, ms (the request fails with code 'CLIENT_TIMEOUT'). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** One request to 127.0.0.1:port, timed from the client's side; rejects with the socket error. */
export function timedRequest(port: number, o: GetOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', agent: o.agent ?? false, headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.timeoutMs !== undefined) {
      req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error(`client timeout after ${o.timeoutMs} ms`), { code: 'CLIENT_TIMEOUT' })));
    }
    req.end(o.body);
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median of `n` sequential timings of `f`. */
export async function medianOf(n: number, f: () => Promise<Timed>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await f()).ms);
  return median(ms);
}
