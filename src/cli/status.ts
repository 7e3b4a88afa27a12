// `sloctl status [FILE]` (default ./slo.yaml): the health table of a live service — every SLO's
// current value, objective, achievement, error budget left, burn rate and alert state, most urgent
// first.
//
// Default (embedded): sloctl scrapes the target's /metrics itself `--samples` times, `--interval`
// apart (at least 2 scrapes: increases need two), and evaluates the contract with its own engine.
// The numbers cover the span it watched; the report says how much of the SLO window that is.
// With `--prometheus URL` it reads the same numbers through PromQL over the whole window instead,
// from the recording rules `sloctl generate prometheus` emits (or the raw series when they are not
// loaded, or not confirmed to read --selector), and the alerts Prometheus holds for them (pending
// or firing). The table's WINDOW column says what span each value covers: the span sloctl watched,
// or the SLO window and `--percentile-window` (default 1h) through PromQL.
//
// Exit codes: 0 every SLO meets its objective; 1 an SLO misses it, its budget is overspent, or a
// page-severity burn-rate tier would fire (sloctl's evaluation); 2 usage (bad flags, unreadable or
// invalid contract); 3 the target or Prometheus could not be read; 4 inconclusive (an SLO has no
// data, a cluster's workers took turns answering the scrapes: taking-turns.ts, or its series carry no
// route label and the SLO holds routes to thresholds of their own or names routes: objectives.ts).
import type { Command } from 'commander';
import type { Contract } from '../contract/schema.ts';
import { formatDuration, formatElapsed } from '../contract/units.ts';
import { defineSlos } from '../evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../evaluate/embedded.ts';
import { evaluateThroughPrometheus } from '../evaluate/promql.ts';
import { checkHealth, endpointUrl } from '../run/health.ts';
import { renderStatus, type StatusFormat } from '../evaluate/render.ts';
import type { SloStatus, StatusReport } from '../evaluate/report.ts';
import { PromqlClient } from '../observe/promql-client.ts';
import { checkTargetUrl, monotonicClock, Scraper, ScrapeError, type ScrapeReport } from '../observe/scraper.ts';
import { SeriesStore } from '../observe/series-store.ts';
import { CLUSTER_WORKER, HTTP_ROLES } from '../contract/metric-names.ts';
import { takingTurnsText, type TakingTurns } from '../verdicts/memory.ts';
import { processReading, ProcessTurns } from '../verdicts/taking-turns.ts';
import { objectivesNeedingRouteLabel, routeLabelFix, routeLabelMissingText, routeLabelUnjudgedText, type ServiceView } from '../verdicts/objectives.ts';
import { routeLabelMissing } from '../run/service-watch.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';
import { contractArgument, loadValidContract } from './files.ts';
import { durationFlag, intFlag } from './flags.ts';
import { pluralize } from './plural.ts';
import { checkSelectorFlag, selectorFor } from './selector-option.ts';
import { everyJobWarning } from './selector-warning.ts';

interface StatusFlags {
  target?: string;
  prometheus?: string;
  format: string;
  explain?: boolean;
  samples: string;
  interval?: string;
  timeout: string;
  selector?: string;
  percentileWindow?: string;
  allowRemote?: boolean;
  /** --no-progress sets it false. */
  progress?: boolean;
}

const FORMATS: readonly StatusFormat[] = ['table', 'json', 'markdown'];
const DEFAULT_SAMPLES = 3;
const MAX_DEFAULT_INTERVAL = 5000;

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('The health table of a live service: SLIs, budgets, burn rates and alerts, scraped by sloctl or read from Prometheus.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--target <url>', "the service's base URL (the contract's target.metrics path is added) or its full metrics URL; default: target.url of the contract, or 127.0.0.1 on target.port")
    .option('--prometheus <url>', 'read through PromQL from this Prometheus-compatible server instead of scraping the target')
    .option('--format <format>', 'table, json or markdown', 'table')
    .option('--explain', 'print the arithmetic behind every number (events counted, window, budget allowed and spent)')
    .option('--samples <n>', 'scrapes to take (at least 2: an increase needs two)', String(DEFAULT_SAMPLES))
    .option('--interval <duration>', 'time between scrapes, e.g. 2s (default: the contract\'s scrapeInterval, at most 5s)')
    .option('--timeout <duration>', 'timeout of each scrape or query', '10s')
    .option('--selector <matchers>', 'with --prometheus: label matchers added to the raw selectors, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector; recorded series are read only when the loaded rules were generated with it)')
    .option('--percentile-window <duration>', 'with --prometheus: the span the latency percentiles are computed over (default 1h, at most the SLO window)')
    .option('--allow-remote', 'allow scraping a target that is not on a loopback address')
    .option('--no-progress', 'no progress lines on stderr while sampling')
    .action(async (file: string | undefined, flags: StatusFlags) => {
      await runStatus(file, flags, ctx);
    });
}


