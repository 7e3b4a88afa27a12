// The SDK's middleware mounted after a route on the same app (Express, Koa, Hono): found by the
// code check where the order is certain (src/scan/ts-sdk-order.ts), reported by `validate
// --project` as a warning at the registration with the route as a note; nothing where it is not.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanTypeScriptProject } from '../src/scan/index.ts';
import { scanTypeScriptSource } from '../src/scan/ts-file.ts';
import { runCli } from './helpers/cli.ts';

const FIXTURES = 'test/fixtures/sdk-order';

/** One fixture directory's code with the shared contract beside it. */
function service(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sloctl-sdk-order-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  cpSync(join(FIXTURES, 'slo.yaml'), join(dir, 'slo.yaml'));
  return dir;
}

/** `line:col` of the first occurrence of `needle` in a fixture's file, 1-based. */
function at(fixture: string, file: string, needle: string): string {
  const lines = readFileSync(join(FIXTURES, fixture, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} is not in ${fixture}/${file}`);
  return `${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

describe('code check: the SDK middleware mounted after a route', () => {
  it('finds it on Express, Koa and Hono, at the registration and the first route before it', async () => {
    const scan = await scanTypeScriptProject(join(FIXTURES, 'wrong'));
    assert.equal(scan.filesScanned, 3);
    assert.deepEqual(scan.sdkOrder.map((o) => `${o.file}:${o.line}:${o.col} ${o.framework} ${o.app} ${o.call} | ${o.route.line}:${o.route.col} ${o.route.call}`), [
      'express.ts:14:1 Express app app.use(middleware(sdk)) | 12:1 app.get(\'/orders\', …)', // the lines the fixture's comments promise
      `hono.ts:${at('wrong', 'hono.ts', "app.use('*', metrics)")} Hono app app.use('*', metrics) | ${at('wrong', 'hono.ts', "app.get('/orders'")} app.get('/orders', …)`,
      `koa.ts:${at('wrong', 'koa.ts', 'app.use(sloctl.middleware(sdk))')} Koa app app.use(sloctl.middleware(sdk)) | ${at('wrong', 'koa.ts', 'app.use(router.routes())')} app.use(router.routes())`,
    ]);
  });

  it('says nothing when the middleware comes first, nor of a probe added before it, nor of the error handler after the routes', async () => {
    const scan = await scanTypeScriptProject(join(FIXTURES, 'right'));
    assert.equal(scan.filesScanned, 3);
    assert.ok(scan.routes.length >= 4, 'the routes were read');
    assert.deepEqual(scan.sdkOrder, []);
  });

  it('says nothing when the order is not certain: another function, an if, another app, a reassigned name, a path', async () => {
    const scan = await scanTypeScriptProject(join(FIXTURES, 'ambiguous'));
    assert.equal(scan.filesScanned, 3);
    assert.deepEqual(scan.warnings, []);
    assert.deepEqual(scan.sdkOrder, []);
  });

  it('finds a router mounted before it, and a route inside a function body, and no route of an SDK-less file', () => {
    const router = scanTypeScriptSource('a.js', [
      "const express = require('express');",
      "const { middleware } = require('sloctl/sdk/express');",
      'function start(sdk) {',
      '  const app = express();',
      '  const api = express.Router();',
      "  app.use('/api', api);",
      '  app.use(middleware(sdk));',
      '}',
    ].join('\n'));
    assert.deepEqual(router.sdkOrder?.map((o) => [o.line, o.col, o.route.line, o.route.col, o.route.call]), [[7, 3, 6, 3, "app.use('/api', api)"]]);
    // Without the SDK's adapter: another middleware mounted late is not this check's business.
    const none = scanTypeScriptSource('b.js', "const app = require('express')();\napp.get('/a', (q, s) => s.end());\napp.use(require('cors')());");
    assert.deepEqual(none.sdkOrder, []);
    // A Fastify plugin is left alone: it records every request whatever the order (src/sdk/adapters/fastify.ts).
    const fastify = scanTypeScriptSource('c.ts', "import Fastify from 'fastify';\nimport sloctl from 'sloctl/sdk/fastify';\nconst app = Fastify();\napp.get('/a', async () => 'a');\nawait app.register(sloctl, { sdk });");
    assert.deepEqual(fastify.sdkOrder, []);
  });
});

describe('code check: the SDK middleware mounted after a router imported from another file', () => {
  it('follows `app.use(api)` to ./routes/api.ts, one level, and names its route; not a middleware nor a router without routes', async () => {
    const scan = await scanTypeScriptProject(join(FIXTURES, 'imported'));
    assert.deepEqual(scan.warnings, []);
    assert.deepEqual(scan.sdkOrder.map((o) => `${o.file}:${o.line}:${o.col} ${o.framework} ${o.call} | ${o.route.line}:${o.route.col} ${o.route.call} | ${o.router ? `${o.router.file}:${o.router.line}:${o.router.col} ${o.router.what}` : '-'}`), [
      `express.ts:${at('imported', 'express.ts', 'app.use(middleware(sdk))')} Express app.use(middleware(sdk)) | ${at('imported', 'express.ts', 'app.use(api)')} app.use(api) | routes/api.ts:${at('imported', 'routes/api.ts', "router.get('/orders'")} GET /orders`,
    ]);
  });

  it('follows require() and a namespace import, and keeps an own-file route when the import is no router', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-sdk-order-cjs-'));
    writeFileSync(join(dir, 'app.cjs'), [
      "const express = require('express');",
      "const { middleware } = require('sloctl/sdk/express');",
      "const orders = require('./orders.cjs');",
      'const app = express();',
      "app.use('/orders', orders);",
      'app.use(middleware(global.sdk));',
    ].join('\n'));
    writeFileSync(join(dir, 'orders.cjs'), "const express = require('express');\nconst r = express.Router();\nr.post('/', (q, s) => s.end());\nmodule.exports = r;\n");
    writeFileSync(join(dir, 'ns.ts'), [
      "import express from 'express';",
      "import { middleware } from 'sloctl/sdk/express';",
      "import * as mw from './mw.ts';",
      'const app = express();',
      'app.use(mw.cors);',
      "app.get('/b', (q, s) => s.end());",
      'app.use(middleware(sdk));',
    ].join('\n'));
    writeFileSync(join(dir, 'mw.ts'), 'export const cors = (q: unknown, s: unknown, n: () => void) => n();\n');
    return scanTypeScriptProject(dir).then((scan) => {
      assert.deepEqual(scan.sdkOrder.map((o) => [o.file, o.line, o.route.line, o.route.call, o.router?.file, o.router?.what]), [
        ['app.cjs', 6, 5, "app.use('/orders', orders)", 'orders.cjs', 'POST /'],
        ['ns.ts', 7, 6, "app.get('/b', …)", undefined, undefined],
      ]);
    });
  });
});

describe('validate --project: the SDK middleware mounted after a route', () => {
  it('warns at file:line:col, with the route as a note and the lines to move', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('wrong'));
    assert.equal(r.code, 0, r.stdout + r.stderr); // a warning: the service runs, unrecorded
    assert.match(r.stderr, /^express\.ts:14:1: warning SLO_SDK_ORDER: `app\.use\(middleware\(sdk\)\)` mounts sloctl's SDK middleware on `app` after a route \(`app\.get\('\/orders', …\)` at line 12:1\): Express runs middleware and routes in the order they are added, so a request that a route added before line 14 answers never reaches the middleware; it is never recorded, and every SLI misses it\n  hint: register the SDK's middleware before any route: move line 14 above line 12\n  note: express\.ts:12:1: the first route registered on `app` before the SDK's middleware: `app\.get\('\/orders', …\)`$/m);
    const koa = at('wrong', 'koa.ts', 'app.use(sloctl.middleware(sdk))');
    assert.match(r.stderr, new RegExp(`^koa\\.ts:${koa}: warning SLO_SDK_ORDER: .*Koa runs middleware`, 'm'));
    assert.match(r.stderr, new RegExp(`^hono\\.ts:${at('wrong', 'hono.ts', "app.use('*'")}: warning SLO_SDK_ORDER: .*Hono runs middleware`, 'm'));
    assert.match(r.stdout, /valid: 1 file, 0 errors, 3 warnings/);
    // --strict fails on it, as on the code check's other warnings.
    assert.equal((await runCli(['validate', 'slo.yaml', '--project', '.', '--strict'], service('wrong'))).code, 1);
  });

  it('names the imported router\'s route as a second note', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service('imported'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [line, col] = at('imported', 'express.ts', 'app.use(middleware(sdk))').split(':');
    assert.match(r.stderr, new RegExp(`^express\\.ts:${line}:${col}: warning SLO_SDK_ORDER: .*after a route \\(\`app\\.use\\(api\\)\``, 'm'));
    assert.match(r.stderr, new RegExp(`^  note: routes/api\\.ts:${at('imported', 'routes/api.ts', "router.get('/orders'")}: a route of the router \`app\\.use\\(api\\)\` mounts: GET /orders, answered before the SDK's middleware sees the request$`, 'm'));
    assert.match(r.stdout, /valid: 1 file, 0 errors, 1 warning\b/);
  });

  it('lists the finding in the JSON code check', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], service('wrong'));
    const json = JSON.parse(r.stdout);
    const found = json.codeCheck[0].diagnostics.filter((d: { code: string }) => d.code === 'SLO_SDK_ORDER');
    assert.deepEqual(found.map((d: { file: string; line: number; col: number; severity: string; related: Array<{ line: number; col: number }> }) => [d.file, d.line, d.col, d.severity, d.related[0].line, d.related[0].col]), [
      ['express.ts', 14, 1, 'warning', 12, 1],
      ['hono.ts', ...at('wrong', 'hono.ts', "app.use('*'").split(':').map(Number), 'warning', ...at('wrong', 'hono.ts', "app.get('/orders'").split(':').map(Number)],
      ['koa.ts', ...at('wrong', 'koa.ts', 'app.use(sloctl.middleware(sdk))').split(':').map(Number), 'warning', ...at('wrong', 'koa.ts', 'app.use(router.routes())').split(':').map(Number)],
    ]);
    assert.deepEqual(json.summary, { files: 1, errors: 0, warnings: 3 });
  });

  it('says nothing of the right order, nor of the orders it cannot be sure of', async () => {
    for (const name of ['right', 'ambiguous']) {
      const r = await runCli(['validate', 'slo.yaml', '--project', '.'], service(name));
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /SLO_SDK_ORDER/, name);
    }
  });
});

