// The checkout's client for payments: undici over a keep-alive pool, a timeout below the latency
// budget and an opossum circuit breaker, all three configured from the contract's `dependencies`
// entry, so the code cannot drift from what slo.yaml promises (150 ms timeout against a 300 ms
// create-order budget; breaker at 50% errors over 10 calls, 10 s reset).
//
// When the breaker is open, or a charge fails, the contract's fallback applies: "queue the charge
// and confirm the order as pending". A full queue is the one failure the client sees.
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import type { Dependency } from 'sloctl/sdk';
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
}

export class PaymentsClient {
  readonly breaker: CircuitBreaker<[Charge], ChargeResult>;
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly queue: Charge[] = [];
  private readonly queueLimit: number;
  private readonly retry: NodeJS.Timeout;
  private draining = false;

  constructor(private readonly opts: PaymentsClientOptions) {
    const dep = opts.dependency;
    this.timeoutMs = dep.timeout;
    this.queueLimit = opts.queueLimit ?? 1000;
    this.pool = new Pool(opts.url, { connections: 64, keepAliveTimeout: 30_000, connectTimeout: dep.timeout });
    this.breaker = new CircuitBreaker((charge: Charge) => this.send(charge), {
      name: dep.name,
      timeout: false, // the request carries its own timeout (and is cancelled, not just abandoned)
      errorThresholdPercentage: Math.round((dep.breaker?.errorThreshold ?? 0.5) * 100),
      resetTimeout: dep.breaker?.resetTimeout ?? 10_000,
      volumeThreshold: dep.breaker?.volumeThreshold ?? 10,
    });
    this.breaker.fallback((charge: Charge) => this.enqueue(charge));
    // Queued charges are retried while the breaker lets calls through.
    this.retry = setInterval(() => void this.flush(), 1000);
    this.retry.unref();
  }

  /** Charges now, or queues the charge (the fallback); throws PaymentsUnavailableError when the queue is full. */
  charge(charge: Charge): Promise<ChargeResult> {
    return this.breaker.fire(charge);
  }

  private async send(charge: Charge): Promise<ChargeResult> {
    let res;
    try {
      res = await this.pool.request({
        method: 'POST',
        path: '/charges',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(charge),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new PaymentsUnavailableError(`payments did not answer within ${this.timeoutMs}ms`, { cause: err });
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
    while (this.queue.length > 0 && !this.breaker.opened) {
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
    this.breaker.shutdown();
    await this.pool.close();
  }
}
