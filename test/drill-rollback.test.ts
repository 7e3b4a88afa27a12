// Rollback is guaranteed (issue 11, step 4): "Ctrl-C, SIGTERM, an exception, or kill -9 of sloctl
// mid-drill leaves no fault in place and no process behind", and "kill -9 of the sloctl process
// during a drill: the service's next requests go straight through within the in-process faults'
// maximum duration, and no sloctl child process is left". In three parts:
// - src/run/rollback.ts on its own: order, bounds, idempotence, the lines; its trap in a child
//   process (each signal, a second signal, an exception, a rejection, a dead stderr);
// - the harness (fixture service, dependency stand-in, probes) checked with Rollback, FaultProxies
//   and DrillClient directly;
// - `sloctl drill` as its own process, signalled, broken or killed while a fault is in place,
//   attached to a service the test runs (the fault list is read back) and starting its own target
//   (its processes are looked for by PID, group and SLOCTL_TARGET_ID marker, through /proc).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { freePort, groupMembers, targetProcesses } from '../src/run/process-group.ts';
import { isLive, processCommand, readProcStat } from '../src/run/proc-stat.ts';
import { Rollback } from '../src/run/rollback.ts';
import { MARKER_VARIABLE } from '../src/run/supervisor.ts';
import { DrillClient } from '../src/sdk/drill/client.ts';
import type { FaultState } from '../src/sdk/drill/types.ts';

const REPO = resolve(import.meta.dirname, '..');
const FIXTURES = join(REPO, 'test/fixtures/drill-rollback');

