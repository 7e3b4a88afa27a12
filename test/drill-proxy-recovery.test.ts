// A keep-alive client through an attached drill's fault proxy (`sloctl drill --target URL --proxy
// inventory=HOST:PORT`) recovers at once when an error fault is removed, however long the recovery
// watch runs.
//
// The defect this guards (a user trial): after the fault was removed, calls through the drill's
// proxy timed out (undici fetch, 100 ms timeout) 1-5 times a second until the end, though the
// dependency answered in 5 ms, and the drill said "not recovered". The proxy relays on the drill's
// main thread, and the recovery watch asked the judge every 250 ms to re-judge every 3 s window
// since the removal, rebuilding each slice's latency histogram per route (190 KB each): a cost that
// grew with the watch (and with the routes) until the thread stalled past the client's timeout,
// and the timeouts then kept the recovery from ever holding. Here the service fails every request,
// so recovery never holds and the watch runs its whole length, and the mix has 12 routes: before
// the fix the thread stalled for hundreds of ms within seconds of the removal.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { runDrills, type DrillRunResult } from '../src/drill/run.ts';
import { gateProfile } from '../src/run/profile.ts';
import { judgeDrills } from '../src/verdicts/drill.ts';
import { sampleCpu } from '../src/run/machine-probe.ts';
import type { CpuSample } from '../src/verdicts/machine.ts';
import { freePort } from './helpers/prometheus.ts';

const ROUTES = 12;
/** Consecutive calls after the removal that must all succeed within the client's timeout. */
const N = 40;
const CLIENT_TIMEOUT_MS = 100;
/** The recovery watch after removal: recoverWithin (6 s) + RECOVERY_TAIL_MS (3 s). */
const WATCH_MS = 9000;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Epoch ms with sub-ms precision, the same in every thread (performance.now() is per thread). */
const now = () => performance.timeOrigin + performance.now();

