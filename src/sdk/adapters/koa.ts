// Koa 3: `app.use(middleware(sdk))` first. The route label is @koa/router's matched template
// (`ctx._matchedRoute`); thrown errors are recorded as they pass through and rethrown for Koa.
import type { Context, Middleware, Next } from 'koa';
import type { Sdk } from '../instrument.ts';
import { finisher, whenResponseEnds, isPath } from '../node-tracking.ts';
import type { RouteSlot } from '../route-table.ts';
import { AdmissionState, rejectionBody } from '../protect/admission.ts';
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
  const slotOf = (ctx: RoutedContext): RouteSlot => {
    const t = ctx._matchedRoute;
    if (t === undefined) return routes.unmatchedFor(ctx.method, ctx.originalUrl);
    return routes.lookup(ctx.method, typeof t === 'string' ? t : String(t));
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
    const start = recorder.begin();
    const res = ctx.res;
    let error: unknown;
    // The concurrency limit (objectives.concurrency.limit), asked before routing: by the contract's templates.
    const priority = admission.active ? admission.priorityOf(ctx.method, ctx.originalUrl) : undefined;
    if (priority !== undefined) {
      const st = new AdmissionState();
      whenResponseEnds(res, () => {
        const ms = finish(res, st.heldSlot(routes, ctx.method, ctx.originalUrl) ?? slotOf(ctx), st.shed ? SHED_ERROR : error, start, !st.shed);
        st.end(res, start + ms);
      });
      const a0 = admission.admit(priority, start);
      st.held = priority;
      const a = 'then' in a0 ? await a0 : a0;
      if (!a.admitted) {
        st.shed = true;
        ctx.status = a.status;
        ctx.set('retry-after', String(a.retryAfterSeconds));
        ctx.set('cache-control', 'no-store');
        ctx.type = 'text/plain; charset=utf-8';
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
      whenResponseEnds(res, () => finish(res, slotOf(ctx), error, start));
    }
    try {
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
      await next();
    } catch (err) {
      error = err;
      throw err;
    }
  };
}

export default middleware;
