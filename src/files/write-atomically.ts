// One atomic writer for every file sloctl writes (outputs, baselines): a temporary file beside the
// target, then a rename, so a run killed while writing leaves the previous file whole. Below the
// command line (src/cli re-exports it), so the gate's baseline can use it without climbing into
// the CLI.
//
// A writer killed between the write and the rename leaves its temporary file behind
// (`.<name>.<pid>.<hex>.tmp`). The next write of the same file removes those whose process no
// longer runs; one whose writer still runs (another sloctl writing the same baseline now) is left.
import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';

const TMP_SUFFIX = /^(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Writes `text` to `path` atomically; a failure is a UsageError naming `shown` (the path as the user wrote it). */
export function writeAtomically(path: string, text: string, shown = path): void {
  removeOrphans(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot write ${shown}: ${err.code === 'ENOENT' ? 'the directory does not exist' : err.code ?? err.message}`);
  }
}

/** The temporary files of `path` that writers killed mid-write left; each removed unless its PID still runs. Never throws. */
export function removeOrphans(path: string): string[] {
  const prefix = `.${basename(path)}.`;
  return removeDeadWriterFiles(dirname(path), (name) => {
    const m = name.startsWith(prefix) ? TMP_SUFFIX.exec(name.slice(prefix.length)) : null;
    return m === null ? undefined : Number(m[1]);
  });
}

/**
 * Removes the files in `dir` that `writerOf` names a writer PID for (undefined: not a temporary
 * file of ours), unless that PID is this process or still runs. Returns what it removed; never
 * throws (no directory: nothing; a file not ours to remove stays).
 */
export function removeDeadWriterFiles(dir: string, writerOf: (name: string) => number | undefined): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = writerOf(name);
    if (pid === undefined || pid === process.pid || pidRunning(pid)) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // not ours to remove (permissions): left as it is
    }
  }
  return removed;
}

/** Whether a process with this PID runs (as any user). */
function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
