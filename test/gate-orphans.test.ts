// The target dies with sloctl, and the health the gate trusts is the target's (issue 15, item 1),
// and what it takes to stop a target is reported (item 7):
// - sloctl SIGKILLed mid-gate: the watchdog stops the target's process group (and a child that left
//   it with setsid) within 5 s, also when the target ignores SIGTERM;
// - a gate on a target.port another process holds refuses with exit 3 naming that PID;
// - the orphan-then-gate sequence (an old build still on the port, the new one's wrapper surviving
//   its failed bind with `|| sleep 120`) cannot PASS, neither when the orphan is there before the
//   start nor when it takes the port between the check and the target's bind;
// - a forced kill and a setsid escapee are named in the gate's output and the journal.
// Everything is checked by PID, through /proc (Linux).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { checkPortFree, decodeProcAddress, listenersOn } from '../src/run/port-owner.ts';
import { isLive, readProcStat } from '../src/run/proc-stat.ts';
import { groupMembers } from '../src/run/process-group.ts';
import { describeStop, startTarget, TargetError } from '../src/run/target.ts';

const REPO = resolve(import.meta.dirname, '..');
const FIXTURES = join(REPO, 'test/fixtures/gate');
const SLOCTL = join(FIXTURES, 'sloctl.ts');

// Processes the tests started; killed by PID at the end whatever happened.
const mine: number[] = [];
after(() => {
  for (const pid of mine) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

function alive(pid: number): boolean {
  return isLive(readProcStat(pid));
}

/** Polls `check` until it is true; fails with `what` at the deadline. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (check()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

interface Event {
  event: string;
  [k: string]: unknown;
}
function events(path: string): Event[] {
  return read(path).split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as Event);
}

/** A port that is free now (listen on 0, close). */
async function pickPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A contract in a fresh directory whose target is test/fixtures/gate/server.mjs. */
function contract(o: { run?: string; env?: Record<string, string>; port?: number; duration?: string } = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-orphans-'));
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: orphan-fixture }
target:
  run: ${JSON.stringify(o.run ?? 'node server.mjs')}
  cwd: ${JSON.stringify(FIXTURES)}
  env: ${JSON.stringify(o.env ?? {})}
${o.port !== undefined ? `  port: ${o.port}\n` : ''}  startTimeout: 20s
routes:
  - { name: work, method: GET, path: /work }
load:
  rate: 50/s
  duration: ${o.duration ?? '2s'}
  warmup: 1s
  connections: 4
  timeout: 2s
  mix: [{ route: work, weight: 1 }]
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
`);
  return { dir, file };
}

async function gate(args: string[], cwd: string) {
  const r = await runCli(['gate', ...args], cwd);
  return { ...r, all: r.stdout + r.stderr };
}

/** Starts a process that listens on 127.0.0.1:port (like a service left running), resolved once it does. */
async function holdPort(port: number): Promise<ChildProcess> {
  const holder = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('{"status":"UP"}')).listen(${port}, '127.0.0.1', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  mine.push(holder.pid!);
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    holder.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)));
  });
  return holder;
}

/** Runs a gate as its own process (so it can be SIGKILLed) and waits until its target is UP. */
async function gateUntilReady(env: Record<string, string>, detached = false) {
  const { dir, file } = contract({ env, duration: '60s' });
  const journal = join(dir, 'journal.jsonl');
  const sloctl = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'gate', file, '--journal', journal, '--no-progress'], { cwd: REPO, stdio: 'ignore', detached });
  mine.push(sloctl.pid!);
  const exited = new Promise<NodeJS.Signals | null>((r) => sloctl.once('exit', (_c, s) => r(s)));
  await waitFor('the target to be UP (target-ready in the journal)', () => events(journal).some((e) => e.event === 'target-ready'));
  const ready = events(journal).find((e) => e.event === 'target-ready')!;
  const pgid = ready.pid as number;
  const watchdog = ready.watchdog as number;
  const log = join(dir, 'target.log');
  const printed = (what: string) => {
    const m = new RegExp(`^${what} (\\d+)$`, 'm').exec(read(log));
    return m ? Number(m[1]) : undefined;
  };
  await waitFor('the fixture to print its pids', () => printed('pid') !== undefined && (env.FIXTURE_SETSID !== '1' || printed('escapee') !== undefined) && (env.FIXTURE_GRANDCHILD !== '1' || printed('grandchild') !== undefined));
  const pids = ['pid', 'escapee', 'grandchild'].map(printed).filter((p): p is number => p !== undefined);
  for (const p of pids) mine.push(p);
  return { sloctl, exited, pgid, watchdog, pids, log, journal };
}

describe('sloctl killed with SIGKILL mid-gate', () => {
  it('takes the target with it: its process group, a grandchild and a setsid escapee are gone within 5 s', async (t) => {
    const g = await gateUntilReady({ FIXTURE_GRANDCHILD: '1', FIXTURE_SETSID: '1' });
    assert.ok(groupMembers(g.pgid).length >= 3, `shell, service and grandchild run: ${groupMembers(g.pgid)}`);
    assert.equal(g.pids.length, 3);
    assert.ok(g.pids.every(alive), 'service, grandchild and escapee run');
    const escapee = readProcStat(g.pids[1])!;
    assert.notEqual(escapee.pgrp, g.pgid, 'the escapee left the group');
    assert.ok(alive(g.watchdog));

    g.sloctl.kill('SIGKILL');
    assert.equal(await g.exited, 'SIGKILL');
    const ms = await waitFor('the target to be gone', () => groupMembers(g.pgid).length === 0 && !g.pids.some(alive), 5000);
    t.diagnostic(`group and escapee gone ${ms.toFixed(0)} ms after sloctl was SIGKILLed`);
    await waitFor('the watchdog to exit', () => !alive(g.watchdog), 2000);
    assert.match(read(g.log), /\[sloctl watchdog\] sloctl went away \(exited or was killed\): stopping the target/);
  });

  it('also when its whole process group is SIGKILLed (a CI runner cancelling the job): the watchdog is not in it', async (t) => {
    const g = await gateUntilReady({ FIXTURE_GRANDCHILD: '1' }, true);
    assert.notEqual(readProcStat(g.watchdog)?.pgrp, g.sloctl.pid, 'the watchdog runs outside sloctl\'s group');
    process.kill(-g.sloctl.pid!, 'SIGKILL');
    assert.equal(await g.exited, 'SIGKILL');
    const ms = await waitFor('the target to be gone', () => groupMembers(g.pgid).length === 0 && !g.pids.some(alive), 5000);
    t.diagnostic(`group gone ${ms.toFixed(0)} ms after sloctl's process group was SIGKILLed`);
  });

  it('also when the target ignores SIGTERM: SIGKILL after the watchdog\'s 3 s grace, still within 5 s', async (t) => {
    const g = await gateUntilReady({ FIXTURE_GRANDCHILD: '1', FIXTURE_IGNORE_TERM: '1' });
    g.sloctl.kill('SIGKILL');
    await g.exited;
    const ms = await waitFor('the target to be gone', () => groupMembers(g.pgid).length === 0 && !g.pids.some(alive), 5000);
    t.diagnostic(`a SIGTERM-ignoring group gone ${ms.toFixed(0)} ms after sloctl was SIGKILLed`);
    assert.ok(ms >= 2500, `it had its grace first (${ms} ms)`);
    assert.match(read(g.log), /ignoring SIGTERM/);
    assert.match(read(g.log), /\[sloctl watchdog\] still running 3000 ms after SIGTERM: SIGKILL to pids/);
  });
});

