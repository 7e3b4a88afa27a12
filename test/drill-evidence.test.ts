// `sloctl drill` names the evidence the service's saturation monitor wrote during the run (issue 12,
// item 1: "Evidence files are listed on a guarded endpoint and named in the gate's and drill's
// reports"). The fixture service (test/fixtures/drill-service/service.ts, the SDK on node:http) is
// started by sloctl with a drill token; an in-process event-loop block pushes the event-loop delay
// over the contract's warn, the monitor writes a CPU profile, and every rendering names the file,
// which is on disk. The monitor's 5 s start-up grace is covered by the warm-up and steady window:
// the fault starts well after it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import type { DrillRunReport } from '../src/drill/run.ts';
import { renderDrillTable } from '../src/report/drill.ts';
import { DrillEndpoint } from '../src/sdk/drill/endpoint.ts';

const REPO = resolve(import.meta.dirname, '..');
const SERVICE = join(REPO, 'test/fixtures/drill-service/service.ts');

function contract(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-drill-evidence-'));
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: evidence-fixture, runtime: node }
target:
  run: ${JSON.stringify(`node --import tsx ${SERVICE}`)}
  cwd: ${JSON.stringify(REPO)}
  env: ${JSON.stringify({ CONTRACT: file, BREAKER: 'off' })}
  startTimeout: 30s
routes:
  - { name: fast, method: GET, path: /fast }
load:
  rate: 20/s
  duration: 5s
  warmup: 2s
  connections: 4
  timeout: 2s
  mix: [{ route: fast, weight: 1 }]
evidence: { dir: evidence, minInterval: 60s }
objectives:
  latency:
    - { name: api, threshold: 1s, objective: 90% }
  concurrency:
    eventLoopDelay: { warn: 50ms, critical: 5s }
  resilience:
    drills:
      - { name: loop-blocked, fault: event-loop-block, delay: 300ms, duration: 3s, detectWithin: 3s, recoverWithin: 3s }
`);
  return { dir, file };
}

describe('sloctl drill names the service\'s saturation evidence', () => {
  let run: { code: number; stdout: string; stderr: string };
  let dir: string;
  before(async () => {
    const c = contract();
    dir = c.dir;
    run = await runCli(['drill', c.file, '--steady', '2s', '--json', '--journal', 'j.jsonl', '--junit', 'junit.xml', '--markdown', 'drill.md'], dir);
  });

  it('lists the CPU profile the event-loop block made, in the evidence directory, in JSON, table, JUnit and Markdown', () => {
    assert.ok(run.code === 0 || run.code === 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as DrillRunReport;
    const evidence = report.evidence ?? [];
    const delay = evidence.filter((f) => f.signal === 'eventLoopDelay');
    assert.ok(delay.length >= 1, `an eventLoopDelay file in ${JSON.stringify(evidence)}; stderr: ${run.stderr}`);
    const f = delay[0]!;
    assert.equal(f.objective, 'concurrency');
    assert.equal(f.level, 'warn');
    assert.match(f.file, /-eventLoopDelay-warn\.cpuprofile$/);
    // The contract's evidence.dir, relative to the contract file the service loads: found on disk.
    assert.equal(f.dir, join(dir, 'evidence'));
    assert.ok(existsSync(join(f.dir!, f.file)), `${f.file} is on disk in ${f.dir}`);
    assert.ok(f.bytes > 0);
    const at = Date.parse(f.at);
    assert.ok(at >= report.startedAt && at <= report.finishedAt, `crossed within the run: ${f.at}`);

    const line = new RegExp(`evidence: ${evidence.length} files? in ${f.dir!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${f.file.replace(/\./g, '\\.')} \\(eventLoopDelay warn, [\\d.]+ (B|KiB|MiB)\\)`);
    assert.match(renderDrillTable(report), line);
    assert.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), new RegExp(f.file.replace(/\./g, '\\.')));
    assert.match(readFileSync(join(dir, 'drill.md'), 'utf8'), new RegExp(`evidence: ${evidence.length} file`));
    const journaled = readFileSync(join(dir, 'j.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'service-evidence');
    assert.ok(journaled, 'the journal has the service-evidence event');
  });
});

describe('the drill endpoint\'s evidence list', () => {
  const TOKEN = 'a-drill-token-of-32-characters-x';
  const get = (e: DrillEndpoint) => e.handle({ method: 'GET', url: '/.sloctl/drill/evidence', remoteAddress: '127.0.0.1', header: (h) => (h === 'authorization' ? `Bearer ${TOKEN}` : undefined), body: async () => '' });
  const file = { file: '20261204T042000123Z-heap-warn.heapprofile', signal: 'heap', level: 'warn' as const, bytes: 10, at: '2026-12-04T04:20:00.123Z' };

  it('carries the evidence directory\'s absolute path on each entry when the monitor gives it', async () => {
    const e = new DrillEndpoint(TOKEN);
    e.attachEvidence(() => [file], '/srv/app/.sloctl/evidence');
    const r = await get(e);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(String(r.body)), [{ ...file, dir: '/srv/app/.sloctl/evidence' }]);
  });

  it('lists names alone without a directory, and [] without a monitor', async () => {
    const e = new DrillEndpoint(TOKEN);
    assert.deepEqual(JSON.parse(String((await get(e)).body)), []);
    e.attachEvidence(() => [file]);
    assert.deepEqual(JSON.parse(String((await get(e)).body)), [file]);
  });
});
