// Observability under hostile input: on every adapter, 100,000 requests with random paths,
// random parameters, malformed escapes, very long paths and odd methods leave the number of
// exported series exactly where warm-up left it. The apps and their client (test/sdk/hostile.ts
// `flood`: raw HTTP/1.1 over 4 keep-alive connections, 16 in flight on each, the requests encoded
// once up front; undici's Pool reconnected after every HEAD, 1 request in 14, and cost a quarter
// of the CPU) run in one worker thread, test/sdk/hostile-run.ts, which reports what is asserted
// here. 103 s before, 32-37 s after (2026-12-07). SLOCTL_HOSTILE_REQUESTS lowers N for a quick run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { ADAPTERS, type AdapterName } from './sdk/apps.ts';
import { flood, type Hostile } from './sdk/hostile.ts';
import type { HostileReport } from './sdk/hostile-run.ts';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const N = Number(process.env.SLOCTL_HOSTILE_REQUESTS ?? 100_000);

// A worker thread does not run the test process's `--import tsx`: it registers tsx (ESM and
// CommonJS, as `--import tsx` does) before importing the TypeScript.
const at = (specifier: string) => JSON.stringify(import.meta.resolve(specifier));
const BOOT = `Promise.all([import(${at('tsx/esm/api')}), import(${at('tsx/cjs/api')})])
  .then(([esm, cjs]) => { esm.register(); cjs.register(); return import(${at('./sdk/hostile-run.ts')}); })`;
let worker: Worker;
before(() => {
  worker = new Worker(BOOT, { eval: true, workerData: { contract: CONTRACT.href, n: N } });
});
after(() => worker.terminate());

/** One adapter's run in the worker; rejects with the worker's error, or if it exits first. */
function runIn(adapter: AdapterName): Promise<HostileReport> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', reject);
      worker.off('exit', onExit);
    };
    const onMessage = (m: { report?: HostileReport; error?: string }) => {
      done();
      if (m.report) resolve(m.report);
      else reject(new Error(`in the worker: ${m.error}`));
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`the worker exited (code ${code}) before reporting on ${adapter}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.postMessage(adapter);
  });
}

for (const adapter of ADAPTERS) {
  describe(`hostile input: ${adapter}`, () => {
    it(`${N.toLocaleString('en')} random requests add no series after warm-up`, async () => {
      const r = await runIn(adapter);
      assert.equal(r.warm.failed, 0);
      assert.equal(r.run.failed, 0, 'every request was answered');
      assert.equal(r.run.answered, N);
      assert.equal(r.seriesAfterRun, r.seriesAfterWarmup, 'series count unchanged');
      assert.deepEqual(r.routesAfterRun, r.routesAfterWarmup);
      assert.equal(r.counted, r.warm.answered + N, 'every request counted once');
      console.log(`  ${adapter}: ${N} requests in ${r.run.seconds.toFixed(1)}s (${Math.round(N / r.run.seconds)}/s), ${r.seriesAfterWarmup} series`);
    });
  });
}

// The assertions above are only as good as the client's count of answers: it reads raw HTTP/1.1,
// so here it meets every framing it may see, split at every byte, and a connection that closes
// with requests in flight.
describe('the hostile client counts only the answers it got', () => {
  const ANSWERS: Record<string, string> = {
    '/length': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    '/chunked': 'HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n10;x=y\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\n',
    '/head': 'HTTP/1.1 200 OK\r\ncontent-length: 999\r\n\r\n', // HEAD: no body, whatever the length says
    '/none': 'HTTP/1.1 204 No Content\r\n\r\n',
    '/continue': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\nno',
  };
  /** A server answering each request by its path, its bytes written `step` at a time; after `closeAfter` answers it hangs up. */
  async function server(step: number, closeAfter = Infinity): Promise<{ url: string; close(): void }> {
    const sockets = new Set<Socket>();
    const srv = createServer((socket) => {
      sockets.add(socket);
      let pending = '';
      let answered = 0;
      socket.on('data', (chunk) => {
        pending += chunk.toString('latin1');
        let end: number;
        let out = '';
        while ((end = pending.indexOf('\r\n\r\n')) >= 0 && answered < closeAfter) {
          out += ANSWERS[pending.slice(0, end).split(' ')[1]] ?? 'HTTP/1.1 500 Unknown\r\ncontent-length: 0\r\n\r\n';
          pending = pending.slice(end + 4);
          answered++;
        }
        for (let i = 0; i < out.length; i += step) socket.write(out.slice(i, i + step), 'latin1');
        if (answered >= closeAfter) socket.end();
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => { for (const s of sockets) s.destroy(); srv.close(); } };
  }
  const requests: Hostile[] = [
    { method: 'GET', path: '/length' }, { method: 'PROPFIND', path: '/chunked' }, { method: 'HEAD', path: '/head' },
    { method: 'DELETE', path: '/none' }, { method: 'POST', path: '/continue' }, { method: 'OPTIONS', path: '/length' },
  ];

  for (const step of [1, 7, 4096]) {
    it(`reads every framing, the answers split every ${step} bytes`, async () => {
      const srv = await server(step);
      try {
        const all = Array.from({ length: 50 }, () => requests).flat();
        const run = await flood(srv.url, all, { connections: 2, pipelining: 16, batch: 5 });
        assert.deepEqual(run, { answered: 300, failed: 0, statuses: new Map([[200, 150], [404, 50], [204, 50], [400, 50]]) });
      } finally {
        srv.close();
      }
    });
  }

  it('counts the requests in flight when the connection closes as failed, and sends the rest on a new one', async () => {
    const srv = await server(4096, 3);
    try {
      // 20 requests, 8 in flight at a time on one connection: each connection answers 3, the 5
      // behind them fail; a connection that answered something is replaced: 8 + 8 + 4 requests.
      const run = await flood(srv.url, Array.from({ length: 20 }, () => ({ method: 'GET', path: '/length' })), { connections: 1, pipelining: 8, batch: 8 });
      assert.deepEqual(run, { answered: 9, failed: 11, statuses: new Map([[200, 9]]) });
    } finally {
      srv.close();
    }
  });
});
