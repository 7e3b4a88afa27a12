// The recent past the health endpoint judges: requests, requests within their latency threshold,
// the requests that were errors and the weighted error sum, over the last `windowMs`, in `slots`
// aligned slots.
//
// Pure: time comes in as a number (ms on any monotonic clock). Recording is O(1) and allocation
// free: one comparison against the current slot's end, and a rotation when it has passed.
// Its numbers sit in one Float64Array: a request touches one or two cache lines of it.

export interface RecentTotals {
  /** Requests finished in the window (probes, health checks and requests health does not judge excluded). */
  total: number;
  /** Of those, the ones that finished within their route's latency threshold. */
  fast: number;
  /** Sum of the class weights of the requests that were errors. */
  weightedErrors: number;
  /**
   * Requests that were errors (a class weight above 0), each counted once: the success check's
   * noise bound counts these (health.ts). Absent (a caller's own totals): weightedErrors is read as
   * that many errors of weight 1.
   */
  errors?: number;
  /** The span the totals cover (ms): the window, or less right after start. */
  spanMs: number;
}

/** Where the current slot ends and starts in RecentWindow's ring, and where the slots begin. */
const END = 0;
const START = 1;
const FIRST = 2;
/** Numbers per slot: requests, fast requests, weighted errors, errors. */
const STRIDE = 4;

export class RecentWindow {
  readonly windowMs: number;
  private readonly slotMs: number;
  private readonly slots: number;
  /**
   * Everything `record` reads and writes, in one array (one or two cache lines a request, not the
   * six of three arrays and two boxed numbers): [END] the current slot's end, [START] its start,
   * then per slot its requests, fast requests, weighted errors and errors.
   */
  private readonly ring: Float64Array;
  /** Index in `ring` of the current slot's requests. */
  private current = FIRST;
  private readonly origin: number;

  constructor(windowMs: number, slots: number, nowMs: number) {
    if (!(windowMs > 0) || !(Number.isInteger(slots) && slots >= 1)) throw new RangeError('the recent window needs a positive span and a whole number of slots, at least one');
    this.windowMs = windowMs;
    this.slotMs = windowMs / slots;
    this.slots = slots;
    this.ring = new Float64Array(FIRST + STRIDE * this.slots);
    this.ring[START] = Math.floor(nowMs / this.slotMs) * this.slotMs;
    this.ring[END] = this.ring[START] + this.slotMs;
    this.origin = nowMs;
  }

  record(nowMs: number, fast: boolean, errorWeight: number): void {
    const ring = this.ring;
    if (nowMs >= ring[END]) this.advance(nowMs);
    const i = this.current;
    ring[i] += 1;
    if (fast) ring[i + 1] += 1;
    ring[i + 2] += errorWeight;
    if (errorWeight > 0) ring[i + 3] += 1;
  }

  totals(nowMs: number): RecentTotals {
    const ring = this.ring;
    if (nowMs >= ring[END]) this.advance(nowMs);
    let total = 0;
    let fast = 0;
    let weightedErrors = 0;
    let errors = 0;
    for (let i = FIRST; i < ring.length; i += STRIDE) {
      total += ring[i];
      fast += ring[i + 1];
      weightedErrors += ring[i + 2];
      errors += ring[i + 3];
    }
    return { total, fast, weightedErrors, errors, spanMs: Math.min(this.windowMs, Math.max(0, nowMs - this.origin)) };
  }

  /** Moves to the slot holding nowMs, clearing the slots skipped over (at most all of them). */
  private advance(nowMs: number): void {
    const ring = this.ring;
    const steps = Math.min(this.slots, Math.floor((nowMs - ring[START]) / this.slotMs));
    for (let s = 0; s < steps; s++) {
      this.current = this.current + STRIDE >= ring.length ? FIRST : this.current + STRIDE;
      ring.fill(0, this.current, this.current + STRIDE);
    }
    ring[START] = Math.floor(nowMs / this.slotMs) * this.slotMs;
    ring[END] = ring[START] + this.slotMs;
  }
}
