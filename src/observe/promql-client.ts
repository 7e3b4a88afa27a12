// A client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/rules`),
// which Thanos, Mimir and VictoriaMetrics serve too (the rules API where a ruler is attached).
//
// Queries go as POST with a form body (no URL length limit for long generated expressions). Every
// failure becomes a PromqlError whose message is one line naming the server and what to do:
// - `unreachable`: connection refused, host not found, reset;
// - `timeout`: no complete answer within the timeout (the server's own `timeout` parameter is set
//   to the same value, so a slow query is cancelled there too);
// - `http`: an HTTP error without a Prometheus error body (a proxy's 502, a 404 for a wrong path);
// - `prometheus`: `status: "error"` — `errorType` and `error` are kept verbatim (`bad_data`,
//   `execution`, `timeout`, ...), as Prometheus wrote them;
// - `bad-response`: a 2xx body that is not the API's JSON.
// Warnings a successful response carries are returned, not dropped.
import { request, type Dispatcher } from 'undici';
import { SloctlError } from '../errors.ts';

export type PromqlErrorKind = 'bad-url' | 'unreachable' | 'timeout' | 'http' | 'prometheus' | 'bad-response';

export class PromqlError extends SloctlError {
  override name = 'PromqlError';
  readonly code = 'SLOCTL_PROMQL';
  readonly kind: PromqlErrorKind;
  /** The server's base URL. */
  readonly url: string;
  readonly status?: number;
  /** Prometheus' `errorType` and `error`, verbatim, for kind `prometheus`. */
  readonly errorType?: string;
  readonly error?: string;
  readonly query?: string;
  constructor(kind: PromqlErrorKind, url: string, message: string, extra: { status?: number; errorType?: string; error?: string; query?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    this.url = url;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.errorType !== undefined) this.errorType = extra.errorType;
    if (extra.error !== undefined) this.error = extra.error;
    if (extra.query !== undefined) this.query = extra.query;
  }
}

export interface PromqlClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:9090 (a path prefix such as /prometheus is kept). */
  url: string;
  /** Per-request timeout in ms. Default 30s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
}

/** A labelled value at one time (ms). */
export interface InstantSample {
  metric: Record<string, string>;
  /** ms since the epoch. */
  t: number;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<{ t: number; v: number }>;
}

export type QueryResult =
  | { resultType: 'vector'; result: InstantSample[]; warnings: string[] }
  | { resultType: 'scalar'; result: { t: number; value: number }; warnings: string[] }
  | { resultType: 'string'; result: { t: number; value: string }; warnings: string[] }
  | { resultType: 'matrix'; result: RangeSeries[]; warnings: string[] };

export interface RangeResult {
  result: RangeSeries[];
  warnings: string[];
}

export interface QueryOptions {
  /** Evaluation time in ms since the epoch (default: the server's now). */
  time?: number;
  timeoutMs?: number;
}

/** One rule as `/api/v1/rules` lists it: `query` is the expression as the server prints it back. */
export interface LoadedRule {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  labels: Record<string, string>;
}

export interface LoadedRuleGroup {
  name: string;
  file: string;
  rules: LoadedRule[];
}

export interface RangeOptions {
  /** ms since the epoch. */
  start: number;
  end: number;
  stepMs: number;
  timeoutMs?: number;
}