// Processes the tests started, killed by PID at the end whatever happened; and their directories.
const mine: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const c of mine) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Polls `check` until it is true; fails with `what` at the deadline. Returns the ms it took. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 10): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('Rollback', () => {
  it('undoes newest first, one line per step, and logs each as it happens', async () => {
    const ran: string[] = [];
    const logged: string[] = [];
    const r = new Rollback({ log: (l) => logged.push(l) });
    r.add('proxy payments', () => void ran.push('proxy'));
    r.add('latency toxic on payments', async () => {
      await new Promise((res) => setTimeout(res, 20));
      ran.push('toxic');
    });
    r.add('event-loop-block fault f1', () => void ran.push('fault'));
    const lines = await r.run('the drill ended');
    assert.deepEqual(ran, ['fault', 'toxic', 'proxy']);
    assert.deepEqual(lines, ['undid: event-loop-block fault f1', 'undid: latency toxic on payments', 'undid: proxy payments']);
    assert.deepEqual(logged, ['undoing 3 steps (the drill ended), newest first', ...lines]);
  });

  it('a step that throws or rejects is a FAILED line with the reason; the others still run', async () => {
    const ran: string[] = [];
    const r = new Rollback({ log: () => {} });
    r.add('a', () => void ran.push('a'));
    r.add('b', () => {
      throw new Error('proxy b was already closed');
    });
    r.add('c', () => Promise.reject(new Error('GET /.sloctl/drill failed (ECONNREFUSED): is the service running?')));
    r.add('d', () => Promise.reject('a string'));
    const lines = await r.run('test');
    assert.deepEqual(lines, [
      'FAILED to undo d: a string',
      'FAILED to undo c: GET /.sloctl/drill failed (ECONNREFUSED): is the service running?',
      'FAILED to undo b: proxy b was already closed',
      'undid: a',
    ]);
    assert.deepEqual(ran, ['a']);
  });

  it('each step is bounded by timeoutMs: a hung one fails with a line and the rest still run, in time', async () => {
    const ran: string[] = [];
    const r = new Rollback({ log: () => {}, timeoutMs: 200 });
    r.add('the target', () => void ran.push('target'));
    r.add('a fault on a hung service', () => new Promise<void>(() => {}));
    const t0 = performance.now();
    const lines = await r.run('test');
    const ms = performance.now() - t0;
    assert.deepEqual(lines, ['FAILED to undo a fault on a hung service: it did not finish within 200 ms; it may still be in place', 'undid: the target']);
    assert.deepEqual(ran, ['target']);
    assert.ok(ms >= 190 && ms < 1500, `took ${ms.toFixed(0)} ms`);
  });

  it('is idempotent: a step is undone once; a run under way is joined; forgotten steps are not run', async () => {
    let undone = 0;
    const r = new Rollback({ log: () => {} });
    r.add('slow', async () => {
      await new Promise((res) => setTimeout(res, 50));
      undone++;
    });
    const forget = r.add('removed by the drill itself', () => assert.fail('a forgotten step ran'));
    forget();
    forget();
    const [a, b] = await Promise.all([r.run('first'), r.run('second, while the first is under way')]);
    assert.deepEqual(a, ['undid: slow']);
    assert.deepEqual(b, a, 'the second call joined the first');
    assert.deepEqual(await r.run('third'), []);
    assert.equal(undone, 1);
    assert.deepEqual(r.pending, []);
  });

  it('a step added after the rollback ran (an apply answered after Ctrl-C) is undone at once', async () => {
    const logged: string[] = [];
    const r = new Rollback({ log: (l) => logged.push(l) });
    await r.run('interrupted');
    let undone = false;
    r.add('cpu-burn fault f9', async () => {
      undone = true;
    });
    await waitFor('the late step to be undone', () => undone, 2000);
    await waitFor('its line', () => logged.includes('undid: cpu-burn fault f9'), 2000);
    assert.match(logged.join('\n'), /cpu-burn fault f9 was put in place after the rollback had run/);
  });

  it('a step added while a run is under way is undone by that run', async () => {
    const r = new Rollback({ log: () => {} });
    let late: (() => void) | undefined;
    r.add('first', async () => {
      await new Promise((res) => setTimeout(res, 20));
    });
    r.add('adds another', () => {
      late = r.add('added mid-run', () => {});
    });
    const lines = await r.run('test');
    assert.ok(late);
    assert.deepEqual(lines, ['undid: adds another', 'undid: added mid-run', 'undid: first']);
  });

  it('a failing log does not stop the undoing', async () => {
    let undone = false;
    const r = new Rollback({ log: () => { throw new Error('EPIPE'); } });
    r.add('x', () => { undone = true; });
    assert.deepEqual(await r.run('test'), ['undid: x']);
    assert.ok(undone);
  });

  it('the function trap() returns puts back every listener it took over', () => {
    const events = [[process, 'uncaughtException'], [process, 'unhandledRejection'], [process, 'SIGINT'], [process, 'exit'], [process.stdout, 'error'], [process.stderr, 'error']] as const;
    const before = events.map(([e, n]) => e.rawListeners(n));
    const untrap = new Rollback({ log: () => {} }).trap(() => {});
    assert.equal(process.listenerCount('uncaughtException'), 1, 'only the trap listens while it is set');
    untrap();
    untrap();
    assert.deepEqual(events.map(([e, n]) => e.rawListeners(n)), before);
  });

  it('refuses a timeout that is not a positive number', () => {
    assert.throws(() => new Rollback({ timeoutMs: 0 }), /timeoutMs must be a positive number/);
    assert.throws(() => new Rollback({ timeoutMs: Number.NaN }), /timeoutMs must be a positive number/);
  });
});

/** The trap child (test/fixtures/drill-rollback/trap-child.ts) in one mode, once it printed "ready". */
async function trapChild(mode: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'trap-child.ts'), mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  mine.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d; });
  child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  await waitFor(`the ${mode} child to be ready`, () => /^ready$/m.test(stdout) || child.exitCode !== null);
  assert.match(stdout, /^ready$/m, `the child did not start: ${stderr}`);
  return { child, exited, out: () => stdout, err: () => stderr };
}

const ran = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('ran ')).map((l) => l.slice(4));

