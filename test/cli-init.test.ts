// `sloctl init`: a first contract from the service's code. Each generated contract must validate
// with nothing to say (the same parser as `sloctl validate`), list exactly the routes the code
// registers (so `validate --project --strict` finds no route to add or remove), and never
// overwrite a contract unless asked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseContract } from '../src/contract/load.ts';
import { normalizeRoutePath, routeServes } from '../src/contract/route-paths.ts';
import { codeTimeout, guessDependencies, planDependencies, type FoundCall, type NamedDependency, type TimedCall } from '../src/contract/scaffold-dependencies.ts';
import { planRouteDependencies } from '../src/contract/scaffold-route-dependencies.ts';
import { contractTemplate, planRoutes, type FoundRoute } from '../src/contract/scaffold-routes.ts';
import { renderScaffold, SCAFFOLD_DEFAULTS } from '../src/contract/scaffold.ts';
import type { Contract } from '../src/contract/schema.ts';
import { compileMix } from '../src/load/mix.ts';
import { templateMatcher } from '../src/sdk/core/match.ts';
import { gateProfile } from '../src/run/profile.ts';
import { scanGoModule } from '../src/scan/go.ts';
import { trailingSlashRule } from '../src/scan/go-trailing-slash.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { ScanResult } from '../src/scan/types.ts';
import { runCli } from './helpers/cli.ts';
import { writeProject } from './helpers/project.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

const project = (files: Record<string, string>): string => writeProject(files, 'sloctl-init-');

function copyFixture(name: string, { withoutContract = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `sloctl-init-${name}-`));
  cpSync(join(root, 'test/fixtures', name), dir, { recursive: true });
  if (withoutContract) rmSync(join(dir, 'slo.yaml'), { force: true });
  return dir;
}

