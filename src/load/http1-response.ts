// An incremental HTTP/1.1 response parser for the load generator: it reads only what a generator
// needs (status, how the body ends, whether the connection stays open, the keep-alive hint) and
// skips the body without copying it. It allocates nothing for a head that arrives in one read,
// which is the common case and why it exists: a general parser (undici's llhttp, which calls back
// into JavaScript for every header name and value) costs more per request than the generator's
// own work.
//
// It handles: status line HTTP/1.0 and 1.1; interim 1xx responses (skipped); bodies by
// Content-Length, chunked (chunk extensions and trailers skipped), or until the server closes;
// no body for HEAD, 204 and 304; Connection: close / keep-alive; Keep-Alive: timeout=N.
// Malformed input ends the exchange with an llhttp-style code (HPE_...), as undici reported it.

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
/** A head longer than this is refused (undici's default maxHeaderSize is 16 KiB; be lenient). */
export const MAX_HEAD_BYTES = 64 * 1024;

const lower = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = lower('content-length');
const TRANSFER_ENCODING = lower('transfer-encoding');
const CONNECTION = lower('connection');
const KEEP_ALIVE = lower('keep-alive');
const CLOSE = lower('close');
const TIMEOUT = lower('timeout');
/** The SDK's mark on an answer its concurrency limiter shed (src/sdk/protect/admission.ts SHED_HEADER). */
const SLOCTL_SHED = lower('sloctl-shed');
/** The SDK's mark on an answer it classed by a thrown error, not by its status (src/sdk/node-tracking.ts ERROR_CLASS_HEADER). */
const SLOCTL_ERROR_CLASS = lower('sloctl-error-class');
/** Longest error-class mark kept: a contract's class names are short; anything else is not the SDK's. */
const MAX_CLASS_MARK = 64;

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  Trailers,
  UntilClose,
  Done,
}

/** feed() results besides a byte position: the response is not complete yet, or the bytes are not HTTP. */
export const NEED_MORE = -1;
/** How every response starts: `HTTP/1.`. */
const STATUS_PREFIX = Buffer.from('HTTP/1.', 'latin1');
export const MALFORMED = -2;

export class ResponseParser {
  /** Status of the final response (0 until its head is read). */
  status = 0;
  /** Whether the connection may carry another request after this response. */
  keepAlive = true;
  /** Keep-Alive: timeout=N, in ms (-1 when the server gave none). */
  keepAliveHintMs = -1;
  /** Set when feed() returns MALFORMED. */
  error = '';
  /** The final response carried `sloctl-shed`: the service's limiter turned the request away. */
  shed = false;
  /**
   * The final response's `sloctl-error-class` value ('' when none, or not a plausible class name):
   * the class the service gave it by what its handler threw. The judges honour it only for a class
   * the contract declares, on an error status (src/verdicts/client-view.ts).
   */
  errorClass = '';

  private state = State.Head;
  /** Bytes of an incomplete head, kept across reads (null when none). */
  private partial: Buffer | null = null;
  private remaining = 0;
  private chunkDigits = 0;
  private lineLength = 0;
  private expectsBody = true;

  /** Prepares for the response to a new request; HEAD responses carry no body whatever they announce. */
  reset(expectsBody: boolean): void {
    this.status = 0;
    this.keepAlive = true;
    this.keepAliveHintMs = -1;
    this.error = '';
    this.shed = false;
    this.errorClass = '';
    this.state = State.Head;
    this.partial = null;
    this.expectsBody = expectsBody;
  }

  /** True while the body runs until the server closes: the close then completes the response. */
  get endsAtClose(): boolean {
    return this.state === State.UntilClose;
  }

