// `sloctl accept --json` says what it is doing on stderr (each phase as it starts, with what it
// will do; the target's start, with how long it may take) while stdout stays the report alone,
// valid JSON. A fast run: the target's command exits at once, so the run ends after the static
// check and the start. The whole run, every phase in order, is asserted in accept-e2e.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AcceptReport } from '../src/accept/run.ts';
import { runCli } from './helpers/cli.ts';

function contract(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-accept-progress-'));
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: progress }
target: { run: "echo no database >&2; exit 7", startTimeout: 5s }
routes: [{ name: home, method: GET, path: / }]
load: { rate: 50/s, duration: 4s, warmup: 1s, mix: [{ route: home, weight: 1 }] }
objectives:
  errors: { objective: 99% }
`);
  return { dir, file };
}

describe('sloctl accept --json: progress on stderr, the report alone on stdout', () => {
  it('the phase lines in order on stderr; stdout parses as the report', async () => {
    const c = contract();
    const run = await runCli(['accept', c.file, '--json', '--project', c.dir, '--journal', join(c.dir, 'j.jsonl')], c.dir);
    assert.equal(run.code, 3, run.stderr);
    const report = JSON.parse(run.stdout) as AcceptReport;
    assert.equal(report.outcome, 'target-failed');
    assert.deepEqual({ started: report.target.started, reached: report.target.reached }, { started: true, reached: false });
    const lines = run.stderr.split('\n').filter(Boolean);
    const at = (re: RegExp) => {
      const i = lines.findIndex((l) => re.test(l));
      assert.ok(i >= 0, `no line matches ${re} in:\n${run.stderr}`);
      return i;
    };
    const order = [
      at(/^sloctl accept: static dependency check: starting: reading the code under .+ for outbound calls without a timeout, and the dependencies it names through sloctl's SDK$/),
      at(/^sloctl accept: static dependency check: (pass|fail|inconclusive)$/),
      at(/^sloctl accept: starting `echo no database >&2; exit 7`; waiting up to 5s for \/healthz to say UP$/),
      at(/^sloctl accept: the target did not come up: .*exited with code 7/),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), run.stderr);
    assert.ok(lines.every((l) => l.startsWith('sloctl accept: ')), run.stderr);
  });

  it('--no-progress: nothing on stderr', async () => {
    const c = contract();
    const run = await runCli(['accept', c.file, '--json', '--no-progress', '--project', c.dir, '--journal', join(c.dir, 'j.jsonl')], c.dir);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, '');
    JSON.parse(run.stdout);
  });
});
