// `instrument()`: one call turns a contract into the metrics, classification and health a
// service needs. Adapters (src/sdk/adapters/) connect it to a framework; this file holds no
// framework code.
import { performance } from 'node:perf_hooks';
import { Gauge, register as globalRegistry, type Registry } from 'prom-client';
import { CLUSTER_WORKER, HTTP_ROLES } from '../contract/metric-names.ts';
import { clusterWorker, noticeCluster } from './cluster-notice.ts';
import type { Contract } from '../contract/schema.ts';
import { bucketsFor } from './core/buckets.ts';
import { Classifier, type Classification } from '../contract/classify.ts';
import { composeHealth, DEFAULT_WEIGHTS, HEALTH_WINDOW_DEFAULT_MS, healthHttpStatus, type HealthPolicy, type HealthReport } from './core/health.ts';
import { RecentWindow } from './core/recent.ts';
import { ContractError, isContract, isLoadedContract, loadContract, type ContractSource } from './contract-source.ts';
import { closest } from '../contract/suggest.ts';
import { ConfigReadiness, type ConfigCheck, type ConfigCheckOptions } from './config-readiness.ts';
import { DependencyHandle } from './dependency.ts';
import { createDrill, registerDrillMetrics, type DrillEndpoint, type DrillOptions } from './drill/endpoint.ts';
import { Cells, SeriesCounter, SeriesHistogram } from './metrics/series-metrics.ts';
import { Recorder, STATUS_CLASS_COUNT } from './recorder.ts';
import { checkHealthJudge, DEFAULT_HEALTH_JUDGE, RouteTable, type HealthJudge } from './route-table.ts';
import { registerRuntimeMetrics } from './runtime.ts';
import { AdmissionController, registerAdmissionMetrics } from './protect/admission.ts';
import { startSaturation, type SaturationMonitor, type SaturationOptions } from './saturation/monitor.ts';
import { DriftResponder, DRIFT_METRICS, type DriftOptions } from './drift/responder.ts';
import { Drainer, type ServeOptions } from './protect/drain.ts';
import type { Server } from 'node:http';
import { settleTickShape } from './tick-shape.ts';

/** The business-weighted request counter (each finished request adds its route's weight). */
export const WEIGHTED_REQUESTS = {
  name: 'sloctl_weighted_requests_total',
  help: 'Finished requests, each counted with its route\'s business weight from the contract.',
} as const;

export interface HealthOptions {
  /** How far back latency and success are judged (ms). Default: the contract's `health.window`, else 30000. */
  windowMs?: number;
  /** Fewer requests than this in the window and latency / success are UNKNOWN. Default 20. */
  minRequests?: number;
  /** Availability below this is DOWN rather than DEGRADED. Default 0.5. */
  downBelow?: number;
  /** HTTP status for DEGRADED. Default 503 (the contract's composite is not met). */
  degradedStatus?: 200 | 503;
  /**
   * Which requests latency and success are judged on. Default 'routes': only requests that reached
   * a route of the service, so unmatched paths, odd methods and requests the framework rejects
   * before routing (bad percent-encoding, unparsable bodies) are counted in the metrics but cannot
   * move health. 'contract': only the contract's routes. 'all': every request (junk can then flip
   * health). A list: only these route templates or contract route names.
   */
  judge?: HealthJudge;
}

