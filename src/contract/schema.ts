// The contract format, `apiVersion: sloctl/v1`: one zod schema that is at once the parser, the
// TypeScript type (`Contract`) and the JSON Schema editors use for completion.
//
// Objects are strict: an unknown key is an error with a "did you mean" hint, because a typo in a
// contract (`p59`, `objectve`) otherwise silently drops an objective. Cross-field rules (weights
// summing to 1, p95 below p99, budgets that fit the load) live in semantic.ts, where they can
// name both places they involve.
import { z } from 'zod';
import { ALL_ROLE_NAMES } from './metric-names.ts';
import { BYTES_PATTERN, parseBytes } from './units.ts';
import { bytes, description, duration, link, name, percent, positiveInt, rate, shortText, tolerance, weight } from './zod-units.ts';

/** The methods a contract route may name (also what `sloctl init` writes: src/contract/scaffold-routes.ts). */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const service = z
  .strictObject({
    name: name('service').describe('The service this contract is for; used in metric labels and rule names.'),
    displayName: shortText('the display name').optional(),
    version: shortText('the contract version')
      .optional()
      .describe('The contract’s version (e.g. 2026-12-04.1, a git tag); the SDK reports it with the contract’s sha256 in /healthz?include=config, so a rollout can check the instance runs the contract it was meant to.'),
    description: description().optional(),
    owner: shortText('the owner').optional().describe('Team or person that carries the pager.'),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    runtime: z
      .enum(['node', 'go', 'other'])
      .default('node')
      .describe('Decides which runtime metrics the memory and concurrency contracts read.'),
  })
  .describe('Who the contract is for.');

const target = z
  .strictObject({
    url: z
      .url({ error: 'expected an absolute URL such as http://127.0.0.1:8080' })
      .optional()
      .describe('Attach to a service already running at this URL.'),
    run: z.string().min(1).optional().describe('A command sloctl starts (with $PORT set) to bring the service up.'),
    cwd: z.string().optional().describe('Working directory for `run`, relative to this file.'),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment for `run`.'),
    port: positiveInt('port').max(65535).optional().describe('Port for `run`; sloctl picks a free one when omitted.'),
    health: z.string().startsWith('/', { error: 'the health path must start with /' }).default('/healthz'),
    metrics: z.string().startsWith('/', { error: 'the metrics path must start with /' }).default('/metrics'),
    startTimeout: duration().default(30_000).describe('How long to wait for the health endpoint after `run`.'),
  })
  .refine((t) => t.url !== undefined || t.run !== undefined, {
    error: 'the target needs `url` (attach to a running service) or `run` (a command that starts it)',
  })
  .describe('How sloctl reaches the service.');

const calendarWindow = z.strictObject({
  calendar: z.enum(['month', 'week']),
  timeZone: z.string().default('UTC').describe('IANA time zone the calendar is read in, e.g. Europe/Berlin.'),
});

const statusMatcher = z.union([
  z.number().int().min(100).max(599),
  z
    .string()
    .regex(/^([1-5]xx|[1-5][0-9]{2}-[1-5][0-9]{2})$/, {
      error: (iss) => `invalid status ${JSON.stringify(iss.input)}: write a code (503), a class ("5xx") or a range ("500-504")`,
    }),
]);

const errorClass = z.strictObject({
  name: name('error class'),
  weight: weight('the class weight').describe('How much one error of this class counts in the weighted error ratio.'),
  status: z.array(statusMatcher).optional().describe('HTTP statuses in this class: 503, "5xx", "500-504".'),
  errors: z
    .array(z.string().min(1))
    .optional()
    .describe('Error names or class names (err.name, constructor name), matched along the `cause` chain.'),
  codes: z.array(z.string().min(1)).optional().describe('Error codes (err.code), e.g. ECONNRESET, matched along the `cause` chain.'),
  good: z
    .boolean()
    .default(false)
    .describe('Counts as a good event (e.g. 404 on a lookup the client expects): classified, but not an error.'),
});

