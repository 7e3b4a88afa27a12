// `sloctl status --prometheus` on a promhttp service whose availability the rules compose from its
// parts (trial report, defect 2):
//   - a critical dependency and no `metrics.dependencyUp`: the rules leave the dependencies part
//     out (renormalised), and status says so beside the number;
//   - the composite recorded by loaded rules is empty: status asks each part of the rule and names
//     the one with no data, instead of "load the rules to read it" (they were loaded).
// The server is a stand-in answering the queries status sends (the rules' own behaviour is
// promtool's, test/emit-promtool.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { evaluateThroughPrometheus } from '../src/evaluate/promql.ts';
import type { PromqlClient, QueryResult } from '../src/observe/promql-client.ts';

const T0 = Date.parse('2025-03-01T12:00:00Z');

function contract(mapping = ''): Contract {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: orders-prom, runtime: go }
metrics:
  requestDuration: orders_http_request_duration_seconds
  requests: orders_http_requests_total
  labels: { route: handler, method: method, status: code }${mapping}
routes:
  - { name: create-order, method: POST, path: /orders, dependencies: [inventory] }
dependencies:
  - { name: inventory, timeout: 100ms, critical: true }
objectives:
  latency:
    - { name: api, threshold: 150ms, objective: 99% }
  errors: { objective: 99.5% }
  availability: { objective: 99.5% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

const vector = (value: number | undefined): QueryResult => ({ resultType: 'vector', result: value === undefined ? [] : [{ metric: {}, t: T0, value }], warnings: [] } as unknown as QueryResult);

/** A Prometheus with sloctl's rules loaded: `answer` gives each query's value (undefined: no data). */
function server(answer: (q: string) => number | undefined): { client: PromqlClient; queries: string[] } {
  const queries: string[] = [];
  const client = {
    async query(q: string): Promise<QueryResult> {
      queries.push(q);
      if (q.startsWith('count({__name__=~"sloctl:.+"')) return vector(12);
      return vector(answer(q));
    },
    async rules() {
      return [];
    },
  } as unknown as PromqlClient;
  return { client, queries };
}

describe('status --prometheus: availability composed from its parts', () => {
  it('no dependency gauge mapped: the number is read, with the note that the dependencies part is left out', async () => {
    const { client } = server((q) => (q.includes('sloctl:availability:ratio') || q.includes('sloctl:burn_rate') ? 0 : undefined));
    const r = await evaluateThroughPrometheus(contract(), client, T0);
    const a = r.slos.find((s) => s.kind === 'availability')!;
    assert.equal(a.current, 1, a.reason);
    assert.ok(a.notes.some((n) => /^availability leaves out its dependencies part \(weight 0\.2\): the contract maps no metrics\.dependencyUp gauge for the critical dependency inventory.*divided by 0\.8\)$/.test(n)), a.notes.join('\n'));
    assert.ok(!a.notes.some((n) => /load the rules/.test(n)), a.notes.join('\n'));
  });

  it('the rules are loaded and the composite is empty: the note names the part with no data (the mapped gauge, absent), not "load the rules"', async () => {
    const c = contract('\n  dependencyUp: inventory_up');
    const { client, queries } = server((q) => {
      if (q.includes('sloctl:availability:ratio')) return undefined; // recorded, empty
      if (q === 'avg(up)') return 1;
      if (q.includes('inventory_up')) return undefined; // mapped, never exported
      if ((q.startsWith('((') || q.startsWith('(clamp_max(')) && q.includes('irate(')) return 1; // latency and success met
      return undefined;
    });
    const r = await evaluateThroughPrometheus(c, client, T0);
    const a = r.slos.find((s) => s.kind === 'availability')!;
    assert.equal(a.state, 'unknown');
    const text = a.notes.join('\n');
    assert.ok(!/load the rules to read it/.test(text), text);
    assert.match(text, /sloctl's rules are loaded, but sloctl:availability:ratio has no sample in the window: it is recorded from the gauge \(avg\(sloctl_availability\)\), which has no data, or else from its parts \(health, latency, success, dependencies\), and this part has no data now: dependencies \(`\(\(min\(inventory_up\{dependency="inventory"\}\) >= bool 1\).*`\); the others read health 1, latency 1, success 1\. An empty part empties the composite \(its alert SLIMissing fires\)/);
    // Each part was asked, and the explanation shows it.
    assert.ok(queries.includes('avg(up)'));
    assert.ok(a.explain.some((l) => /part dependencies now: .*inventory_up.* = no data/.test(l)), a.explain.join('\n'));
  });

  it('the rules are not loaded: says so (load them)', async () => {
    const queries: string[] = [];
    const client = {
      async query(q: string): Promise<QueryResult> {
        queries.push(q);
        return vector(undefined);
      },
    } as unknown as PromqlClient;
    const r = await evaluateThroughPrometheus(contract(), client, T0);
    const a = r.slos.find((s) => s.kind === 'availability')!;
    assert.ok(a.notes.some((n) => /which this Prometheus has not recorded: load the rules to read it/.test(n)), a.notes.join('\n'));
  });
});
