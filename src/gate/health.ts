// One look at a service's health endpoint, and where it is.
//
// The rule (shared by `sloctl status`, the gate's start-up wait and its watcher):
//   up          2xx, and if the body is JSON with a `status`, that status is UP;
//   degraded    an HTTP answer whose JSON status is DEGRADED (whatever the code: the SDK sends 503
//               by default, 200 when configured so);
//   down        any other HTTP answer: JSON status DOWN (or anything else), or a non-2xx code
//               without a JSON status;
//   unreachable no HTTP answer in time (refused, reset, timeout).
// Only `up` is healthy. `degraded` and `down` still count as answering: a service that says it is
// unwell is alive, and the gate measures it rather than calling it dead.
import { request } from 'undici';

export type HealthState = 'up' | 'degraded' | 'down' | 'unreachable';

export interface HealthProbe {
  state: HealthState;
  /** When the probe started (ms since the epoch) and how long it took. */
  at: number;
  ms: number;
  statusCode?: number;
  /** The JSON body's `status`, when there was one. */
  status?: string;
  /** Why there was no answer (unreachable), one line. */
  error?: string;
}

/** Largest body read: a health answer is small; a hostile or broken endpoint must not fill memory. */
const MAX_BODY = 64 * 1024;

export const DEFAULT_HEALTH_PATH = '/healthz';

/**
 * An endpoint of the service: `path` (which starts with /) on the origin of `base`, e.g.
 * endpointUrl('http://127.0.0.1:8080/x?y', '/healthz') is http://127.0.0.1:8080/healthz.
 */
export function endpointUrl(base: string | URL, path: string): string {
  const u = new URL(path, base);
  u.hash = '';
  return u.toString();
}

async function readSome(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_BODY));
}

function jsonStatus(text: string): string | undefined {
  const t = text.trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(t) as unknown;
    if (body && typeof body === 'object' && 'status' in body) return String((body as { status: unknown }).status);
  } catch {
    /* not JSON (or cut at MAX_BODY): the status code decides */
  }
  return undefined;
}

function oneLine(e: unknown): string {
  const err = e as { code?: string; message?: string; name?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer in time';
  const msg = err?.message ?? String(e);
  return err?.code && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg;
}

/** Probes `url` once; never throws for a target problem. */
export async function probeHealth(url: string, timeoutMs: number): Promise<HealthProbe> {
  const at = Date.now();
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  try {
    // A fresh connection each time (reset: no keep-alive): a dead target then reads as refused at once,
    // and a kept-alive socket the server closed while idle cannot pass for an outage.
    const res = await request(url, { method: 'GET', headers: { accept: 'application/json' }, reset: true, signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))) });
    const text = await readSome(res.body);
    const status = jsonStatus(text);
    const upper = status?.toUpperCase();
    const ok2xx = res.statusCode >= 200 && res.statusCode < 300;
    let state: HealthState;
    if (upper === 'DEGRADED') state = 'degraded';
    else if (ok2xx && (status === undefined || upper === 'UP')) state = 'up';
    else state = 'down';
    const probe: HealthProbe = { state, at, ms: elapsed(), statusCode: res.statusCode };
    if (status !== undefined) probe.status = status;
    return probe;
  } catch (e) {
    return { state: 'unreachable', at, ms: elapsed(), error: oneLine(e) };
  }
}

/** UP or not: what `sloctl status` feeds the availability composite. */
export async function checkHealth(url: string, timeoutMs: number): Promise<boolean> {
  return (await probeHealth(url, timeoutMs)).state === 'up';
}

/** "answered 503 DEGRADED", "answered 200", "did not answer (ECONNREFUSED: ...)". */
export function describeProbe(p: HealthProbe): string {
  if (p.state === 'unreachable') return `did not answer (${p.error ?? 'no answer'})`;
  return `answered ${p.statusCode}${p.status !== undefined ? ` ${p.status}` : ''}`;
}