/** The metrics URL from --target or the contract, and the health URL beside it. */
function targetUrls(contract: Contract, shown: string, flag: string | undefined): { metrics: string; health: string } {
  // A contract that starts the service itself on a fixed port (`run` + `port`) is read there.
  const raw = flag ?? contract.target?.url ?? (contract.target?.port !== undefined ? `http://127.0.0.1:${contract.target.port}` : undefined);
  if (raw === undefined) {
    const hint = contract.target?.run ? ` (the contract only says how to start it: start it with \`${contract.target.run}\`, then pass --target URL)` : '';
    throw new UsageError(`no target to read: pass --target URL, set target.url in ${shown}, or read through Prometheus with --prometheus URL${hint}`);
  }
  let u: URL;
  try {
    u = checkTargetUrl(raw, true, 'read');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const metricsPath = contract.target?.metrics ?? '/metrics';
  const healthPath = contract.target?.health ?? '/healthz';
  const base = new URL(u.toString());
  base.search = '';
  base.hash = '';
  // A URL with a path is the metrics URL itself; a bare one is the service's base.
  const hasPath = u.pathname !== '/' && u.pathname !== '';
  const root = hasPath ? new URL('/', base) : base;
  return { metrics: hasPath ? u.toString() : endpointUrl(root, metricsPath), health: endpointUrl(root, healthPath) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function exitCodeOf(report: StatusReport): number {
  const judged = report.slos.filter((s) => s.state !== 'skipped');
  if (judged.some((s) => s.state === 'failing' || s.alerts?.status === 'page')) return EXIT.FAILED;
  if (judged.some((s) => s.state === 'unknown')) return EXIT.INCONCLUSIVE;
  return EXIT.OK;
}

/**
 * An SLO its numbers cannot judge: neither OK nor FAILING (UNKNOWN, exit 4), and no burn-rate alert
 * from those numbers either. Its numbers stay for --explain and JSON, which say what they were
 * computed from; `why` is --explain's account of the reason (default: the reason itself).
 */
function unknownBecause(slo: SloStatus, reason: string, why = reason): SloStatus {
  if (slo.state === 'skipped') return slo;
  const { alerts: _alerts, ...rest } = slo;
  return { ...rest, state: 'unknown', reason, explain: [...slo.explain, `  state: UNKNOWN (${why}; was ${slo.state.toUpperCase()})`] };
}

/** An SLO computed from the counters of processes that took turns answering /metrics. */
function mixedWorkers(slo: SloStatus, turns: TakingTurns): SloStatus {
  const reason = `workers took turns answering /metrics (${turns.evidence})`;
  return unknownBecause(slo, reason, `${reason}: its counters mix several processes'`);
}

/** Marks the SLOs blended series cannot judge UNKNOWN, and the note naming the fix (none when every SLO can be judged). */
function routeLabelVerdicts(contract: Contract, missing: ServiceView['routeLabelMissing'], slos: SloStatus[]): { slos: SloStatus[]; note?: string } {
  if (missing === undefined || contract.routes.length === 0) return { slos };
  const unjudged = objectivesNeedingRouteLabel(contract);
  if (unjudged.length === 0) return { slos };
  const out = slos.map((slo) => {
    const b = unjudged.find((x) => x.kind === slo.kind && x.name === slo.name);
    // As the gate's service side is INCONCLUSIVE for it; status has no client view to judge it by instead.
    return b !== undefined ? unknownBecause(slo, routeLabelUnjudgedText(missing, b)) : slo;
  });
  return { slos: out, note: `not judged: ${unjudged.map((b) => `${b.kind} ${b.name}`).join(', ')}: ${routeLabelMissingText(missing)}; to judge each route on its own, ${routeLabelFix(contract, missing)}` };
}

export interface StatusRunOptions {
  /** The wall clock, read once to anchor the monotonic clock that stamps scrapes; tests may pass their own. Default Date.now. */
  now?: () => number;
}

export async function runStatus(file: string | undefined, flags: StatusFlags, ctx: CliContext, options: StatusRunOptions = {}): Promise<void> {
  if (!FORMATS.includes(flags.format as StatusFormat)) throw new UsageError(`--format must be table, json or markdown, got "${flags.format}"`);
  const format = flags.format as StatusFormat;
  const samples = intFlag('samples', flags.samples, 2, undefined, 'an increase needs two scrapes');
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const intervalFlag = flags.interval === undefined ? undefined : durationFlag('interval', flags.interval);
  if (flags.prometheus !== undefined && flags.target !== undefined) throw new UsageError('--target and --prometheus are alternatives: scrape the target, or read from Prometheus');
  if (flags.selector !== undefined && flags.prometheus === undefined) throw new UsageError('--selector applies to --prometheus only');
  checkSelectorFlag(flags.selector);
  if (flags.percentileWindow !== undefined && flags.prometheus === undefined) throw new UsageError('--percentile-window applies to --prometheus only (scraping, the percentiles cover the span sloctl watched)');
  const percentileWindowMs = flags.percentileWindow === undefined ? undefined : durationFlag('percentile-window', flags.percentileWindow);
  // Scrapes are stamped by a monotonic clock anchored once to wall time: a wall clock that repeats
  // or steps back while status runs cannot reorder samples.
  const now = monotonicClock(options.now ?? Date.now);
  const { contract, shown } = loadValidContract(ctx, contractArgument(ctx.cwd, file, 'sloctl status'), 'status');

  let report: StatusReport;
  if (flags.prometheus !== undefined) {
    let client: PromqlClient;
    try {
      client = new PromqlClient({ url: flags.prometheus, timeoutMs });
    } catch (e) {
      throw new UsageError(`--prometheus: ${(e as Error).message}`);
    }
    const at = now();
    // A PromqlError (Prometheus unreachable, a bad answer) ends the command: exit 3 (src/errors.ts).
    const selector = selectorFor(contract, flags.selector);
    const r = await evaluateThroughPrometheus(contract, client, at, { selector, ...(percentileWindowMs !== undefined ? { percentileWindowMs } : {}) });
    report = {
      service: contract.service.name,
      at,
      source: { kind: 'prometheus', url: client.url, recordingRules: r.recordingRules, rulesLoaded: r.rulesLoaded, ...(selector !== undefined ? { selector } : {}) },
      slos: r.slos,
      health: r.health,
      ...(r.notes.length > 0 ? { notes: r.notes } : {}),
    };
    const every = everyJobWarning(contract, selector, 'the raw queries', `another service's requests count in ${contract.service.name}'s numbers, and recorded series are only as specific as the --selector the rules were generated with`);
    if (every !== undefined) ctx.stderr(`sloctl: warning: ${every}\n`);
  } else {
    const urls = targetUrls(contract, shown, flags.target);
    const intervalMs = intervalFlag ?? Math.min(contract.scrapeInterval, MAX_DEFAULT_INTERVAL);
    const store = new SeriesStore();
    let scraper: Scraper;
    try {
      scraper = new Scraper({ url: urls.metrics, store, intervalMs, timeoutMs, allowRemote: flags.allowRemote === true, now });
    } catch (e) {
      if (e instanceof ScrapeError) throw new UsageError(e.message);
      throw e;
    }
    const defs = defineSlos(contract);
    const evaluator = new EmbeddedEvaluator(defs);
    evaluator.attach(store);
    const wantsHealth = contract.objectives.availability !== undefined;
    const errors: string[] = [];
    let ok = 0;
    let last: ScrapeReport | undefined;
    let firstAt: number | undefined;
    let lastAt: number | undefined;
    // Which process answered each scrape (the gate's check, taking-turns.ts): a cluster's workers
    // taking turns at one port mix their counters, which no SLI computed from them survives.
    const requestsName = contract.metrics?.requests ?? HTTP_ROLES.requests.name;
    const processes = new ProcessTurns(requestsName);
    // Sampling takes (samples - 1) intervals: say what is happening, on stderr, so a wait of
    // several seconds does not look like a hang (stdout keeps only the report).
    const progress = (line: string) => {
      if (flags.progress !== false) ctx.stderr(`sloctl status: ${line}\n`);
    };
    progress(`sampling ${urls.metrics}: ${samples} scrapes, ${formatDuration(intervalMs)} apart (about ${formatElapsed(intervalMs * (samples - 1))})`);
    for (let i = 0; i < samples; i++) {
      if (i > 0) await sleep(intervalMs);
      if (i > 0) progress(`scrape ${i + 1} of ${samples}`);
      if (wantsHealth) evaluator.setHealth(await checkHealth(urls.health, timeoutMs));
      last = await scraper.scrapeOnce(now());
      if (last.ok) {
        ok++;
        firstAt ??= last.at;
        lastAt = last.at;
        const at = last.at;
        processes.observe(at - firstAt, processReading((name) => store.valuesAt(name, at), requestsName));
        continue;
      }
      errors.push(last.error!.message);
      // Nothing read at all: the target is not there; say so at once instead of retrying (exit 3).
      if (ok === 0) throw last.error!;
    }
    if (ok < 2) throw new ScrapeError('unreachable', urls.metrics, `only ${ok} of ${samples} scrapes of ${urls.metrics} succeeded, and increases need two: ${errors.at(-1)}`);
    const at = lastAt! + 1;
    const r = evaluator.report(at);
    const st = store.stats();
    const turns = processes.turns;
    // Series without the route label: the SLOs that hold routes to thresholds of their own, or
    // name routes, are computed from every route's requests blended (objectives.ts).
    const labelled = routeLabelVerdicts(contract, routeLabelMissing(contract, store), r.slos);
    const notes = turns !== undefined
      ? [`not judged: ${takingTurnsText(turns, 'the sampling')}; every SLO is UNKNOWN`]
      : processes.worker !== undefined
        ? [`its /metrics is node:cluster worker ${processes.worker}'s alone (${CLUSTER_WORKER.name}): these numbers are that worker's requests, not the service's; serve one /metrics for all the workers (prom-client's AggregatorRegistry: sloctl/sdk README, "Cluster mode") and read that`]
        : [];
    if (turns === undefined && labelled.note !== undefined) notes.push(labelled.note);
    report = {
      service: contract.service.name,
      at,
      // Processes taking turns: a start time read as a restart was one of them answering, not a new process.
      source: { kind: 'scrape', url: urls.metrics, scrapes: samples, failures: scraper.failures, firstAt, lastAt, restarts: turns ? 0 : scraper.restarts, errors },
      slos: turns ? r.slos.map((slo) => mixedWorkers(slo, turns)) : labelled.slos,
      health: r.health,
      ...(notes.length > 0 ? { notes } : {}),
      store: { series: st.series, samples: st.samples, evictedSamples: st.evictedSamples, evictedSeries: st.evictedSeries, refusedSeries: st.refusedSeries },
    };
    for (const e of errors) ctx.stderr(`sloctl: warning: ${e}\n`);
    if (st.refusedSeries > 0 || st.evictedSeries > 0) {
      ctx.stderr(`sloctl: warning: the target exposes more series than the store keeps (${st.maxSeries}): ${st.refusedSeries} new series refused, ${pluralize(st.evictedSeries, 'stale one')} evicted; an SLO whose series were refused reads as unknown\n`);
    }
  }

  ctx.stdout(`${renderStatus(report, format, flags.explain === true)}\n`);
  ctx.exitCode = exitCodeOf(report);
}
