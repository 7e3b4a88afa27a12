// Hono 4: `app.use('*', middleware(sdk))` first. On @hono/node-server the request is timed to the
// Node response's end (like the other adapters); on other runtimes, to when the handler chain
// returns. The route label is the path of the route that answered (`c.req.matchedRoutes`); errors
// are read from `c.error`, where Hono leaves what a handler threw.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { BodyTooLargeError, type DrillEndpoint, type DrillRequest } from '../drill/endpoint.ts';
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
  const drill = sdk.drill;

  async function sloctl(c: Context, next: Next): Promise<Response | void> {
    if (serve && drill !== undefined && drill.matches(c.req.path)) {
      const answer = await serveDrill(drill, c);
      if (answer !== undefined) return answer;
    }
    if (serve && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      const path = c.req.path;
      const which = isPath(path, sdk.paths.health) ? sdk.healthResponse(c.req.url) : isPath(path, sdk.paths.metrics) ? sdk.metricsResponse() : undefined;
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
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
      await next();
      return;
    }
    const start = recorder.begin();
    let thrown: unknown;
    try {
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
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

/**
 * The drill endpoint's answer, when the request is for it and from this machine (the peer address
 * is the Node socket's, so on other runtimes than @hono/node-server the endpoint never answers).
 */
async function serveDrill(drill: DrillEndpoint, c: Context): Promise<Response | undefined> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const url = c.req.url;
  const q = url.indexOf('?');
  const request: DrillRequest = {
    method: c.req.method,
    url: c.req.path + (q < 0 ? '' : url.slice(q)),
    remoteAddress: incoming?.socket?.remoteAddress,
    header: (name) => c.req.header(name),
    body: async (limit) => {
      const text = await c.req.text();
      if (Buffer.byteLength(text) > limit) throw new BodyTooLargeError(`the body is over ${limit} bytes; the drill endpoint takes at most ${limit}`);
      return text;
    },
  };
  if (!drill.accepts(request)) return undefined;
  const r = await drill.handle(request);
  return new Response(r.body, { status: r.status, headers: { 'content-type': r.contentType, ...r.headers } });
}

export default middleware;
