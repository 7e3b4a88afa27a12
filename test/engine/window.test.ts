import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RollingWindow, bucketIndex, bucketStart } from '../../src/engine/index.ts';

const MIN = 60_000;

test('buckets are aligned to UTC multiples of the width', () => {
  assert.equal(bucketIndex(0, MIN), 0);
  assert.equal(bucketIndex(59_999, MIN), 0);
  assert.equal(bucketIndex(60_000, MIN), 1);
  assert.equal(bucketIndex(-1, MIN), -1); // before 1970 still floors
  // 2024-01-01T10:07:31Z falls in the 10:07 minute and the 10:05 five-minute bucket.
  const t = Date.UTC(2024, 0, 1, 10, 7, 31);
  assert.equal(bucketStart(t, MIN), Date.UTC(2024, 0, 1, 10, 7));
  assert.equal(bucketStart(t, 5 * MIN), Date.UTC(2024, 0, 1, 10, 5));
});

test('worked example: sums, coverage and the current partial bucket', () => {
  const w = new RollingWindow({ bucketMs: MIN, windowMs: 60 * MIN });
  const t0 = Date.UTC(2024, 0, 1, 10, 0);
  w.add(t0 + 5_000, 9, 10); // 10:00 bucket
  w.add(t0 + 45_000, 1, 1); // same bucket
  w.add(t0 + 2 * MIN + 1, 5, 5); // 10:02; 10:01 had no sample
  w.add(t0 + 3 * MIN, 0, 0); // 10:03: up, idle -> data, no events
  const s = w.sum(t0, t0 + 4 * MIN);
  assert.deepEqual(s, { good: 15, total: 16, buckets: 4, bucketsWithData: 3, start: t0, end: t0 + 4 * MIN });
  // "The last 2 minutes at 10:03:30": buckets starting in [10:01:30, 10:03:30) = 10:02, 10:03.
  const last = w.over(2 * MIN, t0 + 3 * MIN + 30_000);
  assert.deepEqual([last.good, last.total, last.buckets, last.bucketsWithData], [5, 5, 2, 2]);
  // Before the first sample: unknown buckets, no events.
  const before = w.sum(t0 - 10 * MIN, t0);
  assert.deepEqual([before.total, before.buckets, before.bucketsWithData], [0, 10, 0]);
  // A late sample for 10:01 still inside the window is placed in its own bucket.
  assert.equal(w.add(t0 + MIN + 10, 2, 4), true);
  assert.deepEqual(w.sum(t0 + MIN, t0 + 2 * MIN), { good: 2, total: 4, buckets: 1, bucketsWithData: 1, start: t0 + MIN, end: t0 + 2 * MIN });
  assert.equal(w.sum(t0, t0 + 4 * MIN).bucketsWithData, 4);
});

test('old buckets are evicted; samples older than the window are refused', () => {
  const w = new RollingWindow({ bucketMs: MIN, windowMs: 3 * MIN });
  for (let k = 0; k < 4; k++) w.add(k * MIN, k, 10);
  // Buckets 1..3 remain (0+1+2+3 good of 40 minus bucket 0).
  const s = w.sum(0, 4 * MIN);
  assert.deepEqual([s.good, s.total, s.buckets, s.bucketsWithData], [6, 30, 4, 3]);
  assert.equal(w.add(30_000, 1, 1), false);
  assert.equal(w.dropped, 1);
  // A jump far ahead forgets everything before the new window.
  w.add(1000 * MIN, 1, 2);
  const after = w.sum(0, 1001 * MIN);
  assert.deepEqual([after.good, after.total, after.bucketsWithData], [1, 2, 1]);
  assert.equal(w.newestBucket, 1000);
});

test('slices for the Timeslices method', () => {
  const w = new RollingWindow({ bucketMs: MIN, windowMs: 60 * MIN });
  for (let m = 0; m < 10; m++) w.add(m * MIN + 1, m === 4 ? 0 : 10, 10);
  const sl = w.slices(0, 10 * MIN, 5 * MIN);
  assert.deepEqual(sl.map((s) => [s.good, s.total, s.bucketsWithData]), [[40, 50, 5], [50, 50, 5]]);
});

test('bad input is refused with a message', () => {
  assert.throws(() => new RollingWindow({ bucketMs: MIN, windowMs: 90_000 }), /whole positive multiple/);
  const w = new RollingWindow({ bucketMs: MIN, windowMs: MIN });
  assert.throws(() => w.add(0, 3, 2), /good <= total/);
  assert.throws(() => w.add(0, NaN, 2), /invalid increment/);
  assert.throws(() => w.slices(0, MIN, 90_000), /multiple/);
});

