// A Koa service with sloctl's middleware registered after the router: the requests the router
// matches never reach the SDK, its request counter stays at 0, and before this `sloctl gate`
// passed (exit 0) with only "the service's view is missing" notes. Now: the gate says the service
// counted 0 of the requests the generator got answers for and how to fix it, the objectives'
// service side is INCONCLUSIVE (a warning, not a pass), and the outcome is INCONCLUSIVE (exit 4)
// unless a failure stands. The SDK itself, given the server (sdk.serve), logs one warning line
// once 100 requests reached the server without reaching its adapter.
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
import { wrap } from 'sloctl/sdk/http';
import { createServer } from 'node:http';
import { runCli } from './helpers/cli.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';
import { parseContract } from '../src/contract/load.ts';
import type { DrainLogLine } from '../src/sdk/protect/drain.ts';
import { blindInstrumentation, judgeObjectives, type ServiceView } from '../src/verdicts/objectives.ts';
import type { GateReport } from '../src/verdicts/types.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: blind }
routes:
  - { name: items, method: GET, path: /items }
load:
  rate: 100/s
  duration: 2s
  warmup: 500ms
  mix: [{ route: items, weight: 1 }]
objectives:
  latency: [{ name: lat, threshold: 250ms, objective: 99% }]
  errors: { objective: 99% }
