// Finds the source files a scanner reads. Shared by the TypeScript and Go scanners so both
// skip the same kinds of things (hidden directories, symlinks) and report the same way.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ScanWarning } from './types.ts';

/** Files larger than this are generated or vendored, not hand-written registrations. */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

export interface WalkOptions {
  /** Whether a directory name is never entered (hidden directories are always skipped). */
  skipDir: (dirName: string) => boolean;
  /** Whether a file name (not path) is a source file this scanner reads. */
  isSource: (fileName: string) => boolean;
}

export interface SourceFile {
  absPath: string;
  /** Relative to the walk's root, with `/` separators, for stable output on every OS. */
  relPath: string;
}

export interface WalkResult {
  files: SourceFile[];
  warnings: ScanWarning[];
  /** Directories `skipDir` left out (not hidden ones), relative to the root, with `/` separators. */
  skipped: string[];
}

/**
 * Lists source files under `root`, sorted by relative path so results are deterministic.
 * Symlinks are never followed: following one could leave the project (or loop), and a link
 * that stays inside the project points at a file the walk reaches anyway.
 */
export async function walkSourceFiles(root: string, options: WalkOptions): Promise<WalkResult> {
  const files: SourceFile[] = [];
  const warnings: ScanWarning[] = [];
  const skipped: string[] = [];
  const pending: string[] = [path.resolve(root)];
  const base = pending[0];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (entries === null) {
      warnings.push(locatedAt(relative(base, dir), 'cannot read this directory; its files are not checked'));
      continue;
    }
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.')) continue;
        if (options.skipDir(entry.name)) skipped.push(relative(base, abs));
        else pending.push(abs);
      } else if (entry.isFile() && options.isSource(entry.name)) {
        const size = await fileSize(abs);
        const relPath = relative(base, abs);
        if (size > MAX_SOURCE_BYTES) {
          warnings.push(locatedAt(relPath, `skipped: ${size} bytes is over the ${MAX_SOURCE_BYTES}-byte limit for a source file`));
        } else {
          files.push({ absPath: abs, relPath });
        }
      }
    }
  }
  files.sort((a, b) => compare(a.relPath, b.relPath));
  skipped.sort(compare);
  return { files, warnings, skipped };
}

function relative(base: string, abs: string): string {
  return path.relative(base, abs).split(path.sep).join('/');
}

async function fileSize(abs: string): Promise<number> {
  const info = await stat(abs).catch(() => null);
  return info?.size ?? 0;
}

function locatedAt(file: string, message: string): ScanWarning {
  return { file, line: 1, col: 1, message };
}

/** Code-unit order, not locale order, so the result is the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
