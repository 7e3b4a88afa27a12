import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  budgetShareConsumed,
  burnRate,
  errorBudget,
  occurrencesRatio,
  ratioTimeslicesRatio,
  timeToExhaustion,
  timeslicesRatio,
  type SliceCounts,
} from '../../src/engine/index.ts';

const MIN = 60_000;
const DAY = 86_400_000;

// OpenSLO's published budgeting example (OpenSLO/OpenSLO, examples/budgeting-method/README.md):
// a 2-week rolling window, 24,000 requests a day, a service that normally answers 99% of requests
// successfully, an objective of 95%, 1-minute time slices, and a DDoS that drops availability to 1%.
const WINDOW = 14 * DAY;
const OBJECTIVE = 0.95;

test('OpenSLO example, Occurrences: 336,000 requests, 16,800 bad allowed', () => {
  // 14 days * 24,000 = 336,000 requests; (1 - 0.95) * 336,000 = 16,800 bad requests allowed.
  const requests = 14 * 24_000;
  assert.equal(requests, 336_000);
  const b = errorBudget(OBJECTIVE, requests, 0);
  assert.equal(b.allowed, 16_800);
  assert.equal(b.remainingRatio, 1);
  // The README says "it will take 16632 failed requests to burn your whole error budget". That is
  // 16,800 * 0.99: the failures among 16,800 requests served at 1% availability. The budget itself
  // is 16,800 bad requests: one more and it is overspent.
  assert.equal(16_800 * 0.99, 16_632);
  assert.equal(errorBudget(OBJECTIVE, requests, 16_800).remaining, 0);
  assert.equal(errorBudget(OBJECTIVE, requests, 16_801).remaining, -1);
  assert.ok(errorBudget(OBJECTIVE, requests, 16_801).remainingRatio < 0);
});

/** 20,160 one-minute slices, 100 requests each: 99 good normally, 1 good during the attack. */
function attackedSlices(attackMinutes: number): SliceCounts[] {
  const slices: SliceCounts[] = [];
  for (let i = 0; i < 20_160; i++) slices.push({ good: i < attackMinutes ? 1 : 99, total: 100 });
  return slices;
}

test('OpenSLO example, Timeslices: 20,160 slices, 1,008 bad minutes (16h48m) allowed', () => {
  // 14 days * 1,440 minutes = 20,160 slices; 5% of them = 1,008 bad slices = 16 h 48 min, the
  // README's figure. Each attacked minute has ratio 0.01, below any slice target above 1%; we use
  // a slice target of 0.95 (the README does not fix one). Normal minutes (0.99) are good.
  assert.equal(WINDOW / MIN, 20_160);
  const at = (minutes: number) => {
    const r = timeslicesRatio(attackedSlices(minutes), 0.95);
    return { r, b: errorBudget(OBJECTIVE, WINDOW / MIN, r.bad) };
  };
  const full = at(1008);
  assert.equal(full.b.allowed, 1008);
  assert.equal(1008 * MIN, 16 * 3_600_000 + 48 * MIN);
  assert.deepEqual([full.r.badSlices, full.b.remaining, full.b.remainingRatio], [1008, 0, 0]);
  assert.equal(full.r.sli, 0.95); // 19,152 / 20,160, exactly the objective
  assert.equal(at(1007).b.remaining, 1);
  assert.ok(at(1009).r.sli < OBJECTIVE);
});

test('OpenSLO example, RatioTimeslices: about 13h43m of attack (README: "about 13 hours and 45 minutes")', () => {
  // The SLI is the mean slice ratio: (0.99 * (20,160 - x) + 0.01 * x) / 20,160 >= 0.95
  // <=> 0.98 x <= 0.04 * 20,160 = 806.4 <=> x <= 822.86 minutes = 13 h 42 min 51 s.
  // The same in budget terms: allowed 1,008 slice-units, the 1% baseline failures already spend
  // 0.01 * 20,160 = 201.6, each attacked minute 0.98 more: 201.6 + 0.98 x = 1,008.
  const ok = ratioTimeslicesRatio(attackedSlices(822));
  const breached = ratioTimeslicesRatio(attackedSlices(823));
  assert.ok(ok.sli >= OBJECTIVE && breached.sli < OBJECTIVE, `${ok.sli} ${breached.sli}`);
  assert.ok(errorBudget(OBJECTIVE, 20_160, ok.bad).remaining > 0);
  assert.ok(errorBudget(OBJECTIVE, 20_160, breached.bad).remaining < 0);
  assert.ok(Math.abs(ratioTimeslicesRatio(attackedSlices(0)).bad - 201.6) < 1e-9);
});

test('the three methods disagree on the same data, as designed', () => {
  // One busy bad minute (1,000 requests, all failing) and nine quiet good ones (10 requests each).
  const slices = [{ good: 0, total: 1000 }, ...Array.from({ length: 9 }, () => ({ good: 10, total: 10 }))];
  const good = slices.reduce((s, x) => s + x.good, 0);
  const total = slices.reduce((s, x) => s + x.total, 0);
  assert.equal(occurrencesRatio(good, total), 90 / 1090); // 8.3%: the busy minute dominates
  assert.equal(timeslicesRatio(slices, 0.99).sli, 0.9); // 9 of 10 minutes were good
  assert.equal(ratioTimeslicesRatio(slices).sli, 0.9); // mean of 0, 1, 1, ... = 0.9
});

