// `sloctl status`: what each number is read from, over what span, and what the ALERT column claims.
//   - --selector with recording rules generated without it: the recorded series (which sum every
//     job) are not read; every built-in SLO comes from the raw series with the selector, and the
//     rows agree (a trial read `errors 92.9963% FAILING` from unfiltered recorded series next to
//     `availability n/a UNKNOWN`). Rules the rules API shows were generated with it are read.
//   - the ALERT column: Prometheus' own alert state (pending until `for` has passed, then firing)
//     when its rules are read; sloctl's computation says only what "would fire";
//   - a ratio SLO (availability) with every recorded series present has no "recorded series were
//     missing" note (its window ratio has no recorded series: a raw query is not a fallback);
//   - the WINDOW column: the span each value covers, scraped or queried (`--percentile-window`);
//   - scraping: the span the counts cover starts at the baseline scrape, not the end of the first
//     interval (4 scrapes 5 s apart: 15 s, not 10 s);
//   - without --selector, `generate prometheus|grafana` and `status --prometheus` warn that the
//     selectors match every job's series.
// Prometheus is a fake here (canned answers keyed by the query); test/status.test.ts runs a real one.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { isRecording, prometheusRules } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { checkRulesSelector, parseSelector } from '../src/evaluate/loaded-rules.ts';
import { evaluateThroughPrometheus, type PromqlStatus } from '../src/evaluate/promql.ts';
import { renderTable } from '../src/evaluate/render.ts';
import type { SloStatus, StatusReport } from '../src/evaluate/report.ts';
import type { LoadedRuleGroup, PromqlClient } from '../src/observe/promql-client.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { runCli } from './helpers/cli.ts';

const TEXT = `apiVersion: sloctl/v1
service: { name: shop }
window: 28d
bucket: 1m
scrapeInterval: 5s
routes:
  - { name: orders, method: POST, path: /orders, latency: 300ms }
  - { name: product, method: GET, path: /products/:id }
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95%, percentiles: { p95: 250ms } }
  errors: { objective: 99% }
  availability: { objective: 99% }
`;

