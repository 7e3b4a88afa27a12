// Go string literals to their values, following the Go spec: interpreted strings ("...") with
// their escapes, raw strings (`...`) verbatim except that carriage returns are dropped.

import type { GoNode } from './go-parser.ts';

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '\\': 0x5c, "'": 0x27, '"': 0x22,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value of a string literal node, or undefined for any other node or a malformed one. */
export function decodeGoString(node: GoNode): string | undefined {
  const text = node.text;
  if (node.type === 'raw_string_literal') {
    if (text.length < 2 || !text.startsWith('`') || !text.endsWith('`')) return undefined;
    return text.slice(1, -1).split('\r').join('');
  }
  if (node.type === 'interpreted_string_literal') {
    if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return undefined;
    return decodeInterpreted(text.slice(1, -1));
  }
  return undefined;
}

/**
 * Escapes are decoded to bytes, as Go does (`\xff` is one byte, not U+00FF), then the bytes are
 * read as UTF-8. Metric names are ASCII, so any difference only matters for invalid names.
 */
function decodeInterpreted(body: string): string | undefined {
  const bytes: number[] = [];
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (ch !== '\\') {
      const codePoint = body.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...encoder.encode(char));
      i += char.length;
      continue;
    }
    const kind = body[i + 1];
    if (kind === undefined) return undefined;
    if (Object.hasOwn(SIMPLE_ESCAPES, kind)) {
      bytes.push(SIMPLE_ESCAPES[kind]);
      i += 2;
    } else if (kind === 'x') {
      const value = hexValue(body.slice(i + 2, i + 4), 2);
      if (value === undefined) return undefined;
      bytes.push(value);
      i += 4;
    } else if (kind === 'u' || kind === 'U') {
      const digits = kind === 'u' ? 4 : 8;
      const value = hexValue(body.slice(i + 2, i + 2 + digits), digits);
      if (value === undefined || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return undefined;
      bytes.push(...encoder.encode(String.fromCodePoint(value)));
      i += 2 + digits;
    } else if (kind >= '0' && kind <= '7') {
      const value = octalValue(body.slice(i + 1, i + 4));
      if (value === undefined || value > 0xff) return undefined;
      bytes.push(value);
      i += 4;
    } else {
      return undefined;
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

function hexValue(digits: string, length: number): number | undefined {
  if (digits.length !== length) return undefined;
  let value = 0;
  for (const d of digits) {
    const n = parseInt(d, 16);
    if (Number.isNaN(n)) return undefined;
    value = value * 16 + n;
  }
  return value;
}

function octalValue(digits: string): number | undefined {
  if (digits.length !== 3) return undefined;
  let value = 0;
  for (const d of digits) {
    if (d < '0' || d > '7') return undefined;
    value = value * 8 + Number(d);
  }
  return value;
}