describe('Rollback.trap, in a child process', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: every step undone, newest first, then onSignal with the lines (which exits 4)`, async () => {
      const c = await trapChild('steps');
      c.child.kill(signal);
      const { code } = await c.exited;
      assert.equal(code, 4, c.err());
      assert.deepEqual(ran(c.out()), ['third', 'second', 'first']);
      const report = JSON.parse(c.out().split('\n').find((l) => l.startsWith('{'))!) as { signal: string; lines: string[] };
      assert.equal(report.signal, signal);
      assert.deepEqual(report.lines, ['FAILED to undo third (throws): the proxy was already gone', 'undid: second (async)', 'undid: first (sync)']);
      assert.match(c.err(), new RegExp(`sloctl: ${signal}: undoing what was put in place first \\(${signal} again to exit at once\\)`));
      assert.match(c.err(), /sloctl: undid: first \(sync\)/);
    });
  }

  it('a second signal while undoing exits at once with 128+n, naming what may be left', async (t) => {
    const c = await trapChild('hang');
    c.child.kill('SIGINT');
    await waitFor('the stuck step to start', () => ran(c.out()).includes('stuck'));
    const t0 = performance.now();
    c.child.kill('SIGTERM');
    const { code } = await c.exited;
    const ms = performance.now() - t0;
    assert.equal(code, 143, c.err());
    assert.match(c.err(), /sloctl: SIGTERM again: exiting now \(143\); not undone \(or not finished\): stuck; second \(async\); first \(sync\)\. These may be left in place/);
    assert.deepEqual(ran(c.out()), ['stuck'], 'nothing else ran after the second signal');
    assert.ok(ms < 2000, `exited ${ms.toFixed(0)} ms after the second signal`);
    t.diagnostic(`exited ${ms.toFixed(0)} ms after the second signal`);
  });

  it('a step that hangs is given up after timeoutMs and the rest are undone', async () => {
    const c = await trapChild('timeout');
    c.child.kill('SIGTERM');
    const { code } = await c.exited;
    assert.equal(code, 4, c.err());
    assert.deepEqual(ran(c.out()), ['stuck', 'second', 'first']);
    assert.match(c.out(), /"FAILED to undo stuck: it did not finish within 300 ms; it may still be in place"/);
  });

  it('an uncaught exception: the steps are undone, the error printed in one line, exit 70', async () => {
    const c = await trapChild('throw');
    const { code } = await c.exited;
    assert.equal(code, 70, c.err());
    assert.deepEqual(ran(c.out()), ['third', 'second', 'first']);
    assert.match(c.err(), /sloctl: internal error, a bug in sloctl and not a verdict: Error: boom \(run again with SLOCTL_DEBUG=1 for the stack\)/);
    assert.match(c.err(), /sloctl: undid: first \(sync\)/);
  });

  it('an unhandled rejection: the same, exit 70', async () => {
    const c = await trapChild('reject');
    const { code } = await c.exited;
    assert.equal(code, 70, c.err());
    assert.deepEqual(ran(c.out()), ['third', 'second', 'first']);
    assert.match(c.err(), /Error: rejected boom/);
  });

  it('with earlier error listeners (bin/sloctl.js\'s): the steps are undone first, then the error is handed to them', async () => {
    const c = await trapChild('handover');
    const { code } = await c.exited;
    assert.equal(code, 70, c.err());
    const lines = c.out().split('\n').filter((l) => l.startsWith('ran ') || l.startsWith('previous'));
    assert.deepEqual(lines, ['ran third', 'ran second', 'ran first', 'previous crash handler: boom']);
  });

  it('stderr failing mid-drill (EPIPE: the reader of 2>&1 | tee was stopped): the steps are undone before bin/sloctl.js\'s quiet exit, which says 4', async () => {
    const c = await trapChild('epipe');
    c.child.stderr!.destroy();
    const { code } = await c.exited;
    const lines = c.out().split('\n').filter((l) => l.startsWith('ran ') || l.startsWith('previous'));
    assert.deepEqual(lines, ['ran third', 'ran second', 'ran first', 'previous stream handler: EPIPE, exit code 4']);
    assert.equal(code, 4);
  });

  it('stderr failing with nobody listening for it (the CLI run from the sources): the steps are undone, exit 4', async () => {
    const c = await trapChild('epipe-bare');
    c.child.stderr!.destroy();
    const { code } = await c.exited;
    assert.deepEqual(ran(c.out()), ['third', 'second', 'first']);
    assert.equal(code, 4);
  });

  it('an error sloctl raised on purpose that escaped: its own exit code (a target failure: 3) and its message', async () => {
    const c = await trapChild('sloctl');
    const { code } = await c.exited;
    assert.equal(code, 3, c.err());
    assert.deepEqual(ran(c.out()), ['third', 'second', 'first']);
    assert.match(c.err(), /^sloctl: the target died \(exit code 1\)$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real service: test/fixtures/drill-rollback/service.ts (the SDK's drill endpoint on,
// faults capped at 4 s), its dependency (a stand-in in this process), a fault proxy in front of it.

const TOKEN = 'drill-rollback-token-0123456789abcdef';
/** The service's cap on any in-process fault (DRILL_MAX_MS): what a killed sloctl leaves lasts no longer. */
const MAX_FAULT_MS = 4000;
/** A GET /fast slower than this is held by an event-loop block (300 ms every 400 ms: held 250 ms or more); unloaded it takes 1-5 ms. */
const NORMAL_MS = 150;
/** A stretch of requests this long with none slow: no block is in place (the blocks leave 100 ms gaps). */
const WINDOW_MS = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  return isLive(readProcStat(pid));
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The inventory stand-in: GET /item answers at once. */
async function startDependency(): Promise<{ server: Server; hostPort: string; url: string }> {
  const server = createServer((_req, res) => res.end('item'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, hostPort: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/` };
}

