// sloctl's Express adapter under a real NestJS application (@nestjs/platform-express), and its
// Fastify plugin under one on @nestjs/platform-fastify, wired as src/sdk/README.md's NestJS
// section says: routes labelled by Nest's template with the global prefix, a NotFoundException a
// 404 under its route, Nest's own not-found handler under the prefix unmatched (it was
// route="/api*path" on Express), and the global filter handing thrown errors to errorHandler(sdk)
// (Express) or recordError (Fastify) so they are classified by name along the cause chain.
//
// Nest 11 is a devDependency (not a dependency of the package): without it (dev dependencies
// omitted) the test skips, saying so; with CI set it fails instead. Decorators are applied as the functions they are (tsx does not emit Nest's legacy
// decorator metadata), which is what the compiled `__decorate` calls of a Nest app do.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errorHandler, middleware } from '../src/sdk/adapters/express.ts';
import { recordError, sloctl } from '../src/sdk/adapters/fastify.ts';
import { parseContract } from '../src/contract/load.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { instrumentForTest, samples } from '../src/sdk/testing.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: cats }
errorClasses:
  - { name: transient, weight: 0.3, status: [503], errors: [DbTimeoutError] }
  - { name: client, weight: 1, status: [4xx] }
  - { name: server, weight: 2.5, status: [5xx] }
routes:
  - { name: list-cats, method: GET, path: /api/cats }
  - { name: get-cat, method: GET, path: /api/cats/:id }
  - { name: create-cat, method: POST, path: /api/cats }
objectives:
  latency: [{ name: api, threshold: 200ms, objective: 99% }]
  errors: { objective: 99% }
`;

/** The modules, untyped: sloctl does not depend on Nest's types. */
type Nest = { common: Record<string, any>; core: Record<string, any>; fastify: Record<string, any> };

async function loadNest(): Promise<Nest | string> {
  try {
    await import('reflect-metadata' as string);
    const [common, core, , fastify] = await Promise.all([import('@nestjs/common' as string), import('@nestjs/core' as string), import('@nestjs/platform-express' as string), import('@nestjs/platform-fastify' as string)]);
    return { common, core, fastify };
  } catch (error) {
    return `NestJS is not installed here (${(error as Error).message.split('\n')[0]}): add @nestjs/core, @nestjs/common, @nestjs/platform-express, @nestjs/platform-fastify, reflect-metadata and rxjs as devDependencies (npm ci installs them)`;
  }
}

const nest = await loadNest();
const skip = typeof nest === 'string' ? nest : false;
if (skip && process.env.CI) throw new Error(`sdk-nest: ${skip}`);
if (skip) console.log(`# sdk-nest skipped: ${skip}`);

class DbTimeoutError extends Error {
  override name = 'DbTimeoutError';
}

/** The application of a user's `nest new` project, decorators applied by hand. */
function appModule({ common }: Nest): unknown {
  const { Body, Controller, Get, NotFoundException, Param, Post, Module } = common;
  class CatsController {
    cats = [{ id: 1, name: 'Tom' }];
    findAll() { return this.cats; }
    flaky() { throw new Error('lookup failed', { cause: new DbTimeoutError('db timed out') }); }
    findOne(id: string) {
      const cat = this.cats.find((c) => c.id === Number(id));
      if (!cat) throw new NotFoundException(`cat ${id} not found`);
      return cat;
    }
    create(dto: { name: string }) {
      const cat = { id: this.cats.length + 1, name: dto.name };
      this.cats.push(cat);
      return cat;
    }
  }
  const proto = CatsController.prototype as unknown as Record<string, unknown>;
  const method = (decorator: (...a: unknown[]) => unknown, name: string) => decorator(proto, name, Object.getOwnPropertyDescriptor(proto, name));
  method(Get(), 'findAll');
  method(Get('flaky'), 'flaky');
  method(Get(':id'), 'findOne');
  Param('id')(proto, 'findOne', 0);
  method(Post(), 'create');
  Body()(proto, 'create', 0);
  Controller('cats')(CatsController);
  class AppModule {}
  Module({ controllers: [CatsController] })(AppModule);
  return AppModule;
}

type Host = { switchToHttp(): { getRequest(): never; getResponse(): never } };

/**
 * src/sdk/README.md's global filter: every exception to `record` (errorHandler(sdk) on Express,
 * recordError on Fastify), then Nest answers as before.
 */
function sloctlFilter({ common, core }: Nest, httpAdapter: unknown, record: (exception: unknown, request: never, response: never) => void): unknown {
  const Base = core.BaseExceptionFilter as new (adapter: unknown) => { catch(exception: unknown, host: Host): void };
  class SloctlExceptionFilter extends Base {
    override catch(exception: unknown, host: Host): void {
      const http = host.switchToHttp();
      record(exception, http.getRequest(), http.getResponse());
      super.catch(exception, host);
    }
  }
  common.Catch()(SloctlExceptionFilter);
  return new SloctlExceptionFilter(httpAdapter);
}

/** A fresh SDK for the cats contract. */
function cats(): Sdk {
  const loaded = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(loaded.contract);
  return instrumentForTest(loaded.contract);
}

