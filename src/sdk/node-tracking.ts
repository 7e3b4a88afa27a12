// Shared by the adapters that see Node's ServerResponse: time a request from hand-over to the
// response's 'close', which Node emits once the response is finished, or when the client went
// away first (then `writableFinished` is false: aborted).
//
// Per request an adapter adds one 'close' listener, a closure over what it needs (start time,
// framework context, the error if one is thrown). Nothing is written onto Node's request or
// response objects on the normal path: adding properties to them was measured to cost ~15% of an
// Express hello-world (the objects' shapes change per request), a closure costs a few hundred
// nanoseconds. Only a thrown error seen by a separate error handler (Express) is stored on the
// response, under a symbol.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sdk } from './instrument.ts';
import { RouteTable, type RouteSlot } from './route-table.ts';

/** Where Express's error handler leaves a thrown error for the request's 'close'. */
export const kError = Symbol('sloctl.error');

/**
 * `judged` false: the request stays out of the health window (the framework rejected it before its
 * handler). `aborted`: the client went away first; by default, when the response did not finish.
 * Returns the request's duration in ms (from `start`), for a limiter ticket to reuse.
 */
export type Finish = (res: ServerResponse, slot: RouteSlot, error: unknown, start: number, judged?: boolean, aborted?: boolean) => number;

/** Ends a request on the recorder: probes by User-Agent are left out here, aborts detected. */
export function finisher(sdk: Sdk): Finish {
  const recorder = sdk.recorder;
  const excluded = sdk.routes.excludedSlot;
  return (res, slot, error, start, judged = true, aborted = !res.writableFinished) => {
    if (slot.probeUserAgent !== undefined && RouteTable.isProbe(slot, res.req?.headers['user-agent'])) slot = excluded;
    return recorder.end(slot, res.statusCode, error, start, aborted, judged);
  };
}

/** `url` is `path` or `path?query`. */
export function isPath(url: string | undefined, path: string | undefined): boolean {
  if (url === undefined || path === undefined || !url.startsWith(path)) return false;
  return url.length === path.length || url.charCodeAt(path.length) === 63; // '?'
}

/** Serves the health, metrics or drill endpoint if the request is for one; true when it did. */
export function serveEndpoint(sdk: Sdk, req: IncomingMessage, res: ServerResponse): boolean {
  if (sdk.drill !== undefined && sdk.drill.serve(req, res)) return true;
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const url = req.url;
  const which = isPath(url, sdk.paths.health) ? 'health' : isPath(url, sdk.paths.metrics) ? 'metrics' : undefined;
  if (which === undefined) return false;
  (which === 'health' ? sdk.healthResponse(url) : sdk.metricsResponse()).then((r) => {
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
