// Who may use the drill endpoint: a caller on this machine (loopback, not relayed by a proxy)
// that presents the service's drill token.
//
// The token is compared in constant time over SHA-256 digests of both sides: timingSafeEqual
// needs equal lengths, and comparing digests (always 32 bytes) keeps the token's length out of
// the timing as well as its content.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackAddress } from '../../net/loopback.ts';
import { DRILL_TOKEN_ENV, MIN_TOKEN_LENGTH } from './types.ts';

/** A drill token that cannot be used (too short, characters a header cannot carry). */
export class DrillTokenError extends Error {
  override name = 'DrillTokenError';
  readonly code = 'SLOCTL_DRILL_TOKEN';
}

export function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when `given` is the token whose digest is `expected`; constant time in both. */
export function tokenMatches(given: string | undefined, expected: Buffer): boolean {
  // A missing token is still hashed and compared, so "missing" takes as long as "wrong".
  const ok = timingSafeEqual(digest(given ?? ''), expected);
  return ok && given !== undefined;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m === null ? undefined : m[1];
}

/**
 * The token the service set: the `drill.token` option, else SLOCTL_DRILL_TOKEN; undefined (no
 * endpoint) when neither is set or the option is false. A token shorter than 16 characters, or
 * one with characters an HTTP header cannot carry, throws with what to do.
 */
export function resolveDrillToken(option: string | false | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option === false) return undefined;
  const fromOption = option !== undefined;
  const token = fromOption ? option : env[DRILL_TOKEN_ENV];
  if (token === undefined || (!fromOption && token === '')) return undefined;
  const where = fromOption ? 'the drill.token option of instrument()' : `the environment variable ${DRILL_TOKEN_ENV}`;
  if (typeof token !== 'string') throw new DrillTokenError(`sloctl: ${where} must be a string`);
  if (!/^[\x21-\x7e]*$/.test(token)) {
    throw new DrillTokenError(`sloctl: the drill token in ${where} has a space or a character outside printable ASCII; an Authorization header cannot carry it. Generate one with \`openssl rand -hex 32\``);
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new DrillTokenError(`sloctl: the drill token in ${where} is ${token.length} characters; it needs at least ${MIN_TOKEN_LENGTH}. Generate one with \`openssl rand -hex 32\`, or ${fromOption ? 'leave the option out' : `unset ${DRILL_TOKEN_ENV}`} to turn the drill endpoint off`);
  }
  return token;
}

export { isLoopbackAddress };

/** Headers a reverse proxy adds: a request carrying one came from elsewhere, through a local proxy. */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'] as const;

/**
 * Whether a request may reach the drill endpoint at all: from a loopback address and not relayed
 * (a proxy on the same host connects from 127.0.0.1 on behalf of anyone).
 */
export function fromThisMachine(remoteAddress: string | undefined, header: (name: string) => string | undefined): boolean {
  if (!isLoopbackAddress(remoteAddress)) return false;
  for (const h of FORWARDING_HEADERS) if (header(h) !== undefined) return false;
  return true;
}
