// The checkout's client for recommendations, a non-critical dependency: the product page shows
// related products when recommendations answers within its timeout (the contract's
// `dependencies[recommendations].timeout`, half of get-product's 200 ms threshold), and
// without them otherwise: the contract's fallback, "answer the product without
// recommendations". It never fails a request.
//
// A breaker (from the contract) stops calling a sick recommendations service, and is what tells
// the SDK it is down: `sloctl_dependency_up{dependency="recommendations"}` turns 0 while health
// stays UP, since the contract declares it `critical: false`.
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import type { Dependency } from 'sloctl/sdk';
import { breakerOptions } from './breaker.ts';

export interface Recommendations {
  related: number[];
  /** True when this is the fallback (recommendations failed, timed out, or its breaker is open). */
  fallback: boolean;
}

export class RecommendationsClient {
  readonly breaker: CircuitBreaker<[number], Recommendations>;
  private readonly pool: Pool;
  /** Undefined with `timeout: false`. */
  private readonly timeoutMs: number | undefined;

  /** `timeout: false` (CHECKOUT_MUTANT=no-timeout): no timeout on the call, to see the dependency check fail. Default true. */
  constructor(url: string, dep: Dependency, opts: { timeout?: boolean } = {}) {
    this.timeoutMs = opts.timeout === false ? undefined : dep.timeout;
    // undici's own defaults (10 s to connect, 300 s for headers and body) stand in for "no timeout".
    this.pool = new Pool(url, { connections: 32, keepAliveTimeout: 30_000, ...(this.timeoutMs !== undefined ? { connectTimeout: this.timeoutMs } : {}) });
    this.breaker = new CircuitBreaker((id: number) => this.fetch(id), breakerOptions(dep));
    this.breaker.fallback((): Recommendations => ({ related: [], fallback: true }));
  }

  /** Related products for `id`, or none (the fallback); never throws. */
  forProduct(id: number): Promise<Recommendations> {
    return this.breaker.fire(id);
  }

  private async fetch(id: number): Promise<Recommendations> {
    const res = await this.pool.request({ method: 'GET', path: `/recommendations/${id}`, ...(this.timeoutMs !== undefined ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}) });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`recommendations answered ${res.statusCode}`);
    }
    const body = (await res.body.json()) as { related?: unknown };
    const related = Array.isArray(body.related) ? body.related.filter((x): x is number => Number.isInteger(x)) : [];
    return { related, fallback: false };
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
    await this.pool.close();
  }
}
