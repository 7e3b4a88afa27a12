// `sloctl convert --to openslo` for a contract that maps metrics and labels: a Go service
// instrumented with client_golang's promhttp (route curried in as `handler`, methods in lower case,
// the status code in `code`, no error class), in a Prometheus that scrapes other jobs too
// (`metrics.selector`). The exported SLOs must read the series sloctl's generated rules read: the
// query text is checked, then both are evaluated by a real promtool on the same series.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { fromOpenSlo, toOpenSlo } from '../src/convert/openslo.ts';
import { prometheusRules } from '../src/emit/prometheus.ts';
import { runCli } from './helpers/cli.ts';
import { requireBinary, run } from './helpers/prometheus.ts';

type Obj = Record<string, any>;

const PROMHTTP = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
window: 28d
routes:
  - { name: create-order, method: POST, path: /orders, latency: 300ms }
  - { name: get-order, method: GET, path: "/orders/{id}" }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, method: method, status: code }
  selector: 'job="orders"'
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 99% }
    - { name: get-fast, routes: [get-order], threshold: 1s, objective: 99.9% }
  errors: { objective: 99.5% }
  availability: { objective: 99.9% }
`;

function valid(text: string): Contract {
  const r = parseContract(text, 'slo.yaml');
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`), [], text);
  assert.ok(r.contract);
  return r.contract;
}

function slos(text: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const d of parseAllDocuments(text) as Array<{ errors: unknown[]; toJS(): unknown }>) {
    assert.deepEqual(d.errors, []);
    const o = d.toJS() as Obj;
    if (o?.kind === 'SLO') out.set(o.metadata.name, o);
  }
  return out;
}

/** The queries of an exported SLO's ratio metric, by role (good, bad, total, raw). */
function queries(slo: Obj): Record<string, string> {
  const r = slo.spec.indicator.spec.ratioMetric as Obj;
  return Object.fromEntries(['good', 'bad', 'total', 'raw'].filter((k) => r[k]).map((k) => [k, r[k].metricSource.spec.query as string]));
}

/** Every `metric{...}` selector of a query, with its matcher text. */
function selectors(q: string): Array<{ metric: string; matchers: string }> {
  return [...q.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({ metric: m[1], matchers: m[2] }));
}

const contract = valid(PROMHTTP);
const exported = toOpenSlo(contract);
const exportedSlos = slos(exported.text);

