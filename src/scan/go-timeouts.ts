// Outbound HTTP calls without a timeout, in Go (net/http): the static half of the dependencies
// contract, as ts-timeouts.ts is for Node.
//
// Reported:
//   http.Get / Head / Post / PostForm(...)   they use http.DefaultClient, whose Timeout is zero
//   http.DefaultClient (any use: .Do, .Get, passed along)
//   (neither of those two when some file of the module sets `http.DefaultClient.Timeout = ...`)
//   an http.Client{...} literal (or &http.Client{...}) without a `Timeout` field, and new(http.Client)
// Not reported: an http.Client{Timeout: ...} with any value but a literal 0 (a variable or
// 2 * time.Second alike), a client literal stored in a name whose `.Timeout` the same file sets, and requests made with http.NewRequestWithContext: whether their context
// carries a deadline is decided at run time (context.WithTimeout somewhere up the call chain), so
// sloctl cannot see it statically; the dynamic half of the check (a blackholed dependency) does.
// A Transport's own timeouts (ResponseHeaderTimeout, DialContext's) bound parts of a call, not
// all of it, so they do not make a Client without Timeout acceptable.
// A client literal with a Timeout is collected in `timed` (with its variable's name as the
// target): a dependency the code has, which `sloctl init` lists with that timeout. A client literal's
// target (with a Timeout or without) is the URL its calls in the file go to instead, when they all
// name one environment variable (`client.Get(os.Getenv("INVENTORY_URL") + "/items")`): `client`
// names nothing, INVENTORY_URL names `inventory`.

import type { GoNode } from './go-parser.ts';
import { importedName } from './go-imports.ts';
import type { GoPackageScope } from './go-scope.ts';
import { callArguments, positionOf, selectorParts, significantChildren, unparen } from './go-syntax.ts';
import { excerpt } from './metric-name.ts';
import type { TimedClient, UntimedClient } from './types.ts';

const DEFAULT_CLIENT_FUNCS = new Set(['Get', 'Head', 'Post', 'PostForm']);
const CLIENT_FIX = 'use an http.Client with Timeout (e.g. `&http.Client{Timeout: 150 * time.Millisecond}`, the contract dependency\'s timeout) instead of http.DefaultClient';
const LITERAL_FIX = 'set `Timeout:` on the client (e.g. `Timeout: 150 * time.Millisecond`, the contract dependency\'s timeout); a zero Timeout means no timeout';


/**
 * Whether some file of the module sets `http.DefaultClient.Timeout = ...` (in main or an init):
 * then http.Get and http.DefaultClient are bounded everywhere, and are not reported.
 */
export function setsDefaultClientTimeout(text: string): boolean {
  return /\bDefaultClient\.Timeout\s*=[^=]/.test(text);
}

/** Whether an untimed call goes through http.DefaultClient (http.Get, http.DefaultClient.Do): bounded after all when some file sets DefaultClient.Timeout. */
export function viaDefaultClient(client: UntimedClient): boolean {
  const field = client.via.slice(client.via.lastIndexOf('.') + 1);
  return field === 'DefaultClient' || DEFAULT_CLIENT_FUNCS.has(field);
}

