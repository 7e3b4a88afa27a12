// The load mix against the routes it names: each `load.mix` entry must send requests the route
// it names serves (its `path`, with the `{param}` placeholders the mix fills, matching the route's
// template), and give a value for every placeholder its path uses. Both used to pass validation
// and fail only when the gate ran: a typo in the path (`/product/{id}` for `/products/:id`) made
// every request a 404, which the gate reported as a service without the route; a placeholder
// with no param stopped the load generator with a message that named no file or line.
//
// The request path is the one the gate sends (src/run/profile.ts, then src/load/mix.ts): the
// entry's `path`, else the route's, with every `:name` turned into `{name}`; each `{name}` is then
// filled from `params`. A path that may match is accepted: a placeholder matches any segment, and
// a route template sloctl does not read whole (a regular expression, a group) is not checked.
//
// Pure: a typed contract in, findings with contract paths out.
import type { DiagnosticCode, PathSegment, Severity } from './diagnostic.ts';
import type { Contract } from './schema.ts';
import { compileMix, MixError, parseGenerator } from '../load/mix.ts';

export interface MixFinding {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  path: PathSegment[];
  offset?: number;
  hint?: string;
  related?: Array<{ path: PathSegment[]; message: string }>;
}

/** `:name` anywhere becomes `{name}`: route paths are written in the contract's style, the generator fills `{name}`. */
const COLON_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;
/** A placeholder the load mix fills (src/load/mix.ts PLACEHOLDER). */
const BRACE_PARAM = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;
/** A generator call (src/load/mix.ts parseGenerator): anything else is a literal value. */
const GENERATOR = /^([A-Za-z_]\w*)\s*\((.*)\)$/s;

/** The request template the gate sends for a mix entry (src/run/profile.ts builds it with this): its path (or the route's) with `:name` as `{name}`. */
export function mixRequestPath(entryPath: string | undefined, routePath: string): string {
  return (entryPath ?? routePath).replace(COLON_PARAM, '{$1}');
}

/** The placeholders of a request template, each once, in order. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(BRACE_PARAM)].map((m) => m[1]))];
}

const has = (o: object | undefined, k: string) => o !== undefined && Object.prototype.hasOwnProperty.call(o, k);

/** Where `name` is written in the path as the author wrote it (`{name}` or `:name`), for the caret. */
function offsetIn(written: string, name: string): number | undefined {
  const brace = written.indexOf(`{${name}}`);
  if (brace >= 0) return brace;
  const colon = new RegExp(`:${name}(?![A-Za-z0-9_])`).exec(written);
  return colon?.index;
}

