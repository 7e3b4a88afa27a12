// Exit codes shared by every command, and the error that means "you called it wrong".

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  TARGET: 3,
  INCONCLUSIVE: 4,
} as const;

/** A bad flag, an unreadable file, a missing argument: exit 2 with a one-line message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command needs from its surroundings; tests pass their own to capture output. */
export interface CliContext {
  /** Set by the command; main() returns it. */
  exitCode: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  color: boolean;
}
