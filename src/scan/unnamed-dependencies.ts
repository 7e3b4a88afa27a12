// The dependencies a contract declares that its code never names through sloctl's SDK. The SDK
// keeps a state for every declared dependency, but only a breaker or a check attached through the
// name (Node `sdk.dependency('payments').breaker(b)`, Go `sdk.MustDependency("payments").Check(...)`)
// feeds it; a dependency never named stays "unknown": `sloctl_dependency_up` has no series for it,
// the health endpoint says UNKNOWN whatever happens, and (Node) its `useFallback` never reaches the code.
// validate warns about it (SLO_DEPENDENCY_UNNAMED) and accept's static dependency check says it.
//
// Decided only where the scan is in a position to know, so the finding is never a guess:
//   - the code uses the SDK: it switches it on (a bulk `sdk` registration, ts-sdk.ts / go-sdk.ts:
//     `instrument()`, an adapter, `sloctl.New`) or names a dependency through it. A prom-client or
//     promhttp service names no dependency through sloctl, and is not asked to;
//   - no name is unreadable: a computed name, or a file whose SDK calls could not be read (a
//     ScanWarning `about: 'sdk-dependency'`), may be any declared dependency, so nothing is said
//     but that the check could not decide, and where;
//   - a declared name passed to the same method on a receiver sloctl does not follow (an
//     unfollowed call) may reach the SDK: it counts as named.
import type { DependencyCall, RegisteredMetric, ScanWarning, SdkDependency } from './types.ts';

/** The SDK facts of the code that belongs to one contract (file paths as the caller shows them). */
export interface SdkNamingFacts {
  metrics: readonly Pick<RegisteredMetric, 'bulk'>[];
  named: readonly SdkDependency[];
  unfollowed: readonly DependencyCall[];
  warnings: readonly ScanWarning[];
}

export type UnnamedDependencies =
  /** The code does not use sloctl's SDK: nothing to ask of it. */
  | { decided: false; why: 'no-sdk' }
  /** A name sloctl could not read: these warnings say where. */
  | { decided: false; why: 'unread'; unread: ScanWarning[] }
  /** The declared names (in the contract's order) that no call names. */
  | { decided: true; unnamed: string[] };

export function unnamedDependencies(declared: readonly string[], facts: SdkNamingFacts): UnnamedDependencies {
  const usesSdk = facts.named.length > 0 || facts.metrics.some((m) => m.bulk === 'sdk');
  if (!usesSdk) return { decided: false, why: 'no-sdk' };
  const unread = facts.warnings.filter((w) => w.about === 'sdk-dependency');
  if (unread.length > 0) return { decided: false, why: 'unread', unread };
  const names = new Set([...facts.named, ...facts.unfollowed].map((d) => d.name));
  return { decided: true, unnamed: declared.filter((d) => !names.has(d)) };
}

/**
 * The call that names `name`, in the code's own words: the receiver and method of a call it
 * already makes (`this.sdk.dependency('recommendations')` gives `this.sdk.dependency('payments')`),
 * else the SDK's usual spelling for the language.
 */
export function namingCall(name: string, language: 'node' | 'go', named: readonly SdkDependency[]): string {
  for (const d of named) {
    const at = d.call.lastIndexOf(`.${d.method}(`);
    if (at <= 0) continue;
    const receiver = d.call.slice(0, at);
    // A receiver that is itself a long expression (a shortened excerpt, a call) is not copied.
    if (!/^[\w$#.]+$/.test(receiver)) continue;
    return d.method === 'dependency' ? `${receiver}.dependency('${name}')` : `${receiver}.${d.method}(${JSON.stringify(name)})`;
  }
  return language === 'node' ? `sdk.dependency('${name}')` : `sdk.MustDependency(${JSON.stringify(name)})`;
}

/** The naming call with a breaker or a check attached, in the language's terms: how the dependency's state is fed. */
export function attachCalls(call: string, language: 'node' | 'go'): string {
  return language === 'node'
    ? `\`${call}.breaker(circuitBreaker)\` or \`${call}.check(() => ...)\``
    : `\`${call}.Breaker(func() string { return cb.State().String() })\` or \`${call}.Check(func(ctx context.Context) error {...}, time.Second)\``;
}
