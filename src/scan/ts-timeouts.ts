// Outbound HTTP calls without a timeout, in TypeScript/JavaScript: the static half of the
// dependencies contract. A call that can wait forever turns a slow dependency into a slow (then
// dead) service, whatever its breaker says, so each one is reported where it is made.
//
// What counts as a timeout, client by client:
//   fetch (global, or undici's / node-fetch's)  `signal` in the init object, whatever its value
//        (AbortSignal.timeout(ms), AbortSignal.any([...]), a controller's signal: sloctl cannot
//        tell a signal that never aborts from one that does, and a signal is how the code chose
//        to bound the call); `signal: undefined` / `null` is no signal.
//   undici  `request(url, opts)` with `signal`, `headersTimeout` or `bodyTimeout`; a dispatcher
//        (`new Pool/Client/Agent(url, opts)`) without `headersTimeout`/`bodyTimeout` waits up to
//        undici's 300 s defaults, so its `.request(opts)` calls in the same file must carry one
//        of those three (the dispatcher itself is not reported: its requests may).
//   axios   `timeout` (not 0, axios's "none") or `signal` in the config, or
//        `axios.defaults.timeout = ...` in the file. An instance is judged once, at its
//        `axios.create(config)` (config without `timeout` -> reported); calls on it are not.
//   got     `timeout` or `signal` in the options; an instance is judged at `got.extend(options)`.
// The options must be visible: an object literal, or a `const` in the same file initialised with
// one. Options built elsewhere (a parameter, a spread, a function's result) are NOT reported:
// sloctl cannot tell, and a guess would be a false error in a release pipeline; the dynamic half
// (a blackholed dependency under load) catches what this cannot see.
// Imports are followed as prom-client's are (ts-bindings.ts): `import { request as r } from
// 'undici'`, `const axios = require('axios')`, `import * as u from 'undici'` are all found.
// The calls that do carry a timeout (fetch, undici request/stream, axios and got calls with a URL)
// are collected too, with the option that bounds them: not findings, but the dependencies
// `sloctl init` lists with the timeout the code uses.

import type * as t from '@babel/types';
import { forEachNode, lookupProperty, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings, isModuleObject, type Bindings } from './ts-bindings.ts';
import { sourceOf, type TsFileContext } from './ts-context.ts';
import type { TimedClient, UntimedClient } from './types.ts';

type Verdict = 'timed' | 'untimed' | 'unknown';
/** A verdict, and for `timed` the option that bounds the call as written (`signal: AbortSignal.timeout(100)`). */
type Bound = { verdict: Verdict; by?: string };

const FETCH_FIX = 'pass a deadline as the signal: `fetch(url, { signal: AbortSignal.timeout(ms) })`, with ms the contract dependency\'s timeout';
const UNDICI_FIX = 'pass `signal: AbortSignal.timeout(ms)` (or `headersTimeout` and `bodyTimeout`) in the request options, or set `headersTimeout`/`bodyTimeout` on the dispatcher';
const AXIOS_FIX = 'set `timeout: ms` in the config (or on `axios.create({ timeout })`); axios waits forever by default';
const GOT_FIX = 'set `timeout: { request: ms }` in the options (or on `got.extend`); got waits forever by default';

const AXIOS_URL_ONLY = new Set(['get', 'delete', 'head', 'options']);
const AXIOS_WITH_DATA = new Set(['post', 'put', 'patch', 'postForm', 'putForm', 'patchForm']);
const GOT_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'stream', 'paginate']);
const DISPATCHERS = new Set(['Pool', 'Client', 'Agent', 'BalancedPool']);

