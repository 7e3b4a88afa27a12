import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SeriesStore, compileMatchers, seriesKey, type IngestSample } from '../src/observe/series-store.ts';

const c = (name: string, value: number, labels: Record<string, string> = {}): IngestSample => ({ name, labels, value, type: 'counter' });
const g = (name: string, value: number, labels: Record<string, string> = {}): IngestSample => ({ name, labels, value, type: 'gauge' });

describe('series store', () => {
  it('keys series by name and sorted labels', () => {
    assert.equal(seriesKey('x', { b: '2', a: '1' }), seriesKey('x', { a: '1', b: '2' }));
    assert.notEqual(seriesKey('x', { a: '1' }), seriesKey('y', { a: '1' }));
    // A label value cannot forge a second label.
    assert.notEqual(seriesKey('x', { a: '1\u0000b="2' }), seriesKey('x', { a: '1', b: '2' }));
  });

  it('gives the reset-corrected increase of each counter sample, O(1), like PromQL increase', () => {
    const store = new SeriesStore();
    const incs: number[] = [];
    for (const [t, v] of [[1000, 10], [2000, 15], [3000, 3], [4000, 4]] as const) {
      const r = store.ingest({ at: t, samples: [c('x_total', v)] });
      incs.push(r.updated[0].lastIncrease);
    }
    assert.deepEqual(incs, [0, 5, 3, 1]);
    assert.equal(store.get('x_total', {})!.resets, 1);
  });

  it('counts a known restart from zero even when the counter did not drop', () => {
    const store = new SeriesStore();
    store.ingest({ at: 1000, samples: [c('x_total', 10), g('temp', 5)] });
    store.ingest({ at: 2000, samples: [c('x_total', 15), g('temp', 5)] });
    // The new process counted 20 by the time of the scrape: PromQL would see +5, the truth is +20.
    const r = store.ingest({ at: 3000, samples: [c('x_total', 20), g('temp', 6)], restart: true });
    assert.equal(store.get('x_total', {})!.lastIncrease, 20);
    assert.equal(r.resets, 1);
    assert.equal(store.get('temp', {})!.lastIncrease, 0, 'gauges have no increase');
    store.ingest({ at: 4000, samples: [c('x_total', 22)] });
    assert.equal(store.get('x_total', {})!.lastIncrease, 2);
  });

  it('treats histogram buckets, counts and sums as counters', () => {
    const store = new SeriesStore();
    const h = (name: string, value: number, le?: string): IngestSample => ({ name, labels: le ? { le } : {}, value, type: 'histogram' });
    store.ingest({ at: 1, samples: [h('d_bucket', 1, '0.1'), h('d_bucket', 2, '+Inf'), h('d_count', 2), h('d_sum', 0.3)] });
    store.ingest({ at: 2, samples: [h('d_bucket', 4, '0.1'), h('d_bucket', 7, '+Inf'), h('d_count', 7), h('d_sum', 1.3)] });
    assert.equal(store.get('d_bucket', { le: '0.1' })!.lastIncrease, 3);
    assert.equal(store.get('d_count', {})!.lastIncrease, 5);
    assert.ok(Math.abs(store.get('d_sum', {})!.lastIncrease - 1) < 1e-12);
  });

  it('marks a series missing from a scrape stale, and live again when it returns', () => {
    const store = new SeriesStore();
    store.ingest({ at: 1000, samples: [c('a_total', 1), c('b_total', 1)] });
    const r = store.ingest({ at: 2000, samples: [c('a_total', 2)] });
    assert.deepEqual(r.stale.map((s) => s.name), ['b_total']);
    assert.equal(store.select('b_total', [], { at: 2500 }).length, 0, 'stale: gone from instant lookups');
    assert.equal(store.select('b_total', [], { at: 1500 }).length, 1, 'but present before it went stale');
    assert.equal(store.get('b_total', {})!.samples().length, 1, 'its samples are kept');
    store.ingest({ at: 3000, samples: [c('a_total', 3), c('b_total', 4)] });
    assert.equal(store.select('b_total', [], { at: 3000 }).length, 1);
    assert.equal(store.get('b_total', {})!.lastIncrease, 3, 'the baseline survives staleness');
  });

  it('markAllStale (a failed scrape) keeps every sample', () => {
    const store = new SeriesStore();
    store.ingest({ at: 1000, samples: [c('a_total', 1)] });
    const r = store.markAllStale(2000);
    assert.equal(r.stale.length, 1);
    assert.deepEqual(store.get('a_total', {})!.samples(), [{ t: 1000, v: 1 }]);
  });

  it('selects by label matchers, with anchored regexes as in PromQL', () => {
    const store = new SeriesStore();
    store.ingest({
      at: 1,
      samples: [
        c('r_total', 1, { route: '/orders', method: 'POST' }),
        c('r_total', 1, { route: '/orders/x', method: 'GET' }),
        c('r_total', 1, { route: '/healthz', method: 'GET' }),
      ],
    });
    const routes = (m: Parameters<SeriesStore['select']>[1]) => store.select('r_total', m).map((s) => s.labels.route).sort();
    assert.deepEqual(routes([{ name: 'route', op: '=~', value: '/orders' }]), ['/orders']);
    assert.deepEqual(routes([{ name: 'route', op: '!~', value: '/healthz|/readyz' }]), ['/orders', '/orders/x']);
    assert.deepEqual(routes([{ name: 'method', op: '!=', value: 'GET' }]), ['/orders']);
    assert.deepEqual(routes([{ name: 'missing', op: '=', value: '' }]), ['/healthz', '/orders', '/orders/x'], 'an absent label equals ""');
    assert.throws(() => compileMatchers([{ name: 'a', op: '=~', value: '(' }]), /invalid regex in matcher a=~"\("/);
  });

  it('bounds samples per series with a ring, and counts what it overwrote', () => {
    const store = new SeriesStore({ maxSamplesPerSeries: 4 });
    for (let t = 1; t <= 10; t++) store.ingest({ at: t, samples: [c('x_total', t * 2)] });
    const s = store.get('x_total', {})!;
    assert.deepEqual(s.samples().map((p) => p.t), [7, 8, 9, 10]);
    assert.equal(s.capacity, 4);
    const st = store.stats();
    assert.equal(st.samples, 4);
    assert.equal(st.evictedSamples, 6);
    assert.equal(st.approxBytes, 4 * 16);
    assert.equal(s.lastIncrease, 2, 'increases stay right after wrap-around');
  });

  it('a counter born between two batches of the same process counts from 0, not from a baseline', () => {
    const store = new SeriesStore();
    store.ingest({ at: 1000, samples: [c('req_total', 50, { code: '200' })] });
    // The first 500s happen: promhttp creates the code="500" child on the first one.
    let r = store.ingest({ at: 2000, samples: [c('req_total', 60, { code: '200' }), c('req_total', 3, { code: '500' })] });
    const born = store.get('req_total', { code: '500' })!;
    assert.equal(born.lastIncrease, 3, 'all three 500s count');
    assert.deepEqual(born.samples(), [{ t: 1000, v: 0 }, { t: 2000, v: 3 }]);
    assert.equal(store.get('req_total', { code: '200' })!.samples()[0].v, 50, 'the first batch stays a baseline');
    // A failed scrape: a series born after it is 0 at the last batch that was read, not at the failure.
    store.markAllStale(3000);
    r = store.ingest({ at: 4000, samples: [c('req_total', 70, { code: '200' }), c('req_total', 3, { code: '500' }), c('req_total', 1, { code: '503' })] });
    assert.deepEqual(store.get('req_total', { code: '503' })!.samples(), [{ t: 2000, v: 0 }, { t: 4000, v: 1 }]);
    assert.ok(r.updated.length === 3);
    // A gauge is never given a made-up 0.
    store.ingest({ at: 5000, samples: [{ name: 'inflight', labels: {}, value: 7, type: 'gauge' }] });
    assert.deepEqual(store.get('inflight', {})!.samples(), [{ t: 5000, v: 7 }]);
  });

  it('bounds the series count: evicts the longest-stale series first, else refuses the new one', () => {
    const store = new SeriesStore({ maxSeries: 3 });
    store.ingest({ at: 1, samples: [c('a_total', 1), c('b_total', 1), c('c_total', 1)] });
    let r = store.ingest({ at: 2, samples: [c('a_total', 1), c('b_total', 1), c('c_total', 1), c('d_total', 1)] });
    assert.equal(r.refusedSeries, 1, 'nothing stale: the newcomer is refused, live series are kept');
    assert.equal(store.get('d_total', {}), undefined);
    // c goes stale, then b; a new series evicts c (stale longest).
    store.ingest({ at: 3, samples: [c('a_total', 1), c('b_total', 1)] });
    store.ingest({ at: 4, samples: [c('a_total', 1)] });
    r = store.ingest({ at: 5, samples: [c('a_total', 1), c('e_total', 1)] });
    assert.equal(r.evictedSeries, 1);
    assert.equal(store.get('c_total', {}), undefined);
    assert.ok(store.get('b_total', {}));
    // e_total, born after the first batch, holds its 0 at the previous batch's time and its first sample.
    assert.deepEqual(store.get('e_total', {})!.samples(), [{ t: 4, v: 0 }, { t: 5, v: 1 }]);
    assert.deepEqual({ ...store.stats(), approxBytes: 0 }, {
      series: 3, liveSeries: 2, staleSeries: 1, samples: 5 + 3 + 2, maxSeries: 3, maxSamplesPerSeries: 1000,
      evictedSamples: 0, evictedSeries: 1, refusedSeries: 1, approxBytes: 0,
    });
  });

  it('never holds more than its bounds, whatever arrives (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 100 })), { maxLength: 20 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 2, max: 5 }),
        (scrapes, maxSeries, maxSamples) => {
          const store = new SeriesStore({ maxSeries, maxSamplesPerSeries: maxSamples });
          scrapes.forEach((samples, i) => {
            const r = store.ingest({ at: i + 1, samples: samples.map(([id, v]) => c('m_total', v, { id: String(id) })) });
            for (const s of r.updated) assert.ok(s.lastIncrease >= 0, 'never a negative increase');
          });
          const st = store.stats();
          assert.ok(st.series <= maxSeries);
          assert.ok(st.samples <= maxSeries * maxSamples);
        },
      ),
    );
  });

  it('drops a sample that is not newer than the newest, and a duplicate series in one scrape', () => {
    const store = new SeriesStore();
    store.ingest({ at: 10, samples: [c('x_total', 1)] });
    let r = store.ingest({ at: 10, samples: [c('x_total', 2)] });
    assert.equal(r.outOfOrder, 1);
    r = store.ingest({ at: 11, samples: [c('x_total', 2), c('x_total', 3)] });
    assert.equal(r.outOfOrder, 1);
    assert.deepEqual(store.get('x_total', {})!.samples(), [{ t: 10, v: 1 }, { t: 11, v: 2 }]);
  });

  it('notifies subscribers after each ingest', () => {
    const store = new SeriesStore();
    const seen: number[] = [];
    const off = store.subscribe((r) => seen.push(r.updated.length));
    store.ingest({ at: 1, samples: [c('x_total', 1), g('y', 2)] });
    off();
    store.ingest({ at: 2, samples: [c('x_total', 1)] });
    assert.deepEqual(seen, [2]);
  });

  it('rejects nonsensical bounds', () => {
    assert.throws(() => new SeriesStore({ maxSeries: 0 }), /maxSeries/);
    assert.throws(() => new SeriesStore({ maxSamplesPerSeries: 1 }), /increases need two samples/);
  });
});
