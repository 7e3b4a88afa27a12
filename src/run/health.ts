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

import type { FailingCheck, HealthBody, HealthProbe, HealthState } from '../verdicts/health.ts';
export type { FailingCheck, HealthBody, HealthProbe, HealthState } from '../verdicts/health.ts';

/** Statuses that mean a check is fine or not judged. */
const OK_STATUS = new Set(['UP', 'PASS', 'OK', 'HEALTHY', 'UNKNOWN', 'TRUE']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function statusOf(v: Record<string, unknown>): string | undefined {
  const s = v.status ?? v.state;
  return typeof s === 'string' ? s : typeof s === 'boolean' ? String(s) : undefined;
}

/** A short reason from an entry: its own words, else what the SDK's ratio checks carry. */
function reasonOf(v: Record<string, unknown>): string | undefined {
  for (const k of ['reason', 'error', 'message', 'output', 'cause']) {
    const x = v[k];
    if (typeof x === 'string' && x !== '') return oneLineText(x);
    if (isRecord(x) && typeof x.message === 'string') return oneLineText(x.message);
  }
  if (isRecord(v.details)) {
    const d = v.details;
    for (const k of ['error', 'reason', 'message']) if (typeof d[k] === 'string') return oneLineText(d[k] as string);
  }
  if (typeof v.ratio === 'number' && typeof v.objective === 'number') {
    const p = (x: number, digits: number) => `${+(x * 100).toPrecision(digits)}%`;
    // 4 significant digits, or as many more as it takes for a ratio under its objective not to
    // read as the objective ("99.9% < objective 99.9%" for 99.895%).
    const ratio = v.ratio;
    const objective = v.objective;
    let digits = 4;
    while (digits < 12 && ratio < objective && +(ratio * 100).toPrecision(digits) >= +(objective * 100).toPrecision(digits)) digits++;
    const n = typeof v.requests === 'number' ? ` of ${v.requests} recent requests` : '';
    return `${p(ratio, digits)}${n} < objective ${p(objective, digits)}`;
  }
  return undefined;
}

function oneLineText(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}...` : t;
}

const NESTED = ['checks', 'components', 'dependencies', 'details'];

/**
 * Failing entries under `v` (an object of named entries, or IETF-style arrays of them), depth-
 * bounded. A group whose members failed is explained by them (dependencies -> sqlite): only the
 * members are listed.
 */
function failingEntries(v: unknown, out: FailingCheck[], depth: number): void {
  if (depth > 4 || !isRecord(v)) return;
  for (const [name, raw] of Object.entries(v)) {
    for (const entry of Array.isArray(raw) ? raw : [raw]) {
      if (!isRecord(entry)) continue;
      const members: FailingCheck[] = [];
      for (const k of NESTED) failingEntries(entry[k], members, depth + 1);
      const status = statusOf(entry);
      if (members.length > 0) out.push(...members);
      else if (status !== undefined && !OK_STATUS.has(status.toUpperCase())) {
        const f: FailingCheck = { name: typeof entry.componentId === 'string' ? entry.componentId : name, status };
        const reason = reasonOf(entry);
        if (reason !== undefined) f.reason = reason;
        if (typeof entry.windowMs === 'number' && Number.isFinite(entry.windowMs) && entry.windowMs > 0) f.windowMs = entry.windowMs;
        out.push(f);
      }
    }
  }
}

/** Reads what a parsed JSON health body says about its checks. */
export function readHealthBody(body: unknown): HealthBody | undefined {
  if (!isRecord(body)) return undefined;
  const out: HealthBody = { failing: [] };
  const checks = body.checks;
  if (isRecord(checks) && isRecord(checks.liveness) && isRecord(checks.dependencies)) {
    // The SDK's body: each check scores 1 unless DOWN.
    const ok = (c: unknown) => !(isRecord(c) && typeof c.status === 'string' && c.status.toUpperCase() === 'DOWN');
    out.checks = { liveness: ok(checks.liveness), latency: ok(checks.latency), success: ok(checks.success), dependencies: ok(checks.dependencies) };
    out.live = out.checks.liveness;
    const spans = [checks.latency, checks.success].map((c) => (isRecord(c) ? c.windowMs : undefined)).filter((w): w is number => typeof w === 'number' && Number.isFinite(w) && w >= 0);
    if (spans.length > 0) out.windowMs = Math.max(...spans);
  }
  for (const k of NESTED) failingEntries(body[k], out.failing, 0);
  if (out.checks === undefined && out.failing.length === 0) return undefined;
  return out;
}

/** "sqlite: check threw: no such table; latency: DOWN (90% < objective 99%)". */
export function describeFailing(failing: readonly FailingCheck[]): string {
  return failing.map((f) => (f.reason !== undefined ? `${f.name}: ${f.reason}` : `${f.name}: ${f.status}`)).join('; ');
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

function jsonBody(text: string): unknown {
  const t = text.trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    /* not JSON (or cut at MAX_BODY): the status code decides */
  }
  return undefined;
}

function jsonStatus(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'status' in body) return String((body as { status: unknown }).status);
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
    const parsed = jsonBody(text);
    const status = jsonStatus(parsed);
    const upper = status?.toUpperCase();
    const ok2xx = res.statusCode >= 200 && res.statusCode < 300;
    let state: HealthState;
    if (upper === 'DEGRADED') state = 'degraded';
    else if (ok2xx && (status === undefined || upper === 'UP')) state = 'up';
    else state = 'down';
    const probe: HealthProbe = { state, at, ms: elapsed(), statusCode: res.statusCode };
    if (status !== undefined) probe.status = status;
    const body = readHealthBody(parsed);
    if (body !== undefined) probe.body = body;
    return probe;
  } catch (e) {
    return { state: 'unreachable', at, ms: elapsed(), error: oneLine(e) };
  }
}

/** UP or not: what `sloctl status` feeds the availability composite. */
export async function checkHealth(url: string, timeoutMs: number): Promise<boolean> {
  return (await probeHealth(url, timeoutMs)).state === 'up';
}

/**
 * "answered 503 DEGRADED, failing: sqlite: check threw: no such table", "answered 200",
 * "did not answer (ECONNREFUSED: ...)".
 */
export function describeProbe(p: HealthProbe): string {
  if (p.state === 'unreachable') return `did not answer (${p.error ?? 'no answer'})`;
  const failing = p.state !== 'up' && p.body !== undefined && p.body.failing.length > 0 ? `, failing: ${describeFailing(p.body.failing)}` : '';
  return `answered ${p.statusCode}${p.status !== undefined ? ` ${p.status}` : ''}${failing}`;
}
