// The service's own view of a gate run: its /metrics scraped from the start of the measured phase
// to its end, fed to the embedded evaluator (the same code `sloctl status` uses), plus the runtime
// gauges the memory contract reads. The first scrape opens the phase: increases only count between
// two scrapes, so nothing from the warm-up leaks in.
//
// I/O lives in the Scraper; this file only decides when to scrape and what to read from the store.
import { classOf, classSelectors, labelMap, type ClassSelector, type LabelMap } from '../contract/label-map.ts';
import { GO_RUNTIME_ROLES, HTTP_ROLES, MAJOR_GC_COUNT, NODE_RUNTIME_ROLES } from '../contract/metric-names.ts';
import type { Contract } from '../contract/schema.ts';
import { increase } from '../engine/counter.ts';
import { parseLe } from '../engine/histogram.ts';
import { concurrencyReads, observeScrape, type ConcurrencyPeak, type ConcurrencyRead, type ConcurrencySignal } from '../verdicts/concurrency.ts';
import { defineSlos } from '../evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../evaluate/embedded.ts';
import { monotonicClock, Scraper, type ScrapeReport } from '../observe/scraper.ts';
import { SeriesStore, type Series } from '../observe/series-store.ts';
import type { ServiceView } from '../verdicts/objectives.ts';
import type { HeapReading, ServiceRestart } from '../verdicts/memory.ts';
import { processReading, ProcessTurns, type ProcessReading } from '../verdicts/taking-turns.ts';

export interface ServiceWatchOptions {
  metricsUrl: string;
  intervalMs: number;
  timeoutMs: number;
  allowRemote: boolean;
  /** Health of the target at scrape time, for the availability composite computed from parts. */
  healthUp?: () => boolean | undefined;
  /**
   * Whether the availability gauge at scrape time judges only the phase being measured (its
   * window does not reach back before it); false: the composite is computed from its parts at
   * that scrape (EmbeddedEvaluator ScrapeContext.gaugeTrusted). Undefined: read the gauge.
   */
  gaugeTrusted?: () => boolean | undefined;
  /**
   * Asked before each scrape: the window the service's health body reports its checks judge
   * (HealthWatcher.reportedWindow), which spaces the availability gauge's independent observations
   * instead of the contract's health.window (EmbeddedEvaluator ScrapeContext.healthWindow).
   */
  healthWindow?: () => { ms: number; settled: boolean } | undefined;
  onScrape?: (report: ScrapeReport) => void;
  /** The clock that stamps scrapes (ms since the epoch). Default: monotonic, anchored once to Date.now(). */
  now?: () => number;
}

import type { ServiceRoute, ServiceRoutes } from '../verdicts/service-routes.ts';
export { bucketList, type ServiceRoute, type ServiceRoutes } from '../verdicts/service-routes.ts';

/** A point the gate marks (trial boundaries): the heap and the requests finished so far. */
export interface ServiceMark {
  at: number;
  heapBytes?: number;
  requests?: number;
  /** process_cpu_seconds_total: the service's CPU so far (for the machine check when attached). */
  cpuSeconds?: number;
  /** Restarts of the service seen so far in the measured phase (a trial's heap growth spanning one means nothing). */
  restarts?: number;
}


/** Labels that usually carry the status code, to name in a fix (promhttp, gin/echo middlewares, OpenTelemetry). */
const STATUS_LABELS = ['code', 'status', 'status_code', 'http_status_code', 'http_response_status_code', 'status_class'];

export class ServiceWatch {
  readonly store = new SeriesStore();
  private readonly scraper: Scraper;
  private readonly evaluator: EmbeddedEvaluator;
  private readonly names: { heap: string; rss: string; requests: string; weighted: string; dependencyUp: string; duration: string; availability: string };
  /** Where the count of major collections is read (memory.ts: heap readings after one), and the label value that selects it. */
  private readonly majorGc: { name: string; kind?: string; shown: string };
  /** Scrapes that carried the availability gauge, and those of them composed from parts instead (gaugeTrusted false). */
  private gaugeScrapes = { carried: 0, composed: 0 };
  private readonly critical: string[];
  private readonly labels: LabelMap;
  /** The contract's `metrics.labels` names the status or error-class label itself. */
  private readonly namesErrorLabel: boolean;
  private readonly contract: Contract;
  private readonly selectors: ClassSelector[];
  private timer: NodeJS.Timeout | undefined;
  private readonly opts: ServiceWatchOptions;
  private firstAt: number | undefined;
  /** The wall clock at the first successful scrape: process_start_time_seconds is wall-clock time. */
  private firstWallMs: number | undefined;
  private lastAt: number | undefined;
  private failures: string[] = [];
  private heapMax: number | undefined;
  private rssMax: number | undefined;
  private depUp = { sum: 0, n: 0, each: new Map<string, number>() };
  private readonly concurrency: ConcurrencyRead[];
  private readonly peaks = new Map<ConcurrencySignal, ConcurrencyPeak>();
  private trial = { index: 0, total: undefined as number | undefined };
  /** The heap gauge and the request counter at each successful scrape of the measured phase. */
  private readonly heapSeries: HeapReading[] = [];
  private readonly restarts: ServiceRestart[] = [];
  /** Which process answered each scrape: restarts, and processes taking turns (cluster mode). */
  private readonly processes: ProcessTurns;
  /** A successful scrape declared the request counter's family (prom-client writes `# TYPE` for a labelled counter before its first series). */
  private requestCounterDeclared = false;

