import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CounterTracker, counterStep, extrapolatedIncrease, extrapolatedRate, increase, resets, type Sample } from '../../src/engine/index.ts';

const s = (tSeconds: number, v: number): Sample => ({ t: tSeconds * 1000, v });

test('plain increase adds the new value after a drop, like PromQL', () => {
  // 0 -> 10 -> 20 | restart | 5 -> 15: steps 10 + 10 + 5 + 10 = 35.
  // PromQL's way: last - first = 15, plus the value before the drop (20) = 35.
  const samples = [s(0, 0), s(15, 10), s(30, 20), s(45, 5), s(60, 15)];
  assert.equal(increase(samples), 35);
  assert.equal(resets(samples), 1);
  assert.equal(counterStep(20, 5), 5);
  assert.equal(counterStep(5, 20), 15);
  assert.equal(increase([s(0, 7)]), 0);
  assert.equal(increase([]), 0);
});

test('CounterTracker: first value is a baseline, then reset-aware steps', () => {
  const c = new CounterTracker();
  assert.deepEqual([100, 110, 110, 3, 9].map((v) => c.observe(v)), [0, 10, 0, 3, 6]);
  c.reset();
  assert.equal(c.observe(50), 0);
});

test('extrapolatedIncrease: samples near both edges extrapolate to the full range', () => {
  // Range (0s, 60s], samples every 15s at 5, 20, 35, 50s: 10, 20, 30, 40.
  // raw = 30 over a sampled interval of 45s; average spacing 15s, threshold 16.5s;
  // 5s to the start and 10s to the end are both under it -> extrapolate all the way.
  // Zero point: 45s * 10/30 = 15s before the first sample, further than 5s, so no clamp.
  // factor = (45 + 5 + 10) / 45 = 4/3 -> 40 (the slope, 10 per 15s, over 60s).
  const samples = [s(5, 10), s(20, 20), s(35, 30), s(50, 40)];
  assert.equal(extrapolatedIncrease(samples, 0, 60_000), 40);
  assert.equal(extrapolatedRate(samples, 0, 60_000), 40 / 60);
  // The plain increase is what was observed between first and last sample.
  assert.equal(increase(samples), 30);
});

test('extrapolatedIncrease: a far edge extrapolates half a spacing only', () => {
  // Samples at 10, 20, 30s: 0, 10, 20 in (0s, 60s]. raw 20, spacing 10s, threshold 11s.
  // Start: 10s < 11s would extrapolate 10s, but the first value is 0, so the zero point is 0s away:
  // durationToStart = 0. End: 30s >= 11s -> half a spacing, 5s. factor = (20 + 0 + 5) / 20 = 1.25 -> 25.
  assert.equal(extrapolatedIncrease([s(10, 0), s(20, 10), s(30, 20)], 0, 60_000), 25);
});

test('extrapolatedIncrease: never extrapolates a counter below zero', () => {
  // A counter that started just before t=30s: 1, 11, 21 at 30, 45, 60s in (0s, 60s].
  // raw 20, spacing 15s; 30s to the start >= 16.5s -> 7.5s; zero point 30s * 1/20 = 1.5s < 7.5s.
  // factor = (30 + 1.5 + 0) / 30 = 1.05 -> 21 (the counter's whole value, as it should be).
  const v = extrapolatedIncrease([s(30, 1), s(45, 11), s(60, 21)], 0, 60_000);
  assert.ok(v !== undefined && Math.abs(v - 21) < 1e-12, String(v));
});

test('extrapolatedIncrease: resets inside the range, left-open selection, too few samples', () => {
  // 100, 110, 5, 15 at 15..60s: raw = 15 - 100 + 110 = 25; start 15s < 16.5s; zero point
  // 45s * 100/25 = 180s, not closer. factor = (45 + 15) / 45 -> 33.33...
  const v = extrapolatedIncrease([s(15, 100), s(30, 110), s(45, 5), s(60, 15)], 0, 60_000);
  assert.ok(v !== undefined && Math.abs(v - 100 / 3) < 1e-12, String(v));
  // A sample exactly at the range start is outside (Prometheus 3 ranges are left-open).
  assert.equal(extrapolatedIncrease([s(0, 0), s(30, 10)], 0, 60_000), undefined);
  assert.equal(extrapolatedIncrease([], 0, 60_000), undefined);
});

const counterSeries = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 120_000 }), fc.nat({ max: 1_000_000 })), { minLength: 0, maxLength: 60 })
  .map((steps) => {
    let t = 0;
    return steps.map(([dt, v]) => ({ t: (t += dt), v }));
  });

test('property: a counter reset never produces a negative increase', () => {
  fc.assert(
    fc.property(counterSeries, fc.integer({ min: -60_000, max: 0 }), (samples, startOffset) => {
      for (let i = 1; i < samples.length; i++) assert.ok(counterStep(samples[i - 1].v, samples[i].v) >= 0);
      assert.ok(increase(samples) >= 0);
      const end = samples.length > 0 ? samples[samples.length - 1].t : 0;
      const e = extrapolatedIncrease(samples, startOffset, end);
      assert.ok(e === undefined || e >= 0, `extrapolated ${e}`);
    }),
  );
});

test('property: the plain increase is additive over adjacent runs, and last - first without resets', () => {
  fc.assert(
    fc.property(counterSeries, fc.nat(), (samples, cut) => {
      if (samples.length < 2) return;
      const k = 1 + (cut % (samples.length - 1));
      assert.equal(increase(samples), increase(samples.slice(0, k + 1)) + increase(samples.slice(k)));
      const sorted = samples.map((x) => x.v).sort((a, b) => a - b);
      const monotone = samples.map((x, i) => ({ t: x.t, v: sorted[i] }));
      assert.equal(increase(monotone), sorted[sorted.length - 1] - sorted[0]);
    }),
  );
});

test('extrapolatedIncrease: the 1.1x average-spacing threshold', () => {
  // Spacing 10s, raw 20 over 20s, zero point 100s away (not binding), last sample at the range end.
  // 10.5s to the start (< 11s): extrapolate all of it: (20 + 10.5) / 20 * 20 = 30.5.
  assert.equal(extrapolatedIncrease([s(10.5, 100), s(20.5, 110), s(30.5, 120)], 0, 30_500), 30.5);
  // 11.5s to the start (>= 11s): only half a spacing, 5s: (20 + 5) / 20 * 20 = 25.
  assert.equal(extrapolatedIncrease([s(11.5, 100), s(21.5, 110), s(31.5, 120)], 0, 31_500), 25);
  // The same on the end side: 11.5s after the last sample -> 5s: 25.
  assert.equal(extrapolatedIncrease([s(0.001, 100), s(10.001, 110), s(20.001, 120)], 0, 31_501), 20 * (20 + 0.001 + 5) / 20);
});
