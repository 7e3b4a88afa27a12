// `sloctl status --prometheus URL --explain` claimed the whole SLO window had data: a user trial
// on a Prometheus started two minutes before (28d window) read
//   window: rolling 28d, ... ; data in 1 of its 1 buckets of 1m
//   alert page-56m (...): ... data in 1/1 buckets; short 5m: ... data in 1/1 buckets
// and the JSON carried `buckets: 1, bucketsWithData: 1`: placeholders of the PromQL source
// (src/evaluate/promql.ts counts()), printed as the coverage the embedded engine computes. A PromQL
// answer says whether a window had data, not how much of it; the explanation now says that instead.
// Prometheus is a fake here (canned answers keyed by the query).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { isRecording, prometheusRules } from '../src/emit/prometheus.ts';
import { evaluateThroughPrometheus } from '../src/evaluate/promql.ts';
import type { LoadedRuleGroup, PromqlClient } from '../src/observe/promql-client.ts';

const AT = Date.UTC(2026, 11, 7, 6, 41, 40);

const c = (() => {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
window: 28d
bucket: 1m
routes:
  - { name: report, method: GET, path: /report }
objectives:
  errors: { objective: 99% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
})();

function fakeProm(): PromqlClient {
  const answer = (q: string): number | { metric: Record<string, string>; value: number } | undefined => {
    if (q.startsWith('count({__name__=~"sloctl:.+"')) return 30;
    const rec = /^(sloctl:[a-z_]+):([a-z0-9]+)\{sloctl_service="shop", sloctl_slo="errors"\}$/.exec(q);
    if (rec) return rec[1] === 'sloctl:burn_rate' ? 1.04 : rec[1] === 'sloctl:total_events' ? 3131 : rec[1] === 'sloctl:bad_events' ? 32.5 : undefined;
    if (/^sum\(increase\(/.test(q)) return 3036;
    if (q.startsWith('topk(1, ')) return { metric: { __name__: 'http_server_requests_total', error_class: 'none' }, value: 1 };
    return undefined;
  };
  const client = {
    url: 'http://prometheus.test',
    async query(q: string) {
      const v = answer(q);
      const sample = typeof v === 'number' ? { metric: {}, value: v } : v;
      return { resultType: 'vector' as const, result: sample === undefined ? [] : [{ metric: sample.metric, t: AT, value: sample.value }], warnings: [] };
    },
    async rules(): Promise<LoadedRuleGroup[]> {
      return prometheusRules(c, {}).groups.map((g) => ({
        name: g.name,
        file: 'rules.yaml',
        rules: g.rules.map((r) => (isRecording(r)
          ? { type: 'recording' as const, name: r.record, query: r.expr, labels: r.labels ?? {} }
          : { type: 'alerting' as const, name: r.alert, query: r.expr, labels: r.labels })),
      }));
    },
  };
  return client as unknown as PromqlClient;
}

describe('status --prometheus --explain: window coverage', () => {
  it('does not claim "data in 1 of its 1 buckets" of a 28d window, nor 1/1 for the alert windows; says coverage is not read', async () => {
    const r = await evaluateThroughPrometheus(c, fakeProm(), AT);
    const errors = r.slos.find((s) => s.name === 'errors')!;
    const text = errors.explain.join('\n');
    assert.match(text, /SLI = 1 - 32\.5 \/ 3,131/, text);
    assert.doesNotMatch(text, /data in 1 of its 1 buckets/);
    assert.doesNotMatch(text, /data in 1\/1 buckets/);
    assert.match(text, /coverage: each window is read with one query over its whole range; how much of the range Prometheus holds samples for is not read/);
    assert.equal(errors.counts.buckets, undefined, 'the JSON carries no made-up bucket count');
    // The tiers still know a window with data from one without.
    assert.equal(errors.counts.bucketsWithData, 1);
  });
});
