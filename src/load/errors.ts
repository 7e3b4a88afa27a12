// Errors in what a load run was asked to do (bad URL, stages, mix, counts), raised before any
// request leaves. The CLI turns them into usage errors (exit 2); their message says what to fix.
import { SloctlError } from '../errors.ts';

export class LoadConfigError extends SloctlError {
  override name = 'LoadConfigError';
  readonly code = 'SLOCTL_LOAD_CONFIG';
}