test('a 28-day window of 1-minute buckets answers the full window and short windows', () => {
  const size = 28 * 24 * 60;
  const w = new RollingWindow({ bucketMs: MIN, windowMs: size * MIN });
  for (let m = 0; m < size + 100; m++) w.add(m * MIN, m % 100 === 0 ? 0 : 1, 1);
  const end = (size + 100) * MIN;
  const all = w.over(size * MIN, end);
  // Minutes 100 .. 40419 remain; the bad ones are the multiples of 100 from 100 to 40400: 404.
  assert.deepEqual([all.total, all.total - all.good, all.bucketsWithData], [size, 404, size]);
  const hour = w.over(60 * MIN, end);
  assert.deepEqual([hour.total, hour.bucketsWithData], [60, 60]);
});

// --- property tests against a brute-force model ---

interface Ev {
  t: number;
  good: number;
  total: number;
}

/** The obvious implementation: keep every accepted event, rescan on every query. */
class BruteWindow {
  events: Ev[] = [];
  head = -Infinity;
  constructor(readonly bucketMs: number, readonly size: number) {}
  add(e: Ev): boolean {
    const k = Math.floor(e.t / this.bucketMs);
    if (k < this.head - this.size + 1) return false;
    this.head = Math.max(this.head, k);
    this.events.push(e);
    return true;
  }
  sum(start: number, end: number) {
    const first = Math.ceil(start / this.bucketMs);
    const last = Math.ceil(end / this.bucketMs) - 1;
    const lo = Math.max(first, this.head - this.size + 1);
    let good = 0;
    let total = 0;
    const withData = new Set<number>();
    for (const e of this.events) {
      const k = Math.floor(e.t / this.bucketMs);
      if (k >= lo && k <= last) {
        good += e.good;
        total += e.total;
        withData.add(k);
      }
    }
    return { good, total, bucketsWithData: withData.size, buckets: Math.max(0, last - first + 1) };
  }
}

const W = 1000;
const eventStream = fc.array(
  fc.record({
    // Mostly forward in time, sometimes late, sometimes a big jump.
    dt: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 * W }) },
      { weight: 2, arbitrary: fc.integer({ min: -20 * W, max: 0 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 60 * W }) },
    ),
    bad: fc.nat({ max: 5 }),
    good: fc.nat({ max: 50 }),
  }),
  { maxLength: 300 },
);

test('property: the incremental window equals a brute-force recomputation', () => {
  fc.assert(
    fc.property(
      eventStream,
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.tuple(fc.integer({ min: -10 * W, max: 500 * W }), fc.integer({ min: 0, max: 60 * W })), { minLength: 1, maxLength: 20 }),
      (stream, size, queries) => {
        const inc = new RollingWindow({ bucketMs: W, windowMs: size * W });
        const brute = new BruteWindow(W, size);
        let t = 0;
        for (const e of stream) {
          t = Math.max(-5 * W, t + e.dt);
          const ev = { t, good: e.good, total: e.good + e.bad };
          assert.equal(inc.add(ev.t, ev.good, ev.total), brute.add(ev));
          // Query after every sample too, not only at the end.
          const a = inc.over(size * W, t + 1);
          const b = brute.sum(t + 1 - size * W, t + 1);
          assert.deepEqual([a.good, a.total, a.bucketsWithData, a.buckets], [b.good, b.total, b.bucketsWithData, b.buckets]);
        }
        for (const [start, len] of queries) {
          const a = inc.sum(start, start + len);
          const b = brute.sum(start, start + len);
          assert.deepEqual([a.good, a.total, a.bucketsWithData, a.buckets], [b.good, b.total, b.bucketsWithData, b.buckets]);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: alignment is independent of the sample phase inside a bucket', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3_600_000 }),
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (width, k, p1, p2) => {
        const a = k * width + Math.floor(p1 * width);
        const b = k * width + Math.floor(p2 * width);
        assert.equal(bucketIndex(a, width), k);
        assert.equal(bucketIndex(b, width), k);
        assert.equal(bucketStart(a, width), bucketStart(b, width));
      },
    ),
  );
  // The same events, each shifted to another phase within its own bucket, give the same window.
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.nat(W - 1), fc.nat(W - 1), fc.nat(9), fc.nat(9)), { maxLength: 100 }),
      (evs) => {
        const sorted = [...evs].sort((x, y) => x[0] - y[0]);
        const a = new RollingWindow({ bucketMs: W, windowMs: 50 * W });
        const b = new RollingWindow({ bucketMs: W, windowMs: 50 * W });
        for (const [k, p1, p2, g, bad] of sorted) {
          a.add(k * W + p1, g, g + bad);
          b.add(k * W + p2, g, g + bad);
        }
        for (let end = 0; end <= 210 * W; end += 7 * W) assert.deepEqual(a.over(30 * W, end), b.over(30 * W, end));
      },
    ),
  );
});
