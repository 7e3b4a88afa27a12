// What a command needs from its surroundings, and the exit codes (defined in src/errors.ts, with
// the errors that map to them, so that code beneath the command line can use them too).
export { EXIT, UsageError, InvalidContractError, InvalidInputError, type ExitCode } from '../errors.ts';

/** What a command needs from its surroundings; tests pass their own to capture output. */
export interface CliContext {
  /** Set by the command to its answer (0, 1 or 4); main() returns it. Errors map to codes in main(). */
  exitCode: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  color: boolean;
}