export function detectGoUntimedClients(file: string, root: GoNode, defaultClientTimed = false, timed?: TimedClient[]): UntimedClient[] {
  const http = importedName(root, 'net/http');
  if (http === undefined) return [];
  const out: UntimedClient[] = [];
  const report = (node: GoNode, via: string, fix: string, target: GoNode | undefined) => {
    out.push({ file, ...positionOf(node), call: excerpt(node.text), via, fix, target: target ? target.text.slice(0, 500) : '' });
  };
  for (const node of root.descendantsOfType(['call_expression', 'selector_expression', 'composite_literal'])) {
    if (!node) continue;
    if (node.type === 'call_expression') {
      const fn = node.childForFieldName('function');
      const sel = selectorParts(fn);
      if (sel && sel.operand === http && DEFAULT_CLIENT_FUNCS.has(sel.field)) {
        if (defaultClientTimed) continue;
        report(node, `${http}.${sel.field}`, CLIENT_FIX, callArguments(node)[0]);
      } else if (fn?.type === 'identifier' && fn.text === 'new') {
        const arg = callArguments(node)[0];
        if (arg && isHttpClientType(arg, http)) report(node, `new(${http}.Client)`, LITERAL_FIX, undefined);
      }
    } else if (node.type === 'selector_expression') {
      const sel = selectorParts(node);
      if (sel && sel.operand === http && sel.field === 'DefaultClient' && !defaultClientTimed) {
        // `http.DefaultClient.Do(req)`: report the whole call when it is one, for a readable excerpt.
        const outer = node.parent?.type === 'selector_expression' && node.parent.parent?.type === 'call_expression' ? node.parent.parent : node;
        report(outer, `${http}.DefaultClient`, CLIENT_FIX, outer === node ? undefined : callArguments(outer)[0]);
      }
    } else {
      const type = node.childForFieldName('type');
      if (!type || !isHttpClientType(type, http)) continue;
      const timeout = fieldValue(node.childForFieldName('body'), 'Timeout');
      // `&http.Client{...}` is shown whole, and the name it is stored in says which dependency it may serve.
      const shown = node.parent?.type === 'unary_expression' ? node.parent : node;
      const name = declaredName(shown);
      // Where its calls go, when they all name one environment variable (`client.Get(os.Getenv("INVENTORY_URL"))`): a stronger sign than the variable's name.
      const env = name ? envTarget(root, name.text, http) : undefined;
      const target = name ? (env ?? name.text).slice(0, 500) : '';
      // The variable, for where the package calls it (go.ts, packageClientUses), when the target is the environment's.
      const holder = env !== undefined ? { holder: name!.text } : {};
      if (timeout === undefined || timeout.text.trim() === '0') {
        // `c := &http.Client{}` then `c.Timeout = d` in the same file: set after all.
        if (name && new RegExp(`\\b${name.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.Timeout\\s*=[^=]`).test(root.text)) continue;
        out.push({ file, ...positionOf(shown), call: excerpt(shown.text), via: `${http}.Client{}`, fix: LITERAL_FIX, target, ...holder });
      } else if (timed) {
        timed.push({ file, ...positionOf(shown), call: excerpt(shown.text), via: `${http}.Client{}`, target, ...holder, timeout: `Timeout: ${timeout.text}` });
      }
    }
  }
  return out;
}

const CLIENT_METHODS = new Set(['Get', 'Head', 'Post', 'PostForm', 'Do']);
const GETENV = /\bos\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/;

/**
 * The URL argument of the calls this file makes through the client stored in `client`
 * (`client.Get(url)`, `client.Post(url, ...)`, `client.Do(req)` of a `req` made by
 * http.NewRequest(method, url, ...) in the file), when every one of them names the same
 * environment variable, directly (`os.Getenv("INVENTORY_URL") + "/items"`) or through a variable
 * set from it in the file (`base := os.Getenv("INVENTORY_URL")`): the text to name the dependency
 * from (scaffold-dependencies.ts reads the variable). Undefined when a call names none or another.
 */
function envTarget(root: GoNode, client: string, http: string): string | undefined {
  const urls: GoNode[] = [];
  for (const call of root.descendantsOfType('call_expression')) {
    const fn = call?.childForFieldName('function');
    if (!call || fn?.type !== 'selector_expression' || fn.childForFieldName('operand')?.text !== client) continue;
    const method = fn.childForFieldName('field')?.text ?? '';
    if (!CLIENT_METHODS.has(method)) continue;
    const arg = callArguments(call)[0];
    if (!arg) return undefined;
    const url = method === 'Do' ? requestUrl(root, arg, http) : arg;
    if (!url) return undefined;
    urls.push(url);
  }
  const envs = urls.map((u) => GETENV.exec(u.text)?.[1] ?? viaVariable(root, u));
  const [first] = envs;
  return first !== undefined && envs.every((e) => e === first) ? (GETENV.test(urls[0].text) ? urls[0].text : `os.Getenv("${first}")`) : undefined;
}

/** The URL argument of `req, err := http.NewRequest(method, url, body)` (or ...WithContext(ctx, ...)) for the identifier `req`. */
function requestUrl(root: GoNode, req: GoNode, http: string): GoNode | undefined {
  if (req.type !== 'identifier') return undefined;
  for (const call of root.descendantsOfType('call_expression')) {
    const sel = selectorParts(call?.childForFieldName('function') ?? null);
    if (!call || sel?.operand !== http || (sel.field !== 'NewRequest' && sel.field !== 'NewRequestWithContext')) continue;
    const list = call.parent;
    const decl = list?.type === 'expression_list' ? list.parent : list;
    if (decl?.type !== 'short_var_declaration' && decl?.type !== 'assignment_statement') continue;
    if (significantChildren(decl.childForFieldName('left'))[0]?.text !== req.text) continue;
    return callArguments(call)[sel.field === 'NewRequest' ? 1 : 2];
  }
  return undefined;
}

