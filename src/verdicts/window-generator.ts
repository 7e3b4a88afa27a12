// The load generator's check on itself over one window of a longer run. The drills share one
// load: each drill is judged on its own stretch of it, so what decides whether a drill's evidence
// can be judged is whether the generator fell behind THERE. The whole run's self-check
// (src/load/self-check.ts) averages a lag over every drill: 120 late sends in one drill's 25 s at
// 200/s are 2.4% of that drill's evidence and 0.5% of a four-drill run, which passed; and a lag in
// one drill made every other drill INCONCLUSIVE too. Over a window [fromMs, toMs):
//  - the run sent under 99% of the requested rate, or dropped sends: the whole run's verdict
//    stands (a dropped send has no slice, and a short rate is the run's);
//  - the slices do not account for every late send (evidence from before slices counted them):
//    the whole run's verdict stands;
//  - otherwise the window is not ok (passStands: a drill that held everything still passes, one
//    that failed a check is not judged) when the late sends that can have reached it are more than 1%
//    (the self-check's share) of the sends intended in it. They are the late sends intended in the
//    window, and those intended before it that left late enough to land in it: a catch-up burst
//    queues the service at the start of the next window (a slice's lateMaxLagMs says how far its
//    late sends reached).
// Pure: data in, verdict out.
import type { GeneratorHealth, LoadSlice } from '../measure/types.ts';
import { underDelivered } from './generator-lag.ts';

/** More late sends than this share of a window's sends: not judged (src/load/self-check.ts MAX_LATE_SHARE). */
const MAX_LATE_SHARE = 0.01;

export interface WindowGenerator {
  ok: boolean;
  reasons: string[];
  /**
   * Not ok only because sends left late (the profile was delivered, nothing dropped): a drill that
   * held every check on this evidence still passes, since latency counts from each request's
   * intended send time and the lag can only make the service look worse; a check it failed is
   * not judged (src/verdicts/drill.ts).
   */
  passStands?: boolean;
}

const sig = (x: number) => +x.toPrecision(3);

/** Whether the generator delivered the load over [fromMs, toMs) of the run whose slices (all of them) and self-check are given. */
export function windowGenerator(g: GeneratorHealth, slices: readonly LoadSlice[], sliceMs: number, fromMs: number, toMs: number): WindowGenerator {
  if (underDelivered(g)) return { ok: g.ok, reasons: [...g.reasons] };
  const accounted = slices.reduce((a, s) => a + (s.late ?? 0), 0);
  if (accounted !== g.lateSends) return g.ok ? { ok: true, reasons: [] } : { ok: false, reasons: [...g.reasons], passStands: true };
  let sends = 0;
  let late = 0;
  let worst = 0;
  for (const s of slices) {
    if (s.startMs >= toMs) continue;
    if (s.startMs >= fromMs) for (const r of s.routes) sends += r.sent;
    if (s.late !== undefined && s.late > 0 && s.startMs + sliceMs + (s.lateMaxLagMs ?? 0) > fromMs) {
      late += s.late;
      worst = Math.max(worst, s.lateMaxLagMs ?? 0);
    }
  }
  if (late <= MAX_LATE_SHARE * sends) return { ok: true, reasons: [] };
  const what = sends > 0
    ? `${late} send${late === 1 ? '' : 's'} (${sig((100 * late) / sends)}% of the ${sends} in this drill's window)`
    : `${late} send${late === 1 ? '' : 's'} reaching this drill's window, which had none of its own,`;
  return {
    ok: false,
    passStands: true,
    reasons: [
      `${what} left more than ${sig(g.lateThresholdMs)} ms after their intended time, worst ${sig(worst)} ms ` +
        `(the whole run: ${g.lateSends} late, generator CPU ${Math.round(g.cpu * 100)}% of a core, event-loop delay p99 ${sig(g.eventLoopDelayP99Ms)} ms): ` +
        (g.cpu >= 0.8 ? `use --workers ${g.workers + 1} or a lower --rate` : 'the machine was busy; run on a quieter one or lower --rate'),
    ],
  };
}
