// Fastify 5: `await app.register(sloctl, { sdk })`, before the routes.
//
// A fastify-plugin style plugin (skip-override, so its hooks apply to the whole application, not
// an encapsulated child). It serves the contract's health and metrics paths as routes, and:
// - a global `onRequest` hook starts the timer and listens for the response's 'close' (finished,
//   or aborted by the client); it runs for every route, including ones registered before the
//   plugin, and for 404s; the route's slot is resolved once per route and cached (see below);
// - a global `onError` hook keeps the thrown error for classification (in a request decorator,
//   which Fastify pre-shapes, so the store is cheap);
// - requests Fastify answers before running any hook (a malformed URL: 400, a parameter over
//   maxParamLength: 414, 503 while closing) are seen by wrapping Fastify's own request listener,
//   and counted as unmatched;
// - a request Fastify rejected on a matched route before its handler ran (a body its content-type
//   parser refused, a schema validation failure: FST_ERR_CTP_*, FST_ERR_VALIDATION) is counted
//   under its route but kept out of the health window, like unmatched junk (health.judge).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodIndex, METHODS } from '../core/labels.ts';
import type { Sdk } from '../instrument.ts';
import { finisher, isPath } from '../node-tracking.ts';
import { rejectionBody, type Rejection, type Ticket } from '../protect/admission.ts';
import { SHED_ERROR } from '../../contract/classify.ts';
import type { RouteSlot } from '../route-table.ts';

/** Fastify's own rejections of a request before its handler: a body it could not parse, a schema it failed. */
export function rejectedBeforeHandler(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('FST_ERR_CTP_') || code === 'FST_ERR_VALIDATION');
}

export interface FastifyPluginOptions {
  sdk: Sdk;
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    sloctl: Sdk;
  }
  interface FastifyRequest {
    sloctlError: unknown;
  }
}