/** Prometheus' sample values are strings: "1.5", "NaN", "+Inf", "-Inf". */
export function parseSampleValue(s: unknown): number {
  if (typeof s === 'number') return s;
  if (typeof s !== 'string') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** Seconds with ms precision, as the API takes them. */
function apiTime(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** A duration for the API's `timeout`/`step` parameters: seconds with ms precision, e.g. "1.5s". */
function apiDuration(ms: number): string {
  return `${+(ms / 1000).toFixed(3)}s`;
}

type ApiPair = [number, string];

function pair(p: unknown): { t: number; value: unknown } {
  const [t, v] = p as ApiPair;
  return { t: Math.round(Number(t) * 1000), value: v };
}

export class PromqlClient {
  readonly url: string;
  readonly timeoutMs: number;
  private readonly base: URL;
  private readonly opts: PromqlClientOptions;

  constructor(options: PromqlClientOptions) {
    let base: URL;
    try {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(options.url)) throw new TypeError('no scheme');
      base = new URL(options.url);
    } catch {
      throw new PromqlError('bad-url', options.url, `"${options.url}" is not an absolute URL; write the Prometheus server like http://127.0.0.1:9090`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new PromqlError('bad-url', options.url, `${options.url}: only http and https Prometheus URLs are supported`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.opts = options;
  }

  /** Instant query (`/api/v1/query`). */
  async query(expr: string, options: QueryOptions = {}): Promise<QueryResult> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const params: Record<string, string> = { query: expr, timeout: apiDuration(timeoutMs) };
    if (options.time !== undefined) params.time = apiTime(options.time);
    const data = await this.post('api/v1/query', params, expr, timeoutMs);
    const d = data.data as { resultType?: string; result?: unknown } | undefined;
    const warnings = (data.warnings as string[] | undefined) ?? [];
    switch (d?.resultType) {
      case 'vector':
        return {
          resultType: 'vector',
          result: (d.result as Array<{ metric: Record<string, string>; value: unknown }>).map((r) => {
            const p = pair(r.value);
            return { metric: r.metric ?? {}, t: p.t, value: parseSampleValue(p.value) };
          }),
          warnings,
        };
      case 'scalar': {
        const p = pair(d.result);
        return { resultType: 'scalar', result: { t: p.t, value: parseSampleValue(p.value) }, warnings };
      }
      case 'string': {
        const p = pair(d.result);
        return { resultType: 'string', result: { t: p.t, value: String(p.value) }, warnings };
      }
      case 'matrix':
        return { resultType: 'matrix', result: this.matrix(d.result), warnings };
      default:
        throw new PromqlError('bad-response', this.url, `${this.url} answered the query without a known resultType (${String(d?.resultType)}); is this a Prometheus-compatible API?`, { query: expr });
    }
  }

  /** Range query (`/api/v1/query_range`). */
  async queryRange(expr: string, options: RangeOptions): Promise<RangeResult> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!(options.stepMs > 0)) throw new RangeError(`stepMs must be positive, got ${options.stepMs}`);
    if (options.end < options.start) throw new RangeError(`end (${options.end}) is before start (${options.start})`);
    const params = {
      query: expr,
      start: apiTime(options.start),
      end: apiTime(options.end),
      step: apiDuration(options.stepMs),
      timeout: apiDuration(timeoutMs),
    };
    const data = await this.post('api/v1/query_range', params, expr, timeoutMs);
    const d = data.data as { resultType?: string; result?: unknown } | undefined;
    if (d?.resultType !== 'matrix') {
      throw new PromqlError('bad-response', this.url, `${this.url} answered a range query with resultType ${String(d?.resultType)} instead of matrix`, { query: expr });
    }
    return { result: this.matrix(d.result), warnings: (data.warnings as string[] | undefined) ?? [] };
  }

  /** The value of a query that yields at most one sample: a number, or undefined for an empty result. */
  async scalar(expr: string, options: QueryOptions = {}): Promise<number | undefined> {
    const r = await this.query(expr, options);
    if (r.resultType === 'scalar') return r.result.value;
    if (r.resultType === 'vector') {
      if (r.result.length === 0) return undefined;
      if (r.result.length > 1) {
        throw new PromqlError('bad-response', this.url, `the query returned ${r.result.length} series where one was expected: ${expr}`, { query: expr });
      }
      return r.result[0].value;
    }
    throw new PromqlError('bad-response', this.url, `the query returned a ${r.resultType}, not a number: ${expr}`, { query: expr });
  }

  /** The rule groups the server evaluates (`/api/v1/rules`, a GET). */
  async rules(options: { timeoutMs?: number } = {}): Promise<LoadedRuleGroup[]> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const data = await this.send('GET', 'api/v1/rules', {}, 'the rules API', timeoutMs);
    const groups = (data.data as { groups?: unknown } | undefined)?.groups;
    if (!Array.isArray(groups)) throw new PromqlError('bad-response', this.url, `${this.url} answered /api/v1/rules without a list of groups`);
    return groups.map((g: { name?: unknown; file?: unknown; rules?: unknown }) => ({
      name: String(g.name ?? ''),
      file: String(g.file ?? ''),
      rules: (Array.isArray(g.rules) ? g.rules : []).map((r: { type?: unknown; name?: unknown; query?: unknown; labels?: unknown }) => ({
        type: r.type === 'alerting' ? 'alerting' : 'recording',
        name: String(r.name ?? ''),
        query: String(r.query ?? ''),
        labels: r.labels !== null && typeof r.labels === 'object' ? (r.labels as Record<string, string>) : {},
      })),
    }));
  }

  private matrix(result: unknown): RangeSeries[] {
    return ((result as Array<{ metric: Record<string, string>; values: unknown[] }>) ?? []).map((r) => ({
      metric: r.metric ?? {},
      values: (r.values ?? []).map((p) => {
        const x = pair(p);
        return { t: x.t, v: parseSampleValue(x.value) };
      }),
    }));
  }

  private post(path: string, params: Record<string, string>, expr: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.send('POST', path, params, expr, timeoutMs);
  }

  /** POST with a form body (queries), or GET with the parameters in the URL (the rules API takes GET only). */
  private async send(method: 'GET' | 'POST', path: string, params: Record<string, string>, expr: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const url = new URL(path, this.base);
    if (method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const endpoint = url.toString();
    let status: number;
    let text: string;
    try {
      const res = await request(endpoint, {
        method,
        headers: method === 'POST'
          ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'sloctl', ...this.opts.headers }
          : { accept: 'application/json', 'user-agent': 'sloctl', ...this.opts.headers },
        ...(method === 'POST' ? { body: new URLSearchParams(params).toString() } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: this.opts.dispatcher,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw this.networkError(e, timeoutMs, expr);
    }
    let data: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
    } catch {
      data = undefined;
    }
    if (data?.status === 'error') {
      const errorType = String(data.errorType ?? 'unknown');
      const error = String(data.error ?? '');
      throw new PromqlError('prometheus', this.url, `${this.url} rejected the query: ${errorType}: ${error}`, { status, errorType, error, query: expr });
    }
    if (status < 200 || status >= 300) {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120);
      const hint = status === 404 ? '; is this the Prometheus base URL (the API lives under /api/v1)?' : status === 401 || status === 403 ? '; the server wants credentials' : '';
      throw new PromqlError('http', this.url, `${endpoint} answered HTTP ${status}${snippet ? ` (${snippet})` : ''}${hint}`, { status, query: expr });
    }
    if (data?.status !== 'success') {
      throw new PromqlError('bad-response', this.url, `${endpoint} did not answer with the Prometheus API's JSON; is ${this.url} a Prometheus server?`, { status, query: expr });
    }
    return data;
  }

  private networkError(e: unknown, timeoutMs: number, expr: string): PromqlError {
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new PromqlError('timeout', this.url, `${this.url} did not answer within ${timeoutMs}ms; the query may be too expensive or the server overloaded (raise the timeout)`, { cause: e, query: expr });
    }
    if (code === 'ECONNREFUSED') {
      return new PromqlError('unreachable', this.url, `cannot reach Prometheus at ${this.url}: connection refused; is it running, and is the port right?`, { cause: e, query: expr });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new PromqlError('unreachable', this.url, `cannot reach Prometheus at ${this.url}: host not found (${code}); check the URL`, { cause: e, query: expr });
    }
    return new PromqlError('unreachable', this.url, `cannot reach Prometheus at ${this.url}: ${code ?? err.message ?? String(e)}`, { cause: e, query: expr });
  }
}
