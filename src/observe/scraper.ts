// A scraper: reads a target's /metrics on an interval, the way Prometheus does, into a SeriesStore.
//
// - Loopback only by default: a target URL whose host is not 127.0.0.0/8, ::1 or `localhost` is
//   refused unless the caller passes `allowRemote: true` (sloctl reads and loads only what the user
//   runs locally unless told otherwise; see "Trust and safety" in the README).
// - One HTTP GET per scrape with an overall timeout (connect + headers + body), an `Accept` header
//   that prefers OpenMetrics and accepts the Prometheus text format, and the body parsed as it
//   streams (the parser's bounds cap memory; the body itself is capped at `maxBodyBytes`).
// - A scrape fails as a whole, as in Prometheus: refused, timed out, an HTTP error, a body that is
//   not an exposition (the first located parser error, e.g. `line 3:1: expected a metric name`),
//   or a body over the cap. A failed scrape ingests nothing and marks the target's series stale;
//   nothing stored before is lost. Each failure is one line that names the URL and says what to do.
// - Staleness: a series the previous scrape had and this one lacks is stale from this scrape on.
// - Restarts: a changed `process_start_time_seconds` is reported and makes the store count every
//   counter's next sample from zero; a counter that dropped is counted as a reset either way.
// - Time is injected: `now()` stamps each scrape (Prometheus stamps a sample with the scrape's start
//   time), so tests drive `scrapeOnce(at)` with no sleeps. `start()` runs the loop on timers.
// - Time only moves forward. The default clock is monotonic (wall time read once, then advanced by
//   performance.now(); see monotonicClock), so a wall clock that repeats or steps back (NTP, a VM
//   resumed, a hand-set date) cannot reorder samples. A stamp that is still not after the previous
//   one (an injected clock, an explicit `at`) is moved forward by the monotonic time since the
//   previous scrape and reported in `clockStep`; it never throws and never reaches the store.
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { SloctlError } from '../errors.ts';
import { isLoopbackHost } from '../net/loopback.ts';
import {
  createExpositionParser,
  formatFromContentType,
  type DeclaredFamily,
  type ExpositionError,
  type ExpositionFormat,
  type ExpositionOptions,
} from './exposition.ts';
import { SeriesStore, type IngestResult, type IngestSample } from './series-store.ts';

export { isLoopbackHost };

export const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';

export type ScrapeErrorKind = 'bad-url' | 'not-loopback' | 'refused' | 'unreachable' | 'timeout' | 'http' | 'garbage' | 'too-large';

/** A scrape that failed, or a target that cannot be scraped at all. `message` is one line. */
export class ScrapeError extends SloctlError {
  override name = 'ScrapeError';
  readonly code = 'SLOCTL_SCRAPE';
  readonly kind: ScrapeErrorKind;
  readonly url: string;
  readonly status?: number;
  /** For `garbage`: the located parser errors (first ones). */
  readonly parseErrors?: readonly ExpositionError[];
  constructor(kind: ScrapeErrorKind, url: string, message: string, extra: { status?: number; parseErrors?: readonly ExpositionError[]; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    this.url = url;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.parseErrors !== undefined) this.parseErrors = extra.parseErrors;
  }
}

/**
 * Checks a target URL: absolute http(s), and loopback unless `allowRemote`. Throws a ScrapeError
 * (`bad-url` or `not-loopback`) whose message says what to do.
 */