/** `base + "/items"` where the file sets `base := os.Getenv("INVENTORY_URL")` (or `var base = ...`): the environment variable's name. */
function viaVariable(root: GoNode, url: GoNode): string | undefined {
  const lead = /^\s*([A-Za-z_][A-Za-z0-9_]*)\b/.exec(url.text)?.[1];
  if (lead === undefined) return undefined;
  // Two variables of that name set from different variables (two functions): not one answer.
  const set = new Set([...root.text.matchAll(new RegExp(`\\b${lead}\\s*:?=\\s*os\\.(?:Getenv|LookupEnv)\\(\\s*"([A-Za-z_][A-Za-z0-9_]*)"\\s*\\)`, 'g'))].map((m) => m[1]));
  return set.size === 1 ? [...set][0] : undefined;
}

/** `payments` in `var payments = &http.Client{}` / `payments := ...`: the name says which dependency it may serve. */
function declaredName(value: GoNode): GoNode | undefined {
  const list = value.parent;
  const decl = list?.type === 'expression_list' ? list.parent : list;
  if (decl?.type === 'var_spec') return decl.childForFieldName('name') ?? undefined;
  if (decl?.type === 'short_var_declaration' || decl?.type === 'assignment_statement') return significantChildren(decl.childForFieldName('left'))[0];
  return undefined;
}

function isHttpClientType(node: GoNode, http: string): boolean {
  const t = unparen(node);
  if (t.type !== 'qualified_type') return false;
  return t.childForFieldName('package')?.text === http && t.childForFieldName('name')?.text === 'Client';
}

/** The value of `Name: value` in a composite literal's body, when keyed so. */
function fieldValue(body: GoNode | null, name: string): GoNode | undefined {
  for (const el of significantChildren(body)) {
    if (el.type !== 'keyed_element') continue;
    // Grammar versions differ: the key is a literal_element wrapping the identifier, or the identifier itself.
    const key = el.childForFieldName('key') ?? significantChildren(el)[0];
    const value = el.childForFieldName('value') ?? significantChildren(el)[1];
    const keyText = key?.type === 'literal_element' ? significantChildren(key)[0]?.text : key?.text;
    if (keyText === name && value) return value.type === 'literal_element' ? (significantChildren(value)[0] ?? value) : value;
  }
  return undefined;
}

/** The methods of an http.Client that send a request. */
const REQUEST_METHODS = new Set(['Do', 'Get', 'Head', 'Post', 'PostForm']);

/**
 * Where the package calls a request method on the package-level variable `name`
 * (`payments.Do(req)`, `payments.Get(url)`), a client literal's holder: the client is made once,
 * these are its calls. None when `name` is not one package-level variable, and a use where a
 * local of the same name shadows it is not one.
 */
export function packageClientUses(files: ReadonlyArray<{ file: string; root: GoNode }>, scope: GoPackageScope, name: string): Array<{ file: string; line: number; col: number }> {
  let declared: GoNode | undefined;
  for (const { root } of files) {
    for (const decl of significantChildren(root)) {
      if (decl.type !== 'var_declaration') continue;
      for (const id of decl.descendantsOfType('identifier')) if (id?.text === name && id.parent?.type === 'var_spec' && id.parent.childrenForFieldName('name').some((n) => n?.startIndex === id.startIndex)) declared = id;
    }
  }
  const binding = declared ? scope.lookup(name, declared) : undefined;
  if (!binding) return [];
  const out: Array<{ file: string; line: number; col: number }> = [];
  for (const { file, root } of files) {
    if (!root.text.includes(`${name}.`)) continue;
    for (const call of root.descendantsOfType('call_expression')) {
      const sel = call ? selectorParts(call.childForFieldName('function')) : undefined;
      if (!call || sel?.operand !== name || !REQUEST_METHODS.has(sel.field)) continue;
      const operand = call.childForFieldName('function')?.childForFieldName('operand');
      if (operand && scope.lookup(name, operand) === binding) out.push({ file, ...positionOf(call) });
    }
  }
  return out;
}