describe('a fixed target.port', () => {
  it('held by another process: exit 3 naming its PID, before the target is started', async () => {
    const port = await pickPort();
    const holder = await holdPort(port);
    const { dir, file } = contract({ port, run: 'echo started; node server.mjs' });
    const r = await gate([file, '--no-progress', '--journal', 'j.jsonl'], dir);
    assert.equal(r.code, 3, r.all);
    assert.match(r.all, new RegExp(`target\\.port ${port} is already in use on 127\\.0\\.0\\.1 by PID ${holder.pid} \\(\`${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -e `));
    assert.match(r.all, new RegExp(`Stop it \\(\`kill ${holder.pid}\`\\), or pick another target\\.port`));
    const failed = events(join(dir, 'j.jsonl')).find((e) => e.event === 'target-failed');
    assert.equal(failed?.kind, 'port-busy');
    assert.ok(!existsSync(join(dir, 'j.target.log')), 'the target command never ran (it would have logged "started")');
    holder.kill('SIGKILL');
  });

  it('the orphan-then-gate sequence cannot PASS: the old build on the port is named, the new one never starts', async () => {
    const port = await pickPort();
    // The old build, left running by a gate that died before the watchdog existed: its own group.
    const orphanLog = join(mkdtempSync(join(tmpdir(), 'sloctl-orphan-')), 'orphan.log');
    writeFileSync(orphanLog, '');
    const orphan = spawn('sh', ['-c', `node server.mjs >> ${JSON.stringify(orphanLog)} 2>&1`], { cwd: FIXTURES, env: { ...process.env, PORT: String(port) }, detached: true, stdio: 'ignore' });
    mine.push(orphan.pid!);
    await waitFor('the orphan to listen', () => /^listening on/m.test(read(orphanLog)));
    const orphanService = Number(/^pid (\d+)$/m.exec(read(orphanLog))![1]);
    mine.push(orphanService);
    // The new build: its bind fails, and its wrapper would keep the group alive.
    const { dir, file } = contract({ port, run: 'node server.mjs || sleep 120' });
    const r = await gate([file, '--no-progress', '--json', '--journal', 'j.jsonl'], dir);
    assert.equal(r.code, 3, r.all);
    const report = JSON.parse(r.stdout) as { outcome: string; reasons: string[] };
    assert.equal(report.outcome, 'target-failed');
    assert.match(report.reasons[0], new RegExp(`by PID ${orphanService} \\(\`node server\\.mjs\`\\)`));
    assert.ok(alive(orphanService), 'sloctl does not kill what it did not start');
    process.kill(-orphan.pid!, 'SIGKILL');
  });

  it('taken between the check and the target\'s bind: the health of another process is refused, the surviving wrapper stopped', async () => {
    const port = await pickPort();
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-race-'));
    const go = join(dir, 'go');
    const logFile = join(dir, 'j.target.log');
    // The target waits for the test's go-ahead, then fails to bind and survives as `sleep 120`.
    const started = startTarget({
      command: `echo "pid $$"; while [ ! -e "$GO" ]; do sleep 0.02; done; node server.mjs || exec sleep 120`,
      cwd: FIXTURES,
      port,
      env: { GO: go },
      startTimeoutMs: 20_000,
      logFile,
    });
    started.catch(() => {});
    await waitFor('the target to start (after the port check)', () => /^pid \d+$/m.test(read(logFile)));
    const pgid = Number(/^pid (\d+)$/m.exec(read(logFile))![1]);
    // Another process (this test's) takes the port and answers UP.
    const foreign: Server = createServer((_q, s) => s.end('{"status":"UP"}'));
    await new Promise<void>((r) => foreign.listen(port, '127.0.0.1', r));
    try {
      writeFileSync(go, '');
      await assert.rejects(started, (e: unknown) => {
        assert.ok(e instanceof TargetError, String(e));
        assert.equal(e.kind, 'foreign-listener');
        assert.match(e.message, new RegExp(`^the service answering on port ${port} is not the target sloctl started: the socket listening there belongs to PID ${process.pid} `));
        return true;
      });
      assert.deepEqual(groupMembers(pgid), [], 'the wrapper (sleep 120) was stopped');
    } finally {
      foreign.closeAllConnections();
      await new Promise<void>((r) => foreign.close(() => r()));
    }
  });
});