const probe = z.union([
  z.string().startsWith('/', { error: 'a probe path must start with /' }),
  z.strictObject({
    path: z.string().startsWith('/', { error: 'a probe path must start with /' }),
    method: z.enum(HTTP_METHODS).optional(),
    userAgent: z.string().optional().describe('Matches requests whose User-Agent starts with this, e.g. kube-probe/.'),
  }),
]);

const route = z.strictObject({
  name: name('route'),
  method: z.enum(HTTP_METHODS),
  path: z.string().startsWith('/', { error: 'a route path must start with /' }).describe('The route template, e.g. /products/:id.'),
  weight: weight('the route weight').default(1).describe('Business weight in the weighted throughput.'),
  class: name('SLI class').optional().describe('SLI class label; routes of one class share objectives.'),
  latency: duration().optional().describe('Latency threshold for this route; overrides the objective’s threshold.'),
  dependencies: z.array(name('dependency')).default([]).describe('Dependencies this route calls on its request path.'),
});

const mixEntry = z.strictObject({
  route: name('route'),
  weight: weight('the mix weight').describe('Relative share of requests for this route.'),
  path: z.string().startsWith('/').optional().describe('Concrete path or template; defaults to the route path.'),
  params: z
    .record(z.string(), z.string())
    .optional()
    .describe('Values for template parameters: "int(1,1000)", "uuid", "choice(a,b,c)" or a literal.'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional().describe('A JSON body sent with the request.'),
});

/** `load.timeout` when the contract does not set it (and what a contract without a `load` section is judged against). */
export const LOAD_TIMEOUT_DEFAULT_MS = 10_000;

const load = z.strictObject({
  rate: rate().describe('Arrival rate of the open model, e.g. 200/s.'),
  duration: duration().describe('How long the measured phase lasts.'),
  warmup: duration().default(10_000),
  connections: positiveInt('connections').default(64),
  timeout: duration().default(LOAD_TIMEOUT_DEFAULT_MS).describe('A request slower than this counts as a timeout error.'),
  mix: z.array(mixEntry).min(1, { error: 'the mix needs at least one route' }),
});

const breaker = z.strictObject({
  errorThreshold: percent().default(0.5).describe('Error share that opens the breaker.'),
  resetTimeout: duration().default(10_000).describe('How long the breaker stays open before a trial request.'),
  volumeThreshold: positiveInt('volumeThreshold').default(10),
});

const dependency = z.strictObject({
  name: name('dependency'),
  url: z.url().optional().describe('Where the service reaches it; drills put a fault proxy in front of it.'),
  env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name is letters, digits and _, not starting with a digit' })
    .optional()
    .describe('The environment variable through which the service is told the dependency’s URL; a drill sets it to the fault proxy’s address. Default: NAME_URL (payments → PAYMENTS_URL).'),
  timeout: duration().describe('The client timeout the service uses for this dependency.'),
  critical: z.boolean().default(true).describe('A critical dependency’s open breaker makes the service DEGRADED.'),
  breaker: breaker.optional(),
  fallback: link('the fallback').optional().describe('What the service answers when the dependency is unavailable.'),
});

const alertTier = z.strictObject({
  burnRate: z.number().positive({ error: 'a burn rate must be greater than zero' }),
  long: duration(),
  short: duration(),
  for: duration().optional(),
});

const alerting = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'an alert name is letters, digits and _ (a Prometheus alert name)' }).optional().describe('Alert rule name; generated from the service and SLO when omitted.'),
  page: z.union([z.literal(false), z.array(alertTier).min(1)]).optional().describe('Page tiers, or false to disable.'),
  ticket: z.union([z.literal(false), z.array(alertTier).min(1)]).optional().describe('Ticket tiers, or false to disable.'),
  runbook: link('the runbook').optional(),
  dashboard: link('the dashboard').optional(),
  labels: z.record(z.string(), z.string()).optional().describe('Extra labels on the generated alerts.'),
  annotations: z.record(z.string(), z.string()).optional().describe('Extra annotations on the generated alerts.'),
});

const budgeting = z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices']);

const percentiles = z.strictObject({
  p50: duration().optional(),
  p90: duration().optional(),
  p95: duration().optional(),
  p99: duration().optional(),
  p999: duration().optional(),
});

