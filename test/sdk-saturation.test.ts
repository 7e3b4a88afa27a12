// The saturation monitor and its evidence (issue 12, item 1). Done-when: "A handler made to leak
// 1 MiB per 100 requests crosses the heap warn threshold under load and leaves exactly one heap
// sampling profile in the evidence directory, which loads in Chrome DevTools' format (valid
// .heapprofile JSON); a blocked event loop leaves one CPU profile." Plus: a second crossing within
// evidence.minInterval adds no file, the pure state decision, and the directory's size bound.
//
// Real servers on 127.0.0.1 with the SDK (node:http adapter), loaded with plain keep-alive fetch
// loops from this process. The heap threshold is set a little above the heap measured after a GC.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AggregatorRegistry } from 'prom-client';
import { instrument, type Sdk } from 'sloctl/sdk';
import { wrap } from 'sloctl/sdk/http';
import { metricValue, testRegistry } from 'sloctl/sdk/testing';
import { DrillClient } from '../src/sdk/drill/client.ts';
import { EvidenceStore, EvidenceTooLargeError, evidenceName } from '../src/sdk/saturation/evidence.ts';
import { decide } from '../src/sdk/saturation/states.ts';
import { deadPid } from './helpers/dead-pid.ts';

const MiB = 1024 * 1024;
const TOKEN = 'b7e2c91d04f35a68b7e2c91d04f35a68';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sloctl-saturation-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Polls `cond` every 50 ms until it holds; fails with `what` after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('saturation states (pure)', () => {
  const t = { warn: 100, critical: 200 };
  it('reaches a level at or above its threshold, and crosses it once', () => {
    assert.deepEqual(decide(99, t, 'ok'), { state: 'ok', crossed: [] });
    assert.deepEqual(decide(100, t, 'ok'), { state: 'warn', crossed: ['warn'] });
    assert.deepEqual(decide(150, t, 'warn'), { state: 'warn', crossed: [] });
    assert.deepEqual(decide(200, t, 'warn'), { state: 'critical', crossed: ['critical'] });
    assert.deepEqual(decide(500, t, 'ok'), { state: 'critical', crossed: ['warn', 'critical'] });
  });
  it('leaves a level only 10% below its threshold (no flapping at the line)', () => {
    assert.deepEqual(decide(95, t, 'warn'), { state: 'warn', crossed: [] });
    assert.deepEqual(decide(89, t, 'warn'), { state: 'ok', crossed: [] });
    assert.deepEqual(decide(185, t, 'critical'), { state: 'critical', crossed: [] });
    assert.deepEqual(decide(179, t, 'critical'), { state: 'warn', crossed: [] });
    assert.deepEqual(decide(10, t, 'critical'), { state: 'ok', crossed: [] });
    assert.deepEqual(decide(95, t, 'warn', 0), { state: 'ok', crossed: [] });
  });
  it('keeps the state when there is no sample', () => {
    assert.deepEqual(decide(Number.NaN, t, 'warn'), { state: 'warn', crossed: [] });
  });
});

