// A latency threshold the running service has no histogram bucket for: rules generated from a
// contract whose threshold (120ms) is not one of the buckets the deployed service still has (it
// runs with an older contract, 100ms). Found in a user trial (promtool tests nobucket_test.yaml,
// nobucket_partial_test.yaml); before the fix:
//
//   - no series has the bucket: the latency SLI read nothing, the burn-rate alerts could not fire,
//     and nothing said why (SLIMissing only checks absent(_count), and there were counts);
//   - some series have it: the requests of the others counted as slow, a healthy service read a
//     50x burn and paged.
//
// Now the total counts only the histogram series that have their threshold's bucket, and
// <Service><Slo>SLIUnmeasurable fires per series that counts requests without it, naming the
// series (method, route) and the threshold's `le` (for every contract, not only mapped ones).
//
// promtool missing: skipped with the reason, or failed when CI is set (test/helpers/prometheus.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { isRecording, prometheusRules, type AlertingRule } from '../src/emit/prometheus.ts';
import { evaluateThroughPrometheus } from '../src/evaluate/promql.ts';
import type { PromqlClient, QueryResult } from '../src/observe/promql-client.ts';
import { requireBinary, run } from './helpers/prometheus.ts';
import { contractFrom as contract } from './helpers/contract.ts';

// The trial's latency objective (120ms, checkout at its own threshold), with checkout at 1s so an
// integral threshold shows Prometheus 3's `le="1.0"` is still its bucket.
const SHOP = contract(`apiVersion: sloctl/v1
service: { name: shop }
window: 28d
bucket: 1m
scrapeInterval: 15s
routes:
  - { name: catalog, method: GET, path: /catalog }
  - { name: checkout, method: POST, path: /checkout, latency: 1s }
objectives:
  latency:
    - { name: api-latency, threshold: 120ms, objective: 99% }
`);

const rules = prometheusRules(SHOP);
const alert = rules.groups.flatMap((g) => g.rules).find((r): r is AlertingRule => !isRecording(r) && r.alert === 'ShopApiLatencySLIUnmeasurable');

const HIST = 'http_server_request_duration_seconds';
/** One histogram series: `perMinute` requests a minute, each bucket's share of them. */
function histogram(route: string, method: string, perMinute: number, les: Array<[string, number]>) {
  return [
    ...les.map(([le, share]) => ({ series: `${HIST}_bucket{method="${method}", route="${route}", le="${le}"}`, values: `0+${perMinute * share}x120` })),
    { series: `${HIST}_bucket{method="${method}", route="${route}", le="+Inf"}`, values: `0+${perMinute}x120` },
    { series: `${HIST}_count{method="${method}", route="${route}"}`, values: `0+${perMinute}x120` },
  ];
}

const SEL = '{sloctl_service="shop", sloctl_slo="api-latency"}';

/** The alert as promtool reports it for one series: its labels, its text with the labels filled in. */
function unmeasurable(series: Record<string, string>) {
  assert.ok(alert);
  const fill = (s: string) => s.replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_, k: string) => series[k] ?? '<no value>');
  return { exp_labels: { ...alert.labels, ...series }, exp_annotations: Object.fromEntries(Object.entries(alert.annotations).map(([k, v]) => [k, fill(v)])) };
}

