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
//
// Each slot also says whether the health endpoint judges its requests (`judged`, from the
// `health.judge` option): by default only requests that reached a route of the service do, so junk
// (unmatched paths, odd methods, URLs the framework rejects before routing) is counted in the
// metrics but cannot take the instance out of a load balancer.
import type { Contract } from '../contract/schema.ts';
import { METHOD_OTHER, METHODS, methodIndex } from './core/labels.ts';

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
  /** The health endpoint's recent window counts this slot's requests (see HealthJudge). */
  readonly judged: boolean;
  /** A probe matched by User-Agent prefix: excluded when the request's User-Agent starts with it. */
  readonly probeUserAgent: string | undefined;
  /**
   * Where this route's series start in the recorder's cells (series-metrics.ts), each made on
   * first use: the histogram by status class, the request counter by status class x error class,
   * the weighted counter. Offsets rather than the series objects: one read less a request.
   */
  readonly hist: (number | undefined)[];
  readonly counts: (number | undefined)[];
  weighted: number | undefined;
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

/**
 * Which requests the health endpoint judges (all of them are counted in the metrics either way):
 * - 'routes': requests that reached a route of the service: a template the framework matched (or,
 *   for the node:http adapter without `route`, one of the contract's templates). Not unmatched
 *   paths, odd methods no route takes, or requests the framework rejected before routing.
 * - 'contract': only the routes the contract declares (HEAD counts as its GET route).
 * - 'all': every request, unmatched ones too (anyone who can send junk can then move health).
 * - a list: only the routes whose template or contract route name is listed.
 */
export type HealthJudge = 'routes' | 'contract' | 'all' | readonly string[];

export const DEFAULT_HEALTH_JUDGE: HealthJudge = 'routes';

/** Checks a `health.judge` option; throws a TypeError that says what is allowed. */
export function checkHealthJudge(judge: unknown): HealthJudge {
  if (judge === 'routes' || judge === 'contract' || judge === 'all') return judge;
  if (Array.isArray(judge) && judge.length > 0 && judge.every((j) => typeof j === 'string' && j.length > 0)) return Object.freeze([...judge]);
  throw new TypeError(`sloctl: health.judge must be 'routes', 'contract', 'all' or a non-empty list of route templates or contract route names, got ${JSON.stringify(judge)}`);
}

export interface RouteTableOptions {
  /** Paths the SDK serves itself (health, metrics): always excluded. */
  servedPaths: readonly string[];
  /** Templates beyond the contract's that get their own label. */
  maxRoutes: number;
  statusClasses: number;
  errorClasses: number;
  /** Which requests health judges. Default 'routes'. */
  judge?: HealthJudge;
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
  private readonly judge: HealthJudge;

  constructor(private readonly contract: Contract, private readonly opts: RouteTableOptions) {
    this.judge = opts.judge ?? DEFAULT_HEALTH_JUDGE;
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
    const judge = this.judge;
    const judged = extra.excluded === true ? false
      : judge === 'all' ? true
        : template === UNMATCHED ? false
          : judge === 'routes' ? true
            : judge === 'contract' ? route !== undefined
              : judge.includes(template) || (route !== undefined && judge.includes(route.name));
    return {
      route: template,
      method,
      sliClass: route?.class ?? DEFAULT_SLI_CLASS,
      name: route?.name,
      weight: route?.weight ?? 1,
      thresholdMs: thresholdFor(this.contract, route?.name, route?.latency),
      excluded: extra.excluded ?? false,
      judged,
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
