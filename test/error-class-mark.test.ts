// An error the contract classes by what the handler threw (`errors: [PricingUnavailableError]`,
// transient ×0.3), answered 500: the SDK counts it transient, and before this the load generator,
// which sees only the status, counted it server ×2.5, so the gate's and the drills' client view
// failed a service its own contract passes (a Koa trial: client 49.4%, service 93.9%). The SDK now
// marks such an answer `sloctl-error-class: transient`; the client view honours the mark for a
// class the contract declares, on an error status only. Pure parts first, then one gate run
// against a Koa service instrumented with sloctl/sdk/koa.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Koa from 'koa';
import KoaRouter from '@koa/router';
import { Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import { middleware } from 'sloctl/sdk/koa';
import { runCli } from './helpers/cli.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';
import { parseContract } from '../src/contract/load.ts';
import { Classifier } from '../src/contract/classify.ts';
import type { Contract } from '../src/contract/schema.ts';
import { ResponseParser } from '../src/load/http1-response.ts';
import { ERROR_CLASS_HEADER, errorClassMark } from '../src/sdk/node-tracking.ts';
import { clientCounts } from '../src/verdicts/client-view.ts';
import { disagreementNote } from '../src/verdicts/drill.ts';
import type { GateReport } from '../src/verdicts/types.ts';

const CLASSES = `errorClasses:
  - { name: transient, weight: 0.3, status: [503], errors: [PricingUnavailableError] }
  - { name: server, weight: 2.5, status: ["5xx"] }
`;
const parse = (text: string): Contract => {
  const p = parseContract(text, 'slo.yaml');
  assert.ok(p.contract, JSON.stringify(p.diagnostics));
  return p.contract;
};
const contract = parse(`apiVersion: sloctl/v1
service: { name: shop }
${CLASSES}routes:
  - { name: order, method: POST, path: /orders }
objectives:
  errors: { objective: 90% }
`);

class PricingUnavailableError extends Error {
  override name = 'PricingUnavailableError';
}

describe('the SDK marks an answer classed by its thrown error (errorClassMark)', () => {
  const c = new Classifier(contract.errorClasses);
  it('a 500 whose error the contract classes transient: marked transient', () => {
    assert.equal(errorClassMark(c, new PricingUnavailableError('down'), 500), 'transient');
    // By the cause chain too.
    assert.equal(errorClassMark(c, new Error('order failed', { cause: new PricingUnavailableError('down') }), 500), 'transient');
  });
  it('no mark when the status alone gives the same class, on a 2xx, or for an error no contract class names', () => {
    assert.equal(errorClassMark(c, new PricingUnavailableError('down'), 503), undefined, '503 is transient by status already');
    assert.equal(errorClassMark(c, new PricingUnavailableError('down'), 200), undefined);
    assert.equal(errorClassMark(c, new Error('boom'), 500), undefined, 'server by its status, as the client classes it');
    // A class listed first by status wins in the recorder too: no mark that would disagree with it.
    const serverFirst = new Classifier(parse(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: server, weight: 2.5, status: ["5xx"] }
  - { name: transient, weight: 0.3, errors: [PricingUnavailableError] }
routes: [{ name: order, method: POST, path: /orders }]
`).errorClasses);
    assert.equal(errorClassMark(serverFirst, new PricingUnavailableError('down'), 500), undefined);
  });
});

describe('the load generator reads sloctl-error-class', () => {
  const parseHead = (head: string) => {
    const p = new ResponseParser();
    p.reset(true);
    const buf = Buffer.from(`${head}\r\ncontent-length: 0\r\n\r\n`, 'latin1');
    assert.equal(p.feed(buf, 0, buf.length), buf.length);
    return p;
  };
  it('the class name, trimmed; nothing for a value that is no class name', () => {
    assert.equal(parseHead(`HTTP/1.1 500 Internal Server Error\r\n${ERROR_CLASS_HEADER}:  transient `).errorClass, 'transient');
    assert.equal(parseHead('HTTP/1.1 500 Internal Server Error\r\nSloctl-Error-Class: server-faults.v2').errorClass, 'server-faults.v2');
    assert.equal(parseHead('HTTP/1.1 500 Internal Server Error\r\nsloctl-error-class: a b').errorClass, '');
    assert.equal(parseHead(`HTTP/1.1 500 Internal Server Error\r\nsloctl-error-class: ${'x'.repeat(65)}`).errorClass, '');
    assert.equal(parseHead('HTTP/1.1 500 Internal Server Error').errorClass, '');
  });
});

describe('the client view honours the mark (clientCounts)', () => {
  const row = (statuses: Record<string, number>, errorClasses?: Record<string, Record<string, number>>) => ({ ...routeRow('order', new Array<number>(100).fill(5), statuses), ...(errorClasses ? { errorClasses } : {}) });
  it('500s marked transient count as transient ×0.3, as the service counts them', () => {
    const c = clientCounts(contract, [row({ 200: 80, 500: 20 }, { 500: { transient: 15 } })]);
    assert.deepEqual([...c.classes], [['transient', 15], ['server', 5]]);
    assert.ok(Math.abs(c.weightedErrors - (15 * 0.3 + 5 * 2.5)) < 1e-9, String(c.weightedErrors));
  });
  it('ignores a mark naming a class the contract does not declare, one on a 2xx, and never counts more than the status got', () => {
    assert.deepEqual([...clientCounts(contract, [row({ 200: 80, 500: 20 }, { 500: { bogus: 20, none: 20, shed: 20 } })]).classes], [['server', 20]]);
    // A 200 cannot be made bad, a 500 cannot be made good.
    const on200 = clientCounts(contract, [row({ 200: 100 }, { 200: { transient: 100 } })]);
    assert.equal(on200.weightedErrors, 0);
    assert.deepEqual([...on200.classes], []);
    const capped = clientCounts(contract, [row({ 200: 90, 500: 10 }, { 500: { transient: 50 } })]);
    assert.deepEqual([...capped.classes], [['transient', 10]]);
    assert.equal(capped.total, 100);
  });
});

describe('the drill\'s note when the views disagree', () => {
  const client = { total: 85, classes: new Map([['server', 85]]) };
  it('the service saw every request: the gap is classification, with the counts by class from both views', () => {
    const note = disagreementNote(['weighted success 93.9% (client 49.4%)'], { client, service: { total: 85, classes: new Map([['transient', 85]]) } }, false);
    assert.equal(note,
      'note: the service\'s own metrics disagree with its clients during the fault: weighted success 93.9% (client 49.4%); the service saw all 85 requests its clients sent (it counted 85), '
      + 'so the difference is how the requests were classed, not requests it never saw: errors by class, client server 85; service transient 85. '
      + 'The client view decides: it classes an answer by its status, unless the service marks the class it gave an error answer (sloctl\'s SDKs send sloctl-error-class for an error they classed by name, code or cause; other instrumentation, or an SDK before this header, does not)');
    assert.doesNotMatch(note, /queueing|never saw\)|succeeded/);
  });
  it('the service counted errors on answers that succeeded (a fallback\'s 200): said, with how many', () => {
    // A gin trial: 1,000 requests, the client got 60 errors; the service counted 120 transient, 60 of them on 200s.
    const note = disagreementNote(['weighted success 88.0% (client 94.0%)'], { client: { total: 1000, classes: new Map([['transient', 60]]) }, service: { total: 1000, classes: new Map([['transient', 120]]) } }, false);
    assert.match(note, /service transient 120; the service counted 60 more errors than its clients got error answers: errors recorded on answers that succeeded \(a handler that reported an error, then answered 2xx from a fallback\), which the client view counts as successes\. The client view decides/);
  });
  it('the service counted fewer: unseen requests, with the counts', () => {
    const note = disagreementNote(['weighted success 99.0% (client 60.0%)'], { client: { total: 100, classes: new Map([['server', 40]]) }, service: { total: 60, classes: new Map() } }, false);
    assert.equal(note, 'note: the service\'s own metrics disagree with its clients during the fault: weighted success 99.0% (client 60.0%) (the service counted 60 of the 100 requests its clients sent); the client view decides (it counts time spent queueing and requests the service never saw)');
  });
});

// A Koa service, middleware(sdk) first: POST /orders throws PricingUnavailableError on every 5th
// request (Koa answers 500). By the contract's classes that is 20% × 0.3 = 6% weighted, a pass of
// 90%; by the status alone 20% × 2.5 = 50%, the failure the trial reported.
describe('gate: a Koa service throwing an error the contract classes transient', { timeout: 60_000 }, () => {
  it('the client view classes the 500s transient, as the service does, and the errors objective passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-error-class-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: pricing-orders }
${CLASSES}routes:
  - { name: order, method: POST, path: /orders }
load:
  rate: 100/s
  duration: 2s
  warmup: 500ms
  mix: [{ route: order, weight: 1, body: {} }]
objectives:
  errors: { objective: 90% }
`);
    const sdk = instrument({ contract: file, registry: new Registry(), defaultMetrics: false });
    const app = new Koa();
    const router = new KoaRouter();
    let n = 0;
    router.post('/orders', (ctx) => {
      if (++n % 5 === 0) throw new PricingUnavailableError('pricing is down');
      ctx.status = 201;
      ctx.body = { ok: true };
    });
    app.silent = true;
    app.use(middleware(sdk)).use(router.routes());
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runCli(['gate', file, '--target', url, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
      const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
      const errors = report.verdicts.find((v) => v.contract === 'errors')!;
      const route = report.routes!.find((x) => x.route === 'POST /orders')!;
      const transient = route.client!.errorsByClass.transient ?? 0;
      assert.ok(transient >= 0.15 * route.client!.requests, JSON.stringify(route.client));
      // Every 500 was marked and classed transient: no server faults at the client.
      assert.deepEqual(Object.keys(route.client!.errorsByClass), ['transient'], JSON.stringify(route.client));
      assert.equal(errors.verdict, 'pass', errors.reason);
      assert.ok(errors.client! > 0.9 && errors.client! < 0.97, String(errors.client));
      // The two views agree (within the window's edges).
      assert.ok(Math.abs(errors.client! - errors.service!) < 0.02, `client ${errors.client}, service ${errors.service}`);
      assert.equal(r.code, 0, r.stdout.slice(0, 2000) + r.stderr);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
