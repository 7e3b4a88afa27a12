// Why the service under test could not be judged: it did not start, died, or stopped answering.
// Every kind means exit 3 (EXIT.TARGET); the message names the command or URL, what was seen
// (exit code, signal, the last lines of the service's log) and what to do.

import { SloctlError } from '../errors.ts';

export type TargetErrorKind =
  /** The command could not be spawned at all (no shell, missing cwd, unwritable log file). */
  | 'spawn'
  /** target.port is taken before the start (a service left running there would answer for the build), or cannot be listened on. */
  | 'port-busy'
  /** The socket answering on the target's port belongs to another process than the one sloctl started. */
  | 'foreign-listener'
  /** The command exited before its health endpoint said UP. */
  | 'exited'
  /** The health endpoint did not say UP within the start timeout. */
  | 'start-timeout'
  /** The target exited after it had become healthy (mid-run). */
  | 'died'
  /** The health endpoint stopped answering (K probes in a row without an HTTP answer). */
  | 'unresponsive'
  /** --target URL: nothing answers at the health endpoint. */
  | 'unreachable'
  /** --target URL: the health endpoint answers, but not UP (DEGRADED, DOWN, or a non-2xx status). */
  | 'unhealthy';

/** Whether the command had been spawned when this failure came: 'spawn' and 'port-busy' are thrown before (or instead of) spawning it. */
export function spawnedBefore(kind: TargetErrorKind): boolean {
  return kind !== 'spawn' && kind !== 'port-busy';
}

export interface ExitInfo {
  /** Exit code of the command's shell, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TargetError extends SloctlError {
  override name = 'TargetError';
  readonly code = 'SLOCTL_TARGET';
  readonly kind: TargetErrorKind;
  /** The last lines of the service's log, when sloctl started it. */
  readonly logTail?: string;
  readonly exit?: ExitInfo;
  constructor(kind: TargetErrorKind, message: string, extra: { logTail?: string; exit?: ExitInfo; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    if (extra.logTail !== undefined) this.logTail = extra.logTail;
    if (extra.exit !== undefined) this.exit = extra.exit;
  }
}

/** "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: ExitInfo): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  // 126 and 127 are the shell's own: the command is not executable, or not found.
  if (exit.code === 127) return 'exited with code 127 (the shell could not find the command)';
  if (exit.code === 126) return 'exited with code 126 (the command is not executable)';
  return `exited with code ${exit.code}`;
}

/** The log tail as an indented block for a message, or a note that the log is empty. */
export function logBlock(tail: string, logFile: string): string {
  const body = tail.trimEnd();
  if (body === '') return `(the log ${logFile} is empty)`;
  return `last lines of ${logFile}:\n${body.split('\n').map((l) => `  | ${l}`).join('\n')}`;
}
