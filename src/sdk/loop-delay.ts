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
//
// Samplers of the same resolution share one timer (a contract with both a saturation and a drift
// eventLoopDelay had two, each waking the loop 50 times a second to measure the same gaps); each
// keeps its own histogram, since each reads and resets it on its own interval.
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export const LOOP_DELAY_RESOLUTION_MS = 20;

/** One timer per resolution, recording each gap into the histogram of every sampler attached to it. */
class LoopTicker {
  readonly histograms = new Set<RecordableHistogram>();
  private readonly timer: NodeJS.Timeout;

  constructor(resolutionMs: number, private readonly onIdle: () => void) {
    let previous = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const gap = Math.max(1, Math.round((now - previous) * 1e6));
      previous = now;
      for (const h of this.histograms) h.record(gap);
    }, resolutionMs);
    // Never keeps a process alive on its own.
    this.timer.unref();
  }

  detach(h: RecordableHistogram): void {
    if (!this.histograms.delete(h) || this.histograms.size > 0) return;
    clearInterval(this.timer);
    this.onIdle();
  }
}

const tickers = new Map<number, LoopTicker>();

function tickerFor(resolutionMs: number): LoopTicker {
  let t = tickers.get(resolutionMs);
  if (t === undefined) {
    const ticker: LoopTicker = new LoopTicker(resolutionMs, () => { if (tickers.get(resolutionMs) === ticker) tickers.delete(resolutionMs); });
    tickers.set(resolutionMs, (t = ticker));
  }
  return t;
}

/** How many shared timers run (one per resolution in use): for tests. */
export const loopTimersRunning = (): number => tickers.size;

export class LoopDelaySampler {
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly ticker: LoopTicker;

  constructor(resolutionMs = LOOP_DELAY_RESOLUTION_MS) {
    this.ticker = tickerFor(resolutionMs);
    this.ticker.histograms.add(this.histogram);
  }

  /** The p99 gap (ms) since the previous take, and a fresh interval; undefined when no tick came. */
  take(): number | undefined {
    const v = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : undefined;
    this.histogram.reset();
    return v;
  }

  /** Detaches this sampler; the shared timer stops with the last one. Idempotent. */
  stop(): void {
    this.ticker.detach(this.histogram);
  }
}