const latencyObjective = z.strictObject({
  name: name('objective'),
  routes: z.array(name('route')).optional().describe('Routes covered; all routes when omitted.'),
  threshold: duration().describe('A request is good when it finishes within this.'),
  objective: percent().describe('Share of requests that must be good over the window.'),
  percentiles: percentiles.optional().describe('Percentile ceilings measured from the histogram.'),
  budgeting: budgeting.optional(),
  alerting: alerting.optional(),
});

const errorsObjective = z.strictObject({
  name: name('objective').default('errors'),
  routes: z.array(name('route')).optional(),
  objective: percent().describe('Weighted success ratio: 1 - sum(errors x class weight) / requests.'),
  budgeting: budgeting.optional(),
  alerting: alerting.optional(),
});

const throughputObjective = z.strictObject({
  name: name('objective').default('throughput'),
  minimum: rate().describe('Business-weighted rate the service must sustain within its latency objectives.'),
  atLatency: z.array(name('objective')).optional().describe('Latency objectives that must hold; all when omitted.'),
  findKnee: z.boolean().default(false).describe('Ramp past the minimum to find the capacity knee.'),
  maxRate: rate().optional().describe('Stop the knee search here.'),
});

const availabilityWeights = z.strictObject({
  health: weight('the health weight'),
  latency: weight('the latency weight'),
  success: weight('the success weight'),
  dependencies: weight('the dependencies weight'),
});

const availabilityObjective = z.strictObject({
  name: name('objective').default('availability'),
  objective: percent(),
  weights: availabilityWeights
    .default({ health: 0.3, latency: 0.25, success: 0.25, dependencies: 0.2 })
    .describe('Weights of the composite; they must sum to 1.'),
  budgeting: budgeting.optional(),
  alerting: alerting.optional(),
});

const bytesThresholds = z.strictObject({ warn: bytes(), critical: bytes() });
const durationThresholds = z.strictObject({ warn: duration(), critical: duration() });
const percentThresholds = z.strictObject({ warn: percent(), critical: percent() });
const countThresholds = z.strictObject({ warn: positiveInt('warn'), critical: positiveInt('critical') });

const memoryObjective = z.strictObject({
  heap: bytesThresholds.optional(),
  rss: bytesThresholds.optional(),
  perRequest: bytes().optional().describe('Heap growth per request the load may leave behind.'),
  capture: z.enum(['heap-snapshot', 'heap-sampling', 'none']).default('heap-sampling'),
});

// The SDK's adaptive concurrency limit (src/sdk/protect): present = on. min / initial / max are
// optional so that `max: 10` alone is valid; the SDK fills them from Netflix's Gradient2 defaults
// (20 / 20 / 200) clamped into what is given.
const concurrencyLimit = z
  .strictObject({
    algorithm: z.enum(['gradient2']).default('gradient2').describe('How the limit follows latency: gradient2 is a port of Netflix concurrency-limits’ Gradient2 (the limit grows while latency stays within 1.5x its long-run average and shrinks when it rises past that).'),
    initial: positiveInt('initial').optional().describe('The limit before any request finished. Default 20, within min..max.'),
    min: positiveInt('min').optional().describe('The limit never goes below this many requests in flight. Default 20, or max when that is lower.'),
    max: positiveInt('max').optional().describe('The limit never goes above this many requests in flight. Default 200.'),
    queue: duration().default(50).describe('How long a request may wait for a free slot when the limit is reached before it is shed (503). Higher-weight requests are let in first and displace lower-weight ones from a full queue.'),
    retryAfter: duration().default(1000).describe('The Retry-After a shed request is answered with (rounded up to whole seconds).'),
  })
  .refine((l) => l.min === undefined || l.max === undefined || l.min <= l.max, { error: 'min is above max: the limit must be able to lie between them', path: ['min'] })
  .refine((l) => l.initial === undefined || ((l.min === undefined || l.initial >= l.min) && (l.max === undefined || l.initial <= l.max)), { error: 'initial is outside min..max', path: ['initial'] })
  .describe('Turns on the SDK’s adaptive concurrency limit: a limit on requests in flight that follows measured latency; beyond it requests queue for at most `queue`, then are answered 503 with Retry-After, lowest route weight first. Shed requests get the error class `shed`.');

