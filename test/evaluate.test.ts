import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { BadTotalWindow, EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';

function contract(yaml: string): Contract {
  const l = parseContract(yaml, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  assert.deepEqual(l.diagnostics.filter((d) => d.severity === 'error'), []);
  return l.contract;
}

const SHOP = `apiVersion: sloctl/v1
service: { name: shop }
window: 1h
bucket: 1m
scrapeInterval: 15s
routes:
  - { name: orders, method: POST, path: /orders, latency: 300ms }
  - { name: product, method: GET, path: /products/:id }
objectives:
  latency:
    - name: api-latency
      threshold: 200ms
      objective: 99%
      percentiles: { p95: 250ms }
  errors:
    objective: 99%
`;

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

/** One scrape's exposition, as samples: cumulative histogram per route, requests per class. */
function scrape(p: { product: [number, number, number]; orders: [number, number, number]; classes: Record<string, number>; start?: number }): IngestSample[] {
  const out: IngestSample[] = [];
  const hist = (method: string, route: string, [le02, le03, count]: [number, number, number]) => {
    for (const [le, v] of [['0.1', Math.floor(le02 / 2)], ['0.2', le02], ['0.3', le03], ['+Inf', count]] as const) {
      out.push({ name: 'http_server_request_duration_seconds_bucket', labels: { method, route, le }, value: v, type: 'histogram' });
    }
    out.push({ name: 'http_server_request_duration_seconds_count', labels: { method, route }, value: count, type: 'histogram' });
  };
  hist('GET', '/products/:id', p.product);
  hist('POST', '/orders', p.orders);
  for (const [cls, v] of Object.entries(p.classes)) out.push({ name: 'http_server_requests_total', labels: { error_class: cls }, value: v, type: 'counter' });
  out.push({ name: 'process_start_time_seconds', labels: {}, value: p.start ?? 1000, type: 'gauge' });
  return out;
}

describe('contract -> definitions', () => {
  it('mirrors the generated rules: per-route thresholds, scopes, weights, tiers', () => {
    const defs = defineSlos(contract(SHOP));
    assert.deepEqual(defs.map((d) => [d.name, d.kind]), [['api-latency', 'latency'], ['errors', 'errors']]);
    const lat = defs[0].source;
    assert.equal(lat.kind, 'latency');
    if (lat.kind !== 'latency') return;
    assert.deepEqual(lat.groups.map((g) => [g.thresholdSeconds, g.routes]), [[0.2, 'all other routes'], [0.3, 'orders']]);
    // Everything but POST /orders is good at 200ms; POST /orders at 300ms.
    // Each alternative keeps to the requests that reached a route (route!="unmatched"; sli-scope.ts).
    const reached = { name: 'route', op: '!=', value: 'unmatched' };
    assert.deepEqual(lat.groups[0].scope, [[{ name: 'method', op: '!=', value: 'POST' }, reached], [{ name: 'method', op: '=', value: 'POST' }, { name: 'route', op: '!=', value: '/orders' }, reached]]);
    assert.deepEqual(lat.groups[1].scope, [[{ name: 'method', op: '=', value: 'POST' }, { name: 'route', op: '=', value: '/orders' }]]);
    const err = defs[1].source;
    assert.equal(err.kind, 'errors');
    if (err.kind !== 'errors') return;
    // The contract's classes, then the classifier's built-in ones that weigh (src/contract/classify.ts).
    assert.deepEqual([...err.weights], [['transient', 0.3], ['client', 1], ['server', 2.5], ['unclassified', 1], ['shed', 0.3]]);
    // A 1h window scales the workbook's tiers to 1m windows (the bucket), keeping the thresholds.
    assert.deepEqual(defs[0].tiers.map((t) => [t.name, t.burnRate, t.longMs, t.shortMs]), [
      ['page-1m', 14.4, 60_000, 60_000], ['page-1m-1m', 6, 60_000, 60_000], ['ticket-2m', 3, 120_000, 60_000], ['ticket-6m', 1, 360_000, 60_000],
    ]);
  });

  it('takes tiers and windows from the contract', () => {
    const defs = defineSlos(contract(`apiVersion: sloctl/v1
service: { name: s }
window: { calendar: month, timeZone: Europe/Berlin }
objectives:
  errors:
    objective: 99.5%
    budgeting: Timeslices
    alerting:
      page: [{ burnRate: 10, long: 1h, short: 5m }]
      ticket: false
slis:
  - { name: c, good: 'sum(rate(a[$window]))', total: 'sum(rate(b[$window]))', objective: 95% }
`));
    assert.deepEqual(defs[0].window, { kind: 'calendar', calendar: 'month', timeZone: 'Europe/Berlin' });
    assert.equal(defs[0].budgeting, 'Timeslices');
    assert.deepEqual(defs[0].tiers.map((t) => [t.name, t.burnRate, t.longMs, t.shortMs]), [['page-1h', 10, 3_600_000, 300_000]]);
    assert.equal(defs[1].kind, 'custom');
  });
});

describe('embedded evaluation', () => {
  it('counts good/total per scrape interval, with hand-checked numbers', () => {
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defineSlos(contract(SHOP)));
    ev.attach(store);
    store.ingest({ at: T0, samples: scrape({ product: [95, 98, 100], orders: [5, 9, 10], classes: { none: 105, server: 3, client: 2 } }) });
    // Only baselines so far: no interval is known yet.
    let [lat, err] = ev.evaluate(T0 + 1);
    assert.equal(lat.state, 'unknown');
    assert.equal(lat.counts.bucketsWithData, 0);
    assert.match(lat.explain.join('\n'), /UNKNOWN \(no data in the window; a gap is never counted as good\)/);

    // +100 GET (95 within 200ms), +10 POST /orders (9 within its own 300ms); +100 none, +2 server,
    // +4 client, and a transient series appearing for the first time: absent from the previous
    // scrape of the same process, so it was 0 then and all 10 count (not lost as a baseline).
    store.ingest({ at: T0 + 15_000, samples: scrape({ product: [190, 196, 200], orders: [10, 18, 20], classes: { none: 205, server: 5, client: 6, transient: 10 } }) });
    [lat, err] = ev.evaluate(T0 + 15_001);
    assert.deepEqual([lat.counts.total, lat.counts.bad, lat.counts.good], [110, 6, 104]);
    assert.equal(lat.current, 104 / 110);
    assert.equal(lat.state, 'failing');
    assert.deepEqual([lat.budget!.allowed, lat.budget!.consumed], [110 - 0.99 * 110, 6]);
    // errors: total 100 + 2 + 4 + 10 = 116; weighted bad = 2 × 2.5 + 4 × 1 + 10 × 0.3 = 12.
    assert.deepEqual([err.counts.total, err.counts.bad], [116, 12]);
    assert.equal(err.current, 1 - 12 / 116);
    assert.ok(Math.abs(err.burnRate - 12 / 116 / 0.01) < 1e-9);
    const text = err.explain.join('\n');
    assert.match(text, /server 2 × 2\.5 = 5/);
    assert.match(text, /client 4 × 1 = 4/);
    assert.match(text, /transient 10 × 0\.3 = 3/);
    assert.match(text, /SLI = 1 - 12 \/ 116 = 89\.6552% \(objective 99%\)/);
    assert.match(text, /budget: allowed = \(1 - 99%\) × 116 = 1\.16 bad requests; spent 12; remaining 1\.16 - 12 = -10\.84/);

    // p95 over the observed interval: 110 observations, rank 104.5; bounds 0.2 (104 = 95 + 5 + ... ).
    const p95 = lat.percentiles[0];
    assert.equal(p95.label, 'p95');
    assert.ok(p95.valueSeconds > 0.2 && p95.valueSeconds <= 0.3, String(p95.valueSeconds));
  });

  it('counts a restarted target from zero, and a failed scrape leaves a gap, not a good bucket', () => {
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defineSlos(contract(SHOP)));
    ev.attach(store);
    store.ingest({ at: T0, samples: scrape({ product: [95, 98, 100], orders: [5, 9, 10], classes: { none: 100 } }) });
    store.ingest({ at: T0 + 60_000, samples: scrape({ product: [190, 196, 200], orders: [10, 18, 20], classes: { none: 200 } }) });
    // Two minutes of nothing (the scrapes failed): the store marks stale, no increment is added.
    store.markAllStale(T0 + 120_000);
    // The target restarted: its counters start again (and it already served 30 + 4 requests).
    store.ingest({ at: T0 + 180_000, restart: true, samples: scrape({ product: [30, 30, 30], orders: [4, 4, 4], classes: { none: 34 }, start: 2000 }) });
    const [lat, err] = ev.evaluate(T0 + 180_001);
    assert.deepEqual([lat.counts.total, lat.counts.bad], [110 + 34, 6]);
    assert.equal(err.counts.total, 100 + 34);
    // Buckets of 1m: T0+1m and T0+3m have data; T0+2m (the failed scrape) is unknown.
    const w = ev.evaluate(T0 + 180_001)[0];
    assert.equal(w.counts.bucketsWithData, 2);
  });

  it('evaluates the burn-rate tiers on the same windows, low traffic as unknown', () => {
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defineSlos(contract(SHOP)));
    ev.attach(store);
    let c = { none: 0, server: 0 };
    const at = (i: number) => T0 + i * 15_000;
    for (let i = 0; i <= 8; i++) {
      // 1000 requests per 15s, 5% server errors from i = 5 on: weighted 12.5% -> burn 12.5x at 99%.
      c = { none: c.none + (i >= 5 ? 950 : 1000), server: c.server + (i >= 5 ? 50 : 0) };
      store.ingest({ at: at(i), samples: scrape({ product: [0, 0, 0], orders: [0, 0, 0], classes: { ...c } }) });
    }
    const err = ev.evaluate(at(8) + 1)[1];
    const byName = Object.fromEntries(err.alerts!.tiers.map((t) => [t.name, t]));
    // A 1m window at 12:02:00.001 is the aligned bucket [12:02, 12:03): only i = 8, at 12.5x.
    // page-1m (14.4x over 1m and 1m): below, OK. page-1m-1m (6x over 1m and 1m): fires.
    assert.equal(byName['page-1m'].status, 'ok');
    assert.ok(Math.abs(byName['page-1m'].long!.burnRate - 12.5) < 1e-9, String(byName['page-1m'].long!.burnRate));
    assert.equal(byName['page-1m-1m'].status, 'firing');
    // ticket-6m (1x over 6m and 1m): the 6m window holds i = 1..8 (i = 0 is a baseline): 4 × 50
    // server errors × 2.5 / 8000 requests / 1% = 6.25x.
    assert.equal(byName['ticket-6m'].status, 'firing');
    assert.ok(Math.abs(byName['ticket-6m'].long!.burnRate - 6.25) < 1e-9, String(byName['ticket-6m'].long!.burnRate));
    assert.equal(err.alerts!.status, 'page');
  });

  it('Timeslices budgeting: slices of one bucket, good when they meet the objective', () => {
    const defs = defineSlos(contract(SHOP.replace('scrapeInterval: 15s', 'scrapeInterval: 15s\nbudgeting: Timeslices')));
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defs);
    ev.attach(store);
    let c = { none: 0, server: 0 };
    // Minute 0: baseline. Minutes 1, 2 good; minute 3 with 1 server error in 100 (2.5% weighted).
    const errorsAt = [0, 0, 0, 1];
    for (let m = 0; m < 4; m++) {
      c = { none: c.none + 100 - errorsAt[m], server: c.server + errorsAt[m] };
      store.ingest({ at: T0 + m * 60_000, samples: scrape({ product: [0, 0, 0], orders: [0, 0, 0], classes: { ...c } }) });
    }
    const err = ev.evaluate(T0 + 3 * 60_000 + 1)[1];
    assert.deepEqual([err.timeslices!.goodSlices, err.timeslices!.badSlices, err.timeslices!.eligibleSlices], [2, 1, 60]);
    assert.equal(err.current, 2 / 3);
    assert.ok(Math.abs(err.budget!.allowed - 0.6) < 1e-12);
    assert.equal(err.budget!.consumed, 1);
  });

  it('a calendar window starts at the local midnight of the 1st, in the contract\'s time zone', () => {
    const defs = defineSlos(contract(`apiVersion: sloctl/v1
service: { name: s }
window: { calendar: month, timeZone: Europe/Berlin }
objectives:
  errors: { objective: 99% }
`));
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defs);
    ev.attach(store);
    // 2025-02-28 23:30 UTC is already March 1st, 00:30 in Berlin: a new month has begun there.
    const feb = Date.UTC(2025, 1, 28, 22, 50);
    const mar = Date.UTC(2025, 1, 28, 23, 30);
    const c = (n: number): IngestSample[] => [{ name: 'http_server_requests_total', labels: { error_class: 'none' }, value: n, type: 'counter' }];
    store.ingest({ at: feb - 60_000, samples: c(0) });
    store.ingest({ at: feb, samples: c(100) });
    store.ingest({ at: mar, samples: c(130) });
    const [err] = ev.evaluate(mar + 1);
    assert.equal(err.window.start, Date.UTC(2025, 1, 28, 23, 0));
    assert.equal(err.window.lengthMs, 31 * 86_400_000 - 3_600_000, 'March in Berlin loses an hour to summer time');
    assert.equal(err.counts.total, 30, 'February\'s 100 requests are not in March');
    assert.match(err.window.label, /^calendar month in Europe\/Berlin \(2025-02-28T23:00:00Z to 2025-03-31T22:00:00Z\)$/);
  });

  it('BadTotalWindow keeps weighted bad above total', () => {
    const w = new BadTotalWindow(60_000, 3_600_000);
    w.add(T0, 25, 10);
    w.add(T0 + 60_000, 0.3, 5);
    const s = w.sum(T0, T0 + 120_000);
    assert.deepEqual([s.bad, s.total, s.bucketsWithData], [25.3, 15, 2]);
    // A difference of prefix sums: weighted (fractional) counts carry rounding of ~1 ulp of the total.
    assert.ok(Math.abs(w.sum(T0 + 60_000, T0 + 120_000).bad - 0.3) < 1e-12);
    assert.ok(Math.abs(s.good - -10.3) < 1e-12);
  });

  it('availability from the SDK gauge, or from its parts', () => {
    const c = contract(`apiVersion: sloctl/v1
service: { name: s }
window: 1h
bucket: 1m
objectives:
  latency: [{ name: lat, threshold: 200ms, objective: 90% }]
  errors: { objective: 90% }
  availability: { objective: 99% }
`);
    const g = (v: number): IngestSample => ({ name: 'sloctl_availability', labels: {}, value: v, type: 'gauge' });
    let store = new SeriesStore();
    let ev = new EmbeddedEvaluator(defineSlos(c));
    ev.attach(store);
    store.ingest({ at: T0, samples: [g(1)] });
    store.ingest({ at: T0 + 15_000, samples: [g(0.75)] });
    let av = ev.evaluate(T0 + 15_001)[2];
    assert.deepEqual([av.counts.total, av.counts.bad], [2, 0.25]);
    assert.equal(av.current, 0.875);

    // Without the gauge: health (0.3) + latency (0.25) + success (0.25) + no dependencies (0.2).
    store = new SeriesStore();
    ev = new EmbeddedEvaluator(defineSlos(c));
    ev.attach(store);
    ev.setHealth(true);
    store.ingest({ at: T0, samples: scrape({ product: [0, 0, 0], orders: [0, 0, 0], classes: { none: 0 } }) });
    store.ingest({ at: T0 + 15_000, samples: scrape({ product: [10, 10, 10], orders: [0, 0, 0], classes: { none: 10 } }) });
    ev.setHealth(false);
    store.ingest({ at: T0 + 30_000, samples: scrape({ product: [10, 10, 20], orders: [0, 0, 0], classes: { none: 20 } }) });
    av = ev.evaluate(T0 + 30_001)[2];
    // Scrape 2: all parts met -> 1. Scrape 3: health down (0.3 lost), latency 0/10 (0.25 lost) -> 0.45.
    assert.deepEqual([av.counts.total, +av.counts.bad.toFixed(12)], [2, 0.55]);
  });
});
