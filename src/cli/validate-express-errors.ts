// Error classes by name on Express without `errorHandler(sdk)`. The Express adapter learns of a
// thrown error only through its error handler; without it every request is classified by the
// status answered, so a class that names errors (`errors: [UpstreamTimeoutError]`) or codes never
// matches one: a 504 the contract calls `transient` (0.3) counts as `server` (2.5). Nothing fails
// at start, and the numbers are silently wrong, so `validate --project` says so where it is certain:
// the code mounts the adapter's middleware, uses its errorHandler nowhere, and no other adapter of
// the SDK (which would see errors itself) is in the code.

import type { Diagnostic } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';
import { ERROR_CLASS_DEFAULTS, type ErrorClass } from '../contract/schema.ts';
import type { ExpressSdkUse } from '../scan/types.ts';

/** `use.middleware.file` is the file as shown to the user. */
export function expressErrorsFinding(l: LoadedContract, use: ExpressSdkUse): Diagnostic | undefined {
  const contract = l.contract;
  const site = use.middleware;
  if (contract === undefined || site === undefined || use.errorHandler || use.otherAdapter) return undefined;
  // Only classes the contract writes: the defaults' TimeoutError and ECONNRESET are no one's stated intent, and have no line to point at.
  if (isDefault(contract.errorClasses)) return undefined;
  const i = contract.errorClasses.findIndex((c) => (c.errors?.length ?? 0) > 0 || (c.codes?.length ?? 0) > 0);
  if (i < 0) return undefined;
  const c = contract.errorClasses[i];
  const key = (c.errors?.length ?? 0) > 0 ? 'errors' : 'codes';
  const named = [...(c.errors ?? []), ...(c.codes ?? [])];
  const shown = named.length > 3 ? `${named.slice(0, 3).join(', ')}, …` : named.join(', ');
  return {
    file: l.file, ...l.locate(['errorClasses', i, key], 'key'), severity: 'warning', code: 'SLO_SDK_ERRORS_UNSEEN',
    path: ['errorClasses', i, key],
    message: `error class \`${c.name}\` matches thrown errors by ${key === 'errors' ? 'name' : 'code'} (${shown}), but the Express service mounts sloctl's middleware and never its errorHandler: the adapter then sees no thrown error, and classifies every request by the status answered (a 500 or 504 is the class its status matches, not \`${c.name}\`)`,
    hint: 'add `app.use(errorHandler(sdk))` after the routes and before your own error handler (`import { errorHandler } from \'sloctl/sdk/express\'`): it records the error and passes it on',
    related: [{ file: site.file, line: site.line, col: site.col, message: `sloctl's Express middleware is mounted here: \`${site.what}\`` }],
  };
}

function isDefault(classes: readonly ErrorClass[]): boolean {
  const key = (c: Partial<ErrorClass>) => JSON.stringify([c.name, c.weight, c.status ?? [], c.errors ?? [], c.codes ?? [], c.good ?? false]);
  return classes.length === ERROR_CLASS_DEFAULTS.length && classes.every((c, i) => key(c) === key(ERROR_CLASS_DEFAULTS[i] as Partial<ErrorClass>));
}
