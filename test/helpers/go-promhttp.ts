// The promhttp-only Go fixture (test/fixtures/go-promhttp) for the tests that gate it: built once
// per test file in GOPATH mode against Debian's client_golang, and the contract that maps its
// labels (issue 10).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './prometheus.ts';
import { buildGoFile } from './go-build.ts';


/** Builds the fixture once (GOPATH mode against Debian's client_golang): the binary, or why not. */
export function buildGoPromhttp(): { bin?: string; reason?: string } {
  const go = findBinary('go', process.env, 'apt-get install golang-go golang-github-prometheus-client-golang-dev');
  if (!go.path) return { reason: go.reason };
  const work = mkdtempSync(join(tmpdir(), 'sloctl-go-promhttp-'));
  return { bin: buildGoFile(go.path, 'test/fixtures/go-promhttp/main.go', work) };
}

/**
 * The contract: promhttp's names and labels mapped, POST /orders at its own 300 ms (a bucket the
 * fixture has), a 200 ms default, server errors weigh 1. `labels` and `orderLatency` replace those
 * two (a mapping or a threshold the series cannot support).
 */
export function goPromhttpContract(target: string, o: { labels?: string; orderLatency?: string } = {}): string {
  return `apiVersion: sloctl/v1
service: { name: go-promhttp, owner: team-test, runtime: go }
${target}
errorClasses:
  - { name: transient, weight: 0.3, status: [429, 503, 504] }
  - { name: client, weight: 1, status: ["4xx"] }
  - { name: server, weight: 1, status: ["5xx"] }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  inFlight: http_in_flight_requests
  labels: ${o.labels ?? '{ route: handler, status: code }'}
routes:
  - { name: product, method: GET, path: /products/:id }
  - { name: order, method: POST, path: /orders, latency: ${o.orderLatency ?? '300ms'} }
load:
  rate: 100/s
  duration: 3s
  warmup: 1s
  mix:
    - { route: product, weight: 3, params: { id: "int(1,1000)" } }
    - { route: order, weight: 1 }
objectives:
  latency:
    - { name: api, threshold: 200ms, objective: 95% }
  errors: { name: errors, objective: 99% }
  concurrency:
    goroutines: { warn: 150, critical: 250 }
    inFlight: { warn: 50, critical: 100 }
`;
}

