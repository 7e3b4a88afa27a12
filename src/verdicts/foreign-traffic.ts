// Requests the service counted that the run did not send: another client (a second gate, a
// user's curl loop, production traffic on a shared instance) sending to the same routes during
// the measured phase. The service's own view then judges that traffic too, so a failure only the
// service's view shows may be the other client's, not this run's. Pure.
//
// Why the margin: the service's window opens with a scrape before the first measured request and
// closes with one after the last answer, and the client counts every request it sent (answered or
// not), so on its own the service never counts more than the client. Requests still in flight at
// the opening scrape (the warm-up's last) add at most a connection's worth each: FOREIGN_MIN
// covers those, FOREIGN_SHARE rounding between two counters read at different instants.
import type { TakingTurns } from './memory.ts';
import type { RouteEvidence } from './routes.ts';
import type { ObjectiveVerdict } from './types.ts';
import { failsObjective, measuredValue, serviceFails, withdrawFailures } from './withdraw.ts';

export const FOREIGN_MIN = 20;
export const FOREIGN_SHARE = 0.02;

export interface ForeignTraffic {
  /** The contract routes where the service counted more than the run sent. */
  routes: Array<{ label: string; sent: number; counted: number }>;
}

/**
 * Undefined when the service counted no more on any route than the run sent (within the margin),
 * or when processes took turns answering its /metrics (`takingTurns`, cluster mode): then a count
 * over what was sent is the counters' resets adding one worker's total to another's, not another
 * client (the reason is said once, by the verdicts the turns made INCONCLUSIVE).
 */
export function foreignTraffic(routes: readonly RouteEvidence[], takingTurns?: TakingTurns): ForeignTraffic | undefined {
  if (takingTurns !== undefined) return undefined;
  const over = routes
    .filter((r) => r.client !== undefined && r.service !== undefined && r.service.total > r.client.total * (1 + FOREIGN_SHARE) + FOREIGN_MIN)
    .map((r) => ({ label: r.label, sent: r.client!.total, counted: r.service!.total }));
  return over.length > 0 ? { routes: over } : undefined;
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** The note said whatever the outcome: the numbers, and what they mean for the service's view. */
/** How foreignTrafficNote opens (sloctl accept repeats it: verdicts/accept.ts). */
export const FOREIGN_NOTE_OPENING = 'the service counted requests this run did not send';

export function foreignTrafficNote(f: ForeignTraffic): string {
  const list = f.routes.map((r) => `${r.label}: ${num(r.counted)} counted, ${num(r.sent)} sent`).join('; ');
  return `${FOREIGN_NOTE_OPENING} (${list}): another client was sending to it during the measured phase, so its own view (latency, errors, availability, heap per request) judged that traffic too; run the gate against an instance nobody else uses`;
}

/**
 * A failure only the service's view shows, while the client's view met the objective, may be the
 * other traffic's: taken back as a warning (withdraw.ts). A failure the client saw stands.
 */
export function withdrawForeignFailures(f: ForeignTraffic, verdicts: ObjectiveVerdict[]): string[] {
  const note = `not judged (the service also served another client's requests: ${f.routes.map((r) => `${r.label} ${num(r.counted)} counted, ${num(r.sent)} sent`).join('; ')}):`;
  return withdrawFailures({
    note,
    objective: (v) => serviceFails(v) && measuredValue(v.client) && !failsObjective(v, v.client),
    comparison: () => false,
  }, verdicts);
}

/** The outcome's reason when only such failures were there: nothing can be said either way. */
/** How foreignTrafficReason opens. */
export const FOREIGN_REASON_OPENING = "the service served another client's requests during the run";

export function foreignTrafficReason(withdrawn: readonly string[]): string {
  return `${FOREIGN_REASON_OPENING}, and only its own view failed: ${withdrawn.join('; ')}, where this run's requests met the objective`;
}
