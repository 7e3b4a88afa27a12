// A Go service on sloctl's Go middleware takes its histogram's buckets from the contract JSON it
// loads (`sloctl generate contract slo.yaml -o slo.json`). A user raised a route's threshold in
// slo.yaml without regenerating slo.json: `validate --target URL --go-module-path .` reported the
// missing bucket with a hint to edit `prometheus.HistogramOpts{...}`, code the service does not
// have. The fix is to regenerate the JSON and restart; and a slo.json beside the contract that
// differs from what the contract generates now is a warning of its own, target or not.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { renderContractJson } from '../src/emit/contract-json.ts';
import { bucketsFor } from '../src/sdk/core/buckets.ts';
import { runCli } from './helpers/cli.ts';

const contractText = (threshold: string) => [
  'apiVersion: sloctl/v1',
  'service: { name: orders-go, owner: team, runtime: go }',
  'routes:',
  '  - { name: get-order, method: GET, path: /orders/:id }',
  'objectives:',
  '  latency:',
  `    - { name: api, threshold: ${threshold}, objective: 99% }`,
  '  errors: { objective: 99.5% }',
  '',
].join('\n');

const MAIN_GO = `package main

import (
	"net/http"

	"github.com/sloctl/sloctl-go/sloctl"
)

func main() {
	contract, _ := sloctl.LoadFile("slo.json")
	sdk, _ := sloctl.New(contract, sloctl.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {})
	http.ListenAndServe(":8080", sdk.Middleware(mux))
}
`;

/** What the middleware exports when it loaded the JSON of `text`: its histogram's buckets are that contract's. */
function middlewareBody(text: string): string {
  const c = parseContract(text, 'old.yaml').contract!;
  const lines = ['# TYPE http_server_request_duration_seconds histogram'];
  const les = [...bucketsFor(c).map((ms) => String(ms / 1000)), '+Inf'];
  les.forEach((le, i) => lines.push(`http_server_request_duration_seconds_bucket{method="GET",route="/orders/:id",le="${le}"} ${i + 1}`));
  lines.push('http_server_request_duration_seconds_sum{method="GET",route="/orders/:id"} 1', `http_server_request_duration_seconds_count{method="GET",route="/orders/:id"} ${les.length}`);
  lines.push('# TYPE http_server_requests_total counter', 'http_server_requests_total{method="GET",route="/orders/:id",status_class="2xx",error_class="none"} 5');
  lines.push('# TYPE sloctl_weighted_requests_total counter', 'sloctl_weighted_requests_total{method="GET",route="/orders/:id",status_class="2xx",error_class="none"} 5');
  lines.push('# TYPE sloctl_error_class_weight gauge', 'sloctl_error_class_weight{error_class="server"} 1');
  return `${lines.join('\n')}\n`;
}

let server: Server;
let base = '';
let body = '';

before(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

type Finding = { code: string; severity: string; message: string; hint?: string; line: number; col: number };

async function validate(dir: string, args: string[]): Promise<{ code: number; diagnostics: Finding[] }> {
  const r = await runCli(['validate', 'slo.yaml', '--format', 'json', ...args], dir);
  return { code: r.code, diagnostics: (JSON.parse(r.stdout) as { files: Array<{ diagnostics: Finding[] }> }).files[0].diagnostics };
}

/** A service whose slo.json was generated at 250ms, then slo.yaml raised to 300ms; the service still runs the 250ms JSON. */
function raisedWithoutRegenerating(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-mw-'));
  writeFileSync(join(dir, 'go.mod'), 'module example.com/orders\n\ngo 1.22\n');
  writeFileSync(join(dir, 'main.go'), MAIN_GO);
  writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(contractText('250ms'), 'slo.yaml').contract!, { source: 'slo.yaml' }));
  writeFileSync(join(dir, 'slo.yaml'), contractText('300ms'));
  body = middlewareBody(contractText('250ms'));
  return dir;
}

