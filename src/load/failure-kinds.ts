// The kinds of failure without a response that a load run counts (RouteResult.errors keys), and
// what each says about the target, in words. The CLI's "the target did not answer" message is
// built from these, so a target that answered with garbage or stalled is not told "is it running?".

/** The server closed the connection cleanly (FIN) after part of a response: not a reset. */
export const EOF_MID_RESPONSE = 'EOF_MID_RESPONSE';
/** The server closed the connection cleanly (FIN) before any byte of a response. */
export const EOF_BEFORE_RESPONSE = 'EOF_BEFORE_RESPONSE';
/** The request was written and no complete response came within the timeout. */
export const TIMEOUT = 'timeout';
/** The connection did not open within the timeout (nothing was written). */
export const CONNECT_TIMEOUT = 'ETIMEDOUT';

/** Failures that mean nothing answered at the address: no process, a wrong port or host. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', CONNECT_TIMEOUT]);

/** What a malformed response had wrong (the parser's llhttp-style codes). */
const MALFORMED: Record<string, string> = {
  HPE_INVALID_CONSTANT: 'the response does not start with "HTTP/1."',
  HPE_INVALID_STATUS: 'the status line is not "HTTP/1.x NNN reason"',
  HPE_INVALID_HEADER_TOKEN: 'a header line is malformed',
  HPE_INVALID_CONTENT_LENGTH: 'an invalid or conflicting Content-Length',
  HPE_INVALID_CHUNK_SIZE: 'a malformed chunk size in a chunked body',
  HPE_STRICT: 'a chunk of a chunked body is not followed by CRLF',
  HPE_HEADER_OVERFLOW: 'the response head is too large',
  HPE_UNEXPECTED_UPGRADE: 'a 101 Switching Protocols that nobody asked for',
};

export function isUnreachable(kind: string): boolean {
  return UNREACHABLE.has(kind);
}

export function isMalformed(kind: string): boolean {
  return kind.startsWith('HPE_');
}

/** One kind in words: what the target did. */
export function describeKind(kind: string): string {
  if (isMalformed(kind)) return `it answered, but not with valid HTTP/1.1: ${MALFORMED[kind] ?? 'the response could not be parsed'}`;
  switch (kind) {
    case 'ECONNREFUSED': return 'connection refused: nothing listens there';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'the host name does not resolve';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return 'the address is not reachable';
    case CONNECT_TIMEOUT: return 'the connection did not open within the timeout';
    case TIMEOUT: return 'it accepted the connection and the request, then sent no complete answer within the timeout (stalled or too slow)';
    case 'ECONNRESET': return 'it reset the connection (RST) before the response was complete';
    case EOF_MID_RESPONSE: return 'it closed the connection (a clean FIN) in the middle of a response';
    case EOF_BEFORE_RESPONSE: return 'it closed the connection (a clean FIN) without answering';
    case 'EPIPE': return 'it closed the connection while the request was being written';
    default: return `the connection failed (${kind})`;
  }
}

/**
 * Why none of `sent` requests got an answer, for the CLI: "could not be reached … is it running?"
 * only when nothing answered at the address at all; otherwise what the target did instead.
 */
export function noAnswerMessage(url: string, sent: number, kinds: Record<string, number>, details: Record<string, string> = {}): string {
  const entries = Object.entries(kinds).sort(([, a], [, b]) => b - a);
  const list = entries.map(([k, n]) => `${k} × ${n}`).join(', ');
  const who = url || 'the target';
  if (entries.every(([k]) => isUnreachable(k))) {
    return `${who} could not be reached: none of ${sent} requests got an answer (${list}): ${[...new Set(entries.map(([k]) => describeKind(k)))].join('; ')}; is it running, on that port?`;
  }
  const lines = entries.map(([k, n]) => `  - ${k} × ${n}: ${describeKind(k)}${details[k] ? ` (${details[k]})` : ''}`);
  const hint = entries.some(([k]) => isMalformed(k))
    ? '\nSomething answers on that port, but not as an HTTP/1.1 server: is it the right port, and does it want TLS (https://)?'
    : '';
  return `${who} is there, but none of ${sent} requests got a complete answer:\n${lines.join('\n')}${hint}`;
}
