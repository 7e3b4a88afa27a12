// The SDK's pure core: classification, bucket choice, the health composite, the recent window
// and template matching. Worked examples plus fast-check properties.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorClass } from '../src/contract/schema.ts';
import { ERROR_CLASS_DEFAULTS } from '../src/contract/schema.ts';
import {
  chooseBuckets, Classifier, composeHealth, DEFAULT_BUCKETS_MS, errorChain, latencyThresholds, RecentWindow, templateMatcher,
  type HealthPolicy,
} from 'sloctl/sdk';
import { methodIndex, METHODS, statusClassIndex, STATUS_CLASSES } from '../src/sdk/core/labels.ts';
import { instrumentForTest } from 'sloctl/sdk/testing';

const CHECKOUT_CLASSES: ErrorClass[] = [
  { name: 'transient', weight: 0.3, status: [429, 503, 504], errors: ['TimeoutError', 'AbortError', 'PaymentsUnavailableError'], codes: ['ECONNRESET', 'ETIMEDOUT'], good: false },
  { name: 'not-found', weight: 0, status: [404], good: true },
  { name: 'client', weight: 1, status: ['4xx'], good: false },
  { name: 'server', weight: 2.5, status: ['5xx'], errors: ['DeadlockError'], good: false },
];

class DbError extends Error {}
class DeadlockError extends DbError {}
class PaymentsUnavailableError extends Error {
  override name = 'PaymentsUnavailableError';
}

describe('sdk core: classification', () => {
  const c = new Classifier(CHECKOUT_CLASSES);

  it('statuses: first class wins, good classes weigh 0, the rest is none or unclassified', () => {
    assert.deepEqual(c.classifyStatus(200), { class: 'none', weight: 0, good: true });
    assert.deepEqual(c.classifyStatus(404), { class: 'not-found', weight: 0, good: true });
    assert.deepEqual(c.classifyStatus(400), { class: 'client', weight: 1, good: false });
    assert.deepEqual(c.classifyStatus(429), { class: 'transient', weight: 0.3, good: false });
    assert.deepEqual(c.classifyStatus(500), { class: 'server', weight: 2.5, good: false });
    assert.deepEqual(c.classifyStatus(503), { class: 'transient', weight: 0.3, good: false });
    assert.equal(new Classifier([]).classifyStatus(502).class, 'unclassified');
    assert.equal(new Classifier([]).classifyStatus(418).class, 'none');
    assert.equal(c.classifyStatus(999).class, 'unclassified');
    assert.equal(c.classifyStatus(-1).class, 'none');
  });

  it('status ranges "500-504" and classes "5xx"', () => {
    const r = new Classifier([{ name: 'gateway', weight: 0.5, status: ['502-504'], good: false }, { name: 'other', weight: 2, status: ['5xx'], good: false }]);
    assert.equal(r.classifyStatus(501).class, 'other');
    assert.equal(r.classifyStatus(502).class, 'gateway');
    assert.equal(r.classifyStatus(504).class, 'gateway');
    assert.equal(r.classifyStatus(505).class, 'other');
  });

  it('errors: along the cause chain, like errors.Is', () => {
    const wrapped = new Error('order failed', { cause: new Error('charge failed', { cause: new PaymentsUnavailableError('down') }) });
    assert.deepEqual(c.classifyError(wrapped), { class: 'transient', weight: 0.3, good: false });
    assert.equal(c.classifyError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) })).class, 'transient');
    assert.equal(c.classifyError(new DOMException('timed out', 'TimeoutError')).class, 'transient');
  });

  it('errors: by class and any class it extends, like errors.As', () => {
    assert.equal(c.classifyError(new DeadlockError('dl')).class, 'server');
    const byBase = new Classifier([{ name: 'db', weight: 2, errors: ['DbError'], good: false }]);
    assert.equal(byBase.classifyError(new DeadlockError('dl')).class, 'db');
  });

  it('errors: AggregateError members, and a status carried by the error', () => {
    const agg = new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })]);
    assert.equal(c.classifyError(agg).class, 'transient');
    assert.equal(c.classifyError(Object.assign(new Error('nf'), { status: 404 })).class, 'not-found');
    assert.equal(c.classifyError(Object.assign(new Error('bad'), { statusCode: 422 })).class, 'client');
  });

  it('errors: class order decides when several match (first match wins)', () => {
    const both = new Error('x', { cause: new DeadlockError('dl') });
    (both as { code?: string }).code = 'ECONNRESET';
    assert.equal(c.classifyError(both).class, 'transient');
  });

  it('errors with the response status: the status is evidence too', () => {
    assert.equal(c.classes[c.errorIndex(new Error('plain'), 500)].class, 'server');
    assert.equal(c.classes[c.errorIndex(new Error('plain'))].class, 'unclassified');
    assert.equal(c.classes[c.errorIndex(new PaymentsUnavailableError('p'), 500)].class, 'transient');
  });

  it('an abandoned request is classified as AbortError/ECONNRESET, else "aborted"', () => {
    assert.equal(c.classes[c.aborted].class, 'transient');
    const bare = new Classifier([{ name: 'server', weight: 2.5, status: ['5xx'], good: false }]);
    assert.deepEqual(bare.classes[bare.aborted], { class: 'aborted', weight: 0, good: false });
  });

  it('cycles, depth and non-errors are safe', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(errorChain(a).length, 2);
    assert.equal(c.classifyError(a).class, 'unclassified');
    let deep: unknown = new PaymentsUnavailableError('deep');
    for (let i = 0; i < 100; i++) deep = new Error(`level ${i}`, { cause: deep });
    assert.equal(c.classifyError(deep).class, 'unclassified', 'beyond MAX_CHAIN the cause is not seen');
    for (const v of [undefined, null, 'string', 42, Symbol('s'), {}, [], () => 1]) assert.equal(c.classifyError(v).class, 'unclassified');
  });

  it('property: classifyError never throws and always answers one of the classes', () => {
    const names = new Set(c.classes.map((x) => x.class));
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (v) => {
      assert.ok(names.has(c.classifyError(v).class));
      const withCause = new Error('w', { cause: v });
      assert.ok(names.has(c.classifyError(withCause).class));
    }), { numRuns: 2000 });
  });

  it('the defaults are the seed article\'s: transient 0.3, client 1.0, server 2.5', () => {
    const d = new Classifier(ERROR_CLASS_DEFAULTS as ErrorClass[]);
    assert.deepEqual([429, 404, 500].map((s) => [d.classifyStatus(s).class, d.classifyStatus(s).weight]), [['transient', 0.3], ['client', 1], ['server', 2.5]]);
  });
});

