// The service under test as real child processes (test/fixtures/gate/server.mjs): started in its
// own process group and awaited until UP; a command that exits at once fails fast with its log; a
// target that never says UP times out; a target killed mid-run is noticed by its exit and by the
// health watcher; stop() ends the whole tree, grandchildren included, checked by PID.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/exit.ts';
import { probeHealth } from '../src/run/health.ts';
import { groupMembers } from '../src/run/process-group.ts';
import { attachTarget, HealthWatcher, startTarget, TargetError, type RunningTarget, type StartTargetOptions } from '../src/run/target.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/gate/', import.meta.url));
const logDir = mkdtempSync(join(tmpdir(), 'sloctl-target-'));
let logs = 0;

const started: RunningTarget[] = [];
after(async () => {
  for (const t of started) await t.stop(500);
});

async function start(over: Partial<StartTargetOptions> = {}): Promise<RunningTarget> {
  const t = await startTarget({ command: 'node server.mjs', cwd: FIXTURES, startTimeoutMs: 20_000, logFile: join(logDir, `t${++logs}`, 'target.log'), ...over });
  started.push(t);
  return t;
}

async function startFails(over: Partial<StartTargetOptions>): Promise<{ error: TargetError; ms: number }> {
  const t0 = performance.now();
  try {
    await start(over);
  } catch (e) {
    assert.ok(e instanceof TargetError, String(e));
    return { error: e, ms: performance.now() - t0 };
  }
  assert.fail('the start should have failed');
}

/** Alive and not a zombie (a zombie is dead, only not yet reaped by a parent that may never do it). */
function alive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs the fixture printed ("pid 123", "grandchild 456"). */
function printed(t: RunningTarget, what: 'pid' | 'grandchild'): number {
  const m = new RegExp(`^${what} (\\d+)$`, 'm').exec(t.logTail(50));
  assert.ok(m, `the fixture printed its ${what}:\n${t.logTail(50)}`);
  return Number(m[1]);
}

