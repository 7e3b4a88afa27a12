// The service's own counters for each (method, route) over a window, as read from its /metrics by
// src/run/service-watch.ts: what the judges compare with the client's view.
import type { Bucket } from '../engine/histogram.ts';

/** One (method, route label) of the service's series over the measured phase. */
export interface ServiceRoute {
  /** The method label upper-cased ("post" from promhttp and the contract's POST meet). */
  method: string;
  /** The route label (the contract's `metrics.labels.route`, the SDK's `route`): a template, "unmatched" or "overflow". */
  route: string;
  /** Cumulative bucket increases by upper bound (seconds). */
  buckets: Map<number, number>;
  /**
   * Finished requests (the request counter), and the same by the contract's error class: read
   * from an error-class label, or derived from a status label (src/contract/label-map.ts).
   * Requests a status label puts in no class (good ones) are not in `classes`.
   */
  requests: number;
  classes: Map<string, number>;
}

/** By "METHOD route-label", the method upper-cased. */
export type ServiceRoutes = Map<string, ServiceRoute>;

/** The buckets of a ServiceRoute as the histogram functions take them. */
export function bucketList(r: ServiceRoute): Bucket[] {
  return [...r.buckets].map(([le, count]) => ({ le, count }));
}