/** Every finding about the load mix's paths and params. */
export function checkMixPaths(c: Contract): MixFinding[] {
  const out: MixFinding[] = [];
  c.load?.mix.forEach((entry, i) => {
    const at: PathSegment[] = ['load', 'mix', i];
    const routeIndex = c.routes.findIndex((r) => r.name === entry.route);
    if (routeIndex < 0) return; // an unknown route: reported by the references check
    const route = c.routes[routeIndex];
    const label = `load.mix[${i}] (route "${route.name}")`;
    const template = mixRequestPath(entry.path, route.path);
    const placeholders = placeholdersOf(template);
    const params = entry.params;
    const given = Object.keys(params ?? {});
    const routeAt = { path: ['routes', routeIndex, 'path'], message: `route "${route.name}" is ${route.method} ${route.path}` };

    // 1. Every placeholder has a value.
    const missing = placeholders.filter((p) => !has(params, p));
    if (missing.length > 0) {
      const unused = given.filter((g) => !placeholders.includes(g));
      const them = missing.map((p) => `{${p}}`).join(', ');
      const paramsText = given.length === 0 ? 'the entry has no `params:`' : `its params have ${given.map((g) => `"${g}"`).join(', ')}`;
      const add = `\`params: { ${[...given.filter((g) => !unused.includes(g)).map((g) => `${g}: ${JSON.stringify(params![g])}`), ...missing.map((p) => `${p}: "int(1,1000)"`)].join(', ')} }\``;
      const rename = unused.length === 1 && missing.length === 1 ? `rename "${unused[0]}" to "${missing[0]}": \`params: { ${[...given.filter((g) => g !== unused[0]).map((g) => `${g}: ${JSON.stringify(params![g])}`), `${missing[0]}: ${JSON.stringify(params![unused[0]])}`].join(', ')} }\`` : undefined;
      const values = 'a value is int(LOW,HIGH), uuid, choice(a,b,c) or a literal';
      const give = rename ?? `give ${missing.length === 1 ? 'it' : 'each'} a value: ${add} (${values})`;
      if (entry.path !== undefined) {
        const offset = offsetIn(entry.path, missing[0]);
        out.push({
          code: 'SLO_MIX_PATH', severity: 'error', path: [...at, 'path'], ...(offset !== undefined ? { offset } : {}),
          message: `${label} sends ${entry.path}, which uses ${them}, but ${paramsText}: the gate and \`sloctl load\` refuse the mix before sending a request`,
          hint: `${give}; or write a concrete value in the path`,
        });
      } else {
        out.push({
          code: 'SLO_MIX_PATH', severity: 'error', path: [...at, 'route'],
          message: `${label} has no \`path:\`, so it sends the route's path ${route.path}, whose ${them} the gate fills from params, but ${paramsText}: the gate and \`sloctl load\` refuse the mix before sending a request`,
          hint: `${rename ?? `add ${add} to the entry (${values})`}; or a \`path:\` with concrete values, e.g. \`path: ${example(route.path)}\``,
          related: [routeAt],
        });
      }
    }

    // 2. Each param's generator parses (the load generator would refuse it at the first request).
    for (const name of given) {
      if (!placeholders.includes(name)) continue;
      try {
        parseGenerator(params![name], `${label}, param "${name}"`);
      } catch (e) {
        if (!(e instanceof MixError)) throw e;
        out.push({ code: 'SLO_MIX_PATH', severity: 'error', path: [...at, 'params', name], message: `${e.message}: the gate and \`sloctl load\` refuse the mix before sending a request` });
      }
    }

    // 3. The path is a request the route serves.
    if (entry.path !== undefined) {
      const fit = fitsRoute(template, params ?? {}, route.path);
      if (fit.kind === 'differs') {
        out.push({
          code: 'SLO_MIX_PATH', severity: 'error', path: [...at, 'path'],
          message: `${label} sends ${entry.path}, which is not a request to ${route.method} ${route.path}: ${fit.why}; the service answers it as another route or a 404, and the gate reports route "${route.name}" as not served`,
          hint: fit.fix !== undefined ? `write \`path: ${fit.fix}\` (the route's template, with the mix's {param} placeholders or concrete values in its parameters), or fix the route's path if the mix is right` : `write the route's path with a {param} placeholder or a concrete value for each parameter (${route.path}: \`path: ${mixRequestPath(undefined, route.path)}\`), or fix the route's path if the mix is right`,
          related: [routeAt],
        });
      } else if (fit.kind === 'case') {
        out.push({
          code: 'SLO_MIX_PATH', severity: 'warning', path: [...at, 'path'],
          message: `${label} sends ${entry.path}, which differs from ${route.method} ${route.path} in letter case only (${fit.why}): Express matches paths regardless of case by default, most other routers do not`,
          hint: fit.fix !== undefined ? `write \`path: ${fit.fix}\`` : 'write the path with the route\'s letter case',
          related: [routeAt],
        });
      }
    }

    // 4. Everything else the load generator checks (headers, body), with its own message.
    if (missing.length === 0) {
      try {
        compileMix([{ name: route.name, weight: entry.weight, method: route.method, path: template, ...(params ? { params } : {}), ...(entry.headers ? { headers: entry.headers } : {}), ...(entry.body !== undefined ? { body: entry.body } : {}) }]);
      } catch (e) {
        if (!(e instanceof MixError)) throw e;
        if (out.some((f) => f.path[2] === i && f.severity === 'error')) return; // said above
        const message = e.message.replace(/^request mix: template "[^"]*"/, label);
        const key = /: weight /.test(message) ? 'weight' : /: header /.test(message) ? 'headers' : /: body /.test(message) ? 'body' : undefined;
        const hint = key === 'weight' ? 'give it a weight above 0, or remove the entry to send the route no requests' : undefined;
        out.push({ code: 'SLO_MIX_PATH', severity: 'error', path: key ? [...at, key] : at, message: `${message}: the gate and \`sloctl load\` refuse the mix before sending a request`, ...(hint ? { hint } : {}) });
      }
    }
  });
  return out;
}

/** The route's path with a value in each parameter (`/products/1`), for a hint. */
function example(routePath: string): string {
  return routePath.replace(/:[A-Za-z_][A-Za-z0-9_]*(\([^)]*\))?\??|\{[^{}/]*\}/g, '1');
}

// --- Matching a request template against a route template -----------------------------------

type RouteSegment =
  | { kind: 'literal'; text: string }
  | { kind: 'param' }
  | { kind: 'optional' }
  | { kind: 'rest' };

type RequestSegment = { kind: 'literal'; text: string; written: string } | { kind: 'any'; written: string };

