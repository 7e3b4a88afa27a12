// The contract's route templates as matchers of request paths, for adapters that must find a
// request's contract route without their framework's router: node:http without `route(req)`, a
// Fastify request that never reached a handler the plugin wrapped, an Express request answered
// before routing, an Express mount no chain of routers explains.
//
// Built once per Sdk, on first use, and shared: every adapter (and every middleware an application
// makes from one Sdk) used to compile the same templates for itself. Kept in a WeakMap keyed by
// the Sdk rather than on it, so the Sdk's public type does not grow an internal member; adapters
// read it once when they are set up, never per request.
import { templateMatcher } from './core/match.ts';
import type { Sdk } from './instrument.ts';

export type TemplateMatch = (url: string) => string | undefined;

export interface ContractTemplates {
  /** The contract template a URL's path matches (a query is ignored), whatever the method; undefined: none. */
  readonly any: TemplateMatch;
  /**
   * The template of a contract route of `method` that the URL's path matches; a HEAD request also
   * matches GET routes (frameworks answer HEAD with the GET route). Undefined: the contract
   * declares no route of that method for the path.
   */
  forMethod(method: string | undefined, url: string): string | undefined;
}

const NONE: TemplateMatch = () => undefined;

class Templates implements ContractTemplates {
  readonly any: TemplateMatch;
  /** Per method, made on the first request that asks (only requests without a route do). */
  private byMethod: Map<string, TemplateMatch> | undefined;

  constructor(private readonly routes: readonly { method: string; path: string }[]) {
    this.any = templateMatcher(routes.map((r) => r.path));
  }

  forMethod(method: string | undefined, url: string): string | undefined {
    if (method === undefined) return undefined;
    this.byMethod ??= this.compile();
    return (this.byMethod.get(method) ?? NONE)(url);
  }

  private compile(): Map<string, TemplateMatch> {
    const paths = new Map<string, string[]>();
    const add = (method: string, path: string) => {
      const list = paths.get(method);
      if (list === undefined) paths.set(method, [path]);
      else list.push(path);
    };
    for (const r of this.routes) {
      add(r.method, r.path);
      if (r.method === 'GET') add('HEAD', r.path);
    }
    return new Map([...paths].map(([method, list]) => [method, templateMatcher(list)]));
  }
}

const memo = new WeakMap<Sdk, ContractTemplates>();

/** The contract's templates of this Sdk, compiled on the first call and the same object after. */
export function contractTemplates(sdk: Sdk): ContractTemplates {
  let t = memo.get(sdk);
  if (t === undefined) {
    t = new Templates(sdk.contract.routes);
    memo.set(sdk, t);
  }
  return t;
}
