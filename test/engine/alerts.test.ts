import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RollingWindow,
  WORKBOOK_TIERS,
  autoMinEvents,
  evaluateBurnRateAlerts,
  explainTier,
  scaleTiers,
  type EventQuery,
} from '../../src/engine/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('workbook tiers at 30 days: 2%, 5%, 10%, 10% of the budget', () => {
  const t = scaleTiers(WORKBOOK_TIERS, 30 * DAY);
  assert.deepEqual(
    t.map((x) => [x.name, x.severity, x.burnRate, x.longMs, x.shortMs]),
    [
      ['page-1h', 'page', 14.4, HOUR, 5 * MIN],
      ['page-6h', 'page', 6, 6 * HOUR, 30 * MIN],
      ['ticket-1d', 'ticket', 3, DAY, 2 * HOUR],
      ['ticket-3d', 'ticket', 1, 3 * DAY, 6 * HOUR],
    ],
  );
  const shares = t.map((x) => x.budgetShare);
  [0.02, 0.05, 0.1, 0.1].forEach((s, i) => assert.ok(Math.abs(shares[i] - s) < 1e-15, `${shares[i]}`));
});

test('scaling to a 28-day window: windows mode (default) and burn-rate mode', () => {
  // Windows x 28/30, rounded to 1 minute: 56m/4m40s->5m, 5h36m/28m, 22h24m/1h52m, 2d19h12m/5h36m.
  const w = scaleTiers(WORKBOOK_TIERS, 28 * DAY);
  assert.deepEqual(
    w.map((x) => [x.burnRate, x.longMs / MIN, x.shortMs / MIN]),
    [
      [14.4, 56, 5],
      [6, 336, 28],
      [3, 1344, 112],
      [1, 4032, 336],
    ],
  );
  assert.ok(Math.abs(w[0].budgetShare - 0.02) < 1e-15);
  // Burn-rate mode keeps the windows: 14.4 x 28/30 = 13.44 (Sloth's 28-day value), 5.6, 2.8, 0.933.
  const b = scaleTiers(WORKBOOK_TIERS, 28 * DAY, { mode: 'burn-rate' });
  const expected = [13.44, 5.6, 2.8, 28 / 30];
  b.forEach((x, i) => {
    assert.ok(Math.abs(x.burnRate - expected[i]) < 1e-12, `${x.burnRate}`);
    assert.equal(x.longMs, WORKBOOK_TIERS[i].longMs);
  });
  // Either way the budget share is kept.
  [0.02, 0.05, 0.1, 0.1].forEach((s, i) => assert.ok(Math.abs(b[i].budgetShare - s) < 1e-12));
  // A 7-day window in windows mode: 1h -> 14m, 5m -> 1m (rounded, at least one resolution step).
  const seven = scaleTiers(WORKBOOK_TIERS, 7 * DAY);
  assert.deepEqual([seven[0].longMs / MIN, seven[0].shortMs / MIN], [14, 1]);
});

test('property: scaling keeps each tier budget share (up to window rounding)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 400 }), fc.constantFrom('windows' as const, 'burn-rate' as const), (days, mode) => {
      const scaled = scaleTiers(WORKBOOK_TIERS, days * DAY, { mode, resolutionMs: 1000 });
      scaled.forEach((t, i) => {
        const ref = WORKBOOK_TIERS[i];
        const share = (ref.burnRate * ref.longMs) / (30 * DAY);
        // Rounding a window to 1s moves the share by at most 0.5s of that window.
        const tol = mode === 'windows' ? share * (500 / t.longMs) + 1e-12 : 1e-12;
        assert.ok(Math.abs(t.budgetShare - share) <= tol, `${t.name} ${t.budgetShare} vs ${share}`);
      });
    }),
  );
});

/**
 * A 30-day SLO at 99.9% on a 1-minute rolling window; 10,000 requests a minute, fed at an odd
 * phase (17 s into each minute). Baseline: 5 errors a minute (0.05%, burn 0.5). From minute
 * `incidentAt` on: 200 errors a minute (2%, burn 20).
 */
function scenario(incidentAt: number, minutes: number) {
  const w = new RollingWindow({ bucketMs: MIN, windowMs: 30 * DAY });
  const t0 = Date.UTC(2024, 4, 1);
  for (let m = 0; m < minutes; m++) {
    const bad = m >= incidentAt ? 200 : 5;
    w.add(t0 + m * MIN + 17_000, 10_000 - bad, 10_000);
  }
  const query: EventQuery = (d, end) => w.over(d, end);
  return { at: (m: number) => t0 + m * MIN, query };
}

