// instrument() parses a contract file on a worker thread (src/sdk/contract-thread.ts): the YAML
// parser and the schema (yaml, zod) must never load into the service's own thread, since code
// merely loaded there made every request of a hello-world dearer (bench/RESULTS.md, 2026-12-06).
// Checked on the built package (dist/, which `npm test` builds first) through what `sloctl/sdk`
// runs (dist/sdk-bundle/, package.json's exports), from a child process whose module hooks record
// every module its main thread resolves. (From the
// sources, as the other tests run the SDK, the parser runs in the caller's thread.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseContract } from '../src/contract/load.ts';
import { instrument } from '../src/sdk/index.ts';
import { testRegistry } from '../src/sdk/testing.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONTRACT = join(ROOT, 'examples/checkout/slo.yaml');
const work = mkdtempSync(join(tmpdir(), 'sloctl-contract-thread-'));
// The child scripts and the dist/ copy below resolve packages (prom-client, zod) from here.
symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
after(() => rmSync(work, { recursive: true, force: true }));

// Module hooks (run on Node's loader thread) that post every URL the main thread resolves; the
// child reads them synchronously once its imports are done (each was posted before it resolved).
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;

/** Runs `body` in a child ES module that has `dist` (a dist/ directory) as DIST and records what its main thread loads. */
function child(dist: string, body: string): { status: number | null; stdout: string; stderr: string } {
  const script = join(work, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(script, `
import { register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), { data: { port: port2 }, transferList: [port2] });
const loaded = () => { const urls = []; for (let m; (m = receiveMessageOnPort(port1)); ) urls.push(m.message); return urls; };
const DIST = ${JSON.stringify(pathToFileURL(dist).href)};
${body}
port1.close();
`);
  const r = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** instrument(contract) in a child from `dist`: prints the error's code and message, or "no error". */
function instrumentInChild(dist: string, contract: string): ReturnType<typeof child> {
  return child(dist, `
const { instrument } = await import(DIST + '/sdk-bundle/sdk.js');
try { instrument({ contract: ${JSON.stringify(contract)}, defaultMetrics: false }); console.log('no error'); }
catch (err) { console.log(err.code + ' ' + err.message); }
`);
}

describe('the contract is parsed off the service thread', () => {
  it('instrument(path) gives the contract, and the main thread never loads yaml or zod', () => {
    const r = child(join(ROOT, 'dist'), `
const { instrument } = await import(DIST + '/sdk-bundle/sdk.js');
await import(DIST + '/sdk-bundle/fastify.js');
const { Registry } = await import('prom-client');
const sdk = instrument({ contract: ${JSON.stringify(CONTRACT)}, registry: new Registry(), defaultMetrics: false });
const urls = loaded();
console.log(JSON.stringify({ contract: sdk.contract, urls }));
`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { contract: unknown; urls: string[] };
    // The contract from the thread is the one the parser gives in-process.
    assert.deepEqual(out.contract, parseContract(readFileSync(CONTRACT, 'utf8'), CONTRACT).contract);
    // The check sees what it should: the SDK's own modules and prom-client were recorded.
    assert.ok(out.urls.some((u) => u.endsWith('/dist/sdk-bundle/sdk.js')), out.urls.join('\n'));
    assert.ok(out.urls.some((u) => u.includes('/node_modules/prom-client/')), out.urls.join('\n'));
    const parser = out.urls.filter((u) => /\/node_modules\/(yaml|zod)\/|\/dist\/contract\/(load|schema)\.js$/.test(u));
    assert.deepEqual(parser, [], 'the service thread loaded the contract parser');
    // The SDK and its Fastify plugin run from the SDK's one module (scripts/build.mjs), through
    // their two re-exporting files; none of tsc's dist/sdk/ modules: the request path crossing
    // module import cells cost a Fastify hello-world 1.5-2.7% a request (bench/RESULTS.md, 2026-12-07).
    const own = [...new Set(out.urls.filter((u) => u.includes('/dist/')))]; // each resolution is posted, once per importer
    assert.deepEqual(own.map((u) => u.replace(/^.*\/dist\//, '')).sort(), ['sdk-bundle/fastify.js', 'sdk-bundle/sdk-all.js', 'sdk-bundle/sdk.js']);
  });

  it('package.json\'s sloctl/sdk entry points run from the bundle, and its types are tsc\'s', () => {
    const exportsMap = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string; default?: string }> }).exports;
    const sdk = Object.entries(exportsMap).filter(([key]) => key === './sdk' || key.startsWith('./sdk/'));
    assert.ok(sdk.length >= 8, sdk.map(([k]) => k).join(' '));
    for (const [key, target] of sdk) {
      assert.match(target.default ?? '', /^\.\/dist\/sdk-bundle\/[a-z]+\.js$/, key);
      assert.ok(existsSync(join(ROOT, target.default!)), `${key}: ${target.default} was not built`);
      assert.ok(existsSync(join(ROOT, target.types ?? '')), `${key}: ${target.types} was not built`);
    }
  });

  it('an invalid contract is refused with the located message sloctl validate prints', () => {
    const bad = join(work, 'bad.slo.yaml');
    writeFileSync(bad, 'apiVersion: sloctl/v1\nservice: { name: x }\nroutes: 3\n');
    const r = instrumentInChild(join(ROOT, 'dist'), bad);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`SLOCTL_SDK_CONTRACT sloctl: the contract ${bad} is invalid (run \`npx sloctl validate ${bad}\`):\n`), r.stdout);
    assert.match(r.stdout, /bad\.slo\.yaml:3:9: error SLO_INVALID_VALUE: routes: expected array, received number/);
    // The same message from the sources, where the parser runs in the caller's thread.
    assert.throws(() => instrument({ contract: bad, registry: testRegistry() }), (err: Error) => r.stdout === `SLOCTL_SDK_CONTRACT ${err.message}\n`);
  });

  it('without its worker file (a bundled SDK) it says so at once and names the way without a thread', () => {
    // A copy of dist/ without the thread's file (its packages resolve through work's node_modules link).
    const copy = join(work, 'pkg');
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    rmSync(join(copy, 'dist/cli/contract-thread.js'));
    const started = Date.now();
    const r = instrumentInChild(join(copy, 'dist'), CONTRACT);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SLOCTL_SDK_CONTRACT sloctl: cannot check the contract .*checkout\/slo\.yaml: the contract parser's worker file .*dist\/cli\/contract-thread\.js is missing \(was sloctl\/sdk bundled\?/);
    assert.match(r.stdout, /instrument\(\{ contract: parseContract\(text, file\) \}\) with parseContract from 'sloctl'/);
    // Not after the thread's 60 s timeout.
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  it('in a process that may not start threads (Node\'s permission model) it names the way without one', () => {
    const script = join(work, 'no-threads.mjs');
    writeFileSync(script, `
const { instrument } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/sdk-bundle/sdk.js')).href)});
try { instrument({ contract: ${JSON.stringify(CONTRACT)}, defaultMetrics: false }); console.log('no error'); }
catch (err) { console.log(err.code + ' ' + err.message); }
`);
    const r = spawnSync(process.execPath, ['--experimental-permission', '--allow-fs-read=*', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SLOCTL_SDK_CONTRACT sloctl: cannot check the contract .*checkout\/slo\.yaml: Access to this API has been restricted; parse it yourself and pass it instead: instrument\(\{ contract: parseContract\(text, file\) \}\) with parseContract from 'sloctl'/);
  });
});
