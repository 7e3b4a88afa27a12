// Hono 4: `app.use('*', middleware(sdk))` first. On @hono/node-server the request is timed to the
// Node response's end (like the other adapters); on other runtimes, to when the handler chain
// returns. The route label is the path of the route that answered (`c.req.matchedRoutes`); errors
// are read from `c.error`, where Hono leaves what a handler threw.
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { Sdk } from '../instrument.ts';
import { finisher, isPath } from '../node-tracking.ts';
import { RouteTable, type RouteSlot } from '../route-table.ts';

export interface HonoOptions {
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

export function middleware(sdk: Sdk, opts: HonoOptions = {}): MiddlewareHandler {
  const routes = sdk.routes;
  const serve = opts.serve ?? true;
  const recorder = sdk.recorder;
  const slotOf = (c: Context): RouteSlot => {
    const r = c.req.matchedRoutes[c.req.routeIndex];
    if (r === undefined || r.handler === sloctl) return routes.unmatchedFor(c.req.method, c.req.path);
    return routes.lookup(c.req.method, r.path);
  };
  const finish = finisher(sdk);

  async function sloctl(c: Context, next: Next): Promise<Response | void> {
    if (serve && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      const path = c.req.path;
      const which = isPath(path, sdk.paths.health) ? sdk.healthResponse() : isPath(path, sdk.paths.metrics) ? sdk.metricsResponse() : undefined;
      if (which !== undefined) {
        const r = await which;
        c.header('content-type', r.contentType);
        c.header('cache-control', 'no-store');
        c.status(r.status as 200);
        return c.req.method === 'HEAD' ? c.body(null) : c.body(r.body);
      }
    }
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing !== undefined && typeof outgoing.on === 'function') {
      const start = recorder.begin();
      outgoing.on('close', () => finish(outgoing, slotOf(c), c.error, start));
      await next();
      return;
    }
    const start = recorder.begin();
    let thrown: unknown;
    try {
      await next();
    } catch (err) {
      thrown = err;
      throw err;
    } finally {
      let slot = slotOf(c);
      if (slot.probeUserAgent !== undefined && RouteTable.isProbe(slot, c.req.header('user-agent'))) slot = routes.excludedSlot;
      recorder.end(slot, thrown !== undefined ? 500 : c.res.status, thrown ?? c.error, start, false);
    }
  }
  return sloctl;
}

export default middleware;
