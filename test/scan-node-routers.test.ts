// The route check's answer against the routers' own: for Fastify, Express, @koa/router and Hono,
// each with its defaults and with the option that changes its trailing-slash handling, one app
// file is scanned (what `sloctl validate --project` reads) and the same file is run; every
// contract path below is asked of the running app, and the check must say "served" exactly when
// the app answers 200. The paths are the ones routers disagree on: a trailing `/` either way, a
// wildcard's root with and without its `/`, path-to-regexp's optional parts, a mounted router's `/`.
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { routeServes, slashMismatch } from '../src/contract/route-paths.ts';
import { expandOptionalParts } from '../src/scan/node-routers.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { RegisteredRoute } from '../src/scan/types.ts';
import { writeProject } from './helpers/project.ts';

const repoModules = join(import.meta.dirname, '..', 'node_modules');

/** A contract path, and the request that stands for it (a parameter or wildcard filled in). */
const CASES: Array<[contract: string, request: string]> = [
  ['/a', '/a'], ['/a/', '/a/'],
  ['/b', '/b'], ['/b/', '/b/'],
  ['/u/:id', '/u/7'], ['/u/:id/', '/u/7/'],
  ['/files', '/files'], ['/files/', '/files/'], ['/files/*', '/files/x/y'],
  ['/v1', '/v1'], ['/v1/', '/v1/'], ['/v1/x', '/v1/x'], ['/v1/x/', '/v1/x/'],
];
/** path-to-regexp's own syntax (Express 5, @koa/router). */
const PTR_CASES: Array<[string, string]> = [
  ['/opt', '/opt'], ['/opt/', '/opt/'], ['/opt/*', '/opt/x'],
  ['/g', '/g'], ['/g/', '/g/'], ['/g/:id', '/g/5'],
];

interface Variant {
  name: string;
  /** An ESM file that exports `app` (and `fetch` for Hono). */
  source: string;
  ptr?: boolean;
  /** Contract paths whose answer sloctl does not model, left out (each says why where listed). */
  unmodelled?: string[];
  /** How the test serves it. */
  serve: (mod: Record<string, unknown>) => Promise<Server>;
}

const handler = `(req, res) => res.send('ok')`;
const koaHandler = `(ctx) => { ctx.body = 'ok'; }`;

const fastify = (opts: string): Variant => ({
  name: `Fastify(${opts})`,
  source: `import Fastify from 'fastify';
export const app = Fastify(${opts});
app.get('/a', async () => 'ok');
app.get('/b/', async () => 'ok');
app.get('/u/:id', async () => 'ok');
app.get('/files/*', async () => 'ok');
app.register(async (v1) => {
  v1.get('/', async () => 'ok');
  v1.get('/x', async () => 'ok');
}, { prefix: '/v1' });
`,
  serve: async (mod) => {
    const app = mod.app as { listen(o: object): Promise<string>; server: Server };
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  },
});

const express = (name: string, setup: string, routerOpts: string): Variant => ({
  name,
  ptr: true,
  source: `import express from 'express';
export const app = express();
${setup}
app.get('/a', ${handler});
app.get('/b/', ${handler});
app.get('/u/:id', ${handler});
app.get('/files/*splat', ${handler});
app.get('/opt/{*rest}', ${handler});
app.get('/g{/:id}', ${handler});
const v1 = express.Router(${routerOpts});
v1.get('/', ${handler});
v1.get('/x', ${handler});
app.use('/v1', v1);
`,
  serve: (mod) => listen(createServer(mod.app as Parameters<typeof createServer>[0])),
});

const koa = (inner: string): Variant => ({
  name: `@koa/router(${inner ? `{ ${inner} }` : ''})`,
  ptr: true,
  source: `import Koa from 'koa';
import Router from '@koa/router';
export const app = new Koa();
const router = new Router(${inner ? `{ ${inner} }` : ''});
router.get('/a', ${koaHandler});
router.get('/b/', ${koaHandler});
router.get('/u/:id', ${koaHandler});
router.get('/files/*splat', ${koaHandler});
router.get('/opt/{*rest}', ${koaHandler});
router.get('/g{/:id}', ${koaHandler});
const v1 = new Router({ ${inner ? `${inner}, ` : ''}prefix: '/v1' });
v1.get('/', ${koaHandler});
v1.get('/x', ${koaHandler});
app.use(router.routes()).use(v1.routes());
`,
  serve: (mod) => listen(createServer((mod.app as { callback(): Parameters<typeof createServer>[0] }).callback())),
});

