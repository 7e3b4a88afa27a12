// Hono 4: `app.use('*', middleware(sdk))` first. On @hono/node-server the request is timed to the
// Node response's end (like the other adapters); on other runtimes, to when the handler chain
// returns. The route label is the path of the route that answered (`c.req.matchedRoutes`); errors
// are read from `c.error`, where Hono leaves what a handler threw.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { BodyTooLargeError, type DrillEndpoint, type DrillRequest } from '../drill/endpoint.ts';
import type { Sdk } from '../instrument.ts';
import { contractTemplates } from '../contract-templates.ts';
import { noRoute } from '../unrouted.ts';
import { finisher, whenResponseEnds, isPath, errorClassMark, ERROR_CLASS_HEADER } from '../node-tracking.ts';
import { RouteTable, type RouteSlot } from '../route-table.ts';
import { AdmissionState, rejectionBody, rejectionHeaders, type Priority } from '../protect/admission.ts';
import { SHED_ERROR } from '../../contract/classify.ts';

export interface HonoOptions {
  /** Serve the contract's health and metrics paths. Default true. */
  serve?: boolean;
}

/** Marks the answer to a thrown error (c.error) with its class when its status alone would class it otherwise (sloctl-error-class). */
function markHono(c: Context, sdk: Sdk): void {
  try {
    const mark = errorClassMark(sdk.classifier, c.error, c.res.status);
    if (mark !== undefined) c.header(ERROR_CLASS_HEADER, mark);
  } catch {
    // Never let the mark break the answer.
  }
}

/** Marks each middleware this adapter makes, so a second one on a request's path can tell it is not the first. */
const SLOCTL_MIDDLEWARE = Symbol.for('sloctl.hono.middleware');
type Marked = { [SLOCTL_MIDDLEWARE]?: true };

/**
 * Whether a sloctl middleware ran before this one for the request: registered twice on its path (the
 * app's `app.use('*', ...)` and a sub-app's, which `app.route()` copies in under its prefix). The
 * first one counts the request; the next would count it again. Asked only past the first entry
 * (`routeIndex > 0`), so the usual registration, first, reads nothing more a request.
 */
function countedBefore(c: Context): boolean {
  const index = c.req.routeIndex;
  if (index === 0) return false;
  const matched = c.req.matchedRoutes;
  for (let i = 0; i < index; i++) if ((matched[i]?.handler as Marked | undefined)?.[SLOCTL_MIDDLEWARE] === true) return true;
  return false;
}

