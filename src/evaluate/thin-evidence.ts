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
import { formatElapsed } from '../contract/units.ts';

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
 * The samples of the availability composite a span holds, and how many of them are independent
 * observations. A sample judges a span of time, not one event: the SDK's gauge judges the service's
 * last health.window (30 s by default) at every scrape, so 1,000 scrapes 10 ms apart judge the same
 * 10 s of requests 1,000 times: one observation, not 1,000. A sample composed from its parts
 * stands for one scrape interval of the contract (what the generated rules compose per Prometheus
 * scrape; its health and dependency parts are readings that a faster scrape only repeats). So a
 * sample counts as an independent observation only when it is at least `spacingMs` after the last
 * one counted (embedded.ts). A burst of fast scrapes then reads as the span it covers.
 */
export interface SampleEvidence {
  /** Samples in the span (one per scrape). */
  samples: number;
  /** Of those, the ones at least `spacingMs` after the previous one counted. */
  independent: number;
  /** From the first sample to the last (ms). */
  spanMs: number;
  /** How far apart samples must be to count separately (ms). */
  spacingMs: number;
  /** What the spacing is, for a reader: "health window the gauge judges". */
  spacingWhat: string;
}

/** Why availability's samples cannot judge its objective, with the numbers (SloStatus.thinSamples). */
export interface ThinSamples extends SampleEvidence {
  reason: string;
  /** Independent observations the objective needs: one allowed bad one, 1 / (1 - objective). */
  needed: number;
}

/**
 * Why the samples of the availability composite cannot say whether `objective` is met, or
 * undefined when they can: the rule above counted in independent observations (SampleEvidence),
 * without its exception. Under one allowed bad observation (3 at 99.9% allow 0.003) nothing they
 * show judges the objective, neither none bad (OK) nor some (FAILING): the binomial tail behind "too
 * many bad to explain" holds for events that are each bad at most the objective's share of the
 * time, independently. Samples of the composite are neither: neighbouring ones judge overlapping
 * spans (one burst of errors reads bad at several), and a part misses a scrape interval by chance
 * up to 5% of the time (the 95% bound of interval-miss.ts; the SDK's checks compare a ratio over as
 * few as 20 requests), not 0.1%. A user trial read FAILING on 3 scrapes at start-up from one such
 * burst. From `needed` independent observations on, judged as before (on every sample).
 */
export function thinSamples(e: SampleEvidence, bad: number, objective: number): ThinSamples | undefined {
  const allowed = 1 - objective;
  const m = Math.round(e.independent);
  if (!(e.samples > 0) || !(allowed > 0) || m * allowed >= 1) return undefined;
  const n = Math.round(e.samples);
  const needed = Math.ceil(1 / allowed - 1e-9);
  const shown = `${+(objective * 100).toPrecision(6)}%`;
  const seen = bad > 0 ? `${+bad.toPrecision(3)} bad` : 'none bad';
  const count = (k: number, one: string, many: string) => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  const held = n === m
    ? `${count(n, 'sample', 'samples')}, ${seen}`
    : `${count(n, 'sample', 'samples')}, ${seen}, over ${formatElapsed(e.spanMs)}, ${count(m, 'independent observation', 'independent observations')}: samples closer than the ${formatElapsed(e.spacingMs)} ${e.spacingWhat} count as one, since they judge the same span`;
  const reason = `not measurable yet: objective ${shown} allows ${+(m * allowed).toPrecision(2)} bad samples in the ${m.toLocaleString('en-US')} independent ${m === 1 ? 'one' : 'ones'} the span held (${held}), which cannot say whether ${shown} is met either way; it needs at least ${needed.toLocaleString('en-US')} samples at least ${formatElapsed(e.spacingMs)} apart (${formatElapsed(needed * e.spacingMs)} of scraping: --samples and --interval), or the whole window through --prometheus`;
  return { ...e, reason, needed };
}
