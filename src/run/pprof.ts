// pprof on crossing (`objectives.concurrency.pprof`, Go services): the first time, in the measured
// phase, that goroutines or requests in flight reach warn or critical in a scrape, the gate fetches
// from the service
//   <target><pprof>/goroutine?debug=2   the goroutine dump, as text (every stack, with its state)
//   <target><pprof>/heap                the heap profile, gzip'd protobuf (`go tool pprof` reads it)
// and writes them into the run's directory beside journal.jsonl:
//   goroutine-<signal>-<level>.txt, heap-<signal>-<level>.pb.gz
// Once per (signal, level), never per scrape; one capture at a time.
//
// A capture is evidence, not a measurement: one that fails (404, timeout, refused, not a profile,
// too large) never changes a verdict; its row says what failed and what to change. Requests follow
// every other sloctl request's rules: loopback only unless --allow-remote, a timeout, a size cap.
//
// This is the I/O edge: the crossings come from concurrency.ts (pure), the dump's summary from
// goroutine-dump.ts (pure).
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { request } from 'undici';
import type { Contract } from '../contract/schema.ts';
import type { ScrapeReport } from '../observe/scraper.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import type { SeriesStore } from '../observe/series-store.ts';
import { formatBytes } from '../contract/units.ts';
import { pprofCrossings, type Capture, type ConcurrencySignal, type Crossing } from '../verdicts/concurrency.ts';
import { summarizeGoroutineDump } from './goroutine-dump.ts';
import { endpointUrl } from './health.ts';
import type { Evidence } from '../verdicts/types.ts';

export const PPROF_TIMEOUT_MS = 10_000;
/** Per file. A goroutine dump over it is kept cut at the cap (its first part still shows the biggest groups); a heap profile over it is not kept. */
export const PPROF_MAX_BYTES = 64 * 1024 * 1024;

export interface PprofCaptureOptions {
  contract: Contract;
  /** The target's base URL (already checked when the run attached or started it). */
  baseUrl: string;
  /** The run directory the files go into (beside journal.jsonl). */
  dir: string;
  /** Paths in the report are relative to this directory (the contract's). */
  relativeTo: string;
  allowRemote: boolean;
  timeoutMs?: number;
  maxBytes?: number;
  /** Aborts a capture in flight (the run was interrupted, the target died). */
  signal?: AbortSignal;
  /** Each finished capture, for the journal. */
  onCapture?: (capture: Capture & { level: Crossing['level']; value: number }) => void;
}

/** A fetch that failed, in one line: the URL, what happened, what to do. */
export class PprofFetchError extends Error {
  override name = 'PprofFetchError';
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    if (status !== undefined) this.status = status;
  }
}

/** The pprof path without a trailing slash: "/debug/pprof/" -> "/debug/pprof". */
function basePath(pprof: string): string {
  const p = pprof.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

function hintFor(status: number, pprof: string): string {
  if (status === 404) {
    return `the service does not serve pprof at ${pprof}: import _ "net/http/pprof" (it registers on http.DefaultServeMux), or on your own mux add mux.HandleFunc("${pprof}/", pprof.Index); or fix objectives.concurrency.pprof`;
  }
  if (status === 401 || status === 403) return `the service refuses pprof at ${pprof} (HTTP ${status}): let loopback requests through, or remove objectives.concurrency.pprof`;
  if (status >= 300 && status < 400) return `it redirects: set objectives.concurrency.pprof to the path pprof is served at`;
  return 'check the service logs';
}

function describeNetworkError(e: unknown, url: string, timeoutMs: number): PprofFetchError {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (err.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new PprofFetchError(`GET ${url} timed out after ${+(timeoutMs / 1000).toFixed(1)} s (a goroutine dump stops the world; with very many goroutines it takes long)`);
  }
  if (err.name === 'AbortError') return new PprofFetchError(`GET ${url} was cut short: the run stopped`);
  if (code === 'ECONNREFUSED') return new PprofFetchError(`GET ${url}: connection refused (the service had stopped listening)`);
  return new PprofFetchError(`GET ${url} failed: ${code ?? err.message ?? String(e)}`);
}

/**
 * One GET with a timeout over the whole request and a size cap. `cut`: keep the first maxBytes
 * and say so (a text dump); else a body over the cap fails.
 */
export async function fetchProfile(url: string, o: { pprof: string; allowRemote: boolean; timeoutMs: number; maxBytes: number; cut: boolean; signal?: AbortSignal }): Promise<{ body: Buffer; truncated: boolean }> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  try {
    checkTargetUrl(url, o.allowRemote, 'fetch pprof from');
    const res = await request(url, { method: 'GET', headers: { 'user-agent': 'sloctl-gate' }, signal });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      throw new PprofFetchError(`GET ${url}: HTTP ${res.statusCode}: ${hintFor(res.statusCode, o.pprof)}`, res.statusCode);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size + chunk.length > o.maxBytes) {
        res.body.destroy();
        if (!o.cut) throw new PprofFetchError(`GET ${url}: the profile is larger than ${formatBytes(o.maxBytes)}: not kept`);
        chunks.push(chunk.subarray(0, o.maxBytes - size));
        size = o.maxBytes;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { body: Buffer.concat(chunks, size), truncated };
  } catch (e) {
    if (e instanceof PprofFetchError) throw e;
    if ((e as { code?: string }).code === 'SLOCTL_SCRAPE') throw new PprofFetchError((e as Error).message);
    throw describeNetworkError(signal.aborted && timeout.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : e, url, o.timeoutMs);
  }
}

