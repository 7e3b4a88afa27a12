// Issue 9, item 7: `sloctl load --contract slo.yaml` sends the contract's weighted mix (routes,
// path parameters, headers, bodies) at the contract's load numbers unless a flag overrides them, to
// the URL argument / --target / target.url / 127.0.0.1:target.port, loopback only unless
// --allow-remote. Checked against a real 127.0.0.1 server that counts requests per route.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../src/cli/exit.ts';
import type { LoadCommandDeps } from '../src/cli/load.ts';
import { runLoadCli } from './helpers/load-cli.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadOptions, LoadResult } from '../src/load/types.ts';

const FIXTURE = new URL('./fixtures/load/contract/slo.yaml', import.meta.url).pathname;

/** A directory holding the fixture contract as slo.yaml, with `edit` applied to its text. */
function contractDir(edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-load-contract-'));
  writeFileSync(join(dir, 'slo.yaml'), edit(readFileSync(FIXTURE, 'utf8')));
  return dir;
}

/** `sloctl load` with the test's own dependencies (test/helpers/load-cli.ts). */
function run(args: string[], deps: LoadCommandDeps = {}, cwd = contractDir()) {
  return runLoadCli(args, deps, cwd);
}

function fakeResult(options: LoadOptions): LoadResult {
  const h = new Histogram();
  h.record(2000);
  const s = h.summary();
  return {
    source: 'sloctl', url: options.url, model: 'open', startedAt: 1_714_564_800_000, durationMs: 1000, sent: 1, completed: 1, errors: 0, timeouts: 0, throughput: 1,
    latency: s, serviceTime: s, statuses: { '200': 1 },
    routes: options.requests.map((r, i) => ({ name: r.name, sent: i === 0 ? 1 : 0, completed: i === 0 ? 1 : 0, statuses: (i === 0 ? { '200': 1 } : {}) as Record<string, number>, errors: {}, latency: s, serviceTime: s, histogram: h.toJSON(), serviceHistogram: h.toJSON() })),
    generator: { requestedRate: 1, achievedRate: 1, lateSends: 0, lateThresholdMs: 10, maxLagMs: 1, droppedSends: 0, eventLoopDelayP99Ms: 1, cpu: 0.05, workers: 1, ok: true, reasons: [] },
    notes: [],
  };
}

/** Runs the command with a fake generator and returns what it was asked to send. */
async function options(args: string[], cwd?: string): Promise<{ seen: LoadOptions; stdout: string }> {
  let seen: LoadOptions | undefined;
  const r = await run(args, { runLoad: async (o) => { seen = o; return fakeResult(o); } }, cwd);
  assert.equal(r.code, EXIT.OK, r.stderr);
  assert.ok(seen, 'the generator was called');
  return { seen, stdout: r.stdout };
}

