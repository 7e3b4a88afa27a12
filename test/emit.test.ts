// The emitters without external tools: rule structure and counts, PromQL that parses, the
// dashboard's shape, and the `sloctl generate` command line.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runCli } from './helpers/cli.ts';
import { parseContract } from '../src/contract/load.ts';
import { checkPromql } from '../src/contract/promql.ts';
import type { Contract } from '../src/contract/schema.ts';
import { DATASOURCE_VARIABLE, grafanaDashboard, type GrafanaPanel } from '../src/emit/grafana.ts';
import { isRecording, prometheusRules, renderPrometheusRules, type AlertingRule, type RecordingRule } from '../src/emit/prometheus.ts';
import { leMatcher, reEscape } from '../src/emit/promql.ts';
import { planSlos } from '../src/emit/slos.ts';

const EXAMPLE = 'examples/checkout/slo.yaml';
const FIXTURES = ['test/fixtures/emit/pay.yaml', 'test/fixtures/emit/custom.yaml', 'test/fixtures/emit/minimal.yaml'];

function contractOf(file: string): Contract {
  const l = parseContract(readFileSync(file, 'utf8'), file);
  assert.ok(l.contract, l.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return l.contract;
}

function contractText(text: string): Contract {
  const l = parseContract(text, 'inline.yaml');
  assert.ok(l.contract, l.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return l.contract;
}

const rulesOf = (c: Contract, selector?: string) => prometheusRules(c, { selector }).groups.flatMap((g) => g.rules);
const alertsOf = (c: Contract) => rulesOf(c).filter((r): r is AlertingRule => !isRecording(r));

describe('prometheus rules', () => {
  it('counts for the example contract: 15 rules for an SLO with the four default tiers (Sloth: 17)', () => {
    const r = prometheusRules(contractOf(EXAMPLE));
    assert.deepEqual(r.counts, [
      // two page tiers from the contract, tickets off: 4 windows + 3 budget; 2 tier alerts + absent
      // + the missing-bucket alert (SLIUnmeasurable)
      { slo: 'api-latency', recording: 7, alerting: 4 },
      // default tiers scaled to 28d: 7 distinct windows (page-6h's long window is ticket-3d's
      // short one, 5h36m, recorded once) + 3 budget; 4 tier alerts + absent
      { slo: 'errors', recording: 10, alerting: 5 },
      // a gauge: no event counts, budget from the window's average: 7 + 1; 4 + absent
      { slo: 'availability', recording: 8, alerting: 5 },
      { slo: 'orders-confirmed', recording: 10, alerting: 5 },
    ]);
  });

  it('shares one burn-rate rule per distinct window across tiers', () => {
    const plan = planSlos(contractOf(EXAMPLE));
    const errors = plan.slos.find((s) => s.name === 'errors')!;
    const used = errors.tiers.flatMap((t) => [t.longMs, t.shortMs]);
    assert.equal(used.length, 8);
    assert.equal(errors.windows.length, 7);
    assert.deepEqual(errors.windows.map((w) => w / 60_000), [5, 28, 56, 112, 336, 1344, 4032]);
    const group = prometheusRules(contractOf(EXAMPLE)).groups.find((g) => g.name === 'sloctl-checkout-errors')!;
    const records = group.rules.filter(isRecording).map((r) => r.record);
    assert.equal(new Set(records).size, records.length, 'no rule recorded twice');
  });

  it('scales the default tiers to the SLO window and keeps each tier\'s budget share', () => {
    const errors = planSlos(contractOf(EXAMPLE)).slos.find((s) => s.name === 'errors')!;
    // 28d: windows × 28/30, rounded to the 1m bucket; the budget share follows the rounded window.
    assert.deepEqual(errors.tiers.map((t) => [t.name, t.burnRate, t.longMs / 60_000, t.shortMs / 60_000]), [
      ['page-56m', 14.4, 56, 5], ['page-5h36m', 6, 336, 28], ['ticket-22h24m', 3, 1344, 112], ['ticket-2d19h12m', 1, 4032, 336],
    ]);
    for (const t of errors.tiers) assert.ok(Math.abs(t.budgetShare - (t.burnRate * t.longMs) / (28 * 86_400_000)) < 1e-12);
  });

  it('every expression parses, in every contract', () => {
    for (const file of [EXAMPLE, ...FIXTURES]) {
      for (const r of rulesOf(contractOf(file), 'job="x", namespace=~"prod|staging"')) {
        assert.deepEqual(checkPromql(r.expr).problems, [], `${file}: ${isRecording(r) ? r.record : r.alert}: ${r.expr}`);
      }
    }
  });

  it('alerts carry for, severity, tier, runbook and dashboard; the numbers are in the text', () => {
    const alerts = alertsOf(contractOf('test/fixtures/emit/pay.yaml'));
    const errors = alerts.filter((a) => a.labels.sloctl_slo === 'errors' && a.alert === 'PayErrorsErrorBudgetBurn');
    assert.equal(errors.length, 4);
    for (const a of errors) {
      assert.equal(a.for, '2m');
      assert.ok(['page', 'ticket'].includes(a.labels.severity));
      assert.equal(a.labels.team, 'payments');
      assert.equal(a.annotations.runbook, 'https://runbooks.example/pay/errors');
      assert.equal(a.annotations.dashboard, 'https://grafana.example/d/sloctl-pay');
    }
    const page1h = errors.find((a) => a.labels.sloctl_tier === 'page-1h')!;
    assert.match(page1h.expr, /sloctl:burn_rate:1h\{sloctl_service="pay", sloctl_slo="errors"\} > 14\.4\nand\nsloctl:burn_rate:5m\{[^}]*\} > 14\.4/);
    assert.match(page1h.annotations.summary, /faster than 14\.4x over 1h and 5m \(page\)/);
    // 14.4 × 1h / 30d = 2% of the budget; 30d / 14.4 = 2d2h; error-ratio threshold 14.4 × 0.1%.
    assert.match(page1h.annotations.description, /spends 2% of the 30d budget; at 14\.4x the whole budget lasts 2d2h\. Error-ratio threshold: 1\.44%/);
    const fast = alerts.filter((a) => a.alert === 'PayFastErrorBudgetBurn');
    assert.deepEqual(fast.map((a) => [a.labels.sloctl_tier, a.for, a.labels.severity]), [['page-30m', '5m', 'page']]);
    assert.equal(fast[0].annotations.dashboard, undefined, 'no dashboard annotation unless the contract names one');
  });

  it('disabled tiers produce no alert, but burn rates and the budget are still recorded', () => {
    const rules = rulesOf(contractOf('test/fixtures/emit/minimal.yaml'));
    assert.deepEqual(rules.map((r) => (isRecording(r) ? r.record : r.alert)), [
      'sloctl:burn_rate:5m', 'sloctl:bad_events:increase28d', 'sloctl:total_events:increase28d', 'sloctl:error_budget_remaining:ratio', 'TinyErrorsSLIMissing',
    ]);
    // No page tier: the absent alert is a ticket.
    assert.equal((rules[4] as AlertingRule).labels.severity, 'ticket');
  });

  it('names the burn-rate alert after alerting.name when the contract gives one', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('ticket: false\n', 'ticket: false\n        name: CheckoutLatencyBudgetBurn\n');
    const l = parseContract(text, EXAMPLE);
    assert.ok(l.contract, JSON.stringify(l.diagnostics));
    const alerts = rulesOf(l.contract).filter((r): r is AlertingRule => !isRecording(r)).map((r) => r.alert);
    assert.ok(alerts.includes('CheckoutLatencyBudgetBurn'), alerts.join(', '));
    assert.ok(!alerts.includes('CheckoutApiLatencyErrorBudgetBurn'));
  });

  it('weights error classes with constants from the contract, not the weight gauge', () => {
    const group = prometheusRules(contractOf(EXAMPLE)).groups.find((g) => g.name === 'sloctl-checkout-errors')!;
    const burn = group.rules.find((r): r is RecordingRule => isRecording(r) && r.record === 'sloctl:burn_rate:5m')!;
    assert.match(burn.expr, /rate\(http_server_requests_total\{route!="unmatched", error_class="server"\}\[5m\]\) \* 2\.5/);
    // The classifier's built-in classes weigh as in the SDK (src/contract/classify.ts): "shed" ×0.3
    // shares the transient class's matcher, "unclassified" ×1 the client class's.
    assert.match(burn.expr, /rate\(http_server_requests_total\{route!="unmatched", error_class=~"shed\|transient"\}\[5m\]\) \* 0\.3/);
    assert.match(burn.expr, /rate\(http_server_requests_total\{route!="unmatched", error_class=~"client\|unclassified"\}\[5m\]\)\n/);
    assert.doesNotMatch(burn.expr, /aborted|none/);
    assert.doesNotMatch(burn.expr, /not-found|sloctl_error_class_weight/);
    // Requests that reached no route are in neither the numerator nor the denominator.
    assert.match(burn.expr, /or vector\(0\)\) \/ sum\(rate\(http_server_requests_total\{route!="unmatched"\}\[5m\]\)\)\) \/ 0\.005$/);
    // Equal weights share one regex matcher.
    const same = rulesOf(contractText(`apiVersion: sloctl/v1
service: { name: s }
errorClasses:
  - { name: a, weight: 1, status: [500] }
  - { name: b, weight: 1, status: [502] }
objectives: { errors: { objective: 99% } }
`))[0] as RecordingRule;
    assert.match(same.expr, /error_class=~"a\|b\|unclassified"/);
  });

  it('judges each route at its own latency threshold, exactly at the bucket boundary', () => {
    const group = prometheusRules(contractOf(EXAMPLE)).groups.find((g) => g.name === 'sloctl-checkout-api-latency')!;
    const burn = group.rules.find((r): r is RecordingRule => isRecording(r) && r.record === 'sloctl:burn_rate:5m')!;
    // create-order (POST /orders) at 300ms; everything else (GET /orders too) at 200ms.
    assert.match(burn.expr, /_bucket\{method!="POST", route!="unmatched", le="0\.2"\}/);
    assert.match(burn.expr, /_bucket\{method="POST", route!="\/orders", route!="unmatched", le="0\.2"\}/);
    assert.match(burn.expr, /_bucket\{method="POST", route="\/orders", le="0\.3"\}/);
    // The total counts the series that have their threshold's bucket over the whole range (as many
    // samples as their _count), group by group; a series whose bucket is younger counts its current
    // process' requests (test/emit-young-bucket.test.ts).
    assert.match(burn.expr, /\(rate\(http_server_request_duration_seconds_count\{method!="POST", route!="unmatched"\}\[5m\]\) and \(count_over_time\(http_server_request_duration_seconds_count\{method!="POST", route!="unmatched"\}\[5m\]\) <= max without \(le\) \(count_over_time\(http_server_request_duration_seconds_bucket\{method!="POST", route!="unmatched", le="0\.2"\}\[5m\]\)\)\)\)/);
    assert.match(burn.expr, /\(rate\(http_server_request_duration_seconds_count\{method="POST", route="\/orders"\}\[5m\]\) and \(count_over_time\(http_server_request_duration_seconds_count\{method="POST", route="\/orders"\}\[5m\]\) <= max without \(le\) \(count_over_time\(http_server_request_duration_seconds_bucket\{method="POST", route="\/orders", le="0\.3"\}\[5m\]\)\)\)\)/);
    assert.match(burn.expr, /\(http_server_request_duration_seconds_count\{method="POST", route="\/orders"\} and ignoring\(le\) http_server_request_duration_seconds_bucket\{method="POST", route="\/orders", le="0\.3"\} and \(count_over_time\([^)]*\) > max without \(le\) [^\n]*\)\) \/ 300/);
    assert.doesNotMatch(burn.expr, /_count\[/);
    // Integral thresholds match both `1` (clients) and `1.0` (Prometheus 3 normalisation).
    assert.equal(leMatcher(1), 'le=~"1(\\\\.0)?"');
    assert.equal(leMatcher(0.25), 'le="0.25"');
    assert.equal(reEscape('/items/:id(.*)'), '/items/:id\\(\\.\\*\\)');
  });

  it('uses the contract\'s metric names, route subsets and the --selector matchers', () => {
    const rules = rulesOf(contractOf('test/fixtures/emit/custom.yaml'), 'job="catalog"');
    const reads = rules.find((r): r is RecordingRule => isRecording(r) && r.labels?.sloctl_slo === 'reads')!;
    assert.match(reads.expr, /catalog_http_duration_seconds_bucket\{job="catalog", method="GET", route="\/items\/:id\(\.\*\)", le="0\.25"\}/);
    assert.match(reads.expr, /catalog_http_duration_seconds_bucket\{job="catalog", method="GET", route="\/search", le=~"1\(\\\\\.0\)\?"\}/);
    assert.match(reads.expr, /catalog_http_duration_seconds_count\{job="catalog", method="GET", route="\/items\/:id\(\.\*\)"\}/);
    assert.match(reads.expr, /catalog_http_duration_seconds_count\{job="catalog", method="GET", route="\/search"\}/);
    assert.doesNotMatch(reads.expr, /PUT/);
    // Custom SLIs are the user's PromQL with $window replaced, untouched by --selector.
    // Its own 7d window scales the default tiers by 7/30: 5m becomes 1m (1m10s rounded to the bucket).
    const imports = rules.find((r): r is RecordingRule => isRecording(r) && r.labels?.sloctl_slo === 'imports' && r.record === 'sloctl:burn_rate:1m')!;
    assert.equal(imports.expr, '((sum(increase(catalog_imports_total{result="failed"}[1m]))) / (sum(increase(catalog_imports_total[1m])))) / 0.001');
    const fresh = rules.filter((r): r is RecordingRule => isRecording(r) && r.labels?.sloctl_slo === 'index-fresh');
    assert.equal(fresh[0].record, 'sloctl:threshold_good:5m');
    assert.equal(fresh[0].expr, '(max(time() - catalog_index_last_update_seconds)) < bool 300');
    // The custom SLI's own 7d window.
    assert.ok(rules.some((r) => isRecording(r) && r.record === 'sloctl:total_events:increase7d' && r.labels?.sloctl_slo === 'imports'));
  });

  it('says when the rules cannot do what the contract says', () => {
    const { warnings } = prometheusRules(contractOf('test/fixtures/emit/custom.yaml'));
    assert.ok(warnings.some((w) => /no calendar windows.*rolling 30d for the calendar month/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /^imports: the 1m window holds fewer than four scrapes at a 30s interval/.test(w)), warnings.join('\n'));
  });

  it('renders a rules file or a PrometheusRule, with a header that counts', () => {
    const c = contractOf(EXAMPLE);
    const rules = renderPrometheusRules(c, { source: EXAMPLE });
    assert.match(rules.text, /^# Generated by sloctl from examples\/checkout\/slo\.yaml/);
    assert.match(rules.text, /# 4 SLO group\(s\), 54 rules:\n# {3}api-latency: 7 recording \+ 4 alerting = 11\n/);
    assert.doesNotMatch(rules.text, /[&*]a\d/, 'no YAML anchors or aliases');
    const doc = parse(rules.text) as { groups: unknown[] };
    assert.equal(doc.groups.length, 4);
    const op = parse(renderPrometheusRules(c, { format: 'operator', namespace: 'shop' }).text) as Record<string, any>;
    assert.equal(op.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(op.kind, 'PrometheusRule');
    assert.deepEqual(op.metadata, {
      name: 'checkout-slos',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/component': 'slo', 'app.kubernetes.io/managed-by': 'sloctl' },
    });
    assert.deepEqual(op.spec.groups, doc.groups);
  });
});

function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{__rate_interval\}|\$\{__interval\}|\$\{__range\}/g, '5m');
}

