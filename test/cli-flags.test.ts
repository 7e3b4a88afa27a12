// Flag parsing shared by the commands: units as the contract writes them, errors naming the flag
// and saying exactly what is wrong with the value (0 is a number: it is too small).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { durationFlag, durationOrZeroFlag, intFlag, rateFlag } from '../src/cli/flags.ts';

describe('flags', () => {
  it('--warmup takes 0, 0s, 0ms as no warm-up, and other durations as the contract writes them', () => {
    for (const zero of ['0', '0s', '0ms', ' 0s ', '0.0s']) assert.equal(durationOrZeroFlag('warmup', zero), 0, zero);
    assert.equal(durationOrZeroFlag('warmup', '3s'), 3000);
    assert.throws(() => durationOrZeroFlag('warmup', '-1s'), /^UsageError: --warmup: must be 0 \(none\) or more, got -1s$/);
    assert.throws(() => durationOrZeroFlag('warmup', '0x'), /--warmup: /);
  });
  it('a zero or negative duration is refused where zero means nothing, saying so', () => {
    assert.throws(() => durationFlag('steady', '0s'), /^UsageError: --steady: must be greater than 0, got 0s$/);
    assert.throws(() => durationFlag('timeout', '0'), /^UsageError: --timeout: must be greater than 0, got 0$/);
    assert.throws(() => durationFlag('timeout', '-1s'), /^UsageError: --timeout: must be greater than 0, got -1s$/);
    assert.throws(() => durationFlag('timeout', 'Infinity'), /^UsageError: --timeout: must be finite, got Infinity$/);
    assert.throws(() => durationFlag('timeout', 'NaN'), /^UsageError: --timeout: NaN is not a number: write a number followed by ms, s/);
    assert.throws(() => durationFlag('duration', '30'), /^UsageError: --duration: 30 has no unit: write 30s, 30ms or 30m/);
    assert.throws(() => durationFlag('duration', 'soon'), /^UsageError: --duration: invalid duration "soon": write a number followed by/);
    assert.equal(durationFlag('duration', '1.5s'), 1500);
  });
  it('rates: bare numbers, units, max only when allowed', () => {
    assert.equal(rateFlag('rate', '500'), 500);
    assert.equal(rateFlag('rate', '1.5'), 1.5);
    assert.equal(rateFlag('rate', '6000/m'), 100);
    assert.equal(rateFlag('rate', 'max', true), 'max');
    assert.throws(() => rateFlag('rate', 'max'), /^UsageError: --rate: max \(the closed model\) is not accepted here: expected a number of requests per second \(500\) or a rate/);
    assert.throws(() => rateFlag('rate', 'fast', true), /^UsageError: --rate: expected a number of requests per second \(500\), a rate \(500\/s, 6000\/m\) or max, got "fast"$/);
  });
  it('a rate of 0, a negative one, NaN or Infinity is told what is wrong with it, not that it is not a number', () => {
    for (const v of ['0', '0.0', '-5', '0/s', '-10/m']) assert.throws(() => rateFlag('rate', v, true), new RegExp(`^UsageError: --rate: must be greater than 0 requests per second, got ${v.replace(/[.]/g, '\\.')}$`), v);
    assert.throws(() => rateFlag('rate', 'NaN', true), /^UsageError: --rate: NaN is not a number: expected a number of requests per second/);
    assert.throws(() => rateFlag('rate', 'Infinity', true), /^UsageError: --rate: must be finite, got Infinity \(for as fast as the connections allow, use max: the closed model\)$/);
    assert.throws(() => rateFlag('ramp', 'Infinity'), /^UsageError: --ramp: must be finite, got Infinity$/);
  });
  it('whole numbers: what is wrong with 0, a negative, a fraction, NaN or a number past the bound', () => {
    assert.equal(intFlag('connections', '64', 1, 100_000), 64);
    assert.equal(intFlag('port', '0', 0, 65535), 0);
    assert.throws(() => intFlag('connections', '0', 1, 100_000), /^UsageError: --connections: must be at least 1, got 0$/);
    assert.throws(() => intFlag('connections', '-1', 1, 100_000), /^UsageError: --connections: must be at least 1, got -1$/);
    assert.throws(() => intFlag('connections', '1.5', 1, 100_000), /^UsageError: --connections: must be a whole number from 1 to 100000, got 1\.5$/);
    assert.throws(() => intFlag('connections', 'NaN', 1, 100_000), /^UsageError: --connections: NaN is not a number: expected a whole number from 1 to 100000$/);
    assert.throws(() => intFlag('port', '99999', 0, 65535), /^UsageError: --port: must be at most 65535, got 99999$/);
    assert.throws(() => intFlag('workers', 'Infinity', 1, 64), /^UsageError: --workers: must be at most 64, got Infinity$/);
    assert.throws(() => intFlag('connections', 'many', 1, 100_000), /^UsageError: --connections: expected a whole number from 1 to 100000, got "many"$/);
    assert.throws(() => intFlag('samples', '1', 2, undefined, 'an increase needs two scrapes'), /^UsageError: --samples: must be at least 2 \(an increase needs two scrapes\), got 1$/);
    assert.throws(() => intFlag('samples', 'Infinity', 2), /^UsageError: --samples: must be finite, got Infinity$/);
  });

  it('--workers has one bound in load and gate (it was 256 in one and 64 in the other), the one runLoad keeps', async () => {
    const { runCli } = await import('./helpers/cli.ts');
    const { MAX_WORKERS, runLoad } = await import('../src/load/run.ts');
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-workers-'));
    writeFileSync(join(dir, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x, owner: y }\ntarget: { url: "http://127.0.0.1:9" }\nload: { rate: 10/s, duration: 1s, mix: [] }\nobjectives: { errors: { objective: 99% } }\n');
    for (const args of [['gate', '--workers', String(MAX_WORKERS + 1)], ['load', 'http://127.0.0.1:9/', '--rate', '10', '--workers', String(MAX_WORKERS + 1)]]) {
      const r = await runCli(args, dir);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `sloctl: --workers: must be at most ${MAX_WORKERS}, got ${MAX_WORKERS + 1}\n`);
    }
    await assert.rejects(runLoad({ url: 'http://127.0.0.1:9/', requests: [{ name: 'x', weight: 1, method: 'GET', path: '/' }], stages: [{ rate: 1, durationMs: 10 }], connections: 1, timeoutMs: 100, workers: MAX_WORKERS + 1 }), /workers must be at most 256, got 257/);
  });
});