interface Service {
  child: ChildProcess;
  url: string;
  pid: number;
  output: () => string;
}

/** The fixture service, attached to (the test runs it), its dependency at `inventoryUrl`. */
async function startService(inventoryUrl: string, maxFaultMs = MAX_FAULT_MS): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'service.ts'], {
    cwd: FIXTURES,
    env: { ...process.env, PORT: '0', INVENTORY_URL: inventoryUrl, SLOCTL_DRILL_TOKEN: TOKEN, DRILL_MAX_MS: String(maxFaultMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mine.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d; });
  child.stderr!.on('data', (d: Buffer) => { output += d; });
  await waitFor('the service to listen', () => /^listening on \d+$/m.test(output) || child.exitCode !== null, 30_000);
  const m = /^listening on (\d+)$/m.exec(output);
  assert.ok(m, `the service did not start: ${output}`);
  return { child, url: `http://127.0.0.1:${m[1]}`, pid: child.pid!, output: () => output };
}

/** Whether nothing listens on 127.0.0.1:port any more (a connection is refused). */
function refused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => res(e.code === 'ECONNREFUSED'));
  });
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await request(url, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  await r.body.text();
  return performance.now() - t0;
}

/**
 * The epoch ms from which the service answers GET /fast straight away again: the start of the
 * first WINDOW_MS of sequential requests none of which took NORMAL_MS or more. A block in place
 * holds the first request that lands in it ~300 ms, so windows fail until the last block ended.
 */
async function normalFrom(url: string, timeoutMs: number): Promise<{ at: number; slowest: number; windows: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let windows = 1; ; windows++) {
    const at = Date.now();
    let slowest = 0;
    while (Date.now() - at < WINDOW_MS && slowest < NORMAL_MS) {
      slowest = Math.max(slowest, await timed(`${url}/fast`));
      await sleep(10);
    }
    if (slowest < NORMAL_MS) return { at, slowest, windows };
    if (Date.now() > deadline) assert.fail(`GET /fast was still slow (${slowest.toFixed(0)} ms) ${timeoutMs} ms after the kill`);
  }
}

async function active(client: DrillClient): Promise<FaultState[]> {
  return (await client.list()).faults.filter((f) => f.active);
}

