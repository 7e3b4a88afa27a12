// Warnings for contracts that are legal but almost certainly wrong, found by user trials: a latency
// threshold above the objective's own percentile ceilings (`threshold: 200s` beside `p99: 100ms`),
// a drill whose recoverWithin is shorter than the window health is judged over, a memory-leak
// drill too small to bring the heap to its warn level, an in-process drill nothing the drill judge
// reads can show, a load.mix body on a GET route. Each is reported at the key to edit, and each is
// silent on the sane version of the same contract.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../src/contract/diagnostic.ts';
import { parseContract } from '../src/contract/load.ts';
import { detectingSaturation } from '../src/verdicts/drill-saturation.ts';
import { EXAMPLE_TEXT } from './helpers/example-contract.ts';

const CODES = ['SLO_THRESHOLD_ABOVE_PERCENTILE', 'SLO_DRILL_HEALTH_WINDOW', 'SLO_DRILL_LEAK_SHORT', 'SLO_DRILL_UNDETECTABLE', 'SLO_MIX_BODY_METHOD', 'SLO_LOOP_DELAY_FLOOR'];

/** The new warnings of a contract (anything else it reports must be nothing). */
function warnings(text: string): Diagnostic[] {
  const all = parseContract(text, 'slo.yaml').diagnostics;
  assert.deepEqual(all.filter((d) => !CODES.includes(d.code)).map((d) => `${d.code} ${d.message}`), [], 'the contract is otherwise clean');
  for (const d of all) assert.equal(d.severity, 'warning', `${d.code} is a warning`);
  return all;
}

