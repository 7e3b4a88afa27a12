// The label mapping every reader of the service's series shares: what an error is, from an
// error-class label or derived from a status code, and methods in any case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyCase, classOf, classSelectors, labelMap, methodMatcher, outsideRoutes, reachedScope, statusRegex, unseenClasses } from '../src/contract/label-map.ts';
import { parseContract } from '../src/contract/load.ts';

const contract = (metrics: string) =>
  parseContract(`apiVersion: sloctl/v1\nservice: { name: shop }\n${metrics}\nobjectives: { errors: { objective: 99% } }\n`, 'slo.yaml').contract!;

describe('label map', () => {
  it('defaults to the SDK labels, exact method case', () => {
    const c = contract('');
    assert.deepEqual(labelMap(c), { route: 'route', method: 'method', methodAnyCase: false, errors: { from: 'errorClass', label: 'error_class' }, mapped: false, outside: [] });
    assert.deepEqual(methodMatcher(labelMap(c), ['POST']), { name: 'method', op: '=', value: 'POST' });
    assert.equal(classOf(classSelectors(c), { error_class: 'server' }), 'server');
    assert.equal(classOf(classSelectors(c), { error_class: 'none' }), undefined);
  });

  it('promhttp: classes from the code label, first class wins, methods in any case', () => {
    const c = contract('metrics: { requests: http_requests_total, labels: { route: handler, status: code } }');
    const m = labelMap(c);
    assert.equal(m.route, 'handler');
    assert.deepEqual(m.errors, { from: 'status', label: 'code' });
    // The health and metrics paths (the defaults, no target here) are outside every SLI.
    assert.deepEqual(m.outside, ['/healthz', '/metrics']);
    const sel = classSelectors(c);
    assert.equal(classOf(sel, { code: '503' }), 'transient');
    assert.equal(classOf(sel, { code: '429' }), 'transient');
    assert.equal(classOf(sel, { code: '404' }), 'client');
    assert.equal(classOf(sel, { code: '500' }), 'server');
    assert.equal(classOf(sel, { code: '5xx' }), 'server');
    assert.equal(classOf(sel, { code: '200' }), undefined);
    assert.equal(classOf(sel, {}), undefined);
    const post = methodMatcher(m, ['POST']);
    const re = new RegExp(`^(?:${post.value})$`);
    assert.ok(re.test('post') && re.test('POST') && re.test('Post'));
    assert.ok(!re.test('GET') && !re.test('postx'));
  });

  it('a mapped route label keeps the health and metrics paths and the plain probes out of "every request that reached a route"; the SDK\'s needs only unmatched out', () => {
    const mapped = contract('target: { url: "http://127.0.0.1:8080", health: /livez, metrics: /internal/metrics }\nprobes: [/readyz, { path: /ping, userAgent: kube-probe/ }, { path: /status }]\nmetrics: { labels: { route: handler, status: code } }');
    assert.deepEqual(outsideRoutes(mapped), ['/livez', '/internal/metrics', '/readyz', '/status']);
    assert.deepEqual(reachedScope(labelMap(mapped)), [[{ name: 'handler', op: '!~', value: '/livez|/internal/metrics|/readyz|/status' }]]);
    // The SDK records none of them: only its unmatched series are left out.
    assert.deepEqual(reachedScope(labelMap(contract(''))), [[{ name: 'route', op: '!=', value: 'unmatched' }]]);
  });

  it('a class that only matches thrown errors cannot be derived from a status code, and is named', () => {
    const c = contract(`errorClasses:
  - { name: timeout, weight: 1, errors: [TimeoutError] }
  - { name: server, weight: 2, status: [5xx] }
metrics: { labels: { status: code } }`);
    assert.deepEqual(unseenClasses(c), ['timeout']);
    assert.equal(classOf(classSelectors(c), { code: '502' }), 'server');
  });

  it('ranges and codes in statusRegex match exactly what they say (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), (a, b, code) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const re = new RegExp(`^(?:${statusRegex([`${lo}-${hi}`])})$`);
        assert.equal(re.test(String(code)), code >= lo && code <= hi);
        const cls = new RegExp(`^(?:${statusRegex([`${Math.floor(lo / 100)}xx`])})$`);
        assert.equal(cls.test(String(code)), Math.floor(code / 100) === Math.floor(lo / 100));
      }),
    );
  });

  it('anyCase leaves non-letters as they are, escaped where RE2 needs it', () => {
    assert.equal(anyCase('m-search'), '[Mm]-[Ss][Ee][Aa][Rr][Cc][Hh]');
    assert.equal(anyCase('a.b'), '[Aa]\\.[Bb]');
  });

  it('rejects a label name Prometheus would not accept, saying where', () => {
    const r = parseContract('apiVersion: sloctl/v1\nservice: { name: shop }\nmetrics: { labels: { route: 9handler } }\n', 'slo.yaml');
    assert.equal(r.contract, undefined);
    assert.match(JSON.stringify(r.diagnostics), /label name/);
  });
});
