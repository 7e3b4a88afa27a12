// The control API: toxiproxy's paths, JSON shapes and status codes, checked with plain requests
// against the library's server, and with the real toxiproxy-node-client against `sloctl faults
// serve` started through the command line (port 0, the address read from what it prints).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Toxiproxy, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { FaultProxies, startControlServer, type ControlServer } from '../src/faults/index.ts';
import { runCli } from './helpers/cli.ts';
import { httpUpstream, medianOf, timedRequest, type Upstream } from './helpers/faults.ts';

const REPO = resolve(import.meta.dirname, '..');
const SLOCTL = join(REPO, 'test/fixtures/gate/sloctl.ts');

let up: Upstream<import('node:http').Server>;
let api: ControlServer;

before(async () => {
  up = await httpUpstream((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  api = await startControlServer(new FaultProxies(), { port: 0, version: 'test' });
});

after(async () => {
  await api.close();
  await up.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${api.url}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers });
  const text = await res.text();
  const json = res.headers.get('content-type') === 'application/json' ? JSON.parse(text) : text === '' ? undefined : text;
  return { status: res.status, json };
}

describe('control API (toxiproxy-compatible)', () => {
  it('creates, shows, lists and deletes proxies with toxiproxy\'s shapes and codes', async () => {
    assert.deepEqual(await call('GET', '/version'), { status: 200, json: { version: 'test' } });
    const created = await call('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` });
    assert.equal(created.status, 201);
    const proxy = created.json as { name: string; listen: string; upstream: string; enabled: boolean; toxics: unknown[] };
    assert.match(proxy.listen, /^127\.0\.0\.1:[1-9][0-9]*$/, 'listen shows the port the proxy got');
    assert.deepEqual({ ...proxy, listen: 'L' }, { name: 'db', listen: 'L', upstream: `127.0.0.1:${up.port}`, enabled: true, toxics: [] });
    assert.deepEqual(await call('POST', '/proxies', { name: 'db', upstream: `127.0.0.1:${up.port}` }), { status: 409, json: { error: 'proxy already exists: "db"', status: 409 } });
    assert.deepEqual((await call('GET', '/proxies')).json, { db: proxy });
    assert.deepEqual((await call('GET', '/proxies/db')).json, proxy);
    assert.deepEqual(await call('GET', '/proxies/nope'), { status: 404, json: { error: 'proxy not found: "nope"', status: 404 } });

    const toxic = await call('POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 50 } });
    assert.deepEqual(toxic, { status: 200, json: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } } });
    assert.equal((await call('POST', '/proxies/db/toxics', { type: 'latency' })).status, 409);
    const updated = await call('POST', '/proxies/db/toxics/latency_downstream', { attributes: { jitter: 5 }, toxicity: 0.5 });
    assert.deepEqual(updated.json, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 50, jitter: 5 } });
    assert.deepEqual((await call('GET', '/proxies/db/toxics')).json, [updated.json]);
    assert.deepEqual((await call('GET', '/proxies/db/toxics/latency_downstream')).json, updated.json);
    assert.deepEqual((await call('GET', '/proxies/db')).json, { ...proxy, toxics: [updated.json] });
    assert.equal((await call('GET', '/proxies/db/toxics/nope')).status, 404);
    assert.deepEqual(await call('DELETE', '/proxies/db/toxics/latency_downstream'), { status: 204, json: undefined });
    assert.deepEqual((await call('GET', '/proxies/db/toxics')).json, []);
    assert.deepEqual(await call('DELETE', '/proxies/db'), { status: 204, json: undefined });
    assert.equal((await call('GET', '/proxies/db')).status, 404);
  });

  it('disables and enables a proxy on the same port; /reset re-enables and removes every toxic; /populate creates or keeps', async () => {
    const { json } = await call('POST', '/proxies', { name: 'cache', upstream: `127.0.0.1:${up.port}` });
    const port = Number((json as { listen: string }).listen.split(':')[1]);
    assert.equal((await timedRequest(port)).status, 200);
    assert.equal(((await call('POST', '/proxies/cache', { enabled: false })).json as { enabled: boolean }).enabled, false);
    await assert.rejects(timedRequest(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    await call('PATCH', '/proxies/cache', { enabled: true });
    assert.equal((await timedRequest(port)).status, 200);

    await call('POST', '/proxies/cache/toxics', { type: 'timeout', attributes: { timeout: 0 } });
    await call('POST', '/proxies/cache', { enabled: false });
    assert.deepEqual(await call('POST', '/reset'), { status: 204, json: undefined });
    const after = (await call('GET', '/proxies/cache')).json as { enabled: boolean; toxics: unknown[] };
    assert.deepEqual([after.enabled, after.toxics], [true, []]);
    assert.equal((await timedRequest(port, { timeoutMs: 2000 })).status, 200);

    const populated = await call('POST', '/populate', [
      { name: 'cache', upstream: `127.0.0.1:${up.port}` },
      { name: 'queue', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` },
    ]);
    assert.equal(populated.status, 201);
    const list = (populated.json as { proxies: { name: string; listen: string }[] }).proxies;
    assert.deepEqual(list.map((p) => p.name), ['cache', 'queue']);
    assert.equal(list[0].listen, `127.0.0.1:${port}`, 'an existing proxy with the same upstream is kept, port and all');
    await call('DELETE', '/proxies/cache');
    await call('DELETE', '/proxies/queue');
  });

  it('POST /proxies/{name} with another upstream moves the proxy there, on the same port', async () => {
    const other = await httpUpstream((req, res) => res.end('two'));
    try {
      const { json } = await call('POST', '/proxies', { name: 'moving', upstream: `127.0.0.1:${up.port}` });
      const listen = (json as { listen: string }).listen;
      const port = Number(listen.split(':')[1]);
      assert.equal((await timedRequest(port)).body.toString(), 'ok');
      const moved = await call('POST', '/proxies/moving', { upstream: `127.0.0.1:${other.port}` });
      assert.deepEqual(moved, { status: 200, json: { name: 'moving', listen, upstream: `127.0.0.1:${other.port}`, enabled: true, toxics: [] } });
      assert.equal((await timedRequest(port)).body.toString(), 'two');
      const refused = await call('POST', '/proxies/moving', { upstream: '192.0.2.7:80' });
      assert.equal(refused.status, 400);
      assert.match((refused.json as { error: string }).error, /upstream: "192\.0\.2\.7:80" is not on a loopback address/);
      await call('DELETE', '/proxies/moving');
    } finally {
      await other.close();
    }
  });

  it('bad input is a 400 JSON error naming the field', async () => {
    await call('POST', '/proxies', { name: 'v', upstream: `127.0.0.1:${up.port}` });
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/proxies', { name: 'x' }, /missing required field: upstream/],
      ['POST', '/proxies', { upstream: `127.0.0.1:${up.port}` }, /missing required field: name/],
      ['POST', '/proxies', { name: 'x', upstream: 'nonsense' }, /upstream: expected a "host:port" string/],
      ['POST', '/proxies', { name: 'x', upstream: `127.0.0.1:${up.port}`, enabled: 'yes' }, /enabled: expected true or false, got "yes"/],
      ['POST', '/proxies', '{not json', /bad request body: not JSON/],
      ['POST', '/proxies/v/toxics', { type: 'latency', attributes: { latency: 'slow' } }, /attributes\.latency: expected a whole number of milliseconds >= 0, got "slow"/],
      ['POST', '/proxies/v/toxics', { type: 'latency', toxicity: 2 }, /toxicity: expected a number from 0 to 1/],
      ['POST', '/proxies/v/toxics', { type: 'latncy' }, /invalid toxic type: type: expected one of latency, bandwidth, .*got "latncy"/],
      ['POST', '/proxies/v/toxics', { type: 'latency', stream: 'sideways' }, /stream was invalid, can be either upstream or downstream/],
      ['POST', '/proxies/v/toxics', { type: 'bandwidth', attributes: { rate: 0 } }, /attributes\.rate: expected a whole number of KB\/s >= 1, got 0/],
      ['POST', '/proxies/v/toxics', { type: 'slicer', attributes: { average_size: 10, size_variation: 10 } }, /attributes\.size_variation: expected less than average_size \(10\), got 10/],
    ];
    for (const [method, path, body, message] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      const err = r.json as { error: string; status: number };
      assert.equal(err.status, 400);
      assert.match(err.error, message);
    }
    assert.equal((await call('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0' })).status, 403, 'browsers are refused, as toxiproxy does');
    await call('DELETE', '/proxies/v');
  });
});

describe('control API with a token', () => {
  it('refuses a request without the token or with a wrong one (401), answers with it', async () => {
    const guarded = await startControlServer(new FaultProxies(), { port: 0, token: 's3cret' });
    try {
      const get = (auth?: string) => fetch(`${guarded.url}/proxies`, { headers: auth ? { Authorization: auth } : {} });
      const none = await get();
      assert.equal(none.status, 401);
      assert.match(((await none.json()) as { error: string }).error, /Authorization: Bearer/);
      assert.equal((await get('Bearer wrong')).status, 401);
      assert.equal((await get('s3cret')).status, 401);
      const ok = await get('Bearer s3cret');
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {});
    } finally {
      await guarded.close();
    }
  });
});

describe('toxiproxy-node-client against `sloctl faults serve`', () => {
  let child: ChildProcess;
  let url: string;
  let output = '';

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'faults', 'serve', '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /control API on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`sloctl faults serve exited with ${code}: ${output}`)));
    });
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('creates a proxy and a latency toxic; the delay is measured through it, and gone once removed', async (t) => {
    const toxiproxy = new Toxiproxy(url);
    assert.match(await toxiproxy.getVersion(), /"version"/);
    const proxy = await toxiproxy.createProxy({ name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` });
    assert.equal(proxy.enabled, true);
    const port = Number(proxy.listen.split(':')[1]);
    // The baseline is a request through the proxy without the toxic: the server runs in its own
    // process, and on a busy machine its scheduling alone costs milliseconds a direct request lacks.
    const plain = await medianOf(5, () => timedRequest(port));
    const body: ICreateToxicBody<Latency> = { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } };
    const toxic = await proxy.addToxic(body);
    assert.deepEqual(toxic.toJson(), body);
    const slowed = await medianOf(5, () => timedRequest(port));
    t.diagnostic(`latency 500 set through toxiproxy-node-client: added ${(slowed - plain).toFixed(1)} ms (through the proxy without it: ${plain.toFixed(1)} ms)`);
    assert.ok(Math.abs(slowed - plain - 500) <= 50, `added ${(slowed - plain).toFixed(1)} ms for latency 500`);
    const got = await proxy.getToxic('slow');
    assert.deepEqual(got.attributes, { latency: 500, jitter: 0 });
    const changed = await got.update({ ...body, attributes: { latency: 100, jitter: 0 } });
    assert.equal((changed.attributes as Latency).latency, 100);
    await toxic.remove();
    const back = await medianOf(5, () => timedRequest(port));
    assert.ok(back < plain + 100, `after removing it: ${back.toFixed(1)} ms (${plain.toFixed(1)} ms before the toxic)`);

    const all = await toxiproxy.getAll();
    assert.deepEqual(Object.keys(all), ['payments']);
    const disabled = await all.payments.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    assert.equal(disabled.enabled, false);
    await toxiproxy.reset();
    assert.equal((await toxiproxy.get('payments')).enabled, true);
    const populated = await toxiproxy.populate([{ name: 'ledger', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` }]);
    assert.deepEqual(Object.keys(populated), ['ledger']);
    await assert.rejects(toxiproxy.get('nope'), /status code 404/);
    await proxy.remove();
    await populated.ledger.remove();
  });

  it('SIGTERM removes every proxy and exits 0', async () => {
    const toxiproxy = new Toxiproxy(url);
    const proxy = await toxiproxy.createProxy({ name: 'left', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` });
    const port = Number(proxy.listen.split(':')[1]);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /stopped; every proxy and toxic removed/);
    assert.match(output, /sloctl faults: POST \/proxies\/payments\/toxics 200\n/, 'every change is logged on stderr');
    await assert.rejects(timedRequest(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
});

describe('sloctl faults serve --config', () => {
  it('creates the proxies of a toxiproxy config file at start, and Ctrl-C stops it (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-faults-'));
    writeFileSync(join(dir, 'proxies.json'), JSON.stringify([{ name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` }]));
    const child = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'faults', 'serve', '--port', '0', '--config', join(dir, 'proxies.json')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          output += c.toString();
          const m = /proxy payments listening on 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:\d+/.exec(output);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      assert.equal((await timedRequest(port)).body.toString(), 'ok');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 0, output);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a config with a bad proxy is exit 2, naming the entry and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-faults-'));
    writeFileSync(join(dir, 'proxies.json'), JSON.stringify([{ name: 'ok', upstream: `127.0.0.1:${up.port}` }, { name: 'remote', upstream: '192.0.2.1:5432' }]));
    const r = await runCli(['faults', 'serve', '--port', '0', '--config', 'proxies.json'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--config proxies\.json: bad request body: \[1\]\.upstream: "192\.0\.2\.1:5432" is not on a loopback address/);
  });
});
