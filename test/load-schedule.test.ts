import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildSchedule, ScheduleError } from '../src/load/schedule.ts';
import { lateThresholdMs, assessGenerator, type GeneratorStats } from '../src/load/self-check.ts';
import type { LoadStage } from '../src/load/types.ts';

/** Requests due by t under the stages (the integral of the rate), computed stage by stage. */
function integral(stages: LoadStage[], tMs: number): number {
  let n = 0;
  let start = 0;
  for (const s of stages) {
    const r0 = (s.rate as number) / 1000;
    const r1 = (s.to ?? (s.rate as number)) / 1000;
    const t = Math.min(Math.max(tMs - start, 0), s.durationMs);
    n += r0 * t + ((r1 - r0) * t * t) / (2 * s.durationMs);
    start += s.durationMs;
  }
  return n;
}

describe('arrival schedule', () => {
  it('spaces a constant rate evenly, starting at 0', () => {
    const s = buildSchedule([{ rate: 500, durationMs: 5000 }]);
    assert.equal(s.model, 'open');
    assert.equal(s.total, 2500);
    assert.equal(s.requestedRate, 500);
    assert.equal(s.timeOf(0), 0);
    assert.equal(s.timeOf(1), 2);
    assert.ok(Math.abs(s.timeOf(2499) - 4998) < 1e-9);
    assert.equal(s.dueBefore(1), 1);
    assert.equal(s.dueBefore(2), 1, 'request 1 is due at 2 ms, not before');
    assert.equal(s.dueBefore(2.0001), 2);
    assert.equal(s.dueBefore(5000), 2500);
    assert.equal(s.rateAt(1234), 500);
  });

  it('inverts a linear ramp: request i leaves when the integral of the rate reaches i', () => {
    const stages: LoadStage[] = [{ rate: 0, to: 100, durationMs: 10_000 }];
    const s = buildSchedule(stages);
    assert.equal(s.total, 500);
    assert.equal(s.timeOf(0), 0);
    // N(t) = r1 · t² / (2 d): check each time through the integral rather than a hand-solved root.
    for (const i of [1, 10, 250, 499]) assert.ok(Math.abs(integral(stages, s.timeOf(i)) - i) < 1e-6, `request ${i}`);
    assert.equal(s.rateAt(5000), 50);
    // Down-ramps too.
    const down = buildSchedule([{ rate: 100, to: 0, durationMs: 10_000 }]);
    assert.equal(down.total, 500);
    assert.ok(down.timeOf(499) < 10_000 && down.timeOf(499) > 9_000);
  });

  it('chains stages: the times are monotone and match the integral, for any stages', () => {
    const stage = fc.record({
      rate: fc.integer({ min: 0, max: 2000 }),
      to: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
      durationMs: fc.integer({ min: 1, max: 5000 }),
    });
    fc.assert(
      fc.property(fc.array(stage, { minLength: 1, maxLength: 4 }), (stages) => {
        const s = buildSchedule(stages);
        const expected = integral(stages, s.durationMs);
        assert.ok(s.total >= expected - 1e-6 && s.total < expected + 1, `total ${s.total} for ${expected}`);
        let last = -1;
        const step = Math.max(1, Math.floor(s.total / 200));
        for (let i = 0; i < s.total; i += step) {
          const t = s.timeOf(i);
          assert.ok(t >= last - 1e-9, `request ${i} at ${t}, before ${last}`);
          assert.ok(t >= 0 && t <= s.durationMs, `request ${i} at ${t}`);
          assert.ok(Math.abs(integral(stages, t) - i) < 1e-5 * Math.max(1, i), `request ${i}: integral ${integral(stages, t)}`);
          last = t;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('skips a stage at rate 0 and still lasts its time', () => {
    const s = buildSchedule([{ rate: 10, durationMs: 1000 }, { rate: 0, durationMs: 1000 }, { rate: 10, durationMs: 1000 }]);
    assert.equal(s.total, 20);
    assert.equal(s.durationMs, 3000);
    assert.equal(s.timeOf(10), 2000, 'the first request after the pause leaves when the pause ends');
    assert.equal(s.requestedRate, 20 / 3);
  });

  it("makes 'max' the closed model, with no schedule", () => {
    const s = buildSchedule([{ rate: 'max', durationMs: 2000 }]);
    assert.equal(s.model, 'closed');
    assert.equal(s.requestedRate, null);
    assert.equal(s.rateAt(10), null);
    assert.equal(s.durationMs, 2000);
  });

  it('says which stage is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /at least one stage/],
      [[{ rate: 10, durationMs: 0 }], /load stage 1: duration must be a positive number of ms, got 0/],
      [[{ rate: 10, durationMs: 10 }, { rate: -1, durationMs: 10 }], /load stage 2: rate must be a number of requests per second >= 0 or 'max', got -1/],
      [[{ rate: 10, to: Number.NaN, durationMs: 10 }], /load stage 1: to must be/],
      [[{ rate: 'max', durationMs: 10 }, { rate: 10, durationMs: 10 }], /'max' \(the closed model\) cannot be mixed/],
      [[{ rate: 'max', to: 5, durationMs: 10 }], /rate 'max' cannot ramp/],
    ];
    for (const [stages, re] of cases) assert.throws(() => buildSchedule(stages as LoadStage[]), (e: Error) => e instanceof ScheduleError && re.test(e.message), String(re));
  });
});

describe('generator self-check', () => {
  const base: GeneratorStats = { requestedRate: 1000, sent: 10_000, durationMs: 10_000, lateSends: 0, lateThresholdMs: 10, maxLagMs: 2, droppedSends: 0, eventLoopDelayP99Ms: 1, cpu: 0.3, workers: 1 };

  it('late threshold: max(10 ms, 2 intervals), at most 100 ms', () => {
    assert.equal(lateThresholdMs(1000), 10);
    assert.equal(lateThresholdMs(50), 40);
    assert.equal(lateThresholdMs(1), 100);
    assert.equal(lateThresholdMs(null), 10);
  });

  it('is ok when the profile was delivered', () => {
    const h = assessGenerator(base);
    assert.equal(h.ok, true);
    assert.deepEqual(h.reasons, []);
    assert.equal(h.achievedRate, 1000);
  });

  it('is not ok below 99% of the rate, above 1% late sends, or with any drop, and says what to do', () => {
    const slow = assessGenerator({ ...base, sent: 9_800, cpu: 0.97 });
    assert.equal(slow.ok, false);
    assert.match(slow.reasons[0], /achieved 980\/s of 1000\/s requested \(98%; generator CPU 97% of a core.*use --workers 2/);
    assert.equal(assessGenerator({ ...base, sent: 9_901 }).ok, true, '99.01% is enough');
    const late = assessGenerator({ ...base, lateSends: 101, maxLagMs: 35.25 });
    assert.equal(late.ok, false);
    assert.match(late.reasons[0], /101 of 10000 sends \(1%\) left more than 10 ms after their scheduled time, worst 35\.3 ms/);
    assert.equal(assessGenerator({ ...base, lateSends: 100 }).ok, true, 'exactly 1% is tolerated');
    const dropped = assessGenerator({ ...base, sent: 9_999, droppedSends: 1, drops: { inFlight: 1, inFlightBound: 10_000, behind: 0, behindMs: 0 } });
    assert.equal(dropped.ok, false);
    assert.deepEqual(dropped.reasons, ['1 scheduled request was never sent (10000 requests were already in flight): the target answered too slowly for this rate; lower --rate or --timeout']);
    assert.deepEqual(dropped.drops, { inFlight: 1, inFlightBound: 10_000, behind: 0, behindMs: 0 });
    // Behind schedule after the window: the generator's doing, so the remedy is the generator's.
    const behind = assessGenerator({ ...base, sent: 9_997, droppedSends: 3, cpu: 0.95, drops: { inFlight: 0, inFlightBound: 10_000, behind: 3, behindMs: 412.25 } });
    assert.match(behind.reasons.at(-1)!, /^3 scheduled requests were never sent: the generator was still 412\.3 ms behind schedule when the run's window had ended \(generator CPU 95% of a core.*use --workers 2/);
    const both = assessGenerator({ ...base, sent: 9_990, droppedSends: 10, drops: { inFlight: 4, inFlightBound: 10_000, behind: 6, behindMs: 300 } });
    assert.equal(both.reasons.filter((r) => /never sent/.test(r)).length, 2, both.reasons.join('; '));
    // Causes that do not add up to the drops (an older report): one reason, no guess at the split.
    const unknown = assessGenerator({ ...base, sent: 9_998, droppedSends: 2 });
    assert.deepEqual(unknown.reasons, ['2 scheduled requests were never sent: the target answered too slowly for this rate; lower --rate or --timeout']);
    assert.equal(unknown.drops, undefined);
    const closed = assessGenerator({ ...base, requestedRate: null, sent: 5 });
    assert.equal(closed.ok, true, 'the closed model has no rate to miss');
    assert.equal(closed.requestedRate, null);
  });
});
