// Errors with meaning: a response status, a thrown error, or both, mapped to one of the contract's
// error classes, each with its weight.
//
// The rules (documented in src/sdk/README.md):
// - Classes are tried in the contract's order; the first that matches wins.
// - A class matches a thrown error when any error along its chain matches, like Go's errors.Is /
//   errors.As: the chain is the error, its `cause`, the causes' causes, and the members of an
//   AggregateError (`errors`) and a SuppressedError (`error`, `suppressed`), breadth first, cycle
//   safe, at most MAX_CHAIN errors. An error in the chain matches a class by
//     - name: `err.name`, or the name of its constructor or any class it extends
//       (`class DeadlockError extends DbError` matches both "DeadlockError" and "DbError");
//     - code: `err.code` (ECONNRESET, UND_ERR_CONNECT_TIMEOUT, ...);
//     - status: `err.status` or `err.statusCode` (http-errors, Fastify errors) against the class's
//       status matchers.
// - For a finished HTTP request the response status is evidence too: a class also matches when
//   its status matchers match the status sent.
// - Nothing matched: a thrown error, or a status >= 500, is "unclassified" (weight 1); anything
//   else is "none" (a good request, weight 0).
// - A response the client abandoned is classified as an AbortError with code ECONNRESET would be
//   (the contract's transient class usually names it); if no class does, it is "aborted"
//   (weight 0: counted, not weighted).
// - A request the SDK's concurrency limiter turned away (503 with Retry-After, before any handler
//   ran) is "shed", whatever the contract's classes say about 503: it is the service protecting
//   itself, not a fault of it, and reports must be able to tell the two apart. Its weight is 0.3,
//   the seed article's weight for "transient" errors (429, 503: the client may retry, and does,
//   told when by Retry-After): a shed request is a request the client did not get served, so it
//   costs error budget, but far less than a server fault (2.5 in the article). A contract that
//   weighs it otherwise declares its own class named "shed" (like "aborted").
//
// Pure: no I/O, no clock. Compiled once per contract: a status is classified by one array read.
import type { ErrorClass } from './schema.ts';

export interface Classification {
  /** The class name: a contract class, or one of "none", "unclassified", "aborted", "shed". */
  readonly class: string;
  /** What one event of the class costs in the weighted error ratio (0 for good classes). */
  readonly weight: number;
  /** True when the class is a good event: "none", or a contract class declared `good: true`. */
  readonly good: boolean;
}

export const NONE = 'none';
export const UNCLASSIFIED = 'unclassified';
export const ABORTED = 'aborted';
export const SHED = 'shed';
/** The default weight of a shed request (see the header comment). */
export const SHED_WEIGHT = 0.3;

/**
 * What an adapter records as the error of a request the concurrency limiter shed: classified as
 * "shed" before any contract class is tried (its 503 status would otherwise match the contract's
 * 503 class). One frozen instance is enough: it carries no per-request data.
 */
export class ShedError extends Error {
  override name = 'ShedError';
}
export const SHED_ERROR: ShedError = Object.freeze(new ShedError('shed by the concurrency limiter')) as ShedError;

/** The longest error chain walked; deeper causes are ignored. */
export const MAX_CHAIN = 32;
const MAX_PROTO_DEPTH = 16;
const STATUS_SLOTS = 600;

type StatusMatcher = number | string;

interface Compiled {
  names: ReadonlySet<string>;
  codes: ReadonlySet<string>;
  /** statuses[s] === 1 when the class's status matchers match status s. */
  statuses: Uint8Array;
}

function statusTable(matchers: readonly StatusMatcher[] | undefined): Uint8Array {
  const table = new Uint8Array(STATUS_SLOTS);
  for (const m of matchers ?? []) {
    if (typeof m === 'number') {
      if (m >= 0 && m < STATUS_SLOTS) table[m] = 1;
      continue;
    }
    const cls = /^([1-5])xx$/.exec(m);
    if (cls) {
      const base = Number(cls[1]) * 100;
      table.fill(1, base, base + 100);
      continue;
    }
    const range = /^([1-5][0-9]{2})-([1-5][0-9]{2})$/.exec(m);
    if (range) table.fill(1, Number(range[1]), Number(range[2]) + 1);
  }
  return table;
}

