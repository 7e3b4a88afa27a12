// The domain errors the contract's error classes name (slo.yaml, `errorClasses`): the SDK
// classifies a thrown error by its class name along the `cause` chain, so these names are part of
// the contract.

/** Payments could not take the charge (down, timing out, or the breaker is open and the queue full). */
export class PaymentsUnavailableError extends Error {
  override name = 'PaymentsUnavailableError';
}

/** The order store gave up on a write that waited on another one for too long. */
export class DeadlockError extends Error {
  override name = 'DeadlockError';
}
