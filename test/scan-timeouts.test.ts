// The static half of the dependencies contract, end to end through `sloctl validate`: outbound
// HTTP calls without a timeout are reported file:line:col in the contract's own code, and the
// same calls with timeouts are not.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanTypeScriptProject } from '../src/scan/index.ts';
import { scanTypeScriptSource } from '../src/scan/ts-file.ts';
import { runCli } from './helpers/cli.ts';

const FIXTURES = 'test/fixtures/scan-timeouts';

/** One fixture's code with the shared contract beside it (the contract owns the code under its directory). */
function service(name: string, contract = readFileSync(join(FIXTURES, 'slo.yaml'), 'utf8')): string {
  const dir = mkdtempSync(join(tmpdir(), `sloctl-timeouts-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  writeFileSync(join(dir, 'slo.yaml'), contract);
  return dir;
}

/** `file:line:col` of the first occurrence of `needle` in the fixture's file, 1-based. */
function at(fixture: string, file: string, needle: string): string {
  const lines = readFileSync(join(FIXTURES, fixture, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} is not in ${fixture}/${file}`);
  return `${file}:${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

function errorsIn(stderr: string): string[] {
  return [...stderr.matchAll(/^(\S+:\d+:\d+): error SLO_DEPENDENCY_TIMEOUT: `/gm)].map((m) => m[1]);
}

