// The client's view of a load run, in the contract's terms: which requests were good within each
// latency threshold, the weighted error ratio under the contract's error classes, and the
// business-weighted good throughput. Pure: a LoadResult and a contract in, numbers out.
//
// Latency is the corrected latency (from the intended send time, see src/load/run.ts), so time a
// request spent waiting because the service fell behind counts against the service. A request that
// got no answer (timeout, reset) is never good.
import type { Contract, Route } from '../contract/schema.ts';
import { Histogram } from '../measure/histogram.ts';
import type { LoadResult, RouteResult } from '../measure/types.ts';
import { Classifier, SHED_ERROR, type Classification } from '../contract/classify.ts';

export interface ClientCounts {
  /** Requests judged: answered ones plus those that got no answer. */
  total: number;
  /** Answered within the threshold that applies to their route. */
  withinThreshold: number;
  /** Answered requests whose status falls in an error class that weighs more than 0. */
  badResponses: number;
  /** Σ events × class weight, and the same divided by total. */
  weightedErrors: number;
  errorRatio: number;
  /** Events per class name, for the reason text. */
  classes: Map<string, number>;
  /** Of those, the requests refused a connection (ECONNREFUSED: nothing listened), per class. */
  refused: Map<string, number>;
}

const classifiers = new WeakMap<Contract, Classifier>();

/** The contract's error classifier, compiled once per contract (every verdict and trial asks). */
export function classifierOf(contract: Contract): Classifier {
  let c = classifiers.get(contract);
  if (!c) classifiers.set(contract, (c = new Classifier(contract.errorClasses)));
  return c;
}

const declaredClasses = new WeakMap<Contract, Map<string, Classification>>();

/**
 * The classes the contract declares, by name (not the built-in none, unclassified, aborted, shed):
 * the only ones an answer's `sloctl-error-class` mark may name.
 */
export function declaredClassesOf(contract: Contract): Map<string, Classification> {
  let m = declaredClasses.get(contract);
  if (!m) {
    const c = classifierOf(contract);
    declaredClasses.set(contract, (m = new Map(c.classes.slice(0, c.none).map((x) => [x.class, x]))));
  }
  return m;
}

/** The contract route a result row belongs to: by name (the mix's route), else by "METHOD /path". */
export function routeOf(contract: Contract, row: Pick<RouteResult, 'name'>): Route | undefined {
  return contract.routes.find((r) => r.name === row.name || `${r.method} ${r.path}` === row.name);
}

function failures(row: Pick<RouteResult, 'errors'>): number {
  let n = 0;
  for (const v of Object.values(row.errors)) n += v;
  return n;
}

/** Class of a failure without a response: a timeout is a TimeoutError, anything else its code. */
function failureError(kind: string): Error {
  const e = new Error(kind) as Error & { code?: string };
  if (kind === 'timeout') {
    e.name = 'TimeoutError';
    e.code = 'ETIMEDOUT';
  } else {
    e.code = kind;
  }
  return e;
}

/**
 * Counts over the given rows. `thresholdOf(row)` is the latency threshold in ms for that row's
 * requests (undefined: latency not judged, withinThreshold stays 0).
 */
/** What the client view reads of a row: a run's route (RouteResult) or a drill's time slice of one (LoadSlice). */
export type CountedRow = Pick<RouteResult, 'name' | 'completed' | 'statuses' | 'errors' | 'histogram' | 'shed' | 'errorClasses'>;