const concurrencyObjective = z.strictObject({
  limit: concurrencyLimit.optional(),
  eventLoopDelay: durationThresholds.optional().describe('p99 event-loop delay (Node).'),
  eventLoopUtilization: percentThresholds.optional().describe('Event-loop utilization (Node).'),
  inFlight: countThresholds.optional().describe('Requests in flight.'),
  handles: countThresholds.optional().describe('Active handles (Node).'),
  goroutines: countThresholds.optional().describe('Goroutines (Go).'),
  capture: z.enum(['cpu-profile', 'none']).default('cpu-profile'),
  pprof: z.string().startsWith('/').optional().describe('Path of a Go service’s pprof endpoint, read on crossing.'),
});

const dependenciesObjective = z.strictObject({
  requireTimeout: z.boolean().default(true),
  requireBreaker: z.enum(['critical', 'all', 'none']).default('critical').describe('Which dependencies must declare a breaker.'),
  requireFallback: z.enum(['critical', 'all', 'none']).default('none'),
});

const regressionObjective = z.strictObject({
  baseline: z.string().default('.sloctl/baseline.json').describe('Where the last accepted run is stored.'),
  p95: tolerance().default(0.05).describe('Allowed p95 increase, relative: +5%.'),
  errorRatio: tolerance().default(0.001).describe('Allowed error-ratio increase in percentage points: +0.1%.'),
  memoryPerRequest: tolerance().default(0.1).describe('Allowed increase of memory per request, relative.'),
  trials: positiveInt('trials').default(5).describe('Repeated trials compared statistically.'),
});

// Faults a drill can inject. Proxy faults go through sloctl's fault proxy in front of a declared
// dependency (src/faults: toxiproxy's TCP toxics plus HTTP ones); in-process faults go through the
// service's drill endpoint (src/sdk/drill). src/drill/plan.ts maps each to what runs it.
export const PROXY_FAULTS = ['latency', 'error', 'abort', 'reset', 'blackhole', 'bandwidth'] as const;
export const IN_PROCESS_FAULTS = ['event-loop-block', 'memory-leak', 'handle-leak', 'unsettled-promises', 'cpu-burn'] as const;
const FAULTS = [...PROXY_FAULTS, ...IN_PROCESS_FAULTS] as const;
export type ProxyFault = (typeof PROXY_FAULTS)[number];
export type InProcessFault = (typeof IN_PROCESS_FAULTS)[number];

/** Which faults each optional drill field applies to (semantic.ts reports a field set on another fault). */
export const DRILL_FIELD_FAULTS = {
  dependency: PROXY_FAULTS,
  delay: ['latency', 'event-loop-block'],
  jitter: ['latency'],
  status: ['error'],
  every: ['event-loop-block'],
  rate: ['bandwidth', 'memory-leak'],
  cores: ['cpu-burn'],
} as const satisfies Record<string, readonly (typeof FAULTS)[number][]>;

/** A throughput such as `1MiB/s`; the value is bytes per second. */
const bytesPerSecond = () =>
  z
    .string({ error: 'expected bytes per second such as 1MiB/s' })
    .regex(new RegExp(`${BYTES_PATTERN.slice(0, -1)}/s$`), { error: (iss) => `invalid rate ${JSON.stringify(iss.input)}: write a size per second, e.g. 1MiB/s or 500KB/s` })
    .transform((s, ctx) => {
      const p = parseBytes(s.slice(0, -2));
      if (!p.ok) {
        ctx.issues.push({ code: 'custom', message: p.message, input: s });
        return z.NEVER;
      }
      return p.value;
    })
    .meta({ examples: ['1MiB/s'] });

