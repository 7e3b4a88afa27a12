// A load.mix entry with a body on a GET or HEAD route (SLO_MIX_BODY_METHOD, a warning): the load
// generator sends whatever body an entry has, with every request of the route, whatever the method
// (src/load/mix.ts: JSON with content-type: application/json, or a string as it is; its
// content-length, src/load/http1-request.ts). HTTP defines no meaning for a GET or HEAD body (RFC
// 9110 9.3.1-2): such a route seldom reads one (Express's body parser would; many servers and
// proxies drop or refuse it), and the route it was written for gets none. A user trial: the body moved onto the GET entry
// beside the POST it belonged to. The entry of a POST, PUT or PATCH route without a body, when
// there is one, is named as where it probably belongs.
import type { PathSegment } from './diagnostic.ts';
import type { MixFinding } from './mix-paths.ts';
import type { Contract } from './schema.ts';

const NO_BODY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const PAYLOAD_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** A body the generator sends (src/load/mix.ts: anything but absent or null). */
const hasBody = (body: unknown) => body !== undefined && body !== null;

export function checkMixBodies(c: Contract): MixFinding[] {
  const out: MixFinding[] = [];
  const mix = c.load?.mix ?? [];
  const routeOf = (name: string) => c.routes.find((r) => r.name === name);
  mix.forEach((entry, i) => {
    const route = routeOf(entry.route);
    if (!route || !hasBody(entry.body) || !NO_BODY_METHODS.has(route.method)) return; // an unknown route: the references check says so
    const bodyless = mix
      .map((m, k) => ({ m, k, r: routeOf(m.route) }))
      .filter(({ m, r }) => r !== undefined && PAYLOAD_METHODS.has(r.method) && !hasBody(m.body));
    const what = typeof entry.body === 'string' ? 'as it is' : 'as JSON, with content-type: application/json';
    out.push({
      code: 'SLO_MIX_BODY_METHOD',
      severity: 'warning',
      path: ['load', 'mix', i, 'body'],
      message: `load.mix[${i}] (route "${route.name}", ${route.method} ${route.path}) has a body: the load generator sends it with every ${route.method} request of the entry (${what}, and its content-length), where HTTP defines no meaning for one (RFC 9110): a ${route.method} route seldom reads it, and servers or proxies may drop or refuse it; most likely the body was meant for another entry`,
      hint: bodyless.length > 0
        ? `move it to ${bodyless.map(({ k, r }) => `load.mix[${k}] (route "${r!.name}", ${r!.method} ${r!.path})`).join(' or ')}, which sends no body, or remove it`
        : 'remove it, or move it to the entry of the POST, PUT or PATCH route that takes it',
      ...(bodyless.length > 0 ? { related: bodyless.map(({ k, r }) => ({ path: ['load', 'mix', k] as PathSegment[], message: `load.mix[${k}] (route "${r!.name}", ${r!.method}) sends no body` })) } : {}),
    });
  });
  return out;
}
