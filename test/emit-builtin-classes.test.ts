// The classifier's built-in error classes ("shed" ×0.3, "unclassified" ×1, "aborted" ×0) weigh the
// same in the Prometheus rules and in `sloctl status` as in the SDK and the gate: one table,
// src/contract/classify.ts. A contract that names no "shed" class still has its shed requests cost
// budget in production rules (before, they read as good: a service shedding half its traffic looked
// healthy in Prometheus).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { Classifier, countedClasses, SHED_ERROR, SHED_WEIGHT } from '../src/contract/classify.ts';
import type { Contract } from '../src/contract/schema.ts';
import { isRecording, prometheusRules, type RecordingRule } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { Histogram } from '../src/measure/histogram.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { classifierOf, clientCounts } from '../src/verdicts/client-view.ts';
import { requireBinary, run } from './helpers/prometheus.ts';
import { contractFrom as contract } from './helpers/contract.ts';

// No "shed" class and no class for 503: a shed request is told apart only by the SDK's label.
const NO_SHED = contract(`apiVersion: sloctl/v1
service: { name: shop }
window: 1h
bucket: 1m
scrapeInterval: 15s
errorClasses:
  - { name: server, weight: 2.5, status: [5xx] }
  - { name: client, weight: 1, status: [4xx] }
objectives:
  errors: { objective: 99% }
`);

// The default classes (transient 429/503/504 ×0.3, client, server), and no "shed" class either.
const DEFAULTS = contract(`apiVersion: sloctl/v1
service: { name: shop }
window: 1h
bucket: 1m
scrapeInterval: 15s
objectives:
  errors: { objective: 99% }
`);

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

function requests(classes: Record<string, number>): IngestSample[] {
  return Object.entries(classes).map(([cls, v]) => ({ name: 'http_server_requests_total', labels: { method: 'GET', route: '/p', error_class: cls }, value: v, type: 'counter' as const }));
}

/** The errors SLO evaluated by `sloctl status`'s embedded engine over one 15 s interval of counts. */
function statusErrors(c: Contract, classes: Record<string, number>) {
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(c));
  ev.attach(store);
  // A baseline with every series at 0, then the counts: the increase is the counts.
  store.ingest({ at: T0, samples: requests(Object.fromEntries(Object.keys(classes).map((k) => [k, 0]))) });
  store.ingest({ at: T0 + 15_000, samples: requests(classes) });
  const err = ev.evaluate(T0 + 15_001).find((s) => s.kind === 'errors' || s.name === 'errors')!;
  return err;
}

