// How each Node router answers a path that differs from a registered route only by its trailing
// `/`, or that is a trailing wildcard's root, from its defaults and the options its constructor
// is given. Checked against the routers themselves (Fastify 5.12, Express 5.3, @koa/router 15.7,
// Hono 4.13; test/scan-node-routers.test.ts asks them):
//
//   Fastify   `/a` and `/a/` are two routes (a 404 for the other) unless `ignoreTrailingSlash`
//             (or `routerOptions.ignoreTrailingSlash`) is true. A plugin's `/` under a prefix is
//             both (`prefixTrailingSlash: 'both'`). `/files/*` serves `/files/` and below, not
//             `/files` (404); with ignoreTrailingSlash, not `/files/` either.
//   Express   one route serves both spellings, unless strict routing is on (`app.set('strict
//             routing', true)`, `app.enable(...)`, `express.Router({ strict: true })`); a mounted
//             router's `/` is both even then. `/files/*splat` takes one character or more:
//             `/files` and `/files/` are 404s; `/files/{*splat}` serves `/files/` (not `/files`).
//             `{...}` is an optional part: `/users{/:id}` is `/users` and `/users/:id`.
//   @koa/router  `/a` also serves `/a/`, but `/a/` does not serve `/a`; `strict: true` makes
//             them two routes, and a prefixed router's `/` is then the prefix with its slash
//             alone. Its paths are path-to-regexp's, as Express 5's (wildcards, `{}`).
//   Hono      strict by default (two routes); `new Hono({ strict: false })` serves `/a/` for
//             `/a` (and a route written `/a/` then answers neither: not modelled, the route
//             stays as written). `/files/*` serves `/files` and `/files/` too: no subtree.
//
// An option sloctl cannot read (a variable, a spread) leaves the route without a rule: neither
// a pass nor an error would be honest about what the router answers. Express 4's bare `*`
// (`/files/*`, an error in Express 5) serves `/files/` and not `/files`.
//
// Pure: a router's description and a path in, the route's shape out.

import { OPTIONAL_WILDCARD, type FoundRoute, type SlashAnswer, type TrailingSlashRule } from '../contract/route-paths.ts';

export type NodeFramework = 'fastify' | 'express' | 'koa' | 'hono';

/** A route table's router: its framework, and whether it keeps `/a` and `/a/` apart. */
export interface NodeRouter {
  framework: NodeFramework;
  /**
   * true: `/a` and `/a/` are two routes; false: the framework's lenient mode (Fastify's
   * ignoreTrailingSlash, Express' default, @koa/router's default, Hono's `strict: false`);
   * undefined: set by code sloctl cannot read.
   */
  strict: boolean | undefined;
}

/** The router a framework makes without options. */
export function defaultRouter(framework: NodeFramework): NodeRouter {
  return { framework, strict: framework === 'fastify' || framework === 'hono' };
}

/** The framework a package is, by its import name. */
export function frameworkOfModule(source: string): NodeFramework | undefined {
  switch (source) {
    case 'fastify': return 'fastify';
    case 'express': return 'express';
    case 'koa': case '@koa/router': case 'koa-router': return 'koa';
    case 'hono': case 'hono/tiny': case 'hono/quick': return 'hono';
    default: return undefined;
  }
}

/** The name messages use. */
const NAMES: Record<NodeFramework, string> = { fastify: 'Fastify', express: 'Express', koa: '@koa/router', hono: 'Hono' };

/** What a route registered as `path` in a table is, under `router`. */
export type RouteShape = Pick<FoundRoute, 'path' | 'subtree' | 'trailingSlash'>;

/**
 * The routes one registration makes: its optional parts spelled out (Express 5, @koa/router), each
 * with the trailing-slash rule and subtree its router gives it. `fullPath` is `path` joined to its
 * table's prefix; `mountedRoot`: the registration is its table's `/` and the table is mounted
 * (a prefix, seen or not), which Fastify, Express and @koa/router serve with and without the slash.
 */
export function nodeRouteShapes(router: NodeRouter | undefined, fullPath: string, mountedRoot: boolean): RouteShape[] {
  if (router === undefined) return [{ path: fullPath }];
  const pathToRegexp = router.framework === 'express' || router.framework === 'koa';
  const spellings = pathToRegexp ? expandOptionalParts(fullPath) : [fullPath];
  return spellings.map((path) => shapeOf(router, path, mountedRoot));
}

