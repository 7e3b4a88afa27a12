// The drift responder's decision: per signal, count consecutive evaluations past the threshold;
// the contract's action is taken when one signal has been past it `evaluations` times in a row,
// and relaxed (hysteresis) when every signal that tripped has been under threshold × relaxFactor
// `evaluations` times in a row. A value between the two (under the threshold, above the relax
// line) neither counts as a breach nor as a recovery: it resets both runs, so a signal hovering
// at its threshold does not flap the action on and off.
//
// A reading can also be withheld (null): the action itself took the signal's evidence away (the
// `shed` action answered every request of the latency objective's routes 503, so none was served
// to be measured). That neither breaches nor recovers: the action holds. Holding for good would
// leave a route shed after the fault cleared, with nothing to show it, so after `probeAfterMs` of
// withheld readings the action relaxes to probe: it comes back at once if the fault is still there.
//
// An action can also take away the evidence it was taken on without the drift being over:
// shedding lowers the event-loop delay of a CPU-bound service, the signal reads well under the
// relax line, the action is lifted, the load comes back, and it trips again (a user's Koa service:
// on and off three times in 17 s). Hysteresis on the value cannot see that; its timing can. An
// action that trips again within `flapWindowMs` of being lifted has come back too soon: the next
// lift waits twice as many recovered evaluations (4x, then 8x at most), so the action probes less
// and less often instead of flapping. A trip after a longer calm starts again at 1x.
//
// Pure: readings and the time come in, the next state and what to do go out. No clock, no I/O
// (the responder in responder.ts owns the timers and the side effects).

export interface DriftSignalSpec {
  /** The contract's signal name: latency, errors, eventLoopDelay, eventLoopUtilization, heap, inFlight. */
  signal: string;
  /** In the signal's unit: ms (latency, eventLoopDelay), a 0..1 ratio (errors, eventLoopUtilization), bytes (heap), requests (inFlight). */
  threshold: number;
  evaluations: number;
}

export interface SignalState {
  /** Consecutive evaluations past the threshold. */
  breaches: number;
  /** Consecutive evaluations under threshold × relaxFactor (counted only while tripped). */
  recoveries: number;
  /** This signal caused (or kept) the action. */
  tripped: boolean;
  /** The last value read (undefined: no evidence, e.g. too few requests). */
  value: number | undefined;
  /** When this signal tripped (ms, the caller's clock). */
  trippedAt?: number;
  /** Since when its readings have been withheld (null) in a row. */
  withheldSince?: number;
}

export interface DriftState {
  signals: SignalState[];
  /** The action is in force. */
  active: boolean;
  /** When the action was last lifted (ms, the caller's clock). */
  relaxedAt?: number;
  /** Times in a row the action came back within flapWindowMs of being lifted (0..MAX_HOLD_DOUBLINGS): a lift waits 2^holdDoublings runs of recoveries. */
  holdDoublings?: number;
}

/** The most a lift's wait is doubled after an action that keeps coming back: 2^3 = 8 runs. */
export const MAX_HOLD_DOUBLINGS = 3;

export type DriftEvent =
  | { kind: 'act'; signal: number; value: number; atMs: number; /** The action came back this soon after it was lifted (ms), and its next lift waits `holdFactor` runs of recoveries. */ cameBackAfterMs?: number; holdFactor?: number }
  | { kind: 'relax'; signal: number; value: number | undefined; atMs: number; /** Relaxed to probe: the signal's evidence was withheld this long (ms). */ probeAfterWithheldMs?: number };

/** The default hysteresis: a tripped signal must read under 90 % of its threshold to count as recovered. */
export const RELAX_FACTOR = 0.9;

/** How long withheld readings hold the action before it relaxes to probe: 10 evaluations, at least 30 s. */
export function probeAfterMs(intervalMs: number): number {
  return Math.max(30_000, 10 * intervalMs);
}

export function initialDriftState(specs: readonly DriftSignalSpec[]): DriftState {
  return { active: false, signals: specs.map(() => ({ breaches: 0, recoveries: 0, tripped: false, value: undefined })) };
}

/**
 * One evaluation. `readings[i]` is signal i's value now (undefined: no evidence, which counts as
 * under the relax line: an idle service is not drifting; null: withheld by the action, see the
 * header). Returns the next state and at most one
 * event: `act` the evaluation the action is taken, `relax` the one it is lifted. `irreversible`
 * (the drain action) never relaxes.
 */