// Found by a TypeScript user trial: a contract that classes a thrown error by its name
// (`errors: [UpstreamTimeoutError]`) on an Express service whose code mounts the SDK's middleware
// but never `errorHandler(sdk)`: the adapter then sees only the status answered, so the 504 is
// `server` (weight 2.5), not the contract's `transient` (0.3), and nothing said so.
describe('validate --project: error classes by name on Express without errorHandler(sdk)', () => {
  const CONTRACT = `apiVersion: sloctl/v1
service: { name: orders, runtime: node }
errorClasses:
  - name: transient
    weight: 0.3
    status: [503]
    errors: [UpstreamTimeoutError]
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: list-orders, method: GET, path: /orders }
`;
  const SERVER = (withHandler: boolean) => [
    "import express from 'express';",
    "import { instrument } from 'sloctl/sdk';",
    `import { middleware${withHandler ? ', errorHandler' : ''} } from 'sloctl/sdk/express';`,
    "const sdk = instrument('slo.yaml');",
    'const app = express();',
    'app.use(middleware(sdk));',
    "app.get('/orders', async () => { throw new Error('x'); });",
    withHandler ? 'app.use(errorHandler(sdk));' : '',
    'app.listen(3000);',
  ].join('\n');
  const project = (files: Record<string, string>, contract = CONTRACT) => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-express-errors-'));
    writeFileSync(join(dir, 'slo.yaml'), contract);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('warns at the class\'s `errors`, naming where the middleware is mounted and the line to add', async () => {
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], project({ 'server.ts': SERVER(false) }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /^slo\.yaml:7:5: warning SLO_SDK_ERRORS_UNSEEN: .*UpstreamTimeoutError.*by the status/m);
    assert.match(r.stderr, /hint: .*app\.use\(errorHandler\(sdk\)\).*after the routes/);
    assert.match(r.stderr, /note: server\.ts:6:1: /);
    assert.match(r.stdout, /valid: 1 file, 0 errors, 1 warning/);
  });

  it('says nothing with errorHandler(sdk) (in any file), without a class by name or code, or with another adapter', async () => {
    const quiet = [
      project({ 'server.ts': SERVER(true) }),
      project({ 'server.ts': SERVER(false), 'errors.ts': "import { errorHandler } from 'sloctl/sdk/express';\nexport const h = (sdk: never) => errorHandler(sdk);\n" }),
      project({ 'server.ts': SERVER(false) }, CONTRACT.replace('    errors: [UpstreamTimeoutError]\n', '')),
      project({ 'server.ts': SERVER(false), 'jobs.ts': "import { wrap } from 'sloctl/sdk/http';\nexport { wrap };\n" }),
      // The default classes (TimeoutError, ECONNRESET) are nobody's written intent: nothing to point at.
      project({ 'server.ts': SERVER(false) }, 'apiVersion: sloctl/v1\nservice: { name: orders, runtime: node }\nroutes:\n  - { name: list-orders, method: GET, path: /orders }\n'),
    ];
    for (const dir of quiet) {
      const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /SLO_SDK_ERRORS_UNSEEN/, dir);
    }
  });
});

