// The saturation decision, pure: a signal's value, its warn and critical thresholds and its
// previous state in; its state now and which thresholds it crossed upward out. No clock, no I/O:
// the monitor (monitor.ts) samples and captures at the edge.
//
// A threshold is reached at or above it (as the drill judge reads "at or above warn"). Leaving a
// state needs the value to fall below the threshold by `hysteresis` (default 10%): a heap hovering
// at its warn line would otherwise flap ok/warn every sample, and every flap up would be a crossing.

export type SaturationState = 'ok' | 'warn' | 'critical';
export type SaturationLevel = Exclude<SaturationState, 'ok'>;

/** The signals the Node SDK samples; the contract's units: bytes, ms, ratio 0..1, count. */
export const SATURATION_SIGNALS = ['heap', 'rss', 'eventLoopDelay', 'eventLoopUtilization', 'inFlight', 'handles'] as const;
export type SaturationSignal = (typeof SATURATION_SIGNALS)[number];

export interface Thresholds {
  warn: number;
  critical: number;
}

export interface Decision {
  state: SaturationState;
  /** Thresholds crossed upward by this sample, lower first ([] when none): ok to critical crosses both. */
  crossed: SaturationLevel[];
}

export const DEFAULT_HYSTERESIS = 0.1;

/** The gauge value of a state: 0 ok, 1 warn, 2 critical. */
export function stateValue(s: SaturationState): 0 | 1 | 2 {
  return s === 'ok' ? 0 : s === 'warn' ? 1 : 2;
}

const RANK: Record<SaturationState, number> = { ok: 0, warn: 1, critical: 2 };

/**
 * The state for `value` given the previous one. A value that is not a finite number (no sample
 * this interval) keeps the previous state and crosses nothing.
 */
export function decide(value: number, t: Thresholds, previous: SaturationState, hysteresis = DEFAULT_HYSTERESIS): Decision {
  if (!Number.isFinite(value)) return { state: previous, crossed: [] };
  const keep = 1 - hysteresis;
  let state: SaturationState;
  if (value >= t.critical || (previous === 'critical' && value >= t.critical * keep)) state = 'critical';
  else if (value >= t.warn || (previous !== 'ok' && value >= t.warn * keep)) state = 'warn';
  else state = 'ok';
  const crossed: SaturationLevel[] = [];
  if (RANK[state] > RANK[previous]) {
    if (RANK[previous] < 1) crossed.push('warn');
    if (state === 'critical') crossed.push('critical');
  }
  return { state, crossed };
}
