// Fastify 5: `await app.register(sloctl, { sdk })`, before the routes.
//
// A fastify-plugin style plugin (skip-override, so its hooks apply to the whole application, not
// an encapsulated child). It serves the contract's health and metrics paths as routes, and runs
// nothing per request on Fastify's hook runner (which makes three closures a request: the
// largest part of the SDK's cost on a hello-world, by perf; bench/RESULTS.md):
// - Fastify's own 'request' listener is wrapped: every request is timed from hand-over to the end
//   of its response (Node's http.server.response.finish channel: one subscriber, no listener per
//   request) or of its connection, if that closed first (aborted by the client). Before Fastify
//   routes or reads a body, the wrapper asks the concurrency limit (the request's weight from the
//   contract's route templates, as on Express: a shed request costs Fastify nothing) and applies
//   a drill's hold. Fastify's own answers before any hook (a malformed URL: 400, a parameter
//   over maxParamLength: 414, 503 while closing) and 404s count as unmatched;
// - an `onRoute` hook wraps the handler of every route registered after the plugin: the wrapper
//   notes the route's template (its slot, made once per route and method). A request that ends
//   without reaching a wrapped handler and without an error (a hook answered it: an auth check's
//   401; or its route was registered before the plugin) counts under the contract route its path
//   matches, else unmatched; a 2xx/3xx answered that way warns once (register the plugin first);
// - a global `onError` hook (run only when something threw) keeps the error for classification;
//   thrown before the handler, it also names the route from Fastify's request. A request Fastify
//   rejected on a matched route before its handler ran (a body its content-type parser refused,
//   a schema validation failure: FST_ERR_CTP_*, FST_ERR_VALIDATION) is counted under its route
//   but kept out of the health window, like unmatched junk (health.judge), and its 4xx classified
//   by its status unless a contract class names the error (unrouted.ts, refusalError);
// - `app.inject()` (light-my-request calls Fastify's router, not the server's listener) is timed
//   from the route's handler; HTTP/2 (`http2: true`) ends each request on its response's 'close'.
import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodIndex, METHODS } from '../core/labels.ts';
import type { Sdk } from '../instrument.ts';
import { contractTemplates } from '../contract-templates.ts';
import { refusalError } from '../unrouted.ts';
import { currentResponse, endWithConnection, finisher, isPath, markErrorClass, queuedBehindAnother } from '../node-tracking.ts';
import { answerRejection, slotOfPriority, type Rejection, type Ticket } from '../protect/admission.ts';
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
}

/** The statuses Fastify answers with by itself, before routing or any hook runs (fastify.js). */
const FASTIFY_OWN_STATUSES: ReadonlySet<number> = new Set([400, 414, 500, 503]);

/**
 * The symbols under which each registration of the plugin keeps its requests' state on Node's
 * response, for recordError. One per registration, not one for the module: the finish channel
 * publishes every response of the process to every registration, and each must find only its own.
 */
const stateKeys = new Set<symbol>();

/** The SDKs the plugin was registered with, per server (the root app's and every child context's). */
const registered = new WeakMap<object, Set<Sdk>>();

/**
 * Hands the plugin an error a framework answered by itself, so the request is classified by the
 * error (its name, code and cause chain, as the contract's errorClasses say) and not only by the
 * status sent. NestJS on Fastify needs it: Nest's exception filter catches what a controller throws
 * and answers it, so Fastify's onError hook (where the plugin sees errors) never runs. Call it from
 * a global exception filter with Nest's response (a FastifyReply) or Node's; a request the plugin
 * does not track (no plugin registered, a health path) is left alone. The first error recorded for
 * a request is kept.
 */
export function recordError(reply: FastifyReply | ServerResponse | undefined | null, error: unknown): void {
  const res = reply === undefined || reply === null ? undefined : 'raw' in reply ? reply.raw : reply;
  if (res === null || typeof res !== 'object' || error === undefined) return;
  for (const key of stateKeys) {
    const state = (res as unknown as Record<symbol, RequestState | undefined>)[key];
    if (state !== undefined && state.error === undefined) state.error = error;
  }
}

