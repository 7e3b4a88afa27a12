// The Go middleware service gated (issue 10: "the gate passes healthy and fails each mode"):
// test/fixtures/go-middleware-service, built with Debian's Go in GOPATH mode, started by
// `sloctl gate` (target.run, through main()) with the contract JSON `sloctl generate contract`
// wrote for the same slo.yaml. Healthy it passes, with the service's own view (the middleware's
// http_server_* series) read; ERROR_RATE=0.05 fails the errors objective in the client's and
// the service's view; SLOW=300 fails latency; LEAK_GOROUTINES=1 fails the goroutine contract.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { buildService, generateContract } from './fixtures/go-middleware-service/harness.ts';

interface Verdict { contract: string; name: string; verdict: string; measured: number | null; reason: string; view?: string }
interface Report { outcome: string; reasons: string[]; verdicts: Verdict[] }

const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-gate-'));

const contract = (bin: string, json: string, env: Record<string, string>) => `apiVersion: sloctl/v1
service: { name: go-middleware, owner: team-test, runtime: go }
target:
  run: ${JSON.stringify(bin)}
  env: ${JSON.stringify({ SLOCTL_CONTRACT: json, ...env })}
  health: /healthz
  metrics: /metrics
routes:
  - { name: get-product, method: GET, path: /products/:id }
  - { name: list-orders, method: GET, path: /orders, weight: 2 }
  - { name: create-order, method: POST, path: /orders, weight: 5, latency: 300ms }
load:
  rate: 50/s
  duration: 4s
  warmup: 1s
  mix:
    - { route: get-product, weight: 70, path: "/products/{id}", params: { id: "int(1,500)" } }
    - { route: list-orders, weight: 20 }
    - { route: create-order, weight: 10 }
objectives:
  latency:
    - { name: api, threshold: 200ms, objective: 95% }
  errors:
    objective: 99%
  concurrency:
    goroutines: { warn: 60, critical: 120 }
    inFlight: { warn: 50, critical: 100 }
`;

let bin: string | undefined;
let json = '';

async function gate(name: string, env: Record<string, string>): Promise<{ code: number; report: Report; out: string }> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, contract(bin!, json, env));
  // Each gate in its own working directory (its .sloctl/runs/): two run side by side.
  const cwd = join(dir, name);
  mkdirSync(cwd, { recursive: true });
  const { code, stdout, stderr } = await runCli(['gate', file, '--trials', '2', '--no-progress', '--json', '--journal', join(dir, `${name}.jsonl`)], cwd);
  let report: Report;
  try {
    report = JSON.parse(stdout) as Report;
  } catch {
    assert.fail(`gate printed no JSON report (exit ${code}):\n${stdout}\n${stderr}`);
  }
  return { code, report, out: stdout + stderr };
}

const find = (r: Report, contractName: string, name?: string) => r.verdicts.filter((v) => v.contract === contractName && (name === undefined || v.name === name));
const show = (r: Report) => [`outcome ${r.outcome}: ${r.reasons.join(' | ')}`, ...r.verdicts.map((v) => `${v.contract} ${v.name} ${v.verdict}: ${v.reason}`)].join('\n');

/**
 * The machine these tests share may be too busy for a verdict: the gate then says INCONCLUSIVE
 * (exit 4) because the load generator fell behind its schedule or other processes left the target
 * no CPU (src/verdicts/machine.ts), and withdraws the CPU-bound failures. That is the gate being
 * right, not the service passing: the test accepts exit 4 only with one of those two reasons, and
 * still requires the verdict the mode is about to show what the mode did (see `shows`).
 */
function machineBusy(r: Report): boolean {
  return r.outcome === 'inconclusive' && r.reasons.some((x) => x.startsWith('the load generator could not deliver the profile') || x.includes('other processes used'));
}

