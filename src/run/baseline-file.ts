// Reading and writing the baseline file (its shape and checks: src/verdicts/baseline.ts). Written
// atomically (a temporary file beside it, then a rename) so a run killed while writing leaves the
// previous baseline whole; the writer is sloctl's one atomic writer (src/files/write-atomically.ts).
//
// Two runs may share one baseline (two CI jobs on one runner, a gate started twice). A run that
// records a baseline writes over the file only if it still holds what the run read (or nothing):
// otherwise another run wrote it meanwhile, and this run, compared against the old one, would
// silently replace the other's (BaselineChangedError). The check and the rename are not one step,
// but the window between them is a rename's, not a run's minutes.
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { jsonErrorPosition, jsonLocator } from '../contract/locate.ts';
import { SloctlError, UsageError } from '../errors.ts';
import { writeAtomically } from '../files/write-atomically.ts';
import { BASELINE_WHAT_TO_DO, parseBaseline, unreadableBaseline, type BaselineFile } from '../verdicts/baseline.ts';

/** The baseline file as a run read it: what it held, and enough to tell later whether it changed. */
export interface BaselineRead {
  /** undefined: there was no baseline yet. */
  file: BaselineFile | undefined;
  /** The SHA-256 of the file's bytes; null when there was no file. */
  sha256: string | null;
  /** When the run read it, ms since the epoch. */
  readAt: number;
}

/** The baseline file changed between the run's read and its write; the write was refused. */
export class BaselineChangedError extends SloctlError {
  override name = 'BaselineChangedError';
  readonly code = 'SLOCTL_BASELINE';
}

/**
 * The baseline at PATH for SERVICE; undefined when there is none yet. A file that is there but
 * cannot be used (unreadable, not JSON, another version, another service, malformed) is a
 * UsageError (exit 2) that names the file (and the line:col, when it can tell) and says what to do.
 */
export function readBaseline(path: string, service: string, shown = path): BaselineFile | undefined {
  return readBaselineFile(path, service, shown).file;
}

/** readBaseline, with what writeBaseline needs to refuse writing over a file another run wrote since. */
export function readBaselineFile(path: string, service: string, shown = path): BaselineRead {
  const readAt = Date.now();
  let bytes: Buffer;
  try {
    // A device, a pipe or a socket (`--baseline /dev/null`) is no baseline, and not one to delete.
    const st = statSync(path);
    if (!st.isFile() && !st.isDirectory()) throw new UsageError(`baseline ${shown} is not a regular file (a device, pipe or socket): name a JSON file with --baseline (the default is .sloctl/baseline.json beside the contract), or leave the flag out`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file: undefined, sha256: null, readAt };
    throw new UsageError(`cannot read baseline ${shown}: ${code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`);
  }
  const text = bytes.toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(notJson(text, (e as Error).message, shown));
  }
  // The text is read again for positions only when a value is wrong.
  return { file: parseBaseline(data, service, shown, (path) => jsonLocator(text)(path)), sha256: sha256(bytes), readAt };
}

/**
 * `baseline .sloctl/baseline.json:23:5: not valid JSON (Unexpected token '<'; the file has merge
 * conflict markers): resolve the conflict, or delete it ...`: the line:col JSON.parse stopped at, when its message tells, and what it
 * said there without its position or its quote of the text.
 */
function notJson(text: string, message: string, shown: string): string {
  const at = jsonErrorPosition(text, message);
  const what = message
    .replace(/^(Unexpected token '[\s\S]'), [\s\S]*is not valid JSON$/, '$1')
    .replace(/ \(line \d+ column \d+\)$/, '')
    .replace(/( in JSON)? at position \d+$/, '');
  const conflict = /^(<{7}|={7}|>{7})(\s|$)/m.test(text);
  return `baseline ${shown}${at ? `:${at.line}:${at.col}` : ''}: not valid JSON (${what}${conflict ? '; the file has merge conflict markers' : ''}): ${conflict ? 'resolve the conflict, or ' : ''}${BASELINE_WHAT_TO_DO}`;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Why a baseline could not be written at PATH, found before a run (`--update-baseline` into a
 * directory that cannot be made or written, or over something that is not a file), or undefined
 * when it can be as far as the file system tells now. The nearest directory that exists must be a
 * directory sloctl may write in: the rest is created when the baseline is written.
 */
export function baselineWriteProblem(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}, not a baseline file`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a directory on the way is a file; the walk up below names it.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${path}: ${code ?? (e as Error).message}`;
  }
  let dir = dirname(path);
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) return `${dir} is a file, not a directory`;
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(dir) === dir) return `${dir}: ${code ?? (e as Error).message}`;
      dir = dirname(dir);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `the directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  return undefined;
}

/**
 * Writes the baseline atomically: a temporary file in the same directory, then a rename over PATH,
 * so a reader sees the old file or the new one, never half of one. Creates the directory
 * (.sloctl/ by default). Refuses a baseline it could not read back (e.g. a NaN p95 would become null).
 * Given what the run READ, refuses (BaselineChangedError) when the file there now is another one:
 * written since by another run, or by hand. A file deleted since is written again (nothing is lost).
 */
export function writeBaseline(path: string, file: BaselineFile, shown = path, read?: BaselineRead): void {
  const problem = unreadableBaseline(file);
  if (problem !== undefined) throw new Error(`refusing to write baseline ${shown}: it would not read back, ${problem}`);
  if (read !== undefined) refuseIfChanged(path, shown, read);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the directory of baseline ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`, shown);
}

function refuseIfChanged(path: string, shown: string, read: BaselineRead): void {
  let bytes: Buffer;
  let modified: Date;
  try {
    modified = statSync(path).mtime;
    bytes = readFileSync(path);
  } catch {
    return; // gone (nothing to lose), or unreadable: the write says what is wrong
  }
  if (sha256(bytes) === read.sha256) return;
  let whose = '';
  try {
    const other = JSON.parse(bytes.toString('utf8')) as Partial<BaselineFile> | null;
    if (typeof other?.commit === 'string') whose = ` (its commit: ${other.commit.slice(0, 12)})`;
  } catch {
    // not JSON: said as written, not whose
  }
  throw new BaselineChangedError(
    `baseline ${shown} was not updated: it changed after this run read it (${new Date(read.readAt).toISOString()}); ` +
      `another run or a person ${read.sha256 === null ? 'created' : 'wrote'} it at ${modified.toISOString()}${whose}, ` +
      `and this run was compared against ${read.sha256 === null ? 'none' : 'the one it read'}, so it is left as it is; ` +
      'rerun the gate with --update-baseline to compare against the baseline there now and record this build',
  );
}