function sloctlPlugin(fastify: FastifyInstance, opts: FastifyPluginOptions, done: (err?: Error) => void): void {
  const sdk = opts?.sdk;
  if (sdk === undefined || typeof sdk.recorder !== 'object') {
    done(new TypeError('sloctl: register the plugin with the SDK: app.register(sloctl, { sdk: instrument(\'slo.yaml\') })'));
    return;
  }
  const routes = sdk.routes;
  const recorder = sdk.recorder;
  const finish = finisher(sdk);
  const serve = opts.serve ?? true;
  const healthPath = serve ? sdk.paths.health : undefined;
  const metricsPath = serve ? sdk.paths.metrics : undefined;
  const drill = sdk.drill;
  const drillServed = serve ? drill : undefined;
  const admission = sdk.admission;

  if (!fastify.hasDecorator('sloctl')) fastify.decorate('sloctl', sdk);
  if (!fastify.hasRequestDecorator('sloctlError')) fastify.decorateRequest('sloctlError', undefined);

  for (const [path, respond] of [[healthPath, (url: string) => sdk.healthResponse(url)], [metricsPath, () => sdk.metricsResponse()]] as const) {
    if (path === undefined) continue;
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const r = await respond(request.url); // the query: /healthz?include=config
      reply.code(r.status).header('content-type', r.contentType).header('cache-control', 'no-store');
      return r.body;
    };
    fastify.route({ method: 'GET', url: path, logLevel: 'warn', handler });
  }

  // The route a request matched, cached per route: Fastify keeps one context object per route
  // on each request (under its internal 'fastify.context' symbol); the slot is computed once per
  // route and method and kept on that context. If a Fastify version has no such symbol, the
  // public (allocating) `request.routeOptions` is read instead. Measured: a route-level hook to
  // hand the slot over cost about as much again as the rest of the instrumentation.
  let kRouteContext: symbol | null | undefined;
  const kSlots = Symbol('sloctl.slots');
  const lookup = (request: FastifyRequest): RouteSlot => {
    const url = request.routeOptions.url;
    return url === undefined ? routes.unmatchedFor(request.method, request.url) : routes.lookup(request.method, url);
  };
  // Whether the context is Fastify's not-found one (request.is404, a getter) is known once per
  // context too: its slots are null.
  const slotOf = (request: FastifyRequest, req: IncomingMessage): RouteSlot => {
    if (kRouteContext === undefined) {
      kRouteContext = Object.getOwnPropertySymbols(request).find((k) => k.description === 'fastify.context') ?? null;
    }
    const context = kRouteContext === null ? undefined : (request as unknown as Record<symbol, Record<symbol, (RouteSlot | undefined)[] | null> | undefined>)[kRouteContext];
    if (context === undefined || context === null) return request.is404 ? routes.unmatchedFor(req.method, req.url) : lookup(request);
    let slots = context[kSlots];
    if (slots === undefined) slots = context[kSlots] = request.is404 ? null : new Array<RouteSlot | undefined>(METHODS.length).fill(undefined);
    if (slots === null) return routes.unmatchedFor(req.method, req.url);
    const m = methodIndex(req.method);
    return slots[m] ?? (slots[m] = lookup(request));
  };

  // Not a closure made per request: under tsx (keepNames) each named closure also costs an
  // Object.defineProperty, measured at 0.65 µs a request.
  const shed = (request: FastifyRequest, reply: FastifyReply, r: Rejection) => {
    request.sloctlError = SHED_ERROR;
    reply.code(r.status).header('retry-after', String(r.retryAfterSeconds)).header('cache-control', 'no-store')
      .type('text/plain; charset=utf-8').send(rejectionBody(r));
  };

  let hooked: IncomingMessage | undefined;
  fastify.addHook('onRequest', function sloctlStart(request, reply, next) {
    const req = request.raw;
    hooked = req;
    // The drill endpoint (when a drill token is set) answers on the raw response, before Fastify reads the body.
    if (drillServed !== undefined && drillServed.serve(req, reply.raw)) {
      reply.hijack();
      next();
      return;
    }
    if (!(isPath(req.url, healthPath) || isPath(req.url, metricsPath))) {
      const start = recorder.begin();
      const res = reply.raw;
      let ticket: Ticket | undefined;
      res.on('close', () => {
        const error = request.sloctlError;
        // A shed request never reached its handler: counted under its route, kept out of health.
        // The route is read at the end: reply.callNotFound() moves a request to the not-found route.
        const ms = finish(res, slotOf(request, req), error, start, error === undefined || !(error === SHED_ERROR || rejectedBeforeHandler(error)));
        // The limiter's sample from the recorder's clock read, not one of its own: the ticket's
        // time runs from when it was let in (later than start only when it queued).
        ticket?.finish(!res.writableFinished, start + ms);
      });
      // The concurrency limit (objectives.concurrency.limit): let in, queued, or answered 503.
      if (admission.active) {
        const priority = admission.priorityOfSlot(slotOf(request, req));
        if (priority !== undefined) {
          const a = admission.admit(priority, start);
          if ('then' in a) {
            void a.then((r) => {
              if (!r.admitted) shed(request, reply, r);
              else if (res.destroyed) r.ignore(); // its client left while it waited
              else {
                ticket = r;
                const held = drill === undefined ? undefined : drill.hold();
                if (held === undefined) next();
                else void held.then(() => next());
              }
            });
            return;
          }
          if (!a.admitted) {
            shed(request, reply, a);
            return;
          }
          ticket = a;
        }
      }
      // An unsettled-promises drill fault holds some requests before their handler.
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) {
        void held.then(() => next());
        return;
      }
    }
    next();
  });

  fastify.addHook('onError', function sloctlError(request, _reply, error, next) {
    request.sloctlError = error;
    next();
  });

  // Requests Fastify answers by itself (no hook runs): seen by wrapping Fastify's own 'request'
  // listener, which calls our onRequest hook synchronously when it runs hooks at all. Wrapping
  // rather than adding a second listener keeps Node's single-listener fast path.
  const server = fastify.server;
  const listeners = server.listeners('request');
  const unhooked = (req: IncomingMessage, res: ServerResponse) => {
    // Not answered yet: an asynchronous hook of a plugin registered before this one runs first,
    // and ours will follow (register sloctl first to keep its timing from the hand-over).
    if (!res.headersSent) return;
    // Fastify answered by itself, synchronously: the time is the answer's, from now.
    const slot = routes.unmatchedFor(req.method, req.url);
    const start = recorder.begin();
    if (res.writableFinished) finish(res, slot, undefined, start);
    else res.on('close', () => finish(res, slot, undefined, start));
  };
  if (listeners.length === 1) {
    const fastifyListener = listeners[0] as (req: IncomingMessage, res: ServerResponse) => void;
    server.removeListener('request', fastifyListener);
    server.on('request', function sloctlRequest(this: unknown, req: IncomingMessage, res: ServerResponse) {
      fastifyListener.call(this, req, res);
      if (hooked === req) hooked = undefined;
      else unhooked(req, res);
    });
  }

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