describe('validate --project: outbound calls without a timeout (TypeScript/JavaScript)', () => {
  it('reports fetch(url) without a signal at its file:line:col, with the dependency it may be', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-bad'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const fetchAt = at('ts-bad', 'fetch.ts', 'fetch(`${PAYMENTS}/charges`');
    assert.equal(fetchAt, 'fetch.ts:5:21'); // the line the fixture's comment promises
    assert.match(r.stderr, new RegExp(`^${fetchAt}: error SLO_DEPENDENCY_TIMEOUT: \`fetch\\(\`\\$\\{PAYMENTS\\}/charges\`, .*\\(fetch\\) has no timeout \\(it may be dependency "payments", whose contract timeout is 150ms\\)`, 'm'));
    assert.match(r.stderr, /hint: pass a deadline as the signal: `fetch\(url, \{ signal: AbortSignal\.timeout\(ms\) \}\)`/);
    assert.match(r.stderr, new RegExp(`^${at('ts-bad', 'fetch.ts', 'fetch(url)')}: error SLO_DEPENDENCY_TIMEOUT: \`fetch\\(url\\)\` \\(fetch\\) has no timeout:`, 'm'));
    assert.match(r.stdout, /timeout check \(slo\.yaml\): 10 outbound HTTP calls without a timeout in its code under \./);
  });

  it('reports axios, undici and got calls without timeouts, through renamed imports', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-bad'));
    const f = 'clients.mjs';
    assert.deepEqual(errorsIn(r.stderr), [
      at('ts-bad', f, 'fetch(`${PAYMENTS}'),
      at('ts-bad', f, "fetch(url, { method: 'POST' })"),
      at('ts-bad', f, 'ax.get('),
      at('ts-bad', f, 'ax.post('),
      at('ts-bad', f, 'ax.create('),
      at('ts-bad', f, 'undiciRequest(url'),
      at('ts-bad', f, 'got(url)'),
      at('ts-bad', f, 'pool.request('),
      at('ts-bad', 'fetch.ts', 'fetch(`${PAYMENTS}'),
      at('ts-bad', 'fetch.ts', 'fetch(url)'),
    ]);
    assert.match(r.stderr, /\(axios\.get\) has no timeout \(it may be dependency "recommendations", whose contract timeout is 100ms\)/);
    assert.match(r.stderr, /\(undici pool\.request\) has no timeout \(it may be dependency "recommendations"/); // by the pool's address
    assert.match(r.stderr, /\(got\) has no timeout: .*\n  hint: set `timeout: \{ request: ms \}`/);
  });

  it('does not report the same calls with timeouts, nor options it cannot see', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-good'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /timeout check \(slo\.yaml\): every outbound HTTP call sloctl can read in its code under \. has a timeout/);
    // The scanner did read the files (an empty result for an unread file would pass too).
    const scan = await scanTypeScriptProject(join(FIXTURES, 'ts-good'));
    assert.equal(scan.filesScanned, 2);
    assert.deepEqual(scan.untimedClients, []);
  });

  it('collects the calls that have a timeout, with the option that bounds them as written (what sloctl init lists)', async () => {
    const scan = await scanTypeScriptProject(join(FIXTURES, 'ts-good'));
    assert.deepEqual(scan.timedClients.map((c) => `${c.file}:${c.line} ${c.via} | ${c.timeout}`), [
      'clients.mjs:10 fetch | signal: AbortSignal.timeout(150)',
      'clients.mjs:11 fetch | signal: AbortSignal.timeout(150)', // through `const init = {...}`
      'clients.mjs:14 axios.get | timeout: 100',
      'clients.mjs:15 axios.post | timeout: 100',
      'clients.mjs:17 undici request | headersTimeout: 100',
      'clients.mjs:18 got | timeout: { request: 100 }',
      'fetch.ts:5 fetch | signal: AbortSignal.timeout(150)',
    ]);
    // The target reads as the untimed calls' does: the env variable behind the URL is there to name the dependency.
    assert.match(scan.timedClients[0].target, /process\.env\.PAYMENTS_URL/);
  });

  it('with requireTimeout: false the calls are a summary note, not errors', async () => {
    const contract = readFileSync(join(FIXTURES, 'slo.yaml'), 'utf8').replace('requireTimeout: true', 'requireTimeout: false');
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-bad', contract));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(errorsIn(r.stderr), []);
    assert.match(r.stdout, /slo\.yaml: 10 outbound HTTP calls without a timeout in its code, not checked: its dependencies contract sets `requireTimeout: false`/);
  });

  it('lists the findings in --format json under the code check', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], service('ts-bad'));
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.codeCheck[0].untimedClients, 10);
    const first = report.codeCheck[0].diagnostics.find((d: { file: string }) => d.file === 'fetch.ts');
    assert.deepEqual([first.line, first.col, first.severity], [5, 21, 'error']);
  });

  it('dependencies that must declare a breaker or a fallback do (the contract half, src/contract/semantic.ts), located in slo.yaml', async () => {
    const contract = readFileSync(join(FIXTURES, 'slo.yaml'), 'utf8').replace('requireBreaker: none', 'requireBreaker: critical\n    requireFallback: all');
    const r = await runCli(['validate', 'slo.yaml'], service('ts-good', contract));
    assert.equal(r.code, 1);
    const line = contract.split('\n').findIndex((l) => l.includes('- name: payments')) + 1;
    const recLine = contract.split('\n').findIndex((l) => l.includes('- name: recommendations')) + 1;
    assert.match(r.stderr, new RegExp(`^slo\\.yaml:${line}:\\d+: error SLO_CONTRACT_GAP: dependency "payments" declares no breaker`, 'm'));
    assert.match(r.stderr, new RegExp(`^slo\\.yaml:${recLine}:\\d+: error SLO_CONTRACT_GAP: dependency "recommendations" declares no fallback`, 'm'));
    assert.doesNotMatch(r.stderr, /"recommendations" declares no breaker/); // not critical
  });

  it('the per-file line counts the errors in the contract\'s code too, and agrees with the summary', async () => {
    // A contract error (a critical dependency without the breaker it requires) and the 10 calls without a timeout.
    const contract = readFileSync(join(FIXTURES, 'slo.yaml'), 'utf8').replace('requireBreaker: none', 'requireBreaker: critical');
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-bad', contract));
    assert.equal(r.code, 1);
    assert.equal(errorsIn(r.stderr).length, 10);
    assert.match(r.stderr, /^slo\.yaml:\d+:\d+: error SLO_CONTRACT_GAP: /m);
    const perFile = /^✗ slo\.yaml: (\d+) errors(.*)$/m.exec(r.stdout);
    const total = /^invalid: 1 file, (\d+) errors/m.exec(r.stdout);
    assert.ok(perFile && total, r.stdout);
    assert.equal(perFile[1], total[1], r.stdout);
    assert.equal(perFile[1], '11');
    assert.equal(perFile[2], ' (1 in the contract, 10 in its code: clients.mjs, fetch.ts)');

    // Errors only in the code: the contract is not shown as valid (✓) above an `invalid` summary.
    const codeOnly = await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-bad'));
    assert.equal(codeOnly.code, 1);
    assert.doesNotMatch(codeOnly.stdout, /✓ slo\.yaml/);
    assert.match(codeOnly.stdout, /^✗ slo\.yaml: 10 errors \(0 in the contract, 10 in its code: clients\.mjs, fetch\.ts\)$/m);
    assert.match(codeOnly.stdout, /^invalid: 1 file, 10 errors, 0 warnings$/m);
    const json = JSON.parse((await runCli(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], service('ts-bad'))).stdout);
    assert.deepEqual([json.valid, json.files[0].valid, json.files[0].codeErrors, json.summary.errors], [false, false, 10, 10]);
  });

  it('the bundled example passes: every call it makes carries a deadline', async () => {
    const r = await runCli(['validate', 'examples/checkout/slo.yaml', '--project', 'examples/checkout'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /timeout check \(examples\/checkout\/slo\.yaml\): every outbound HTTP call/);
  });
});

