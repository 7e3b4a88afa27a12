import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../src/cli/exit.ts';
import type { LoadCommandDeps } from '../src/cli/load.ts';
import { fakeResult, runLoadCli } from './helpers/load-cli.ts';
import { Histogram } from '../src/measure/histogram.ts';
import { runLoad } from '../src/load/run.ts';
import type { LoadOptions, LoadResult } from '../src/load/types.ts';

const FIXTURES = new URL('./fixtures/load/', import.meta.url).pathname;

/** `sloctl load` with the test's own dependencies (test/helpers/load-cli.ts). */
function run(args: string[], deps: LoadCommandDeps = {}, cwd = FIXTURES) {
  return runLoadCli(args, deps, cwd);
}

let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
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

describe('sloctl load: flags', () => {
  const cases: Array<[string[], RegExp]> = [
    [['http://127.0.0.1:1/', '--rate', 'fast'], /--rate: expected a number of requests per second \(500\), a rate \(500\/s, 6000\/m\) or max, got "fast"/],
    [['http://127.0.0.1:1/'], /--rate is required/],
    [['--rate', '10'], /missing URL: sloctl load URL --rate 500/],
    [['http://127.0.0.1:1/', '--rate', '10', '--duration', '30'], /--duration: 30 has no unit: write 30s, 30ms or 30m/],
    [['http://127.0.0.1:1/', '--rate', '10', '--connections', '0'], /--connections: must be at least 1, got 0/],
    [['http://127.0.0.1:1/', '--rate', 'max', '--ramp', '100'], /--ramp: the closed model \(--rate max\) has no rate to ramp from/],
    [['http://127.0.0.1:1/', '--rate', '10', '-H', 'no-colon'], /--header: expected "name: value"/],
    [['http://127.0.0.1:1/', '--rate', '10', '--body', '{id: 1}'], /--body: expected JSON or @file, got "\{id: 1\}"/],
    [['http://127.0.0.1:1/', '--rate', '10', '--body', '@missing.json'], /cannot read missing\.json: no such file or directory/],
    [['http://127.0.0.1:1/', '--rate', '10', '--method', 'GET /'], /--method: expected an HTTP method/],
    [['http://example.com/', '--rate', '10'], /example\.com is not a loopback address.*--allow-remote/],
    [['127.0.0.1:8080', '--rate', '10'], /not an absolute URL/],
    [['--from', 'vegeta-results.json', '--rate', '10'], /--rate shapes a run, and --from reads one that already happened/],
    [['--from', 'vegeta-results.json', '--allow-remote'], /--allow-remote shapes a run/],
    [['http://127.0.0.1:1/', '--from', 'vegeta-results.json'], /--from reads a result instead of running load: drop the URL/],
    [['--from', 'nope.json'], /cannot read nope\.json: no such file or directory/],
    [['--from', 'vegeta-results-truncated.json'], /vegeta-results-truncated\.json:4: not JSON/],
    [['--from', 'k6-broken.json'], /k6-broken\.json:5: invalid JSON/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')} -> 2`, async () => {
      let called = false;
      const r = await run(args, { runLoad: async (o) => { called = true; return fakeResult(o); } });
      assert.equal(r.code, EXIT.USAGE, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(called, false, 'no load was sent');
      assert.equal(r.stdout, '');
    });
  }

  it('builds the run from the flags: one request, headers, body from a file, a ramp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-load-'));
    writeFileSync(join(dir, 'order.json'), '{"sku": "A-1", "qty": 2}');
    let seen: LoadOptions | undefined;
    const r = await run(
      ['http://127.0.0.1:9/orders?src=cli', '--rate', '600/m', '--ramp', '50/s', '--duration', '2m', '--connections', '8', '--timeout', '2s', '--workers', '2', '--seed', '7', '--method', 'post', '-H', 'Authorization: Bearer t', '-H', 'x-tenant:a', '--body', '@order.json'],
      { runLoad: async (o) => { seen = o; return fakeResult(o); } },
      dir,
    );
    assert.equal(r.code, EXIT.OK, r.stderr);
    assert.ok(seen);
    assert.deepEqual(seen.requests, [{ name: 'POST /orders', weight: 1, method: 'POST', path: '/orders?src=cli', headers: { authorization: 'Bearer t', 'x-tenant': 'a' }, body: { sku: 'A-1', qty: 2 } }]);
    assert.deepEqual(seen.stages, [{ rate: 10, to: 50, durationMs: 120_000 }]);
    assert.equal(seen.connections, 8);
    assert.equal(seen.timeoutMs, 2000);
    assert.equal(seen.workers, 2);
    assert.equal(seen.seed, 7);
    assert.equal(seen.allowRemote, false);
    assert.ok(seen.signal instanceof AbortSignal);
    assert.match(r.stdout, /^sloctl load POST http:\/\/127\.0\.0\.1:9\/orders\?src=cli: open model, 2m at 10\/s ramping to 50\/s, 8 connections × 2 workers\n/);
  });
});

