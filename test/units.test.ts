import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatBytes, formatDuration, formatElapsed, formatMillis, parseBytes, parseDuration, parsePercent, parseRate } from '../src/contract/units.ts';

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

  it('a percentage is the decimal it says, not a division with a tail (99.9% is 0.999, never 0.9990000000000001)', () => {
    // The ratio shows in the health JSON, Grafana's thresholds and the Go middleware's contract:
    // its shortest printed form must be the percentage's digits shifted two places.
    const shifted = (digits: string): string => {
      const [int, frac = ''] = digits.split('.');
      const all = int.padStart(3, '0') + frac;
      const out = `${all.slice(0, -2 - frac.length) || '0'}.${all.slice(-2 - frac.length)}`.replace(/\.?0+$/, '');
      return out.replace(/^0+(?=\d)/, '') || '0';
    };
    for (const s of ['99.9', '99.99', '12.3', '33.3', '99.999', '0.01', '100', '0', '5', '99.95']) {
      const r = parsePercent(`${s}%`);
      assert.ok(r.ok);
      assert.equal(String(r.value), shifted(s), s);
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 3 }), (n, places) => {
      const s = (n / 10 ** places).toFixed(places);
      const r = parsePercent(`${s}%`);
      return r.ok && String(r.value) === shifted(s);
    }), { numRuns: 2000 });
  });

  it('formatDuration round-trips through parseDuration (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 * 86_400_000 }), (ms) => {
      const back = parseDuration(formatDuration(ms));
      assert.ok(back.ok);
      assert.equal(back.value, ms);
    }));
  });

  it('formatDuration stays exact and in whole units (PromQL ranges and rule names read it)', () => {
    assert.equal(formatDuration(8196), '8s196ms');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(28 * 86_400_000), '28d');
  });

  it('formatElapsed: what a reader wants, in a syntax parseDuration reads', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'], [0.25, '0.25ms'], [12.34, '12.3ms'], [250, '250ms'], [999.7, '1s'],
      [8196, '8.196s'], [8196.4, '8.196s'], [30_000, '30s'], [59_999.6, '1m'],
      [90_500, '1m31s'], [3_599_700, '1h'], [5_400_000, '1h30m'], [4 * 3_600_000 + 12 * 60_000 + 29_000, '4h12m'],
      [2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000, '2d3h'], [-1500, '-1.5s'], [NaN, 'n/a'],
    ];
    for (const [ms, text] of cases) assert.equal(formatElapsed(ms), text, String(ms));
    // Below a minute it is exact to the millisecond, and it parses back.
    fc.assert(fc.property(fc.integer({ min: 1, max: 59_999 }), (ms) => {
      const back = parseDuration(formatElapsed(ms));
      assert.ok(back.ok);
      assert.ok(Math.abs(back.value - ms) < 1e-6, `${ms} -> ${formatElapsed(ms)} -> ${back.value}`);
    }));
  });

  it('formatBytes: binary units, three significant digits, a space; formatMillis: the gate\'s latency rounding', () => {
    const bytes: Array<[number, string]> = [
      [0, '0 B'], [357.557, '358 B'], [1023.6, '1 KiB'], [1024, '1 KiB'], [45_488_000, '43.4 MiB'], [512 * 1024 ** 2, '512 MiB'],
      [Math.round(1.2 * 1024 ** 3), '1.2 GiB'], [1023.99 * 1024, '1 MiB'], [-2048, '-2 KiB'], [5 * 1024 ** 5, '5120 TiB'],
    ];
    for (const [b, text] of bytes) assert.equal(formatBytes(b), text, String(b));
    const ms: Array<[number, string]> = [[0.2134, '0.213 ms'], [0.9996, '1.0 ms'], [5.123, '5.1 ms'], [21.37, '21.4 ms'], [99.96, '100 ms'], [254.4, '254 ms'], [1234.5, '1,235 ms'], [-52, '-52.0 ms'], [NaN, 'n/a']];
    for (const [v, text] of ms) assert.equal(formatMillis(v), text, String(v));
  });
});

