// A throwaway source tree for the code-check and init tests: each file (path relative to the
// project, directories made as needed) with its text, in a fresh temporary directory.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes the files under a new temporary directory named after `prefix`; returns the directory. */
export function writeProject(files: Record<string, string>, prefix = 'sloctl-project-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