/** The calls without a timeout; those with one (and a URL argument) go to `timed` when given. */
export function detectUntimedClients(ctx: TsFileContext, timed?: TimedClient[]): UntimedClient[] {
  const out: UntimedClient[] = [];
  const report = (node: t.Node, via: string, fix: string, target: t.Node | undefined) => {
    out.push({ file: ctx.file, ...positionOf(node), call: sourceOf(ctx, node), via, fix, target: target ? targetText(ctx, target) : '' });
  };
  /** Reports the call when `bound` says untimed, records it when timed (a call without a URL argument names no dependency). */
  const judge = (node: t.Node, bound: Bound, via: string, fix: string, target: t.Node | undefined) => {
    if (bound.verdict === 'untimed') report(node, via, fix, target);
    else if (bound.verdict === 'timed' && bound.by !== undefined && target !== undefined && timed) {
      timed.push({ file: ctx.file, ...positionOf(node), call: sourceOf(ctx, node), via, target: targetText(ctx, target), timeout: bound.by });
    }
  };
  const bindings = collectBindings(ctx.facts, (s) => s === 'undici' || s === 'axios' || s === 'got' || s === 'node-fetch');
  const fetchShadowed = ctx.facts.declarators.some(({ node }) => node.id.type === 'Identifier' && node.id.name === 'fetch' && !bindings.has('fetch'));
  const untimedDispatchers = new Set<string>();
  const axiosDefaultsTimed = /\.defaults\.timeout\s*=/.test(ctx.source);

  // Dispatchers built without timeouts: `const pool = new Pool(url, {...})`, `this.pool = new Pool(...)`.
  for (const node of ctx.facts.constructions) {
    const fn = exportOf(node.callee, bindings);
    if (fn?.module !== 'undici' || !DISPATCHERS.has(fn.name)) continue;
    if (optionsVerdict(ctx, node.arguments[1], ['headersTimeout', 'bodyTimeout']) !== 'untimed') continue;
    const holder = holderOf(ctx, node);
    if (holder) untimedDispatchers.add(holder);
  }

  for (const call of ctx.facts.calls) {
    const callee = unwrapExpression(call.callee);
    // fetch: the global one, `globalThis.fetch`, or an imported one (undici, node-fetch).
    const fn = exportOf(callee, bindings);
    const isFetch = (callee.type === 'Identifier' && callee.name === 'fetch' && !fetchShadowed && !bindings.has('fetch'))
      || (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'globalThis' && memberName(callee) === 'fetch')
      || fn?.name === 'fetch'
      || (fn?.module === 'node-fetch' && fn.name === 'default');
    if (isFetch) {
      if (call.arguments.length === 0) continue;
      judge(call, optionsBound(ctx, call.arguments[1], ['signal']), 'fetch', FETCH_FIX, call.arguments[0]);
      continue;
    }
    if (fn?.module === 'undici' && (fn.name === 'request' || fn.name === 'stream')) {
      judge(call, optionsBound(ctx, call.arguments[1], ['signal', 'headersTimeout', 'bodyTimeout']), `undici ${fn.name}`, UNDICI_FIX, call.arguments[0]);
      continue;
    }
    if (fn?.module === 'axios') {
      checkAxios(ctx, call, fn.name, axiosDefaultsTimed, report, judge);
      continue;
    }
    if (fn?.module === 'got') {
      if (fn.name === 'extend') {
        if (optionsVerdict(ctx, call.arguments[0], ['timeout']) === 'untimed') report(call, 'got.extend', GOT_FIX, undefined);
      } else if (fn.name === 'default' || fn.name === '*' || GOT_METHODS.has(fn.name)) {
        judge(call, optionsBound(ctx, call.arguments[1], ['timeout', 'signal']), fn.name === 'default' || fn.name === '*' ? 'got' : `got.${fn.name}`, GOT_FIX, call.arguments[0]);
      }
      continue;
    }
    // A request through a dispatcher built without timeouts: `pool.request({ ... })`.
    if (callee.type === 'MemberExpression' && memberName(callee) === 'request' && untimedDispatchers.has(sourceOf(ctx, callee.object))) {
      if (optionsVerdict(ctx, call.arguments[0], ['signal', 'headersTimeout', 'bodyTimeout']) === 'untimed') report(call, `undici ${sourceOf(ctx, callee.object)}.request`, UNDICI_FIX, callee.object);
    }
  }
  return out;
}

type Judge = (n: t.Node, bound: Bound, via: string, fix: string, target: t.Node | undefined) => void;

function checkAxios(ctx: TsFileContext, call: t.CallExpression, name: string, defaultsTimed: boolean, report: (n: t.Node, via: string, fix: string, target: t.Node | undefined) => void, judge: Judge): void {
  let configAt: number;
  if (name === 'create') {
    if (optionsVerdict(ctx, call.arguments[0], ['timeout']) === 'untimed' && !defaultsTimed) report(call, 'axios.create', AXIOS_FIX, undefined);
    return;
  }
  if (defaultsTimed) return;
  if (name === 'default' || name === '*') {
    // axios(config) or axios(url, config)
    const first = call.arguments[0];
    configAt = first && unwrapExpression(first).type === 'ObjectExpression' ? 0 : 1;
  } else if (name === 'request') configAt = 0;
  else if (AXIOS_URL_ONLY.has(name)) configAt = 1;
  else if (AXIOS_WITH_DATA.has(name)) configAt = 2;
  else return;
  const bound = optionsBound(ctx, call.arguments[configAt], ['timeout', 'signal']);
  if (bound.verdict !== 'unknown') {
    const config = configAt === 0 ? objectOf(ctx, call.arguments[0]) : undefined;
    const url = config ? lookupProperty(config, 'url') : undefined;
    judge(call, bound, name === 'default' || name === '*' ? 'axios' : `axios.${name}`, AXIOS_FIX, url?.kind === 'found' ? url.value : configAt > 0 ? call.arguments[0] : undefined);
  }
}

/** Which export of a watched module `callee` names: `fetch`, `undici.request`, `axios.get`, `axios` itself. */
function exportOf(callee: t.Node, bindings: Bindings): { module: string; name: string } | undefined {
  const expr = unwrapExpression(callee);
  if (expr.type === 'Identifier') {
    const b = bindings.get(expr.name);
    return b ? { module: b.source, name: b.imported } : undefined;
  }
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    const b = bindings.get(expr.object.name);
    const member = memberName(expr);
    if (!b || member === undefined) return undefined;
    // `axios.default.get` (CommonJS interop) is rare; `axios.get` on the default export is the rule.
    if (isModuleObject(b)) return { module: b.source, name: member };
  }
  return undefined;
}