describe('evidence directory', () => {
  it('keeps at most maxFiles and maxBytes, deleting the oldest, and never touches other files', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'x'.repeat(5000));
    const store = new EvidenceStore(dir, { maxFiles: 3, maxBytes: 1000 });
    const t0 = Date.UTC(2026, 11, 4, 4, 20, 0, 0);
    for (let i = 0; i < 5; i++) store.write(evidenceName(t0 + i * 1000, 'heap', 'warn', 'heapprofile'), 'a'.repeat(100));
    assert.deepEqual(store.list().map((f) => f.at), [2, 3, 4].map((i) => new Date(t0 + i * 1000).toISOString()), 'maxFiles: the three newest');
    store.write(evidenceName(t0 + 9000, 'eventLoopDelay', 'critical', 'cpuprofile'), 'b'.repeat(850));
    const left = store.list();
    assert.deepEqual(left.map((f) => [f.signal, f.level, f.bytes]), [['heap', 'warn', 100], ['eventLoopDelay', 'critical', 850]], 'maxBytes: 950 of 1000 kept');
    assert.ok(left.reduce((a, f) => a + f.bytes, 0) <= 1000);
    assert.ok(readdirSync(dir).includes('notes.txt'), 'a file not named as evidence stays');
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('.')).length, 0, 'no temporary file left behind');
  });
  it('lists as its own only the files it wrote and pruning left, not another process\'s in the same directory', () => {
    const dir = tempDir();
    const store = new EvidenceStore(dir, { maxFiles: 2, maxBytes: 1000 });
    const other = new EvidenceStore(dir, { maxFiles: 2, maxBytes: 1000 });
    const t0 = Date.UTC(2026, 11, 4, 4, 20, 0, 0);
    const names = [0, 1, 2, 3].map((i) => evidenceName(t0 + i * 1000, 'heap', 'warn', 'heapprofile'));
    assert.deepEqual(store.listWritten(), [], 'nothing written yet');
    other.write(names[0]!, 'a');
    store.write(names[1]!, 'b');
    assert.deepEqual(store.listWritten().map((f) => f.file), [names[1]], 'not the other store\'s file');
    assert.deepEqual(other.listWritten().map((f) => f.file), [names[0]]);
    store.write(names[2]!, 'c');
    store.write(names[3]!, 'd');
    assert.deepEqual(store.list().map((f) => f.file), [names[2], names[3]], 'maxFiles: the two newest');
    assert.deepEqual(store.listWritten().map((f) => f.file), [names[2], names[3]], 'what pruning deleted is not listed');
    assert.deepEqual(other.listWritten(), [], 'its file was pruned by the other store');
  });
  it('abandons a file that alone would pass maxBytes', () => {
    const store = new EvidenceStore(tempDir(), { maxFiles: 3, maxBytes: 1000 });
    const w = store.open(evidenceName(Date.now(), 'heap', 'warn', 'heapsnapshot'));
    w.write('x'.repeat(600));
    assert.throws(() => w.write('x'.repeat(600)), EvidenceTooLargeError);
    w.abort();
    assert.deepEqual(readdirSync(store.dir), []);
  });
  it('removes the temporary file of a capture whose process was killed, at the next capture; a running process\'s and other dot files stay', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const dead = deadPid();
    assert.ok(Number.isInteger(dead) && dead > 0, `a pid: ${dead}`);
    const name = (i: number) => evidenceName(Date.UTC(2026, 11, 4, 4, 20, i), 'heap', 'critical', 'heapsnapshot');
    const orphan = `.${name(1)}.${dead}.tmp`;
    const busy = `.${name(2)}.${process.ppid}.tmp`; // the test runner: it runs
    const foreign = `.notes.txt.${dead}.tmp`; // not an evidence name: not ours
    for (const f of [orphan, busy, foreign]) writeFileSync(join(dir, f), 'x'.repeat(300));
    new EvidenceStore(dir, { maxFiles: 3, maxBytes: 1000 }).write(name(3), 'a'.repeat(100));
    assert.deepEqual(readdirSync(dir).sort(), [busy, foreign, name(3)].sort());
  });
});

interface App {
  url: string;
  sdk: Sdk;
  dir: string;
  logs: string[];
  close(): Promise<void>;
}

/** A service from a contract written to a temporary directory (its evidence goes to <dir>/evidence). */
async function startApp(objectives: string, handler: (req: IncomingMessage, res: ServerResponse) => void, drill = false): Promise<App> {
  const dir = tempDir();
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, [
    'apiVersion: sloctl/v1',
    'service: { name: saturated }',
    'routes:',
    '  - { name: work, method: GET, path: /work }',
    'objectives:',
    objectives,
    'evidence: { dir: evidence, minInterval: 60s }',
    '',
  ].join('\n'));
  const logs: string[] = [];
  const sdk = instrument({
    contract: file, registry: testRegistry(), defaultMetrics: false,
    drill: drill ? { token: TOKEN } : false,
    saturation: { intervalMs: 250, heapSamplingMs: 1500, cpuProfileMs: 1000, startupGraceMs: 0, log: (l) => logs.push(l) },
  });
  const server: Server = createServer(wrap(handler, sdk));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, sdk, dir: join(dir, 'evidence'), logs,
    async close() {
      sdk.saturation?.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Keep-alive GET loops (`n` at once) until stop() is called; resolves to how many were answered. */
function load(url: string, n: number): { stop(): Promise<number> } {
  let running = true;
  let done = 0;
  const loops = Array.from({ length: n }, async () => {
    while (running) {
      const res = await fetch(url);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      done++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return done;
    },
  };
}

function filesOf(dir: string, ext: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(ext));
  } catch {
    return [];
  }
}

interface HeapNode { callFrame: { functionName: string; url: string }; selfSize: number; id: number; children: HeapNode[] }