describe('a latency threshold without its histogram bucket', () => {
  it('the rules write the alert for SDK contracts too, naming the series and the threshold', () => {
    assert.ok(alert, 'ShopApiLatencySLIUnmeasurable is written');
    assert.equal(alert.labels.severity, 'page');
    assert.equal(alert.for, '10m');
    assert.match(alert.annotations.summary, /\{\{ \$labels\.method \}\} \{\{ \$labels\.route \}\} has no bucket at le=\{\{ \$labels\.sloctl_threshold_le \}\}/);
    // Integral thresholds keep the matcher for both `1` and Prometheus 3's `1.0`.
    assert.match(alert.expr, /le=~"1\(\\\\\.0\)\?"\}\[5m\]\), "sloctl_threshold_le", "1", "", ""\)/);
  });

  it('promtool: no false burn, and the missing-bucket alert fires (before: silent, or a 50x page)', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-missing-bucket-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
    const catalogNoBucket = { method: 'GET', route: '/catalog', sloctl_threshold_le: '0.12' };
    const tests = [
      {
        // nobucket_test.yaml: no series has le="0.12"; every request is fast (< 100ms).
        interval: '1m',
        input_series: histogram('/catalog', 'GET', 600, [['0.1', 1], ['0.25', 1]]),
        promql_expr_test: [
          { expr: `sloctl:burn_rate:5m${SEL}`, eval_time: '60m', exp_samples: [] },
        ],
        alert_rule_test: [
          { eval_time: '60m', alertname: 'ShopApiLatencySLIMissing', exp_alerts: [] },
          { eval_time: '60m', alertname: 'ShopApiLatencyErrorBudgetBurn', exp_alerts: [] },
          // Before: no alert at all said the SLO was blind.
          { eval_time: '60m', alertname: 'ShopApiLatencySLIUnmeasurable', exp_alerts: [unmeasurable(catalogNoBucket)] },
        ],
      },
      {
        // nobucket_partial_test.yaml: /catalog lacks le="0.12", /checkout has its own (1s, written
        // `1.0` as Prometheus 3 stores it). Every request is fast: a healthy service.
        interval: '1m',
        input_series: [
          ...histogram('/catalog', 'GET', 600, [['0.1', 1], ['0.3', 1]]),
          ...histogram('/checkout', 'POST', 600, [['0.1', 1], ['1.0', 1]]),
        ],
        promql_expr_test: [
          // Before: 50 (half the requests, /catalog's, counted slow: 0.5 / 1%).
          { expr: `sloctl:burn_rate:5m${SEL}`, eval_time: '60m', exp_samples: [{ labels: `sloctl:burn_rate:5m${SEL}`, value: 0 }] },
          { expr: `sloctl:error_budget_remaining:ratio${SEL}`, eval_time: '60m', exp_samples: [{ labels: `sloctl:error_budget_remaining:ratio${SEL}`, value: 1 }] },
        ],
        alert_rule_test: [
          // Before: the page tier fired on a healthy service.
          { eval_time: '60m', alertname: 'ShopApiLatencyErrorBudgetBurn', exp_alerts: [] },
          { eval_time: '60m', alertname: 'ShopApiLatencySLIUnmeasurable', exp_alerts: [unmeasurable(catalogNoBucket)] },
        ],
      },
      {
        // The same partial rollout while /checkout is slow (10% over 1s): the series that have
        // their bucket still measure the SLO, and page.
        interval: '1m',
        input_series: [
          ...histogram('/catalog', 'GET', 600, [['0.1', 1], ['0.3', 1]]),
          ...histogram('/checkout', 'POST', 600, [['0.1', 0.5], ['1.0', 0.9]]),
        ],
        promql_expr_test: [
          // 10% slow over /checkout's requests alone: 0.1 / 1% = 10.
          { expr: `round(sloctl:burn_rate:5m${SEL} * 1000)`, eval_time: '60m', exp_samples: [{ labels: SEL, value: 10_000 }] },
        ],
        alert_rule_test: [
          { eval_time: '60m', alertname: 'ShopApiLatencySLIUnmeasurable', exp_alerts: [unmeasurable(catalogNoBucket)] },
        ],
      },
      {
        // Every series has its bucket: neither alert.
        interval: '1m',
        input_series: [
          ...histogram('/catalog', 'GET', 600, [['0.1', 1], ['0.12', 1]]),
          ...histogram('/checkout', 'POST', 600, [['0.1', 1], ['1', 1]]),
        ],
        promql_expr_test: [
          { expr: `sloctl:burn_rate:5m${SEL}`, eval_time: '60m', exp_samples: [{ labels: `sloctl:burn_rate:5m${SEL}`, value: 0 }] },
        ],
        alert_rule_test: [
          { eval_time: '60m', alertname: 'ShopApiLatencySLIUnmeasurable', exp_alerts: [] },
        ],
      },
    ];
    writeFileSync(join(dir, 'test.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', join(dir, 'test.yaml')], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });

  it('status --prometheus says which series has no bucket, as the embedded engine does, and judges nothing', async () => {
    // A stand-in Prometheus: the group of 120ms has its bucket on some series (count by le and the
    // bucket query answer), and the alert's query names GET /catalog.
    const queries: string[] = [];
    const vector = (result: Array<{ metric: Record<string, string>; value: number }>): QueryResult => ({ resultType: 'vector', result: result.map((x) => ({ ...x, t: 0 })), warnings: [] });
    const client = {
      async query(q: string): Promise<QueryResult> {
        queries.push(q);
        if (q.startsWith('label_replace(')) return vector([{ metric: { method: 'GET', route: '/catalog', sloctl_threshold_le: '0.12' }, value: 10 }]);
        if (q.startsWith('count by (le)')) return vector([{ metric: { le: '0.1' }, value: 1 }, { metric: { le: '0.12' }, value: 1 }, { metric: { le: '+Inf' }, value: 2 }]);
        if (q.startsWith('count(')) return vector([{ metric: {}, value: 1 }]);
        return vector([{ metric: {}, value: 100 }]);
      },
    } as unknown as PromqlClient;
    const s = await evaluateThroughPrometheus(SHOP, client, Date.UTC(2026, 0, 1));
    const lat = s.slos.find((x) => x.name === 'api-latency')!;
    assert.equal(lat.state, 'unknown');
    assert.match(lat.reason ?? '', /no bucket at le=0\.12 \(the 120ms threshold of all other routes\) on the series of GET \/catalog/);
    assert.ok(queries.includes(alert!.expr), 'the query is the alert\'s');
  });
});
