// The SDK's event-loop delay samplers: one timer per resolution, however many read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopDelaySampler, loopTimersRunning } from '../src/sdk/loop-delay.ts';

// The timers are unref()ed, which process.getActiveResourcesInfo() does not list.
const timeouts = loopTimersRunning;
/**
 * Resolves once the shared 20 ms timer has ticked again: Node runs due timers in order of their
 * due time, and the interval's next tick is due within 20 ms of now, before this 21 ms one.
 */
const afterNextTick = () => new Promise((done) => setTimeout(done, 21));
const block = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };

test('two samplers of one resolution share one timer, each with its own reading', async () => {
  const before = timeouts();
  const a = new LoopDelaySampler(20);
  const b = new LoopDelaySampler(20);
  try {
    assert.equal(timeouts() - before, 1, 'one timer for both samplers');
    block(150);
    await afterNextTick();
    const seenA = a.take();
    assert.ok(seenA !== undefined && seenA >= 140, `a read the 150 ms block: ${seenA} ms`);
    // b was not reset by a's take: it still holds the block.
    const seenB = b.take();
    assert.ok(seenB !== undefined && seenB >= 140, `b read the 150 ms block: ${seenB} ms`);
    a.stop();
    a.stop(); // idempotent
    assert.equal(timeouts() - before, 1, 'the timer stays while b reads');
    await afterNextTick();
    const after = b.take();
    assert.ok(after !== undefined && after < 140, `b goes on reading after a stopped: ${after} ms`);
  } finally {
    a.stop();
    b.stop();
  }
  assert.equal(timeouts(), before, 'the last stop clears the timer');
});

test('samplers of different resolutions keep their own timers', () => {
  const before = timeouts();
  const a = new LoopDelaySampler(20);
  const b = new LoopDelaySampler(50);
  try {
    assert.equal(timeouts() - before, 2);
  } finally {
    a.stop();
    b.stop();
  }
  assert.equal(timeouts(), before);
});