const hono = (opts: string, unmodelled?: string[]): Variant => ({
  name: `Hono(${opts})`,
  unmodelled,
  source: `import { Hono } from 'hono';
export const app = new Hono(${opts});
app.get('/a', (c) => c.text('ok'));
app.get('/b/', (c) => c.text('ok'));
app.get('/u/:id', (c) => c.text('ok'));
app.get('/files/*', (c) => c.text('ok'));
const v1 = new Hono(${opts});
v1.get('/', (c) => c.text('ok'));
v1.get('/x', (c) => c.text('ok'));
app.route('/v1', v1);
`,
  serve: (mod) => {
    const app = mod.app as { fetch(r: Request): Promise<Response> };
    return listen(createServer(async (req, res) => {
      const r = await app.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method }));
      res.statusCode = r.status;
      res.end(await r.text());
    }));
  },
});

/** Writes `source` as a project's app.mjs, scans it as validate does, and runs it: its routes, and the port it answers on. */
async function scanAndServe(source: string, serve: Variant['serve']): Promise<{ routes: RegisteredRoute[]; port: number; close: () => void }> {
  const dir = writeProject({ 'app.mjs': source }, 'sloctl-node-routers-');
  symlinkSync(repoModules, join(dir, 'node_modules'), 'dir');
  const { routes } = await scanTypeScriptProject(dir);
  const server = await serve(await import(pathToFileURL(join(dir, 'app.mjs')).href) as Record<string, unknown>);
  return {
    routes,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** Strict routing set after the app's first route: Express made its router lenient already. */
function lateStrictRouting(): Variant {
  const v = express("express() with app.set('strict routing', true) after its first route", '', '');
  return { ...v, source: v.source.replace(`app.get('/a', ${handler});\n`, `app.get('/a', ${handler});\napp.set('strict routing', true);\n`) };
}

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const VARIANTS: Variant[] = [
  fastify(''),
  fastify('{ ignoreTrailingSlash: true }'),
  fastify('{ routerOptions: { ignoreTrailingSlash: true } }'),
  express('express()', '', ''),
  express("express() with app.set('strict routing', true), Router({ strict: true })", "app.set('strict routing', true);", '{ strict: true }'),
  lateStrictRouting(),
  koa(''),
  koa('strict: true'),
  hono(''),
  // strict: false answers a route written `/b/` with a 404 both ways (node-routers.ts' header).
  hono('{ strict: false }', ['/b', '/b/']),
];

describe('the route check answers as Node routers do', () => {
  for (const v of VARIANTS) {
    it(v.name, async () => {
      const { routes, port, close } = await scanAndServe(v.source, v.serve);
      try {
        const wrong: string[] = [];
        const table: string[] = [];
        for (const [contract, request] of [...CASES, ...(v.ptr ? PTR_CASES : [])]) {
          if (v.unmodelled?.includes(contract)) continue;
          const status = (await fetch(`http://127.0.0.1:${port}${request}`, { redirect: 'manual' })).status;
          const served = routes.some((r) => routeServes(r, { method: 'GET', path: contract }));
          table.push(`${contract}=${status}${served === (status === 200) ? '' : '!'}`);
          if (served !== (status === 200)) wrong.push(`${contract} (GET ${request}): the app answers ${status}, the check says ${served ? 'served' : 'not served'}`);
          // A refused path that one registration misses by its slash alone is explained, not only refused.
          if (!served && status === 404) {
            const why = routes.map((r) => slashMismatch(r, { method: 'GET', path: contract })).find((a) => a !== undefined);
            if (why !== undefined) assert.equal(why.kind, 'not-found', `${contract}: ${JSON.stringify(why)}`);
          }
        }
        console.log(`# ${v.name}: ${table.join(' ')}`);
        assert.deepEqual(wrong, [], `${v.name}, the code's routes: ${routes.map(show).join(', ')}`);
      } finally {
        close();
      }
    });
  }

  it('a wildcard at the root: `/` as each router answers it', async () => {
    const apps: Array<[name: string, source: string, serve: Variant['serve']]> = [
      ['Fastify /*, ignoreTrailingSlash', `import Fastify from 'fastify';\nexport const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });\napp.get('/*', async () => 'ok');\n`, fastify('').serve],
      ['Express /*splat', `import express from 'express';\nexport const app = express();\napp.get('/*splat', ${handler});\n`, express('', '', '').serve],
      ['Express /{*splat}', `import express from 'express';\nexport const app = express();\napp.get('/{*splat}', ${handler});\n`, express('', '', '').serve],
      ['@koa/router /*splat', `import Koa from 'koa';\nimport Router from '@koa/router';\nexport const app = new Koa();\nconst r = new Router();\nr.get('/*splat', ${koaHandler});\napp.use(r.routes());\n`, koa('').serve],
    ];
    for (const [name, source, serve] of apps) {
      const { routes, port, close } = await scanAndServe(source, serve);
      try {
        for (const [contract, request] of [['/', '/'], ['/x', '/x'], ['/*', '/x/y']]) {
          const status = (await fetch(`http://127.0.0.1:${port}${request}`)).status;
          assert.equal(routes.some((r) => routeServes(r, { method: 'GET', path: contract })), status === 200, `${name}: ${contract} answered ${status}`);
        }
      } finally {
        close();
      }
    }
  });

  it('names the router and why in what a missed slash gets', async () => {
    const dir = writeProject({ 'app.ts': `import Fastify from 'fastify';\nconst app = Fastify();\napp.get('/orders/', async () => []);\napp.get('/files/*', async () => '');\n` }, 'sloctl-node-routers-');
    const { routes } = await scanTypeScriptProject(dir);
    const orders = routes.find((r) => r.path === '/orders/')!;
    assert.equal(orders.trailingSlash?.router, 'Fastify');
    assert.match(JSON.stringify(slashMismatch(orders, { method: 'GET', path: '/orders' })), /ignoreTrailingSlash is off/);
    const files = routes.find((r) => r.path === '/files/*')!;
    assert.equal(files.subtree, true);
    assert.match(JSON.stringify(slashMismatch(files, { method: 'GET', path: '/files' })), /matches \/files\/ and the paths under it/);
  });

  it('says a strict routing setting after the first route has no effect, where it is', async () => {
    const dir = writeProject({ 'app.ts': `import express from 'express';\nconst app = express();\napp.use(express.json());\napp.get('/orders', (req, res) => res.send([]));\napp.enable('strict routing');\nfunction later() {\n  app.set('strict routing', true);\n}\n` }, 'sloctl-node-routers-');
    const { routes, warnings } = await scanTypeScriptProject(dir);
    assert.deepEqual(warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`), ['app.ts:5:1 this strict routing setting has no effect: Express made the app\'s router at its first route or use (line 3:1), with strict routing as it was then; set it before the first route']);
    // The one in another function may run before the first route or not: unjudged.
    assert.equal(routes[0].trailingSlash, undefined);
    const inOrder = writeProject({ 'app.ts': `import express from 'express';\nexport function make() {\n  const app = express();\n  app.set('strict routing', true);\n  app.get('/orders', (req, res) => res.send([]));\n  return app;\n}\n` }, 'sloctl-node-routers-');
    const strict = await scanTypeScriptProject(inOrder);
    assert.deepEqual(strict.warnings, []);
    assert.equal(strict.routes[0].trailingSlash?.router, 'Express');
  });

  it('an option sloctl cannot read leaves the slash unjudged, not guessed', async () => {
    const dir = writeProject({ 'app.ts': `import Fastify from 'fastify';\nconst opts = load();\nconst app = Fastify(opts);\napp.get('/orders/', async () => []);\n` }, 'sloctl-node-routers-');
    const { routes } = await scanTypeScriptProject(dir);
    assert.equal(routes[0].trailingSlash, undefined);
    assert.ok(routeServes(routes[0], { method: 'GET', path: '/orders' }));
  });

  it('a plugin file gets the options of the app that registers it', async () => {
    const dir = writeProject({
      'app.ts': `import Fastify from 'fastify';\nimport users from './users.ts';\nconst app = Fastify({ ignoreTrailingSlash: true });\napp.register(users, { prefix: '/users' });\n`,
      'users.ts': `import type { FastifyInstance } from 'fastify';\nexport default async function users(app: FastifyInstance) {\n  app.get('/:id/', async () => ({}));\n}\n`,
      'orphan.ts': `import type { FastifyInstance } from 'fastify';\nexport async function orphan(app: FastifyInstance) {\n  app.get('/orphan/', async () => ({}));\n}\n`,
    }, 'sloctl-node-routers-');
    const { routes } = await scanTypeScriptProject(dir);
    const user = routes.find((r) => r.path === '/users/:id/')!;
    assert.equal(user.trailingSlash, undefined, 'ignoreTrailingSlash: both spellings served');
    // Mounted nowhere sloctl sees: the options every Fastify app of the project has.
    const orphan = routes.find((r) => r.path.endsWith('/orphan/'))!;
    assert.equal(orphan.trailingSlash, undefined);
  });

  it('any path: at most 16 spellings, none empty, never a throw', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('{', '}', '/', 'a', ':id', '*', '\\'), { maxLength: 40 }), (parts) => {
      const spellings = expandOptionalParts(`/${parts.join('')}`);
      assert.ok(spellings.length >= 1 && spellings.length <= 16);
      for (const p of spellings) assert.ok(p.startsWith('/'), p);
    }), { numRuns: 2000 });
  });

  it('spells out path-to-regexp optional parts', () => {
    assert.deepEqual(expandOptionalParts('/users{/:id}'), ['/users', '/users/:id']);
    assert.deepEqual(expandOptionalParts('/a{/b{/c}}/d'), ['/a/d', '/a/b/d', '/a/b/c/d']);
    assert.deepEqual(expandOptionalParts('/files/{*rest}'), ['/files/{*rest}']);
    assert.deepEqual(expandOptionalParts('/x{/:id'), ['/x{/:id'], 'unbalanced: kept as written');
    assert.deepEqual(expandOptionalParts('/x\\{y}'), ['/x\\{y}'], 'escaped: kept as written');
    assert.equal(expandOptionalParts('/a{/b}{/c}{/d}{/e}{/f}').length, 1, 'over 16 spellings: kept as written');
    assert.deepEqual(expandOptionalParts(`/x${'{'.repeat(100_000)}`), [`/x${'{'.repeat(100_000)}`], 'deep nesting: kept, no stack overflow');
    assert.deepEqual(expandOptionalParts(`/x${'{/a'.repeat(20)}${'}'.repeat(20)}`).length, 1, 'deep but balanced, over 16 spellings: kept');
  });
});

function show(r: RegisteredRoute): string {
  return `${r.method} ${r.path}${r.subtree ? ' (subtree)' : ''}${r.trailingSlash ? ` [${r.trailingSlash.router}${r.trailingSlash.added ? ' +' : ''}${r.trailingSlash.removed ? ' -' : ''}${r.trailingSlash.root ? ' root' : ''}]` : ''}`;
}

// NestJS: the controllers' routes run on the platform main.ts starts Nest on. The project below
// is scanned as written (decorators); the running app is the same controllers with the
// decorators applied as the functions they are (tsx emits no legacy decorators), the same
// adapter options and global prefix.
type NestModules = { common: Record<string, any>; core: Record<string, any>; fastify: Record<string, any> };
async function loadNest(): Promise<NestModules | string> {
  try {
    await import('reflect-metadata' as string);
    const [common, core, fastify] = await Promise.all([import('@nestjs/common' as string), import('@nestjs/core' as string), import('@nestjs/platform-fastify' as string), import('@nestjs/platform-express' as string)]);
    return { common, core, fastify };
  } catch (error) {
    return `NestJS is not installed here (${(error as Error).message.split('\n')[0]}): npm ci installs it (devDependencies)`;
  }
}
const nest = await loadNest();
const nestSkip = typeof nest === 'string' ? nest : false;
if (nestSkip && process.env.CI) throw new Error(`scan-node-routers: ${nestSkip}`);
if (nestSkip) console.log(`# scan-node-routers' NestJS cases skipped: ${nestSkip}`);

/** Each controller's path and its methods' paths (all GET). */
const NEST_CONTROLLERS: Array<[controller: string, methods: string[]]> = [['a', ['']], ['u', [':id']], ['', ['', 'files/*']]];
const NEST_CASES: Array<[string, string]> = [
  ['/a', '/a'], ['/a/', '/a/'], ['/u/:id', '/u/7'], ['/u/:id/', '/u/7/'],
  ['/files', '/files'], ['/files/', '/files/'], ['/files/*', '/files/x/y'],
];

describe('the route check answers as NestJS does on each platform', { skip: nestSkip }, () => {
  const platforms: Array<[name: string, adapter: string | undefined, prefix: string]> = [
    ['Express (Nest\'s default)', undefined, ''],
    ['new FastifyAdapter()', '', ''],
    ['new FastifyAdapter({ ignoreTrailingSlash: true })', '{ ignoreTrailingSlash: true }', ''],
    ['new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } })', '{ routerOptions: { ignoreTrailingSlash: true } }', ''],
    ['Express, global prefix api', undefined, 'api'],
    ['new FastifyAdapter(), global prefix api', '', 'api'],
  ];
  for (const [name, adapter, prefix] of platforms) {
    it(name, async () => {
      const n = nest as NestModules;
      const controllers = NEST_CONTROLLERS.map(([c, methods], i) => `@Controller(${JSON.stringify(c)})\nexport class C${i} {\n${methods.map((m, j) => `  @Get(${JSON.stringify(m)}) m${j}() { return 'ok'; }\n`).join('')}}\n`).join('');
      const main = adapter === undefined
        ? `import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\nconst app = await NestFactory.create(AppModule);\n`
        : `import { NestFactory } from '@nestjs/core';\nimport { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';\nimport { AppModule } from './app.module';\nconst app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(${adapter}));\n`;
      const dir = writeProject({
        'src/app.controller.ts': `import { Controller, Get } from '@nestjs/common';\n${controllers}`,
        'src/main.ts': `${main}${prefix ? `app.setGlobalPrefix('${prefix}');\n` : ''}await app.listen(3000);\n`,
      }, 'sloctl-node-routers-nest-');
      const { routes } = await scanTypeScriptProject(dir);

      const classes = NEST_CONTROLLERS.map(([c, methods]) => {
        const cls = class {} as unknown as { prototype: Record<string, unknown> };
        methods.forEach((m, j) => {
          cls.prototype[`m${j}`] = () => 'ok';
          n.common.Get(m)(cls.prototype, `m${j}`, Object.getOwnPropertyDescriptor(cls.prototype, `m${j}`));
        });
        n.common.Controller(c)(cls);
        return cls;
      });
      class AppModule {}
      n.common.Module({ controllers: classes })(AppModule);
      const options = adapter === undefined || adapter === '' ? undefined : new Function(`return (${adapter});`)();
      const app = adapter === undefined
        ? await n.core.NestFactory.create(AppModule, { logger: false })
        : await n.core.NestFactory.create(AppModule, new n.fastify.FastifyAdapter(options), { logger: false });
      if (prefix) app.setGlobalPrefix(prefix);
      await app.listen(0, '127.0.0.1');
      try {
        const port = (app.getHttpServer().address() as AddressInfo).port;
        const wrong: string[] = [];
        const table: string[] = [];
        for (const [path, request] of [...NEST_CASES, ['/', '/'], ['//', '//']] as Array<[string, string]>) {
          const contract = prefix ? `/${prefix}${path === '/' ? '' : path}` : path;
          if (path === '//' && !prefix) continue;
          const asked = prefix ? `/${prefix}${request === '/' ? '' : request === '//' ? '/' : request}` : request;
          const wanted = path === '//' ? `/${prefix}/` : contract;
          const status = (await fetch(`http://127.0.0.1:${port}${asked}`, { redirect: 'manual' })).status;
          const served = routes.some((r) => routeServes(r, { method: 'GET', path: wanted }));
          table.push(`${wanted}=${status}${served === (status === 200) ? '' : '!'}`);
          if (served !== (status === 200)) wrong.push(`${wanted} (GET ${asked}): the app answers ${status}, the check says ${served ? 'served' : 'not served'}`);
        }
        console.log(`# NestJS on ${name}: ${table.join(' ')}`);
        assert.deepEqual(wrong, [], `the code's routes: ${routes.map(show).join(', ')}`);
      } finally {
        await app.close();
      }
    });
  }

  it('an adapter sloctl cannot read, or platforms that disagree, leave the slash unjudged', async () => {
    const controller = `import { Controller, Get } from '@nestjs/common';\n@Controller('a')\nexport class A {\n  @Get() a() {}\n}\n`;
    const passedIn = writeProject({ 'a.controller.ts': controller, 'main.ts': `import { NestFactory } from '@nestjs/core';\nexport async function start(adapter: any) {\n  const app = await NestFactory.create(AppModule, adapter);\n}\n` }, 'sloctl-node-routers-nest-');
    const fromVariable = writeProject({ 'a.controller.ts': controller, 'main.ts': `import { NestFactory } from '@nestjs/core';\nimport { FastifyAdapter } from '@nestjs/platform-fastify';\nconst app = await NestFactory.create(AppModule, new FastifyAdapter(options()));\n` }, 'sloctl-node-routers-nest-');
    const strictOne = writeProject({ 'a.controller.ts': controller, 'main.ts': `import { NestFactory } from '@nestjs/core';\nimport { FastifyAdapter } from '@nestjs/platform-fastify';\nconst adapter = new FastifyAdapter();\nconst app = await NestFactory.create(AppModule, adapter);\n` }, 'sloctl-node-routers-nest-');
    for (const dir of [passedIn, fromVariable]) {
      const { routes } = await scanTypeScriptProject(dir);
      assert.equal(routes[0].trailingSlash, undefined, dir);
      assert.ok(routeServes(routes[0], { method: 'GET', path: '/a/' }));
    }
    // An adapter in a variable is read where it is constructed.
    const { routes } = await scanTypeScriptProject(strictOne);
    assert.equal(routes[0].trailingSlash?.router, 'Fastify');
    assert.equal(routeServes(routes[0], { method: 'GET', path: '/a/' }), false);
  });
});
