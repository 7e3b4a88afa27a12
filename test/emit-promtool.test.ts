// The generated rules in a real promtool: `check rules` on the example and hand-made contracts,
// and `test rules` on scripted traffic, showing every page and ticket alert fire at the minute
// the burn-rate math says, and not one evaluation before.
//
// promtool missing: skipped with the reason, or failed when CI is set (test/helpers/prometheus.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { isRecording, prometheusRules, renderPrometheusRules, type AlertingRule } from '../src/emit/prometheus.ts';
import { planSlos } from '../src/emit/slos.ts';
import { binaryVersion, rangeIsLeftOpen, requireBinary, run, type Version } from './helpers/prometheus.ts';
import { cumulative, encodeValues, firstMinute, offInteger, ratePerMinute } from './emit/traffic.ts';

function contractOf(file: string): Contract {
  const l = parseContract(readFileSync(file, 'utf8'), file);
  assert.ok(l.contract, l.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  assert.deepEqual(l.diagnostics.filter((d) => d.severity === 'error'), []);
  return l.contract;
}

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'sloctl-emit-promtool-')); });
after(() => { if (!process.env.SLOCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });

async function promtool(t: TestContext, args: string[]): Promise<{ code: number; out: string } | undefined> {
  const bin = requireBinary(t, 'promtool');
  if (!bin) return undefined;
  const r = await run(bin, args, { cwd: dir, timeoutMs: 300_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

describe('promtool check rules', () => {
  const cases: Array<[string, 'rules' | 'operator']> = [
    ['examples/checkout/slo.yaml', 'rules'],
    ['examples/checkout/slo.yaml', 'operator'],
    ['test/fixtures/emit/pay.yaml', 'rules'],
    ['test/fixtures/emit/custom.yaml', 'rules'],
    ['test/fixtures/emit/minimal.yaml', 'rules'],
    ['test/fixtures/emit/promhttp.yaml', 'rules'],
  ];
  for (const [file, format] of cases) {
    it(`${file} (${format}) passes`, async (t) => {
      const c = contractOf(file);
      const { text, rules } = renderPrometheusRules(c, { source: file, format, selector: file.includes('pay') ? 'job="pay"' : file.includes('promhttp') ? 'job="orders-go"' : undefined });
      let rulesText = text;
      if (format === 'operator') {
        // promtool reads rules files; the operator's resource carries the same groups in spec.
        const { parse } = await import('yaml');
        const doc = parse(text) as { apiVersion: string; kind: string; spec: { groups: unknown[] } };
        assert.equal(doc.apiVersion, 'monitoring.coreos.com/v1');
        assert.equal(doc.kind, 'PrometheusRule');
        rulesText = stringify({ groups: doc.spec.groups });
      }
      const path = join(dir, `check-${file.replace(/\W+/g, '-')}-${format}.yaml`);
      writeFileSync(path, rulesText);
      const r = await promtool(t, ['check', 'rules', path]);
      if (!r) return;
      const total = rules.counts.reduce((n, s) => n + s.recording + s.alerting, 0);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`SUCCESS: ${total} rules found`), r.out);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The scripted scenarios (test/fixtures/emit/pay.yaml, window 30d, one sample a minute), one per
// SLO, each a promtool test of its own in one promtool run:
//
//   minutes 1 .. T0   steady traffic, well inside the objective
//   minutes T0+1 ..   a burst: errors at about 20x the errors budget; slow requests at 13x the
//                     latency budget
//
// T0 is at least the longest window the SLO's tiers use (3 days for the errors SLO's default
// ticket tier, 30 minutes for the latency SLO's own tier), so every window is full of steady
// traffic when the burst starts and never reaches back before the first sample.
//
// When does a tier (threshold B, long window L, short window S, `for` F) fire? Write b0 and b1 for
// the burn rate of the steady and the burst traffic (error ratio / (1 - objective)). d minutes
// into the burst, a window of W minutes (d <= W) holds d burst minutes and W - d steady ones, so
// (Prometheus 2, closed range [t-W, t]):
//
//   burn_W(d) = (b1·d + b0·(W - d)) / W
//
// which exceeds B once d > W·(B - b0) / (b1 - b0). The tier's condition holds from the first
// minute d* at which both burn_L and burn_S exceed B, the alert is pending from T0 + d* and
// firing from T0 + d* + F (promtool lists firing alerts only). The test does not use the closed
// form: it walks the counters minute by minute with `ratePerMinute` (which also knows
// Prometheus 3's left-open ranges, where W becomes W - 1 above), and checks the closed form
// agrees for Prometheus 2.
// ---------------------------------------------------------------------------------------------

const MIN = (m: number) => `${m}m`;

/** The SRE workbook's tiers for a 30-day window, as the contract leaves them by default. */
const WORKBOOK = [
  { name: 'page-1h', severity: 'page', burnRate: 14.4, long: 60, short: 5, forMin: 2 },
  { name: 'page-6h', severity: 'page', burnRate: 6, long: 360, short: 30, forMin: 2 },
  { name: 'ticket-1d', severity: 'ticket', burnRate: 3, long: 1440, short: 120, forMin: 2 },
  { name: 'ticket-3d', severity: 'ticket', burnRate: 1, long: 4320, short: 360, forMin: 2 },
] as const;
/** The latency SLO's own tier, written in the contract: 10x over 30m and 3m, for 5m. */
const LATENCY_TIERS = [{ name: 'page-30m', severity: 'page', burnRate: 10, long: 30, short: 3, forMin: 5 }] as const;

type Tier = { name: string; severity: string; burnRate: number; long: number; short: number; forMin: number };
type Series = { series: string; values: string };
const JOB = 'job="pay"';

// Errors: 1024 requests a minute; one transient error (weight 0.5) a minute throughout, and from
// T0 on eight server errors (weight 2.5) a minute. Weighted bad per minute: 0.5, then 20.5.
// Budget 0.1%: b0 = 0.5 / 1024 / 0.001 = 0.488, b1 = 20.5 / 1024 / 0.001 = 20.02.
const REQS = 1024;
const WEIGHTS = { transient: 0.5, server: 2.5 };
const ERRORS_BUDGET = 0.001;

function errorsScenario(t0: number, minutes: number) {
  const c = {
    transient: cumulative(() => 1, minutes),
    server: cumulative((k) => (k > t0 ? 8 : 0), minutes),
    none: cumulative((k) => REQS - 1 - (k > t0 ? 8 : 0), minutes),
  };
  const req = (cls: keyof typeof c) => `http_server_requests_total{${JOB}, method="POST", route="/charge", status_class="${cls === 'none' ? '2xx' : '5xx'}", error_class="${cls}"}`;
  const series: Series[] = (['none', 'transient', 'server'] as const).map((k) => ({ series: req(k), values: encodeValues(c[k]) }));
  const burn = (t: number, w: number, leftOpen: boolean) => {
    const r = (x: number[]) => ratePerMinute(x, t, w, leftOpen);
    return (WEIGHTS.transient * r(c.transient) + WEIGHTS.server * r(c.server)) / (r(c.none) + r(c.transient) + r(c.server)) / ERRORS_BUDGET;
  };
  return { c, series, burn };
}

// Latency (objective 99% within 200 ms; POST /charge has its own 300 ms):
//   GET /status   600/min: 3/min over 200 ms, from T0 60/min
//   POST /charge  400/min: 100/min between 200 and 300 ms (good for this route) always, and
//                 2/min over 300 ms, from T0 70/min
// Bad per minute: 5 (b0 = 5/1000/0.01 = 0.5), then 130 (b1 = 13). A rule that judged /charge at
// 200 ms would count 100 more bad requests a minute and fire long before the math below.
const LATENCY_BUDGET = 0.01;

function latencyScenario(t0: number, minutes: number) {
  const getSlow = (k: number) => (k > t0 ? 60 : 3);
  const postSlow = (k: number) => (k > t0 ? 70 : 2);
  const c = {
    getCount: cumulative(() => 600, minutes),
    getFast: cumulative((k) => 600 - getSlow(k), minutes),
    postCount: cumulative(() => 400, minutes),
    postUnder300: cumulative((k) => 400 - postSlow(k), minutes),
    postUnder200: cumulative((k) => 400 - postSlow(k) - 100, minutes),
  };
  const hist = (suffix: string, method: string, route: string, le?: string) =>
    `http_server_request_duration_seconds_${suffix}{${JOB}, method="${method}", route="${route}", status_class="2xx", sli_class="default"${le ? `, le="${le}"` : ''}}`;
  const series: Series[] = ([
    [hist('bucket', 'GET', '/status', '0.2'), c.getFast],
    [hist('bucket', 'GET', '/status', '+Inf'), c.getCount],
    [hist('count', 'GET', '/status'), c.getCount],
    [hist('bucket', 'POST', '/charge', '0.2'), c.postUnder200],
    [hist('bucket', 'POST', '/charge', '0.3'), c.postUnder300],
    [hist('bucket', 'POST', '/charge', '+Inf'), c.postCount],
    [hist('count', 'POST', '/charge'), c.postCount],
  ] as const).map(([s, v]) => ({ series: s, values: encodeValues(v) }));
  const burn = (t: number, w: number, leftOpen: boolean) => {
    const r = (x: number[]) => ratePerMinute(x, t, w, leftOpen);
    return (1 - (r(c.getFast) + r(c.postUnder300)) / (r(c.getCount) + r(c.postCount))) / LATENCY_BUDGET;
  };
  return { c, series, burn };
}

interface Expected {
  tier: Tier;
  pendingAt: number;
  firingAt: number;
}

function expectFiring(tiers: readonly Tier[], t0: number, burn: (t: number, w: number) => number, horizon: number): Expected[] {
  return tiers.map((tier) => {
    const cond = (t: number) => burn(t, tier.long) > tier.burnRate && burn(t, tier.short) > tier.burnRate;
    // Before the burst the condition never holds (checked over up to 6 hours before T0).
    assert.equal(firstMinute(Math.max(tier.long, t0 - 360), t0, cond), undefined, `${tier.name} holds before the burst`);
    const pendingAt = firstMinute(t0, horizon, cond);
    assert.ok(pendingAt !== undefined, `${tier.name} never fires within the scenario`);
    // A fixture on a knife-edge would test floating-point rounding, not the rules: both windows
    // must be clearly on their side of the threshold at the crossing minute and the one before.
    for (const t of [pendingAt - 1, pendingAt]) {
      for (const w of [tier.long, tier.short]) {
        assert.ok(Math.abs(burn(t, w) - tier.burnRate) > 1e-6, `${tier.name}: burn over ${w}m at ${t}m sits on the threshold`);
      }
    }
    // `for` needs the condition to hold at every evaluation until it fires.
    for (let t = pendingAt; t <= pendingAt + tier.forMin; t++) assert.ok(cond(t), `${tier.name} flaps while pending`);
    return { tier, pendingAt, firingAt: pendingAt + tier.forMin };
  });
}

/** The closed form of the header comment (Prometheus 2 ranges): minutes into the burst. */
function closedForm(tier: Tier, b0: number, b1: number): number {
  return Math.max(...[tier.long, tier.short].map((w) => Math.floor((w * (tier.burnRate - b0)) / (b1 - b0)) + 1));
}

function renderValue(template: string, value: number): string {
  // The only template in the generated annotations: `{{ $value | printf "%.2f" }}`. Go's %.2f and
  // toFixed(2) round alike away from exact ties; the fixture is checked not to sit on one.
  assert.ok(Math.abs(offInteger(value * 100) - 0.5) > 1e-6, `$value ${value} sits on a rounding tie`);
  return template.split('{{ $value | printf "%.2f" }}').join(value.toFixed(2));
}

describe('promtool test rules: alerts fire when the math says, not before', () => {
  it('every page and ticket tier of the errors and latency SLOs', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const version: Version = await binaryVersion(bin);
    const leftOpen = rangeIsLeftOpen(version);

    const c0 = contractOf('test/fixtures/emit/pay.yaml');
    const rules = prometheusRules(c0, { selector: JOB });
    const plan = planSlos(c0);
    const tiersOf = (slo: string) => plan.slos.find((s) => s.name === slo)!.tiers.map((x) => [x.name, x.severity, x.burnRate, x.longMs / 60_000, x.shortMs / 60_000, x.forMs / 60_000]);
    // The contract leaves the errors SLO's tiers to the defaults: the workbook's, unscaled for 30d.
    assert.deepEqual(tiersOf('errors'), WORKBOOK.map((x) => [x.name, x.severity, x.burnRate, x.long, x.short, x.forMin]));
    assert.deepEqual(tiersOf('fast'), LATENCY_TIERS.map((x) => [x.name, x.severity, x.burnRate, x.long, x.short, x.forMin]));

    const alertRules = rules.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => !isRecording(r));
    const labels = (slo: string) => `sloctl_service="pay", sloctl_slo="${slo}"`;
    const summary: string[] = [];

    const scenarioTest = (
      slo: string,
      alertname: string,
      t0: number,
      tiers: readonly Tier[],
      make: (t0: number, minutes: number) => { series: Series[]; burn: (t: number, w: number, leftOpen: boolean) => number },
      closed: [number, number],
      extraLabels: Record<string, string>,
    ) => {
      const horizon = t0 + 300;
      const sc = make(t0, horizon);
      const burn = (t1: number, w: number) => sc.burn(t1, w, leftOpen);
      const expected = expectFiring(tiers, t0, burn, horizon);
      if (!leftOpen) for (const e of expected) assert.equal(e.pendingAt - t0, closedForm(e.tier, ...closed), e.tier.name);
      summary.push(`${slo}: ${expected.map((e) => `${e.tier.name} fires at T0+${e.firingAt - t0}m`).join(', ')}`);

      // At each checked minute, the alerts that must be firing: exactly the tiers whose firing
      // minute has come (promtool compares the whole list, labels and annotations). Checked: T0,
      // and each tier's firing minute and the minute before it.
      const checks = [...new Set([t0, ...expected.flatMap((e) => [e.firingAt - 1, e.firingAt])])].sort((a, b) => a - b);
      const alertTests: unknown[] = checks.map((at) => ({
        eval_time: MIN(at),
        alertname,
        exp_alerts: expected.filter((e) => e.firingAt <= at).map((e) => {
          const rule = alertRules.find((r) => r.labels.sloctl_tier === e.tier.name && r.labels.sloctl_slo === slo)!;
          // $value is the long window's burn rate at `at` (the left side of the rule's `and`).
          const value = burn(at, e.tier.long);
          return {
            exp_labels: { severity: e.tier.severity, sloctl_service: 'pay', sloctl_slo: slo, sloctl_tier: e.tier.name, ...extraLabels },
            exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, renderValue(v, value)])),
          };
        }),
      }));
      // The absent-metric alert never fires while the metrics are there.
      alertTests.push({ eval_time: MIN(checks[checks.length - 1]), alertname: alertname.replace('ErrorBudgetBurn', 'SLIMissing'), exp_alerts: [] });

      // Recorded values, rounded so promtool's exact comparison is a fair one: the burn rate over
      // each window 30 minutes into the burst.
      const at = t0 + 30;
      const windows = [...new Set(tiers.flatMap((x) => [x.long, x.short]))];
      const name = (w: number) => (w % 1440 === 0 ? `${w / 1440}d` : w % 60 === 0 ? `${w / 60}h` : `${w}m`);
      const exprTests: unknown[] = windows.map((w) => ({
        expr: `round(sloctl:burn_rate:${name(w)}{${labels(slo)}} * 1000)`,
        eval_time: MIN(at),
        exp_samples: [{ labels: `{${labels(slo)}}`, value: Math.round(burn(at, w) * 1000) }],
      }));
      return { interval: '1m', input_series: sc.series, alert_rule_test: alertTests, promql_expr_test: exprTests };
    };

    const errorsTest = scenarioTest('errors', 'PayErrorsErrorBudgetBurn', 3 * 1440, WORKBOOK, errorsScenario, [0.5 / REQS / ERRORS_BUDGET, 20.5 / REQS / ERRORS_BUDGET], { team: 'payments' });
    const latencyTest = scenarioTest('fast', 'PayFastErrorBudgetBurn', 60, LATENCY_TIERS, latencyScenario, [0.5, 13], {});

    // The events and the budget over the 30d window, in the errors scenario: the window is longer
    // than the scenario, so the increase is the whole counter (it starts at 0, and Prometheus does
    // not extrapolate a counter back past 0).
    const errT0 = 3 * 1440;
    const at = errT0 + 30;
    const ec = errorsScenario(errT0, at).c;
    const weightedBad = WEIGHTS.transient * ec.transient[at] + WEIGHTS.server * ec.server[at];
    const total = ec.none[at] + ec.transient[at] + ec.server[at];
    (errorsTest.promql_expr_test as unknown[]).push(
      { expr: `round(sloctl:bad_events:increase30d{${labels('errors')}} * 10)`, eval_time: MIN(at), exp_samples: [{ labels: `{${labels('errors')}}`, value: Math.round(weightedBad * 10) }] },
      { expr: `sloctl:total_events:increase30d{${labels('errors')}}`, eval_time: MIN(at), exp_samples: [{ labels: `sloctl:total_events:increase30d{${labels('errors')}}`, value: total }] },
      {
        expr: `round(sloctl:error_budget_remaining:ratio{${labels('errors')}} * 1e6)`,
        eval_time: MIN(at),
        exp_samples: [{ labels: `{${labels('errors')}}`, value: Math.round((1 - weightedBad / total / ERRORS_BUDGET) * 1e6) }],
      },
    );

    writeFileSync(join(dir, 'pay.rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
    const testPath = join(dir, 'pay.test.yaml');
    writeFileSync(testPath, stringify({ rule_files: ['pay.rules.yaml'], evaluation_interval: '1m', tests: [errorsTest, latencyTest] }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', testPath], { cwd: dir, timeoutMs: 600_000 });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    t.diagnostic(`${version.text}: ${summary.join('; ')}`);
  });
});

describe('promtool test rules: the absent-metric alert', () => {
  it('fires `for` after the SLI input disappears, not before', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const c0 = contractOf('test/fixtures/emit/pay.yaml');
    const rules = prometheusRules(c0, { selector: 'job="pay"' });
    const absentRules = rules.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => !isRecording(r) && r.alert.endsWith('SLIMissing'));
    assert.deepEqual(absentRules.map((r) => [r.alert, r.for, r.labels.severity]), [['PayFastSLIMissing', '10m', 'page'], ['PayErrorsSLIMissing', '10m', 'page']]);
    const FOR = 10;
    // The request counter is scraped for minutes 0..10, then the target goes away: Prometheus
    // writes a staleness marker at the next scrape (minute 11), from which the series is gone.
    // absent() holds from minute 11, so the alert is pending at 11 and firing at 11 + 10 = 21.
    // The latency histogram never existed: absent() holds from minute 0, firing at 0 + 10 = 10.
    const counter = { series: 'http_server_requests_total{job="pay", method="GET", route="/status", status_class="2xx", error_class="none"}', values: `0+60x10 stale` };
    const expected = (name: string, slo: string) => {
      const rule = absentRules.find((r) => r.alert === name)!;
      // absent() returns the equality matchers of its selector as labels: job="pay" from --selector.
      return [{ exp_labels: { severity: 'page', job: 'pay', sloctl_service: 'pay', sloctl_slo: slo, ...(slo === 'errors' ? { team: 'payments' } : {}) }, exp_annotations: rule.annotations }];
    };
    const firesAt = { PayErrorsSLIMissing: 11 + FOR, PayFastSLIMissing: 0 + FOR };
    const alertTests = Object.entries(firesAt).flatMap(([name, at]) => [
      { eval_time: MIN(at - 1), alertname: name, exp_alerts: [] },
      { eval_time: MIN(at), alertname: name, exp_alerts: expected(name, name === 'PayErrorsSLIMissing' ? 'errors' : 'fast') },
    ]);
    writeFileSync(join(dir, 'absent.rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
    const testPath = join(dir, 'absent.test.yaml');
    writeFileSync(testPath, stringify({
      rule_files: ['absent.rules.yaml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: [counter], alert_rule_test: alertTests }],
    }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', testPath], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });
});

// ---------------------------------------------------------------------------------------------
// A Go service labelled by promhttp (test/fixtures/emit/promhttp.yaml maps handler, method and
// code): the rules count its errors from the code label, and when the series do not carry the
// label the mapping reads (or the histogram has no bucket at a threshold), an SLIUnmeasurable
// alert fires instead of `... or vector(0)` reading it as all good. Scraped every 15s, 20 requests
// per scrape to POST /orders (method="post"), all within 250ms.

describe('promtool test rules: promhttp labels, and the unmeasurable alert', () => {
  it('counts 500s from the code label, composes availability from its parts, and fires SLIUnmeasurable when the label or the bucket is missing', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const c0 = contractOf('test/fixtures/emit/promhttp.yaml');
    const rules = prometheusRules(c0, { selector: 'job="orders-go"' });
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => !isRecording(r) && r.alert.endsWith('SLIUnmeasurable'));
    assert.deepEqual(alerts.map((r) => [r.alert, r.for]), [['OrdersGoApiLatencySLIUnmeasurable', '10m'], ['OrdersGoErrorsSLIUnmeasurable', '10m']]);
    const job = 'job="orders-go", instance="go:8080"';
    const steps = 80; // 20 minutes at 15s
    const series = (name: string, labels: string, perScrape: number) => ({ series: `${name}{${job}, handler="/orders", method="post"${labels}}`, values: `0+${perScrape}x${steps}` });
    const hist = (code: string, perScrape: number, les: string[]) => [
      ...les.map((le) => series('http_request_duration_seconds_bucket', `${code}, le="${le}"`, perScrape)),
      series('http_request_duration_seconds_count', code, perScrape),
    ];
    const up = { series: `up{${job}}`, values: `1+0x${steps}` };
    // Labelled: 19 answered 201 and 1 answered 500 (5%) per scrape; buckets at the thresholds.
    const labelled = [
      series('http_requests_total', ', code="201"', 19),
      series('http_requests_total', ', code="500"', 1),
      ...hist(', code="201"', 19, ['0.25', '0.3', '+Inf']),
      ...hist(', code="500"', 1, ['0.25', '0.3', '+Inf']),
      up,
    ];
    // Unlabelled and with Go's default buckets: no code, no bucket at 0.3 (POST /orders' own threshold).
    const unlabelled = [series('http_requests_total', '', 20), ...hist('', 20, ['0.25', '0.5', '+Inf']), up];
    const sel = (slo: string) => `{sloctl_service="orders-go", sloctl_slo="${slo}"}`;
    const fired = (name: string, labels: Record<string, string> = {}) => {
      const rule = alerts.find((r) => r.alert === name)!;
      // The latency alert's text reads the labels of the series it names.
      const expand = (text: string) => text.replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_, k: string) => labels[k] ?? '<no value>');
      return [{ exp_labels: { ...rule.labels, ...labels }, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v)])) }];
    };
    // The series without a bucket at POST /orders' own 300ms threshold, named with it.
    const noBucket = { job: 'orders-go', instance: 'go:8080', handler: '/orders', method: 'post', sloctl_threshold_le: '0.3' };
    const tests = [
      {
        interval: '15s',
        input_series: labelled,
        alert_rule_test: [
          { eval_time: '20m', alertname: 'OrdersGoErrorsSLIUnmeasurable', exp_alerts: [] },
          { eval_time: '20m', alertname: 'OrdersGoApiLatencySLIUnmeasurable', exp_alerts: [] },
        ],
        promql_expr_test: [
          // 500s are server errors at 2.5: (1 × 2.5 / 20) / 0.5% budget = 25.
          { expr: `round(sloctl:burn_rate:5m${sel('errors')} * 1000)`, eval_time: '20m', exp_samples: [{ labels: sel('errors'), value: 25_000 }] },
          // POST /orders within 250ms is good at its own 300ms (method="post" matched in any case).
          { expr: `round(sloctl:burn_rate:5m${sel('api-latency')} * 1000)`, eval_time: '20m', exp_samples: [{ labels: sel('api-latency'), value: 0 }] },
          // No sloctl_availability gauge: health up 0.3 + latency met 0.25 + success missed 0 + no critical dependency 0.2.
          { expr: `round(sloctl:availability:ratio${sel('availability')} * 1000)`, eval_time: '20m', exp_samples: [{ labels: sel('availability'), value: 750 }] },
          { expr: `round(sloctl:burn_rate:5m${sel('availability')} * 1000)`, eval_time: '20m', exp_samples: [{ labels: sel('availability'), value: 250_000 }] },
        ],
      },
      {
        interval: '15s',
        input_series: unlabelled,
        alert_rule_test: [
          { eval_time: '9m', alertname: 'OrdersGoErrorsSLIUnmeasurable', exp_alerts: [] },
          { eval_time: '10m', alertname: 'OrdersGoErrorsSLIUnmeasurable', exp_alerts: fired('OrdersGoErrorsSLIUnmeasurable') },
          // A rate needs two samples: true from the evaluation at 1m, firing 10m later.
          { eval_time: '10m', alertname: 'OrdersGoApiLatencySLIUnmeasurable', exp_alerts: [] },
          { eval_time: '11m', alertname: 'OrdersGoApiLatencySLIUnmeasurable', exp_alerts: fired('OrdersGoApiLatencySLIUnmeasurable', noBucket) },
        ],
        promql_expr_test: [
          // What the alert is for: without the code label the errors SLO reads 0 burn, all good.
          { expr: `sloctl:burn_rate:5m${sel('errors')}`, eval_time: '20m', exp_samples: [{ labels: `sloctl:burn_rate:5m${sel('errors')}`, value: 0 }] },
          // Without its bucket, no request of the series can be judged: the latency SLI reads
          // nothing (the alert above says why), not a 100x burn of "every request slow".
          { expr: `sloctl:burn_rate:5m${sel('api-latency')}`, eval_time: '20m', exp_samples: [] },
          // The composite's success part is unknown without the label: no sample, not a good one.
          { expr: `sloctl:availability:ratio${sel('availability')}`, eval_time: '20m', exp_samples: [] },
        ],
      },
    ];
    writeFileSync(join(dir, 'promhttp.rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
    const testPath = join(dir, 'promhttp.test.yaml');
    writeFileSync(testPath, stringify({ rule_files: ['promhttp.rules.yaml'], evaluation_interval: '1m', tests }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', testPath], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });
});

// ---------------------------------------------------------------------------------------------
// The same promhttp service with a critical dependency (trial report, defect 2). promhttp exports
// no sloctl_dependency_up: without a `metrics.dependencyUp` mapping the composite leaves the
// dependencies part out and divides by the other weights (it used to read sloctl_dependency_up,
// find nothing, record no sample and page with SLIMissing on a healthy service). With the gauge
// mapped, it is read; mapped and absent, the composite is empty and SLIMissing fires, as before.

describe('promtool test rules: promhttp availability with a critical dependency', () => {
  const withDependency = (mapping: string) => {
    const text = readFileSync('test/fixtures/emit/promhttp.yaml', 'utf8')
      .replace('  labels: { route: handler, method: method, status: code }', `  labels: { route: handler, method: method, status: code }${mapping}`)
      .concat('dependencies:\n  - { name: inventory, timeout: 100ms, critical: true }\n');
    const l = parseContract(text, 'promhttp-dep.yaml');
    assert.ok(l.contract, l.diagnostics.map((d) => d.message).join('\n'));
    return { contract: l.contract, diagnostics: l.diagnostics };
  };

  it('without a dependency gauge: the composite is recorded from the measured parts, renormalised, and SLIMissing stays quiet', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const unmapped = withDependency('').contract;
    const mapped = withDependency('\n  dependencyUp: inventory_up').contract;
    const plan = planSlos(unmapped, { selector: 'job="orders-go"' });
    assert.match(plan.warnings.join('\n'), /availability leaves out its dependencies part \(weight 0\.2\): the contract maps no metrics\.dependencyUp gauge for the critical dependency inventory/);
    assert.ok(!/sloctl_dependency_up/.test(plan.slos.find((s) => s.kind === 'availability')!.slice!.expr), 'the composite does not read a metric promhttp never exports');
    const mappedRules = prometheusRules(mapped, { selector: 'job="orders-go"' });
    const unmappedRules = prometheusRules(unmapped, { selector: 'job="orders-go"' });
    const missing = unmappedRules.groups.flatMap((g) => g.rules).find((r): r is AlertingRule => !isRecording(r) && r.alert === 'OrdersGoAvailabilitySLIMissing')!;
    assert.match(missing.annotations.description, /Note: availability leaves out its dependencies part/);
    const job = 'job="orders-go", instance="go:8080"';
    const steps = 80; // 20 minutes at 15s
    const series = (name: string, labels: string, perScrape: number) => ({ series: `${name}{${job}, handler="/orders", method="post"${labels}}`, values: `0+${perScrape}x${steps}` });
    const hist = (code: string, perScrape: number) => [
      ...['0.25', '0.3', '+Inf'].map((le) => series('http_request_duration_seconds_bucket', `${code}, le="${le}"`, perScrape)),
      series('http_request_duration_seconds_count', code, perScrape),
    ];
    // What promhttp exports: 19 answered 201 and 1 answered 500 per scrape (success missed), all
    // within the thresholds (latency met), the target up. No dependency gauge of any name.
    const promhttp = [
      series('http_requests_total', ', code="201"', 19),
      series('http_requests_total', ', code="500"', 1),
      ...hist(', code="201"', 19),
      ...hist(', code="500"', 1),
      { series: `up{${job}}`, values: `1+0x${steps}` },
    ];
    const sel = `{sloctl_service="orders-go", sloctl_slo="availability"}`;
    const ratio = (value: number | undefined) => ({ expr: `round(sloctl:availability:ratio${sel} * 10000)`, eval_time: '20m', exp_samples: value === undefined ? [] : [{ labels: sel, value }] });
    const slimissing = (fires: boolean, rules: typeof unmappedRules) => {
      const rule = rules.groups.flatMap((g) => g.rules).find((r): r is AlertingRule => !isRecording(r) && r.alert === 'OrdersGoAvailabilitySLIMissing')!;
      return { eval_time: '20m', alertname: 'OrdersGoAvailabilitySLIMissing', exp_alerts: fires ? [{ exp_labels: rule.labels, exp_annotations: rule.annotations }] : [] };
    };
    const runOne = async (name: string, rules: typeof unmappedRules, input: unknown[], value: number | undefined, fires: boolean) => {
      writeFileSync(join(dir, `${name}.rules.yaml`), stringify({ groups: rules.groups }, { lineWidth: 0 }));
      const testPath = join(dir, `${name}.test.yaml`);
      writeFileSync(testPath, stringify({
        rule_files: [`${name}.rules.yaml`],
        evaluation_interval: '1m',
        tests: [{ interval: '15s', input_series: input, alert_rule_test: [slimissing(fires, rules)], promql_expr_test: [ratio(value)] }],
      }, { lineWidth: 0 }));
      const r = await run(bin, ['test', 'rules', testPath], { cwd: dir });
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
    };
    // Unmapped: (0.3 × up 1 + 0.25 × latency met 1 + 0.25 × success missed 0) / 0.8 = 0.6875.
    await runOne('promhttp-dep-unmapped', unmappedRules, promhttp, 6875, false);
    // Mapped and exported at 1: 0.3 + 0.25 + 0 + 0.2 × 1 = 0.75, the dependency counted.
    await runOne('promhttp-dep-mapped', mappedRules, [...promhttp, { series: `inventory_up{${job}, dependency="inventory"}`, values: `1+0x${steps}` }], 7500, false);
    // Mapped and never exported: the part is unknown, the composite empty, SLIMissing fires.
    await runOne('promhttp-dep-mapped-absent', mappedRules, promhttp, undefined, true);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys and text promtool rejects (issue 15, item 10): annotation and label keys that are not
// Prometheus names (`openslo.com/objective`, `sloth.dev/alert-name`, `team-name`) are left off
// the alerts with a warning naming them; `{{` in a description is written so Go's template
// parser reads it as text.

describe('promtool check rules: keys that are not Prometheus names, and template text', () => {
  const contract = `apiVersion: sloctl/v1
service: {name: shop}
slis:
  - name: orders
    description: "orders confirmed {{ within }} 5 minutes"
    good: sum(rate(orders_total{state="confirmed"}[$window]))
    total: sum(rate(orders_total[$window]))
    objective: 99%
    labels: {team: checkout, team-name: "Check out", "app.kubernetes.io/name": shop}
    annotations: {openslo.com/objective: '{"target":0.99}', runbook_url: https://runbooks/orders, sloth.dev/alert-name: X}
    alerting:
      labels: {"bad label": x, routing: pager}
      annotations: {"summary": "orders {{ $labels.sloctl_slo }}"}
`;

  it('the invalid keys are dropped from the alerts with one warning per SLO and kind; promtool accepts the rules', async (t) => {
    const l = parseContract(contract, 'shop.yaml');
    assert.deepEqual(l.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const { text, rules } = renderPrometheusRules(l.contract!, { source: 'shop.yaml' });
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => !isRecording(r));
    assert.ok(alerts.length > 0);
    for (const a of alerts) {
      assert.deepEqual(Object.keys(a.labels).filter((k) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)), [], a.alert);
      assert.deepEqual(Object.keys(a.annotations).filter((k) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)), [], a.alert);
      // The valid ones are kept, the user's own template too.
      assert.equal(a.labels.team, 'checkout');
      assert.equal(a.labels.routing, 'pager');
      assert.equal(a.annotations.runbook_url, 'https://runbooks/orders');
      assert.equal(a.annotations.summary, 'orders {{ $labels.sloctl_slo }}');
      // The description's `{{` is text, not an action.
      assert.ok(a.annotations.description.includes('orders confirmed {{ "{{" }} within }} 5 minutes'), a.annotations.description);
    }
    assert.deepEqual(rules.warnings.filter((w) => /not on its alerts/.test(w)), [
      'orders: labels "team-name", "app.kubernetes.io/name", "bad label" are not on its alerts: Prometheus rejects the rules file otherwise (a label name is [a-zA-Z_][a-zA-Z0-9_]* and not __name__); they stay in the contract',
      'orders: annotations "openslo.com/objective", "sloth.dev/alert-name" are not on its alerts: Prometheus rejects the rules file otherwise (an annotation name is [a-zA-Z_][a-zA-Z0-9_]*); they stay in the contract',
    ]);
    const r = await promtool(t, ['check', 'rules', (() => { const p = join(dir, 'shop.rules.yaml'); writeFileSync(p, text); return p; })()]);
    if (!r) return;
    assert.equal(r.code, 0, r.out);
  });

  it('without the fix promtool would reject them (the check is a real one)', async (t) => {
    const l = parseContract(contract, 'shop.yaml');
    const { rules } = renderPrometheusRules(l.contract!, {});
    const groups = rules.groups.map((g) => ({ ...g, rules: g.rules.map((x) => (isRecording(x) ? x : { ...x, annotations: { ...x.annotations, 'openslo.com/objective': 'x' } })) }));
    const p = join(dir, 'shop-unfixed.rules.yaml');
    writeFileSync(p, stringify({ groups }));
    const r = await promtool(t, ['check', 'rules', p]);
    if (!r) return;
    assert.notEqual(r.code, 0);
    assert.match(r.out, /invalid annotation name: openslo\.com\/objective/);
  });
});