describe('startTarget', () => {
  it('starts the run command with PORT, waits until healthy, and stops it', async () => {
    const t = await start();
    assert.match(t.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(t.url, `http://127.0.0.1:${t.port}`);
    assert.equal(t.healthUrl, `${t.url}/healthz`);
    assert.ok(t.isAlive());
    assert.ok(t.readyMs > 0);
    assert.equal((await probeHealth(t.healthUrl, 2000)).state, 'up');
    assert.match(t.logTail(), new RegExp(`^listening on ${t.port}$`, 'm'));
    // The shell leads its own process group: the group id is its pid.
    assert.ok(groupMembers(t.pid).includes(t.pid));
    const r = await t.stop();
    assert.equal(r.forced, false);
    assert.deepEqual(r.leftovers, []);
    assert.equal(t.isAlive(), false);
    assert.ok((await t.exited).signal !== null || (await t.exited).code !== null);
  });

  it('uses the port it is given, and the contract env', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const t = await start({ port, command: 'echo "greeting=$GREETING"; node server.mjs', env: { GREETING: 'hello', PORT: '1' } });
    assert.equal(t.port, port);
    assert.equal(t.url, `http://127.0.0.1:${port}`);
    assert.match(t.logTail(), /^greeting=hello$/m);
    await t.stop();
  });

  it('a command that exits at once fails fast as "exited", with its exit code and the log tail', async () => {
    const { error, ms } = await startFails({ env: { FIXTURE_MODE: 'exit' }, startTimeoutMs: 20_000 });
    assert.equal(error.kind, 'exited');
    assert.ok(ms < 10_000, `gave up after ${ms} ms, not at the 20 s timeout`);
    assert.deepEqual(error.exit, { code: 3, signal: null });
    assert.match(error.message, /^the target `node server\.mjs` \(in .+\) exited with code 3 after \S+, before http:\/\/127\.0\.0\.1:\d+\/healthz said UP$/m);
    assert.match(error.message, /^ {2}\| fixture: cannot start: configured to fail$/m);
    assert.match(error.message, /Run it yourself \(PORT=\d+ node server\.mjs\)/);
    assert.match(error.logTail!, /configured to fail/);
  });

  it('a command the shell cannot find says so', async () => {
    const { error } = await startFails({ command: 'sloctl-no-such-command-xyz' });
    assert.equal(error.kind, 'exited');
    assert.match(error.message, /exited with code 127 \(the shell could not find the command\)/);
  });

  it('a missing working directory is a spawn error that names it', async () => {
    const { error } = await startFails({ cwd: join(FIXTURES, 'no-such-dir') });
    assert.equal(error.kind, 'spawn');
    assert.match(error.message, /the directory .*no-such-dir does not exist; fix target\.cwd/);
  });

  it('a target that answers but never says UP times out, saying what it answered', async () => {
    // 3 s: the fixture (plain node) must answer its 503 before the timeout, and this file runs
    // beside another timed one (scripts/test.mjs PAIRED).
    const { error, ms } = await startFails({ env: { FIXTURE_MODE: 'degraded' }, startTimeoutMs: 3000 });
    assert.equal(error.kind, 'start-timeout');
    assert.ok(ms >= 2900, `waited the timeout (${ms} ms)`);
    assert.match(error.message, /did not become healthy within 3s: http:\/\/127\.0\.0\.1:\d+\/healthz last answered 503 DEGRADED/);
    assert.match(error.message, /says it is not healthy/);
  });

  it('a target that never listens times out as never answering, and is not left running', async () => {
    const { error } = await startFails({ command: 'echo "pid $$"; exec node -e "setInterval(() => {}, 1000)"', startTimeoutMs: 800 });
    assert.equal(error.kind, 'start-timeout');
    assert.match(error.message, /never answered \(last: .*ECONNREFUSED.*\)/);
    assert.match(error.message, /listens on \$PORT \(\d+ here\)/);
    const pid = Number(/^pid (\d+)$/m.exec(error.logTail!)![1]);
    assert.equal(alive(pid), false, 'stopped before reporting');
  });

  it('an abort during the start stops the target and rejects with the reason', async () => {
    const ac = new AbortController();
    const p = start({ command: 'echo "pid $$"; exec node -e "setInterval(() => {}, 1000)"', signal: ac.signal });
    // Abort once the process exists (its log has its pid), not after a guessed delay.
    const logFile = join(logDir, `t${logs}`, 'target.log');
    await new Promise<void>((resolve) => {
      const check = () => {
        let text = '';
        try {
          text = readFileSync(logFile, 'utf8');
        } catch {
          /* not yet */
        }
        if (/^pid \d+$/m.test(text)) resolve();
        else setTimeout(check, 10); // no event says "the child has written its pid"
      };
      check();
    });
    const pid = Number(/^pid (\d+)$/m.exec(readFileSync(logFile, 'utf8'))![1]);
    ac.abort(new Error('interrupted by the test'));
    await assert.rejects(p, /interrupted by the test/);
    assert.equal(alive(pid), false);
  });
});

