// The TCP toxics, each measured through the proxy against a local upstream: what the client sees
// (delay, throughput, reset, hold, byte count, chunking, close time) against the setting.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FaultProxies, type FaultProxy } from '../src/faults/index.ts';
import { ActiveToxic } from '../src/faults/toxic.ts';
import { TOXIC_TYPES } from '../src/faults/toxic-types.ts';
import { httpUpstream, medianOf, tcpUpstream, timedRequest, type Upstream } from './helpers/faults.ts';

const BIG = Buffer.alloc(200_000, 'x');
let up: Upstream<import('node:http').Server>;
let proxies: FaultProxies;

before(async () => {
  up = await httpUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/big') res.end(BIG);
      else res.end('ok');
    });
  });
  proxies = new FaultProxies({ seed: 7 });
});

after(async () => {
  await proxies.close();
  await up.close();
});

let serial = 0;
async function proxyTo(port: number): Promise<FaultProxy> {
  return proxies.create({ name: `p${serial++}`, upstream: `127.0.0.1:${port}` });
}

/** Reads everything a raw connection to `port` receives after sending `send`: data events, bytes, how it ended. */
function rawExchange(port: number, send: string): Promise<{ events: number; bytes: Buffer; end: 'end' | string; firstDataAt: number; endAt: number }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let firstDataAt = 0;
    s.on('data', (c: Buffer) => {
      if (chunks.length === 0) firstDataAt = performance.now();
      chunks.push(c);
    });
    const done = (end: string) => resolve({ events: chunks.length, bytes: Buffer.concat(chunks), end, firstDataAt, endAt: performance.now() });
    s.on('end', () => {
      done('end');
      s.destroy();
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    s.write(send);
  });
}

