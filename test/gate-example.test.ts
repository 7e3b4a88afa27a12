// The gate on the bundled example (what `npm run demo` runs), with a shorter profile so the suite
// stays quick: the contract as shipped passes; the same contract with a latency objective that
// cannot hold fails with a reason a reader understands. The copy starts the example from the
// repository on free ports (the shipped contract pins 8080-8082, which a test must not assume free).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { EXAMPLE_TEXT as EXAMPLE, exampleContract, REPO, type ExampleContractOptions } from './helpers/example-contract.ts';

const SHORT = ['--duration', '6s', '--warmup', '1s', '--trials', '3', '--no-progress', '--json'];

const copy = (text: string, opts: ExampleContractOptions = {}) => exampleContract(text, { prefix: 'sloctl-gate-example-', ...opts });

async function gate(file: string, cwd: string) {
  return runCli(['gate', file, ...SHORT, '--journal', 'j.jsonl'], cwd);
}

describe('sloctl gate examples/checkout/slo.yaml', () => {
  it('passes the example as shipped, judging every built-in objective from both views', async () => {
    const { dir, file } = await copy(EXAMPLE);
    const r = await gate(file, dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    const judged = report.verdicts.filter((v: { verdict: string }) => v.verdict !== 'skipped').map((v: { contract: string }) => v.contract);
    for (const c of ['latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency']) assert.ok(judged.includes(c), `${c} judged: ${judged.join(', ')}`);
    const errors = report.verdicts.find((v: { name: string }) => v.name === 'errors');
    assert.ok(Number.isFinite(errors.client) && Number.isFinite(errors.service), JSON.stringify(errors));
  });

  it('fails the example with a p50 ceiling of 10 µs (no HTTP round trip is that fast), saying which objective and by how much', async () => {
    const tight = EXAMPLE.replace('percentiles: { p50: 50ms,', 'percentiles: { p50: 0.01ms,');
    assert.notEqual(tight, EXAMPLE);
    const { dir, file } = await copy(tight);
    const r = await gate(file, dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.outcome, 'fail');
    const p50 = report.reasons.find((r: string) => r.startsWith('latency api-latency p50:'));
    assert.match(p50, /^latency api-latency p50: p50 [0-9.]+ ms is over the ceiling 0\.010 ms \(the client measured\)/);
  });
});

describe('sloctl gate examples/checkout/slo.yaml with a failing health check', () => {
  it('client and service availability agree within 2 points, and the reason names the failing check', async () => {
    // The example as shipped, but checkout is told payments lives where nothing listens: its
    // breaker opens and the SDK's health reports the critical dependency down.
    const { dir, file } = await copy(EXAMPLE, { env: { PAYMENTS_URL: 'http://127.0.0.1:9' } });
    const r = await gate(file, dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    const a = report.verdicts.find((v: { contract: string }) => v.contract === 'availability');
    assert.equal(a.verdict, 'fail');
    assert.ok(Math.abs(a.client - a.service) <= 0.02, `client ${a.client} vs service ${a.service}`);
    assert.match(a.reason, /payments: circuit breaker open/);
    const deps = a.parts.find((p: { name: string }) => p.name === 'dependencies');
    assert.deepEqual([deps.weight, deps.client, deps.service], [0.2, 0, 0]);
  });
});

// Issue 11, step 5: the example's drills are real. One drill per run, at half the contract's rate
// and a 5 s steady window, to keep each under a minute: payments-down passes as shipped (the
// breaker opens within detectWithin), and each switch that takes a protection away makes its drill
// fail, for that reason and no other (steady state met, the other checks held).
describe('sloctl drill on the example, with and without its protections', () => {
  const drill = async (name: string, env: Record<string, string> = {}) => {
    const { dir, file } = await copy(EXAMPLE, { env, prefix: 'sloctl-drill-example-' });
    const r = await runCli(['drill', file, '--drill', name, '--steady', '5s', '--warmup', '2s', '--rate', '100', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
    const report = JSON.parse(r.stdout);
    assert.equal(report.drills.length, 1);
    const v = report.drills[0];
    assert.equal(v.steady.met, true, `steady state met before the fault: ${JSON.stringify(v.steady)} ${report.reasons.join('; ')}`);
    return { code: r.code, v, reasons: report.reasons as string[] };
  };

  it('payments-down as shipped: the breaker opens within 5 s, orders keep answering (pending)', async () => {
    const { code, v, reasons } = await drill('payments-down');
    assert.equal(code, 0, reasons.join('\n'));
    assert.equal(v.detection.met, true);
    assert.ok(v.detection.ms <= 5000, `detected after ${v.detection.ms} ms`);
    assert.match(v.detection.signal, /payments: circuit breaker open|dependency payments reported down/);
  });

  it('PAYMENTS_BREAKER=off: payments-down is never detected, and the verdict says the service kept calling payments', async () => {
    const { code, v, reasons } = await drill('payments-down', { PAYMENTS_BREAKER: 'off' });
    assert.equal(code, 1, reasons.join('\n'));
    assert.equal(v.detection.met, false);
    assert.equal(v.during.checks.every((c: { met: boolean }) => c.met), true, 'the fallback still answered every order');
    assert.match(reasons.join('\n'), /kept calling payments throughout the outage .* never reported it down: no breaker opened, health stayed UP/);
  });

  it('PAYMENTS_TIMEOUT=off: payments-slow misses its degraded latency objective, and the verdict names the timeout', async () => {
    const { code, v, reasons } = await drill('payments-slow', { PAYMENTS_TIMEOUT: 'off' });
    assert.equal(code, 1, reasons.join('\n'));
    const latency = v.during.checks.find((c: { name: string }) => c.name === 'latency 500 ms');
    assert.equal(latency.met, false);
    assert.ok(latency.client < 0.95 && latency.client > 0.8, `about 90% within 500 ms (create-order is 10% of the mix): ${latency.client}`);
    assert.match(reasons.join('\n'), /create-order waited for payments' full 1,000 ms .*the 150 ms timeout the contract declares for payments did not cut the calls/);
  });
});

describe('sloctl gate examples/express-minimal/slo.yaml', () => {
  it('gates the minimal example as shipped: its run command starts from the contract\'s directory', async () => {
    // The real file, not a copy: target.run is resolved from the contract's directory, and the
    // contract pins no port. Its journal goes to a temporary directory.
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-minimal-'));
    const { code, stdout, stderr } = await runCli(['gate', join(REPO, 'examples/express-minimal/slo.yaml'), '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
    assert.equal(code, 0, stdout + stderr);
    const report = JSON.parse(stdout);
    const judged = report.verdicts.filter((v: { verdict: string }) => v.verdict === 'pass').map((v: { contract: string }) => v.contract);
    assert.deepEqual(judged.sort(), ['availability', 'errors', 'latency']);
  });
});
