// Hostile requests (issue 13, observability): what a scanner or a fuzzer sends a service, to see
// whether its metrics stay bounded. Random paths (random segments, very long ones, percent-encoded
// junk, ids that look like numbers and UUIDs) with odd methods (PURGE, PROPFIND, TRACE, OPTIONS,
// lower-case ones, unknown tokens), from a seeded RNG so a run can be repeated.
//
// Raw sockets, not undici or node:http: both upper-case or refuse the methods this has to send
// (node:http upper-cases `get`; undici rejects unknown tokens on some paths), and the point is to
// send what a hostile client sends. One connection per request with `Connection: close`: the
// status line is all that is read; the rest of the answer is drained and dropped (at most a few
// KiB kept, to find the status line). Bounded concurrency, a per-request timeout, and an abort
// signal. Loopback only unless allowRemote (checkTargetUrl, as the load generator and the scraper).
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { mulberry32, type Random } from '../load/prng.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import type { HostileResult } from '../verdicts/observability.ts';

export type { HostileResult };

export interface HostileOptions {
  /** The service's base URL (http://127.0.0.1:8080). */
  url: string;
  requests: number;
  seed?: number;
  /** Requests in flight at most. Default 32. */
  concurrency?: number;
  /** Per request, connect to status line. Default 5,000 ms. */
  timeoutMs?: number;
  allowRemote?: boolean;
  signal?: AbortSignal;
}

const METHODS = ['GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PURGE', 'PROPFIND', 'MKCOL', 'LOCK', 'get', 'post', 'Delete', 'BREW', 'X-SCAN', 'FOO123'];
const WORDS = ['admin', 'wp-login.php', '.env', '.git', 'config', 'api', 'v1', 'v2', 'users', 'orders', 'cgi-bin', 'phpmyadmin', 'backup', 'debug', 'actuator', 'health', 'metrics', 'static', 'login', 'graphql'];
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~';

function pick<T>(r: Random, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function word(r: Random, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALNUM[Math.floor(r() * ALNUM.length)];
  return s;
}

function hex(r: Random, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

function segment(r: Random): string {
  switch (Math.floor(r() * 7)) {
    case 0: return pick(r, WORDS);
    case 1: return String(Math.floor(r() * 1e9));
    case 2: return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
    case 3: {
      // Percent-encoded junk: control bytes, quotes, braces, non-ASCII.
      let s = '';
      for (let i = 0, k = 1 + Math.floor(r() * 6); i < k; i++) s += '%' + Math.floor(r() * 256).toString(16).padStart(2, '0').toUpperCase();
      return s + word(r, 2);
    }
    case 4: return word(r, 200 + Math.floor(r() * 800));
    default: return word(r, 1 + Math.floor(r() * 12));
  }
}

/** One hostile request line's method and target (path and maybe a query), from the RNG. */
export function hostileRequest(r: Random): { method: string; path: string } {
  const method = pick(r, METHODS);
  const depth = 1 + Math.floor(r() * 4);
  let path = '';
  for (let i = 0; i < depth; i++) path += '/' + segment(r);
  if (r() < 0.2) path += '/';
  if (r() < 0.25) path += `?${word(r, 3)}=${word(r, 1 + Math.floor(r() * 10))}`;
  return { method, path };
}

/** A response's status from the first bytes: `HTTP/1.1 404 ...`; undefined until the line is complete, NaN if not HTTP. */
function statusOf(head: string): number | undefined {
  const eol = head.indexOf('\n');
  if (eol < 0) return head.length > 4096 ? NaN : undefined;
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
  return m ? Number(m[1]) : NaN;
}

/** After the status line, how long to wait for the server to close before closing ourselves. */
const GRACE_MS = 1000;

function once(u: URL, method: string, path: string, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const tls = u.protocol === 'https:';
    const port = Number(u.port) || (tls ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    let head = '';
    let done = false;
    let status: number | undefined;
    const finish = (v: { status: number } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const sock: Socket = tls ? tlsConnect({ host, port, servername: host, rejectUnauthorized: false }) : netConnect({ host, port });
    let timer = setTimeout(() => finish(status !== undefined ? { status } : { error: 'timeout' }), timeoutMs);
    sock.setNoDelay(true);
    sock.on(tls ? 'secureConnect' : 'connect', () => {
      const body = method.toUpperCase() === 'POST' || method.toUpperCase() === 'PUT' || method.toUpperCase() === 'PATCH' ? '{"x":1}' : '';
      sock.write(`${method} ${path} HTTP/1.1\r\nhost: ${u.host}\r\nuser-agent: sloctl-hostile\r\nconnection: close\r\n${body ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : ''}\r\n${body}`);
    });
    sock.on('data', (chunk: Buffer) => {
      if (status !== undefined) return; // drained, dropped: only the status matters
      head += chunk.toString('latin1', 0, Math.min(chunk.length, 8192));
      const s = statusOf(head);
      if (s === undefined) return;
      if (Number.isNaN(s)) return finish({ error: 'not-http' });
      status = s;
      // The server closes after answering (connection: close); wait for that so it finishes its
      // bookkeeping (the SDK records on the response's end) as with any client, then count it.
      // A server that keeps the connection open anyway (or streams forever) gets a short grace,
      // not the whole timeout: the status is all this needs.
      clearTimeout(timer);
      timer = setTimeout(() => finish({ status: s }), Math.min(timeoutMs, GRACE_MS));
    });
    sock.on('end', () => finish(status !== undefined ? { status } : { error: 'EOF_BEFORE_RESPONSE' }));
    sock.on('close', () => finish(status !== undefined ? { status } : { error: 'closed' }));
    sock.on('error', (err: Error & { code?: string }) => finish(status !== undefined ? { status } : { error: err.code ?? err.name }));
  });
}

/** Sends `requests` hostile requests to `url`; every request is counted as answered (any status) or as an error. */
export async function sendHostileRequests(o: HostileOptions): Promise<HostileResult> {
  const u = checkTargetUrl(o.url, o.allowRemote === true, 'send hostile requests to');
  const r = mulberry32(o.seed ?? 1);
  const timeoutMs = o.timeoutMs ?? 5000;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 32, o.requests));
  const res: HostileResult = { asked: o.requests, sent: 0, answered: 0, statuses: {}, errors: {}, durationMs: 0 };
  const t0 = performance.now();
  // Drawn when taken, in index order (one thread: the draws never interleave), so the same seed
  // sends the same requests whatever the timing, without holding all of them at once.
  let next = 0;
  const worker = async () => {
    while (next < o.requests && !o.signal?.aborted) {
      next++;
      const { method, path } = hostileRequest(r);
      res.sent++;
      const out = await once(u, method, path, timeoutMs);
      if ('status' in out) {
        res.answered++;
        res.statuses[out.status] = (res.statuses[out.status] ?? 0) + 1;
      } else {
        res.errors[out.error] = (res.errors[out.error] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  res.durationMs = performance.now() - t0;
  return res;
}
