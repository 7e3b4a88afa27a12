// Shared by the adapters that see Node's ServerResponse: time a request from hand-over to the
// response's 'close', which Node emits once the response is finished, or when the client went
// away first (then `writableFinished` is false: aborted).
//
// Per request an adapter adds one 'close' listener (whenResponseEnds), a closure over what it
// needs (start time, framework context, the error if one is thrown). Nothing is written onto
// Node's request or response objects on the normal path: adding properties to them was measured
// to cost ~15% of an Express hello-world (the objects' shapes change per request), a closure
// costs a few hundred nanoseconds. Only a thrown error seen by a separate error handler (Express)
// is stored on the response, under a symbol.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Sdk } from './instrument.ts';
import { RouteTable, type RouteSlot } from './route-table.ts';
import { ShedError, type Classifier } from '../contract/classify.ts';

/** Where Express's error handler leaves a thrown error for the request's 'close'. */
export const kError = Symbol('sloctl.error');

/**
 * `judged` false: the request stays out of the health window (the framework rejected it before its
 * handler). `aborted`: the client went away first; by default, when the response did not finish.
 * Returns the request's duration in ms (from `start`), for a limiter ticket to reuse.
 */
export type Finish = (res: ServerResponse, slot: RouteSlot, error: unknown, start: number, judged?: boolean, aborted?: boolean) => number;

/**
 * Runs `ended` once the response is over: on its 'close', which Node emits once it is finished,
 * or when its connection closed first. Except for HTTP/1.1 pipelining: Node hands a connection's
 * next request over while the previous response is still being written and queues its response;
 * if the connection closes first, Node emits nothing for the queued one (neither 'finish' nor
 * 'close'; the request's own 'close' may have come and gone with its body). Such a response is
 * also kept on its connection, and `ended` runs when that closes, once either way: else it would
 * stay in flight, and hold a concurrency-limit slot, for ever (pipeline, hang up, repeat, and the
 * limiter sheds everything). Only pipelined requests pay for this.
 */
export function whenResponseEnds(res: ServerResponse, ended: () => void): void {
  const req = res.req;
  if (req === undefined || !queuedBehindAnother(req, res)) {
    res.on('close', ended);
    return;
  }
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    ended();
  };
  res.on('close', once);
  endWithConnection(req.socket, res, once);
}

/** Node's HTTP/1 socket: the response it is writing (an internal field, there since Node 0.x), and the queued ones sloctl keeps. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null; [kQueued]?: Array<{ res: ServerResponse; ended: () => void }> };
const kQueued = Symbol('sloctl.queued');

/** The response an HTTP/1 connection is writing now, if any. */
export function currentResponse(socket: Socket | null): ServerResponse | undefined {
  return (socket as HttpSocket | null)?._httpMessage ?? undefined;
}

/** True when Node queued this response behind one its connection is still writing (HTTP/1.1 pipelining). */
export function queuedBehindAnother(req: IncomingMessage, res: ServerResponse): boolean {
  const current = currentResponse(req.socket);
  return current !== undefined && current !== res;
}

/**
 * Keeps a queued response on its connection: `ended` runs when the connection closes, unless the
 * response finished by then (its own 'close' followed). One 'close' listener per connection.
 */
export function endWithConnection(socket: Socket | null, res: ServerResponse, ended: () => void): void {
  if (socket === null) return;
  const s = socket as HttpSocket;
  let queued = s[kQueued];
  if (queued === undefined) {
    const list: NonNullable<HttpSocket[typeof kQueued]> = (queued = s[kQueued] = []);
    socket.once('close', () => {
      for (const q of list) if (!q.res.writableFinished) q.ended();
      list.length = 0;
    });
  } else {
    // Forget the finished ones (a long keep-alive connection pipelines many).
    let kept = 0;
    for (const q of queued) if (!q.res.writableFinished) queued[kept++] = q;
    queued.length = kept;
  }
  queued.push({ res, ended });
}

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
  if (url === undefined || path === undefined) return false;
  // Adapters ask this for the health and the metrics path on every request, and most requests are
  // for neither: a length and a second-character test answer them inline, where startsWith is a
  // builtin call (~65 instructions each, callgrind; bench/RESULTS.md 2026-12-05).
  const n = path.length;
  if (url.length < n || (n > 1 && url.charCodeAt(1) !== path.charCodeAt(1)) || !url.startsWith(path)) return false;
  return url.length === n || url.charCodeAt(n) === 63; // '?'
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

/**
 * The SDK's mark on an answer whose error class came from what the handler threw (its name, code
 * or cause chain) and differs from the class its status alone gives: `sloctl-error-class:
 * transient` on a 500 the contract classes as transient by `PricingUnavailableError`. sloctl's
 * load generator reads it, so the gate's and the drills' client view classes the answer as the
 * service's own counters do (it honours only a class the contract declares, on an error status).
 */
export const ERROR_CLASS_HEADER = 'sloctl-error-class';

/** The error a response's patched writeHead marks by (the last one the adapter saw). */
const kMarkError = Symbol('sloctl.markError');

/**
 * The class to mark an answer with (ERROR_CLASS_HEADER): the contract class the recorder gives
 * `err` with `status`, when it is one the contract declares and not what `status` alone gives;
 * only for an error status (4xx, 5xx). Undefined otherwise.
 */
export function errorClassMark(classifier: Classifier, err: unknown, status: number): string | undefined {
  if (err === undefined || err instanceof ShedError || !(status >= 400 && status <= 599)) return undefined;
  const i = classifier.errorIndex(err, status);
  // The contract's own classes come first in `classes`, then the built-in ones (none, unclassified, aborted, shed).
  if (i >= classifier.none || i === classifier.statusIndex(status)) return undefined;
  return classifier.classes[i].class;
}

/**
 * The handler threw `err` and the response's head has not gone out: when it does, mark it with
 * ERROR_CLASS_HEADER if errorClassMark says so, by the status then sent. Only on the error path:
 * it patches this one response's writeHead (Node's implicit head, from end() or write(), goes
 * through it too), since frameworks answer a thrown error after the middleware saw it and may
 * clear the headers first (Koa does). A second error for the same response replaces the first.
 */
export function markErrorClass(classifier: Classifier, res: ServerResponse, err: unknown): void {
  if (err === undefined || err instanceof ShedError || res.headersSent || typeof res.writeHead !== 'function') return;
  const r = res as ServerResponse & { [kMarkError]?: unknown };
  const patched = kMarkError in r;
  r[kMarkError] = err;
  if (patched) return;
  const writeHead = res.writeHead;
  res.writeHead = function sloctlWriteHead(this: ServerResponse, ...args: unknown[]) {
    const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
    try {
      const mark = errorClassMark(classifier, r[kMarkError], status);
      if (mark !== undefined && !this.headersSent) this.setHeader(ERROR_CLASS_HEADER, mark);
    } catch {
      // Never let the mark break the answer.
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
