// The run journal: one JSON line per event, written as the run goes, so an interrupted or killed
// run keeps everything it measured up to its last completed line.
//
// Each line is `{"t": "<ISO time>", "event": "<name>", ...data}`, written with one synchronous
// write (the OS has it even if sloctl is killed the next instant). Numbers JSON cannot hold are
// written as in --json: NaN as null, ±Infinity as the strings "Infinity" / "-Infinity".
// Default place: <root>/.sloctl/runs/<service>-<yyyymmdd-hhmmss>/journal.jsonl (UTC time), with the
// started target's log beside it as target.log; creating runs/ writes .sloctl/.gitignore (runs/).
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { jsonSafe } from '../report/json.ts';

export interface JournalEvent {
  t: string;
  event: string;
  [key: string]: unknown;
}

/** A file name part from a service name: letters, digits, dot, dash, underscore. */
function safeName(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return out === '' ? 'service' : out.slice(0, 80);
}

function stamp(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}

/** The directory of one run: <root>/.sloctl/runs/<service>-<yyyymmdd-hhmmss> (UTC). */
export function runDirectory(root: string, service: string, at: Date = new Date()): string {
  return join(root, '.sloctl', 'runs', `${safeName(service)}-${stamp(at)}`);
}

/**
 * The default journal path of a run. Two runs of the same service in the same second get
 * -2, -3... so neither overwrites (appends to) the other.
 */
export function defaultJournalPath(root: string, service: string, at: Date = new Date()): string {
  const base = runDirectory(root, service, at);
  // Creating .sloctl/runs/ (or .sloctl/ itself) keeps the runs out of git (see ignoreRuns).
  if (mkdirSync(dirname(base), { recursive: true }) !== undefined) ignoreRuns(dirname(dirname(base)));
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(dir); // not recursive: fails when the directory exists, which is the point
      return join(dir, 'journal.jsonl');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Where the target's log of a run goes: `target.log` beside a run directory's `journal.jsonl`; beside
 * a journal named with --journal, its name with `.target.log` (`ci/gate.jsonl` → `ci/gate.target.log`),
 * so two runs journaled side by side do not write one log.
 */
export function targetLogPath(journalPath: string): string {
  const name = basename(journalPath);
  if (name === 'journal.jsonl') return resolve(dirname(journalPath), 'target.log');
  return resolve(dirname(journalPath), `${name.replace(/\.jsonl?$/, '')}.target.log`);
}

/** What `.sloctl/.gitignore` says: the runs are this machine's; the baseline is meant to be committed. */
export const SLOCTL_GITIGNORE = `# Written by sloctl: run journals and target logs stay out of git.
# baseline.json is not ignored: commit it, so CI compares with the last accepted build.
runs/
`;

/**
 * Writes `<dir>/.gitignore` (dir is the .sloctl directory) ignoring runs/, unless a .gitignore is
 * there already: the user's own is left as it is. Called when the gate creates runs/, so a file the
 * user deleted on purpose is not written again on every run. Best effort: a gate run does not fail
 * over its .gitignore (a directory it cannot write fails the journal, with the reason, anyway).
 */
export function ignoreRuns(dir: string): void {
  try {
    writeFileSync(join(dir, '.gitignore'), SLOCTL_GITIGNORE, { flag: 'wx' });
  } catch {
    // EEXIST: the user's own stays; anything else: see above.
  }
}

/**
 * Why a journal cannot be written at `path` (absolute), or undefined when it can: a directory, a
 * file that cannot be opened for appending, or a missing directory that cannot be created (a file
 * in the way, no write permission, a read-only file system). Creates nothing.
 */
export function journalPathProblem(path: string): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file further up the path, named by the walk below.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (st?.isDirectory()) return `${path} is a directory; name a file, e.g. ${join(path, 'journal.jsonl')}`;
  if (st) {
    try {
      // Appending to an existing file changes nothing until the first event.
      closeSync(openSync(path, 'a'));
      return undefined;
    } catch (e) {
      return `${path} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  }
  // It does not exist: the nearest existing ancestor must be a directory we may create in.
  for (let dir = dirname(path), prev = path; dir !== prev; prev = dir, dir = dirname(dir)) {
    let d;
    try {
      d = statSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') continue; // a file further up: found below
      return `${dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (!d.isDirectory()) return `${dir} is a file, not a directory, so ${path} cannot be created`;
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (e) {
      return `${path} cannot be created: ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    return undefined;
  }
  return undefined;
}

export class Journal {
  readonly path: string;
  private fd: number | undefined;
  private readonly now: () => Date;

  /** Opens `path` for appending (its directory is created). Throws when it cannot be written. */
  constructor(path: string, options: { now?: () => Date } = {}) {
    this.path = path;
    this.now = options.now ?? (() => new Date());
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /**
   * Appends one event line. `t` and `event` come first and cannot be overridden by `data`.
   * A write after close() is ignored: a late callback (a target exiting during shutdown) must not
   * crash the run.
   */
  write(event: string, data: Record<string, unknown> = {}): void {
    if (this.fd === undefined) return;
    const line: Record<string, unknown> = { t: this.now().toISOString(), event };
    for (const [k, v] of Object.entries(data)) if (k !== 't' && k !== 'event') line[k] = v;
    writeSync(this.fd, `${JSON.stringify(line, jsonSafe)}\n`);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface JournalRead {
  events: JournalEvent[];
  /** The last line had no newline and was not valid JSON: the run was cut off while writing it. */
  truncated?: { line: number; text: string };
  /** Lines before the last that are not events (a damaged file), with why. */
  invalid: Array<{ line: number; message: string }>;
}

/** Reads a journal, tolerating a cut-off last line (an interrupted run) and reporting it. */
export function readJournal(path: string): JournalRead {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // A complete file ends with a newline, leaving an empty last piece; anything else is partial.
  const tail = lines.pop() ?? '';
  const out: JournalRead = { events: [], invalid: [] };
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    const e = parseEvent(l);
    if (typeof e === 'string') out.invalid.push({ line: i + 1, message: e });
    else out.events.push(e);
  });
  if (tail.trim() !== '') {
    const e = parseEvent(tail);
    if (typeof e === 'string') out.truncated = { line: lines.length + 1, text: tail.length > 200 ? `${tail.slice(0, 200)}...` : tail };
    else out.events.push(e); // complete, only the newline is missing
  }
  return out;
}

function parseEvent(line: string): JournalEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.event !== 'string' || typeof o.t !== 'string') return 'no "t" and "event"';
  return o as JournalEvent;
}
