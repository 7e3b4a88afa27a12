// The drill judge's windows on the runner's real geometry (500 ms slices, a 1 s steady window, 1 s
// scrapes): the requests in flight when the fault starts are not steady state, and one saturation
// spike on a busy machine is not a detection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadSlice } from '../src/measure/types.ts';
import { judgeDrill, steadyGuardMs } from '../src/verdicts/drill.ts';
import type { DrillEvidence, SaturationSample } from '../src/verdicts/drill-types.ts';

const YAML = `apiVersion: sloctl/v1
service: { name: checkout, runtime: node }
routes:
  - { name: create-order, method: POST, path: /orders, dependencies: [payments] }
  - { name: get-product, method: GET, path: /products/:id, latency: 800ms }
load:
  rate: 100/s
  duration: 1m
  mix:
    - { route: create-order, weight: 1 }
    - { route: get-product, weight: 1, params: { id: "int(1,100)" } }
dependencies:
  - { name: payments, url: http://127.0.0.1:8081, timeout: 150ms }
objectives:
  latency:
    - { name: api-latency, threshold: 300ms, objective: 99% }
  errors: { objective: 99% }
  concurrency:
    eventLoopDelay: { warn: 100ms, critical: 500ms }
  resilience:
    drills:
      - { name: payments-down, fault: error, dependency: payments, status: 503, duration: 4s, detectWithin: 3s, recoverWithin: 4s }
      - { name: loop-blocked, fault: event-loop-block, delay: 200ms, duration: 4s, detectWithin: 3s, recoverWithin: 4s }
`;
const parsed = parseContract(YAML, 'slo.yaml');
assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), []);
const contract: Contract = parsed.contract!;
const drill = (name: string) => contract.objectives.resilience!.drills.find((d) => d.name === name)!;

const SLICE = 500;
const STEADY_FROM = 9000;
const FAULT = 10_000; // a 1 s steady window (--steady 1s), as the runner's phase marks put it
const REMOVED = 14_000;
const END = 21_000;

/** One slice: per route, `ok` answers in 20 ms and `failed` 503s (in 5 ms). */
function slice(startMs: number, perRoute: (route: string) => { ok: number; failed: number }): LoadSlice {
  return {
    startMs,
    routes: ['create-order', 'get-product'].map((name) => {
      const { ok, failed } = perRoute(name);
      const h = new Histogram();
      if (ok > 0) h.record(20_000, ok);
      if (failed > 0) h.record(5_000, failed);
      const statuses: Record<string, number> = {};
      if (ok > 0) statuses['200'] = ok;
      if (failed > 0) statuses['503'] = failed;
      return { name, sent: ok + failed, completed: ok + failed, statuses, errors: {}, histogram: h.toJSON() };
    }),
  };
}

function evidence(name: string, o: { client: LoadSlice[]; saturation?: SaturationSample[] }): DrillEvidence {
  const health = [];
  for (let t = STEADY_FROM - 2000; t < END; t += 250) health.push({ atMs: t, state: 'up' as const, failing: [] });
  return {
    drill: drill(name),
    sliceMs: SLICE,
    steadyFromMs: STEADY_FROM,
    faultAtMs: FAULT,
    removedAtMs: REMOVED,
    endMs: END,
    applied: { ok: true, how: 'test' },
    removed: { ok: true, detail: 'no toxic left' },
    client: o.client,
    service: [],
    health,
    dependencies: [],
    saturation: o.saturation ?? [],
    generator: { ok: true, reasons: [] },
    scrapeIntervalMs: 1000,
    probeIntervalMs: 250,
  };
}

/**
 * The run the helper saw: 25 requests per route per slice, no error before the fault, every
 * create-order failing from the fault on, and the create-order requests of the last slice before
 * the fault (intended then, sent late by a busy generator or still in flight) failing too: counted
 * by intended send time they sit in the steady window's last slice.
 */
function outageClient(): LoadSlice[] {
  const out: LoadSlice[] = [];
  for (let t = STEADY_FROM; t < END; t += SLICE) {
    const faulted = t >= FAULT - SLICE && t < REMOVED;
    out.push(slice(t, (route) => (route === 'create-order' && faulted ? { ok: 0, failed: 25 } : { ok: 25, failed: 0 })));
  }
  return out;
}