describe('sdk core: labels', () => {
  it('methods outside the standard seven are "other"; statuses map to classes', () => {
    assert.equal(METHODS[methodIndex('GET')], 'GET');
    for (const m of ['PROPFIND', 'get', 'FOO', '', undefined]) assert.equal(METHODS[methodIndex(m)], 'other');
    assert.deepEqual([100, 204, 302, 404, 503, 99, 600].map((s) => STATUS_CLASSES[statusClassIndex(s)]), ['1xx', '2xx', '3xx', '4xx', '5xx', 'other', 'other']);
  });
});

describe('sdk core: buckets', () => {
  it('every contract threshold is a boundary, with the defaults around them', () => {
    const b = chooseBuckets([50, 200, 300, 400]);
    for (const t of [50, 200, 300, 400]) assert.ok(b.includes(t), `${t} ms`);
    assert.ok(b.includes(5) && b.includes(10_000));
    assert.deepEqual(b, [...b].sort((x, y) => x - y));
  });

  it('reads thresholds from objectives, percentiles, routes, drills and drift signals', () => {
    const sdk = instrumentForTest(new URL('../examples/checkout/slo.yaml', import.meta.url));
    assert.deepEqual(latencyThresholds(sdk.contract), [50, 200, 300, 400, 500]);
    for (const s of [0.05, 0.2, 0.3, 0.4, 0.5]) assert.ok(sdk.buckets.includes(s), `${s} s`);
  });

  it('property: thresholds always kept, ascending, bounded in number, top >= 2x the largest', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 120_000 }), { maxLength: 12 }), (ts) => {
      const b = chooseBuckets(ts);
      for (const t of ts) assert.ok(b.includes(t));
      for (let i = 1; i < b.length; i++) assert.ok(b[i] > b[i - 1]);
      if (ts.length > 0) assert.ok(b[b.length - 1] >= 2 * Math.max(...ts));
      assert.ok(b.length <= DEFAULT_BUCKETS_MS.length + 3 * new Set(ts).size + 1);
    }));
  });
});

