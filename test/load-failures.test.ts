// What `sloctl load` says when no request gets an answer (issue 15, item 11): each way a target
// can fail, made by a raw TCP server on 127.0.0.1, is counted as its own kind and described as
// what it is. "could not be reached … is it running?" only when nothing listens; a target that
// answered with something that is not HTTP, stalled, reset or closed mid-response is told so.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { loadOutcome } from '../src/cli/load.ts';
import { runCli } from './helpers/cli.ts';
import { refusedPort } from './helpers/refused-port.ts';
import { EXIT } from '../src/cli/exit.ts';
import { runLoad, type LoadOptions, type LoadResult } from '../src/load/index.ts';

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A raw server: `onRequest` gets the socket once a whole request head has arrived. */
async function rawServer(onRequest: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        onRequest(socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function options(url: string, extra: Partial<LoadOptions> = {}): LoadOptions {
  return { url, requests: [{ name: 'GET /', weight: 1, method: 'GET', path: '/' }], stages: [{ rate: 20, durationMs: 300 }], connections: 2, timeoutMs: 2000, ...extra };
}

const kinds = (r: LoadResult) => r.routes[0].errors;

describe('load: why no request got an answer', () => {
  it('connection refused: ECONNREFUSED, "could not be reached … is it running?"', async () => {
    const port = await refusedPort();
    const r = await runLoad(options(`http://127.0.0.1:${port}/`));
    assert.deepEqual(Object.keys(kinds(r)), ['ECONNREFUSED']);
    const o = loadOutcome(r, false);
    assert.equal(o.code, EXIT.TARGET);
    assert.match(o.message!, /could not be reached: none of \d+ requests got an answer \(ECONNREFUSED × \d+\): connection refused: nothing listens there; is it running, on that port\?$/);
  });

  it('an answer that is not HTTP: counted by what was wrong, the message quotes its first bytes and never asks "is it running?"', async () => {
    const url = await rawServer((s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
    const r = await runLoad(options(url));
    assert.deepEqual(kinds(r), { HPE_INVALID_CONSTANT: r.sent });
    assert.equal(r.errorDetails?.HPE_INVALID_CONSTANT, 'first bytes: "SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n"');
    const o = loadOutcome(r, false);
    assert.equal(o.code, EXIT.TARGET);
    assert.doesNotMatch(o.message!, /could not be reached|is it running/);
    assert.match(o.message!, /is there, but none of \d+ requests got a complete answer:\n {2}- HPE_INVALID_CONSTANT × \d+: it answered, but not with valid HTTP\/1\.1: the response does not start with "HTTP\/1\." \(first bytes: "SSH-2\.0-OpenSSH_9\.2p1 Debian-2\\r\\n"\)/);
    assert.match(o.message!, /does it want TLS \(https:\/\/\)\?$/);
  });

  it('a malformed status line and a broken chunked body are told apart', async () => {
    const status = await rawServer((s) => s.write('HTTP/1.1 2x0 OK\r\n\r\n'));
    const chunked = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'));
    const a = await runLoad(options(status));
    const b = await runLoad(options(chunked));
    assert.deepEqual(Object.keys(kinds(a)), ['HPE_INVALID_STATUS']);
    assert.deepEqual(Object.keys(kinds(b)), ['HPE_INVALID_CHUNK_SIZE']);
    assert.match(loadOutcome(a, false).message!, /the status line is not "HTTP\/1\.x NNN reason"/);
    assert.match(loadOutcome(b, false).message!, /a malformed chunk size in a chunked body \(after \d+ bytes of the response\)|a malformed chunk size in a chunked body \(first bytes: "HTTP\/1\.1 200 OK/);
  });

  it('a stall (connected, request read, no answer): timeout, "accepted the connection … no complete answer within the timeout"', async () => {
    let requests = 0;
    const url = await rawServer(() => { requests++; });
    const r = await runLoad(options(url, { stages: [{ rate: 10, durationMs: 200 }], timeoutMs: 300 }));
    assert.ok(requests > 0, 'the requests reached the server');
    assert.deepEqual(kinds(r), { timeout: r.sent });
    const o = loadOutcome(r, false);
    assert.equal(o.code, EXIT.TARGET);
    assert.doesNotMatch(o.message!, /could not be reached|is it running/);
    assert.match(o.message!, /timeout × \d+: it accepted the connection and the request, then sent no complete answer within the timeout/);
  });

  it('a reset (RST): ECONNRESET, "reset the connection"', async () => {
    const url = await rawServer((s) => s.resetAndDestroy());
    const r = await runLoad(options(url));
    assert.deepEqual(kinds(r), { ECONNRESET: r.sent });
    assert.match(loadOutcome(r, false).message!, /ECONNRESET × \d+: it reset the connection \(RST\) before the response was complete/);
  });

  it('a clean FIN in the middle of a body is EOF_MID_RESPONSE, not ECONNRESET', async () => {
    const url = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b'));
    const r = await runLoad(options(url));
    assert.deepEqual(kinds(r), { EOF_MID_RESPONSE: r.sent });
    assert.equal(r.completed, 0);
    const o = loadOutcome(r, false);
    assert.match(o.message!, /EOF_MID_RESPONSE × \d+: it closed the connection \(a clean FIN\) in the middle of a response/);
    assert.doesNotMatch(o.message!, /ECONNRESET/);
  });

  it('a clean FIN in the middle of a chunked body too; a FIN before any byte is EOF_BEFORE_RESPONSE', async () => {
    const chunked = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel'));
    const silent = await rawServer((s) => s.end());
    const a = await runLoad(options(chunked));
    const b = await runLoad(options(silent));
    assert.deepEqual(kinds(a), { EOF_MID_RESPONSE: a.sent });
    assert.deepEqual(kinds(b), { EOF_BEFORE_RESPONSE: b.sent });
    assert.match(loadOutcome(b, false).message!, /it closed the connection \(a clean FIN\) without answering/);
  });

  it('a body that runs to the close is still a complete answer (not EOF_MID_RESPONSE)', async () => {
    const url = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nthe whole body'));
    const r = await runLoad(options(url));
    assert.deepEqual(kinds(r), {});
    assert.equal(r.completed, r.sent);
    assert.equal(loadOutcome(r, false).message, undefined);
  });

  it('the CLI prints the message and exits 3 for a target that answers garbage', async () => {
    const url = await rawServer((s) => s.write('garbage\r\n\r\n'));
    const { code, stdout, stderr } = await runCli(['load', url, '--rate', '20', '--duration', '300ms'], process.cwd());
    assert.equal(code, EXIT.TARGET, stderr);
    assert.match(stderr, /is there, but none of \d+ requests got a complete answer/);
    assert.match(stderr, /HPE_INVALID_CONSTANT × \d+: .*first bytes: "garbage\\r\\n\\r\\n"/);
    assert.match(stdout, /HPE_INVALID_CONSTANT/);
  });
});
