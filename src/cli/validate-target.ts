// `sloctl validate --target URL`: one scrape of the running service, then the live facts the
// contract depends on (src/contract/live-facts.ts, pure) as located findings.
//
// The URL is the service's metrics endpoint, or the service's base URL (then the contract's
// `target.metrics` path, /metrics by default, is appended), as `status --target` reads it. Loopback
// only unless --allow-remote. A URL that is not one, or not loopback, is a usage error (exit 2);
// a target that cannot be read is exit 3, naming --target and the URL.
import type { Diagnostic } from '../contract/diagnostic.ts';
import { checkLiveFacts, type HistogramSource, type LiveFacts, type LiveFamily, type LiveSeries } from '../contract/live-facts.ts';
import type { LoadedContract } from '../contract/load.ts';
import { checkTargetUrl, Scraper, ScrapeError } from '../observe/scraper.ts';
import { SeriesStore } from '../observe/series-store.ts';
import { UsageError } from './exit.ts';

export interface TargetOptions {
  target: string;
  allowRemote: boolean;
  /** Whole-scrape timeout in ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT = 10_000;

/** Checks the flag's URL before anything else runs: a bad one is a usage error naming the flag. */
export function checkTargetFlag(raw: string, allowRemote: boolean): URL {
  try {
    return checkTargetUrl(raw, allowRemote, 'scrape');
  } catch (e) {
    if (e instanceof ScrapeError) throw new UsageError(`--target: ${e.message}`);
    throw e;
  }
}

/** The metrics URL: the flag's URL when it has a path, else the base with the contract's metrics path. */
export function metricsUrlOf(raw: string, metricsPath: string): string {
  const u = new URL(raw);
  u.hash = '';
  if (u.pathname !== '/' && u.pathname !== '') return u.toString();
  const root = new URL('/', u);
  return new URL(metricsPath.replace(/^\/+/, ''), root).toString();
}

/**
 * Scrapes `url` once: every sample as (name, labels, type), and every family the body names with
 * its sample count (one only declared has none yet). Throws a ScrapeError (exit 3) naming --target.
 */
export async function scrapeOnce(url: string, options: TargetOptions): Promise<{ series: LiveSeries[]; families: LiveFamily[] }> {
  const store = new SeriesStore();
  const scraper = new Scraper({ url, store, allowRemote: options.allowRemote, intervalMs: 60_000, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT });
  const report = await scraper.scrapeOnce();
  if (!report.ok) {
    const err = report.error!;
    throw new ScrapeError(err.kind, err.url, `--target ${options.target}: ${err.message}`, { ...(err.status !== undefined ? { status: err.status } : {}), cause: err });
  }
  const out: LiveSeries[] = [];
  for (const name of store.names()) {
    for (const s of store.select(name)) out.push({ name: s.name, labels: s.labels, ...(s.type ? { type: s.type } : {}) });
  }
  const families = (report.families ?? []).map((f): LiveFamily => ({ name: f.name, type: f.type, samples: f.samples }));
  return { series: out, families };
}

export interface LiveCheck {
  url: string;
  series: number;
  facts: LiveFacts;
  diagnostics: Diagnostic[];
}

/** The live check of one contract: scrape, judge, locate. */
export async function liveCheck(l: LoadedContract, options: TargetOptions, source: HistogramSource = {}): Promise<LiveCheck> {
  const c = l.contract!;
  const url = metricsUrlOf(options.target, c.target?.metrics ?? '/metrics');
  const { series, families } = await scrapeOnce(url, options);
  const facts = checkLiveFacts(c, series, url, families, source);
  const diagnostics = facts.findings.map((f): Diagnostic => ({
    file: l.file, ...l.locate(f.path, f.at), severity: f.severity, code: f.code, message: f.message, path: f.path, ...(f.hint ? { hint: f.hint } : {}),
  }));
  return { url, series: series.length, facts, diagnostics };
}
