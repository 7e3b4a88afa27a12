// opossum options from a contract dependency's `breaker:` entry, shared by the payments and the
// recommendations clients so both read the contract the same way.
import type CircuitBreaker from 'opossum';
import type { Dependency } from 'sloctl/sdk';

export function breakerOptions(dep: Dependency): CircuitBreaker.Options {
  return {
    name: dep.name,
    timeout: false, // each request carries its own timeout (and is cancelled, not just abandoned)
    errorThresholdPercentage: Math.round((dep.breaker?.errorThreshold ?? 0.5) * 100),
    resetTimeout: dep.breaker?.resetTimeout ?? 10_000,
    volumeThreshold: dep.breaker?.volumeThreshold ?? 10,
    // The error share is counted over the last 5 s (opossum's default is 10 s). A dependency that
    // dies after a healthy stretch crosses a 50% threshold about halfway through the window, so
    // 10 s took ~5 s to open: the payments-down drill's whole detectWithin. 5 s opens in ~2.5 s.
    rollingCountTimeout: 5000,
    rollingCountBuckets: 5,
  };
}
