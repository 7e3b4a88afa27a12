// One atomic writer for every file sloctl writes (outputs, baselines): a temporary file beside the
// target, then a rename, so a run killed while writing leaves the previous file whole. Below the
// command line (src/cli re-exports it), so the gate's baseline can use it without climbing into
// the CLI.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';

/** Writes `text` to `path` atomically; a failure is a UsageError naming `shown` (the path as the user wrote it). */
export function writeAtomically(path: string, text: string, shown = path): void {
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
