// The PromQL grammar (lezer-promql and @lezer/lr) loads on the first query a contract has to
// check, not with the contract module: every command and `sloctl/sdk` load contracts, and only
// custom SLIs carry PromQL (src/contract/promql.ts). Run in a fresh process, where nothing else
// has loaded the grammar: a contract without custom SLIs leaves it unloaded; one with them loads
// it and still has its queries checked (a broken one is still an SLO_PROMQL error).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { it } from 'node:test';

const REPO = resolve(import.meta.dirname, '..');

it('loads the PromQL grammar only for a contract with a query to check, and still checks it', () => {
  const load = pathToFileURL(join(REPO, 'src/contract/load.ts')).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    const { parseContract } = await import(${JSON.stringify(load)});
    const cache = createRequire(import.meta.url).cache;
    const grammarLoaded = () => Object.keys(cache).some((k) => k.includes('lezer-promql'));
    const read = (p) => readFileSync(${JSON.stringify(REPO)} + '/' + p, 'utf8');
    const out = {};
    const minimal = parseContract(read('examples/express-minimal/slo.yaml'), 'express-minimal/slo.yaml');
    out.minimalOk = minimal.contract !== undefined;
    out.afterMinimal = grammarLoaded();
    const checkout = read('examples/checkout/slo.yaml');
    const broken = checkout.replace('total: sum(increase(checkout_orders_total[$window]))', 'total: sum(increase(checkout_orders_total[$window])');
    out.mutated = broken !== checkout;
    const r = parseContract(broken, 'checkout/slo.yaml');
    out.afterCustom = grammarLoaded();
    out.promqlErrors = (r.diagnostics ?? []).filter((d) => d.code === 'SLO_PROMQL' && d.severity === 'error').map((d) => d.message);
    out.checkoutOk = parseContract(checkout, 'checkout/slo.yaml').contract !== undefined;
    console.log(JSON.stringify(out));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.equal(out.minimalOk, true, 'express-minimal parses');
  assert.equal(out.afterMinimal, false, 'a contract without custom SLIs does not load the grammar');
  assert.equal(out.mutated, true, 'the mutation applies');
  assert.equal(out.afterCustom, true, 'a contract with custom SLI queries loads it');
  assert.equal(out.promqlErrors.length, 1, JSON.stringify(out.promqlErrors));
  assert.match(out.promqlErrors[0], /PromQL syntax error/);
  assert.equal(out.checkoutOk, true, 'the shipped checkout contract parses');
});
