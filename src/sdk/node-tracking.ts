// Shared by the adapters that see Node's ServerResponse (node:http, Express, Koa, Hono on
// @hono/node-server): time a request from hand-over to the response's 'close', which Node emits
// once the response is finished, or when the client went away first (then `writableFinished` is
// false: aborted).
//
// One listener per request, and it is the same function for every request (state lives on the
// response under symbols), so tracking allocates nothing per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sdk } from './instrument.ts';
import { RouteTable, type RouteSlot } from './route-table.ts';

export const kStart = Symbol('sloctl.start');
export const kError = Symbol('sloctl.error');
export const kSlot = Symbol('sloctl.slot');
export const kContext = Symbol('sloctl.context');

export interface TrackedResponse extends ServerResponse {
  [kStart]: number;
  [kError]: unknown;
  [kSlot]: RouteSlot | undefined;
  [kContext]: unknown;
}

/** Given a finished response, the route slot it belongs to. */
export type SlotResolver = (res: TrackedResponse) => RouteSlot;

export interface Tracker {
  (res: ServerResponse): TrackedResponse;
  /** Takes back a `track(res)` (for requests that turn out to be the SDK's own endpoints). */
  untrack(res: ServerResponse): void;
}

/** Returns `track(res)`, to call when a request is handed over. */
export function responseTracker(sdk: Sdk, resolve: SlotResolver): Tracker {
  const recorder = sdk.recorder;
  const excluded = sdk.routes.excludedSlot;
  function onClose(this: TrackedResponse): void {
    let slot = resolve(this);
    if (slot.probeUserAgent !== undefined && RouteTable.isProbe(slot, this.req?.headers['user-agent'])) slot = excluded;
    recorder.end(slot, this.statusCode, this[kError], this[kStart], !this.writableFinished);
  }
  const track = function track(res: ServerResponse): TrackedResponse {
    const t = res as TrackedResponse;
    t[kStart] = recorder.begin();
    t[kError] = undefined;
    t[kSlot] = undefined;
    t[kContext] = undefined;
    res.on('close', onClose);
    return t;
  } as Tracker;
  track.untrack = (res: ServerResponse) => {
    if (res.listeners('close').includes(onClose)) {
      res.removeListener('close', onClose);
      recorder.inFlight--;
    }
  };
  return track;
}

/** `url` is `path` or `path?query`. */
export function isPath(url: string | undefined, path: string | undefined): boolean {
  if (url === undefined || path === undefined || !url.startsWith(path)) return false;
  return url.length === path.length || url.charCodeAt(path.length) === 63; // '?'
}

/** Serves the health or metrics endpoint if the request is for one; true when it did. */
export function serveEndpoint(sdk: Sdk, req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const url = req.url;
  const which = isPath(url, sdk.paths.health) ? 'health' : isPath(url, sdk.paths.metrics) ? 'metrics' : undefined;
  if (which === undefined) return false;
  (which === 'health' ? sdk.healthResponse() : sdk.metricsResponse()).then((r) => {
    res.statusCode = r.status;
    res.setHeader('content-type', r.contentType);
    res.setHeader('cache-control', 'no-store');
    res.end(method === 'HEAD' ? undefined : r.body);
  }, (err: unknown) => {
    res.statusCode = 500;
    res.end(String(err));
  });
  return true;
}

/** The status to answer with for a thrown error: its own 4xx/5xx `status`/`statusCode`, else 500. */
export function statusOfError(err: unknown): number {
  const o = err as { status?: unknown; statusCode?: unknown } | null;
  const s = typeof o?.status === 'number' ? o.status : typeof o?.statusCode === 'number' ? o.statusCode : 500;
  return Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
}
