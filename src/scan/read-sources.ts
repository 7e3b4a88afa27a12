// Reads the walked files with bounded parallelism: enough to hide file-system latency, not so
// much that a large project opens thousands of descriptors at once.

import { readFile } from 'node:fs/promises';
import type { SourceFile } from './walk-files.ts';
import type { ScanWarning } from './types.ts';

const PARALLEL_READS = 32;

export interface ReadSource extends SourceFile {
  text: string;
}

export async function readSources(files: readonly SourceFile[], warnings: ScanWarning[]): Promise<ReadSource[]> {
  const read: ReadSource[] = [];
  for (let i = 0; i < files.length; i += PARALLEL_READS) {
    const batch = files.slice(i, i + PARALLEL_READS);
    const texts = await Promise.all(batch.map((file) => readFile(file.absPath, 'utf8').catch(() => undefined)));
    batch.forEach((file, j) => {
      const text = texts[j];
      if (text === undefined) warnings.push({ file: file.relPath, line: 1, col: 1, message: 'cannot read this file; metrics registered in it are not checked' });
      else read.push({ ...file, text });
    });
  }
  return read;
}
