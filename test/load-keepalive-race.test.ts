// The HTTP/1.1 keep-alive race, from the load generator's side: a server closes a connection it
// sees idle just as the generator writes a request on it. The request never reached the service
// (the server had closed first), so it must not be counted against it. Two defences, each shown
// failing without itself: a long-idle connection's request is written after a poll (a close
// already sent is seen first, and the request goes on a new connection), and an idempotent request
// on a reused connection that closed before any byte of its answer is sent once more.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { Connection, REVALIDATE_IDLE_MS, targetOf, type ConnectionOwner } from '../src/load/http1-connection.ts';
import { RequestEncoder, type WireRequest } from '../src/load/http1-request.ts';
import { runLoad, type LoadOptions } from '../src/load/index.ts';
import { mergeResults } from '../src/load/merge.ts';
import { REPLAYED_MANY_SHARE, replayedRequestsNote } from '../src/verdicts/replayed-requests.ts';
import type { RequestTemplate } from '../src/load/types.ts';

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=60\r\n\r\nok';

/** A raw server: `onRequest(socket, n)` for each whole request head, n counting from 1 per connection. */
async function rawServer(onRequest: (socket: Socket, n: number) => void): Promise<{ url: string; connections: Socket[] }> {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    connections.push(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    let n = 0;
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        const end = pending.indexOf('\r\n\r\n') + 4;
        const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + length) break;
        pending = pending.slice(end + length);
        onRequest(socket, ++n);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections };
}