function allPanels(panels: GrafanaPanel[]): GrafanaPanel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe('grafana dashboard', () => {
  for (const file of [EXAMPLE, ...FIXTURES]) {
    it(`${file}: valid JSON, one row and panel set per SLO, every expr parses`, () => {
      const c = contractOf(file);
      const { dashboard } = grafanaDashboard(c, { selector: 'job="x"' });
      const json = JSON.parse(JSON.stringify(dashboard)) as typeof dashboard;
      assert.ok(json.schemaVersion >= 36, 'Grafana 10/11 import');
      assert.ok(json.uid.length <= 40);
      const v = (json.templating.list as Array<{ name: string; type: string; query: string }>).find((x) => x.name === DATASOURCE_VARIABLE);
      assert.deepEqual(v && [v.type, v.query], ['datasource', 'prometheus']);

      const slos = planSlos(c).slos;
      const rows = json.panels.filter((p) => p.type === 'row');
      assert.equal(rows.length, slos.length);
      rows.forEach((row, i) => assert.ok(row.title.startsWith(`${slos[i].name} — `), row.title));

      const panels = allPanels(json.panels);
      assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'unique panel ids');
      const recorded = new Set(rulesOf(c).filter(isRecording).map((r) => `${r.record}|${r.labels?.sloctl_slo}`));
      for (const p of panels.filter((x) => x.type !== 'row')) {
        assert.ok(p.gridPos.x + p.gridPos.w <= 24);
        assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
        assert.ok(p.targets && p.targets.length > 0, p.title);
        for (const t of p.targets) {
          assert.deepEqual(t.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
          assert.deepEqual(checkPromql(substituteGrafanaVariables(t.expr)).problems, [], `${p.title}: ${t.expr}`);
          // Every recorded series a panel reads is one the rules record, for that SLO.
          for (const m of t.expr.matchAll(/(sloctl:[a-z_]+:[a-z0-9]+)\{sloctl_service="[^"]+", sloctl_slo="([^"]+)"\}/g)) {
            assert.ok(recorded.has(`${m[1]}|${m[2]}`), `${p.title} reads ${m[1]} for ${m[2]}, which no rule records`);
          }
        }
      }
      // Per SLO: SLI stat, budget stat, SLI vs objective, burn-down, burn rates (+ per-route).
      let i = 0;
      for (const slo of slos) {
        const start = json.panels.indexOf(rows[i]);
        const end = i + 1 < rows.length ? json.panels.indexOf(rows[i + 1]) : json.panels.length;
        const set = json.panels.slice(start + 1, end).map((p) => p.title);
        assert.deepEqual(set.slice(0, 5), [`SLI over ${set[0].slice(9)}`, 'Error budget remaining', 'SLI vs objective', 'Error budget burn-down', 'Burn rate by window']);
        if (slo.kind === 'latency') assert.equal(set[5], 'Latency by route (p50 / p95 / p99)');
        if (slo.kind === 'errors') assert.deepEqual(set.slice(5), ['Weighted error ratio by route and class', 'Requests that reached no route (not in the SLOs)']);
        i++;
      }
    });
  }

  it('draws each tier\'s threshold on the burn-rate panel and the percentiles per route', () => {
    const { dashboard } = grafanaDashboard(contractOf(EXAMPLE));
    const burn = dashboard.panels.filter((p) => p.title === 'Burn rate by window');
    const errorsBurn = burn[1] as GrafanaPanel & { fieldConfig: any };
    assert.deepEqual(errorsBurn.fieldConfig.defaults.thresholds.steps.map((s: { value: number | null }) => s.value), [null, 1, 3, 6, 14.4]);
    assert.equal(errorsBurn.fieldConfig.defaults.custom.thresholdsStyle.mode, 'line');
    assert.deepEqual(errorsBurn.targets!.map((t) => t.legendFormat), ['5m', '28m', '56m', '1h52m', '5h36m', '22h24m', '2d19h12m']);
    const latency = dashboard.panels.find((p) => p.title === 'Latency by route (p50 / p95 / p99)')!;
    assert.deepEqual(latency.targets!.map((t) => t.expr.slice(0, 24)), ['histogram_quantile(0.5, ', 'histogram_quantile(0.95,', 'histogram_quantile(0.99,']);
    assert.match(latency.targets![0].expr, /sum by \(le, method, route\) \(rate\(http_server_request_duration_seconds_bucket\{route!="unmatched"\}\[\$__rate_interval\]\)\)/);
    assert.equal(latency.targets![2].legendFormat, '{{method}} {{route}} p99');
  });
});

// The command line, through the real entry point.
async function cli(args: string[], cwd = process.cwd()) {
  return runCli([...args], cwd);
}

describe('sloctl generate', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sloctl-generate-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('prometheus: rules to stdout, exit 0', async () => {
    const r = await cli(['generate', 'prometheus', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Generated by sloctl from examples\/checkout\/slo\.yaml/);
    assert.equal((parse(r.stdout) as { groups: unknown[] }).groups.length, 4);
  });

  it('prometheus --format operator -o OUT: writes atomically, replacing the old file, no temp files left', async () => {
    const out = join(tmp, 'rules.yaml');
    writeFileSync(out, 'old');
    const r = await cli(['generate', 'prometheus', EXAMPLE, '--format', 'operator', '--namespace', 'shop', '--selector', 'job="checkout"', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote 4 SLO groups, 54 rules to /);
    const doc = parse(readFileSync(out, 'utf8')) as Record<string, any>;
    assert.equal(doc.kind, 'PrometheusRule');
    assert.equal(doc.metadata.namespace, 'shop');
    assert.match(doc.spec.groups[0].rules[0].expr, /job="checkout"/);
    assert.deepEqual(readdirSync(tmp), ['rules.yaml']);
  });

  it('grafana -o OUT: a dashboard JSON', async () => {
    const out = join(tmp, 'dashboard.json');
    const r = await cli(['generate', 'grafana', EXAMPLE, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(d.uid, 'sloctl-checkout');
    assert.equal(d.panels.filter((p: GrafanaPanel) => p.type === 'row').length, 4);
  });

  it('an invalid contract: the located diagnostics, exit 2 (could not run on it), nothing written', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: sloctl/v1\nservice: { name: x }\nobjectives:\n  errors:\n    objective: 150%\n');
    const out = join(tmp, 'never.yaml');
    const r = await cli(['generate', 'prometheus', bad, '-o', out], tmp);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bad\.yaml:5:16: error /);
    assert.match(r.stderr, /5 \| {5}objective: 150%\n.*\^/);
    assert.match(r.stderr, /sloctl: bad\.yaml is not a valid contract \(1 error above\); nothing generated/);
    assert.equal(existsSync(out), false);
    const g = await cli(['generate', 'grafana', bad], tmp);
    assert.equal(g.code, 2);
    assert.equal(g.stdout, '');
  });

  describe('several contracts in one run (a monorepo)', () => {
    const GOOD = readFileSync(EXAMPLE, 'utf8');
    /** svc-a and svc-b valid, svc-c with an objective of 150% (6:16 in the fixture). */
    function monorepo(): string {
      const dir = mkdtempSync(join(tmp, 'mono-'));
      for (const [svc, text] of [['svc-a', GOOD], ['svc-b', GOOD.replaceAll('checkout', 'orders')], ['svc-c', readFileSync('test/fixtures/contracts/invalid/objective-150.yaml', 'utf8')]]) {
        mkdirSync(join(dir, svc));
        writeFileSync(join(dir, svc, 'slo.yaml'), text);
      }
      return dir;
    }

    it('writes each output beside its contract; the invalid one is named at file:line:col, the others are still written, exit 2', async () => {
      const dir = monorepo();
      const r = await cli(['generate', 'prometheus', 'svc-a/slo.yaml', 'svc-c/slo.yaml', 'svc-b/slo.yaml'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^svc-c\/slo\.yaml:6:16: error SLO_OBJECTIVE_RANGE/m);
      assert.match(r.stderr, /wrote 4 SLO groups, 54 rules for svc-a\/slo\.yaml to svc-a\/slo\.rules\.yaml/);
      assert.match(r.stderr, /sloctl: 1 of 3 contracts failed, nothing written for it: svc-c\/slo\.yaml \(1 error above\); the other 2 were written\n$/);
      // Neither contract names a selector: the warning says to set one in each contract, not to
      // pass --selector, which a run over several contracts refuses.
      assert.match(r.stderr, /warning: without a selector the rules match .*set `metrics: \{ selector: 'job="checkout"' \}` in the contract \(the service's scrape job\)\n/);
      assert.doesNotMatch(r.stderr, /or pass --selector/);
      assert.match(readFileSync(join(dir, 'svc-a', 'slo.rules.yaml'), 'utf8'), /^# Generated by sloctl from svc-a\/slo\.yaml/);
      assert.match(readFileSync(join(dir, 'svc-b', 'slo.rules.yaml'), 'utf8'), /service="orders"|orders/);
      assert.equal(existsSync(join(dir, 'svc-c', 'slo.rules.yaml')), false);
      // The contract JSON goes where validate looks for it (svc-a/slo.json); an unreadable file is one failure among the others.
      const c = await cli(['generate', 'contract', 'svc-a/slo.yaml', 'nope/slo.yaml'], dir);
      assert.equal(c.code, 2);
      assert.match(c.stderr, /sloctl: cannot read nope\/slo\.yaml: no such file or directory/);
      assert.match(c.stderr, /1 of 2 contracts failed, nothing written for it: nope\/slo\.yaml \(cannot be read\); the other 1 was written/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'svc-a', 'slo.json'), 'utf8')).source, 'svc-a/slo.yaml');
    });

    it('--out-dir: one file per contract, named after its directory so two slo.yaml do not collide', async () => {
      const dir = monorepo();
      mkdirSync(join(dir, 'out'));
      const r = await cli(['generate', 'grafana', 'svc-a/slo.yaml', 'svc-b/slo.yaml', '--out-dir', 'out'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(join(dir, 'out')).sort(), ['svc-a.dashboard.json', 'svc-b.dashboard.json']);
      assert.equal(JSON.parse(readFileSync(join(dir, 'out', 'svc-b.dashboard.json'), 'utf8')).uid, 'sloctl-orders');
      const op = await cli(['generate', 'prometheus', 'svc-a/slo.yaml', '--format', 'operator', '--out-dir', 'out'], dir);
      assert.equal(op.code, 0, op.stderr);
      assert.ok(existsSync(join(dir, 'out', 'svc-a.prometheusrule.yaml')));
    });

    it('refuses before writing anything: -o with several, --selector with several, two contracts to one file, a missing --out-dir', async () => {
      const dir = monorepo();
      writeFileSync(join(dir, 'svc-a', 'slo.yml'), GOOD);
      writeFileSync(join(dir, 'svc-b', 'slo.json'), '{}');
      const cases: Array<[string[], RegExp]> = [
        [['generate', 'prometheus', 'svc-a/slo.yaml', 'svc-b/slo.yaml', '-o', 'x.yaml'], /-o names one output file, and 2 contracts were given/],
        [['generate', 'prometheus', 'svc-a/slo.yaml', 'svc-b/slo.yaml', '--selector', 'job="a"'], /--selector applies to one contract/],
        [['generate', 'prometheus', 'svc-a/slo.yaml', 'svc-a/slo.yml'], /svc-a\/slo\.yaml and svc-a\/slo\.yml would both be written to svc-a\/slo\.rules\.yaml/],
        [['generate', 'grafana', 'svc-a/slo.yaml', 'svc-b/slo.yaml', '--out-dir', 'nowhere'], /--out-dir nowhere: not a directory; create it first/],
        [['generate', 'contract', 'svc-b/slo.json', 'svc-a/slo.yaml'], /svc-b\/slo\.json: its output would be written over it/],
      ];
      for (const [args, message] of cases) {
        const r = await cli(args, dir);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message, args.join(' '));
      }
      assert.deepEqual(readdirSync(join(dir, 'svc-a')).sort(), ['slo.yaml', 'slo.yml']);
      assert.equal(existsSync(join(dir, 'x.yaml')), false);
    });
  });

  it('usage errors exit 2 with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['generate', 'prometheus', EXAMPLE, '--format', 'json'], /--format must be rules or operator, got "json"/],
      [['generate', 'prometheus', EXAMPLE, '--namespace', 'x'], /--namespace applies to --format operator only/],
      [['generate', 'prometheus', EXAMPLE, '--selector', 'job=checkout'], /--selector must be PromQL label matchers/],
      [['generate', 'prometheus', 'nope.yaml'], /cannot read nope\.yaml: no such file or directory/],
      [['generate', 'grafana', 'examples'], /cannot read examples: is a directory/],
      [['generate', 'prometheus', EXAMPLE, '-o', join(tmp, 'missing-dir', 'x.yaml')], /cannot write .*: the directory does not exist/],
      [['generate', 'prometheus'], /no contract named, and no slo\.yaml in .*: name the contract file \(`sloctl generate prometheus path\/to\/slo\.yaml`\)/],
      [['generate', 'prometheus', EXAMPLE, '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});
