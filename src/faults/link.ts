// One direction of a proxied connection (client -> dependency is `upstream`, the other
// `downstream`): data read from `src` goes through the toxics acting on this connection, in the
// order they were added, then is written to `dst`.
//
// With no toxic and nothing queued, a chunk is written at once (the pass-through path the bench
// measures); otherwise chunks queue, stamped with the time they were read, and one loop takes them
// through the toxics. Backpressure both ways: the source pauses while the destination's buffer is
// full, or while more than HIGH_WATER bytes wait in the queue (a held stream: timeout).
import type { Socket } from 'node:net';
import type { ActiveToxic, LinkEnv, LinkToxic, Stream } from './toxic.ts';

const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;
const END = Symbol('end');

interface Entry {
  toxic: ActiveToxic;
  impl: LinkToxic;
  ctl: AbortController;
}

interface Item {
  data: Buffer | typeof END;
  at: number;
}

export class Link {
  private entries: Entry[] = [];
  private queue: Item[] = [];
  private queued = 0;
  private running = false;
  private waitingDrain = false;
  private queueFull = false;
  private closed = false;

  constructor(
    readonly stream: Stream,
    private readonly src: Socket,
    private readonly dst: Socket,
    /** Closes the whole connection (a toxic's close('end' | 'reset'), from this link's side). */
    private readonly closeConnection: (how: 'end' | 'reset', from: Link) => void,
  ) {}

  /** Puts a toxic that judged this connection a hit into the chain (at the end: the order of adding). */
  attach(toxic: ActiveToxic, random: LinkEnv['random']): void {
    const ctl = new AbortController();
    const env: LinkEnv = { signal: ctl.signal, random, close: (how) => this.closeConnection(how, this) };
    this.entries.push({ toxic, impl: toxic.kind.link!(toxic.attributes, env), ctl });
  }

  /** Takes a toxic out: its waits end now, and new data no longer goes through it. */
  detach(toxic: ActiveToxic): void {
    const k = this.entries.findIndex((e) => e.toxic === toxic);
    if (k < 0) return;
    this.entries[k].ctl.abort();
    this.entries.splice(k, 1);
  }

  /** The toxic's settings changed: a fresh instance in the same place. */
  refresh(toxic: ActiveToxic, random: LinkEnv['random']): void {
    const k = this.entries.findIndex((e) => e.toxic === toxic);
    if (k < 0) return;
    this.entries[k].ctl.abort();
    const ctl = new AbortController();
    const env: LinkEnv = { signal: ctl.signal, random, close: (how) => this.closeConnection(how, this) };
    this.entries[k] = { toxic, impl: toxic.kind.link!(toxic.attributes, env), ctl };
  }

  has(toxic: ActiveToxic): boolean {
    return this.entries.some((e) => e.toxic === toxic);
  }

  /** Data read from the source (or an answer the proxy injects, on the downstream link). */
  push(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    if (!this.running && this.entries.length === 0) {
      if (!this.dst.write(data) && !this.waitingDrain) {
        this.waitingDrain = true;
        this.src.pause();
        this.dst.once('drain', () => {
          this.waitingDrain = false;
          if (!this.queueFull) this.src.resume();
        });
      }
      return;
    }
    this.queue.push({ data, at: performance.now() });
    this.queued += data.length;
    if (this.queued > HIGH_WATER && !this.queueFull) {
      this.queueFull = true;
      this.src.pause();
    }
    if (!this.running) void this.run();
  }

  /** The source ended: the end goes on after what is queued, through the toxics (slow_close). */
  pushEnd(): void {
    if (this.closed) return;
    if (!this.running && this.entries.length === 0) {
      this.dst.end();
      return;
    }
    this.queue.push({ data: END, at: performance.now() });
    if (!this.running) void this.run();
  }

  /** The connection is going away: every toxic's wait ends, nothing more is written. */
  close(): void {
    this.closed = true;
    this.queue = [];
    for (const e of this.entries) e.ctl.abort();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const item = this.queue.shift()!;
        const chain = this.entries.slice();
        if (item.data === END) {
          for (const e of chain) if (e.impl.end && !e.ctl.signal.aborted) await e.impl.end();
          if (!this.closed) this.dst.end();
          continue;
        }
        this.queued -= item.data.length;
        if (this.queueFull && this.queued < LOW_WATER) {
          this.queueFull = false;
          if (!this.waitingDrain) this.src.resume();
        }
        await this.through(item.data, item.at, chain, 0);
      }
    } catch {
      this.closeConnection('end', this);
    } finally {
      this.running = false;
    }
  }

  private through(data: Buffer, at: number, chain: Entry[], i: number): Promise<void> {
    while (i < chain.length && chain[i].ctl.signal.aborted) i++;
    if (i === chain.length) return this.write(data);
    return chain[i].impl.data(data, at, (d) => this.through(d, at, chain, i + 1));
  }

  private write(data: Buffer): Promise<void> {
    if (this.closed || this.dst.destroyed || this.dst.writableEnded) return Promise.resolve();
    if (this.dst.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.dst.off('drain', done);
        this.dst.off('close', done);
        resolve();
      };
      this.dst.on('drain', done);
      this.dst.on('close', done);
    });
  }
}