export interface InstrumentOptions {
  /** A path to slo.yaml (relative to the working directory), a file: URL, a parsed Contract, or what `parseContract(text, file)` returned. */
  contract: ContractSource;
  /** Where the metrics go. Default: prom-client's global registry. */
  registry?: Registry;
  /** Register prom-client's default Node metrics too. Default true. */
  defaultMetrics?: boolean;
  health?: HealthOptions;
  /** Route templates beyond the contract's that get their own label. Default 100. */
  maxRoutes?: number;
  /** Paths adapters serve; default from the contract's target (/healthz, /metrics); false: not served. */
  paths?: { health?: string | false; metrics?: string | false };
  /**
   * The drill endpoint (in-process faults for `sloctl drill`): off unless a token is set, here
   * or in SLOCTL_DRILL_TOKEN; false keeps it off whatever the environment says. See README "Drills".
   */
  drill?: DrillOptions | false;
  /**
   * The saturation monitor, started when the contract sets memory or concurrency thresholds; false
   * keeps it off. See README "Saturation and evidence".
   */
  saturation?: SaturationOptions | false;
  /**
   * The drift responder, started when the contract has `objectives.drift`; false keeps it off.
   * See README "Drain and drift".
   */
  drift?: DriftOptions | false;
  /**
   * In a node:cluster worker (PM2 cluster mode), log once that /metrics and health are this
   * worker's alone and how to aggregate them. Default true; false once the primary aggregates.
   */
  clusterNotice?: boolean;
}

export interface EndpointResponse {
  status: number;
  contentType: string;
  body: string;
}

export class Sdk {
  readonly contract: Contract;
  /** The contract file, when it was read from one. */
  readonly file: string | undefined;
  readonly registry: Registry;
  readonly paths: { readonly health: string | undefined; readonly metrics: string | undefined };
  /** For adapters: the per-request hot path. */
  readonly recorder: Recorder;
  /** For adapters: route templates to slots. */
  readonly routes: RouteTable;
  readonly classifier: Classifier;
  /** Histogram bucket upper bounds, in seconds. */
  readonly buckets: readonly number[];
  /** The drill endpoint, when the service set a drill token (adapters serve it); else undefined. */
  readonly drill: DrillEndpoint | undefined;
  /**
   * The adaptive concurrency limit adapters ask before a handler runs (`objectives.concurrency.limit`
   * turns it on; `admission.active` is false otherwise). `admission.shed(on, reason)` halves the
   * limit, or without one sheds the lowest-weight routes. See README "Adaptive concurrency limit".
   */
  readonly admission: AdmissionController;
  /** The saturation monitor (states, crossings, evidence), when the contract sets thresholds; else undefined. */
  readonly saturation: SaturationMonitor | undefined;
  private readonly recent: RecentWindow;
  private readonly policy: HealthPolicy;
  private readonly degradedStatus: 200 | 503;
  private readonly deps = new Map<string, DependencyHandle>();
  private draining = false;
  /** Why the drift responder put the service in DEGRADED (undefined: it did not). */
  private degradedReason: string | undefined;
  private drainer: Drainer | undefined;
  /** Answers of the health and metrics endpoints (handledRequests). */
  private endpointAnswers = 0;
  /** The drift responder, when the contract has `objectives.drift` (and the option did not turn it off). */
  readonly driftResponder: DriftResponder | undefined;
  private pendingHealth: Promise<HealthReport> | undefined;
  /** The contract's identity and the service's config checks (/healthz?include=config). */
  private readonly readiness: ConfigReadiness;