export function middleware(sdk: Sdk, opts: HonoOptions = {}): MiddlewareHandler {
  const routes = sdk.routes;
  const serve = opts.serve ?? true;
  const recorder = sdk.recorder;
  const templates = contractTemplates(sdk);
  // The entry that answered, when it is an application-wide middleware (`app.use('*', ...)`: Hono
  // records it as method ALL on `/*`) rather than a route: a logger that passed a 404 through, an
  // auth check's 401. Its path is no route template: such a request is counted as Express's and
  // Koa's requests answered before routing are (src/sdk/unrouted.ts): a 404/405/501 unmatched,
  // else under the contract route its method and path match, else unmatched. A path-scoped one
  // (`app.use('/api/*', ...)`, method ALL on a wildcard; so is `app.all('/files/*', h)`, which Hono
  // cannot tell apart) keeps its pattern as the label, but a 404/405/501 through it is unmatched:
  // else junk under /api/ would be judged by health as routed requests.
  // Health judges what is labelled this way as it judges unmatched requests (by default not).
  const wildcard = (r: { method: string; path: string } | undefined): boolean => r !== undefined && r.method === 'ALL' && r.path.endsWith('*');
  const global = (path: string): boolean => path === '/*' || path === '*';
  const judgedOf = (c: Context, status: number): boolean => {
    const r = c.req.matchedRoutes[c.req.routeIndex];
    if (!wildcard(r) || (!global(r!.path) && !noRoute(status) && templates.forMethod(c.req.method, c.req.path) === undefined)) return true;
    return routes.unmatchedFor(c.req.method, c.req.path).judged;
  };
  const slotOf = (c: Context, status: number): RouteSlot => {
    const r = c.req.matchedRoutes[c.req.routeIndex];
    if (r === undefined || (r.handler as Marked)[SLOCTL_MIDDLEWARE] === true) return routes.unmatchedFor(c.req.method, c.req.path);
    if (wildcard(r)) {
      const unmatched = routes.unmatchedFor(c.req.method, c.req.path);
      if (unmatched.excluded || noRoute(status)) return unmatched;
      const template = templates.forMethod(c.req.method, c.req.path);
      if (template !== undefined) return routes.lookup(c.req.method, template);
      if (global(r.path)) return unmatched;
    }
    return routes.lookup(c.req.method, r.path);
  };
  const finish = finisher(sdk);
  const drill = sdk.drill;
  const admission = sdk.admission;
  // The concurrency limit: let in (undefined), or the 503 to answer. `gone`: the client left while it waited.
  const admit = async (st: AdmissionState, priority: Priority, c: Context, gone: () => boolean, start: number): Promise<Response | undefined> => {
    const a0 = admission.admit(priority, start);
    st.held = priority;
    const a = 'then' in a0 ? await a0 : a0;
    if (!a.admitted) {
      st.shed = true;
      return c.body(rejectionBody(a), a.status, rejectionHeaders(a));
    }
    if (gone()) {
      a.ignore();
      return c.body(null, 503);
    }
    st.held = undefined;
    st.ticket = a;
    return undefined;
  };

  // The drill endpoint's path a request is for: the path itself (/.sloctl/drill), or the part after
  // the prefix this middleware runs under (`basePath('/api')` registers `app.use('*')` at /api/*,
  // so /.sloctl/drill never reaches it and /api/.sloctl/drill is answered instead; the drill
  // client looks there when the contract's health path is under /api). Else undefined.
  let lastPattern = '';
  let lastPrefix = '';
  const drillPathOf = (d: DrillEndpoint, c: Context): string | undefined => {
    const path = c.req.path;
    if (d.matches(path)) return path;
    const pattern = c.req.matchedRoutes[c.req.routeIndex]?.path;
    if (pattern === undefined) return undefined;
    if (pattern !== lastPattern) {
      lastPattern = pattern;
      lastPrefix = pattern.endsWith('/*') ? pattern.slice(0, -2) : '';
    }
    const prefix = lastPrefix;
    if (prefix === '' || !path.startsWith(d.path, prefix.length) || !path.startsWith(prefix)) return undefined;
    const rest = path.slice(prefix.length);
    return d.matches(rest) ? rest : undefined;
  };

  async function sloctl(c: Context, next: Next): Promise<Response | void> {
    if (countedBefore(c)) return next();
    if (serve && drill !== undefined) {
      const at = drillPathOf(drill, c);
      if (at !== undefined) {
        const answer = await serveDrill(drill, c, at);
        if (answer !== undefined) return answer;
      }
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
    // The concurrency limit (objectives.concurrency.limit), asked before routing: by the contract's templates.
    const priority = admission.active ? admission.priorityOf(c.req.method, c.req.path) : undefined;
    if (outgoing !== undefined && typeof outgoing.on === 'function') {
      const start = recorder.begin();
      if (priority !== undefined) {
        const st = new AdmissionState();
        whenResponseEnds(outgoing, () => {
          const ms = finish(outgoing, st.heldSlot(routes, c.req.method, c.req.path) ?? slotOf(c, outgoing.statusCode), st.shed ? SHED_ERROR : c.error, start, !st.shed && judgedOf(c, outgoing.statusCode));
          st.end(outgoing, start + ms);
        });
        const answer = await admit(st, priority, c, () => outgoing.destroyed || st.ended, start);
        if (answer !== undefined) return answer;
      } else {
        whenResponseEnds(outgoing, () => finish(outgoing, slotOf(c, outgoing.statusCode), c.error, start, judgedOf(c, outgoing.statusCode)));
      }
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
      await next();
      // A thrown error Hono answered (c.error): the answer is marked with its class (sloctl-error-class) when its status would class it otherwise.
      if (c.error !== undefined) markHono(c, sdk);
      return;
    }
    const start = recorder.begin();
    let thrown: unknown;
    const st = priority === undefined ? undefined : new AdmissionState();
    try {
      if (st !== undefined) {
        const answer = await admit(st, priority!, c, () => false, start);
        if (answer !== undefined) return answer;
      }
      const held = drill === undefined ? undefined : drill.hold();
      if (held !== undefined) await held;
      await next();
      if (c.error !== undefined) markHono(c, sdk);
    } catch (err) {
      thrown = err;
      throw err;
    } finally {
      const status = thrown !== undefined ? 500 : c.res.status;
      let slot = st?.heldSlot(routes, c.req.method, c.req.path) ?? slotOf(c, status);
      if (slot.probeUserAgent !== undefined && RouteTable.isProbe(slot, c.req.header('user-agent'))) slot = routes.excludedSlot;
      // A shed request's 503 is set on c.res only after this middleware returns: say it here.
      const ms = st?.shed ? recorder.end(slot, 503, SHED_ERROR, start, false, false)
        : recorder.end(slot, status, thrown ?? c.error, start, false, judgedOf(c, status));
      // The limiter's sample from the recorder's clock read (its time runs from when it was let in).
      st?.ticket?.finish(thrown !== undefined, start + ms);
    }
  }
  (sloctl as Marked)[SLOCTL_MIDDLEWARE] = true;
  return sloctl;
}

/**
 * The drill endpoint's answer, when the request is for it and from this machine (the peer address
 * is the Node socket's, so on other runtimes than @hono/node-server the endpoint never answers).
 * `path`: the endpoint's path the request is for, without the prefix the middleware runs under.
 */
async function serveDrill(drill: DrillEndpoint, c: Context, path: string): Promise<Response | undefined> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const url = c.req.url;
  const q = url.indexOf('?');
  const request: DrillRequest = {
    method: c.req.method,
    url: path + (q < 0 ? '' : url.slice(q)),
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
