// Orders, in memory. Each order is counted once, with the state it was created in, in
// `checkout_orders_total{state}`: the contract's custom SLI (orders-confirmed) reads it.
import { Counter, type Registry } from 'prom-client';
import { DeadlockError } from './errors.ts';

export type OrderState = 'confirmed' | 'pending' | 'declined';

export interface Order {
  id: number;
  productId: number;
  quantity: number;
  amountCents: number;
  state: OrderState;
  createdAt: string;
}

const MAX_KEPT = 10_000;

export class Orders {
  private readonly byId = new Map<number, Order>();
  private nextId = 1;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly created: Counter<'state'>;

  constructor(registry: Registry) {
    this.created = new Counter({
      name: 'checkout_orders_total',
      help: 'Orders created, by the state they were created in (confirmed, pending: charge queued, declined).',
      labelNames: ['state'],
      registers: [registry],
    });
    // Every state exists from the start, so a ratio over them is defined before the first order.
    for (const state of ['confirmed', 'pending', 'declined'] as const) this.created.inc({ state }, 0);
  }

  /** An id for an order about to be created (the charge carries it). */
  newId(): number {
    return this.nextId++;
  }

  /** Writes are serialized; a write that waits more than `lockTimeoutMs` fails as a deadlock would. */
  async create(o: Omit<Order, 'createdAt'>, lockTimeoutMs = 1000): Promise<Order> {
    const write = this.writing.then(() => {
      const order: Order = { ...o, createdAt: new Date().toISOString() };
      this.byId.set(order.id, order);
      if (this.byId.size > MAX_KEPT) this.byId.delete(this.byId.keys().next().value!);
      this.created.inc({ state: order.state });
      return order;
    });
    this.writing = write.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadlock = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlockError(`order write waited more than ${lockTimeoutMs}ms`)), lockTimeoutMs);
    });
    try {
      return await Promise.race([write, deadlock]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A pending order whose queued charge went through. */
  settle(id: number): void {
    const order = this.byId.get(id);
    if (order && order.state === 'pending') order.state = 'confirmed';
  }

  list(limit: number): Order[] {
    return [...this.byId.values()].slice(-limit).reverse();
  }
}
