// The SDK's JavaScript cost per request on Fastify without the kernel: a Fastify hello-world
// served over in-memory duplex pairs in one process (Node's real HTTP parser and ServerResponse,
// Fastify, the SDK; no sockets, no system calls, no load generator to share the CPU with), so the
// number moves little when other jobs load the machine. Prints the process's CPU ns per request
// (min and p10 over 250 ms segments, and overall) as one JSON line.
//   node --import tsx bench/fastify-inproc.ts <bare|sdk|full> [seconds] [connections]
// Run it bundled (as the npm tarball's JavaScript runs; tsx's keepNames adds a cost per named
// closure) and alternate the variants, e.g.:
//   npx esbuild bench/fastify-inproc.ts --bundle --packages=external --platform=node --format=esm --outfile=node_modules/.cache/sloctl-bench/inproc.mjs
//   for r in 1 2 3; do for v in bare sdk full; do taskset -c 0 node node_modules/.cache/sloctl-bench/inproc.mjs $v 3; done; done
import { Duplex } from 'node:stream';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { parseContract } from '../src/contract/load.ts';
import { HELLO_CONTRACT, HELLO_FULL } from './hello-contract.mjs';
import { instrument } from '../src/sdk/index.ts';
import sloctl from '../src/sdk/adapters/fastify.ts';
if (!['bare', 'sdk', 'full'].includes(process.argv[2])) {
  console.error('usage: node --import tsx bench/fastify-inproc.ts <bare|sdk|full> [seconds] [connections]');
  process.exit(2);
}
const v = process.argv[2]; const secs = Number(process.argv[3] ?? 6); const CONN = Number(process.argv[4] ?? 20);
const app = Fastify({ logger: false });
if (v === 'sdk' || v === 'full') await app.register(sloctl, { sdk: instrument({ contract: parseContract(HELLO_CONTRACT + (v === 'full' ? HELLO_FULL : ''), 'bench.slo.yaml').contract!, registry: new Registry() }) });
app.get('/', async () => ({ hello: 'world' }));
await app.ready();
const REQ = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
let done = 0;
class End extends Duplex {
  peer!: End;
  onData?: (b: Buffer) => void;
  _read() {}
  _write(chunk: Buffer, _e: string, cb: () => void) { this.peer.deliver(chunk); cb(); }
  _writev(chunks: { chunk: Buffer }[], cb: () => void) { for (const c of chunks) this.peer.deliver(c.chunk); cb(); }
  q: Buffer[] = []; scheduled = false;
  // Delivered in a later turn of the event loop, as a socket's data would be (I/O phase).
  deliver(b: Buffer) { this.q.push(b); if (!this.scheduled) { this.scheduled = true; setImmediate(() => this.flush()); } }
  flush() { this.scheduled = false; const q = this.q; this.q = []; const b = q.length === 1 ? q[0] : Buffer.concat(q); if (this.onData) this.onData(b); else this.push(b); }
  setTimeout() { return this; } setNoDelay() { return this; } setKeepAlive() { return this; }
  remoteAddress = '127.0.0.1'; remotePort = 1; localAddress = '127.0.0.1'; localPort = 2; encrypted = false;
}
for (let i = 0; i < CONN; i++) {
  const s = new End(); const c = new End(); s.peer = c; c.peer = s;
  c.onData = (b) => { // one response per chunk group: count bodies
    const str = b.toString('latin1'); let k = -1;
    while ((k = str.indexOf('world"}', k + 1)) >= 0) { done++; c.write(REQ); }
  };
  app.server.emit('connection', s);
  c.write(REQ);
}
// wait warm-up, then measure segments of 200 ms: requests per segment -> ns/request (CPU of this process over wall)
await new Promise((r) => setTimeout(r, 2000));
const xs: number[] = []; const cpu0 = process.cpuUsage(); const d0 = done; const t0 = performance.now();
const end = Date.now() + secs * 1000;
while (Date.now() < end) {
  const a = done; const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 250));
  const cu = process.cpuUsage(c0);
  xs.push((cu.user + cu.system) * 1000 / Math.max(1, done - a));
}
const total = done - d0; const cu = process.cpuUsage(cpu0);
xs.sort((a, b) => a - b);
console.log(JSON.stringify({ v, rps: Math.round(total / ((performance.now() - t0) / 1000)), nsPerReqMin: Math.round(xs[0]), p10: Math.round(xs[Math.floor(xs.length / 10)]), med: Math.round(xs[xs.length >> 1]), cpuNs: Math.round((cu.user + cu.system) * 1000 / total) }));
process.exit(0);
