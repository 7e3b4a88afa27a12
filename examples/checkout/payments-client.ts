// The checkout's client for payments: undici over a keep-alive pool, a timeout below the latency
// budget and an opossum circuit breaker, all three configured from the contract's `dependencies`
// entry, so the code cannot drift from what slo.yaml promises (150 ms timeout against a 300 ms
// create-order budget; breaker at 50% errors over 10 calls, 5 s reset).
//
// When the breaker is open, or a charge fails, the contract's fallback applies: "queue the charge
// and confirm the order as pending". A full queue is the one failure the client sees.
//
// Two switches take the protections away, to watch the contract's drills fail (README, "Seeing a
// drill fail"): `breaker: false` is a naive try/catch that still falls back to the queue but keeps
// calling a dead payments service, and tells no one it is down; `timeout: false` waits for
// payments as long as payments takes.
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import type { Dependency } from 'sloctl/sdk';
import { breakerOptions } from './breaker.ts';
import { PaymentsUnavailableError } from './errors.ts';

export interface Charge {
  orderRef: string;
  amountCents: number;
}

export type ChargeResult = { status: 'captured'; id: string } | { status: 'declined' } | { status: 'queued' };

export interface PaymentsClientOptions {
  url: string;
  dependency: Dependency;
  /** Charges waiting for payments to come back; beyond this, orders fail. */
  queueLimit?: number;
  /** Called when a queued charge finally goes through. */
  onSettled?: (charge: Charge) => void;
  /** false: no circuit breaker (PAYMENTS_BREAKER=off). Default true. */
  breaker?: boolean;
  /** false: no timeout on the payments call (PAYMENTS_TIMEOUT=off). Default true. */
  timeout?: boolean;
}

export class PaymentsClient {
  /** Undefined with `breaker: false`. */
  readonly breaker: CircuitBreaker<[Charge], ChargeResult> | undefined;
  private readonly pool: Pool;
  /** Undefined with `timeout: false`. */
  private readonly timeoutMs: number | undefined;
  private readonly queue: Charge[] = [];
  private readonly queueLimit: number;
  private readonly retry: NodeJS.Timeout;
  private draining = false;

  constructor(private readonly opts: PaymentsClientOptions) {
    const dep = opts.dependency;
    this.timeoutMs = opts.timeout === false ? undefined : dep.timeout;
    this.queueLimit = opts.queueLimit ?? 1000;
    this.pool = new Pool(opts.url, {
      connections: 64,
      keepAliveTimeout: 30_000,
      // undici's own defaults (10 s to connect, 300 s for headers and body) stand in for "no timeout".
      ...(this.timeoutMs !== undefined ? { connectTimeout: this.timeoutMs } : {}),
    });
    if (opts.breaker !== false) {
      this.breaker = new CircuitBreaker((charge: Charge) => this.send(charge), breakerOptions(dep));
      this.breaker.fallback((charge: Charge) => this.enqueue(charge));
    }
    // Queued charges are retried while the breaker lets calls through.
    this.retry = setInterval(() => void this.flush(), 1000);
    this.retry.unref();
  }

  /** Charges now, or queues the charge (the fallback); throws PaymentsUnavailableError when the queue is full. */
  charge(charge: Charge): Promise<ChargeResult> {
    if (this.breaker) return this.breaker.fire(charge);
    return this.naive(charge);
  }

  /** Without a breaker: every order still calls payments, however dead it is, then falls back. */
  private async naive(charge: Charge): Promise<ChargeResult> {
    try {
      return await this.send(charge);
    } catch {
      return this.enqueue(charge);
    }
  }

  private async send(charge: Charge): Promise<ChargeResult> {
    let res;
    try {
      res = await this.pool.request({
        method: 'POST',
        path: '/charges',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(charge),
        ...(this.timeoutMs !== undefined ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}),
      });
    } catch (err) {
      throw new PaymentsUnavailableError(this.timeoutMs !== undefined ? `payments did not answer within ${this.timeoutMs}ms` : 'payments could not be reached', { cause: err });
    }
    const body = (await res.body.json().catch(() => ({}))) as { id?: string };
    if (res.statusCode === 201) return { status: 'captured', id: String(body.id) };
    if (res.statusCode === 402) return { status: 'declined' };
    throw new PaymentsUnavailableError(`payments answered ${res.statusCode}`);
  }

  private enqueue(charge: Charge): ChargeResult {
    if (this.draining || this.queue.length >= this.queueLimit) {
      throw new PaymentsUnavailableError(`payments unavailable and ${this.queue.length} charges already queued`);
    }
    this.queue.push(charge);
    return { status: 'queued' };
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0 && !this.breaker?.opened) {
      const charge = this.queue[0];
      try {
        const r = await this.send(charge);
        this.queue.shift();
        if (r.status === 'captured') this.opts.onSettled?.(charge);
      } catch {
        return;
      }
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.draining = true;
    clearInterval(this.retry);
    this.breaker?.shutdown();
    await this.pool.close();
  }
}
