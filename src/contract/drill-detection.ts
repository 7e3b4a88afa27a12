// What could show a drill's fault, from the contract alone: the signals the drill judge
// (src/verdicts/drill.ts) counts as detection, narrowed to those this contract and this fault can
// move. validate warns (SLO_DRILL_UNDETECTABLE) when the answer is nothing: the drill then fails
// its detection check whatever the service does.
//
// The judge's signals: a health probe not UP; a dependency gauge down; a saturation signal at its
// warn level (detectingSaturation: the judge's own rule, imported so the two cannot drift apart);
// an error class of the service's counters rising. Saturation is the judge's rule; the other three
// are the service's, so this model says only where it is certain none can move, and otherwise
// lists what may (the warning is withheld):
// - A proxy fault (a dependency's): always detectable in principle. The attacked dependency is
//   declared, so its gauge, breaker or check can go down, and its failures can fail requests.
// - Not sloctl's SDK (service.runtime other or go, or a service mapped with `metrics:`): its health
//   endpoint is its own and may watch anything. Not judged (a Go service cannot run an in-process
//   fault at all: runtimeFit says so).
// - objectives.drift: the responder acts on its signals (degrade: health DEGRADED; drain: DOWN;
//   shed: 503s in the error counters), and some of them move with any in-process fault.
// - The SDK's health composite (src/sdk/core/health.ts) leaves UP only when liveness fails, a
//   check it weights above 0 fails (latency: recent requests within the threshold under the
//   objective; success: the weighted success ratio under the errors objective; dependencies: a
//   critical dependency down), or the service degrades itself. So health shows an in-process fault
//   only through the requests it slows or fails, or the dependencies it makes fail.
// - Per fault, what it does to requests (src/sdk/drill):
//   memory-leak        retains heap, stopping at half the heap limit: requests stay good (as
//                      SLO_DRILL_LEAK_SHORT holds); only heap or rss shows it.
//   handle-leak        timers that never fire and sockets to its own loopback listener: nothing
//                      unless its sockets (1/s, at most 500, two descriptors each) could reach half
//                      a common 1024-descriptor limit, when the service may fail to accept.
//   unsettled-promises holds a share of requests unanswered and unrecorded until removal: nothing,
//                      unless a client gives up on one within the fault (load.timeout shorter than
//                      the fault: the SDK records the aborted request) or the concurrency limit
//                      fills with them and sheds (503).
//   event-loop-block   slows the requests in flight across a block by up to its length (those
//                      that arrive during it wait before the SDK's clock starts, so only their
//                      clients see the wait): health's latency check when enough are in flight
//                      (slow handlers, a high rate; a CJS user trial's fast handlers left health UP
//                      at all 20 probes), a dependency call timing out behind it, the concurrency
//                      limit shedding as latency rises, a probe or client left unanswered by a
//                      block of a second or more (or the load's timeout).
//   cpu-burn           worker threads; a busy machine can still slow the main thread: the latency
//                      check, dependency calls, the limit (not the probes: the loop stays free).
// How much a block or a burn slows a request is not known from the contract (the service's own
// time, the backlog behind a block), so any latency objective health weights counts as a way to
// show them.
import { DEFAULT_WEIGHTS } from '../sdk/core/health.ts';
import { detectingSaturation } from '../verdicts/drill-saturation.ts';
import { LOAD_TIMEOUT_DEFAULT_MS, PROXY_FAULTS, type Contract, type Drill } from './schema.ts';
import { formatBytes, formatDuration } from './units.ts';
import { DEFAULT_LEAK_BYTES_PER_SECOND } from '../drill/plan.ts';

/** A block at least this long may leave a health probe (or a config check) unanswered in time: the shortest probe timeout sloctl uses is 1 s. */
const UNANSWERED_BLOCK_MS = 1000;
/** The SDK's handle-leak: sockets per second and at most, each two file descriptors (src/sdk/drill/handle-leak.ts defaults, which the plan sends). */
const LEAK_SOCKETS_PER_SECOND = 1;
const LEAK_MAX_SOCKETS = 500;
/** Half the soft descriptor limit many systems start a process with. */
const DESCRIPTORS_AT_RISK = 512;

export interface DrillDetection {
  /** Saturation signals the judge would count for the drill (the contract's warn levels its fault can raise). */
  saturation: readonly string[];
  /** Other ways the fault may show (health, a dependency gauge, the error counters), each a phrase; empty when none can. */
  other: readonly string[];
}

