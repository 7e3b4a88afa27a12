// The observability phase `sloctl accept` runs (issue 13): scrape the service's metrics, send the
// contract's `hostileRequests` hostile requests (src/run/hostile.ts), scrape again, and judge
// (src/verdicts/observability.ts). The I/O lives here; the judging is pure.
//
// A scrape reads whole metric families (with HELP and TYPE, which the scraper's series store does
// not keep), so it is one GET parsed with the exposition parser. A failed scrape is not thrown:
// it becomes the verdict's INCONCLUSIVE reason, naming the URL and what to check.
import { request } from 'undici';
import type { Contract } from '../contract/schema.ts';
import { formatFromContentType, parseExposition } from '../observe/exposition.ts';
import { SCRAPE_ACCEPT, checkTargetUrl } from '../observe/scraper.ts';
import { judgeObservability, observabilityInputFor, type ObservabilityVerdict, type ScrapeOutcome } from '../verdicts/observability.ts';
import { sendHostileRequests } from './hostile.ts';

export interface ObservabilityPhaseOptions {
  contract: Contract;
  /** The service's base URL, where the hostile requests go. */
  url: string;
  /** Default: the contract's target.metrics path on `url`. */
  metricsUrl?: string;
  seed?: number;
  allowRemote?: boolean;
  /** Overrides the contract's hostileRequests (tests, a quick run). */
  hostileRequests?: number;
  concurrency?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What it is doing, a line at a time (accept prints it on stderr). */
  log?: (line: string) => void;
}

/** Parsed bodies are capped: a service exposing more than this is far past any maxSeries. */
const MAX_BODY = 64 * 1024 * 1024;
/** Samples parsed at most per scrape; the count still exceeds any sane maxSeries when hit. */
const MAX_SAMPLES = 500_000;

/** One GET of the metrics endpoint, parsed into families; failures as one sentence. */
export async function scrapeFamilies(url: string, timeoutMs = 10_000): Promise<ScrapeOutcome> {
  try {
    const res = await request(url, { method: 'GET', headers: { accept: SCRAPE_ACCEPT, 'user-agent': 'sloctl-observability' }, signal: AbortSignal.timeout(timeoutMs) });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      return { ok: false, error: `${url} answered HTTP ${res.statusCode}; check the metrics path (target.metrics in the contract)` };
    }
    const ct = res.headers['content-type'];
    let bytes = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > MAX_BODY) {
        res.body.destroy();
        return { ok: false, error: `${url} sent more than ${MAX_BODY / 1024 / 1024} MiB of metrics; reduce label cardinality` };
      }
      chunks.push(chunk);
    }
    const parsed = parseExposition(Buffer.concat(chunks).toString('utf8'), { format: formatFromContentType(Array.isArray(ct) ? ct[0] : ct), maxSeries: MAX_SAMPLES });
    const bad = parsed.errors.filter((e) => !/more than maxSeries/.test(e.message));
    if (parsed.families.length === 0 && bad.length > 0) {
      return { ok: false, error: `${url} is not a metrics exposition: ${bad[0].message}; is this the metrics endpoint?` };
    }
    return { ok: true, families: parsed.families };
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, error: `${url} did not answer within ${timeoutMs} ms; is the service overloaded?` };
    if (code === 'ECONNREFUSED') return { ok: false, error: `${url} refused the connection; is the service running?` };
    return { ok: false, error: `${url} could not be read: ${code ?? err.message ?? String(e)}` };
  }
}

export async function observabilityPhase(o: ObservabilityPhaseOptions): Promise<ObservabilityVerdict> {
  const input = observabilityInputFor(o.contract);
  if (!input) throw new Error('observabilityPhase: the contract has no objectives.observability; add `observability: {}` under objectives, or skip this phase');
  const base = checkTargetUrl(o.url, o.allowRemote === true, 'send hostile requests to');
  const metricsUrl = checkTargetUrl(o.metricsUrl ?? new URL(o.contract.target?.metrics ?? '/metrics', base).href, o.allowRemote === true, 'scrape').href;
  const log = o.log ?? (() => {});
  const requests = o.hostileRequests ?? input.objective.hostileRequests;
  const before = await scrapeFamilies(metricsUrl);
  log(`${before.ok ? `${before.families.length} metric families at ${metricsUrl}` : 'the first scrape failed'}; sending ${requests.toLocaleString('en-US')} hostile requests (random paths, odd methods), then scraping again`);
  const hostile = await sendHostileRequests({
    url: base.href, requests, seed: o.seed,
    allowRemote: o.allowRemote, concurrency: o.concurrency, timeoutMs: o.timeoutMs, signal: o.signal,
  });
  const after = await scrapeFamilies(metricsUrl);
  return judgeObservability({ ...input, before, after, hostile, url: metricsUrl });
}
