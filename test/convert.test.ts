import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCli } from './helpers/cli.ts';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { ConvertError } from '../src/convert/common.ts';
import { fromOpenSlo, toOpenSlo } from '../src/convert/openslo.ts';
import { ANN } from '../src/convert/openslo-shared.ts';
import { fromSloth } from '../src/convert/sloth.ts';
import { prometheusRules, type AlertingRule } from '../src/emit/prometheus.ts';

const OPENSLO = 'test/fixtures/openslo';
const SLOTH = 'test/fixtures/sloth';
const EXAMPLE = 'examples/checkout/slo.yaml';

type Obj = Record<string, any>;

/** The objects of an OpenSLO file (documents, or the items of a top-level list), in a stable order. */
function openSloObjects(text: string): Obj[] {
  const out: Obj[] = [];
  for (const d of parseAllDocuments(text) as Array<{ errors: unknown[]; toJS(): unknown }>) {
    assert.deepEqual(d.errors, []);
    const v = d.toJS();
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out.push(...(v as Obj[]));
    else out.push(v as Obj);
  }
  const key = (o: Obj) => `${o.kind}/${o.metadata?.name}/${JSON.stringify(o)}`;
  return out.sort((a, b) => key(a).localeCompare(key(b)));
}

function valid(text: string, file = 'slo.yaml'): Contract {
  const r = parseContract(text, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((e) => `${e.line}:${e.col} ${e.message}`), [], `the converted contract does not validate:\n${text}`);
  assert.ok(r.contract);
  return r.contract;
}

function convertOpenSlo(fixture: string) {
  const file = join(OPENSLO, fixture);
  const text = readFileSync(file, 'utf8');
  const result = fromOpenSlo(text, file);
  return { text, result, contract: valid(result.text) };
}

/** The structure OpenSLO v1 requires of each kind (README "Object Types"), as assertions. */
function assertOpenSloV1(o: Obj): void {
  const where = `${o.kind} ${o.metadata?.name}`;
  assert.equal(o.apiVersion, 'openslo/v1', where);
  assert.ok(['Service', 'SLO', 'SLI', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'DataSource'].includes(o.kind), where);
  assert.equal(typeof o.metadata?.name, 'string', where);
  assert.ok(o.spec && typeof o.spec === 'object', where);
  const metric = (m: Obj, what: string) => assert.ok(m?.metricSource && typeof m.metricSource === 'object', `${where}: ${what} has a metricSource`);
  const indicator = (spec: Obj) => {
    assert.ok((spec.ratioMetric === undefined) !== (spec.thresholdMetric === undefined), `${where}: ratioMetric xor thresholdMetric`);
    if (spec.thresholdMetric) metric(spec.thresholdMetric, 'thresholdMetric');
    const r = spec.ratioMetric;
    if (r) {
      if (r.raw) {
        assert.ok(['success', 'failure'].includes(r.rawType), `${where}: rawType`);
        metric(r.raw, 'raw');
      } else {
        assert.ok((r.good === undefined) !== (r.bad === undefined), `${where}: good xor bad`);
        metric(r.good ?? r.bad, 'good/bad');
        metric(r.total, 'total');
      }
    }
  };
  if (o.kind === 'SLI') indicator(o.spec);
  if (o.kind === 'SLO') {
    const s = o.spec;
    assert.equal(typeof s.service, 'string', where);
    assert.ok(['Occurrences', 'Timeslices', 'RatioTimeslices'].includes(s.budgetingMethod), `${where}: budgetingMethod`);
    assert.ok((s.indicator === undefined) !== (s.indicatorRef === undefined), `${where}: indicator xor indicatorRef`);
    if (s.indicator) indicator(s.indicator.spec);
    assert.ok(Array.isArray(s.timeWindow) && s.timeWindow.length === 1, `${where}: one timeWindow`);
    assert.match(s.timeWindow[0].duration, /^[0-9]+[mhdwMQY]$/, `${where}: duration-shorthand`);
    assert.ok(Array.isArray(s.objectives) && s.objectives.length > 0, `${where}: objectives`);
    for (const obj of s.objectives) {
      const t = obj.target ?? obj.targetPercent / 100;
      assert.ok(t >= 0 && t < 1, `${where}: target in [0, 1)`);
    }
    for (const p of s.alertPolicies ?? []) {
      assert.equal(p.kind, 'AlertPolicy', where);
      for (const c of p.spec.conditions) {
        assert.equal(c.spec.condition.kind, 'burnrate');
        assert.match(c.spec.condition.lookbackWindow, /^[0-9]+[mhdw]$/);
      }
    }
  }
}

// --- OpenSLO in, and back out ---------------------------------------------------------------------

const ROUND_TRIP: Array<{ fixture: string; shape: string }> = [
  { fixture: 'ratio-prometheus.yaml', shape: 'ratio metric (Prometheus, counter), calendar week, Timeslices, list-valued labels, one YAML list' },
  { fixture: 'threshold-occurrences.yaml', shape: 'threshold metric, rolling 2w, Occurrences, non-Prometheus source' },
  { fixture: 'timeslices.yaml', shape: 'Timeslices with two objectives, a calendar window sloctl does not have' },
  { fixture: 'ratio-timeslices.yaml', shape: 'RatioTimeslices (a slice window without a slice target)' },
  { fixture: 'calendar-targetpercent.yaml', shape: 'calendar month, target and targetPercent' },
  { fixture: 'prometheus-source-ref.yaml', shape: 'metricSourceRef and extra metric-source fields, no timeWindow or budgetingMethod' },
  { fixture: 'multi-document.yaml', shape: 'separate Service, SLI (indicatorRef), AlertPolicy, AlertCondition, AlertNotificationTarget and DataSource documents' },
];

