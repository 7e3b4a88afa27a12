// objectives.concurrency.limit (the SDK's adaptive concurrency limit): its defaults, and each
// mistake reported at the spot to edit (code, message, line:col).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';

// The limit's mapping is on line 6 of these contracts.
const withLimit = (limit: string) => `apiVersion: sloctl/v1
service: { name: shop }
objectives:
  concurrency:
    inFlight: { warn: 200, critical: 500 }
    limit: ${limit}
`;

function errors(text: string) {
  return parseContract(text, 'slo.yaml').diagnostics.filter((d) => d.severity === 'error');
}

describe('objectives.concurrency.limit', () => {
  it('is absent (off) unless written; `{}` turns it on with algorithm gradient2, queue 50 ms, Retry-After 1 s', () => {
    const off = parseContract(withLimit('{}').replace(/ {4}limit: \{\}\n/, ''), 'slo.yaml');
    assert.deepEqual(off.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(off.contract!.objectives.concurrency!.limit, undefined);

    const on = parseContract(withLimit('{}'), 'slo.yaml');
    assert.deepEqual(on.diagnostics.filter((d) => d.severity === 'error'), []);
    // min / initial / max stay unset here: the SDK derives them (Gradient2's 20 / 20 / 200, clamped).
    assert.deepEqual(on.contract!.objectives.concurrency!.limit, { algorithm: 'gradient2', queue: 50, retryAfter: 1000 });
  });

  it('reads durations and counts', () => {
    const r = parseContract(withLimit('{ algorithm: gradient2, initial: 10, min: 4, max: 64, queue: 20ms, retryAfter: 3s }'), 'slo.yaml');
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(r.contract!.objectives.concurrency!.limit, { algorithm: 'gradient2', initial: 10, min: 4, max: 64, queue: 20, retryAfter: 3000 });
  });

  it('min above max is an error at min', () => {
    const [e, ...rest] = errors(withLimit('{ min: 50, max: 10 }'));
    assert.deepEqual(rest, []);
    assert.equal(e.code, 'SLO_INVALID_VALUE');
    assert.match(e.message, /min is above max/);
    assert.deepEqual([e.line, e.col], [6, 19], "at the value of min");
    assert.deepEqual(e.path, ['objectives', 'concurrency', 'limit', 'min']);
  });

  it('initial outside min..max, an unknown algorithm, a bad duration and a typo are each located', () => {
    const init = errors(withLimit('{ initial: 300, max: 200 }'));
    assert.equal(init.length, 1);
    assert.match(init[0].message, /initial is outside min\.\.max/);
    assert.deepEqual(init[0].path, ['objectives', 'concurrency', 'limit', 'initial']);

    const algo = errors(withLimit('{ algorithm: vegas }'));
    assert.equal(algo.length, 1);
    assert.deepEqual(algo[0].path, ['objectives', 'concurrency', 'limit', 'algorithm']);
    assert.match(algo[0].message, /gradient2/);

    const dur = errors(withLimit('{ queue: 5 seconds }'));
    assert.equal(dur.length, 1);
    assert.match(dur[0].message, /invalid duration "5 seconds"/);
    assert.equal(dur[0].line, 6);

    const typo = errors(withLimit('{ retryAftr: 1s }'));
    assert.equal(typo.length, 1);
    assert.equal(typo[0].code, 'SLO_UNKNOWN_KEY');
    assert.match(typo[0].message + (typo[0].hint ?? ''), /retryAfter/);

    const zero = errors(withLimit('{ min: 0 }'));
    assert.equal(zero.length, 1);
    assert.match(zero[0].message, /min must be greater than zero/);
  });
});
