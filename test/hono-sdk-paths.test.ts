// sloctl's Hono middleware under a basePath (a user trial): `new Hono().basePath('/api')` with
// `app.use('*', middleware(sdk))` registers the middleware at `/api/*`, so it never sees `/healthz`
// or `/metrics`: Hono answers both with a 404, and the gate waited for a health endpoint that could
// not say UP ("check target.health is the right path"), while `sloctl init` wrote `/healthz` and
// `validate --project` passed. The scan now records where the middleware runs; validate says where
// the paths are answered instead, and init writes them there. The Hono app below is the real one:
// it shows what the check claims.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { parseContract } from '../src/contract/load.ts';
import { honoPatternSees } from '../src/cli/validate-sdk-paths.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import { instrumentForTest } from '../src/sdk/testing.ts';
import { middleware } from '../src/sdk/adapters/hono.ts';
import { runCli } from './helpers/cli.ts';
import { writeProject } from './helpers/project.ts';

const server = (setup: string) => `import { Hono } from 'hono';
import { instrument } from 'sloctl/sdk';
import { middleware } from 'sloctl/sdk/hono';
const sdk = instrument({ contract: 'slo.yaml' });
${setup}
export default app;
`;
const BASE_PATH = server(`const app = new Hono().basePath('/api');\napp.use('*', middleware(sdk));\napp.get('/items', (c) => c.json([]));`);

const contract = (target: string) => `apiVersion: sloctl/v1
service: { name: shop, runtime: node }
target: { url: 'http://127.0.0.1:3000'${target} }
routes:
  - { name: items, method: GET, path: /api/items, weight: 1 }
objectives:
  errors: { objective: 99% }
`;