function one(text: string, code: string): Diagnostic {
  const hits = warnings(text);
  assert.deepEqual(hits.map((d) => d.code), [code], JSON.stringify(hits.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`)));
  return hits[0];
}

/** line:col of the first `needle` in `text` at or after the line holding `after` (1-based, as diagnostics count). */
function at(text: string, needle: string, after = needle): string {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => l.includes(after));
  assert.ok(from >= 0, `"${after}" is in the text`);
  for (let i = from; i < lines.length; i++) {
    const col = lines[i].indexOf(needle);
    if (col >= 0) return `${i + 1}:${col + 1}`;
  }
  throw new Error(`"${needle}" not found after "${after}"`);
}

describe('SLO_THRESHOLD_ABOVE_PERCENTILE', () => {
  const latency = (line: string) => [
    'apiVersion: sloctl/v1',
    'service: { name: orders }',
    'objectives:',
    '  latency:',
    '    - name: api',
    ...line.split('\n').map((l) => `      ${l}`),
    '',
  ].join('\n');

  it('200s beside p99 100ms: a unit slip, at the threshold, with the value meant', () => {
    const text = latency('threshold: 200s\nobjective: 99%\npercentiles: { p50: 40ms, p99: 100ms }');
    const d = one(text, 'SLO_THRESHOLD_ABOVE_PERCENTILE');
    assert.equal(`${d.line}:${d.col}`, at(text, '200s'));
    assert.equal(d.message, 'the threshold of latency objective "api" is 200s, 2000 times its largest percentile ceiling (p99 ≤ 100ms): most likely a unit slip; a request is good within the threshold, and 99% of requests within 200s already holds whenever p99 ≤ 100ms does, so this SLI, its error budget and its alerts pass what the p99 ceiling fails');
    assert.equal(d.hint, 'did you mean `threshold: 200ms`? (at most 100ms keeps the SLI as strict as p99)');
    assert.equal(d.related?.length, 1);
    assert.equal(`${d.related![0].line}:${d.related![0].col}`, at(text, '100ms'));
    assert.equal(d.related![0].message, 'the p99 ceiling is set here');
  });

  it('minutes for milliseconds: 200m is 200ms meant', () => {
    const d = one(latency('threshold: 200m\nobjective: 99%\npercentiles: { p99: 300ms }'), 'SLO_THRESHOLD_ABOVE_PERCENTILE');
    assert.match(d.message, /is 200m, 40000 times its largest percentile ceiling \(p99 ≤ 300ms\): most likely a unit slip/);
    assert.equal(d.hint, 'did you mean `threshold: 200ms`?');
  });

  it('a little above a ceiling whose percentile covers the objective: looser than the ceiling, no unit slip claimed', () => {
    const d = one(latency('threshold: 300ms\nobjective: 99%\npercentiles: { p95: 150ms, p99: 200ms }'), 'SLO_THRESHOLD_ABOVE_PERCENTILE');
    assert.equal(d.message, 'the threshold of latency objective "api" is 300ms, above its largest percentile ceiling (p99 ≤ 200ms): a request is good within the threshold, and 99% of requests within 300ms already holds whenever p99 ≤ 200ms does, so this SLI, its error budget and its alerts pass what the p99 ceiling fails');
    assert.equal(d.hint, 'lower the threshold to at most 200ms (the p99 ceiling), or raise p99 if the ceiling is what is wrong');
  });

  it('far above a ceiling whose percentile is below the objective: a unit slip', () => {
    const d = one(latency('threshold: 30s\nobjective: 99.9%\npercentiles: { p95: 150ms }'), 'SLO_THRESHOLD_ABOVE_PERCENTILE');
    assert.equal(d.message, 'the threshold of latency objective "api" is 30s, 200 times its largest percentile ceiling (p95 ≤ 150ms): a good-request bound that far above the p95 ceiling is most likely a unit slip');
    assert.equal(d.hint, 'did you mean `threshold: 30ms`?');
  });

  it('silent on sane thresholds: below the ceiling, equal to it, or a longer tail than a lower percentile', () => {
    for (const sane of [
      'threshold: 200ms\nobjective: 99%\npercentiles: { p50: 50ms, p95: 200ms, p99: 400ms }', // the example's
      'threshold: 100ms\nobjective: 99%\npercentiles: { p99: 100ms }',
      'threshold: 250ms\nobjective: 99%\npercentiles: { p50: 200ms }', // 99% within 250ms, the median within 200ms
      'threshold: 1s\nobjective: 99.9%\npercentiles: { p99: 200ms }', // p99.9 may be 5x p99
      'threshold: 200s\nobjective: 99%', // no ceilings to compare with
    ]) assert.deepEqual(warnings(latency(sane)), [], sane);
    assert.deepEqual(warnings(EXAMPLE_TEXT), []);
  });
});

describe('SLO_DRILL_HEALTH_WINDOW', () => {
  const contract = (o: { service?: string; head?: string; drill?: string; objectives?: string } = {}) => [
    'apiVersion: sloctl/v1',
    `service: { name: orders${o.service ?? ''} }`,
    ...(o.head ? [o.head] : []),
    'routes:',
    '  - { name: pay, method: POST, path: /pay, dependencies: [payments] }',
    'dependencies:',
    '  - { name: payments, url: "http://127.0.0.1:8081", timeout: 150ms, breaker: {} }',
    'load: { rate: 50/s, duration: 2m, mix: [{ route: pay, weight: 1 }] }',
    'objectives:',
    o.objectives ?? '  latency: [{ name: api, threshold: 200ms, objective: 99% }]\n  errors: { objective: 99.5% }',
    '  resilience:',
    '    drills:',
    `      - { name: payments-down, ${o.drill ?? 'fault: error, dependency: payments'}, duration: 10s, detectWithin: 5s, recoverWithin: 15s }`,
    '',
  ].join('\n');

  it('Node, no window declared: the SDK default 30s, at recoverWithin, saying how to change it', () => {
    const text = contract();
    const d = one(text, 'SLO_DRILL_HEALTH_WINDOW');
    assert.equal(`${d.line}:${d.col}`, at(text, '15s', 'payments-down'));
    assert.equal(d.message, 'drill "payments-down" must recover within 15s of the fault\'s end, and the health endpoint of sloctl/sdk judges the last 30s of requests (the SDK\'s default window: the contract declares none): the fault\'s failed or slow requests stay in that window for up to 30s after it ends and keep health from reading UP, so the recovery check fails however fast the service recovers');
    assert.equal(d.hint, 'give recoverWithin at least 30s, or declare a shorter window in the contract, e.g. `health: { window: 10s }` (sloctl/sdk reads it; instrument({ health: { windowMs } }) in the code overrides it)');
    assert.equal(d.related, undefined);
  });

  it('a declared window longer than recoverWithin: compared with it, pointing at both', () => {
    const text = contract({ head: 'health: { window: 20s }' });
    const d = one(text, 'SLO_DRILL_HEALTH_WINDOW');
    assert.equal(`${d.line}:${d.col}`, at(text, '15s', 'payments-down'));
    assert.match(d.message, /^drill "payments-down" must recover within 15s of the fault's end, and its health endpoint judges the last 20s of requests \(health\.window\): .* for up to 20s after it ends/);
    assert.equal(d.hint, 'give recoverWithin at least 20s, or shorten health.window to at most 15s, e.g. 10s');
    assert.equal(`${d.related![0].line}:${d.related![0].col}`, at(text, '20s'));
  });

  it('Go: the Go middleware has the same 30s default, said as such', () => {
    const d = one(contract({ service: ', runtime: go' }), 'SLO_DRILL_HEALTH_WINDOW');
    assert.match(d.message, /and sloctl's Go middleware, if the service uses it, judges health over the last 30s of requests \(its default window: the contract declares none\)/);
    assert.match(d.hint!, /the Go middleware reads it from the contract JSON: regenerate slo\.json; Options\.HealthWindow in the code overrides it/);
  });

  it('a slow dependency or blocked loop counts when it can push requests past the timeout or the threshold', () => {
    assert.equal(one(contract({ drill: 'fault: latency, dependency: payments, delay: 1s' }), 'SLO_DRILL_HEALTH_WINDOW').code, 'SLO_DRILL_HEALTH_WINDOW');
    assert.equal(one(contract({ drill: 'fault: latency, dependency: payments, delay: 100ms, jitter: 60ms' }), 'SLO_DRILL_HEALTH_WINDOW').code, 'SLO_DRILL_HEALTH_WINDOW');
    assert.equal(one(contract({ drill: 'fault: event-loop-block, delay: 300ms' }), 'SLO_DRILL_HEALTH_WINDOW').code, 'SLO_DRILL_HEALTH_WINDOW');
  });

  it('silent when the window fits, or health cannot be held down by the fault\'s requests', () => {
    const sane: Array<[string, string]> = [
      ['a declared window within recoverWithin', contract({ head: 'health: { window: 10s }' })],
      ['a window equal to recoverWithin', contract({ head: 'health: { window: 15s }' })],
      ['recoverWithin as long as the default', contract().replace('recoverWithin: 15s', 'recoverWithin: 30s')],
      ['runtime other: no SDK', contract({ service: ', runtime: other' })],
      ['a service mapped with metrics: (not the SDK)', contract({ head: 'metrics: { labels: { route: handler } }' })],
      ['no latency or errors objective: health judges no window', contract({ objectives: '  memory: { heap: { warn: 256MiB, critical: 512MiB } }' })],
      ['a delay within the timeout and the threshold', contract({ drill: 'fault: latency, dependency: payments, delay: 100ms' })],
      ['a block shorter than the threshold', contract({ drill: 'fault: event-loop-block, delay: 100ms' })],
      ['a handle leak fails no request', contract({ drill: 'fault: handle-leak' })],
      ['a CPU burn on worker threads', contract({ drill: 'fault: cpu-burn' })],
    ];
    // (The handle leak draws SLO_DRILL_UNDETECTABLE here: this contract has no handles warn level.)
    for (const [what, text] of sane) assert.deepEqual(warnings(text).filter((d) => d.code === 'SLO_DRILL_HEALTH_WINDOW').map((d) => d.message), [], what);
  });
});

describe('SLO_DRILL_LEAK_SHORT', () => {
  const contract = (drill: string, memory = '  memory: { heap: { warn: 256MiB, critical: 512MiB } }', service = '') => [
    'apiVersion: sloctl/v1',
    `service: { name: orders${service} }`,
    'routes: [{ name: get, method: GET, path: /x }]',
    'load: { rate: 50/s, duration: 2m, mix: [{ route: get, weight: 1 }] }',
    'objectives:',
    memory,
    '  resilience:',
    '    drills:',
    `      - { name: leak, fault: memory-leak, ${drill}, recoverWithin: 30s }`,
    '',
  ].join('\n');

  it('the default 1 MiB/s for 30s cannot reach heap.warn 256 MiB: at `fault` (no rate written), with the numbers', () => {
    const text = contract('duration: 30s, detectWithin: 20s');
    const d = one(text, 'SLO_DRILL_LEAK_SHORT');
    assert.equal(`${d.line}:${d.col}`, at(text, 'memory-leak', 'name: leak'));
    assert.equal(d.message, 'memory-leak drill "leak" retains at most 30 MiB (the default 1 MiB/s for 30s): even from a heap already at half its warn level (128 MiB) before the fault, the heap reaches 158 MiB, 98 MiB short of heap.warn 256 MiB, so the drill never exercises the heap threshold, the signal that detects a leak');
    assert.equal(d.hint, 'write `rate: 7MiB/s` or more (half the warn level within detectWithin 20s), or lower heap.warn');
    assert.equal(`${d.related![0].line}:${d.related![0].col}`, at(text, '256MiB'));
  });

  it('enough by the end but not by detectWithin: at `rate`, with when the heap would get there', () => {
    const text = contract('rate: 8MiB/s, duration: 60s, detectWithin: 10s');
    const d = one(text, 'SLO_DRILL_LEAK_SHORT');
    assert.equal(`${d.line}:${d.col}`, at(text, '8MiB/s'));
    assert.equal(d.message, 'memory-leak drill "leak" retains 80 MiB by its detection bound (8 MiB/s for detectWithin 10s): even from a heap already at half its warn level (128 MiB) before the fault, the heap reaches heap.warn 256 MiB only after 16s, 48 MiB short at detectWithin, so the heap threshold, the signal that detects a leak, shows it too late');
    assert.equal(d.hint, 'write `rate: 13MiB/s` or more (half the warn level within detectWithin 10s), lengthen detectWithin, or lower heap.warn');
  });

  it('with an rss warn level too, says that only it is left to detect the leak', () => {
    const d = one(contract('duration: 30s, detectWithin: 20s', '  memory: { heap: { warn: 256MiB, critical: 512MiB }, rss: { warn: 512MiB, critical: 1GiB } }'), 'SLO_DRILL_LEAK_SHORT');
    assert.match(d.message, /98 MiB short of heap\.warn 256 MiB, so the drill never exercises the heap threshold \(only rss\.warn is left to detect the leak\)$/);
  });

  it('a warn level the SDK\'s leak (at most 1 GiB) cannot cover half of: lower heap.warn', () => {
    const d = one(contract('rate: 512MiB/s, duration: 60s, detectWithin: 10s', '  memory: { heap: { warn: 4GiB, critical: 6GiB } }'), 'SLO_DRILL_LEAK_SHORT');
    assert.match(d.message, /retains at most 1 GiB \(512 MiB\/s for 1m, where the SDK's leak stops\): .* 1 GiB short of heap\.warn 4 GiB/);
    assert.equal(d.hint, 'lower heap.warn: the SDK\'s leak stops at 1 GiB, less than half of it');
  });

  it('silent when the leak covers half the warn level by detectWithin, or there is no heap warn level, or the service is Go', () => {
    assert.deepEqual(warnings(contract('rate: 16MiB/s, duration: 30s, detectWithin: 10s')), []);
    assert.deepEqual(warnings(contract('rate: 2MiB/s, duration: 30s, detectWithin: 10s', '  memory: { heap: { warn: 40MiB, critical: 100MiB } }')), []);
    assert.deepEqual(warnings(contract('duration: 30s, detectWithin: 20s', '  memory: { rss: { warn: 256MiB, critical: 512MiB } }')), []);
    const go = parseContract(contract('duration: 30s, detectWithin: 20s', undefined, ', runtime: go'), 'slo.yaml').diagnostics;
    assert.deepEqual(go.filter((d) => d.code === 'SLO_DRILL_LEAK_SHORT'), [], 'a Go service cannot run the drill (another warning says so)');
  });
});

describe('SLO_DRILL_UNDETECTABLE', () => {
  // A user trial's shape: an event-loop-block drill, no objectives.concurrency, and nothing else
  // that a block moves (no latency objective for health's latency check, no dependency whose
  // calls it could time out, no concurrency limit, a block well under every probe timeout).
  const contract = (o: { drill?: string; objectives?: string; head?: string; service?: string; load?: string } = {}) => [
    'apiVersion: sloctl/v1',
    `service: { name: orders${o.service ?? ''} }`,
    ...(o.head ? [o.head] : []),
    'routes: [{ name: get, method: GET, path: /x }]',
    `load: { rate: 50/s, duration: 2m, mix: [{ route: get, weight: 1 }]${o.load ?? ''} }`,
    'objectives:',
    '  errors: { objective: 99.5% }',
    ...(o.objectives ? [o.objectives] : []),
    '  resilience:',
    '    drills:',
    `      - { name: loop-blocked, ${o.drill ?? 'fault: event-loop-block, delay: 300ms'}, duration: 20s, detectWithin: 5s, recoverWithin: 30s }`,
    '',
  ].join('\n');

  it('an event-loop block with no eventLoopDelay warn level and nothing else it can move: at `fault`, saying what to add', () => {
    const text = contract();
    const d = one(text, 'SLO_DRILL_UNDETECTABLE');
    assert.equal(`${d.line}:${d.col}`, at(text, 'event-loop-block'));
    assert.equal(d.message, 'drill "loop-blocked" (event-loop-block) can never be detected: the contract gives no warn level to a saturation signal the fault can raise (eventLoopDelay would show it), and a 300ms block fails no request here (no dependency call to time out behind it, no concurrency limit to shed, no probe or client left waiting past its timeout), and health would show the slowed requests only through its latency check, to which the contract gives no latency objective; so the drill fails its detection check (detectWithin 5s) whatever the service does');
    assert.equal(d.hint, 'add objectives.concurrency.eventLoopDelay: { warn: 100ms, critical: 500ms }');
  });

  it('a block of 100ms or less: a warn level under it', () => {
    assert.equal(one(contract({ drill: 'fault: event-loop-block, delay: 80ms' }), 'SLO_DRILL_UNDETECTABLE').hint, 'add objectives.concurrency.eventLoopDelay: { warn: 40ms, critical: 500ms }');
  });

  it('every in-process fault, each with the threshold that watches it', () => {
    const hint = (drill: string) => one(contract({ drill }), 'SLO_DRILL_UNDETECTABLE').hint;
    assert.equal(hint('fault: memory-leak'), 'add objectives.memory.heap: { warn, critical }, its warn level less than 5 MiB above the service\'s steady heap (what the leak retains by detectWithin)');
    assert.equal(hint('fault: handle-leak'), 'add objectives.concurrency.handles: { warn: 1000, critical: 5000 }');
    assert.equal(one(contract({ drill: 'fault: unsettled-promises', load: ', timeout: 30s' }), 'SLO_DRILL_UNDETECTABLE').hint, 'add objectives.concurrency.inFlight: { warn: 200, critical: 500 }');
    assert.equal(hint('fault: cpu-burn'), 'add objectives.concurrency.eventLoopDelay: { warn: 100ms, critical: 500ms }');
    assert.match(one(contract({ drill: 'fault: memory-leak' }), 'SLO_DRILL_UNDETECTABLE').message, /\(heap would show it\), and a leak leaves requests good and health UP, and no error class rises;/);
    assert.match(one(contract({ drill: 'fault: unsettled-promises', load: ', timeout: 30s' }), 'SLO_DRILL_UNDETECTABLE').message, /\(inFlight would show it\), and held requests are neither answered nor recorded while the fault lasts \(20s, within load\.timeout 30s\)/);
  });

  it('a health latency check weighted 0 is no way to show a block', () => {
    const objectives = '  latency: [{ name: api, threshold: 200ms, objective: 99% }]\n  availability: { objective: 99%, weights: { health: 0.5, latency: 0, success: 0.5, dependencies: 0 } }';
    assert.match(one(contract({ objectives }), 'SLO_DRILL_UNDETECTABLE').message, /only through its latency check, to which objectives\.availability\.weights\.latency weighs 0;/);
  });

  it('silent when a signal the judge counts can show the fault', () => {
    const sane: Array<[string, string]> = [
      ['its eventLoopDelay warn level', contract({ objectives: '  concurrency: { eventLoopDelay: { warn: 100ms, critical: 500ms } }' })],
      ['any saturation warn level: the judge counts every one for an in-process fault', contract({ objectives: '  memory: { heap: { warn: 256MiB, critical: 512MiB } }' })],
      ['a latency objective: health\'s latency check can fail on the slowed requests', contract({ objectives: '  latency: [{ name: api, threshold: 200ms, objective: 99% }]' })],
      ['a dependency whose calls can time out behind the block', contract({ head: 'dependencies: [{ name: payments, timeout: 150ms, breaker: {} }]' })],
      ['the concurrency limit sheds as latency rises', contract({ objectives: '  concurrency: { limit: { max: 100 } }' })],
      ['the drift responder', contract({ objectives: '  drift: { signals: [{ signal: eventLoopDelay, threshold: 150ms }], action: degrade }' })],
      ['a block of a second may leave a probe unanswered', contract({ drill: 'fault: event-loop-block, delay: 1s, every: 2s' })],
      ['a block longer than the load\'s timeout', contract({ drill: 'fault: event-loop-block, delay: 600ms', load: ', timeout: 500ms' })],
      ['held requests the clients give up on within the fault', contract({ drill: 'fault: unsettled-promises', load: ', timeout: 5s' })],
      ['a handle leak long enough to press on the descriptor limit', contract({ drill: 'fault: handle-leak' }).replace('duration: 20s', 'duration: 5m').replace('duration: 2m', 'duration: 10m')],
      ['a service mapped with metrics: (its health is its own)', contract({ head: 'metrics: { labels: { route: handler } }' })],
      ['a dependency\'s fault: its gauge can go down', contract({ head: 'dependencies: [{ name: payments, url: "http://127.0.0.1:8081", timeout: 150ms, critical: false }]', drill: 'fault: error, dependency: payments' })],
    ];
    for (const [what, text] of sane) assert.deepEqual(warnings(text).filter((d) => d.code === 'SLO_DRILL_UNDETECTABLE').map((d) => d.message), [], what);
  });

  it('the bundled example has nothing to say', () => {
    assert.deepEqual(warnings(EXAMPLE_TEXT).filter((d) => d.code === 'SLO_DRILL_UNDETECTABLE'), []);
  });

  it('asks the drill judge which saturation signals count: every one with a warn level for an in-process fault, queueing ones for a slow dependency, none for one failing fast', () => {
    const c = parseContract(contract({
      head: 'dependencies: [{ name: payments, url: "http://127.0.0.1:8081", timeout: 150ms, breaker: {} }]',
      objectives: '  concurrency: { eventLoopDelay: { warn: 100ms, critical: 500ms }, inFlight: { warn: 50, critical: 100 } }',
    }), 'slo.yaml').contract!;
    const block = c.objectives.resilience!.drills[0];
    assert.deepEqual(detectingSaturation(c, block), ['eventLoopDelay', 'inFlight']);
    assert.deepEqual(detectingSaturation(c, { ...block, fault: 'latency', delay: 300, dependency: 'payments' }), ['inFlight']);
    assert.deepEqual(detectingSaturation(c, { ...block, fault: 'error', delay: undefined, dependency: 'payments' }), []);
  });
});

describe('SLO_LOOP_DELAY_FLOOR', () => {
  // An idle loop reads ~20 ms: the SDK's saturation monitor and (since a Hono user trial) its drift
  // responder read the gaps between ticks of a 20 ms timer, as prom-client's defaults do.
  const text = (objectives: string, runtime = 'node') => `apiVersion: sloctl/v1\nservice: { name: orders, runtime: ${runtime} }\nobjectives:\n${objectives}\n`;

  it('a drift eventLoopDelay threshold of 20ms: at the threshold, saying an idle loop reads it', () => {
    const t = text('  drift:\n    signals:\n      - { signal: eventLoopDelay, threshold: 20ms }\n    action: shed');
    const d = one(t, 'SLO_LOOP_DELAY_FLOOR');
    assert.equal(`${d.line}:${d.col}`, at(t, '20ms'));
    assert.match(d.message, /^the eventLoopDelay drift threshold is 20ms, and an idle Node event loop already reads about 20ms/);
    assert.match(d.hint ?? '', /at least 50ms/);
  });

  it('a saturation warn level of 10ms: at the warn level', () => {
    const t = text('  concurrency:\n    eventLoopDelay: { warn: 10ms, critical: 200ms }');
    const d = one(t, 'SLO_LOOP_DELAY_FLOOR');
    assert.equal(`${d.line}:${d.col}`, at(t, '10ms'));
    assert.match(d.message, /^the eventLoopDelay warn level is 10ms/);
  });

  it('silent at 50ms and above, and for a Go service (never evaluated there: runtimeFit says so)', () => {
    assert.deepEqual(warnings(text('  concurrency:\n    eventLoopDelay: { warn: 50ms, critical: 200ms }\n  drift:\n    signals:\n      - { signal: eventLoopDelay, threshold: 50ms }\n    action: shed')), []);
    const go = parseContract(text('  drift:\n    signals:\n      - { signal: eventLoopDelay, threshold: 20ms }\n    action: shed', 'go'), 'slo.yaml').diagnostics;
    assert.deepEqual(go.filter((d) => d.code === 'SLO_LOOP_DELAY_FLOOR'), []);
  });
});

describe('SLO_MIX_BODY_METHOD', () => {
  const contract = (mix: string) => [
    'apiVersion: sloctl/v1',
    'service: { name: orders }',
    'routes:',
    '  - { name: list, method: GET, path: /orders }',
    '  - { name: peek, method: HEAD, path: /orders }',
    '  - { name: create, method: POST, path: /orders }',
    'load:',
    '  rate: 50/s',
    '  duration: 2m',
    '  mix:',
    ...mix.split('\n').map((l) => `    ${l}`),
    'objectives:',
    '  errors: { objective: 99.5% }',
    '',
  ].join('\n');

  it('a body moved onto the GET entry: at the body, naming the POST entry without one', () => {
    const text = contract('- { route: list, weight: 3, body: { sku: abc } }\n- { route: create, weight: 1 }');
    const d = one(text, 'SLO_MIX_BODY_METHOD');
    assert.equal(`${d.line}:${d.col}`, at(text, '{ sku: abc }'));
    assert.equal(d.message, 'load.mix[0] (route "list", GET /orders) has a body: the load generator sends it with every GET request of the entry (as JSON, with content-type: application/json, and its content-length), where HTTP defines no meaning for one (RFC 9110): a GET route seldom reads it, and servers or proxies may drop or refuse it; most likely the body was meant for another entry');
    assert.equal(d.hint, 'move it to load.mix[1] (route "create", POST /orders), which sends no body, or remove it');
    assert.equal(`${d.related![0].line}:${d.related![0].col}`, at(text, '{ route: create'));
  });

  it('HEAD too; a string body is sent as it is; no POST entry without a body: remove it or move it', () => {
    const d = one(contract('- { route: peek, weight: 1, body: "x=1" }\n- { route: create, weight: 1, body: { sku: abc } }'), 'SLO_MIX_BODY_METHOD');
    assert.match(d.message, /^load\.mix\[0\] \(route "peek", HEAD \/orders\) has a body: the load generator sends it with every HEAD request of the entry \(as it is, and its content-length\)/);
    assert.equal(d.hint, 'remove it, or move it to the entry of the POST, PUT or PATCH route that takes it');
    assert.equal(d.related, undefined);
  });

  it('silent for a body on a POST, a GET without one, or body: null (the generator sends none)', () => {
    assert.deepEqual(warnings(contract('- { route: list, weight: 3 }\n- { route: create, weight: 1, body: { sku: abc } }')), []);
    assert.deepEqual(warnings(contract('- { route: list, weight: 3, body: null }\n- { route: create, weight: 1 }')), []);
  });
});
