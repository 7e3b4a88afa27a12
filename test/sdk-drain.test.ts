// Graceful drain (sdk.serve) and the drift responder (issue 12, item 4 and the first done-when):
// the pure decision (consecutive breaches, hysteresis), each action, the drainer on a real server,
// and the done-when counted on the client side: the checkout example under 300 req/s killed with
// SIGTERM, and a service the drift responder drains, lose no accepted request, and connections
// are refused only after health said DOWN.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { runLoad, type LoadResult, type RequestTemplate } from '../src/load/index.ts';
import { evaluateDrift, initialDriftState, probeAfterMs, type DriftSignalSpec, type DriftState } from '../src/sdk/drift/decide.ts';
import { DriftResponder, type DriftLogLine } from '../src/sdk/drift/responder.ts';
import { histogramQuantile, signalReader, type DriftSources } from '../src/sdk/drift/signals.ts';
import { instrument } from '../src/sdk/index.ts';
import { wrap } from '../src/sdk/adapters/http.ts';
import sloctlFastify from '../src/sdk/adapters/fastify.ts';
import { metricValue } from '../src/sdk/testing.ts';
import { Drainer, IDLE_CLOSE_MS, type DrainLogLine, type DrainResult } from '../src/sdk/protect/drain.ts';
import { acceptQueueLength } from '../src/sdk/protect/accept-queue.ts';
import { contractFrom as contractOf } from './helpers/contract.ts';

const REPO = resolve(import.meta.dirname, '..');

const driftContract = (action: string, signals: string, interval = '1s') => `apiVersion: sloctl/v1
service: { name: drifty }
window: 1h
bucket: 1s
scrapeInterval: 500ms
routes:
  - { name: work, method: GET, path: /work }
dependencies:
  - { name: db, timeout: 100ms, critical: true }
  - { name: recs, timeout: 100ms, critical: false, fallback: none }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 90% }
  drift:
    interval: ${interval}
    action: ${action}
    signals:
${signals}
`;

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, deadlineMs = 10_000, everyMs = 20): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('drift decision (pure)', () => {
  const specs: DriftSignalSpec[] = [{ signal: 'inFlight', threshold: 10, evaluations: 3 }, { signal: 'errors', threshold: 0.05, evaluations: 2 }];
  const run = (readings: Array<[number | undefined, number | undefined]>, irreversible = false) => {
    let state = initialDriftState(specs);
    const events: string[] = [];
    readings.forEach((r, t) => {
      const out = evaluateDrift(specs, state, r, t, { irreversible });
      state = out.state;
      events.push(out.event ? `${out.event.kind}:${specs[out.event.signal].signal}` : '-');
    });
    return { events, state };
  };

  it('acts only after `evaluations` consecutive breaches; one evaluation under resets the run', () => {
    const { events } = run([[11, 0], [12, 0], [9, 0], [11, 0], [11, 0], [11, 0], [50, 0]]);
    assert.deepEqual(events, ['-', '-', '-', '-', '-', 'act:inFlight', '-']);
  });

  it('each signal counts its own evaluations; the threshold itself is not a breach', () => {
    assert.deepEqual(run([[10, 0.06], [10, 0.07]]).events, ['-', 'act:errors']);
    assert.deepEqual(run([[10, 0.05], [10, 0.05], [10, 0.05]]).events, ['-', '-', '-']);
  });

  it('relaxes with hysteresis: `evaluations` in a row under 0.9 × threshold; between 0.9× and 1× holds the action', () => {
    const { events } = run([
      [11, 0], [11, 0], [11, 0], // act
      [9.5, 0], [9.5, 0], [9.5, 0], [9.5, 0], // under the threshold, above 9: no relax
      [8, 0], [8, 0], [9.5, 0], // the run broken
      [8, 0], [8, 0], [8, 0], // relax
      [8, 0],
    ]);
    assert.deepEqual(events, ['-', '-', 'act:inFlight', '-', '-', '-', '-', '-', '-', '-', '-', '-', 'relax:inFlight', '-']);
  });

  it('waits for every tripped signal before relaxing; no evidence counts as recovered', () => {
    const { events } = run([
      [11, 0.1], [11, 0.1], [11, 0.1], // errors trips at 2, inFlight joins at 3
      [1, undefined], [1, undefined], // errors recovered (2), inFlight not yet (3 needed)
      [1, 0.2], // inFlight recovered; errors breaks its run
      [1, 0], [1, 0], [1, 0],
    ]);
    assert.deepEqual(events, ['-', 'act:errors', '-', '-', '-', '-', '-', 'relax:errors', '-']);
  });

  it('withheld readings (the action shed every request of the signal) hold the action, then relax it to probe after probeAfterMs; a withheld reading never trips it', () => {
    const latency: DriftSignalSpec[] = [{ signal: 'latency', threshold: 150, evaluations: 3 }];
    let state = initialDriftState(latency);
    const events: string[] = [];
    // One evaluation a second; probing after 30 s of withheld readings.
    const readings: Array<number | undefined | null> = [null, null, 498, 498, 498, ...Array.from({ length: 31 }, () => null), 498, 498, 498, 4.9, 4.9, 4.9, 4.9, 4.9, 4.9];
    readings.forEach((r, t) => {
      const out = evaluateDrift(latency, state, [r], t * 1000, { probeAfterMs: 30_000 });
      state = out.state;
      const e = out.event;
      events.push(e ? `${e.kind}@${t}${e.kind === 'relax' && e.probeAfterWithheldMs !== undefined ? ` probe ${e.probeAfterWithheldMs}` : ''}${e.kind === 'act' && e.holdFactor !== undefined ? ` back after ${e.cameBackAfterMs} hold ${e.holdFactor}x` : ''}` : '-');
    });
    // The probe found the drift still there (back 3 s after the lift): the next lift waits 2 × 3 recoveries.
    assert.deepEqual(events.filter((e) => e !== '-'), ['act@4', 'relax@35 probe 30000', 'act@38 back after 3000 hold 2x', 'relax@44']);
    assert.equal(probeAfterMs(1000), 30_000);
    assert.equal(probeAfterMs(5000), 50_000, 'ten evaluations when they are slow');
  });

  it('an action that takes its own evidence away (shedding lowers the loop delay) waits longer before each lift instead of flapping', () => {
    // A user's CPU-bound Koa service: shed on eventLoopDelay > 50 ms, the delay fell to ~13 ms while
    // shedding, the action lifted, the load came back: on and off three times in 17 s.
    const delay: DriftSignalSpec[] = [{ signal: 'eventLoopDelay', threshold: 50, evaluations: 2 }];
    let state = initialDriftState(delay);
    const acts: number[] = [];
    const lifts: number[] = [];
    const holds: Array<number | undefined> = [];
    // The service: the delay reads 13 ms while the action is on and 300 ms while it is off.
    for (let t = 0; t < 120; t++) {
      const out = evaluateDrift(delay, state, [state.active ? 13 : 300], t * 1000, { probeAfterMs: 30_000 });
      state = out.state;
      if (out.event?.kind === 'act') {
        acts.push(t);
        holds.push(out.event.holdFactor);
      }
      if (out.event?.kind === 'relax') lifts.push(t);
    }
    // Held 2 evaluations, then 4, 8, 16, and 16 from then on (8x at most): not every 2 s.
    const held = lifts.map((l, i) => l - acts[i]);
    assert.deepEqual(held.slice(0, 6), [2, 4, 8, 16, 16, 16], `acts ${acts.join(',')} lifts ${lifts.join(',')}`);
    assert.deepEqual(holds.slice(0, 5), [undefined, 2, 4, 8, 8]);
    // After a calm longer than the flap window, a new drift starts again at 1x.
    let calm: DriftState = { ...state, active: false, signals: state.signals.map((x) => ({ ...x, tripped: false, breaches: 0, recoveries: 0 })), relaxedAt: 0 };
    const t0 = 1_000_000;
    calm = evaluateDrift(delay, calm, [300], t0, { probeAfterMs: 30_000 }).state;
    const again = evaluateDrift(delay, calm, [300], t0 + 1000, { probeAfterMs: 30_000 });
    assert.equal(again.event?.kind, 'act');
    assert.equal(again.event?.kind === 'act' ? again.event.holdFactor : 'x', undefined);
    assert.equal(again.state.holdDoublings, undefined);
  });

  it('the drain action never relaxes', () => {
    const { events, state } = run([[11, 0], [11, 0], [11, 0], [1, 0], [1, 0], [1, 0], [1, 0]], true);
    assert.deepEqual(events, ['-', '-', 'act:inFlight', '-', '-', '-', '-']);
    assert.equal(state.active, true);
  });

  it('histogram quantiles interpolate like histogram_quantile', () => {
    assert.equal(histogramQuantile(0.5, [[100, 50], [200, 100], [Infinity, 100]]), 100);
    assert.equal(histogramQuantile(0.75, [[100, 50], [200, 100], [Infinity, 100]]), 150);
    assert.equal(histogramQuantile(0.99, [[100, 50], [200, 90], [Infinity, 100]]), 200, 'above the top bound: the top bound');
    assert.equal(histogramQuantile(0.99, [[100, 0], [Infinity, 0]]), undefined);
  });
});

