// The command line in a test, through the real entry point (main(): every command, errors mapped
// to exit codes), with its output captured instead of written.
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sloctl ...args` in `cwd`; `stdout` replaces the capture (to make writing fail, say). */
export async function runCli(args: readonly string[], cwd: string, io: { stdout?: (s: string) => void } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'sloctl', ...args], { stdout: io.stdout ?? ((s) => { stdout += s; }), stderr: (s) => { stderr += s; }, cwd, color: false });
  return { code, stdout, stderr };
}