  constructor(opts: InstrumentOptions) {
    // Before the service handles any request: Node's nextTick entries get their final shape now
    // rather than under load (tick-shape.ts; 8-12% of a hello-world's CPU where it happened).
    settleTickShape();
    const { contract, file, text } = loadContract(opts.contract);
    this.contract = contract;
    this.file = file;
    this.readiness = new ConfigReadiness(contract, text, file);
    this.registry = opts.registry ?? globalRegistry;
    const pathOf = (given: string | false | undefined, fallback: string) => (given === false ? undefined : given ?? fallback);
    this.paths = Object.freeze({
      health: pathOf(opts.paths?.health, contract.target?.health ?? '/healthz'),
      metrics: pathOf(opts.paths?.metrics, contract.target?.metrics ?? '/metrics'),
    });

    if (opts.clusterNotice !== false) noticeCluster(this.paths.metrics, this.paths.health);

    this.drill = createDrill(opts.drill);
    if (this.drill !== undefined && (this.drill.path === this.paths.health || this.drill.path === this.paths.metrics)) {
      throw new TypeError(`sloctl: drill.path ${this.drill.path} is the health or metrics path; give the drill endpoint a path of its own`);
    }

    this.classifier = new Classifier(contract.errorClasses);
    const bucketsMs = bucketsFor(contract);
    this.buckets = Object.freeze(bucketsMs.map((b) => b / 1000));
    const h = opts.health ?? {};
    this.recent = new RecentWindow(h.windowMs ?? contract.health?.window ?? HEALTH_WINDOW_DEFAULT_MS, 10, performance.now());
    this.degradedStatus = h.degradedStatus ?? 503;
    const latencyObjectives = contract.objectives.latency?.map((o) => o.objective) ?? [];
    this.policy = {
      weights: contract.objectives.availability?.weights ?? { ...DEFAULT_WEIGHTS },
      latencyObjective: latencyObjectives.length > 0 ? Math.max(...latencyObjectives) : undefined,
      successObjective: contract.objectives.errors?.objective,
      minRequests: h.minRequests ?? 20,
      downBelow: h.downBelow ?? 0.5,
    };
    for (const d of contract.dependencies) this.deps.set(d.name, new DependencyHandle(d));

    const judge = h.judge === undefined ? DEFAULT_HEALTH_JUDGE : checkHealthJudge(h.judge);
    this.routes = new RouteTable(contract, {
      judge,
      servedPaths: [this.paths.health, this.paths.metrics].filter((p): p is string => p !== undefined),
      maxRoutes: opts.maxRoutes ?? 100,
      statusClasses: STATUS_CLASS_COUNT,
      errorClasses: this.classifier.classes.length,
    });

    const reg = this.registry;
    // One array for the three: a route's series are adjacent (series-metrics.ts says why).
    const cells = new Cells();
    const histogram = new SeriesHistogram(HTTP_ROLES.requestDuration.name, HTTP_ROLES.requestDuration.help, bucketsMs, cells).register(reg);
    const requests = new SeriesCounter(HTTP_ROLES.requests.name, HTTP_ROLES.requests.help, cells).register(reg);
    const weighted = new SeriesCounter(WEIGHTED_REQUESTS.name, WEIGHTED_REQUESTS.help, cells).register(reg);
    this.recorder = new Recorder(this.classifier, histogram, requests, weighted, this.recent);
    for (const r of contract.routes) this.recorder.prime(this.routes.lookup(r.method, r.path));
    this.registerGauges(reg);
    registerRuntimeMetrics(reg, opts.defaultMetrics ?? true);
    if (this.drill !== undefined) registerDrillMetrics(reg, this.drill.runner);
    this.admission = new AdmissionController(contract);
    registerAdmissionMetrics(reg, this.admission);
    this.saturation = startSaturation(this, opts.saturation);
    if (opts.drift !== false && contract.objectives.drift?.signals.some((s) => s.signal === 'latency')) this.recorder.unjudged = new Map();
    this.driftResponder = contract.objectives.drift === undefined || opts.drift === false ? undefined : new DriftResponder(contract.objectives.drift, {
      contract,
      recent: () => this.recent.totals(performance.now()),
      minRequests: this.policy.minRequests,
      inFlight: () => this.recorder.inFlight,
      histogram,
      excluded: () => this.recorder.unjudged,
    }, {
      shed: (on, reason) => this.admission.shed(on, reason),
      degrade: (on, reason) => this.degrade(on, reason),
      drain: (reason) => {
        // Without a server (sdk.serve) there is nothing to stop: health still says DOWN, and the line says why nothing else happened.
        if (this.drainer !== undefined) void this.drainer.shutdown(reason);
        else {
          this.drain();
          process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'drain', reason, message: 'sloctl: health is DOWN, but no server was given to sdk.serve(server): nothing stops accepting and the process keeps running' })}\n`);
        }
      },
    }, reg, opts.drift);
    // Whether the drain action can do more than turn health DOWN: sloctl accept's drift verdict
    // reads it, since the action gauge alone goes to 1 either way.
    if (this.driftResponder !== undefined && contract.objectives.drift?.action === 'drain') {
      const sdk = this;
      new Gauge({
        name: DRIFT_METRICS.drainServer.name, help: DRIFT_METRICS.drainServer.help, registers: [reg],
        collect() {
          this.set(sdk.drainer !== undefined ? 1 : 0);
        },
      });
    }
  }

  private registerGauges(reg: Registry): void {
    const recorder = this.recorder;
    const sdk = this;
    new Gauge({
      name: HTTP_ROLES.inFlight.name, help: HTTP_ROLES.inFlight.help, registers: [reg],
      collect() {
        this.set(recorder.inFlight);
      },
    });
    // `aggregator`: how prom-client's AggregatorRegistry merges the workers' values on a cluster's
    // primary (its default for a gauge is the sum: two workers' weight 2.5 read as 5, availability
    // 1 as 2). The weights are the contract's, the same in every worker; availability and a
    // dependency's up are the worst worker's, so the merged value never flatters.
    const weights = new Gauge({
      name: HTTP_ROLES.errorClassWeight.name, help: HTTP_ROLES.errorClassWeight.help, registers: [reg],
      labelNames: ['error_class', 'good'], aggregator: 'first',
    });
    for (const c of this.classifier.classes) weights.set({ error_class: c.class, good: String(c.good) }, c.weight);
    new Gauge({
      name: HTTP_ROLES.availability.name, help: HTTP_ROLES.availability.help, registers: [reg], aggregator: 'min',
      async collect() {
        this.set((await sdk.health()).availability);
      },
    });
    // In a cluster worker, which worker this /metrics is: sloctl gate and status then know it counts
    // one worker's requests, and see scrapes landing on different workers. Omitted when the primary
    // merges the workers (AggregatorRegistry): merged, it would be no worker's.
    const worker = clusterWorker();
    if (worker?.id !== undefined) {
      new Gauge({ name: CLUSTER_WORKER.name, help: CLUSTER_WORKER.help, registers: [reg], aggregator: 'omit' }).set(worker.id);
    }
    if (this.deps.size > 0) {
      new Gauge({
        name: HTTP_ROLES.dependencyUp.name, help: HTTP_ROLES.dependencyUp.help, registers: [reg],
        labelNames: ['dependency', 'critical'], aggregator: 'min',
        async collect() {
          const report = await sdk.health();
          for (const [name, d] of Object.entries(report.checks.dependencies.details)) {
            // Nothing attached reports its state: no series rather than a 1 that claims it is up
            // (a drill that takes it down, or a rule's `min()`, would read that claim as evidence).
            if (d.state === 'unknown') continue;
            this.set({ dependency: name, critical: String(d.critical) }, d.state === 'down' ? 0 : 1);
          }
        },
      });
    }
  }

  /** The class of a thrown error, per the contract (walks `cause` chains and AggregateErrors). */
  classifyError(err: unknown): Classification {
    return this.classifier.classifyError(err);
  }

  /** The class of a response status, per the contract. */
  classifyStatus(status: number): Classification {
    return this.classifier.classifyStatus(status);
  }

  /** A declared dependency, to attach its breaker or check to. */
  dependency(name: string): DependencyHandle {
    const d = this.deps.get(name);
    if (d === undefined) {
      const known = [...this.deps.keys()];
      const near = closest(String(name), known);
      throw new ContractError(`sloctl: the contract declares no dependency "${name}"${near !== undefined ? `: did you mean "${near}"?` : ''}${known.length ? ` (it declares: ${known.join(', ')})` : ' (it declares none)'}; add it under \`dependencies:\` in ${this.file ?? 'the contract'}`);
    }
    return d;
  }

  /** The health composite now. Concurrent callers share one evaluation. */
  health(): Promise<HealthReport> {
    this.pendingHealth ??= this.evaluateHealth().finally(() => {
      this.pendingHealth = undefined;
    });
    return this.pendingHealth;
  }

  private async evaluateHealth(): Promise<HealthReport> {
    const dependencies = await Promise.all([...this.deps.values()].map((d) => d.state()));
    return composeHealth({
      live: !this.draining,
      ...(this.draining ? { liveReason: 'draining: the service is shutting down' } : {}),
      ...(this.degradedReason !== undefined ? { degradedReason: this.degradedReason } : {}),
      recent: this.recent.totals(performance.now()),
      dependencies,
    }, this.policy);
  }

  /**
   * The health endpoint's answer: 200 UP, 503 DOWN, DEGRADED per options (503 by default).
   * `query`: the request's query string (or URL); `include=config` adds the contract's identity
   * and the config checks. A failing config check answers DOWN (see README "Config readiness").
   */
  async healthResponse(query?: string): Promise<EndpointResponse> {
    this.endpointAnswers++;
    const { status, body } = await this.readiness.decorate(await this.health(), query);
    return { status: healthHttpStatus(status, this.degradedStatus), contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
  }

  /**
   * Registers a configuration check: `() => true | false | 'what is wrong' | { ok, detail }` (or a
   * promise of one), run when health is asked (at most `timeoutMs`, default 1 s). Reported by
   * /healthz?include=config; while one fails, health is DOWN (not ready).
   */
  configCheck(name: string, check: ConfigCheck, opts?: ConfigCheckOptions): this {
    this.readiness.add(name, check, opts);
    return this;
  }

  /** The metrics endpoint's answer. */
  async metricsResponse(): Promise<EndpointResponse> {
    this.endpointAnswers++;
    try {
      return { status: 200, contentType: this.registry.contentType, body: await this.registry.metrics() };
    } catch (err) {
      return { status: 500, contentType: 'text/plain; charset=utf-8', body: `sloctl: collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n` };
    }
  }

  /** The exposition text of the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Marks the service as shutting down: health answers 503 DOWN so load balancers stop sending. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Requests the SDK handled: those its adapter began (recorder.begun) and those its health and
   * metrics endpoints answered. sdk.serve(server) compares it with the requests the server received
   * and says so once when most never reached the adapter.
   */
  handledRequests(): number {
    return this.recorder.begun() + this.endpointAnswers;
  }

  /**
   * Graceful drain for `server` (node:http; Fastify's app.server): on drain, health DOWN, keep
   * accepting `announceMs`, stop accepting, finish every request in flight. `signals: true`
   * installs SIGTERM / SIGUSR2 (drain, then exit 0) and SIGUSR1 (shed). The drift responder's
   * drain action uses it. See README "Drain and drift".
   */
  serve(server: Server, opts: ServeOptions = {}): Drainer {
    if (this.drainer !== undefined) throw new Error('sloctl: sdk.serve() was already called for this SDK; one server drains per SDK');
    this.drainer = new Drainer(this, server, opts);
    return this.drainer;
  }

  /**
   * Degraded mode on or off (the drift responder's `degrade` action; callable by hand): health is
   * DEGRADED with `reason`, and every non-critical dependency's `useFallback` is true.
   */
  degrade(on: boolean, reason = 'degraded by the service'): void {
    this.degradedReason = on ? reason : undefined;
    for (const d of this.deps.values()) if (!d.critical) d.useFallback = on;
  }
}

/** Instrument a service for its contract: `instrument('slo.yaml')` or `instrument({ contract, registry })`. */
export function instrument(options: ContractSource | InstrumentOptions): Sdk {
  const opts: InstrumentOptions = typeof options === 'string' || options instanceof URL || isContract(options) || isLoadedContract(options)
    ? { contract: options }
    : options;
  if (opts === null || typeof opts !== 'object' || opts.contract === undefined) {
    throw new TypeError('sloctl: instrument() needs a contract: instrument(\'slo.yaml\') or instrument({ contract: \'slo.yaml\' })');
  }
  return new Sdk(opts);
}