describe('sloctl load: results and exit codes', () => {
  it('--json prints the LoadResult, --output writes the same atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-load-'));
    const r = await run([`${base}/hello?x=1`, '--rate', '50', '--duration', '1s', '--connections', '4', '--json', '--output', 'result.json'], {}, dir);
    const result = JSON.parse(r.stdout) as LoadResult;
    assert.equal(readFileSync(join(dir, 'result.json'), 'utf8'), r.stdout);
    assert.equal(result.source, 'sloctl');
    assert.equal(result.model, 'open');
    assert.equal(result.routes.length, 1);
    assert.equal(result.routes[0].name, 'GET /hello');
    // 50/s for 1 s: the schedule has 50 sends; a run on a busy machine may drop a few, never add.
    assert.ok(result.sent > 0 && result.sent <= 50, `sent ${result.sent}`);
    assert.equal(result.completed, result.sent);
    assert.deepEqual(result.statuses, { '200': result.sent });
    assert.ok(result.generator);
    assert.equal(Histogram.fromJSON(result.routes[0].histogram).count, result.completed);
    // The generator judges itself; on a loaded machine it may say it fell short, and then says why.
    if (result.generator.ok) assert.equal(r.code, EXIT.OK, r.stderr);
    else {
      assert.equal(r.code, EXIT.INCONCLUSIVE);
      assert.match(r.stderr, /the generator fell short of the profile/);
    }
  });

  it('exits 3 when the target refuses every request', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await run([`http://127.0.0.1:${port}/`, '--rate', '40', '--duration', '500ms']);
    assert.equal(r.code, EXIT.TARGET, r.stderr);
    assert.match(r.stderr, new RegExp(`http://127\\.0\\.0\\.1:${port}/ could not be reached: none of \\d+ requests got an answer \\(ECONNREFUSED × \\d+\\)`));
    assert.match(r.stdout, /no response   ECONNREFUSED × \d+/);
  });

  it('exits 4 when asked for a rate this generator cannot reach, with its reasons', async () => {
    const r = await run([`${base}/`, '--rate', '200000', '--duration', '500ms', '--connections', '4']);
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stdout);
    assert.match(r.stdout, /generator     FELL SHORT of the profile/);
    assert.match(r.stdout, /\n  - achieved \d+\/s of 200000\/s requested/);
  });

  it('stops on Ctrl-C (or its signal), still prints what was measured, and exits 4', async () => {
    const stop = new AbortController();
    let stderrAtStop = '';
    const r = await run([`${base}/`, '--rate', '100', '--duration', '30s'], {
      isTTY: true,
      signal: stop.signal,
      // Stop once the first progress report is out: a run that is under way.
      runLoad: (o) => runLoad({ ...o, onProgress: (p) => { o.onProgress?.(p); stop.abort(); } }),
    });
    stderrAtStop = r.stderr;
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stderr);
    assert.match(r.stderr, /sloctl: stopped before the end: the results cover the \d+\.\ds measured/);
    const sent = Number(/requests      (\d+) sent/.exec(r.stdout)?.[1]);
    assert.ok(sent > 0 && sent < 3000, `sent ${sent} of the 3000 a full run would`);
    // On a terminal the progress line was drawn and cleared before the table.
    assert.match(stderrAtStop, /^\r\[[#-]+\] .*\x1b\[K/);
    assert.ok(stderrAtStop.includes('\r\x1b[K'));
  });

  it('a fake run that delivered its profile exits 0 and prints the table', async () => {
    const r = await run(['http://127.0.0.1:9/x', '--rate', '10', '--duration', '1s'], { runLoad: async (o) => fakeResult(o) });
    assert.equal(r.code, EXIT.OK);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /rate          asked 10\/s, achieved 10\/s, answered 10\/s/);
    assert.match(r.stdout, /generator     OK: /);
  });
});

describe('sloctl load --from', () => {
  it('prints a vegeta result as the same table', async () => {
    const r = await run(['--from', 'vegeta-results.json']);
    assert.equal(r.code, EXIT.OK, r.stderr);
    assert.match(r.stdout, /^vegeta result read from vegeta-results\.json: http:\/\/127\.0\.0\.1:8080, open model, 1\.0s\n/);
    assert.match(r.stdout, /requests      100 sent, 97 answered, 6 errors \(6%\), 1 timeout\n/);
    assert.match(r.stdout, /GET \/products +60 +0 +2 +10 +10 +10/);
  });

  it('prints a k6 summary as JSON, with p99 marked absent rather than NaN', async () => {
    const r = await run(['--from', 'k6-summary-export.json', '--json']);
    assert.equal(r.code, EXIT.OK, r.stderr);
    const result = JSON.parse(r.stdout) as LoadResult;
    assert.equal(result.source, 'k6');
    assert.equal(result.model, 'closed');
    assert.equal(result.latency.p99, 0);
    assert.ok(result.latency.absent?.includes('p99'));
    assert.doesNotMatch(r.stdout, /NaN|null/);
  });

  it('shows absent percentiles as n/a in the table', async () => {
    const r = await run(['--from', 'k6-summary-export.json']);
    assert.match(r.stdout, /corrected = service time +8\.3 +21\.5 +35\.2 +n\/a +n\/a +513 +12\.4/);
  });

  it('reads back its own --output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-load-'));
    const first = await run(['--from', join(FIXTURES, 'k6-handle-summary.json'), '--output', 'k6.json'], {}, dir);
    assert.equal(first.code, EXIT.OK, first.stderr);
    const again = await run(['--from', 'k6.json', '--json'], {}, dir);
    assert.equal(again.code, EXIT.OK, again.stderr);
    assert.equal(again.stdout, readFileSync(join(dir, 'k6.json'), 'utf8'));
  });
});
