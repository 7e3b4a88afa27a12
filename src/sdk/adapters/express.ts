// Express 5: `app.use(middleware(sdk))` first, before any route; optionally
// `app.use(errorHandler(sdk))` after the routes, so thrown errors are classified by their name,
// code and cause chain (without it, by the status Express answers with).
//
// The route label is the template Express matched, read when the response is finished: the
// route's own path (`req.route.path`) after the template of the path its routers were mounted at
// (express-mounts.ts: `req.baseUrl` is the actual path, '/v1/users/4/orders', which must not
// reach the label). A base no chain of routers explains (a sub-application's mount, a RegExp) is
// labelled by the contract's template it matches, else as Express gives it.
//
// A request Express answered without reaching a route (no `req.route`: `express.json()` before the
// routes refused its body, an auth middleware answered 401) is counted under the contract route
// whose method and template match its path, unless it was a 404 or 405 (no route takes it);
// else as unmatched (unrouted.ts). So is one a catch-all route (a path that is only a wildcard,
// `*path` or `/{*path}`) answered with 404, 405 or 501: that route is a not-found handler (NestJS
// mounts `router.all('*path')` under its global prefix to answer `/api/nope`), and its label
// (`/api*path`) would name no route of the service.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Sdk } from '../instrument.ts';
import type { ServerResponse } from 'node:http';
import { finisher, whenResponseEnds, kError, serveEndpoint, markErrorClass } from '../node-tracking.ts';
import type { RouteSlot } from '../route-table.ts';
import { noRoute, unroutedFinisher } from '../unrouted.ts';
import { admitOnNode, type AdmissionState } from '../protect/admission.ts';
import { SHED_ERROR } from '../../contract/classify.ts';
import { contractTemplates } from '../contract-templates.ts';
import { mountTemplate } from './express-mounts.ts';
import { countedBefore, oncePerRequest } from '../once-per-request.ts';

/** A route path that is nothing but a wildcard: Express 5's `*name` or `{*name}`, Express 4's `*`. */
const CATCH_ALL = /^\/?(\*\w*|\{\*\w+\})$/;

/** The route that answered, unless it was a catch-all saying no route takes the request (see the header). */
function answeringRoute(req: Request, status: number): { path?: unknown } | undefined {
  const route = req.route as { path?: unknown } | undefined;
  return route !== undefined && noRoute(status) && typeof route.path === 'string' && CATCH_ALL.test(route.path) ? undefined : route;
}

/**
 * The application router's layers: Express 5's `app.router`; Express 4's `app._router` (there
 * `app.router` is a getter that throws "'app.router' is deprecated!", which ended the process).
 */
function routerStack(req: Request): unknown {
  const app = req.app as { _router?: { stack?: unknown }; router?: { stack?: unknown } } | undefined;
  if (app === undefined || app === null) return undefined;
  if (app._router !== undefined) return app._router.stack;
  try {
    return app.router?.stack;
  } catch {
    return undefined;
  }
}

/** How many (mount path, route) labels a middleware remembers; cleared when full (a path parameter in a mount makes one per value). */
const MOUNT_CACHE_SIZE = 2048;