type Finding = { code: string; severity: string; message: string; hint?: string; line: number; col: number };
async function findings(dir: string): Promise<{ code: number; diagnostics: Finding[] }> {
  const r = await runCli(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
  return { code: r.code, diagnostics: JSON.parse(r.stdout).files[0].diagnostics as Finding[] };
}

describe("sloctl's Hono middleware under a basePath", () => {
  it('runs for /api/* only: the real app answers /healthz with a 404 and /api/healthz when the contract names it', async () => {
    const run = async (health: string, path: string) => {
      const sdk = instrumentForTest(parseContract(contract(`, health: ${health}`), 'slo.yaml').contract!);
      const app = new Hono().basePath('/api');
      app.use('*', middleware(sdk));
      app.get('/items', (c) => c.json([]));
      return (await app.request(path)).status;
    };
    assert.equal(await run('/healthz', '/healthz'), 404);
    assert.equal(await run('/api/healthz', '/api/healthz'), 200);
  });

  it('the scan records where the middleware runs: under basePath, app.route mounts and its own pattern', async () => {
    const dir = writeProject({
      'a.ts': BASE_PATH,
      'b.ts': server(`const app = new Hono();\nconst v1 = new Hono();\nv1.use(middleware(sdk));\napp.route('/v1', v1);`),
      'c.ts': server(`const app = new Hono();\napp.use('/internal/*', middleware(sdk));`),
      'd.ts': server(`const app = new Hono();\napp.use('*', middleware(sdk));`),
    }, 'sloctl-hono-scope-');
    const r = await scanTypeScriptProject(dir);
    assert.deepEqual(r.sdkScopes.map((s) => `${s.file}:${s.line}:${s.col} ${s.path}`), ['a.ts:6:1 /api/*', 'b.ts:7:1 /v1/*', 'c.ts:6:1 /internal/*', 'd.ts:6:1 *']);
    assert.equal(r.sdkScopes[0].what, "app.use('*', middleware(sdk))");
  });

  it('Hono patterns: `/api/*` sees /api and below, `*` everything, a parameter is not judged', () => {
    assert.equal(honoPatternSees('/api/*', '/api/healthz'), true);
    assert.equal(honoPatternSees('/api/*', '/api'), true);
    assert.equal(honoPatternSees('/api/*', '/healthz'), false);
    assert.equal(honoPatternSees('/api/*', '/apix'), false);
    assert.equal(honoPatternSees('*', '/healthz'), true);
    assert.equal(honoPatternSees('/:tenant/*', '/healthz'), undefined);
  });

  it('validate --project: an error at target.health and target.metrics, naming the registration and the path to write', async () => {
    const dir = writeProject({ 'server.ts': BASE_PATH, 'slo.yaml': contract(', health: /healthz') }, 'sloctl-hono-paths-');
    const r = await findings(dir);
    assert.equal(r.code, 1);
    const unserved = r.diagnostics.filter((d) => d.code === 'SLO_SDK_PATH_UNSERVED');
    assert.equal(unserved.length, 2);
    const health = unserved.find((d) => d.message.includes('(target.health)'))!;
    const metrics = unserved.find((d) => d.message.includes('(target.metrics)'))!;
    assert.equal(health.severity, 'error');
    assert.equal(health.line, 3);
    assert.equal(health.col, readFileSync(join(dir, 'slo.yaml'), 'utf8').split('\n')[2].indexOf('/healthz') + 1);
    assert.match(health.message, /^the health endpoint \/healthz \(target\.health\) is never answered: sloctl's Hono middleware is registered at `\/api\/\*` \(server\.ts:6:1: app\.use\('\*', middleware\(sdk\)\)\), so it never sees a request for \/healthz, which Hono answers with a 404/);
    assert.match(health.hint!, /^write `health: \/api\/healthz` under target/);
    // Not written in the contract: the default applies, located at `target`.
    assert.deepEqual([metrics.line, metrics.col], [3, 9]);
    assert.match(metrics.message, /^the metrics endpoint \/metrics \(target\.metrics\) is never answered/);
    assert.match(metrics.hint!, /^write `metrics: \/api\/metrics` under target/);
  });

  it('passes with the paths under the basePath, at the root, and when the code serves /healthz itself', async () => {
    const under = writeProject({ 'server.ts': BASE_PATH, 'slo.yaml': contract(', health: /api/healthz, metrics: /api/metrics') }, 'sloctl-hono-paths-');
    assert.deepEqual((await findings(under)).diagnostics.filter((d) => d.code === 'SLO_SDK_PATH_UNSERVED'), []);
    const root = writeProject({ 'server.ts': server(`const app = new Hono();\napp.use('*', middleware(sdk));\napp.get('/api/items', (c) => c.json([]));`), 'slo.yaml': contract('') }, 'sloctl-hono-paths-');
    assert.deepEqual((await findings(root)).diagnostics, []);
    const own = writeProject({
      'server.ts': server(`const app = new Hono();\nconst api = new Hono().basePath('/api');\napi.use('*', middleware(sdk));\napi.get('/items', (c) => c.json([]));\napp.route('/', api);\napp.get('/healthz', async (c) => c.body((await sdk.healthResponse()).body));\napp.get('/metrics', async (c) => c.text((await sdk.metricsResponse()).body));`),
      'slo.yaml': contract(''),
    }, 'sloctl-hono-paths-');
    assert.deepEqual((await findings(own)).diagnostics.filter((d) => d.code === 'SLO_SDK_PATH_UNSERVED'), []);
  });

  it('sloctl init writes the health and metrics paths under the basePath, and the contract passes validate --project', async () => {
    const dir = writeProject({ 'server.ts': BASE_PATH }, 'sloctl-hono-init-');
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^ {2}health: \/api\/healthz +# served by sloctl's SDK, whose Hono middleware runs for \/api\/\* \(server\.ts:6:1\); outside every SLI$/m);
    assert.match(text, /^ {2}metrics: \/api\/metrics$/m);
    const v = await findings(dir);
    assert.deepEqual(v.diagnostics, []);
    assert.equal(v.code, 0);
  });
});
