// Which parts of the availability composite a contract can measure without sloctl's SDK.
//
// The composite is health, latency, success and critical dependencies, weighted. The SDK exports
// it as a gauge, and exports `sloctl_dependency_up` per dependency. A service instrumented some
// other way (client_golang's promhttp, its own prom-client metrics: a contract with
// `metrics.labels`) has neither, and the composite is built from its parts: health, latency and
// success from the series every HTTP service has, the dependencies from a gauge the contract maps
// (`metrics.dependencyUp`, 1/0 per `dependency` label). When it maps none, nothing can say whether
// a critical dependency is up: that part is left out and the measured parts' weights renormalised
// (divided by their sum), never read as "up", and never emptying the whole composite (no sample
// at all, and an SLIMissing alert on a healthy service).
//
// One decision, read by the rule generator (src/emit/slos.ts), the embedded engine
// (src/evaluate/definitions.ts, embedded.ts), `status --prometheus` and `validate`, so all of
// them compose the same thing.
import { HEALTH_WINDOW_DEFAULT_MS } from '../sdk/core/health.ts';
import { labelMap } from './label-map.ts';
import type { Contract } from './schema.ts';

export interface UnmeasuredDependencies {
  /** The critical dependencies whose part is not measured. */
  dependencies: string[];
  /** The dependencies part's weight, left out. */
  weight: number;
  /** The sum of the weights of the parts measured: the composite is divided by it. 0: nothing is. */
  measuredWeight: number;
}

/**
 * The dependencies part when it cannot be measured: the contract maps its metrics (not the SDK's),
 * has critical dependencies and a dependencies weight, and maps no `metrics.dependencyUp` gauge.
 * Undefined when the part is measured (or weighs nothing, or there is no availability objective).
 */
export function unmeasuredDependencies(c: Contract): UnmeasuredDependencies | undefined {
  const a = c.objectives.availability;
  if (!a || a.weights.dependencies <= 0) return undefined;
  if (!labelMap(c).mapped || c.metrics?.dependencyUp !== undefined) return undefined;
  const dependencies = c.dependencies.filter((d) => d.critical).map((d) => d.name);
  if (dependencies.length === 0) return undefined;
  const w = a.weights;
  const measuredWeight = +(w.health + w.latency + w.success).toPrecision(12);
  return { dependencies, weight: w.dependencies, measuredWeight };
}

/** One sentence on the part left out, for generate's note, the alerts' text, status and validate. */
export function unmeasuredDependenciesText(u: UnmeasuredDependencies): string {
  const deps = u.dependencies.join(', ');
  const which = u.dependencies.length === 1 ? `the critical dependency ${deps}` : `the critical dependencies ${deps}`;
  if (u.measuredWeight <= 0) {
    return `the availability composite weighs only its dependencies part (${u.weight}), and the contract maps no metrics.dependencyUp gauge for ${which}: nothing it weighs can be measured`;
  }
  return `availability leaves out its dependencies part (weight ${u.weight}): the contract maps no metrics.dependencyUp gauge for ${which}, so whether ${u.dependencies.length === 1 ? 'it is' : 'they are'} up cannot be measured; the health, latency and success parts are renormalised (their weighted sum divided by ${u.measuredWeight})`;
}

/** What to do about it. */
export const UNMEASURED_DEPENDENCIES_FIX = 'export a gauge that is 1 while a dependency is usable and 0 when not, labelled `dependency="<name>"`, and map it (`metrics: { dependencyUp: <your gauge> }`); or accept that availability ignores the dependencies';

/**
 * The span of requests that decides whether an interval of the availability composite below its
 * latency or errors objective missed it (src/engine/interval-miss.ts): the health endpoint's window
 * (`health.window`, 30 s by default: what the SDK's gauge judges), at least four scrape intervals.
 * One scrape interval alone holds too few requests (100 at 99% allow one bad, and one 500 read as a
 * missed interval), and a rate that misses the objective a little in every interval (1 in 20 against
 * 99.5%) shows only over several.
 */
export function partEvidenceWindowMs(c: Pick<Contract, 'health' | 'scrapeInterval'>): number {
  return Math.max(c.health?.window ?? HEALTH_WINDOW_DEFAULT_MS, 4 * c.scrapeInterval);
}
