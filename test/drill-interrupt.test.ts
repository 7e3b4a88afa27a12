// `sloctl drill` interrupted mid-fault, on a stand-in service written for each case (plain node:http,
// no SDK: it starts at once and does exactly what the case needs), as its own process so it can be
// signalled:
// - a service that, told to stop, closes its connections at once but takes 2.5 s to exit: the
//   health prober sees it refuse while the rollback stops it. That is the undoing, not a target
//   failure: exit 4 (INCONCLUSIVE), never 3. (Before the prober was stopped first, 3 refused probes,
//   0.75 s, made every such run exit 3.)
// - a service whose drill endpoint will not remove the fault: the rollback says FAILED, and the
//   verdict says the fault may still be in place (before, the undo step swallowed the error and
//   the journal read "undid").
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const REPO = resolve(import.meta.dirname, '..');
const SLOCTL = join(REPO, 'test/fixtures/gate/sloctl.ts');

// The stand-in: /healthz UP, /fast, and the drill endpoint (/.sloctl/drill) answering as the SDK's
// does (the sloctl-drill header, FaultState bodies). DELETE_FAILS=1: removing a fault answers 500.
// LINGER=1: on SIGTERM it stops listening, drops every connection, and exits 2.5 s later.
const SERVICE = `
import { createServer } from 'node:http';
const faults = new Map();
const json = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json', 'sloctl-drill': '1' }); res.end(JSON.stringify(body)); };
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz') { res.setHeader('content-type', 'application/json'); res.end('{"status":"UP"}'); return; }
  if (url.pathname === '/fast') { res.end('ok'); return; }
  if (url.pathname.startsWith('/.sloctl/drill')) {
    if (req.headers.authorization !== 'Bearer ' + process.env.SLOCTL_DRILL_TOKEN) return json(res, 401, { error: 'unauthorized', code: 'SLOCTL_DRILL_UNAUTHORIZED' });
    const id = url.pathname.split('/')[3];
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.method === 'POST' && !id) {
        const a = JSON.parse(body);
        const f = { id: 'f' + (faults.size + 1), fault: a.fault, params: a.params, startedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + a.durationMs).toISOString(), durationMs: a.durationMs, active: true, counters: {} };
        faults.set(f.id, f);
        return json(res, 201, f);
      }
      if (req.method === 'GET' && !id) return json(res, 200, { faults: [...faults.values()], available: ['event-loop-block'], defaultDurationMs: 60000, maxDurationMs: 300000 });
      if (req.method === 'DELETE' && id) {
        if (process.env.DELETE_FAILS === '1') return json(res, 500, { error: 'the fault is stuck', code: 'SLOCTL_DRILL_BAD_REQUEST' });
        const f = faults.get(id);
        if (!f) return json(res, 404, { error: 'no such fault', code: 'SLOCTL_DRILL_NO_SUCH_FAULT' });
        faults.delete(id);
        return json(res, 200, { ...f, active: false, ended: 'removed' });
      }
      json(res, 400, { error: 'bad request', code: 'SLOCTL_DRILL_BAD_REQUEST' });
    });
    return;
  }
  res.statusCode = 404; res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  if (process.env.LINGER !== '1') process.exit(0);
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2500);
});
`;

const dirs: string[] = [];
const mine: ChildProcess[] = [];
after(() => {
  for (const c of mine) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(env: Record<string, string>): { file: string; journal: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-drill-interrupt-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'service.mjs'), SERVICE);
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: stand-in, runtime: node }
target:
  run: node service.mjs
  env: ${JSON.stringify(env)}
  startTimeout: 20s
routes:
  - { name: fast, method: GET, path: /fast }
load:
  rate: 20/s
  duration: 60s
  connections: 4
  timeout: 2s
  mix: [{ route: fast, weight: 1 }]
objectives:
  latency:
    - { name: api, threshold: 500ms, objective: 90% }
  errors: { objective: 90% }
  resilience:
    drills:
      - { name: loop-blocked, fault: event-loop-block, delay: 100ms, duration: 60s, detectWithin: 30s, recoverWithin: 5s }
`);
  return { file, journal: join(dir, 'journal.jsonl') };
}

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  out: () => string;
  err: () => string;
}

function drill(file: string, journal: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'drill', file, '--steady', '1s', '--warmup', '0', '--json', '--journal', journal], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  mine.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; });
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  return { child, exited: new Promise((r) => child.once('close', (code) => r(code))), out: () => out, err: () => err };
}

function events(path: string): Array<{ event: string; [k: string]: unknown }> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
}

/** Polls the journal until the fault is applied (deadline 60 s; fails early if sloctl exited). */
async function untilApplied(r: Run, journal: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (events(journal).some((e) => e.event === 'drill-phase' && e.phase === 'fault-applied')) return;
    assert.equal(r.child.exitCode, null, `sloctl drill exited before the fault was applied:\n${r.err()}\n${r.out()}`);
    assert.ok(Date.now() < deadline, `no fault applied within 60 s:\n${r.err()}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('sloctl drill, interrupted mid-fault (stand-in service)', () => {
  it('SIGINT while the started target takes 2.5 s to exit, refusing connections: exit 4, not 3', async () => {
    const { file, journal } = setup({ LINGER: '1' });
    const r = drill(file, journal);
    await untilApplied(r, journal);
    r.child.kill('SIGINT');
    const code = await r.exited;
    const ev = events(journal);
    assert.equal(code, 4, `${r.err()}\n${r.out()}`);
    assert.equal(ev.find((e) => e.event === 'target-failed'), undefined, 'no target failure journaled');
    const lines = (ev.find((e) => e.event === 'signal')?.undone ?? []) as string[];
    // The prober stopped before the target: newest first.
    const watch = lines.findIndex((l) => l.includes('watching the target'));
    const target = lines.findIndex((l) => l.includes('stop the target'));
    assert.ok(watch >= 0 && target > watch, lines.join('\n'));
    assert.ok(lines.every((l) => l.startsWith('undid:')), lines.join('\n'));
    const report = JSON.parse(r.out()) as { outcome: string };
    assert.equal(report.outcome, 'inconclusive');
  });

  it('SIGINT when the service will not remove the fault: the rollback says FAILED and the verdict says it may still be in place', async () => {
    const { file, journal } = setup({ DELETE_FAILS: '1' });
    const r = drill(file, journal);
    await untilApplied(r, journal);
    r.child.kill('SIGINT');
    const code = await r.exited;
    assert.equal(code, 4, `${r.err()}\n${r.out()}`);
    const lines = (events(journal).find((e) => e.event === 'signal')?.undone ?? []) as string[];
    assert.match(lines.join('\n'), /^FAILED to undo remove the in-process fault event-loop-block \(f1\): DELETE http:\/\/127\.0\.0\.1:\d+\/\.sloctl\/drill\/f1: the fault is stuck$/m);
    const report = JSON.parse(r.out()) as { reasons: string[]; drills: Array<{ removed: { ok: boolean; detail: string }; reasons: string[] }> };
    assert.equal(report.drills[0].removed.ok, false, JSON.stringify(report.drills[0]));
    assert.match(report.drills[0].reasons.join('\n'), /the fault was still in place after removal: FAILED to undo remove the in-process fault/);
    assert.equal(report.reasons.filter((l) => /sloctl could not undo everything: FAILED to undo remove the in-process fault/.test(l)).length, 1, report.reasons.join('\n'));
  });
});