describe('the harness: Rollback, FaultProxies and DrillClient against the fixture service, without sloctl drill', () => {
  let dep: Awaited<ReturnType<typeof startDependency>>;
  let proxyPort: number;
  let svc: Service;
  let client: DrillClient;
  before(async () => {
    dep = await startDependency();
    proxyPort = await freePort();
    svc = await startService(`http://127.0.0.1:${proxyPort}/`);
    client = new DrillClient({ url: svc.url, token: TOKEN });
  });
  after(() => {
    svc?.child.kill('SIGKILL');
    dep?.server.close();
  });

  /** mini-drill.ts, once both faults are in place (checked from outside, not only from its word). */
  async function miniDrill() {
    const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'mini-drill.ts'), svc.url, `127.0.0.1:${proxyPort}`, dep.hostPort], {
      cwd: REPO, env: { ...process.env, SLOCTL_DRILL_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    mine.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; });
    child.stderr!.on('data', (d: Buffer) => { err += d; });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
    await waitFor('the mini drill to apply its faults', () => out.includes('"applied"') || child.exitCode !== null, 30_000);
    const applied = (JSON.parse(out.split('\n')[0]) as { applied: FaultState }).applied;
    assert.equal(applied.durationMs, MAX_FAULT_MS, 'the service capped the 60 s asked for');
    assert.deepEqual((await active(client)).map((f) => f.id), [applied.id]);
    const through = await timed(`${svc.url}/work`);
    assert.ok(through >= 290, `GET /work through the proxy's latency toxic took ${through.toFixed(0)} ms`);
    return { child, exited, applied, out: () => out, err: () => err };
  }

  it('SIGINT: both faults undone before it exits 4: no active fault, the proxy gone, /fast straight through', async (t) => {
    const d = await miniDrill();
    const t0 = performance.now();
    d.child.kill('SIGINT');
    const { code } = await d.exited;
    const exitMs = performance.now() - t0;
    assert.equal(code, 4, d.err());
    assert.deepEqual(await active(client), [], 'no fault left in the service');
    assert.equal((await client.get(d.applied.id))?.ended, 'removed', 'removed by the rollback, not expired');
    assert.ok(Date.now() < Date.parse(d.applied.expiresAt), 'and before it would have expired');
    assert.ok(await refused(proxyPort), 'the proxy is closed');
    const report = JSON.parse(d.out().split('\n')[1]) as { signal: string; lines: string[] };
    assert.deepEqual(report.lines, [`undid: the in-process fault ${d.applied.id}`, 'undid: the latency toxic latency_downstream', `undid: the fault proxy inventory (127.0.0.1:${proxyPort})`]);
    const n = await normalFrom(svc.url, 1000);
    assert.equal(n.windows, 1, 'the first window after the exit was already normal');
    t.diagnostic(`exited ${exitMs.toFixed(0)} ms after SIGINT; slowest /fast right after: ${n.slowest.toFixed(1)} ms`);
  });

  it('kill -9: the in-process fault expires by itself at its 4 s cap, not before; nothing of the drill listens', async (t) => {
    const d = await miniDrill();
    d.child.kill('SIGKILL');
    await d.exited;
    const killedAt = Date.now();
    assert.deepEqual((await active(client)).map((f) => f.id), [d.applied.id], 'the fault outlives the runner');
    assert.ok(await refused(proxyPort), 'the proxy died with it');
    const expiresAt = Date.parse(d.applied.expiresAt);
    const n = await normalFrom(svc.url, MAX_FAULT_MS + 3000);
    assert.ok(n.at >= expiresAt - 150, `normal ${expiresAt - n.at} ms before the fault was due to end: it was not in place`);
    assert.ok(n.at <= expiresAt + 1500, `still blocked ${n.at - expiresAt} ms after the fault's end`);
    assert.deepEqual(await active(client), []);
    assert.equal((await client.get(d.applied.id))?.ended, 'expired');
    t.diagnostic(`killed ${expiresAt - killedAt} ms before the fault's end; straight through from ${n.at - expiresAt} ms after it (${n.windows} probe windows)`);
  });
});

// ---------------------------------------------------------------------------------------------
// `sloctl drill` itself, as its own process (so it can be signalled and killed), mid-fault.

const SLOCTL = join(REPO, 'test/fixtures/gate/sloctl.ts');
const DRILL_CLI = join(REPO, 'src/cli/drill.ts');

interface JournalEvent {
  event: string;
  [k: string]: unknown;
}
function events(path: string): JournalEvent[] {
  return read(path).split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as JournalEvent);
}

/** A copy of the fixture contract in a fresh directory: the dependency at `inventoryUrl`, the target run from the fixtures. */
function contractCopy(inventoryUrl: string, targetEnv: Record<string, string> = {}): { dir: string; file: string; journal: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-drill-rollback-'));
  dirs.push(dir);
  const file = join(dir, 'slo.yaml');
  const text = read(join(FIXTURES, 'slo.yaml'))
    .replace('url: "http://127.0.0.1:9/"', `url: ${JSON.stringify(inventoryUrl)}`)
    .replace('  run: node --import tsx service.ts\n', `  run: node --import tsx service.ts\n  cwd: ${JSON.stringify(FIXTURES)}\n  env: ${JSON.stringify({ DRILL_MAX_MS: String(MAX_FAULT_MS), ...targetEnv })}\n`);
  assert.ok(text.includes(inventoryUrl) && text.includes('  cwd: '), 'the fixture contract changed: update contractCopy');
  writeFileSync(file, text);
  return { dir, file, journal: join(dir, 'journal.jsonl') };
}