describe('sloctl load --contract: what it sends', () => {
  it("takes the mix and the load section's numbers from the contract, and 127.0.0.1:target.port as the base", async () => {
    const { seen, stdout } = await options(['--contract', 'slo.yaml']);
    assert.equal(seen.url, 'http://127.0.0.1:8080');
    assert.deepEqual(seen.requests, [
      { name: 'get-product', weight: 70, method: 'GET', path: '/products/{id}', params: { id: 'int(1,500)' } },
      { name: 'list-orders', weight: 20, method: 'GET', path: '/orders', headers: { 'x-page': '1' } },
      { name: 'create-order', weight: 10, method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: { productId: 42, quantity: 1 } },
    ]);
    assert.deepEqual(seen.stages, [{ rate: 200, durationMs: 30_000 }]);
    assert.equal(seen.connections, 8);
    assert.equal(seen.timeoutMs, 5000);
    assert.equal(seen.workers, undefined);
    assert.equal(seen.seed, undefined);
    assert.equal(seen.allowRemote, false);
    assert.match(stdout, /^sloctl load --contract slo\.yaml \(shop\) to http:\/\/127\.0\.0\.1:8080: open model, 30s at 200\/s, 8 connections; mix get-product 70%, list-orders 20%, create-order 10%\n/);
  });

  it('lets the usual flags override the numbers, -H add a header to every route, and --seed/--workers/--ramp pass through', async () => {
    const { seen } = await options(['--contract', 'slo.yaml', '--rate', '50', '--ramp', '100/s', '--duration', '2m', '--connections', '3', '--timeout', '1s', '--workers', '2', '--seed', '9', '-H', 'authorization: Bearer t', '-H', 'X-Page: 2']);
    assert.deepEqual(seen.stages, [{ rate: 50, to: 100, durationMs: 120_000 }]);
    assert.equal(seen.connections, 3);
    assert.equal(seen.timeoutMs, 1000);
    assert.equal(seen.workers, 2);
    assert.equal(seen.seed, 9);
    assert.deepEqual(seen.requests.map((r) => r.headers), [
      { authorization: 'Bearer t', 'x-page': '2' },
      { 'x-page': '2', authorization: 'Bearer t' },
      { 'content-type': 'application/json', authorization: 'Bearer t', 'x-page': '2' },
    ]);
  });

  it('takes the base from the URL argument, --target, or target.url, in that order', async () => {
    assert.equal((await options(['--contract', 'slo.yaml', 'http://127.0.0.1:9000'])).seen.url, 'http://127.0.0.1:9000');
    assert.equal((await options(['--contract', 'slo.yaml', 'http://localhost:9000/'])).seen.url, 'http://localhost:9000');
    assert.equal((await options(['--contract', 'slo.yaml', '--target', 'http://127.0.0.1:9001'])).seen.url, 'http://127.0.0.1:9001');
    const withUrl = contractDir((t) => t.replace('  run: node server.js\n  port: 8080\n', '  url: http://127.0.0.1:9002\n'));
    assert.equal((await options(['--contract', 'slo.yaml'], withUrl)).seen.url, 'http://127.0.0.1:9002');
    assert.equal((await options(['--contract', 'slo.yaml', 'http://127.0.0.1:9003'], withUrl)).seen.url, 'http://127.0.0.1:9003');
    const remote = contractDir((t) => t.replace('  run: node server.js\n  port: 8080\n', '  url: http://checkout.internal:8080\n'));
    const r = await options(['--contract', 'slo.yaml', '--allow-remote'], remote);
    assert.equal(r.seen.url, 'http://checkout.internal:8080');
    assert.equal(r.seen.allowRemote, true);
  });

  it('documents --contract and --target in --help', async () => {
    const r = await run(['--help']);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--contract <file> send the weighted mix of this slo\.yaml's load section \(its routes, path parameters, headers and bodies\) at its rate, duration, connections and timeout; the flags below override them\. Base URL: the URL argument or --target, else target\.url, else http:\/\/127\.0\.0\.1:<target\.port>/);
    assert.match(help, /--target <url> with --contract: the base URL of the service/);
    assert.match(help, /-H, --header <name:value> a request header; repeat for more \(with --contract: added to every route's requests/);
  });
});

describe('sloctl load --contract: mistakes exit 2 and send nothing', () => {
  const noTarget = (t: string) => t.replace(/target:\n  run: node server\.js\n  port: 8080\n/, '');
  const remote = (t: string) => t.replace('  run: node server.js\n  port: 8080\n', '  url: http://checkout.internal:8080\n');
  const noLoad = (t: string) => t.replace(/load:\n[\s\S]*?objectives:/, 'objectives:');
  const badMix = (t: string) => t.replace('route: list-orders', 'route: list-order');
  const cases: Array<[string, string[], RegExp, ((t: string) => string)?]> = [
    ['a remote target.url without --allow-remote', ['--contract', 'slo.yaml'], /refusing to send load to http:\/\/checkout\.internal:8080: checkout\.internal is not a loopback address.*--allow-remote.*\(the base URL, from target\.url in slo\.yaml\)/, remote],
    ['a remote URL argument', ['--contract', 'slo.yaml', 'http://example.com'], /example\.com is not a loopback address.*\(the base URL, from the URL\)/],
    ['no base URL at all', ['--contract', 'slo.yaml'], /--contract slo\.yaml: no base URL: the contract has neither target\.url nor target\.port; pass the service's URL, e\.g\. sloctl load --contract slo\.yaml http:\/\/127\.0\.0\.1:8080/, noTarget],
    ['a base with a path', ['--contract', 'slo.yaml', 'http://127.0.0.1:9/api'], /the base URL http:\/\/127\.0\.0\.1:9\/api \(from the URL\) has a path or query, but the contract's routes are absolute paths \(e\.g\. \/products\/\{id\}\) sent as they are: give the origin only, e\.g\. http:\/\/127\.0\.0\.1:9/],
    ['the base twice', ['--contract', 'slo.yaml', 'http://127.0.0.1:9', '--target', 'http://127.0.0.1:10'], /the base URL is given twice \(http:\/\/127\.0\.0\.1:9 and --target http:\/\/127\.0\.0\.1:10\)/],
    ['--method', ['--contract', 'slo.yaml', '--method', 'POST'], /--method describes the one request of a single-URL run; with --contract each route of load\.mix has its own method \(routes\[\]\.method\): drop --method/],
    ['--body', ['--contract', 'slo.yaml', '--body', '{}'], /--body describes the one request .* its own body \(load\.mix\[\]\.body\): drop --body/],
    ['no load section', ['--contract', 'slo.yaml'], /--contract slo\.yaml: the contract has no `load` section: add one with rate, duration and mix/, noLoad],
    ['an invalid contract', ['--contract', 'slo.yaml'], /slo\.yaml has 1 error: fix it .* and run sloctl load --contract slo\.yaml again/, badMix],
    ['a missing contract', ['--contract', 'nope.yaml'], /cannot read nope\.yaml: no such file or directory/],
    ['a bad override', ['--contract', 'slo.yaml', '--rate', 'fast'], /--rate: expected a number of requests per second/],
    ['--target without --contract', ['--target', 'http://127.0.0.1:9', '--rate', '10'], /--target is the base URL of a --contract run; to load one URL, give it as the argument/],
    ['--contract with --from', ['--from', 'x.json', '--contract', 'slo.yaml'], /--contract shapes a run, and --from reads one that already happened/],
  ];
  for (const [what, args, message, edit] of cases) {
    it(what, async () => {
      let called = false;
      const r = await run(args, { runLoad: async (o) => { called = true; return fakeResult(o); } }, contractDir(edit));
      assert.equal(r.code, EXIT.USAGE, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(called, false, 'no load was sent');
    });
  }
});

describe('sloctl load --contract: against a real service', () => {
  let server: Server;
  let base: string;
  const byRoute = new Map<string, number>();
  const problems: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        let route = 'other';
        const product = /^\/products\/(\d+)$/.exec(req.url ?? '');
        if (req.method === 'GET' && product) {
          route = 'get-product';
          const id = Number(product[1]);
          if (!(id >= 1 && id <= 500)) problems.push(`product id ${id} outside int(1,500)`);
        } else if (req.method === 'GET' && req.url === '/orders') {
          route = 'list-orders';
          if (req.headers['x-page'] !== '1') problems.push(`list-orders without its x-page header: ${String(req.headers['x-page'])}`);
        } else if (req.method === 'POST' && req.url === '/orders') {
          route = 'create-order';
          if (req.headers['content-type'] !== 'application/json' || body !== '{"productId":42,"quantity":1}') problems.push(`create-order body ${body} (${String(req.headers['content-type'])})`);
        } else problems.push(`unexpected ${req.method} ${req.url}`);
        byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the mix 70/20/10 within a point per route, with its parameters, headers and bodies', async () => {
    byRoute.clear();
    // 400/s for 3 s: 1,200 requests (a gate trial of the example), to the URL argument as the base.
    const r = await run(['--contract', 'slo.yaml', base, '--rate', '400', '--duration', '3s', '--json']);
    const result = JSON.parse(r.stdout) as LoadResult;
    const received = [...byRoute.values()].reduce((a, b) => a + b, 0);
    assert.deepEqual(problems, []);
    assert.equal(received, result.completed);
    assert.ok(received > 1000 && received <= 1200, `received ${received} of 1200`);
    const declared: Record<string, number> = { 'get-product': 70, 'list-orders': 20, 'create-order': 10 };
    for (const [route, pct] of Object.entries(declared)) {
      const share = ((byRoute.get(route) ?? 0) / received) * 100;
      assert.ok(Math.abs(share - pct) <= 1, `${route}: ${share.toFixed(2)}% of what the service received, declared ${pct}%`);
    }
    assert.deepEqual(result.routes.map((x) => x.name), ['get-product', 'list-orders', 'create-order']);
    assert.deepEqual(Object.fromEntries(result.routes.map((x) => [x.name, x.completed])), Object.fromEntries([...byRoute].filter(([k]) => k !== 'other')));
    // On a loaded machine the generator may say it fell short (exit 4, with its reasons); never another failure.
    if (result.generator?.ok) assert.equal(r.code, EXIT.OK, r.stderr);
    else {
      assert.equal(r.code, EXIT.INCONCLUSIVE, r.stderr);
      assert.match(r.stderr, /the generator fell short of the profile/);
    }
  });

  it('sends the same requests for the same --seed, and others for another', async () => {
    const paths = async (seed: string): Promise<string[]> => {
      const seen: string[] = [];
      const recorder = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          seen.push(`${req.method} ${req.url}`);
          res.end('ok');
        });
      });
      await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
      try {
        // The closed model on one connection: as fast as answered, in sequence order.
        await run(['--contract', 'slo.yaml', '--target', url, '--rate', 'max', '--connections', '1', '--duration', '300ms', '--seed', seed, '--json']);
      } finally {
        recorder.closeAllConnections();
        recorder.close();
      }
      return seen;
    };
    const a = await paths('5');
    const b = await paths('5');
    const c = await paths('6');
    const n = Math.min(a.length, b.length, c.length, 200);
    assert.ok(n >= 50, `only ${n} requests in 300 ms`);
    assert.deepEqual(a.slice(0, n), b.slice(0, n));
    assert.notDeepEqual(a.slice(0, n), c.slice(0, n));
  });
});
