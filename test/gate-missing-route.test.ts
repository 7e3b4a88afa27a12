// A contract route the service does not have fails the gate, whatever the error classes say
// (issue 9): on a Fastify app and an Express app instrumented with the SDK (attached with
// --target), and on a Go net/http ServeMux service instrumented the usual Go way (promhttp),
// built here from test/fixtures/gate-go-mux with Debian's Go and client_golang (GOPATH mode).
// The three gates run side by side (60/s each): a route answered 404 every time fails whatever the
// machine's load, and neither a busy machine nor a late generator withdraws a route's failure
// (src/verdicts/machine.ts, generator-lag.ts). One after the other they took ~15 s of the serial
// timed phase. The Go binary is built before they start: a build inside one test would stall the
// others' in-process services.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import { errorHandler, middleware } from 'sloctl/sdk/express';
import sloctlFastify from 'sloctl/sdk/fastify';
import { runCli } from './helpers/cli.ts';
import { findBinary, requireBinary } from './helpers/prometheus.ts';
import { buildGoFile } from './helpers/go-build.ts';


/** /hello exists everywhere; /missing is in the contract and the mix, and in no service. 404s are a class counted as good. */
function contract(target: string): string {
  return `apiVersion: sloctl/v1
service: { name: missing-route, owner: team-test }
${target}
errorClasses:
  - { name: not-found, weight: 0, status: [404], good: true }
routes:
  - { name: hello, method: GET, path: /hello }
  - { name: missing, method: GET, path: /missing }
load:
  rate: 60/s
  duration: 3s
  warmup: 1s
  mix:
    - { route: hello, weight: 1 }
    - { route: missing, weight: 1 }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 90% }
`;
}

async function gate(file: string, extra: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-missing-'));
  return runCli(['gate', file, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl'), ...extra], dir);
}

function assertMissingFails(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { reasons: string[]; verdicts: Array<{ contract: string; name: string; verdict: string; reason: string }> };
  const v = report.verdicts.find((x) => x.contract === 'routes' && x.name === 'GET /missing');
  assert.ok(v, JSON.stringify(report.verdicts.map((x) => `${x.contract} ${x.name} ${x.verdict}`)));
  assert.equal(v.verdict, 'fail');
  assert.match(v.reason, /the service does not have GET \/missing: all [0-9,]+ answered requests got 404/);
  // /hello exists and is not blamed.
  assert.equal(report.verdicts.some((x) => x.name === 'GET /hello' && x.verdict === 'fail'), false);
}

function contractFile(target: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sloctl-missing-contract-')), 'slo.yaml');
  writeFileSync(file, contract(target));
  return file;
}

async function listening(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('gate: a contract route the service does not have', { timeout: 120_000, concurrency: true }, () => {
  const built: { bin?: string; error?: unknown } = {};
  before(() => {
    const go = findBinary('go').path;
    if (go === undefined) return; // the Go test calls requireBinary: a skip, or a failure under CI
    try {
      built.bin = buildGoFile(go, 'test/fixtures/gate-go-mux/main.go', mkdtempSync(join(tmpdir(), 'sloctl-go-mux-')));
    } catch (e) {
      built.error = e; // that test's failure, not the others'
    }
  });

  it('fails on a Fastify app', async () => {
    const file = contractFile('');
    const sdk = instrument({ contract: file, registry: new Registry(), defaultMetrics: false });
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    app.get('/hello', async () => ({ hello: 'fastify' }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      assertMissingFails(await gate(file, ['--target', url]));
    } finally {
      await app.close();
    }
  });

  it('fails on an Express app', async () => {
    const file = contractFile('');
    const sdk = instrument({ contract: file, registry: new Registry(), defaultMetrics: false });
    const app = express();
    app.use(middleware(sdk));
    app.get('/hello', (_req, res) => { res.json({ hello: 'express' }); });
    app.use(errorHandler(sdk));
    const server = app.listen(0, '127.0.0.1');
    try {
      assertMissingFails(await gate(file, ['--target', await listening(server)]));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails on a Go net/http ServeMux service (promhttp, no sloctl SDK)', async (t) => {
    const go = requireBinary(t, 'go', 'apt-get install golang-go golang-github-prometheus-client-golang-dev');
    if (!go) return;
    if (built.error !== undefined) throw built.error;
    const bin = built.bin!;
    const file = contractFile(`target: { run: ${JSON.stringify(bin)}, health: /healthz, metrics: /metrics }`);
    assertMissingFails(await gate(file));
  });
});
