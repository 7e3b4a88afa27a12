// The drift verdict (issue 13, `objectives.drift`): sloctl pushed one declared signal past its
// threshold (a drill: an in-process fault, or a fault on a dependency's proxy) and watched whether
// the service's drift responder took the contract's action in time, and how many requests the
// client lost meanwhile.
//
// Pure: the objective, the signal pushed and how, and time series on ONE clock (ms since the fault
// was applied) in; one ObjectiveVerdict out. No clock, no I/O (test/layering.test.ts).
//
// The deadline. The responder (src/sdk/drift) evaluates every `interval` and acts on the evaluation
// that makes `evaluations` in a row over the threshold. A signal over the threshold from t reads
// over at the latest on the evaluation ending in (t, t + interval], so the action is due by
// t + evaluations × interval. On top of that two allowances, each one interval of someone's clock:
// one `interval` for the responder's phase (its timer is not aligned with the fault: the first
// evaluation may read a window only partly over, and a p99 over a half-blocked window can stay
// under), and one of our scrape intervals (we see the action, like the signal, only on a scrape).
// t is the first scrape showing the service's own value of the signal over the threshold: the
// service's number, not ours, so the responder is judged on what it could see.
//
// Lost requests: an accepted request that got no answer (reset, the connection closed before or in
// the middle of the answer, a timeout). A 503 the service sent while shedding is an answer. For the
// `drain` action, connections refused once the drain closed the listener were never accepted: not
// lost (the service exits by design; the next instance answers them).
//
// Outcome, in this order:
// - INCONCLUSIVE when interrupted; when no declared signal has a fault sloctl can push (named);
//   when the service shows no responder sloctl can see (no sloctl_drift_action: a Go service, a
//   service not instrumented with sloctl's Node SDK); when the signal's own value was never read;
//   when it never crossed the threshold (the fault did not push it: its peak is said); when the
//   action was already in force before the fault; when the window ended before the deadline with
//   no action yet.
// - FAIL when the signal crossed and the action came late or never (numbers: when it crossed, the
//   deadline, when the action came), the SDK runs without its responder (`drift: false`), more
//   than maxLost accepted requests were lost, or the action is drain and the SDK had no server to
//   drain (sloctl_drain_server 0: no sdk.serve(server); the gauge says drain, health says DOWN,
//   and the service goes on accepting and running).
// - PASS otherwise.
import type { ObjectiveVerdict } from './types.ts';

export type DriftAction = 'shed' | 'degrade' | 'drain';
export type DriftSignalName = 'latency' | 'errors' | 'eventLoopDelay' | 'eventLoopUtilization' | 'heap' | 'inFlight';

export interface DriftSignalSpec {
  signal: DriftSignalName;
  /** In the signal's unit: ms (latency, eventLoopDelay), ratio 0..1 (errors, eventLoopUtilization), bytes (heap), requests (inFlight). */
  threshold: number;
  evaluations: number;
  /** latency: the latency objective whose quantile is read. */
  objective?: string;
}

export interface DriftObjectiveInput {
  /** ms between the responder's evaluations. */
  interval: number;
  action: DriftAction;
  maxLost: number;
  signals: readonly DriftSignalSpec[];
}

/** How the signal was pushed. */
export interface DriftFault {
  /** in-process: the SDK's drill endpoint; proxy: a toxic on a dependency's fault proxy. */
  kind: 'in-process' | 'proxy';
  /** event-loop-block, memory-leak, unsettled-promises; http_error, latency for a proxy. */
  name: string;
  params: Readonly<Record<string, number | string>>;
  /** The dependency whose proxy carried the fault. */
  dependency?: string;
  /** How long it was in place (ms). */
  durationMs: number;
}

export interface DriftSample {
  /** ms since the fault was applied (negative: before it). */
  atMs: number;
  value: number;
}

/** The client's requests whose send time fell in one slice. */
export interface DriftRequestSlice {
  /** ms since the fault was applied, the slice's start. */
  atMs: number;
  sent: number;
  /** Answers by status code. */
  statuses: Readonly<Record<string, number>>;
  /** No answer, by kind (src/load/failure-kinds.ts: timeout, ECONNRESET, EOF_BEFORE_RESPONSE, ECONNREFUSED, ...). */
  errors: Readonly<Record<string, number>>;
}

