// node:http, no framework: `createServer(wrap(handler, sdk))`, or `instrumentServer(server, sdk)`
// for a server built elsewhere.
//
// The route template comes from `route(req)` when given (return the template your router
// matched, or undefined for none), else from the contract's own route templates. Never return the
// raw path: unmatched requests must share one label.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { contractTemplates } from '../contract-templates.ts';
import type { Sdk } from '../instrument.ts';
import { finisher, whenResponseEnds, kError, serveEndpoint, statusOfError, markErrorClass } from '../node-tracking.ts';
import type { RouteSlot } from '../route-table.ts';
import { admitOnNode, type AdmissionState } from '../protect/admission.ts';
import { SHED_ERROR } from '../../contract/classify.ts';
import { countedBefore, oncePerRequest } from '../once-per-request.ts';

export type RouteOf = (req: IncomingMessage) => string | undefined;

export interface HttpOptions {
  /** The route template a request matched (undefined: none). Default: the contract's templates. */
  route?: RouteOf;
  /** Called with an error the handler threw (after it was recorded). Default: console.error. */
  onError?: (err: unknown, req: IncomingMessage, res: ServerResponse) => void;
  /** Serve the contract's health and metrics paths. Default true (wrap only). */
  serve?: boolean;
}

function slotResolver(sdk: Sdk, routeOf: RouteOf | undefined): (req: IncomingMessage) => RouteSlot {
  const routes = sdk.routes;
  const match = routeOf ?? contractRoutes(sdk);
  return (req) => {
    const template = match(req);
    return template === undefined ? routes.unmatchedFor(req.method, req.url) : routes.lookup(req.method, template);
  };
}

// The contract route of the request's method (HEAD: a GET route's too) whose template its path
// matches. Not any method's: `DELETE /users/42` or `PROPFIND /orders` to a contract that declares
// only `GET /users/:id` and `POST /orders` was labelled with that template, counted in the SLOs and
// judged by health, so junk methods turned /healthz 503 (user trial); it is `unmatched`, as on the
// framework adapters.
function contractRoutes(sdk: Sdk): RouteOf {
  const t = contractTemplates(sdk);
  return (req) => (req.url === undefined ? undefined : t.forMethod(req.method, req.url));
}

/** Wraps a request listener: serves health and metrics, times every other request, records thrown errors. */
export function wrap(handler: (req: IncomingMessage, res: ServerResponse) => unknown, sdk: Sdk, opts: HttpOptions = {}): RequestListener {
  const slotOf = slotResolver(sdk, opts.route);
  const finish = finisher(sdk);
  const recorder = sdk.recorder;
  const serve = opts.serve ?? true;
  const onError = opts.onError ?? ((err: unknown) => console.error(err));
  const drill = sdk.drill;
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    markErrorClass(sdk.classifier, res, err);
    if (!res.headersSent) {
      res.statusCode = statusOfError(err);
      res.end();
    } else if (!res.writableEnded) {
      // The status and part of the body are out: ending the response would hand the client a
      // truncated body as a complete one (a 200 ended cleanly, user trial). Cut the connection
      // instead, as Express's final handler does, so the client sees the failure; the request is
      // recorded as aborted, classified by the error.
      res.destroy();
    }
    onError(err, req, res);
  };
  const admission = sdk.admission;
  const once = oncePerRequest(sdk);
  // `hold`: an unsettled-promises drill fault holds some requests before their handler; a request
  // passed on (below) was held, if at all, by the wrap that counts it.
  const run = (req: IncomingMessage, res: ServerResponse, failed: (err: unknown) => void, hold = true) => {
    try {
      const held = !hold || drill === undefined ? undefined : drill.hold();
      const out = (held === undefined ? handler(req, res) : held.then(() => handler(req, res))) as { then?: unknown } | undefined;
      if (out !== undefined && out !== null && typeof out.then === 'function') (out as Promise<unknown>).then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  };
  return function sloctlHttp(req: IncomingMessage, res: ServerResponse) {
    // /healthz?include=config: serveEndpoint (node-tracking.ts) does not pass the query on yet.
    if (serve && serveEndpoint(sdk, req, res)) return;
    // Counted already by another of this SDK's (wrap twice; instrumentServer too): once-per-request.ts.
    // The handler runs; an error it throws is answered and left on the response for the one that counts it.
    if (once.marking && countedBefore(req, sdk)) {
      run(req, res, (err) => {
        recordError(res, err);
        fail(req, res, err);
      }, false);
      return;
    }
    const start = recorder.begin();
    let error: unknown;
    // The concurrency limit (objectives.concurrency.limit), asked before the handler: by the contract's templates.
    const priority = admission.active ? admission.priorityOf(req.method, req.url) : undefined;
    if (priority !== undefined) {
      let st: AdmissionState | undefined;
      whenResponseEnds(res, () => {
        const ms = finish(res, st!.heldSlot(sdk.routes, req.method, req.url) ?? slotOf(req), st!.shed ? SHED_ERROR : error ?? (res as { [kError]?: unknown })[kError], start, !st!.shed);
        st!.end(res, start + ms);
      });
      st = admitOnNode(admission, priority, res, () => run(req, res, (err) => {
        error = err;
        fail(req, res, err);
      }), start);
      return;
    }
    whenResponseEnds(res, () => finish(res, slotOf(req), error ?? (res as { [kError]?: unknown })[kError], start));
    try {
      // An unsettled-promises drill fault holds some requests before their handler.
      const held = drill === undefined ? undefined : drill.hold();
      const out = (held === undefined ? handler(req, res) : held.then(() => handler(req, res))) as { then?: unknown } | undefined;
      if (out !== undefined && out !== null && typeof out.then === 'function') {
        (out as Promise<unknown>).then(undefined, (err: unknown) => {
          error = err;
          fail(req, res, err);
        });
      }
    } catch (err) {
      error = err;
      fail(req, res, err);
    }
  };
}

/** Times every request of an existing server (serves nothing; errors are not seen, statuses are). */
export function instrumentServer(server: Server, sdk: Sdk, route?: RouteOf): void {
  const slotOf = slotResolver(sdk, route);
  const finish = finisher(sdk);
  const recorder = sdk.recorder;
  const once = oncePerRequest(sdk);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (once.marking && countedBefore(req, sdk)) return;
    const start = recorder.begin();
    whenResponseEnds(res, () => finish(res, slotOf(req), (res as { [kError]?: unknown })[kError], start));
  });
}

/** Records an error against the response it failed (for handlers that answer errors themselves). */
export function recordError(res: ServerResponse, err: unknown): void {
  (res as { [kError]?: unknown })[kError] = err;
}