function shapeOf(router: NodeRouter, path: string, mountedRoot: boolean): RouteShape {
  const name = NAMES[router.framework];
  const wildcard = lastSegmentWildcard(path);
  if (wildcard !== undefined) {
    const root = path.slice(0, path.lastIndexOf('/') + 1) || '/';
    const notFound = (why: string): SlashAnswer => ({ kind: 'not-found', because: why });
    switch (router.framework) {
      case 'hono':
        return { path }; // Hono's `/files/*` serves `/files` and `/files/` too
      case 'fastify':
        return {
          path, subtree: true,
          trailingSlash: {
            router: name,
            added: notFound(router.strict === false ? `a route ending in /* matches only the paths under ${root}` : `a route ending in /* matches ${root} and the paths under it`),
            // (The root wildcard `/*` serves `/` either way: there is no shorter spelling.)
            ...(router.strict === false && root !== '/' ? { root: notFound(`ignoreTrailingSlash is on, so ${root} is taken as ${root.slice(0, -1)}, which /* does not match`) } : {}),
          },
        };
      default: {
        // path-to-regexp: `*name` takes one character or more, `{*name}` none or more; Express 4's bare `*` none or more.
        const optional = wildcard.optional || wildcard.bare;
        return {
          path, subtree: true,
          trailingSlash: {
            router: name,
            added: notFound(optional ? `a route ending in /${wildcard.text} matches ${root} and the paths under it` : `a route ending in /${wildcard.text} matches only the paths under ${root}`),
            ...(optional ? {} : { root: notFound(`the wildcard ${wildcard.text} takes one character or more`) }),
          },
        };
      }
    }
  }
  if (mountedRoot && router.framework === 'koa' && router.strict === true) {
    // A strict @koa/router's `/` under its prefix is the prefix with the slash alone (`/v1/`).
    return { path: path === '/' || path.endsWith('/') ? path : `${path}/`, trailingSlash: slashRule(router) };
  }
  if (mountedRoot && router.framework !== 'hono') return { path };
  const rule = slashRule(router);
  return rule === undefined ? { path } : { path, trailingSlash: rule };
}

/** Why a strict router answers the other spelling of a route with a 404. */
const STRICT_BECAUSE: Record<NodeFramework, string> = {
  fastify: 'its ignoreTrailingSlash is off, the default: with and without the trailing / are two routes',
  hono: 'Hono is strict by default: with and without the trailing / are two routes',
  express: 'strict routing is on: with and without the trailing / are two routes',
  koa: 'the router is strict: with and without the trailing / are two routes',
};

/** What the router answers for the other spelling of a plain route; undefined: both served, or not known. */
function slashRule(router: NodeRouter): TrailingSlashRule | undefined {
  const name = NAMES[router.framework];
  if (router.strict === true) {
    const notFound: SlashAnswer = { kind: 'not-found', because: STRICT_BECAUSE[router.framework] };
    return { router: name, added: notFound, removed: notFound };
  }
  // Lenient Fastify, Express and Hono serve both spellings (Hono's `strict: false` answers a route
  // written `/a/` with neither, measured, which is not modelled); @koa/router one way only.
  if (router.strict === false && router.framework === 'koa') {
    return { router: name, added: { kind: 'not-found', because: 'a route written with its trailing / matches only with it; one written without it serves both' } };
  }
  return undefined;
}

/** The last segment when it is a wildcard: `*`, `*name`, or path-to-regexp's optional `{*name}`. */
function lastSegmentWildcard(path: string): { text: string; optional: boolean; bare: boolean } | undefined {
  const last = path.split('?')[0].split('/').pop() ?? '';
  if (last === '*') return { text: '*', optional: false, bare: true };
  if (/^\*[A-Za-z0-9_$]+$/.test(last)) return { text: last, optional: false, bare: false };
  if (OPTIONAL_WILDCARD.test(last)) return { text: last, optional: true, bare: false };
  return undefined;
}

/** How many spellings a path's optional parts may make before sloctl keeps the path as written. */
const MAX_SPELLINGS = 16;
/** How many `{` a path may hold for its optional parts to be spelled out. */
const MAX_GROUPS = 32;

/**
 * path-to-regexp 8's optional parts (Express 5, @koa/router 13+): `/users{/:id}` is `/users` and
 * `/users/:id`; groups nest. A trailing `{*name}` stays as it is (a wildcard that may be empty,
 * which shapeOf reads), as does a path with unbalanced braces or escapes (`\{`).
 */
export function expandOptionalParts(path: string): string[] {
  if (!path.includes('{') || path.includes('\\')) return [path];
  // A literal with braces nested deeper than any route's (hostile input) is kept whole, not recursed into.
  if (path.split('{').length > MAX_GROUPS + 1) return [path];
  let i = 0;
  const parse = (closing: boolean): string[] | undefined => {
    let acc = [''];
    while (i < path.length) {
      const ch = path[i];
      if (ch === '}') {
        if (!closing) return undefined;
        i++;
        return acc;
      }
      if (ch === '{') {
        // `{*name}` at the very end: kept whole.
        const rest = path.slice(i);
        if (OPTIONAL_WILDCARD.test(rest)) {
          acc = acc.map((a) => a + rest);
          i = path.length;
          continue;
        }
        i++;
        const inner = parse(true);
        if (inner === undefined) return undefined;
        acc = acc.flatMap((a) => [a, ...inner.map((x) => a + x)]);
        if (acc.length > MAX_SPELLINGS) return undefined;
        continue;
      }
      acc = acc.map((a) => a + ch);
      i++;
    }
    return closing ? undefined : acc;
  };
  const parsed = parse(false);
  if (parsed === undefined) return [path];
  return [...new Set(parsed.map((p) => (p === '' ? '/' : p)))];
}