describe('sdk core: health composite', () => {
  const policy: HealthPolicy = { weights: { health: 0.3, latency: 0.25, success: 0.25, dependencies: 0.2 }, latencyObjective: 0.99, successObjective: 0.995, minRequests: 20, downBelow: 0.5 };
  const recent = (total: number, fast: number, weightedErrors: number) => ({ total, fast, weightedErrors, spanMs: 30_000 });
  const dep = (state: 'up' | 'down' | 'unknown', critical = true) => ({ name: 'payments', critical, state });

  it('all well: UP, 1', () => {
    const h = composeHealth({ live: true, recent: recent(100, 100, 0), dependencies: [dep('up')] }, policy);
    assert.deepEqual([h.status, h.availability], ['UP', 1]);
  });

  it('a critical dependency down: DEGRADED, 0.8 (the seed article\'s weights)', () => {
    const h = composeHealth({ live: true, recent: recent(100, 100, 0), dependencies: [dep('down')] }, policy);
    assert.deepEqual([h.status, h.availability, h.checks.dependencies.status], ['DEGRADED', 0.8, 'DOWN']);
  });

  it('a non-critical dependency down is reported but costs nothing', () => {
    const h = composeHealth({ live: true, recent: recent(100, 100, 0), dependencies: [dep('down', false)] }, policy);
    assert.deepEqual([h.status, h.availability], ['UP', 1]);
    assert.equal(h.checks.dependencies.details.payments.status, 'DOWN');
  });

  it('latency, success and dependencies all failing: DOWN below 0.5', () => {
    const h = composeHealth({ live: true, recent: recent(100, 50, 10), dependencies: [dep('down')] }, policy);
    assert.deepEqual([h.status, h.availability], ['DOWN', 0.3]);
  });

  it('not live: DOWN whatever the rest says', () => {
    const h = composeHealth({ live: false, liveReason: 'draining', recent: recent(100, 100, 0), dependencies: [] }, policy);
    assert.deepEqual([h.status, h.availability, h.checks.liveness.reason], ['DOWN', 0.7, 'draining']);
  });

  it('too few requests: UNKNOWN, not counted against the service', () => {
    const h = composeHealth({ live: true, recent: recent(5, 0, 5), dependencies: [dep('unknown')] }, policy);
    assert.deepEqual([h.checks.latency.status, h.checks.success.status, h.checks.dependencies.status, h.status], ['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UP']);
  });

  // 1 slow request of 20 at 99% is what a service meeting 99% shows 18% of the time: health answered
  // DEGRADED (503 by default: out of the load balancer) on it. A check below its objective now goes
  // DOWN only past the 95% bound of what the objective gives by chance (interval-miss.ts).
  const at99: HealthPolicy = { ...policy, latencyObjective: 0.99, successObjective: 0.99 };
  const errs = (total: number, fast: number, errors: number, weight: number) => ({ total, fast, weightedErrors: errors * weight, errors, spanMs: 30_000 });

  it('1 slow request of 20 at 99%: latency below its objective by noise, UNKNOWN (scores 1), health UP, not DEGRADED', () => {
    const h = composeHealth({ live: true, recent: recent(20, 19, 0), dependencies: [] }, at99);
    assert.deepEqual([h.checks.latency.status, h.checks.latency.score, h.checks.latency.ratio, h.status, h.availability], ['UNKNOWN', 1, 0.95, 'UP', 1]);
    // 99% gives up to 0.2 + 1.645·√0.198 + 0.5 = 1.43 slow ones in 20 by chance.
    assert.deepEqual(h.checks.latency.withinNoise, { bad: 1, upTo: 1 });
  });

  it('one 500 (weight 2.5) of 20 at 99%: success below by noise, UNKNOWN; counted once against 99% / 2.5', () => {
    const h = composeHealth({ live: true, recent: errs(20, 20, 1, 2.5), dependencies: [] }, at99);
    assert.deepEqual([h.checks.success.status, h.checks.success.ratio, h.status], ['UNKNOWN', 0.875, 'UP']);
    assert.deepEqual(h.checks.success.withinNoise, { bad: 1, upTo: 1 });
  });

  it('a real violation still goes DOWN: 2 slow of 20 at 99% (1.7% likely if it were met), 2 server errors of 20, 30 slow of 1,000', () => {
    assert.equal(composeHealth({ live: true, recent: recent(20, 18, 0), dependencies: [] }, at99).checks.latency.status, 'DOWN');
    const two500 = composeHealth({ live: true, recent: errs(20, 20, 2, 2.5), dependencies: [] }, at99);
    assert.deepEqual([two500.checks.success.status, two500.status], ['DOWN', 'DEGRADED']);
    assert.equal(composeHealth({ live: true, recent: recent(1000, 970, 0), dependencies: [] }, at99).checks.latency.status, 'DOWN');
  });

  it('an outage goes DOWN at minRequests as before: every one of 20 requests failing and slow, a critical dependency down: DOWN', () => {
    const h = composeHealth({ live: true, recent: errs(20, 0, 20, 2.5), dependencies: [dep('down')] }, at99);
    assert.deepEqual([h.checks.latency.status, h.checks.success.status, h.status, h.availability], ['DOWN', 'DOWN', 'DOWN', 0.3]);
    // Every request bad is DOWN whatever the objective's bound (at 10%, 20 of 20 are within it).
    const loose = composeHealth({ live: true, recent: recent(20, 0, 0), dependencies: [] }, { ...at99, latencyObjective: 0.1 });
    assert.equal(loose.checks.latency.status, 'DOWN');
  });

  it('a failing signal weighted 0 changes nothing', () => {
    const h = composeHealth({ live: true, recent: recent(100, 0, 0), dependencies: [] }, { ...policy, weights: { health: 0.5, latency: 0, success: 0.5, dependencies: 0 } });
    assert.deepEqual([h.status, h.availability, h.checks.latency.status], ['UP', 1, 'DOWN']);
  });

  it('property: availability is 1 - the weights of the failing signals, in [0, 1]', () => {
    fc.assert(fc.property(
      fc.boolean(), fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }),
      fc.constantFrom<'up' | 'down' | 'unknown'>('up', 'down', 'unknown'),
      (live, total, fastShare, errShare, state) => {
        const h = composeHealth({ live, recent: recent(total, Math.floor(total * fastShare), total * errShare), dependencies: [dep(state)] }, policy);
        const lost = (live ? 0 : 0.3) + (h.checks.latency.score ? 0 : 0.25) + (h.checks.success.score ? 0 : 0.25) + (state === 'down' ? 0.2 : 0);
        assert.ok(Math.abs(h.availability - (1 - lost)) < 1e-9);
        assert.ok(h.availability >= 0 && h.availability <= 1);
        assert.equal(h.status === 'UP', live && lost === 0);
      },
    ));
  });
});