/**
 * What the service showed of a responder:
 * - gauge: it exposes sloctl_drift_action (the SDK's responder);
 * - sdk-without-responder: it runs sloctl's Node SDK (it answered the drill endpoint, or exposes a
 *   family only the Node SDK has) and no sloctl_drift_action: the responder is off;
 * - none: nothing sloctl can read (a Go service, another instrumentation).
 */
export type DriftExposure = 'gauge' | 'sdk-without-responder' | 'none';

export interface DriftInput {
  objective: DriftObjectiveInput;
  /** The signal pushed (one of objective.signals); undefined when none could be pushed. */
  signal?: DriftSignalSpec;
  fault?: DriftFault;
  /** No signal could be pushed: each declared signal and why not. */
  unpushable?: ReadonlyArray<{ signal: string; why: string }>;
  /** Our sampling interval (ms): the scrapes of /metrics. */
  scrapeIntervalMs: number;
  /** The service's own value of the pushed signal, in the threshold's unit, per scrape that carried it. */
  signalSeries: readonly DriftSample[];
  /** The metric the signal was read from (for the sentences). */
  signalSource?: string;
  /** sloctl_drift_action per action label, per scrape. */
  actionSeries: Readonly<Record<string, readonly DriftSample[]>>;
  exposure: DriftExposure;
  runtime?: 'node' | 'go' | 'other';
  /** The client's requests during the phase, by slice (the judge counts those sent from the fault on). */
  requests: readonly DriftRequestSlice[];
  /** ms since the fault when the observation ended (the last scrape). */
  windowEndMs: number;
  interrupted?: boolean;
  /** Why the phase could not run at all (a failed apply: the message, with what to do). */
  error?: string;
  /**
   * The drain action only: whether the SDK had a server to drain (sloctl_drain_server, its last
   * value scraped): false when no server was given to sdk.serve(), so the drain only turned health
   * DOWN and the service kept accepting; undefined when not exposed (another responder, an older SDK).
   */
  drainServer?: boolean;
}

export type DriftOutcome = 'pass' | 'fail' | 'inconclusive';

export interface DriftRequestCounts {
  sent: number;
  answered: number;
  /** 503 answers (shed, or health DOWN). */
  shed: number;
  /** Accepted and not answered. */
  lost: number;
  lostByKind: Record<string, number>;
  /** Never accepted (refused after a drain closed the listener). */
  notAccepted: number;
}

export interface DriftVerdict extends ObjectiveVerdict {
  contract: 'drift';
  outcome: DriftOutcome;
  signalName?: string;
  threshold?: number;
  /** The signal's highest value seen from the fault on, and when (ms since the fault). */
  peak?: number;
  peakAtMs?: number;
  /** First scrape (ms since the fault) with the signal over its threshold. */
  firstOverMs?: number;
  /** firstOverMs + evaluations × interval + the allowance. */
  deadlineMs?: number;
  allowanceMs?: number;
  /** First scrape (ms since the fault) with sloctl_drift_action{action} = 1. */
  actionAtMs?: number;
  /** actionAtMs - firstOverMs. */
  actionDelayMs?: number;
  requests: DriftRequestCounts;
  fault?: DriftFault;
}

/** A connection-level failure that means the request was never accepted (nothing listened). */
const NOT_ACCEPTED = new Set(['ECONNREFUSED', 'ETIMEDOUT']);

const round = (v: number) => Math.round(v);
const ms = (v: number) => (Math.abs(v) >= 10_000 ? `${+(v / 1000).toFixed(1)} s` : `${round(v).toLocaleString('en-US')} ms`);
const n = (v: number) => v.toLocaleString('en-US');

/** A value in the signal's unit, as people read it. */
export function formatSignal(signal: string, v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  switch (signal) {
    case 'latency':
    case 'eventLoopDelay':
      return v >= 10 ? `${round(v)} ms` : `${+v.toFixed(2)} ms`;
    case 'errors':
    case 'eventLoopUtilization':
      return `${+(v * 100).toPrecision(3)}%`;
    case 'heap':
      return v >= 1024 * 1024 * 1024 ? `${+(v / 1024 ** 3).toFixed(2)} GiB` : `${+(v / 1024 ** 2).toFixed(1)} MiB`;
    default:
      return n(+v.toFixed(1));
  }
}