test('slices without events are unknown, not good', () => {
  const r = timeslicesRatio([{ good: 0, total: 0 }, { good: 5, total: 10 }, { good: 10, total: 10 }], 0.9);
  assert.deepEqual(r, { sli: 0.5, goodSlices: 1, badSlices: 1, unknownSlices: 1, bad: 1 });
  assert.ok(Number.isNaN(timeslicesRatio([{ good: 0, total: 0 }], 0.9).sli));
  assert.ok(Number.isNaN(ratioTimeslicesRatio([]).sli));
  assert.ok(Number.isNaN(occurrencesRatio(0, 0)));
  // Strict comparison for `op: gt`: a slice exactly at the target is bad.
  assert.equal(timeslicesRatio([{ good: 9, total: 10 }], 0.9, true).badSlices, 1);
});

test('burn rate and time to exhaustion, worked', () => {
  // 99.9% objective, 1.44% errors: burn 14.4; a full 30-day budget lasts 30d / 14.4 = 50 h.
  assert.ok(Math.abs(burnRate(144, 10_000, 0.999) - 14.4) < 1e-9);
  assert.ok(Math.abs(timeToExhaustion(1, 14.4, 30 * DAY) - 50 * 3_600_000) < 1e-3);
  // Half the budget left at burn 2: a quarter of the window.
  assert.equal(timeToExhaustion(0.5, 2, 28 * DAY), 7 * DAY);
  assert.equal(timeToExhaustion(0.5, 0, 28 * DAY), Infinity);
  assert.equal(timeToExhaustion(0, 3, 28 * DAY), 0);
  assert.equal(timeToExhaustion(-0.2, 3, 28 * DAY), 0);
  assert.ok(Number.isNaN(timeToExhaustion(0.5, burnRate(0, 0, 0.999), 28 * DAY)));
  // 14.4x for 1 h spends 2% of a 30-day budget (the workbook's page tier).
  assert.ok(Math.abs(budgetShareConsumed(14.4, 3_600_000, 30 * DAY) - 0.02) < 1e-15);
  assert.throws(() => errorBudget(1.5, 10, 0), /objective/);
  assert.equal(errorBudget(1, 100, 1).remainingRatio, -Infinity);
  assert.ok(Number.isNaN(errorBudget(0.99, 0, 0).remainingRatio));
});

test('property: consumed + remaining = allowed', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1e12, noNaN: true }),
      fc.double({ min: 0, max: 1e12, noNaN: true }),
      (objective, eligible, bad) => {
        const b = errorBudget(objective, eligible, bad);
        assert.equal(b.consumed, bad);
        // Exact in real arithmetic; in floating point remaining = allowed - consumed is rounded
        // once, so the sum is within one rounding of the larger operand.
        const tol = Number.EPSILON * Math.max(Math.abs(b.allowed), Math.abs(b.consumed));
        assert.ok(Math.abs(b.consumed + b.remaining - b.allowed) <= tol, JSON.stringify(b));
      },
    ),
  );
  // With integer events and an objective whose budget share is a power of two, no rounding at all.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }), (k, units, bad) => {
      const b = errorBudget(1 - 2 ** -k, units * 2 ** k, bad);
      assert.equal(b.consumed + b.remaining, b.allowed);
      assert.equal(b.allowed, units);
    }),
  );
});

test('property: a burn rate of exactly 1 sustained over the window exhausts the budget exactly at its end', () => {
  // Exact arithmetic: objective 1 - 2^-k, every slice carries (any multiple of) 2^k requests of
  // which exactly the allowed share fails. After each slice, the budget spent is the elapsed
  // share of the window, the projection at burn 1 lands on the window's end, and at the end the
  // remaining budget is exactly 0.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 200 }), (k, load) => {
      const objective = 1 - 2 ** -k;
      const n = load.length;
      const windowMs = n * MIN;
      const totals = load.map((u) => u * 2 ** k);
      const eligible = totals.reduce((a, b) => a + b, 0);
      let bad = 0;
      let seen = 0;
      for (let i = 0; i < n; i++) {
        const sliceBad = load[i]; // = (1 - objective) * totals[i]
        assert.equal(burnRate(sliceBad, totals[i], objective), 1);
        bad += sliceBad;
        seen += totals[i];
        assert.equal(burnRate(bad, seen, objective), 1);
      }
      const end = errorBudget(objective, eligible, bad);
      assert.equal(end.remaining, 0);
      assert.equal(end.remainingRatio, 0);
      assert.equal(timeToExhaustion(1, 1, windowMs), windowMs);
    }),
  );
  // Time-based: with evenly spread traffic, after t of the window at burn 1 the budget left lasts
  // exactly the rest of the window: t + timeToExhaustion = window.
  fc.assert(
    fc.property(
      fc.double({ min: 0.5, max: 0.99999, noNaN: true }),
      fc.integer({ min: 60_000, max: 90 * DAY }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (objective, windowMs, elapsedShare) => {
        const t = elapsedShare * windowMs;
        const eventsPerMs = 3;
        const eligible = eventsPerMs * windowMs;
        const bad = (1 - objective) * eventsPerMs * t;
        const b = errorBudget(objective, eligible, bad);
        const left = timeToExhaustion(b.remainingRatio, 1, windowMs);
        assert.ok(Math.abs(t + left - windowMs) <= 1e-9 * windowMs, `${t} + ${left} vs ${windowMs}`);
      },
    ),
  );
});
