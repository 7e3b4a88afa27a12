// `sloctl accept`, interrupted mid-drill (SIGINT, as Ctrl-C or a CI runner's cancel): the fault and
// the proxies are undone, the target stopped; the gate phase that finished keeps its verdicts; the
// drills and every phase not reached are INCONCLUSIVE, named; exit 4.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AcceptReport } from '../src/accept/run.ts';

const REPO = resolve(import.meta.dirname, '..');
const SERVICE = join(REPO, 'test/fixtures/drill-service/service.ts');
const SLOCTL = join(REPO, 'test/fixtures/gate/sloctl.ts');

function events(path: string): Array<{ event: string; [k: string]: unknown }> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('sloctl accept, interrupted mid-drill', () => {
  let backend: Server | undefined;
  let child: ChildProcess | undefined;
  after(() => {
    backend?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('SIGINT: exit 4, the gate kept, the drill and the phases after it INCONCLUSIVE and named, nothing left running', { timeout: 120_000 }, async () => {
    backend = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', r));
    const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-accept-int-'));
    const file = join(dir, 'slo.yaml');
    const journal = join(dir, 'journal.jsonl');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: accept-interrupt, runtime: node }
target:
  run: ${JSON.stringify(`node --import tsx ${SERVICE}`)}
  cwd: ${JSON.stringify(REPO)}
  env: ${JSON.stringify({ CONTRACT: file })}
  startTimeout: 30s
routes:
  - { name: work, method: GET, path: /work, dependencies: [backend] }
dependencies:
  - { name: backend, url: ${JSON.stringify(backendUrl)}, timeout: 100ms }
load: { rate: 40/s, duration: 60s, warmup: 500ms, connections: 4, mix: [{ route: work, weight: 1 }] }
objectives:
  latency: [{ name: api, threshold: 1s, objective: 90% }]
  errors: { objective: 90% }
  resilience:
    drills:
      - { name: backend-slow, fault: latency, dependency: backend, delay: 50ms, duration: 60s, detectWithin: 30s, recoverWithin: 5s }
  observability: { hostileRequests: 100 }
`);
    child = spawn(process.execPath, ['--import', 'tsx', SLOCTL, 'accept', file, '--project', join(REPO, 'test/fixtures/drill-service'), '--steady', '1s', '--duration', '2s', '--trials', '1', '--json', '--journal', journal], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; });
    child.stderr!.on('data', (d: Buffer) => { err += d; });
    const exited = new Promise<number | null>((r) => child!.once('close', (code) => r(code)));
    // Poll the journal until the drill's fault is on the proxy (a condition, not a sleep).
    const deadline = Date.now() + 90_000;
    while (!events(journal).some((e) => e.event === 'drill-phase' && e.phase === 'fault-applied')) {
      assert.equal(child.exitCode, null, `accept exited before the fault was applied:\n${err}\n${out}`);
      assert.ok(Date.now() < deadline, `no fault applied within 90 s:\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 4, `${err}\n${out}`);
    const r = JSON.parse(out) as AcceptReport;
    assert.equal(r.outcome, 'inconclusive');
    assert.match(r.reasons[0]!, /^interrupted/);
    const row = (c: string) => r.contracts.find((x) => x.contract === c)!;
    // What finished is kept: the gate phase judged latency and errors before the drills began.
    assert.ok(r.gate && r.gate.verdicts.some((v) => v.contract === 'latency'), 'the gate report is kept');
    assert.notEqual(row('latency').outcome, 'not-judged');
    assert.equal(row("resilience").outcome, "inconclusive", JSON.stringify({ row: row("resilience"), drills: r.drills?.outcome, reasons: r.drills?.reasons, v: r.drills?.drills.map((d) => [d.name, d.outcome, d.reasons]) }));
    assert.equal(row('observability').outcome, 'inconclusive');
    assert.match(row('observability').reason, /observability phase did not run: interrupted/);
    assert.ok(r.phases.some((p) => p.phase === 'dependency timeouts' && /not run: interrupted/.test(p.result)), JSON.stringify(r.phases));
    // Undone: the fault's toxic, the proxy, the target (its process gone).
    const ev = events(journal);
    const undone = ev.filter((e) => e.event === 'rollback').map((e) => String(e.line)).join('\n');
    assert.match(undone, /remove the fault proxy drill-backend/);
    assert.match(undone, /stop the target/);
    const pid = ev.find((e) => e.event === 'target-ready' && typeof e.pid === 'number')!.pid as number;
    assert.equal(alive(pid), false, `the target (PID ${pid}) is still running`);
  });
});
