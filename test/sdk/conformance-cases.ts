// The SDK conformance table: requests and the series each must land in. One table for every
// implementation: the five Node adapters (test/sdk-conformance.test.ts) and the Go middleware
// (test/go-middleware-conformance.test.ts), all against test/sdk/fixtures/slo.yaml and the app of
// test/sdk/apps.ts (test/fixtures/go-middleware-service/main.go for Go).

// Every threshold of the fixture contract (200ms objective, 300ms route, 50ms p50, 400ms p99) is a bucket.
export const THRESHOLD_BUCKETS = ['0.05', '0.2', '0.3', '0.4'];

export interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  status: number;
  /** The series the request must land in; `excluded`: none at all. */
  expect: { route: string; method?: string; status_class: string; error_class: string; sli_class?: string; weight?: number } | 'excluded';
}

export const CASES: Case[] = [
  { name: 'a matched route is labelled with its template', method: 'GET', path: '/products/17', status: 200, expect: { route: '/products/:id', status_class: '2xx', error_class: 'none' } },
  { name: 'the query string never reaches the labels', method: 'GET', path: '/products/18?utm=x&id=9', status: 200, expect: { route: '/products/:id', status_class: '2xx', error_class: 'none' } },
  { name: 'a 404 from a route is client', method: 'GET', path: '/products/0', status: 404, expect: { route: '/products/:id', status_class: '4xx', error_class: 'client' } },
  { name: 'an unmatched path is one label value, client', method: 'GET', path: '/no/such/path/42', status: 404, expect: { route: 'unmatched', status_class: '4xx', error_class: 'client' } },
  { name: 'a weighted critical route', method: 'POST', path: '/orders', status: 201, expect: { route: '/orders', method: 'POST', status_class: '2xx', error_class: 'none', sli_class: 'critical', weight: 5 } },
  { name: 'same template, other method, other weight', method: 'GET', path: '/orders', status: 200, expect: { route: '/orders', status_class: '2xx', error_class: 'none', weight: 2 } },
  { name: 'a thrown error whose cause chain holds a transient class is transient', method: 'POST', path: '/orders?fail=transient', status: 500, expect: { route: '/orders', method: 'POST', status_class: '5xx', error_class: 'transient', sli_class: 'critical', weight: 5 } },
  { name: 'an AggregateError holding ECONNRESET is transient', method: 'POST', path: '/orders?fail=aggregate', status: 500, expect: { route: '/orders', method: 'POST', status_class: '5xx', error_class: 'transient', sli_class: 'critical', weight: 5 } },
  { name: 'a DeadlockError (by its class) is server', method: 'POST', path: '/orders?fail=deadlock', status: 500, expect: { route: '/orders', method: 'POST', status_class: '5xx', error_class: 'server', sli_class: 'critical', weight: 5 } },
  { name: 'a plain thrown error answered 500 is server', method: 'GET', path: '/boom', status: 500, expect: { route: '/boom', status_class: '5xx', error_class: 'server' } },
  { name: 'an answered 500 is server', method: 'GET', path: '/status/500', status: 500, expect: { route: '/status/:code', status_class: '5xx', error_class: 'server' } },
  { name: 'an answered 503 is transient', method: 'GET', path: '/status/503', status: 503, expect: { route: '/status/:code', status_class: '5xx', error_class: 'transient' } },
  { name: 'an answered 429 is transient (first class wins over client)', method: 'GET', path: '/status/429', status: 429, expect: { route: '/status/:code', status_class: '4xx', error_class: 'transient' } },
  { name: 'a redirect is good', method: 'GET', path: '/status/302', status: 302, expect: { route: '/status/:code', status_class: '3xx', error_class: 'none' } },
  { name: 'HEAD is its own method label on the GET route', method: 'HEAD', path: '/products/3', status: 200, expect: { route: '/products/:id', method: 'HEAD', status_class: '2xx', error_class: 'none' } },
  { name: 'an odd method is "other"', method: 'PROPFIND', path: '/orders', status: 404, expect: { route: 'unmatched', method: 'other', status_class: '4xx', error_class: 'client' } },
  { name: 'a probe path is outside the SLIs', method: 'GET', path: '/readyz', status: 200, expect: 'excluded' },
  { name: 'a probe matched by User-Agent is outside the SLIs', method: 'GET', path: '/livez', headers: { 'user-agent': 'kube-probe/1.30' }, status: 200, expect: 'excluded' },
  { name: 'the same path from another client is counted', method: 'GET', path: '/livez', headers: { 'user-agent': 'curl/8' }, status: 200, expect: { route: '/livez', status_class: '2xx', error_class: 'none' } },
  { name: 'the health path is outside the SLIs', method: 'GET', path: '/healthz', status: 200, expect: 'excluded' },
  { name: 'the metrics path is outside the SLIs', method: 'GET', path: '/metrics', status: 200, expect: 'excluded' },
];