describe('validate: the Go middleware\'s histogram gets its buckets from slo.json', () => {
  it('--target with --go-module-path: the missing bucket\'s hint is to regenerate slo.json and restart, not HistogramOpts', async () => {
    const dir = raisedWithoutRegenerating();
    const r = await validate(dir, ['--target', base, '--go-module-path', '.']);
    assert.equal(r.code, 1);
    const bucket = r.diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING');
    assert.ok(bucket, JSON.stringify(r.diagnostics));
    assert.equal(bucket.severity, 'error');
    assert.match(bucket.message, /has no bucket at 0\.3 s/);
    assert.match(bucket.hint!, /^the histogram is sloctl's Go middleware's \(github\.com\/sloctl\/sloctl-go\/sloctl New\(\) at main\.go:11:\d+\), which takes its buckets from the contract JSON the service loads; slo\.json beside the contract is out of date: regenerate it, `sloctl generate contract slo\.yaml -o slo\.json`, and restart the service/);
    assert.doesNotMatch(bucket.hint!, /HistogramOpts|Buckets: \[\]float64/);
  });

  it('the stale slo.json is a warning at what changed (the latency objectives), with the command, also without --target', async () => {
    const dir = raisedWithoutRegenerating();
    const r = await validate(dir, []);
    assert.equal(r.code, 0);
    const [stale, ...rest] = r.diagnostics.filter((d) => d.code === 'SLO_CONTRACT_JSON_STALE');
    assert.deepEqual(rest, []);
    assert.equal(stale.severity, 'warning');
    assert.equal(`${stale.line}:${stale.col}`, '6:3'); // `latency:` under objectives
    assert.match(stale.message, /^slo\.json, the contract JSON generated for this service, is out of date: .*bucketsMs is \[[^\]]*250[^\]]*\], the contract now gives \[[^\]]*300[^\]]*\]/);
    assert.equal(stale.hint, 'regenerate it: `sloctl generate contract slo.yaml -o slo.json`, then restart the service (rebuild it if it embeds slo.json with //go:embed)');
    // --strict fails on it; regenerated (from any name of the contract: `source` is not compared), it is gone.
    assert.equal((await runCli(['validate', 'slo.yaml', '--strict'], dir)).code, 1);
    writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(readFileSync(join(dir, 'slo.yaml'), 'utf8'), './slo.yaml').contract!, { source: './slo.yaml' }));
    assert.deepEqual((await validate(dir, [])).diagnostics.filter((d) => d.code === 'SLO_CONTRACT_JSON_STALE'), []);
  });

  it('slo.json current but the service still on the old buckets: the hint is to restart it', async () => {
    const dir = raisedWithoutRegenerating();
    writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(contractText('300ms'), 'slo.yaml').contract!, { source: 'slo.yaml' }));
    const r = await validate(dir, ['--target', base, '--go-module-path', '.']);
    const bucket = r.diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING')!;
    assert.match(bucket.hint!, /slo\.json beside the contract is current, so the running service loaded an older one: restart it/);
  });

  it('--target alone: the service exporting sloctl\'s own series says the histogram is the middleware\'s', async () => {
    const dir = raisedWithoutRegenerating();
    const r = await validate(dir, ['--target', base]);
    const bucket = r.diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING')!;
    assert.match(bucket.hint!, /^the histogram is sloctl's Go middleware's \(the service exports sloctl_weighted_requests_total, sloctl's own series\)/);
    assert.match(bucket.hint!, /`sloctl generate contract slo\.yaml -o slo\.json`/);
  });

  it('--staged (the pre-commit hook) compares the staged slo.yaml with the slo.json the commit holds (a monorepo user trial: the hook said nothing)', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = raisedWithoutRegenerating();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    git('init', '-q');
    git('add', 'slo.yaml', 'slo.json');
    const staged = async () => {
      const r = await runCli(['validate', '--staged', '--format', 'json'], dir);
      return (JSON.parse(r.stdout) as { files: Array<{ diagnostics: Finding[] }> }).files[0].diagnostics.filter((d) => d.code === 'SLO_CONTRACT_JSON_STALE');
    };
    assert.equal((await staged()).length, 1);
    // Regenerated on disk but not staged: the commit still holds the stale one.
    const current = renderContractJson(parseContract(contractText('300ms'), 'slo.yaml').contract!, { source: 'slo.yaml' });
    writeFileSync(join(dir, 'slo.json'), current);
    assert.equal((await staged()).length, 1);
    git('add', 'slo.json');
    assert.deepEqual(await staged(), []);
  });

  it('a JSON file sloctl did not write, or for another service, is not judged', async () => {
    const dir = raisedWithoutRegenerating();
    writeFileSync(join(dir, 'slo.json'), '{"name": "something else"}\n');
    assert.deepEqual((await validate(dir, [])).diagnostics, []);
    writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(contractText('250ms').replace('orders-go', 'billing'), 'slo.yaml').contract!));
    assert.deepEqual((await validate(dir, [])).diagnostics, []);
  });
});

describe('gate, drill and accept say when slo.json beside the contract is out of date', () => {
  it('one warning line before the run (and a note in the gate\'s report): the middleware judges itself by the old contract', async () => {
    // A user trial: the gate failed availability on the middleware's health, judged at the old
    // 150 ms threshold, while every request met the contract's 175 ms; nothing said slo.json was stale.
    const dir = raisedWithoutRegenerating();
    writeFileSync(join(dir, 'slo.yaml'), `${contractText('300ms')}target: { url: 'http://127.0.0.1:9', health: /healthz, metrics: /metrics }\n`);
    for (const cmd of ['gate', 'drill', 'accept']) {
      const r = await runCli([cmd, 'slo.yaml', '--no-progress'], dir);
      const line = r.stderr.split('\n').find((l) => l.startsWith('sloctl: warning: slo.json'));
      assert.ok(line, `${cmd}: ${r.stderr}`);
      assert.match(line, /^sloctl: warning: slo\.json, the contract JSON generated for this service, is out of date: .*bucketsMs .*: what the service reports about itself \(its health, its histogram's buckets\) follows the old values, not slo\.yaml; regenerate it: `sloctl generate contract slo\.yaml -o slo\.json`/);
    }
    // Regenerated: no line.
    writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(readFileSync(join(dir, 'slo.yaml'), 'utf8'), 'slo.yaml').contract!, { source: 'slo.yaml' }));
    const r = await runCli(['gate', 'slo.yaml', '--no-progress'], dir);
    assert.doesNotMatch(r.stderr, /slo\.json/);
  });
});
