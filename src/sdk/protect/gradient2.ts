// Gradient2: a concurrency limit that follows measured latency. A port of Netflix
// concurrency-limits' Gradient2Limit (concurrency-limits-core, limit/Gradient2Limit.java, the
// version with `rttTolerance`, at commit f2528defbbf080dcaf5567861faec1506bac0aa2; Apache-2.0),
// with its defaults:
//
//   initialLimit 20, minLimit 20, maxConcurrency 200, smoothing 0.2, rttTolerance 1.5,
//   longWindow 600 samples (an exponential average, warm-up: the plain mean of the first 10),
//   queueSize 4 (a constant; Gradient (v1) used sqrt(limit), Gradient2's builder defaults to 4).
//
// On every sample (one finished request: its latency and the in-flight count when it started):
//
//   longRtt  = exponential average of the samples (factor 2 / (longWindow + 1))
//   if longRtt / rtt > 2: longRtt *= 0.95     (latency came back after a long overload: let the
//                                             baseline catch up faster than the average would)
//   if inFlight < limit / 2: keep the limit   (the service is not using it: no evidence to grow)
//   gradient = clamp(rttTolerance * longRtt / rtt, 0.5, 1)
//   limit    = limit * (1 - smoothing) + (limit * gradient + queueSize) * smoothing
//   limit    = clamp(limit, min, max)
//
// So while latency stays within 1.5x its long-run average the limit grows by smoothing x
// queueSize (0.8) a sample; when requests queue and latency rises past that, it shrinks, by at most
// 10% a sample. `didDrop` is accepted and ignored, as in the original (loss-based algorithms such
// as AIMD read it).
//
// Pure: no clock, no I/O; the caller passes each sample in.

export interface Gradient2Options {
  /** The limit before any sample. Default 20. */
  initial?: number;
  /** The limit never goes below this. Default 20. */
  min?: number;
  /** The limit never goes above this. Default 200. */
  max?: number;
  /** How much of each new estimate is taken (0..1]. Default 0.2. */
  smoothing?: number;
  /** Latency may rise to this multiple of its long-run average before the limit shrinks (>= 1). Default 1.5. */
  rttTolerance?: number;
  /** Samples in the long-run latency average. Default 600. */
  longWindow?: number;
  /** How far the limit may grow past what is in flight, given the current limit. Default 4. */
  queueSize?: number | ((limit: number) => number);
}

export const GRADIENT2_DEFAULTS = Object.freeze({
  initial: 20,
  min: 20,
  max: 200,
  smoothing: 0.2,
  rttTolerance: 1.5,
  longWindow: 600,
  queueSize: 4,
});

/** Samples averaged plainly before the exponential average takes over (ExpAvgMeasurement's warm-up). */
const WARMUP_SAMPLES = 10;

export class Gradient2 {
  private estimated: number;
  private longRtt = 0;
  private longCount = 0;
  private longSum = 0;
  private lastRtt = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly smoothing: number;
  private readonly tolerance: number;
  private readonly factor: number;
  private readonly queueSize: (limit: number) => number;

  constructor(opts: Gradient2Options = {}) {
    const d = GRADIENT2_DEFAULTS;
    this.min = opts.min ?? d.min;
    this.max = opts.max ?? d.max;
    this.smoothing = opts.smoothing ?? d.smoothing;
    this.tolerance = opts.rttTolerance ?? d.rttTolerance;
    const longWindow = opts.longWindow ?? d.longWindow;
    const q = opts.queueSize ?? d.queueSize;
    this.queueSize = typeof q === 'function' ? q : () => q;
    if (!(this.min >= 1 && this.min <= this.max)) throw new RangeError(`sloctl: Gradient2 needs 1 <= min <= max, got min ${this.min}, max ${this.max}`);
    if (!(this.smoothing > 0 && this.smoothing <= 1)) throw new RangeError(`sloctl: Gradient2 smoothing must be in (0, 1], got ${this.smoothing}`);
    if (!(this.tolerance >= 1)) throw new RangeError(`sloctl: Gradient2 rttTolerance must be >= 1, got ${this.tolerance}`);
    if (!(longWindow >= 1)) throw new RangeError(`sloctl: Gradient2 longWindow must be >= 1, got ${longWindow}`);
    this.factor = 2 / (longWindow + 1);
    // The original starts at the initial limit even outside [min, max] (it only warns); clamping
    // here keeps the first requests inside the bounds the contract declared.
    this.estimated = Math.max(this.min, Math.min(this.max, opts.initial ?? d.initial));
  }

  /** The current limit: whole requests (the estimate rounded down, as the original's `(int)`). */
  get limit(): number {
    return Math.floor(this.estimated);
  }

  /** The unrounded estimate. */
  get estimate(): number {
    return this.estimated;
  }

  /** The long-run latency average (ms) the gradient compares with. */
  get rttNoLoad(): number {
    return this.longRtt;
  }

  /** The last sample's latency (ms). */
  get rtt(): number {
    return this.lastRtt;
  }

  /**
   * One finished request: `rttMs` its latency, `inFlight` the requests in flight when it started
   * (itself included). Returns the new limit.
   */
  update(rttMs: number, inFlight: number, _didDrop = false): number {
    if (!(rttMs > 0) || !Number.isFinite(rttMs)) return this.limit; // a 0 or broken clock reading says nothing
    const queueSize = this.queueSize(Math.floor(this.estimated));
    this.lastRtt = rttMs;
    const shortRtt = rttMs;
    let longRtt: number;
    if (this.longCount < WARMUP_SAMPLES) {
      this.longCount++;
      this.longSum += rttMs;
      longRtt = this.longRtt = this.longSum / this.longCount;
    } else {
      longRtt = this.longRtt = this.longRtt * (1 - this.factor) + rttMs * this.factor;
    }
    // Latency is back to normal after a long overload: pull the baseline down faster than the
    // average would (the original decays the stored value and still uses this sample's longRtt below).
    if (longRtt / shortRtt > 2) this.longRtt *= 0.95;

    // Application-limited: too few requests to say the limit is too low.
    if (inFlight < this.estimated / 2) return this.limit;

    const gradient = Math.max(0.5, Math.min(1, (this.tolerance * longRtt) / shortRtt));
    let next = this.estimated * gradient + queueSize;
    next = this.estimated * (1 - this.smoothing) + next * this.smoothing;
    this.estimated = Math.max(this.min, Math.min(this.max, next));
    return this.limit;
  }
}
