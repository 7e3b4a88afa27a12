// The request mix compiled once into a pure function of (seed, index): request i of a run is the
// same whoever asks for it, which worker thread sends it, and in which order they ask. Headers and
// bodies are prepared once; the hot path allocates only the path string of templates that have
// placeholders.
//
// Which route request i goes to: first an unshuffled sequence in which every prefix is fair, then
// shuffled in blocks. The sequence is Tijdeman's solution of the chairman assignment problem (R.
// Tijdeman, "The chairman assignment problem", Discrete Mathematics 32, 1980): at step n, among the
// routes that are owed at least 1/(2k-2) of a request, the one whose next request is due first
// (smallest (count + C) / share, C = 1 - 1/(2k-2)) is picked; then after every n requests each route's
// count is within C < 1 request of n × its share, both ways, whatever the weights and the number
// of routes k. (Smooth weighted round-robin, nginx's, is never a request over but can fall several
// behind with many routes.) The sequence is cut into blocks of MIX_BLOCK (50) and each block is
// shuffled by a PRNG keyed by (seed, block), so the order is no fixed pattern (a worker thread sending
// every W-th request does not get one route only) and differs from seed to seed; a run that stops
// inside a block is off by at most that block's part of a route. With weights that divide 50 (the
// example's 70/20/10) every block carries the mix exactly. Plain random sampling cannot promise a
// point: at 1,200 requests a 5% route is off by more than one in about one run in ten, an 8% route in
// one in five.
//
// Parameter values ({id} from int(1,500), uuid, choice) come from a PRNG keyed by (seed, i).

import { hash32, reseedable, type Random } from './prng.ts';
import { LoadConfigError } from './errors.ts';
import type { RequestTemplate } from './types.ts';

/** Requests per block of the route sequence (see the file comment). */
export const MIX_BLOCK = 50;

/**
 * One request ready to send. Headers and body are shared between requests: do not mutate them.
 * A template without placeholders yields the same object every time (the wire encoding is cached on that).
 */
export interface PreparedRequest {
  /** Index of the template in the mix (its position in `Mix.names`). */
  route: number;
  method: string;
  /** As it goes on the request line: characters that need it are percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

export interface Mix {
  /** Template names, indexed by `PreparedRequest.route`. */
  readonly names: readonly string[];
  /** Request i (0-based) of the run's sequence: a pure function of the seed and i. */
  at(i: number): PreparedRequest;
  /** The template index of request i, without building the request. */
  routeAt(i: number): number;
  /** at(0), at(1), ... in turn. */
  next(): PreparedRequest;
}

export class MixError extends LoadConfigError {
  override name = 'MixError';
}

type Generator = (rand: Random) => string;

