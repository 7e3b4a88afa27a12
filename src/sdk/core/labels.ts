// Label values with a fixed, small domain: the HTTP method and the status class.
//
// Both come from the request, so both are bounded here, not by the client: a method outside the
// standard seven is "other", a status outside 100..599 is "other", and a response the client
// abandoned before it was finished is "aborted". Lookups are index-based so the hot path never
// builds a string.

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'] as const;
export type MethodLabel = (typeof METHODS)[number];
export const METHOD_OTHER = 7;

/** Index into METHODS; anything but the seven standard methods (exact case) is "other". */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET': return 0;
    case 'HEAD': return 1;
    case 'POST': return 2;
    case 'PUT': return 3;
    case 'PATCH': return 4;
    case 'DELETE': return 5;
    case 'OPTIONS': return 6;
    default: return METHOD_OTHER;
  }
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other', 'aborted'] as const;
export type StatusClassLabel = (typeof STATUS_CLASSES)[number];
export const STATUS_OTHER = 5;
export const STATUS_ABORTED = 6;

/** Index into STATUS_CLASSES for a finished response. */
export function statusClassIndex(status: number): number {
  return status >= 100 && status <= 599 ? ((status / 100) | 0) - 1 : STATUS_OTHER;
}
