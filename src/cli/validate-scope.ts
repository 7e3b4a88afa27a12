// Which contract a source file belongs to, for the checks that read the code as one service's:
// the route check (both ways) and --strict's "registered but not in the contract".
//
// A file belongs to the contract in the nearest directory at or above it (slo.yaml or slo.yml,
// validated or not). A file with no contract above it inside the scanned directory belongs to
// the validated contracts that live outside that directory (`validate deploy/slo.yaml --project
// src`), and to none otherwise: in a repository of several services, `--project .` checks each
// contract against its own service's code, not against its neighbours'.

import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONTRACT_FILE_NAMES } from './files.ts';

export class Ownership {
  /** Directory of each validated contract -> its file names as shown. */
  readonly #validated = new Map<string, string[]>();
  readonly #onDisk = new Map<string, string | undefined>();
  readonly #cwd: string;

  constructor(contracts: ReadonlyArray<{ file: string }>, cwd: string) {
    this.#cwd = cwd;
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

  /**
   * Where a contract's own code is looked for under the scanned `absRoot` (shown as `label`), as
   * the user reads it: its own directory when that is below the scanned one (`bad`, for `validate
   * bad/route.yaml --project .`), else the scanned directory itself.
   */
  scopeOf(file: string, absRoot: string, label: string): string {
    const dir = dirname(resolve(this.#cwd, file));
    if (dir === absRoot || !inside(absRoot, dir)) return label;
    return relative(this.#cwd, dir) || '.';
  }

  /** The contract file (as shown, validated or not) nearest at or above `absFile`, if any. */
  contractOf(absFile: string): string | undefined {
    for (let dir = dirname(absFile); ; ) {
      const validated = this.#validated.get(dir);
      if (validated) return validated[0];
      const onDisk = this.#contractIn(dir);
      if (onDisk) return relative(this.#cwd, onDisk);
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }

  #hasContract(dir: string): boolean {
    return this.#contractIn(dir) !== undefined;
  }

  #contractIn(dir: string): string | undefined {
    if (!this.#onDisk.has(dir)) {
      const name = CONTRACT_FILE_NAMES.find((n) => existsSync(join(dir, n)));
      this.#onDisk.set(dir, name === undefined ? undefined : join(dir, name));
    }
    return this.#onDisk.get(dir);
  }
}

/** Whether `path` is `dir` or below it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}
