// Reading and writing the baseline file (its shape and checks: src/verdicts/baseline.ts). Written
// atomically (a temporary file beside it, then a rename) so a run killed while writing leaves the
// previous baseline whole; the writer is sloctl's one atomic writer (src/files/write-atomically.ts).
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.ts';
import { writeAtomically } from '../files/write-atomically.ts';
import { BASELINE_WHAT_TO_DO, parseBaseline, unreadableBaseline, type BaselineFile } from '../verdicts/baseline.ts';

/**
 * The baseline at PATH for SERVICE; undefined when there is none yet. A file that is there but
 * cannot be used (unreadable, not JSON, another version, another service, malformed) is a
 * UsageError (exit 2) that names the file and says what to do.
 */
export function readBaseline(path: string, service: string, shown = path): BaselineFile | undefined {
  let text: string;
  try {
    // A device, a pipe or a socket (`--baseline /dev/null`) is no baseline, and not one to delete.
    const st = statSync(path);
    if (!st.isFile() && !st.isDirectory()) throw new UsageError(`baseline ${shown} is not a regular file (a device, pipe or socket): name a JSON file with --baseline (the default is .sloctl/baseline.json beside the contract), or leave the flag out`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read baseline ${shown}: ${code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`baseline ${shown} is not valid JSON (${(e as Error).message}): ${BASELINE_WHAT_TO_DO}`);
  }
  return parseBaseline(data, service, shown);
}

/**
 * Writes the baseline atomically: a temporary file in the same directory, then a rename over PATH,
 * so a reader sees the old file or the new one, never half of one. Creates the directory
 * (.sloctl/ by default). Refuses a baseline it could not read back (e.g. a NaN p95 would become null).
 */
export function writeBaseline(path: string, file: BaselineFile, shown = path): void {
  const problem = unreadableBaseline(file);
  if (problem !== undefined) throw new Error(`refusing to write baseline ${shown}: it would not read back, ${problem}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the directory of baseline ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`, shown);
}