interface Drill {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out: () => string;
  err: () => string;
  journal: string;
  dir: string;
}

/** `sloctl drill FILE ...args` as a child process, progress on (its rollback lines go to stderr). */
function sloctlDrill(file: string, journal: string, args: string[], env: Record<string, string> = {}): Drill {
  const child = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'drill', file, '--steady', '1s', '--journal', journal, ...args], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  mine.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; });
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  return { child, exited, out: () => out, err: () => err, journal, dir: resolve(journal, '..') };
}

/** Waits for the journal to say the fault is applied; fails early, with the output, if sloctl exited. */
async function untilFaultApplied(d: Drill, drill: string): Promise<void> {
  await waitFor(`${drill}'s fault to be applied (journal)`, () => d.child.exitCode !== null || events(d.journal).some((e) => e.event === 'drill-phase' && e.drill === drill && e.phase === 'fault-applied'), 60_000, 25);
  assert.equal(d.child.exitCode, null, `sloctl drill exited before the fault was applied:\n${d.err()}\n${d.out()}`);
}

/** The started target, from the journal and its log: pgid, watchdog, the service's pid and its marker (SLOCTL_TARGET_ID=...). */
async function startedTarget(d: Drill) {
  const ready = events(d.journal).find((e) => e.event === 'target-ready');
  assert.ok(ready, 'target-ready is in the journal');
  const pgid = ready.pid as number;
  const watchdog = ready.watchdog as number;
  const log = join(d.dir, 'target.log');
  await waitFor('the service to print its pid', () => /^pid \d+$/m.test(read(log)));
  const pid = Number(/^pid (\d+)$/m.exec(read(log))![1]);
  const environ = read(`/proc/${pid}/environ`).split('\0');
  const marker = environ.find((v) => v.startsWith(`${MARKER_VARIABLE}=`));
  assert.ok(marker, `the service carries ${MARKER_VARIABLE}`);
  assert.ok(alive(pid) && alive(watchdog) && groupMembers(pgid).length > 0);
  return { pgid, watchdog, pid, marker, url: ready.url as string };
}

/** Nothing of the started target is left: its group, anything carrying its marker, its watchdog. */
function leftOf(t: { pgid: number; watchdog: number; marker: string }): string[] {
  const procs = targetProcesses(t.pgid, t.marker) ?? [];
  return [...procs.map((p) => `PID ${p.pid} (${processCommand(p.pid) ?? "?"})`), ...(alive(t.watchdog) ? [`the watchdog PID ${t.watchdog}`] : [])];
}

