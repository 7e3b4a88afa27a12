// Adaptive trace sampling (issue 12, item 3; the article's contract 2.5): an OpenTelemetry
// `Sampler` whose ratio follows the business-weighted throughput the SDK measures
// (`sloctl_weighted_requests_total`), so a busy service records fewer traces and an idle one
// records them all:
//
//   ratio = clamp(intercept - slope x weighted rps, min, max)     default: 1.5 - 0.002 x rps, [0.01, 1]
//
// (250 weighted rps and below: every trace; 500: 0.5; 745 and above: 1%.) The weighted rate is
// taken over a sliding window (10 s by default) of readings of the counter, at most one reading a
// step (1 s); readings happen lazily, on a span start or a scrape of the ratio gauge, so the
// sampler owns no timer and costs nothing while nothing is traced.
//
// No runtime dependency on @opentelemetry/*: the sampler and the processor below are written
// against the shapes of @opentelemetry/sdk-trace-base's `Sampler` and `SpanProcessor` (its
// SamplingDecision is a numeric enum: 0 NOT_RECORD, 1 RECORD, 2 RECORD_AND_SAMPLED), so a service
// passes them to its own BasicTracerProvider / NodeSDK, of whatever version it runs.
//
// Errors and slow requests are always kept. A head sampler decides when a span starts, before
// anyone knows how the request ends, so it cannot do that alone; two parts do:
//  1. the sampler samples (RECORD_AND_SAMPLED) a span whose start attributes already say keep:
//     `http.response.status_code` >= 500 (or the older `http.status_code`), or `sloctl.keep: true`;
//  2. a span the ratio leaves out is not dropped but RECORDed (recorded, not sampled: exporters
//     skip it), and `KeepSpanProcessor`, wrapped around the service's exporting processor, exports
//     it anyway when it ended as an error (status ERROR, a 5xx, `sloctl.keep` set during the
//     request, see `keepSpan`) or, for a server span, slower than its route's latency threshold
//     in the contract. The price: every span is recorded in memory until it ends (then dropped
//     unless kept); `unsampled: 'drop'` trades the rescue for the saving. What a rescue cannot
//     bring back: the trace's sampled flag went out unset with the outgoing calls, so downstream
//     services did not record their part; the kept trace is this service's spans.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Contract } from '../../contract/schema.ts';
import { WEIGHTED_REQUESTS, type Sdk } from '../instrument.ts';
import { thresholdFor } from '../route-table.ts';

/** OpenTelemetry's SamplingDecision values (the enum of @opentelemetry/sdk-trace-base), as numbers. */
export const SamplingDecision = Object.freeze({ NOT_RECORD: 0, RECORD: 1, RECORD_AND_SAMPLED: 2 } as const);
export type SamplingDecisionValue = 0 | 1 | 2;

/** OpenTelemetry's SamplingResult (this sampler adds no attributes and leaves the trace state alone). */
export interface SamplingResult {
  decision: SamplingDecisionValue;
}

/** Span attributes as a sampler sees them (OpenTelemetry's `Attributes`). */
export type SpanAttributes = Readonly<Record<string, unknown>>;

/** The gauge the sampler's ratio is exported as. */
export const SAMPLE_RATIO_METRIC = {
  name: 'sloctl_trace_sample_ratio',
  help: 'The adaptive trace sampler\'s current ratio (share of traces sampled), from the weighted throughput.',
} as const;

/** Spans KeepSpanProcessor exported although the ratio had left them out, by reason. */
export const KEPT_SPANS_METRIC = {
  name: 'sloctl_trace_spans_kept_total',
  help: 'Spans the sampling ratio left out that were exported anyway: reason error (status ERROR or 5xx), slow (over the route\'s latency threshold) or marked (sloctl.keep).',
} as const;

/** The attribute a service sets on a span to have it kept whatever the ratio says. */
export const KEEP_ATTRIBUTE = 'sloctl.keep';

export interface SamplingPolicy {
  /** Ratio at 0 weighted rps, before clamping. Default 1.5. */
  intercept: number;
  /** Ratio lost per weighted request per second. Default 0.002. */
  slope: number;
  /** Never below this. Default 0.01. */
  min: number;
  /** Never above this. Default 1. */
  max: number;
}