export function evaluateDrift(
  specs: readonly DriftSignalSpec[],
  state: DriftState,
  readings: ReadonlyArray<number | undefined | null>,
  nowMs: number,
  opts: { relaxFactor?: number; irreversible?: boolean; probeAfterMs?: number; flapWindowMs?: number } = {},
): { state: DriftState; event?: DriftEvent } {
  const relaxFactor = opts.relaxFactor ?? RELAX_FACTOR;
  const probeAfter = opts.probeAfterMs ?? 30_000;
  const flapWindow = opts.flapWindowMs ?? probeAfter;
  const memory = { ...(state.relaxedAt !== undefined ? { relaxedAt: state.relaxedAt } : {}), ...(state.holdDoublings ? { holdDoublings: state.holdDoublings } : {}) };
  const signals = specs.map((spec, i) => {
    const prev = state.signals[i] ?? { breaches: 0, recoveries: 0, tripped: false, value: undefined };
    const reading = readings[i];
    const withheld = reading === null;
    const value = reading ?? undefined;
    const breach = value !== undefined && value > spec.threshold;
    const under = !withheld && (value === undefined || value < spec.threshold * relaxFactor);
    const next: SignalState = {
      ...prev,
      value,
      breaches: breach ? prev.breaches + 1 : 0,
      recoveries: prev.tripped && under ? prev.recoveries + 1 : 0,
      withheldSince: withheld ? prev.withheldSince ?? nowMs : undefined,
    };
    if (!withheld) delete next.withheldSince;
    return next;
  });

  if (!state.active) {
    // The first signal (in contract order) to reach its run of breaches trips the action.
    const i = signals.findIndex((s, k) => s.breaches >= specs[k].evaluations);
    if (i < 0) return { state: { active: false, signals, ...memory } };
    for (let k = 0; k < signals.length; k++) {
      if (signals[k].breaches >= specs[k].evaluations) signals[k] = { ...signals[k], tripped: true, trippedAt: nowMs, recoveries: 0 };
    }
    const soon = state.relaxedAt !== undefined && nowMs - state.relaxedAt <= flapWindow;
    const holdDoublings = soon ? Math.min(MAX_HOLD_DOUBLINGS, (state.holdDoublings ?? 0) + 1) : 0;
    const event: DriftEvent = { kind: 'act', signal: i, value: signals[i].value!, atMs: nowMs, ...(soon ? { cameBackAfterMs: nowMs - state.relaxedAt!, holdFactor: 2 ** holdDoublings } : {}) };
    return { state: { active: true, signals, ...(holdDoublings > 0 ? { holdDoublings } : {}) }, event };
  }
  const hold = 2 ** (state.holdDoublings ?? 0);
  const keep = state.holdDoublings ? { holdDoublings: state.holdDoublings } : {};

  // Active: another signal reaching its run of breaches joins the tripped ones (relaxing then waits for it too).
  for (let k = 0; k < signals.length; k++) {
    if (!signals[k].tripped && signals[k].breaches >= specs[k].evaluations) signals[k] = { ...signals[k], tripped: true, trippedAt: nowMs, recoveries: 0 };
  }
  if (opts.irreversible) return { state: { active: true, signals, ...keep } };
  const tripped = signals.map((s, k) => (s.tripped ? k : -1)).filter((k) => k >= 0);
  const probing = (k: number) => signals[k].withheldSince !== undefined && nowMs - signals[k].withheldSince! >= probeAfter * hold;
  const recovered = tripped.every((k) => signals[k].recoveries >= specs[k].evaluations * hold || probing(k));
  if (!recovered) return { state: { active: true, signals, ...keep } };
  const probe = tripped.find(probing);
  const cleared = signals.map((s) => ({ breaches: 0, recoveries: 0, tripped: false, value: s.value }));
  const lifted = { active: false, signals: cleared, relaxedAt: nowMs, ...keep };
  if (probe !== undefined) {
    return { state: lifted, event: { kind: 'relax', signal: probe, value: undefined, atMs: nowMs, probeAfterWithheldMs: nowMs - signals[probe].withheldSince! } };
  }
  // The event names the signal that recovered last (its run just reached its length).
  const last = tripped.reduce((a, k) => (signals[k].recoveries - specs[k].evaluations < signals[a].recoveries - specs[a].evaluations ? k : a), tripped[0] ?? 0);
  return { state: lifted, event: { kind: 'relax', signal: last, value: signals[last].value, atMs: nowMs } };
}
