// From (method, route template) to everything the hot path needs about a request's route: its
// label values, business weight, SLI class, latency threshold, whether it is outside the SLIs
// (health, metrics, probes), and the series it records into.
//
// A slot is made once per (template, method) and reused: adapters find it with one Map lookup
// per request (Fastify caches it on its per-route context). Cardinality is bounded here:
// templates come from the code, not the client; requests that match no route share one
// "unmatched" template per method; and at most `maxRoutes` templates beyond the contract's own
// get their own label ("overflow" after that, with a warning), so even an adapter fed raw paths
// by mistake cannot grow the series without bound.
import type { Contract } from '../contract/schema.ts';
import { METHOD_OTHER, METHODS, methodIndex } from './core/labels.ts';
import type { CounterSeries, HistSeries } from './metrics/series-metrics.ts';

export const UNMATCHED = 'unmatched';
export const OVERFLOW = 'overflow';
export const DEFAULT_SLI_CLASS = 'default';

export interface RouteSlot {
  /** The `route` label: the template, "unmatched" or "overflow". */
  readonly route: string;
  /** The `method` label (one of METHODS). */
  readonly method: string;
  readonly sliClass: string;
  /** The contract route's name, when the contract declares this route. */
  readonly name: string | undefined;
  readonly weight: number;
  /** A request is fast when it finishes within this (ms); Infinity when no objective applies. */
  readonly thresholdMs: number;
  /** Outside every SLI: the health and metrics paths, and probes without a User-Agent condition. */
  readonly excluded: boolean;
  /** A probe matched by User-Agent prefix: excluded when the request's User-Agent starts with it. */
  readonly probeUserAgent: string | undefined;
  /** Series, created on first use: histogram by status class; counter by status class x error class. */
  readonly hist: (HistSeries | undefined)[];
  readonly counts: (CounterSeries | undefined)[];
  weighted: CounterSeries | undefined;
}

interface Row {
  /** The label the row's slots carry (OVERFLOW for templates past the cap). */
  template: string;
  slots: (RouteSlot | undefined)[];
}

interface ProbeRule {
  path: string;
  method?: string;
  userAgent?: string;
}

export interface RouteTableOptions {
  /** Paths the SDK serves itself (health, metrics): always excluded. */
  servedPaths: readonly string[];
  /** Templates beyond the contract's that get their own label. */
  maxRoutes: number;
  statusClasses: number;
  errorClasses: number;
}

export class RouteTable {
  private readonly byTemplate = new Map<string, Row>();
  private readonly unmatched: RouteSlot[];
  /** The slot of requests outside every SLI (nothing is recorded for them). */
  readonly excludedSlot: RouteSlot;
  private readonly excludedPaths: Set<string>;
  private readonly probes: ProbeRule[];
  private readonly contractPaths: Set<string>;
  private extraTemplates = 0;
  private warned = false;

  constructor(private readonly contract: Contract, private readonly opts: RouteTableOptions) {
    this.probes = contract.probes.map((p) => (typeof p === 'string' ? { path: p } : p));
    this.excludedPaths = new Set([...opts.servedPaths, ...this.probes.filter((p) => !p.method && !p.userAgent).map((p) => p.path)]);
    this.contractPaths = new Set(contract.routes.map((r) => r.path));
    this.excludedSlot = this.make(UNMATCHED, METHOD_OTHER, { excluded: true });
    this.unmatched = METHODS.map((_, m) => this.make(UNMATCHED, m, {}));
  }

  /** All slots made so far (for exposition of static per-route data). */
  *slots(): IterableIterator<RouteSlot> {
    for (const [template, row] of this.byTemplate) if (template === row.template) for (const s of row.slots) if (s) yield s;
    yield* this.unmatched;
  }

