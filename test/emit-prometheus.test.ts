// A real Prometheus loads the generated rules (every group healthy, every rule evaluated without
// error), and the helper's binary policy behaves as documented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import { prometheusRules } from '../src/emit/prometheus.ts';
import { findBinary, inCi, requireBinary, startPrometheus } from './helpers/prometheus.ts';

describe('test/helpers/prometheus.ts policy', () => {
  it('findBinary: a path, or a reason that says how to install', () => {
    const missing = findBinary('sloctl-no-such-binary', { PATH: '/nonexistent' });
    assert.equal(missing.path, undefined);
    assert.match(missing.reason!, /^sloctl-no-such-binary not found: apt-get install prometheus \(or set SLOCTL_SLOCTL_NO_SUCH_BINARY to its path\)$/);
    assert.deepEqual(findBinary('sh', { PATH: '/nonexistent', SLOCTL_SH: '/bin/sh' }), { path: '/bin/sh' });
    assert.match(findBinary('sh', { SLOCTL_SH: '/nonexistent/sh' }).reason!, /SLOCTL_SH=\/nonexistent\/sh is not an executable file/);
    assert.ok(findBinary('sh', { PATH: '/bin:/usr/bin' }).path?.endsWith('/sh'));
  });

  it('CI set: a missing binary fails; CI unset: it skips with the reason', () => {
    assert.equal(inCi({ CI: 'true' }), true);
    assert.equal(inCi({ CI: '1' }), true);
    assert.equal(inCi({}), false);
    assert.equal(inCi({ CI: 'false' }), false);
    assert.equal(inCi({ CI: '' }), false);
    const saved = process.env.CI;
    let skipped: string | undefined;
    const fake = { skip: (m: string) => { skipped = m; } } as unknown as TestContext;
    try {
      process.env.CI = 'true';
      assert.throws(() => requireBinary(fake, 'sloctl-no-such-binary'), /sloctl-no-such-binary not found: .*CI is set, so this is a failure, not a skip/);
      assert.equal(skipped, undefined);
      delete process.env.CI;
      assert.equal(requireBinary(fake, 'sloctl-no-such-binary'), undefined);
      assert.match(skipped!, /^sloctl-no-such-binary not found: apt-get install prometheus/);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});

describe('a real Prometheus with the generated rules', () => {
  it('loads every group of the example and the hand-made contracts, and evaluates them without error', async (t) => {
    const bin = requireBinary(t, 'prometheus');
    if (!bin) return;
    const files: Record<string, string> = {};
    let expected = 0;
    for (const file of ['examples/checkout/slo.yaml', 'test/fixtures/emit/pay.yaml', 'test/fixtures/emit/custom.yaml', 'test/fixtures/emit/minimal.yaml']) {
      const l = parseContract(readFileSync(file, 'utf8'), file);
      assert.ok(l.contract);
      const rules = prometheusRules(l.contract);
      expected += rules.groups.length;
      files[`${l.contract.service.name}.rules.yaml`] = stringify({ groups: rules.groups }, { lineWidth: 0 });
    }
    const server = await startPrometheus(bin, {
      config: `global:\n  scrape_interval: 15s\n  evaluation_interval: 1s\nrule_files:\n${Object.keys(files).map((f) => `  - ${f}\n`).join('')}`,
      files,
    });
    t.after(() => server.stop());
    const one = await server.query('vector(1)');
    assert.deepEqual(one.map((x) => x.value[1]), ['1']);

    type Api = { data: { groups: Array<{ name: string; lastEvaluation: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    // Wait for one evaluation of every group (evaluation_interval 1s), then read their health.
    let groups: Api['data']['groups'] = [];
    for (let i = 0; i < 100; i++) {
      groups = ((await (await fetch(`${server.url}/api/v1/rules`)).json()) as Api).data.groups;
      if (groups.length === expected && groups.every((g) => !g.lastEvaluation.startsWith('0001'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(groups.length, expected, server.logs());
    for (const g of groups) {
      for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name} ${r.name}: ${r.lastError ?? ''}`);
    }
  });
});
