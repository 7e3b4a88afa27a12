// Requests a framework answered without reaching a route: Express without `req.route`, Koa without
// @koa/router's matched route. Middleware before the routes answered or failed them (a body
// parser refusing a malformed body: 400, or one over its limit: 413; an auth check's 401; a rate
// limiter's 429; a session store that is down: 500), or the router did (no route: 404; a method
// no route takes: 405, Koa's 501; Express's bad percent-escape in a parameter: 400).
//
// Such a request is counted under the contract route whose method and template match its path,
// unless its status says no route takes it (404, 405, 501): else a contract route under-reports
// its rejections while "unmatched" carries them, and the same request counts differently on
// Fastify, which routes before it parses a body. A path no contract route of its method matches
// stays unmatched (the label never comes from the client), as does a path with a malformed
// percent-escape (junk: Fastify answers it before routing, and counts it unmatched).
//
// Health judges it as it judges an unmatched request (health.judge; by default not: it never
// reached its handler, and anyone can send a malformed body). A 4xx is classified by its status
// when no contract class names the error it failed with: the body parser's SyntaxError (status
// 400) would otherwise be "unclassified", weighed as a fault of the service, against the route.
import type { Classifier } from '../contract/classify.ts';
import { contractTemplates } from './contract-templates.ts';
import type { Sdk } from './instrument.ts';
import type { Finish } from './node-tracking.ts';
import { UNMATCHED } from './route-table.ts';
import type { ServerResponse } from 'node:http';

/** Ends an unrouted request on the recorder (returns its duration in ms, as Finish does). */
export type FinishUnrouted = (res: ServerResponse, method: string | undefined, url: string | undefined, error: unknown, start: number) => number;

/** Statuses that say no route takes the request. */
export function noRoute(status: number): boolean {
  return status === 404 || status === 405 || status === 501;
}

/**
 * A path with a malformed percent-escape (`/products/%zz`): Express's router fails it with a 400
 * before any route, Fastify answers it by itself and counts it unmatched; so it stays unmatched
 * here too, whatever template its undecoded text would match.
 */
function malformed(url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('%')) return false;
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/**
 * The error to classify a request refused before its handler by (here, and Fastify's body and
 * schema rejections): none when it was answered with a 4xx and no contract class names the error,
 * so the status classifies it (the contract's class for the 4xx, else "none") instead of the
 * error making it "unclassified", a fault of the service. A 5xx keeps its error.
 */
export function refusalError(classifier: Classifier, error: unknown, status: number): unknown {
  return error !== undefined && status < 500 && classifier.errorIndex(error, status) === classifier.unclassified ? undefined : error;
}

/** `finish` for the requests that reached no route (see the header); made once per middleware. */
export function unroutedFinisher(sdk: Sdk, finish: Finish): FinishUnrouted {
  const routes = sdk.routes;
  const templates = contractTemplates(sdk);
  const classifier = sdk.classifier;
  return (res, method, url, error, start) => {
    // unmatchedFor gives the health, metrics and probe paths their own slots: those stay.
    const unmatched = routes.unmatchedFor(method, url);
    const status = res.statusCode;
    const template = unmatched.route !== UNMATCHED || unmatched.excluded || noRoute(status) || url === undefined || malformed(url)
      ? undefined : templates.forMethod(method, url);
    return finish(res, template === undefined ? unmatched : routes.lookup(method, template), refusalError(classifier, error, status), start, unmatched.judged);
  };
}
