// The drill endpoint: how `sloctl drill` applies in-process faults to a running Node service.
//
// It exists only when the service sets a drill token (SLOCTL_DRILL_TOKEN, or instrument()'s
// `drill.token`); without one nothing is mounted and the path is whatever the application makes
// of it (a 404). With one, a request for the path is answered only when it comes from this
// machine: a loopback peer (127.0.0.0/8, ::1, ::ffff:127.x) carrying no proxy header (Forwarded,
// X-Forwarded-For, X-Real-IP, X-Forwarded-Host). A request from elsewhere is not answered by the
// endpoint at all: it goes on to the application like any path the service does not serve, so
// off the host the endpoint is indistinguishable from its absence (a 403 would tell a scanner
// that a drill endpoint runs here, and offer the token check to guess against). Then the token
// (`Authorization: Bearer <token>`), compared in constant time: 401 without it or with a wrong one.
//
//   GET    {path}        the faults in effect                      200 FaultList
//   POST   {path}        {fault, params, durationMs}: apply one    201 FaultState (id, expiresAt)
//   GET    {path}/{id}   one fault (in effect, or its last state)  200 FaultState | 404
//   DELETE {path}/{id}   remove it                                 200 FaultState | 404
//   POST   {path}/reset  remove every fault                        200 {removed: FaultState[]}
//   GET    {path}/evidence  the evidence files this process wrote   200 EvidenceFile[] ([] without a monitor; each with `dir` when the monitor gave it)
//
// Its requests are outside every SLI: adapters answer them before timing anything.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { FaultParamError } from './fault.ts';
import { FaultRunner, TooManyFaultsError } from './runner.ts';
import { bearerToken, digest, fromThisMachine, resolveDrillToken, tokenMatches } from './token.ts';
import type { EvidenceFile } from '../saturation/evidence.ts';
import { DEFAULT_DRILL_PATH, DRILL_HEADER, FAULT_NAMES, type DrillErrorCode } from './types.ts';

export interface DrillOptions {
  /** The drill token (at least 16 characters). Default: SLOCTL_DRILL_TOKEN. false: no endpoint, whatever the environment says. */
  token?: string | false;
  /** Where the endpoint answers. Default /.sloctl/drill. */
  path?: string;
  /** The longest any fault may last, whatever a caller asks (ms). Default 300000 (5 min), at most 1 h. */
  maxDurationMs?: number;
  /** Faults in effect at once. Default 16. */
  maxFaults?: number;
}

/** A request, as the endpoint needs it (built from Node's IncomingMessage, or a framework's). */
export interface DrillRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** The peer's address (the TCP connection's, never a header's). */
  remoteAddress: string | undefined;
  header(name: string): string | undefined;
  /** The body, at most `limit` bytes (rejects with BodyTooLargeError beyond). */
  body(limit: number): Promise<string>;
}

export interface DrillResponse {
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export const BODY_LIMIT = 64 * 1024;

/** The endpoint for these options and environment; undefined when no token is set. Throws on an unusable token or path. */
export function createDrill(opts: DrillOptions | false | undefined, env: NodeJS.ProcessEnv = process.env): DrillEndpoint | undefined {
  if (opts === false) return undefined;
  const token = resolveDrillToken(opts?.token, env);
  if (token === undefined) return undefined;
  return new DrillEndpoint(token, opts ?? {});
}

export class DrillEndpoint {
  readonly path: string;
  readonly runner: FaultRunner;
  private readonly expected: Buffer;
  private evidenceList: (() => EvidenceFile[]) | undefined;
  private evidenceDir: string | undefined;