/** The article's policy: ratio = clamp(1.5 - 0.002 x weighted rps, 0.01, 1). */
export const DEFAULT_SAMPLING_POLICY: Readonly<SamplingPolicy> = Object.freeze({ intercept: 1.5, slope: 0.002, min: 0.01, max: 1 });

/** The ratio for a weighted throughput (requests per second, each counted with its route's weight). */
export function sampleRatio(weightedRps: number, policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY): number {
  const raw = policy.intercept - policy.slope * (Number.isFinite(weightedRps) && weightedRps > 0 ? weightedRps : 0);
  return Math.min(policy.max, Math.max(policy.min, raw));
}

function checkPolicy(p: SamplingPolicy): SamplingPolicy {
  const bad = (what: string) => new RangeError(`sloctl: adaptive sampler: ${what}; the default policy is { intercept: 1.5, slope: 0.002, min: 0.01, max: 1 }`);
  for (const k of ['intercept', 'slope', 'min', 'max'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) throw bad(`${k} must be a finite number, got ${String(p[k])}`);
  }
  if (p.min < 0 || p.max > 1 || p.min > p.max) throw bad(`need 0 <= min <= max <= 1, got min ${p.min}, max ${p.max}`);
  return p;
}

/**
 * The rate of a counter over a sliding window, from readings (time in ms, total so far). Keeps the
 * newest reading at least a window old as the base, so the rate spans a whole window once one has
 * passed (until then, what has passed). A total that went down (a counter reset) starts afresh.
 */
export class WeightedRate {
  private readonly t: number[] = [];
  private readonly v: number[] = [];

  constructor(readonly windowMs: number) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`sloctl: adaptive sampler: windowMs must be a positive number of milliseconds, got ${windowMs}`);
  }

  add(timeMs: number, total: number): void {
    const n = this.t.length;
    if (n > 0 && (total < this.v[n - 1] || timeMs < this.t[n - 1])) {
      this.t.length = 0;
      this.v.length = 0;
    }
    this.t.push(timeMs);
    this.v.push(total);
    // Drop readings older than the base (the newest one at least a window before this one).
    let base = 0;
    for (let i = this.t.length - 1; i >= 0; i--) {
      if (timeMs - this.t[i] >= this.windowMs) {
        base = i;
        break;
      }
    }
    if (base > 0) {
      this.t.splice(0, base);
      this.v.splice(0, base);
    }
  }

  /** Per second, over the window (0 before two readings). */
  perSecond(): number {
    const n = this.t.length;
    if (n < 2) return 0;
    const dt = this.t[n - 1] - this.t[0];
    return dt > 0 ? ((this.v[n - 1] - this.v[0]) / dt) * 1000 : 0;
  }
}

/** The SDK's weighted total so far: the sum of `sloctl_weighted_requests_total` over its series. */
export async function weightedTotal(sdk: Sdk): Promise<number> {
  const metric = sdk.registry.getSingleMetric(WEIGHTED_REQUESTS.name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const s of data.values) sum += s.value;
  return sum;
}

export interface AdaptiveSamplerOptions extends Partial<SamplingPolicy> {
  /**
   * The instrumented service: the weighted throughput is read from its
   * `sloctl_weighted_requests_total`, the ratio gauge goes into its registry, and slow spans are
   * judged against its contract's latency thresholds.
   */
  sdk?: Sdk;
  /** Instead of `sdk`: the weighted total so far (a counter: only grows). */
  total?: () => number | Promise<number>;
  /** The window the weighted rate is taken over (ms). Default 10000. */
  windowMs?: number;
  /** At most one reading of the total per step (ms). Default windowMs / 10. */
  stepMs?: number;
  /** The clock, in ms (tests). Default performance.now. */
  now?: () => number;
  /** Where the ratio gauge goes; default the SDK's registry; false: not exported. */
  registry?: Registry | false;
  /**
   * What a span the ratio leaves out becomes: 'record' (default: recorded, not sampled, so
   * KeepSpanProcessor can still export it if it ends as an error or slow) or 'drop' (NOT_RECORD:
   * cheaper, but an error that was not known at the span's start is then lost).
   */
  unsampled?: 'record' | 'drop';
}