/** Nest listening on a free loopback port: its base URL. */
async function listen(app: Record<string, any>): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** What each test sends, and the series it must leave (both platforms: the same answers, the same counts). */
const SENDS: Array<[string, string, string | undefined, number, string]> = [
  ['GET', '/api/cats', undefined, 200, 'a list'],
  ['GET', '/api/cats/1', undefined, 200, 'one'],
  ['GET', '/api/cats/99', undefined, 404, 'a NotFoundException'],
  ['GET', '/api/cats/flaky', undefined, 500, 'an Error caused by a DbTimeoutError'],
  ['POST', '/api/cats', '{"name":"Felix"}', 201, 'made'],
  ['POST', '/api/cats', '{"name":', 400, 'a body the parser refused'],
  ['GET', '/api/nope', undefined, 404, 'Nest\'s not-found handler under the prefix'],
  ['GET', '/nope', undefined, 404, 'outside the prefix'],
];
const SERIES = [
  'GET /api/cats 2xx none 1',
  'GET /api/cats/:id 2xx none 1',
  'GET /api/cats/:id 4xx client 1',
  'GET /api/cats/flaky 5xx transient 1',
  'GET unmatched 4xx client 2',
  'POST /api/cats 2xx none 1',
  'POST /api/cats 4xx client 1',
];

async function sendAll(base: string): Promise<void> {
  for (const [method, path, body, status, what] of SENDS) {
    const r = await fetch(`${base}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    await r.arrayBuffer();
    assert.equal(r.status, status, `${method} ${path}: ${what}`);
  }
}

async function seriesOf(sdk: Sdk): Promise<string[]> {
  return (await samples(sdk.registry, 'http_server_requests_total'))
    .filter((s) => s.value > 0)
    .map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status_class} ${s.labels.error_class} ${s.value}`)
    .sort();
}

describe('the Fastify plugin under NestJS (@nestjs/platform-fastify)', { skip }, () => {
  let sdk: Sdk;
  let app: Record<string, any>;
  let base: string;
  before(async () => {
    const n = nest as Nest;
    sdk = cats();
    app = await n.core.NestFactory.create(appModule(n), new n.fastify.FastifyAdapter(), { logger: false });
    // Registered before Nest adds its routes (at init, in listen): each route's template is known.
    await app.register(sloctl, { sdk });
    app.setGlobalPrefix('api');
    app.useGlobalFilters(sloctlFilter(n, app.get(n.core.HttpAdapterHost).httpAdapter, (exception, _request, reply) => recordError(reply, exception)));
    base = await listen(app);
  });
  after(() => app?.close());

  it('labels by template under the global prefix, classifies thrown errors by name, counts Nest\'s not-found answers unmatched', async () => {
    await sendAll(base);
    assert.deepEqual(await seriesOf(sdk), SERIES);
    // The SDK's own paths, served by the plugin outside Nest's prefix.
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json() as { status: string }).status, 'UP');
  });

  // @nestjs/platform-fastify answers a request whose route parameter is empty (GET /api/cats/,
  // which Fastify's router matches to /api/cats/:id with id '') from inside the route's handler
  // with reply.callNotFound(): Nest's not-found handler, "Cannot GET /api/cats/", as if no route
  // had matched (Express's router matches no route there). Counted unmatched, not as a 404 of
  // GET /api/cats/:id: that route never ran.
  it('counts Nest\'s not-found answer to an empty route parameter unmatched, not under the route', async () => {
    const before = await seriesOf(sdk);
    const r = await fetch(`${base}/api/cats/`);
    assert.equal(r.status, 404);
    assert.match(await r.text(), /Cannot GET \/api\/cats\//);
    const after = await seriesOf(sdk);
    const added = (series: string[], key: string) => Number(series.find((s) => s.startsWith(`${key} `))?.split(' ').at(-1) ?? 0);
    assert.equal(added(after, 'GET unmatched 4xx client') - added(before, 'GET unmatched 4xx client'), 1, after.join('\n'));
    assert.equal(added(after, 'GET /api/cats/:id 4xx client'), added(before, 'GET /api/cats/:id 4xx client'), after.join('\n'));
  });

  it('recordError leaves alone a response the plugin does not track', () => {
    assert.doesNotThrow(() => recordError(undefined, new Error('x')));
    assert.doesNotThrow(() => recordError(null, new Error('x')));
    // Nothing is written onto a response no registration tracks (a health path, no plugin).
    const raw = {};
    recordError({ raw } as never, new Error('x'));
    assert.deepEqual(Reflect.ownKeys(raw), []);
    const node = {};
    recordError(node as never, new Error('x'));
    assert.deepEqual(Reflect.ownKeys(node), []);
  });
});

describe('the Express adapter under NestJS', { skip }, () => {
  let sdk: Sdk;
  let app: Record<string, any>;
  let base: string;
  before(async () => {
    const n = nest as Nest;
    sdk = cats();
    app = await n.core.NestFactory.create(appModule(n), { logger: false });
    app.use(middleware(sdk));
    app.setGlobalPrefix('api');
    const record = errorHandler(sdk);
    app.useGlobalFilters(sloctlFilter(n, app.get(n.core.HttpAdapterHost).httpAdapter, (exception, request, response) => record(exception, request, response, () => {})));
    base = await listen(app);
  });
  after(() => app?.close());

  it('labels by template under the global prefix, classifies thrown errors by name, counts Nest\'s not-found answers unmatched', async () => {
    await sendAll(base);
    assert.deepEqual(await seriesOf(sdk), SERIES);
  });
});
