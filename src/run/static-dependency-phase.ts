// The static dependency check `sloctl accept` runs first (no service needed): the service's code
// scanned as `validate --project` (Node) or `--go-module-path` (Go) does, its outbound calls
// without a timeout, and the declared dependencies it never names through sloctl's SDK
// (src/scan/unnamed-dependencies.ts), judged by src/verdicts/static-dependencies.ts. The scanners
// load only here.
import { relative } from 'node:path';
import type { Contract } from '../contract/schema.ts';
import { dependencyOf } from '../scan/untimed-dependency.ts';
import type { ScanResult } from '../scan/types.ts';
import { namingCall, unnamedDependencies } from '../scan/unnamed-dependencies.ts';
import { judgeStaticDependencies, type StaticDependencyVerdict } from '../verdicts/static-dependencies.ts';

export async function staticDependencyPhase(o: { contract: Contract; dir: string; cwd?: string }): Promise<StaticDependencyVerdict> {
  const go = o.contract.service.runtime === 'go';
  const language = go ? 'Go' : 'TypeScript/JavaScript';
  const shown = relative(o.cwd ?? process.cwd(), o.dir) || '.';
  // requireTimeout defaults to true inside `objectives.dependencies`; without the section nothing
  // requires a timeout, as `validate --project` says ("not checked: it declares no dependencies
  // contract"). accept read a missing section as true and failed the contract on calls validate
  // passed (a user trial: a fetch in a script beside the service).
  const section = o.contract.objectives.dependencies;
  const requireTimeout = section?.requireTimeout ?? false;
  const undeclared = section === undefined;
  let result: ScanResult;
  try {
    if (go) result = await (await import('../scan/go.ts')).scanGoModule(o.dir);
    else result = await (await import('../scan/typescript.ts')).scanTypeScriptProject(o.dir);
  } catch (e) {
    return judgeStaticDependencies({ dir: shown, language, filesScanned: 0, untimed: [], requireTimeout, undeclared, error: (e as Error).message });
  }
  const untimed = result.untimedClients.map((u) => {
    const dep = dependencyOf(u, o.contract.dependencies);
    return { file: u.file, line: u.line, col: u.col, call: u.call, via: u.via, fix: u.fix, ...(dep ? { dependency: { name: dep.name, timeoutMs: dep.timeout } } : {}) };
  });
  const sdk = { metrics: result.metrics, named: result.sdkDependencies, unfollowed: result.unfollowedDependencyCalls, warnings: result.warnings };
  const found = unnamedDependencies(o.contract.dependencies.map((d) => d.name), sdk);
  const at = (w: { file: string; line: number; col: number }) => `${shown.replace(/\/$/, '')}/${w.file}:${w.line}:${w.col}`;
  const naming = found.decided
    ? { unnamed: found.unnamed.map((name) => ({ name, call: namingCall(name, go ? 'go' : 'node', result.sdkDependencies), critical: o.contract.dependencies.find((d) => d.name === name)!.critical })) }
    : found.why === 'unread' ? { unnamedUndecided: `the name at ${at(found.unread[0])}${found.unread.length > 1 ? ` (and ${found.unread.length - 1} other place${found.unread.length > 2 ? 's' : ''})` : ''} cannot be read, and may be any of them` } : {};
  return judgeStaticDependencies({ dir: shown, language, filesScanned: result.filesScanned, untimed, requireTimeout, undeclared, ...naming });
}
