// The drill part of the contract: the new faults and fields parse to canonical numbers, and each
// drill check reports the spot to edit (code, message, line:col).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';

// Line numbers below count from 1 in this text; the drill under test starts at line 12.
const HEAD = `apiVersion: sloctl/v1
service: { name: checkout }
dependencies:
  - name: payments
    url: http://127.0.0.1:8081
    timeout: 150ms
  - name: ledger
    timeout: 150ms
objectives:
  resilience:
    drills:
`;

/** A contract whose only drill has these lines (indented under `- `), plus duration/detect/recover unless given. */
function withDrill(lines: string[], tail = ['duration: 10s', 'detectWithin: 5s', 'recoverWithin: 5s']): string {
  const all = [...lines, ...tail];
  return HEAD + all.map((l, i) => `${i === 0 ? '      - ' : '        '}${l}`).join('\n') + '\n';
}

/** Diagnostics, without the warning that these contracts have no load section (they need none here). */
function diagnostics(text: string) {
  return parseContract(text, 'slo.yaml').diagnostics.filter((d) => !/has no `load` section/.test(d.message));
}

function only(text: string, code: string, severity: 'error' | 'warning' = 'error') {
  const all = diagnostics(text);
  const hits = all.filter((d) => d.code === code && d.severity === severity);
  assert.equal(hits.length, 1, `expected one ${severity} ${code}, got ${JSON.stringify(all.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col} ${d.message}`))}`);
  return hits[0];
}

describe('drill fields', () => {
  it('parse to canonical numbers: jitter, every, rate (bytes per second), cores; status stays optional', () => {
    const r = parseContract(HEAD + `      - { name: slow, fault: latency, dependency: payments, delay: 1s, jitter: 200ms, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: blocked, fault: event-loop-block, delay: 200ms, every: 2s, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: leak, fault: memory-leak, rate: 2MiB/s, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: thin, fault: bandwidth, dependency: payments, rate: 50KB/s, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: burn, fault: cpu-burn, cores: 1.5, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: hang, fault: unsettled-promises, share: 10%, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: cut, fault: abort, dependency: payments, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: down, fault: error, dependency: payments, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
      - { name: fds, fault: handle-leak, duration: 10s, detectWithin: 5s, recoverWithin: 5s }
`, 'slo.yaml');
    // This contract declares no saturation warn level, so the leak, the handle leak and the held
    // promises can show in nothing the drill judge reads (the block and the burn can still time out
    // payments' calls); the fields themselves draw nothing.
    const rest = r.diagnostics.filter((d) => !/has no `load` section/.test(d.message));
    assert.deepEqual(rest.filter((d) => d.code !== 'SLO_DRILL_UNDETECTABLE'), []);
    assert.deepEqual(rest.map((d) => /^drill "([^"]+)"/.exec(d.message)?.[1]), ['leak', 'hang', 'fds']);
    const d = Object.fromEntries(r.contract!.objectives.resilience!.drills.map((x) => [x.name, x]));
    assert.equal(d.slow.jitter, 200);
    assert.equal(d.blocked.every, 2000);
    assert.equal(d.leak.rate, 2 * 1024 * 1024);
    assert.equal(d.thin.rate, 50_000);
    assert.equal(d.burn.cores, 1.5);
    assert.equal(d.hang.share, 0.1);
    assert.equal(d.down.status, undefined);
  });

  it('a percentage where degraded.latency wants { threshold, objective }: the hint gives the keys and the shape, the path is said once', () => {
    // A Go user trial wrote `degraded: { latency: 90% }` and got only "expected object, received string".
    const d = only(withDrill(['name: slow', 'fault: latency', 'dependency: payments', 'delay: 50ms', 'degraded: { latency: 90% }']), 'SLO_INVALID_VALUE');
    assert.equal(d.line, 16);
    assert.equal(d.message, 'objectives.resilience.drills[0].degraded.latency: expected object, received string');
    assert.equal(d.hint, '`latency` is a mapping with the keys threshold, objective: write `latency: { threshold: …, objective: … }`');
  });

  it('rejects a rate without "/s", at the value', () => {
    const d = diagnostics(withDrill(['name: leak', 'fault: memory-leak', 'rate: 2MiB'])).find((x) => x.severity === 'error')!;
    assert.equal(d.code, 'SLO_INVALID_VALUE');
    assert.match(d.message, /invalid rate "2MiB": write a size per second, e\.g\. 1MiB\/s/);
    assert.equal(`${d.line}:${d.col}`, '14:15');
  });

  it('rejects an unknown fault, listing the faults', () => {
    const d = diagnostics(withDrill(['name: x', 'fault: latnecy'])).find((x) => x.severity === 'error')!;
    assert.match(d.message, /abort.*bandwidth.*unsettled-promises.*cpu-burn/s);
    assert.equal(`${d.line}:${d.col}`, '13:16');
  });
});

describe('drill checks', () => {
  it('a proxy fault needs a dependency', () => {
    const d = only(withDrill(['name: x', 'fault: reset']), 'SLO_CONTRACT_GAP');
    assert.match(d.message, /a reset drill runs through the fault proxy in front of a dependency: name it with `dependency:`/);
    assert.match(d.hint!, /declared: payments, ledger/);
    assert.equal(`${d.line}:${d.col}`, '13:16');
  });

  it('the dependency must be declared', () => {
    const d = only(withDrill(['name: x', 'fault: reset', 'dependency: payment']), 'SLO_UNKNOWN_REFERENCE');
    assert.match(d.message, /dependency "payment" is not declared under dependencies/);
    assert.match(d.hint!, /did you mean "payments"\?/);
    assert.equal(`${d.line}:${d.col}`, '14:21');
  });

  it('and have a url for the proxy to forward to', () => {
    const d = only(withDrill(['name: x', 'fault: blackhole', 'dependency: ledger']), 'SLO_CONTRACT_GAP');
    assert.match(d.message, /drill "x" attacks dependency "ledger", which declares no `url`: the fault proxy has nowhere to forward to/);
    assert.equal(`${d.line}:${d.col}`, '14:21');
  });

  it('an in-process fault names no dependency', () => {
    const d = only(withDrill(['name: x', 'fault: cpu-burn', 'dependency: payments']), 'SLO_INVALID_VALUE');
    assert.match(d.message, /a cpu-burn fault runs inside the service \(through sloctl\/sdk's drill endpoint\), not on a dependency/);
    assert.equal(`${d.line}:${d.col}`, '14:9');
  });

  it('a field of another fault is an error at its key', () => {
    const d = only(withDrill(['name: x', 'fault: error', 'dependency: payments', 'jitter: 100ms']), 'SLO_INVALID_VALUE');
    assert.match(d.message, /`jitter` does not apply to an error fault: it would be ignored/);
    assert.match(d.hint!, /`jitter` is for latency faults/);
    assert.equal(`${d.line}:${d.col}`, '15:9');
    const cores = only(withDrill(['name: x', 'fault: memory-leak', 'cores: 2']), 'SLO_INVALID_VALUE');
    assert.match(cores.hint!, /`cores` is for cpu-burn faults/);
  });

  it('latency and event-loop-block need a delay; bandwidth needs a rate', () => {
    for (const fault of ['latency', 'event-loop-block']) {
      const d = only(withDrill(['name: x', `fault: ${fault}`, ...(fault === 'latency' ? ['dependency: payments'] : [])]), 'SLO_CONTRACT_GAP');
      assert.match(d.message, new RegExp(`an? ${fault} drill needs \`delay:\``));
      assert.equal(`${d.line}:${d.col}`, '13:16');
    }
    const b = only(withDrill(['name: x', 'fault: bandwidth', 'dependency: payments']), 'SLO_CONTRACT_GAP');
    assert.match(b.message, /a bandwidth drill needs `rate:`/);
  });

  it('an error drill needs no status (503)', () => {
    assert.deepEqual(diagnostics(withDrill(['name: x', 'fault: error', 'dependency: payments'])), []);
  });

  it('blocks must end before the next begins', () => {
    const d = only(withDrill(['name: x', 'fault: event-loop-block', 'delay: 1s']), 'SLO_INVALID_VALUE');
    assert.match(d.message, /blocks of 1s cannot start every 1s \(the default `every`\)/);
    assert.equal(`${d.line}:${d.col}`, '14:16');
    const e = only(withDrill(['name: x', 'fault: event-loop-block', 'delay: 500ms', 'every: 400ms']), 'SLO_INVALID_VALUE');
    assert.equal(`${e.line}:${e.col}`, '15:16');
  });

  it('detectWithin longer than the fault is an error that says why', () => {
    const d = only(withDrill(['name: x', 'fault: handle-leak'], ['duration: 10s', 'detectWithin: 15s', 'recoverWithin: 5s']), 'SLO_INVALID_VALUE');
    assert.match(d.message, /drill "x" removes its fault after 10s, before its detection bound of 15s: a detection that late can never be observed, since the fault is gone by then/);
    assert.equal(`${d.line}:${d.col}`, '15:23');
  });

  it('drill names are unique', () => {
    const text = withDrill(['name: x', 'fault: handle-leak']) + '      - { name: x, fault: cpu-burn, duration: 10s, detectWithin: 5s, recoverWithin: 5s }\n';
    const d = only(text, 'SLO_DUPLICATE_NAME');
    assert.match(d.message, /drill name "x" is used twice/);
    assert.equal(`${d.line}:${d.col}`, '17:17');
  });

  it('warns that a Go service cannot run in-process faults', () => {
    const text = withDrill(['name: x', 'fault: memory-leak']).replace('service: { name: checkout }', 'service: { name: checkout, runtime: go }');
    const d = only(text, 'SLO_CONTRACT_GAP', 'warning');
    assert.match(d.message, /a memory-leak drill runs inside the service through the Node SDK's drill endpoint/);
  });
});
