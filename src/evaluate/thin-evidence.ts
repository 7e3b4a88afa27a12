// A request SLO over too few requests to judge: when the objective's budget is under one request
// of those the window counted, none bad cannot show it met (503 clean requests cannot tell 99.9%
// from 99%), and a bad one or two cannot show it missed. `sloctl status` then says UNKNOWN, with
// the requests it needs, instead of OK or FAILING, unless the bad ones are too many for the
// objective to explain: then FAILING stands. The gate's rule for a run too short for its objective
// (shortOfObjective, src/verdicts/stats.ts), here on what the window holds: a service just started,
// a quiet one, a few scrapes. The availability composite's samples (one per scrape) follow the same
// budget rule, without the exception (thinSamples).
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

/** What one event of the availability composite is in the embedded engine: a sample per scrape. */
export const SAMPLES_UNIT = 'samples (one per scrape)';

/**
 * Why `total` samples of the availability composite cannot say whether `objective` is met, or
 * undefined when they can: the rule above on samples, without its exception. Under one allowed bad
 * sample (3 samples at 99.9% allow 0.003) nothing they show judges the objective, neither none bad
 * (OK) nor some (FAILING): the binomial tail behind "too many bad to explain" holds for events that
 * are each bad at most the objective's share of the time, independently. Samples of the composite
 * are neither: neighbouring ones judge overlapping spans (the SDK's gauge reads its whole health
 * window at every scrape, so one burst of errors reads bad at several), and a part misses a scrape
 * interval by chance up to 5% of the time (the 95% bound of interval-miss.ts; the SDK's checks
 * compare a ratio over as few as 20 requests), not 0.1%. A user trial read FAILING on 3 scrapes
 * at start-up from one such burst. From `needed` samples on, judged as before.
 */
export function thinSamples(total: number, bad: number, objective: number): string | undefined {
  const allowed = 1 - objective;
  if (!(total > 0) || !(allowed > 0) || total * allowed >= 1) return undefined;
  const n = Math.round(total);
  const needed = Math.ceil(1 / allowed);
  const shown = `${+(objective * 100).toPrecision(6)}%`;
  const seen = bad > 0 ? `${+bad.toPrecision(3)} bad` : 'none bad';
  return `not measurable yet: objective ${shown} allows ${+(total * allowed).toPrecision(2)} bad samples in the ${n.toLocaleString('en-US')} the span counted (one per scrape), and ${n === 1 ? 'one sample' : `${n.toLocaleString('en-US')} samples`} (${seen}) cannot say whether ${shown} is met either way; it needs at least ${needed.toLocaleString('en-US')} samples (--samples), or the whole window through --prometheus`;
}
