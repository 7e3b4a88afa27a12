// Where the SDK's contract comes from: a path (relative to the working directory), a file: URL
// (`new URL('./slo.yaml', import.meta.url)`, relative to the code), a Contract already parsed, or
// what `parseContract(text, file)` returned (the way without the worker thread: its findings are
// judged here as a file's are).
//
// A contract with errors is refused at start-up with the same located message `sloctl validate`
// prints: a service must not run against a promise nobody can check. A file is parsed on a worker
// thread (contract-thread.ts), so the parser and schema never load into the service's isolate.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SloctlError } from '../errors.ts';
import { parseOnThread } from './contract-thread.ts';
import type { Contract } from '../contract/schema.ts';
import type { LoadedContract } from '../contract/load.ts';
import { renderDiagnostic } from '../contract/render.ts';

export type ContractSource = string | URL | Contract | LoadedContract;

export class ContractError extends SloctlError {
  override name = 'ContractError';
  readonly code = 'SLOCTL_SDK_CONTRACT';
}

export function isContract(x: unknown): x is Contract {
  return typeof x === 'object' && x !== null && !(x instanceof URL) && (x as { apiVersion?: unknown }).apiVersion === 'sloctl/v1';
}

/** What `parseContract` returns: the file's name, its findings and (when the schema took it) the contract. */
export function isLoadedContract(x: unknown): x is LoadedContract {
  return typeof x === 'object' && x !== null && !(x instanceof URL) && typeof (x as { file?: unknown }).file === 'string'
    && Array.isArray((x as { diagnostics?: unknown }).diagnostics);
}

/** `text`: the file's contents as read (its sha256 is the contract's digest in /healthz?include=config). */
export function loadContract(source: ContractSource): { contract: Contract; file?: string; text?: string } {
  if (isContract(source)) return { contract: source };
  if (isLoadedContract(source)) {
    const errors = source.diagnostics.filter((d) => d.severity === 'error');
    if (source.contract === undefined || errors.length > 0) {
      const shown = errors.length > 0 ? errors.map((d) => renderDiagnostic(d)).join('\n') : `${source.file}: no contract in it`;
      throw new ContractError(`sloctl: the contract ${source.file} is invalid (run \`npx sloctl validate ${source.file}\`):\n${shown}`);
    }
    return { contract: source.contract, file: source.file };
  }
  const file = source instanceof URL ? fileURLToPath(source) : resolve(String(source));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const found = code === 'ENOENT' ? above(file) : undefined;
    if (found !== undefined) {
      // Code compiled to another directory (tsc's outDir: dist/server.js) resolves `./slo.yaml` there.
      const rel = relative(dirname(file), found).split(sep).join('/');
      const fromCwd = relative(process.cwd(), found);
      const cwdHint = fromCwd !== '' && !fromCwd.startsWith('..') ? `, or '${fromCwd.split(sep).join('/')}' (relative to the working directory ${process.cwd()})` : '';
      throw new ContractError(`sloctl: cannot read the contract ${file} (${code}): there is one at ${found}; code compiled to another directory (tsc's outDir) runs from there, so write the path from it: new URL('${rel}', import.meta.url) in an ES module, path.join(__dirname, '${rel}') in CommonJS${cwdHint}`, { cause: err });
    }
    throw new ContractError(`sloctl: cannot read the contract ${file}${code ? ` (${code})` : ''}: pass the path of your slo.yaml (relative to ${process.cwd()}), or one relative to your code: new URL('./slo.yaml', import.meta.url) in an ES module, path.join(__dirname, 'slo.yaml') in CommonJS`, { cause: err });
  }
  let answer;
  try {
    answer = parseOnThread(text, file);
  } catch (err) {
    throw new ContractError(`sloctl: cannot check the contract ${file}: ${(err as Error).message}; parse it yourself and pass it instead: instrument({ contract: parseContract(text, file) }) with parseContract from 'sloctl' (it then loads into this process)`, { cause: err });
  }
  if (!answer.ok) {
    if ('crashed' in answer) throw new ContractError(`sloctl: checking the contract ${file} failed inside sloctl (please report it, with the file): ${answer.crashed}`);
    throw new ContractError(`sloctl: the contract ${file} is invalid (run \`npx sloctl validate ${file}\`):\n${answer.invalid}`);
  }
  return { contract: answer.contract, file, text };
}

/** A file of `file`'s name in one of the 3 directories above it (the project root above dist/ or build/server/), or undefined. */
function above(file: string): string | undefined {
  const name = basename(file);
  let dir = dirname(file);
  for (let i = 0; i < 3; i++) {
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
    const candidate = resolve(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
