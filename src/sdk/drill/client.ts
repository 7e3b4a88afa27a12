// The caller's side of the drill endpoint, for `sloctl drill` (and anyone scripting a drill):
//
//   const drill = new DrillClient({ url: 'http://127.0.0.1:3000', token: process.env.SLOCTL_DRILL_TOKEN });
//   const { id, expiresAt } = await drill.apply('event-loop-block', { blockMs: 300, everyMs: 1000 }, 10_000);
//   ...
//   await drill.remove(id);            // or drill.reset(); and if the caller dies, the fault expires by itself
//
// It talks to loopback addresses only (the endpoint answers nothing else, and the token must not
// cross a network in the clear). Every failure is a DrillClientError that says what to do.
import { isLoopbackAddress } from '../../net/loopback.ts';
import {
  DEFAULT_DRILL_PATH, DRILL_HEADER, DRILL_TOKEN_ENV,
  type ApplyRequest, type DrillErrorBody, type FaultList, type FaultName, type FaultParams, type FaultState,
} from './types.ts';
import type { EvidenceFile } from '../saturation/evidence.ts';

export interface DrillClientOptions {
  /** The service's base URL (http://127.0.0.1:PORT, http://localhost:PORT, http://[::1]:PORT). */
  url: string | URL;
  /** The service's drill token (what it has in SLOCTL_DRILL_TOKEN). */
  token: string;
  /** The endpoint's path, if the service moved it. Default /.sloctl/drill. */
  path?: string;
  /** Per request (ms). Default 5000. */
  timeoutMs?: number;
  /**
   * The service's health path (the contract's `target.health`). When it is under a prefix
   * (`/api/healthz`) and the endpoint's path does not answer as the drill endpoint (404), the
   * endpoint is looked for under that prefix (`/api/.sloctl/drill`): where a Hono app under
   * `basePath('/api')` serves it, since sloctl's middleware runs only for `/api/*` there.
   */
  healthPath?: string;
}

