// A request SLO over too few requests to judge: when the objective's budget is under one request
// of those the window counted, none bad cannot show it met (503 clean requests cannot tell 99.9%
// from 99%), and a bad one or two cannot show it missed. `sloctl status` then says UNKNOWN, with
// the requests it needs, instead of OK or FAILING, unless the bad ones are too many for the
// objective to explain: then FAILING stands. The gate's rule for a run too short for its objective
// (shortOfObjective, src/verdicts/stats.ts), here on what the window holds: a service just started,
// a quiet one, a few scrapes.
//
// Pure: counts in, a reason out.
import { shortOfObjective } from '../verdicts/stats.ts';

/**
 * Why `bad` of `total` events cannot say whether `objective` is met, or undefined when they can
 * (enough events, or too many bad ones for the objective to explain). `unit`: what an event is
 * ("requests").
 */
export function thinEvidence(total: number, bad: number, objective: number, unit: string): string | undefined {
  const n = Math.round(total);
  const short = shortOfObjective(total, bad, objective, n);
  if (short === undefined || short.tooMany) return undefined;
  const shown = `${+(objective * 100).toPrecision(6)}%`;
  const seen = short.bad > 0 ? `${short.bad} bad (probability ${short.tail.toPrecision(2)} even if it were met)` : 'none bad';
  return `not measurable yet: objective ${shown} allows ${+short.allowedBad.toPrecision(2)} bad ${unit} in the ${n.toLocaleString('en-US')} the window counted, and it saw ${seen}, which cannot say whether ${shown} is met; it needs at least ${short.needed.toLocaleString('en-US')} ${unit}`;
}
