// Hostile traffic for the cardinality test: random paths, random parameters and query strings,
// malformed escapes, very long paths and odd methods, from a seeded generator (reproducible).
import { connect, type Socket } from 'node:net';
import { Pool } from 'undici';
import { mulberry32 } from '../../src/load/prng.ts';

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'PURGE', 'SEARCH', 'LOCK', 'MKCOL', 'REPORT', 'UNLOCK'] as const;

const SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~';

function word(r: () => number, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[Math.floor(r() * SAFE.length)];
  return s.replace(/^\.+/, 'x');
}

/** Kinds of hostile path; each kind's outcome does not depend on its random content. */
export const KINDS = [
  (r: () => number) => `/${Array.from({ length: 1 + Math.floor(r() * 5) }, () => word(r, 1, 12)).join('/')}`,
  (r: () => number) => `/products/${1 + Math.floor(r() * 1e9)}x${word(r, 0, 8)}`,
  (r: () => number) => `/orders?${word(r, 1, 8)}=${word(r, 0, 20)}&page=${Math.floor(r() * 1e6)}`,
  (r: () => number) => `/z${word(r, 1, 6)}/%zz${word(r, 0, 6)}/${word(r, 1, 6)}`,
  (r: () => number) => `/long/${word(r, 1500, 2000)}`,
  (r: () => number) => `/products/${word(r, 1, 10)}/${word(r, 1, 10)}`,
] as const;

export interface Hostile {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Every (method, kind) pair `rounds` times: enough to create every label set the traffic can reach. */
export function warmup(seed: number, rounds = 3): Hostile[] {
  const r = mulberry32(seed);
  const out: Hostile[] = [];
  for (let i = 0; i < rounds; i++) for (const method of METHODS) for (const kind of KINDS) out.push({ method, path: kind(r) });
  return out;
}

export function* hostile(seed: number, n: number): Generator<Hostile> {
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const method = METHODS[Math.floor(r() * METHODS.length)];
    const kind = KINDS[Math.floor(r() * KINDS.length)];
    yield { method, path: kind(r) };
  }
}

/** Sends the requests over keep-alive, pipelined connections; returns how many got an answer, and the statuses. */
export async function blast(url: string, requests: Iterable<Hostile>, opts: { connections?: number; pipelining?: number } = {}): Promise<{ answered: number; failed: number; statuses: Map<number, number> }> {
  const connections = opts.connections ?? 4;
  const pipelining = opts.pipelining ?? 16;
  const pool = new Pool(url, { connections, pipelining, keepAliveTimeout: 30_000 });
  const it = requests[Symbol.iterator]();
  let answered = 0;
  let failed = 0;
  const statuses = new Map<number, number>();
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) {
      try {
        const { method, path, headers, body } = next.value;
        const res = await pool.request({ method, path, headers, body });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        answered++;
      } catch {
        failed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections * pipelining }, worker));
  } finally {
    await pool.close();
  }
  return { answered, failed, statuses };
}

/** Requests as HTTP/1.1 text, made once; `forHost` gives the bytes `flood` sends to one server. */
export interface Encoded {
  count: number;
  /** 1 for a HEAD request: its answer has headers only, whatever they say. */
  head: Uint8Array;
  /** One Buffer of every request, each with `host: <host>`; request i at `offsets[i]`..`offsets[i + 1]`. */
  forHost(host: string): { bytes: Buffer; offsets: Uint32Array };
}

// Methods whose request undici sends with `content-length: 0` when bodiless; flood sends the same.
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH']);