/** What could show the drill's fault; undefined when this model does not judge it (a proxy fault, or a service not on sloctl's Node SDK): assume something can. */
export function drillDetection(c: Contract, d: Drill): DrillDetection | undefined {
  if ((PROXY_FAULTS as readonly string[]).includes(d.fault)) return undefined;
  if (c.service.runtime !== 'node' || c.metrics !== undefined) return undefined;
  const saturation = detectingSaturation(c, d);
  const other: string[] = [];
  if (c.objectives.drift) other.push(`the drift responder (objectives.drift, action ${c.objectives.drift.action})`);
  const weights = c.objectives.availability?.weights ?? DEFAULT_WEIGHTS;
  const latency = (c.objectives.latency?.length ?? 0) > 0 && weights.latency > 0;
  const dependencies = c.dependencies.length > 0;
  const limit = c.objectives.concurrency?.limit !== undefined;
  const loadTimeout = c.load?.timeout ?? LOAD_TIMEOUT_DEFAULT_MS;
  const slows = () => {
    if (latency) other.push('health\'s latency check, on the requests it slows');
    if (dependencies) other.push('a dependency call timing out behind it (errors, a breaker)');
    if (limit) other.push('the concurrency limit shedding as latency rises');
  };
  switch (d.fault) {
    case 'memory-leak':
      break;
    case 'handle-leak': {
      const sockets = Math.min((d.duration / 1000) * LEAK_SOCKETS_PER_SECOND, LEAK_MAX_SOCKETS);
      if (2 * sockets >= DESCRIPTORS_AT_RISK) other.push(`its sockets exhausting file descriptors (up to ${Math.round(2 * sockets)} in ${formatDuration(d.duration)})`);
      break;
    }
    case 'unsettled-promises':
      if (d.duration > loadTimeout) other.push(`clients giving up on held requests after load.timeout ${formatDuration(loadTimeout)}`);
      if (limit) other.push('the concurrency limit filling with held requests and shedding');
      break;
    case 'event-loop-block':
      slows();
      // A drill without a delay cannot run (the plan says so): nothing to judge here.
      if (d.delay === undefined || d.delay >= Math.min(UNANSWERED_BLOCK_MS, loadTimeout)) other.push('a probe or a client left unanswered by a block');
      break;
    case 'cpu-burn':
      slows();
      break;
  }
  return { saturation, other };
}

/** Why nothing but saturation can show the fault (said when drillDetection finds nothing else). */
export function whyNothingElse(c: Contract, d: Drill): string {
  const latency = (c.objectives.latency?.length ?? 0) === 0
    ? 'the contract gives no latency objective'
    : 'objectives.availability.weights.latency weighs 0';
  const slowed = `health would show the slowed requests only through its latency check, to which ${latency}`;
  switch (d.fault) {
    case 'memory-leak': return 'a leak leaves requests good and health UP, and no error class rises';
    case 'handle-leak': return 'its timers never fire and its sockets stay well within the descriptor limit: requests stay good, health UP, no error class rises';
    case 'unsettled-promises': return `held requests are neither answered nor recorded while the fault lasts (${formatDuration(d.duration)}, within load.timeout ${formatDuration(c.load?.timeout ?? LOAD_TIMEOUT_DEFAULT_MS)}), so health and the error counters stay as they were`;
    case 'event-loop-block': return `a ${formatDuration(d.delay ?? 0)} block fails no request here (no dependency call to time out behind it, no concurrency limit to shed, no probe or client left waiting past its timeout), and ${slowed}`;
    case 'cpu-burn': return `a burn on worker threads fails no request here (no dependency call to time out, no concurrency limit to shed), and ${slowed}`;
  }
  return 'nothing else moves';
}

/**
 * The saturation threshold that watches an in-process fault, as the contract writes it: an
 * event-loop delay warn level under the block (at most 100 ms), the heap for a leak, handles for a
 * handle leak, requests in flight for held promises; for a CPU burn on worker threads the event-loop
 * delay, which rises once the burn takes the cores the main thread needs.
 */
export function detectingThreshold(d: Drill): { signal: string; when?: string; add: string } | undefined {
  switch (d.fault) {
    case 'event-loop-block': {
      const warn = d.delay !== undefined && d.delay <= 100 ? Math.max(1, Math.floor(d.delay / 2)) : 100;
      return { signal: 'eventLoopDelay', add: `objectives.concurrency.eventLoopDelay: { warn: ${formatDuration(warn)}, critical: 500ms }` };
    }
    case 'cpu-burn': return { signal: 'eventLoopDelay', when: 'once the burn takes the cores the main thread needs', add: 'objectives.concurrency.eventLoopDelay: { warn: 100ms, critical: 500ms }' };
    case 'memory-leak': {
      const byDetect = ((d.rate ?? DEFAULT_LEAK_BYTES_PER_SECOND) * d.detectWithin) / 1000;
      return { signal: 'heap', add: `objectives.memory.heap: { warn, critical }, its warn level less than ${formatBytes(byDetect)} above the service's steady heap (what the leak retains by detectWithin)` };
    }
    case 'handle-leak': return { signal: 'handles', add: 'objectives.concurrency.handles: { warn: 1000, critical: 5000 }' };
    case 'unsettled-promises': return { signal: 'inFlight', add: 'objectives.concurrency.inFlight: { warn: 200, critical: 500 }' };
  }
  return undefined;
}
