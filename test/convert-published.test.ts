// The examples Sloth and OpenSLO publish in their own repositories (test/fixtures/*/published,
// copied verbatim; see the README.md there), each converted and its rules run through
// `promtool check rules`. Every one must either convert into rules promtool accepts, or be
// refused by the converter with a located error that says why. None may give rules promtool
// rejects (before the fix, 16 of the 22 did: alert annotations such as `sloth.dev/alert-name`
// and `openslo.com/objective` are not Prometheus annotation names).
//
// promtool missing: the promtool step is skipped with the reason, or fails when CI is set
// (test/helpers/prometheus.ts); everything else still runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { ConvertError, type ConvertResult } from '../src/convert/common.ts';
import { fromOpenSlo } from '../src/convert/openslo.ts';
import { fromSloth } from '../src/convert/sloth.ts';
import { isRecording, renderPrometheusRules } from '../src/emit/prometheus.ts';
import { requireBinary, run } from './helpers/prometheus.ts';

const DIRS = ['test/fixtures/sloth/published', 'test/fixtures/openslo/published'];
const files = DIRS.flatMap((d) => readdirSync(d).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(d, f)));

/** The examples the converter refuses, and the reason it must give. Every other one must convert. */
const REFUSED: Record<string, RegExp> = {
  // OpenSLO v1alpha (Sloth reads it; sloctl reads OpenSLO v1).
  'test/fixtures/sloth/published/openslo-getting-started.yml': /apiVersion "openslo\/v1alpha" is not supported: sloctl reads OpenSLO openslo\/v1/,
  'test/fixtures/sloth/published/openslo-kubernetes-apiserver.yml': /apiVersion "openslo\/v1alpha" is not supported: sloctl reads OpenSLO openslo\/v1/,
  // SLI plugins build their PromQL inside Sloth.
  'test/fixtures/sloth/published/plugin-getting-started.yml': /its SLI is the plugin "getting_started_availability"/,
  'test/fixtures/sloth/published/plugin-k8s-getting-started.yml': /its SLI is the plugin "getting_started_availability"/,
  // MetricsQL, not PromQL.
  'test/fixtures/sloth/published/victoria-metrics.yml': /its error_query is not PromQL \(.*histogram_share is not a PromQL function\)/,
};

/** The converter a user would pick for the file: OpenSLO documents with --from openslo, Sloth specs with --from sloth. */
function convert(file: string): ConvertResult {
  const text = readFileSync(file, 'utf8');
  return /^apiVersion:\s*openslo\//m.test(text) ? fromOpenSlo(text, file) : fromSloth(text, file);
}

const PROM_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const outcome = { accepted: [] as string[], refused: [] as string[], rejected: [] as string[] };

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'sloctl-published-')); });
after(() => { if (!process.env.SLOCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });

describe('the examples Sloth and OpenSLO publish: converted rules pass promtool, or the converter says why not', () => {
  it('there are the 22 examples (18 from slok/sloth examples/, 4 from OpenSLO/OpenSLO examples/)', () => {
    assert.equal(files.filter((f) => f.includes('/sloth/')).length, 18);
    assert.equal(files.filter((f) => f.includes('/openslo/')).length, 4);
    for (const f of Object.keys(REFUSED)) assert.ok(files.includes(f), `${f} is listed as refused but is not a fixture`);
  });

  for (const file of files) {
    it(file, async (t) => {
      const refused = REFUSED[file];
      let result: ConvertResult;
      try {
        result = convert(file);
      } catch (e) {
        if (!(e instanceof ConvertError)) throw e;
        assert.ok(refused, `refused, but expected to convert:\n${e.message}`);
        assert.ok(e.diagnostics.length > 0);
        for (const d of e.diagnostics) {
          assert.equal(d.file, file);
          assert.ok(d.line >= 1 && d.col >= 1, `not located: ${JSON.stringify(d)}`);
          assert.equal(d.severity, 'error');
        }
        assert.match(e.diagnostics[0].message, refused);
        outcome.refused.push(file);
        t.diagnostic(`refused: ${e.message.split('\n')[0]}`);
        return;
      }
      assert.equal(refused, undefined, `converted, but expected the converter to refuse it (${refused})`);

      const loaded = parseContract(result.text, `${file} (converted)`);
      assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`), []);
      const contract = loaded.contract!;
      assert.ok(contract.slis.length > 0, 'a converted contract has at least one SLI');
      const { text, rules } = renderPrometheusRules(contract, { source: file });
      const all = rules.groups.flatMap((g) => g.rules);
      const alerts = all.filter((r) => !isRecording(r));
      // What promtool checks first, checked here too (so it holds without promtool as well).
      for (const r of alerts) {
        if (isRecording(r)) continue;
        for (const k of Object.keys(r.labels)) assert.match(k, PROM_NAME, `${r.alert}: label name`);
        for (const k of Object.keys(r.annotations)) assert.match(k, PROM_NAME, `${r.alert}: annotation name`);
        assert.match(r.alert, PROM_NAME);
      }

      const bin = requireBinary(t, 'promtool');
      if (!bin) return;
      const path = join(dir, `${file.replace(/\W+/g, '-')}.rules.yaml`);
      writeFileSync(path, text);
      const r = await run(bin, ['check', 'rules', path], { cwd: dir });
      if (r.code !== 0) outcome.rejected.push(file);
      assert.equal(r.code, 0, `promtool rejects the rules of ${file}:\n${r.stdout}${r.stderr}`);
      assert.match(`${r.stdout}${r.stderr}`, new RegExp(`SUCCESS: ${all.length} rules found`));
      outcome.accepted.push(file);
    });
  }

  it('the count: accepted by promtool + refused with a reason = 22, rejected by promtool = 0', (t) => {
    t.diagnostic(`${outcome.accepted.length} of ${files.length} accepted by promtool, ${outcome.refused.length} refused with a reason, ${outcome.rejected.length} rejected by promtool`);
    assert.equal(outcome.rejected.length, 0);
    assert.equal(outcome.refused.length, Object.keys(REFUSED).length);
    // Accepted is counted only when promtool ran (it may be missing outside CI).
    if (outcome.accepted.length > 0) assert.equal(outcome.accepted.length + outcome.refused.length, files.length);
  });
});