function contract(text = TEXT): Contract {
  const l = parseContract(text, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

const AT = Date.UTC(2026, 11, 7, 0, 49, 9);

/** Recorded series as rules generated without a selector record them: every job's requests. */
const RECORDED: Record<string, { total?: number; bad?: number; burn: number }> = {
  errors: { total: 1000, bad: 70, burn: 7 },
  'api-latency': { total: 1000, bad: 10, burn: 0.2 },
  availability: { burn: 0.5 },
};

interface FakeOptions {
  /** sloctl's rules are loaded (the recorded series exist). */
  loaded?: boolean;
  /** What /api/v1/rules answers: the rules generated with this selector ('' for none), or an error. */
  rulesFrom?: string | Error;
  /** ALERTS per SLO. */
  alerts?: Record<string, Array<Record<string, string>>>;
}

type Sample = { metric?: Record<string, string>; value: number };

/** A Prometheus with canned answers: recorded series of unfiltered rules, raw series of every job except job="nope" (none). */
function fakeProm(c: Contract, o: FakeOptions = {}) {
  const queries: string[] = [];
  const answer = (q: string): Sample[] => {
    if (q.includes('job="nope"')) return [];
    if (q.startsWith('count({__name__=~"sloctl:.+"')) return o.loaded ? [{ value: 30 }] : [];
    const rec = /^(sloctl:[a-z_]+):([a-z0-9]+)\{sloctl_service="shop", sloctl_slo="([a-z-]+)"\}$/.exec(q);
    if (rec) {
      if (!o.loaded) return [];
      const r = RECORDED[rec[3]];
      const v = rec[1] === 'sloctl:burn_rate' ? r.burn : rec[1] === 'sloctl:total_events' ? r.total : rec[1] === 'sloctl:bad_events' ? r.bad : undefined;
      return v === undefined ? [] : [{ value: v }];
    }
    const alerts = /^ALERTS\{sloctl_service="shop", sloctl_slo="([a-z-]+)"\}$/.exec(q);
    if (alerts) return (o.alerts?.[alerts[1]] ?? []).map((metric) => ({ metric: { alertname: 'x', ...metric }, value: 1 }));
    if (q.startsWith('histogram_quantile(')) return [{ value: 0.05 }];
    if (q.startsWith('1 - avg(avg_over_time(sloctl_availability[')) return [{ value: 0.005 }];
    // Every request that reached a route (the SLIs' scope: route!="unmatched").
    if (/^sum\(increase\(http_server_(requests_total|request_duration_seconds_count)\{route!="unmatched"\}\[/.test(q)) return [{ value: 1000 }];
    if (q.startsWith('topk(1, ')) return [{ metric: { __name__: 'http_server_requests_total', error_class: 'none' }, value: 1 }];
    if (q.startsWith('count by (le)')) return ['0.05', '0.1', '0.2', '0.25', '0.3', '0.5', '1', '+Inf'].map((le) => ({ metric: { le }, value: 1 }));
    if (q.startsWith('count(')) return [{ value: 1 }];
    return [];
  };
  const client = {
    url: 'http://prometheus.test',
    async query(q: string) {
      queries.push(q);
      return { resultType: 'vector' as const, result: answer(q).map((s) => ({ metric: s.metric ?? {}, t: AT, value: s.value })), warnings: [] };
    },
    async rules(): Promise<LoadedRuleGroup[]> {
      if (o.rulesFrom instanceof Error) throw o.rulesFrom;
      if (o.rulesFrom === undefined) return [];
      return prometheusRules(c, { selector: o.rulesFrom || undefined }).groups.map((g) => ({
        name: g.name,
        file: '/etc/prometheus/rules.yml',
        rules: g.rules.map((r) => (isRecording(r)
          ? { type: 'recording' as const, name: r.record, query: r.expr, labels: r.labels ?? {} }
          : { type: 'alerting' as const, name: r.alert, query: r.expr, labels: r.labels })),
      }));
    },
  };
  return { client: client as unknown as PromqlClient, queries };
}

function byName(r: PromqlStatus): Record<string, SloStatus> {
  return Object.fromEntries(r.slos.map((s) => [s.name, s]));
}

function report(r: PromqlStatus, selector?: string): StatusReport {
  return {
    service: 'shop',
    at: AT,
    source: { kind: 'prometheus', url: 'http://prometheus.test', recordingRules: r.recordingRules, rulesLoaded: r.rulesLoaded, ...(selector ? { selector } : {}) },
    slos: r.slos,
    health: r.health,
    ...(r.notes.length ? { notes: r.notes } : {}),
  };
}

/** The table row of an SLO (first column the priority, then the name). */
function row(table: string, name: string): string[] {
  const line = table.split('\n').find((l) => new RegExp(`^\\S+\\s+${name}\\s{2}`).test(l));
  assert.ok(line, `no row ${name} in\n${table}`);
  return line.split(/\s{2,}/);
}

function header(table: string): string[] {
  return table.split('\n').find((l) => l.startsWith('#'))!.split(/\s{2,}/);
}

describe('status --prometheus --selector against the loaded rules', () => {
  const c = contract();

  it('rules generated without the selector: no recorded series or alerts are read, every row from the raw series with it', async () => {
    const { client, queries } = fakeProm(c, { loaded: true, rulesFrom: '' });
    const r = await evaluateThroughPrometheus(c, client, AT, { selector: 'job="nope"' });
    const by = byName(r);
    // Before: errors read 93% FAILING from the recorded series of every job, availability UNKNOWN.
    for (const name of ['errors', 'api-latency', 'availability']) {
      assert.equal(by[name].state, 'unknown', `${name}: ${by[name].state} ${by[name].current}\n${by[name].explain.join('\n')}`);
      assert.ok(Number.isNaN(by[name].current), name);
    }
    // Nor do its tiers read "ok" (a ratio SLO without data had a ratio of 0 in every tier window).
    assert.equal(by.availability.alerts!.status, 'unknown');
    const unfiltered = queries.filter((q) => /^(sloctl:|ALERTS)/.test(q));
    assert.deepEqual(unfiltered, [], 'no recorded series and no alert is asked for');
    assert.equal(r.recordingRules, false);
    assert.equal(r.rulesLoaded, true);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0], /recording rules are loaded, but not read: the recording rules sloctl-shop-api-latency \(\/etc\/prometheus\/rules\.yml\), sloctl-shop-errors .* do not read job="nope" \(generated without --selector, or with another one\)/);
    const table = renderTable(report(r, 'job="nope"'));
    assert.match(table.split('\n')[0], /\(raw series with job="nope"; the loaded recording rules are not confirmed to read it, see the note\)/);
    assert.match(table, /^note: sloctl's recording rules are loaded, but not read/m);
  });

  it('rules generated with the selector are read (the rules API shows its matchers in their expressions)', async () => {
    const { client, queries } = fakeProm(c, { loaded: true, rulesFrom: 'job="shop"' });
    const r = await evaluateThroughPrometheus(c, client, AT, { selector: 'job="shop"' });
    assert.equal(r.recordingRules, true);
    assert.deepEqual(r.notes, []);
    assert.ok(queries.includes('sloctl:total_events:increase28d{sloctl_service="shop", sloctl_slo="errors"}'));
    assert.equal(byName(r).errors.current, 1 - 70 / 1000);
  });

  it('a rules API that cannot be read, or rules with another selector: not confirmed, raw series', async () => {
    for (const rulesFrom of [new Error('HTTP 404'), 'job="shop-2"']) {
      const { client, queries } = fakeProm(c, { loaded: true, rulesFrom });
      const r = await evaluateThroughPrometheus(c, client, AT, { selector: 'job="shop"' });
      assert.equal(r.recordingRules, false, String(rulesFrom));
      assert.ok(!queries.some((q) => q.startsWith('sloctl:')), String(rulesFrom));
      assert.match(r.notes[0], rulesFrom instanceof Error ? /the rules API could not be read to confirm the rules use it \(HTTP 404\)/ : /do not read job="shop"/);
    }
  });

  it('parses selectors as PromQL writes them and looks for the matchers as Prometheus prints them', () => {
    assert.deepEqual(parseSelector(` job = 'a"b', instance=~"x|y" ,`), [{ name: 'job', op: '=', value: 'a"b' }, { name: 'instance', op: '=~', value: 'x|y' }]);
    assert.equal(parseSelector('job=checkout'), undefined);
    assert.equal(parseSelector(''), undefined);
    const groups: LoadedRuleGroup[] = [{ name: 'g', file: 'f', rules: [{ type: 'recording', name: 'sloctl:burn_rate:5m', query: 'sum(rate(x{instance=~"x|y",job="a\\"b"}[5m]))', labels: { sloctl_service: 's', sloctl_slo: 'e' } }] }];
    assert.deepEqual(checkRulesSelector(groups, 's', ['e'], `job='a"b', instance=~"x|y"`), { confirmed: true });
    assert.equal(checkRulesSelector(groups, 's', ['e'], 'job="a"').confirmed, false);
    assert.equal(checkRulesSelector(groups, 'other', ['e'], `job='a"b'`).confirmed, false);
  });
});

describe('status --prometheus: notes, alerts and windows', () => {
  const c = contract();

  it('a ratio SLO with the rules loaded has no "recorded series were missing" note', async () => {
    const { client } = fakeProm(c, { loaded: true });
    const r = await evaluateThroughPrometheus(c, client, AT);
    const availability = byName(r).availability;
    assert.equal(availability.current, 1 - 0.005);
    assert.ok(!availability.notes.some((n) => /recorded series were missing/.test(n)), availability.notes.join('\n'));
    assert.ok(!availability.notes.some((n) => /which this Prometheus has not recorded/.test(n)), availability.notes.join('\n'));
    // A recorded series that is asked for and missing still says so.
    const saved = RECORDED.errors.total;
    delete RECORDED.errors.total;
    try {
      const again = await evaluateThroughPrometheus(c, fakeProm(c, { loaded: true }).client, AT);
      assert.ok(byName(again).errors.notes.some((n) => /some recorded series were missing/.test(n)));
    } finally {
      RECORDED.errors.total = saved;
    }
  });

  it('ALERT: Prometheus\' pending and firing alerts, not sloctl\'s computation', async () => {
    // errors burns 7x over every window: sloctl's tiers find page-5h36m (6x) above both thresholds.
    const { client } = fakeProm(c, {
      loaded: true,
      alerts: {
        errors: [
          { alertname: 'ShopErrorsErrorBudgetBurn', alertstate: 'pending', severity: 'page', sloctl_tier: 'page-5h36m' },
          { alertname: 'ShopErrorsErrorBudgetBurn', alertstate: 'firing', severity: 'ticket', sloctl_tier: 'ticket-22h24m' },
        ],
        'api-latency': [{ alertname: 'ShopApiLatencySLIMissing', alertstate: 'firing', severity: 'page' }],
      },
    });
    const r = await evaluateThroughPrometheus(c, client, AT);
    const by = byName(r);
    assert.equal(by.errors.alerts!.status, 'page', 'sloctl\'s evaluation');
    assert.deepEqual(by.errors.prometheusAlerts, [
      { alertname: 'ShopErrorsErrorBudgetBurn', state: 'pending', severity: 'page', tier: 'page-5h36m' },
      { alertname: 'ShopErrorsErrorBudgetBurn', state: 'firing', severity: 'ticket', tier: 'ticket-22h24m' },
    ]);
    const table = renderTable(report(r));
    assert.equal(row(table, 'errors')[header(table).indexOf('ALERT')], 'ticket firing');
    assert.equal(row(table, 'api-latency')[header(table).indexOf('ALERT')], 'page firing (SLIMissing)');
    assert.equal(row(table, 'availability')[header(table).indexOf('ALERT')], 'ok');
    assert.match(by.errors.explain.join('\n'), /alerts: ALERTS\{sloctl_service="shop", sloctl_slo="errors"\} = ShopErrorsErrorBudgetBurn page-5h36m pending, ShopErrorsErrorBudgetBurn ticket-22h24m firing/);
    assert.match(by.errors.explain.join('\n'), /alert page-5h36m \(page: burn > 6x .*\): WOULD FIRE, both windows above threshold/);

    // Only pending: the column says so; none at all while the tiers' condition holds: "would fire".
    const pending = await evaluateThroughPrometheus(c, fakeProm(c, { loaded: true, alerts: { errors: [{ alertname: 'ShopErrorsErrorBudgetBurn', alertstate: 'pending', severity: 'ticket', sloctl_tier: 'ticket-22h24m' }] } }).client, AT);
    const t2 = renderTable(report(pending));
    assert.equal(row(t2, 'errors')[header(t2).indexOf('ALERT')], 'ticket pending');
    const none = await evaluateThroughPrometheus(c, fakeProm(c, { loaded: true }).client, AT);
    const t3 = renderTable(report(none));
    assert.equal(row(t3, 'errors')[header(t3).indexOf('ALERT')], 'none (page would fire)');
    // No rules: sloctl's computation only.
    const raw = await evaluateThroughPrometheus(c, fakeProm(c, { loaded: false }).client, AT);
    assert.equal(byName(raw).errors.prometheusAlerts, undefined);
  });

  it('WINDOW: the SLO window for the SLIs, 1h (or --percentile-window) for the percentiles', async () => {
    const { client } = fakeProm(c, { loaded: true });
    const table = renderTable(report(await evaluateThroughPrometheus(c, client, AT)));
    const w = header(table).indexOf('WINDOW');
    assert.equal(w, 3, header(table).join('|'));
    assert.equal(row(table, 'errors')[w], '28d');
    assert.equal(row(table, 'api-latency p95')[w], '1h');
    const five = fakeProm(c, { loaded: true });
    const t2 = renderTable(report(await evaluateThroughPrometheus(c, five.client, AT, { percentileWindowMs: 300_000 })));
    assert.equal(row(t2, 'api-latency p95')[w], '5m');
    assert.ok(five.queries.some((q) => q.startsWith('histogram_quantile(0.95, sum by (le) (increase(http_server_request_duration_seconds_bucket{route!="unmatched"}[5m])')), five.queries.join('\n'));
  });
});

describe('status (scraping): the span the counts cover, and what would fire', () => {
  const scrape = (n: number, bad: number): IngestSample[] => [
    { name: 'http_server_requests_total', labels: { error_class: 'none' }, value: n - bad, type: 'counter' },
    { name: 'http_server_requests_total', labels: { error_class: 'server' }, value: bad, type: 'counter' },
    ...(['0.2', '0.3', '+Inf'] as const).map((le): IngestSample => ({ name: 'http_server_request_duration_seconds_bucket', labels: { method: 'GET', route: '/products/:id', le }, value: le === '0.2' ? n - 1 : n, type: 'histogram' })),
    { name: 'http_server_request_duration_seconds_count', labels: { method: 'GET', route: '/products/:id' }, value: n, type: 'histogram' },
  ];

  it('4 scrapes 5 s apart: 3 intervals covering 15 s (from the baseline scrape), in the explanation and the WINDOW column', () => {
    const defs = defineSlos(contract(TEXT.replace('  availability: { objective: 99% }\n', '')));
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defs);
    ev.attach(store);
    const t0 = AT - 15_000;
    for (let i = 0; i < 4; i++) store.ingest({ at: t0 + i * 5000, samples: scrape(150 * i, 15 * i) });
    const r = ev.report(AT + 1);
    const [latency, errors] = r.slos;
    assert.equal(errors.counts.total, 450);
    // Before: "3 scrape interval(s) with data, 10s from the first to the last" (the first interval's end).
    assert.match(errors.explain.join('\n'), /scraped: 3 scrape interval\(s\) with data, covering 15s of the 28d window \(2026-12-07T00:48:54\.000Z to 2026-12-07T00:49:09\.000Z\)/);
    assert.equal(errors.sliWindowMs, 15_000);
    assert.equal(latency.percentiles[0].overMs, 15_000);
    assert.match(latency.percentiles[0].over, /the 3 scrape interval\(s\) observed \(15s\)/);
    const table = renderTable({ service: 'shop', at: AT + 1, source: { kind: 'scrape', url: 'http://127.0.0.1:1/metrics', scrapes: 4, failures: 0, firstAt: t0, lastAt: AT, restarts: 0, errors: [] }, slos: r.slos, health: r.health });
    assert.match(table.split('\n')[0], / over 15s /, 'the headline and the counts say the same span');
    const w = header(table).indexOf('WINDOW');
    assert.equal(row(table, 'errors')[w], '15s');
    assert.equal(row(table, 'api-latency p95')[w], '15s');
    // 449 of 450 requests in le=0.2, the lowest bucket: the p95 is only known to be at or under it
    // (a trial read "~5.0 ms … interpolated between le=0.1 and le=0.25" for such a row).
    const p95 = table.split('\n').find((l) => /api-latency p95/.test(l))!;
    assert.match(p95, /api-latency p95\s+≤ 200 ms\s+15s\s+<= 250 ms\s+p95 ≤ 200 ms ≤ 250 ms\s.*\sOK; the 250 ms ceiling falls between le=0\.2 and le=0\.3 \(add a bucket at le=0\.25\)$/, p95);
    // 10% server errors × 2.5 against 99%: sloctl's tiers are above their thresholds; nothing was sent.
    assert.equal(errors.alerts!.status, 'page');
    assert.equal(row(table, 'errors')[header(table).indexOf('ALERT')], 'page would fire');
    assert.match(errors.explain.join('\n'), /: WOULD FIRE, both windows above threshold/);
    assert.doesNotMatch(errors.explain.join('\n'), /FIRING/);
  });
});

describe('without a selector: one warning line that the selectors match every job', () => {
  let server: Server;
  let url: string;
  let dir: string;
  before(async () => {
    // A Prometheus API with no series at all, and no rules.
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/api/v1/rules') ? '{"status":"success","data":{"groups":[]}}' : '{"status":"success","data":{"resultType":"vector","result":[]}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'sloctl-status-sources-'));
    writeFileSync(join(dir, 'slo.yaml'), TEXT);
    writeFileSync(join(dir, 'custom.yaml'), `apiVersion: sloctl/v1
service: { name: shop }
slis:
  - { name: queue, objective: 99%, errorRatio: 'sum(rate(q_failed_total[$window])) / sum(rate(q_total[$window]))' }
`);
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const WARNING = /^sloctl: warning: without a selector (the rules|the dashboard's raw panels|the raw queries) match http_server_request_duration_seconds, http_server_requests_total and sloctl_availability of every job this Prometheus scrapes \(every service instrumented with sloctl's SDK exports these names\): .*; set `metrics: \{ selector: 'job="shop"' \}` in the contract \(the service's scrape job\), or pass --selector 'job="shop"'$/m;

  it('generate prometheus and grafana', async () => {
    for (const what of ['prometheus', 'grafana']) {
      const r = await runCli(['generate', what, 'slo.yaml'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, WARNING);
      assert.equal(r.stderr.match(/warning/g)?.length, 1, r.stderr);
      if (what === 'prometheus') assert.match(r.stderr, /the SLIMissing alerts never fire while any of them is scraped/);
      const sel = await runCli(['generate', what, 'slo.yaml', '--selector', 'job="shop"'], dir);
      assert.doesNotMatch(sel.stderr, /warning/);
      // Custom SLIs are the user's PromQL: nothing to warn about.
      const custom = await runCli(['generate', what, 'custom.yaml'], dir);
      assert.doesNotMatch(custom.stderr, /warning/);
    }
  });

  it('status --prometheus; and --percentile-window is for --prometheus only', async () => {
    const r = await runCli(['status', 'slo.yaml', '--prometheus', url], dir);
    assert.match(r.stderr, WARNING);
    assert.match(r.stdout, /^#\s+SLO\s+SLI\s+WINDOW\s+OBJECTIVE/m);
    const sel = await runCli(['status', 'slo.yaml', '--prometheus', url, '--selector', 'job="shop"', '--percentile-window', '5m'], dir);
    assert.equal(sel.stderr, '');
    assert.match(sel.stdout, /read from http:\/\/127\.0\.0\.1:\d+ \(raw series with job="shop" \(no recording rules loaded\)\)/);
    const usage = await runCli(['status', 'slo.yaml', '--percentile-window', '5m'], dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--percentile-window applies to --prometheus only/);
  });
});