export function encode(requests: Iterable<Hostile>): Encoded {
  // A request is its request line, the Host header, then the rest. The text is kept as the strings
  // between Host headers (the previous request's rest and this one's request line), so a server's
  // bytes are one join and one copy, not 100,000 writes.
  const segments: string[] = [];
  const starts: number[] = [];
  const head: number[] = [];
  let rest = '';
  let at = 0;
  for (const { method, path, headers, body } of requests) {
    const line = `${method} ${path} HTTP/1.1\r\n`;
    if (/[^\x00-\xff]/.test(line)) throw new Error(`not Latin-1, would not be sent as given: ${line.slice(0, 80)}`);
    segments.push(rest + line);
    starts.push(at);
    const payload = body === undefined ? undefined : Buffer.from(body).toString('latin1'); // its bytes, one char each
    rest = 'connection: keep-alive\r\n';
    for (const [k, v] of Object.entries(headers ?? {})) rest += `${k}: ${v}\r\n`;
    if (payload !== undefined || EXPECTS_PAYLOAD.has(method)) rest += `content-length: ${payload?.length ?? 0}\r\n`;
    rest += `\r\n${payload ?? ''}`;
    at += line.length + rest.length;
    head.push(method === 'HEAD' ? 1 : 0);
  }
  segments.push(rest);
  const count = starts.length;
  return {
    count,
    head: Uint8Array.from(head),
    forHost(host) {
      const h = `host: ${host}\r\n`;
      const bytes = Buffer.from(segments.join(h), 'latin1');
      const offsets = new Uint32Array(count + 1);
      for (let i = 0; i < count; i++) offsets[i] = starts[i] + i * h.length;
      offsets[count] = bytes.length;
      return { bytes, offsets };
    },
  };
}

const CRLF_BYTES = Buffer.from('\r\n');
const IDLE_MS = 30_000;
const HEADERS_END = Buffer.from('\r\n\r\n');

/**
 * Sends the requests over `connections` keep-alive connections with up to `pipelining` requests
 * in flight on each, written `batch` requests to a write; counts the answers by reading status
 * lines and framing (content-length or chunked; none for HEAD, 1xx, 204, 304) without building
 * response objects. Every request, HEAD and odd methods included, stays on its keep-alive
 * connection (undici closes the connection after every HEAD). A request whose connection closes
 * or fails before its answer is counted failed, never sent again (so none is counted twice by the
 * server); the requests not yet sent go on a new connection.
 */