  constructor(contract: Contract, opts: ServiceWatchOptions) {
    this.opts = opts;
    this.scraper = new Scraper({ url: opts.metricsUrl, store: this.store, intervalMs: opts.intervalMs, timeoutMs: opts.timeoutMs, allowRemote: opts.allowRemote, now: opts.now ?? monotonicClock() });
    this.evaluator = new EmbeddedEvaluator(defineSlos(contract));
    this.evaluator.attach(this.store);
    const runtime = contract.service.runtime === 'go' ? GO_RUNTIME_ROLES : NODE_RUNTIME_ROLES;
    const m = contract.metrics ?? {};
    this.names = {
      heap: m.heapUsed ?? runtime.heapUsed.name,
      rss: m.rss ?? runtime.rss.name,
      requests: m.requests ?? HTTP_ROLES.requests.name,
      weighted: m.weightedRequests ?? HTTP_ROLES.weightedRequests.name,
      dependencyUp: m.dependencyUp ?? HTTP_ROLES.dependencyUp.name,
      duration: m.requestDuration ?? HTTP_ROLES.requestDuration.name,
      availability: m.availability ?? HTTP_ROLES.availability.name,
    };
    if (contract.service.runtime === 'go') {
      this.majorGc = { name: MAJOR_GC_COUNT.go.name, shown: MAJOR_GC_COUNT.go.name };
    } else {
      // collectDefaultMetrics({ prefix }) prefixes the histogram as it does the heap gauge.
      const heapDefault = NODE_RUNTIME_ROLES.heapUsed.name;
      const prefix = this.names.heap.endsWith(heapDefault) ? this.names.heap.slice(0, -heapDefault.length) : '';
      const { name, kind } = MAJOR_GC_COUNT.node;
      this.majorGc = { name: prefix + name, kind, shown: `${prefix}${name}{kind="${kind}"}` };
    }
    this.critical = contract.dependencies.filter((d) => d.critical).map((d) => d.name);
    this.labels = labelMap(contract);
    this.namesErrorLabel = contract.metrics?.labels?.status !== undefined || contract.metrics?.labels?.errorClass !== undefined;
    this.contract = contract;
    this.selectors = classSelectors(contract);
    this.concurrency = concurrencyReads(contract);
    this.processes = new ProcessTurns(this.names.requests);
  }

  /** The trial (0-based) the scrapes from now on belong to, of how many: when a concurrency peak happened. */
  beginTrial(index: number, total?: number): void {
    this.trial = { index, total };
  }

