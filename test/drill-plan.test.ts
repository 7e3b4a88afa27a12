// planDrill: every contract fault to the toxics or the drill-endpoint parameters that run it, and
// the drills that cannot run with why and the fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract, Drill } from '../src/contract/schema.ts';
import { dependencyEnv, planDrill, type DrillPlan } from '../src/drill/plan.ts';

const BASE = `apiVersion: sloctl/v1
service: { name: checkout }
dependencies:
  - { name: payments, url: "http://127.0.0.1:8081", timeout: 150ms }
  - { name: stock-api, url: "http://127.0.0.1:9000/v2/", env: STOCK_ENDPOINT, timeout: 100ms }
objectives:
  resilience:
    drills:
`;

/** The contract with one drill (given as the YAML of its fields), parsed without errors. */
function contractWith(fields: string, base = BASE): { c: Contract; d: Drill } {
  const text = `${base}      - name: d\n${fields.split('\n').map((l) => `        ${l}`).join('\n')}\n        duration: 10s\n        detectWithin: 5s\n        recoverWithin: 5s\n`;
  const r = parseContract(text, 'slo.yaml');
  assert.deepEqual(r.diagnostics.filter((x) => x.severity === 'error').map((x) => x.message), []);
  return { c: r.contract!, d: r.contract!.objectives.resilience!.drills[0] };
}

function plan(fields: string): DrillPlan {
  const { c, d } = contractWith(fields);
  return planDrill(c, d);
}

function proxy(fields: string) {
  const p = plan(fields);
  assert.equal(p.kind, 'proxy', JSON.stringify(p));
  return p as Extract<DrillPlan, { kind: 'proxy' }>;
}

describe('planDrill: proxy faults', () => {
  it('latency: a downstream latency toxic with delay and jitter, share as toxicity', () => {
    const p = proxy('fault: latency\ndependency: payments\ndelay: 1s\njitter: 100ms\nshare: 50%');
    assert.deepEqual(p.toxics, [{ type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 1000, jitter: 100 } }]);
    assert.equal(p.upstream, '127.0.0.1:8081');
    assert.equal(p.env, 'PAYMENTS_URL');
    assert.equal(p.proxyName, 'drill-payments');
    assert.equal(p.durationMs, 10_000);
    assert.equal(p.dependency.name, 'payments');
    assert.equal(p.urlVia('127.0.0.1:40123'), 'http://127.0.0.1:40123');
    assert.deepEqual(proxy('fault: latency\ndependency: payments\ndelay: 200ms').toxics[0].attributes, { latency: 200, jitter: 0 });
  });

  it('error: http_error upstream, status 503 by default', () => {
    assert.deepEqual(proxy('fault: error\ndependency: payments').toxics, [{ type: 'http_error', stream: 'upstream', toxicity: 1, attributes: { status: 503 } }]);
    assert.deepEqual(proxy('fault: error\ndependency: payments\nstatus: 500\nshare: 10%').toxics, [{ type: 'http_error', stream: 'upstream', toxicity: 0.1, attributes: { status: 500 } }]);
  });

  it('abort, reset, blackhole and bandwidth', () => {
    assert.deepEqual(proxy('fault: abort\ndependency: payments\nshare: 20%').toxics, [{ type: 'http_abort', stream: 'upstream', toxicity: 0.2 }]);
    assert.deepEqual(proxy('fault: reset\ndependency: payments').toxics, [{ type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } }]);
    assert.deepEqual(proxy('fault: blackhole\ndependency: payments').toxics, [
      { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
      { type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } },
    ]);
    // KB/s as toxiproxy counts them: 1000 bytes.
    assert.deepEqual(proxy('fault: bandwidth\ndependency: payments\nrate: 100KB/s').toxics, [{ type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 100 } }]);
    assert.deepEqual(proxy('fault: bandwidth\ndependency: payments\nrate: 1MiB/s').toxics[0].attributes, { rate: 1049 });
  });

  it('takes the dependency env and keeps the path of its url', () => {
    const p = proxy('fault: reset\ndependency: stock-api');
    assert.equal(p.env, 'STOCK_ENDPOINT');
    assert.equal(p.upstream, '127.0.0.1:9000');
    assert.equal(p.urlVia('127.0.0.1:5555'), 'http://127.0.0.1:5555/v2/');
  });
});