describe('sdk core: recent window', () => {
  it('counts within the window and forgets what is older', () => {
    const w = new RecentWindow(10_000, 10, 0);
    w.record(100, true, 0);
    w.record(5_500, false, 2.5);
    assert.deepEqual(w.totals(9_000), { total: 2, fast: 1, weightedErrors: 2.5, errors: 1, spanMs: 9_000 });
    assert.equal(w.totals(10_500).total, 1, 'the first slot has rotated out');
    assert.equal(w.totals(60_000).total, 0, 'everything forgotten after a long gap');
  });

  it('property: agrees with a naive model over slot-aligned windows', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2_000 }), fc.boolean(), fc.constantFrom(0, 0.3, 1, 2.5)), { maxLength: 200 }), (steps) => {
      const w = new RecentWindow(10_000, 10, 0);
      let now = 0;
      const events: Array<[number, boolean, number]> = [];
      for (const [dt, fast, weight] of steps) {
        now += dt;
        w.record(now, fast, weight);
        events.push([now, fast, weight]);
      }
      // The window covers the current 1 s slot and the nine before it.
      const from = Math.floor(now / 1000) * 1000 - 9_000;
      const kept = events.filter(([t]) => t >= from);
      const got = w.totals(now);
      assert.equal(got.total, kept.length);
      assert.equal(got.fast, kept.filter((e) => e[1]).length);
      assert.ok(Math.abs(got.weightedErrors - kept.reduce((a, e) => a + e[2], 0)) < 1e-9);
      assert.equal(got.errors, kept.filter((e) => e[2] > 0).length);
    }));
  });
});

describe('sdk core: template matching (node:http adapter)', () => {
  it('matches templates without regular expressions; literal segments win over parameters', () => {
    const m = templateMatcher(['/orders', '/orders/:id', '/orders/latest', '/products/:id', '/files/*']);
    assert.equal(m('/orders?limit=5'), '/orders');
    assert.equal(m('/orders/latest'), '/orders/latest');
    assert.equal(m('/orders/42'), '/orders/:id');
    assert.equal(m('/files/a/b/c'), '/files/*');
    for (const miss of ['/orders/', '/products/', '/products/1/2', '/x', '', 'orders']) assert.equal(m(miss), undefined, miss);
  });

  it("a Go ServeMux subtree written /products/* (sloctl init) takes everything under it, as the Go middleware's Matcher does (go/sloctl TestMatcherSubtree)", () => {
    const cases: Array<[string[], string, string | undefined]> = [
      [['/products/*'], '/products/', '/products/*'],
      [['/products/*'], '/products/42', '/products/*'],
      [['/products/*'], '/products/42/x', '/products/*'],
      [['/products/*'], '/products', '/products/*'], // ServeMux redirects it: counted there, as a 3xx
      [['/products/*'], '/productsX', undefined],
      [['/products/*'], '/other/products/42', undefined],
      [['/products/*', '/products'], '/products', '/products'],
      [['/products/*', '/products/:id'], '/products/42', '/products/:id'],
      [['/products/*', '/products/:id'], '/products/42/x', '/products/*'],
    ];
    for (const [templates, path, want] of cases) assert.equal(templateMatcher(templates)(path), want, `${templates.join(', ')}: ${path}`);
  });
});
