// The errors sloctl raises on purpose, and the exit codes they mean.
//
// Every such error carries a stable `code` (SLOCTL_...), as undici's and fastify's errors do: code
// that handles them, and the command line that turns them into exit codes, key on the code, never
// on the message or the class name. One table (EXIT_FOR_CODE) says what each code means for a
// command's exit status; anything else that escapes a command is a bug in sloctl (EXIT.INTERNAL).
//
// This module is pure and sits below everything (contract, engine, gate, cli all import it).

/**
 * Exit codes, the same for every command (CI keys on them):
 * 0  the command's answer is yes (valid, passed, written);
 * 1  the command's answer is no: `validate` found the contract invalid, an objective or the
 *    baseline failed, an SLO is failing;
 * 2  it could not run on what it was given: a bad flag, an unreadable file, an invalid contract
 *    (for every command but `validate`, whose answer that is), an input of the wrong format;
 * 3  the target failed: the service did not start, died or stopped answering, or the URL to read
 *    (a /metrics endpoint, Prometheus) cannot be reached;
 * 4  inconclusive: it ran, but the evidence cannot support a verdict (the load generator fell
 *    short, the run was interrupted, too little traffic);
 * 70 an internal error: a bug in sloctl (EX_SOFTWARE of sysexits.h), never a verdict.
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  TARGET: 3,
  INCONCLUSIVE: 4,
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type SloctlErrorCode =
  | 'SLOCTL_USAGE'
  | 'SLOCTL_CONTRACT_INVALID'
  | 'SLOCTL_INPUT_INVALID'
  | 'SLOCTL_LOAD_CONFIG'
  | 'SLOCTL_IMPORT'
  | 'SLOCTL_CONVERT'
  | 'SLOCTL_BASELINE'
  | 'SLOCTL_TARGET'
  | 'SLOCTL_SCRAPE'
  | 'SLOCTL_PROMQL'
  | 'SLOCTL_SDK_CONTRACT';

/** What each code means for the exit status of a command that it ends. */
export const EXIT_FOR_CODE: Readonly<Record<SloctlErrorCode, ExitCode>> = {
  SLOCTL_USAGE: EXIT.USAGE,
  SLOCTL_CONTRACT_INVALID: EXIT.USAGE,
  SLOCTL_INPUT_INVALID: EXIT.USAGE,
  SLOCTL_LOAD_CONFIG: EXIT.USAGE,
  SLOCTL_IMPORT: EXIT.USAGE,
  SLOCTL_CONVERT: EXIT.USAGE,
  SLOCTL_BASELINE: EXIT.USAGE,
  SLOCTL_TARGET: EXIT.TARGET,
  SLOCTL_SCRAPE: EXIT.TARGET,
  SLOCTL_PROMQL: EXIT.TARGET,
  // Raised by the SDK inside a service, not by a command; listed so that every code has a row.
  SLOCTL_SDK_CONTRACT: EXIT.USAGE,
};

/** Base of every error sloctl raises on purpose: a one-line message and a stable code. */
export abstract class SloctlError extends Error {
  abstract readonly code: SloctlErrorCode;
}

/** A bad flag, an unreadable file, a missing argument: exit 2 with a one-line message. */
export class UsageError extends SloctlError {
  override name = 'UsageError';
  readonly code = 'SLOCTL_USAGE';
}

/**
 * The contract a command was asked to run on is invalid (its located diagnostics were printed
 * first). For `validate` that is the answer (exit 1); for every other command it is exit 2.
 */
export class InvalidContractError extends SloctlError {
  override name = 'InvalidContractError';
  readonly code = 'SLOCTL_CONTRACT_INVALID';
}

/** An input file that is not a contract (an OpenSLO or Sloth spec) cannot be used; its located diagnostics were printed first. */
export class InvalidInputError extends SloctlError {
  override name = 'InvalidInputError';
  readonly code = 'SLOCTL_INPUT_INVALID';
}

/** The code of an error sloctl raised on purpose; undefined for anything else (a bug). */
export function sloctlCode(e: unknown): SloctlErrorCode | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(EXIT_FOR_CODE, code) ? (code as SloctlErrorCode) : undefined;
}

/** The exit status for an error that ended a command: its code's row, or INTERNAL for a bug. */
export function exitCodeFor(e: unknown): ExitCode {
  const code = sloctlCode(e);
  return code === undefined ? EXIT.INTERNAL : EXIT_FOR_CODE[code];
}