describe('stopping the target is reported', () => {
  it('a forced kill and a setsid escapee are named in the output and the journal; the escapee is stopped', async () => {
    const { dir, file } = contract({ env: { FIXTURE_IGNORE_TERM: '1', FIXTURE_SETSID: '1' } });
    const r = await gate([file, '--json', '--journal', 'j.jsonl'], dir);
    assert.equal(r.code, 0, r.all);
    const escapee = Number(/^escapee (\d+)$/m.exec(read(join(dir, 'j.target.log')))![1]);
    const service = Number(/^pid (\d+)$/m.exec(read(join(dir, 'j.target.log')))![1]);
    mine.push(escapee, service);
    const report = JSON.parse(r.stdout) as { reasons: string[]; notes: string[] };
    const forced = new RegExp(`the target \`node server\\.mjs\` did not stop within 5s of SIGTERM: sloctl killed it with SIGKILL: PID ${service} \\(\`node server\\.mjs\`\\)`);
    const escaped = new RegExp(`left its process group \\(setsid\\) and would have outlived the gate: sloctl stopped PID ${escapee} `);
    // Notes beside the PASS, not reasons for it.
    assert.deepEqual(report.reasons, []);
    assert.ok(report.notes.some((x) => forced.test(x) && x.startsWith('the target')), report.notes.join('\n'));
    assert.ok(report.notes.some((x) => escaped.test(x)), report.notes.join('\n'));
    assert.match(r.stderr, forced, 'said as it happens too');
    const stopped = events(join(dir, 'j.jsonl')).find((e) => e.event === 'target-stopped')!;
    assert.equal(stopped.forced, true);
    assert.deepEqual((stopped.killed as Array<{ pid: number }>).map((k) => k.pid), [service]);
    assert.deepEqual(stopped.escaped, [{ pid: escapee, command: `${process.execPath} -e setInterval(() => {}, 1000)`, outcome: 'stopped' }]);
    assert.deepEqual(stopped.leftovers, []);
    assert.equal(alive(escapee), false);
    assert.equal(alive(service), false);
  });

  it('a target that stops on SIGTERM and keeps to its group adds nothing', async () => {
    const t = await startTarget({ command: 'node server.mjs', cwd: FIXTURES, startTimeoutMs: 20_000, logFile: join(mkdtempSync(join(tmpdir(), 'sloctl-clean-')), 'target.log') });
    assert.equal(t.listener.verified, true);
    const r = await t.stop();
    assert.deepEqual({ forced: r.forced, killed: r.killed, escaped: r.escaped, leftovers: r.leftovers }, { forced: false, killed: [], escaped: [], leftovers: [] });
    assert.deepEqual(describeStop(r, t.command), []);
    assert.equal(alive(t.watchdogPid), false, 'the watchdog exits once the target is stopped');
  });
});

describe('port owners from /proc', () => {
  it('decodes /proc/net/tcp addresses', () => {
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('00000000'), '0.0.0.0');
    assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
  });

  it('a free port is free; a held one names this process as its holder', async () => {
    const port = await pickPort();
    assert.deepEqual(await checkPortFree(port), { free: true });
    const s = createServer();
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    try {
      assert.deepEqual(listenersOn(port)?.map((l) => l.address), ['127.0.0.1']);
      const held = await checkPortFree(port);
      assert.equal(held.free, false);
      assert.ok(!held.free && held.code === 'EADDRINUSE' && held.holders !== undefined);
      assert.deepEqual(held.holders, [process.pid]);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});