function wireOf(t: RequestTemplate, url: string): WireRequest {
  const encoder = new RequestEncoder(new URL(url).host);
  return encoder.encode({ route: 0, method: t.method, path: t.path, headers: Object.fromEntries(Object.entries(t.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: t.body === undefined ? null : Buffer.from(JSON.stringify(t.body)) });
}

type Event = { kind: 'answered'; status: number } | { kind: 'failed'; code: string } | { kind: 'written' } | { kind: 'replayed' };

/** A connection and what its owner heard, with a promise for the next answer or failure. */
function connectionTo(url: string) {
  const events: Event[] = [];
  let settle: (() => void) | undefined;
  const owner: ConnectionOwner<{ wire: WireRequest }> = {
    written: () => events.push({ kind: 'written' }),
    answered: (_c, _ex, status) => { events.push({ kind: 'answered', status }); settle?.(); },
    failed: (_c, _ex, code) => { events.push({ kind: 'failed', code }); settle?.(); },
    replayed: () => events.push({ kind: 'replayed' }),
  };
  const conn = new Connection(targetOf(new URL(url).origin), owner, Buffer.alloc(64 * 1024));
  const outcome = (send: () => void) => new Promise<Event>((resolve) => {
    settle = () => resolve(events.at(-1)!);
    send();
  });
  return { conn, events, outcome };
}

const POST: RequestTemplate = { name: 'create', weight: 1, method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: { id: 1 } };
const GET: RequestTemplate = { name: 'read', weight: 1, method: 'GET', path: '/orders' };

describe('load: a server closing an idle keep-alive connection as a request goes out', () => {
  // The server answers the first request and keeps the connection; the test then closes the
  // server's side and, in the same tick (the close's FIN already in the client's kernel, not yet
  // read by its event loop), hands the connection a POST.
  async function raceOnce(idleMs: number) {
    const srv = await rawServer((s) => s.write(OK));
    const c = connectionTo(srv.url);
    const wire = wireOf(POST, srv.url);
    const first = await c.outcome(() => c.conn.send({ wire }, performance.now()));
    assert.deepEqual(first, { kind: 'answered', status: 200 });
    const second = await c.outcome(() => {
      srv.connections[0].destroy();
      c.conn.send({ wire }, performance.now() + idleMs);
    });
    return { second, events: c.events, connections: srv.connections.length };
  }

  it(`a connection idle ${REVALIDATE_IDLE_MS} ms or more: the POST waits for a poll, sees the close, and goes out on a new connection`, async () => {
    const r = await raceOnce(REVALIDATE_IDLE_MS + 400);
    assert.deepEqual(r.second, { kind: 'answered', status: 200 }, JSON.stringify(r.events));
    assert.equal(r.connections, 2, 'the request went out on a second connection');
    assert.ok(!r.events.some((e) => e.kind === 'replayed'), 'never written to the closed one, so not a replay');
  });

  it('the same race on a connection busy a moment ago (written at once): the POST fails EOF_BEFORE_RESPONSE, and is not sent again', async () => {
    // What the deferral above is for: without it, this is what every long-idle connection risked.
    const r = await raceOnce(0);
    assert.deepEqual(r.second, { kind: 'failed', code: 'EOF_BEFORE_RESPONSE' }, JSON.stringify(r.events));
    assert.ok(!r.events.some((e) => e.kind === 'replayed'));
  });

  it('a GET caught the same way (written, then the close): sent once more on a new connection, and answered', async () => {
    const srv = await rawServer((s) => s.write(OK));
    const c = connectionTo(srv.url);
    const wire = wireOf(GET, srv.url);
    assert.deepEqual(await c.outcome(() => c.conn.send({ wire }, performance.now())), { kind: 'answered', status: 200 });
    const second = await c.outcome(() => {
      srv.connections[0].destroy();
      c.conn.send({ wire }, performance.now());
    });
    assert.deepEqual(second, { kind: 'answered', status: 200 }, JSON.stringify(c.events));
    assert.deepEqual(c.events.filter((e) => e.kind === 'replayed').length, 1);
    assert.equal(srv.connections.length, 2);
  });
});

describe('the note on requests sent again', () => {
  const result = (sent: number, replayed: number) => ({
    sent, routes: [{ name: 'read', sent, ...(replayed > 0 ? { replayed } : {}) }, { name: 'write', sent: 10 }],
  }) as unknown as import('../src/load/types.ts').LoadResult;

  it('a few: the keep-alive race; many: the service closes connections it was asked on; none: no note', () => {
    const few = replayedRequestsNote(result(10_000, 1))!;
    assert.match(few, /^1 request \(0\.01% of 10,000 sent: read 1 of 10,000\) went out on a reused keep-alive connection that closed before any byte of an answer, and was sent again/);
    assert.match(few, /a few are HTTP\/1\.1's keep-alive race/);
    const many = replayedRequestsNote(result(10_000, 10_000 * REPLAYED_MANY_SHARE + 1))!;
    assert.match(many, /^11 requests \(0\.11% of 10,000 sent/);
    assert.match(many, /more than the keep-alive race/);
    assert.equal(replayedRequestsNote(result(10_000, 0)), undefined);
  });
});

describe('load: runs against a server that closes reused connections without answering', () => {
  // Each connection: its first request answered, its second read and the connection closed (FIN)
  // without a byte of answer: on every reused connection, what the race looks like from the client.
  const secondDropped = () => rawServer((s, n) => (n === 1 ? s.write(OK) : s.destroy()));
  const run = (url: string, t: RequestTemplate): Promise<import('../src/load/types.ts').LoadResult> =>
    runLoad({ url, requests: [t], stages: [{ rate: 100, durationMs: 400 }], connections: 1, timeoutMs: 2000 } satisfies LoadOptions);

  it('GET: every request answered; the result says how many were sent again, and why', async () => {
    const srv = await secondDropped();
    const r = await run(srv.url, GET);
    assert.equal(r.completed, r.sent, JSON.stringify(r.routes[0].errors));
    assert.deepEqual(r.routes[0].errors, {});
    // Every request after the first went out on a reused connection once, was dropped, and went again on a new one.
    const replays = Number(/^(\d+) requests were sent again on a new connection/m.exec(r.notes?.join('\n') ?? '')?.[1]);
    assert.equal(replays, r.sent - 1, r.notes?.join('\n'));
    assert.equal(r.routes[0].replayed, r.sent - 1, 'counted on the route too');
    assert.equal(srv.connections.length, r.sent, 'one connection a request');
    // Merged (workers, trials): the counts add up; the gate's note says how many and what it means.
    const merged = mergeResults([r, r]);
    assert.equal(merged.routes[0].replayed, 2 * (r.sent - 1));
    const note = replayedRequestsNote(merged)!;
    assert.match(note, new RegExp(`^${2 * (r.sent - 1)} requests \\(\\d+(\\.\\d+)?% of ${2 * r.sent} sent: read ${2 * (r.sent - 1)} of ${2 * r.sent}\\) went out on a reused keep-alive connection`));
    assert.match(note, /more than the keep-alive race .* closes connections it was sent requests on/);
  });

  it('POST: the dropped ones fail EOF_BEFORE_RESPONSE, none is sent again', async () => {
    const srv = await secondDropped();
    const r = await run(srv.url, POST);
    const failed = r.routes[0].errors.EOF_BEFORE_RESPONSE ?? 0;
    assert.ok(failed > 0 && failed + r.completed === r.sent, JSON.stringify({ sent: r.sent, completed: r.completed, errors: r.routes[0].errors }));
    assert.ok(!(r.notes ?? []).some((n) => /sent again/.test(n)), r.notes?.join('\n'));
    assert.equal(r.routes[0].replayed, undefined);
    assert.equal(replayedRequestsNote(r), undefined, 'no note when nothing was sent again');
  });

  it('a POST with an Idempotency-Key header is sent again, like a GET', async () => {
    const srv = await secondDropped();
    const r = await run(srv.url, { ...POST, headers: { ...POST.headers, 'Idempotency-Key': 'k-1' } });
    assert.equal(r.completed, r.sent, JSON.stringify(r.routes[0].errors));
    assert.match(r.notes?.join('\n') ?? '', /requests were sent again on a new connection/);
  });

  it('a server that closes every connection unanswered: GETs fail, each sent once (a new connection is not a reused one)', async () => {
    let requests = 0;
    const srv = await rawServer((s) => {
      requests++;
      s.destroy();
    });
    const r = await run(srv.url, GET);
    assert.equal(r.routes[0].errors.EOF_BEFORE_RESPONSE, r.sent);
    assert.equal(requests, r.sent, 'no request was sent twice');
    assert.ok(!(r.notes ?? []).some((n) => /sent again/.test(n)));
  });
});
