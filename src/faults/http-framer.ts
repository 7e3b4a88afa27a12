// Where each HTTP/1.1 request starts and ends on a client's byte stream, so the HTTP toxics can act
// on whole requests (answer one, abort one) while the others go through untouched, keep-alive
// included. Incremental: feed() takes the chunks as they come and returns them cut at request
// boundaries. A request's head is held until it is complete (a toxic decides on the head), then
// given as one piece; body bytes (Content-Length or chunked) follow as slices of the chunks.
//
// A stream that does not start like an HTTP/1.x request (a database protocol), an Upgrade or a
// CONNECT, or a head over 64 KiB: from there on the bytes are `opaque` (req null) and pass.
// Pipelined requests are framed correctly, but an injected answer is written when its request
// ends, so with pipelining it could overtake the answer to an earlier request (no client of note
// pipelines by default).

export interface RequestHead {
  method: string;
  target: string;
}

export interface FramedRequest {
  /** 0-based, per connection. */
  readonly index: number;
  head?: RequestHead;
  /** Set by the caller when the head arrives (what the HTTP toxics decided for this request). */
  decision?: unknown;
}

export interface Piece {
  data: Buffer;
  /** The request the bytes belong to, or null for opaque bytes. */
  req: FramedRequest | null;
  /** This piece is the request's head (the first piece of it). */
  isHead: boolean;
  /** The request ends with this piece. */
  last: boolean;
}

const MAX_HEAD = 64 * 1024;
const enum S { Start, Head, Body, ChunkSize, ChunkData, ChunkCrlf, Trailer, Opaque }

export class HttpRequestFramer {
  private state = S.Start;
  private req: FramedRequest | null = null;
  private count = 0;
  private held: Buffer[] = [];
  private headLen = 0;
  private match = 0;
  private sawSpace = false;
  private remaining = 0;
  private line = '';

  get opaque(): boolean {
    return this.state === S.Opaque;
  }

