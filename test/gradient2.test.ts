// Gradient2 (src/sdk/protect/gradient2.ts), the port of Netflix concurrency-limits' Gradient2Limit:
// its arithmetic on samples fed by hand, each expected value worked out from the published formula
// in the test, not by running the code twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gradient2, GRADIENT2_DEFAULTS } from '../src/sdk/protect/gradient2.ts';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);

describe('Gradient2', () => {
  it('has the original defaults: initial 20, min 20, max 200, smoothing 0.2, tolerance 1.5, long window 600, queue size 4', () => {
    assert.deepEqual({ ...GRADIENT2_DEFAULTS }, { initial: 20, min: 20, max: 200, smoothing: 0.2, rttTolerance: 1.5, longWindow: 600, queueSize: 4 });
    assert.equal(new Gradient2().limit, 20);
  });

  it('grows by smoothing x queueSize (0.8) a sample while latency is steady and the limit is used', () => {
    const g = new Gradient2();
    // gradient = min(1, 1.5 x 10 / 10) = 1; new = L x 0.8 + (L x 1 + 4) x 0.2 = L + 0.8
    for (let i = 0; i < 10; i++) g.update(10, g.limit);
    close(g.estimate, 20 + 0.8 * 10, 'after 10 samples');
    assert.equal(g.limit, 28);
  });

  it('keeps the limit while fewer than half of it are in flight (application-limited)', () => {
    const g = new Gradient2({ initial: 40, max: 200 });
    for (let i = 0; i < 50; i++) g.update(10, 19);
    assert.equal(g.estimate, 40);
    g.update(10, 20); // 20 >= 40 / 2: now it may grow
    close(g.estimate, 40.8, 'at half the limit');
  });

  it('tolerates latency up to 1.5x its long-run average, and shrinks by at most 10% + 0.8 a sample past that', () => {
    const g = new Gradient2({ initial: 100, min: 20, max: 200 });
    for (let i = 0; i < 10; i++) g.update(10, 1); // warm-up: the long average is the plain mean, 10 ms
    close(g.rttNoLoad, 10, 'warm-up mean');
    assert.equal(g.estimate, 100);

    // 14 ms: within 1.5 x ~10 ms, gradient stays 1, the limit grows.
    g.update(14, 100);
    const f = 2 / (600 + 1);
    const long1 = 10 * (1 - f) + 14 * f;
    close(g.rttNoLoad, long1, 'long average after 14 ms');
    close(g.estimate, 100.8, 'within tolerance');

    // 20 ms: gradient = 1.5 x long / 20, just under 0.78: new = L x 0.8 + (L x grad + 4) x 0.2
    g.update(20, 100);
    const long2 = long1 * (1 - f) + 20 * f;
    const grad = (1.5 * long2) / 20;
    assert.ok(grad > 0.5 && grad < 1, `gradient ${grad}`);
    close(g.estimate, 100.8 * 0.8 + (100.8 * grad + 4) * 0.2, 'past tolerance');

    // 1000 ms: the gradient is clamped at 0.5: new = 0.9 L + 0.8
    const before = g.estimate;
    g.update(1000, 100);
    close(g.estimate, before * 0.9 + 0.8, 'gradient floor 0.5');
  });

  it('settles at queueSize / (0.5 x smoothing) = 8 under sustained queueing, unless min is higher', () => {
    const low = new Gradient2({ initial: 50, min: 1, max: 200 });
    const dflt = new Gradient2({ initial: 50 });
    for (let i = 0; i < 10; i++) {
      low.update(10, 1);
      dflt.update(10, 1);
    }
    // 100 samples: the long average (600-sample window) climbs from 10 to about 290 ms, so
    // 1.5 x long / 1000 stays under 0.5 and every step is L -> 0.9 L + 0.8.
    for (let i = 0; i < 100; i++) {
      low.update(1000, 200);
      dflt.update(1000, 200);
    }
    close(low.estimate, 8 + (50 - 8) * 0.9 ** 100, 'towards the fixed point 8');
    assert.equal(dflt.limit, 20, 'clamped at the default min');
    // Latency that stays high becomes the baseline: the limit grows back (the algorithm measures
    // change, not an absolute target; the contract's max bounds how far).
    for (let i = 0; i < 1000; i++) low.update(1000, 200);
    assert.ok(low.limit > 50, `limit after the baseline caught up: ${low.limit}`);
  });

  it('never passes max', () => {
    const g = new Gradient2({ initial: 195, max: 200 });
    for (let i = 0; i < 20; i++) g.update(10, 200);
    assert.equal(g.limit, 200);
  });

  it('pulls the long-run average down 5% when latency falls to under half of it (recovery from a long overload)', () => {
    const g = new Gradient2({ initial: 20 });
    for (let i = 0; i < 10; i++) g.update(100, 1);
    close(g.rttNoLoad, 100, 'warm-up');
    g.update(10, 1);
    const f = 2 / 601;
    close(g.rttNoLoad, (100 * (1 - f) + 10 * f) * 0.95, 'decayed');
  });

  it('ignores a sample with no duration, and rejects impossible settings with what is wrong', () => {
    const g = new Gradient2();
    assert.equal(g.update(0, 20), 20);
    assert.equal(g.update(Number.NaN, 20), 20);
    assert.equal(g.rttNoLoad, 0);
    assert.throws(() => new Gradient2({ min: 10, max: 5 }), /1 <= min <= max, got min 10, max 5/);
    assert.throws(() => new Gradient2({ rttTolerance: 0.5 }), /rttTolerance must be >= 1/);
    assert.equal(new Gradient2({ initial: 500, max: 100 }).limit, 100, 'initial clamped into min..max');
  });
});