// Two at a time: each test spends most of its ~6-10 s waiting (for the fault, for a grace period,
// for a cap to expire), and their bounds are seconds wide; one at a time the block took a minute of CI.
describe('sloctl drill, interrupted mid-fault', { concurrency: 2, skip: existsSync(DRILL_CLI) ? false : 'src/cli/drill.ts is not there yet' }, () => {
  let dep: Awaited<ReturnType<typeof startDependency>>;
  before(async () => {
    dep = await startDependency();
  });
  after(() => dep?.server.close());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}, attached, mid event-loop-block: exits 4 with the fault removed (not expired) and its proxy closed`, async (t) => {
      const proxyPort = await freePort();
      const svc = await startService(`http://127.0.0.1:${proxyPort}/`);
      try {
        const client = new DrillClient({ url: svc.url, token: TOKEN });
        const { file, journal } = contractCopy(dep.url);
        const d = sloctlDrill(file, journal, ['--drill', 'loop-blocked', '--target', svc.url, '--proxy', `inventory=127.0.0.1:${proxyPort}`], { SLOCTL_DRILL_TOKEN: TOKEN });
        await untilFaultApplied(d, 'loop-blocked');
        const [fault] = await active(client);
        assert.ok(fault, 'the fault is in place in the service');
        const t0 = performance.now();
        d.child.kill(signal);
        const { code } = await d.exited;
        const exitMs = performance.now() - t0;
        assert.equal(code, 4, `${d.err()}\n${d.out()}`);
        assert.deepEqual(await active(client), [], 'no fault left in the service right after the exit');
        assert.equal((await client.get(fault.id))?.ended, 'removed', 'removed by sloctl, not expired');
        assert.ok(Date.now() < Date.parse(fault.expiresAt), 'before it would have expired');
        assert.ok(await refused(proxyPort), 'the fault proxy is closed');
        assert.match(d.err(), new RegExp(`undid: [^\\n]*${fault.id}`), 'the rollback said what it undid');
        const n = await normalFrom(svc.url, 1000);
        assert.equal(n.windows, 1, 'GET /fast straight through at once');
        t.diagnostic(`exit ${code} ${exitMs.toFixed(0)} ms after ${signal}; fault ${fault.id} removed ${Date.parse(fault.expiresAt) - Date.now()} ms before its expiry`);
      } finally {
        svc.child.kill('SIGKILL');
      }
    });

    it(`${signal}, target started by sloctl, mid proxy latency: exits 4 with the target, its group and its watchdog gone`, async (t) => {
      const { file, journal } = contractCopy(dep.url);
      const d = sloctlDrill(file, journal, ['--drill', 'inventory-slow']);
      await untilFaultApplied(d, 'inventory-slow');
      const target = await startedTarget(d);
      const slow = await timed(`${target.url}/work`);
      assert.ok(slow >= 290, `the latency toxic is in place: GET /work took ${slow.toFixed(0)} ms`);
      const t0 = performance.now();
      d.child.kill(signal);
      const { code } = await d.exited;
      const exitMs = performance.now() - t0;
      assert.equal(code, 4, `${d.err()}\n${d.out()}`);
      assert.deepEqual(leftOf(target), [], 'nothing of the target is left when sloctl has exited');
      const proxy = events(journal).find((e) => e.event === 'proxy')!;
      assert.ok(await refused(Number(String(proxy.listen).split(':').pop())), 'the fault proxy is closed');
      assert.match(d.err(), /undid: [^\n]*stop the target/);
      t.diagnostic(`exit ${code} ${exitMs.toFixed(0)} ms after ${signal}, target stopped`);
    });
  }

  it('SIGINT, started target that ignores SIGTERM: sloctl exits only once the target is gone (SIGKILL after the grace)', async (t) => {
    const { file, journal } = contractCopy(dep.url, { DRILL_IGNORE_TERM: '1' });
    const d = sloctlDrill(file, journal, ['--drill', 'inventory-slow']);
    await untilFaultApplied(d, 'inventory-slow');
    const target = await startedTarget(d);
    const t0 = performance.now();
    d.child.kill('SIGINT');
    const { code } = await d.exited;
    const exitMs = performance.now() - t0;
    assert.deepEqual(leftOf(target), [], 'nothing of the target is left when sloctl has exited');
    assert.match(read(join(d.dir, 'target.log')), /ignoring SIGTERM/);
    assert.equal(code, 4, `${d.err()}\n${d.out()}`);
    t.diagnostic(`exit ${code} ${exitMs.toFixed(0)} ms after SIGINT; rollback said: ${d.err().split('\n').filter((l) => /undid:|FAILED/.test(l)).join(' | ')}`);
  });

  // The exception: sloctl's stderr failing under it (EPIPE), as when the reader of
  // `sloctl drill ... 2>&1 | tee drill.log` is stopped with Ctrl-C while the fault is in place.
  // Node raises that as an error nobody handles: an uncaught exception at the next progress line.
  // (No honest way was found to make the runner itself throw mid-fault: its journal writes and
  // the scrapes it makes are guarded, and an environment hook would test the hook.)
  it('an exception mid-fault (stderr EPIPE at the next progress line), attached: the fault is removed, not left to expire; exit 4', async (t) => {
    const proxyPort = await freePort();
    // Faults capped at 15 s here: the next progress line comes up to 5 s after the fault is applied.
    const svc = await startService(`http://127.0.0.1:${proxyPort}/`, 15_000);
    try {
      const client = new DrillClient({ url: svc.url, token: TOKEN });
      const { file, journal } = contractCopy(dep.url);
      const d = sloctlDrill(file, journal, ['--drill', 'loop-blocked', '--target', svc.url, '--proxy', `inventory=127.0.0.1:${proxyPort}`], { SLOCTL_DRILL_TOKEN: TOKEN });
      await untilFaultApplied(d, 'loop-blocked');
      const [fault] = await active(client);
      assert.ok(fault, 'the fault is in place in the service');
      d.child.stderr!.destroy();
      const t0 = performance.now();
      const { code } = await d.exited;
      const ms = performance.now() - t0;
      assert.deepEqual(await active(client), [], 'no fault left in the service right after the exit');
      assert.equal((await client.get(fault.id))?.ended, 'removed', 'removed by sloctl, not expired');
      assert.ok(await refused(proxyPort), 'the fault proxy is closed');
      assert.equal(code, 4, `${d.out()}\n${read(journal)}`);
      assert.ok(events(journal).some((e) => e.event === 'rollback' && String(e.line).includes(fault.id)), 'the journal has the rollback line');
      t.diagnostic(`exit ${code} ${ms.toFixed(0)} ms after stderr was closed; the fault removed ${Date.parse(fault.expiresAt) - Date.now()} ms before its expiry`);
    } finally {
      svc.child.kill('SIGKILL');
    }
  });

  it('kill -9, attached, mid event-loop-block: the service goes straight through once the fault reaches its 4 s cap, not before', async (t) => {
    const proxyPort = await freePort();
    const svc = await startService(`http://127.0.0.1:${proxyPort}/`);
    try {
      const client = new DrillClient({ url: svc.url, token: TOKEN });
      const { file, journal } = contractCopy(dep.url);
      const d = sloctlDrill(file, journal, ['--drill', 'loop-blocked', '--target', svc.url, '--proxy', `inventory=127.0.0.1:${proxyPort}`], { SLOCTL_DRILL_TOKEN: TOKEN });
      await untilFaultApplied(d, 'loop-blocked');
      const [fault] = await active(client);
      assert.ok(fault, 'the fault is in place in the service');
      assert.equal(fault.durationMs, MAX_FAULT_MS, 'the 60 s drill was capped by the service');
      d.child.kill('SIGKILL');
      await d.exited;
      const killedAt = Date.now();
      assert.ok(await refused(proxyPort), 'the proxy died with sloctl');
      const expiresAt = Date.parse(fault.expiresAt);
      const n = await normalFrom(svc.url, MAX_FAULT_MS + 3000);
      assert.ok(n.at >= expiresAt - 150, `straight through ${expiresAt - n.at} ms before the fault was due to end: it was not in place`);
      assert.ok(n.at <= expiresAt + 1500, `still blocked ${n.at - expiresAt} ms after the fault's end`);
      assert.ok(n.at - killedAt <= MAX_FAULT_MS + 1500, `straight through ${n.at - killedAt} ms after the kill: more than the faults' maximum duration`);
      assert.deepEqual(await active(client), []);
      assert.equal((await client.get(fault.id))?.ended, 'expired', 'nobody removed it: it expired');
      t.diagnostic(`killed ${expiresAt - killedAt} ms before the fault's end; straight through ${n.at - killedAt} ms after the kill (${n.at - expiresAt} ms from its expiry)`);
    } finally {
      svc.child.kill('SIGKILL');
    }
  });

  it('kill -9, target started by sloctl, mid proxy latency: the target, its group and its watchdog are gone within 5 s', async (t) => {
    const { file, journal } = contractCopy(dep.url);
    const d = sloctlDrill(file, journal, ['--drill', 'inventory-slow']);
    await untilFaultApplied(d, 'inventory-slow');
    const target = await startedTarget(d);
    d.child.kill('SIGKILL');
    const { signal } = await d.exited;
    assert.equal(signal, 'SIGKILL');
    const ms = await waitFor('nothing of the target to be left', () => leftOf(target).length === 0, 5000, 25);
    const proxy = events(journal).find((e) => e.event === 'proxy')!;
    assert.ok(await refused(Number(String(proxy.listen).split(':').pop())), 'the fault proxy died with sloctl');
    assert.match(read(join(d.dir, 'target.log')), /\[sloctl watchdog\] sloctl went away/);
    t.diagnostic(`target group, marked processes and watchdog gone ${ms.toFixed(0)} ms after the kill`);
  });
});