// Found by last session's trials: a contract whose drift action is `drain`, on a Node service that
// never calls `sdk.serve(server)`: the drain then only turns health DOWN, and `sloctl accept`
// failed it at run time (sloctl_drain_server 0) with nothing said before.
describe('validate --project: a drain action without sdk.serve(server)', () => {
  const CONTRACT = (action = 'drain', runtime = 'node') => `apiVersion: sloctl/v1
service: { name: orders, runtime: ${runtime} }
routes:
  - { name: list-orders, method: GET, path: /orders }
objectives:
  drift:
    signals:
      - { signal: inFlight, threshold: 50 }
    action: ${action}
`;
  const SERVER = (extra: string[] = [], options = "'slo.yaml'") => [
    "import express from 'express';",
    "import { instrument } from 'sloctl/sdk';",
    "import { middleware } from 'sloctl/sdk/express';",
    `const sdk = instrument(${options});`,
    'const app = express();',
    'app.use(middleware(sdk));',
    "app.get('/orders', (_req, res) => { res.json([]); });",
    'const server = app.listen(3000);',
    ...extra,
  ].join('\n');
  const project = (files: Record<string, string>, contract = CONTRACT()) => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-drain-served-'));
    writeFileSync(join(dir, 'slo.yaml'), contract);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('warns at `action: drain`, naming where instrument() is called and the line to add', async () => {
    // Neither the drill endpoint's serve(req, res) nor @hono/node-server's serve({ fetch }) through a namespace is sdk.serve.
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], project({ 'server.ts': SERVER(['sdk.drill?.serve(null as never, null as never);', "import * as node from '@hono/node-server';", 'node.serve({ fetch: () => new Response() });']) }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /^slo\.yaml:9:13: warning SLO_DRAIN_NOT_SERVED: .*never calls `sdk\.serve\(server\)` \(instrument\(\) is called at server\.ts:4:13\)/m);
    assert.match(r.stderr, /hint: add `sdk\.serve\(server, \{ signals: true \}\);`/);
    assert.match(r.stderr, /note: server\.ts:4:13: .*instrument\('slo\.yaml'\)/);
    assert.match(r.stdout, /valid: 1 file, 0 errors, 1 warning/);
  });

  it('says nothing with sdk.serve(server) (in any file, on any receiver), another action, drift: false, or a Go contract', async () => {
    const quiet = [
      project({ 'server.ts': SERVER(['sdk.serve(server, { signals: true });']) }),
      project({ 'server.ts': SERVER(), 'start.ts': "import { app } from './app.ts';\napp.sdk.serve(app.server);\n" }),
      project({ 'server.ts': SERVER() }, CONTRACT('shed')),
      project({ 'server.ts': SERVER([], "{ contract: 'slo.yaml', drift: false }") }),
      // A package.json, so the Node code is read too: the Go contract is what keeps it quiet.
      project({ 'server.ts': SERVER(), 'package.json': '{}' }, CONTRACT('drain', 'go')),
    ];
    for (const dir of quiet) {
      const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
      assert.match(r.stdout, /code check: \d+ metrics registered in [1-9]/, dir);
      assert.doesNotMatch(r.stderr, /SLO_DRAIN_NOT_SERVED/, dir);
    }
  });
});