describe('validate --project: calls in code no contract owns (a monorepo user trial)', () => {
  it('names the calls without a timeout in a shared package outside every service, instead of "every call has a timeout"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-timeouts-mono-'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'services/orders'), { recursive: true });
    mkdirSync(join(dir, 'packages/lib'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true,"workspaces":["packages/*","services/*"]}\n');
    writeFileSync(join(dir, 'services/orders/slo.yaml'), readFileSync(join(FIXTURES, 'slo.yaml'), 'utf8'));
    writeFileSync(join(dir, 'services/orders/server.js'), "import { getPrice } from '@mono/lib';\nexport const order = () => getPrice('x');\n");
    writeFileSync(join(dir, 'packages/lib/index.js'), 'export async function getPrice(sku) {\n  return fetch(`${process.env.PAYMENTS_URL}/prices/${sku}`);\n}\n');
    const r = await runCli(['validate', 'services/orders/slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /timeout check \(services\/orders\/slo\.yaml\): every outbound HTTP call sloctl can read in its code under services\/orders has a timeout/);
    // The shared package's call is not any service's, and the summary says so, where it is.
    assert.match(r.stdout, /timeout check: 1 outbound HTTP call without a timeout in code no contract owns \(no slo\.yaml at or above it\), not checked against any contract: packages\/lib\/index\.js:2:10 `fetch/);
  });
});

describe('the TypeScript detector, form by form', () => {
  const lines = (source: string) => (scanTypeScriptSource('a.js', source).untimed ?? []).map((u) => `${u.line} ${u.via}`);

  it('follows require, namespace imports and globalThis; a signal of undefined is no signal', () => {
    assert.deepEqual(lines([
      "const http = require('axios');",
      "import * as u from 'undici';",
      'http.get(url);',
      'u.request(url);',
      'globalThis.fetch(url);',
      'fetch(url, { signal: undefined });',
      "http.request({ url, timeout: 0 });",
    ].join('\n')), ['3 axios.get', '4 undici request', '5 fetch', '6 fetch', '7 axios.request']);
  });

  it('does not report what it cannot see or what is bounded elsewhere', () => {
    assert.deepEqual(lines([
      "import axios from 'axios';",
      'axios.defaults.timeout = 500;', // every call through the default instance is bounded
      'axios.get(url);',
      'fetch(url, { ...opts });', // a spread may carry the signal
      'fetch(url, makeInit());',
      'fetch(url, { signal: controller.signal });', // any signal counts: sloctl cannot tell when it aborts
    ].join('\n')), []);
    // A local function named fetch is not the global one.
    assert.deepEqual(lines('const fetch = (u) => u;\nfetch(url);'), []);
  });
});

describe('validate --go-module-path: outbound calls without a timeout (Go)', () => {
  it('reports http.Get, http.DefaultClient and http.Client{} without Timeout at their file:line:col', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--go-module-path', '.'], service('go-bad'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const get = at('go-bad', 'client.go', 'http.Get(');
    assert.equal(get, 'client.go:13:15');
    assert.deepEqual(errorsIn(r.stderr), [at('go-bad', 'client.go', '&http.Client{}'), get, at('go-bad', 'client.go', 'http.DefaultClient.Do'), at('go-bad', 'client.go', 'http.Client{Transport')]);
    assert.match(r.stderr, new RegExp(`^${get}: error SLO_DEPENDENCY_TIMEOUT: \`http\\.Get\\(os\\.Getenv\\("PAYMENTS_URL"\\) \\+ "/charges"\\)\` \\(http\\.Get\\) has no timeout \\(it may be dependency "payments"`, 'm'));
    assert.match(r.stderr, /hint: use an http\.Client with Timeout/);
    assert.match(r.stderr, /`&http\.Client\{\}` \(http\.Client\{\}\) has no timeout \(it may be dependency "payments"[^\n]*\n  hint: set `Timeout:` on the client/);
  });

  it('http.Get and http.DefaultClient are bounded when some file of the module sets DefaultClient.Timeout', async () => {
    const dir = service('go-bad');
    writeFileSync(join(dir, 'init.go'), 'package client\n\nimport (\n\t"net/http"\n\t"time"\n)\n\nfunc init() { http.DefaultClient.Timeout = 2 * time.Second }\n');
    const r = await runCli(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 1);
    assert.deepEqual(errorsIn(r.stderr), [at('go-bad', 'client.go', '&http.Client{}'), at('go-bad', 'client.go', 'http.Client{Transport')]);
  });

  it('does not report clients with a Timeout, nor requests whose context it cannot see', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--go-module-path', '.'], service('go-good'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /code check: 0 metrics registered in 1 file under \./);
    assert.match(r.stdout, /timeout check \(slo\.yaml\): every outbound HTTP call sloctl can read in its code under \. has a timeout/);
  });
});

