// The errors of the fault proxy's API, with the HTTP status toxiproxy answers for each (400 bad
// input, 404 not found, 409 already exists), so the control server maps them without a table and
// a library caller can key on `status` too.

export class FaultApiError extends Error {
  override name = 'FaultApiError';
  constructor(
    message: string,
    /** The HTTP status toxiproxy uses for this error. */
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 500,
  ) {
    super(message);
  }
}

/** A bad request body: the message names the field (`attributes.latency`) and what it expects. */
export function badField(field: string, expected: string, got: unknown): FaultApiError {
  return new FaultApiError(`bad request body: ${field}: expected ${expected}, got ${describe(got)}`, 400);
}

export function proxyNotFound(name: string): FaultApiError {
  return new FaultApiError(`proxy not found: ${JSON.stringify(name)}`, 404);
}

export function toxicNotFound(proxy: string, name: string): FaultApiError {
  return new FaultApiError(`toxic not found: ${JSON.stringify(name)} on proxy ${JSON.stringify(proxy)}`, 404);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
