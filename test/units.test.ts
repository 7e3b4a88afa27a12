import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDuration, parseBytes, parseDuration, parsePercent, parseRate } from '../src/contract/units.ts';

const ok = (value: number) => ({ ok: true, value });

describe('units', () => {
  it('parses durations as people write them', () => {
    assert.deepEqual(parseDuration('150ms'), ok(150));
    assert.deepEqual(parseDuration('5m'), ok(300_000));
    assert.deepEqual(parseDuration('28d'), ok(28 * 86_400_000));
    assert.deepEqual(parseDuration('1h30m'), ok(5_400_000));
    assert.deepEqual(parseDuration('1.5s'), ok(1500));
  });

  it('rejects what is ambiguous, with the accepted units in the message', () => {
    for (const bad of ['5 minutes', '5', 'm5', '1m1h', '1h1h', '-5s', '0s', '5M', '']) {
      const r = parseDuration(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.message, /invalid duration/);
    }
    const r = parseDuration('5 minutes');
    assert.ok(!r.ok && r.message.includes('150ms, 30s, 5m, 1h30m, 28d'));
  });

  it('parses percentages, sizes and rates', () => {
    assert.deepEqual(parsePercent('99.5%'), ok(0.995));
    assert.equal(parsePercent('99.5').ok, false);
    assert.deepEqual(parseBytes('512MiB'), ok(512 * 1024 ** 2));
    assert.deepEqual(parseBytes('1.2GiB'), ok(Math.round(1.2 * 1024 ** 3)));
    assert.deepEqual(parseBytes('1GB'), ok(1e9));
    assert.equal(parseBytes('1 GiB').ok, false);
    assert.deepEqual(parseRate('200/s'), ok(200));
    assert.deepEqual(parseRate('6000/m'), ok(100));
    assert.equal(parseRate('200rps').ok, false);
    assert.equal(parseRate('0/s').ok, false);
  });

  it('formatDuration round-trips through parseDuration (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 * 86_400_000 }), (ms) => {
      const back = parseDuration(formatDuration(ms));
      assert.ok(back.ok);
      assert.equal(back.value, ms);
    }));
  });
});