export function checkTargetUrl(url: string, allowRemote = false, what = 'scrape', example = 'http://127.0.0.1:8080/metrics'): URL {
  let u: URL;
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new TypeError('no scheme');
    u = new URL(url);
  } catch {
    // A port WHATWG URL refuses (over 65535): say that, not "not an absolute URL".
    const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?(?:\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(url)?.[1];
    if (port !== undefined && Number(port) > 65535) {
      throw new ScrapeError('bad-url', url, `cannot ${what} "${url}": port ${port} is out of range (1-65535); write the port the service listens on`);
    }
    // "127.0.0.1:3000" or "localhost:3000/metrics": the same with its scheme is what was meant.
    const withScheme = /^[A-Za-z0-9.-]+:\d+(\/\S*)?$/.test(url) || /^\[[0-9a-fA-F:]+\]:\d+(\/\S*)?$/.test(url) ? `http://${url}` : example;
    throw new ScrapeError('bad-url', url, `cannot ${what} "${url}": not an absolute URL; write it like ${withScheme}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ScrapeError('bad-url', url, `cannot ${what} ${url}: only http and https URLs are supported`);
  }
  if (!allowRemote && !isLoopbackHost(u.hostname)) {
    throw new ScrapeError(
      'not-loopback',
      url,
      `refusing to ${what} ${url}: ${u.hostname} is not a loopback address; sloctl reads only local targets unless told otherwise (pass --allow-remote to allow it)`,
    );
  }
  return u;
}

export interface ScraperOptions {
  /** The metrics endpoint, e.g. http://127.0.0.1:8080/metrics. */
  url: string;
  /** Where samples go. Default: a new store with default bounds. */
  store?: SeriesStore;
  /** Loop interval in ms. Default 15s. */
  intervalMs?: number;
  /** Whole-scrape timeout in ms (connect, headers and body). Default 10s or the interval, whichever is shorter. */
  timeoutMs?: number;
  /** Allow a non-loopback target. Default false. */
  allowRemote?: boolean;
  /** The clock that stamps samples (ms since the epoch). Default: monotonicClock(). */
  now?: () => number;
  /** Parser bounds (maxSeries is the per-scrape sample limit). */
  parser?: Omit<ExpositionOptions, 'format'>;
  /** Largest body accepted, in bytes. Default 64 MiB. */
  maxBodyBytes?: number;
  headers?: Record<string, string>;
  /** Called after each scrape of the loop (and of scrapeOnce). */
  onScrape?: (report: ScrapeReport) => void;
  /** An undici dispatcher (agent/pool), e.g. to share connections. */
  dispatcher?: Dispatcher;
}

export interface RestartInfo {
  /** process_start_time_seconds before and after, in seconds. */
  previousStart: number;
  start: number;
}

export interface ScrapeReport {
  url: string;
  /** Scrape time, the timestamp every sample of this scrape gets. */
  at: number;
  /** Wall time the scrape took by the injected clock (0 when the clock did not move). */
  durationMs: number;
  ok: boolean;
  error?: ScrapeError;
  format?: ExpositionFormat;
  /** Samples read from the body. */
  samples: number;
  /**
   * The families the body names, with their sample counts (a successful scrape only): also those
   * only declared (`# TYPE` and no sample), which the store, holding samples, never sees.
   */
  families?: DeclaredFamily[];
  /** What the store did with them (also present for a failed scrape: the stale series). */
  ingest?: IngestResult;
  restart?: RestartInfo;
  /** The stamp asked for was not after the previous scrape's: `at` is the previous one plus the monotonic time since. */
  clockStep?: { requestedAt: number; previousAt: number };
}

/**
 * A clock in ms since the epoch that never goes backwards: `wall()` (default Date.now) read once,
 * then advanced by the monotonic `performance.now()`. Use it for every time that orders samples;
 * keep Date.now() for display. It drifts from the wall clock by whatever the wall clock is
 * stepped by after the anchor, which is the point.
 */
export function monotonicClock(wall: () => number = Date.now, mono: () => number = () => performance.now()): () => number {
  const wallAtStart = wall();
  const monoAtStart = mono();
  return () => wallAtStart + (mono() - monoAtStart);
}

const DEFAULT_INTERVAL = 15_000;
const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

function describeNetworkError(e: unknown, url: string, timeoutMs: number): ScrapeError {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ScrapeError('timeout', url, `scrape of ${url} timed out after ${timeoutMs}ms; the target is up but slow or stuck (raise the timeout, or check the service)`, { cause: e });
  }
  if (code === 'ECONNREFUSED') {
    return new ScrapeError('refused', url, `scrape of ${url} failed: connection refused; is the service running and listening on that port?`, { cause: e });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ScrapeError('unreachable', url, `scrape of ${url} failed: host not found (${code}); check the host name in the URL`, { cause: e });
  }
  const what = code ?? err.message ?? String(e);
  return new ScrapeError('unreachable', url, `scrape of ${url} failed: ${what}; check that the service is up and serves metrics at this URL`, { cause: e });
}

/** The errors of a request written to a connection the other side had already closed. */
function isStaleConnection(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

export class Scraper {
  readonly url: string;
  readonly store: SeriesStore;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Scrapes done, and how many failed. */
  scrapes = 0;
  failures = 0;
  /** Restarts seen (process_start_time_seconds changes). */
  restarts = 0;
  lastReport: ScrapeReport | undefined;

  private readonly now: () => number;
  private readonly opts: ScraperOptions;
  private lastStart: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<ScrapeReport> | undefined;
  private lastAt = -Infinity;
  /** performance.now() at the previous scrape's start. */
  private lastMono = 0;

  constructor(options: ScraperOptions) {
    checkTargetUrl(options.url, options.allowRemote === true);
    this.url = options.url;
    this.opts = options;
    this.store = options.store ?? new SeriesStore();
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL;
    if (!(this.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${this.intervalMs}`);
    this.timeoutMs = options.timeoutMs ?? Math.min(DEFAULT_TIMEOUT, this.intervalMs);
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${this.timeoutMs}`);
    this.now = options.now ?? monotonicClock();
  }

  /**
   * One scrape at time `at` (default now()). Never throws for a target problem: the report says
   * `ok: false` with a one-line `error`. Scrapes are serialized: a call while one is in flight
   * waits for it first.
   */
  async scrapeOnce(at: number = this.now()): Promise<ScrapeReport> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    const p = this.doScrape(at);
    this.inFlight = p;
    try {
      return await p;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Starts the loop: a scrape now, then every intervalMs (aligned to the first, skipping missed ticks). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // Ticks are scheduled on the monotonic clock, whatever clock stamps the samples.
    const first = performance.now();
    const tick = () => {
      if (!this.running) return;
      void this.scrapeOnce().finally(() => {
        if (!this.running) return;
        const now = performance.now();
        const next = first + Math.ceil((now - first + 1) / this.intervalMs) * this.intervalMs;
        this.timer = setTimeout(tick, Math.max(0, next - now));
      });
    };
    tick();
  }

  /** Stops the loop and waits for a scrape in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
  }

  private async doScrape(requestedAt: number): Promise<ScrapeReport> {
    const url = this.url;
    const mono = performance.now();
    let at = requestedAt;
    let clockStep: ScrapeReport['clockStep'];
    if (!(at > this.lastAt)) {
      // A clock that stood still or stepped back: samples must move forward in time, so this
      // scrape is stamped by the monotonic time since the previous one (at least 1 ms).
      if (!Number.isFinite(this.lastAt)) throw new RangeError(`scrape of ${url}: the timestamp ${requestedAt} is not a finite number of ms`);
      clockStep = { requestedAt, previousAt: this.lastAt };
      at = this.lastAt + Math.max(1, mono - this.lastMono);
    }
    const report: ScrapeReport = { url, at, durationMs: 0, ok: false, samples: 0, ...(clockStep ? { clockStep } : {}) };
    this.lastAt = at;
    this.lastMono = mono;
    this.scrapes++;
    const samples: IngestSample[] = [];
    const parseErrors: ExpositionError[] = [];
    let errorCount = 0;
    try {
      const signal = AbortSignal.timeout(this.timeoutMs);
      const send = () =>
        request(url, {
          method: 'GET',
          headers: { accept: SCRAPE_ACCEPT, 'user-agent': 'sloctl-scraper', 'x-prometheus-scrape-timeout-seconds': String(this.timeoutMs / 1000), ...this.opts.headers },
          signal,
          dispatcher: this.opts.dispatcher,
        });
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send();
      } catch (e) {
        // A kept-alive connection the target closed just as this scrape reused it fails before
        // any response byte: the request never reached the service. Go's net/http retries an
        // idempotent request in that case; so does this, once, on a fresh connection, within the
        // same timeout.
        if (!isStaleConnection(e) || signal.aborted) throw e;
        res = await send();
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        const hint = res.statusCode >= 300 && res.statusCode < 400 ? `it redirects to ${String(res.headers.location)}; scrape that URL instead` : res.statusCode === 404 ? 'check the metrics path (target.metrics in the contract)' : 'check the service logs';
        throw new ScrapeError('http', url, `scrape of ${url} failed: HTTP ${res.statusCode}; ${hint}`, { status: res.statusCode });
      }
      const contentType = res.headers['content-type'];
      const format = formatFromContentType(Array.isArray(contentType) ? contentType[0] : contentType);
      const parser = createExpositionParser(
        (s, family) => {
          samples.push({ name: s.name, labels: s.labels, value: s.value, type: family.type });
        },
        (e) => {
          errorCount++;
          if (parseErrors.length < 5) parseErrors.push(e);
        },
        { ...this.opts.parser, format },
      );
      const maxBody = this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
      let bytes = 0;
      res.body.setEncoding('utf8');
      for await (const chunk of res.body as AsyncIterable<string>) {
        bytes += Buffer.byteLength(chunk);
        if (bytes > maxBody) {
          res.body.destroy();
          throw new ScrapeError('too-large', url, `scrape of ${url} failed: the body is larger than ${maxBody} bytes; the target exposes too many series (raise maxBodyBytes, or reduce label cardinality)`);
        }
        parser.write(chunk);
      }
      const summary = parser.end();
      report.format = summary.format;
      report.samples = samples.length;
      report.families = parser.familiesSeen();
      const limit = parseErrors.find((e) => /more than maxSeries/.test(e.message));
      if (limit) {
        throw new ScrapeError('too-large', url, `scrape of ${url} failed: ${limit.message}; the target exposes more samples than the per-scrape limit (raise parser.maxSeries, or reduce label cardinality)`, { parseErrors });
      }
      if (errorCount > 0) {
        const first = parseErrors[0];
        const more = errorCount > 1 ? ` (and ${errorCount - 1} more error${errorCount > 2 ? 's' : ''})` : '';
        throw new ScrapeError('garbage', url, `scrape of ${url} failed: not a valid exposition: ${first.message}${more}; is this the metrics endpoint?`, { parseErrors });
      }
    } catch (e) {
      report.error = e instanceof ScrapeError ? e : describeNetworkError(e, url, this.timeoutMs);
      report.samples = 0;
      delete report.families;
      report.ingest = this.store.markAllStale(at);
      return this.finish(report);
    }

    // Restart detection: the process start time changed.
    const start = samples.find((s) => s.name === 'process_start_time_seconds' && Object.keys(s.labels).length === 0)?.value;
    let restart = false;
    if (start !== undefined && this.lastStart !== undefined && start !== this.lastStart) {
      report.restart = { previousStart: this.lastStart, start };
      this.restarts++;
      restart = true;
    }
    if (start !== undefined) this.lastStart = start;
    report.ingest = this.store.ingest({ at, samples, restart });
    report.ok = true;
    return this.finish(report);
  }

  private finish(report: ScrapeReport): ScrapeReport {
    report.durationMs = Math.max(0, this.now() - (report.clockStep?.requestedAt ?? report.at));
    if (!report.ok) this.failures++;
    this.lastReport = report;
    this.opts.onScrape?.(report);
    return report;
  }
}
