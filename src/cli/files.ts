// Reading a command's input file and writing its output: one place for the messages a user sees
// when a path is wrong, and for the atomic write every `-o` promises.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { byLocation, hasErrors, type Diagnostic } from '../contract/diagnostic.ts';
import { parseContract, type LoadedContract } from '../contract/load.ts';
import type { Contract } from '../contract/schema.ts';
import { renderDiagnostic } from '../contract/render.ts';
import { writeAtomically } from '../files/write-atomically.ts';
import { pluralize } from './plural.ts';
import { InvalidContractError, UsageError, type CliContext } from './exit.ts';

export interface InputFile {
  abs: string;
  /** As shown to the user: relative to the working directory. */
  shown: string;
  text: string;
}

function reason(e: unknown, directoryHint: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return `is a directory (${directoryHint})`;
  if (code === 'EACCES') return 'permission denied';
  return code ?? (e as Error).message;
}

/** The contract a command reads when none is named: ./slo.yaml, for every command that takes one. */
export const DEFAULT_CONTRACT = 'slo.yaml';
/** The names a contract file has, in the order they are looked for: validate DIR, the hook, init, every command's default. */
export const CONTRACT_FILE_NAMES: readonly string[] = [DEFAULT_CONTRACT, 'slo.yml'];
/** Directories a search for contracts never enters (nor dot directories): dependencies, build output, vendored code. */
export const CONTRACT_SEARCH_SKIP_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', 'vendor']);

/**
 * The contract file a command was given, or ./slo.yaml (else ./slo.yml, the other name the hook,
 * `validate DIR` and init take) when it was given none. When there is neither, a usage error
 * (exit 2) says which directory was looked in and how to name the file (`usage` is the command
 * line to show, e.g. `sloctl gate`), and names the contracts below it (a monorepo's root). A
 * slo.yaml that exists but cannot be read (a link to nowhere, a directory) is left for the reader
 * to describe.
 */
export function contractArgument(cwd: string, file: string | undefined, usage: string): string {
  if (file !== undefined) return file;
  for (const name of CONTRACT_FILE_NAMES) {
    try {
      lstatSync(resolve(cwd, name));
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return name;
    }
  }
  const below = contractsBelow(cwd);
  const more = below.length === 0 ? '' : `; ${pluralize(below.length, 'contract')} ${below.length === 1 ? 'is' : 'are'} below it (${below.slice(0, 5).join(', ')}${below.length > 5 ? ', …' : ''}): ${usage === 'sloctl validate' ? '`sloctl validate .` validates every one' : `name one, e.g. \`${usage} ${below[0]}\``}`;
  throw new UsageError(`no contract named, and no ${DEFAULT_CONTRACT} in ${cwd}: name the contract file (\`${usage} path/to/${DEFAULT_CONTRACT}\`), or run sloctl in the directory that has ${DEFAULT_CONTRACT}${more}`);
}

/** Contract files below `cwd` (relative, sorted), for the message: a bounded walk, 4 levels deep. */
function contractsBelow(cwd: string): string[] {
  const out: string[] = [];
  let visited = 0;
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || visited++ > 2000) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && !e.name.startsWith('.') && !CONTRACT_SEARCH_SKIP_DIRS.has(e.name)) walk(join(dir, e.name), depth + 1);
      else if (e.isFile() && depth > 0 && CONTRACT_FILE_NAMES.includes(e.name)) out.push(relative(cwd, join(dir, e.name)));
    }
  };
  walk(cwd, 0);
  return out.sort();
}

/** Reads FILE relative to the working directory; a missing or unreadable file is a usage error (exit 2). */
export function readInputFile(ctx: CliContext, file: string, directoryHint = 'name the file itself'): InputFile {
  const abs = resolve(ctx.cwd, file);
  const shown = relative(ctx.cwd, abs) || basename(abs);
  try {
    return { abs, shown, text: readFileSync(abs, 'utf8') };
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${reason(e, directoryHint)}`);
  }
}

/** Writes `text` to stdout, or to OUT atomically: a temporary file beside it, then a rename over it. */
export function writeOutput(ctx: CliContext, text: string, output: string | undefined): boolean {
  if (output === undefined || output === '-') {
    ctx.stdout(text);
    return false;
  }
  writeAtomically(resolve(ctx.cwd, output), text, output);
  return true;
}

export { writeAtomically };

/** Prints findings located, with the quoted line, on stderr. */
export function printDiagnostics(ctx: CliContext, diagnostics: readonly Diagnostic[], input: Pick<InputFile, 'shown' | 'text'>): void {
  const sources = new Map([[input.shown, input.text]]);
  for (const d of diagnostics) ctx.stderr(`${renderDiagnostic(d, { sources, color: ctx.color })}\n\n`);
}

/**
 * A contract a command runs against (status, gate): read and checked, or an InvalidContractError (exit 2)
 * after printing its located diagnostics. `command` names what to run again in the message.
 */
export function loadValidContract(ctx: CliContext, file: string, command: string): { contract: Contract; shown: string; abs: string; loaded: LoadedContract } {
  const input = readInputFile(ctx, file, 'name the slo.yaml file');
  const loaded = parseContract(input.text, input.shown);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').sort(byLocation);
  if (!loaded.contract || hasErrors(loaded.diagnostics)) {
    printDiagnostics(ctx, errors, input);
    const them = errors.length === 1 ? 'it' : 'them';
    throw new InvalidContractError(`${input.shown} has ${pluralize(errors.length, 'error')}: fix ${them} (\`sloctl validate ${input.shown}\` lists ${them}) and run ${command} again`);
  }
  return { contract: loaded.contract, shown: input.shown, abs: input.abs, loaded };
}

/**
 * The report files a measuring command writes when its run ends (--junit, --markdown, --html):
 * checked before the run, so a typo'd directory does not cost a whole run and lose its reports
 * after it (a user trial: a 31 s gate, then "cannot write", exit 2, the Markdown not written).
 */
export function checkReportPaths(ctx: CliContext, command: string, outputs: ReadonlyArray<readonly [string, string | undefined]>): void {
  for (const [flag, out] of outputs) {
    if (out !== undefined && !existsSync(dirname(resolve(ctx.cwd, out)))) {
      throw new UsageError(`${flag} ${out}: the directory ${dirname(out)} does not exist; create it first (${command} writes the file when the run ends)`);
    }
  }
}