/** The prefix a health path is under: `/api` for `/api/healthz`, '' for `/healthz`. */
export function healthPrefix(healthPath: string | undefined): string {
  if (healthPath === undefined || !healthPath.startsWith('/')) return '';
  const q = healthPath.search(/[?#]/);
  const path = q < 0 ? healthPath : healthPath.slice(0, q);
  return path.slice(0, path.lastIndexOf('/')).replace(/\/+$/, '');
}

export class DrillClientError extends Error {
  override name = 'DrillClientError';
  /** The HTTP status, when the service answered. */
  readonly status: number | undefined;
  /** The endpoint's error code (SLOCTL_DRILL_...), when it was the endpoint that answered. */
  readonly drillCode: string | undefined;
  constructor(message: string, opts: { status?: number; drillCode?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
    this.drillCode = opts.drillCode;
  }
}

function loopbackHost(u: URL): boolean {
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || isLoopbackAddress(h);
}

export class DrillClient {
  endpoint: URL;
  /** Where else to look when `endpoint` is not the drill endpoint (see `healthPath`); tried once. */
  private underPrefix: URL | undefined;
  /** Where the endpoint is looked for: its path, then under the health path's prefix when given one. */
  readonly lookedAt: readonly string[];
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(opts: DrillClientOptions) {
    let base: URL;
    try {
      base = new URL(String(opts.url));
    } catch {
      throw new DrillClientError(`the service URL ${JSON.stringify(String(opts.url))} is not a URL (give http://127.0.0.1:PORT)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new DrillClientError(`the service URL ${base.href} must be http: or https:`);
    if (!loopbackHost(base)) {
      throw new DrillClientError(`the drill endpoint answers only on loopback; ${base.host} is not (use http://127.0.0.1:PORT, on the service's machine)`);
    }
    if (typeof opts.token !== 'string' || opts.token === '') throw new DrillClientError(`no drill token: pass the one the service has in ${DRILL_TOKEN_ENV}`);
    const path = opts.path ?? DEFAULT_DRILL_PATH;
    this.endpoint = new URL(path, base);
    const prefix = healthPrefix(opts.healthPath);
    this.underPrefix = prefix === '' ? undefined : new URL(prefix + path, base);
    this.lookedAt = this.underPrefix === undefined ? [this.endpoint.href] : [this.endpoint.href, this.underPrefix.href];
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Applies a fault for `durationMs` (the service caps it; the state says the duration in effect). */
  apply<F extends FaultName>(fault: F, params: Partial<FaultParams[F]> = {}, durationMs?: number): Promise<FaultState> {
    const body: ApplyRequest = { fault, params: params as Record<string, number | string>, ...(durationMs !== undefined ? { durationMs } : {}) };
    return this.call<FaultState>('POST', '', body);
  }

  /** Removes a fault: its final state, or undefined when it is no longer in effect (expired, removed). */
  async remove(id: string): Promise<FaultState | undefined> {
    try {
      return await this.call<FaultState>('DELETE', `/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof DrillClientError && err.drillCode === 'SLOCTL_DRILL_NO_SUCH_FAULT') return undefined;
      throw err;
    }
  }

  /** One fault: in effect (`active`), or its last state shortly after it ended; undefined when the service knows none. */
  async get(id: string): Promise<FaultState | undefined> {
    try {
      return await this.call<FaultState>('GET', `/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof DrillClientError && err.drillCode === 'SLOCTL_DRILL_NO_SUCH_FAULT') return undefined;
      throw err;
    }
  }

  list(): Promise<FaultList> {
    return this.call<FaultList>('GET', '');
  }

  /**
   * The saturation evidence files the service captured (heap and CPU profiles), oldest first:
   * names inside the service's evidence directory. [] when it runs no saturation monitor.
   */
  evidence(): Promise<EvidenceFile[]> {
    return this.call<EvidenceFile[]>('GET', '/evidence');
  }

  /** Removes every fault in effect. */
  async reset(): Promise<FaultState[]> {
    return (await this.call<{ removed: FaultState[] }>('POST', '/reset')).removed;
  }

  private async call<T>(method: string, sub: string, body?: unknown): Promise<T> {
    const at = this.endpoint;
    const url = at.href + sub;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new DrillClientError(`${method} ${url} failed (${cause}): is the service running and listening there?`, { cause: err });
    }
    const text = await res.text();
    const ours = res.headers.get(DRILL_HEADER) === '1';
    if (res.ok && ours) return JSON.parse(text) as T;
    // A call that started before another one moved the endpoint (below) asks again where it is now:
    // two calls racing the first discovery both see the documented path's 404.
    if (!ours && res.status === 404 && this.endpoint !== at) return this.call<T>(method, sub, body);
    if (!ours && res.status === 404 && this.underPrefix !== undefined) {
      // Not here: under the health path's prefix (a Hono app under basePath, or a sub-app mounted with app.route, serves it there), once.
      const under = this.underPrefix;
      this.endpoint = under;
      this.underPrefix = undefined;
      try {
        return await this.call<T>(method, sub, body);
      } catch (err) {
        if (!(err instanceof DrillClientError && err.status === 404 && err.drillCode === undefined)) throw err;
        this.endpoint = at;
        throw new DrillClientError(`neither ${at.href + sub} nor ${under.href + sub} is a drill endpoint (404): start the service with ${DRILL_TOKEN_ENV} set (at least 16 characters), or pass the path it serves the endpoint at`, { status: 404 });
      }
    }
    if (!ours) {
      throw new DrillClientError(res.status === 404
        ? `${url} is not a drill endpoint (404): start the service with ${DRILL_TOKEN_ENV} set (at least 16 characters), or pass the path it serves the endpoint at. A Hono app under basePath('/api'), or a Hono sub-app mounted with app.route('/api', sub), serves it under the prefix (/api${at.pathname}): give sloctl the contract's health path under it too (target.health: /api/healthz)`
        : `${method} ${url}: the service answered ${res.status}, not as a drill endpoint does (is the drill path right?)`, { status: res.status });
    }
    let parsed: DrillErrorBody | undefined;
    try {
      parsed = JSON.parse(text) as DrillErrorBody;
    } catch { /* the message below still says the status */ }
    const what = parsed?.error ?? `status ${res.status}`;
    const hint = res.status === 401 && parsed === undefined ? ` (the token sloctl was given must equal the service's ${DRILL_TOKEN_ENV})` : '';
    throw new DrillClientError(`${method} ${url}: ${what}${hint}`, { status: res.status, ...(parsed?.code !== undefined ? { drillCode: parsed.code } : {}) });
  }
}