/** The start of a body that is not what was asked for, printable, for the message. */
function preview(body: Buffer): string {
  const text = body.subarray(0, 60).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return body.length === 0 ? 'an empty body' : `"${text}${body.length > 60 ? '…' : ''}"`;
}

/**
 * Watches the scrapes of the measured phase for crossings and captures once per (signal, level).
 * `forContract` returns undefined when there is nothing to capture (not Go, no pprof, no
 * goroutines or inFlight thresholds).
 */
export class PprofCapture {
  private readonly o: PprofCaptureOptions;
  private readonly pprof: string;
  private readonly seen = new Set<string>();
  private readonly captures: Capture[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private firstAt: number | undefined;

  static forContract(o: PprofCaptureOptions): PprofCapture | undefined {
    const c = o.contract.objectives.concurrency;
    if (c?.pprof === undefined || o.contract.service.runtime !== 'go') return undefined;
    if (c.goroutines === undefined && c.inFlight === undefined) return undefined;
    return new PprofCapture(o, c.pprof);
  }

  private constructor(o: PprofCaptureOptions, pprof: string) {
    this.o = o;
    this.pprof = basePath(pprof);
  }

  /** After each scrape of the measured phase (ServiceWatch's onScrape): reads the scrape's values from the store. */
  onScrape(store: SeriesStore, r: ScrapeReport): void {
    if (this.closed || !r.ok) return;
    this.firstAt ??= r.at;
    // Only the series this scrape carried, as the peaks are read (service-watch.ts).
    const valuesOf = (name: string) => store.valuesAt(name, r.at);
    for (const cross of pprofCrossings(this.o.contract, valuesOf)) {
      const key = `${cross.signal}-${cross.level}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      // A scrape that jumped past both levels is one capture, at critical.
      if (cross.level === 'critical') this.seen.add(`${cross.signal}-warn`);
      const offsetMs = Math.round(r.at - this.firstAt);
      this.chain = this.chain.then(() => this.capture(cross, offsetMs)).catch(() => undefined);
    }
  }

  /** Waits for the captures in flight (before the target is stopped); later scrapes capture nothing. */
  async settle(): Promise<Capture[]> {
    this.closed = true;
    await this.chain;
    return this.captures;
  }

  private async capture(cross: Crossing, offsetMs: number): Promise<void> {
    const o = this.o;
    const common = { level: cross.level, value: cross.value, offsetMs };
    const fetchOne = async (kind: Evidence['kind']): Promise<Evidence> => {
      const name = kind === 'goroutines' ? `goroutine-${cross.signal}-${cross.level}.txt` : `heap-${cross.signal}-${cross.level}.pb.gz`;
      const url = endpointUrl(o.baseUrl, `${this.pprof === '/' ? '' : this.pprof}/${kind === 'goroutines' ? 'goroutine?debug=2' : 'heap'}`);
      const ev: Evidence = { kind, ...common, url };
      try {
        const { body, truncated } = await fetchProfile(url, { pprof: this.pprof, allowRemote: o.allowRemote, timeoutMs: o.timeoutMs ?? PPROF_TIMEOUT_MS, maxBytes: o.maxBytes ?? PPROF_MAX_BYTES, cut: kind === 'goroutines', signal: o.signal });
        if (kind === 'goroutines' && !body.subarray(0, 10).toString('latin1').startsWith('goroutine ')) {
          throw new PprofFetchError(`GET ${url}: not a goroutine dump (it starts with ${preview(body)}): is ${this.pprof} where net/http/pprof is mounted?`);
        }
        if (kind === 'heap' && !(body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b)) {
          throw new PprofFetchError(`GET ${url}: not a heap profile (no gzip header; it starts with ${preview(body)}): is ${this.pprof} where net/http/pprof is mounted?`);
        }
        const file = join(o.dir, name);
        writeFileSync(file, body);
        const rel = relative(o.relativeTo, file);
        ev.path = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
        ev.bytes = body.length;
        if (truncated) ev.truncated = true;
        if (kind === 'goroutines') ev.top = summarizeGoroutineDump(body.toString('utf8'));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        ev.error = e instanceof PprofFetchError || code === undefined || !code.startsWith('E') ? (e as Error).message : `could not write ${name} in ${o.dir}: ${(e as Error).message}`;
      }
      return ev;
    };
    // One after the other: the dump stops the world; the heap profile need not run beside it.
    const evidence = [await fetchOne('goroutines'), await fetchOne('heap')];
    const capture: Capture = { signal: cross.signal as ConcurrencySignal, evidence };
    this.captures.push(capture);
    o.onCapture?.({ ...capture, level: cross.level, value: cross.value });
  }
}
