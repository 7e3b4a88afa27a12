// Event-loop delay as the SDK reads it, for the saturation monitor and the drift responder alike:
// the gaps between ticks of our own timer (20 ms by default), p99 per read.
//
// One sample per tick, not per millisecond, so a 300 ms block is one sample: at 10 ms one in ~70 a
// second, and the p99 of ~70 samples is not the block (HdrHistogram's p99 of n samples skips the
// largest for n > 50); at 20 ms one in ~36 and the p99 is the block. Like prom-client's
// nodejs_eventloop_lag_p99_seconds, an idle loop reads about the resolution.
//
// Not perf_hooks.monitorEventLoopDelay: its reset() (needed for a p99 per interval) also forgets
// the time of the previous tick, and the first tick after a reset records nothing, so a block that
// starts within one resolution after a reset is lost (1 block in ~12 with a 250 ms interval;
// prom-client resets it at every scrape). Our own timer keeps its previous tick across resets.
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export const LOOP_DELAY_RESOLUTION_MS = 20;

export class LoopDelaySampler {
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;

  constructor(resolutionMs = LOOP_DELAY_RESOLUTION_MS) {
    let previous = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.histogram.record(Math.max(1, Math.round((now - previous) * 1e6)));
      previous = now;
    }, resolutionMs);
    // Never keeps a process alive on its own.
    this.timer.unref();
  }

  /** The p99 gap (ms) since the previous take, and a fresh interval; undefined when no tick came. */
  take(): number | undefined {
    const v = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : undefined;
    this.histogram.reset();
    return v;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