  /** One scrape now; returns the mark (heap and requests) it read. */
  async scrape(): Promise<ServiceMark> {
    this.evaluator.setHealth(this.opts.healthUp?.());
    this.evaluator.setHealthWindow(this.opts.healthWindow?.());
    const trusted = this.opts.gaugeTrusted?.();
    this.evaluator.setGaugeTrusted(trusted);
    // Stamped by the scraper's clock (monotonic): never Date.now(), which can repeat or step back.
    const r = await this.scraper.scrapeOnce();
    this.opts.onScrape?.(r);
    if (!r.ok) {
      this.failures.push(r.error?.message ?? 'scrape failed');
      return { at: r.at };
    }
    const opening = this.firstAt === undefined;
    if (!this.requestCounterDeclared && r.families !== undefined) {
      const name = this.names.requests;
      const bare = name.endsWith('_total') ? name.slice(0, -6) : name;
      this.requestCounterDeclared = r.families.some((f) => f.name === name || f.name === bare);
    }
    this.firstAt ??= r.at;
    this.firstWallMs ??= Date.now();
    this.lastAt = r.at;
    // Only the series this scrape carried (a series it no longer exposes keeps an old latest sample).
    const valuesOf = (name: string) => this.store.valuesAt(name, r.at);
    if (this.concurrency.length > 0) {
      observeScrape(this.peaks, this.concurrency, { opening, trial: this.trial.index + 1, trials: this.trial.total, offsetMs: r.at - this.firstAt }, valuesOf);
    }
    if (valuesOf(this.names.availability).some(Number.isFinite)) {
      this.gaugeScrapes.carried++;
      if (trusted === false) this.gaugeScrapes.composed++;
    }
    const heap = this.latestSum(this.names.heap);
    const rss = this.latestSum(this.names.rss);
    if (heap !== undefined) this.heapMax = Math.max(this.heapMax ?? 0, heap);
    if (rss !== undefined) this.rssMax = Math.max(this.rssMax ?? 0, rss);
    if (this.critical.length > 0) {
      const ups = this.critical.map((d) => this.store.select(this.names.dependencyUp, [{ name: 'dependency', op: '=', value: d }]).at(0)?.latest()?.v);
      if (ups.every((v) => v !== undefined)) {
        this.depUp.sum += Math.min(...(ups as number[]));
        this.depUp.n++;
        this.critical.forEach((d, i) => this.depUp.each.set(d, (this.depUp.each.get(d) ?? 0) + ups[i]!));
      }
    }
    const requests = this.latestSum(this.names.requests);
    // The series this scrape carried (a series a new process has not recreated yet keeps its old value in the store).
    this.noticeRestart(r.at - this.firstAt, processReading(valuesOf, this.names.requests));
    const majorGcs = this.majorGcCount(r.at);
    if (heap !== undefined) this.heapSeries.push({ offsetMs: r.at - this.firstAt, heapBytes: heap, ...(requests !== undefined ? { requests } : {}), ...(majorGcs !== undefined ? { majorGcs } : {}) });
    return { at: r.at, heapBytes: heap, requests, cpuSeconds: this.latestSum('process_cpu_seconds_total'), restarts: this.restarts.length };
  }

  /**
   * A restart between the previous scrape and this one, or another process answering (processes
   * taking turns at one port: taking-turns.ts tells which, for status too). Once per scrape.
   */
  private noticeRestart(offsetMs: number, reading: ProcessReading): void {
    const change = this.processes.observe(offsetMs, reading);
    if (change?.kind !== 'restart') return;
    if (change.newestStart !== undefined) {
      // When the new process started, on the measured phase's clock (the scrape's when the two disagree).
      const at = change.newestStart * 1000 - (this.firstWallMs ?? 0);
      this.restarts.push({ offsetMs: at >= 0 && at <= offsetMs ? at : offsetMs, seenAtMs: offsetMs, evidence: change.evidence });
    } else {
      this.restarts.push({ offsetMs, seenAtMs: offsetMs, evidence: change.evidence });
    }
  }

  /** Scrapes every interval until stop(); a scrape in flight finishes first. */
  startLoop(): void {
    const tick = () => {
      this.timer = setTimeout(() => void this.scrape().finally(() => this.timer && tick()), this.opts.intervalMs);
    };
    tick();
  }

