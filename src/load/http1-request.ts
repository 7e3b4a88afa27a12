// A prepared request as the bytes an HTTP/1.1 connection writes. Requests of a template without
// placeholders are encoded once (one Buffer, head and body) and reused for every send; the others
// get their request line joined to a head suffix encoded once per template.
//
// What goes on the wire: the request line, host, the template's headers, content-length when there
// is a body (0 for POST, PUT and PATCH without one), then the body. Unlike undici, no
// `connection: keep-alive`: it is HTTP/1.1's default, wrk, autocannon, curl and Go's client do not
// send it either, and parsing it cost the target (a node:http server) about 0.5 µs per request,
// measured, which shows in its rate when the target is the bottleneck.

import type { PreparedRequest } from './mix.ts';

export interface WireRequest {
  /** The whole request (a Buffer), or its head (a latin1 string) when `body` follows it. */
  readonly bytes: Buffer | string;
  readonly body: Buffer | null;
  /** False for HEAD: the response has no body whatever its headers announce. */
  readonly expectsBody: boolean;
  /** Sent with connection: close: the connection is not reused after the response. */
  readonly close: boolean;
  /**
   * May be sent again when the reused connection it went out on closed before any byte of its
   * answer (RFC 9112 §9.3.1): an idempotent method (RFC 9110 §9.2.2), or an Idempotency-Key header.
   */
  readonly replayable: boolean;
}

const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export class RequestEncoder {
  /** Per template: the PreparedRequest last encoded whole, and its encoding. */
  private readonly fixedFrom: Array<PreparedRequest | undefined> = [];
  private readonly fixed: WireRequest[] = [];
  /** Per template: everything after the request line (headers are per template, not per request). */
  private readonly suffixes: string[] = [];

  /** @param host the host header: host[:port] of the target origin. */
  constructor(private readonly host: string) {}

  encode(req: PreparedRequest): WireRequest {
    const route = req.route;
    if (this.fixedFrom[route] === req) return this.fixed[route];
    const suffix = this.suffixes[route] ?? (this.suffixes[route] = headSuffix(req, this.host));
    const head = `${req.method} ${req.path} HTTP/1.1\r\n${suffix}`;
    const wire: WireRequest = {
      bytes: head,
      body: req.body,
      expectsBody: req.method !== 'HEAD',
      close: (req.headers.connection ?? '').trim().toLowerCase() === 'close',
      replayable: IDEMPOTENT_METHODS.has(req.method) || req.headers['idempotency-key'] !== undefined,
    };
    if (this.fixedFrom[route] === undefined) {
      // First sight of this template: a template without placeholders hands back this very object
      // every time, so a whole-request Buffer for it is reused from the next send on. A template
      // with placeholders fails the identity check above and stays on the string path.
      this.fixedFrom[route] = req;
      this.fixed[route] = { ...wire, bytes: req.body ? Buffer.concat([Buffer.from(head, 'latin1'), req.body]) : Buffer.from(head, 'latin1'), body: null };
    }
    return wire;
  }
}

/** host, the template's headers, content-length, and the blank line ending the head. */
function headSuffix(req: PreparedRequest, host: string): string {
  const h = req.headers;
  let s = h.host === undefined ? `host: ${host}\r\n` : '';
  for (const name of Object.keys(h)) if (name !== 'content-length') s += `${name}: ${h[name]}\r\n`;
  if (req.body !== null) s += `content-length: ${req.body.length}\r\n`;
  else if (PAYLOAD_METHODS.has(req.method)) s += 'content-length: 0\r\n';
  return `${s}\r\n`;
}
