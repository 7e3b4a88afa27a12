// One application, built on each of the five adapters, so the conformance suite can send the
// same requests to each and expect the same metrics. Every server listens on 127.0.0.1, port 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import KoaRouter from '@koa/router';
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { Sdk } from 'sloctl/sdk';
import { errorHandler, middleware as expressMiddleware } from 'sloctl/sdk/express';
import sloctlFastify from 'sloctl/sdk/fastify';
import { middleware as honoMiddleware } from 'sloctl/sdk/hono';
import { wrap } from 'sloctl/sdk/http';
import { middleware as koaMiddleware } from 'sloctl/sdk/koa';
import { templateMatcher } from 'sloctl/sdk';

export class PaymentsUnavailableError extends Error {
  override name = 'PaymentsUnavailableError';
}
export class DbError extends Error {}
export class DeadlockError extends DbError {}

export interface Input {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The Node response underneath the framework (for the abort test). */
  raw: ServerResponse;
}
export interface Reply {
  status: number;
  body?: string;
}

/** Lets a test wait for things that happen inside the server, without sleeping. */
export class Signals {
  private waiters = new Map<string, Array<() => void>>();
  private fired = new Set<string>();
  fire(name: string): void {
    this.fired.add(name);
    for (const w of this.waiters.get(name) ?? []) w();
    this.waiters.delete(name);
  }
  wait(name: string): Promise<void> {
    if (this.fired.has(name)) {
      this.fired.delete(name);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.waiters.get(name) ?? [];
      list.push(() => {
        this.fired.delete(name);
        resolve();
      });
      this.waiters.set(name, list);
    });
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function routesFor(signals: Signals): Array<{ method: 'GET' | 'POST'; path: string; handle: (i: Input) => Promise<Reply> }> {
  return [
    { method: 'GET', path: '/products/:id', handle: async ({ params }) => (params.id === '0' ? { status: 404, body: 'no such product' } : { status: 200, body: `product ${params.id}` }) },
    { method: 'GET', path: '/orders', handle: async () => ({ status: 200, body: '[]' }) },
    {
      method: 'POST', path: '/orders', handle: async ({ query }) => {
        switch (query.get('fail')) {
          case 'transient': throw new Error('order failed', { cause: new Error('charge failed', { cause: new PaymentsUnavailableError('payments down') }) });
          case 'deadlock': throw new DeadlockError('deadlock detected');
          case 'aggregate': throw new AggregateError([new Error('first'), Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })], 'all attempts failed');
          default: return { status: 201, body: '{"id":1}' };
        }
      },
    },
    { method: 'GET', path: '/boom', handle: async () => { throw new Error('a bug'); } },
    { method: 'GET', path: '/status/:code', handle: async ({ params }) => ({ status: Number(params.code), body: '' }) },
    { method: 'GET', path: '/slow', handle: async ({ query }) => { await delay(Number(query.get('ms') ?? 0)); return { status: 200, body: 'slow' }; } },
    {
      method: 'GET', path: '/hang', handle: async ({ raw }) => {
        await new Promise<void>((resolve) => {
          raw.on('close', () => {
            signals.fire('hang-closed');
            resolve();
          });
          signals.fire('hang-entered');
        });
        return { status: 200, body: 'too late' };
      },
    },
    { method: 'GET', path: '/readyz', handle: async () => ({ status: 200, body: 'ready' }) },
    { method: 'GET', path: '/livez', handle: async () => ({ status: 200, body: 'live' }) },
  ];
}

export interface Running {
  url: string;
  close(): Promise<void>;
}

export type AdapterName = 'http' | 'express' | 'fastify' | 'koa' | 'hono';
export const ADAPTERS: readonly AdapterName[] = ['http', 'express', 'fastify', 'koa', 'hono'];

const urlOf = (s: Server | ServerType) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listen = (s: Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
const closeServer = (s: Server | ServerType) => new Promise<void>((resolve) => {
  (s as Server).closeAllConnections?.();
  s.close(() => resolve());
});

function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

export async function startApp(adapter: AdapterName, sdk: Sdk, signals = new Signals()): Promise<Running> {
  const routes = routesFor(signals);
  switch (adapter) {
    case 'http': {
      const matchers = routes.map((r) => ({ r, match: templateMatcher([r.path]) }));
      const templateOf = new WeakMap<IncomingMessage, string>();
      const server = createServer(wrap(async (req, res) => {
        const url = req.url ?? '/';
        const hit = matchers.find((m) => m.r.method === (req.method === 'HEAD' ? 'GET' : req.method) && m.match(url) !== undefined);
        if (!hit) {
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        templateOf.set(req, hit.r.path);
        const names = hit.r.path.split('/');
        const parts = url.split('?')[0].split('/');
        const params = Object.fromEntries(names.flatMap((n, i) => (n.startsWith(':') ? [[n.slice(1), parts[i]]] : [])));
        const reply = await hit.r.handle({ params, query: queryOf(url), raw: res });
        if (res.destroyed) return;
        res.statusCode = reply.status;
        res.end(reply.body ?? '');
      }, sdk, { route: (req) => templateOf.get(req), onError: () => {} }));
      server.keepAliveTimeout = 60_000;
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'express': {
      const app = express();
      app.use(expressMiddleware(sdk));
      for (const r of routes) {
        app[r.method === 'GET' ? 'get' : 'post'](r.path, async (req, res) => {
          const reply = await r.handle({ params: req.params as Record<string, string>, query: queryOf(req.originalUrl), raw: res });
          if (res.destroyed) return;
          res.status(reply.status).send(reply.body ?? '');
        });
      }
      app.use(errorHandler(sdk));
      app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send('error');
      });
      const server = createServer(app);
      server.keepAliveTimeout = 60_000;
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'fastify': {
      const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
      await app.register(sloctlFastify, { sdk });
      for (const r of routes) {
        app.route({
          method: r.method, url: r.path, handler: async (req, reply) => {
            const out = await r.handle({ params: req.params as Record<string, string>, query: queryOf(req.url), raw: reply.raw });
            reply.code(out.status);
            return out.body ?? '';
          },
        });
      }
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: urlOf(app.server), close: async () => { app.server.closeAllConnections(); await app.close(); } };
    }
    case 'koa': {
      const app = new Koa();
      app.silent = true;
      app.use(koaMiddleware(sdk));
      const router = new KoaRouter();
      for (const r of routes) {
        router[r.method === 'GET' ? 'get' : 'post'](r.path, async (ctx) => {
          const out = await r.handle({ params: ctx.params as Record<string, string>, query: queryOf(ctx.originalUrl), raw: ctx.res });
          ctx.status = out.status;
          ctx.body = out.body ?? '';
        });
      }
      app.use(router.routes());
      const server = createServer(app.callback());
      server.keepAliveTimeout = 60_000;
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'hono': {
      const app = new Hono<{ Bindings: { outgoing: ServerResponse } }>();
      app.use('*', honoMiddleware(sdk));
      for (const r of routes) {
        app.on(r.method, r.path, async (c) => {
          const out = await r.handle({ params: c.req.param() as Record<string, string>, query: queryOf(c.req.url), raw: c.env.outgoing });
          return c.body(out.body ?? '', out.status as 200);
        });
      }
      app.onError((_err, c) => c.text('error', 500));
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      (server as Server).keepAliveTimeout = 60_000;
      return { url: urlOf(server), close: () => closeServer(server) };
    }
  }
}