describe('validate: a client that waits longer than its dependency\'s contract timeout (SLO_DEPENDENCY_TIMEOUT_LONGER)', () => {
  const longer = (stderr: string) => [...stderr.matchAll(/^(\S+:\d+:\d+): warning SLO_DEPENDENCY_TIMEOUT_LONGER: /gm)].map((m) => m[1]);

  it('TypeScript: fetch with AbortSignal.timeout(500) to PAYMENTS_URL against 150ms: a warning at the call, naming both; equal or shorter, or a client only its file name ties to the dependency: none', async () => {
    const dir = service('ts-good');
    writeFileSync(join(dir, 'fetch.ts'), readFileSync(join(dir, 'fetch.ts'), 'utf8').replace('AbortSignal.timeout(150)', 'AbortSignal.timeout(500)'));
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(longer(r.stderr), ['fetch.ts:5:21']);
    assert.match(r.stderr, /^fetch\.ts:5:21: warning SLO_DEPENDENCY_TIMEOUT_LONGER: `fetch\(`\$\{PAYMENTS\}\/charges`, .*\(fetch\) waits up to 500ms for dependency "payments" \(its code names it: .*\), longer than the 150ms its contract gives it/m);
    assert.match(r.stderr, /hint: set the client's timeout to 150ms, or dependencies\[0\]\.timeout to 500ms\n {2}note: slo\.yaml:17:\d+: dependency "payments" times out after 150ms/);
    // In the JSON report, under the code check; --strict fails on it, as on every likely mistake.
    const json = JSON.parse((await runCli(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir)).stdout) as { codeCheck: Array<{ diagnostics: Array<{ code: string; line: number; col: number }> }> };
    assert.deepEqual(json.codeCheck[0].diagnostics.filter((d) => d.code === 'SLO_DEPENDENCY_TIMEOUT_LONGER').map((d) => `${d.line}:${d.col}`), ['5:21']);
    assert.equal((await runCli(['validate', 'slo.yaml', '--project', '.', '--strict'], dir)).code, 1);

    const shorter = service('ts-good');
    writeFileSync(join(shorter, 'fetch.ts'), readFileSync(join(shorter, 'fetch.ts'), 'utf8').replace('AbortSignal.timeout(150)', 'AbortSignal.timeout(50)'));
    assert.deepEqual(longer((await runCli(['validate', 'slo.yaml', '--project', '.'], shorter)).stderr), [], 'a shorter per-call timeout can be one attempt of several');
    assert.deepEqual(longer((await runCli(['validate', 'slo.yaml', '--project', '.'], service('ts-good'))).stderr), [], 'equal');

    const byFile = service('ts-good');
    writeFileSync(join(byFile, 'payments.ts'), "export const call = (url: string) => fetch(url, { signal: AbortSignal.timeout(900) });\n");
    assert.deepEqual(longer((await runCli(['validate', 'slo.yaml', '--project', '.'], byFile)).stderr), [], 'only the file name says payments');
  });

  it('Go: an http.Client{Timeout: 800ms} named payments against 150ms', async () => {
    const dir = service('go-good');
    writeFileSync(join(dir, 'client.go'), readFileSync(join(dir, 'client.go'), 'utf8').replace('Timeout: 150 * time.Millisecond', 'Timeout: 800 * time.Millisecond'));
    const r = await runCli(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(longer(r.stderr), [at('go-good', 'client.go', '&http.Client{Timeout')]);
    assert.match(r.stderr, /`&http\.Client\{Timeout: 800 \* time\.Millisecond\}` \(http\.Client\{\}\) waits up to 800ms for dependency "payments" \(its code names it: "payments"\), longer than the 150ms its contract gives it/);
  });
});
