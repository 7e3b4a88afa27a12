// The rules and the dashboard read the contract's label mapping (`metrics.labels`): the route and
// method labels (any case), error classes derived from a status label, the unmeasurable alert and
// availability composed from its parts. Without the mapping nothing changes (the SDK's rules).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Contract } from '../src/contract/schema.ts';
import { grafanaDashboard } from '../src/emit/grafana.ts';
import { isRecording, prometheusRules, type AlertingRule, type RecordingRule } from '../src/emit/prometheus.ts';
import { contractFrom as contract } from './helpers/contract.ts';

const PROMHTTP = contract(readFileSync('test/fixtures/emit/promhttp.yaml', 'utf8'));
const CHECKOUT = contract(readFileSync('examples/checkout/slo.yaml', 'utf8'));

const rulesOf = (c: Contract, selector?: string) => prometheusRules(c, { selector }).groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
const recorded = (c: Contract, slo: string, name: string, selector?: string) =>
  rulesOf(c, selector).find((r): r is RecordingRule & { group: string } => isRecording(r) && r.record === name && r.labels?.sloctl_slo === slo)!;

describe('rules on mapped labels', () => {
  it('errors: each class through its status matchers, first class wins; weights as the contract says', () => {
    const burn = recorded(PROMHTTP, 'errors', 'sloctl:burn_rate:5m', 'job="x"').expr;
    assert.equal(burn, `((sum(
    rate(http_requests_total{job="x", handler!~"/healthz|/metrics", code=~"5(?:[0-9][0-9]|xx)", code!~"429|503|504|4(?:[0-9][0-9]|xx)"}[5m]) * 2.5
  or
    rate(http_requests_total{job="x", handler!~"/healthz|/metrics", code=~"4(?:[0-9][0-9]|xx)", code!~"429|503|504"}[5m])
  or
    rate(http_requests_total{job="x", handler!~"/healthz|/metrics", code=~"429|503|504"}[5m]) * 0.3
) or vector(0)) / sum(rate(http_requests_total{job="x", handler!~"/healthz|/metrics"}[5m]))) / 0.005`);
  });

  it('a good class shadows later ones, a class no status can show adds nothing, and 5xx no class names is unclassified ×1', () => {
    const c = contract(`apiVersion: sloctl/v1
service: { name: s }
errorClasses:
  - { name: not-found, weight: 0, good: true, status: [404] }
  - { name: timeout, weight: 1, errors: [TimeoutError] }
  - { name: client, weight: 1, status: [4xx] }
metrics: { labels: { status: status } }
objectives: { errors: { objective: 99% } }
`);
    const burn = recorded(c, 'errors', 'sloctl:burn_rate:5m').expr;
    // No class names a 5xx: the classifier calls those "unclassified" (weight 1), so the rules do
    // too (src/contract/classify.ts countedClasses), after every contract class (first class wins).
    // The route label is still the SDK's `route`: requests that reached no route are left out, and,
    // the labels being mapped, those to the health and metrics paths, which its own instrumentation may record.
    assert.equal(burn, `((sum(
    rate(http_server_requests_total{route!="unmatched", route!~"/healthz|/metrics", status=~"4(?:[0-9][0-9]|xx)", status!~"404"}[5m])
  or
    rate(http_server_requests_total{route!="unmatched", route!~"/healthz|/metrics", status=~"5(?:[0-9][0-9]|xx)", status!~"404|4(?:[0-9][0-9]|xx)"}[5m])
) or vector(0)) / sum(rate(http_server_requests_total{route!="unmatched", route!~"/healthz|/metrics"}[5m]))) / 0.01`);
    assert.doesNotMatch(burn, /timeout|error_class/);
  });

  it('latency: the route label is mapped and methods match in any case', () => {
    const burn = recorded(PROMHTTP, 'api-latency', 'sloctl:burn_rate:5m').expr;
    assert.match(burn, /rate\(http_request_duration_seconds_bucket\{method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics", le="0\.2"\}\[5m\]\)/);
    assert.match(burn, /rate\(http_request_duration_seconds_bucket\{method=~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler="\/orders", le="0\.3"\}\[5m\]\)/);
    assert.doesNotMatch(burn, /route=|method="POST"/);
  });

  it('an SLIUnmeasurable alert: for errors on mapped contracts only, for latency (a series without its bucket) on every contract', () => {
    const alerts = (c: Contract) => rulesOf(c).filter((r): r is AlertingRule & { group: string } => !isRecording(r) && r.alert.endsWith('SLIUnmeasurable'));
    assert.deepEqual(alerts(PROMHTTP).map((a) => [a.alert, a.expr.split('\n').length]), [['OrdersGoApiLatencySLIUnmeasurable', 5], ['OrdersGoErrorsSLIUnmeasurable', 1]]);
    assert.equal(alerts(PROMHTTP)[1].expr, 'count(http_requests_total) unless count(http_requests_total{code!=""})');
    assert.match(alerts(PROMHTTP)[1].annotations.description, /metrics\.labels\.status: code/);
    // The latency alert names the series by the mapped labels, and the threshold by its `le`.
    assert.match(alerts(PROMHTTP)[0].annotations.summary, /^orders-go api-latency: \{\{ \$labels\.method \}\} \{\{ \$labels\.handler \}\} has no bucket at le=\{\{ \$labels\.sloctl_threshold_le \}\}/);
    assert.match(alerts(PROMHTTP)[0].expr, /^label_replace\(\(rate\(http_request_duration_seconds_count\{method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics"\}\[5m\]\) > 0\) unless ignoring\(le\) rate\(http_request_duration_seconds_bucket\{method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics", le="0\.2"\}\[5m\]\), "sloctl_threshold_le", "0\.2", "", ""\)\n/);
    assert.deepEqual(alerts(CHECKOUT).map((a) => [a.alert, a.expr.split('\n').length]), [['CheckoutApiLatencySLIUnmeasurable', 5]]);
    assert.match(alerts(CHECKOUT)[0].annotations.description, /\{\{ \$labels\.method \}\} \{\{ \$labels\.route \}\}.*Deploy the service with this contract/);
  });

  it('availability: the gauge or the composite from its parts for mapped contracts, the gauge alone for the SDK', () => {
    const composite = recorded(PROMHTTP, 'availability', 'sloctl:availability:ratio', 'job="x"');
    assert.match(composite.expr, /^avg\(sloctl_availability\{job="x"\}\)\nor\n0\.3 \* avg\(up\{job="x"\}\)\n\+\n0\.25 \* \(clamp_max\(\(\(sum\(\n +\(irate\(http_request_duration_seconds_count\{job="x", method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics"\}\[1m\]\) and ignoring\(le\) irate\(http_request_duration_seconds_bucket\{job="x", method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics", le="0\.2"\}\[1m\]\)\)/);
    assert.match(composite.expr, /\n\+\n0\.25 \* \(clamp_max\(\(\(sum\(\n +irate\(http_requests_total\{job="x", handler!~"\/healthz\|\/metrics", code=~"5/);
    assert.match(composite.expr, /and on\(\) count\(http_requests_total\{job="x", code!=""\}\)\)\n\+\nvector\(0\.2\)$/);
    // An interval below an objective misses it only when the evidence up to it (the 30 s health
    // window, at least four 15 s scrapes: 1m) shows more bad than 99.5% gives by chance (src/engine/interval-miss.ts).
    assert.match(composite.expr, /<= bool \(sum\(increase\(http_requests_total\{job="x", handler!~"\/healthz\|\/metrics"\}\[1m\]\)\) \* 0\.005 \+ sqrt\(sum\(increase\(http_requests_total\{job="x", handler!~"\/healthz\|\/metrics"\}\[1m\]\)\)\) \* 0\.11602\d* \+ 0\.5\)\), 1\) and on\(\) count/);
    assert.equal(recorded(PROMHTTP, 'availability', 'sloctl:burn_rate:5m').expr, '(1 - avg_over_time(sloctl:availability:ratio{sloctl_service="orders-go", sloctl_slo="availability"}[5m])) / 0.001');
    const absent = rulesOf(PROMHTTP).find((r): r is AlertingRule & { group: string } => !isRecording(r) && r.alert === 'OrdersGoAvailabilitySLIMissing')!;
    assert.equal(absent.expr, 'absent(sloctl:availability:ratio{sloctl_service="orders-go", sloctl_slo="availability"})');
    assert.equal(recorded(CHECKOUT, 'availability', 'sloctl:availability:ratio'), undefined);
    assert.equal(recorded(CHECKOUT, 'availability', 'sloctl:burn_rate:5m').expr, '(1 - avg(avg_over_time(sloctl_availability[5m]))) / 0.001');
  });

  it('a weighted part with no SLO to come from keeps the gauge, and says why; up without a selector is named', () => {
    const c = contract(`apiVersion: sloctl/v1
service: { name: s }
metrics: { labels: { status: code } }
objectives: { availability: { objective: 99% } }
`);
    const r = prometheusRules(c);
    assert.ok(r.warnings.some((w) => /cannot be built from its parts without latency \(no latency objective\) and success \(no errors objective\)/.test(w)), r.warnings.join('\n'));
    assert.equal(recorded(c, 'availability', 'sloctl:availability:ratio'), undefined);
    assert.ok(prometheusRules(PROMHTTP).warnings.some((w) => /the health part reads `up`, of every target/.test(w)));
    assert.ok(!prometheusRules(PROMHTTP, { selector: 'job="x"' }).warnings.some((w) => /the health part reads `up`/.test(w)));
  });
});

describe('dashboard on mapped labels', () => {
  it('groups by the mapped method and route labels; one error query per class derived from the status', () => {
    const exprsOf = (c: Contract) => grafanaDashboard(c).dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => `${t.expr} ${t.legendFormat ?? ''}`)).join('\n');
    const exprs = exprsOf(PROMHTTP);
    assert.match(exprs, /sum by \(le, method, handler\)/);
    assert.match(exprs, /sum by \(method, handler\) \(rate\(http_requests_total\{handler!~"\/healthz\|\/metrics", code=~"5.*\{\{method\}\} \{\{handler\}\} server ×2\.5/);
    // Mapped to promhttp's handler: no "unmatched" value to leave out, and no panel for it; the
    // health and metrics paths are left out, as in the SLOs.
    assert.doesNotMatch(exprs, /error_class|route|unmatched/);
    assert.match(exprsOf(CHECKOUT), /sum by \(method, route\) \(rate\(http_server_requests_total\{route!="unmatched", error_class="server"\}\[\$__rate_interval\]\)\) \* 2\.5 \/ sum by \(method, route\) \(rate\(http_server_requests_total\{route!="unmatched"\}/);
    assert.match(exprsOf(CHECKOUT), /sum by \(method, error_class\) \(rate\(http_server_requests_total\{route="unmatched"\}\[\$__rate_interval\]\)\)/);
  });
});
