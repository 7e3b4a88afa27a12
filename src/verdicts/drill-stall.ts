// A drill's latency failure that a stall of the machine, not the fault, can explain.
//
// The service's own histogram times a request from when its event loop takes it; a request that
// arrived while the loop was stalled waited in the kernel first, and only its clients count that
// wait. So when the service's loop stalls during a fault that cannot stall it, the clients can see
// requests over the threshold that the service's own view does not. A fault of a dependency that
// fails fast (an error status, a reset) leaves nothing waiting in the service; a slow dependency
// leaves requests waiting on it, raising requests in flight and handles, never the event-loop
// delay (faultCanRaise, drill-saturation.ts; the detection rule already does not count such a
// crossing as detection, "so the machine's load raised it"). A landing CI run failed the bundled
// example's recommendations-down drill so: clients 98% within 200 ms against the drill's 99%, the
// service's own metrics 99.76%, its event-loop delay over its 50 ms warn level in the fault while
// three drills shared two cores (2026-12-07).
//
// Withheld (the latency check is not judged) only when all of these hold:
//  - the clients' share within the threshold missed the objective, and the service's own share met
//    it: what the service handled was fast;
//  - the fault cannot raise the event-loop delay (a dependency's fault);
//  - the service's event-loop delay was at or over its warn level at a scrape in the fault;
//  - the requests the stalls can reach mend the failure: each stall of L ms (a sample's value: the
//    p99 of the loop's delay over its interval, that is the longest stall in it) delays the requests
//    that arrive during it by up to L, and the backlog behind it at most as many again (the bound
//    generator-lag.ts takes for a catch-up burst), so it reaches 2 x rate x L requests; counting
//    every reached request good, the share meets the objective. A scrape more often than the
//    SDK's 1 s sampling reads one stall twice: counted twice, it withholds more, never less.
// Then the drill is not judged on latency: INCONCLUSIVE unless another check failed on its own.
// A service that stalls its own loop in a dependency's fault (synchronous work on each failure)
// looks the same from outside; that is why this is "not judged", never a pass.
//
// Pure: numbers in, a sentence out.
import { faultCanRaise, saturationWarn } from './drill-saturation.ts';
import type { Contract, Drill } from '../contract/schema.ts';
import type { SaturationSample } from './drill-types.ts';
import { formatValue } from './format.ts';

export interface LatencyWindow {
  threshold: number;
  objective: number;
  /** Client requests in the fault's window, and the share within the threshold. */
  total: number;
  clientShare: number;
  /** The service's own share within the threshold over the same window; NaN when it has none. */
  serviceShare: number;
  /** The window, ms on the evidence's axis. */
  fromMs: number;
  toMs: number;
}

/** Why the drill's failed latency check is not judged (a stall of the machine can explain it), or undefined when it stands. */
export function stallWithheld(contract: Contract, drill: Drill, saturation: readonly SaturationSample[], w: LatencyWindow): string | undefined {
  if (!(w.total > 0) || !(w.clientShare < w.objective) || !(w.serviceShare >= w.objective)) return undefined;
  if (faultCanRaise(drill, 'eventLoopDelay')) return undefined;
  const warn = saturationWarn(contract, 'eventLoopDelay');
  if (warn === undefined) return undefined;
  const stalls = saturation.filter((s) => s.signal === 'eventLoopDelay' && s.atMs >= w.fromMs && s.atMs <= w.toMs && s.value >= warn);
  if (stalls.length === 0) return undefined;
  const seconds = (w.toMs - w.fromMs) / 1000;
  if (!(seconds > 0)) return undefined;
  const rate = w.total / seconds;
  const stalledMs = stalls.reduce((sum, s) => sum + s.value, 0);
  const reach = Math.min(w.total, Math.ceil((2 * rate * stalledMs) / 1000));
  const slow = Math.round(w.total * (1 - w.clientShare));
  const allowed = w.total * (1 - w.objective);
  if (slow - reach > allowed + 1e-9) return undefined;
  const peak = stalls.reduce((a, b) => (b.value > a.value ? b : a));
  const pct = (x: number) => formatValue(x, 'ratio');
  const ms = (x: number) => formatValue(x, 'ms');
  return `the latency check is not judged: the clients saw ${pct(w.clientShare)} within ${ms(w.threshold)} (${slow} of ${w.total} over it) against the ${pct(w.objective)} the drill requires, but the service's own metrics saw ${pct(w.serviceShare)}, and its event loop stalled during the fault (event-loop delay ${ms(peak.value)} at its worst, at or over its warn level ${ms(warn)} at ${stalls.length} scrape${stalls.length === 1 ? '' : 's'}), which a dependency's ${drill.fault} fault does not cause by itself: the machine's load, or synchronous work of the service's own. Requests that arrive during a stall wait for the loop before the service's clock starts; the stalls can reach ${reach} requests, enough to explain the ${slow}. Run the drill again on a machine with cores to spare; if it repeats there, profile the service's event loop during the fault`;
}