export interface ExpressOptions {
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

export function middleware(sdk: Sdk, opts: ExpressOptions = {}): RequestHandler {
  const routes = sdk.routes;
  const serve = opts.serve ?? true;
  const finish = finisher(sdk);
  const recorder = sdk.recorder;
  const drill = sdk.drill;
  const admission = sdk.admission;
  const templates = contractTemplates(sdk);
  const once = oncePerRequest(sdk);
  const mounted = new Map<string, string>();
  // The label of a route reached through mounted routers: `base` is the actual path they consumed.
  const mountedLabel = (req: Request, route: unknown, base: string, path: string): string => {
    const key = `${base}\n${path}`;
    let label = mounted.get(key);
    if (label === undefined) {
      const t = mountTemplate(routerStack(req), base, route);
      // A router's own root ('/') is its mount path, as a contract writes it: '/cart', not '/cart/'.
      const own = path === '/' ? '' : path;
      label = t !== undefined ? t + own : templates.any(base + own) ?? base + own;
      if (mounted.size >= MOUNT_CACHE_SIZE) mounted.clear();
      mounted.set(key, label);
    }
    return label;
  };
  // Routes held by the application's own router (or one mounted without a path): their label is their path.
  const ownRoutes = new WeakSet<object>();
  // The label of a route answered after the request left its routers: an error handler or a later
  // middleware of the application answered (a handler threw, or called next()), and Express
  // restored req.baseUrl to the application's '' on the way out. The base is found again from the
  // request's path: the longest prefix, at a segment boundary, that a chain of routers holding the
  // route consumes.
  const restoredLabel = (req: Request, route: object, path: string): string => {
    if (ownRoutes.has(route)) return path;
    const stack = routerStack(req);
    if (mountTemplate(stack, '', route) === '') {
      ownRoutes.add(route);
      return path;
    }
    const url = req.originalUrl ?? req.url;
    const q = url.indexOf('?');
    let full = q < 0 ? url : url.slice(0, q);
    if (full.length > 1 && full.endsWith('/')) full = full.slice(0, -1);
    // Remembered by the whole path (the error path of a failing route runs once a request).
    const key = `\u0000${full}\n${path}`;
    let label = mounted.get(key);
    if (label !== undefined) return label;
    label = path;
    // The whole path first: a router's own root (`router.get('/')`) consumed none of it.
    for (let end = full.length; end > 0; end = full.lastIndexOf('/', end - 1)) {
      const base = full.slice(0, end);
      if (mountTemplate(stack, base, route) !== undefined) {
        label = mountedLabel(req, route, base, path);
        break;
      }
    }
    // No chain of routers read (Express 4's layers, a sub-application): the contract's template the whole path matches.
    if (label === path) label = templates.any(full) ?? path;
    if (mounted.size >= MOUNT_CACHE_SIZE) mounted.clear();
    mounted.set(key, label);
    return label;
  };
  // The slot of a request a route answered (req.route set).
  const routedSlot = (req: Request, route: { path?: unknown }): RouteSlot => {
    const path = typeof route.path === 'string' ? route.path : String(route.path);
    const base = req.baseUrl;
    return routes.lookup(req.method, base ? mountedLabel(req, route, base, path) : restoredLabel(req, route, path));
  };
  const finishUnrouted = unroutedFinisher(sdk, finish);
  const proceed = (next: () => void) => {
    // An unsettled-promises drill fault holds some requests before the routes.
    const held = drill === undefined ? undefined : drill.hold();
    if (held === undefined) next();
    else void held.then(() => next());
  };
  return function sloctl(req, res, next) {
    // /healthz?include=config: serveEndpoint (node-tracking.ts) does not pass the query on yet.
    if (serve && serveEndpoint(sdk, req, res)) return;
    // Another sloctl middleware of this SDK before this one on the request's path (the app's and a
    // mounted Router's) counted it: pass it on (once-per-request.ts).
    if (once.marking && countedBefore(req, sdk)) {
      next();
      return;
    }
    const start = recorder.begin();
    let st: AdmissionState | undefined;
    whenResponseEnds(res, () => {
      const route = answeringRoute(req, res.statusCode);
      const error = (res as unknown as { [kError]?: unknown })[kError];
      // originalUrl (unrouted): the whole path, whatever router the request was in when it was answered.
      if (st === undefined) {
        if (route !== undefined) finish(res, routedSlot(req, route), error, start);
        else finishUnrouted(res, req.method, req.originalUrl ?? req.url, error, start);
        return;
      }
      // Limited: a request the limiter held back never reached the router; a shed one is kept out of health.
      const held = st.heldSlot(routes, req.method, req.originalUrl ?? req.url);
      const ms = held !== undefined ? finish(res, held, st.shed ? SHED_ERROR : error, start, !st.shed)
        : route !== undefined ? finish(res, routedSlot(req, route), error, start)
          : finishUnrouted(res, req.method, req.originalUrl ?? req.url, error, start);
      st.end(res, start + ms);
    });
    // The concurrency limit (objectives.concurrency.limit), asked before routing: by the contract's templates.
    if (admission.active) {
      const priority = admission.priorityOf(req.method, req.originalUrl ?? req.url);
      if (priority !== undefined) {
        st = admitOnNode(admission, priority, res, () => proceed(next), start);
        return;
      }
    }
    proceed(next);
  };
}

/** Records the error for classification, then passes it on to the next error handler. */
export function errorHandler(sdk?: Sdk): ErrorRequestHandler {
  const classifier = sdk?.classifier;
  return function sloctlErrors(err, _req, res, next) {
    (res as unknown as ServerResponse & { [kError]?: unknown })[kError] = err;
    // The answer the next handler sends is marked with the error's class (sloctl-error-class) when its status would class it otherwise.
    if (classifier !== undefined) markErrorClass(classifier, res as unknown as ServerResponse, err);
    next(err);
  };
}

export default middleware;
