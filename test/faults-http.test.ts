// The HTTP-level toxics (http_error, http_abort) through the proxy, on keep-alive connections with
// Content-Length and chunked bodies; and the request framer they stand on.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FaultProxies } from '../src/faults/index.ts';
import { HttpRequestFramer } from '../src/faults/http-framer.ts';
import { ActiveToxic } from '../src/faults/toxic.ts';
import { TOXIC_TYPES } from '../src/faults/toxic-types.ts';
import { mulberry32 } from '../src/load/prng.ts';
import { httpUpstream, tcpUpstream, timedRequest, type Upstream } from './helpers/faults.ts';

let up: Upstream<import('node:http').Server>;
/** Bodies the upstream received, in order. */
const received: string[] = [];

before(async () => {
  up = await httpUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push(body);
      res.setHeader('Content-Type', 'text/plain');
      res.end(`echo ${req.method} ${req.url} ${body.length}`);
    });
  });
});

after(() => up.close());

/** Sends `n` sequential requests on one keep-alive connection; returns the statuses. */
async function statusesOver(port: number, n: number, body?: (i: number) => string | undefined): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const b = body?.(i);
      const r = await timedRequest(port, { method: b === undefined ? 'GET' : 'POST', path: `/r${i}`, body: b, agent });
      out.push(r.status);
      if (r.status === 503) {
        assert.equal(r.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(r.body.toString()), { error: 'injected by sloctl faults (toxic errors)', status: 503 });
      } else assert.equal(r.body.toString(), `echo ${b === undefined ? 'GET' : 'POST'} /r${i} ${b?.length ?? 0}`);
    }
  } finally {
    agent.destroy();
  }
  return out;
}

async function runErrors(seed: number): Promise<{ statuses: number[]; upstreamSaw: number; connections: number }> {
  const proxies = new FaultProxies({ seed });
  try {
    const p = await proxies.create({ name: 'payments', upstream: `127.0.0.1:${up.port}` });
    p.addToxic({ type: 'http_error', name: 'errors', toxicity: 0.3, attributes: { status: 503 } });
    const before = received.length;
    const connBefore = up.connections;
    // No body and Content-Length bodies on the same connection (chunked ones: the next test).
    const statuses = await statusesOver(p.port, 30, (i) => (i % 3 === 0 ? undefined : 'b'.repeat(i * 100)));
    return { statuses, upstreamSaw: received.length - before, connections: up.connections - connBefore };
  } finally {
    await proxies.close();
  }
}