  /**
   * Parses buf[start, end). Returns the position just past the final response when it completed
   * (bytes after it are not part of this exchange), NEED_MORE, or MALFORMED (see `error`).
   * Bytes past `end` may be stale (a shared read buffer) and are never looked at.
   */
  feed(buf: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case State.Head: {
          if (this.partial !== null) return this.feedPartialHead(buf, pos, end);
          const at = buf.indexOf('\r\n\r\n', pos, 'latin1');
          if (at < 0 || at + 4 > end) return this.keepPartial(buf, pos, end);
          const r = this.head(buf, pos, at + 2);
          if (r === MALFORMED) return MALFORMED;
          if ((this.state as State) === State.Done) return at + 4;
          pos = at + 4; // a body, or the final head after an interim 1xx
          break;
        }
        case State.Length:
        case State.ChunkData: {
          const n = end - pos;
          if (n < this.remaining) {
            this.remaining -= n;
            return NEED_MORE;
          }
          pos += this.remaining;
          this.remaining = 0;
          if (this.state === State.Length) {
            this.state = State.Done;
            return pos;
          }
          this.state = State.ChunkDataCr;
          break;
        }
        case State.UntilClose:
          return NEED_MORE;
        case State.Done:
          return pos;
        default: {
          pos = this.chunkFraming(buf, pos, end);
          if (pos === MALFORMED) return MALFORMED;
          if ((this.state as State) === State.Done) return pos;
        }
      }
    }
    return NEED_MORE;
  }

  /**
   * Chunk-size lines, the CRLF after each chunk's data and the trailers, byte by byte (they are
   * short). Stops where a chunk's data starts, where the response ends (state Done) or at `end`.
   */
  private chunkFraming(buf: Buffer, pos: number, end: number): number {
    for (; pos < end; pos++) {
      const c = buf[pos];
      switch (this.state) {
        case State.ChunkSize: {
          const d = hexValue(c);
          if (d >= 0) {
            if (this.remaining > 0xffffffffffff) return this.fail('HPE_INVALID_CHUNK_SIZE');
            this.remaining = this.remaining * 16 + d;
            this.chunkDigits++;
          } else if (this.chunkDigits === 0) return this.fail('HPE_INVALID_CHUNK_SIZE');
          else if (c === CR) this.state = State.ChunkSizeLf;
          else if (c === SP || c === HT || c === 59 /* ; */) this.state = State.ChunkExt;
          else return this.fail('HPE_INVALID_CHUNK_SIZE');
          break;
        }
        case State.ChunkExt:
          if (c === CR) this.state = State.ChunkSizeLf;
          break;
        case State.ChunkSizeLf:
          if (c !== LF) return this.fail('HPE_INVALID_CHUNK_SIZE');
          if (this.remaining > 0) {
            this.state = State.ChunkData;
            return pos + 1;
          }
          this.state = State.Trailers; // the last chunk: trailer lines, then an empty line
          this.lineLength = 0;
          break;
        case State.ChunkDataCr:
          if (c !== CR) return this.fail('HPE_STRICT');
          this.state = State.ChunkDataLf;
          break;
        case State.ChunkDataLf:
          if (c !== LF) return this.fail('HPE_STRICT');
          this.state = State.ChunkSize;
          this.remaining = 0;
          this.chunkDigits = 0;
          break;
        case State.Trailers:
          if (c === LF) {
            if (this.lineLength === 0) {
              this.state = State.Done;
              return pos + 1;
            }
            this.lineLength = 0;
          } else if (c !== CR && ++this.lineLength > MAX_HEAD_BYTES) return this.fail('HPE_HEADER_OVERFLOW');
          break;
        default:
          return pos;
      }
    }
    return pos;
  }

  private keepPartial(buf: Buffer, pos: number, end: number): number {
    if (end - pos > MAX_HEAD_BYTES) return this.fail('HPE_HEADER_OVERFLOW');
    // A head still incomplete must at least start like one: a server that sends a banner that is
    // not HTTP (SSH, SMTP, a TLS alert) and then waits is malformed now, not a timeout later.
    for (let i = 0; i < STATUS_PREFIX.length && pos + i < end; i++) {
      if (buf[pos + i] !== STATUS_PREFIX[i]) return this.fail('HPE_INVALID_CONSTANT');
    }
    this.partial = Buffer.from(buf.subarray(pos, end)); // a copy: the read buffer is reused
    return NEED_MORE;
  }

  /** The rare head split over reads: join and parse again (bounded by MAX_HEAD_BYTES). */
  private feedPartialHead(buf: Buffer, pos: number, end: number): number {
    const joined = Buffer.concat([this.partial!, buf.subarray(pos, end)]);
    this.partial = null;
    const r = this.feed(joined, 0, joined.length);
    if (r < 0) return r;
    // Position in `buf` of the end of the response: what joined held after the old partial.
    return r - joined.length + end;
  }

  private fail(code: string): number {
    this.error = code;
    return MALFORMED;
  }

  /**
   * One head, buf[start, end) ending with the CRLF of its last header line. Sets the state for
   * what follows: Done (no body), a body, or Head again after an interim 1xx. Returns 0 or MALFORMED.
   */
  private head(buf: Buffer, start: number, end: number): number {
    // "HTTP/1.x SSS" then a space or the line end.
    if (
      end - start < 14 ||
      buf[start] !== 72 || buf[start + 1] !== 84 || buf[start + 2] !== 84 || buf[start + 3] !== 80 ||
      buf[start + 4] !== 47 || buf[start + 5] !== 49 || buf[start + 6] !== 46 || buf[start + 8] !== SP
    ) {
      return this.fail('HPE_INVALID_CONSTANT');
    }
    const minor = buf[start + 7] - 48;
    const s0 = buf[start + 9] - 48;
    const s1 = buf[start + 10] - 48;
    const s2 = buf[start + 11] - 48;
    if (minor < 0 || minor > 9 || s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return this.fail('HPE_INVALID_STATUS');
    const after = buf[start + 12];
    if (after !== SP && after !== CR) return this.fail('HPE_INVALID_STATUS');
    const status = s0 * 100 + s1 * 10 + s2;

    let keepAlive = minor >= 1;
    let contentLength = -1;
    let chunked = false;
    let otherCoding = false;
    let hint = -1;
    let shed = false;
    let errorClass = '';
    let pos = buf.indexOf(LF, start + 12) + 1;
    while (pos < end) {
      const lineEnd = buf.indexOf(CR, pos);
      if (lineEnd < 0 || lineEnd >= end) return this.fail('HPE_INVALID_HEADER_TOKEN');
      const first = buf[pos] | 0x20;
      if (first === 99 /* c */) {
        if (nameIs(buf, pos, lineEnd, CONTENT_LENGTH)) {
          const n = decimal(buf, pos + 15, lineEnd);
          if (n < 0 || (contentLength >= 0 && n !== contentLength)) return this.fail('HPE_INVALID_CONTENT_LENGTH');
          contentLength = n;
        } else if (nameIs(buf, pos, lineEnd, CONNECTION)) {
          const v = connectionValue(buf, pos + 11, lineEnd);
          if (v === 1) keepAlive = false;
          else if (v === 2) keepAlive = true;
        }
      } else if (first === 116 /* t */) {
        if (nameIs(buf, pos, lineEnd, TRANSFER_ENCODING)) {
          // The last coding decides: chunked, or anything else (the body then runs to the close).
          const codings = buf.toString('latin1', pos + 18, lineEnd).toLowerCase().split(',');
          chunked = codings[codings.length - 1].trim() === 'chunked';
          otherCoding = !chunked;
        }
      } else if (first === 107 /* k */) {
        if (nameIs(buf, pos, lineEnd, KEEP_ALIVE)) hint = keepAliveTimeout(buf, pos + 11, lineEnd);
      } else if (first === 115 /* s */) {
        if (nameIs(buf, pos, lineEnd, SLOCTL_SHED)) shed = true;
        else if (nameIs(buf, pos, lineEnd, SLOCTL_ERROR_CLASS)) errorClass = classMark(buf, pos + SLOCTL_ERROR_CLASS.length + 1, lineEnd);
      }
      pos = lineEnd + 2;
    }

    if (status < 200) {
      if (status === 101) return this.fail('HPE_UNEXPECTED_UPGRADE'); // never asked for
      return 0; // interim response: the final one follows
    }
    this.status = status;
    this.shed = shed;
    this.errorClass = errorClass;
    this.keepAliveHintMs = hint;
    this.keepAlive = keepAlive;
    if (!this.expectsBody || status === 204 || status === 304) {
      this.state = State.Done;
      return 0;
    }
    if (chunked) {
      // Content-Length beside chunked is ignored (RFC 9112 6.3), and the connection is not reused.
      if (contentLength >= 0) this.keepAlive = false;
      this.state = State.ChunkSize;
      this.remaining = 0;
      this.chunkDigits = 0;
      return 0;
    }
    if (contentLength >= 0 && !otherCoding) {
      if (contentLength === 0) {
        this.state = State.Done;
        return 0;
      }
      this.state = State.Length;
      this.remaining = contentLength;
      return 0;
    }
    this.state = State.UntilClose;
    this.keepAlive = false;
    return 0;
  }
}