describe('OpenSLO round trip: toOpenSlo(fromOpenSlo(x)) gives x back', () => {
  for (const { fixture, shape } of ROUND_TRIP) {
    it(`${fixture}: ${shape}`, () => {
      const { text, contract } = convertOpenSlo(fixture);
      const back = toOpenSlo(contract);
      assert.deepEqual(back.lost, [], 'nothing lost');
      assert.deepEqual(openSloObjects(back.text), openSloObjects(text));
    });
  }
});

describe('fromOpenSlo: what lands where', () => {
  it('a Prometheus ratio metric becomes good/total queries; the calendar week becomes the contract window', () => {
    const { result, contract } = convertOpenSlo('ratio-prometheus.yaml');
    assert.equal(contract.service.name, 'web');
    assert.deepEqual(contract.window, { calendar: 'week', timeZone: 'America/New_York' });
    const [s] = contract.slis;
    assert.equal(s.name, 'web-availability');
    assert.equal(s.good, 'sum(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"})');
    assert.equal(s.total, 'sum(http_requests{k8s_cluster="prod",component="web"})');
    assert.equal(s.objective, 0.995);
    assert.equal(s.budgeting, 'Timeslices');
    assert.deepEqual(s.timeslice, { target: 0.95, window: 60_000 });
    assert.deepEqual(s.alerting && { page: s.alerting.page, ticket: s.alerting.ticket }, { page: false, ticket: false });
    assert.equal(s.annotations?.[ANN.counter], 'true');
    assert.match(s.annotations?.[ANN.extra] ?? '', /"env":\["prod"\]/, 'list-valued labels are kept');
    assert.ok(result.warnings.some((w) => /no \{\{\.window\}\} range/.test(w)), 'a query without a window range is pointed out');
    assert.ok(result.text.startsWith('# sloctl contract converted from OpenSLO (test/fixtures/openslo/ratio-prometheus.yaml)'));
  });

  it('a threshold metric becomes threshold {query, op, value}; a non-Prometheus source is kept verbatim with a placeholder query', () => {
    const { result, contract } = convertOpenSlo('threshold-occurrences.yaml');
    const [s] = contract.slis;
    assert.deepEqual(s.threshold, { query: 'openslo_unconverted_threshold{source_type="Any"}', op: 'lt', value: 500 });
    assert.equal(s.objective, 0.99);
    assert.equal(contract.window, 14 * 86_400_000);
    assert.equal(s.annotations?.[ANN.metricSource], '{"type":"Any","spec":null}');
    assert.ok(result.warnings.some((w) => /threshold metric comes from Any, not Prometheus/.test(w) && w.startsWith('test/fixtures/openslo/threshold-occurrences.yaml:3:1: ')));
  });

  it('an SLO with several objectives becomes one SLI per objective', () => {
    const { contract } = convertOpenSlo('timeslices.yaml');
    assert.deepEqual(contract.slis.map((s) => [s.name, s.objective, s.annotations?.[ANN.slo]]), [
      ['service-availability-internal-objective', 0.995, 'service-availability'],
      ['service-availability-sla', 0.99, 'service-availability'],
    ]);
    assert.deepEqual(contract.slis.map((s) => s.timeslice), [{ target: 0.99, window: 60_000 }, { target: 0.99, window: 60_000 }]);
  });

  it('targetPercent and target both become percentages; the calendar month becomes {calendar: month}', () => {
    const { contract } = convertOpenSlo('calendar-targetpercent.yaml');
    assert.deepEqual(contract.window, { calendar: 'month', timeZone: 'America/New_York' });
    const [a, b] = contract.slis;
    assert.equal(a.objective, 0.98);
    assert.ok(Math.abs(b.objective - 0.9999) < 1e-12);
    assert.equal(b.annotations?.[ANN.targetPercent], 'true');
    assert.equal(a.annotations?.[ANN.targetPercent], undefined);
  });

  it('a multi-document file: Service, SLIs by indicatorRef, alert policies and conditions as burn-rate tiers', () => {
    const { result, contract } = convertOpenSlo('multi-document.yaml');
    assert.equal(contract.service.name, 'users-auth');
    assert.equal(contract.service.displayName, 'Users Auth Service');
    assert.equal(contract.service.description, 'Example Service');
    const lag = contract.slis.find((s) => s.name === 'annotator-lag')!;
    assert.equal(lag.annotations?.[ANN.indicatorRef], 'annotator-throughput');
    assert.equal(lag.threshold?.op, 'lt');
    assert.equal(lag.threshold?.value, 1000);
    assert.match(lag.threshold!.query, /kafka_consumergroup_lag/);
    assert.deepEqual(lag.timeslice, { target: 0.95, window: 5 * 60_000 }, 'timeSliceWindow: 5 means minutes');
    assert.deepEqual(lag.alerting?.page, [{ burnRate: 2, long: 3_600_000, short: 300_000, for: 300_000 }]);
    assert.equal(lag.alerting?.ticket, false);
    const wifi = contract.slis.find((s) => s.name === 'wifi-satisfaction')!;
    assert.equal(wifi.objective, 0.95);
    assert.match(wifi.errorRatio!, /^1 - \(1 - \(\n {2}sum\(sum_over_time\(poller_client_satisfaction_ratio\[\$window\]\)\)/, 'rawType success: the error ratio is 1 - the query, {{.window}} is $window');
    assert.deepEqual(wifi.window, { calendar: 'month', timeZone: 'America/New_York' });
    assert.deepEqual(wifi.alerting?.ticket, [{ burnRate: 200, long: 86_400_000, short: 7_200_000, for: 1_800_000 }], 'severity warning is a ticket');
    assert.equal(wifi.alerting?.page, false);
    const warned = (re: RegExp) => assert.ok(result.warnings.some((w) => re.test(w)), `a warning matching ${re}`);
    warned(/AlertNotificationTarget "OnCallDevopsMailNotification": sloctl has no notification targets/);
    warned(/SLI "search-availability" is not used by any converted SLO/);
    warned(/DataSource "my-prometheus"/);
    warned(/alert policy "high-priority": sloctl has no equivalent of its notification targets/);
  });

  it('a multi-objective SLO that references its SLI document writes the document once', () => {
    const text = `apiVersion: openslo/v1
kind: SLI
metadata: {name: req}
spec:
  ratioMetric:
    good: {metricSource: {type: Prometheus, spec: {query: 'sum(increase(ok_total[{{.window}}]))'}}}
    total: {metricSource: {type: Prometheus, spec: {query: 'sum(increase(all_total[{{.window}}]))'}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: two}
spec:
  service: svc
  indicatorRef: req
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: Fast, target: 0.9}, {displayName: Strict, target: 0.99}]
`;
    const r = fromOpenSlo(text, 'two.yaml');
    const c = valid(r.text);
    assert.deepEqual(c.slis.map((s) => [s.name, s.good]), [['two-fast', 'sum(increase(ok_total[$window]))'], ['two-strict', 'sum(increase(ok_total[$window]))']]);
    const back = toOpenSlo(c);
    assert.deepEqual(openSloObjects(back.text), openSloObjects(text));
  });
});

describe('toOpenSlo follows edits of a converted contract', () => {
  it('a changed objective, window or alerting is written from the contract, not from the kept original', () => {
    const { contract } = convertOpenSlo('multi-document.yaml');
    const lag = contract.slis.find((s) => s.name === 'annotator-lag')!;
    lag.objective = 0.999;
    lag.window = 7 * 86_400_000;
    lag.alerting = { page: [{ burnRate: 14.4, long: 3_600_000, short: 300_000 }], ticket: false };
    const slo = openSloObjects(toOpenSlo(contract).text).find((o) => o.kind === 'SLO' && o.metadata.name === 'annotator-lag')!;
    assert.equal(slo.spec.objectives[0].target, 0.999);
    assert.deepEqual(slo.spec.timeWindow, [{ duration: '1w', isRolling: true }]);
    assert.equal(slo.spec.alertPolicies.length, 1);
    // No `for`: the rules wait their default 2m, and so does the alert condition.
    assert.deepEqual(slo.spec.alertPolicies[0].spec.conditions[0].spec, { severity: 'page', condition: { kind: 'burnrate', op: 'gt', threshold: 14.4, lookbackWindow: '1h', alertAfter: '2m' } });
  });

  it('a placeholder query replaced with PromQL is written as a Prometheus source', () => {
    const { contract } = convertOpenSlo('threshold-occurrences.yaml');
    contract.slis[0].threshold!.query = 'histogram_quantile(0.95, sum by (le) (rate(search_duration_seconds_bucket[5m]))) * 1000';
    const slo = openSloObjects(toOpenSlo(contract).text)[0];
    assert.deepEqual(slo.spec.indicator.spec.thresholdMetric.metricSource, { type: 'Prometheus', spec: { query: contract.slis[0].threshold!.query } });
  });
});

describe('fromOpenSlo: input it cannot read is a located error', () => {
  const fails = (text: string) => {
    try {
      fromOpenSlo(text, 'in.yaml');
    } catch (e) {
      assert.ok(e instanceof ConvertError);
      return e.diagnostics;
    }
    assert.fail('expected a ConvertError');
  };

  it('a YAML syntax error', () => {
    const [d] = fails('apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: "x\n');
    assert.deepEqual([d.file, d.line, d.col, d.code], ['in.yaml', 4, 9, 'SLO_YAML_SYNTAX']);
  });

  it('another apiVersion', () => {
    const [d] = fails('apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: x}\nspec: {}\n');
    assert.deepEqual([d.line, d.col], [1, 13]);
    assert.match(d.message, /openslo\/v1alpha" is not supported/);
  });

  it('a list item that is not an object', () => {
    const [d] = fails('- apiVersion: openslo/v1\n  kind: Service\n  metadata: {name: a}\n  spec: {}\n- 42\n');
    assert.deepEqual([d.line, d.col, d.code], [5, 3, 'SLO_NOT_MAPPING']);
  });

  it('an SLO it cannot convert is kept verbatim and reported, not dropped', () => {
    const r = fromOpenSlo('apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicatorRef: missing\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.9}]\n', 'in.yaml');
    const c = valid(r.text);
    assert.equal(c.slis.length, 0);
    assert.ok(r.warnings.some((w) => /SLO "x" is not converted: its indicatorRef "missing" names no SLI document/.test(w)));
    assert.deepEqual(openSloObjects(toOpenSlo(c).text), openSloObjects('apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicatorRef: missing\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.9}]\n'));
  });
});

// --- a native contract out to OpenSLO ------------------------------------------------------------

describe('toOpenSlo on the example contract', () => {
  const contract = valid(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  const out = toOpenSlo(contract);
  const objects = openSloObjects(out.text);

  it('writes valid OpenSLO v1 documents: the Service, the built-in objectives and the custom SLI as SLOs', () => {
    for (const o of objects) assertOpenSloV1(o);
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['SLO/api-latency', 'SLO/availability', 'SLO/errors', 'SLO/orders-confirmed', 'Service/checkout']);
    const service = objects.find((o) => o.kind === 'Service')!;
    assert.equal(service.spec.description, contract.service.description);
  });

  it('queries the SDK metric names: the latency histogram by le (with per-route thresholds), the request counter by error_class', () => {
    const slo = (n: string) => objects.find((o) => o.kind === 'SLO' && o.metadata.name === n)!;
    const latency = slo('api-latency').spec.indicator.spec.ratioMetric;
    const good: string = latency.good.metricSource.spec.query;
    // The other routes at 200ms (every other method, POST on other paths), of the requests that reached a route.
    assert.match(good, /increase\(http_server_request_duration_seconds_bucket\{method!="POST", route!="unmatched", le="0\.2"\}\[\{\{\.window\}\}\]\)/);
    assert.match(good, /increase\(http_server_request_duration_seconds_bucket\{method="POST", route!="\/orders", route!="unmatched", le="0\.2"\}\[\{\{\.window\}\}\]\)/);
    assert.match(good, /\{method="POST", route="\/orders", le="0\.3"\}/, 'create-order has its own 300ms threshold');
    // The total counts the series that have the bucket at their threshold over the window, and
    // the current process of those that gained it within the window, as the rules do.
    assert.match(latency.total.metricSource.spec.query, /^sum\(\n {4}\(increase\(http_server_request_duration_seconds_count\{method!="POST", route!="unmatched"\}\[\{\{\.window\}\}\]\) and \(count_over_time\(http_server_request_duration_seconds_count\{method!="POST", route!="unmatched"\}\[\{\{\.window\}\}\]\) <= max without \(le\) \(count_over_time\(http_server_request_duration_seconds_bucket\{method!="POST", route!="unmatched", le="0\.2"\}/);
    assert.equal(slo('api-latency').spec.objectives[0].target, 0.99);
    assert.deepEqual(slo('api-latency').spec.alertPolicies.map((p: Obj) => p.spec.conditions[0].spec.condition.threshold), [14.4, 6]);
    const errors = slo('errors').spec.indicator.spec.ratioMetric;
    // The contract's bad classes and the SDK's built-in ones the rules count too (unclassified, shed), of the requests that reached a route.
    assert.equal(errors.bad.metricSource.spec.query, '(sum(increase(http_server_requests_total{route!="unmatched", error_class=~"client|server|shed|transient|unclassified"}[{{.window}}])) or vector(0))');
    assert.equal(errors.total.metricSource.spec.query, 'sum(increase(http_server_requests_total{route!="unmatched"}[{{.window}}]))');
    assert.equal(slo('availability').spec.indicator.spec.ratioMetric.raw.metricSource.spec.query, 'avg(avg_over_time(sloctl_availability[{{.window}}]))');
    assert.equal(slo('orders-confirmed').spec.indicator.spec.ratioMetric.good.metricSource.spec.query, 'sum(increase(checkout_orders_total{state="confirmed"}[{{.window}}]))');
    assert.deepEqual(slo('errors').spec.timeWindow, [{ duration: '4w', isRolling: true }]);
  });

  it('lists what OpenSLO cannot express, one line per thing', () => {
    assert.ok(out.lost.length >= 10);
    for (const re of [/^load:/, /^objectives\.memory/, /^objectives\.concurrency/, /^objectives\.resilience/, /^objectives\.drift/, /^objectives\.throughput/, /error-class weights/, /percentile ceilings/, /^dependencies \(payments, recommendations\)/, /^target:/]) {
      assert.ok(out.lost.some((l) => re.test(l)), `a lost line matching ${re}`);
    }
    assert.equal(new Set(out.lost).size, out.lost.length, 'no line twice');
  });

  it('reads back into a contract that validates, with the same SLO names', () => {
    const back = fromOpenSlo(out.text, 'openslo.yaml');
    const c = valid(back.text);
    assert.deepEqual(c.slis.map((s) => s.name), ['api-latency', 'errors', 'availability', 'orders-confirmed']);
    assert.deepEqual(c.slis[0].alerting?.page, [{ burnRate: 14.4, long: 3_600_000, short: 300_000, for: 120_000 }, { burnRate: 6, long: 21_600_000, short: 1_800_000, for: 120_000 }]);
    assert.equal(c.slis[3].good, contract.slis[0].good);
  });

  it('respects metric names overridden in `metrics:`', () => {
    const text = 'apiVersion: sloctl/v1\nservice: {name: api, runtime: go}\nmetrics: {requestDuration: api_latency_seconds, requests: api_requests_total}\nobjectives:\n  latency: [{name: fast, threshold: 250ms, objective: 99%}]\n  errors: {objective: 99.9%}\n';
    const o = openSloObjects(toOpenSlo(valid(text)).text);
    const q = (n: string) => JSON.stringify(o.find((x) => x.metadata.name === n)!.spec.indicator.spec.ratioMetric);
    assert.match(q('fast'), /api_latency_seconds_bucket\{route!=\\"unmatched\\", le=\\"0\.25\\"\}/);
    assert.match(q('errors'), /api_requests_total\{route!=\\"unmatched\\", error_class=~/);
  });
});

// --- what sloctl's own rules alert on survives the export ----------------------------------------------

/** A contract of the trial's shape: the latency, errors and availability objectives, with the given classes and alerting. */
function nativeContract(opts: { classes?: string; latencyAlerting?: string; errorsAlerting?: string; window?: string; slis?: string } = {}): Contract {
  return valid([
    'apiVersion: sloctl/v1',
    'service: {name: shop}',
    `window: ${opts.window ?? '28d'}`,
    `errorClasses: ${opts.classes ?? '[{name: transient, weight: 0.3, status: [503, 504], codes: [ECONNRESET]}]'}`,
    'routes:',
    '  - {name: catalog, method: GET, path: /catalog, weight: 1}',
    '  - {name: checkout, method: POST, path: /checkout, weight: 5, latency: 300ms}',
    'objectives:',
    '  latency:',
    '    - name: api-latency',
    '      threshold: 120ms',
    '      objective: 99%',
    ...(opts.latencyAlerting ? [`      alerting: ${opts.latencyAlerting}`] : []),
    '  errors:',
    '    objective: 99.5%',
    ...(opts.errorsAlerting ? [`    alerting: ${opts.errorsAlerting}`] : []),
    '  availability: {objective: 99.5%}',
    ...(opts.slis ? ['slis:', opts.slis] : []),
    '',
  ].join('\n'));
}

/** The class names the errors SLO's rules weigh: every error_class matcher in its burn-rate expressions. */
function ruleClasses(c: Contract): string[] {
  const group = prometheusRules(c).groups.find((g) => g.name.endsWith('-errors'))!;
  const exprs = group.rules.map((r) => ('record' in r ? r.expr : '')).join('\n');
  return [...new Set([...exprs.matchAll(/error_class=~?"([^"]+)"/g)].flatMap((m) => m[1].split('|')))].sort();
}

function exportedClasses(c: Contract): string[] {
  const slo = openSloObjects(toOpenSlo(c).text).find((o) => o.kind === 'SLO' && o.metadata.name === 'errors')!;
  const q: string = slo.spec.indicator.spec.ratioMetric.bad.metricSource.spec.query;
  return /error_class=~"([^"]+)"/.exec(q)![1].split('|').sort();
}

describe('toOpenSlo: the errors SLO counts the classes sloctl\'s rules count', () => {
  it('the SDK\'s built-in classes (unclassified ×1, shed ×0.3) are bad in the export as in the rules; their weights are reported', () => {
    const c = nativeContract();
    assert.deepEqual(exportedClasses(c), ['shed', 'transient', 'unclassified']);
    assert.deepEqual(exportedClasses(c), ruleClasses(c));
    const lost = toOpenSlo(c).lost.find((l) => /error-class weights/.test(l));
    assert.match(lost ?? '', /\(transient ×0\.3, unclassified ×1, shed ×0\.3; unclassified and shed are the SDK's built-in classes\) cannot be expressed/);
  });

  it('the same set as the rules for other classes: good ones, weight 0, a contract class that reweighs "shed"', () => {
    const shapes = [
      '[{name: transient, weight: 0.3, status: [429, 503, 504]}, {name: not-found, weight: 0, status: [404], good: true}, {name: client, weight: 1.0, status: ["4xx"]}, {name: server, weight: 2.5, status: ["5xx"]}]',
      '[{name: server, weight: 1, status: ["5xx"]}, {name: shed, weight: 0, good: true}]',
      '[{name: server, weight: 1, status: ["5xx"]}, {name: shed, weight: 1}, {name: aborted, weight: 0.5}]',
    ];
    for (const classes of shapes) {
      const c = nativeContract({ classes });
      assert.deepEqual(exportedClasses(c), ruleClasses(c), classes);
    }
    // Every counted class weighs 1: OpenSLO's count is sloctl's, nothing to report.
    const ones = nativeContract({ classes: shapes[1] });
    assert.deepEqual(exportedClasses(ones), ['server', 'unclassified']);
    assert.ok(!toOpenSlo(ones).lost.some((l) => /error-class weights/.test(l)));
  });
});

/**
 * The burn-rate alerts (every alert but SLIMissing and SLIUnmeasurable: `alerting.name` renames
 * them) as a comparable string each: name, expression, for, labels, and the annotations but the
 * generated summary and description (which quote the SLI's description).
 */
function burnAlerts(c: Contract): string[] {
  return prometheusRules(c).groups.flatMap((g) => g.rules)
    .filter((r): r is AlertingRule => 'alert' in r && !/(SLIMissing|SLIUnmeasurable)$/.test(r.alert))
    .map((a) => {
      const { summary: _s, description: _d, ...annotations } = a.annotations;
      return JSON.stringify({ alert: a.alert, expr: a.expr, for: a.for, labels: a.labels, annotations });
    });
}

function roundTrip(c: Contract): { openslo: string; back: Contract; warnings: string[] } {
  const openslo = toOpenSlo(c).text;
  const r = fromOpenSlo(openslo, 'openslo.yaml');
  return { openslo, back: valid(r.text), warnings: r.warnings };
}

describe('contract → OpenSLO → contract: the regenerated rules alert as the original\'s', () => {
  const cases: Array<[string, () => Contract]> = [
    ['the example contract', () => valid(readFileSync(EXAMPLE, 'utf8'), EXAMPLE)],
    ['default tiers on a 28d window (the 56m page tier keeps its 5m short window)', () => nativeContract()],
    ['explicit tiers with runbook, dashboard, name, labels, annotations, for, a short window of its own', () => nativeContract({
      latencyAlerting: '{name: ShopSlow, page: [{burnRate: 14.4, long: 1h, short: 10m, for: 10m}], ticket: false, runbook: https://runbooks.example.com/shop/latency, dashboard: https://grafana.example.com/d/shop, labels: {team: sre}, annotations: {playbook: https://example.com/pb}}',
      errorsAlerting: '{runbook: https://runbooks.example.com/shop/errors}',
    })],
    ['a promhttp contract: labels mapped, metrics.selector', () => valid(readFileSync('test/fixtures/emit/promhttp.yaml', 'utf8').replace('  labels: {', '  selector: \'job="orders-go"\'\n  labels: {'))],
    ['a calendar month, a custom SLI on its own window', () => nativeContract({
      window: '{calendar: month, timeZone: UTC}',
      slis: '  - {name: orders, good: \'sum(increase(orders_total{state="ok"}[$window]))\', total: \'sum(increase(orders_total[$window]))\', objective: 95%, window: 7d, alerting: {ticket: false, runbook: https://runbooks.example.com/orders}}',
    })],
  ];
  for (const [what, make] of cases) {
    it(what, () => {
      const c = make();
      const { openslo, back } = roundTrip(c);
      const before = burnAlerts(c);
      assert.ok(before.length > 0);
      assert.deepEqual(burnAlerts(back), before);
      // And the converted contract writes the same OpenSLO again.
      assert.equal(toOpenSlo(back).text, openslo);
    });
  }

  it('the trial\'s contract: 12 burn-rate alerts before and after (there were 0 after), each with its runbook', () => {
    const c = nativeContract({ latencyAlerting: '{runbook: https://runbooks.example.com/shop/latency}', errorsAlerting: '{runbook: https://runbooks.example.com/shop/errors}' });
    const { back } = roundTrip(c);
    assert.equal(burnAlerts(c).length, 12);
    assert.equal(burnAlerts(back).length, 12);
    const errors = back.slis.find((s) => s.name === 'errors')!;
    assert.equal(errors.alerting?.runbook, 'https://runbooks.example.com/shop/errors');
    assert.deepEqual((errors.alerting?.page as Array<{ long: number; short: number; for?: number }>).map((t) => [t.long, t.short, t.for]), [[56 * 60_000, 5 * 60_000, 120_000], [336 * 60_000, 28 * 60_000, 120_000]]);
  });

  it('alertAfter is the rules\' `for`: the default 2m, or the tier\'s own', () => {
    const c = nativeContract({ latencyAlerting: '{page: [{burnRate: 14.4, long: 1h, short: 5m, for: 10m}, {burnRate: 6, long: 6h, short: 30m}], ticket: false}' });
    const slo = openSloObjects(toOpenSlo(c).text).find((o) => o.kind === 'SLO' && o.metadata.name === 'api-latency')!;
    assert.deepEqual(slo.spec.alertPolicies.map((p: Obj) => p.spec.conditions[0].spec.condition.alertAfter), ['10m', '2m']);
  });

  it('says what it writes where OpenSLO has no field, and what it cannot write', () => {
    const lost = toOpenSlo(nativeContract({
      latencyAlerting: '{page: [{burnRate: 14.4, long: 1h, short: 5m, for: 30s}], ticket: false}',
      errorsAlerting: '{page: false, ticket: false, runbook: https://runbooks.example.com/shop/errors}',
    })).lost;
    assert.ok(lost.some((l) => /^SLO "api-latency": the `for` 30s of page tier 1 is not whole minutes, and OpenSLO durations are: written as alertAfter 1m$/.test(l)), lost.join('\n'));
    assert.ok(lost.some((l) => /^SLO "errors": alerting\.runbook is not written: every alert tier is off/.test(l)), lost.join('\n'));
    assert.ok(lost.some((l) => /^SLO "availability": the short windows of page tier 1 \(5m of 56m\) have no OpenSLO field .* annotation sloctl\.dev\/short-window/.test(l)), lost.join('\n'));
  });
});

describe('fromOpenSlo: alert policies\' runbook and the rest', () => {
  const slo = (policies: string) => `apiVersion: openslo/v1
kind: SLO
metadata: {name: web}
spec:
  service: web
  indicator:
    metadata: {name: web}
    spec:
      ratioMetric:
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(increase(ok_total[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(increase(all_total[{{.window}}]))'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  alertPolicies:
${policies}`;
  const policy = (name: string, meta: string, severity: string, after: string) => `    - kind: AlertPolicy
      metadata: {name: ${name}${meta}}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: ${name}}
            spec: {severity: ${severity}, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: ${after}}}
`;

  it('a plain OpenSLO policy\'s runbook annotation and string labels go on the alerts; the policies come back as they were', () => {
    const text = slo(policy('fast', ', annotations: {runbook: "https://rb.example.com/web", openslo.com/service-folder: ./x}, labels: {team: web, env: [prod]}', 'page', '5m'));
    const r = fromOpenSlo(text, 'in.yaml');
    const c = valid(r.text);
    assert.deepEqual(c.slis[0].alerting, { page: [{ burnRate: 14.4, long: 3_600_000, short: 300_000, for: 300_000 }], ticket: false, runbook: 'https://rb.example.com/web', labels: { team: 'web' } });
    const back = toOpenSlo(c);
    assert.deepEqual(back.lost, []);
    assert.deepEqual(openSloObjects(back.text), openSloObjects(text));
  });

  it('two policies with different runbooks: the first one\'s, and a warning', () => {
    const r = fromOpenSlo(slo(policy('fast', ', annotations: {runbook: "https://rb.example.com/a"}', 'page', '5m') + policy('slow', ', annotations: {runbook: "https://rb.example.com/b"}', 'ticket', '5m')), 'in.yaml');
    assert.equal(valid(r.text).slis[0].alerting?.runbook, 'https://rb.example.com/a');
    assert.ok(r.warnings.some((w) => /alert policies "fast" and "slow" have different runbooks/.test(w)), r.warnings.join('\n'));
  });

  it('alertAfter 0m: the tier keeps sloctl\'s default `for`, and says so', () => {
    const r = fromOpenSlo(slo(policy('fast', '', 'page', '0m')), 'in.yaml');
    assert.equal((valid(r.text).slis[0].alerting?.page as Array<{ for?: number }>)[0].for, undefined);
    assert.ok(r.warnings.some((w) => /alert condition "fast" of alert policy "fast": its alertAfter 0m fires on the first evaluation, and a sloctl tier's `for` is above zero: the tier waits sloctl's default 2m/.test(w)), r.warnings.join('\n'));
  });
});

// --- Sloth -------------------------------------------------------------------------------------------

describe('fromSloth', () => {
  const convert = (fixture: string) => {
    const file = join(SLOTH, fixture);
    const r = fromSloth(readFileSync(file, 'utf8'), file);
    return { result: r, contract: valid(r.text) };
  };

  it('getting-started: the events SLI, objective 99.9 -> 99.9%, {{.window}} -> $window, the 30d window, page and ticket alerts', () => {
    const { result, contract } = convert('getting-started.yml');
    assert.equal(contract.service.name, 'myservice');
    assert.deepEqual(contract.service.labels, { owner: 'myteam', repo: 'myorg/myservice', tier: '2' });
    assert.equal(contract.window, 30 * 86_400_000);
    const [s] = contract.slis;
    assert.equal(s.name, 'requests-availability');
    assert.ok(Math.abs(s.objective - 0.999) < 1e-12);
    assert.equal(result.contract.slis?.[0].objective, '99.9%');
    assert.equal(s.bad, 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[$window]))');
    assert.equal(s.total, 'sum(rate(http_request_duration_seconds_count{job="myservice"}[$window]))');
    assert.equal(s.description, 'Common SLO based on availability for HTTP request responses.');
    assert.deepEqual(s.alerting?.page, [{ burnRate: 14.4, long: 3_600_000, short: 300_000 }, { burnRate: 6, long: 21_600_000, short: 1_800_000 }]);
    assert.deepEqual(s.alerting?.ticket, [{ burnRate: 3, long: 86_400_000, short: 7_200_000 }, { burnRate: 1, long: 259_200_000, short: 21_600_000 }]);
    assert.deepEqual(s.alerting?.labels, { category: 'availability' });
    assert.deepEqual(s.alerting?.annotations, { summary: "High error rate on 'myservice' requests responses" });
    assert.equal(s.alerting?.name, 'MyServiceHighErrorRate');
    assert.equal(s.annotations?.['sloth.dev/page-alert-labels'], '{"severity":"pageteam","routing_key":"myteam"}');
    assert.ok(!result.text.includes('{{.window}}'));
    assert.ok(result.text.startsWith('# sloctl contract converted from Sloth (test/fixtures/sloth/getting-started.yml)'));
  });

  it('Sloth\'s alerts have no `for`: the converted tiers wait sloctl\'s default, and a warning says so (not when the spec sets `for`)', () => {
    const { result } = convert('getting-started.yml');
    assert.ok(result.warnings.some((w) => /^SLO "requests-availability": Sloth's alerts have no `for` and fire on the first evaluation that sees the burn; .* wait sloctl's default 2m/.test(w)), result.warnings.join('\n'));
    const file = join(SLOTH, 'published', 'getting-started.yml');
    assert.ok(!fromSloth(readFileSync(file, 'utf8'), file).warnings.some((w) => /have no `for`/.test(w)), 'page_alert.for and ticket_alert.for are set');
  });

  it('a raw SLI becomes errorRatio', () => {
    const { contract } = convert('raw-home-wifi.yml');
    assert.match(contract.slis[0].errorRatio!, /sum\(sum_over_time\(unifipoller_client_satisfaction_ratio\[\$window\]\)\)/);
    assert.equal(contract.slis[0].objective, 0.95);
  });

  it('disable: true turns page / ticket off', () => {
    const { contract } = convert('no-alerts.yml');
    assert.equal(contract.slis[0].alerting?.page, false);
    assert.equal(contract.slis[0].alerting?.ticket, false);
  });

  it('an SLI plugin is not convertible: with nothing else to convert, the file is refused at the plugin', () => {
    const file = join(SLOTH, 'plugin-getting-started.yml');
    assert.throws(() => fromSloth(readFileSync(file, 'utf8'), file), (e: unknown) => {
      assert.ok(e instanceof ConvertError);
      assert.equal(e.diagnostics.length, 1);
      const d = e.diagnostics[0];
      assert.match(d.message, /SLO "requests-availability" is not converted: its SLI is the plugin "getting_started_availability"/);
      // At the SLO's plugin (its first line, `id: ...`).
      assert.match(readFileSync(file, 'utf8').split('\n')[d.line - 1], /^\s+id: "getting_started_availability"/);
      return true;
    });
  });

  it('an SLI plugin beside a convertible SLO: that SLO converts, the plugin one is a warning', () => {
    const text = `version: "prometheus/v1"
service: svc
slos:
  - name: by-plugin
    objective: 99
    sli: {plugin: {id: x}}
  - name: events
    objective: 99
    sli:
      events:
        error_query: sum(rate(e_total[{{.window}}]))
        total_query: sum(rate(t_total[{{.window}}]))
`;
    const r = fromSloth(text, 'mixed.yml');
    assert.deepEqual(valid(r.text).slis.map((s) => s.name), ['events']);
    assert.ok(r.warnings.some((w) => /^mixed\.yml:6:19: SLO "by-plugin" is not converted: its SLI is the plugin "x"/.test(w)), r.warnings.join('\n'));
  });

  it('Sloth alerting.name becomes the contract alerting.name; one that is not a Prometheus name is made one, with a warning', () => {
    const { contract } = convert('getting-started.yml');
    assert.equal(contract.slis[0].alerting?.name, 'MyServiceHighErrorRate');
    assert.equal(contract.slis[0].annotations?.['sloth.dev/alert-name'], undefined);
    const text = `version: "prometheus/v1"
service: svc
slos:
  - name: lat
    objective: 90
    sli: {raw: {error_ratio_query: "1 - avg_over_time(up[{{.window}}])"}}
    alerting: {name: slo_foo-bar_fail}
`;
    const r = fromSloth(text, 'x.yml');
    const c = valid(r.text);
    assert.equal(c.slis[0].alerting?.name, 'slo_foo_bar_fail');
    assert.equal(c.slis[0].annotations?.['sloth.dev/alert-name'], 'slo_foo-bar_fail');
    assert.ok(r.warnings.some((w) => w.includes('"slo_foo-bar_fail" is not a Prometheus alert name') && w.includes('"slo_foo_bar_fail"')), r.warnings.join('\n'));
  });

  it('a query that is not PromQL (MetricsQL) is refused at that query, saying why', () => {
    const text = `version: "prometheus/v1"
service: svc
slos:
  - name: lat
    objective: 90
    sli:
      events:
        error_query: 1 - histogram_share(0.2, sum by (vmrange) (rate(d_bucket[{{.window}}])))
        total_query: vector(1)
`;
    assert.throws(() => fromSloth(text, 'vm.yml'), (e: unknown) => {
      assert.ok(e instanceof ConvertError);
      assert.deepEqual([e.diagnostics[0].line, e.diagnostics[0].col], [8, 22]);
      assert.match(e.diagnostics[0].message, /its error_query is not PromQL \(.*histogram_share is not a PromQL function\)/);
      return true;
    });
  });

  it('an OpenSLO v1alpha file given to --from sloth says it is OpenSLO', () => {
    assert.throws(() => fromSloth('apiVersion: openslo/v1alpha\nkind: SLO\n', 'o.yml'), (e: unknown) => {
      assert.ok(e instanceof ConvertError);
      assert.equal(e.diagnostics[0].hint, 'this is OpenSLO: convert it with --from openslo');
      return true;
    });
  });

  it('reads the camelCase keys of the Kubernetes PrometheusServiceLevel', () => {
    const text = `apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: k8s}
spec:
  service: myservice
  slos:
    - name: availability
      objective: 99.5
      sli:
        events:
          errorQuery: sum(rate(x_total{code=~"5.."}[{{ .window }}]))
          totalQuery: sum(rate(x_total[{{ .window }}]))
      alerting:
        name: A
        pageAlert: {for: 5m}
        ticketAlert: {disable: true}
`;
    const c = valid(fromSloth(text, 'k8s.yaml').text);
    assert.equal(c.slis[0].bad, 'sum(rate(x_total{code=~"5.."}[$window]))');
    assert.deepEqual(c.slis[0].alerting?.page, [{ burnRate: 14.4, long: 3_600_000, short: 300_000, for: 300_000 }, { burnRate: 6, long: 21_600_000, short: 1_800_000, for: 300_000 }]);
    assert.equal(c.slis[0].alerting?.ticket, false);
  });

  it('a file that is not a Sloth spec is a located error', () => {
    assert.throws(() => fromSloth('version: "prometheus/v2"\nservice: x\n', 'x.yml'), (e: unknown) => {
      assert.ok(e instanceof ConvertError);
      assert.deepEqual([e.diagnostics[0].line, e.diagnostics[0].col], [1, 10]);
      return true;
    });
  });
});

// --- the command ---------------------------------------------------------------------------------------

async function run(args: string[], cwd = process.cwd()) {
  return runCli([...args], cwd);
}

describe('sloctl convert', () => {
  it('--from openslo FILE: the contract on stdout, warnings on stderr, exit 0', async () => {
    const r = await run(['convert', '--from', 'openslo', join(OPENSLO, 'multi-document.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    valid(r.stdout);
    assert.ok(r.stderr.length > 0);
    for (const line of r.stderr.trimEnd().split('\n')) assert.match(line, /^sloctl convert: /);
  });

  it('--from sloth FILE -o OUT writes the file atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-convert-'));
    const r = await run(['convert', '--from', 'sloth', join(process.cwd(), SLOTH, 'getting-started.yml'), '-o', 'slo.yaml'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    valid(readFileSync(join(dir, 'slo.yaml'), 'utf8'));
    assert.deepEqual(readdirSync(dir), ['slo.yaml'], 'no temporary file left behind');
  });

  it('--to openslo: OpenSLO on stdout, what is lost on stderr', async () => {
    const r = await run(['convert', '--to', 'openslo', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    for (const o of openSloObjects(r.stdout)) assertOpenSloV1(o);
    assert.match(r.stderr, /^sloctl convert: not in OpenSLO: /m);
    assert.match(r.stderr, /objectives\.memory/);
  });

  it('usage errors exit 2: neither or both directions, an unknown format, an unreadable file', async () => {
    const fixture = join(OPENSLO, 'timeslices.yaml');
    for (const args of [['convert', fixture], ['convert', '--from', 'openslo', '--to', 'openslo', fixture], ['convert', '--from', 'nobl9', fixture], ['convert', '--to', 'sloth', EXAMPLE], ['convert', '--from', 'openslo', 'no/such/file.yaml']]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^sloctl: /);
    }
  });

  it('input it cannot read: file:line:col and exit 2 (could not run on it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-convert-'));
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: "x\n');
    const r = await run(['convert', '--from', 'openslo', 'bad.yaml'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sloctl: bad\.yaml could not be converted from openslo \(1 error above\); nothing written\n$/);
    assert.match(r.stderr, /^bad\.yaml:4:9: error SLO_YAML_SYNTAX: this quoted string is never closed/);
    writeFileSync(join(dir, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: {name: x}\nwindow: 5 minutes\n');
    const t = await run(['convert', '--to', 'openslo', 'slo.yaml'], dir);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /^slo\.yaml:3:9: error SLO_INVALID_VALUE/);
    assert.equal(t.stdout, '');
  });
});
