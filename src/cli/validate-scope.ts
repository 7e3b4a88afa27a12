// Which contract a source file belongs to, for the checks that read the code as one service's:
// the route check (both ways) and --strict's "registered but not in the contract".
//
// A file belongs to the contract in the nearest directory at or above it (slo.yaml or slo.yml,
// validated or not). A file with no contract above it inside the scanned directory belongs to
// the validated contracts that live outside that directory (`validate deploy/slo.yaml --project
// src`), and to none otherwise: in a repository of several services, `--project .` checks each
// contract against its own service's code, not against its neighbours'.

import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

const CONTRACT_FILE_NAMES = ['slo.yaml', 'slo.yml'];

export class Ownership {
  /** Directory of each validated contract -> its file names as shown. */
  readonly #validated = new Map<string, string[]>();
  readonly #onDisk = new Map<string, boolean>();

  constructor(contracts: ReadonlyArray<{ file: string }>, cwd: string) {
    for (const c of contracts) {
      const dir = dirname(resolve(cwd, c.file));
      this.#validated.set(dir, [...(this.#validated.get(dir) ?? []), c.file]);
    }
  }

  /** The validated contracts (as shown) that `absFile`, found under the scanned `absRoot`, belongs to. */
  ownersOf(absRoot: string, absFile: string): string[] {
    for (let dir = dirname(absFile); ; ) {
      const validated = this.#validated.get(dir);
      if (validated) return validated;
      if (inside(absRoot, dir) && this.#hasContract(dir)) return [];
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    const out: string[] = [];
    for (const [dir, files] of this.#validated) if (!inside(absRoot, dir) && !inside(dir, absRoot)) out.push(...files);
    return out;
  }

  #hasContract(dir: string): boolean {
    let has = this.#onDisk.get(dir);
    if (has === undefined) {
      has = CONTRACT_FILE_NAMES.some((name) => existsSync(resolve(dir, name)));
      this.#onDisk.set(dir, has);
    }
    return has;
  }
}

/** Whether `path` is `dir` or below it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}