const TWO_POW_52 = 2 ** 52;
const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const RECORDED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD });
const DROPPED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * The trace's position in [0, 2^52): its rightmost 13 hex digits, the random part of a W3C
 * trace id (as in OpenTelemetry's consistent probability sampling), so every service sampling a
 * trace at the same ratio takes the same decision, and a lower ratio keeps a subset of a higher
 * one's traces.
 */
function tracePosition(traceId: string): number {
  // Digit by digit rather than parseInt(slice): no string allocated per span (measured ~2x faster).
  const n = typeof traceId === 'string' ? traceId.length : 0;
  if (n < 13) return Math.random() * TWO_POW_52;
  let x = 0;
  for (let i = n - 13; i < n; i++) {
    const c = traceId.charCodeAt(i);
    const l = c | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1; // '0'-'9', 'a'-'f' / 'A'-'F'
    if (d < 0 || d > 15) return Math.random() * TWO_POW_52;
    x = x * 16 + d;
  }
  return x;
}

/** What the start attributes say: a 5xx, or sloctl.keep. */
export function keepAtStart(attributes: SpanAttributes | undefined): boolean {
  if (attributes === undefined || attributes === null) return false;
  if (attributes[KEEP_ATTRIBUTE] === true) return true;
  return isServerError(attributes['http.response.status_code']) || isServerError(attributes['http.status_code']);
}

function isServerError(v: unknown): boolean {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return n >= 500 && n <= 599;
}

/**
 * The adaptive sampler. Use it as the root sampler (`new ParentBasedSampler({ root })` keeps
 * remote parents' decisions, as OpenTelemetry's default does) or on its own.
 */
export class AdaptiveSampler {
  readonly policy: Readonly<SamplingPolicy>;
  readonly windowMs: number;
  readonly stepMs: number;
  private readonly rate: WeightedRate;
  private readonly now: () => number;
  private readonly total: () => number | Promise<number>;
  private readonly unsampledResult: SamplingResult;
  private currentRatio: number;
  private bound: number;
  private nextReadAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(opts: AdaptiveSamplerOptions = {}) {
    this.policy = Object.freeze(checkPolicy({
      intercept: opts.intercept ?? DEFAULT_SAMPLING_POLICY.intercept,
      slope: opts.slope ?? DEFAULT_SAMPLING_POLICY.slope,
      min: opts.min ?? DEFAULT_SAMPLING_POLICY.min,
      max: opts.max ?? DEFAULT_SAMPLING_POLICY.max,
    }));
    this.windowMs = opts.windowMs ?? 10_000;
    this.rate = new WeightedRate(this.windowMs);
    this.stepMs = opts.stepMs ?? this.windowMs / 10;
    if (!(this.stepMs > 0) || this.stepMs > this.windowMs) throw new RangeError(`sloctl: adaptive sampler: stepMs must be in (0, windowMs], got ${this.stepMs}`);
    this.now = opts.now ?? (() => performance.now());
    const sdk = opts.sdk;
    if (opts.total !== undefined) this.total = opts.total;
    else if (sdk !== undefined) this.total = () => weightedTotal(sdk);
    else throw new TypeError('sloctl: adaptive sampler: pass { sdk } (the instrumented service, whose weighted throughput it follows) or { total: () => weightedRequestsSoFar }');
    if (opts.unsampled !== undefined && opts.unsampled !== 'record' && opts.unsampled !== 'drop') {
      throw new TypeError(`sloctl: adaptive sampler: unsampled is 'record' or 'drop', got ${String(opts.unsampled)}`);
    }
    this.unsampledResult = opts.unsampled === 'drop' ? DROPPED : RECORDED;
    this.currentRatio = sampleRatio(0, this.policy);
    this.bound = this.currentRatio * TWO_POW_52;
    const registry = opts.registry === false ? undefined : opts.registry ?? sdk?.registry;
    if (registry !== undefined) this.registerGauge(registry);
  }

  /** The current ratio (share of traces sampled). */
  get ratio(): number {
    return this.currentRatio;
  }

  /** The weighted requests per second the ratio is computed from. */
  get weightedRps(): number {
    return this.rate.perSecond();
  }

  /** OpenTelemetry's Sampler.shouldSample. */
  shouldSample(_context: unknown, traceId: string, _spanName?: string, _spanKind?: number, attributes?: SpanAttributes, _links?: readonly unknown[]): SamplingResult {
    this.maybeRead();
    if (keepAtStart(attributes)) return SAMPLED;
    return tracePosition(traceId) < this.bound ? SAMPLED : this.unsampledResult;
  }

  toString(): string {
    const p = this.policy;
    return `SloctlAdaptiveSampler{ratio=clamp(${p.intercept} - ${p.slope} x weighted rps, ${p.min}, ${p.max}), window=${this.windowMs}ms, now=${this.currentRatio}}`;
  }

  /** Takes a reading now if one is due, and waits for it (the gauge calls this when scraped). */
  refresh(): Promise<void> {
    this.maybeRead();
    return this.reading ?? Promise.resolve();
  }

  private maybeRead(): void {
    const t = this.now();
    if (t < this.nextReadAt || this.reading !== undefined) return;
    this.nextReadAt = t + this.stepMs;
    let v: number | Promise<number>;
    try {
      v = this.total();
    } catch {
      return; // a failing source leaves the ratio where it was; the next step tries again
    }
    if (typeof v === 'number') {
      this.apply(t, v);
      return;
    }
    this.reading = Promise.resolve(v).then((total) => this.apply(t, total), () => undefined).finally(() => {
      this.reading = undefined;
    });
  }

  private apply(t: number, total: number): void {
    if (!Number.isFinite(total)) return;
    this.rate.add(t, total);
    this.currentRatio = sampleRatio(this.rate.perSecond(), this.policy);
    this.bound = this.currentRatio * TWO_POW_52;
  }

  private registerGauge(registry: Registry): void {
    if (registry.getSingleMetric(SAMPLE_RATIO_METRIC.name) !== undefined) {
      throw new Error(`sloctl: ${SAMPLE_RATIO_METRIC.name} is already registered: create one adaptive sampler per service (share it between tracer providers), or pass { registry: false }`);
    }
    const sampler = this;
    new Gauge({
      name: SAMPLE_RATIO_METRIC.name, help: SAMPLE_RATIO_METRIC.help, registers: [registry],
      async collect() {
        await sampler.refresh();
        this.set(sampler.ratio);
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The rescue: errors and slow requests exported whatever the ratio said.

/** The parts of OpenTelemetry's ReadableSpan the processor reads. */
export interface SpanLike {
  readonly name: string;
  readonly kind: number;
  readonly attributes: SpanAttributes;
  readonly status: { code: number; message?: string };
  /** [seconds, nanoseconds]. */
  readonly duration: readonly [number, number];
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
}

/** OpenTelemetry's SpanProcessor (what the service's BatchSpanProcessor / SimpleSpanProcessor is). */
export interface SpanProcessorLike {
  onStart(span: never, parentContext: never): void;
  onEnd(span: never): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface KeepOptions {
  /** The contract, for each route's latency threshold; default the SDK's. */
  sdk?: Sdk;
  contract?: Contract;
  /** A fixed slow threshold (ms) for server spans instead of the contract's; Infinity: never slow. */
  slowMs?: number;
  /** Where the kept-spans counter goes; default the SDK's registry; false: not exported. */
  registry?: Registry | false;
}

export type KeepReason = 'error' | 'slow' | 'marked';

const SPAN_KIND_SERVER = 1;
const STATUS_ERROR = 2;
const TRACE_FLAG_SAMPLED = 1;

/**
 * The latency threshold of a server span's route, from the contract: a contract route matched by
 * `http.route` and method gets its own threshold (or its objective's), others the general one.
 */
export function slowThresholds(contract: Contract): (attributes: SpanAttributes) => number {
  const byRoute = new Map<string, number>();
  for (const r of contract.routes) byRoute.set(`${r.method} ${r.path}`, thresholdFor(contract, r.name, r.latency));
  const general = thresholdFor(contract, undefined, undefined);
  return (a) => {
    const route = a['http.route'];
    if (typeof route !== 'string') return general;
    const method = a['http.request.method'] ?? a['http.method'];
    return (typeof method === 'string' ? byRoute.get(`${method.toUpperCase()} ${route}`) : undefined) ?? general;
  };
}

/**
 * Wraps the service's exporting span processor: sampled spans pass through; a span the ratio
 * left out (RECORD) is passed on, marked sampled, when it ended as an error, marked with
 * `sloctl.keep`, or (a server span) slower than its route's threshold. Anything else is dropped.
 */
export class KeepSpanProcessor {
  private readonly slowFor: (attributes: SpanAttributes) => number;
  private readonly kept: Counter<'reason'> | undefined;

  constructor(private readonly inner: SpanProcessorLike, opts: KeepOptions = {}) {
    if (inner === null || typeof inner !== 'object' || typeof inner.onEnd !== 'function') {
      throw new TypeError('sloctl: KeepSpanProcessor wraps the span processor that exports: new KeepSpanProcessor(new BatchSpanProcessor(exporter), { sdk })');
    }
    const contract = opts.contract ?? opts.sdk?.contract;
    if (opts.slowMs !== undefined) this.slowFor = () => opts.slowMs as number;
    else if (contract !== undefined) this.slowFor = slowThresholds(contract);
    else this.slowFor = () => Number.POSITIVE_INFINITY;
    const registry = opts.registry === false ? undefined : opts.registry ?? opts.sdk?.registry;
    if (registry !== undefined) {
      const existing = registry.getSingleMetric(KEPT_SPANS_METRIC.name);
      this.kept = (existing as Counter<'reason'> | undefined) ?? new Counter({ name: KEPT_SPANS_METRIC.name, help: KEPT_SPANS_METRIC.help, labelNames: ['reason'], registers: [registry] });
    }
  }

  onStart(span: unknown, parentContext: unknown): void {
    this.inner.onStart(span as never, parentContext as never);
  }

  onEnd(span: SpanLike): void {
    const ctx = span.spanContext();
    if ((ctx.traceFlags & TRACE_FLAG_SAMPLED) !== 0) {
      this.inner.onEnd(span as never);
      return;
    }
    const reason = this.keepReason(span);
    if (reason === undefined) return;
    this.kept?.inc({ reason });
    this.inner.onEnd(asSampled(span, ctx) as never);
  }

  /** Why a finished span would be kept, or undefined. */
  keepReason(span: SpanLike): KeepReason | undefined {
    const a = span.attributes ?? {};
    if (span.status?.code === STATUS_ERROR || isServerError(a['http.response.status_code']) || isServerError(a['http.status_code'])) return 'error';
    if (a[KEEP_ATTRIBUTE] === true) return 'marked';
    if (span.kind === SPAN_KIND_SERVER && Array.isArray(span.duration)) {
      const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
      if (ms > this.slowFor(a)) return 'slow';
    }
    return undefined;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The span as exporters will see it: the same span, its context carrying the sampled flag. */
function asSampled<S extends SpanLike>(span: S, ctx: ReturnType<S['spanContext']>): S {
  const sampledCtx = Object.freeze({ ...ctx, traceFlags: ctx.traceFlags | TRACE_FLAG_SAMPLED });
  return new Proxy(span, {
    get(target, prop) {
      if (prop === 'spanContext') return () => sampledCtx;
      // Read with the span itself as receiver, so the span's getters and private fields work.
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Marks a span to be kept whatever the ratio says (a request worth a trace: a payment that fell
 * back to its queue, a retry storm). Call it on the request's span before it ends; for a span not
 * sampled at its start, the export needs KeepSpanProcessor and `unsampled: 'record'`.
 */
export function keepSpan(span: { setAttribute(key: string, value: boolean): unknown } | undefined | null): void {
  span?.setAttribute(KEEP_ATTRIBUTE, true);
}