describe('planDrill: in-process faults', () => {
  const inProcess = (fields: string) => {
    const p = plan(fields);
    assert.equal(p.kind, 'in-process', JSON.stringify(p));
    return p as Extract<DrillPlan, { kind: 'in-process' }>;
  };
  it('maps each fault to the drill endpoint parameters, with defaults', () => {
    assert.deepEqual(inProcess('fault: event-loop-block\ndelay: 300ms').params, { blockMs: 300, everyMs: 1000 });
    assert.deepEqual(inProcess('fault: event-loop-block\ndelay: 300ms\nevery: 2s').params, { blockMs: 300, everyMs: 2000 });
    assert.deepEqual(inProcess('fault: memory-leak').params, { bytesPerSecond: 1024 * 1024 });
    assert.deepEqual(inProcess('fault: memory-leak\nrate: 10MB/s').params, { bytesPerSecond: 10_000_000 });
    assert.deepEqual(inProcess('fault: handle-leak').params, {});
    assert.deepEqual(inProcess('fault: unsettled-promises\nshare: 5%').params, { share: 0.05 });
    assert.deepEqual(inProcess('fault: cpu-burn').params, { cores: 0.5 });
    const p = inProcess('fault: cpu-burn\ncores: 1.5');
    assert.deepEqual(p.params, { cores: 1.5 });
    assert.equal(p.fault, 'cpu-burn');
    assert.equal(p.durationMs, 10_000);
  });
});

describe('planDrill: unrunnable drills say why and what to do', () => {
  it('a Go service has no drill endpoint', () => {
    const { c, d } = contractWith('fault: cpu-burn', BASE.replace('service: { name: checkout }', 'service: { name: checkout, runtime: go }'));
    const p = planDrill(c, d);
    assert.equal(p.kind, 'unrunnable');
    assert.match((p as { reason: string }).reason, /runs inside the service through the Node SDK's drill endpoint, and service.runtime is go/);
    assert.match((p as { fix: string }).fix, /drill a Go service through its dependencies/);
  });

  it('a dependency without url, an unknown one, none named, an https dependency for HTTP faults', () => {
    // Contracts semantic validation rejects; the plan still answers instead of throwing.
    const { c, d } = contractWith('fault: reset\ndependency: payments');
    const noUrl = { ...c, dependencies: [{ ...c.dependencies[0], url: undefined }] } as Contract;
    const p1 = planDrill(noUrl, d);
    assert.deepEqual([p1.kind, (p1 as { fix: string }).fix], ['unrunnable', 'add url: (where the service reaches payments) to the dependency']);
    const p2 = planDrill(c, { ...d, dependency: 'ledger' });
    assert.match((p2 as { reason: string }).reason, /attacks dependency "ledger", which the contract does not declare/);
    const p3 = planDrill(c, { ...d, dependency: undefined });
    assert.match((p3 as { fix: string }).fix, /add `dependency:`/);
    const tls = { ...c, dependencies: [{ ...c.dependencies[0], url: 'https://127.0.0.1:8443' }] } as Contract;
    const p4 = planDrill(tls, { ...d, fault: 'error' });
    assert.match((p4 as { reason: string }).reason, /an error fault reads HTTP requests, and payments is reached over https/);
    const p5 = planDrill(tls, d);
    assert.equal(p5.kind, 'proxy');
    assert.equal((p5 as { upstream: string }).upstream, '127.0.0.1:8443');
  });

  it('latency without delay, bandwidth without rate', () => {
    const { c, d } = contractWith('fault: reset\ndependency: payments');
    assert.match((planDrill(c, { ...d, fault: 'latency' }) as { fix: string }).fix, /add `delay:`/);
    assert.match((planDrill(c, { ...d, fault: 'bandwidth' }) as { fix: string }).fix, /add `rate:`/);
    assert.match((planDrill(c, { ...d, fault: 'event-loop-block', dependency: undefined }) as { fix: string }).fix, /add `delay:`/);
  });
});

describe('dependencyEnv', () => {
  it('is env, or NAME_URL upper-cased with non-alphanumerics as _', () => {
    assert.equal(dependencyEnv({ name: 'payments' }), 'PAYMENTS_URL');
    assert.equal(dependencyEnv({ name: 'stock-api.v2' }), 'STOCK_API_V2_URL');
    assert.equal(dependencyEnv({ name: 'x', env: 'MY_X' }), 'MY_X');
  });
});
