// The template of the path a mounted Express router was reached by, from the path itself.
//
// Express gives a finished request its route's own template (`req.route.path`, '/:oid') and the
// *actual* path its routers were mounted at (`req.baseUrl`, '/v1/users/4/orders'): the template of
// that base, '/v1/users/:uid/orders', is not kept anywhere. Labelling by `baseUrl + route.path`
// put every user id in the `route` label (a series per id until the route table's cap). So the
// base is matched again, once per distinct base (cached), against the application's router stack:
// each mounted router's layer (its `matchers`, as the router itself matches) that consumes a
// prefix of the base, descending until the whole base is consumed; the template is the mount
// patterns (`rawPath`, the string given to `use`) of that chain.
//
// Read from router 2.x's layers (Express 5): `handle.stack` (a router), `matchers`, `rawPath`,
// `slash`. A layer without them (a sub-application, a RegExp mount, another router version)
// ends that branch, and the caller falls back. Pure: no I/O, nothing kept between calls.

/** What this reads of a router 2.x Layer. */
interface LayerLike {
  handle?: unknown;
  matchers?: unknown;
  rawPath?: unknown;
  slash?: unknown;
}

type Matcher = (path: string) => { path?: unknown } | false | null | undefined;

/** How deep routers nest before this stops looking (a router mounted in itself would loop). */
const MAX_DEPTH = 16;

/**
 * The template of `base` (an Express `req.baseUrl`) through `stack` (the application router's
 * `stack`): the mount patterns of the chain of routers that consumes it exactly and holds `route`
 * (the request's `req.route`, so a router the request fell through is not taken for the one that
 * answered); undefined when there is no such chain of string patterns.
 */
export function mountTemplate(stack: unknown, base: string, route: unknown, depth = 0): string | undefined {
  if (!Array.isArray(stack) || depth > MAX_DEPTH) return undefined;
  const layers = stack as (LayerLike & { route?: unknown })[];
  if ((base === '' || base === '/') && layers.some((l) => l?.route === route)) return '';
  for (const layer of layers) {
    const inner = (layer?.handle as { stack?: unknown } | undefined)?.stack;
    if (!Array.isArray(inner)) continue; // not a router: a handler, a route, a sub-application
    if (layer.slash === true) { // use(router) without a path: consumes nothing
      const t = mountTemplate(inner, base, route, depth + 1);
      if (t !== undefined) return t;
      continue;
    }
    const matchers = layer.matchers;
    if (!Array.isArray(matchers) || base === '' || base === '/') continue;
    for (let i = 0; i < matchers.length; i++) {
      const pattern = Array.isArray(layer.rawPath) ? layer.rawPath[i] : layer.rawPath;
      if (typeof pattern !== 'string' || typeof matchers[i] !== 'function') continue;
      let m: ReturnType<Matcher>;
      try {
        m = (matchers[i] as Matcher)(base);
      } catch {
        continue;
      }
      const consumed = m ? m.path : undefined;
      if (typeof consumed !== 'string' || consumed.length === 0) continue;
      // The router sets baseUrl to what it consumed without a trailing slash.
      const rest = base.slice(consumed.endsWith('/') ? consumed.length - 1 : consumed.length);
      const t = mountTemplate(inner, rest, route, depth + 1);
      if (t !== undefined) return (pattern.endsWith('/') ? pattern.slice(0, -1) : pattern) + t;
    }
  }
  return undefined;
}
