// The static half of the dependencies contract in `sloctl accept` (issue 13): the code check of
// `validate --project` / `--go-module-path` (src/scan/ts-timeouts.ts, go-timeouts.ts) found the
// outbound HTTP calls that carry no timeout; with `objectives.dependencies.requireTimeout` (the
// default) each one fails the contract, named by file:line:col with the fix.
//
// And the dependencies the contract declares that the code, which uses sloctl's SDK, never names
// through it (src/scan/unnamed-dependencies.ts; validate's SLO_DEPENDENCY_UNNAMED): a pass with a
// warning, as validate makes it a warning. The service runs and the dependency timeouts phase still
// blackholes the dependency and times the service's answers (it reads no series of the service),
// but the service never reports the dependency's state: `sloctl_dependency_up` has no series for it
// and its health says UNKNOWN, so a drill's detection (and, for a critical one, the availability
// composite) never sees it down.
//
// Pure: the scan's findings in, one verdict out.
import type { UntimedClient } from '../scan/types.ts';
import type { PhaseVerdict } from './accept.ts';

/** A call the scan found (src/scan/types.ts UntimedClient: file relative to the scanned directory), with the dependency it may be. */
export interface UntimedCall extends Omit<UntimedClient, 'target'> {
  /** The contract dependency it may be, and that dependency's timeout (ms). */
  dependency?: { name: string; timeoutMs: number };
}

export interface StaticDependencyInput {
  /** The directory scanned, as the user would write it. */
  dir: string;
  language: 'TypeScript/JavaScript' | 'Go';
  filesScanned: number;
  untimed: readonly UntimedCall[];
  /** objectives.dependencies.requireTimeout (default true when the section is there, false without it). */
  requireTimeout: boolean;
  /** The contract has no `objectives.dependencies`: calls without a timeout are listed, not judged (a pass with a warning), as validate does. */
  undeclared?: boolean;
  /** The scan could not run (a directory that is not there, a parser that failed): the sentence. */
  error?: string;
  /** Declared dependencies the code, which uses sloctl's SDK, never names through it, each with the call that names it. */
  unnamed?: ReadonlyArray<{ name: string; call: string; critical: boolean }>;
  /** Why that could not be told although the code uses the SDK (a name computed at file:line:col). */
  unnamedUndecided?: string;
}

export interface StaticDependencyVerdict extends PhaseVerdict {
  untimed: UntimedCall[];
  filesScanned: number;
}

const where = (u: UntimedCall, dir: string) => `${dir.replace(/\/$/, '')}/${u.file}:${u.line}:${u.col}`;

export function judgeStaticDependencies(i: StaticDependencyInput): StaticDependencyVerdict {
  const name = 'dependencies: outbound calls without a timeout (the code)';
  const base = { name, untimed: [...i.untimed], filesScanned: i.filesScanned };
  if (i.error !== undefined) return { ...base, outcome: 'inconclusive', reason: `the code under ${i.dir} could not be scanned: ${i.error}; pass --project DIR (the service's source directory)` };
  if (i.filesScanned === 0) return { ...base, outcome: 'inconclusive', reason: `no ${i.language} source file under ${i.dir}: the code check had nothing to read; pass --project DIR (the service's source directory)` };
  const list = i.untimed.map((u) => `${where(u, i.dir)} \`${u.call}\` (${u.via})${u.dependency ? `, may be dependency "${u.dependency.name}" (contract timeout ${u.dependency.timeoutMs} ms)` : ''}: ${u.fix}`);
  const files = `${i.filesScanned} ${i.language} file${i.filesScanned === 1 ? '' : 's'}`;
  const unnamed = i.unnamed ?? [];
  const one = unnamed.length === 1;
  const names = unnamed.map((u) => `"${u.name}" (\`${u.call}\`)`);
  const naming = unnamed.length > 0
    ? `; the code uses sloctl's SDK but never names ${one ? 'dependency' : 'dependencies'} ${names.join(', ')} through it: the service never reports ${one ? 'its' : 'their'} state (no \`sloctl_dependency_up\` series, and the health endpoint says UNKNOWN), so ${unnamed.some((u) => u.critical) ? 'availability (which counts a critical dependency down) and ' : ''}the drills never see ${one ? 'it' : 'them'} down; the dependency timeouts phase still blackholes ${one ? 'it' : 'them'} and times the service's answers. Name ${one ? 'it' : 'each'} where the service calls ${one ? 'it' : 'them'} and attach a breaker or check, or remove ${one ? 'it' : 'them'} from the contract`
    : i.unnamedUndecided !== undefined ? `; whether the code names every declared dependency through sloctl's SDK is not judged: ${i.unnamedUndecided}` : '';
  const warn = unnamed.length > 0 ? { warn: true } : {};
  if (i.untimed.length === 0) return { ...base, outcome: 'pass', reason: `${files} under ${i.dir}: every outbound HTTP call sloctl can see carries a timeout${naming}`, ...warn };
  const calls = `${i.untimed.length} call${i.untimed.length === 1 ? '' : 's'} without a timeout ${i.untimed.length === 1 ? 'is' : 'are'}`;
  if (!i.requireTimeout && i.undeclared === true) return { ...base, outcome: 'pass', reason: `the contract declares no dependencies contract (\`objectives.dependencies\`), so ${calls} not judged (as \`validate --project\` says): ${list.join('; ')}${naming}; declare \`objectives.dependencies: {}\` to require a timeout on every outbound call`, warn: true };
  if (!i.requireTimeout) return { ...base, outcome: 'pass', reason: `requireTimeout is false in the contract, so ${calls} not judged: ${list.join('; ')}${naming}`, ...warn };
  return { ...base, outcome: 'fail', reason: `${i.untimed.length} outbound call${i.untimed.length === 1 ? '' : 's'} without a timeout in ${files}: ${list.join('; ')}${naming}` };
}
