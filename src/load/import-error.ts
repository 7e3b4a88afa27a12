// The error every importer throws: it names the file (and the line, for JSON lines) so the message
// alone tells the user where to look.

import { SloctlError } from '../errors.ts';

export class ImportError extends SloctlError {
  override name = 'ImportError';
  readonly code = 'SLOCTL_IMPORT';
  constructor(
    message: string,
    /** The file as shown to the user. */
    readonly file: string,
    /** 1-based line, when the problem is on one line. */
    readonly line?: number,
  ) {
    super(message);
  }
}

/** "file:12: message" or "file: message". */
export function importError(file: string, message: string, line?: number): ImportError {
  return new ImportError(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, file, line);
}

/** A value as quoted in a message: short, and never a whole object. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Parses an RFC 3339 time as Go writes it (nanosecond fractions, Z or ±hh:mm) into ms since epoch, keeping the fraction. */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + (m[2] ? Number(`0${m[2]}`) * 1000 : 0);
}