describe('HTTP toxics through the proxy', () => {
  it('http_error answers the configured share with the status; the same seed gives the same sequence', async () => {
    const first = await runErrors(11);
    const again = await runErrors(11);
    const other = await runErrors(12);
    const errors = first.statuses.filter((s) => s === 503).length;
    assert.deepEqual(again.statuses, first.statuses, 'the same seed answers the same requests');
    assert.notDeepEqual(other.statuses, first.statuses, 'another seed picks other requests');
    // The seeded judge, replayed: request n is hit when mulberry32(hash32(toxicSeed, n)) < 0.3.
    const judge = new ActiveToxic('errors', TOXIC_TYPES.get('http_error')!, 'upstream', 0.3, {}, 'payments', 11);
    assert.deepEqual(first.statuses, first.statuses.map(() => (judge.judge() ? 503 : 200)));
    assert.ok(errors >= 4 && errors <= 16, `${errors} of 30 answered 503 at toxicity 0.3`);
    assert.equal(first.upstreamSaw, 30 - errors, 'the requests answered by the proxy never reached the upstream');
    assert.equal(first.connections, 1, 'all 30 requests, injected answers included, went over one keep-alive connection');
  });

  it('http_error keeps chunked request bodies framed (the next request on the connection is intact)', async () => {
    const proxies = new FaultProxies({ seed: 3 });
    try {
      const p = await proxies.create({ name: 'chunked', upstream: `127.0.0.1:${up.port}` });
      p.addToxic({ type: 'http_error', name: 'errors', toxicity: 0.5, attributes: { status: 502, body: 'bad gateway (drill)' } });
      const before = received.length;
      const answers = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: p.port });
        let text = '';
        s.on('data', (c: Buffer) => {
          text += c.toString('latin1');
          if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 6 && /(bad gateway \(drill\)|echo [^\r\n]*)$/.test(text)) {
            s.end();
            resolve(text);
          }
        });
        s.on('error', reject);
        // Six requests, one at a time, in random-sized writes: chunked, Content-Length, chunked with a trailer.
        const rnd = mulberry32(5);
        const reqs = Array.from({ length: 6 }, (_, i) =>
          i % 3 === 0
            ? `POST /c${i} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n`
            : i % 3 === 1
              ? `POST /l${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd`
              : `POST /t${i} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\nX-Trailer: 1\r\n\r\n`,
        );
        let k = 0;
        const sendNext = () => {
          if (k === reqs.length) return;
          const bytes = Buffer.from(reqs[k++]);
          for (let off = 0; off < bytes.length; ) {
            const n = 1 + Math.floor(rnd() * 9);
            s.write(bytes.subarray(off, off + n));
            off += n;
          }
        };
        let seen = 0;
        s.on('data', () => {
          const count = (text.match(/HTTP\/1\.1 /g) ?? []).length;
          while (seen < count) {
            seen++;
            sendNext();
          }
        });
        sendNext();
      });
      const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      assert.equal(statuses.length, 6);
      const passed = statuses.filter((s) => s === 200).length;
      assert.ok(passed > 0 && passed < 6, `statuses ${statuses.join(' ')}: toxicity 0.5 should answer some and pass some`);
      const bodies = received.slice(before);
      assert.equal(bodies.length, passed);
      for (const b of bodies) assert.ok(['hello, world', 'abcd', 'xyz'].includes(b), `the upstream got a mangled body: ${JSON.stringify(b)}`);
      assert.match(answers, /HTTP\/1\.1 502 Bad Gateway\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Length: 19\r\n/);
    } finally {
      await proxies.close();
    }
  });

  it('toxics added and removed act on a connection already open (a service\'s pooled connection)', async () => {
    const proxies = new FaultProxies();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const p = await proxies.create({ name: 'pooled', upstream: `127.0.0.1:${up.port}` });
      const connBefore = up.connections;
      const get = () => timedRequest(p.port, { agent });
      assert.equal((await get()).status, 200);
      p.addToxic({ type: 'http_error', name: 'e', attributes: { status: 500 } });
      assert.equal((await get()).status, 500);
      p.removeToxic('e');
      p.addToxic({ type: 'latency', name: 'l', attributes: { latency: 150 } });
      const slow = await get();
      assert.equal(slow.status, 200);
      assert.ok(slow.ms >= 140, `latency added mid-connection: ${slow.ms.toFixed(1)} ms`);
      p.removeToxic('l');
      const fast = await get();
      assert.ok(fast.ms < 100, `after removing it: ${fast.ms.toFixed(1)} ms`);
      assert.equal(up.connections - connBefore, 1, 'all of it on one pooled connection');
    } finally {
      agent.destroy();
      await proxies.close();
    }
  });

  it('http_abort: the client sees a socket error mid-request and the upstream never sees the request', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'abort', upstream: `127.0.0.1:${up.port}` });
      p.addToxic({ type: 'http_abort' });
      const before = received.length;
      await assert.rejects(timedRequest(p.port, { method: 'POST', body: 'x'.repeat(10) }), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
      assert.equal(received.length, before);
      p.removeToxic('http_abort_upstream');
      assert.equal((await timedRequest(p.port)).status, 200);
    } finally {
      await proxies.close();
    }
  });

  it('http_abort downstream: the dependency gets the request, the client gets ECONNRESET instead of the answer', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'lost-answer', upstream: `127.0.0.1:${up.port}` });
      p.addToxic({ type: 'http_abort', stream: 'downstream', toxicity: 1 });
      const before = received.length;
      await assert.rejects(timedRequest(p.port, { method: 'POST', body: 'pay 10' }), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
      assert.deepEqual(received.slice(before), ['pay 10'], 'the dependency did the work');
    } finally {
      await proxies.close();
    }
  });

  it('a stream that is not HTTP passes untouched while HTTP toxics are set', async () => {
    const echo = await tcpUpstream((s) => s.pipe(s));
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'binary', upstream: `127.0.0.1:${echo.port}` });
      p.addToxic({ type: 'http_error', attributes: { status: 500 } });
      const payload = Buffer.from([0, 1, 2, 3, 0x47, 0x45, 0x54, 0x20, 255, 13, 10, 13, 10]);
      const got = await new Promise<Buffer>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: p.port }, () => s.end(payload));
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks)));
        s.on('error', reject);
      });
      assert.deepEqual(got, payload);
    } finally {
      await proxies.close();
      await echo.close();
    }
  });

  it('bad attributes are a 400 naming the field', async () => {
    const proxies = new FaultProxies();
    try {
      const proxy = await proxies.create({ name: 'bad', upstream: `127.0.0.1:${up.port}` });
      assert.throws(() => proxy.addToxic({ type: 'http_error', attributes: { status: 99 } }), { status: 400, message: /attributes\.status: expected an HTTP status from 200 to 599, got 99/ });
      assert.throws(() => proxy.addToxic({ type: 'http_error', stream: 'downstream' }), { status: 400, message: /stream: expected "upstream" for http_error/ });
    } finally {
      await proxies.close();
    }
  });
});

describe('HttpRequestFramer', () => {
  it('cuts pipelined requests at their boundaries however the bytes are split', () => {
    const reqs = [
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world',
      'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n',
      'HEAD /d HTTP/1.0\r\n\r\n',
    ];
    const all = Buffer.from(reqs.join(''));
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = mulberry32(seed);
      const framer = new HttpRequestFramer();
      const perRequest = new Map<number, Buffer[]>();
      const ended: number[] = [];
      for (let off = 0; off < all.length; ) {
        const n = 1 + Math.floor(rnd() * 40);
        for (const piece of framer.feed(all.subarray(off, off + n))) {
          assert.ok(piece.req, 'no byte is opaque');
          const list = perRequest.get(piece.req.index) ?? [];
          list.push(piece.data);
          perRequest.set(piece.req.index, list);
          if (piece.isHead) assert.equal(list.length, 1, 'the head is the first piece of its request');
          if (piece.last) ended.push(piece.req.index);
        }
        off += n;
      }
      assert.deepEqual(ended, [0, 1, 2, 3], `seed ${seed}: every request ends once, in order`);
      assert.deepEqual([...perRequest.keys()].map((k) => Buffer.concat(perRequest.get(k)!).toString()), reqs, `seed ${seed}`);
    }
  });

  it('gives up on a stream that does not start like HTTP, and on an Upgrade', () => {
    const binary = new HttpRequestFramer();
    assert.deepEqual(binary.feed(Buffer.from('\u0000\u0000\u0000\u0008postgres')).map((p) => p.req), [null]);
    assert.ok(binary.opaque);
    const ws = new HttpRequestFramer();
    const pieces = ws.feed(Buffer.from('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0002hi'));
    assert.equal(pieces[0].isHead, true);
    assert.equal(pieces[1].req, null);
    assert.ok(ws.opaque);
  });
});