describe('a target killed mid-run', () => {
  it('resolves exited, calls onExit with a "died" error, and the health watcher notices', async () => {
    const t = await start({ command: 'node server.mjs; echo "shell saw the service end"' });
    const died = new Promise<TargetError>((resolve) => t.onExit((e) => resolve(e)));
    let sawUp: () => void = () => {};
    const up = new Promise<void>((resolve) => {
      sawUp = resolve;
    });
    const watcher = new HealthWatcher({ url: t.healthUrl, intervalMs: 50, timeoutMs: 1000, failuresToUnresponsive: 3, onProbe: (p) => p.state === 'up' && sawUp() });
    watcher.start();
    // Killed once the watcher has seen it UP.
    await up;
    process.kill(printed(t, 'pid'), 'SIGKILL');
    const exit = await t.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, 'the shell went on to its echo and ended normally');
    const error = await died;
    assert.equal(error.kind, 'died');
    assert.match(error.message, /^the target `node server\.mjs; echo "shell saw the service end"` exited with code 0 during the run/);
    assert.match(error.message, /shell saw the service end/);
    const unresponsive = await watcher.unresponsive;
    assert.equal(unresponsive.kind, 'unresponsive');
    assert.match(unresponsive.message, /3 health probes of http:\/\/127\.0\.0\.1:\d+\/healthz in a row got no answer/);
    await watcher.stop();
    const s = watcher.stats();
    assert.ok(s.counts.up >= 1 && s.counts.unreachable >= 3, JSON.stringify(s.counts));
    assert.ok(s.upShare > 0 && s.upShare < 1, `UP share ${s.upShare}`);
    assert.equal(t.isAlive(), false);
  });

  it('onExit is not called when the gate stops the target itself', async () => {
    const t = await start();
    let called = false;
    t.onExit(() => {
      called = true;
    });
    await t.stop();
    await new Promise((r) => setImmediate(r));
    assert.equal(called, false);
  });
});

describe('stop()', () => {
  it('ends the whole process group, grandchildren included, SIGKILL after the grace when SIGTERM is ignored', async () => {
    const t = await start({ command: 'node server.mjs; echo after', env: { FIXTURE_GRANDCHILD: '1', FIXTURE_IGNORE_TERM: '1' } });
    const pids = [t.pid, printed(t, 'pid'), printed(t, 'grandchild')];
    assert.ok(pids.every(alive), 'shell, service and grandchild run');
    const r = await t.stop(300);
    assert.equal(r.forced, true);
    assert.equal(r.graceMs, 300);
    // The shell died of SIGTERM; the service needed SIGKILL and is named (its grandchild too, unless
    // the SIGTERM came before the grandchild had set its handler).
    assert.ok(r.killed.some((k) => k.pid === pids[1]), JSON.stringify(r.killed));
    assert.ok(r.killed.every((k) => pids.includes(k.pid)), JSON.stringify(r.killed));
    assert.ok(r.killed.every((k) => k.command?.includes('node')), JSON.stringify(r.killed));
    assert.deepEqual(r.leftovers, []);
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} is gone`);
    assert.deepEqual(groupMembers(t.pid), []);
    assert.match(t.logTail(), /ignoring SIGTERM/);
  });

  it('a cooperative tree ends on SIGTERM alone; stop() twice is the same stop', async () => {
    const t = await start({ command: 'node server.mjs; echo after', env: { FIXTURE_GRANDCHILD: '1' } });
    const pids = [t.pid, printed(t, 'pid'), printed(t, 'grandchild')];
    const [a, b] = await Promise.all([t.stop(10_000), t.stop(10_000)]);
    assert.equal(a, b);
    assert.equal(a.forced, false);
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} is gone`);
  });
});

/** A local server whose /healthz answers whatever the test sets. */
async function healthServer(): Promise<{ url: string; set: (h: (req: IncomingMessage, res: ServerResponse) => void) => void; close: () => Promise<void> }> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    set: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const answer = (status: number, body: string, type = 'application/json') => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};