/** Whether the header line at `pos` is `name:` (any case). */
function nameIs(buf: Buffer, pos: number, lineEnd: number, name: Uint8Array): boolean {
  const n = name.length;
  if (pos + n >= lineEnd || buf[pos + n] !== COLON) return false;
  for (let i = 0; i < n; i++) if ((buf[pos + i] | 0x20) !== name[i]) return false;
  return true;
}

/** A decimal header value (optional whitespace around it), or -1. */
function decimal(buf: Buffer, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SP || buf[pos] === HT)) pos++;
  while (end > pos && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
  if (pos === end || end - pos > 15) return -1;
  let n = 0;
  for (; pos < end; pos++) {
    const d = buf[pos] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** An error-class mark's value, trimmed: a class name (letters, digits, `_ . : -`, at most MAX_CLASS_MARK), else ''. */
function classMark(buf: Buffer, pos: number, end: number): string {
  while (pos < end && (buf[pos] === SP || buf[pos] === HT)) pos++;
  while (end > pos && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
  if (pos === end || end - pos > MAX_CLASS_MARK) return '';
  for (let i = pos; i < end; i++) {
    const c = buf[i];
    const ok = (c >= 48 && c <= 58) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95 || c === 46 || c === 45;
    if (!ok) return '';
  }
  return buf.toString('latin1', pos, end);
}

/** Connection header: 1 when it has the token close, 2 for keep-alive, 0 otherwise. */
function connectionValue(buf: Buffer, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SP || buf[pos] === HT)) pos++;
  while (end > pos && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
  if (end - pos === 10 && matches(buf, pos, KEEP_ALIVE)) return 2;
  if (end - pos === 5 && matches(buf, pos, CLOSE)) return 1;
  // A list of tokens (rare): close wins.
  const tokens = buf.toString('latin1', pos, end).toLowerCase().split(',').map((t) => t.trim());
  if (tokens.includes('close')) return 1;
  return tokens.includes('keep-alive') ? 2 : 0;
}

/** timeout=N in a Keep-Alive header, in ms, or -1. */
function keepAliveTimeout(buf: Buffer, pos: number, end: number): number {
  for (let i = pos; i + 8 <= end; i++) {
    if ((buf[i] | 0x20) === 116 && matches(buf, i, TIMEOUT) && buf[i + 7] === 61 /* = */) {
      let n = -1;
      for (let k = i + 8; k < end; k++) {
        const d = buf[k] - 48;
        if (d < 0 || d > 9) break;
        n = (n < 0 ? 0 : n * 10) + d;
      }
      return n < 0 ? -1 : n * 1000;
    }
  }
  return -1;
}

function matches(buf: Buffer, pos: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if ((buf[pos + i] | 0x20) !== word[i]) return false;
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