export async function flood(url: string, requests: Iterable<Hostile> | Encoded, opts: { connections?: number; pipelining?: number; batch?: number } = {}): Promise<{ answered: number; failed: number; statuses: Map<number, number> }> {
  const { hostname, port, host } = new URL(url);
  const enc = 'forHost' in requests ? requests : encode(requests);
  const { bytes, offsets } = enc.forHost(host);
  const connections = opts.connections ?? 4;
  const pipelining = opts.pipelining ?? 16;
  const batch = Math.min(opts.batch ?? 8, pipelining);
  const codes = new Uint32Array(1000);
  let answered = 0;
  let failed = 0;
  let cursor = 0; // next request to send, over all connections

  // One connection, until it has nothing left to send and every answer is in, or it closes;
  // resolves with how many requests it sent and how many it got answers to.
  let stalled = false;
  const one = () => new Promise<{ sent: number; got: number }>((done) => {
    let sent = 0;
    let got = 0;
    const socket: Socket = connect({ host: hostname, port: Number(port), noDelay: true });
    // Silence with requests in flight is a failure, soon: a client misreading an answer's
    // length would otherwise wait for bytes that never come.
    socket.setTimeout(IDLE_MS, () => {
      stalled = true;
      socket.destroy();
    });
    // Ranges [from, to) of requests sent on this connection, oldest first, and the request whose answer comes next.
    const ranges: number[] = [];
    let rangeAt = 0;
    let next = -1;
    let inFlight = 0;
    let closing = false; // the server said `connection: close`
    let buf: Buffer = Buffer.alloc(0);
    let pos = 0;
    // Parse state: 0 headers, 1 fixed body (skip `left` bytes), 2 chunk-size line, 3 chunk data
    // (skip `left` bytes, CRLF included), 4 trailers, 5 body until close.
    let state = 0;
    let left = 0;

    const send = () => {
      while (!closing && cursor < enc.count && pipelining - inFlight >= Math.min(batch, enc.count - cursor)) {
        const from = cursor;
        const to = Math.min(enc.count, from + batch, from + pipelining - inFlight);
        cursor = to;
        inFlight += to - from;
        sent += to - from;
        if (next < 0) next = from;
        ranges.push(from, to);
        socket.write(bytes.subarray(offsets[from], offsets[to]));
      }
      if ((closing || cursor >= enc.count) && inFlight === 0) socket.end();
    };
    const answeredOne = (status: number) => {
      codes[status]++;
      answered++;
      got++;
      inFlight--;
      next++;
      if (next >= ranges[rangeAt + 1]) {
        rangeAt += 2;
        next = rangeAt < ranges.length ? ranges[rangeAt] : -1;
      }
    };
    let status = 0;
    const parse = () => {
      for (;;) {
        if (state === 0) {
          if (buf.length - pos < 12) return;
          const end = buf.indexOf(HEADERS_END, pos);
          if (end < 0) return;
          if (buf.toString('latin1', pos, pos + 7) !== 'HTTP/1.' || next < 0) {
            socket.destroy(new Error(`not an HTTP answer or no request waiting for one: ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`));
            return;
          }
          status = Number(buf.toString('latin1', pos + 9, pos + 12));
          if (!(status >= 100 && status <= 999)) {
            socket.destroy(new Error(`no status code: ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`));
            return;
          }
          const headers = buf.toString('latin1', pos, end + 2);
          pos = end + 4;
          if (status < 200) continue; // informational: the final answer follows
          if (/\r\nconnection:[ \t]*close/i.test(headers)) closing = true;
          if (enc.head[next] === 1 || status === 204 || status === 304) {
            answeredOne(status);
          } else if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(headers)) {
            state = 2;
          } else {
            const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(headers);
            if (m) {
              left = Number(m[1]);
              state = 1;
            } else {
              state = 5;
              return;
            }
          }
        } else if (state === 1 || state === 3) {
          const have = buf.length - pos;
          if (have < left) {
            left -= have;
            pos = buf.length;
            return;
          }
          pos += left;
          if (state === 1) {
            answeredOne(status);
            state = 0;
          } else {
            state = 2;
          }
        } else if (state === 2 || state === 4) {
          const eol = buf.indexOf(CRLF_BYTES, pos);
          if (eol < 0) return;
          const line = buf.toString('latin1', pos, eol);
          pos = eol + 2;
          if (state === 4) {
            if (line === '') {
              answeredOne(status);
              state = 0;
            }
          } else {
            const size = parseInt(line, 16);
            if (Number.isNaN(size)) {
              socket.destroy(new Error(`bad chunk size ${JSON.stringify(line)}`));
              return;
            }
            if (size === 0) state = 4;
            else {
              left = size + 2;
              state = 3;
            }
          }
        } else {
          return; // state 5: everything up to the close is body
        }
      }
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      if (pos >= buf.length) {
        buf = chunk;
      } else {
        buf = Buffer.concat([buf.subarray(pos), chunk]);
      }
      pos = 0;
      if (state === 5) return;
      parse();
      if (!socket.destroyed) send();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (state === 5 && inFlight > 0) answeredOne(status);
      failed += inFlight;
      inFlight = 0;
      done({ sent, got });
    });
  });

  const worker = async () => {
    // A connection that sent nothing (refused), got no answer or stalled is not tried again.
    while (cursor < enc.count && !stalled) {
      const { sent, got } = await one();
      if (sent === 0 || got === 0) break;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  failed += enc.count - cursor; // never sent
  const statuses = new Map<number, number>();
  codes.forEach((n, code) => { if (n > 0) statuses.set(code, n); });
  return { answered, failed, statuses };
}