/** The exit code the mode must give: `want`, or 4 on a machine too busy to judge. */
function assertExit(t: TestContext, code: number, want: 0 | 1, r: Report, out: string): void {
  if (code === 4 && machineBusy(r)) {
    t.diagnostic(`INCONCLUSIVE on a busy machine (exit 4, not ${want}): ${r.reasons[0]}`);
    return;
  }
  assert.equal(code, want, out);
}

/** A verdict failed, or was withdrawn for a starved machine with the numbers below its objective. */
function shows(v: Verdict | undefined, r: Report): boolean {
  if (!v) return false;
  if (v.verdict === 'fail') return true;
  return machineBusy(r) && /not judged: other processes used/.test(v.reason) && /below the objective/.test(v.reason);
}

// Two gates at a time (two Go services at 50/s, a fraction of a core, their load generators in
// this process): one after the other the four took ~29 s of the serial timed phase, two at a time
// ~17 s; no run measured here took the busy-machine path above.
describe('gate: a Go service instrumented with the Go middleware (go/sloctl)', { timeout: 240_000, concurrency: 2 }, () => {
  before(async (t) => {
    bin = buildService(t as unknown as TestContext);
    if (bin) {
      // The gate contract's own JSON: its routes, thresholds and buckets are what the middleware labels by.
      const yaml = join(dir, 'service.yaml');
      writeFileSync(yaml, contract('/bin/true', '', {}));
      json = await generateContract(yaml, join(dir, 'contract.json'));
    }
  });

  it('passes healthy', async (t) => {
    if (!bin) return t.skip('go not available');
    const { code, report, out } = await gate('healthy', {});
    t.diagnostic(show(report));
    assert.ok(!report.verdicts.some((v) => v.verdict === 'fail'), show(report));
    assertExit(t, code, 0, report, out);
    for (const v of [...find(report, 'latency'), ...find(report, 'errors'), ...find(report, 'concurrency', 'goroutines'), ...find(report, 'concurrency', 'inFlight')]) {
      assert.equal(v.verdict, 'pass', `${v.contract} ${v.name}: ${v.reason}`);
    }
    assert.ok(find(report, 'concurrency', 'inFlight').length === 1, 'in-flight is judged: the middleware exports http_server_active_requests');
  });

  it('fails with ERROR_RATE=0.05 (every 20th request a 500): errors FAIL in the client\'s and the service\'s view', async (t) => {
    if (!bin) return t.skip('go not available');
    const { code, report, out } = await gate('errors', { ERROR_RATE: '0.05' });
    t.diagnostic(show(report));
    assertExit(t, code, 1, report, out);
    const errors = find(report, 'errors')[0];
    assert.ok(shows(errors, report), show(report));
    // Both views count the errors: the client's, and the middleware's error_class series.
    const views = /\(client ([\d.]+)%, service ([\d.]+)%\)/.exec(errors.reason);
    assert.ok(views, `both views are reported: ${errors.reason}`);
    assert.ok(Number(views[1]) < 99 && Number(views[2]) < 99, `both below the objective: ${views[0]}`);
  });

  it('fails with SLOW=300 (every request 300 ms slower): latency FAIL', async (t) => {
    if (!bin) return t.skip('go not available');
    const { code, report, out } = await gate('slow', { SLOW: '300' });
    t.diagnostic(show(report));
    assertExit(t, code, 1, report, out);
    const latency = find(report, 'latency')[0];
    assert.ok(shows(latency, report), show(report));
    assert.match(latency.reason, /client 0%, service 0%/, latency.reason);
  });

  it('fails with LEAK_GOROUTINES=1 (a goroutine leaked per request): concurrency goroutines FAIL', async (t) => {
    if (!bin) return t.skip('go not available');
    const { code, report, out } = await gate('leak', { LEAK_GOROUTINES: '1' });
    t.diagnostic(show(report));
    assertExit(t, code, 1, report, out);
    const g = find(report, 'concurrency', 'goroutines')[0];
    // Not CPU-bound: a busy machine does not withdraw it.
    assert.equal(g?.verdict, 'fail', show(report));
    assert.ok(g.measured !== null && g.measured >= 120, `peak ${g.measured}`);
  });
});
