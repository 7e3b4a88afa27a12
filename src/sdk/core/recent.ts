// The recent past the health endpoint judges: requests, requests within their latency threshold,
// and the weighted error sum, over the last `windowMs`, in `slots` aligned slots.
//
// Pure: time comes in as a number (ms on any monotonic clock). Recording is O(1) and allocation
// free: one comparison against the current slot's end, and a rotation when it has passed.

export interface RecentTotals {
  /** Requests finished in the window (probes, health checks and requests health does not judge excluded). */
  total: number;
  /** Of those, the ones that finished within their route's latency threshold. */
  fast: number;
  /** Sum of the class weights of the requests that were errors. */
  weightedErrors: number;
  /** The span the totals cover (ms): the window, or less right after start. */
  spanMs: number;
}

export class RecentWindow {
  readonly windowMs: number;
  private readonly slotMs: number;
  private readonly total: Float64Array;
  private readonly fast: Float64Array;
  private readonly errors: Float64Array;
  /** Start of the current slot, and its index in the ring. */
  private slotStart: number;
  private slotEnd: number;
  private current = 0;
  private readonly origin: number;

  constructor(windowMs: number, slots: number, nowMs: number) {
    if (!(windowMs > 0) || !(slots >= 1)) throw new RangeError('the recent window needs a positive span and at least one slot');
    this.windowMs = windowMs;
    this.slotMs = windowMs / slots;
    this.total = new Float64Array(slots);
    this.fast = new Float64Array(slots);
    this.errors = new Float64Array(slots);
    this.slotStart = Math.floor(nowMs / this.slotMs) * this.slotMs;
    this.slotEnd = this.slotStart + this.slotMs;
    this.origin = nowMs;
  }

  record(nowMs: number, fast: boolean, errorWeight: number): void {
    if (nowMs >= this.slotEnd) this.advance(nowMs);
    const i = this.current;
    this.total[i] += 1;
    if (fast) this.fast[i] += 1;
    this.errors[i] += errorWeight;
  }

  totals(nowMs: number): RecentTotals {
    if (nowMs >= this.slotEnd) this.advance(nowMs);
    let total = 0;
    let fast = 0;
    let weightedErrors = 0;
    for (let i = 0; i < this.total.length; i++) {
      total += this.total[i];
      fast += this.fast[i];
      weightedErrors += this.errors[i];
    }
    return { total, fast, weightedErrors, spanMs: Math.min(this.windowMs, Math.max(0, nowMs - this.origin)) };
  }

  /** Moves to the slot holding nowMs, clearing the slots skipped over (at most all of them). */
  private advance(nowMs: number): void {
    const n = this.total.length;
    const steps = Math.min(n, Math.floor((nowMs - this.slotStart) / this.slotMs));
    for (let s = 0; s < steps; s++) {
      this.current = (this.current + 1) % n;
      this.total[this.current] = 0;
      this.fast[this.current] = 0;
      this.errors[this.current] = 0;
    }
    this.slotStart = Math.floor(nowMs / this.slotMs) * this.slotMs;
    this.slotEnd = this.slotStart + this.slotMs;
  }
}