const drill = z.strictObject({
  name: name('drill'),
  fault: z
    .enum(FAULTS)
    .describe(
      'What goes wrong. Through the fault proxy in front of `dependency`: latency (answers `delay` ± `jitter` late), error (answers `status`), abort (resets the connection mid-request), reset (resets connections), blackhole (never answers), bandwidth (at most `rate`). In the service, through sloctl/sdk’s drill endpoint: event-loop-block (`delay` every `every`), memory-leak (retains `rate`), handle-leak (timers and sockets), unsettled-promises (a `share` of requests never settle), cpu-burn (`cores` busy).',
    ),
  dependency: name('dependency').optional().describe('The dependency the fault proxy attacks (proxy faults only); it needs a `url`.'),
  delay: duration().optional().describe('Added latency (latency) or block length (event-loop-block).'),
  jitter: duration().optional().describe('Latency varies by up to ± this (latency). Default 0.'),
  status: z.number().int().min(400).max(599).optional().describe('Status the proxy answers with (error). Default 503.'),
  share: percent().default(1).describe('Share of requests (error, abort, unsettled-promises) or connections (latency, reset, blackhole, bandwidth) affected.'),
  every: duration().optional().describe('One block starts every this long (event-loop-block); longer than `delay`. Default 1s.'),
  rate: bytesPerSecond().optional().describe('Bytes per second: the link’s bandwidth (bandwidth, required) or the heap retained (memory-leak, default 1MiB/s).'),
  cores: z.number().positive({ error: 'cores must be greater than zero' }).max(64, { error: 'cores is at most 64' }).optional().describe('CPU cores kept busy, fractions allowed (cpu-burn). Default 0.5.'),
  duration: duration().describe('How long the fault stays in place.'),
  degraded: z
    .strictObject({
      latency: z.strictObject({ threshold: duration(), objective: percent() }).optional(),
      errors: percent().optional().describe('Weighted success ratio to hold during the fault.'),
    })
    .optional()
    .describe('The objectives the service must keep while the fault lasts; without it, the window is not judged.'),
  detectWithin: duration().describe('The service’s own signals (health, dependency gauges, saturation, error counters) must show the fault within this; at most `duration`.'),
  recoverWithin: duration().describe('Back inside the objectives, health UP, within this after the fault ends.'),
});

const resilienceObjective = z.strictObject({
  drills: z.array(drill).min(1, { error: 'resilience needs at least one drill' }),
});

const driftSignal = z.discriminatedUnion('signal', [
  z.strictObject({ signal: z.literal('latency'), objective: name('objective').optional(), threshold: duration(), evaluations: positiveInt('evaluations').default(3) }),
  z.strictObject({ signal: z.literal('errors'), threshold: percent(), evaluations: positiveInt('evaluations').default(3) }),
  z.strictObject({ signal: z.literal('eventLoopDelay'), threshold: duration(), evaluations: positiveInt('evaluations').default(3) }),
  z.strictObject({ signal: z.literal('eventLoopUtilization'), threshold: percent(), evaluations: positiveInt('evaluations').default(3) }),
  z.strictObject({ signal: z.literal('heap'), threshold: bytes(), evaluations: positiveInt('evaluations').default(3) }),
  z.strictObject({ signal: z.literal('inFlight'), threshold: positiveInt('threshold'), evaluations: positiveInt('evaluations').default(3) }),
], { error: 'expected `signal` to be one of latency, errors, eventLoopDelay, eventLoopUtilization, heap, inFlight' });

const driftObjective = z.strictObject({
  interval: duration().default(5000).describe('How often the responder evaluates its signals.'),
  signals: z.array(driftSignal).min(1, { error: 'drift needs at least one signal' }),
  action: z.enum(['shed', 'degrade', 'drain']),
  maxLost: z.number().int().nonnegative().default(0).describe('Accepted requests that may be lost while acting.'),
});

const observabilityObjective = z.strictObject({
  maxSeries: positiveInt('maxSeries').default(2000).describe('Series the /metrics endpoint may expose at most.'),
  hostileRequests: positiveInt('hostileRequests').default(10_000).describe('Random-path requests sent to test cardinality.'),
  requireHelp: z.boolean().default(true).describe('Every metric the contract reads must have HELP text.'),
});

