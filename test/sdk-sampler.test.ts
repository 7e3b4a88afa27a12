// The adaptive trace sampler (issue 12, item 3): "The sampler's ratio follows the formula at 3
// load levels, and an error is always sampled." Weighted requests go through the SDK's own
// recorder (so the ratio follows sloctl_weighted_requests_total, as in a service) on an injected
// clock; the sampled share is counted on the real @opentelemetry/sdk-trace-base tracer provider.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, type SpanOptions } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { instrumentForTest, metricValue } from 'sloctl/sdk/testing';
import type { Sdk } from 'sloctl/sdk';
import { AdaptiveSampler, KeepSpanProcessor, keepSpan, sampleRatio, SamplingDecision, WeightedRate, weightedTotal } from 'sloctl/sdk/otel';

const CONTRACT = 'examples/checkout/slo.yaml'; // POST /orders weight 5 (300 ms), GET /orders 2, GET /products/:id 1 (200 ms)

/** A service's traffic on a fake clock: each second, requests worth `wrps` weighted, then a reading. */
class Traffic {
  now = 0;
  constructor(readonly sdk: Sdk, readonly sampler: AdaptiveSampler) {}

  async run(wrps: number, seconds: number): Promise<void> {
    const routes = this.sdk.routes;
    const order = routes.lookup('POST', '/orders');
    const product = routes.lookup('GET', '/products/:id');
    assert.equal(order.weight, 5);
    assert.equal(product.weight, 1);
    for (let s = 0; s < seconds; s++) {
      // Mostly orders (weight 5), the rest product views (weight 1): weighted, not counted.
      const orders = Math.floor((wrps * 0.6) / 5);
      const views = wrps - orders * 5;
      for (let i = 0; i < orders; i++) this.sdk.recorder.end(order, 201, undefined, this.sdk.recorder.begin(), false);
      for (let i = 0; i < views; i++) this.sdk.recorder.end(product, 200, undefined, this.sdk.recorder.begin(), false);
      this.now += 1000;
      await this.sampler.refresh();
    }
  }
}

function tracer(sampler: AdaptiveSampler, wrap?: (p: SpanProcessor) => SpanProcessor) {
  const exporter = new InMemorySpanExporter();
  const simple = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [wrap ? wrap(simple) : simple] });
  return { exporter, provider, tracer: provider.getTracer('sdk-sampler-test') };
}

/** The sampled share of n new traces, and a 4.5-sigma binomial tolerance around p. */
function sampledShare(t: ReturnType<typeof tracer>, n: number): number {
  t.exporter.reset();
  for (let i = 0; i < n; i++) t.tracer.startSpan('GET /products/:id', { kind: SpanKind.SERVER }).end();
  return t.exporter.getFinishedSpans().length / n;
}

