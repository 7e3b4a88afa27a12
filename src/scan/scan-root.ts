// The one check both scanners make before walking: the directory must exist. A wrong path is a
// usage error with a clear message, not an empty (and so misleadingly clean) result.

import { stat } from 'node:fs/promises';

export async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new Error(`cannot scan ${dir}: no such directory`);
  if (!info.isDirectory()) throw new Error(`cannot scan ${dir}: not a directory`);
}
