// One count a request when sloctl's middleware is on its path more than once (the node:http-based
// adapters; Hono tells by its matched routes, hono.ts). Express: the app's `app.use(middleware(sdk))`
// and a mounted Router's own, or the same line twice; Koa: the app's and a @koa/router's
// `router.use(...)`; node:http: `wrap()` twice, or `instrumentServer()` on a server whose listener
// is wrapped. Each counted the request again (a user trial on Hono: 2 per request).
//
// The first sloctl middleware of an SDK to see a request marks Node's IncomingMessage with the
// SDK (under a symbol); a later one that finds the mark passes the request on. Marking is a new
// property on every request (node-tracking.ts: measured dear on Express), so it is done only once
// a second middleware, wrap or instrumentServer was made for the same SDK: until then a request
// costs one property read (`shared.marking`), nothing written, nothing allocated.
import type { IncomingMessage } from 'node:http';
import type { Sdk } from './instrument.ts';

const kCountedBy = Symbol.for('sloctl.countedBy');
type Marked = IncomingMessage & { [kCountedBy]?: Sdk };

/** Per SDK: whether more than one middleware was made for it, so requests must be marked. */
export interface OncePerRequest {
  marking: boolean;
}

const made = new WeakMap<Sdk, OncePerRequest>();

/** Called once per middleware (wrap, instrumentServer) an adapter makes for `sdk`; the same object for every one. */
export function oncePerRequest(sdk: Sdk): OncePerRequest {
  const shared = made.get(sdk);
  if (shared === undefined) {
    const first: OncePerRequest = { marking: false };
    made.set(sdk, first);
    return first;
  }
  shared.marking = true;
  return shared;
}

/**
 * True when a sloctl middleware of `sdk` counted this request already (pass it on); else marks it
 * as counted by this one. Ask only when `shared.marking`.
 */
export function countedBefore(req: IncomingMessage, sdk: Sdk): boolean {
  const r = req as Marked;
  if (r[kCountedBy] === sdk) return true;
  r[kCountedBy] = sdk;
  return false;
}
