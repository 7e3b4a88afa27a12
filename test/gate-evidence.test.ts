// `sloctl gate` names the evidence the service's saturation monitor wrote during the run, next to
// the concurrency verdict it explains (issue 12, item 1). sloctl starts the service with a drill
// token of its own and reads GET <drill path>/evidence before stopping it. The service here is a
// few lines written by the test: the SDK on node:http, a loop blocked 120 ms every 700 ms, and the
// monitor's start-up grace set to 0 (its default 5 s would outlast this 3 s gate; the grace itself
// is test/sdk-saturation.test.ts's). Attached without SLOCTL_DRILL_TOKEN, nothing is read: the
// report's list is empty and nothing is printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { freePort } from './helpers/prometheus.ts';
import type { GateReport } from '../src/verdicts/types.ts';
import { renderTable } from '../src/report/table.ts';

const REPO = resolve(import.meta.dirname, '..');

const SERVICE = `import { createServer } from 'node:http';
import { instrument } from ${JSON.stringify(join(REPO, 'src/sdk/index.ts'))};
import { wrap } from ${JSON.stringify(join(REPO, 'src/sdk/adapters/http.ts'))};
const sdk = instrument({ contract: process.env.CONTRACT,
  saturation: { startupGraceMs: 0, intervalMs: 250, cpuProfileMs: 500, log: () => {} } });
const server = createServer(wrap((req, res) => { res.end('ok'); }, sdk));
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  // Saturation on purpose: the loop blocked 120 ms every 700 ms (warn is 50 ms).
  if (process.env.BLOCK !== 'off') setInterval(() => { const end = Date.now() + 120; while (Date.now() < end); }, 700);
});
process.on('SIGTERM', () => { sdk.saturation?.close(); server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

function contract(env: Record<string, string> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-evidence-'));
  const file = join(dir, 'slo.yaml');
  const service = join(dir, 'service.ts');
  writeFileSync(service, SERVICE);
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: evidence-fixture, runtime: node }
target:
  run: ${JSON.stringify(`node --import tsx ${service}`)}
  cwd: ${JSON.stringify(REPO)}
  env: ${JSON.stringify({ CONTRACT: file, ...env })}
  startTimeout: 30s
routes:
  - { name: work, method: GET, path: /work }
load:
  rate: 20/s
  duration: 3s
  connections: 4
  timeout: 2s
  mix: [{ route: work, weight: 1 }]
evidence: { dir: evidence, minInterval: 60s }
objectives:
  errors: { objective: 90% }
  concurrency:
    eventLoopDelay: { warn: 50ms, critical: 5s }
`);
  return { dir, file };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The two gates run side by side (20 req/s each): the started one's evidence is a CPU profile of
// its own service's 120 ms blocks crossing a 50 ms delay (another process's CPU only lengthens
// them), and the assertions read the evidence, not the outcome; the attached one asserts that
// nothing was listed or read. The started gate's token is its own (sloctl sets it in the target's
// environment), so the attached test taking SLOCTL_DRILL_TOKEN out of this process's environment
// does not reach it. One after the other: 12.6 and 10.5 s; side by side 6.3, 6.2, 7.0 s
// (2026-12-07).
describe('sloctl gate and the saturation evidence', { concurrency: true }, () => {
  describe('sloctl gate names the service\'s saturation evidence', () => {
    let run: { code: number; stdout: string; stderr: string };
    let dir: string;
    before(async () => {
      const c = contract();
      dir = c.dir;
      run = await runCli(['gate', c.file, '--warmup', '0s', '--json', '--journal', 'j.jsonl', '--junit', 'junit.xml', '--markdown', 'gate.md'], dir);
    });

    it('started: the CPU profile the blocked loop made is in the report under concurrency eventLoopDelay, and on disk', () => {
      const report = JSON.parse(run.stdout) as GateReport;
      const files = (report.serviceEvidence ?? []).filter((f) => f.signal === 'eventLoopDelay');
      assert.ok(files.length >= 1, `an eventLoopDelay file in ${JSON.stringify(report.serviceEvidence)} (outcome ${report.outcome}: ${report.reasons.join('; ')})`);
      const f = files[0]!;
      assert.equal(f.objective, 'concurrency');
      assert.match(f.file, /-eventLoopDelay-warn\.cpuprofile$/);
      assert.equal(f.dir, join(dir, 'evidence'));
      assert.ok(existsSync(join(f.dir!, f.file)), `${f.file} is on disk`);
      const at = Date.parse(f.at);
      assert.ok(at >= report.startedAt && at <= report.finishedAt, `crossed within the run: ${f.at}`);

      // The table: the line sits under the concurrency eventLoopDelay row's reason.
      const table = renderTable(report).split('\n');
      const row = table.findIndex((l) => / concurrency eventLoopDelay: /.test(l));
      assert.ok(row >= 0, table.join('\n'));
      const line = table.slice(row + 1).find((l) => l.startsWith('    evidence: '));
      assert.ok(line, table.join('\n'));
      assert.match(line!, new RegExp(`^    evidence: \\d+ files? in ${escape(f.dir!)}: .*${escape(f.file)} \\(eventLoopDelay warn, [\\d.]+ (B|KiB|MiB)\\)`));

      const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
      const testcase = /<testcase name="eventLoopDelay"[\s\S]*?<\/testcase>/.exec(junit)?.[0] ?? '';
      assert.match(testcase, new RegExp(escape(f.file)), junit);
      assert.match(readFileSync(join(dir, 'gate.md'), 'utf8'), new RegExp(`concurrency eventLoopDelay: evidence: \\d+ files? in `));
    });
  });

  describe('sloctl gate attached without SLOCTL_DRILL_TOKEN reads no evidence', () => {
    let child: ReturnType<typeof spawn> | undefined;
    after(() => child?.kill('SIGTERM'));

    it('the list is empty, nothing is read, and a note says to set the token', async () => {
      const c = contract({ BLOCK: 'off' });
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), CONTRACT: c.file, BLOCK: 'off', SLOCTL_DRILL_TOKEN: 'a-token-the-gate-does-not-have' };
      child = spawn(process.execPath, ['--import', 'tsx', join(c.dir, 'service.ts')], { cwd: REPO, env, stdio: 'ignore' });
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
        assert.ok(Date.now() < deadline, 'the service is UP within 20 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      // The CLI runs in this process and reads its environment: no token there.
      const saved = process.env.SLOCTL_DRILL_TOKEN;
      delete process.env.SLOCTL_DRILL_TOKEN;
      const r = await runCli(['gate', c.file, '--target', url, '--warmup', '0s', '--json', '--journal', 'j.jsonl'], c.dir).finally(() => {
        if (saved !== undefined) process.env.SLOCTL_DRILL_TOKEN = saved;
      });
      const report = JSON.parse(r.stdout) as GateReport;
      assert.deepEqual(report.serviceEvidence, []);
      assert.doesNotMatch(renderTable(report), /evidence:/);
      assert.ok(!readFileSync(join(c.dir, 'j.jsonl'), 'utf8').includes('"service-evidence"'), 'nothing was read');
      // ... and a note says why, and what to set.
      const note = report.notes.find((n) => n.includes('saturation evidence'));
      assert.ok(note, JSON.stringify(report.notes));
      assert.match(note, /was not listed: .*set SLOCTL_DRILL_TOKEN in sloctl's environment to the one the service runs with/);
    });
  });
});
