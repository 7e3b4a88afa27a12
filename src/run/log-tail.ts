// The last lines of a log file, read from its end so a service that logged megabytes costs nothing.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes read from the end: enough for a few dozen long lines. */
const WINDOW = 64 * 1024;
/** A single line longer than this is cut, so one huge line cannot swamp an error message. */
const MAX_LINE = 500;

/** The last `n` lines of `path` (without a final newline); '' when it is missing or empty. */
export function tailFile(path: string, n: number): string {
  if (n <= 0) return '';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, WINDOW);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    let lines = buf.toString('utf8').split(/\r?\n/);
    // Started mid-line: the first piece is a fragment.
    if (len < size) lines = lines.slice(1);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines
      .slice(-n)
      .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}... (${l.length - MAX_LINE} more characters)` : l))
      .join('\n');
  } finally {
    closeSync(fd);
  }
}
