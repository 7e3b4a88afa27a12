// The control API: the subset of toxiproxy's HTTP API that its clients use, with the same paths,
// JSON shapes and status codes (201 created, 204 deleted, 400 bad body, 404 not found, 409
// exists; errors as {"error": "...", "status": N}), so toxiproxy-node-client and the like work
// against `sloctl faults serve`. Loopback only. Like toxiproxy, it refuses browsers (a page could
// otherwise POST toxics to it). With a token (`sloctl faults serve` reads SLOCTL_FAULTS_TOKEN),
// every request must carry `Authorization: Bearer TOKEN` (compared in constant time); toxiproxy's
// clients send no such header, so the token is opt-in.
//
//   GET    /version                          {"version": "..."}
//   GET    /proxies                          {name: proxy, ...}
//   POST   /proxies                          {name, listen?, upstream, enabled?}        -> 201 proxy
//   POST   /populate                         [{name, listen?, upstream, enabled?}, ...] -> 201 {proxies: [...]}
//   GET    /proxies/{name}                   proxy
//   POST   /proxies/{name}  (or PATCH)       {enabled?, listen?, upstream?}             -> proxy
//   DELETE /proxies/{name}                                                              -> 204
//   GET    /proxies/{name}/toxics            [toxic, ...]
//   POST   /proxies/{name}/toxics            {name?, type, stream?, toxicity?, attributes?} -> toxic
//   GET    /proxies/{name}/toxics/{toxic}    toxic
//   POST   /proxies/{name}/toxics/{toxic}    (or PATCH) {toxicity?, attributes?}        -> toxic
//   DELETE /proxies/{name}/toxics/{toxic}                                               -> 204
//   POST   /reset                            every proxy enabled, every toxic removed   -> 204
//
// A sloctl extension (toxiproxy has no such path; its shapes above are unchanged):
//   GET    /proxies/{name}/stats             {connections, requests, bytesUp, bytesDown} since
//                                            the proxy was created (see FaultProxy.stats())
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../net/loopback.ts';
import { FaultApiError } from './errors.ts';
import type { FaultProxies } from './proxies.ts';
import type { ToxicSpec } from './proxy.ts';

const MAX_BODY = 1 << 20;

export interface ControlServerOptions {
  /** Default 127.0.0.1; must be loopback. */
  host?: string;
  /** Default 8474 (toxiproxy's); 0 for any free port. */
  port?: number;
  /** What GET /version answers. */
  version?: string;
  /** When set, every request must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Told of every request that changes something (not GETs): "POST /proxies/db/toxics 200". */
  log?: (line: string) => void;
}

export interface ControlServer {
  /** "http://127.0.0.1:8474" */
  readonly url: string;
  readonly port: number;
  /** Stops the API and removes every proxy. */
  close(): Promise<void>;
}

export async function startControlServer(proxies: FaultProxies, options: ControlServerOptions = {}): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new FaultApiError(`the control API listens on loopback only, not ${JSON.stringify(host)}`, 400);
  const version = options.version ?? 'sloctl';
  const server: Server = createServer((req, res) => {
    if (options.token !== undefined && !authorized(req, options.token)) {
      return sendError(res, new FaultApiError('missing or wrong token: this fault server requires `Authorization: Bearer <token>` (the SLOCTL_FAULTS_TOKEN it was started with)', 401));
    }
    if (options.log && req.method !== 'GET') {
      const log = options.log;
      res.once('finish', () => log(`${req.method} ${req.url} ${res.statusCode}`));
    }
    handle(proxies, version, req, res).catch((e: unknown) => sendError(res, e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8474, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      await proxies.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(proxies: FaultProxies, version: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) return sendText(res, 403, 'User agent not allowed\n');
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const update = method === 'POST' || method === 'PATCH';

  if (parts.length === 1 && parts[0] === 'version' && method === 'GET') return sendJson(res, 200, { version });
  if (parts.length === 1 && parts[0] === 'reset' && method === 'POST') {
    await proxies.reset();
    return sendEmpty(res);
  }
  if (parts.length === 1 && parts[0] === 'populate' && method === 'POST') {
    const created = await proxies.populate(await readJson(req));
    return sendJson(res, 201, { proxies: created.map((p) => p.toJSON()) });
  }
  if (parts[0] === 'proxies' && parts.length === 3 && parts[2] === 'stats') {
    if (method === 'GET') return sendJson(res, 200, proxies.get(parts[1]).stats());
    return sendError(res, new FaultApiError(`method not allowed: ${method} ${path} (stats are read-only: GET)`, 405));
  }
  if (parts[0] !== 'proxies' || parts.length > 4 || (parts.length >= 3 && parts[2] !== 'toxics')) return sendError(res, new FaultApiError(`not found: ${method} ${path}`, 404));

  if (parts.length === 1) {
    if (method === 'GET') return sendJson(res, 200, proxies.toJSON());
    if (method === 'POST') return sendJson(res, 201, (await proxies.create((await readJson(req)) as never)).toJSON());
  } else if (parts.length === 2) {
    if (method === 'GET') return sendJson(res, 200, proxies.get(parts[1]).toJSON());
    if (update) {
      const proxy = proxies.get(parts[1]);
      const body = await readJson(req);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FaultApiError('bad request body: (body): expected a JSON object {enabled, listen, upstream}', 400);
      await proxy.update(body as Record<string, unknown>);
      return sendJson(res, 200, proxy.toJSON());
    }
    if (method === 'DELETE') {
      await proxies.remove(parts[1]);
      return sendEmpty(res);
    }
  } else if (parts.length === 3) {
    const proxy = proxies.get(parts[1]);
    if (method === 'GET') return sendJson(res, 200, proxy.toxics().map((t) => t.toJSON()));
    if (method === 'POST') return sendJson(res, 200, proxy.addToxic((await readJson(req)) as ToxicSpec).toJSON());
  } else {
    const proxy = proxies.get(parts[1]);
    if (method === 'GET') return sendJson(res, 200, proxy.toxic(parts[3]).toJSON());
    if (update) return sendJson(res, 200, proxy.updateToxic(parts[3], (await readJson(req)) as never).toJSON());
    if (method === 'DELETE') {
      proxy.removeToxic(parts[3]);
      return sendEmpty(res);
    }
  }
  return sendError(res, new FaultApiError(`method not allowed: ${method} ${path}`, 405));
}

/** Constant-time comparison of the bearer token (hashed first, so lengths never differ). */
function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new FaultApiError(`bad request body: larger than ${MAX_BODY} bytes`, 413);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FaultApiError(`bad request body: not JSON (${(e as Error).message})`, 400);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendEmpty(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const err = e instanceof FaultApiError ? e : new FaultApiError(`internal error in sloctl's fault server (a bug): ${e instanceof Error ? e.message : String(e)}`, 500);
  sendJson(res, err.status, { error: err.message, status: err.status });
}