/** The client thread: calls in a loop until told to stop, then posts them. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const now = () => performance.timeOrigin + performance.now();
const calls = [];
let running = true;
parentPort.once('message', () => { running = false; });
const loop = async () => {
  while (running) {
    const at = now();
    try {
      const res = await fetch(workerData.url, { signal: AbortSignal.timeout(workerData.timeoutMs) });
      await res.arrayBuffer();
      calls.push({ at, ms: now() - at, status: res.status });
    } catch (e) {
      calls.push({ at, ms: now() - at, error: e.name + ': ' + e.message });
    }
    await new Promise((r) => setTimeout(r, 20)); // paced (about 50 calls a second each), not synchronising
  }
};
Promise.all([loop(), loop(), loop()]).then(() => parentPort.postMessage(calls));
`;

interface Call {
  at: number;
  ms: number;
  status?: number;
  error?: string;
}

describe('an attached drill\'s fault proxy after an error fault is removed', () => {
  let inventory: Server;
  let service: Server;
  let inventoryHits = 0;
  let result: DrillRunResult;
  const calls: Call[] = [];
  let appliedAt: number | undefined;
  let removedAt: number | undefined;
  let worstStallMs = 0;
  // What other processes used meanwhile: a 100 ms client timeout cannot be kept on a machine
  // whose other work leaves this process less than one core (CI runs its test groups side by
  // side on 2 cores), so the timing is then not judged, as the gate does not judge a starved run.
  let cpuBefore: CpuSample | undefined;
  let othersCores = 0;
  const starved = (t: { skip: (why: string) => void }): boolean => {
    const cores = cpuBefore?.cores ?? 1;
    if (othersCores <= cores - 1) return false;
    const why = `other processes used ${othersCores.toFixed(2)} of ${cores} cores during the drill, leaving this process less than one: a 100 ms client timeout is not a measure of the proxy then`;
    console.log(`# ${why}`);
    t.skip(why);
    return true;
  };

  before(async () => {
    // The real dependency: answers at once.
    inventory = createServer((_req, res) => {
      inventoryHits++;
      res.setHeader('content-type', 'application/json');
      res.end('{"stock":3}');
    });
    const inventoryUrl = await listen(inventory);
    // The attached service: UP, and every route fails (so the recovery watch never ends early).
    service = createServer((req, res) => {
      if (req.url === '/healthz') {
        res.setHeader('content-type', 'application/json');
        res.end('{"status":"UP"}');
      } else if (req.url === '/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end('');
      } else {
        res.statusCode = 500;
        res.end('broken');
      }
    });
    const serviceUrl = await listen(service);
    const proxyPort = await freePort();

    const dir = mkdtempSync(join(tmpdir(), 'sloctl-drill-proxy-'));
    const file = join(dir, 'slo.yaml');
    const routes = Array.from({ length: ROUTES }, (_, i) => `  - { name: r${i}, method: GET, path: /r${i} }`).join('\n');
    const mix = Array.from({ length: ROUTES }, (_, i) => `{ route: r${i}, weight: 1 }`).join(', ');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: proxy-recovery, runtime: node }
target: { url: ${JSON.stringify(serviceUrl)}, health: /healthz, metrics: /metrics }
routes:
${routes}
dependencies:
  - { name: inventory, url: ${JSON.stringify(inventoryUrl)}, env: INVENTORY_URL, timeout: 100ms }
load:
  rate: 300/s
  duration: 5s
  warmup: 1s
  connections: 16
  timeout: 2s
  mix: [${mix}]
objectives:
  latency:
    - { name: api, threshold: 1s, objective: 90% }
  errors: { objective: 99% }
  resilience:
    drills:
      - { name: inventory-down, fault: error, dependency: inventory, status: 503, duration: 1s, detectWithin: 1s, recoverWithin: 6s }
`);
    const loaded = parseContract(readText(file), file);
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const contract = loaded.contract!;
    const profile = gateProfile(contract);
    assert.ok(typeof profile !== 'string', String(profile));

    // The main thread's stalls (where the proxy relays), for the failure message.
    let last = performance.now();
    const stallTimer = setInterval(() => {
      const t = performance.now();
      worstStallMs = Math.max(worstStallMs, t - last - 10);
      last = t;
    }, 10);

    // The client: calls through the proxy on undici's keep-alive pool (Node's fetch), each with a
    // 100 ms timeout, as the service of the trial made them; three in parallel, each sequential.
    // In a worker thread, as the service was a process of its own: its timeouts run on time
    // whatever this thread (the proxy's) does, so a stall of the proxy is a timeout.
    const client = new Worker(CLIENT, { eval: true, workerData: { url: `http://127.0.0.1:${proxyPort}/stock/1`, timeoutMs: CLIENT_TIMEOUT_MS } });
    const clientDone = new Promise<Call[]>((resolve, reject) => {
      client.once('message', (m: Call[]) => resolve(m));
      client.once('error', reject);
    });

    cpuBefore = sampleCpu();
    try {
      result = await runDrills({
        contract,
        contractFile: 'slo.yaml',
        contractPath: file,
        profile,
        target: serviceUrl,
        proxies: { inventory: `127.0.0.1:${proxyPort}` },
        steadyMs: 1000,
        allowRemote: false,
        journalPath: join(dir, 'journal.jsonl'),
        judge: judgeDrills,
        trapSignals: false,
        log: (line) => {
          if (/fault applied/.test(line)) appliedAt = now();
          if (/fault removed/.test(line)) removedAt = now();
        },
      });
    } finally {
      client.postMessage('stop');
      calls.push(...(await clientDone));
      await client.terminate();
      clearInterval(stallTimer);
      const end = sampleCpu();
      const wallMs = end.atMs - cpuBefore.atMs;
      const busyMs = wallMs * end.cores - (end.idleMs - cpuBefore.idleMs);
      othersCores = wallMs > 0 ? Math.max(0, busyMs - (end.selfCpuMs - cpuBefore.selfCpuMs)) / wallMs : 0;
      console.log(`# other processes used ${othersCores.toFixed(2)} of ${end.cores} cores during the drill`);
    }
  });

  after(() => {
    inventory.close();
    service.close();
  });

  it('answers with the fault while it is in place', (t) => {
    if (starved(t)) return;
    assert.ok(appliedAt !== undefined && removedAt !== undefined, `the drill ran its fault (${JSON.stringify(result.report.reasons)})`);
    const during = calls.filter((c) => c.at >= appliedAt! && c.at + c.ms <= removedAt!);
    assert.ok(during.some((c) => c.status === 503), `a 503 from the proxy during the fault: ${JSON.stringify(during.slice(0, 5))}`);
  });

  it(`after removal, calls succeed within ${CLIENT_TIMEOUT_MS} ms on the kept-alive pool (at most 3% time out), ${N} or more, for the whole recovery watch`, (t) => {
    if (starved(t)) return;
    // Calls sent from 100 ms after the removal (one in flight then may still get the 503) to the
    // watch's end (recoverWithin 6 s + 3 s: the proxy closes after it).
    const afterRemoval = calls.filter((c) => c.at >= removedAt! + 100 && c.at <= removedAt! + WATCH_MS - 500).sort((a, b) => a.at - b.at);
    const bad = afterRemoval.filter((c) => c.status !== 200);
    assert.ok(afterRemoval.length >= N, `only ${afterRemoval.length} calls after the removal`);
    // Before the fix 45-60 of ~750 (6-8%) timed out, more as the watch went on. The proxy still
    // shares sloctl's main thread, where a garbage collection, a window judged or the CI's other
    // test groups on the same 2 cores stall it past 100 ms now and then (in CI: 3 of 996 calls
    // with a 280 ms stall, 9 of 665 with 334 ms): at most 3% may time out.
    const shown = bad.map((c) => `${Math.round(c.at - removedAt!)} ms after removal: ${c.error ?? c.status}`);
    console.log(`# ${bad.length} of ${afterRemoval.length} calls after the removal failed; the main thread's worst stall was ${Math.round(worstStallMs)} ms`);
    assert.ok(bad.length <= Math.floor((afterRemoval.length * 3) / 100), `${bad.length} of ${afterRemoval.length} calls after the removal failed (at most 3% may); the main thread's worst stall was ${Math.round(worstStallMs)} ms:\n${shown.join('\n')}`);
    // The watch ran its whole length (recovery never held): the calls span it.
    const span = afterRemoval[afterRemoval.length - 1].at - removedAt!;
    assert.ok(span >= WATCH_MS - 1000, `the calls after removal span ${Math.round(span)} ms, not the whole watch`);
    assert.ok(inventoryHits >= afterRemoval.length, `the dependency answered them (${inventoryHits} hits)`);
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