  constructor(token: string, opts: Omit<DrillOptions, 'token'> = {}) {
    const path = opts.path ?? DEFAULT_DRILL_PATH;
    if (typeof path !== 'string' || !/^\/[^?#\s]*[^/?#\s]$/.test(path)) {
      throw new TypeError(`sloctl: drill.path must be a path starting with / and not ending with / (no query, no spaces), got ${JSON.stringify(path)}`);
    }
    this.path = path;
    this.expected = digest(token);
    this.runner = new FaultRunner({
      ...(opts.maxDurationMs !== undefined ? { maxDurationMs: opts.maxDurationMs } : {}),
      ...(opts.maxFaults !== undefined ? { maxFaults: opts.maxFaults } : {}),
    });
  }

  /**
   * Lists the saturation monitor's evidence files at GET {path}/evidence (the monitor calls it).
   * `dir`, the evidence directory's absolute path, is added to each entry: sloctl's reports name
   * the file where it is, and a name alone is relative to a directory only the service knows.
   */
  attachEvidence(list: () => EvidenceFile[], dir?: string): void {
    this.evidenceList = list;
    this.evidenceDir = dir;
  }

  /** For adapters, once per request: a promise to await before the handler (an unsettled-promises fault), else undefined. */
  hold(): Promise<void> | undefined {
    return this.runner.hold();
  }

  /** The URL is the endpoint's path, below it, or it with a query. */
  matches(url: string | undefined): boolean {
    const p = this.path;
    if (url === undefined || !url.startsWith(p)) return false;
    if (url.length === p.length) return true;
    const c = url.charCodeAt(p.length);
    return c === 47 || c === 63; // '/', '?'
  }

  /** Whether the endpoint answers this request: its path, from this machine. If not, the application gets it. */
  accepts(req: Pick<DrillRequest, 'url' | 'remoteAddress' | 'header'>): boolean {
    return this.matches(req.url) && fromThisMachine(req.remoteAddress, (h) => req.header(h));
  }

  /** The answer to an accepted request (see `accepts`). */
  async handle(req: DrillRequest): Promise<DrillResponse> {
    if (!tokenMatches(bearerToken(req.header('authorization')), this.expected)) {
      const given = req.header('authorization') !== undefined;
      return error(401, 'SLOCTL_DRILL_UNAUTHORIZED', given
        ? 'the drill token does not match the service\'s (SLOCTL_DRILL_TOKEN or the drill.token option)'
        : 'send the service\'s drill token: Authorization: Bearer <SLOCTL_DRILL_TOKEN>', { 'www-authenticate': 'Bearer realm="sloctl-drill"' });
    }
    const q = req.url.indexOf('?');
    const sub = (q < 0 ? req.url : req.url.slice(0, q)).slice(this.path.length).replace(/\/+$/, '');
    const method = req.method.toUpperCase();
    const r = this.runner;
    try {
      if (sub === '') {
        if (method === 'GET') return json(200, r.list());
        if (method !== 'POST') return error(405, 'SLOCTL_DRILL_METHOD', `${method} ${this.path}: use GET (list) or POST (apply)`, { allow: 'GET, POST' });
        const body = await readJson(req);
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FaultParamError('the body must be a JSON object: {"fault": ..., "params": {...}, "durationMs": ...}');
        const { fault, params, durationMs, ...rest } = body as Record<string, unknown>;
        const extra = Object.keys(rest);
        if (extra.length > 0) throw new FaultParamError(`unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')} (the body takes fault, params, durationMs)`);
        return json(201, r.apply(fault, params ?? {}, durationMs));
      }
      if (sub === '/reset') {
        if (method !== 'POST') return error(405, 'SLOCTL_DRILL_METHOD', `${method} ${this.path}/reset: use POST`, { allow: 'POST' });
        return json(200, { removed: r.reset() });
      }
      if (sub === '/evidence') {
        if (method !== 'GET') return error(405, 'SLOCTL_DRILL_METHOD', `${method} ${this.path}/evidence: use GET`, { allow: 'GET' });
        const files = this.evidenceList?.() ?? [];
        const dir = this.evidenceDir;
        return json(200, dir === undefined ? files : files.map((f) => ({ ...f, dir })));
      }
      const id = decodeURIComponent(sub.slice(1));
      if (id.includes('/')) return error(404, 'SLOCTL_DRILL_NO_SUCH_FAULT', `no such drill resource: ${req.url}`);
      if (method === 'GET') {
        const s = r.get(id);
        return s === undefined ? noSuchFault(id) : json(200, s);
      }
      if (method === 'DELETE') {
        const s = r.remove(id);
        return s === undefined ? noSuchFault(id) : json(200, s);
      }
      return error(405, 'SLOCTL_DRILL_METHOD', `${method} ${this.path}/${id}: use GET or DELETE`, { allow: 'GET, DELETE' });
    } catch (err) {
      if (err instanceof FaultParamError) return error(400, 'SLOCTL_DRILL_BAD_REQUEST', err.message);
      if (err instanceof TooManyFaultsError) return error(409, 'SLOCTL_DRILL_TOO_MANY', err.message);
      if (err instanceof BodyTooLargeError) return error(413, 'SLOCTL_DRILL_TOO_LARGE', err.message, { connection: 'close' });
      if (err instanceof URIError) return error(400, 'SLOCTL_DRILL_BAD_REQUEST', `a malformed fault id: ${req.url}`);
      throw err;
    }
  }

  /**
   * Node's request listener side (node:http, Express, Koa, Fastify): answers the request and
   * returns true when it is the endpoint's; false (touching nothing) for every other request,
   * including the endpoint's path from another machine.
   */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const dr = nodeRequest(req);
    if (!this.accepts(dr)) return false;
    if (req.method !== 'POST') req.resume();
    this.handle(dr).then((r) => writeNode(res, r), (err: unknown) => {
      writeNode(res, error(500, 'SLOCTL_DRILL_BAD_REQUEST', `the drill endpoint failed: ${err instanceof Error ? err.message : String(err)}`));
    });
    return true;
  }
}

function nodeRequest(req: IncomingMessage): DrillRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    remoteAddress: req.socket?.remoteAddress,
    header(name) {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    body: (limit) => readNodeBody(req, limit),
  };
}

function readNodeBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`the body is ${declared} bytes; the drill endpoint takes at most ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        reject(new BodyTooLargeError(`the body is over ${limit} bytes; the drill endpoint takes at most ${limit}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: DrillRequest): Promise<unknown> {
  const text = await req.body(BODY_LIMIT);
  if (text.trim() === '') throw new FaultParamError('the body is empty: send {"fault": ..., "params": {...}, "durationMs": ...}');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FaultParamError(`the body is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function writeNode(res: ServerResponse, r: DrillResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = r.status;
  res.setHeader('content-type', r.contentType);
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.end(r.body);
}

const BASE_HEADERS = { 'cache-control': 'no-store', [DRILL_HEADER]: '1' } as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}): DrillResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body), headers: { ...BASE_HEADERS, ...headers } };
}

function error(status: number, code: DrillErrorCode, message: string, headers: Record<string, string> = {}): DrillResponse {
  return json(status, { error: `sloctl drill: ${message}`, code }, headers);
}

function noSuchFault(id: string): DrillResponse {
  return error(404, 'SLOCTL_DRILL_NO_SUCH_FAULT', `no fault "${id}" is in effect (it expired or was removed, or never existed)`);
}

/** The drill's gauges: faults in effect per kind, and promises held unsettled. Registered only when the endpoint exists. */
export function registerDrillMetrics(registry: Registry, runner: FaultRunner): void {
  if (registry.getSingleMetric('sloctl_drill_faults_active') !== undefined) return;
  new Gauge({
    name: 'sloctl_drill_faults_active', help: 'In-process drill faults in effect, per fault (a drill is running: not an incident).',
    labelNames: ['fault'], registers: [registry],
    collect() {
      const counts = runner.countsByFault();
      for (const f of FAULT_NAMES) this.set({ fault: f }, counts[f]);
    },
  });
  new Gauge({
    name: 'sloctl_drill_unsettled_promises', help: 'Requests awaiting a promise an unsettled-promises drill fault holds.',
    registers: [registry],
    collect() {
      this.set(runner.unsettled);
    },
  });
}