/** A route template's segments, or undefined when it holds syntax read only in part (a regular expression inside a segment, an Express 5 `{...}` group). */
function routeSegmentsOf(path: string): RouteSegment[] | undefined {
  const out: RouteSegment[] = [];
  for (const s of path.split('/').filter((x) => x !== '' && x !== '{$}')) {
    if (/^\*[A-Za-z0-9_]*$/.test(s) || /^\{[A-Za-z_][A-Za-z0-9_]*\.\.\.\}$/.test(s) || /^\{\*[A-Za-z0-9_$]+\}$/.test(s)) out.push({ kind: 'rest' });
    else if (/^:[A-Za-z0-9_$]+(\([^)]*\))?\?$/.test(s)) out.push({ kind: 'optional' });
    else if (/^:[A-Za-z0-9_$]+(\([^)]*\)|\{[^}]*\})?$/.test(s) || /^\{[A-Za-z_][A-Za-z0-9_]*(:[^{}]*)?\}$/.test(s)) out.push({ kind: 'param' });
    else if (/^[^:{}()*?+]*$/.test(s)) out.push({ kind: 'literal', text: decoded(s) });
    else return undefined;
  }
  return out;
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The request template's segments: literal (params with a literal value filled in), or any (a generated value). */
function requestSegmentsOf(template: string, params: Readonly<Record<string, string>>): RequestSegment[] {
  const path = template.split('?')[0]; // the generator sends a `#` as written: part of the path
  const out: RequestSegment[] = [];
  for (const written of path.split('/').filter((x) => x !== '')) {
    let generated = false;
    const filled = written.replace(BRACE_PARAM, (m, name: string) => {
      const spec = has(params, name) ? params[name] : undefined;
      if (typeof spec !== 'string' || spec.trim() === 'uuid' || spec.trim() === 'uuid()' || GENERATOR.test(spec.trim())) {
        generated = true;
        return m;
      }
      return encodeURIComponent(spec);
    });
    out.push(generated ? { kind: 'any', written } : { kind: 'literal', text: decoded(filled), written });
  }
  return out;
}

type Fit = { kind: 'fits' } | { kind: 'differs' | 'case'; why: string; fix?: string };

function fitsRoute(template: string, params: Readonly<Record<string, string>>, routePath: string): Fit {
  const route = routeSegmentsOf(routePath);
  if (!route) return { kind: 'fits' }; // not read whole: not judged
  // A literal param that is empty leaves a segment out: not judged either.
  if (Object.values(params).some((v) => typeof v === 'string' && v === '')) return { kind: 'fits' };
  const request = requestSegmentsOf(template, params);
  if (matches(route, request, (a, b) => a === b)) return { kind: 'fits' };
  const caseOnly = matches(route, request, (a, b) => a.toLowerCase() === b.toLowerCase());
  const simple = route.every((s) => s.kind === 'literal' || s.kind === 'param');
  let why = `its segments do not match the route's`;
  let fix: string | undefined;
  if (simple) {
    if (request.length !== route.length) {
      why = `it has ${request.length} path segment${request.length === 1 ? '' : 's'}, the route ${route.length}`;
    } else {
      const k = route.findIndex((s, j) => s.kind === 'literal' && request[j].kind === 'literal' && s.text !== (request[j] as { text: string }).text);
      if (k >= 0) why = `its segment ${k + 1} is \`${request[k].written}\` where the route has \`${(route[k] as { text: string }).text}\``;
      const query = template.includes('?') ? template.slice(template.indexOf('?')) : '';
      const written = routePath.split('/').filter((x) => x !== '');
      fix = `/${route.map((s, j) => (s.kind === 'literal' ? written[j] : request[j].written)).join('/')}${routePath.endsWith('/') && route.length > 0 ? '/' : ''}${query}`;
    }
  }
  return { kind: caseOnly ? 'case' : 'differs', why, ...(fix !== undefined ? { fix } : {}) };
}

/** Whether some request the template makes can match the route: a generated segment matches any one segment. */
function matches(route: readonly RouteSegment[], request: readonly RequestSegment[], same: (a: string, b: string) => boolean): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === route.length) return j === request.length;
    const r = route[i];
    if (r.kind === 'rest') return true; // takes the rest, whatever it is (a wildcard before the end, too: not judged)
    if (r.kind === 'optional' && go(i + 1, j)) return true;
    if (j === request.length) return false;
    const q = request[j];
    if (r.kind === 'literal' && q.kind === 'literal' && !same(r.text, q.text)) return false;
    return go(i + 1, j + 1);
  };
  return go(0, 0);
}