describe('built-in error classes in the rules and in status', () => {
  it('the rules count error_class="shed" at 0.3 (and "unclassified" at 1) for a contract without them', () => {
    const group = prometheusRules(NO_SHED).groups.find((g) => g.name === 'sloctl-shop-errors')!;
    const burn = group.rules.find((r): r is RecordingRule => isRecording(r) && r.record === 'sloctl:burn_rate:1m')!;
    assert.equal(burn.expr, `((sum(
    rate(http_server_requests_total{route!="unmatched", error_class="server"}[1m]) * 2.5
  or
    rate(http_server_requests_total{route!="unmatched", error_class=~"client|unclassified"}[1m])
  or
    rate(http_server_requests_total{route!="unmatched", error_class="shed"}[1m]) * 0.3
) or vector(0)) / sum(rate(http_server_requests_total{route!="unmatched"}[1m]))) / 0.01`);
    // The weight is the classifier's, the one the SDK labels a shed request with.
    assert.equal(new Classifier(NO_SHED.errorClasses).classifyError(SHED_ERROR).weight, SHED_WEIGHT);
    // Aborted (a client that went away, no contract class for AbortError/ECONNRESET) weighs 0 in the
    // classifier: counted in the total, not bad, as before.
    assert.doesNotMatch(burn.expr, /aborted|none/);
  });

  it('a contract class named "shed" sets its weight, in the classifier and in the rules alike', () => {
    const c = contract(`apiVersion: sloctl/v1
service: { name: s }
errorClasses:
  - { name: server, weight: 2.5, status: [5xx] }
  - { name: shed, weight: 0.1 }
objectives: { errors: { objective: 99% } }
`);
    const counted = countedClasses(c.errorClasses);
    assert.deepEqual(counted.map((k) => [k.name, k.weight]), [['server', 2.5], ['none', 0], ['unclassified', 1], ['aborted', 0], ['shed', 0.1]]);
    // Every 5xx is the server class's: "unclassified" has no status to be derived from.
    assert.equal(counted.find((k) => k.name === 'unclassified')!.status, undefined);
    const expr = (prometheusRules(c).groups[0].rules[0] as RecordingRule).expr;
    assert.match(expr, /rate\(http_server_requests_total\{route!="unmatched", error_class="shed"\}\[5m\]\) \* 0\.1/);
  });

  it('status weighs shed, unclassified and aborted series as the gate does (hand-computed)', () => {
    // 1000 requests in the interval: 850 good, 100 shed, 10 server, 5 unclassified, 35 aborted.
    const counts = { none: 850, shed: 100, server: 10, unclassified: 5, aborted: 35 };
    const err = statusErrors(NO_SHED, counts);
    // weighted bad = 100 × 0.3 + 10 × 2.5 + 5 × 1 + 35 × 0 = 30 + 25 + 5 = 60; success = 1 - 60/1000.
    assert.equal(err.counts.total, 1000);
    assert.ok(Math.abs(err.counts.bad - 60) < 1e-9, String(err.counts.bad));
    assert.ok(Math.abs(err.current - 0.94) < 1e-12, String(err.current));
    const text = err.explain.join('\n');
    assert.match(text, /shed 100 × 0\.3 = 30/);
    assert.match(text, /unclassified 5 × 1 = 5/);
    assert.doesNotMatch(text, /not counted as bad/, 'no built-in class is reported as one the contract does not name');
    // A label neither names is still reported (and weighs nothing, as in the rules).
    const other = statusErrors(NO_SHED, { none: 990, throttled: 10 });
    assert.equal(other.counts.bad, 0);
    assert.match(other.explain.join('\n'), /error classes neither the contract nor the SDK \(none, unclassified, aborted, shed\) names were not counted as bad \(as in the generated rules\): throttled 10/);
    // The gate's service-side views (src/verdicts/routes.ts, drill.ts) weigh the request counter's
    // classes with the classifier's table: the same number.
    const weights = new Map(classifierOf(NO_SHED).classes.map((k) => [k.class, k.weight]));
    const gateBad = Object.entries(counts).reduce((s, [k, n]) => s + weights.get(k)! * n, 0);
    assert.ok(Math.abs(1 - gateBad / 1000 - err.current) < 1e-12);
  });

  it('status agrees with the gate\'s client view, which sees a shed request as its 503', () => {
    // The client cannot tell a shed 503 from another: with the default classes a 503 is "transient"
    // ×0.3, the weight "shed" has, so both views agree. 960 requests: 850 good, 100 shed (503), 10
    // server errors (500).
    const err = statusErrors(DEFAULTS, { none: 850, shed: 100, server: 10 });
    const client = clientCounts(DEFAULTS, [{ name: 'GET /p', completed: 960, statuses: { 200: 850, 503: 100, 500: 10 }, errors: {}, histogram: new Histogram().toJSON() }]);
    // By hand: 1 - (100 × 0.3 + 10 × 2.5) / 960 = 1 - 55 / 960.
    const byHand = 1 - 55 / 960;
    assert.ok(Math.abs(client.errorRatio - 55 / 960) < 1e-12, String(client.errorRatio));
    assert.ok(Math.abs(err.current - byHand) < 1e-12, String(err.current));
    const group = prometheusRules(DEFAULTS).groups.find((g) => g.name === 'sloctl-shop-errors')!;
    assert.match((group.rules[0] as RecordingRule).expr, /\{route!="unmatched", error_class=~"shed\|transient"\}\[1m\]\) \* 0\.3/);
  });

  it('with 5xx weighed as server faults, the client view agrees with status because the shed 503s carry sloctl-shed (row.shed); without the mark they weigh 2.5', () => {
    const row = { name: 'GET /p', completed: 960, statuses: { 200: 850, 503: 100, 500: 10 }, errors: {}, histogram: new Histogram().toJSON() };
    const err = statusErrors(NO_SHED, { none: 850, shed: 100, server: 10 });
    const marked = clientCounts(NO_SHED, [{ ...row, shed: 100 }]);
    // By hand: (100 × 0.3 + 10 × 2.5) / 960.
    assert.ok(Math.abs(marked.errorRatio - 55 / 960) < 1e-12, String(marked.errorRatio));
    assert.ok(Math.abs(1 - marked.errorRatio - err.current) < 1e-12);
    assert.deepEqual([...marked.classes], [['server', 10], ['shed', 100]]);
    const unmarked = clientCounts(NO_SHED, [row]);
    assert.ok(Math.abs(unmarked.errorRatio - (110 * 2.5) / 960) < 1e-12, 'a 503 without the mark is a server fault under this contract');
    // Marked answers under another status (a proxy rewrote it) are taken from it, never more than there are.
    const rewritten = clientCounts(NO_SHED, [{ ...row, statuses: { 200: 850, 502: 110 }, shed: 500 }]);
    assert.deepEqual([...rewritten.classes], [['shed', 110]]);
  });

  it('promtool evaluates the rule to the same weighted ratio (shed ×0.3, unclassified ×1, aborted ×0)', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    // The default 28-day window, so the page tier's short window is 5m.
    const c = contract(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: server, weight: 2.5, status: [5xx] }
  - { name: client, weight: 1, status: [4xx] }
objectives:
  errors: { objective: 99% }
`);
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-builtin-classes-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Per 15 s scrape: 170 good, 20 shed, 2 server, 1 unclassified, 7 aborted = 200 requests;
    // weighted bad 20 × 0.3 + 2 × 2.5 + 1 × 1 + 7 × 0 = 12, ratio 6%, burn 6% / 1% = 6.
    const perScrape = { none: 170, shed: 20, server: 2, unclassified: 1, aborted: 7 };
    const input_series = Object.entries(perScrape).map(([cls, n]) => ({ series: `http_server_requests_total{method="GET", route="/p", error_class="${cls}"}`, values: `0+${n}x80` }));
    const sel = '{sloctl_service="shop", sloctl_slo="errors"}';
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: prometheusRules(c).groups }, { lineWidth: 0 }));
    writeFileSync(join(dir, 'test.yaml'), stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [{ interval: '15s', input_series, promql_expr_test: [{ expr: `round(sloctl:burn_rate:5m${sel} * 1000)`, eval_time: '20m', exp_samples: [{ labels: sel, value: 6000 }] }] }],
    }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', join(dir, 'test.yaml')], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    // And status on the same counts (one scrape interval): 1 - 12 / 200.
    assert.ok(Math.abs(statusErrors(c, perScrape).current - (1 - 12 / 200)) < 1e-12);
  });
});
