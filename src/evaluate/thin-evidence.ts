// A ratio SLO over too few events to judge: when the objective's budget is under one event of
// those the window counted, none bad cannot show it met (503 clean requests cannot tell 99.9%
// from 99%), and a bad one or two cannot show it missed. `sloctl status` then says UNKNOWN, with
// the events it needs, instead of OK or FAILING, unless the bad events are too many for the
// objective to explain (P(X >= bad) < 5% at its allowed share): then FAILING stands. The gate's
// rule for a run too short for its objective (src/verdicts/objectives.ts measurableOrNot), here on
// what the window holds: a service just started, a quiet one, a few scrapes.
//
// Pure: counts in, a reason out.
import { binomialTailAtLeast } from '../verdicts/stats.ts';

/** How unlikely the bad events must be under the objective for a failure on thin evidence to stand. */
export const THIN_EVIDENCE_ALPHA = 0.05;

/**
 * Why `bad` of `total` events cannot say whether `objective` is met, or undefined when they can
 * (enough events, or too many bad ones for the objective to explain). `unit`: what an event is
 * ("requests", "scrapes").
 */
export function thinEvidence(total: number, bad: number, objective: number, unit: string): string | undefined {
  const allowed = 1 - objective;
  if (!(total > 0) || !(allowed > 0) || total * allowed >= 1) return undefined;
  const n = Math.round(total);
  const k = Math.ceil(bad - 1e-9);
  const tail = binomialTailAtLeast(n, k, allowed);
  if (k > 0 && tail < THIN_EVIDENCE_ALPHA) return undefined;
  const shown = `${+(objective * 100).toPrecision(6)}%`;
  const seen = k > 0 ? `${k} bad (probability ${tail.toPrecision(2)} even if it were met)` : 'none bad';
  return `not measurable yet: objective ${shown} allows ${+(total * allowed).toPrecision(2)} bad ${unit} in the ${n.toLocaleString('en-US')} the window counted, and it saw ${seen}, which cannot say whether ${shown} is met; it needs at least ${Math.ceil(1 / allowed).toLocaleString('en-US')} ${unit}`;
}
