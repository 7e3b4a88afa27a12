// Flag parsing shared by the commands: units as the contract writes them, errors naming the flag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationFlag, durationOrZeroFlag, rateFlag } from '../src/cli/flags.ts';

describe('flags', () => {
  it('--warmup takes 0, 0s, 0ms as no warm-up, and other durations as the contract writes them', () => {
    for (const zero of ['0', '0s', '0ms', ' 0s ', '0.0s']) assert.equal(durationOrZeroFlag('warmup', zero), 0, zero);
    assert.equal(durationOrZeroFlag('warmup', '3s'), 3000);
    assert.throws(() => durationOrZeroFlag('warmup', '-1s'), /--warmup: /);
    assert.throws(() => durationOrZeroFlag('warmup', '0x'), /--warmup: /);
  });
  it('a zero duration is refused where zero means nothing, naming the flag', () => {
    assert.throws(() => durationFlag('steady', '0s'), /--steady: .*greater than zero/);
  });
  it('rates: bare numbers, units, max only when allowed', () => {
    assert.equal(rateFlag('rate', '500'), 500);
    assert.equal(rateFlag('rate', '6000/m'), 100);
    assert.equal(rateFlag('rate', 'max', true), 'max');
    assert.throws(() => rateFlag('rate', 'max'), /--rate: expected a number/);
  });
});