/**
 * Whether the options argument sets one of `keys` to something: absent argument or keys ->
 * untimed; a value of `undefined`, `null`, `0` or `false` -> untimed (each means "no limit" in
 * these clients); options sloctl cannot see -> unknown.
 */
function optionsVerdict(ctx: TsFileContext, arg: t.Node | undefined, keys: string[]): Verdict {
  return optionsBound(ctx, arg, keys).verdict;
}

/** optionsVerdict, with the option that bounds a timed call as written (`timeout: 2000`). */
function optionsBound(ctx: TsFileContext, arg: t.Node | undefined, keys: string[]): Bound {
  if (arg === undefined) return { verdict: 'untimed' };
  const object = objectOf(ctx, arg);
  if (!object) {
    const expr = unwrapExpression(arg);
    return { verdict: expr.type === 'Identifier' && expr.name === 'undefined' ? 'untimed' : 'unknown' };
  }
  let verdict: Verdict = 'untimed';
  for (const key of keys) {
    const found = lookupProperty(object, key);
    if (found.kind === 'found') {
      if (!meansNoLimit(found.value)) return { verdict: 'timed', by: `${key}: ${sourceOf(ctx, found.value)}` };
    } else if (found.kind === 'unknown') verdict = 'unknown';
  }
  return { verdict };
}

function meansNoLimit(node: t.Node): boolean {
  const v = unwrapExpression(node);
  return v.type === 'NullLiteral' || (v.type === 'Identifier' && v.name === 'undefined') || (v.type === 'NumericLiteral' && v.value === 0) || (v.type === 'BooleanLiteral' && !v.value);
}

// Declarators by name, built once per file when first asked: a file with thousands of calls and
// thousands of declarations must not cost their product.
const byName = new WeakMap<TsFileContext['facts'], Map<string, TsFileContext['facts']['declarators']>>();

function declaratorsNamed(ctx: TsFileContext, name: string): TsFileContext['facts']['declarators'] {
  let index = byName.get(ctx.facts);
  if (!index) {
    index = new Map();
    for (const d of ctx.facts.declarators) {
      if (d.node.id.type !== 'Identifier') continue;
      const list = index.get(d.node.id.name);
      if (list) list.push(d);
      else index.set(d.node.id.name, [d]);
    }
    byName.set(ctx.facts, index);
  }
  return index.get(name) ?? [];
}

/** An object literal, directly or through a `const` of this file initialised with one. */
function objectOf(ctx: TsFileContext, arg: t.Node): t.ObjectExpression | undefined {
  const expr = unwrapExpression(arg);
  if (expr.type === 'ObjectExpression') return expr;
  if (expr.type !== 'Identifier') return undefined;
  const decls = declaratorsNamed(ctx, expr.name);
  // Two declarations of one name (different scopes): which one this is, sloctl does not resolve.
  if (decls.length !== 1 || decls[0].kind !== 'const' || !decls[0].node.init) return undefined;
  const init = unwrapExpression(decls[0].node.init);
  return init.type === 'ObjectExpression' ? init : undefined;
}

/**
 * Where a call goes, as text to match against the contract's dependencies: the URL expression,
 * plus the initialiser of each name in it declared once in this file (`${PAYMENTS}/charges` with
 * `const PAYMENTS = process.env.PAYMENTS_URL` reads as both), so the env variable is seen.
 */
function targetText(ctx: TsFileContext, target: t.Node): string {
  const parts = [rawText(ctx, target)];
  const names = new Set<string>();
  forEachNode(target, (n) => {
    if (n.type === 'Identifier') names.add(n.name);
  });
  for (const name of names) {
    const decls = declaratorsNamed(ctx, name);
    if (decls.length === 1 && decls[0].node.init) parts.push(rawText(ctx, decls[0].node.init));
  }
  return parts.join(' ');
}

function rawText(ctx: TsFileContext, node: t.Node): string {
  const { start, end } = node;
  return typeof start === 'number' && typeof end === 'number' ? ctx.source.slice(start, Math.min(end, start + 500)) : '';
}

/** The name a construction is stored under: `const pool = new Pool()` -> `pool`, `this.pool = ...` -> `this.pool`. */
function holderOf(ctx: TsFileContext, construction: t.NewExpression): string | undefined {
  for (const { node } of ctx.facts.declarators) {
    if (node.init && unwrapExpression(node.init) === construction && node.id.type === 'Identifier') return node.id.name;
  }
  const { start, end } = construction;
  if (typeof start !== 'number' || typeof end !== 'number') return undefined;
  // `this.pool = new Pool(...)` / `pool = new Pool(...)`: read the assignment's left side from the text before.
  const before = ctx.source.slice(Math.max(0, start - 200), start);
  const m = /([A-Za-z_$][\w$]*(?:\.[A-Za-z_$#][\w$]*)*)\s*=\s*$/.exec(before);
  return m ? m[1] : undefined;
}
