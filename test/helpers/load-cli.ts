// `sloctl load` as main() runs it, but registered alone so a test can hand it its own runLoad,
// signal and terminal (LoadCommandDeps); errors map to exit codes the way main() maps them.
import { Command } from 'commander';
import { EXIT, type CliContext } from '../../src/cli/exit.ts';
import { register, type LoadCommandDeps } from '../../src/cli/load.ts';
import { exitFor } from '../../src/cli/main.ts';

export async function runLoadCli(args: string[], deps: LoadCommandDeps, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = { exitCode: EXIT.OK, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, color: false };
  const program = new Command('sloctl').exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  register(program, ctx, { isTTY: false, ...deps });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  try {
    await program.parseAsync(['node', 'sloctl', 'load', ...args]);
    return { code: ctx.exitCode, stdout, stderr };
  } catch (e) {
    const code = exitFor(e, { stderr: (s) => { stderr += s; } });
    return { code, stdout, stderr };
  }
}
