// The sloctl command line: one file per command, each exporting `register(program)`.
//
// Exit codes are part of the interface (CI keys on them): 0 success, 1 the contract or an
// objective failed, 2 usage error (bad flag, unreadable file), 3 the target failed (did not
// start, died, stopped answering), 4 inconclusive (the run could not judge).
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { register as registerConvert } from './convert.ts';
import { register as registerGenerate } from './generate.ts';
import { register as registerStatus } from './status.ts';
import { register as registerGate } from './gate.ts';
import { register as registerLoad } from './load.ts';
import { register as registerHook } from './hook.ts';
import { register as registerSchema } from './schema.ts';
import { register as registerValidate } from './validate.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sloctl')
    .description('Make a service\'s SLI/SLO contract (slo.yaml) executable.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  registerValidate(program, ctx);
  registerSchema(program, ctx);
  registerHook(program, ctx);
  registerConvert(program, ctx);
  registerGenerate(program, ctx);
  registerStatus(program, ctx);
  registerLoad(program, ctx);
  registerGate(program, ctx);
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

export async function main(argv: string[], io: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = {
    exitCode: EXIT.OK,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    ...io,
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, successfully.
      if (e.exitCode === 0) return EXIT.OK;
      return EXIT.USAGE;
    }
    if (e instanceof UsageError) {
      ctx.stderr(`sloctl: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
}