  stopLoop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The service's count of major collections at the scrape stamped `at`: undefined when it carried
   * no series of the metric. Node: the kind="major" series, 0 while the histogram has only other
   * kinds (prom-client writes a kind's series at its first collection; a minor one always comes first).
   */
  private majorGcCount(at: number): number | undefined {
    const carried = this.store.select(this.majorGc.name).filter((s) => s.latest()?.t === at);
    if (carried.length === 0) return undefined;
    const kind = this.majorGc.kind;
    return carried.filter((s) => kind === undefined || s.labels.kind === kind).reduce((a, s) => a + s.latest()!.v, 0);
  }

  /** Sum over series of the latest values: a gauge's current total, or a counter's absolute count. */
  private latestSum(name: string): number | undefined {
    const series = this.store.select(name);
    if (series.length === 0) return undefined;
    let sum = 0;
    for (const s of series) sum += s.latest()?.v ?? 0;
    return sum;
  }

  private increaseOf(name: string): number | undefined {
    const series: Series[] = this.store.select(name);
    if (series.length === 0) return undefined;
    let sum = 0;
    for (const s of series) sum += increase(s.samples(this.firstAt, this.lastAt));
    return sum;
  }

  /** The service view over the span from the first successful scrape to the last. */
  view(start: ServiceMark | undefined): ServiceView {
    if (this.firstAt === undefined || this.lastAt === undefined || this.lastAt === this.firstAt) {
      return { slos: [], unavailable: `fewer than two successful scrapes of ${this.opts.metricsUrl}${this.failures.length ? `: ${this.failures.at(-1)}` : ''}` };
    }
    const spanS = (this.lastAt - this.firstAt) / 1000;
    const weighted = this.increaseOf(this.names.weighted);
    const requests = this.increaseOf(this.names.requests);
    const endHeap = this.latestSum(this.names.heap);
    const turns = this.processes.turns;
    return {
      slos: this.evaluator.evaluate(this.lastAt + 1),
      weightedRate: weighted !== undefined ? weighted / spanS : undefined,
      heapMaxBytes: this.heapMax,
      rssMaxBytes: this.rssMax,
      heapGrowthBytes: endHeap !== undefined && start?.heapBytes !== undefined ? endHeap - start.heapBytes : undefined,
      requests,
      // The counter exists (declared, or with series): its increase is what the service counted, 0 when no series was ever made.
      ...(requests !== undefined || this.requestCounterDeclared ? { requestCounter: { name: this.names.requests, counted: requests ?? 0 } } : {}),
      heapSeries: this.heapSeries.length > 0 ? [...this.heapSeries] : undefined,
      majorGcMetric: this.majorGc.shown,
      // Processes taking turns: a start time read as a restart was one of them answering, not a new process.
      restarts: turns ? [] : [...this.restarts],
      ...(turns ? { takingTurns: { ...turns } } : {}),
      ...(this.processes.worker !== undefined ? { clusterWorker: this.processes.worker } : {}),
      dependencyUpShare: this.depUp.n > 0 ? this.depUp.sum / this.depUp.n : undefined,
      dependencyUpShares: this.depUp.n > 0 ? Object.fromEntries([...this.depUp.each].map(([d, sum]) => [d, sum / this.depUp.n])) : undefined,
      // A peak in the scrape that opened the phase was read before the first trial said how many there are.
      concurrency: this.concurrency.length > 0 ? [...this.peaks.values()].map((p) => (p.trial !== undefined && p.trials === undefined && this.trial.total !== undefined ? { ...p, trials: this.trial.total } : p)) : undefined,
      errorsUnseen: this.errorsUnseen(),
      ...this.routeLabelMissing(),
      ...(this.gaugeScrapes.composed > 0 ? { availabilityComposed: { ...this.gaugeScrapes } } : {}),
    };
  }

  /** The route label the mapping reads on none of the service's latency series (routeLabelMissing below). */
  private routeLabelMissing(): Pick<ServiceView, 'routeLabelMissing'> {
    const missing = routeLabelMissing(this.contract, this.store);
    return missing !== undefined ? { routeLabelMissing: missing } : {};
  }

  /**
   * Why the service's own series cannot tell errors from successes, with the fix; undefined when
   * they can (or when there is no request counter at all: then there is nothing to count).
   * Read from the series themselves: the label the mapping reads the error class from is on none
   * of them, or no bad error class of the contract can be derived from a status label.
   */
  private errorsUnseen(): string | undefined {
    const series = this.store.select(this.names.requests);
    if (series.length === 0) return undefined;
    const m = this.labels;
    const label = m.errors.label;
    const names = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort();
    const shown = names.length > 0 ? `{${names.join(', ')}}` : 'no labels';
    if (!series.some((s) => s.labels[label] !== undefined)) {
      const what = `the service's request counter ${this.names.requests} has no \`${label}\` label (its series carry ${shown}), so its side cannot tell errors from successes`;
      const statusLike = names.find((n) => STATUS_LABELS.includes(n));
      if (!m.mapped) {
        return statusLike !== undefined
          ? `${what}: map its status-code label in slo.yaml (\`metrics: { labels: { status: ${statusLike} } }\`), or export \`error_class\` (sloctl's SDK does)`
          : `${what}: give the counter a status-code label and map it in slo.yaml (\`metrics: { labels: { status: <label> } }\`), or export \`error_class\` (sloctl's SDK does)`;
      }
      const key = m.errors.from === 'status' ? 'status' : 'errorClass';
      // `metrics.labels` without status or errorClass reads the SDK's error_class: say so, not "the contract maps".
      const maps = this.namesErrorLabel ? `the contract maps \`metrics.labels.${key}: ${label}\`` : `\`metrics.labels\` names no status or errorClass label, so errors are read from \`${label}\``;
      return statusLike !== undefined && statusLike !== label
        ? `${what}: ${maps}; its status code is in \`${statusLike}\` (\`metrics: { labels: { status: ${statusLike} } }\`)`
        : `${what}: ${maps}; name the label that carries the status code, or add it to the instrumentation (client_golang: a "code" label in the CounterVec's label names, which promhttp.InstrumentHandlerCounter fills)`;
    }
    if (m.errors.from === 'status' && !this.selectors.some((k) => k.matchers !== undefined && !k.good && k.weight > 0)) {
      return `no error class of the contract that counts (not good, weight above 0) has \`status:\`, so none can be derived from the status label \`${label}\`: give errorClasses[].status (e.g. server: { status: ["5xx"] })`;
    }
    return undefined;
  }

  /**
   * The service's requests per route over the measured phase, from the method and route labels
   * of its latency histogram and request counter as the contract maps them (`metrics.labels`; the
   * SDK's `method` and `route` by default): bucket increases (seconds) and finished requests by
   * error class (label-map.ts's classOf, the classes every reader derives). Methods are keyed
   * upper-cased. Undefined without two scrapes or without those labels.
   */
  routes(): ServiceRoutes | undefined {
    if (this.firstAt === undefined || this.lastAt === undefined || this.lastAt === this.firstAt) return undefined;
    const out: ServiceRoutes = new Map();
    const { route: routeLabel, method: methodLabel } = this.labels;
    const entry = (rawMethod: string, route: string): ServiceRoute => {
      const method = rawMethod.toUpperCase();
      const key = `${method} ${route}`;
      let e = out.get(key);
      if (!e) out.set(key, (e = { method, route, buckets: new Map(), requests: 0, classes: new Map() }));
      return e;
    };
    for (const series of this.store.select(`${this.names.duration}_bucket`)) {
      const { [methodLabel]: method, [routeLabel]: route, le } = series.labels;
      if (method === undefined || route === undefined || le === undefined) continue;
      const bound = parseLe(le);
      if (Number.isNaN(bound)) continue;
      const e = entry(method, route);
      e.buckets.set(bound, (e.buckets.get(bound) ?? 0) + increase(series.samples(this.firstAt, this.lastAt)));
    }
    for (const series of this.store.select(this.names.requests)) {
      const { [methodLabel]: method, [routeLabel]: route } = series.labels;
      if (method === undefined || route === undefined) continue;
      const n = increase(series.samples(this.firstAt, this.lastAt));
      const e = entry(method, route);
      e.requests += n;
      // An error-class label also carries the SDK's own classes beyond the contract's
      // ("unclassified": a 5xx no class matches, weight 1 as at the client; "none"; "aborted"):
      // kept as written, weighed by the contract's classifier in routes.ts.
      const cls = classOf(this.selectors, series.labels) ?? (this.labels.errors.from === 'errorClass' ? series.labels[this.labels.errors.label] : undefined);
      if (cls !== undefined) e.classes.set(cls, (e.classes.get(cls) ?? 0) + n);
    }
    return out.size > 0 ? out : undefined;
  }

  get scrapeFailures(): readonly string[] {
    return this.failures;
  }
}

/**
 * The route label the mapping reads (`metrics.labels.route`, the SDK's `route` without one) on
 * none of the series of the latency histogram (else the request counter), which has series: the
 * service's side cannot tell its routes apart (objectives.ts routeLabelNote says what the gate did
 * about it; status marks the objectives it cannot judge UNKNOWN). Shared by the gate's service
 * watch and `sloctl status`, which read the same store.
 */
export function routeLabelMissing(contract: Contract, store: SeriesStore): ServiceView['routeLabelMissing'] {
  const duration = contract.metrics?.requestDuration ?? HTTP_ROLES.requestDuration.name;
  const requests = contract.metrics?.requests ?? HTTP_ROLES.requests.name;
  const histogram = store.select(`${duration}_bucket`);
  const [metric, series] = histogram.length > 0 ? [duration, histogram] : [requests, store.select(requests)];
  const label = labelMap(contract).route;
  if (series.length === 0 || series.some((x) => x.labels[label] !== undefined)) return undefined;
  const carried = [...new Set(series.flatMap((x) => Object.keys(x.labels)))].filter((n) => n !== 'le').sort();
  return { metric, kind: histogram.length > 0 ? 'histogram' : 'counter', label, mapped: contract.metrics?.labels?.route !== undefined, carried };
}