/** A request in flight: when it began, the route its handler saw, what it threw, its limiter ticket. */
class RequestState {
  slot: RouteSlot | undefined = undefined;
  /** Fastify's request, once a wrapped handler ran: asked at the end whether the handler passed it to the not-found handler. */
  request: FastifyRequest | undefined = undefined;
  error: unknown = undefined;
  ticket: Ticket | undefined = undefined;
  done = false;
  constructor(readonly start: number) {}
}

type RouteHandler = (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;
type Wrapped = RouteHandler & { [kOriginal]?: RouteHandler };
/** On a wrapped handler: the route's own, so a route copied from a wrapped one (HEAD from GET) is wrapped once. */
const kOriginal = Symbol('sloctl.handler');

function sloctlPlugin(fastify: FastifyInstance, opts: FastifyPluginOptions, done: (err?: Error) => void): void {
  const sdk = opts?.sdk;
  if (sdk === undefined || typeof sdk.recorder !== 'object') {
    done(new TypeError('sloctl: register the plugin with the SDK: app.register(sloctl, { sdk: instrument(\'slo.yaml\') })'));
    return;
  }
  // Registered again with the same SDK (twice on the app, or again in an encapsulated child): every
  // request would be tracked twice, under two states, and /healthz declared twice (Fastify's
  // FST_ERR_DUPLICATED_ROUTE). Where the first registration is this context's or an ancestor's,
  // its listener and hooks cover this context already: nothing more to do. In a sibling context its
  // hooks do not reach these routes: refused, saying where to register instead.
  const onServer = registered.get(fastify.server);
  if (onServer?.has(sdk)) {
    if ((fastify as { sloctl?: unknown }).sloctl === sdk) {
      done();
      return;
    }
    done(new Error('sloctl: the plugin is registered a second time with the same SDK, in a plugin context the first registration\'s hooks do not reach (a sibling of the one it is in): register it once, on the root app (await app.register(sloctl, { sdk })) before every route and plugin, and remove the other registrations'));
    return;
  }
  if (onServer === undefined) registered.set(fastify.server, new Set([sdk]));
  else onServer.add(sdk);
  const routes = sdk.routes;
  const recorder = sdk.recorder;
  const finish = finisher(sdk);
  const classifier = sdk.classifier;
  // The module-level functions and class a request uses, read from this plugin's closure (which
  // every request reads anyway) rather than through their imports' cells or the module's context,
  // objects nothing else of a request touches: the recorder's header says why (cache lines).
  const State = RequestState;
  const isPathOf = isPath;
  const queued = queuedBehindAnother;
  const methodOf = methodIndex;
  const serve = opts.serve ?? true;
  const healthPath = serve ? sdk.paths.health : undefined;
  const metricsPath = serve ? sdk.paths.metrics : undefined;
  const drill = sdk.drill;
  const drillServed = serve ? drill : undefined;
  const admission = sdk.admission;

  if (!fastify.hasDecorator('sloctl')) fastify.decorate('sloctl', sdk);

  for (const [path, respond] of [[healthPath, (url: string) => sdk.healthResponse(url)], [metricsPath, () => sdk.metricsResponse()]] as const) {
    if (path === undefined) continue;
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const r = await respond(request.url); // the query: /healthz?include=config
      reply.code(r.status).header('content-type', r.contentType).header('cache-control', 'no-store');
      return r.body;
    };
    fastify.route({ method: 'GET', url: path, logLevel: 'warn', handler });
  }

  // The route of a request an error reached before its handler, read from Fastify's request
  // (only on that path: the route table caches each template's slot).
  const slotOf = (request: FastifyRequest): RouteSlot => {
    const url = request.is404 ? undefined : request.routeOptions.url;
    return url === undefined ? routes.unmatchedFor(request.method, request.url) : routes.lookup(request.method, url);
  };

  // A request that ended without reaching a handler this plugin wrapped, without an error, and
  // not answered by Fastify before routing (those are unmatched, in the listener below): a 404, a
  // hook that answered (an auth check's 401), or a route registered before the plugin (onRoute
  // never saw it). Its route is then the contract's template its path matches, as with the
  // node:http adapter, unless it was a 404 (no route took it); else unmatched.
  const contractTemplate = contractTemplates(sdk).any;
  let warnedUnwrapped = false;
  const slotWithoutHandler = (req: IncomingMessage, res: ServerResponse): RouteSlot => {
    const template = res.statusCode === 404 || req.url === undefined ? undefined : contractTemplate(req.url);
    if (res.statusCode < 400 && !warnedUnwrapped && res.writableFinished) {
      warnedUnwrapped = true;
      process.emitWarning(`sloctl: ${req.method} ${req.url} was answered ${res.statusCode} without reaching a handler the sloctl plugin wrapped: a route registered before app.register(sloctl) (register the plugin first, so each route's template is known), or a hook that answered it; counted as ${template ?? 'unmatched'}`, { code: 'SLOCTL_FASTIFY_ROUTE_UNSEEN' });
    }
    return template === undefined ? routes.unmatchedFor(req.method, req.url) : routes.lookup(req.method, template);
  };

  // What the plugin knows of a request in flight, kept on Node's response under a symbol: found
  // there by the route's handler wrapper, the onError hook, recordError and the end (the finish
  // channel gives the response). One small object a request, and nothing else allocated per request by sloctl
  // but the limiter's ticket.
  const kState = Symbol('sloctl.state');
  stateKeys.add(kState);
  const states = {
    get: (res: ServerResponse): RequestState | undefined => (res as unknown as Record<symbol, RequestState | undefined>)[kState],
    set: (res: ServerResponse, state: RequestState) => { (res as unknown as Record<symbol, RequestState | undefined>)[kState] = state; },
    has: (res: ServerResponse) => (res as unknown as Record<symbol, RequestState | undefined>)[kState] !== undefined,
  };
  // HTTP/2 responses are not published on the channel below and have no connection of their
  // own: there each request ends on its response's 'close'.
  const closePerRequest = fastify.initialConfig.http2 === true;
  // Timed from now; ended by the response's 'close' (closeListener) or else by the finish channel
  // and the connection's 'close' below.
  const track = (req: IncomingMessage, res: ServerResponse, closeListener: boolean): RequestState => {
    const state = new State(recorder.begin());
    states.set(res, state);
    if (closeListener) res.on('close', () => end(res, state));
    // A pipelined request's queued response: Node emits nothing for it if the connection closes first.
    else if (queued(req, res)) endWithConnection(req.socket, res, () => end(res, state, true));
    return state;
  };
  // A request the server's listener never saw: app.inject() (light-my-request calls Fastify's
  // router directly), timed from its handler, ended when its response finishes (light-my-request
  // resolves inject() on 'finish', before 'close') or closes.
  const injected = (res: ServerResponse): RequestState => {
    const state = track(res.req, res, true);
    res.once('finish', () => end(res, state, false)); // light-my-request's writableFinished stays false
    return state;
  };
  // Ended once: when Node finishes the response (diagnostics_channel, below), or when its
  // connection closes first (the client went away: aborted).
  const end = (res: ServerResponse, state: RequestState, aborted = !res.writableFinished): void => {
    if (state.done) return;
    state.done = true;
    const error = state.error;
    const slot = state.slot === undefined ? slotWithoutHandler(res.req, res)
      // The handler passed the request to the not-found handler (reply.callNotFound(): NestJS's
      // Fastify adapter does so for an empty route parameter, GET /users/ matched to /users/:id):
      // answered as if no route matched, so counted as one that none did.
      : res.statusCode === 404 && state.request?.is404 === true ? routes.unmatchedFor(res.req.method, res.req.url)
      : state.slot;
    // A shed request, or one Fastify rejected before its handler, never reached the handler:
    // counted under its route, kept out of health; a rejection's 4xx is classified by its status
    // unless a contract class names its error (a malformed body is not a fault of the service).
    const ms = error === undefined || !(error === SHED_ERROR || rejectedBeforeHandler(error))
      ? finish(res, slot, error, state.start, true, aborted)
      : finish(res, slot, error === SHED_ERROR ? error : refusalError(classifier, error, res.statusCode), state.start, false, aborted);
    state.ticket?.finish(aborted, state.start + ms);
  };
  // No listener per request: Node publishes every finished response on this channel (one
  // subscriber for the whole server), and a connection's 'close' (one listener per connection)
  // ends the response it was serving if that never finished (the ones pipelined behind it: track).
  // Published from the response's 'finish': not aborted, so `end` need not ask writableFinished
  // (a chain of getters down to the socket's writableLength, every request).
  const onFinish = (message: unknown): void => {
    const res = (message as { response?: ServerResponse }).response;
    const state = res === undefined ? undefined : states.get(res);
    if (state !== undefined) end(res!, state, false);
  };
  dc.subscribe('http.server.response.finish', onFinish);
  fastify.addHook('onClose', (_instance, doneClosing) => {
    dc.unsubscribe('http.server.response.finish', onFinish);
    stateKeys.delete(kState);
    registered.get(fastify.server)?.delete(sdk);
    doneClosing();
  });
  // The socket HTTP runs on: the TLS one on an https server (its 'connection' is the raw TCP socket).
  // (Told apart without importing node:tls: in a process that had not loaded it, loading it made
  // the instrumented hello-world ~15% dearer a request, as more loaded code does; bench/RESULTS.md.)
  const tls = typeof (fastify.server as { setSecureContext?: unknown }).setSecureContext === 'function';
  fastify.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.once('close', () => {
      const res = currentResponse(socket);
      const state = res === undefined ? undefined : states.get(res);
      if (state !== undefined) end(res!, state);
    });
  });
  // A request turned away by the limiter never reaches Fastify: answered here, counted under the
  // contract route its path matches (else unmatched), kept out of health (SHED_ERROR).
  const shed = (req: IncomingMessage, res: ServerResponse, state: RequestState, r: Rejection): false => {
    state.error = SHED_ERROR;
    state.slot = slotOfPriority(routes, r.priority, req.method, req.url);
    answerRejection(res, r);
    return false;
  };
  const holdForDrill = (): true | Promise<true> => {
    const held = drill === undefined ? undefined : drill.hold();
    return held === undefined ? true : held.then(() => true as const);
  };
  // In front of Fastify, before it routes or reads the body: the concurrency limit
  // (objectives.concurrency.limit; the request's weight from the contract's route templates, as
  // on Express) and an unsettled-promises drill fault's hold. true: go on now; false: answered
  // (shed) or abandoned; a promise: go on when it says true. Only the waiting paths allocate.
  const gate = (req: IncomingMessage, res: ServerResponse, state: RequestState): boolean | Promise<boolean> => {
    if (admission.active) {
      const priority = admission.priorityOf(req.method, req.url);
      if (priority !== undefined) {
        const a = admission.admit(priority, state.start);
        if ('then' in a) {
          return a.then((r) => {
            if (!r.admitted) return shed(req, res, state, r);
            if (res.destroyed || state.done) { // its client left while it waited (a pipelined request's connection closed: ended, not destroyed)
              r.ignore();
              state.slot = slotOfPriority(routes, priority, req.method, req.url);
              return false;
            }
            state.ticket = r;
            return holdForDrill();
          });
        }
        if (!a.admitted) return shed(req, res, state, a);
        state.ticket = a;
      }
    }
    return holdForDrill();
  };

  // Every route registered after the plugin: its handler is wrapped to note the request's route
  // (one slot per method, made on first use). No hook runs per request: Fastify's hook runner
  // (three closures a request) was the largest part of the SDK's cost on a hello-world (perf,
  // bench/RESULTS.md).
  fastify.addHook('onRoute', (routeOptions) => {
    const handler = ((routeOptions.handler as Wrapped)[kOriginal] ?? routeOptions.handler) as RouteHandler;
    const template = routeOptions.url;
    if (typeof handler !== 'function' || template === undefined) return;
    const slots = new Array<RouteSlot | undefined>(METHODS.length).fill(undefined);
    const wrapped: Wrapped = function sloctlRoute(this: unknown, request: FastifyRequest, reply: FastifyReply): unknown {
      const res = reply.raw;
      const state = states.get(res) ?? injected(res);
      const m = methodOf(request.method);
      state.slot = slots[m] ?? (slots[m] = routes.lookup(request.method, template));
      state.request = request;
      return handler.call(this, request, reply);
    };
    wrapped[kOriginal] = handler;
    routeOptions.handler = wrapped as typeof routeOptions.handler;
  });

  fastify.addHook('onError', function sloctlError(request, reply, error, next) {
    const state = states.get(reply.raw);
    if (state !== undefined) {
      state.error = error;
      // Thrown before the handler (a hook, a body the parser refused, a schema): the route is Fastify's.
      if (state.slot === undefined) state.slot = slotOf(request);
      // The error answer is marked with the error's class (sloctl-error-class) when its status would class it otherwise.
      if (!rejectedBeforeHandler(error)) markErrorClass(classifier, reply.raw, error);
    }
    next();
  });

  // Every request is seen by wrapping Fastify's own 'request' listener: timed from hand-over,
  // including the ones Fastify answers without running any hook or handler (a malformed URL:
  // 400, a parameter over maxParamLength: 414, 503 while closing). The drill endpoint (when a
  // drill token is set) answers on the raw response, before Fastify reads anything. Wrapping
  // rather than adding a second listener keeps Node's single-listener fast path.
  const server = fastify.server;
  const listeners = server.listeners('request');
  if (listeners.length === 1) {
    const fastifyListener = listeners[0] as (req: IncomingMessage, res: ServerResponse) => void;
    const dispatch = (self: unknown, req: IncomingMessage, res: ServerResponse, state: RequestState): void => {
      fastifyListener.call(self, req, res);
      // Answered already, by no handler of a route, with what Fastify answers by itself before
      // routing or hooks (a malformed URL: 400, a parameter over maxParamLength: 414, an async
      // constraint's failure: 500, 503 while closing): unmatched. (A hook that answered at once
      // with another status, an auth check's 401, is counted under its contract route, at the end.)
      if (state.slot === undefined && res.headersSent && FASTIFY_OWN_STATUSES.has(res.statusCode)) state.slot = routes.unmatchedFor(req.method, req.url);
    };
    server.removeListener('request', fastifyListener);
    server.on('request', function sloctlRequest(this: unknown, req: IncomingMessage, res: ServerResponse) {
      if (drillServed !== undefined && drillServed.serve(req, res)) return;
      const url = req.url;
      if (isPathOf(url, healthPath) || isPathOf(url, metricsPath)) {
        fastifyListener.call(this, req, res);
        return;
      }
      const state = track(req, res, closePerRequest);
      const go = admission.active || drill !== undefined ? gate(req, res, state) : true;
      if (go === true) dispatch(this, req, res, state);
      else if (go !== false) void go.then((ok) => ok && dispatch(this, req, res, state));
    });
  } else {
    // A server whose 'request' listeners are not Fastify's one (a serverFactory that dispatches
    // itself): an onRequest hook does the listener's work, from Fastify's hand-over to the hooks.
    fastify.addHook('onRequest', function sloctlStart(request, reply, next) {
      const req = request.raw;
      const res = reply.raw;
      if (drillServed !== undefined && drillServed.serve(req, res)) {
        reply.hijack();
        next();
        return;
      }
      if (states.has(res) || isPathOf(req.url, healthPath) || isPathOf(req.url, metricsPath)) {
        next();
        return;
      }
      const state = track(req, res, closePerRequest);
      const go = admission.active || drill !== undefined ? gate(req, res, state) : true;
      if (go === true) next();
      else if (go === false) reply.hijack(); // answered on the raw response (shed), or abandoned
      else {
        void go.then((ok) => {
          if (ok) next();
          else reply.hijack();
        });
      }
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