  feed(chunk: Buffer): Piece[] {
    if (this.state === S.Opaque) return [{ data: chunk, req: null, isHead: false, last: false }];
    // The common case of a body far from its end: the whole chunk is the current request's.
    if (this.state === S.Body && this.remaining > chunk.length) {
      this.remaining -= chunk.length;
      return [{ data: chunk, req: this.req, isHead: false, last: false }];
    }
    const out: Piece[] = [];
    const n = chunk.length;
    let i = 0;
    let seg = 0; // start of the bytes of the current request not yet given out
    let headStart = 0;
    while (i < n) {
      switch (this.state as S) {
        case S.Start:
          this.req = { index: this.count++ };
          this.held = [];
          this.headLen = 0;
          this.match = 0;
          this.sawSpace = false;
          this.state = S.Head;
          headStart = i;
        // falls through
        case S.Head: {
          let done = false;
          for (; i < n; i++) {
            const b = chunk[i];
            this.headLen++;
            if (!this.sawSpace) {
              if (b === 0x20 && this.headLen > 1) this.sawSpace = true;
              else if (b < 0x41 || b > 0x5a || this.headLen > 20) return this.toOpaque(out, chunk, headStart);
            }
            if (this.headLen > MAX_HEAD) return this.toOpaque(out, chunk, headStart);
            this.match = b === (this.match % 2 === 0 ? 0x0d : 0x0a) ? this.match + 1 : b === 0x0d ? 1 : 0;
            if (this.match === 4) {
              i++;
              done = true;
              break;
            }
          }
          if (!done) {
            this.held.push(chunk.subarray(headStart));
            return out;
          }
          this.held.push(chunk.subarray(headStart, i));
          const head = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held);
          this.held = [];
          const parsed = parseHead(head);
          if (!parsed) {
            this.state = S.Opaque;
            out.push({ data: head, req: null, isHead: false, last: false });
            if (i < n) out.push({ data: chunk.subarray(i), req: null, isHead: false, last: false });
            return out;
          }
          this.req!.head = { method: parsed.method, target: parsed.target };
          out.push({ data: head, req: this.req, isHead: true, last: false });
          seg = i;
          if (parsed.upgrade) {
            this.state = S.Opaque;
            if (i < n) out.push({ data: chunk.subarray(i), req: null, isHead: false, last: false });
            return out;
          }
          if (parsed.chunked) {
            this.state = S.ChunkSize;
            this.line = '';
          } else if (parsed.length > 0) {
            this.state = S.Body;
            this.remaining = parsed.length;
          } else {
            seg = this.endRequest(out, chunk, seg, i);
          }
          break;
        }
        case S.Body:
        case S.ChunkData:
        case S.ChunkCrlf: {
          const k = Math.min(this.remaining, n - i);
          i += k;
          this.remaining -= k;
          if (this.remaining === 0) {
            if (this.state === S.Body) seg = this.endRequest(out, chunk, seg, i);
            else if (this.state === S.ChunkData) {
              this.state = S.ChunkCrlf;
              this.remaining = 2;
            } else {
              this.state = S.ChunkSize;
              this.line = '';
            }
          }
          break;
        }
        case S.ChunkSize:
        case S.Trailer: {
          const b = chunk[i++];
          if (b !== 0x0a) {
            if (b !== 0x0d) this.line += String.fromCharCode(b);
            if (this.line.length > 4096) return this.toOpaque(out, chunk, i, seg);
            break;
          }
          if (this.state === S.Trailer) {
            if (this.line === '') seg = this.endRequest(out, chunk, seg, i);
            this.line = '';
            break;
          }
          const size = Number.parseInt(this.line.split(';')[0].trim(), 16);
          this.line = '';
          if (!Number.isFinite(size) || size < 0) return this.toOpaque(out, chunk, i, seg);
          if (size === 0) this.state = S.Trailer;
          else {
            this.state = S.ChunkData;
            this.remaining = size;
          }
          break;
        }
        case S.Opaque:
          out.push({ data: chunk.subarray(i), req: null, isHead: false, last: false });
          return out;
      }
    }
    if (this.state !== S.Start && this.state !== S.Head && seg < n) out.push({ data: chunk.subarray(seg), req: this.req, isHead: false, last: false });
    return out;
  }

  /** The current request ended at `end`: give out its remaining bytes, marked last. */
  private endRequest(out: Piece[], chunk: Buffer, seg: number, end: number): number {
    const prev = out[out.length - 1];
    if (seg === end && prev && prev.req === this.req && prev.isHead) prev.last = true;
    else out.push({ data: chunk.subarray(seg, end), req: this.req, isHead: false, last: true });
    this.state = S.Start;
    return end;
  }

  /** Not HTTP after all: what was held, and the rest, pass as opaque bytes. */
  private toOpaque(out: Piece[], chunk: Buffer, from: number, seg?: number): Piece[] {
    this.state = S.Opaque;
    if (seg !== undefined) {
      // Mid-body: the bytes of the request so far stay with it; the rest is opaque.
      if (seg < from) out.push({ data: chunk.subarray(seg, from), req: this.req, isHead: false, last: false });
    } else {
      for (const h of this.held) out.push({ data: h, req: null, isHead: false, last: false });
      this.held = [];
    }
    if (from < chunk.length) out.push({ data: chunk.subarray(from), req: null, isHead: false, last: false });
    return out;
  }
}

interface ParsedHead {
  method: string;
  target: string;
  length: number;
  chunked: boolean;
  upgrade: boolean;
}

/** The request line and the headers that frame the body; undefined when it is not HTTP/1.x. */
function parseHead(head: Buffer): ParsedHead | undefined {
  const text = head.toString('latin1');
  const lines = text.split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) return undefined;
  let length = 0;
  let chunked = false;
  let upgrade = m[1] === 'CONNECT';
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^[0-9]+$/.test(value)) return undefined;
      length = Number(value);
    } else if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
    else if (name === 'upgrade') upgrade = true;
  }
  return { method: m[1], target: m[2], length: chunked ? 0 : length, chunked, upgrade };
}