/** The error, its causes and aggregated errors, breadth first, without repeats. */
export function errorChain(err: unknown, max = MAX_CHAIN): unknown[] {
  const chain: unknown[] = [];
  const queue: unknown[] = [err];
  for (let i = 0; i < queue.length && chain.length < max; i++) {
    const e = queue[i];
    if (e === undefined || e === null || chain.includes(e)) continue;
    chain.push(e);
    if (typeof e !== 'object' && typeof e !== 'function') continue;
    const o = e as { cause?: unknown; errors?: unknown; error?: unknown; suppressed?: unknown };
    if ('cause' in o) queue.push(o.cause);
    if (e instanceof AggregateError && Array.isArray(o.errors)) queue.push(...o.errors);
    if (typeof SuppressedError === 'function' && e instanceof SuppressedError) queue.push(o.error, o.suppressed);
  }
  return chain;
}

declare const SuppressedError: (new (...args: unknown[]) => Error) | undefined;

function matchesError(c: Compiled, e: unknown): boolean {
  if (typeof e !== 'object' && typeof e !== 'function') return false;
  if (e === null) return false;
  const o = e as { name?: unknown; code?: unknown; status?: unknown; statusCode?: unknown };
  if (c.names.size > 0) {
    if (typeof o.name === 'string' && c.names.has(o.name)) return true;
    let proto: unknown = Object.getPrototypeOf(e);
    for (let d = 0; proto !== null && proto !== Object.prototype && d < MAX_PROTO_DEPTH; d++) {
      const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
      if (ctor && typeof ctor.name === 'string' && c.names.has(ctor.name)) return true;
      proto = Object.getPrototypeOf(proto);
    }
  }
  if (c.codes.size > 0 && (typeof o.code === 'string' || typeof o.code === 'number') && c.codes.has(String(o.code))) return true;
  const status = typeof o.status === 'number' ? o.status : typeof o.statusCode === 'number' ? o.statusCode : undefined;
  return status !== undefined && Number.isInteger(status) && status >= 0 && status < STATUS_SLOTS && c.statuses[status] === 1;
}

class SyntheticAbort extends Error {
  override name = 'AbortError';
  code = 'ECONNRESET';
}

export class Classifier {
  /** Every class an event can get, contract classes first, then none, unclassified, aborted, shed. */
  readonly classes: readonly Classification[];
  readonly none: number;
  readonly unclassified: number;
  /** The class of a request the client abandoned (a contract class, or "aborted"). */
  readonly aborted: number;
  /** The class of a request the concurrency limiter shed ("shed"). */
  readonly shed: number;
  private readonly compiled: readonly Compiled[];
  /** Class index by status, for a request that threw nothing. */
  private readonly byStatus: Int16Array;

  constructor(errorClasses: readonly ErrorClass[]) {
    const reserved = new Set([NONE, UNCLASSIFIED, ABORTED, SHED]);
    const own = errorClasses.filter((c) => !reserved.has(c.name));
    this.compiled = own.map((c) => ({
      names: new Set(c.errors ?? []),
      codes: new Set(c.codes ?? []),
      statuses: statusTable(c.status),
    }));
    const classes: Classification[] = own.map((c) => Object.freeze({ class: c.name, weight: c.good ? 0 : c.weight, good: c.good }));
    // A contract may name its own "aborted" class (to weight abandoned requests): it is used below.
    const ownAborted = errorClasses.find((c) => c.name === ABORTED);
    this.none = classes.push(Object.freeze({ class: NONE, weight: 0, good: true })) - 1;
    this.unclassified = classes.push(Object.freeze({ class: UNCLASSIFIED, weight: 1, good: false })) - 1;
    const abortedPseudo = classes.push(Object.freeze({
      class: ABORTED, weight: ownAborted ? (ownAborted.good ? 0 : ownAborted.weight) : 0, good: ownAborted?.good ?? false,
    })) - 1;
    // Likewise "shed": a contract class of that name sets its weight (appended last, so the indexes
    // of the classes before it stay what they were).
    const ownShed = errorClasses.find((c) => c.name === SHED);
    this.shed = classes.push(Object.freeze({
      class: SHED, weight: ownShed ? (ownShed.good ? 0 : ownShed.weight) : SHED_WEIGHT, good: ownShed?.good ?? false,
    })) - 1;
    this.classes = Object.freeze(classes);

    this.byStatus = new Int16Array(STATUS_SLOTS);
    for (let s = 0; s < STATUS_SLOTS; s++) {
      const i = this.compiled.findIndex((c) => c.statuses[s] === 1);
      this.byStatus[s] = i >= 0 ? i : s >= 500 ? this.unclassified : this.none;
    }
    const abortIdx = this.errorIndex(new SyntheticAbort(), -1);
    this.aborted = abortIdx === this.unclassified ? abortedPseudo : abortIdx;
  }