describe('drift signal readers', () => {
  const contract = contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 5 }').replace(
    '  - { name: work, method: GET, path: /work }',
    '  - { name: work, method: GET, path: /work }\n  - { name: other, method: POST, path: /other }',
  ).replace('    - { name: api, threshold: 100ms, objective: 90% }', '    - { name: api, threshold: 100ms, objective: 90%, routes: [work] }'));
  /** A cumulative histogram as prom-client reads it: per route, counts at le 0.05, 0.1, 0.5 s and +Inf. */
  const hist = (rows: Array<[string, string, number[]]>) => ({
    get: async () => ({
      values: rows.flatMap(([method, route, c]) => ['0.05', '0.1', '0.5', '+Inf'].map((le, i) => ({ labels: { method, route, le }, value: c[i], metricName: 'x_bucket' }))),
    }),
  });
  const base: DriftSources = { contract, recent: () => ({ total: 0, fast: 0, weightedErrors: 0, spanMs: 0 }), minRequests: 10, inFlight: () => 0 };

  it('latency: the named objective\'s quantile (90%) of the requests since the last read, over its routes only', async () => {
    let rows: Array<[string, string, number[]]> = [['GET', '/work', [0, 0, 0, 0]], ['POST', '/other', [0, 0, 0, 0]]];
    const src = { ...base, histogram: { get: () => hist(rows).get() } };
    const r = signalReader({ signal: 'latency', objective: 'api', threshold: 100, evaluations: 3 }, src);
    assert.equal(await r.read(), undefined, 'nothing yet');
    rows = [['GET', '/work', [100, 100, 100, 100]], ['POST', '/other', [0, 0, 0, 1000]]];
    assert.equal(await r.read(), 45, 'all /work requests under 50 ms: p90 interpolated at 45 ms (the other route, all slow, is not the objective\'s)');
    rows = [['GET', '/work', [100, 100, 200, 200]], ['POST', '/other', [0, 0, 0, 1000]]];
    assert.equal(await r.read(), 460, 'the next 100 all between 100 and 500 ms: p90 interpolated at 460 ms');
    rows = [['GET', '/work', [100, 100, 205, 205]], ['POST', '/other', [0, 0, 0, 1000]]];
    assert.equal(await r.read(), undefined, 'under minRequests since the last read: no evidence');
    const all = signalReader({ signal: 'latency', threshold: 100, evaluations: 3 }, { ...src, histogram: hist([['GET', '/work', [100, 100, 100, 100]], ['POST', '/other', [0, 0, 0, 100]]]) });
    assert.equal(await all.read(), 500, 'without an objective: p99 over every route (half of them past the top bound: the top bound)');
  });

  it('latency leaves out the requests the service did not serve: the instant 503s of its own shed action do not read as recovery', async () => {
    let rows: Array<[string, string, number[]]> = [['GET', '/work', [0, 0, 0, 0]]];
    let shed = Float64Array.of(0, 0, 0, 0);
    const histogram = { get: () => hist(rows).get() };
    const served = signalReader({ signal: 'latency', objective: 'api', threshold: 100, evaluations: 3 }, { ...base, histogram, excluded: () => new Map([['GET /work', shed], ['POST /other', Float64Array.of(7, 0, 0, 0)]]) });
    const all = signalReader({ signal: 'latency', objective: 'api', threshold: 100, evaluations: 3 }, { ...base, histogram });
    assert.equal(await served.read(), undefined);
    await all.read();
    rows = [['GET', '/work', [0, 0, 100, 100]]];
    assert.equal(await served.read(), 460);
    assert.equal(await all.read(), 460);
    // The next evaluation: 100 more served between 100 and 500 ms, and 900 shed under 50 ms.
    rows = [['GET', '/work', [900, 900, 1100, 1100]]];
    shed = Float64Array.of(900, 0, 0, 0);
    assert.equal(await served.read(), 460, 'the served requests are as slow as before');
    assert.equal(await all.read(), 50, 'with the shed ones, p90 reads 50 ms: under the relax line, which lifted the action and flapped');
  });

  it('the Sdk counts what it did not serve for the latency signal: a shed request lands in recorder.unjudged, a served one does not', async () => {
    const two = contractOf(driftContract('shed', '      - { signal: latency, threshold: 100ms }').replace(
      '  - { name: work, method: GET, path: /work }',
      '  - { name: work, method: GET, path: /work, weight: 1 }\n  - { name: pay, method: GET, path: /pay, weight: 5 }',
    ));
    const sdk = instrument({ contract: two, registry: new Registry(), defaultMetrics: false, drift: { autoStart: false } });
    try {
      const server = createServer(wrap((_req, res) => res.end('ok'), sdk));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      assert.equal((await probe(url, '/work')).status, 200);
      sdk.admission.shed(true, 'test');
      assert.equal((await probe(url, '/work')).status, 503, 'the lowest weight is shed');
      assert.equal((await probe(url, '/pay')).status, 200);
      const counts = sdk.recorder.unjudged?.get('GET /work');
      assert.ok(counts, JSON.stringify([...(sdk.recorder.unjudged ?? new Map()).keys()]));
      assert.equal(counts.reduce((a, b) => a + b, 0), 1);
      assert.equal(sdk.recorder.unjudged?.get('GET /pay'), undefined);
      // Requests that came and were all shed: the latency signal is withheld (null), not "no evidence" (undefined).
      const reader = signalReader({ signal: 'latency', threshold: 100, evaluations: 3 }, {
        contract: two, recent: () => ({ total: 0, fast: 0, weightedErrors: 0, spanMs: 0 }), minRequests: 10, inFlight: () => 0,
        histogram: sdk.registry.getSingleMetric('http_server_request_duration_seconds') as never, excluded: () => sdk.recorder.unjudged,
      });
      await reader.read();
      for (let i = 0; i < 12; i++) assert.equal((await probe(url, '/work')).status, 503);
      assert.equal(await reader.read(), null, '12 received, 0 served');
      assert.equal(await reader.read(), undefined, 'none received since: no evidence (an idle service)');
      server.close();
    } finally {
      sdk.driftResponder?.stop();
    }
  });

  it('errors: the weighted ratio of the recent window; eventLoopDelay sees a blocked loop; utilization, heap and in-flight read', async () => {
    let totals = { total: 5, fast: 5, weightedErrors: 5, spanMs: 1000 };
    const errors = signalReader({ signal: 'errors', threshold: 0.05, evaluations: 3 }, { ...base, recent: () => totals });
    assert.equal(errors.read(), undefined, 'under minRequests');
    totals = { total: 200, fast: 200, weightedErrors: 5, spanMs: 1000 };
    assert.equal(errors.read(), 0.025);
    const eld = signalReader({ signal: 'eventLoopDelay', threshold: 50, evaluations: 3 }, base);
    await new Promise((r) => setTimeout(r, 100));
    await eld.read();
    for (let i = 0; i < 8; i++) {
      const end = Date.now() + 50;
      while (Date.now() < end) { /* a busy loop, 50 ms a turn */ }
      await new Promise((r) => setTimeout(r, 1));
    }
    const blocked = (await eld.read()) as number;
    assert.ok(blocked >= 40, `p99 event-loop delay with 50 ms turns: ${blocked} ms`);
    eld.stop?.();
    const elu = signalReader({ signal: 'eventLoopUtilization', threshold: 0.9, evaluations: 3 }, base).read() as number;
    assert.ok(elu >= 0 && elu <= 1, String(elu));
    assert.ok((signalReader({ signal: 'heap', threshold: 1e9, evaluations: 3 }, base).read() as number) > 1e6);
    assert.equal(signalReader({ signal: 'inFlight', threshold: 5, evaluations: 3 }, { ...base, inFlight: () => 7 }).read(), 7);
  });

  it('eventLoopDelay sees one 300 ms block in an otherwise idle second (a loop blocked 30% of the time), as the saturation monitor does', async () => {
    // A user trial (Hono, a 300 ms block a second, threshold 150 ms) never tripped: at 10 ms
    // resolution the block was one sample in ~70 and the p99 read ~12 ms.
    const eld = signalReader({ signal: 'eventLoopDelay', threshold: 150, evaluations: 3 }, base);
    try {
      await eld.read();
      // An idle loop for most of the interval, then one block in a callback of its own.
      await new Promise<void>((done) => setTimeout(() => {
        const end = Date.now() + 300;
        while (Date.now() < end) { /* the block */ }
        done();
      }, 700));
      await new Promise((r) => setTimeout(r, 1)); // the next loop turn, as an evaluation after a block comes
      const v = (await eld.read()) as number;
      assert.ok(v >= 250, `p99 event-loop delay of an interval with one 300 ms block: ${v} ms (threshold 150 ms)`);
    } finally {
      eld.stop?.();
    }
  });
});