describe('the steady window ends before the fault', () => {
  it('a guard of one slice or the route\'s latency threshold, whichever is larger', () => {
    assert.equal(steadyGuardMs(contract, 500, 'create-order'), 500); // 300 ms threshold < one slice
    assert.equal(steadyGuardMs(contract, 500, 'get-product'), 800); // its own 800 ms override
    assert.equal(steadyGuardMs(contract, 500), 800); // the largest: what the runner schedules on top of --steady
    assert.equal(steadyGuardMs(contract, 1000), 1000);
  });

  it('requests of the last slice that the fault hit do not count against the steady state (1 s window, 500 ms slices)', () => {
    const v = judgeDrill(contract, evidence('payments-down', { client: outageClient() }));
    const errors = v.steady.checks.find((c) => c.name === 'errors')!;
    // Before the guard: the steady window held slice 9.5-10 s, whose 25 create-orders were the
    // fault's 503s: weighted success 92.5% (objective 99%), "the service missed errors before the
    // fault", INCONCLUSIVE (checked against the judge before this change).
    assert.equal(errors.client, 1, JSON.stringify(v.steady));
    assert.equal(v.steady.met, true);
    assert.notEqual(v.outcome, 'inconclusive', v.reasons.join('\n'));
  });

  it('a steady window no longer than the guard is inconclusive, saying how long it must be', () => {
    const ev = evidence('payments-down', { client: outageClient() });
    const v = judgeDrill(contract, { ...ev, steadyFromMs: FAULT - 1000 + 200, client: ev.client.filter((s) => s.startMs >= FAULT - 1000 + 200) });
    assert.equal(v.outcome, 'inconclusive');
    assert.match(v.reasons.join('\n'), /the steady window \(0\.8 s\) is too short to measure: it ends 0\.8 s before the fault .*give the steady window more than 1\.3 s/);
  });
});

describe('saturation detection', () => {
  // 1 s scrapes at x.7 s; the event-loop block keeps no route slow enough to matter here.
  const fine = (): LoadSlice[] => Array.from({ length: (END - STEADY_FROM) / SLICE }, (_, i) => slice(STEADY_FROM + i * SLICE, () => ({ ok: 25, failed: 0 })));
  const lag = (f: (t: number) => number): SaturationSample[] => Array.from({ length: 14 }, (_, i) => STEADY_FROM - 2000 + 700 + i * 1000).map((t) => ({ atMs: t, signal: 'eventLoopDelay' as const, value: f(t) }));
  // A 3 s steady window here: three clean samples (7.7, 8.7 and 9.7 s) before the fault.
  const judged = (f: (t: number) => number) => judgeDrill(contract, { ...evidence('loop-blocked', { client: fine(), saturation: lag(f) }), steadyFromMs: 7000 });

  it('one sample over warn is no detection, even after a clean steady window; two scrapes in a row are, dated at the second', () => {
    // The example's PAYMENTS_BREAKER=off drill passed on one such sample (161 ms, three runs on two cores).
    const spike = judged((t) => (t === 11_700 ? 180 : 20));
    assert.equal(spike.detection.met, false, JSON.stringify(spike.detection));
    assert.equal(spike.detection.ms, undefined);
    assert.match(spike.reasons.join('\n'), /no saturation signal held its warn level for 2 scrapes in a row \(eventLoopDelay peaked at 180 ms, warn 100 ms\)/);
    const held = judged((t) => (t === 11_700 || t === 12_700 ? 180 : 20));
    assert.equal(held.detection.met, true, JSON.stringify(held.detection));
    assert.equal(held.detection.ms, 2700);
    assert.equal(held.detection.signal, 'eventLoopDelay 180 ms, at or over its warn level 100 ms for 2 scrapes in a row');
    // Two spikes with a scrape between are not in a row.
    assert.equal(judged((t) => (t === 10_700 || t === 12_700 ? 180 : 20)).detection.met, false);
  });

  it('a dependency failing fast raises no saturation signal: event-loop delay over warn in its fault is the machine, not detection', () => {
    // CI 2026-12-07: the example's PAYMENTS_BREAKER=off payments-down passed, "detected" by an
    // event-loop delay of 85 ms over two scrapes while three runs shared two cores.
    const held = (t: number) => (t === 11_700 || t === 12_700 ? 180 : 20);
    const v = judgeDrill(contract, { ...evidence('payments-down', { client: fine(), saturation: lag(held) }), steadyFromMs: 7000 });
    assert.equal(v.detection.met, false, JSON.stringify(v.detection));
    assert.equal(v.outcome, 'fail', v.reasons.join('\n'));
    assert.match(v.reasons.join('\n'), /no saturation signal that a dependency's error fault can raise reached its warn level \(eventLoopDelay did, not counted: a dependency failing fast leaves nothing waiting in the service/);
    // The same samples detect an event-loop block (above).
    assert.equal(judged(held).detection.met, true);
  });

  it('a signal already over warn at the last sample before the fault shows nothing', () => {
    const v = judged((t) => (t >= 9_700 ? 180 : 20));
    assert.equal(v.detection.met, false);
  });
});
