// The user trial end to end: a service with 2.5% of its requests at 300 ms under a 100 ms p99
// ceiling. The gate must FAIL, name the slow route in the latency AND the availability failure,
// and, whatever the generator's lag on this machine, not withdraw a 200 ms miss for a lag that
// cannot add that much (src/verdicts/generator-lag.ts: each request holds at most twice the worst
// lag). A lag cannot be forced reliably here, so the lag's side is tested on synthetic evidence
// (test/verdicts-generator-lag-size.test.ts); this run checks what it can see.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { renderTable } from '../src/report/table.ts';
import { LAG_NOTE_PREFIX } from '../src/verdicts/generator-lag.ts';
import type { GateReport } from '../src/verdicts/types.ts';

const REPO = resolve(import.meta.dirname, '..');
const SERVICE = join(REPO, 'test/fixtures/gate-routes/service.ts');

function contractFile(dir: string): string {
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: gate-lag-tail }
target:
  run: ${JSON.stringify(`node --import tsx ${SERVICE}`)}
  cwd: ${JSON.stringify(REPO)}
  env: ${JSON.stringify({ CONTRACT: file, SLOW_MS: '300' })}
  startTimeout: 30s
routes:
  - { name: fast, method: GET, path: /fast }
  - { name: slow, method: GET, path: /slow }
load:
  rate: 100/s
  duration: 6s
  warmup: 1s
  connections: 32
  timeout: 2s
  mix:
    - { route: fast, weight: 39 }
    - { route: slow, weight: 1 }
objectives:
  latency:
    - { name: api-latency, threshold: 100ms, objective: 99%, percentiles: { p99: 100ms } }
  errors: { objective: 99% }
  availability: { objective: 99%, weights: { health: 0.5, latency: 0.25, success: 0.25, dependencies: 0 } }
`);
  return file;
}

describe('gate: a 300 ms tail under a 100 ms p99 ceiling', () => {
  it('fails naming GET /slow in the latency and availability failures; a lag under 100 ms withdraws neither; the generator line is not plain OK when one is withdrawn', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-lag-tail-'));
    // 2 trials: the availability composite's latency part is judged per trial.
    const r = await runCli(['gate', contractFile(dir), '--trials', '2', '--no-progress', '--json', '--journal', 'j.jsonl'], dir);
    const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
    const p99 = report.verdicts.find((v) => v.name === 'api-latency p99')!;
    const availability = report.verdicts.find((v) => v.contract === 'availability')!;
    const g = report.generator!;
    const table = renderTable(report);
    t.diagnostic(`outcome ${report.outcome}; generator: ${g.lateSends} late, worst ${g.maxLagMs} ms; p99 ${p99.verdict}; availability ${availability.verdict}`);
    // Other processes on a shared machine can starve the run (machine.ts withdraws on its own
    // evidence): then there is nothing here to check.
    if (/^not judged: other processes used/.test(p99.reason)) {
      t.skip(`the machine starved the run: ${p99.reason.slice(0, 160)}`);
      return;
    }
    // The generator line never says a plain OK beside a verdict its lag withdrew.
    const withdrawn = report.verdicts.filter((v) => v.reason.startsWith(LAG_NOTE_PREFIX));
    if (withdrawn.length > 0) assert.doesNotMatch(table, /^generator: OK/m, table);
    // A lag whose double is under the 200 ms miss cannot explain it.
    if (2 * g.maxLagMs < 200 - 20) {
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(report.outcome, 'fail');
      assert.equal(p99.verdict, 'fail', p99.reason);
      assert.match(p99.reason, /caused by GET \/slow: p99 3\d\d ms/);
      assert.equal(availability.verdict, 'fail', availability.reason);
      assert.match(availability.reason, /caused by GET \/slow: latency \(api-latency\)/);
      assert.deepEqual(availability.routes?.map((c) => c.route), ['GET /slow']);
      // The outcome's reasons carry the route for the availability failure too.
      assert.ok(report.reasons.some((x) => /^availability availability: .*caused by GET \/slow/.test(x)), report.reasons.join('\n'));
      assert.ok(!report.reasons.some((x) => x.includes(LAG_NOTE_PREFIX)), report.reasons.join('\n'));
    } else {
      t.diagnostic(`the generator lagged ${g.maxLagMs} ms at worst: the 200 ms miss is within twice that, not checked`);
    }
  });
});