`;

describe('a service whose request counter saw none of the requests (pure)', () => {
  const parsed = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
  const contract = parsed.contract;
  const client = loadOf([routeRow('items', new Array<number>(1200).fill(5), { 200: 1200 })]);
  const service = (counted: number | undefined): ServiceView => ({ slos: [], ...(counted !== undefined ? { requestCounter: { name: 'http_server_requests_total', counted } } : {}) });

  it('names the numbers and the fix; the objectives that passed on the client alone warn', () => {
    const blind = blindInstrumentation({ client, service: service(0) });
    assert.ok(blind);
    assert.match(blind.reason, /^the service counted 0 of the 1,200 requests the generator got answers for \(http_server_requests_total over the measured phase\): its instrumentation does not see them: register the SDK's middleware before the routers \(sloctl\/sdk\/koa: app\.use\(middleware\(sdk\)\) before app\.use\(router\.routes\(\)\)/);
    const vs = judgeObjectives(contract, { client, service: service(0) });
    for (const name of ['lat', 'errors']) {
      const v = vs.find((x) => x.name === name)!;
      assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
      assert.match(v.reason, /the service side is INCONCLUSIVE: its request counter http_server_requests_total counted 0 of the 1,200 requests answered/);
    }
  });

  it('under three quarters counted is partial (one process of several); three quarters or more, no counter, or unreadable metrics are not', () => {
    assert.match(blindInstrumentation({ client, service: service(500) })!.reason, /^the service's counters saw 500 of the 1,200 requests the load got answers for .*one process of several \(node:cluster.*AggregatorRegistry.*register the SDK's middleware before the routers/);
    // Two workers, the scrapes kept on one: about half, which the old bound (half) let pass.
    assert.match(blindInstrumentation({ client, service: service(620) })!.reason, /saw 620 of the 1,200/);
    assert.equal(blindInstrumentation({ client, service: service(900) }), undefined);
    assert.equal(blindInstrumentation({ client, service: service(undefined) }), undefined);
    assert.equal(blindInstrumentation({ client, service: { ...service(0), unavailable: 'fewer than two successful scrapes' } }), undefined);
    assert.equal(judgeObjectives(contract, { client, service: service(1200) }).find((v) => v.name === 'errors')!.verdict, 'pass');
  });
});

/** A Koa app with the SDK's middleware after the router (wrong) or before it (right), listening on 127.0.0.1. */
async function koaService(file: string, order: 'wrong' | 'right', log?: (line: DrainLogLine) => void) {
  const sdk = instrument({ contract: file, registry: new Registry(), defaultMetrics: false });
  const app = new Koa();
  const router = new KoaRouter();
  router.get('/items', (ctx) => {
    ctx.body = [];
  });
  if (order === 'wrong') app.use(router.routes()).use(middleware(sdk));
  else app.use(middleware(sdk)).use(router.routes());
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', r));
  const drainer = sdk.serve(server, log ? { log } : {});
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    drainer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the SDK, given the server: requests that never reached its adapter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-blind-sdk-'));
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, CONTRACT);
  const send = async (url: string, n: number) => {
    for (let i = 0; i < n; i++) await (await fetch(`${url}/items`)).text();
  };

  it('logs one warning line, with the counts and the fix, after 100 of them', async () => {
    const lines: DrainLogLine[] = [];
    const s = await koaService(file, 'wrong', (l) => lines.push(l));
    try {
      await send(s.url, 99);
      assert.equal(s.drainer.checkUnhandled(), undefined, 'not before 100');
      await send(s.url, 21);
      const line = s.drainer.checkUnhandled();
      assert.ok(line);
      assert.equal(line.event, 'unhandled-requests');
      assert.equal(line.arrived, 120);
      assert.equal(line.handled, 0);
      assert.match(line.message!, /^sloctl: 120 requests reached the server and the SDK handled 0 of them: .*sloctl\/sdk\/koa: app\.use\(middleware\(sdk\)\) before app\.use\(router\.routes\(\)\)/);
      assert.deepEqual(lines, [line]);
      // Once.
      await send(s.url, 100);
      assert.equal(s.drainer.checkUnhandled(), undefined);
      assert.equal(lines.length, 1);
    } finally {
      await s.close();
    }
  });

  it('says nothing when the middleware is first, health and metrics included', async () => {
    const lines: DrainLogLine[] = [];
    const s = await koaService(file, 'right', (l) => lines.push(l));
    try {
      await send(s.url, 150);
      for (let i = 0; i < 120; i++) await (await fetch(`${s.url}/metrics`)).text();
      assert.equal(s.drainer.checkUnhandled(), undefined);
      assert.deepEqual(lines, []);
    } finally {
      await s.close();
    }
  });
});

describe('gate: a Koa service whose middleware comes after the router', { timeout: 60_000 }, () => {
  it('INCONCLUSIVE (exit 4), naming the count of 0 and the fix; it passed before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-blind-gate-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, CONTRACT);
    const s = await koaService(file, 'wrong');
    try {
      const r = await runCli(['gate', file, '--target', s.url, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
      const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
      assert.equal(report.outcome, 'inconclusive', JSON.stringify(report.reasons));
      assert.equal(r.code, 4, r.stderr);
      assert.match(report.reasons[0], /^the service counted 0 of the [0-9,]+ requests the generator got answers for \(http_server_requests_total over the measured phase\): its instrumentation does not see them: register the SDK's middleware before the routers/);
      for (const name of ['lat', 'errors']) assert.equal(report.verdicts.find((v) => v.name === name)!.verdict, 'warn');
    } finally {
      await s.close();
    }
  });
});

describe('gate: a service whose /metrics counts every other request (one of two workers\' registries)', { timeout: 60_000 }, () => {
  it('says the count and the fix first; the service side is INCONCLUSIVE (WARN), the client\'s pass stands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-partial-gate-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, CONTRACT);
    // Two SDKs, as two cluster workers have: requests alternate between them, /metrics and the
    // health endpoint are the first one's (a scrape connection kept on one worker).
    const sdks = [0, 1].map(() => instrument({ contract: file, registry: new Registry(), defaultMetrics: false, clusterNotice: false }));
    const handlers = sdks.map((sdk) => wrap((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('[]');
    }, sdk, { route: () => '/items' }));
    let n = 0;
    const server = createServer((req, res) => handlers[req.url?.startsWith('/items') ? n++ % 2 : 0]!(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runCli(['gate', file, '--target', url, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
      const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
      assert.match(report.notes[0], /^the service's counters saw [\d,]+ of the [\d,]+ requests the load got answers for on GET \/items \(http_server_requests_total over the measured phase\): its \/metrics is one process of several/, report.notes.join('\n'));
      const [, counted, answered] = /saw ([\d,]+) of the ([\d,]+)/.exec(report.notes[0])!.map((x) => Number(x.replace(/,/g, '')));
      assert.ok(Math.abs(counted! / answered! - 0.5) < 0.05, `${counted} of ${answered}`);
      for (const name of ['lat', 'errors']) assert.equal(report.verdicts.find((v) => v.name === name)!.verdict, 'warn');
      assert.notEqual(report.outcome, 'fail', JSON.stringify(report.reasons));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
