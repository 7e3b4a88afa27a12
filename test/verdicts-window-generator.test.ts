// The generator's check over one drill's window of the drills' shared load
// (src/verdicts/window-generator.ts): a lag is charged to the drill it fell in, not averaged over
// the run, and a lag elsewhere does not void a drill whose window was on time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GeneratorHealth, LoadSlice } from '../src/measure/types.ts';
import { windowGenerator } from '../src/verdicts/window-generator.ts';

const SLICE = 500;
const RATE = 200; // 100 sends a slice

/** A run of `n` slices at 200/s; `late` maps a slice index to [late sends, worst lag ms]. */
function run(n: number, late: Record<number, [number, number]> = {}, extra: Partial<GeneratorHealth> = {}): { g: GeneratorHealth; slices: LoadSlice[] } {
  const slices: LoadSlice[] = Array.from({ length: n }, (_, k) => ({
    startMs: k * SLICE,
    routes: [{ name: 'a', sent: 100, completed: 100, statuses: { '200': 100 }, errors: {}, histogram: { lowestUs: 1, highestUs: 1e8, digits: 3, counts: [], overflow: 0 } }],
    ...(late[k] ? { late: late[k][0], lateMaxLagMs: late[k][1] } : {}),
  }));
  const lateSends = Object.values(late).reduce((a, [l]) => a + l, 0);
  const maxLagMs = Math.max(0, ...Object.values(late).map(([, lag]) => lag));
  const sends = n * 100;
  const g: GeneratorHealth = {
    requestedRate: RATE, achievedRate: RATE, lateSends, lateThresholdMs: 10, maxLagMs, droppedSends: 0,
    eventLoopDelayP99Ms: 3, cpu: 0.2, workers: 1, ok: lateSends <= 0.01 * sends,
    reasons: lateSends <= 0.01 * sends ? [] : [`${lateSends} of ${sends} sends left more than 10 ms after their scheduled time`],
    ...extra,
  };
  return { g, slices };
}

// Two drills: A over [0, 25 s), B over [25 s, 50 s): 50 slices each, 5,000 sends each.
const A = [0, 25_000] as const;
const B = [25_000, 50_000] as const;

describe('windowGenerator: the generator judged over one drill', () => {
  it('a lag in drill A makes A not judged and leaves B judged, though the whole run failed its self-check', () => {
    const { g, slices } = run(100, { 10: [60, 300], 11: [50, 250] }); // 110 late of 10,000: 1.1% of the run
    assert.equal(g.ok, false, 'the whole run fell short (the old rule: every drill INCONCLUSIVE)');
    const a = windowGenerator(g, slices, SLICE, ...A);
    assert.equal(a.ok, false);
    assert.equal(a.passStands, true, 'late only: a drill that held everything still passes');
    assert.match(a.reasons[0], /^110 sends \(2\.2% of the 5000 in this drill's window\) left more than 10 ms after their intended time, worst 300 ms/);
    assert.deepEqual(windowGenerator(g, slices, SLICE, ...B), { ok: true, reasons: [] });
  });

  it('a lag concentrated in one drill is caught though the whole run passed its self-check', () => {
    const { g, slices } = run(100, { 60: [40, 200], 61: [35, 180] }); // 75 of 10,000: 0.75%, ok
    assert.equal(g.ok, true);
    assert.deepEqual(windowGenerator(g, slices, SLICE, ...A), { ok: true, reasons: [] });
    const b = windowGenerator(g, slices, SLICE, ...B);
    assert.equal(b.ok, false, '75 of 5,000 in B: 1.5%');
    assert.match(b.reasons[0], /75 sends \(1\.5% of the 5000/);
  });

  it('late sends intended just before a window whose lag reaches into it count for it (the catch-up burst lands there)', () => {
    // Slice 49 is [24.5 s, 25 s): its late sends left up to 800 ms late, so into B.
    const reaching = run(100, { 49: [60, 800] });
    assert.equal(windowGenerator(reaching.g, reaching.slices, SLICE, ...B).ok, false);
    assert.equal(windowGenerator(reaching.g, reaching.slices, SLICE, ...A).ok, false, 'and for A, where they were intended');
    // Slice 47 ends at 24 s; 800 ms late reaches 24.8 s: not into B.
    const short = run(100, { 47: [60, 800] });
    assert.equal(windowGenerator(short.g, short.slices, SLICE, ...B).ok, true);
  });

  it('up to 1% of a window late is judged: 50 of 5,000', () => {
    const { g, slices } = run(100, { 70: [50, 120] });
    assert.equal(windowGenerator(g, slices, SLICE, ...B).ok, true);
    const one = run(100, { 70: [51, 120] });
    assert.equal(windowGenerator(one.g, one.slices, SLICE, ...B).ok, false);
  });

  it('keeps the whole run\'s verdict when the run under-delivered or dropped sends, or its slices do not count the late sends', () => {
    const dropped = run(100, {}, { droppedSends: 3, ok: false, reasons: ['3 scheduled requests were never sent'] });
    assert.deepEqual(windowGenerator(dropped.g, dropped.slices, SLICE, ...A), { ok: false, reasons: ['3 scheduled requests were never sent'] }, 'no passStands: the service never saw its load');
    const slow = run(100, {}, { achievedRate: 190, ok: false, reasons: ['achieved 190/s of 200/s requested'] });
    assert.equal(windowGenerator(slow.g, slow.slices, SLICE, ...B).ok, false);
    // Evidence whose slices carry no late counts (older runs): the run's 2% late stands for every drill.
    const old = run(100);
    const g = { ...old.g, lateSends: 200, ok: false, reasons: ['200 of 10000 sends left more than 10 ms after their scheduled time'] };
    assert.deepEqual(windowGenerator(g, old.slices, SLICE, ...B), { ok: false, reasons: g.reasons, passStands: true });
    const fine = { ...old.g, lateSends: 20 };
    assert.equal(windowGenerator(fine, old.slices, SLICE, ...B).ok, true, 'a run whose self-check passed stays judged');
  });

  it('a window with no sends and a late send reaching into it is not judged', () => {
    const { g, slices } = run(2, { 1: [1, 700] });
    const r = windowGenerator(g, slices, SLICE, 1000, 2000);
    assert.equal(r.ok, false);
    assert.match(r.reasons[0], /^1 send reaching this drill's window, which had none of its own, left more than 10 ms after their intended time, worst 700 ms/);
  });
});