const METHOD = /^[A-Za-z]+$/;
/** `{name}` anywhere, or express-style `:name` at the start of a path segment (the contract's route paths use it). */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}|(?<=\/):([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compiles the templates; throws a MixError naming the template (and parameter) at fault. */
export function compileMix(templates: readonly RequestTemplate[], seed = 1): Mix {
  if (!Array.isArray(templates) || templates.length === 0) throw new MixError('request mix: no requests to send (give a URL or a contract load.mix)');
  const base = seed >>> 0;
  const names = templates.map((t) => t.name);
  const builders = templates.map((t, i) => compileTemplate(t, i));
  const routes = builders.length === 1 ? () => 0 : routeSequence(templates.map((t) => t.weight), base);
  // Parameter values: a generator reseeded per request from (seed, i), so request i is the same
  // whichever thread builds it and whatever was built before.
  const params = reseedable();
  const paramSeed = hash32(base, 0x5eed);
  const at = (i: number): PreparedRequest => {
    if (!Number.isSafeInteger(i) || i < 0) throw new RangeError(`request mix: index must be a whole number >= 0, got ${i}`);
    params.seed(hash32(paramSeed, i));
    return builders[routes(i)](params.rand);
  };
  let n = 0;
  return { names, at, routeAt: routes, next: () => at(n++) };
}

/**
 * The route of each request index (see the file comment). Fast for increasing indexes (each
 * thread's case); an index in an earlier block replays the sequence from the start.
 */
function routeSequence(weights: readonly number[], seed: number): (i: number) => number {
  const k = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const share = weights.map((w) => w / total);
  const C = 1 - 1 / (2 * (k - 1));
  const owedAtLeast = 1 - C - 1e-9; // the tolerance keeps float error from emptying the candidates
  const count = new Float64Array(k);
  let step = 0; // requests assigned so far
  const order = new Int32Array(MIX_BLOCK);
  const shuffle = reseedable();
  let block = -1; // the block whose routes `order` holds
  const fill = (): void => {
    for (let j = 0; j < MIX_BLOCK; j++) {
      step++;
      let pick = -1;
      let due = Infinity;
      let fallback = 0; // the most owed route: never needed in exact arithmetic
      for (let r = 0; r < k; r++) {
        const owed = step * share[r] - count[r];
        if (owed > step * share[fallback] - count[fallback]) fallback = r;
        if (owed >= owedAtLeast) {
          const d = (count[r] + C) / share[r];
          if (d < due) {
            due = d;
            pick = r;
          }
        }
      }
      if (pick < 0) pick = fallback;
      count[pick]++;
      order[j] = pick;
    }
  };
  return (i: number): number => {
    const b = Math.floor(i / MIX_BLOCK);
    if (b !== block) {
      if (b < block) {
        count.fill(0);
        step = 0;
        block = -1;
      }
      while (block < b) {
        fill();
        block++;
      }
      // Fisher-Yates, keyed by the block.
      shuffle.seed(hash32(seed, b));
      for (let j = MIX_BLOCK - 1; j > 0; j--) {
        const m = Math.floor(shuffle.rand() * (j + 1));
        const x = order[j];
        order[j] = order[m];
        order[m] = x;
      }
    }
    return order[i - b * MIX_BLOCK];
  };
}

function compileTemplate(t: RequestTemplate, index: number): (rand: Random) => PreparedRequest {
  if (t === null || typeof t !== 'object') throw new MixError(`request mix: template #${index + 1} is not an object`);
  const where = `request mix: template ${JSON.stringify(t?.name ?? `#${index + 1}`)}`;
  if (typeof t.name !== 'string' || t.name === '') throw new MixError(`request mix: template #${index + 1} has no name`);
  if (typeof t.weight !== 'number' || !Number.isFinite(t.weight) || t.weight <= 0) throw new MixError(`${where}: weight must be a positive number, got ${String(t.weight)}`);
  if (typeof t.method !== 'string' || !METHOD.test(t.method)) throw new MixError(`${where}: method ${JSON.stringify(t.method)} is not an HTTP method`);
  if (typeof t.path !== 'string' || !t.path.startsWith('/')) throw new MixError(`${where}: path ${JSON.stringify(t.path)} must start with /`);

  const method = t.method.toUpperCase();
  if (method === 'CONNECT') throw new MixError(`${where}: method CONNECT opens a tunnel, which a load test cannot time; use another method`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.headers ?? {})) {
    if (typeof v !== 'string') throw new MixError(`${where}: header ${k} must be a string, got ${typeof v}`);
    if (!TOKEN.test(k)) throw new MixError(`${where}: header name ${JSON.stringify(k)} is not a valid HTTP header name`);
    if (BAD_HEADER_VALUE.test(v)) throw new MixError(`${where}: header ${k} has a line break or a character HTTP headers cannot carry: ${JSON.stringify(v)}`);
    const name = k.toLowerCase();
    // The generator frames each request itself; these would contradict it.
    if (name === 'transfer-encoding' || name === 'keep-alive' || name === 'upgrade' || name === 'expect' || name === 'te') {
      throw new MixError(`${where}: header ${k} is not supported (the generator sends each body whole, with its content-length, one request per connection at a time); remove it`);
    }
    if (name === 'connection' && !/^(close|keep-alive)$/i.test(v.trim())) throw new MixError(`${where}: header connection must be "close" or "keep-alive", got ${JSON.stringify(v)}`);
    headers[name] = v;
  }
  let body: Buffer | null = null;
  if (t.body !== undefined && t.body !== null) {
    if (typeof t.body === 'string') body = Buffer.from(t.body);
    else {
      let json: string | undefined;
      try {
        json = JSON.stringify(t.body);
      } catch (e) {
        throw new MixError(`${where}: body cannot be sent as JSON: ${(e as Error).message}`);
      }
      if (json === undefined) throw new MixError(`${where}: body cannot be sent as JSON (a ${typeof t.body})`);
      body = Buffer.from(json);
      headers['content-type'] ??= 'application/json';
    }
  }
  const length = headers['content-length'];
  if (length !== undefined && length.trim() !== String(body?.length ?? 0)) {
    throw new MixError(`${where}: header content-length is ${JSON.stringify(length)} but the body has ${body?.length ?? 0} bytes; remove the header (it is set from the body)`);
  }

  // Split the path into literal pieces and generators.
  const params = t.params ?? {};
  const literals: string[] = [];
  const gens: Generator[] = [];
  let last = 0;
  for (const m of t.path.matchAll(PLACEHOLDER)) {
    const param = m[1] ?? m[2];
    const spec = Object.prototype.hasOwnProperty.call(params, param) ? params[param] : undefined;
    if (spec === undefined) {
      if (m[2] !== undefined) continue; // a `:word` with no parameter of that name is literal text
      const has = Object.keys(params);
      const hasText = has.length === 0 ? 'there are no params' : `params has ${has.map((k) => `"${k}"`).join(', ')} but no "${param}"`;
      throw new MixError(`${where}: path ${t.path} uses {${param}}, and ${hasText} (add params: { ${param}: "int(1,1000)" }, or write a value in the path)`);
    }
    literals.push(encodePathText(t.path.slice(last, m.index), where));
    gens.push(parseGenerator(spec, `${where}, param "${param}"`));
    last = m.index + m[0].length;
  }
  literals.push(encodePathText(t.path.slice(last), where));

  if (gens.length === 0) {
    const fixed: PreparedRequest = { route: index, method, path: literals[0], headers, body };
    return () => fixed;
  }
  return (rand) => {
    let path = literals[0];
    for (let k = 0; k < gens.length; k++) path += gens[k](rand) + literals[k + 1];
    return { route: index, method, path, headers, body };
  };
}

/** RFC 9110 token: what a header name may hold. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a header value may not hold (as undici checks it): control characters and anything past latin1. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Literal path text as it goes on the request line: spaces, control and non-ASCII characters
 * percent-encoded as UTF-8 (what a browser does with a typed URL); everything else, `%` included, as written.
 */
function encodePathText(text: string, where: string): string {
  try {
    return text.replace(/[^\x21-\x7e]+/g, (run) => encodeURI(run));
  } catch {
    throw new MixError(`${where}: path ${JSON.stringify(text)} holds a broken character (a lone UTF-16 surrogate)`);
  }
}

/** Parses "int(a,b)", "uuid", "choice(a,b,c)" or a literal (anything that is not a call). */
export function parseGenerator(spec: string, where: string): Generator {
  if (typeof spec !== 'string') throw new MixError(`${where}: expected a generator string, got ${typeof spec}`);
  const text = spec.trim();
  if (text === 'uuid' || text === 'uuid()') return uuid;
  const call = /^([A-Za-z_]\w*)\s*\((.*)\)$/s.exec(text);
  if (!call) {
    // A generator's name and an opening parenthesis with no closing one is a typo, not a literal
    // ("choice(1,42" was sent as the text "choice(1%2C42", and every such request was a 404).
    const open = /^(int|choice|uuid)\s*\(/.exec(text);
    if (open) throw new MixError(`${where}: bad generator "${spec}": it opens ${open[1]}( and does not close it; write ${open[1] === 'int' ? 'int(LOW,HIGH), e.g. int(1,1000)' : open[1] === 'choice' ? 'choice(a,b,c)' : 'uuid'} (a literal value cannot start with "${open[1]}(")`);
    const literal = encodeURIComponent(spec);
    return () => literal;
  }
  const [, fn, argText] = call;
  const args = argText.split(',').map((a) => a.trim());
  switch (fn) {
    case 'int': {
      const [lo, hi] = args.map(Number);
      if (args.length !== 2 || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || args.some((a) => a === '') || lo > hi) {
        throw new MixError(`${where}: bad generator "${spec}": write int(LOW,HIGH) with integers LOW <= HIGH, e.g. int(1,1000)`);
      }
      const span = hi - lo + 1;
      return (rand) => String(lo + Math.floor(rand() * span));
    }
    case 'choice': {
      if (argText.trim() === '' || args.some((a) => a === '')) throw new MixError(`${where}: bad generator "${spec}": write choice(a,b,c) with at least one non-empty value`);
      const values = args.map(encodeURIComponent);
      return (rand) => values[Math.floor(rand() * values.length)];
    }
    default:
      throw new MixError(`${where}: unknown generator "${spec}": use int(LOW,HIGH), uuid, choice(a,b,c) or a literal value`);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-4 UUID from the seeded PRNG (reproducible, unlike crypto.randomUUID). */
function uuid(rand: Random): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    const x = Math.floor(rand() * 4294967296);
    b[i] = x & 0xff;
    b[i + 1] = (x >>> 8) & 0xff;
    b[i + 2] = (x >>> 16) & 0xff;
    b[i + 3] = x >>> 24;
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h[10]}${h[11]}${h[12]}${h[13]}${h[14]}${h[15]}`;
}
