import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calendarWindow, localMidnight, zoneOffset } from '../../src/engine/index.ts';

const H = 3_600_000;

test('UTC month and ISO week', () => {
  assert.deepEqual(calendarWindow('month', Date.UTC(2024, 1, 29, 23, 59), 'UTC'), { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(calendarWindow('month', Date.UTC(2023, 11, 31, 12), 'UTC'), { start: Date.UTC(2023, 11, 1), end: Date.UTC(2024, 0, 1) });
  // 2024-01-07 is a Sunday: its ISO week began Monday 2024-01-01.
  assert.deepEqual(calendarWindow('week', Date.UTC(2024, 0, 7, 23), 'UTC'), { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 8) });
  // The Monday itself starts a week.
  assert.deepEqual(calendarWindow('week', Date.UTC(2024, 0, 8), 'UTC'), { start: Date.UTC(2024, 0, 8), end: Date.UTC(2024, 0, 15) });
});

test('a month with the spring DST change is 743 hours (Europe/Berlin, March 2024)', () => {
  // Starts 2024-03-01 00:00 CET (+1) = Feb 29 23:00Z; ends 2024-04-01 00:00 CEST (+2) = Mar 31 22:00Z.
  const r = calendarWindow('month', Date.UTC(2024, 2, 15), 'Europe/Berlin');
  assert.deepEqual(r, { start: Date.UTC(2024, 1, 29, 23), end: Date.UTC(2024, 2, 31, 22) });
  assert.equal((r.end - r.start) / H, 31 * 24 - 1);
  // A local time just after midnight on April 1 (22:30Z on Mar 31) already belongs to April.
  assert.equal(calendarWindow('month', Date.UTC(2024, 2, 31, 22, 30), 'Europe/Berlin').start, Date.UTC(2024, 2, 31, 22));
});

test('a week with the autumn DST change is 169 hours (America/New_York, 2024-11-03)', () => {
  // Monday 2024-10-28 00:00 EDT (-4) = 04:00Z to Monday 2024-11-04 00:00 EST (-5) = 05:00Z.
  const r = calendarWindow('week', Date.UTC(2024, 10, 3, 12), 'America/New_York');
  assert.deepEqual(r, { start: Date.UTC(2024, 9, 28, 4), end: Date.UTC(2024, 10, 4, 5) });
  assert.equal((r.end - r.start) / H, 169);
});

test('local midnight skipped or repeated by DST', () => {
  // America/Santiago sprang forward at 2024-09-08 00:00 (-4) to 01:00 (-3): the day starts at
  // 01:00 local = 04:00Z and lasts 23 h (to 2024-09-09 00:00 -3 = 03:00Z); the day before lasted 24 h.
  assert.equal(localMidnight(2024, 9, 8, 'America/Santiago'), Date.UTC(2024, 8, 8, 4));
  assert.equal(localMidnight(2024, 9, 9, 'America/Santiago') - localMidnight(2024, 9, 8, 'America/Santiago'), 23 * H);
  assert.equal(localMidnight(2024, 9, 8, 'America/Santiago') - localMidnight(2024, 9, 7, 'America/Santiago'), 24 * H);
  // America/Havana fell back at 2024-11-03 01:00 (-4) to 00:00 (-5): midnight happened twice; the
  // day starts at the first one, 04:00Z, and lasts 25 h.
  assert.equal(localMidnight(2024, 11, 3, 'America/Havana'), Date.UTC(2024, 10, 3, 4));
  assert.equal(localMidnight(2024, 11, 4, 'America/Havana') - localMidnight(2024, 11, 3, 'America/Havana'), 25 * H);
  // A non-hour offset.
  assert.equal(zoneOffset(Date.UTC(2024, 0, 1), 'Asia/Kolkata'), 5.5 * H);
});

test('an unknown time zone gets a clear error', () => {
  assert.throws(() => calendarWindow('month', 0, 'Mars/Olympus_Mons'), /unknown time zone "Mars\/Olympus_Mons"/);
});

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];

test('property: calendar windows contain their instant, tile time, and have calendar lengths', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
      fc.constantFrom(...ZONES),
      fc.constantFrom('month' as const, 'week' as const),
      (at, tz, kind) => {
        const r = calendarWindow(kind, at, tz);
        assert.ok(r.start <= at && at < r.end, `${new Date(at).toISOString()} ${tz}`);
        // The window of its own start is itself, and the next one starts at its end.
        assert.deepEqual(calendarWindow(kind, r.start, tz), r);
        assert.equal(calendarWindow(kind, r.end, tz).start, r.end);
        assert.equal(calendarWindow(kind, r.start - 1, tz).end, r.start);
        const hours = (r.end - r.start) / H;
        // DST shifts are at most 1 h (30 min on Lord Howe).
        if (kind === 'week') assert.ok(hours >= 167 && hours <= 169, `${hours}`);
        else assert.ok(hours >= 28 * 24 - 1 && hours <= 31 * 24 + 1, `${hours}`);
      },
    ),
    { numRuns: 500 },
  );
});