/** The contract in DIR/slo.yaml, which must validate with no finding at all. */
function contractIn(dir: string): Contract {
  const loaded = parseContract(readFileSync(join(dir, 'slo.yaml'), 'utf8'), 'slo.yaml');
  assert.deepEqual(loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`), []);
  assert.ok(loaded.contract);
  return loaded.contract;
}

/**
 * What a user does with the commented dependencies: uncomment `# dependencies:` and the entries
 * below it; or, when `dependencies:` is there (the ones the code names through the SDK), the
 * commented-out entries inside it (`  # - name:` and the `  #   ` lines of the entry).
 */
function uncommentDependencies(text: string): string {
  const lines = text.split('\n');
  let i = lines.indexOf('# dependencies:');
  if (i >= 0) {
    lines[i] = 'dependencies:';
    for (i++; i < lines.length && /^#( {3}- | {5})/.test(lines[i]); i++) lines[i] = lines[i].slice(2);
    return lines.join('\n');
  }
  let entry = false;
  for (let j = lines.indexOf('dependencies:') + 1; j > 0 && j < lines.length && lines[j] !== ''; j++) {
    if (lines[j].startsWith('  # - ')) entry = true;
    else if (!lines[j].startsWith('  #   ')) entry = false;
    if (entry) lines[j] = `  ${lines[j].slice(4)}`;
  }
  return lines.join('\n');
}

/**
 * What a user does with the commented-out load profile: uncomment `# load:` and the lines under it
 * when the whole section is a comment, then every commented-out mix entry (`    # - route:` and
 * the `    #   ` lines of its entry).
 */
function uncommentLoad(text: string): string {
  const lines = text.split('\n');
  let i = lines.indexOf('# load:');
  if (i >= 0) for (; i < lines.length && (lines[i] === '# load:' || lines[i].startsWith('#   ')); i++) lines[i] = lines[i].slice(2);
  const start = lines.indexOf('load:');
  if (start < 0) return lines.join('\n');
  let entry = false;
  for (let j = start + 1; j < lines.length && lines[j] !== ''; j++) {
    if (lines[j].startsWith('    # - ')) entry = true;
    else if (!lines[j].startsWith('    #   ')) entry = false;
    if (entry) lines[j] = `    ${lines[j].slice(6)}`;
  }
  return lines.join('\n');
}

/** The load mix's route names, and each request the gate would build from it (mix compiled, every entry sent once). */
function gateRequests(c: Contract): Array<{ route: string; method: string; path: string }> {
  const profile = gateProfile(c);
  assert.ok(typeof profile !== 'string', String(profile));
  const mix = compileMix(profile.requests);
  const seen = new Map<string, { route: string; method: string; path: string }>();
  for (let i = 0; seen.size < mix.names.length && i < 50 * mix.names.length; i++) {
    const r = mix.at(i);
    seen.set(mix.names[r.route], { route: mix.names[r.route], method: r.method, path: r.path });
  }
  return mix.names.map((n) => seen.get(n)!);
}

const routesOf = (c: Contract) => c.routes.map((r) => `${r.method} ${r.path}`).sort();
/** The registrations as the contract must list them: every one but the probes, in the common form. */
const registered = (scan: ScanResult, probes: string[] = []) =>
  [...new Set(scan.routes.filter((r) => !probes.includes(r.path)).map((r) => `${r.method} ${normalizeRoutePath(r.path)}`))].sort();
const normalized = (c: Contract) => c.routes.map((r) => `${r.method} ${normalizeRoutePath(r.path)}`).sort();

/** `validate --project/--go-module-path DIR --strict` on the contract init wrote: the route findings (none expected). */
async function routeFindings(dir: string, flag: '--project' | '--go-module-path'): Promise<{ findings: string[]; summary: string }> {
  const json = await runCli(['validate', 'slo.yaml', flag, '.', '--strict', '--format', 'json'], dir);
  const report = JSON.parse(json.stdout) as { files: Array<{ diagnostics: Array<{ code: string; message: string }> }>; codeCheck: Array<{ routes: number }> };
  const text = await runCli(['validate', 'slo.yaml', flag, '.', '--strict'], dir);
  return {
    findings: report.files.flatMap((f) => f.diagnostics).filter((d) => d.code.startsWith('SLO_ROUTE')).map((d) => `${d.code}: ${d.message}`),
    summary: text.stdout,
  };
}

describe('sloctl init: a contract from the code', () => {
  it('Express (a router mounted under a prefix): the routes the code registers, the package name, the adapter line', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: '@acme/Greeter', dependencies: { express: '^5.0.0' } }),
      'src/users.js': "const { Router } = require('express');\nconst router = Router();\nrouter.route('/:userId').get((req, res) => res.json({})).put((req, res) => res.sendStatus(204));\nmodule.exports = router;\n",
      'node_modules/sloctl/schema/slo.schema.json': '{}',
      'src/server.js': "const express = require('express');\nconst users = require('./users.js');\nconst app = express();\napp.get('/hello', (_req, res) => res.send('hello'));\napp.get('/healthz', (_req, res) => res.send('ok'));\napp.use('/users', users);\napp.listen(3000);\n",
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    // sloctl is installed beside it: editors complete the file from its schema.
    assert.match(readFileSync(join(dir, 'slo.yaml'), 'utf8'), /^# yaml-language-server: \$schema=\.\/node_modules\/sloctl\/schema\/slo\.schema\.json\n/);
    assert.equal(c.service.name, 'greeter');
    assert.equal(c.service.runtime, 'node');
    assert.equal(c.target?.url, SCAFFOLD_DEFAULTS.url);
    // /healthz is the SDK's own health path (target.health): outside every SLI, not a route.
    assert.deepEqual(routesOf(c), ['GET /hello', 'GET /users/:userId', 'PUT /users/:userId']);
    assert.deepEqual(normalized(c), registered(await scanTypeScriptProject(dir), ['/healthz']));
    assert.deepEqual(c.routes.map((x) => x.name), ['get-hello', 'get-users-by-user-id', 'put-users-by-user-id']);
    assert.match(r.stdout, /^wrote slo\.yaml: service "greeter" \(node; Express\), 3 routes, 0 dependencies, 3 objectives \(latency, errors, availability\); it validates with 0 errors$/m);
    // The code is CommonJS (require, no "type": "module"): the SDK's lines are require calls.
    assert.match(r.stdout, /^ {5}the code is CommonJS \(src\/server\.js, src\/users\.js call require\(\); package\.json has no "type": "module"\)$/m);
    assert.match(r.stdout, /^ {7}const \{ instrument \} = require\('sloctl\/sdk'\);$/m);
    assert.match(r.stdout, /Express: const \{ middleware, errorHandler \} = require\('sloctl\/sdk\/express'\);\s+app\.use\(middleware\(sdk\)\)/);
    assert.doesNotMatch(r.stdout, /import \{/);
    assert.match(r.stdout, /sloctl validate --project \.\s/);
    // The gate can run on it as written: the param-free GET route only; the other two wait, commented out, for values.
    assert.deepEqual(gateRequests(c), [{ route: 'get-hello', method: 'GET', path: '/hello' }]);
    assert.deepEqual([c.load?.rate, c.load?.duration, c.load?.warmup, c.load?.connections, c.load?.timeout], [50, 30_000, 5_000, 16, 5_000]);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^ {4}# - route: get-users-by-user-id +# give userId values the service knows\n {4}# {3}weight: 1\n {4}# {3}path: \/users\/\{userId\}\n {4}# {3}params: \{ userId: "int\(1,1000\)" \}/m);
    assert.match(text, /^ {4}# - route: put-users-by-user-id +# give userId values the service knows; give the JSON body it expects\n(?: {4}# {3}.*\n){2} {4}# {3}params: .*\n {4}# {3}body: \{\}/m);
    const filled = parseContract(uncommentLoad(text), 'slo.yaml');
    assert.deepEqual(filled.diagnostics, []);
    assert.deepEqual(gateRequests(filled.contract!).map((q) => `${q.route} ${q.method} ${q.path.replace(/\d+$/, 'N')}`), ['get-hello GET /hello', 'get-users-by-user-id GET /users/N', 'put-users-by-user-id PUT /users/N']);
    assert.match(r.stdout, /^ {2}4\. start the service \(at http:\/\/127\.0\.0\.1:3000\), then: sloctl gate {3}# sends/m);
    assert.doesNotMatch(r.stdout, /add a `load:` profile/);
    const check = await routeFindings(dir, '--project');
    assert.deepEqual(check.findings, []);
    assert.match(check.summary, /route check \(slo\.yaml\): 3\/3 contract routes found among 4 registered under \.; 0 registered routes not in the contract/);
  });

  it('Fastify (plugins under prefixes): refuses to overwrite the contract there, replaces it with --force; /readyz becomes a probe', async () => {
    const dir = copyFixture('routes-fastify', { withoutContract: false });
    const before = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    const refused = await runCli(['init'], dir);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'sloctl: slo.yaml exists: sloctl init does not overwrite a contract; run with --force to replace it, or --stdout to print the new one\n');
    assert.equal(readFileSync(join(dir, 'slo.yaml'), 'utf8'), before);

    const forced = await runCli(['init', '--force', '--name', 'shop'], dir);
    assert.equal(forced.code, 0, forced.stderr);
    const c = contractIn(dir);
    assert.equal(c.service.name, 'shop');
    assert.deepEqual(c.probes, ['/readyz']);
    assert.deepEqual(routesOf(c), ['GET /api/products', 'GET /api/products/:id', 'POST /api/orders']);
    assert.deepEqual(normalized(c), registered(await scanTypeScriptProject(dir), ['/readyz']));
    assert.match(forced.stdout, /\(node; Fastify\), 3 routes, 1 probe,/);
    assert.match(forced.stdout, /Fastify: import sloctl from 'sloctl\/sdk\/fastify';\s+await app\.register\(sloctl, \{ sdk \}\)/);
    assert.deepEqual((await routeFindings(dir, '--project')).findings, []);
  });

  it('NestJS (controllers under a global prefix with an exclusion): the routes, /readyz a probe, the Express adapter line for Nest', async () => {
    const dir = copyFixture('routes-nest');
    // Before the service is instrumented: init names the SDK's line for Nest.
    const main = join(dir, 'src/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').split('\n').filter((l) => !/sdk/.test(l)).join('\n'));
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.equal(c.service.name, 'cats');
    assert.deepEqual(c.probes, ['/readyz']);
    assert.deepEqual(routesOf(c), ['DELETE /api/cats/:id', 'GET /api/cats', 'GET /api/cats/:id', 'POST /api/cats', 'PUT /api/cats/:id', 'PUT /api/cats/:id/name']);
    assert.deepEqual(normalized(c), registered(await scanTypeScriptProject(dir), ['/readyz']));
    assert.match(readFileSync(join(dir, 'slo.yaml'), 'utf8'), /path: \/api\/cats\/:id, weight: 1 \}\s+# src\/cats\/cats\.controller\.ts:19:3\n/);
    assert.match(r.stdout, /\(node; NestJS\), 6 routes, 1 probe,/);
    assert.match(r.stdout, /NestJS: import \{ middleware \} from 'sloctl\/sdk\/express';\s+app\.use\(middleware\(sdk\)\);\s+\/\/ in main\.ts, right after NestFactory\.create/);
    const check = await routeFindings(dir, '--project');
    assert.deepEqual(check.findings, []);
    assert.match(check.summary, /route check \(slo\.yaml\): 6\/6 contract routes found among 7 registered under \.; 0 registered routes not in the contract/);

    // The same application on @nestjs/platform-fastify: the Fastify plugin's line, not Express's middleware.
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    delete pkg.dependencies['@nestjs/platform-express'];
    pkg.dependencies['@nestjs/platform-fastify'] = '^11.0.0';
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    const onFastify = await runCli(['init', '--force'], dir);
    assert.equal(onFastify.code, 0, onFastify.stderr);
    assert.match(onFastify.stdout, /\(node; NestJS on Fastify\), 6 routes, 1 probe,/);
    assert.match(onFastify.stdout, /NestJS on Fastify: import sloctl from 'sloctl\/sdk\/fastify';\s+await app\.register\(sloctl, \{ sdk \}\);\s+\/\/ in main\.ts, right after NestFactory\.create, before listen/);
    assert.doesNotMatch(onFastify.stdout, /sloctl\/sdk\/express/);
  });

  it('Koa (@koa/router with prefixes, nested)', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'catalog', dependencies: { koa: '^3.0.0', '@koa/router': '^13.0.0' } }),
      'app.ts': "import Koa from 'koa';\nimport Router from '@koa/router';\nconst app = new Koa();\nconst api = new Router({ prefix: '/api' });\nconst items = new Router();\nitems.get('/:id', (ctx) => {});\napi.get('/status', (ctx) => {}).post('/jobs', (ctx) => {});\napi.use('/items', items.routes());\napp.use(api.routes());\n",
    });
    const r = await runCli(['init', '--url', 'http://127.0.0.1:8080'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.equal(c.target?.url, 'http://127.0.0.1:8080');
    assert.deepEqual(routesOf(c), ['GET /api/items/:id', 'GET /api/status', 'POST /api/jobs']);
    assert.deepEqual(normalized(c), registered(await scanTypeScriptProject(dir)));
    assert.match(r.stdout, /Koa: import \{ middleware \} from 'sloctl\/sdk\/koa';\s+app\.use\(middleware\(sdk\)\)/);
    assert.deepEqual((await routeFindings(dir, '--project')).findings, []);
  });

  it('the SDK lines follow the code: require for CommonJS (.cjs; .js calling require without "type": "module"), import for ES modules and TypeScript', async () => {
    const fastifyCjs = "const fastify = require('fastify');\nconst app = fastify();\napp.get('/hello', async () => 'hi');\napp.listen({ port: 3000 });\n";
    const fastifyEsm = "import Fastify from 'fastify';\nconst app = Fastify();\napp.get('/hello', async () => 'hi');\nawait app.listen({ port: 3000 });\n";
    const steps = async (files: Record<string, string>) => {
      const r = await runCli(['init', '--stdout'], project(files));
      assert.equal(r.code, 0, r.stderr);
      return r.stderr;
    };
    const pkg = (extra: Record<string, unknown> = {}) => JSON.stringify({ name: 'svc', dependencies: { fastify: '^5.0.0' }, ...extra });

    // "type": "commonjs" (or none) and require: the require form, and the Fastify line says where its await goes.
    const cjs = await steps({ 'package.json': pkg({ type: 'commonjs', main: 'server.js' }), 'server.js': fastifyCjs });
    assert.match(cjs, /^ {5}the code is CommonJS \(server\.js calls require\(\); package\.json has "type": "commonjs"\)$/m);
    assert.match(cjs, /^ {7}const \{ instrument \} = require\('sloctl\/sdk'\);$/m);
    assert.match(cjs, /^ {7}Fastify: const \{ sloctl \} = require\('sloctl\/sdk\/fastify'\); {2}await app\.register\(sloctl, \{ sdk \}\); {2}\/\/ before the routes, in an async function \(CommonJS has no top-level await/m);
    assert.doesNotMatch(cjs, /import /);
    // A .cjs file is CommonJS whatever package.json says.
    const dotCjs = await steps({ 'package.json': pkg({ type: 'module' }), 'server.cjs': fastifyCjs });
    assert.match(dotCjs, /the code is CommonJS \(server\.cjs is CommonJS\)/);
    assert.match(dotCjs, /require\('sloctl\/sdk'\)/);

    // ES modules: "type": "module", a .mjs file, or .js written with import: the import form.
    for (const files of <Array<Record<string, string>>>[
      { 'package.json': pkg({ type: 'module' }), 'server.js': fastifyEsm },
      { 'package.json': pkg(), 'server.mjs': fastifyEsm },
      { 'package.json': pkg(), 'server.js': fastifyEsm },
      // TypeScript is written with import, whatever it compiles to; here with a require beside it.
      { 'package.json': pkg(), 'tsconfig.json': '{}', 'src/server.ts': `${fastifyEsm}const extra = require('./extra');\n` },
    ]) {
      const esm = await steps(files);
      assert.match(esm, /^ {7}import \{ instrument \} from 'sloctl\/sdk';$/m, Object.keys(files).join(' '));
      assert.match(esm, /Fastify: import sloctl from 'sloctl\/sdk\/fastify'; {2}await app\.register/);
      assert.doesNotMatch(esm, /require\('sloctl|CommonJS/);
    }
  });

  it('Go net/http (1.22 patterns), through the built command line: runtime go, the module name, the Go middleware', async () => {
    const dir = copyFixture('routes-go');
    const r = spawnSync(process.execPath, [join(root, 'bin/sloctl.js'), 'init', dir], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const c = contractIn(dir);
    assert.equal(c.service.name, 'items');
    assert.equal(c.service.runtime, 'go');
    assert.deepEqual(routesOf(c), ['GET /items', 'GET /items/:id', 'POST /items']);
    assert.deepEqual(normalized(c), registered(await scanGoModule(dir)));
    assert.match(r.stdout, /\(go; net\/http\), 3 routes/);
    assert.match(r.stdout, /net\/http: http\.ListenAndServe\(addr, sdk\.Middleware\(mux\)\)/);
    assert.match(r.stdout, /--go-module-path /);
    assert.deepEqual((await routeFindings(dir, '--go-module-path')).findings, []);
  });

  it("Go with sloctl's Go middleware already in the code: next steps say so (and to write the JSON it loads) instead of how to add it", async () => {
    const dir = project({
      'go.mod': 'module example.com/orders\n\ngo 1.22\n\nrequire github.com/sloctl/sloctl-go v0.1.0\n',
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/sloctl/sloctl-go/sloctl"\n)\n\nfunc main() {\n\tcontract, _ := sloctl.LoadFile("slo.json")\n\tsdk, _ := sloctl.New(contract, sloctl.Options{})\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(":8080", sdk.Middleware(mux))\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}2\. the code already instruments itself with sloctl's Go middleware \(main\.go:11:12\): it serves what the contract reads\n {5}once it loads this contract, as JSON: sloctl generate contract slo\.yaml -o slo\.json$/m);
    assert.doesNotMatch(r.stdout, /instrument the service with sloctl's Go middleware/);
    assert.deepEqual(gateRequests(contractIn(dir)), [{ route: 'get-orders', method: 'GET', path: '/orders' }]);
    // validate counts the middleware's series as registered: no "not registered" for what the contract reads.
    const v = await runCli(['validate', '--go-module-path', '.'], dir);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /code check: 7 metrics registered in 1 file under \., plus \d+ runtime defaults/);
  });

  it('Go instrumented the promhttp way (chi, r.Method, a histogram and a counter labelled handler/code/method): the contract maps their names, and validate --go-module-path . passes', async () => {
    // A user trial: init found no route (chi's r.Method), then wrote no `metrics:`, so the next step
    // it printed (`validate --go-module-path .`) failed on http_server_request_duration_seconds.
    const dir = project({
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi"\n\t"github.com/prometheus/client_golang/prometheus"\n\t"github.com/prometheus/client_golang/prometheus/promhttp"\n)\n\nvar (\n\tduration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Buckets: []float64{0.05, 0.1, 0.25}}, []string{"handler", "code", "method"})\n\trequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total"}, []string{"handler", "code", "method"})\n)\n\nfunc route(t string, h http.HandlerFunc) http.Handler {\n\tl := prometheus.Labels{"handler": t}\n\treturn promhttp.InstrumentHandlerDuration(duration.MustCurryWith(l), promhttp.InstrumentHandlerCounter(requests.MustCurryWith(l), h))\n}\n\nfunc main() {\n\tprometheus.MustRegister(duration, requests)\n\tr := chi.NewRouter()\n\tr.Method("GET", "/products", route("/products", nil))\n\tr.Get("/healthz", nil)\n\tr.Handle("/metrics", promhttp.Handler())\n\thttp.ListenAndServe("127.0.0.1:8080", r)\n}\n',
      'package.json': JSON.stringify({ name: 'chitrial', version: '1.0.0', devDependencies: { sloctl: '^0.1.0' } }),
    });
    const init = await runCli(['init'], dir);
    assert.equal(init.code, 0, init.stderr);
    const c = contractIn(dir);
    assert.deepEqual(routesOf(c), ['GET /products']);
    assert.deepEqual(c.metrics, { requestDuration: 'http_request_duration_seconds', requests: 'http_requests_total', labels: { route: 'handler', method: 'method', status: 'code' } });
    assert.match(init.stdout, /^ {2}2\. the code instruments itself with client_golang \(promhttp\) \(main\.go:12:71\): the contract maps its names under `metrics:`$/m);
    assert.match(init.stdout, /\/healthz is the contract's health or metrics path/);
    const v = await runCli(['validate', '--go-module-path', '.'], dir);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.doesNotMatch(init.stdout, /no bucket at/);

    // Buckets without the 100ms threshold: the next step (validate --go-module-path) would fail on
    // SLO_BUCKET_MISSING, so init says so, in the contract and in step 2.
    const main = readFileSync(join(dir, 'main.go'), 'utf8');
    writeFileSync(join(dir, 'main.go'), main.replace('Buckets: []float64{0.05, 0.1, 0.25}', 'Buckets: []float64{0.05, 0.25}'));
    const again = await runCli(['init', '--force'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^ {5}its histogram has no bucket at 0\.1 s, the 100ms threshold \(buckets at main\.go:12:\d+: 0\.05, 0\.25\): add 0\.1, or set the threshold to one of them$/m);
    assert.match(readFileSync(join(dir, 'slo.yaml'), 'utf8'), /# It has none at 0\.1 s \(the 100ms threshold below\): its buckets at main\.go:12:\d+ are\n# 0\.05, 0\.25\. Add 0\.1 to them, or set the threshold to one of them\./);
    const missing = await runCli(['validate', '--go-module-path', '.'], dir);
    assert.match(missing.stderr + missing.stdout, /SLO_BUCKET_MISSING/);
  });

  it('Go ServeMux subtree and catch-all: "/products/" is the route /products/* that both SDK matchers take for every path under it, held out of the mix with a note; "/" is / with a note', async () => {
    const dir = project({
      'go.mod': 'module example.com/shop\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /products/", product)\n\tmux.HandleFunc("GET /orders", orders)\n\tmux.HandleFunc("/", index)\n\thttp.ListenAndServe(":8080", mux)\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.deepEqual(c.routes.map((route) => `${route.name} ${route.method} ${route.path}`), ['get-root GET /', 'get-orders GET /orders', 'get-products-any GET /products/*']);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /path: \/products\/\*, weight: 1 \} +# main\.go:7:2: the Go ServeMux subtree \/products\/: every path under it$/m);
    assert.match(text, /path: \/, weight: 1 \} +# main\.go:9:2: registered for any method: GET written, add a route for each other method it serves; Go ServeMux's catch-all: it counts requests for \/ alone, so add a route for each other path its handler serves$/m);
    // What the SDKs label a request under the subtree with: the route init wrote, not `unmatched`.
    const node = templateMatcher(c.routes.map((route) => route.path));
    for (const path of ['/products/', '/products/42', '/products/42/x']) assert.equal(node(path), '/products/*', path);
    // The gate sends the plain routes; the subtree waits for the path clients call.
    assert.deepEqual(gateRequests(c).map((q) => q.path), ['/', '/orders']);
    assert.match(text, /^ {4}# - route: get-products-any +# write the path clients call \(the code registers the Go ServeMux subtree \/products\/: every path under it\); give rest values the service knows\n {4}# {3}weight: 1\n {4}# {3}path: \/products\/\{rest\}\n/m);
    const filled = parseContract(uncommentLoad(text), 'slo.yaml');
    assert.deepEqual(filled.diagnostics, []);
    assert.match(gateRequests(filled.contract!).find((q) => q.route === 'get-products-any')!.path, /^\/products\/\d+$/);
    assert.deepEqual((await routeFindings(dir, '--go-module-path')).findings, []);
  });

  it('Go: a trailing / gin keeps is written (/products/, the gate sends it), a router under http.StripPrefix gets the prefix, ServeMux {$} keeps its /', async () => {
    const dir = project({
      'go.mod': 'module example.com/shop\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/gin-gonic/gin"\n)\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/products/", list)\n\tv1 := r.Group("/v1")\n\tv1.GET("/", index)\n\tinner := http.NewServeMux()\n\tinner.HandleFunc("GET /cart/{$}", cart)\n\tsm := http.NewServeMux()\n\tsm.Handle("/shop/", http.StripPrefix("/shop", inner))\n\tsm.Handle("/", r)\n\thttp.ListenAndServe(":8080", sm)\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.deepEqual(c.routes.map((route) => `${route.method} ${route.path}`), ['GET /products/', 'GET /shop/cart/', 'GET /v1/']);
    assert.deepEqual(gateRequests(c).map((q) => q.path).sort(), ['/products/', '/shop/cart/', '/v1/']);
    assert.deepEqual((await routeFindings(dir, '--go-module-path')).findings, []);
  });

  it('Go: a gin route ending in a wildcard is a subtree with a note naming gin, held out of the mix; the written contract validates', async () => {
    const dir = project({
      'go.mod': 'module example.com/files\n\ngo 1.19\n',
      'main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/orders", orders)\n\tr.GET("/files/*rest", file)\n\tr.Run(":8080")\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.deepEqual(c.routes.map((route) => `${route.method} ${route.path}`), ['GET /files/*rest', 'GET /orders']);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /path: \/files\/\*rest, weight: 1 \} +# main\.go:8:2: the gin subtree \/files\/: every path under it$/m);
    assert.deepEqual(gateRequests(c).map((q) => q.path), ['/orders']);
    assert.deepEqual((await routeFindings(dir, '--go-module-path')).findings, []);
  });

  it('--stdout prints the contract and writes nothing, even with a contract there; what it did goes to stderr', async () => {
    const dir = copyFixture('routes-fastify', { withoutContract: false });
    const before = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    const r = await runCli(['init', '--stdout'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'slo.yaml'), 'utf8'), before);
    const printed = parseContract(r.stdout, 'stdout.yaml');
    assert.deepEqual(printed.diagnostics, []);
    assert.equal(printed.contract?.routes.length, 3);
    assert.match(r.stderr, /^printed the contract for slo\.yaml \(nothing written\): /m);
    assert.doesNotMatch(r.stdout, /^next:/m);

    // A service that calls sloctl's SDK already is not told to instrument itself.
    const minimal = await runCli(['init', 'examples/express-minimal', '--stdout'], root);
    assert.equal(minimal.code, 0, minimal.stderr);
    assert.match(minimal.stderr, /2\. the code already instruments itself with sloctl's SDK \(examples\/express-minimal\/server\.ts:9:13\)/);
    assert.doesNotMatch(minimal.stderr, /import \{ instrument \}/);
  });

  it('no route registrations: a valid contract with an example route in a comment, and stderr says what sloctl reads', async () => {
    const dir = project({ 'package.json': JSON.stringify({ name: 'quiet' }), 'index.js': "require('node:http').createServer((req, res) => res.end('hi')).listen(3000);\n" });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^sloctl init: no route registrations were found under \. \(sloctl reads Fastify, Express, Koa with @koa\/router, Hono and NestJS controllers; node:http routes are not read\)/m);
    // The node:http server is named where it starts, and the next steps give its SDK line (CommonJS: require).
    assert.match(r.stderr, /; index\.js:1:22 starts a node:http server, whose routing is its handler's own code:/);
    assert.match(r.stdout, /service "quiet" \(node; node:http\)/);
    assert.match(r.stdout, /^ {7}node:http: const \{ wrap \} = require\('sloctl\/sdk\/http'\); {2}http\.createServer\(wrap\(handler, sdk\)\);/m);
    assert.doesNotMatch(r.stdout, /the one line for your framework/);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.deepEqual(contractIn(dir).routes, []);
    // The example, uncommented in place of `routes: []`, is a valid route too.
    const example = /^#(   - \{ name: get-item.*)$/m.exec(text);
    assert.ok(example, text);
    const uncommented = parseContract(text.replace('routes: []', `routes:\n${example[1]}`), 'slo.yaml');
    assert.deepEqual(uncommented.diagnostics, []);
    assert.equal(uncommented.contract?.routes[0].path, '/items/:id');
    assert.match(r.stdout, /0 routes, 0 dependencies/);
    // No load profile either (the mix must name routes): a comment that sends the example route, uncommented.
    assert.equal(contractIn(dir).load, undefined);
    const both = parseContract(uncommentLoad(text.replace('routes: []', `routes:\n${example[1]}`)), 'slo.yaml');
    assert.deepEqual(both.diagnostics, []);
    assert.deepEqual(gateRequests(both.contract!).map((q) => q.route), ['get-item']);
    assert.match(r.stdout, /^ {2}4\. list the routes, then a mix entry for each in the commented-out `load:` profile, uncomment it, and run `sloctl gate`/m);
  });

  it('a node:http server is recognised only where node:http is loaded: an ES module\'s named import, not node:net\'s createServer', async () => {
    const esm = project({ 'package.json': JSON.stringify({ name: 'plain', type: 'module' }), 'src/server.mjs': "// the service\nimport { createServer } from 'node:http';\nconst server = createServer(handle);\nserver.listen(3000);\n" });
    const r = await runCli(['init'], esm);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /; src\/server\.mjs:3:16 starts a node:http server/);
    assert.match(r.stdout, /^ {7}node:http: import \{ wrap \} from 'sloctl\/sdk\/http';/m);

    const tcp = project({ 'package.json': JSON.stringify({ name: 'tcp' }), 'index.js': "const net = require('node:net');\nnet.createServer((s) => s.end()).listen(3000);\n" });
    const t = await runCli(['init'], tcp);
    assert.equal(t.code, 0, t.stderr);
    assert.doesNotMatch(t.stderr, /node:http server/);
    assert.match(t.stdout, /then the one line for your framework/);
  });

  it('outbound calls without a timeout: commented dependencies named from the env variable, which validate once uncommented', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'orders', dependencies: { fastify: '^5.0.0' } }),
      'server.mjs': "import Fastify from 'fastify';\nconst PAYMENTS = process.env.PAYMENTS_URL ?? 'http://127.0.0.1:8081';\nconst app = Fastify();\napp.post('/orders', async () => { await fetch(`${PAYMENTS}/charges`); return { ok: true }; });\napp.get('/stock/:sku', async (req) => fetch(`${process.env.INVENTORY_ADDR}/stock`));\nexport default app;\n",
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(contractIn(dir).dependencies, []);
    assert.match(r.stdout, /2 outbound HTTP calls without a timeout are in a comment, as 2 dependencies to declare/);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    const uncommented = uncommentDependencies(text);
    const loaded = parseContract(uncommented, 'slo.yaml');
    assert.deepEqual(loaded.diagnostics, [], uncommented);
    assert.deepEqual(loaded.contract?.dependencies.map((d) => [d.name, d.env, d.url, d.timeout]), [
      ['payments', undefined, 'http://127.0.0.1:8081', 50],
      ['inventory', 'INVENTORY_ADDR', undefined, 50],
    ]);
  });

  it('outbound calls with a timeout: commented dependencies with the timeout read from the code; one whose target names nothing is listed at its file:line:col', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'shop', dependencies: { express: '^5.0.0', axios: '^1.0.0' } }),
      'server.js': [
        "const express = require('express');",
        "const axios = require('axios');",
        'const app = express();',
        "app.get('/items', async (req, res) => {",
        '  const r = await fetch(`${process.env.INVENTORY_URL}/items`, { signal: AbortSignal.timeout(100) });',
        "  await axios.post('https://api.stripe.com/v1/charges', {}, { timeout: 40 });",
        '  await fetch(url, { signal: AbortSignal.timeout(TIMEOUT) });',
        '  res.json(await r.json());',
        '});',
        'app.listen(3000);',
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    // Nothing is declared (the service does not use the SDK), so the contract is as before; the calls are a comment.
    assert.deepEqual(contractIn(dir).dependencies, []);
    assert.match(r.stdout, /1 route, 0 dependencies,/);
    assert.match(r.stdout, /^ {2}3 outbound HTTP calls with a timeout are in a comment, as 2 dependencies to declare with the timeout the code uses \(inventory 100ms; stripe 40ms\); 1 to a target sloctl cannot tell, listed with file:line:col to declare by hand$/m);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    // 100ms is the latency threshold init writes: a call that waits it out misses it, and the comment says so.
    assert.match(text, /^# {5}timeout: 100ms +# the one its calls use, read from the code, not below the 100ms latency threshold/m);
    assert.match(text, /^# {5}# fetch\(`\$\{process\.env\.INVENTORY_URL\}\/items`.* at server\.js:5:19 \(signal: AbortSignal\.timeout\(100\)\)$/m);
    assert.match(text, /^# {3}fetch\(url, \{ signal: AbortSignal\.timeout\(TIMEOUT\) \}\) at server\.js:7:9 \(signal: AbortSignal\.timeout\(TIMEOUT\)\)$/m);
    const uncommented = uncommentDependencies(text);
    const loaded = parseContract(uncommented, 'slo.yaml');
    assert.deepEqual(loaded.diagnostics, [], uncommented);
    assert.deepEqual(loaded.contract?.dependencies.map((d) => [d.name, d.env, d.url, d.timeout]), [
      ['inventory', undefined, undefined, 100],
      ['stripe', undefined, 'https://api.stripe.com', 40],
    ]);
  });

  it('Go: http.Client literals with a Timeout are commented dependencies named from their variable, with the timeout read from the code', async () => {
    const dir = project({
      'go.mod': 'module example.com/shop\n\ngo 1.19\n',
      'main.go': [
        'package main', '',
        'import (', '\t"net/http"', '\t"os"', '\t"time"', ')', '',
        'var payments = &http.Client{Timeout: 150 * time.Millisecond}',
        'var inventoryClient = http.Client{Timeout: time.Second * 2}',
        'var c = &http.Client{Timeout: timeout}', '',
        'func main() {',
        '\thttp.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {',
        '\t\tpayments.Get(os.Getenv("PAYMENTS_URL") + "/charge")',
        '\t\tinventoryClient.Get(os.Getenv("INVENTORY_URL") + "/items")',
        '\t})',
        '\thttp.ListenAndServe("127.0.0.1:8080", nil)',
        '}', '',
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}3 outbound HTTP calls with a timeout are in a comment, as 2 dependencies to declare with the timeout the code uses \(payments 150ms; inventory 2s\); 1 to a target sloctl cannot tell, listed with file:line:col to declare by hand$/m);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^# {3}&http\.Client\{Timeout: timeout\} at main\.go:11:9 \(Timeout: timeout\)$/m);
    const loaded = parseContract(uncommentDependencies(text), 'slo.yaml');
    assert.deepEqual(loaded.diagnostics, [], uncommentDependencies(text));
    assert.deepEqual(loaded.contract?.dependencies.map((d) => [d.name, d.timeout]), [['payments', 150], ['inventory', 2000]]);
  });

  // Last session's Go trial: `client := &http.Client{Timeout: ...}` then `client.Get(os.Getenv("X_URL"))`
  // was listed as a call whose target "cannot be told": `client` names nothing, X_URL does.
  it('Go: a client named `client` whose calls all go to os.Getenv("X_URL") names dependency x; calls to two variables stay unnamed', async () => {
    const dir = project({
      'go.mod': 'module example.com/shop\n\ngo 1.19\n',
      'main.go': [
        'package main', '',
        'import (', '\t"net/http"', '\t"os"', '\t"time"', ')', '',
        'func main() {',
        '\tclient := &http.Client{Timeout: 250 * time.Millisecond}',
        '\tbase := os.Getenv("LEDGER_API_URL")',
        '\tplain := &http.Client{}',
        '\tc := &http.Client{Timeout: time.Second}',
        '\thttp.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {',
        '\t\tclient.Get(os.Getenv("INVENTORY_URL") + "/items")',
        '\t\treq, _ := http.NewRequest("POST", os.Getenv("INVENTORY_URL")+"/reserve", nil)',
        '\t\tclient.Do(req)',
        '\t\tplain.Post(base+"/entries", "application/json", nil)',
        '\t\tc.Get(os.Getenv("A_URL"))',
        '\t\tc.Get(os.Getenv("B_URL"))',
        '\t})',
        '\thttp.ListenAndServe("127.0.0.1:8080", nil)',
        '}', '',
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}2 outbound HTTP calls with a timeout are in a comment, as 1 dependency to declare with the timeout the code uses \(inventory 250ms\); 1 to a target sloctl cannot tell, listed with file:line:col to declare by hand$/m);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^# {3}&http\.Client\{Timeout: time\.Second\} at main\.go:13:7 \(Timeout: time\.Second\)$/m, text);
    const loaded = parseContract(uncommentDependencies(text), 'slo.yaml');
    assert.deepEqual(loaded.diagnostics, [], uncommentDependencies(text));
    // `plain` (no timeout) goes to LEDGER_API_URL through `base`: the ledger dependency, with its variable.
    assert.deepEqual(loaded.contract?.dependencies.map((d) => [d.name, d.env, d.timeout]), [['ledger', 'LEDGER_API_URL', 50], ['inventory', undefined, 250]]);
  });

  it("a dependency the code names through the SDK takes the timeout its calls use, read from the code; a call to it without one keeps the default", async () => {
    const sdkCode = (inventoryCall: string) => [
      "import Fastify from 'fastify';",
      "import { instrument } from 'sloctl/sdk';",
      "const sdk = instrument({ contract: 'slo.yaml' });",
      "sdk.dependency('inventory');",
      'const app = Fastify();',
      `app.get('/items', async () => ${inventoryCall});`,
      'export default app;',
    ].join('\n');
    const pkg = JSON.stringify({ name: 'shop', type: 'module', dependencies: { fastify: '^5.0.0' } });
    const timed = project({ 'package.json': pkg, 'server.js': sdkCode('fetch(`${process.env.INVENTORY_URL}/items`, { signal: AbortSignal.timeout(40) })') });
    const r = await runCli(['init'], timed);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(contractIn(timed).dependencies.map((d) => [d.name, d.timeout]), [['inventory', 40]]);
    assert.match(readFileSync(join(timed, 'slo.yaml'), 'utf8'), /^ {4}timeout: 40ms +# the one its calls use, read from the code\n/m);
    assert.match(r.stdout, /is declared \(inventory; the SDK refuses an undeclared one at start\) with the timeout its calls use, read from the code \(inventory 40ms\)$/m);
    assert.doesNotMatch(r.stdout, /timeout is a default/);

    const untimed = project({ 'package.json': pkg, 'server.js': sdkCode('fetch(`${process.env.INVENTORY_URL}/items`)') });
    const u = await runCli(['init'], untimed);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(contractIn(untimed).dependencies.map((d) => [d.name, d.timeout]), [['inventory', 50]]);
    assert.match(u.stdout, /with a default timeout of 50ms: set each to the client timeout the code uses/);
    assert.match(u.stdout, /each dependency's timeout is a default \(50ms\)/);
  });

  it('the timeout read from a call: literal bounds only, and one value for all the calls', () => {
    const call = (timeout: string): TimedCall => ({ file: 'a.js', line: 1, col: 1, call: 'fetch(u)', via: 'fetch', target: 'u', timeout });
    const read = (...bounds: string[]) => codeTimeout(bounds.map(call));
    assert.equal(read('signal: AbortSignal.timeout(100)'), 100);
    assert.equal(read('signal: AbortSignal.timeout(1_500)'), 1500);
    assert.equal(read('signal: AbortSignal.any([AbortSignal.timeout(30), req.signal])'), 30);
    assert.equal(read('timeout: 2000'), 2000);
    assert.equal(read('timeout: { request: 250 }'), 250);
    assert.equal(read('headersTimeout: 100'), 100);
    assert.equal(read('timeout: 100', 'signal: AbortSignal.timeout(100)'), 100);
    // What sloctl cannot read as one number is not a timeout it writes.
    for (const bounds of [['signal: controller.signal'], ['signal: AbortSignal.timeout(TIMEOUT)'], ['timeout: TIMEOUT_MS'], ['timeout: 100', 'timeout: 200'], ['timeout: 100', 'signal: ac.signal'], []]) {
      assert.equal(read(...bounds), undefined, bounds.join(', '));
    }
  });

  it("Node: the dependencies the code names through sloctl's SDK are declared (the service starts under the contract), merged with the guess from a call without a timeout", async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'orders', dependencies: { fastify: '^5.0.0' } }),
      'server.ts': [
        "import Fastify from 'fastify';",
        "import { instrument } from 'sloctl/sdk';",
        "import sloctl from 'sloctl/sdk/fastify';",
        "const sdk = instrument('slo.yaml');",
        "const PAYMENTS = process.env.PAYMENTS_API ?? 'http://127.0.0.1:8081';",
        "sdk.dependency('payments').breaker(paymentsBreaker);",
        "const rec = sdk.dependency('recommendations');",
        'const app = Fastify();',
        'await app.register(sloctl, { sdk });',
        "app.post('/orders', async () => { await fetch(`${PAYMENTS}/charges`); return { ok: true }; });",
        "app.get('/related', async () => (rec.useFallback ? [] : fetch(`${process.env.SEARCH_URL}/q`)));",
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    // Declared, uncommented: payments with the env variable and address of its call; recommendations non-critical (the code has a fallback).
    assert.deepEqual(contractIn(dir).dependencies.map((d) => [d.name, d.env, d.url, d.timeout, d.critical]), [
      ['payments', 'PAYMENTS_API', 'http://127.0.0.1:8081', 50, true],
      ['recommendations', undefined, undefined, 50, false],
    ]);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^ {4}timeout: 50ms +# a default \(not read from the code\): set the client timeout the code uses$/m);
    assert.match(text, /^ {4}critical: false +# the code reads its useFallback \(server\.ts:11:34\), which the SDK turns on only for a non-critical dependency$/m);
    assert.match(text, /^ {4}# named at server\.ts:6:16: sdk\.dependency\('payments'\)$/m);
    assert.match(text, /^ {4}# calls to it without a timeout: give them the timeout above\n {4}# {3}fetch\(`\$\{PAYMENTS\}\/charges`\) at server\.ts:10:41$/m);
    // The call to search is still a proposal, inside the list; uncommented it validates too.
    const uncommented = parseContract(uncommentDependencies(text), 'slo.yaml');
    assert.deepEqual(uncommented.diagnostics, [], uncommentDependencies(text));
    assert.deepEqual(uncommented.contract?.dependencies.map((d) => d.name), ['payments', 'recommendations', 'search']);
    assert.match(r.stdout, /^ {2}2 dependencies the code names through sloctl's SDK are declared \(payments, recommendations; the SDK refuses an undeclared one at start\) with a default timeout of 50ms: set each to the client timeout the code uses for it; 1 outbound HTTP call to them without a timeout is listed under them: give it that timeout$/m);
    assert.match(r.stdout, /^ {2}1 outbound HTTP call without a timeout is in a comment, as 1 dependency to declare/m);
    assert.match(r.stdout, /^ {5}each dependency's timeout is a default \(50ms\): set it to the client timeout the code uses$/m);
    // validate --project finds every name the code uses declared.
    const v = await runCli(['validate', '--project', '.'], dir);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /dependency names \(slo\.yaml\): its code under \. names 2 dependencies through sloctl's SDK \(payments, recommendations\), all declared/);
  });

  it('Go: MustDependency / Dependency names are declared; a name no contract can hold is said, not written', async () => {
    const dir = project({
      'go.mod': 'module example.com/orders\n\ngo 1.22\n\nrequire github.com/sloctl/sloctl-go v0.1.0\n',
      'main.go': 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/sloctl/sloctl-go/sloctl"\n)\n\nfunc main() {\n\tcontract, _ := sloctl.LoadFile("slo.json")\n\tsdk, _ := sloctl.New(contract, sloctl.Options{})\n\tsdk.MustDependency("inventory").Check(nil, 0)\n\twire(sdk)\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(":8080", sdk.Middleware(mux))\n}\n',
      'wire.go': 'package main\n\nimport "github.com/sloctl/sloctl-go/sloctl"\n\nfunc wire(s *sloctl.SDK) {\n\ts.MustDependency("payments")\n\ts.MustDependency("Payments API")\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(contractIn(dir).dependencies.map((d) => [d.name, d.timeout, d.critical]), [['inventory', 50, true], ['payments', 50, true]]);
    assert.match(readFileSync(join(dir, 'slo.yaml'), 'utf8'), /^# {3}"Payments API": s\.MustDependency\("Payments API"\) at wire\.go:7:19$/m);
    assert.match(r.stdout, /^ {2}wire\.go:7:19: the code names dependency "Payments API" through sloctl's SDK, which no contract can declare/m);
    const v = await runCli(['validate', '--go-module-path', '.'], dir);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stderr, /^wire\.go:7:19: error SLO_DEPENDENCY_UNDECLARED: .*\n {2}hint: no contract can declare it: .*rename it in the code, e\.g\. "payments-api"/m);
    assert.doesNotMatch(v.stderr, /"(inventory|payments)"/);
  });

  it("routes' dependencies (Express): an inline handler and a named function of the file list what they call; an imported handler and a call in a helper are not followed", async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'orders', type: 'module', dependencies: { express: '^5.0.0' } }),
      'server.js': [
        "import express from 'express';",
        "import { instrument } from 'sloctl/sdk';",
        "import { refund } from './refunds.js';",
        "const sdk = instrument({ contract: 'slo.yaml' });",
        "sdk.dependency('payments');",
        "sdk.dependency('inventory');",
        "sdk.dependency('ledger');",
        'const PAYMENTS = process.env.PAYMENTS_URL;',
        'const app = express();',
        "app.post('/checkout', async (req, res) => {",
        '  await fetch(`${PAYMENTS}/charge`, { signal: AbortSignal.timeout(40) });',
        '  res.json(await stock());',
        '});',
        'async function stock() { return fetch(`${process.env.INVENTORY_URL}/stock`, { signal: AbortSignal.timeout(30) }); }',
        'async function quote(req, res) { res.json(await fetch(`${PAYMENTS}/quote`, { signal: AbortSignal.timeout(40) })); }',
        "app.get('/quote', quote);",
        "app.get('/stock', async (req, res) => res.json(await fetch(`${process.env.INVENTORY_URL}/stock`, { signal: AbortSignal.timeout(30) })));",
        "app.post('/refunds', refund);",
        'app.listen(3000);',
      ].join('\n'),
      'refunds.js': 'export async function refund(req, res) { await fetch(`${process.env.LEDGER_URL}/refunds`, { signal: AbortSignal.timeout(20) }); res.sendStatus(204); }\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    // inventory: /stock calls it inline, but so does the helper /checkout calls, which is not followed: no route lists it
    // (listed on /stock alone, /checkout would be judged as not calling it). ledger: called only in an imported handler.
    assert.deepEqual(c.routes.map((x) => [x.name, x.dependencies]), [
      ['post-checkout', ['payments']],
      ['get-quote', ['payments']],
      ['post-refunds', []],
      ['get-stock', []],
    ]);
    assert.match(readFileSync(join(dir, 'slo.yaml'), 'utf8'), /^ {2}- \{ name: post-checkout, method: POST, path: \/checkout, weight: 1, dependencies: \[payments\] \} +# server\.js:10:1$/m);
    assert.match(r.stdout, /^ {2}2 of 4 routes list the declared dependencies their handler calls, read from the 3 handlers sloctl followed \(their own code, not the functions they call\); the handler of the other 1 route was not followed \(imported, .*\): give it `dependencies:` by hand; inventory is in no list: it is also called outside the handlers sloctl read \(server\.js:14:33\)$/m);

    // Only the imported handler left: no route's handler was followed, and the note says so.
    const server = join(dir, 'server.js');
    writeFileSync(server, [...readFileSync(server, 'utf8').split('\n').slice(0, 9), "app.post('/refunds', refund);", 'app.listen(3000);'].join('\n'));
    const only = await runCli(['init', '--force'], dir);
    assert.equal(only.code, 0, only.stderr);
    assert.deepEqual(contractIn(dir).routes.map((x) => [x.name, x.dependencies]), [['post-refunds', []]]);
    assert.match(only.stdout, /^ {2}no route lists the declared dependencies its handler calls: sloctl did not follow the route's handler \(imported, .*\): give it `dependencies:` by hand$/m);
  });

  it("routes' dependencies (Fastify): the { handler } option, app.route's handler and a const arrow function; a dependency whose timeout is not below the threshold is in no list (the contract validates)", async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'catalog', type: 'module', dependencies: { fastify: '^5.0.0' } }),
      'server.js': [
        "import Fastify from 'fastify';",
        "import { instrument } from 'sloctl/sdk';",
        "const sdk = instrument({ contract: 'slo.yaml' });",
        "const rec = sdk.dependency('recommendations');",
        "sdk.dependency('search');",
        'const app = Fastify();',
        'const related = async () => (rec.useFallback ? [] : [1]);',
        "app.get('/related', related);",
        "app.get('/tags', { handler: async () => (sdk.dependency('recommendations').useFallback ? [] : [2]) });",
        "app.route({ method: 'POST', url: '/items', handler: async () => fetch(`${process.env.SEARCH_URL}/index`, { signal: AbortSignal.timeout(250) }) });",
        "app.get('/plain', async () => 'ok');",
        'export default app;',
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.deepEqual(c.routes.map((x) => [x.name, x.dependencies]), [
      ['post-items', []],
      ['get-plain', []],
      ['get-related', ['recommendations']],
      ['get-tags', ['recommendations']],
    ]);
    assert.deepEqual(c.dependencies.map((d) => [d.name, d.timeout]), [['recommendations', 50], ['search', 250]]);
    assert.match(r.stdout, /^ {2}2 of 4 routes list the declared dependencies their handler calls, read from the 4 handlers sloctl followed \(their own code, not the functions they call\); search is in no list: its 250ms timeout is not below the 100ms latency threshold$/m);
  });

  it("routes' dependencies (Go net/http): a func literal, a package function (also through http.HandlerFunc, in another file) and a package-level client's calls; a method value, a function the package calls elsewhere and a helper are not followed", async () => {
    const dir = project({
      'go.mod': 'module example.com/shop\n\ngo 1.22\n\nrequire github.com/sloctl/sloctl-go v0.1.0\n',
      'main.go': [
        'package main', '',
        'import (', '\t"net/http"', '\t"os"', '\t"time"', '', '\t"github.com/sloctl/sloctl-go/sloctl"', ')', '',
        'var payments = &http.Client{Timeout: 40 * time.Millisecond}',
        'var audit = &http.Client{Timeout: 20 * time.Millisecond}', '',
        'type handlers struct{}', '',
        'func (h handlers) Orders(w http.ResponseWriter, r *http.Request) { payments.Get(os.Getenv("PAYMENTS_URL") + "/orders") }', '',
        'func handleCheckout(w http.ResponseWriter, r *http.Request) {',
        '\tpayments.Get(os.Getenv("PAYMENTS_URL") + "/charge")',
        '}', '',
        'func logAudit() { audit.Get(os.Getenv("AUDIT_URL") + "/log") }', '',
        'func shared(w http.ResponseWriter, r *http.Request) { audit.Get(os.Getenv("AUDIT_URL") + "/x") }', '',
        'func main() {',
        '\tcontract, _ := sloctl.LoadFile("slo.json")',
        '\tsdk, _ := sloctl.New(contract, sloctl.Options{})',
        '\tsdk.MustDependency("payments")',
        '\tsdk.MustDependency("inventory")',
        '\tsdk.MustDependency("audit")',
        '\th := handlers{}',
        '\tmux := http.NewServeMux()',
        '\tmux.HandleFunc("POST /checkout", handleCheckout)',
        '\tmux.HandleFunc("GET /stock", func(w http.ResponseWriter, r *http.Request) {',
        '\t\thttp.Get(os.Getenv("INVENTORY_URL") + "/stock")',
        '\t})',
        '\tmux.Handle("POST /refunds", http.HandlerFunc(refund))',
        '\tmux.HandleFunc("GET /orders", h.Orders)',
        '\tmux.HandleFunc("GET /shared", shared)',
        '\tmux.HandleFunc("GET /log", func(w http.ResponseWriter, r *http.Request) { logAudit(); shared(w, r) })',
        '\thttp.ListenAndServe(":8080", sdk.Middleware(mux))',
        '}', '',
      ].join('\n'),
      'refunds.go': 'package main\n\nimport "net/http"\n\nfunc refund(w http.ResponseWriter, r *http.Request) {\n\treq, _ := http.NewRequest("POST", "/refunds", nil)\n\tpayments.Do(req)\n}\n',
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    // payments: GET /orders calls it in a method value sloctl does not follow, so no route lists it.
    assert.deepEqual(c.routes.map((x) => [x.name, x.dependencies]), [
      ['post-checkout', []],
      ['get-log', []],
      ['get-orders', []],
      ['post-refunds', []],
      ['get-shared', []],
      ['get-stock', ['inventory']],
    ]);
    assert.match(r.stdout, /^ {2}1 of 6 routes lists the declared dependencies its handler calls, read from the 4 handlers sloctl followed \(their own code, not the functions they call\); the handlers of the other 2 routes were not followed .*; payments is in no list: it is also called outside the handlers sloctl read \(main\.go:16:68\)$/m);

    // Without the method value, payments is listed where its client is called: the package function and the one converted with http.HandlerFunc in refunds.go.
    const main = join(dir, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('{ payments.Get(os.Getenv("PAYMENTS_URL") + "/orders") }', '{}'));
    const again = await runCli(['init', '--force'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(contractIn(dir).routes.filter((x) => x.dependencies.length > 0).map((x) => [x.name, x.dependencies]), [
      ['post-checkout', ['payments']],
      ['post-refunds', ['payments']],
      ['get-stock', ['inventory']],
    ]);
  });

  it("routes' dependencies (NestJS): a controller method is its route's handler", async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'items', dependencies: { '@nestjs/core': '^11.0.0', '@nestjs/common': '^11.0.0' } }),
      'src/main.ts': "import { NestFactory } from '@nestjs/core';\nimport { instrument } from 'sloctl/sdk';\nimport { AppModule } from './app.module';\nconst sdk = instrument({ contract: 'slo.yaml' });\nsdk.dependency('payments');\nconst app = await NestFactory.create(AppModule);\nawait app.listen(3000);\n",
      'src/items.controller.ts': [
        "import { Controller, Get, Post } from '@nestjs/common';",
        "@Controller('items')",
        'export class ItemsController {',
        '  @Post()',
        '  async create() {',
        '    return fetch(`${process.env.PAYMENTS_URL}/charge`, { signal: AbortSignal.timeout(40) });',
        '  }',
        "  @Get(':id')",
        '  one() { return {}; }',
        '}',
      ].join('\n'),
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(contractIn(dir).routes.map((x) => [x.name, x.dependencies]), [['post-items', ['payments']], ['get-items-by-id', []]]);
  });

  it("routes' dependencies: a route another registration was folded into (app.all beside app.get), or Go's catch-all, gets no list, and a call in its handlers keeps the dependency out of every list", () => {
    const span = (line: number, endLine: number) => ({ file: 'a.js', line, col: 1, endLine, endCol: 3 });
    const found = [
      { method: 'GET', path: '/a', file: 'a.js', line: 1, col: 1, handler: span(1, 3) },
      { method: '*', path: '/a', file: 'a.js', line: 4, col: 1, handler: span(4, 6) },
      { method: 'GET', path: '/b', file: 'a.js', line: 7, col: 1, handler: span(7, 9) },
      // Go ServeMux's "/": its handler answers every path no other pattern matches, so its calls may be theirs.
      { method: '*', path: '/', catchAll: true as const, file: 'a.js', line: 10, col: 1, handler: span(10, 12) },
    ];
    const plan = planRoutes(found, { health: '/healthz', metrics: '/metrics' });
    assert.deepEqual(plan.routes.map((r) => [r.name, r.merged ?? false]), [['get-root', false], ['get-a', true], ['get-b', false]]);
    const call = (line: number): TimedCall => ({ file: 'a.js', line, col: 5, call: 'fetch(u)', via: 'fetch', target: 'u', timeout: 'timeout: 20' });
    const dep = (name: string, ...lines: number[]) => ({ name, named: [], calls: [], timed: lines.map(call) });
    const deps = planRouteDependencies(plan.routes, [dep('x', 2, 8), dep('y', 8), dep('z', 8, 11)], () => 20, 100);
    assert.deepEqual([...deps.byRoute], [['get-b', ['y']]]);
    assert.equal(deps.followed, 1);
    assert.deepEqual(deps.leftOut.map((l) => [l.name, l.at?.line]), [['x', 2], ['z', 11]]);
  });

  it('every route needs a value sloctl cannot guess: the load profile is a comment, and the next step says to fill it in', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'orders', dependencies: { express: '^5.0.0' } }),
      'server.js': "const app = require('express')();\napp.post('/orders', (req, res) => res.sendStatus(201));\napp.get('/orders/:id', (req, res) => res.json({}));\napp.get('/readyz', (req, res) => res.send('ok'));\napp.listen(3000);\n",
    });
    const r = await runCli(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = contractIn(dir);
    assert.equal(c.load, undefined);
    const text = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    assert.match(text, /^# Every route needs a value sloctl cannot guess .*\n# comment: fill in the entries, then uncomment it\.\n# load:\n# {3}rate: 50\/s\n/m);
    const filled = parseContract(uncommentLoad(text), 'slo.yaml');
    assert.deepEqual(filled.diagnostics, []);
    assert.deepEqual(gateRequests(filled.contract!).map((q) => `${q.method} ${q.path.replace(/\d+$/, 'N')}`), ['POST /orders', 'GET /orders/N']);
    assert.match(r.stdout, /^ {2}4\. every route needs a value sloctl cannot guess: fill in the commented-out `load:` mix, uncomment it, and run `sloctl gate`/m);
  });

  it('--help says how --runtime is chosen without a go.mod (a GOPATH-mode Go service is go, as init does)', async () => {
    const r = await runCli(['init', '--help'], project({}));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.replace(/\s+/g, ' '), /--runtime <runtime> node or go \(default: go when DIR has a go\.mod, node when it has a package\.json and Node sources, else the runtime of most of its source files: a GOPATH-mode Go service without go\.mod is go, also with the package\.json that installs sloctl\)/);
    // What it says: a GOPATH-mode service (no go.mod, no package.json) is read as Go.
    const gopath = project({ 'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe("127.0.0.1:8080", nil)\n}\n' });
    const init = await runCli(['init', '--stdout'], gopath);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /runtime: go\b/);
  });

  it('a GOPATH-mode Go service with the package.json that installs sloctl (and no Node source) is read as Go', async () => {
    // A user trial: `npm init -y && npm install --save-dev sloctl` in a gin service without go.mod,
    // then `sloctl init`: it read the directory as Node, found no route and said to add the Node SDK.
    const gin = 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.New()\n\tr.GET("/users/:id", func(c *gin.Context) {})\n\tr.Run("127.0.0.1:8080")\n}\n';
    const dir = project({ 'main.go': gin, 'package.json': JSON.stringify({ name: 'gintrial', version: '1.0.0', devDependencies: { sloctl: '^0.1.0' } }) });
    const init = await runCli(['init', '--stdout'], dir);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /runtime: go\b/);
    assert.match(init.stdout, /path: \/users\/:id/);
    // A package.json beside Node sources stays node, whatever Go files are there too.
    const node = project({ 'main.go': gin, 'tools.go': gin, 'package.json': '{"name":"web"}', 'server.js': "import http from 'node:http';\nhttp.createServer().listen(3000);\n" });
    const n = await runCli(['init', '--stdout'], node);
    assert.equal(n.code, 0, n.stderr);
    assert.match(n.stdout, /runtime: node\b/);
  });

  it('bad input exits 2 with the flag or directory named', async () => {
    const dir = project({});
    const cases: Array<[string[], RegExp]> = [
      [['init', 'nowhere'], /^sloctl: nowhere: no such directory/],
      [['init', '--url', 'localhost:3000'], /--url "localhost:3000": expected an http:\/\/ or https:\/\/ URL/],
      [['init', '--url', 'not a url'], /--url "not a url": expected an absolute URL such as http:\/\/127\.0\.0\.1:8080/],
      [['init', '--name', 'My Service'], /--name "My Service": a service name is lower-case letters.*\(e\.g\. --name my-service\)/],
      [['init', '--runtime', 'java'], /--runtime must be node or go, got "java"/],
    ];
    for (const [args, says] of cases) {
      const r = await runCli(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
    }
    assert.ok(!existsSync(join(dir, 'slo.yaml')));
  });

  it('--help lists the exit codes', async () => {
    let out = '';
    const r = await runCli(['init', '--help'], process.cwd(), { stdout: (s) => { out += s; } });
    assert.equal(r.code, 0);
    assert.match(out, /Exit codes:\n {2}0 {3}yes: valid, passed, written\n {2}2 {3}could not run on that input/);
  });
});

describe('the contract init builds (property: any route set, any outbound calls)', () => {
  const segment = fc.oneof(
    fc.constantFrom('users', 'v1', 'items', 'a.b', 'files', 'ÄÖ', 'with space', 'x#y', 'q?x', 'a,b', '{id}', '{id:[0-9]+}', ':id', ':id(\\d+)', ':id?', ':from-:to', '{rest...}', '*', '*splat', '{$}', '', 'healthz', 'metrics', 'readyz', '[x]', '"q"', "'s'", '&a', '%20', '-x'),
    fc.stringMatching(/^[A-Za-z0-9_.~-]{1,12}$/),
  );
  const registration: fc.Arbitrary<FoundRoute> = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', '*', 'PROPFIND'),
    path: fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
    prefixUnknown: fc.boolean(),
    file: fc.constantFrom('src/app.ts', 'main.go', 'weird # name\n.js'),
    line: fc.nat(1000).map((n) => n + 1),
    col: fc.nat(80).map((n) => n + 1),
    // A Go ServeMux subtree as the code check records it: the path ending in a wildcard.
    // Or a Go router that keeps a trailing `/` (gin: a redirect for the other spelling).
    serveMux: fc.constantFrom(undefined, undefined, undefined, 'subtree', 'catchAll', 'keepsSlash'),
  }).map(({ serveMux, ...r }) => {
    if (serveMux === 'subtree') return { ...r, path: `${r.path.replace(/\/$/, '')}/*`, subtree: true as const };
    if (serveMux === 'catchAll') return { ...r, path: '/', prefixUnknown: false, catchAll: true as const };
    if (serveMux === 'keepsSlash') return { ...r, trailingSlash: trailingSlashRule('gin', {}) };
    return r;
  });
  const call: fc.Arbitrary<FoundCall> = fc.record({
    file: fc.constantFrom('client.ts', 'pay.go'),
    line: fc.constant(3),
    col: fc.constant(5),
    call: fc.constantFrom('fetch(url)', 'http.Get(u)\n  // two lines', 'ax.get(`${x}`) # hash'),
    via: fc.constant('fetch'),
    target: fc.oneof(
      fc.constantFrom('url', '', 'payments', 'process.env.PAYMENTS_URL', 'os.Getenv("SEARCH_API_URL")', "'https://api.stripe.com/v1'", "'http://127.0.0.1:8081/x'", 'process.env["9LIVES"]', 'paymentsClient', 'process.env.URL'),
      fc.string({ maxLength: 30 }),
    ),
  });

  // Calls with a timeout: bounds sloctl reads as a number, and ones it cannot (a controller's signal, a constant).
  const timedCall: fc.Arbitrary<TimedCall> = fc.tuple(call, fc.constantFrom('signal: AbortSignal.timeout(100)', 'signal: AbortSignal.timeout(1_500)', 'timeout: 40', 'timeout: { request: 2000 }', 'signal: controller.signal', 'timeout: TIMEOUT_MS', 'signal: AbortSignal.timeout(0.5)'))
    .map(([c, timeout]) => ({ ...c, timeout }));

  // What the code names through sloctl's SDK: names a guess may share, and ones no contract can declare.
  const named: fc.Arbitrary<NamedDependency> = fc.record({
    name: fc.oneof(fc.constantFrom('payments', 'stripe', 'inventory', 'search', 'Payments API', '', 'x'.repeat(64)), fc.string({ maxLength: 12 })),
    file: fc.constantFrom('service.ts', 'main.go', 'weird # name\n.js'),
    line: fc.constant(7),
    col: fc.constant(9),
    call: fc.constantFrom("sdk.dependency('payments')", 'sdk.MustDependency("x") # y\nz'),
    fallback: fc.constant({ file: 'service.ts', line: 9, col: 3 }),
  }, { requiredKeys: ['name', 'file', 'line', 'col', 'call'] });

  it('validates with no finding, names each route once, and lists every registration it keeps', () => {
    fc.assert(
      fc.property(fc.array(registration, { maxLength: 40 }), fc.array(call, { maxLength: 6 }), fc.array(timedCall, { maxLength: 4 }), fc.array(named, { maxLength: 4 }), fc.constantFrom('node', 'go') as fc.Arbitrary<'node' | 'go'>, (found, calls, timed, sdkNamed, runtime) => {
        const routes = planRoutes(found, { health: SCAFFOLD_DEFAULTS.health, metrics: SCAFFOLD_DEFAULTS.metrics });
        const dependencies = planDependencies(sdkNamed, guessDependencies(calls, timed));
        const text = renderScaffold({ service: { name: 'svc', runtime }, url: SCAFFOLD_DEFAULTS.url, scanned: '.', frameworks: [], reads: 'x', routes, dependencies, unresolved: [{ file: 'a.ts', line: 1, col: 1, what: '`${BASE}/x`\n# not a key: value' }] });
        const loaded = parseContract(text, 'slo.yaml');
        assert.deepEqual(loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`), [], text);
        const c = loaded.contract!;
        assert.equal(new Set(c.routes.map((r) => r.name)).size, c.routes.length);
        assert.deepEqual(c.probes, routes.probes.map((p) => p.path));
        // Every registration is a route, a probe, or skipped with a reason; every route serves its registration.
        const accounted = new Set([...routes.routes.map((r) => r.from), ...routes.probes.map((p) => p.from), ...routes.skipped.map((s) => s.from)]);
        const sameRoute = (a: FoundRoute, b: FoundRoute) => a.prefixUnknown === b.prefixUnknown && normalizeRoutePath(a.path) === normalizeRoutePath(b.path) && (b.method === '*' || a.method === b.method);
        for (const r of found) {
          // Not accounted itself: the same route registered again (or an any-method one beside explicit ones), whose first is.
          if (!accounted.has(r)) assert.ok([...accounted].some((a) => sameRoute(a, r)), `${r.method} ${r.path} is lost:\n${text}`);
        }
        routes.routes.forEach((p, i) => {
          assert.equal(c.routes[i].path, p.path);
          assert.ok(routeServes(p.from, c.routes[i]), `${p.from.method} ${p.from.path} does not serve ${c.routes[i].method} ${c.routes[i].path}`);
        });
        // The load mix sends exactly the routes that need no guess; the others, uncommented, are valid and compile.
        // Plain: `/`, or segments of RFC 3986 unreserved characters (not `.`-led: no `.` or `..`).
        // A trailing `/` the contract's path keeps (a Go router's registration) is plain too.
        const plain = (path: string) => path === '/' || path.replace(/\/$/, '').split('/').slice(1).every((seg) => /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/.test(seg));
        // Not a Go ServeMux subtree (which path under it?), nor a registration with a trailing `/` the contract's path leaves out.
        const subtree = (r: (typeof routes.routes)[number]) => r.from.subtree === true || (r.path !== '/' && r.from.path.endsWith('/') && !r.path.endsWith('/'));
        const expectSent = routes.routes.filter((r) => ['GET', 'HEAD'].includes(r.method) && !r.from.prefixUnknown && plain(r.path) && !subtree(r)).map((r) => r.name).sort();
        assert.deepEqual((c.load?.mix.map((m) => m.route) ?? []).sort(), expectSent, text);
        if (c.load) for (const q of gateRequests(c)) assert.equal(q.path, c.routes.find((r) => r.name === q.route)!.path);
        if (routes.routes.length > 0) {
          const filled = parseContract(uncommentLoad(text), 'slo.yaml');
          assert.deepEqual(filled.diagnostics.map((d) => `${d.code} ${d.message}`), [], uncommentLoad(text));
          assert.deepEqual(gateRequests(filled.contract!).map((q) => q.route).sort(), routes.routes.map((r) => r.name).sort());
        }
        // Every name the code uses through the SDK that a contract can hold is declared, uncommented (the service starts under it).
        const declarable = [...new Set(sdkNamed.map((n) => n.name).filter((n) => /^[a-z0-9][a-z0-9_-]{0,62}$/.test(n)))];
        assert.deepEqual(c.dependencies.map((d) => d.name), declarable, text);
        for (const d of c.dependencies) assert.equal(d.critical, !sdkNamed.some((n) => n.name === d.name && n.fallback), text);
        // A declared dependency's timeout is the one its calls use when sloctl reads one for all of them (and none lacks one), else the default.
        for (const d of dependencies.declared) {
          const read = d.calls.length === 0 ? codeTimeout(d.timed) : undefined;
          assert.equal(c.dependencies.find((x) => x.name === d.name)!.timeout, read ?? 50, text);
        }
        // The proposed dependencies, uncommented, are valid too.
        const uncommented = parseContract(uncommentDependencies(text), 'slo.yaml');
        assert.deepEqual(uncommented.diagnostics.map((d) => `${d.code} ${d.message}`), [], uncommentDependencies(text));
        assert.equal(uncommented.contract!.dependencies.length, dependencies.declared.length + dependencies.proposed.named.length);
      }),
      { numRuns: 200 },
    );
  });

  it('the load mix sends exactly the GET and HEAD routes with a plain path; every other route is a commented-out entry', () => {
    const at = { file: 'app.ts', line: 1, col: 1 };
    const found: FoundRoute[] = [
      ['GET', '/hello'], ['HEAD', '/status'], ['*', '/any'], ['GET', '/v1/a.b_c~d-e'], ['*', '/tree/'],
      ['GET', '/healthz'], ['GET', '/metrics'], ['GET', '/readyz'],
      ['GET', '/items/{id}'], ['GET', '/files/{path...}'], ['GET', '/docs/:page?'], ['GET', '/a{id}b'], ['GET', '/q?x'],
      ['POST', '/orders'], ['DELETE', '/orders/:id'], ['OPTIONS', '/cors'],
    ].map(([method, path]) => ({ method, path, ...at }));
    found.push({ method: 'GET', path: '/reports', prefixUnknown: true, ...at }, { method: '*', path: '/shop/*', subtree: true, ...at });
    const routes = planRoutes(found, { health: SCAFFOLD_DEFAULTS.health, metrics: SCAFFOLD_DEFAULTS.metrics });
    const text = renderScaffold({ service: { name: 'svc', runtime: 'node' }, url: SCAFFOLD_DEFAULTS.url, scanned: '.', frameworks: [], reads: 'x', routes, dependencies: planDependencies([], guessDependencies([])), unresolved: [] });
    const loaded = parseContract(text, 'slo.yaml');
    assert.deepEqual(loaded.diagnostics, [], text);
    const c = loaded.contract!;
    assert.deepEqual(gateRequests(c), [
      { route: 'get-any', method: 'GET', path: '/any' },
      { route: 'get-hello', method: 'GET', path: '/hello' },
      { route: 'head-status', method: 'HEAD', path: '/status' },
      { route: 'get-v1-a-b_c-d-e', method: 'GET', path: '/v1/a.b_c~d-e' },
    ]);
    // The probes and the SDK's own paths are neither sent nor offered.
    assert.doesNotMatch(text, /route: [a-z-]*(healthz|metrics|readyz)/);
    const held = [...text.matchAll(/^ {4}# - route: (\S+) +# (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
    assert.deepEqual(held, [
      'get-a-id-b: give id values the service knows',
      'options-cors: send it only if users do (a CORS preflight is no user request)',
      'get-docs-by-page: give page values the service knows',
      'get-files-any-path: give path values the service knows',
      'get-items-by-id: give id values the service knows',
      'post-orders: give the JSON body it expects',
      'delete-orders-by-id: give id values the service knows; it deletes what it names: send it to a test instance only',
      'get-q-x: write the path as clients send it',
      'get-reports: write the full path the clients call (it is mounted under a prefix sloctl cannot see)',
      'get-shop-any: write the path clients call (the code registers the Go ServeMux subtree /shop/: every path under it); give rest values the service knows',
      'get-tree: write the path as clients send it (the code registers /tree/, with its trailing /)',
    ]);
    const filled = parseContract(uncommentLoad(text), 'slo.yaml');
    assert.deepEqual(filled.diagnostics, []);
    const sent = gateRequests(filled.contract!);
    assert.equal(sent.length, c.routes.length);
    assert.deepEqual(sent.find((q) => q.route === 'get-docs-by-page')?.path.replace(/\d+$/, 'N'), '/docs/N');
    assert.deepEqual(sent.find((q) => q.route === 'get-files-any-path')?.path.replace(/\d+$/, 'N'), '/files/N');
    assert.deepEqual(sent.find((q) => q.route === 'get-shop-any')?.path.replace(/\d+$/, 'N'), '/shop/N');
    assert.deepEqual(sent.find((q) => q.route === 'get-tree')?.path, '/tree/');
  });

  it('writes templates in the contract syntax', () => {
    const cases: Array<[string, string]> = [
      ['/items/{id}', '/items/:id'], ['/items/{id:[0-9]+}', '/items/:id'], ['/users/:id(\\d+)', '/users/:id'], ['/books/:id{[0-9]+}', '/books/:id'],
      ['/files/{path...}', '/files/*path'], ['/{$}', '/'], ['/cart/', '/cart'], ['//a//b', '/a/b'], ['/flights/:from-:to', '/flights/:from-:to'], ['/docs/:page?', '/docs/:page?'], ['/a{id}b', '/a{id}b'],
    ];
    for (const [code, contract] of cases) assert.equal(contractTemplate(code), contract, code);
  });
});
