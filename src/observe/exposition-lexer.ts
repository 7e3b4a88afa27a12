// Character classes and number scanning for the exposition parser.
//
// Everything here works on (string, start, end) ranges with charCodeAt, so the parser never
// splits a line or builds a string per character. Numbers take a Clinger fast path (at most 15
// significant digits and a power of ten within 1e22 are exact in binary64, so one multiply or
// divide is correctly rounded) and fall back to Number() on the validated slice otherwise.

export const SP = 32;
export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const HASH = 35;
export const QUOTE = 34;
export const COMMA = 44;
export const EQ = 61;
export const BSLASH = 92;
export const LBRACE = 123;
export const RBRACE = 125;

/** Bit flags in CHAR: a metric name may start with / contain it, a label name may start with / contain it. */
export const METRIC_START = 1;
export const METRIC_CHAR = 2;
export const LABEL_START = 4;
export const LABEL_CHAR = 8;

/** Class bits for the 128 ASCII code units; everything else is 0. */
export const CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  const digit = c >= 48 && c <= 57;
  let bits = 0;
  if (letter || c === 95) bits |= METRIC_START | METRIC_CHAR | LABEL_START | LABEL_CHAR;
  if (c === 58) bits |= METRIC_START | METRIC_CHAR;
  if (digit) bits |= METRIC_CHAR | LABEL_CHAR;
  CHAR[c] = bits;
}

/** A character for an error message: `'x'`, or U+XXXX for anything not printable ASCII. */
export function showChar(c: number): string {
  if (Number.isNaN(c)) return 'end of line';
  if (c > 32 && c < 127) return c === 39 ? `"'"` : `'${String.fromCharCode(c)}'`;
  if (c === SP) return 'a space';
  if (c === TAB) return 'a tab';
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A token for an error message: JSON-quoted (so it stays on one line), cut at 40 characters. */
export function showToken(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

// Exact powers of ten for the fast path.
const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

/**
 * Set by scanFloat/scanInt: false when the range was not a valid number. (NaN is a valid value,
 * so the return value cannot carry the failure.)
 */
export let numberOk = true;

function isLower(c: number, lower: number): boolean {
  return (c | 0x20) === lower;
}

/** Case-insensitive match of s[a,b) with an ASCII lower-case word. */
function wordIs(s: string, a: number, b: number, word: string): boolean {
  if (b - a !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (!isLower(s.charCodeAt(a + i), word.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * A float as Go's strconv.ParseFloat reads it in the text format (decimal only): optional sign,
 * digits with an optional fraction, optional exponent; `NaN`, `Inf`, `Infinity` in any case, with
 * an optional sign. Sets numberOk.
 */
export function scanFloat(s: string, a: number, b: number): number {
  numberOk = true;
  let p = a;
  let neg = false;
  if (p >= b) {
    numberOk = false;
    return NaN;
  }
  let c = s.charCodeAt(p);
  if (c === 43 || c === 45) {
    neg = c === 45;
    p++;
    if (p >= b) {
      numberOk = false;
      return NaN;
    }
    c = s.charCodeAt(p);
  }
  if (c > 57) {
    if (wordIs(s, p, b, 'inf') || wordIs(s, p, b, 'infinity')) return neg ? -Infinity : Infinity;
    if (wordIs(s, p, b, 'nan')) return NaN;
    numberOk = false;
    return NaN;
  }
  let mant = 0;
  let sig = 0; // significant digits taken into mant
  let dropped = 0; // integer digits beyond the fast path (scale up)
  let frac = 0; // fraction digits taken into mant (scale down)
  let digits = 0;
  let exact = true;
  while (p < b) {
    c = s.charCodeAt(p);
    if (c < 48 || c > 57) break;
    digits++;
    if (sig < 15) {
      if (mant !== 0 || c !== 48) sig++;
      mant = mant * 10 + (c - 48);
    } else {
      dropped++;
      exact = false;
    }
    p++;
  }
  if (p < b && c === 46) {
    p++;
    while (p < b) {
      c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      digits++;
      if (sig < 15) {
        if (mant !== 0 || c !== 48) sig++;
        mant = mant * 10 + (c - 48);
        frac++;
      } else if (c !== 48) {
        exact = false;
      }
      p++;
    }
  }
  if (digits === 0) {
    numberOk = false;
    return NaN;
  }
  let exp = 0;
  if (p < b && (c === 101 || c === 69)) {
    p++;
    let eneg = false;
    if (p < b) {
      c = s.charCodeAt(p);
      if (c === 43 || c === 45) {
        eneg = c === 45;
        p++;
      }
    }
    const es = p;
    while (p < b) {
      c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      if (exp < 100000) exp = exp * 10 + (c - 48);
      p++;
    }
    if (p === es) {
      numberOk = false;
      return NaN;
    }
    if (eneg) exp = -exp;
  }
  if (p !== b) {
    numberOk = false;
    return NaN;
  }
  if (exact) {
    const e = exp + dropped - frac;
    let v: number;
    if (mant === 0) v = 0;
    else if (e === 0) v = mant;
    else if (e > 0 && e <= 22) v = mant * POW10[e];
    else if (e < 0 && e >= -22) v = mant / POW10[-e];
    else return Number(s.slice(a, b));
    return neg ? -v : v;
  }
  return Number(s.slice(a, b));
}

/** An integer (optional sign, digits only), as a Prometheus text timestamp in ms. Sets numberOk. */
export function scanInt(s: string, a: number, b: number): number {
  numberOk = true;
  let p = a;
  let neg = false;
  if (p < b) {
    const c = s.charCodeAt(p);
    if (c === 43 || c === 45) {
      neg = c === 45;
      p++;
    }
  }
  if (p >= b) {
    numberOk = false;
    return NaN;
  }
  let v = 0;
  const start = p;
  while (p < b) {
    const c = s.charCodeAt(p);
    if (c < 48 || c > 57) {
      numberOk = false;
      return NaN;
    }
    v = v * 10 + (c - 48);
    p++;
  }
  if (p - start > 15) v = Number(s.slice(start, b));
  return neg ? -v : v;
}

/** True when s[a, a+t.length) equals t. */
export function regionIs(s: string, a: number, t: string): boolean {
  const n = t.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(a + i) !== t.charCodeAt(i)) return false;
  }
  return true;
}

/** True when s[a, a+n) equals s[c, c+n) (both ranges in the same string). */
export function sameRegion(s: string, a: number, c: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(a + i) !== s.charCodeAt(c + i)) return false;
  }
  return true;
}