  /** The slot of a matched route. */
  lookup(method: string | undefined, template: string): RouteSlot {
    const m = methodIndex(method);
    const row = this.byTemplate.get(template) ?? this.addTemplate(template);
    return row.slots[m] ?? (row.slots[m] = this.makeFor(row.template, m));
  }

  /** The slot of a request no route matched: its own path only if it is excluded (health, metrics, a probe). */
  unmatchedFor(method: string | undefined, url: string | undefined): RouteSlot {
    const m = methodIndex(method);
    if (url !== undefined && url.length > 0) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (this.excludedPaths.has(path)) return this.excludedSlot;
      for (const p of this.probes) if (p.path === path) return this.lookup(method, path);
    }
    return this.unmatched[m];
  }

  /** Whether a request on this slot is a probe to leave out (only slots with probeUserAgent need asking). */
  static isProbe(slot: RouteSlot, userAgent: string | string[] | undefined): boolean {
    return slot.probeUserAgent !== undefined && typeof userAgent === 'string' && userAgent.startsWith(slot.probeUserAgent);
  }

  private addTemplate(template: string): Row {
    if (!this.contractPaths.has(template) && !this.excludedPaths.has(template) && !this.probes.some((p) => p.path === template)) {
      if (this.extraTemplates >= this.opts.maxRoutes) {
        if (!this.warned) {
          this.warned = true;
          process.emitWarning(`sloctl: more than ${this.opts.maxRoutes} route templates; further ones are labelled "${OVERFLOW}". Pass route templates, never raw paths, or raise maxRoutes.`, { code: 'SLOCTL_ROUTE_OVERFLOW' });
        }
        const overflow = this.byTemplate.get(OVERFLOW) ?? this.newRow(OVERFLOW);
        this.byTemplate.set(template, overflow);
        return overflow;
      }
      this.extraTemplates++;
    }
    return this.newRow(template);
  }

  private newRow(template: string): Row {
    const row: Row = { template, slots: new Array<RouteSlot | undefined>(METHODS.length).fill(undefined) };
    this.byTemplate.set(template, row);
    return row;
  }

  private makeFor(template: string, m: number): RouteSlot {
    const method = METHODS[m];
    if (this.excludedPaths.has(template)) return this.excludedSlot;
    for (const p of this.probes) {
      if (p.path !== template || (p.method !== undefined && p.method !== method)) continue;
      if (p.userAgent === undefined) return this.excludedSlot;
      return this.make(template, m, { probeUserAgent: p.userAgent });
    }
    return this.make(template, m, {});
  }

  private make(template: string, m: number, extra: { excluded?: boolean; probeUserAgent?: string }): RouteSlot {
    const method = METHODS[m];
    const route = template === UNMATCHED ? undefined : this.contract.routes.find((r) => r.path === template && r.method === method)
      ?? (method === 'HEAD' ? this.contract.routes.find((r) => r.path === template && r.method === 'GET') : undefined);
    return {
      route: template,
      method,
      sliClass: route?.class ?? DEFAULT_SLI_CLASS,
      name: route?.name,
      weight: route?.weight ?? 1,
      thresholdMs: thresholdFor(this.contract, route?.name, route?.latency),
      excluded: extra.excluded ?? false,
      probeUserAgent: extra.probeUserAgent,
      hist: new Array(this.opts.statusClasses).fill(undefined),
      counts: new Array(this.opts.statusClasses * this.opts.errorClasses).fill(undefined),
      weighted: undefined,
    };
  }
}

/** A route's latency threshold: its own, else its objective's, else the objective for all routes. */
export function thresholdFor(c: Contract, routeName: string | undefined, own: number | undefined): number {
  if (own !== undefined) return own;
  const objectives = c.objectives.latency ?? [];
  const covering = routeName === undefined ? undefined : objectives.find((o) => o.routes?.includes(routeName));
  const general = objectives.find((o) => o.routes === undefined);
  return covering?.threshold ?? general?.threshold ?? Number.POSITIVE_INFINITY;
}