function unitOf(signal: string): ObjectiveVerdict['unit'] {
  switch (signal) {
    case 'latency':
    case 'eventLoopDelay':
      return 'ms';
    case 'errors':
    case 'eventLoopUtilization':
      return 'ratio';
    case 'heap':
      return 'bytes';
    default:
      return 'count';
  }
}

/** The client's requests sent from the fault on, counted as the verdict counts them. */
export function countRequests(slices: readonly DriftRequestSlice[], action: DriftAction, drainAtMs: number | undefined, earlyMs = 0): DriftRequestCounts {
  const out: DriftRequestCounts = { sent: 0, answered: 0, shed: 0, lost: 0, lostByKind: {}, notAccepted: 0 };
  for (const s of slices) {
    if (s.atMs < 0) continue;
    out.sent += s.sent;
    for (const [status, c] of Object.entries(s.statuses)) {
      out.answered += c;
      if (status === '503') out.shed += c;
    }
    for (const [kind, c] of Object.entries(s.errors)) {
      // Refused: nothing accepted the connection. After a drain closed the listener, that is the
      // drain working (the request was never accepted); for any other action, or before the drain,
      // a service that stopped listening lost what it was sent.
      // `earlyMs`: we see the drain on a scrape, up to one scrape after it began.
      if (NOT_ACCEPTED.has(kind) && action === 'drain' && drainAtMs !== undefined && s.atMs >= drainAtMs - earlyMs) {
        out.notAccepted += c;
        continue;
      }
      out.lost += c;
      out.lostByKind[kind] = (out.lostByKind[kind] ?? 0) + c;
    }
  }
  return out;
}

