// What a service does to show a dependency's state, for a drill whose service showed none: the
// drill judge says "it exports no gauge for payments", and this says how to export one for the way
// the contract says the service is instrumented. Pure: the contract in, a sentence out.
import type { Contract } from '../contract/schema.ts';

/**
 * How to report DEP's state so a drill can see it: through the mapped `metrics.dependencyUp`
 * gauge (a service instrumented without sloctl's SDK: `metrics.labels`, the gauge mapped, or a
 * runtime with no SDK), else
 * the SDK of the contract's runtime (Go middleware or Node SDK), whose gauge has no series for a
 * dependency with no breaker and no check attached.
 */
export function dependencyStateHint(contract: Contract, dep: string): string {
  const mapped = contract.metrics?.dependencyUp;
  if (mapped !== undefined) return `the mapped metrics.dependencyUp gauge ${mapped} has no dependency="${dep}" series: set it to 1 while ${dep} is usable and 0 when not`;
  if (contract.metrics?.labels !== undefined || contract.service.runtime === 'other') return `map a gauge that is 1 while ${dep} is usable and 0 when not, labelled dependency="${dep}", as metrics.dependencyUp`;
  if (contract.service.runtime === 'go') {
    return `sloctl's Go middleware exports sloctl_dependency_up only for a dependency with a breaker or a check attached: sdk.MustDependency("${dep}").Breaker(func() string { ... }), .SetBreakerState("open") as it changes, or .Check(fn, timeout)`;
  }
  return `sloctl's SDK exports sloctl_dependency_up only for a dependency with a breaker or a check attached: sdk.dependency('${dep}').breaker(opossumBreaker) or .check(async () => boolean, { timeoutMs })`;
}