/** Bytes allocated under frames named `name` (their subtrees' selfSize). */
function allocatedUnder(node: HeapNode, name: string, inside = false): number {
  const here = inside || node.callFrame.functionName === name;
  return (here ? node.selfSize : 0) + node.children.reduce((a, c) => a + allocatedUnder(c, name, here), 0);
}

describe('saturation monitor', () => {
  it('a handler leaking 1 MiB per 100 requests crosses heap warn under load and leaves exactly one .heapprofile', async () => {
    let leaked: number[][] = [];
    let served = 0;
    // Retains 1 MiB on the V8 heap every 100th request: four arrays of 32768 small integers, 8 bytes
    // each (Node builds V8 without pointer compression); below V8's limit for a fast `new Array(n)`,
    // beyond which the array would be a dictionary of another size.
    function leakyHandler(_req: IncomingMessage, res: ServerResponse): void {
      if (++served % 100 === 0) for (let i = 0; i < 4; i++) leaked.push(new Array<number>(32_768).fill(0));
      res.end('ok');
    }
    gc();
    const base = process.memoryUsage().heapUsed;
    const warnMiB = Math.ceil(base / MiB) + 48;
    const app = await startApp(`  memory: { heap: { warn: ${warnMiB}MiB, critical: ${warnMiB + 4096}MiB }, capture: heap-sampling }`, leakyHandler);
    try {
      const mon = app.sdk.saturation!;
      assert.ok(mon, 'the monitor runs for a contract with heap thresholds');
      const crossings = () => metricValue(app.sdk.registry, 'sloctl_saturation_crossings_total', { signal: 'heap', level: 'warn' });
      const t0 = performance.now();
      let l = load(`${app.url}/work`, 8);
      await until(async () => (await crossings()) === 1, 90_000, 'the heap to cross warn');
      const crossedAfter = served;
      // Load goes on through the sampling window: the profile shows what allocates and stays.
      await until(() => mon.stats.captured + mon.stats.failed > 0, 30_000, 'the heap profile');
      await l.stop();
      const inWindow = served - crossedAfter;
      console.log(`heap: start ${(base / MiB).toFixed(1)} MiB, warn ${warnMiB} MiB, crossed after ${crossedAfter} requests (${leaked.length / 4} MiB leaked) in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${inWindow} more during the capture; ${app.logs.join(' | ')}`);
      assert.equal(mon.stats.failed, 0, app.logs.join('\n'));

      const profiles = filesOf(app.dir, '.heapprofile');
      assert.equal(profiles.length, 1, `one heap profile, got ${readdirSync(app.dir).join(', ')}`);
      assert.match(profiles[0]!, /^\d{8}T\d{9}Z-heap-warn\.heapprofile$/);
      // Chrome DevTools' format (Memory > Load profile): {head, samples}, nodes with callFrame/selfSize/id/children.
      const profile = JSON.parse(readFileSync(join(app.dir, profiles[0]!), 'utf8')) as { head: HeapNode; samples: { size: number; nodeId: number; ordinal: number }[] };
      assert.equal(profile.head.callFrame.functionName, '(root)');
      assert.ok(Array.isArray(profile.head.children) && typeof profile.head.selfSize === 'number' && typeof profile.head.id === 'number');
      assert.ok(profile.samples.length > 0 && profile.samples.every((s) => s.size > 0 && typeof s.nodeId === 'number'));
      const leakBytes = allocatedUnder(profile.head, 'leakyHandler');
      console.log(`heap profile: ${profile.samples.length} samples, ${(leakBytes / MiB).toFixed(1)} MiB live under leakyHandler`);
      const frames = (n: HeapNode, depth = 0): string[] => [`${' '.repeat(depth)}${n.callFrame.functionName || '(anonymous)'} ${n.selfSize}`, ...n.children.flatMap((c) => frames(c, depth + 1))];
      assert.ok(leakBytes >= MiB, `the leak's stack holds at least 1 MiB in the profile (${leakBytes} bytes):\n${frames(profile.head).join('\n')}`);
      assert.equal(await metricValue(app.sdk.registry, 'sloctl_evidence_files'), 1);

      // A second crossing within minInterval (60 s) captures nothing.
      leaked = [];
      gc();
      await until(() => mon.stateOf('heap') === 'ok', 10_000, 'the heap back under warn after the leak is freed');
      l = load(`${app.url}/work`, 8);
      await until(async () => (await crossings()) === 2, 90_000, 'the second heap crossing');
      await l.stop();
      await mon.idle();
      assert.equal(mon.stats.rateLimited, 1);
      assert.equal(mon.stats.captured, 1);
      assert.deepEqual(filesOf(app.dir, '.heapprofile'), profiles, 'no second file');
    } finally {
      leaked = [];
      await app.close();
    }
  });

  it('a blocked event loop leaves one .cpuprofile, listed on the drill endpoint; a second block within minInterval adds none', async () => {
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) { /* the loop is blocked */ }
    };
    const app = await startApp('  concurrency: { eventLoopDelay: { warn: 150ms, critical: 10s } }', (req, res) => {
      if (req.url === '/work?block=1') spin(300);
      res.end('ok');
    }, true);
    try {
      const mon = app.sdk.saturation!;
      const crossings = () => metricValue(app.sdk.registry, 'sloctl_saturation_crossings_total', { signal: 'eventLoopDelay', level: 'warn' });
      await until(() => mon.valueOf('eventLoopDelay') !== undefined, 5000, 'a first sample');
      assert.equal(mon.stateOf('eventLoopDelay'), 'ok', `idle loop reads ${mon.valueOf('eventLoopDelay')} ms`);
      await (await fetch(`${app.url}/work?block=1`)).text();
      await until(async () => (await crossings()) === 1, 5000, `the event-loop delay to cross warn (p99 ${mon.valueOf('eventLoopDelay')} ms, state ${mon.stateOf('eventLoopDelay')})`);
      console.log(`event-loop delay p99 at the crossing: ${mon.valueOf('eventLoopDelay')?.toFixed(0)} ms`);
      await mon.idle();
      assert.equal(mon.stats.captured, 1, app.logs.join('\n'));

      const profiles = filesOf(app.dir, '.cpuprofile');
      assert.equal(profiles.length, 1, `one CPU profile, got ${readdirSync(app.dir).join(', ')}`);
      assert.match(profiles[0]!, /^\d{8}T\d{9}Z-eventLoopDelay-warn\.cpuprofile$/);
      // Chrome DevTools' format (Performance > Load profile): nodes, startTime, endTime, samples, timeDeltas.
      const p = JSON.parse(readFileSync(join(app.dir, profiles[0]!), 'utf8')) as { nodes: { id: number; callFrame: { functionName: string } }[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
      assert.ok(p.nodes.length > 0 && p.nodes.every((n) => typeof n.id === 'number' && typeof n.callFrame.functionName === 'string'));
      assert.ok(p.endTime > p.startTime, 'endTime after startTime');
      assert.ok(p.samples.length > 0 && p.samples.length === p.timeDeltas.length, 'one time delta per sample');
      const ids = new Set(p.nodes.map((n) => n.id));
      assert.ok(p.samples.every((s) => ids.has(s)), 'every sample names a node');

      // Another process's profile in the same directory (a second copy of the service started from
      // the same working directory): the directory holds it, the listing of this one does not.
      const foreign = '20200101T000000000Z-eventLoopDelay-critical.cpuprofile';
      writeFileSync(join(app.dir, foreign), '{}');
      const listed = await new DrillClient({ url: app.url, token: TOKEN }).evidence();
      rmSync(join(app.dir, foreign));
      assert.equal(listed.length, 1, `only this process's file: ${JSON.stringify(listed)}`);
      assert.equal(listed[0]!.file, profiles[0]);
      assert.equal(listed[0]!.signal, 'eventLoopDelay');
      assert.equal(listed[0]!.level, 'warn');
      assert.equal(listed[0]!.bytes, readFileSync(join(app.dir, profiles[0]!)).length);
      assert.ok(Math.abs(Date.parse(listed[0]!.at) - Date.now()) < 60_000);
      const anonymous = await fetch(`${app.url}/.sloctl/drill/evidence`);
      assert.equal(anonymous.status, 401, 'the listing takes the drill token');

      await until(() => mon.stateOf('eventLoopDelay') === 'ok', 5000, 'the loop to recover');
      await (await fetch(`${app.url}/work?block=1`)).text();
      await until(async () => (await crossings()) === 2, 5000, 'the second crossing');
      await mon.idle();
      assert.equal(mon.stats.rateLimited, 1);
      assert.deepEqual(filesOf(app.dir, '.cpuprofile'), profiles, 'no second file');
    } finally {
      await app.close();
    }
  });

  it('a warn capture does not hold back the critical one (one file per level within minInterval); a held-back crossing says so once, with the time on every line', async () => {
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) { /* the loop is blocked */ }
    };
    const app = await startApp('  concurrency: { eventLoopDelay: { warn: 150ms, critical: 700ms } }', (req, res) => {
      spin(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('block') ?? 0));
      res.end('ok');
    });
    try {
      const mon = app.sdk.saturation!;
      const crossings = (level: string) => metricValue(app.sdk.registry, 'sloctl_saturation_crossings_total', { signal: 'eventLoopDelay', level });
      await until(() => mon.valueOf('eventLoopDelay') !== undefined, 5000, 'a first sample');
      await (await fetch(`${app.url}/work?block=300`)).text();
      await until(async () => (await crossings('warn')) === 1, 5000, 'the warn crossing');
      await mon.idle();
      await until(() => mon.stateOf('eventLoopDelay') === 'ok', 5000, 'the loop to recover');
      await (await fetch(`${app.url}/work?block=1200`)).text();
      await until(async () => (await crossings('critical')) === 1, 5000, `the critical crossing (p99 ${mon.valueOf('eventLoopDelay')} ms)`);
      await mon.idle();
      const files = filesOf(app.dir, '.cpuprofile');
      assert.equal(files.length, 2, `a warn and a critical profile: ${files.join(', ')}; ${app.logs.join(' | ')}`);
      assert.ok(files.some((f) => f.endsWith('-eventLoopDelay-warn.cpuprofile')) && files.some((f) => f.endsWith('-eventLoopDelay-critical.cpuprofile')), files.join(', '));
      // Critical again within minInterval: held back, and one line says so.
      await until(() => mon.stateOf('eventLoopDelay') === 'ok', 5000, 'the loop to recover');
      await (await fetch(`${app.url}/work?block=1200`)).text();
      await until(async () => (await crossings('critical')) === 2, 5000, 'the second critical crossing');
      await mon.idle();
      assert.equal(mon.stats.rateLimited, 1);
      assert.equal(filesOf(app.dir, '.cpuprofile').length, 2);
      const lines = app.logs.map((l) => JSON.parse(l) as { time?: string; skipped?: string; level?: string });
      const held = lines.filter((l) => l.skipped !== undefined);
      assert.equal(held.length, 1, app.logs.join('\n'));
      assert.equal(held[0]!.level, 'critical');
      assert.match(held[0]!.skipped!, /not captured: this signal captured at critical \d+ s ago, within evidence.minInterval \(60 s\)/);
      assert.ok(lines.every((l) => typeof l.time === 'string' && !Number.isNaN(Date.parse(l.time))), 'every line has its time');
    } finally {
      await app.close();
    }
  });

  it('the delay and the utilization crossing together share one CPU profile', async () => {
    const app = await startApp('  concurrency: { eventLoopDelay: { warn: 150ms, critical: 10s }, eventLoopUtilization: { warn: 50%, critical: 100% } }', (req, res) => {
      const end = performance.now() + 400;
      if (req.url === '/work?block=1') while (performance.now() < end) { /* blocked */ }
      res.end('ok');
    });
    try {
      const mon = app.sdk.saturation!;
      await until(() => mon.valueOf('eventLoopDelay') !== undefined, 5000, 'a first sample');
      await (await fetch(`${app.url}/work?block=1`)).text();
      const crossed = async (signal: string) => (await metricValue(app.sdk.registry, 'sloctl_saturation_crossings_total', { signal, level: 'warn' })) === 1;
      await until(async () => (await crossed('eventLoopDelay')) && (await crossed('eventLoopUtilization')), 5000, 'both signals to cross');
      await mon.idle();
      assert.deepEqual({ captured: mon.stats.captured, joined: mon.stats.joined }, { captured: 1, joined: 1 });
      assert.equal(filesOf(app.dir, '.cpuprofile').length, 1);
    } finally {
      await app.close();
    }
  });

  it('capture: heap-snapshot streams a full snapshot (.heapsnapshot) that DevTools loads', async () => {
    const app = await startApp('  memory: { heap: { warn: 1MiB, critical: 64GiB }, capture: heap-snapshot }', (_req, res) => res.end('ok'));
    try {
      const mon = app.sdk.saturation!;
      await until(() => mon.stats.captured + mon.stats.failed > 0, 20_000, 'the snapshot');
      assert.equal(mon.stats.failed, 0, app.logs.join('\n'));
      const files = filesOf(app.dir, '.heapsnapshot');
      assert.equal(files.length, 1);
      const snap = JSON.parse(readFileSync(join(app.dir, files[0]!), 'utf8')) as { snapshot: { meta: { node_fields: string[] }; node_count: number }; nodes: number[]; strings: string[] };
      assert.ok(snap.snapshot.meta.node_fields.includes('self_size'));
      assert.equal(snap.nodes.length, snap.snapshot.node_count * snap.snapshot.meta.node_fields.length);
      console.log(`heap snapshot: ${snap.snapshot.node_count} nodes, ${(mon.evidence()[0]!.bytes / MiB).toFixed(1)} MiB`);
    } finally {
      await app.close();
    }
  });

  it('a heap snapshot over evidence.maxBytes is abandoned, leaving nothing', async () => {
    const { heapSnapshot } = await import('../src/sdk/saturation/capture.ts');
    const store = new EvidenceStore(tempDir(), { maxFiles: 10, maxBytes: 256 * 1024 });
    const w = store.open(evidenceName(Date.now(), 'heap', 'warn', 'heapsnapshot'));
    await assert.rejects(heapSnapshot(w), EvidenceTooLargeError);
    w.abort();
    assert.deepEqual(readdirSync(store.dir), []);
  });

  it('judges nothing in the start-up grace (a start-up block is not saturation)', async () => {
    const dir = tempDir();
    const sdk = instrument({
      contract: new URL('./fixtures/sdk-drill/slo.yaml', import.meta.url), registry: testRegistry(), defaultMetrics: false, drill: false,
      saturation: { intervalMs: 100, dir, log: () => {} },
    });
    // The fixture has no thresholds: give the monitor some through a contract object instead.
    assert.equal(sdk.saturation, undefined);
    const contract = { ...sdk.contract, objectives: { ...sdk.contract.objectives, concurrency: { eventLoopDelay: { warn: 150, critical: 10_000 }, capture: 'cpu-profile' as const } } };
    const graced = instrument({ contract, registry: testRegistry(), defaultMetrics: false, drill: false, saturation: { intervalMs: 100, dir, log: () => {} } });
    try {
      const end = performance.now() + 300;
      while (performance.now() < end) { /* start-up work */ }
      await until(() => (graced.saturation!.valueOf('eventLoopDelay') ?? 0) >= 250, 3000, 'the block to be sampled');
      assert.equal(graced.saturation!.stateOf('eventLoopDelay'), 'ok');
      assert.equal(await metricValue(graced.registry, 'sloctl_saturation_crossings_total', { signal: 'eventLoopDelay', level: 'warn' }), 0);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      graced.saturation!.close();
    }
  });

  it('without a drill token the evidence listing does not exist; without thresholds no monitor runs', async () => {
    const app = await startApp('  concurrency: { inFlight: { warn: 100, critical: 200 } }', (req, res) => {
      res.statusCode = req.url === '/work' ? 200 : 404;
      res.end();
    });
    try {
      assert.ok(app.sdk.saturation);
      assert.equal((await fetch(`${app.url}/.sloctl/drill/evidence`)).status, 404);
      assert.equal(await metricValue(app.sdk.registry, 'sloctl_saturation_state', { signal: 'inFlight' }), 0);
      // Merged across a cluster's workers (AggregatorRegistry on the primary) the state is the worst
      // worker's: a worker at warn (1) and one at critical (2) read 2, not the sum 3.
      const state = (await app.sdk.registry.getMetricsAsJSON()).filter((m) => m.name === 'sloctl_saturation_state');
      const at = (v: number) => state.map((m) => ({ ...m, values: m.values.map((x) => ({ ...x, value: v })) }));
      const merged = await AggregatorRegistry.aggregate([at(1), at(2)]).getSingleMetricAsString('sloctl_saturation_state');
      assert.match(merged, /^sloctl_saturation_state\{signal="inFlight"\} 2$/m, merged);
    } finally {
      await app.close();
    }
    const none = instrument({ contract: new URL('./fixtures/sdk-drill/slo.yaml', import.meta.url), registry: testRegistry(), defaultMetrics: false, drill: false });
    assert.equal(none.saturation, undefined);
    assert.equal(none.registry.getSingleMetric('sloctl_saturation_state'), undefined);
  });
});