export function clientCounts<R extends CountedRow>(contract: Contract, rows: readonly R[], thresholdOf: (row: R) => number | undefined = () => undefined): ClientCounts {
  const classifier = classifierOf(contract);
  const out: ClientCounts = { total: 0, withinThreshold: 0, badResponses: 0, weightedErrors: 0, errorRatio: 0, classes: new Map(), refused: new Map() };
  const add = (name: string, weight: number, n: number) => {
    out.weightedErrors += weight * n;
    if (weight > 0) out.classes.set(name, (out.classes.get(name) ?? 0) + n);
  };
  for (const row of rows) {
    const failed = failures(row);
    out.total += row.completed + failed;
    // Answers the service marked shed (sloctl-shed) are "shed", as its own counters class them,
    // whatever the contract's classes say of their status: taken off the SDK's 503 first.
    const shed = row.shed ?? 0;
    const marked = new Map<string, number>();
    let shedLeft = shed;
    // Only from error statuses (a marked answer was not served), the SDK's 503 first.
    for (const status of shed > 0 ? ['503', ...Object.keys(row.statuses).filter((k) => k !== '503' && Number(k) >= 400)] : []) {
      const m = Math.min(row.statuses[status] ?? 0, shedLeft);
      if (m > 0) marked.set(status, m);
      shedLeft -= m;
    }
    // Answers the SDK marked with the class it gave them by what the handler threw
    // (sloctl-error-class): that class, as the service's counters have it, when the contract
    // declares it and the status is an error (a header from elsewhere cannot make a 500 good, nor a
    // 200 bad); never more than the status's answers left after the shed ones.
    if (row.errorClasses !== undefined) {
      const declared = declaredClassesOf(contract);
      for (const [status, byClass] of Object.entries(row.errorClasses)) {
        const s = Number(status);
        if (!(s >= 400 && s <= 599)) continue;
        for (const [name, n0] of Object.entries(byClass)) {
          const c = declared.get(name);
          if (c === undefined) continue;
          const left = (row.statuses[status] ?? 0) - (marked.get(status) ?? 0);
          const n = Math.min(n0, left);
          if (!(n > 0)) continue;
          marked.set(status, (marked.get(status) ?? 0) + n);
          add(c.class, c.weight, n);
          if (c.weight > 0) out.badResponses += n;
        }
      }
    }
    for (const [status, all] of Object.entries(row.statuses)) {
      const n = all - (marked.get(status) ?? 0);
      if (n === 0) continue;
      const c = classifier.classifyStatus(Number(status));
      add(c.class, c.weight, n);
      if (c.weight > 0) out.badResponses += n;
    }
    if (shed > 0) {
      const c = classifier.classifyError(SHED_ERROR);
      add(c.class, c.weight, shed - shedLeft);
      if (c.weight > 0) out.badResponses += shed - shedLeft;
    }
    for (const [kind, n] of Object.entries(row.errors)) {
      const c = classifier.classifyError(failureError(kind));
      add(c.class, c.weight, n);
      if (kind === 'ECONNREFUSED' && c.weight > 0) out.refused.set(c.class, (out.refused.get(c.class) ?? 0) + n);
    }
    const t = thresholdOf(row);
    if (t !== undefined) out.withinThreshold += answeredWithin(row, t);
  }
  out.errorRatio = out.total > 0 ? out.weightedErrors / out.total : 0;
  return out;
}

/** Answered requests of a row within `ms` (corrected latency). Failures are not in the answered count. */
function answeredWithin(row: CountedRow, ms: number): number {
  const h = Histogram.fromJSON(row.histogram);
  // The histogram may also hold failures (timeouts recorded at their deadline); never count more
  // good requests than were answered.
  return Math.min(h.countAtOrBelowMs(ms), row.completed);
}

/** All rows' corrected-latency histograms merged. */
export function mergedHistogram(rows: readonly RouteResult[]): Histogram {
  const h = rows.length > 0 ? Histogram.fromJSON(rows[0].histogram) : new Histogram();
  for (const r of rows.slice(1)) h.merge(Histogram.fromJSON(r.histogram));
  return h;
}

/** Business weight of a row's route (1 when the row is not a contract route). */
export function businessWeight(contract: Contract, row: RouteResult): number {
  return routeOf(contract, row)?.weight ?? 1;
}

/** Rows of the load result the objective covers: its routes, or every row. */
export function rowsFor(contract: Contract, load: LoadResult, routes: readonly string[] | undefined): RouteResult[] {
  if (routes === undefined) return load.routes;
  return load.routes.filter((row) => {
    const r = routeOf(contract, row);
    return r !== undefined && routes.includes(r.name);
  });
}