// Where the SDK's saturation monitor writes evidence (src/sdk/saturation); why it is top-level is
// in its description, so editors show it.
const evidence = z
  .strictObject({
    dir: z.string().min(1, { error: 'the evidence dir is empty: give a directory, e.g. .sloctl/evidence' }).default('.sloctl/evidence').describe('Directory the SDK writes profiles to, relative to this file.'),
    maxFiles: positiveInt('maxFiles').default(10).describe('Evidence files kept at most; the oldest are deleted.'),
    maxBytes: bytes().default(100 * 1024 * 1024).describe('Total size kept at most; the oldest files are deleted.'),
    minInterval: duration().default(60_000).describe('At most one capture per signal this often.'),
  })
  .describe(
    'Where the SDK writes saturation evidence (a heap profile or CPU profile captured when a memory or concurrency threshold is crossed) and how much it keeps. A section of its own, not under objectives.memory or target: both the memory and the concurrency signals write here, it is what the service does on its own machine rather than an objective, and target is how sloctl reaches the service, which a service running without sloctl never reads.',
  );

// The health endpoint's window, declared where validate can see it (a drill's recoverWithin shorter
// than it cannot be met: semantic.ts). A section of its own like `evidence`: it is what the service
// does, not an objective, and `target` (where `target.health` is the endpoint's path) is how
// sloctl reaches the service.
const health = z
  .strictObject({
    window: duration()
      .optional()
      .describe('How far back the health endpoint of sloctl/sdk (and of the Go middleware, through the contract JSON) judges latency and success: the last this long of requests. Default 30s. After a fault, health cannot read UP before the fault’s failed or slow requests have left this window, so keep it shorter than the drills’ recoverWithin. instrument({ health: { windowMs } }) (Node) and Options.HealthWindow (Go) override it.'),
  })
  .describe('What the health endpoint of sloctl/sdk and of the Go middleware judges.');

const objectives = z
  .strictObject({
    latency: z.array(latencyObjective).min(1).optional(),
    errors: errorsObjective.optional(),
    throughput: throughputObjective.optional(),
    availability: availabilityObjective.optional(),
    memory: memoryObjective.optional(),
    concurrency: concurrencyObjective.optional(),
    dependencies: dependenciesObjective.optional(),
    regression: regressionObjective.optional(),
    resilience: resilienceObjective.optional(),
    drift: driftObjective.optional(),
    observability: observabilityObjective.optional(),
  })
  .describe('One section per contract; a missing section is not evaluated.');

const promql = (what: string) => z.string({ error: `expected ${what} as a PromQL string` }).min(1, { error: `${what} is empty` });
const stringMap = z.record(z.string(), z.string());

const customSli = z
  .strictObject({
    name: name('SLI'),
    displayName: shortText('the display name').optional(),
    description: description().optional(),
    good: promql('the good query').optional().describe('PromQL for good events over `[$window]`.'),
    bad: promql('the bad query').optional().describe('PromQL for bad events over `[$window]`.'),
    total: promql('the total query').optional().describe('PromQL for all events over `[$window]`.'),
    errorRatio: promql('the error-ratio query').optional().describe('PromQL that already returns the bad ratio (0..1) over `[$window]` (Sloth raw SLIs).'),
    threshold: z
      .strictObject({
        query: promql('the threshold query').describe('PromQL returning the measured value, e.g. a p95 in seconds.'),
        op: z.enum(['lt', 'lte', 'gt', 'gte']).describe('Good when `value op threshold` holds.'),
        value: z.number(),
      })
      .optional()
      .describe('A value compared with a threshold (OpenSLO thresholdMetric), judged per time slice or sample.'),
    objective: percent(),
    window: z.union([duration(), calendarWindow]).optional().describe('Overrides the contract window for this SLI.'),
    budgeting: budgeting.optional(),
    timeslice: z
      .strictObject({
        target: percent().optional().describe('Share of good events a slice needs to count as good (Timeslices; default: the objective).'),
        window: duration(),
      })
      .optional()
      .describe('For Timeslices / RatioTimeslices budgeting.'),
    alerting: alerting.optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .refine((s) => {
    const ratio = s.good !== undefined || s.bad !== undefined;
    const kinds = [ratio, s.errorRatio !== undefined, s.threshold !== undefined].filter(Boolean).length;
    if (kinds !== 1) return false;
    if (ratio) return (s.good === undefined) !== (s.bad === undefined) && s.total !== undefined;
    return s.total === undefined;
  }, {
    error: 'a custom SLI is one of: `good` or `bad` with `total` (events), `errorRatio` (a ratio query), or `threshold`',
  });

const labelName = (what: string) =>
  z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'not a valid Prometheus label name (letters, digits, _; not starting with a digit)' })
    .optional()
    .describe(what);