function lostText(r: DriftRequestCounts): string {
  const kinds = Object.entries(r.lostByKind).sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${n(c)}`).join(', ');
  return `${n(r.lost)} of ${n(r.sent)} requests lost${kinds ? ` (${kinds})` : ''}`;
}

function requestsText(r: DriftRequestCounts): string {
  const parts = [`${n(r.answered)} of ${n(r.sent)} requests answered (${n(r.shed)} with 503)`, `${n(r.lost)} lost`];
  if (r.notAccepted > 0) parts.push(`${n(r.notAccepted)} refused after the drain closed the listener (never accepted, not lost)`);
  return parts.join(', ');
}

function faultText(f: DriftFault | undefined): string {
  if (!f) return 'the fault';
  const params = Object.entries(f.params).map(([k, v]) => `${k} ${typeof v === 'number' && /bytes/i.test(k) ? formatSignal('heap', v) : v}`).join(', ');
  const where = f.kind === 'proxy' ? ` on the proxy of ${f.dependency ?? 'a dependency'}` : '';
  return `${f.name}${params ? ` (${params})` : ''}${where} for ${ms(f.durationMs)}`;
}

export function judgeDrift(input: DriftInput): DriftVerdict {
  const { objective, signal } = input;
  const action = objective.action;
  const unit = signal ? unitOf(signal.signal) : 'count';
  const actionSamples = [...(input.actionSeries[action] ?? [])].sort((a, b) => a.atMs - b.atMs);
  const actionAt = actionSamples.find((s) => s.atMs >= 0 && s.value >= 0.5)?.atMs;
  const activeBefore = actionSamples.filter((s) => s.atMs < 0).at(-1);
  const requests = countRequests(input.requests, action, action === 'drain' ? actionAt : undefined, input.scrapeIntervalMs + 500);

  const base = {
    contract: 'drift' as const,
    name: signal ? `drift ${signal.signal} -> ${action}` : `drift -> ${action}`,
    unit,
    direction: 'lower-is-better' as const,
    requests,
    ...(input.fault ? { fault: input.fault } : {}),
    ...(signal ? { signalName: signal.signal, threshold: signal.threshold } : {}),
  };
  const inconclusive = (reason: string, extra: Partial<DriftVerdict> = {}): DriftVerdict => ({
    ...base, verdict: 'skipped', outcome: 'inconclusive', measured: NaN, objective: NaN, margin: NaN, reason, ...extra,
  });

  if (input.interrupted) {
    const what = signal && input.fault ? ` while pushing ${signal.signal} with ${faultText(input.fault)}` : ' before a fault was applied';
    return inconclusive(`interrupted${what}: the drift response was not judged; run accept again to completion`);
  }
  if (input.error !== undefined) return inconclusive(`the drift phase could not push a signal: ${input.error}`);
  if (input.runtime === 'go' && input.exposure === 'none') {
    return inconclusive('a Go service has no drift responder (the Go middleware exports no sloctl_drift_action and has no drill endpoint): the drift objective can only be judged on a Node service instrumented with sloctl/sdk; drop objectives.drift from a Go service\'s contract, or accept it as not judged');
  }
  if (!signal) {
    const list = (input.unpushable ?? []).map((u) => `${u.signal} (${u.why})`).join('; ');
    return inconclusive(`no declared drift signal has a fault sloctl can push: ${list || 'the contract declares none'}; declare one sloctl can push (eventLoopDelay, eventLoopUtilization, heap, inFlight with the SDK's drill endpoint; errors or latency with a critical dependency that has a url)`);
  }

  const fmt = (v: number) => formatSignal(signal.signal, v);
  const after = input.signalSeries.filter((s) => s.atMs >= 0).sort((a, b) => a.atMs - b.atMs);
  let peak: DriftSample | undefined;
  for (const s of after) if (peak === undefined || s.value > peak.value) peak = s;
  const firstOver = after.find((s) => s.value > signal.threshold);
  const allowanceMs = objective.interval + input.scrapeIntervalMs;
  const src = input.signalSource ? ` (${input.signalSource})` : '';
  const peakExtra: Partial<DriftVerdict> = peak ? { peak: peak.value, peakAtMs: peak.atMs, measured: peak.value, objective: signal.threshold, margin: signal.threshold - peak.value } : {};

  if (input.exposure === 'none') {
    const why = input.runtime === 'go'
      ? 'a Go service has no drift responder (the Go middleware exports no sloctl_drift_action): the drift objective can only be judged on a Node service instrumented with sloctl/sdk'
      : 'it does not run sloctl\'s drift responder sloctl can see: instrument it with sloctl/sdk (instrument() starts the responder when the contract has objectives.drift), or export sloctl_drift_action{action} (1 while the action is in force) from your own responder';
    const pushed = firstOver ? `; ${signal.signal}${src} did cross ${fmt(signal.threshold)} (${fmt(firstOver.value)} at ${ms(firstOver.atMs)})` : peak ? `; ${signal.signal} peaked at ${fmt(peak.value)}` : '';
    return inconclusive(`the service exposes no sloctl_drift_action: ${why}${pushed}`, peakExtra);
  }
  if (activeBefore !== undefined && activeBefore.value >= 0.5) {
    return inconclusive(`sloctl_drift_action{action="${action}"} was already 1 before the fault: the responder had acted on something else, so its response to ${signal.signal} cannot be timed; run the drift phase on a quiet service`, peakExtra);
  }
  if (after.length === 0) {
    return inconclusive(`the service's own ${signal.signal}${src} was not read in any scrape after the fault: sloctl cannot tell whether ${faultText(input.fault)} pushed it; check that /metrics exposes it and answers within the scrape timeout`);
  }
  if (!firstOver) {
    const lost = requests.lost > objective.maxLost ? `; ${lostText(requests)} meanwhile, but with no action to blame` : '';
    return inconclusive(`${signal.signal}${src} never crossed its threshold ${fmt(signal.threshold)}: ${faultText(input.fault)} pushed it to ${fmt(peak!.value)} at most (at ${ms(peak!.atMs)}), so the responder was not tested${lost}; the phase holds its fault for the drift window, (evaluations + 2) × objectives.drift.interval at most 60 s (inFlight: long enough for the phase's load to hold threshold + 1 requests), so check that the threshold is one such a fault reaches (on this service, ${fmt(peak!.value)} at most), or lengthen objectives.drift.interval`, peakExtra);
  }

  const deadlineMs = firstOver.atMs + signal.evaluations * objective.interval + allowanceMs;
  const rule = `${signal.evaluations} evaluations × ${ms(objective.interval)}, plus ${ms(allowanceMs)} of allowance: one interval for the responder's phase, one ${ms(input.scrapeIntervalMs)} scrape for our sampling`;
  const crossed = `${signal.signal}${src} crossed ${fmt(signal.threshold)} at ${ms(firstOver.atMs)} after the fault (${fmt(firstOver.value)}; peak ${fmt(peak!.value)})`;
  const timing: Partial<DriftVerdict> = { ...peakExtra, firstOverMs: firstOver.atMs, deadlineMs, allowanceMs };

  if (input.exposure === 'sdk-without-responder') {
    return {
      ...base, ...timing, verdict: 'fail', outcome: 'fail', measured: peak!.value, objective: signal.threshold, margin: signal.threshold - peak!.value,
      reason: `${crossed}, and no ${action} could come by the deadline of ${ms(deadlineMs)} [${rule}]: the service runs sloctl's SDK without its drift responder (no sloctl_drift_action); remove \`drift: false\` from instrument() so the responder runs`,
    };
  }

  const actionDelayMs = actionAt !== undefined ? actionAt - firstOver.atMs : undefined;
  const late = actionAt === undefined || actionAt > deadlineMs;
  const lostTooMany = requests.lost > objective.maxLost;
  const measured = actionDelayMs ?? NaN;
  const limit = deadlineMs - firstOver.atMs;
  const numbers = { ...timing, ...(actionAt !== undefined ? { actionAtMs: actionAt, actionDelayMs } : {}), measured, objective: limit, margin: limit - measured, unit: 'ms' as const };

  if (actionAt === undefined && input.windowEndMs < deadlineMs) {
    return inconclusive(`${crossed}, and the observation ended at ${ms(input.windowEndMs)}, before the deadline of ${ms(deadlineMs)} [${rule}], with no ${action} yet: the signal crossed too late in the phase's window ((evaluations + 2) × objectives.drift.interval, at most 60 s) for its deadline to fall inside it; at that 60 s cap, shorten objectives.drift.interval or the signal's evaluations`, { ...numbers, measured: NaN, margin: NaN });
  }

  const sentences: string[] = [];
  if (late) {
    sentences.push(actionAt === undefined
      ? `${crossed}; sloctl_drift_action{action="${action}"} never went to 1 by the end of the observation at ${ms(input.windowEndMs)}, and it was due by ${ms(deadlineMs)} [${rule}]`
      : `${crossed}; the ${action} came at ${ms(actionAt)}, ${ms(actionAt - deadlineMs)} after the deadline of ${ms(deadlineMs)} [${rule}]`);
    sentences.push(`Check the responder's signal reading and interval (sdk.driftResponder, the drift-action lines on the service's stderr)`);
  }
  if (lostTooMany) {
    sentences.push(`${lostText(requests)}, more than maxLost ${objective.maxLost}${action === 'drain' ? ' (connections refused after the listener closed are not counted)' : ''}; ${action === 'drain' ? 'keep serving accepted connections until they finish (sdk.serve announceMs / timeoutMs)' : `the ${action} must answer (a 503 is an answer), not drop, accepted requests`}`);
  }
  // The action gauge goes to 1 for a drain without a server too: the SDK could only turn health DOWN.
  const undrained = action === 'drain' && actionAt !== undefined && input.drainServer === false;
  if (undrained) {
    sentences.push(`${late ? 'And the' : `${crossed}; the`} responder's drain at ${ms(actionAt!)} had no server to drain (sloctl_drain_server 0): health turned DOWN, but the service kept accepting connections and running, which is not the drain the contract declares; call sdk.serve(server, { signals: true }) with the service's HTTP server (Hono: what @hono/node-server's serve() returns; Express: what app.listen() returns; Fastify: app.server)`);
  }
  if (late || lostTooMany || undrained) {
    return { ...base, ...numbers, verdict: 'fail', outcome: 'fail', reason: sentences.join('. ') + '.' };
  }
  return {
    ...base, ...numbers, verdict: 'pass', outcome: 'pass',
    // Negative: the responder saw the crossing before our scrape did (its own reading, its own window).
    reason: `${crossed}; the responder's ${action} came at ${ms(actionAt!)}, ${actionDelayMs! >= 0 ? `${ms(actionDelayMs!)} after the crossing` : `${ms(-actionDelayMs!)} before our scrapes showed the crossing`}, within the ${ms(limit)} allowed [${rule}]; ${requestsText(requests)} (maxLost ${objective.maxLost}); pushed with ${faultText(input.fault)}.`,
  };
}
