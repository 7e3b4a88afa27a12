// The static dependency check `sloctl accept` runs first (no service needed): the service's code
// scanned as `validate --project` (Node) or `--go-module-path` (Go) does, its outbound calls
// without a timeout judged by src/verdicts/static-dependencies.ts. The scanners load only here.
import { relative } from 'node:path';
import type { Contract } from '../contract/schema.ts';
import { dependencyOf } from '../scan/untimed-dependency.ts';
import type { ScanResult } from '../scan/types.ts';
import { judgeStaticDependencies, type StaticDependencyVerdict } from '../verdicts/static-dependencies.ts';

export async function staticDependencyPhase(o: { contract: Contract; dir: string; cwd?: string }): Promise<StaticDependencyVerdict> {
  const go = o.contract.service.runtime === 'go';
  const language = go ? 'Go' : 'TypeScript/JavaScript';
  const shown = relative(o.cwd ?? process.cwd(), o.dir) || '.';
  const requireTimeout = o.contract.objectives.dependencies?.requireTimeout ?? true;
  let result: ScanResult;
  try {
    if (go) result = await (await import('../scan/go.ts')).scanGoModule(o.dir);
    else result = await (await import('../scan/typescript.ts')).scanTypeScriptProject(o.dir);
  } catch (e) {
    return judgeStaticDependencies({ dir: shown, language, filesScanned: 0, untimed: [], requireTimeout, error: (e as Error).message });
  }
  const untimed = result.untimedClients.map((u) => {
    const dep = dependencyOf(u, o.contract.dependencies);
    return { file: u.file, line: u.line, col: u.col, call: u.call, via: u.via, fix: u.fix, ...(dep ? { dependency: { name: dep.name, timeoutMs: dep.timeout } } : {}) };
  });
  return judgeStaticDependencies({ dir: shown, language, filesScanned: result.filesScanned, untimed, requireTimeout });
}
