// The load generator's own HTTP/1.1 client: the response parser on every way a response can be
// framed and split over reads, the bytes each request puts on the wire, and whole runs against raw
// TCP servers that do what node:http never does (close after each answer, close idle connections,
// chunk, answer garbage, hang up), plus TLS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MALFORMED, MAX_HEAD_BYTES, NEED_MORE, ResponseParser } from '../src/load/http1-response.ts';
import { RequestEncoder } from '../src/load/http1-request.ts';
import { compileMix, MixError, runLoad, type LoadOptions, type RequestTemplate } from '../src/load/index.ts';

interface Expect {
  status: number;
  keepAlive: boolean;
  hint?: number;
  /** Bytes of the input that belong to the response (default: all). */
  length?: number;
}

const NODE_STYLE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nDate: Tue, 25 Nov 2026 06:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok';
const CHUNKED = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';

const framed: Array<[string, string, Expect, boolean?]> = [
  ['node:http keep-alive with its timeout hint', NODE_STYLE, { status: 200, keepAlive: true, hint: 5000 }],
  ['chunked, with a chunk extension and a trailer', CHUNKED, { status: 201, keepAlive: true }],
  ['chunked without trailers, codings listed', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', { status: 200, keepAlive: true }],
  ['an interim 100 Continue, then the answer', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc', { status: 200, keepAlive: true }],
  ['204 with no length', 'HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n', { status: 204, keepAlive: true }],
  ['304 announcing a length it does not send', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', { status: 304, keepAlive: true }],
  ['HEAD: the announced length is not sent', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', { status: 200, keepAlive: true }, false],
  ['HTTP/1.0 closes by default', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', { status: 200, keepAlive: false }],
  ['HTTP/1.0 keep-alive when it says so', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok', { status: 200, keepAlive: true }],
  ['Connection: close', 'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 4\r\n\r\nbusy', { status: 503, keepAlive: false }],
  ['a status line without reason, odd case and whitespace', 'HTTP/1.1 404\r\nCONTENT-LENGTH:  3 \r\nCoNNection: upgrade, CLOSE\r\n\r\nnah', { status: 404, keepAlive: false }],
  ['no headers at all, empty body by length', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', { status: 200, keepAlive: true }],
  ['bytes after the response are left alone', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n', { status: 200, keepAlive: true, length: 40 }],
];

/** Feeds `text` split into reads at the given cut points, each read in a buffer with stale bytes after it. */
function parse(text: string, cuts: number[], expectsBody = true): { p: ResponseParser; r: number; at: number } {
  const bytes = Buffer.from(text, 'latin1');
  const p = new ResponseParser();
  p.reset(expectsBody);
  const points = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < points.length; i++) {
    const part = bytes.subarray(points[i], points[i + 1]);
    // A shared read buffer holds older bytes past the read: a stale head end, to catch reading past it.
    const buf = Buffer.concat([part, Buffer.from('\r\n\r\nHTTP/1.1 500 stale\r\n\r\n')]);
    const r = p.feed(buf, 0, part.length);
    if (r !== NEED_MORE) return { p, r, at: r === MALFORMED ? -1 : points[i] + r };
  }
  return { p, r: NEED_MORE, at: -1 };
}

describe('http1 response parser', () => {
  it('an incomplete head that does not start like HTTP/1. is malformed at once (a banner, then silence)', () => {
    for (const text of ['SSH-2.0-OpenSSH_9.2\r\n', 'HTTP/2 ', '\x15\x03\x01\x00\x02']) {
      const { p, r } = parse(text, []);
      assert.equal(r, MALFORMED, JSON.stringify(text));
      assert.equal(p.error, 'HPE_INVALID_CONSTANT');
    }
    // A head split inside the prefix is not judged early.
    assert.equal(parse('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', [3, 9]).at, 38);
  });

  it('reads status, keep-alive and the end of every framing, however the bytes are split', () => {
    for (const [what, text, want, expectsBody] of framed) {
      const length = want.length ?? text.length;
      const splits: number[][] = [[]];
      for (let c = 1; c < text.length; c++) splits.push([c]);
      splits.push(Array.from({ length: text.length - 1 }, (_, i) => i + 1)); // a byte per read
      for (const cuts of splits) {
        const { p, r, at } = parse(text, cuts, expectsBody ?? true);
        const where = `${what}, cut at ${cuts.length > 1 ? 'every byte' : cuts[0] ?? 'none'}`;
        // Bytes past the response in the same read end it early; a cut past its end never reaches them.
        assert.notEqual(r, MALFORMED, `${where}: ${p.error}`);
        assert.ok(r >= 0, `${where}: incomplete`);
        assert.equal(at, length, `${where}: ended at ${at}`);
        assert.equal(p.status, want.status, where);
        assert.equal(p.keepAlive, want.keepAlive, where);
        assert.equal(p.keepAliveHintMs, want.hint ?? -1, where);
      }
    }
  });

  it('reads the SDK\'s shed mark (sloctl-shed, any case), and only on the response that carries it', () => {
    const shed = 'HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nSloctl-Shed: queue full\r\ncontent-length: 2\r\n\r\nno';
    for (const cuts of [[], [40], [60, 61]]) {
      const { p, r } = parse(shed, cuts);
      assert.ok(r > 0);
      assert.equal(p.status, 503);
      assert.equal(p.shed, true, `cut at ${cuts.join(',')}`);
    }
    const { p } = parse(shed, []);
    p.reset(true);
    assert.equal(p.shed, false, 'reset for the next response');
    // Other headers starting with s, and a name that only starts like it, are not the mark.
    assert.equal(parse('HTTP/1.1 503 x\r\nserver: x\r\nsloctl-shedding: 1\r\ncontent-length: 0\r\n\r\n', []).p.shed, false);
  });

  it('reads a body without a length until the server closes', () => {
    for (const cuts of [[], [10], [19, 20]]) {
      const { p, r } = parse('HTTP/1.1 200 OK\r\nx: 1\r\n\r\nsome body, and more', cuts);
      assert.equal(r, NEED_MORE);
      assert.equal(p.endsAtClose, true);
      assert.equal(p.status, 200);
      assert.equal(p.keepAlive, false);
    }
  });

  it('skips a large body in pieces without keeping it', () => {
    const body = 'x'.repeat(300_000);
    const p = new ResponseParser();
    p.reset(true);
    const head = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
    assert.equal(p.feed(head, 0, head.length), NEED_MORE);
    const piece = Buffer.from(body.slice(0, 65_536));
    let left = body.length;
    let r = NEED_MORE;
    while (left > 0) {
      const n = Math.min(left, piece.length);
      r = p.feed(piece, 0, n);
      left -= n;
      if (left > 0) assert.equal(r, NEED_MORE);
    }
    assert.equal(r, 300_000 - 4 * 65_536);
  });

  it('refuses what is not an HTTP/1.x response, with llhttp-style codes', () => {
    const bad: Array<[string, string]> = [
      ['HTTP/2 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
      ['SSH-2.0-OpenSSH_9.6\r\n\r\n', 'HPE_INVALID_CONSTANT'],
      ['HTTP/1.1 2x0 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
      ['HTTP/1.1 200OK\r\n\r\n', 'HPE_INVALID_STATUS'],
      ['HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
      ['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
      ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n', 'HPE_STRICT'],
      ['HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n', 'HPE_UNEXPECTED_UPGRADE'],
    ];
    for (const [text, code] of bad) {
      const { p, r } = parse(text, []);
      assert.equal(r, MALFORMED, text);
      assert.equal(p.error, code, text);
    }
    const huge = `HTTP/1.1 200 OK\r\nx: ${'y'.repeat(MAX_HEAD_BYTES)}`;
    const { p, r } = parse(huge, [100, 40_000]);
    assert.equal(r, MALFORMED);
    assert.equal(p.error, 'HPE_HEADER_OVERFLOW');
  });
});

describe('http1 request bytes', () => {
  const encode = (templates: RequestTemplate[], n = 2) => {
    const mix = compileMix(templates, 1);
    const enc = new RequestEncoder('127.0.0.1:8080');
    return Array.from({ length: n }, () => {
      const w = enc.encode(mix.next());
      return { ...w, text: Buffer.concat([Buffer.from(w.bytes as string, 'latin1'), w.body ?? Buffer.alloc(0)]).toString('latin1') };
    });
  };

  it('writes the request line, host, the headers, content-length and the body (keep-alive is the default: not sent)', () => {
    const [first, second] = encode([{ name: 'g', weight: 1, method: 'get', path: '/a?b=1', headers: { Authorization: 'Bearer x' } }]);
    assert.equal(first.text, 'GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nauthorization: Bearer x\r\n\r\n');
    assert.ok(Buffer.isBuffer(second.bytes), 'a template without placeholders is encoded once');
    assert.equal(second.text, first.text);
    assert.equal(first.expectsBody, true);
    assert.equal(first.close, false);

    const [post] = encode([{ name: 'p', weight: 1, method: 'POST', path: '/o/{id}', params: { id: 'int(7,7)' }, body: { a: 1 } }], 1);
    assert.equal(post.text, 'POST /o/7 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"a":1}');
    const [empty] = encode([{ name: 'e', weight: 1, method: 'PUT', path: '/e' }], 1);
    assert.match(empty.text, /\r\ncontent-length: 0\r\n\r\n$/);
    const [own] = encode([{ name: 'h', weight: 1, method: 'HEAD', path: '/ü b', headers: { host: 'example.test', connection: 'close', 'content-length': '0' } }], 1);
    assert.equal(own.text, 'HEAD /%C3%BC%20b HTTP/1.1\r\nhost: example.test\r\nconnection: close\r\n\r\n');
    assert.equal(own.expectsBody, false);
    assert.equal(own.close, true);
  });

  it('refuses headers that would break the framing, naming the template', () => {
    const cases: Array<[Partial<RequestTemplate>, RegExp]> = [
      [{ headers: { 'bad name': 'x' } }, /template "t": header name "bad name" is not a valid HTTP header name/],
      [{ headers: { 'x-a': 'one\r\nx-b: two' } }, /header x-a has a line break/],
      [{ headers: { 'Transfer-Encoding': 'chunked' } }, /header Transfer-Encoding is not supported/],
      [{ headers: { expect: '100-continue' } }, /header expect is not supported/],
      [{ headers: { connection: 'upgrade' } }, /header connection must be "close" or "keep-alive"/],
      [{ body: 'abc', headers: { 'content-length': '4' } }, /content-length is "4" but the body has 3 bytes/],
      [{ method: 'CONNECT' }, /method CONNECT opens a tunnel/],
    ];
    for (const [extra, re] of cases) {
      assert.throws(() => compileMix([{ name: 't', weight: 1, method: 'POST', path: '/', ...extra }]), (e: Error) => e instanceof MixError && re.test(e.message), String(re));
    }
  });
});

// --- whole runs against raw servers ---

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

interface RawServer {
  url: string;
  connections: number;
  requests: string[];
}

/** A TCP server calling `answer` for every request head it reads (requests without bodies, or with content-length). */
async function rawServer(answer: (socket: Socket, n: number, head: string) => void): Promise<RawServer> {
  const t: RawServer = { url: '', connections: 0, requests: [] };
  const server = createServer((socket) => {
    t.connections++;
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        t.requests.push(request);
        answer(socket, t.requests.length, request);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return t;
}

function options(url: string, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    requests: [{ name: 'GET /', weight: 1, method: 'GET', path: '/' }],
    stages: [{ rate: 'max', durationMs: 300 }],
    connections: 4,
    timeoutMs: 2000,
    ...extra,
  };
}

describe('load runs over the http1 client', () => {
  it('opens a new connection for each request when the server says close', async () => {
    // (A server that closes after a keep-alive answer without saying so fails the request sent next on
    // that connection: it was written before the close arrived. undici counted those as failures too.)
    const server = await rawServer((socket, n) => {
      // Odd requests: chunked in two writes. Even ones: by length.
      if (n % 2 === 1) {
        socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
        setImmediate(() => socket.end('0\r\n\r\n'));
      } else socket.end('HTTP/1.1 202 Accepted\r\nConnection: Close\r\ncontent-length: 2\r\n\r\nok');
    });
    const r = await runLoad(options(server.url, { connections: 2 }));
    assert.equal(r.errors, 0, JSON.stringify(r.routes[0].errors));
    assert.ok(r.completed > 20, `completed ${r.completed}`);
    assert.equal(r.completed, r.sent);
    assert.equal((r.statuses['200'] ?? 0) + (r.statuses['202'] ?? 0), r.completed);
    assert.equal(server.connections, server.requests.length, 'one connection per request: each was closed');
  });

  it('keeps one connection per loop when the server keeps it open', async () => {
    const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello'));
    const r = await runLoad(options(server.url, { connections: 3 }));
    assert.equal(r.errors, 0);
    assert.ok(r.completed > 100, `completed ${r.completed}`);
    assert.equal(server.connections, 3);
  });

  it('reads a body that ends when the server closes', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ');
      setImmediate(() => socket.end('part two'));
    });
    const r = await runLoad(options(server.url, { connections: 2 }));
    assert.equal(r.errors, 0, JSON.stringify(r.routes[0].errors));
    assert.ok(r.completed > 10, `completed ${r.completed}`);
  });

  it('reconnects when the server closed an idle connection, without failing a request', async () => {
    // Closes each connection 10 ms after answering, as a short keep-alive timeout would; requests come
    // every 200 ms. A generator descheduled for ~190 ms (a busy shared machine) would send on a
    // connection whose close it has not read yet, and rightly fail that request: up to 3 attempts.
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const server = await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        setTimeout(() => socket.end(), 10);
      });
      const r = await runLoad(options(server.url, { stages: [{ rate: 5, durationMs: 1000 }] }));
      assert.equal(r.sent, 5);
      if (r.completed === 5 && server.connections === 5) return;
      failures.push(`attempt ${attempt}: ${r.completed} of 5 answered (${JSON.stringify(r.routes[0].errors)}), ${server.connections} connections`);
    }
    assert.fail(failures.join('\n'));
  });

  it('counts a hang-up and a garbled answer by code, and goes on', async () => {
    const server = await rawServer((socket, n, head) => {
      if (head.startsWith('GET /hang')) socket.destroy();
      else if (head.startsWith('GET /junk')) socket.write('NOT HTTP AT ALL\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    const r = await runLoad(
      options(server.url, {
        requests: [
          { name: 'ok', weight: 2, method: 'GET', path: '/ok' },
          { name: 'hang', weight: 1, method: 'GET', path: '/hang' },
          { name: 'junk', weight: 1, method: 'GET', path: '/junk' },
        ],
      }),
    );
    const route = (name: string) => r.routes.find((x) => x.name === name)!;
    assert.ok(route('ok').completed > 10 && route('ok').completed === route('ok').sent, JSON.stringify(route('ok')));
    // socket.destroy() after reading the request closes cleanly (FIN): not a reset.
    assert.deepEqual(Object.keys(route('hang').errors), ['EOF_BEFORE_RESPONSE']);
    assert.equal(route('hang').errors.EOF_BEFORE_RESPONSE, route('hang').sent);
    assert.deepEqual(route('junk').errors, { HPE_INVALID_CONSTANT: route('junk').sent });
    assert.equal(r.errors, route('hang').sent + route('junk').sent);
  });

  it('queues requests for a free connection and counts the wait in their latency', async () => {
    // 2 connections, 40 ms per answer: 50/s at most, asked for 100/s over 0.5 s.
    const server = await rawServer((socket) => setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 40));
    const r = await runLoad(options(server.url, { stages: [{ rate: 100, durationMs: 500 }], connections: 2 }));
    assert.equal(r.completed, 50);
    assert.equal(r.errors, 0);
    assert.equal(server.connections, 2);
    assert.ok(r.latency.max > 400, `the last waited for the 24 before it: max ${r.latency.max} ms`);
    assert.ok(r.serviceTime.max < r.latency.max / 2, `service time excludes the wait: ${r.serviceTime.max} ms`);
    assert.ok(r.notes.some((n) => /waited more than \d+ ms for a free connection \(all 2 busy\)/.test(n)), r.notes.join('; '));
  });

  it('times out requests waiting for a connection as well as the one on it', async () => {
    const server = await rawServer(() => {}); // never answers
    const r = await runLoad(options(server.url, { stages: [{ rate: 50, durationMs: 400 }], connections: 1, timeoutMs: 150 }));
    assert.equal(r.sent, 20);
    assert.deepEqual(r.routes[0].errors, { timeout: 20 });
  });
});

describe('load runs over https', () => {
  const dir = fileURLToPath(new URL('./fixtures/load/tls/', import.meta.url));
  const tls = { key: readFileSync(`${dir}key.pem`), cert: readFileSync(`${dir}cert.pem`) };

  async function httpsServer(): Promise<string> {
    const server = createHttpsServer(tls, (req, res) => {
      req.resume();
      res.end('secure');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server as unknown as Server);
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('refuses a certificate it cannot verify, by the TLS code', async () => {
    const r = await runLoad(options(await httpsServer(), { stages: [{ rate: 20, durationMs: 250 }] }));
    assert.equal(r.completed, 0);
    assert.deepEqual(Object.keys(r.routes[0].errors), ['DEPTH_ZERO_SELF_SIGNED_CERT']);
  });

  it('loads an https target whose certificate is trusted (NODE_EXTRA_CA_CERTS)', async () => {
    const url = await httpsServer();
    const script = `import { runLoad } from './src/load/index.ts';
const r = await runLoad({ url: ${JSON.stringify(url)}, requests: [{ name: 'g', weight: 1, method: 'GET', path: '/' }], stages: [{ rate: 'max', durationMs: 300 }], connections: 2, timeoutMs: 2000 });
console.log(JSON.stringify({ completed: r.completed, errors: r.errors, statuses: r.statuses }));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: `${dir}cert.pem` } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, err);
    const got = JSON.parse(out.trim().split('\n').at(-1)!) as { completed: number; errors: number; statuses: Record<string, number> };
    assert.equal(got.errors, 0);
    assert.ok(got.completed > 10, out);
    assert.deepEqual(got.statuses, { '200': got.completed });
  });
});
