import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PromqlClient, PromqlError, parseSampleValue } from '../src/observe/promql-client.ts';
import { requireBinary, startPrometheus } from './helpers/prometheus.ts';

interface Seen {
  method: string;
  path: string;
  params: URLSearchParams;
}

/** A fake Prometheus API: the test sets the next answer; every request is recorded. */
async function fakePrometheus() {
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.end('{}');
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method ?? '', path: u.pathname, params: new URLSearchParams(body || u.search) });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const json = (status: number, data: unknown) => {
    answer = (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof data === 'string' ? data : JSON.stringify(data));
    };
  };
  return {
    url,
    seen,
    json,
    set: (h: typeof answer) => {
      answer = h;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('PromQL client (fake server)', () => {
  let fake: Awaited<ReturnType<typeof fakePrometheus>>;
  before(async () => {
    fake = await fakePrometheus();
  });
  after(async () => {
    await fake.close();
  });

  it('instant query: POSTs the form, parses a vector with its warnings', async () => {
    fake.json(200, {
      status: 'success',
      warnings: ['PromQL info: metric might not be a counter'],
      data: { resultType: 'vector', result: [{ metric: { job: 'a' }, value: [1700000000.123, '0.5'] }, { metric: {}, value: [1700000000.123, '+Inf'] }] },
    });
    const c = new PromqlClient({ url: `${fake.url}/` });
    const r = await c.query('sum(up)', { time: 1_700_000_000_123 });
    assert.equal(r.resultType, 'vector');
    assert.deepEqual(r.result, [{ metric: { job: 'a' }, t: 1_700_000_000_123, value: 0.5 }, { metric: {}, t: 1_700_000_000_123, value: Infinity }]);
    assert.deepEqual(r.warnings, ['PromQL info: metric might not be a counter']);
    const s = fake.seen.at(-1)!;
    assert.equal(s.method, 'POST');
    assert.equal(s.path, '/api/v1/query');
    assert.equal(s.params.get('query'), 'sum(up)');
    assert.equal(s.params.get('time'), '1700000000.123');
    assert.equal(s.params.get('timeout'), '30s');
  });

  it('keeps a path prefix, parses scalars and range queries', async () => {
    const c = new PromqlClient({ url: `${fake.url}/prom`, timeoutMs: 5000 });
    fake.json(200, { status: 'success', data: { resultType: 'scalar', result: [1700000000, '2'] } });
    assert.equal(await c.scalar('1+1'), 2);
    assert.equal(fake.seen.at(-1)!.path, '/prom/api/v1/query');
    fake.json(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: 'b' }, values: [[1700000000, '1'], [1700000015, 'NaN']] }] } });
    const r = await c.queryRange('x', { start: 1_700_000_000_000, end: 1_700_000_015_000, stepMs: 15_000 });
    assert.deepEqual(r.result[0].values.map((p) => p.t), [1_700_000_000_000, 1_700_000_015_000]);
    assert.ok(Number.isNaN(r.result[0].values[1].v));
    const s = fake.seen.at(-1)!;
    assert.equal(s.path, '/prom/api/v1/query_range');
    assert.deepEqual([s.params.get('start'), s.params.get('end'), s.params.get('step'), s.params.get('timeout')], ['1700000000.000', '1700000015.000', '15s', '5s']);
    fake.json(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    assert.equal(await c.scalar('absent_thing'), undefined);
  });

  it('surfaces status: error with errorType and error verbatim', async () => {
    const error = '1:5: parse error: unexpected <op:*>';
    fake.json(400, { status: 'error', errorType: 'bad_data', error });
    const c = new PromqlClient({ url: fake.url });
    await assert.rejects(c.query('sum(*)'), (e: unknown) => {
      assert.ok(e instanceof PromqlError);
      assert.equal(e.kind, 'prometheus');
      assert.equal(e.errorType, 'bad_data');
      assert.equal(e.error, error);
      assert.equal(e.status, 400);
      assert.equal(e.message, `${fake.url} rejected the query: bad_data: ${error}`);
      return true;
    });
    // 422 / 503 carry status:error too (execution, timeout).
    fake.json(503, { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
    await assert.rejects(c.query('x'), /rejected the query: timeout: query timed out in expression evaluation/);
  });

  it('an HTTP error without an API body is one line with the status', async () => {
    fake.set((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>\n<body>Bad Gateway</body>\n</html>');
    });
    const c = new PromqlClient({ url: fake.url });
    await assert.rejects(c.query('up'), (e: unknown) => {
      assert.ok(e instanceof PromqlError);
      assert.equal(e.kind, 'http');
      assert.equal(e.message, `${fake.url}/api/v1/query answered HTTP 502 (<html> <body>Bad Gateway</body> </html>)`);
      return true;
    });
    fake.set((_req, res) => {
      res.writeHead(404);
      res.end('404 page not found');
    });
    await assert.rejects(c.query('up'), /answered HTTP 404 \(404 page not found\); is this the Prometheus base URL/);
  });

  it('a 200 that is not the API JSON is a bad response', async () => {
    fake.json(200, 'hello');
    await assert.rejects(new PromqlClient({ url: fake.url }).query('up'), (e: unknown) => e instanceof PromqlError && e.kind === 'bad-response' && /is .* a Prometheus server\?/.test(e.message));
  });

  it('times out on a server that does not answer', async () => {
    const pending: ServerResponse[] = [];
    fake.set((_req, res) => {
      pending.push(res);
    });
    const c = new PromqlClient({ url: fake.url, timeoutMs: 100 });
    await assert.rejects(c.query('up'), (e: unknown) => {
      assert.ok(e instanceof PromqlError);
      assert.equal(e.kind, 'timeout');
      assert.equal(e.message, `${fake.url} did not answer within 100ms; the query may be too expensive or the server overloaded (raise the timeout)`);
      return true;
    });
    for (const r of pending) r.destroy();
  });

  it('an unreachable server is one line with the URL and what to do', async () => {
    const other = await fakePrometheus();
    await other.close();
    await assert.rejects(new PromqlClient({ url: other.url }).query('up'), (e: unknown) => {
      assert.ok(e instanceof PromqlError);
      assert.equal(e.kind, 'unreachable');
      assert.equal(e.message, `cannot reach Prometheus at ${other.url}: connection refused; is it running, and is the port right?`);
      return true;
    });
    assert.throws(() => new PromqlClient({ url: 'localhost:9090' }), /not an absolute URL/);
  });

  it('parses sample values like Prometheus writes them', () => {
    assert.deepEqual(['1', '-2.5e-3', '+Inf', '-Inf'].map(parseSampleValue), [1, -0.0025, Infinity, -Infinity]);
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
  });
});

describe('PromQL client (real Prometheus)', () => {
  it('instant, range and failing queries against the real server', async (t) => {
    const bin = requireBinary(t, 'prometheus');
    if (!bin) return;
    const prom = await startPrometheus(bin);
    t.after(() => prom.stop());
    const c = new PromqlClient({ url: prom.url, timeoutMs: 10_000 });
    const now = Date.now();
    const v = await c.query('vector(time())', { time: now });
    assert.equal(v.resultType, 'vector');
    if (v.resultType === 'vector') assert.ok(Math.abs(v.result[0].value * 1000 - now) < 1, 'time() is the evaluation time');
    assert.equal(await c.scalar('scalar(vector(42))'), 42);
    const r = await c.queryRange('vector(time())', { start: now - 60_000, end: now, stepMs: 15_000 });
    assert.equal(r.result[0].values.length, 5);
    await assert.rejects(c.query('sum(rate(x[5m])'), (e: unknown) => {
      assert.ok(e instanceof PromqlError);
      assert.equal(e.kind, 'prometheus');
      assert.equal(e.errorType, 'bad_data');
      assert.match(e.error!, /parse error/);
      assert.equal(e.message, `${prom.url} rejected the query: bad_data: ${e.error}`);
      return true;
    });
  });
});