describe('the health rule', () => {
  it('UP is 2xx with status UP or no JSON status; DEGRADED is an answer but not UP; anything else is DOWN', async () => {
    const s = await healthServer();
    try {
      const cases: Array<[number, string, string, string?]> = [
        [200, '{"status":"UP"}', 'up'],
        [200, '{"status":"up","checks":[]}', 'up'],
        [200, 'OK', 'up', 'text/plain'],
        [204, '', 'up'],
        [200, '{"healthy":true}', 'up'],
        [503, '{"status":"DEGRADED"}', 'degraded'],
        [200, '{"status":"DEGRADED"}', 'degraded'],
        [503, '{"status":"DOWN"}', 'down'],
        [200, '{"status":"DOWN"}', 'down'],
        [503, '{"status":"UP"}', 'down'],
        [404, 'not found', 'down', 'text/plain'],
        [500, '', 'down'],
        [200, `{"status":"UP","pad":"${'x'.repeat(200_000)}"}`, 'up'],
      ];
      for (const [code, body, state, type] of cases) {
        s.set(answer(code, body, type));
        const p = await probeHealth(`${s.url}/healthz`, 2000);
        assert.equal(p.state, state, `${code} ${body.slice(0, 40)}`);
        assert.equal(p.statusCode, code);
      }
    } finally {
      await s.close();
    }
    const gone = await probeHealth(`${s.url}/healthz`, 2000);
    assert.equal(gone.state, 'unreachable');
    assert.match(gone.error!, /ECONNREFUSED/);
  });

  it('a probe that gets no answer in time is unreachable', async () => {
    const s = await healthServer();
    s.set(() => {
      /* never answers */
    });
    try {
      const p = await probeHealth(`${s.url}/healthz`, 150);
      assert.equal(p.state, 'unreachable');
      assert.equal(p.error, 'no answer in time');
    } finally {
      await s.close();
    }
  });
});

