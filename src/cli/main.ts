// The sloctl command line: one file per command, each exporting `register(program, ctx)`.
//
// Start-up is part of the interface (the pre-commit hook runs on every commit): only the command
// being run is loaded, so `sloctl validate` never loads the load generator, the gate or the Go
// grammar. With no command (`sloctl --help`) or an unknown one, every command is loaded so that
// commander can list them and suggest the nearest name.
//
// Exit codes (src/errors.ts): 0 yes, 1 no (invalid contract for validate, an objective failed),
// 2 could not run on that input, 3 the target failed, 4 inconclusive, 70 a bug in sloctl. Errors
// map to exit codes here and nowhere else, from their stable `code`.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, exitCodeFor, sloctlCode } from '../errors.ts';
import type { CliContext } from './exit.ts';

type Register = (program: Command, ctx: CliContext) => void;

/** Every command, in the order `sloctl --help` lists them, and how to load it. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<{ register: Register }>]> = [
  ['init', () => import('./init.ts')],
  ['validate', () => import('./validate.ts')],
  ['schema', () => import('./schema.ts')],
  ['hook', () => import('./hook.ts')],
  ['convert', () => import('./convert.ts')],
  ['generate', () => import('./generate.ts')],
  ['status', () => import('./status.ts')],
  ['load', () => import('./load.ts')],
  ['gate', () => import('./gate.ts')],
  ['faults', () => import('./faults.ts')],
  ['drill', () => import('./drill.ts')],
  ['accept', () => import('./accept.ts')],
];

export const COMMAND_NAMES: readonly string[] = COMMANDS.map(([name]) => name);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The command named on the command line: the first argument that is not an option. */
function commandNamed(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

export async function buildProgram(ctx: CliContext, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('sloctl')
    .description('Make a service\'s SLI/SLO contract (slo.yaml) executable.')
    .version(version(), '-V, --version', 'output the version number (-v too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  const named = commandNamed(argv);
  const wanted = COMMANDS.filter(([name]) => name === named);
  for (const [, load] of wanted.length > 0 ? wanted : COMMANDS) (await load()).register(program, ctx);
  program.addHelpText('after', `\n${EXIT_CODES_HELP}`);
  for (const cmd of program.commands) {
    const codes = COMMAND_EXIT_CODES[cmd.name()];
    // A command's subcommands (generate prometheus, faults serve, hook install) end with its codes.
    if (codes) for (const c of [cmd, ...cmd.commands]) c.addHelpText('after', `\n${exitCodesHelp(codes)}`);
  }
  const configure = (cmd: Command, name: string) => {
    for (const sub of cmd.commands) {
      const full = `${name} ${sub.name()}`;
      sub.exitOverride().showHelpAfterError(`(run \`${full} --help\` for usage)`).configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
      configure(sub, full);
    }
  };
  configure(program, 'sloctl');
  return program;
}

/** What each exit code means, one line each; commands print the rows they use. */
const EXIT_CODE_MEANINGS: Readonly<Record<number, string>> = {
  [EXIT.OK]: 'yes: valid, passed, written',
  [EXIT.FAILED]: 'no: the contract is invalid (validate), an objective or the baseline failed, an SLO is failing',
  [EXIT.USAGE]: 'could not run on that input: a bad flag, an unreadable file, an invalid contract',
  [EXIT.TARGET]: 'the target failed: did not start, died, stopped answering, or cannot be reached',
  [EXIT.INCONCLUSIVE]: 'inconclusive: the evidence cannot support a verdict',
  [EXIT.INTERNAL]: 'internal error: a bug in sloctl (please report it with the command line)',
};

/**
 * The exit codes each command can end with (test/cli-exit-codes.test.ts holds them to it); its
 * subcommands' --help list the same: each of generate's, faults' and hook's ends with every code
 * of its command's list (written, a usage error or an invalid contract, a bug), and no other.
 */
export const COMMAND_EXIT_CODES: Readonly<Record<string, readonly number[]>> = {
  init: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  validate: [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TARGET, EXIT.INTERNAL],
  schema: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  hook: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  convert: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  generate: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  status: [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TARGET, EXIT.INCONCLUSIVE, EXIT.INTERNAL],
  load: [EXIT.OK, EXIT.USAGE, EXIT.TARGET, EXIT.INCONCLUSIVE, EXIT.INTERNAL],
  gate: [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TARGET, EXIT.INCONCLUSIVE, EXIT.INTERNAL],
  faults: [EXIT.OK, EXIT.USAGE, EXIT.INTERNAL],
  drill: [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TARGET, EXIT.INCONCLUSIVE, EXIT.INTERNAL],
  accept: [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TARGET, EXIT.INCONCLUSIVE, EXIT.INTERNAL],
};

function exitCodesHelp(codes: readonly number[]): string {
  return `Exit codes:\n${codes.map((c) => `  ${String(c).padEnd(3)} ${EXIT_CODE_MEANINGS[c]}`).join('\n')}`;
}

/** The policy as `sloctl --help` prints it; each command's own help lists the codes it uses. */
export const EXIT_CODES_HELP = `${exitCodesHelp(Object.keys(EXIT_CODE_MEANINGS).map(Number)).replace('Exit codes:', 'Exit codes (the same for every command):')}`;

export async function main(argv: string[], io: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = {
    exitCode: EXIT.OK,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    ...io,
  };
  // `-v` alone is the version too, as most CLIs have it (commands keep -v for their own flags).
  if (argv.length === 3 && argv[2] === '-v') argv = [argv[0], argv[1], '--version'];
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (e) {
    return exitFor(e, ctx);
  }
}

/** Prints what ended the command, in one line, and says which exit code that is. */
export function exitFor(e: unknown, ctx: Pick<CliContext, 'stderr'>, env: NodeJS.ProcessEnv = process.env): number {
  if (e instanceof CommanderError) {
    // commander printed its message already; --help and --version end through here too, successfully.
    return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (sloctlCode(e) !== undefined) {
    ctx.stderr(`sloctl: ${(e as Error).message}\n`);
    return exitCodeFor(e);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const where = env.SLOCTL_DEBUG ? `\n${err.stack ?? ''}` : ' (run again with SLOCTL_DEBUG=1 for the stack)';
  ctx.stderr(`sloctl: internal error, a bug in sloctl and not a verdict: ${err.name}: ${err.message}${where}\n`);
  return EXIT.INTERNAL;
}