  /**
   * Class index of a response that threw nothing. Runs once a request: it reads only its own
   * fields (the table's length, not the module's STATUS_SLOTS; src/sdk/recorder.ts says why).
   */
  statusIndex(status: number): number {
    const table = this.byStatus;
    return status >= 0 && status < table.length ? table[status] : status >= 500 ? this.unclassified : this.none;
  }

  /** Class index of a thrown error, with the response status as further evidence (-1: none sent). */
  errorIndex(err: unknown, status = -1): number {
    if (err instanceof ShedError) return this.shed;
    const chain = errorChain(err);
    const hasStatus = status >= 0 && status < STATUS_SLOTS;
    for (let i = 0; i < this.compiled.length; i++) {
      const c = this.compiled[i];
      if (hasStatus && c.statuses[status] === 1) return i;
      for (const e of chain) if (matchesError(c, e)) return i;
    }
    return this.unclassified;
  }

  /** Classify a thrown error (outside HTTP too: queues, jobs). */
  classifyError(err: unknown): Classification {
    return this.classes[this.errorIndex(err)];
  }

  /** Classify a response status. */
  classifyStatus(status: number): Classification {
    return this.classes[this.statusIndex(status)];
  }
}

/** Names the classifier keeps for its built-in classes: a contract class of one only sets its weight. */
const RESERVED: ReadonlySet<string> = new Set([NONE, UNCLASSIFIED, ABORTED, SHED]);

/**
 * Every class the request counter's error-class label can carry, weighted as the classifier weighs
 * it: the contract's own classes (as written, in order), then the built-in "none", "unclassified",
 * "aborted" and "shed" with the names, weights and good flags of `Classifier.classes` (a contract
 * class named "aborted" or "shed" sets that one's weight; its statuses, which the classifier never
 * reads, are dropped). For readers that derive classes from a status label, "unclassified" carries
 * the statuses the classifier gives it, every 5xx: read after the contract's classes (first class
 * wins), so only the 5xx no contract class names. The other built-ins have no status and cannot be
 * seen in one (a shed request is a 503 to a status label).
 *
 * The Prometheus rules (src/emit/slos.ts) and `sloctl status` (src/evaluate/definitions.ts) weigh
 * the request counter with this list, so a service shedding half its traffic does not read healthy
 * there while the gate and drill, which weigh with the classifier, see the shed requests.
 */
export function countedClasses(errorClasses: readonly ErrorClass[]): ErrorClass[] {
  const own = errorClasses.filter((c) => !RESERVED.has(c.name));
  const classifier = new Classifier(errorClasses);
  // A status label reader selects "unclassified" as every 5xx minus the statuses of the classes
  // before it (label-map.ts classSelectors: first class wins), which is the classifier's rule. When
  // the contract's classes take every 5xx (a "server: 5xx" class), it gets no status: no selector
  // that can match nothing.
  let leftUnclassified = false;
  for (let s = 500; s < 600 && !leftUnclassified; s++) leftUnclassified = classifier.statusIndex(s) === classifier.unclassified;
  return [
    ...own,
    ...classifier.classes.slice(own.length).map((k): ErrorClass => ({
      name: k.class,
      weight: k.weight,
      good: k.good,
      ...(k.class === UNCLASSIFIED && leftUnclassified ? { status: ['5xx'] } : {}),
    })),
  ];
}

/**
 * The error classes the errors SLI counts as bad, each with its weight, in countedClasses' order:
 * the contract's own and the classifier's built-in "unclassified" (×1) and "shed" (×0.3), without
 * the good ones and those of weight 0. The rules weigh these (src/emit/slos.ts), the embedded
 * engine too (src/evaluate/definitions.ts), and `sloctl convert --to openslo` selects the same set
 * (src/convert/openslo-write.ts): none of them disagrees on whether a request is an error.
 */
export function badClasses(c: { readonly errorClasses: readonly ErrorClass[] }): ErrorClass[] {
  return countedClasses(c.errorClasses).filter((e) => !e.good && e.weight > 0);
}
