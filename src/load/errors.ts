// Errors in what a load run was asked to do (bad URL, stages, mix, counts), raised before any
// request leaves. The CLI turns them into usage errors (exit 2); their message says what to fix.
export class LoadConfigError extends Error {
  override name = 'LoadConfigError';
}