describe('adaptive trace sampler', () => {
  it('the policy: clamp(1.5 - 0.002 x weighted rps, 0.01, 1), configurable', () => {
    assert.equal(sampleRatio(0), 1);
    assert.equal(sampleRatio(250), 1);
    assert.ok(Math.abs(sampleRatio(300) - 0.9) < 1e-12);
    assert.ok(Math.abs(sampleRatio(500) - 0.5) < 1e-12);
    assert.ok(Math.abs(sampleRatio(700) - 0.1) < 1e-12);
    assert.equal(sampleRatio(800), 0.01);
    assert.equal(sampleRatio(Number.NaN), 1);
    const own = { intercept: 1, slope: 0.01, min: 0.05, max: 0.5 };
    assert.equal(sampleRatio(100, own), 0.05);
    assert.equal(sampleRatio(10, own), 0.5);
    assert.ok(Math.abs(sampleRatio(60, own) - 0.4) < 1e-12);
    assert.throws(() => new AdaptiveSampler({ total: () => 0, min: 0.5, max: 0.1 }), /0 <= min <= max <= 1/);
    assert.throws(() => new AdaptiveSampler({}), /pass \{ sdk \}/);
    // The trace's position is its 52 low bits: at 0.5, below 2^51 is sampled, from 2^51 on not.
    const half = new AdaptiveSampler({ total: () => 0, min: 0.5, max: 0.5 });
    const decide = (id: string) => half.shouldSample(undefined, id).decision;
    assert.equal(decide('ffffffffffffffffffff7ffffffffffff'.slice(-32)), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide('0000000000000000000' + '8000000000000'), SamplingDecision.RECORD);
    assert.equal(decide('0000000000000000000' + '7FFFFFFFFFFFF'), SamplingDecision.RECORD_AND_SAMPLED, 'upper-case hex');
  });

  it('the weighted rate spans the last window and starts afresh when the counter resets', () => {
    const r = new WeightedRate(10_000);
    for (let t = 0; t <= 20; t++) r.add(t * 1000, t < 10 ? t * 100 : 1000 + (t - 10) * 500);
    assert.equal(r.perSecond(), 500); // 10..20 s: 500/s; the 100/s before is out of the window
    r.add(21_000, 3);
    r.add(22_000, 13);
    assert.equal(r.perSecond(), 10);
  });

  it('follows the formula at 3 load levels (weighted rps through the recorder), in ratio and in sampled share', async () => {
    const sdk = instrumentForTest(CONTRACT);
    let reads = 0;
    const sampler: AdaptiveSampler = new AdaptiveSampler({
      sdk, now: () => traffic.now, windowMs: 10_000,
      total: () => {
        reads++;
        return weightedTotal(sdk);
      },
    });
    const traffic = new Traffic(sdk, sampler);
    const t = tracer(sampler);
    assert.equal(sampler.ratio, 1, 'idle: every trace');

    const N = 20_000;
    const rows: string[] = [];
    for (const [wrps, expected] of [[300, 0.9], [500, 0.5], [700, 0.1], [800, 0.01]] as const) {
      await traffic.run(wrps, 12); // more than a window at this level
      assert.ok(Math.abs(sampler.weightedRps - wrps) < 1e-6, `weighted rps ${sampler.weightedRps}, sent ${wrps}`);
      assert.ok(Math.abs(sampler.ratio - expected) < 1e-9, `at ${wrps} weighted rps the ratio is ${sampler.ratio}, the formula says ${expected}`);
      assert.ok(Math.abs((await metricValue(sdk.registry, 'sloctl_trace_sample_ratio'))! - expected) < 1e-9, 'the gauge says the ratio');
      const share = sampledShare(t, N);
      const tolerance = 4.5 * Math.sqrt((expected * (1 - expected)) / N);
      rows.push(`${wrps} wrps: ratio ${sampler.ratio.toFixed(4)}, sampled ${share.toFixed(4)} of ${N} (±${tolerance.toFixed(4)})`);
      assert.ok(Math.abs(share - expected) <= tolerance, rows.at(-1));
    }
    console.log(`# ${rows.join('\n# ')}`);

    // Readings are lazy and at most one per step: 80,000 span starts within one fake second read nothing more.
    const before = reads;
    sampledShare(t, 1000);
    await sampler.refresh();
    assert.equal(reads, before);
    traffic.now += 1000;
    sampledShare(t, 10);
    await sampler.refresh();
    assert.equal(reads, before + 1);

    // The decision is the trace's: the same trace id always gets the same answer at one ratio.
    const id = '0af7651916cd43dd8448eb211c80319c';
    const first = sampler.shouldSample(undefined, id).decision;
    for (let i = 0; i < 10; i++) assert.equal(sampler.shouldSample(undefined, id).decision, first);
    await t.provider.shutdown();
  });

  describe('errors are always kept', () => {
    async function busy() {
      const sdk = instrumentForTest(CONTRACT);
      const sampler: AdaptiveSampler = new AdaptiveSampler({ sdk, now: () => traffic.now });
      const traffic = new Traffic(sdk, sampler);
      await traffic.run(1000, 12);
      assert.equal(sampler.ratio, 0.01);
      return { sdk, sampler };
    }

    it('a span that starts as an error (a 5xx, or sloctl.keep) is sampled, at 1%', async () => {
      const { sampler } = await busy();
      const t = tracer(sampler);
      for (let i = 0; i < 2000; i++) {
        const span = t.tracer.startSpan('GET /products/:id', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 500 + (i % 4) } });
        assert.equal(span.spanContext().traceFlags & 1, 1);
        span.end();
      }
      for (let i = 0; i < 100; i++) t.tracer.startSpan('x', { attributes: { 'sloctl.keep': true } }).end();
      assert.equal(t.exporter.getFinishedSpans().length, 2100);
      assert.equal(sampler.shouldSample(undefined, 'f'.repeat(32), 'x', 1, { 'http.status_code': '503' }).decision, SamplingDecision.RECORD_AND_SAMPLED);
      await t.provider.shutdown();
    });

    it('a span that ends as an error, a 5xx, marked, or slow is exported through KeepSpanProcessor; the rest at the ratio', async () => {
      const { sdk, sampler } = await busy();
      const t = tracer(sampler, (p) => new KeepSpanProcessor(p, { sdk }) as unknown as SpanProcessor);
      // Counts what the ratio left out at the start (what the processor has to rescue), by reason.
      const rescues = { error: 0, marked: 0, slow: 0, none: 0 };
      const start = (reason: keyof typeof rescues, name: string, opts: SpanOptions = {}) => {
        const span = t.tracer.startSpan(name, { kind: SpanKind.SERVER, ...opts });
        if ((span.spanContext().traceFlags & 1) === 0) rescues[reason]++;
        return span;
      };
      const n = 2000;
      for (let i = 0; i < n; i++) {
        const span = start('error', 'POST /orders');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'payments down' });
        span.end();
      }
      for (let i = 0; i < n; i++) {
        const span = start('error', 'GET /orders');
        span.setAttribute('http.response.status_code', 503);
        span.end();
      }
      for (let i = 0; i < 100; i++) {
        const span = start('marked', 'fallback', { kind: SpanKind.INTERNAL });
        keepSpan(span);
        span.end();
      }
      const spans = t.exporter.getFinishedSpans();
      assert.equal(spans.length, 2 * n + 100, 'every error and marked span exported');
      assert.ok(rescues.error > 0.95 * 2 * n, `${rescues.error} of ${2 * n} errors were not sampled at their start`);
      assert.ok(spans.every((s) => (s.spanContext().traceFlags & 1) === 1), 'exported as sampled');
      assert.equal(spans.filter((s) => s.status.code === SpanStatusCode.ERROR).length, n, 'the spans themselves (status, attributes) went through');

      // Slow: over the route's own threshold (POST /orders: 300 ms), or the general 200 ms.
      t.exporter.reset();
      const ago = (ms: number) => Date.now() - ms;
      const server = (reason: keyof typeof rescues, route: string, method: string, ms: number) => start(reason, `${method} ${route}`, {
        startTime: ago(ms), attributes: { 'http.route': route, 'http.request.method': method },
      });
      for (let i = 0; i < 50; i++) server('slow', '/orders', 'POST', 400).end();
      let fastOrders = 0;
      for (let i = 0; i < 50; i++) {
        const s = server('none', '/orders', 'POST', 250); // not slow (300 ms on this route)
        if (s.spanContext().traceFlags & 1) fastOrders++; // sampled by the ratio anyway
        s.end();
      }
      for (let i = 0; i < 50; i++) server('slow', '/products/:id', 'GET', 250).end();
      const slow = t.exporter.getFinishedSpans();
      assert.equal(slow.length, 100 + fastOrders, `slow spans: ${slow.map((s) => s.name).join(', ')}`);
      assert.equal(await metricValue(sdk.registry, 'sloctl_trace_spans_kept_total', { reason: 'error' }), rescues.error);
      assert.equal(await metricValue(sdk.registry, 'sloctl_trace_spans_kept_total', { reason: 'slow' }), rescues.slow);
      assert.equal(await metricValue(sdk.registry, 'sloctl_trace_spans_kept_total', { reason: 'marked' }), rescues.marked);
      assert.ok(rescues.slow > 90, `${rescues.slow}`);

      // Plain, fast, successful spans: about 1% (they are recorded, not sampled, and dropped).
      t.exporter.reset();
      for (let i = 0; i < 20_000; i++) t.tracer.startSpan('GET /products/:id', { kind: SpanKind.SERVER }).end();
      const share = t.exporter.getFinishedSpans().length / 20_000;
      assert.ok(Math.abs(share - 0.01) <= 4.5 * Math.sqrt(0.01 * 0.99 / 20_000), `share ${share}`);
      await t.provider.shutdown();
    });

    it('inside ParentBasedSampler({ root, localParentNotSampled }): a failing child of an unsampled request is exported', async () => {
      const { sdk, sampler } = await busy();
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        sampler: new ParentBasedSampler({ root: sampler, localParentNotSampled: sampler }),
        spanProcessors: [new KeepSpanProcessor(new SimpleSpanProcessor(exporter), { sdk }) as unknown as SpanProcessor],
      });
      const tr = provider.getTracer('parent-based');
      let unsampledParents = 0;
      for (let i = 0; i < 500; i++) {
        const parent = tr.startSpan('GET /orders', { kind: SpanKind.SERVER });
        if ((parent.spanContext().traceFlags & 1) === 0) unsampledParents++;
        const child = tr.startSpan('SELECT orders', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), parent));
        child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
        child.end();
        parent.end();
      }
      const children = exporter.getFinishedSpans().filter((s) => s.name === 'SELECT orders');
      assert.equal(children.length, 500, 'every failing child exported');
      assert.ok(unsampledParents > 450, `${unsampledParents} of 500 requests were not sampled`);
      await provider.shutdown();
    });

    it('without KeepSpanProcessor a late error is lost, and unsampled: drop records nothing (why both exist)', async () => {
      const { sampler } = await busy();
      const t = tracer(sampler);
      for (let i = 0; i < 1000; i++) {
        const span = t.tracer.startSpan('GET /orders', { kind: SpanKind.SERVER });
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      assert.ok(t.exporter.getFinishedSpans().length < 50, 'a plain processor exports only what the head decision sampled');
      await t.provider.shutdown();
      const clock = { now: 0 };
      const drop = new AdaptiveSampler({ total: () => clock.now * 10, now: () => clock.now, unsampled: 'drop' }); // 10,000 rps
      drop.shouldSample(undefined, 'f'.repeat(32));
      clock.now = 20_000;
      drop.shouldSample(undefined, 'f'.repeat(32));
      assert.equal(drop.ratio, 0.01);
      assert.equal(drop.shouldSample(undefined, 'f'.repeat(32)).decision, SamplingDecision.NOT_RECORD);
      assert.equal(sampler.shouldSample(undefined, 'f'.repeat(32)).decision, SamplingDecision.RECORD);
      assert.equal(sampler.shouldSample(undefined, '0'.repeat(31) + '1').decision, SamplingDecision.RECORD_AND_SAMPLED);
    });
  });
});
