// What a toxic is: a type (latency, bandwidth, ...) with its attributes, a stream (upstream: client
// to dependency; downstream: dependency to client) and a toxicity (the share of connections it acts
// on; for the HTTP toxics, the share of requests). The JSON shape is toxiproxy's:
// {name, type, stream, toxicity, attributes}.
//
// Which connections (or requests) a toxic hits is seeded: the n-th one the toxic judges is hit when
// mulberry32(hash32(toxicSeed, n)) < toxicity, so a drill repeats, and among the first N judged the
// number hit is the same on every run with the same seed, whatever the interleaving.
import { hash32, mulberry32, type Random } from '../load/prng.ts';
import { badField } from './errors.ts';

export type Stream = 'upstream' | 'downstream';

/** A toxic as the API shows it (toxiproxy's shape). */
export interface ToxicJson {
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** Sends a piece of data on down the chain (through the next toxics, then to the socket). */
export type Emit = (data: Buffer) => Promise<void>;

/** What a toxic may do to the connection whose direction it acts on. */
export interface LinkEnv {
  /** Aborts when the toxic is removed (or updated) or the connection closes: waits end early. */
  readonly signal: AbortSignal;
  /** Seeded per (toxic, connection): jitter, slice sizes. */
  readonly random: Random;
  /**
   * Closes the connection: 'end' ends this direction's destination after what was sent (a FIN)
   * and drops the other side; 'reset' resets the client (an RST: the client sees ECONNRESET).
   */
  close(how: 'end' | 'reset'): void;
}

/** One TCP toxic acting on one direction of one connection. */
export interface LinkToxic {
  /** One chunk, stamped with the time it was read (performance.now() ms); emit what goes on, in order. */
  data(chunk: Buffer, readAt: number, emit: Emit): Promise<void>;
  /** The source ended: resolves when the end may go on to the destination. */
  end?(): Promise<void>;
}

export interface ToxicType<A extends object = Record<string, unknown>> {
  readonly type: string;
  /** HTTP toxics act on requests (src/faults/http-faults.ts), not in the TCP chain. */
  readonly http?: boolean;
  /** The attributes with their defaults; throws a 400 naming the field (`attributes.latency`). */
  parse(attributes: Record<string, unknown>, previous?: A): A;
  /** The toxic on one connection's direction (TCP toxics). */
  link?(attributes: A, env: LinkEnv): LinkToxic;
}

/** A whole number of at least `min` (ms, bytes, KB/s), default `fallback` when absent. */
export function intAttr(attrs: Record<string, unknown>, key: string, fallback: number, min = 0, unit = ''): number {
  const v = attrs[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw badField(`attributes.${key}`, `a whole number${unit ? ` of ${unit}` : ''} >= ${min}`, v);
  }
  return v;
}

/** FNV-1a of a string, to key a toxic's seed by its proxy and name. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A toxic added to a proxy: its settings, and the seeded judge of whom it hits. */
export class ActiveToxic {
  /** How many connections (or requests) this toxic has judged so far. */
  judged = 0;
  /** How many of them it hit. */
  hits = 0;
  private readonly seed: number;

  constructor(
    readonly name: string,
    readonly kind: ToxicType<object>,
    readonly stream: Stream,
    public toxicity: number,
    public attributes: object,
    proxyName: string,
    runSeed: number,
  ) {
    this.seed = hash32(runSeed, fnv1a(`${proxyName}\u0000${name}`));
  }

  /** Whether the next connection (or request) judged is hit; seeded, one draw per call. */
  judge(): boolean {
    const n = this.judged++;
    const hit = this.toxicity >= 1 ? true : this.toxicity <= 0 ? false : mulberry32(hash32(this.seed, n))() < this.toxicity;
    if (hit) this.hits++;
    return hit;
  }

  private randoms = 0;

  /** A seeded generator for the next connection this toxic acts on (jitter, slice sizes). */
  nextRandom(): Random {
    return mulberry32(hash32(this.seed ^ 0x5bd1e995, this.randoms++));
  }

  toJSON(): ToxicJson {
    return { name: this.name, type: this.kind.type, stream: this.stream, toxicity: this.toxicity, attributes: { ...this.attributes } as Record<string, unknown> };
  }
}