test('page-1h fires at the minute the math says, and not before', () => {
  // 3 days of baseline, then the incident at minute 4320. After m incident minutes the 1h window
  // holds m minutes at 200 and 60 - m at 5 errors: burn = (195 m + 300) / 600_000 / 0.001,
  // above 14.4 when 195 m + 300 > 8640, i.e. m > 42.77: the first firing evaluation is at m = 43.
  // The 5m window is at burn 20 from m = 5 on.
  const start = 3 * 1440;
  const { at, query } = scenario(start, start + 60);
  const before = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: at(start + 42), query });
  const page1h = before.tiers[0];
  assert.equal(page1h.status, 'ok');
  assert.ok(Math.abs(page1h.long!.burnRate - (195 * 42 + 300) / 600) < 1e-9);
  assert.equal(before.status, 'ok');

  const after = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: at(start + 43), query });
  assert.equal(after.status, 'page');
  assert.equal(after.tiers[0].status, 'firing');
  assert.equal(after.tiers[0].long!.bad, 43 * 200 + 17 * 5);
  assert.equal(after.tiers[0].long!.total, 600_000);
  assert.ok(Math.abs(after.tiers[0].short!.burnRate - 20) < 1e-9);
  // page-6h: 43 min at 2% + 317 min at 0.05% over 360 min -> (8600 + 1585) / 3.6e6 / 0.001 = 2.83 < 6.
  assert.equal(after.tiers[1].status, 'ok');
  assert.ok(Math.abs(after.tiers[1].long!.burnRate - 10_185 / 3600) < 1e-9);
  assert.equal(after.tiers[2].status, 'ok');
  assert.equal(after.tiers[3].status, 'ok');
  assert.match(explainTier(after.tiers[0]), /page-1h .*FIRING.*long 1h: 8685 bad \/ 600000 = 1\.45% -> burn 14\.5x, data in 60\/60 buckets/);
});

test('the page clears soon after the incident ends, thanks to the short window', () => {
  const w = new RollingWindow({ bucketMs: MIN, windowMs: 30 * DAY });
  for (let m = 0; m < 200; m++) w.add(m * MIN, 10_000 - (m >= 100 && m < 160 ? 200 : 0), 10_000);
  const q: EventQuery = (d, end) => w.over(d, end);
  // At minute 160 the 1h window is still fully bad, but the 5m window ends at 2% too (minutes 155..159).
  assert.equal(evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 160 * MIN, query: q }).status, 'page');
  // At minute 165 the 5m window (160..164) is clean: burn 0; the long window still reads 18.3x.
  const later = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 165 * MIN, query: q });
  assert.equal(later.tiers[0].status, 'ok');
  assert.ok(later.tiers[0].long!.burnRate > 14.4);
  assert.match(explainTier(later.tiers[0]), /short window below threshold/);
});

test('low traffic is unknown, not ok; minEvents is configurable; tiers can be disabled', () => {
  // 20 requests in the last hour, 1 failed (in the last 5 minutes): 5% errors, burn 50x at 99.9%.
  const query: EventQuery = (d) => (d <= 5 * MIN ? { good: 1, total: 2 } : { good: 19, total: 20 });
  assert.equal(autoMinEvents(14.4, 0.999), 70); // 1 / (14.4 * 0.001) = 69.4 -> 70
  const r = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 0, query });
  assert.equal(r.tiers[0].status, 'unknown');
  assert.equal(r.status, 'unknown');
  assert.match(explainTier(r.tiers[0]), /20 events in the long window, fewer than the 70 needed/);

  const tiers = scaleTiers(WORKBOOK_TIERS, 30 * DAY).map((t) => ({ ...t, minEvents: 10, enabled: t.severity === 'page' }));
  const low = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 0, query, tiers });
  assert.deepEqual(low.tiers.map((t) => t.status), ['firing', 'firing', 'disabled', 'disabled']);
  assert.equal(low.status, 'page');

  const none = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 0, query, tiers: tiers.map((t) => ({ ...t, enabled: false })) });
  assert.equal(none.status, 'disabled');
  assert.match(explainTier(none.tiers[0]), /page-1h \(page: burn > 14.4x over 1h and 5m, 2.00% of budget\): disabled/);
});

test('a window without data is unknown; a short window without traffic does not fire', () => {
  const gap: EventQuery = () => ({ good: 0, total: 0, buckets: 60, bucketsWithData: 0 });
  const r = evaluateBurnRateAlerts({ objective: 0.99, sloWindowMs: 30 * DAY, at: 0, query: gap });
  assert.ok(r.tiers.every((t) => t.status === 'unknown'));
  assert.match(explainTier(r.tiers[0]), /no data in the long window/);

  // Lots of bad traffic earlier in the hour, scraped but idle in the last 5 minutes.
  const idle: EventQuery = (d) => (d <= 5 * MIN ? { good: 0, total: 0, buckets: 5, bucketsWithData: 5 } : { good: 500, total: 1000, buckets: 60, bucketsWithData: 60 });
  const i = evaluateBurnRateAlerts({ objective: 0.99, sloWindowMs: 30 * DAY, at: 0, query: idle });
  assert.equal(i.tiers[0].status, 'ok');
  assert.match(explainTier(i.tiers[0]), /no events in the short window/);
});

test('ticket tier: 3x over 1 day and 2 hours', () => {
  // 99.9%: 0.4% errors everywhere is burn 4: above 3 (ticket-1d) and 1 (ticket-3d), below 6 and 14.4.
  const query: EventQuery = (d) => ({ good: (d / MIN) * 996, total: (d / MIN) * 1000 });
  const r = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 0, query });
  assert.deepEqual(r.tiers.map((t) => t.status), ['ok', 'ok', 'firing', 'firing']);
  assert.equal(r.status, 'ticket');
});

test('threshold comparison is strict, as in the workbook rules', () => {
  // Exactly at 14.4x (1.44% of 10,000 = 144 bad) on both windows: not firing.
  const query: EventQuery = () => ({ good: 10_000 - 144, total: 10_000 });
  const r = evaluateBurnRateAlerts({ objective: 0.999, sloWindowMs: 30 * DAY, at: 0, query, tiers: [{ ...WORKBOOK_TIERS[0], burnRate: 144 / 10_000 / (1 - 0.999) }] });
  assert.equal(r.tiers[0].status, 'ok');
});