describe('drift responder: each action, its JSON line and metrics', () => {
  const signals = '      - { signal: inFlight, threshold: 5, evaluations: 2 }';
  function setup(action: 'shed' | 'degrade' | 'drain') {
    const contract = contractOf(driftContract(action, signals));
    const calls: string[] = [];
    const lines: DriftLogLine[] = [];
    let inFlight = 0;
    const registry = new Registry();
    const responder = new DriftResponder(contract.objectives.drift!, {
      contract, recent: () => ({ total: 0, fast: 0, weightedErrors: 0, spanMs: 0 }), minRequests: 20, inFlight: () => inFlight,
    }, {
      shed: (on, reason) => calls.push(`shed ${on} ${reason}`),
      degrade: (on, reason) => calls.push(`degrade ${on} ${reason}`),
      drain: (reason) => calls.push(`drain ${reason}`),
    }, registry, { autoStart: false, log: (l) => lines.push(l) });
    return { responder, calls, lines, registry, set: (n: number) => { inFlight = n; } };
  }
  const metric = async (registry: Registry, name: string, labels: Record<string, string>) => {
    const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return m?.value;
  };

  for (const action of ['shed', 'degrade', 'drain'] as const) {
    it(`${action}: acts after 2 breaches, one JSON line, sloctl_drift_action 1, the counter +1${action === 'drain' ? ', never relaxes' : ', relaxes after 2 under 4.5'}`, async () => {
      const { responder, calls, lines, registry, set } = setup(action);
      set(9);
      assert.equal(await responder.evaluate(), undefined);
      assert.equal(await metric(registry, 'sloctl_drift_action', { action }), 0);
      const ev = await responder.evaluate();
      assert.equal(ev?.kind, 'act');
      assert.equal(calls.length, 1);
      assert.match(calls[0], new RegExp(`^${action} ${action === 'drain' ? '' : 'true '}drift: inFlight 9 > 5 for 2 consecutive evaluations`));
      assert.equal(lines.length, 1);
      const l = lines[0];
      assert.equal(l.event, 'drift-action');
      assert.equal(l.action, action);
      assert.equal(l.signal, 'inFlight');
      assert.equal(l.value, 9);
      assert.equal(l.threshold, 5);
      assert.deepEqual(l.values, { inFlight: 9 });
      assert.ok(!Number.isNaN(Date.parse(l.time)));
      assert.doesNotThrow(() => JSON.parse(JSON.stringify(l)));
      assert.equal(await metric(registry, 'sloctl_drift_action', { action }), 1);
      assert.equal(await metric(registry, 'sloctl_drift_actions_total', { action, signal: 'inFlight' }), 1);

      set(5); // under the threshold, above 0.9 × 5: holds
      await responder.evaluate();
      await responder.evaluate();
      assert.equal(lines.length, 1);
      set(1);
      await responder.evaluate();
      const relax = await responder.evaluate();
      if (action === 'drain') {
        assert.equal(relax, undefined);
        assert.equal(calls.length, 1);
        assert.equal(await metric(registry, 'sloctl_drift_action', { action }), 1);
      } else {
        assert.equal(relax?.kind, 'relax');
        assert.equal(lines[1].event, 'drift-relax');
        assert.match(lines[1].reason, /under 4\.5 \(0\.9 × its threshold\)/);
        assert.match(calls[1], new RegExp(`^${action} false `));
        assert.equal(await metric(registry, 'sloctl_drift_action', { action }), 0);
        assert.equal(await metric(registry, 'sloctl_drift_actions_total', { action, signal: 'inFlight' }), 1);
      }
      responder.stop();
    });
  }

  it('degrade through the Sdk: health DEGRADED with the reason, the non-critical dependency on its fallback; relaxed: UP again', async () => {
    const contract = contractOf(driftContract('degrade', signals));
    const lines: DriftLogLine[] = [];
    const sdk = instrument({ contract, registry: new Registry(), defaultMetrics: false, drift: { autoStart: false, log: (l) => lines.push(l) } });
    const responder = sdk.driftResponder!;
    assert.ok(responder);
    const hold = Array.from({ length: 9 }, () => sdk.recorder.begin());
    await responder.evaluate();
    assert.equal((await sdk.health()).status, 'UP');
    await responder.evaluate();
    const h = await sdk.health();
    assert.equal(h.status, 'DEGRADED');
    assert.match(h.degraded!.reason, /inFlight 9 > 5/);
    assert.equal((await sdk.healthResponse()).status, 503);
    assert.equal(sdk.dependency('recs').useFallback, true);
    assert.equal(sdk.dependency('db').useFallback, false, 'a critical dependency has no fallback to switch to');
    for (const _ of hold) sdk.recorder.inFlight--;
    await responder.evaluate();
    await responder.evaluate();
    assert.equal((await sdk.health()).status, 'UP');
    assert.equal(sdk.dependency('recs').useFallback, false);
    assert.deepEqual(lines.map((l) => l.event), ['drift-action', 'drift-relax']);
    responder.stop();
  });

  it('drain through the Sdk without sdk.serve(): health DOWN (nothing else to stop), and no exit', async () => {
    const contract = contractOf(driftContract('drain', signals));
    const sdk = instrument({ contract, registry: new Registry(), defaultMetrics: false, drift: { autoStart: false, log: () => {} } });
    for (let i = 0; i < 9; i++) sdk.recorder.begin();
    await sdk.driftResponder!.evaluate();
    assert.equal(sdk.isDraining, false);
    await sdk.driftResponder!.evaluate();
    assert.equal(sdk.isDraining, true);
    assert.equal((await sdk.health()).status, 'DOWN');
    sdk.driftResponder!.stop();
  });

  it('sloctl_drain_server says whether the drain action has a server to drain: 0 before sdk.serve(), 1 after; absent for other actions', async () => {
    const registry = new Registry();
    const sdk = instrument({ contract: contractOf(driftContract('drain', signals)), registry, defaultMetrics: false, drift: { autoStart: false, log: () => {} } });
    assert.equal(await metricValue(registry, 'sloctl_drain_server'), 0);
    sdk.serve(createServer(), { exit: false });
    assert.equal(await metricValue(registry, 'sloctl_drain_server'), 1);
    const shed = new Registry();
    instrument({ contract: contractOf(driftContract('shed', signals)), registry: shed, defaultMetrics: false, drift: { autoStart: false, log: () => {} } }).driftResponder!.stop();
    assert.equal(shed.getSingleMetric('sloctl_drain_server'), undefined);
    sdk.driftResponder!.stop();
  });

  it('drift: false keeps the responder off', () => {
    const contract = contractOf(driftContract('shed', signals));
    assert.equal(instrument({ contract, registry: new Registry(), defaultMetrics: false, drift: false }).driftResponder, undefined);
  });
});

