// Fastify 5: `await app.register(sloctl, { sdk })`, before the routes.
//
// A fastify-plugin style plugin (skip-override, so its hooks apply to the whole application, not
// an encapsulated child). It serves the contract's health and metrics paths as routes, and:
// - the timer starts on the server's 'request' event, before Fastify routes the request: so even
//   the requests Fastify answers without running any hook (a malformed URL: 400, a parameter
//   over maxParamLength: 414) are counted, as unmatched;
// - `onRoute`: each route registered afterwards gets a small onRequest hook that hands over its
//   route slot, resolved once at registration (no lookup per request);
// - a global `onRequest` hook keeps the request, so routes registered before the plugin are
//   still measured (through a slower lookup) and 404s are told apart;
// - a global `onError` hook keeps the thrown error for classification;
// - the Node response's 'close' ends the timer: finished, or aborted by the client.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { methodIndex, METHODS } from '../core/labels.ts';
import type { Sdk } from '../instrument.ts';
import { kContext, kError, kSlot, responseTracker, type TrackedResponse } from '../node-tracking.ts';
import type { RouteSlot } from '../route-table.ts';

export interface FastifyPluginOptions {
  sdk: Sdk;
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

const kSkip = Symbol.for('sloctl.skip');

declare module 'fastify' {
  interface FastifyInstance {
    sloctl: Sdk;
  }
}

function sloctlPlugin(fastify: FastifyInstance, opts: FastifyPluginOptions, done: (err?: Error) => void): void {
  const sdk = opts?.sdk;
  if (sdk === undefined || typeof sdk.recorder !== 'object') {
    done(new TypeError('sloctl: register the plugin with the SDK: app.register(sloctl, { sdk: instrument(\'slo.yaml\') })'));
    return;
  }
  const routes = sdk.routes;

  const track = responseTracker(sdk, (res: TrackedResponse): RouteSlot => {
    const slot = res[kSlot];
    if (slot !== undefined) return slot;
    const request = res[kContext] as FastifyRequest | undefined;
    if (request === undefined || request.is404) return routes.unmatchedFor(res.req.method, res.req.url);
    const url = request.routeOptions.url;
    return url === undefined ? routes.unmatchedFor(request.method, request.url) : routes.lookup(request.method, url);
  });

  if (!fastify.hasDecorator('sloctl')) fastify.decorate('sloctl', sdk);

  if (opts.serve ?? true) {
    for (const [path, respond] of [[sdk.paths.health, () => sdk.healthResponse()], [sdk.paths.metrics, () => sdk.metricsResponse()]] as const) {
      if (path === undefined) continue;
      fastify.route({
        method: 'GET',
        url: path,
        config: { [kSkip]: true },
        logLevel: 'warn',
        onRequest: (_request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => {
          track.untrack(reply.raw);
          next();
        },
        handler: async (_request: FastifyRequest, reply: FastifyReply) => {
          const r = await respond();
          reply.code(r.status).header('content-type', r.contentType).header('cache-control', 'no-store');
          return r.body;
        },
      });
    }
  }

  fastify.addHook('onRoute', (route: RouteOptions) => {
    if ((route.config as Record<symbol, unknown> | undefined)?.[kSkip]) return;
    const url = route.url;
    const bySlot: (RouteSlot | undefined)[] = new Array(METHODS.length).fill(undefined);
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) bySlot[methodIndex(m)] = routes.lookup(m, url);
    const handOver = function sloctlRoute(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) {
      (reply.raw as TrackedResponse)[kSlot] = bySlot[methodIndex(request.method)] ?? routes.lookup(request.method, url);
      next();
    };
    const own = route.onRequest;
    route.onRequest = own === undefined ? [handOver] : [handOver, ...(Array.isArray(own) ? own : [own])] as never;
  });

  fastify.server.prependListener('request', (_req: unknown, res: ServerResponse) => {
    track(res);
  });

  fastify.addHook('onRequest', function sloctlRequest(request, reply, next) {
    (reply.raw as TrackedResponse)[kContext] = request;
    next();
  });

  fastify.addHook('onError', function sloctlError(_request, reply, error, next) {
    (reply.raw as TrackedResponse)[kError] = error;
    next();
  });

  done();
}

// What fastify-plugin would set: do not encapsulate, and name the plugin.
const plugin = Object.assign(sloctlPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'sloctl',
  [Symbol.for('plugin-meta')]: { name: 'sloctl', fastify: '5.x' },
});

export { plugin as sloctl, plugin };
export default plugin;