describe('TCP toxics through the proxy', () => {
  it('latency adds the setting (200 ms, within 10%) to a request, compared with a direct one', async (t) => {
    const p = await proxyTo(up.port);
    const direct = await medianOf(5, () => timedRequest(up.port));
    const plain = await medianOf(5, () => timedRequest(p.port));
    p.addToxic({ type: 'latency', attributes: { latency: 200 } });
    const slowed = await medianOf(5, () => timedRequest(p.port));
    const added = slowed - direct;
    t.diagnostic(`latency 200: added ${added.toFixed(1)} ms (direct ${direct.toFixed(2)} ms, proxy without toxics ${plain.toFixed(2)} ms)`);
    assert.ok(Math.abs(added - 200) <= 20, `added ${added.toFixed(1)} ms (direct ${direct.toFixed(1)}, through the proxy without toxics ${plain.toFixed(1)}, with latency 200 ${slowed.toFixed(1)})`);
    p.removeToxic('latency_downstream');
    const back = await medianOf(5, () => timedRequest(p.port));
    assert.ok(back - direct < 20, `after removing the toxic: ${back.toFixed(1)} ms vs direct ${direct.toFixed(1)}`);
  });

  it('jitter spreads the delay within latency ± jitter (100 ± 50 ms), seeded', async (t) => {
    const p = await proxyTo(up.port);
    const direct = await medianOf(3, () => timedRequest(up.port));
    p.addToxic({ type: 'latency', attributes: { latency: 100, jitter: 50 } });
    const added: number[] = [];
    for (let i = 0; i < 16; i++) added.push((await timedRequest(p.port)).ms - direct);
    const lo = Math.min(...added);
    const hi = Math.max(...added);
    t.diagnostic(`latency 100 jitter 50: added delays from ${lo.toFixed(1)} to ${hi.toFixed(1)} ms`);
    assert.ok(lo >= 50 - 5 && hi <= 150 + 25, `added delays from ${lo.toFixed(1)} to ${hi.toFixed(1)} ms, outside 100 ± 50`);
    assert.ok(hi - lo >= 30, `16 delays spread over only ${(hi - lo).toFixed(1)} ms: jitter 50 should spread them`);
  });

  it('bandwidth limits a 200 KB body to 100 KB/s (2.0 s, within 10%)', async (t) => {
    const p = await proxyTo(up.port);
    const direct = (await timedRequest(up.port, { path: '/big' })).ms;
    p.addToxic({ type: 'bandwidth', attributes: { rate: 100 } });
    const r = await timedRequest(p.port, { path: '/big' });
    assert.equal(r.body.length, BIG.length);
    const seconds = (r.ms - direct) / 1000;
    const rate = BIG.length / 1000 / seconds;
    t.diagnostic(`bandwidth 100 KB/s: measured ${rate.toFixed(1)} KB/s`);
    assert.ok(Math.abs(rate - 100) <= 10, `measured ${rate.toFixed(1)} KB/s (${seconds.toFixed(3)} s for 200 KB) for a 100 KB/s limit`);
  });

  it('reset_peer: the client sees ECONNRESET, and the upstream\'s answer never arrives', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
    await assert.rejects(timedRequest(p.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
  });

  it('reset_peer {timeout: 150}: the reset comes 150 ms after the data', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 150 } });
    const t0 = performance.now();
    await assert.rejects(timedRequest(p.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
    const ms = performance.now() - t0;
    assert.ok(ms >= 140 && ms <= 250, `reset after ${ms.toFixed(1)} ms`);
  });

  it('timeout 0 holds the data: the client\'s own timeout fires; once removed, new connections go through', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    const t0 = performance.now();
    await assert.rejects(timedRequest(p.port, { timeoutMs: 300 }), (e: NodeJS.ErrnoException) => e.code === 'CLIENT_TIMEOUT');
    assert.ok(performance.now() - t0 >= 290);
    p.removeToxic('timeout_downstream');
    const r = await timedRequest(p.port, { timeoutMs: 2000 });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
  });

  it('timeout 250 closes the connection 250 ms after it opened, with nothing delivered', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'timeout', attributes: { timeout: 250 } });
    const t0 = performance.now();
    const r = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = r.endAt - t0;
    assert.equal(r.bytes.length, 0, 'no byte of the answer got through');
    assert.ok(ms >= 240 && ms <= 400, `closed after ${ms.toFixed(1)} ms`);
  });

  it('removing a toxic lets held data go at once (latency 2000 ms removed after 100 ms)', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'latency', name: 'slow', attributes: { latency: 2000 } });
    const pending = timedRequest(p.port);
    setTimeout(() => p.removeToxic('slow'), 100);
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok(r.ms < 500, `answered after ${r.ms.toFixed(1)} ms; the toxic was removed at 100 ms`);
  });

  it('a held stream pushes back on the client (bounded hold), and all of it goes on once the toxic is removed', async () => {
    let received = 0;
    const sink = await tcpUpstream((s) => s.on('data', (c: Buffer) => (received += c.length)));
    try {
      const p = await proxyTo(sink.port);
      p.addToxic({ type: 'timeout', name: 'hold', stream: 'upstream', attributes: { timeout: 0 } });
      const TOTAL = 32 << 20;
      const client = connect({ host: '127.0.0.1', port: p.port });
      client.on('error', () => {});
      await new Promise((r) => client.once('connect', r));
      client.write(Buffer.alloc(TOTAL, 1));
      // Poll until the client's buffer stops draining: the proxy stopped reading.
      let last = -1;
      let stable = 0;
      for (let i = 0; i < 100 && stable < 5; i++) {
        await new Promise((r) => setTimeout(r, 50));
        stable = client.writableLength === last ? stable + 1 : 0;
        last = client.writableLength;
      }
      assert.equal(received, 0, 'nothing reached the upstream while held');
      assert.ok(client.writableLength > TOTAL / 2, `the client still holds ${client.writableLength} of ${TOTAL} bytes: the proxy read ${TOTAL - client.writableLength} (it should stop after its 1 MiB hold and the kernel's buffers)`);
      p.removeToxic('hold');
      for (let i = 0; i < 200 && received < TOTAL; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(received, TOTAL, 'every held byte went on once the toxic was removed');
      client.destroy();
    } finally {
      await sink.close();
    }
  });

  it('limit_data closes the connection after exactly N bytes', async () => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'limit_data', attributes: { bytes: 1000 } });
    const r = await rawExchange(p.port, 'GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(r.bytes.length, 1000);
    assert.equal(r.end, 'end');
  });

  it('slicer delivers the data intact in many small chunks', async () => {
    const payload = createHash('sha256').update('seed').digest('hex').repeat(100); // 6400 bytes
    const echo = await tcpUpstream((s) => s.end(payload));
    try {
      const p = await proxyTo(echo.port);
      p.addToxic({ type: 'slicer', attributes: { average_size: 64, size_variation: 16, delay: 2000 } });
      const r = await rawExchange(p.port, 'hi');
      assert.equal(r.bytes.toString(), payload);
      assert.ok(r.events >= 40, `${payload.length} bytes came in ${r.events} chunks; slices of ~64 bytes 2 ms apart should give about 100`);
    } finally {
      await echo.close();
    }
  });

  it('slow_close delays the close (300 ms) after the last data', async () => {
    const quick = await tcpUpstream((s) => s.end('bye'));
    try {
      const p = await proxyTo(quick.port);
      const plain = await rawExchange(p.port, 'hi');
      assert.ok(plain.endAt - plain.firstDataAt < 50, `without the toxic the close came ${(plain.endAt - plain.firstDataAt).toFixed(1)} ms after the data`);
      p.addToxic({ type: 'slow_close', attributes: { delay: 300 } });
      const r = await rawExchange(p.port, 'hi');
      assert.equal(r.bytes.toString(), 'bye');
      const gap = r.endAt - r.firstDataAt;
      assert.ok(gap >= 290 && gap <= 400, `the close came ${gap.toFixed(1)} ms after the data`);
    } finally {
      await quick.close();
    }
  });

  it('toxicity 0.5 hits about half the connections, the exact count fixed by the seed', async (t) => {
    const p = await proxyTo(up.port);
    p.addToxic({ type: 'latency', name: 'half', toxicity: 0.5, attributes: { latency: 150 } });
    const slowed: boolean[] = [];
    for (let i = 0; i < 24; i++) slowed.push((await timedRequest(p.port)).ms > 100);
    // The same judge, replayed: the proxy's name, the toxic's name and the seed fix the sequence.
    const replay = new ActiveToxic('half', TOXIC_TYPES.get('latency')!, 'downstream', 0.5, {}, p.name, 7);
    const expected = slowed.map(() => replay.judge());
    assert.deepEqual(slowed, expected, 'the connections slowed are the ones the seeded judge picks');
    const hits = slowed.filter(Boolean).length;
    t.diagnostic(`toxicity 0.5, seed 7: ${hits} of 24 connections slowed`);
    assert.ok(hits >= 7 && hits <= 17, `${hits} of 24 connections slowed at toxicity 0.5`);
    assert.equal(p.toxic('half').hits, hits);
  });

  it('removing a proxy closes its listener and its open connections', async () => {
    const p = await proxyTo(up.port);
    const s = connect({ host: '127.0.0.1', port: p.port });
    await new Promise((r) => s.once('connect', r));
    const closed = new Promise((r) => s.once('close', r));
    s.on('error', () => {});
    await proxies.remove(p.name);
    await closed;
    await assert.rejects(timedRequest(p.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });

  it('listens on loopback only, and forwards off loopback only when allowed', async () => {
    await assert.rejects(proxies.create({ name: 'open', listen: '0.0.0.0:0', upstream: `127.0.0.1:${up.port}` }), /listen: "0.0.0.0:0" is not a loopback address/);
    await assert.rejects(proxies.create({ name: 'remote', upstream: '192.0.2.1:80' }), /upstream: "192.0.2.1:80" is not on a loopback address.*--allow-remote/);
    const allowing = new FaultProxies({ allowRemote: true });
    const remote = await allowing.create({ name: 'remote', upstream: '192.0.2.1:80' });
    assert.equal(remote.upstream, '192.0.2.1:80');
    await allowing.close();
  });
});