describe('toOpenSlo on a promhttp contract (metrics.labels, metrics.selector)', () => {
  it('writes the four SLOs', () => {
    assert.deepEqual([...exportedSlos.keys()], ['api-latency', 'get-fast', 'errors', 'availability']);
  });

  it('every raw selector carries the selector and none the SDK\'s route or error_class labels', () => {
    let n = 0;
    for (const [name, slo] of exportedSlos) {
      for (const [role, q] of Object.entries(queries(slo))) {
        assert.doesNotMatch(q, /\b(route|error_class)\s*(=|!=|=~|!~)/, `${name} ${role}: ${q}`);
        for (const s of selectors(q)) {
          n++;
          if (s.metric.startsWith('sloctl:')) continue; // a series sloctl's rules record (availability)
          assert.match(s.matchers, /(^|, )job="orders"(,|$)/, `${name} ${role}: ${s.metric}{${s.matchers}}`);
        }
      }
    }
    assert.ok(n >= 10, `selectors checked: ${n}`);
  });

  it('latency: handler and method (in any case), each route at its threshold, le matched as 1 and 1.0', () => {
    const api = queries(exportedSlos.get('api-latency')!);
    // POST /orders is good at its own 300ms; every other request at 200ms. promhttp writes method="post".
    assert.match(api.good, /http_request_duration_seconds_bucket\{job="orders", method=~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler="\/orders", le="0\.3"\}/);
    assert.match(api.good, /http_request_duration_seconds_bucket\{job="orders", method!~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!~"\/healthz\|\/metrics", le="0\.2"\}/);
    assert.match(api.good, /http_request_duration_seconds_bucket\{job="orders", method=~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler!="\/orders", handler!~"\/healthz\|\/metrics", le="0\.2"\}/);
    assert.match(api.total, /http_request_duration_seconds_count\{job="orders", method=~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler="\/orders"\}/);
    const get = queries(exportedSlos.get('get-fast')!);
    // A whole-second bound: client_golang writes le="1", Prometheus 3 stores it as le="1.0".
    // The route in every spelling a router writes for it: `/orders/{id}`, `/orders/:id`, `/orders/{id:[0-9]+}`.
    const m = /\{job="orders", method=~"\[Gg\]\[Ee\]\[Tt\]", handler=~("(?:[^"\\\\]|\\\\.)*"), le=~"1\(\\\\\.0\)\?"\}/.exec(get.good);
    assert.ok(m, get.good);
    const re = new RegExp(`^(?:${JSON.parse(m[1]) as string})$`);
    for (const spelling of ['/orders/{id}', '/orders/:id', '/orders/{id:[0-9]+}']) assert.match(spelling, re);
    assert.doesNotMatch('/orders', re);
  });

  it('errors: the classes derived from the code label by their statuses, first class wins', () => {
    const q = queries(exportedSlos.get('errors')!);
    assert.match(q.bad, /http_requests_total\{job="orders", handler!~"\/healthz\|\/metrics", code=~"429\|503\|504"\}/, 'transient');
    assert.match(q.bad, /http_requests_total\{job="orders", handler!~"\/healthz\|\/metrics", code=~"4\(\?:\[0-9\]\[0-9\]\|xx\)", code!~"429\|503\|504"\}/, 'client, minus transient\'s codes');
    assert.match(q.bad, /http_requests_total\{job="orders", handler!~"\/healthz\|\/metrics", code=~"5\(\?:\[0-9\]\[0-9\]\|xx\)", code!~"429\|503\|504\|4\(\?:\[0-9\]\[0-9\]\|xx\)"\}/, 'server, minus the earlier classes\' codes');
    assert.equal(q.total, 'sum(increase(http_requests_total{job="orders", handler!~"/healthz|/metrics"}[{{.window}}]))');
  });

  it('the total and latency queries are the expressions sloctl\'s rules record, over the SLO window', () => {
    const rules = prometheusRules(contract, { selector: 'job="orders"' }).groups.flatMap((g) => g.rules);
    const recorded = (slo: string, kind: 'total_events' | 'bad_events') => {
      const r = rules.find((x) => 'record' in x && x.record.startsWith(`sloctl:${kind}:increase`) && x.labels?.sloctl_slo === slo) as { record: string; expr: string };
      assert.ok(r, `${slo}: ${kind}`);
      return { expr: r.expr, window: r.record.slice(`sloctl:${kind}:increase`.length) };
    };
    for (const slo of ['api-latency', 'get-fast', 'errors']) {
      const total = recorded(slo, 'total_events');
      assert.equal(queries(exportedSlos.get(slo)!).total.split('{{.window}}').join(total.window), total.expr, slo);
    }
    // Latency: the rules' bad events are the total minus the exported good.
    const bad = recorded('api-latency', 'bad_events');
    assert.equal(bad.expr, `${recorded('api-latency', 'total_events').expr} - ${queries(exportedSlos.get('api-latency')!).good.split('{{.window}}').join(bad.window)}`);
  });

  it('availability: no SDK gauge, so the SLO reads the composite sloctl\'s rules record, and says so', () => {
    assert.equal(queries(exportedSlos.get('availability')!).raw, 'avg(avg_over_time(sloctl:availability:ratio{sloctl_service="orders", sloctl_slo="availability"}[{{.window}}]))');
    assert.ok(exported.lost.some((l) => /^objectives\.availability "availability": .*built by the rules of `sloctl generate prometheus`.*must be loaded/.test(l)), exported.lost.join('\n'));
  });

  it('lost: the mapping and selector are in the queries; the classes come from the code label; the weights are not expressible', () => {
    const lost = exported.lost.join('\n');
    assert.match(lost, /^metrics: the label mapping \(metrics\.labels: route handler, method method in any case, error classes from the status label code\) and the selector job="orders" are written into the built-in SLOs' queries/m);
    assert.match(lost, /^errorClasses \(transient, client, server\): the classes are derived from the status label code of http_requests_total/m);
    assert.match(lost, /^objectives\.errors "errors": the error-class weights \(server ×2\.5, client ×1, transient ×0\.3\) cannot be expressed/m);
    assert.match(lost, /routes appear only as method\/handler matchers/);
    assert.doesNotMatch(lost, /error_class/);
  });

  it('a class with no status cannot be seen in the code label: the export says so', () => {
    const c = valid(PROMHTTP.replace('window: 28d\n', 'window: 28d\nerrorClasses: [{name: server, weight: 1, status: ["5xx"]}, {name: dropped, weight: 1, errors: [AbortError]}]\n'));
    const out = toOpenSlo(c);
    assert.match(out.lost.join('\n'), /^objectives\.errors "errors": error classes the label mapping cannot see .*: dropped; neither this SLO nor sloctl's rules count them$/m);
    assert.doesNotMatch(queries(slos(out.text).get('errors')!).bad, /dropped/);
  });

  it('an explicit selector replaces the contract\'s; without a mapping the SDK labels stay', () => {
    const other = slos(toOpenSlo(contract, { selector: 'job="orders-canary"' }).text);
    for (const s of selectors(queries(other.get('errors')!).bad)) assert.match(s.matchers, /^job="orders-canary", /);
    const sdk = valid('apiVersion: sloctl/v1\nservice: {name: api}\nmetrics: {selector: \'job="api"\'}\nobjectives:\n  errors: {objective: 99%}\n  availability: {objective: 99%}\n');
    const q = slos(toOpenSlo(sdk).text);
    assert.equal(queries(q.get('errors')!).total, 'sum(increase(http_server_requests_total{job="api", route!="unmatched"}[{{.window}}]))');
    assert.equal(queries(q.get('availability')!).raw, 'avg(avg_over_time(sloctl_availability{job="api"}[{{.window}}]))');
  });

  it('reads back as custom SLIs with the same queries, and writes the same documents again', () => {
    const back = fromOpenSlo(exported.text, 'openslo.yaml');
    const c = valid(back.text);
    assert.deepEqual(c.slis.map((s) => s.name), ['api-latency', 'get-fast', 'errors', 'availability']);
    const errors = c.slis.find((s) => s.name === 'errors')!;
    assert.equal(errors.total, 'sum(increase(http_requests_total{job="orders", handler!~"/healthz|/metrics"}[$window]))');
    assert.equal(toOpenSlo(c).text, exported.text);
  });
});

describe('convert --to openslo --selector', () => {
  it('overrides metrics.selector; with --from it is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-convert-selector-'));
    try {
      writeFileSync(join(dir, 'slo.yaml'), PROMHTTP);
      const r = await runCli(['convert', '--to', 'openslo', '--selector', 'job="orders-canary"'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /http_requests_total\{job="orders-canary", handler!~"\/healthz\|\/metrics"\}/);
      assert.doesNotMatch(r.stdout, /job="orders"/);
      const plain = await runCli(['convert', '--to', 'openslo'], dir);
      assert.match(plain.stdout, /http_requests_total\{job="orders", handler!~"\/healthz\|\/metrics"\}/);
      const bad = await runCli(['convert', '--to', 'openslo', '--selector', 'job="a"} or up{x="1"'], dir);
      assert.equal(bad.code, 2, bad.stderr);
      const from = await runCli(['convert', '--from', 'openslo', '--selector', 'job="a"', 'x.yaml'], dir);
      assert.equal(from.code, 2);
      assert.match(from.stderr, /--selector applies to --to only/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// In a real promtool: the generated rules (with the contract's selector) and recording rules of
// the exported queries, over the same scripted series, 20 minutes scraped every 15s:
//
//   job="orders"   POST /orders (method="post"): per scrape 16 × 201, 1 × 503, 1 × 404, 2 × 500;
//                  20 requests: 15 within 200ms, 18 within 300ms, 19 within 1s (le="1.0", as
//                  Prometheus 3 stores it)
//                  GET /orders/{id} (method="get"): 10 × 200, 6 within 200ms, 9 within 1s
//   job="payments" the same handler and labels, 50 × 500 and 50 slow requests per scrape: another
//                  service, which only the selector keeps out
//
// Each counter starts at 0, so the increase over the 28d window at 20m is 80 scrapes' worth.

describe('promtool: the exported queries count what the generated rules count', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'sloctl-openslo-promtool-')); });
  after(() => { if (!process.env.SLOCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });

  const STEPS = 80;
  const scrapes = (perScrape: number) => perScrape * STEPS;
  function inputSeries() {
    const out: Array<{ series: string; values: string }> = [];
    const add = (name: string, labels: string, perScrape: number) => out.push({ series: `${name}{${labels}}`, values: `0+${perScrape}x${STEPS}` });
    for (const job of ['orders', 'payments']) {
      const post = `job="${job}", instance="${job}:8080", handler="/orders", method="post"`;
      const get = `job="${job}", instance="${job}:8080", handler="/orders/{id}", method="get"`;
      const decoy = job === 'payments';
      for (const [code, n] of (decoy ? [['500', 50]] : [['201', 16], ['503', 1], ['404', 1], ['500', 2]]) as Array<[string, number]>) add('http_requests_total', `${post}, code="${code}"`, n);
      if (!decoy) add('http_requests_total', `${get}, code="200"`, 10);
      const postBuckets: Array<[string, number]> = decoy ? [['0.2', 0], ['0.3', 0], ['1.0', 0], ['+Inf', 50]] : [['0.2', 15], ['0.3', 18], ['1.0', 19], ['+Inf', 20]];
      for (const [le, n] of postBuckets) add('http_request_duration_seconds_bucket', `${post}, le="${le}"`, n);
      add('http_request_duration_seconds_count', post, decoy ? 50 : 20);
      if (!decoy) {
        for (const [le, n] of [['0.2', 6], ['0.3', 8], ['1.0', 9], ['+Inf', 10]] as Array<[string, number]>) add('http_request_duration_seconds_bucket', `${get}, le="${le}"`, n);
        add('http_request_duration_seconds_count', get, 10);
      }
      out.push({ series: `up{job="${job}", instance="${job}:8080"}`, values: `1+0x${STEPS}` });
    }
    return out;
  }

  it('latency good and total, errors bad (each request once; the rules weigh them) and total', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const rules = prometheusRules(contract, { selector: 'job="orders"' });
    const window = '28d';
    assert.ok(rules.groups.flatMap((g) => g.rules).some((r) => 'record' in r && r.record === `sloctl:total_events:increase${window}`), 'the rules record events over the 28d window');
    const exportedRules = [...exportedSlos].flatMap(([slo, doc]) => Object.entries(queries(doc))
      .filter(([role]) => role !== 'raw')
      .map(([role, q]) => ({ record: `openslo:${role}`, expr: q.split('{{.window}}').join(window), labels: { slo } })));
    assert.equal(exportedRules.length, 6);
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: [...rules.groups, { name: 'openslo-export', rules: exportedRules }] }, { lineWidth: 0 }));

    const rec = (kind: 'bad' | 'total', slo: string) => `sum(sloctl:${kind}_events:increase${window}{sloctl_slo="${slo}"})`;
    const value = (expr: string, v: number, labels = '{}') => ({ expr, eval_time: '20m', exp_samples: [{ labels, value: v }] });
    const ex = (role: string, slo: string) => `openslo:${role}{slo="${slo}"}`;
    // api-latency: POST /orders within 300ms (18) and GET within 200ms (6), of 30 a scrape.
    // get-fast: GET within 1s, le="1.0" (9 of 10). errors: 503, 404, 500 ×2 of 30; weighed by
    // the rules 0.3 + 1 + 2 × 2.5 = 6.3.
    const promql_expr_test = [
      value(ex('good', 'api-latency'), scrapes(24), ex('good', 'api-latency')),
      value(ex('total', 'api-latency'), scrapes(30), ex('total', 'api-latency')),
      value(rec('total', 'api-latency'), scrapes(30)),
      value(rec('bad', 'api-latency'), scrapes(6)),
      value(ex('good', 'get-fast'), scrapes(9), ex('good', 'get-fast')),
      value(ex('total', 'get-fast'), scrapes(10), ex('total', 'get-fast')),
      value(rec('total', 'get-fast'), scrapes(10)),
      value(rec('bad', 'get-fast'), scrapes(1)),
      value(ex('bad', 'errors'), scrapes(4), ex('bad', 'errors')),
      value(ex('total', 'errors'), scrapes(30), ex('total', 'errors')),
      value(rec('total', 'errors'), scrapes(30)),
      value(`round(${rec('bad', 'errors')} * 10)`, scrapes(63)),
    ];
    const testPath = join(dir, 'test.yaml');
    writeFileSync(testPath, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: [{ interval: '15s', input_series: inputSeries(), promql_expr_test }] }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', testPath], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });
});
