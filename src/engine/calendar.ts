// Calendar windows: "this month" and "this ISO week" in the team's own time zone.
//
// A contract that says "99.9% per calendar month" means the month as the team's clock on the wall
// sees it, so its edges are local midnights, not UTC ones, and a month that contains a DST change
// is an hour shorter or longer than days × 24 h. Offsets come from Intl.DateTimeFormat (the IANA
// database that ships with Node); no clock is read — `at` is the time of interest, passed in.

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}": use an IANA name such as UTC, Europe/Berlin or America/New_York`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(t: number, timeZone: string): WallTime {
  const out: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(timeZone).formatToParts(t)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') {
      out[p.type] = Number(p.value);
    }
  }
  return out;
}

/** Offset of `timeZone` from UTC at instant `t`, in ms (e.g. +3_600_000 for Europe/Berlin in winter). */
export function zoneOffset(t: number, timeZone: string): number {
  const w = wallTime(t, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // The formatter drops milliseconds; compare against t truncated to the second.
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The first instant at which the wall clock in `timeZone` reads local midnight starting the
 * given date. If that midnight falls into a DST gap (some zones switch at 00:00), the day starts at
 * the transition, e.g. 01:00.
 */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day); // the wall time, read as if it were UTC
  // Offsets in force a day before and a day after cover any single transition near midnight.
  const before = zoneOffset(wall - DAY_MS, timeZone);
  const after = zoneOffset(wall + DAY_MS, timeZone);
  const candidates: number[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const t = wall - off;
    if (zoneOffset(t, timeZone) === off) candidates.push(t);
  }
  // Two candidates: midnight happened twice (clocks went back over it); the day starts at the first.
  if (candidates.length > 0) return Math.min(...candidates);
  // None: midnight was skipped. The transition instant is midnight read with the old offset.
  return wall - before;
}

export type CalendarKind = 'month' | 'week';

export interface TimeRange {
  /** Inclusive start, ms since the epoch. */
  start: number;
  /** Exclusive end, ms since the epoch. */
  end: number;
}

/**
 * The calendar month, or ISO week (Monday to Sunday), containing instant `at`, in `timeZone`,
 * as [start, end) in epoch ms. Its length is whatever the local calendar makes it: a week across a
 * DST change lasts 167 or 169 hours.
 */
export function calendarWindow(kind: CalendarKind, at: number, timeZone: string): TimeRange {
  const w = wallTime(at, timeZone);
  if (kind === 'month') {
    const next = w.month === 12 ? { y: w.year + 1, m: 1 } : { y: w.year, m: w.month + 1 };
    return { start: localMidnight(w.year, w.month, 1, timeZone), end: localMidnight(next.y, next.m, 1, timeZone) };
  }
  if (kind === 'week') {
    // Day arithmetic on the civil date, done in UTC where every day is 24 h long.
    const civil = Date.UTC(w.year, w.month - 1, w.day);
    const daysSinceMonday = (new Date(civil).getUTCDay() + 6) % 7;
    const monday = new Date(civil - daysSinceMonday * DAY_MS);
    const nextMonday = new Date(civil + (7 - daysSinceMonday) * DAY_MS);
    return {
      start: localMidnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), timeZone),
      end: localMidnight(nextMonday.getUTCFullYear(), nextMonday.getUTCMonth() + 1, nextMonday.getUTCDate(), timeZone),
    };
  }
  throw new RangeError(`unknown calendar window "${String(kind)}": use month or week`);
}