/** GET on a new connection; resolves with the status, or the error code (ECONNREFUSED). */
function probe(url: string, path: string, agent: Agent | false = false): Promise<{ status?: number; body?: string; code?: string; connection?: string }> {
  return new Promise((resolveP) => {
    const req = request(`${url}${path}`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolveP({ status: res.statusCode, body, connection: String(res.headers.connection ?? '') }));
      res.on('error', (e: NodeJS.ErrnoException) => resolveP({ code: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolveP({ code: e.code ?? e.message }));
    req.end();
  });
}

describe('acceptQueueLength: the listener rows of /proc/net/tcp{,6}', () => {
  const table = (rows: string[]) => `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n${rows.join('\n')}\n`;
  const v4 = table([
    '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0',
    '   1: 00000000:0BB8 00000000:0000 0A 00000000:00000001 00:00000000 00000000  1000        0 4243 1 0 100 0 0 10 0',
    '   2: 00000000:1F90 00000000:0000 0A 00000000:00000009 00:00000000 00000000  1000        0 4244 1 0 100 0 0 10 0',
    // A connection (ESTABLISHED) on that port: past the listeners, never read.
    '   3: 0100007F:0BB8 0100007F:D431 01 00000000:00000007 00:00000000 00000000  1000        0 4245 1 0 20 4 30 10 -1',
  ]);
  const v6 = table(['   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 5000 1 0 100 0 0 10 0']);
  const read = (path: string) => (path.endsWith('6') ? v6 : v4);
  it('sums the queues of every listener on the port, in the listener\'s family only', () => {
    assert.equal(acceptQueueLength(3000, 'IPv4', read), 4);
    assert.equal(acceptQueueLength(3000, 'IPv6', read), 2);
    assert.equal(acceptQueueLength(8080, 'IPv4', read), 9);
  });
  it('undefined when the kernel does not say: port not listed, table unreadable', () => {
    assert.equal(acceptQueueLength(4000, 'IPv4', read), undefined);
    assert.equal(acceptQueueLength(3000, 'IPv4', () => { throw new Error('ENOENT'); }), undefined);
    assert.equal(acceptQueueLength(3000, 'IPv4', () => ''), undefined);
  });
  it('reads this machine\'s table: a listener with nothing queued is 0', async (t) => {
    if (!existsSync('/proc/net/tcp')) return t.skip('no /proc/net/tcp (not Linux)');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      assert.equal(acceptQueueLength((server.address() as { port: number }).port, 'IPv4'), 0);
    } finally {
      server.close();
    }
  });
});

describe('sdk.serve(): the drainer on a node:http server', () => {
  it('health DOWN first, accepting and keeping alive through the announce, then refusing; the next request on a kept-alive connection is answered with Connection: close; a slow request in flight finishes', async () => {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server: Server = createServer(wrap(async (req, res) => {
      if (req.url === '/slow') await new Promise((r) => setTimeout(r, 600));
      res.end('ok');
    }, sdk));
    const lines: DrainLogLine[] = [];
    const drainer = sdk.serve(server, { announceMs: 300, timeoutMs: 5000, log: (l) => lines.push(l), exit: false });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    assert.equal((await probe(url, '/healthz')).status, 200);
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await probe(url, '/work', keepAlive)).connection, 'keep-alive');

    const slow = probe(url, '/slow');
    await until('the slow request in flight', () => sdk.recorder.inFlight === 1 || undefined);
    const t0 = Date.now();
    const drained = drainer.drain('test');
    const health = await probe(url, '/healthz');
    assert.equal(health.status, 503, 'DOWN at once');
    assert.match(health.body!, /"status":"DOWN"/);
    assert.equal(health.connection, 'close');
    const during = await probe(url, '/work');
    const duringKept = await probe(url, '/work', keepAlive);
    assert.ok(Date.now() - t0 < 300, 'still inside the announce');
    assert.equal(during.status, 200, 'accepting new connections during the announce');
    assert.equal(duringKept.connection, 'keep-alive', 'keep-alive kept during the announce (no reconnect storm at the close)');
    await until('refusing after the announce', async () => (await probe(url, '/work')).code === 'ECONNREFUSED' || undefined);
    assert.ok(Date.now() - t0 >= 290, `refused only after the announce (${Date.now() - t0} ms)`);
    const after = await probe(url, '/work', keepAlive);
    assert.equal(after.status, 200, 'a request on a kept-alive connection after the close is answered');
    assert.equal(after.connection, 'close', 'and its connection closes behind it');
    const r = await drained;
    assert.equal((await slow).status, 200, 'the request in flight got its answer');
    assert.deepEqual(r.cut, { requests: 0, connections: 0 });
    assert.deepEqual(lines.map((l) => l.phase), ['announce', 'closing', 'drained']);
    assert.equal(drainer.drain('again'), drainer.drain('again'), 'one drain');
  });

  it('a request that reached an idle connection while the event loop was busy past the idle close is answered (Connection: close), not reset with it', async () => {
    // The drain closes connections idle IDLE_CLOSE_MS after the listener closed. Here the request's
    // bytes arrive before that moment but the event loop is busy (a synchronous stretch) until
    // after it: when it comes back, the sweep's timer is due before the poll that reads them.
    // Closed from the timer, the connection was reset with the request unread.
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server: Server = createServer(wrap(async (_req, res) => {
      res.end('ok');
    }, sdk));
    const lines: DrainLogLine[] = [];
    const drainer = sdk.serve(server, { announceMs: 0, timeoutMs: 5000, log: (l) => lines.push(l), exit: false });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    let received = '';
    client.on('data', (d) => (received += d.toString('latin1')));
    const ended = new Promise<string>((r) => {
      client.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      client.on('close', () => r('close'));
    });
    client.write('GET /work HTTP/1.1\r\nhost: x\r\n\r\n');
    await until('the first answer, keep-alive', () => (/\r\n\r\nok$/.test(received) ? true : undefined));
    assert.match(received, /connection: keep-alive/i);
    received = '';
    const drained = drainer.drain('test');
    const closing = await until('the listener closed', () => lines.find((l) => l.phase === 'closing'));
    // In the check phase: the next turn of the loop runs its due timers before it polls.
    await new Promise<void>((r) => setImmediate(() => {
      client.write('GET /work HTTP/1.1\r\nhost: x\r\n\r\n');
      const busyUntil = Date.parse(closing.time) + IDLE_CLOSE_MS + 200;
      while (Date.now() < busyUntil) { /* the event loop held, as a busy service holds it */ }
      r();
    }));
    const how = await ended;
    assert.match(received, /^HTTP\/1\.1 200 /, `answered, not ${how} with nothing: ${JSON.stringify(received)}`);
    assert.match(received, /connection: close/i);
    const r = await drained;
    assert.deepEqual(r.cut, { requests: 0, connections: 0 });
  });

  it("keeps Node's one 'request' listener: the framework's is wrapped, not joined by a second (several: the drainer's goes first)", async () => {
    const host = { drain() {}, recorder: { inFlight: 0 }, handledRequests: () => 0 };
    const one = createServer((_req, res) => res.end('framework'));
    const drainer = new Drainer(host, one, { log: () => {}, exit: false });
    assert.equal(one.listenerCount('request'), 1);
    const several = createServer((_req, res) => res.end('framework'));
    several.on('request', () => {});
    new Drainer(host, several, { log: () => {}, exit: false });
    assert.equal(several.listenerCount('request'), 3);
    await new Promise<void>((r) => one.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(one.address() as { port: number }).port}`;
      const r = await probe(url, '/x');
      assert.equal(r.status, 200, 'the framework still answers');
      assert.equal(r.body, 'framework');
      // The wrapper counts what arrives: 100 more than the SDK handled, and the warning says so.
      for (let i = 0; i < 100; i++) await probe(url, '/x');
      assert.match(drainer.checkUnhandled()?.message ?? '', /101 requests reached the server and the SDK handled 0/);
    } finally {
      one.close();
    }
  });

  it('Fastify: sdk.serve(app.server) before app.register(sloctl) still leaves the plugin on its listener path (no per-request hook); a malformed URL is counted unmatched', async () => {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const app = Fastify();
    sdk.serve(app.server, { log: () => {}, exit: false });
    await app.register(sloctlFastify, { sdk });
    app.get('/work', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      assert.deepEqual(app.server.listeners('request').map((l) => l.name), ['sloctlRequest'], 'one listener: the plugin wrapped the drainer\'s wrapper of Fastify\'s');
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      assert.equal((await probe(url, '/work')).status, 200);
      // Fastify answers a malformed URL before any hook: only the listener path sees it.
      assert.equal((await probe(url, '/%')).status, 400);
      assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: '/work' }), 1);
      assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: 'unmatched' }), 1);
    } finally {
      await app.close();
    }
  });

  it('the deadline cuts what is still open and says so; the exit code is 1', async () => {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server = createServer(wrap(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5000));
      res.end('late');
    }, sdk));
    const lines: DrainLogLine[] = [];
    const exits: number[] = [];
    const drainer = sdk.serve(server, { announceMs: 50, timeoutMs: 400, log: (l) => lines.push(l), exit: (c) => exits.push(c) });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const stuck = probe(url, '/work');
    await until('the stuck request in flight', () => sdk.recorder.inFlight === 1 || undefined);
    await drainer.shutdown('test');
    assert.deepEqual(exits, [1], 'a drain that cut a request exits 1');
    const cut = lines.find((l) => l.phase === 'cut');
    assert.ok(cut, JSON.stringify(lines));
    assert.equal(cut.inFlight, 1);
    assert.match(cut.message!, /cutting 1 request\(s\) in flight on 1 connection\(s\); raise timeoutMs/);
    assert.ok((await stuck).code, 'the cut request saw its connection close');
  });

  it('signals (opt-in): SIGUSR1 toggles shedding through sdk.admission, SIGUSR2 drains then exits 0, SIGTERM is handled; removeSignals undoes it', async () => {
    const sheds: string[] = [];
    const exits: number[] = [];
    const host = { drained: 0, drain() { this.drained++; }, recorder: { inFlight: 0 }, admission: { shed: (on: boolean, reason: string) => sheds.push(`${on} ${reason}`) } };
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const before = { term: process.listenerCount('SIGTERM'), usr1: process.listenerCount('SIGUSR1'), usr2: process.listenerCount('SIGUSR2') };
    const lines: DrainLogLine[] = [];
    const drainer = new Drainer(host, server, { announceMs: 0, timeoutMs: 2000, exit: (c) => exits.push(c), log: (l) => lines.push(l) });
    assert.equal(process.listenerCount('SIGTERM'), before.term, 'nothing installed unless asked');
    drainer.installSignals();
    assert.equal(process.listenerCount('SIGTERM'), before.term + 1);
    // Emitted in-process (the test runner's own SIGTERM handling stays out of it).
    process.emit('SIGUSR1');
    process.emit('SIGUSR1');
    assert.deepEqual(sheds, ['true SIGUSR1', 'false SIGUSR1']);
    process.emit('SIGUSR2');
    await until('the exit', () => exits.length > 0 || undefined, 5000);
    assert.deepEqual(exits, [0]);
    assert.equal(host.drained, 1);
    assert.equal(lines.find((l) => l.phase === 'drained')?.reason, 'SIGUSR2');
    drainer.removeSignals();
    assert.deepEqual({ term: process.listenerCount('SIGTERM'), usr1: process.listenerCount('SIGUSR1'), usr2: process.listenerCount('SIGUSR2') }, before);
  });

  it('signals: another SIGTERM listener, there before or added after, is warned about once (one JSON line naming the count and what to do) and left in place; the drainer\'s handler runs first', async () => {
    const host = { drained: 0, drain() { this.drained++; }, recorder: { inFlight: 0 } };
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGUSR2')], [0, 0], 'no SIGTERM / SIGUSR2 listener left by another test');
    const alone: DrainLogLine[] = [];
    new Drainer(host, server, { signals: true, exit: false, log: (l) => alone.push(l) }).removeSignals();
    assert.deepEqual(alone, [], 'nothing to say without another listener');

    const seenByUser: number[] = [];
    function userExit() { seenByUser.push(host.drained); }
    process.on('SIGTERM', userExit);
    const lines: DrainLogLine[] = [];
    const exits: number[] = [];
    const drainer = new Drainer(host, server, { signals: true, announceMs: 0, timeoutMs: 2000, exit: (c) => exits.push(c), log: (l) => lines.push(l) });
    try {
      const warned = lines.filter((l) => l.event === 'signal-listeners');
      assert.equal(warned.length, 1, JSON.stringify(lines));
      assert.equal(warned[0]!.signal, 'SIGTERM');
      assert.equal(warned[0]!.listeners, 1);
      assert.match(warned[0]!.message!, /drains on SIGTERM and exits once the last request has finished, but 1 other SIGTERM listener\(s\) \(named: userExit\) run too: one that exits the process or closes the server \(process\.exit\(\), close-with-grace, Nest's app\.enableShutdownHooks\(\)\) loses the requests the drain is finishing\. Move its work into sdk\.serve\(\)'s onDrained .*drainer\.shutdown\('SIGTERM'\)/);
      assert.deepEqual(JSON.parse(JSON.stringify(warned[0])), warned[0], 'one JSON line');
      assert.equal(process.listenerCount('SIGTERM'), 2, "the user's listener stays");
      assert.ok(process.listeners('SIGTERM').includes(userExit));

      // Once per signal: a second SIGTERM listener says nothing more; a SIGUSR2 one added later does.
      const second = () => {};
      process.on('SIGTERM', second);
      function lateUsr2() {}
      process.on('SIGUSR2', lateUsr2);
      const usr2 = await until('the SIGUSR2 line', () => lines.find((l) => l.event === 'signal-listeners' && l.signal === 'SIGUSR2'));
      assert.match(usr2.message!, /a listener was added: 1 other SIGUSR2 listener\(s\) \(named: lateUsr2\)/);
      assert.equal(lines.filter((l) => l.event === 'signal-listeners').length, 2, JSON.stringify(lines));
      process.off('SIGTERM', second);
      process.off('SIGUSR2', lateUsr2);

      // The drainer's handler comes first although the user's was there before: health is DOWN when theirs runs.
      process.emit('SIGTERM');
      assert.deepEqual(seenByUser, [1]);
      await until('the exit', () => exits.length > 0 || undefined, 5000);
      assert.deepEqual(exits, [0]);
    } finally {
      drainer.removeSignals();
      process.off('SIGTERM', userExit);
      // The drain closed it, unless an assertion came first.
      if (server.listening) server.close();
    }
    assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGUSR2'), process.listenerCount('SIGUSR1')], [0, 0, 0]);
  });

  it('signals: a SIGTERM listener added in the same turn as the signal arrives is warned about at the signal, before the drain', async () => {
    const host = { drain() {}, recorder: { inFlight: 0 } };
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const lines: DrainLogLine[] = [];
    const exits: number[] = [];
    const drainer = new Drainer(host, server, { signals: true, announceMs: 0, timeoutMs: 2000, exit: (c) => exits.push(c), log: (l) => lines.push(l) });
    const late = () => {};
    try {
      process.on('SIGTERM', late);
      process.emit('SIGTERM');
      assert.equal(lines[0]?.event, 'signal-listeners', JSON.stringify(lines));
      assert.match(lines[0]!.message!, /but SIGTERM arrived and 1 other SIGTERM listener\(s\) \(named: late\) run too/);
      await until('the exit', () => exits.length > 0 || undefined, 5000);
      assert.equal(lines.filter((l) => l.event === 'signal-listeners').length, 1, JSON.stringify(lines));
      assert.deepEqual(lines.filter((l) => l.event === 'drain').map((l) => l.phase), ['announce', 'closing', 'drained']);
    } finally {
      drainer.removeSignals();
      process.off('SIGTERM', late);
      if (server.listening) server.close();
    }
  });

  it('closes the listener only when the kernel\'s accept queue is empty: 20 clients without keep-alive that connected at the close all get answers (libuv accepts one connection a loop turn)', async (t) => {
    if (!existsSync('/proc/net/tcp')) {
      t.skip('no /proc/net/tcp (not Linux): the drain closes without looking at the accept queue');
      return;
    }
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server = createServer(wrap((_req, res) => res.end('ok'), sdk));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const answers: Array<Promise<{ status?: number; code?: string }>> = [];
    const lines: DrainLogLine[] = [];
    const drainer = sdk.serve(server, {
      announceMs: 20,
      timeoutMs: 5000,
      exit: false,
      log: (l) => {
        lines.push(l);
        // The clients connect in this turn's nextTicks, before the loop polls again: the kernel
        // completes all 20 handshakes into the accept queue, and the drain's close comes next.
        if (l.phase === 'closing' && answers.length === 0) {
          for (let i = 0; i < 20; i++) answers.push(probe(url, '/work', false));
        }
      },
    });
    const r = await drainer.drain('test');
    const outcomes = await Promise.all(answers);
    const failed = outcomes.filter((o) => o.status !== 200);
    assert.equal(failed.length, 0, `reset or refused: ${JSON.stringify(failed)}`);
    assert.deepEqual(r.cut, { requests: 0, connections: 0 });
    assert.ok(!lines.some((l) => /accept queue/.test(l.message ?? '')), JSON.stringify(lines));
    assert.equal((await probe(url, '/work', false)).code, 'ECONNREFUSED', 'closed after that');
  });

  /** A service whose /slow takes 800 ms, listening, with one keep-alive connection idle and a slow request in flight on another: all before sdk.serve(). */
  async function servedLate() {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server = createServer(wrap(async (req, res) => {
      if (req.url === '/slow') await new Promise((r) => setTimeout(r, 800));
      res.end('ok');
    }, sdk));
    // Longer than the drain's deadline, as behind a balancer whose own idle timeout is longer:
    // Node's 5 s would otherwise end the idle connection part way and hide a drain that forgot it.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // Two agents: one agent would send /slow on the idle connection.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await probe(url, '/work', keepAlive)).connection, 'keep-alive');
    const slow = probe(url, '/slow', other);
    await until('the slow request in flight', () => sdk.recorder.inFlight === 1 || undefined);
    const lines: DrainLogLine[] = [];
    const drainer = sdk.serve(server, { announceMs: 100, timeoutMs: 6000, log: (l) => lines.push(l), exit: false });
    return { sdk, server, slow, lines, drainer, agents: [keepAlive, other] };
  }

  it('sdk.serve() called after clients connected: their idle keep-alive connection is closed as a later one would be, the request in flight on the other finishes, and the drain does not wait for its deadline', async () => {
    const { slow, lines, drainer, agents } = await servedLate();
    try {
      const t0 = Date.now();
      const r = await drainer.drain('test');
      const took = Date.now() - t0;
      const answer = await slow;
      assert.equal(answer.status, 200, 'the request in flight got its answer');
      assert.equal(answer.connection, 'close', 'and its connection, opened before serve(), closes behind it');
      assert.deepEqual(lines.map((l) => l.phase), ['announce', 'closing', 'drained'], JSON.stringify(lines));
      assert.equal(lines[0]!.connections, 2, 'the announce counts the connections opened before serve()');
      assert.deepEqual(r.cut, { requests: 0, connections: 0 });
      // announce 100 ms + IDLE_CLOSE_MS, and a margin for a busy machine; the deadline is 6000 ms.
      assert.ok(took < 100 + IDLE_CLOSE_MS + 2000, `the drain took ${took} ms`);
    } finally {
      for (const a of agents) a.destroy();
    }
  });

  it('sdk.serve() after clients connected, on a Node whose connection list the drainer cannot find: the first idle sweep asks the server to close its idle connections', async () => {
    const { slow, lines, drainer, agents } = await servedLate();
    // The lookup runs synchronously when the drain starts: hide the list from it for that moment only.
    const own = Object.getOwnPropertySymbols;
    Object.getOwnPropertySymbols = (o: object) => own(o).filter((k) => k.description !== 'http.server.connections');
    let drained: Promise<DrainResult>;
    try {
      drained = drainer.drain('test');
    } finally {
      Object.getOwnPropertySymbols = own;
    }
    try {
      const t0 = Date.now();
      const r = await drained;
      const took = Date.now() - t0;
      assert.equal((await slow).status, 200, 'the request in flight got its answer');
      assert.equal(lines[0]!.connections, 0, 'the drain did not know the connections');
      assert.deepEqual(r.cut, { requests: 0, connections: 0 }, JSON.stringify(lines));
      assert.ok(took < 100 + IDLE_CLOSE_MS + 2000, `the drain took ${took} ms`);
    } finally {
      for (const a of agents) a.destroy();
    }
  });

  it('the deadline line counts the connections the server holds that the drain cannot reach (an upgraded one opened before serve()), never "0 request(s) on 0 connection(s)"', async () => {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    const server = createServer(wrap((_req, res) => res.end('ok'), sdk));
    // A WebSocket-like upgrade: node:http hands the socket over and stops listing it.
    server.on('upgrade', (_req, socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const upgraded = await new Promise<import('node:net').Socket>((r) => request({ port, host: '127.0.0.1', headers: { connection: 'upgrade', upgrade: 'test' } }).on('upgrade', (_res, socket) => r(socket)).end());
    const lines: DrainLogLine[] = [];
    const exits: number[] = [];
    const drainer = sdk.serve(server, { announceMs: 0, timeoutMs: 800, log: (l) => lines.push(l), exit: (c) => exits.push(c) });
    try {
      await drainer.shutdown('test');
      const cut = lines.find((l) => l.phase === 'cut');
      assert.ok(cut, JSON.stringify(lines));
      assert.equal(cut.connections, 1);
      assert.doesNotMatch(cut.message!, /cutting 0 request\(s\) in flight on 0 connection/);
      assert.match(cut.message!, /1 connection\(s\) the server holds are out of the SDK's reach \(upgraded ones, such as WebSockets, opened before sdk.serve\(\)\) and stay open until the process exits; call sdk.serve\(server\) before server.listen\(\)/);
      assert.deepEqual(exits, [0], 'no request was cut');
    } finally {
      upgraded.destroy();
      server.close();
    }
  });

  it('rejects what is not a server, naming what to pass', () => {
    const sdk = instrument({ contract: contractOf(driftContract('shed', '      - { signal: inFlight, threshold: 500 }')), registry: new Registry(), defaultMetrics: false, drift: false });
    assert.throws(() => sdk.serve({} as Server), /expects a node:http \(or https\) Server: for Fastify pass app.server/);
  });
});


/** The example's load mix (its contract's `load.mix`), as the load generator takes it. */
const EXAMPLE_MIX: RequestTemplate[] = [
  { name: 'get-product', weight: 70, method: 'GET', path: '/products/{id}', params: { id: 'int(1,500)' } },
  { name: 'list-orders', weight: 20, method: 'GET', path: '/orders' },
  { name: 'create-order', weight: 10, method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: { productId: 42, quantity: 1 } },
];

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts a service as its own process and waits for its "listening on http://..." line. */
async function startService(args: string[], env: Record<string, string>, listening: RegExp): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const url = await until(`${args.join(' ')} listening`, () => {
    if (code !== undefined) throw new Error(`${args.join(' ')} exited ${code} before listening:\n${out}\n${err}`);
    return listening.exec(out)?.[1];
  }, 30_000, 50);
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

interface Counted {
  result: LoadResult;
  /** Epoch ms: the first health answer that said DOWN, the first refused connection (load or prober), the signal. */
  firstDown: number | undefined;
  firstRefusedLoad: number | undefined;
  firstRefusedProbe: number | undefined;
  errors: Record<string, number>;
  statuses: Record<string, number>;
  exitCode: number | null;
}

/**
 * 300 req/s of `mix` for `durationMs` on keep-alive connections, /healthz polled every 25 ms on
 * fresh connections; `trigger` runs once the load has run `triggerAfterMs`. Counts on the client
 * side what every request got.
 */
async function loadThrough(svc: Started, mix: RequestTemplate[], durationMs: number, triggerAfterMs: number, trigger: () => void): Promise<Counted> {
  let startedAt: number | undefined;
  let firstDown: number | undefined;
  let firstRefusedProbe: number | undefined;
  let triggerAt: number | undefined;
  const before: string[] = [];
  let stop = false;
  const prober = (async () => {
    while (!stop) {
      const at = Date.now();
      const r = await probe(svc.url, '/healthz');
      const down = r.status === 503 && /"status":"DOWN"/.test(r.body ?? '');
      // Only what the trigger caused: under a cold start's first seconds health may judge the service DOWN on its own.
      if (triggerAt === undefined) {
        if (r.status !== 200 && before.length < 3) before.push(r.body ?? r.code ?? '');
      } else if (firstDown === undefined && down) firstDown = Date.now();
      if (firstRefusedProbe === undefined && r.code === 'ECONNREFUSED') firstRefusedProbe = at;
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  const triggered = (async () => {
    await until('the load to start', () => startedAt, 30_000);
    await new Promise((res) => setTimeout(res, Math.max(0, startedAt! + triggerAfterMs - Date.now())));
    triggerAt = Date.now();
    trigger();
  })();
  const result = await runLoad({
    url: svc.url, requests: mix, stages: [{ rate: 300, durationMs }], connections: 64, timeoutMs: 5000, workers: 1, sliceMs: 50,
    onStart: (t) => (startedAt = t),
  });
  stop = true;
  await Promise.all([prober, triggered]);
  const exitCode = await Promise.race([svc.exited, new Promise<null>((res) => setTimeout(() => res(null), 10_000))]);
  const errors: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  for (const r of result.routes) {
    for (const [k, n] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
  }
  const refusedSlice = result.slices?.find((s) => s.routes.some((r) => (r.errors.ECONNREFUSED ?? 0) > 0));
  // A slice holds the requests due in it: a refused one was sent at or after the slice's start.
  const firstRefusedLoad = refusedSlice === undefined ? undefined : result.startedAt + refusedSlice.startMs;
  const odd = (result.slices ?? []).flatMap((s) => s.routes.flatMap((r) => Object.entries(r.errors).filter(([k]) => k !== 'ECONNREFUSED').map(([k, n]) => `${k}×${n}@+${result.startedAt + s.startMs - (triggerAt ?? 0)}ms`)));
  if (odd.length > 0) console.log(`failures other than refused, by send time after the trigger: ${odd.join(', ')}`);
  if (before.length > 0) console.log(`health before the trigger was not UP: ${before.join(' | ')}`);
  return { result, firstDown, firstRefusedLoad, firstRefusedProbe, errors, statuses, exitCode };
}

function assertNothingLost(c: Counted, signalAt: number, what: string): void {
  const report = `${what}: sent ${c.result.sent}, answered ${c.result.completed}, statuses ${JSON.stringify(c.statuses)}, failures ${JSON.stringify(c.errors)}; ` +
    `DOWN +${c.firstDown === undefined ? '-' : c.firstDown - signalAt} ms, first refused (load) +${c.firstRefusedLoad === undefined ? '-' : c.firstRefusedLoad - signalAt} ms, ` +
    `(prober) +${c.firstRefusedProbe === undefined ? '-' : c.firstRefusedProbe - signalAt} ms after the trigger; exit ${c.exitCode}; ` +
    // Requests written to a connection the server had closed as idle (the keep-alive race) and sent again by the client (src/load/http1-connection.ts).
    `sent again: ${/^(\d+) requests were sent again/m.exec((c.result.notes ?? []).join('\n'))?.[1] ?? 0}`;
  console.log(report);
  // Every failure is a refused connection: no reset, no close mid- or before a response, no timeout.
  const lost = Object.entries(c.errors).filter(([k]) => k !== 'ECONNREFUSED');
  assert.deepEqual(lost, [], `requests that got a connection and no complete answer: ${report}`);
  assert.ok(c.firstDown !== undefined, `health said DOWN: ${report}`);
  assert.ok((c.errors.ECONNREFUSED ?? 0) > 0 || c.firstRefusedProbe !== undefined, `the service stopped accepting within the run: ${report}`);
  if (c.firstRefusedLoad !== undefined) assert.ok(c.firstRefusedLoad >= c.firstDown, `the first refused connection came after the first DOWN: ${report}`);
  if (c.firstRefusedProbe !== undefined) assert.ok(c.firstRefusedProbe >= c.firstDown, `the prober was refused only after it saw DOWN: ${report}`);
  assert.ok(c.result.completed > 300, `the service answered under load first: ${report}`);
  assert.equal(c.exitCode, 0, `the service exited 0: ${report}`);
}

describe('done when: 0 accepted requests lost at 300 req/s (client-side counts)', () => {
  it('kill -TERM of examples/checkout under load', async () => {
    const svc = await startService(['examples/checkout/start.ts'], { PORT: '0', PAYMENTS_PORT: '0', RECOMMENDATIONS_PORT: '0', DRAIN_ANNOUNCE_MS: '1000' }, /checkout listening on (http:\/\/\S+) /);
    let signalAt = 0;
    try {
      const c = await loadThrough(svc, EXAMPLE_MIX, 6000, 2500, () => {
        signalAt = Date.now();
        svc.child.kill('SIGTERM');
      });
      assertNothingLost(c, signalAt, 'checkout, SIGTERM');
      assert.ok(c.firstRefusedLoad === undefined || c.firstRefusedLoad - signalAt >= 900, 'connections refused only after the 1 s announce');
      assert.match(svc.stderr(), /"phase":"drained"/);
    } finally {
      svc.child.kill('SIGKILL');
    }
  });

  it('a drain action from a drift signal (in-flight requests past their threshold) under load', async () => {
    // A tiny node:http service: /work answers in 10 ms until /drift-on makes it answer in 200 ms;
    // at 300 req/s in-flight goes from ~3 to ~60, past the contract's 30, twice in a row (every 250 ms).
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-drift-drain-'));
    writeFileSync(join(dir, 'slo.yaml'), driftContract('drain', '      - { signal: inFlight, threshold: 30, evaluations: 2 }', '250ms'));
    writeFileSync(join(dir, 'service.ts'), `
import { createServer } from 'node:http';
import { instrument } from ${JSON.stringify(join(REPO, 'src/sdk/index.ts'))};
import { wrap } from ${JSON.stringify(join(REPO, 'src/sdk/adapters/http.ts'))};
const sdk = instrument(${JSON.stringify(join(dir, 'slo.yaml'))});
let slow = false;
const server = createServer(wrap(async (req, res) => {
  if (req.url === '/drift-on') slow = true;
  await new Promise((r) => setTimeout(r, slow ? 200 : 10));
  res.end('done');
}, sdk));
sdk.serve(server, { announceMs: 1000, timeoutMs: 5000 });
server.listen(0, '127.0.0.1', () => console.log('drifty listening on http://127.0.0.1:' + server.address().port + ' '));
`);
    const svc = await startService([join(dir, 'service.ts')], {}, /drifty listening on (http:\/\/\S+) /);
    let triggerAt = 0;
    try {
      const c = await loadThrough(svc, [{ name: 'work', weight: 1, method: 'GET', path: '/work' }], 6000, 2000, () => {
        triggerAt = Date.now();
        void probe(svc.url, '/drift-on');
      });
      assertNothingLost(c, triggerAt, 'drift drain');
      const line = svc.stderr().split('\n').find((l) => l.includes('"drift-action"'));
      assert.ok(line, `a drift-action line on stderr:\n${svc.stderr()}`);
      const j = JSON.parse(line) as DriftLogLine;
      assert.equal(j.action, 'drain');
      assert.equal(j.signal, 'inFlight');
      assert.ok(j.value! > 30, line);
      assert.match(svc.stderr(), /"phase":"drained"/);
    } finally {
      svc.child.kill('SIGKILL');
    }
  });
});

