// Hostile traffic for the cardinality test: random paths, random parameters and query strings,
// malformed escapes, very long paths and odd methods, from a seeded generator (reproducible).
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

