// Which saturation signals count as a drill's detection under a contract: the drill judge
// (drill.ts) reads no others, and validate (src/contract/drill-detection.ts, SLO_DRILL_UNDETECTABLE)
// asks the same functions, so the two cannot disagree. A file of its own, importing types only:
// the contract's checks run in the SDK too, and drill.ts would bring the whole judge into it.
// (tsc emits every file a build's program reaches, type imports too: so not drill-types.ts either,
// whose types reach the evaluator; it takes SaturationSignal from here.)
import type { Contract, Drill } from '../contract/schema.ts';

/** Every saturation signal a drill's evidence carries (drill-types.ts SaturationSample). */
const SATURATION_SIGNALS = ['eventLoopDelay', 'eventLoopUtilization', 'heap', 'rss', 'inFlight', 'handles', 'goroutines'] as const;
export type SaturationSignal = (typeof SATURATION_SIGNALS)[number];

/**
 * The saturation signals that count as this drill's detection under the contract: those it gives a
 * warn level that the drill's fault can raise (faultCanRaise). detect() reads no others, and
 * validate (SLO_DRILL_UNDETECTABLE) asks this, so the two cannot disagree.
 */
export function detectingSaturation(contract: Contract, drill: Drill): SaturationSignal[] {
  return SATURATION_SIGNALS.filter((s) => saturationWarn(contract, s) !== undefined && faultCanRaise(drill, s));
}

export function saturationWarn(contract: Contract, signal: SaturationSignal): number | undefined {
  const k = contract.objectives.concurrency;
  const m = contract.objectives.memory;
  switch (signal) {
    case 'eventLoopDelay': return k?.eventLoopDelay?.warn;
    case 'eventLoopUtilization': return k?.eventLoopUtilization?.warn;
    case 'inFlight': return k?.inFlight?.warn;
    case 'handles': return k?.handles?.warn;
    case 'goroutines': return k?.goroutines?.warn;
    case 'heap': return m?.heap?.warn;
    case 'rss': return m?.rss?.warn;
  }
}

/** The saturation signals a drill's fault can raise in the service: all for an in-process fault; queueing for a slow dependency; none for one failing fast. */
const QUEUEING_SIGNALS: ReadonlySet<string> = new Set(['inFlight', 'handles']);
export const SLOW_DEPENDENCY_FAULTS: ReadonlySet<string> = new Set(['latency', 'blackhole', 'bandwidth']);
export function faultCanRaise(drill: Drill, signal: string): boolean {
  if (drill.dependency === undefined) return true;
  return SLOW_DEPENDENCY_FAULTS.has(drill.fault) && QUEUEING_SIGNALS.has(signal);
}
