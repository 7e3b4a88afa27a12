// sloctl's HTTP-level toxics, beside toxiproxy's TCP ones (same JSON shape, two extra types):
//
//   http_error {status, body, content_type}: the proxy answers the request itself with `status`
//     (default 503) and never forwards it; the body defaults to a JSON error naming the toxic.
//   http_abort {}: the proxy resets the connection (the client sees ECONNRESET). On the upstream
//     stream, when the request's head has arrived: the dependency never sees the request. On the
//     downstream stream, when the answer starts: the dependency did the work and the answer is
//     lost (what a retry without an idempotency key gets wrong).
//
// Their `toxicity` is the share of requests (not of connections) they act on, seeded like every
// toxic (src/faults/toxic.ts). Their stream defaults to `upstream`; http_error is upstream only.
// The connection stays usable after an http_error (keep-alive).
import { STATUS_CODES } from 'node:http';
import { badField } from './errors.ts';
import type { ActiveToxic, ToxicType } from './toxic.ts';

export interface HttpErrorAttributes {
  status: number;
  body: string;
  content_type: string;
}

export const httpError: ToxicType<HttpErrorAttributes> = {
  type: 'http_error',
  http: true,
  parse: (a, prev) => {
    const status = a.status ?? prev?.status ?? 503;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) throw badField('attributes.status', 'an HTTP status from 200 to 599', status);
    const body = a.body ?? prev?.body ?? '';
    if (typeof body !== 'string') throw badField('attributes.body', 'a string (empty: a JSON error naming the toxic)', body);
    const contentType = a.content_type ?? prev?.content_type ?? (body === '' ? 'application/json' : 'text/plain; charset=utf-8');
    if (typeof contentType !== 'string' || contentType === '' || /[\r\n]/.test(contentType)) throw badField('attributes.content_type', 'a media type, e.g. "application/json"', contentType);
    return { status, body, content_type: contentType };
  },
};

export const httpAbort: ToxicType<Record<string, never>> = {
  type: 'http_abort',
  http: true,
  parse: () => ({}),
};

export type HttpDecision = { kind: 'pass' } | { kind: 'error'; response: Buffer } | { kind: 'abort' } | { kind: 'abort-answer' };

const PASS: HttpDecision = { kind: 'pass' };

/**
 * What the proxy does with one request, given its HTTP toxics in the order they were added: every
 * toxic judges every request (so each one's seeded sequence does not depend on the others), and
 * the first that hits decides.
 */
export function decideRequest(toxics: readonly ActiveToxic[], method: string): HttpDecision {
  let decision = PASS;
  for (const t of toxics) {
    if (!t.judge() || decision !== PASS) continue;
    if (t.kind.type === 'http_abort') decision = t.stream === 'downstream' ? { kind: 'abort-answer' } : { kind: 'abort' };
    else decision = { kind: 'error', response: errorResponse(t.name, t.attributes as HttpErrorAttributes, method) };
  }
  return decision;
}

/** The answer an http_error toxic gives: a complete HTTP/1.1 response, kept alive. */
export function errorResponse(toxic: string, a: HttpErrorAttributes, method: string): Buffer {
  const body = Buffer.from(a.body !== '' ? a.body : `${JSON.stringify({ error: `injected by sloctl faults (toxic ${toxic})`, status: a.status })}\n`);
  const head =
    `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? 'Error'}\r\n` +
    `Content-Type: ${a.content_type}\r\n` +
    `Content-Length: ${body.length}\r\n` +
    `X-Sloctl-Fault: ${toxic.replace(/[^\x21-\x7e]/g, '_')}\r\n` +
    'Connection: keep-alive\r\n\r\n';
  return method === 'HEAD' ? Buffer.from(head) : Buffer.concat([Buffer.from(head), body]);
}
