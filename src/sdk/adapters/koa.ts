// Koa 3: `app.use(middleware(sdk))` first. The route label is @koa/router's matched template
// (`ctx._matchedRoute`); thrown errors are recorded as they pass through and rethrown for Koa.
// A request answered before the router matched it (a body parser's 400, an auth check's 401) is
// counted under the contract route whose method and template match its path, unless its status
// says no route takes it (404; allowedMethods' 405, 501); else as unmatched (unrouted.ts).
import type { ServerResponse } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import type { Sdk } from '../instrument.ts';
import { finisher, whenResponseEnds, isPath, markErrorClass } from '../node-tracking.ts';
import { unroutedFinisher } from '../unrouted.ts';
import { countedBefore, oncePerRequest } from '../once-per-request.ts';
import { AdmissionState, rejectionBody, rejectionHeaders } from '../protect/admission.ts';
import { SHED_ERROR } from '../../contract/classify.ts';

export interface KoaOptions {
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

type RoutedContext = Context & { _matchedRoute?: unknown };

export function middleware(sdk: Sdk, opts: KoaOptions = {}): Middleware {
  const routes = sdk.routes;
  const serve = opts.serve ?? true;
  const finish = finisher(sdk);
  const recorder = sdk.recorder;
  const drill = sdk.drill;
  const admission = sdk.admission;
  const finishUnrouted = unroutedFinisher(sdk, finish);
  const once = oncePerRequest(sdk);
  // Ends the request under the route @koa/router matched, else as one that reached no route.
  const end = (ctx: RoutedContext, res: ServerResponse, error: unknown, start: number): number => {
    const t = ctx._matchedRoute;
    if (t === undefined) return finishUnrouted(res, ctx.method, ctx.originalUrl, error, start);
    return finish(res, routes.lookup(ctx.method, typeof t === 'string' ? t : String(t)), error, start);
  };
  return async function sloctl(ctx: Context, next: Next): Promise<void> {
    // The drill endpoint (when a drill token is set) answers on the raw response; Koa stays out.
    if (serve && drill !== undefined && drill.serve(ctx.req, ctx.res)) {
      ctx.respond = false;
      return;
    }
    if (serve && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const which = isPath(ctx.url, sdk.paths.health) ? sdk.healthResponse(ctx.querystring) : isPath(ctx.url, sdk.paths.metrics) ? sdk.metricsResponse() : undefined;
      if (which !== undefined) {
        const r = await which;
        ctx.status = r.status;
        ctx.type = r.contentType;
        ctx.set('cache-control', 'no-store');
        ctx.body = r.body;
        return;
      }
    }
    // Another sloctl middleware of this SDK before this one on the request's path (the app's and a
    // router's `router.use(...)`) counted it: pass it on (once-per-request.ts).
    if (once.marking && countedBefore(ctx.req, sdk)) return next();
    const start = recorder.begin();
    const res = ctx.res;
    let error: unknown;
    // The concurrency limit (objectives.concurrency.limit), asked before routing: by the contract's templates.
    const priority = admission.active ? admission.priorityOf(ctx.method, ctx.originalUrl) : undefined;
    if (priority !== undefined) {
      const st = new AdmissionState();
      whenResponseEnds(res, () => {
        const held = st.heldSlot(routes, ctx.method, ctx.originalUrl);
        const ms = held !== undefined ? finish(res, held, st.shed ? SHED_ERROR : error, start, !st.shed) : end(ctx, res, error, start);
        st.end(res, start + ms);
      });
      const a0 = admission.admit(priority, start);
      st.held = priority;
      const a = 'then' in a0 ? await a0 : a0;
      if (!a.admitted) {
        st.shed = true;
        ctx.status = a.status;
        ctx.set(rejectionHeaders(a));
        ctx.body = rejectionBody(a);
        return;
      }
      if (res.destroyed || st.ended) {
        a.ignore(); // its client left while it waited (a pipelined request's connection closed: ended, not destroyed)
        return;
      }
      st.held = undefined;
      st.ticket = a;
    } else {
      whenResponseEnds(res, () => end(ctx, res, error, start));
    }
    try {
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
      await next();
    } catch (err) {
      error = err;
      // Koa answers it after this: the answer is marked with the error's class (sloctl-error-class) when its status would class it otherwise.
      markErrorClass(sdk.classifier, res, err);
      throw err;
    }
  };
}

export default middleware;