// Which labels carry what, for services not labelled by sloctl's SDK (see src/contract/label-map.ts).
const metricLabels = z
  .strictObject({
    route: labelName('The label with the route template. SDK: route; promhttp (curried): handler; OpenTelemetry: http_route.'),
    method: labelName('The label with the HTTP method, matched in any case. SDK and promhttp: method; OpenTelemetry: http_request_method.'),
    status: labelName(
      'The label with the status code ("200") or class ("2xx"); error classes are derived from it with errorClasses[].status. promhttp: code; OpenTelemetry: http_response_status_code.',
    ),
    errorClass: labelName('The label with the error class name, when the service classifies errors itself (the SDK: error_class).'),
  })
  .describe('Labels by meaning. With this section, methods match in any case, and without errorClass the error class comes from the status label.');

const metricsOverrides = z
  .strictObject({
    ...Object.fromEntries(ALL_ROLE_NAMES.map((r) => [r, z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'not a valid Prometheus metric name' }).optional()])),
    labels: metricLabels.optional(),
    selector: z
      .string()
      .optional()
      .describe(
        'PromQL label matchers added to every selector of the generated rules, dashboard, `status --prometheus` and the OpenSLO export, e.g. job="checkout": the scrape job that is this service. `--selector` overrides it.',
      ),
  } as Record<(typeof ALL_ROLE_NAMES)[number], z.ZodOptional<z.ZodString>> & { labels: z.ZodOptional<typeof metricLabels>; selector: z.ZodOptional<z.ZodString> })
  .describe('Metric names by role and labels by meaning, for services not instrumented with sloctl’s SDK; and the label matchers that select this service in a shared Prometheus.');

export const ERROR_CLASS_DEFAULTS = [
  { name: 'transient', weight: 0.3, status: [429, 503, 504], errors: ['TimeoutError', 'AbortError'], codes: ['ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EOF_MID_RESPONSE', 'EOF_BEFORE_RESPONSE'], good: false },
  { name: 'client', weight: 1.0, status: ['4xx'], good: false },
  { name: 'server', weight: 2.5, status: ['5xx'], good: false },
];

export const contractSchema = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal('sloctl/v1', { error: 'apiVersion must be sloctl/v1' }),
    service,
    target: target.optional().describe('Needed by gate, drill and accept; validate does not need it.'),
    window: z.union([duration(), calendarWindow]).default(28 * 86_400_000).describe('SLO window: 28d (rolling) or {calendar: month}.'),
    bucket: duration().default(60_000).describe('Width of the aligned buckets the window is made of.'),
    scrapeInterval: duration().default(15_000),
    budgeting: budgeting.default('Occurrences'),
    errorClasses: z
      .array(errorClass)
      .default(ERROR_CLASS_DEFAULTS as never)
      .describe('Matched in order, first match wins. Defaults: transient 0.3, client 1.0, server 2.5.'),
    probes: z.array(probe).default([]).describe('Requests outside every SLI (the health path always is).'),
    routes: z.array(route).default([]),
    load: load.optional(),
    dependencies: z.array(dependency).default([]),
    metrics: metricsOverrides.optional(),
    slis: z.array(customSli).default([]).describe('Custom SLIs as PromQL, for what the built-in ones do not cover.'),
    objectives: objectives.default({}),
    evidence: evidence.optional(),
    health: health.optional(),
  })
  .describe('A sloctl service contract (slo.yaml).');

export type Contract = z.output<typeof contractSchema>;
export type ContractInput = z.input<typeof contractSchema>;
export type Route = Contract['routes'][number];
export type Dependency = Contract['dependencies'][number];
export type ErrorClass = Contract['errorClasses'][number];
export type LatencyObjective = NonNullable<Contract['objectives']['latency']>[number];
export type CustomSli = Contract['slis'][number];
export type Alerting = z.output<typeof alerting>;
export type Drill = z.output<typeof drill>;