describe('HealthWatcher', () => {
  it('counts states, takes the UP share over time, and resets the share for the measured phase', async () => {
    const s = await healthServer();
    s.set(answer(200, '{"status":"UP"}'));
    const seen: string[] = [];
    let onProbe: () => void = () => {};
    const watcher = new HealthWatcher({ url: `${s.url}/healthz`, intervalMs: 20, onProbe: (p) => {
      seen.push(p.state);
      onProbe();
    } });
    const probesUntil = (n: number) => new Promise<void>((resolve) => {
      onProbe = () => {
        if (seen.length >= n) resolve();
      };
    });
    try {
      watcher.start();
      await probesUntil(4);
      assert.equal(watcher.lastUp, true);
      assert.equal(watcher.upShare, 1);
      s.set(answer(503, '{"status":"DEGRADED"}'));
      await probesUntil(seen.length + 4);
      assert.equal(watcher.lastUp, false);
      const mixed = watcher.stats();
      assert.ok(mixed.upShare > 0 && mixed.upShare < 1, `UP share ${mixed.upShare}`);
      assert.ok(mixed.counts.degraded >= 3);
      assert.equal(mixed.consecutiveFailures, 0, 'DEGRADED is an answer');
      watcher.resetShare();
      await probesUntil(seen.length + 3);
      const after = watcher.stats();
      assert.equal(after.upShare, 0, 'only DEGRADED since the reset');
      assert.equal(after.counts.up, 0);
    } finally {
      await watcher.stop();
      await s.close();
    }
    let unresponsive = false;
    void watcher.unresponsive.then(() => {
      unresponsive = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(unresponsive, false, 'answers, even unhealthy ones, are not silence');
  });
});

describe('HealthWatcher: a service that drained and exited', () => {
  it('says nothing listens any more and what its health said before, not that it may have hung or be overloaded', async () => {
    // kill -TERM of an SDK service during a gate: its health said DOWN "draining", then the
    // connections were refused; the gate said "it may have hung, or be too overloaded to answer".
    const s = await healthServer();
    s.set(answer(503, JSON.stringify({ status: 'DOWN', availability: 0.7, checks: { liveness: { status: 'DOWN', score: 0, weight: 0.3, reason: 'draining: the service is shutting down' }, latency: { status: 'UP' }, success: { status: 'UP' }, dependencies: { status: 'UP', details: {} } } })));
    let draining = 0;
    let closed: Promise<void> | undefined;
    const watcher = new HealthWatcher({ url: `${s.url}/healthz`, intervalMs: 20, timeoutMs: 1000, failuresToUnresponsive: 3, onProbe: (p) => {
      if (p.state === 'down' && ++draining === 2) closed = s.close();
    } });
    try {
      watcher.start();
      const e = await watcher.unresponsive;
      assert.match(e.message, /3 health probes of .* in a row got no answer \(last: did not answer \(.*ECONNREFUSED/);
      assert.match(e.message, /nothing listens there any more: the service closed its listener or exited, after its health said "liveness: draining: the service is shutting down"/);
      assert.doesNotMatch(e.message, /may have hung|overloaded/);
    } finally {
      await watcher.stop();
      await closed;
    }
  });
});

describe('attachTarget', () => {
  it('checks the URL and the health once: UP attaches, silence is unreachable, not UP is unhealthy, remote is refused', async () => {
    const s = await healthServer();
    try {
      s.set(answer(200, '{"status":"UP"}'));
      const a = await attachTarget(`${s.url}/?x=1`, '/healthz');
      assert.equal(a.url, s.url);
      assert.equal(a.healthUrl, `${s.url}/healthz`);
      assert.equal(a.health.state, 'up');
      s.set(answer(503, '{"status":"DOWN"}'));
      await assert.rejects(attachTarget(s.url, '/healthz'), (e: unknown) => e instanceof TargetError && e.kind === 'unhealthy' && /answered 503 DOWN/.test(e.message));
    } finally {
      await s.close();
    }
    await assert.rejects(attachTarget(s.url, '/healthz'), (e: unknown) => e instanceof TargetError && e.kind === 'unreachable' && /is not reachable: .*did not answer/.test(e.message));
    await assert.rejects(attachTarget('http://192.0.2.1:8080', '/healthz'), (e: unknown) => e instanceof UsageError && /not a loopback address/.test(e.message));
    // A URL without its scheme: the flag named, and the same address with http:// to write.
    await assert.rejects(attachTarget('127.0.0.1:8080', '/healthz'), (e: unknown) => e instanceof UsageError && e.message === '--target: cannot load "127.0.0.1:8080": not an absolute URL; write it like http://127.0.0.1:8080');
    await assert.rejects(attachTarget('nonsense', '/healthz', false, { from: 'target.url in slo.yaml' }), (e: unknown) => e instanceof UsageError && /^target\.url in slo\.yaml: cannot load "nonsense": not an absolute URL; write it like http:\/\/127\.0\.0\.1:8080 \(the service's base URL\)$/.test(e.message));
  });

  it('waits out a DEGRADED that only its windowed ratio checks cause (earlier requests), and no other', async () => {
    const s = await healthServer();
    // The SDK's body: success DOWN over the last 1.5 s of requests, for the first 3 probes; then UP.
    const degraded = (extra = '') => `{"status":"DEGRADED","checks":{"liveness":{"status":"UP"},"latency":{"status":"UP","requests":40,"windowMs":1500},"success":{"status":"DOWN","ratio":0.9,"objective":0.99,"requests":40,"windowMs":1500},"dependencies":{"status":"UP","details":{${extra}}}}}`;
    let probes = 0;
    try {
      s.set((_req, res) => {
        probes++;
        res.writeHead(probes <= 3 ? 503 : 200, { 'content-type': 'application/json' }).end(probes <= 3 ? degraded() : '{"status":"UP"}');
      });
      const said: string[] = [];
      const a = await attachTarget(s.url, '/healthz', false, { log: (m) => said.push(m) });
      assert.equal(a.health.state, 'up');
      assert.equal(probes, 4, 'probed until UP');
      assert.match(said.join('\n'), /the target says DEGRADED from its last 1s500ms of requests, before this run \(answered 503 DEGRADED, failing: success: .*\); waiting up to 2s500ms for that window to pass/);
      // A dependency down is not the past: refused at once, without waiting.
      probes = 0;
      s.set((_req, res) => {
        probes++;
        res.writeHead(503, { 'content-type': 'application/json' }).end(degraded('"db":{"status":"DOWN","critical":true}'));
      });
      await assert.rejects(attachTarget(s.url, '/healthz'), (e: unknown) => e instanceof TargetError && e.kind === 'unhealthy' && /DEGRADED/.test(e.message));
      assert.equal(probes, 1);
    } finally {
      await s.close();
    }
  });
});
