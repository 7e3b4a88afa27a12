// The routes one TypeScript/JavaScript file registers, as raw facts for route-tables.ts to join
// across files: route calls on a "route table" (an app, a router, a plugin's instance), mounts of
// one table in another with a prefix, and what the file exports.
//
// Recognized (with static paths: literals, templates and `const`s of the file):
//   Fastify   app.get/post/put/patch/delete/head/options/all(path, ...), app.route({ method, url }),
//             app.register(plugin, { prefix }), a plugin's own instance parameter
//   Express   app.get(...), router.get(...), router.route(path).get(...), app.use(prefix, router)
//   Koa       router.get(...) on new Router({ prefix }) from @koa/router, router.use(prefix, sub.routes()),
//             app.use(router.routes())
//   Hono      app.get(...), app.on(method, path, ...), app.route(prefix, sub), new Hono().basePath(p)
//   any       a function called with a table (`registerRoutes(app)`) registers on that table
// A table is an app or router created in the file, a function parameter, or an import from a
// relative module; a path computed at run time is recorded as unresolved, never guessed.

import type * as t from '@babel/types';
import { excerpt } from './metric-name.ts';
import { isFunctionNode, loadedModule, lookupProperty, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { isProjectModule } from './ts-modules.ts';
import type { ConstStrings } from './ts-strings.ts';
import type { ScanWarning, SourceSpan } from './types.ts';
import { defaultRouter, frameworkOfModule, type NodeFramework, type NodeRouter } from './node-routers.ts';

const FRAMEWORKS = new Set(['fastify', 'express', 'koa', '@koa/router', 'koa-router', 'hono', 'hono/tiny', 'hono/quick']);
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);
/** Receiver names that are route tables even in a file that imports no framework (a JS plugin). */
const TABLE_NAMES = /^(app|api|fastify|server|instance|router|routes|r|v\d+)$/i;

/** A function's table parameter, a variable, or something imported. */
export type LocalRef =
  | { kind: 'table'; key: string }
  | { kind: 'fn'; key: string }
  | { kind: 'import'; source: string; imported: string };

export interface RawRoute {
  table: LocalRef | undefined;
  method: string;
  path: string | undefined;
  line: number;
  col: number;
  via: string;
  what: string;
  /** The handler's own code, when the registration gives it so that sloctl knows it (handlerSpan). */
  handler?: SourceSpan;
}

export interface RawMount {
  parent: LocalRef;
  child: LocalRef;
  /** For a function child: which parameter receives the parent. */
  param: number;
  /** undefined: computed at run time. */
  prefix: string | undefined;
}

/** `app.use('*', middleware(sdk))` with sloctl's Hono middleware (src/scan/types.ts SdkScope). */
export interface RawSdkUse {
  table: LocalRef;
  /** The pattern it is registered with (`*` when none is given, as Hono does). */
  path: string;
  line: number;
  col: number;
  what: string;
}

export interface TableInfo {
  /** An application (its routes start at `/` unless mounted). */
  root: boolean;
  /** A prefix of its own: koa-router's `prefix`, Hono's `basePath`. */
  own: string;
  /** The router the constructor made, with the options it was given (src/scan/node-routers.ts). */
  router?: NodeRouter;
}

export interface FileRoutes {
  file: string;
  routes: RawRoute[];
  mounts: RawMount[];
  /** Where sloctl's Hono middleware is registered. */
  sdkUses: RawSdkUse[];
  tables: Map<string, TableInfo>;
  exports: Map<string, LocalRef>;
  /** The one framework the file imports (a plugin's or router's file), for tables whose maker sloctl does not see. */
  framework?: NodeFramework;
  /** What the file's own code makes of no effect (a strict routing setting after the router is made). */
  warnings: ScanWarning[];
}

interface Scope {
  id: string;
  parent: Scope | undefined;
  params: Map<string, number>;
  vars: Map<string, t.Node | null>;
  fns: Map<string, string>;
}

interface PendingCall {
  call: t.CallExpression;
  scope: Scope;
}

type Imports = Map<string, { source: string; imported: string }>;


export function extractRoutes(file: string, source: string, program: t.Program, consts: ConstStrings, local?: (source: string) => boolean): FileRoutes {
  const out: FileRoutes = { file, routes: [], mounts: [], sdkUses: [], tables: new Map(), exports: new Map(), warnings: [] };
  const imports: Imports = new Map();
  const module: Scope = { id: 'm', parent: undefined, params: new Map(), vars: new Map(), fns: new Map() };
  const calls: PendingCall[] = [];
  const exportNodes: Array<{ name: string; node: t.Node; scope: Scope }> = [];
  const fnNodes = new Map<string, t.Function>();
  // How often each name is written in the file (declarations included, property names not): a
  // handler function named anywhere but its declaration and one registration is not followed.
  const mentions = new Map<string, number>();
  const notMentions = new WeakSet<t.Node>();

  // One iterative walk (deep input must not overflow the stack), keeping the function scope.
  const stack: Array<{ node: t.Node; scope: Scope }> = [{ node: program, scope: module }];
  while (stack.length > 0) {
    const { node, scope } = stack.pop()!;
    let inner = scope;
    if (node.type === 'Identifier' && !notMentions.has(node)) mentions.set(node.name, (mentions.get(node.name) ?? 0) + 1);
    if ((node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') && !node.computed) notMentions.add(node.property);
    if ((node.type === 'ObjectProperty' || node.type === 'ObjectMethod' || node.type === 'ClassMethod' || node.type === 'ClassProperty') && !node.computed && !(node.type === 'ObjectProperty' && node.shorthand)) notMentions.add(node.key);
    switch (node.type) {
      case 'ImportDeclaration':
        for (const spec of node.specifiers) {
          const imported = spec.type === 'ImportNamespaceSpecifier' ? '*' : spec.type === 'ImportDefaultSpecifier' ? 'default' : spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
          imports.set(spec.local.name, { source: node.source.value, imported });
        }
        break;
      case 'VariableDeclarator':
        if (node.id.type === 'Identifier') {
          scope.vars.set(node.id.name, node.init ?? null);
          const source = node.init ? loadedModule(node.init) : undefined;
          if (source !== undefined) imports.set(node.id.name, { source, imported: '*' });
        } else if (node.id.type === 'ObjectPattern' && node.init) {
          const source = loadedModule(node.init);
          if (source !== undefined) {
            for (const p of node.id.properties) {
              if (p.type === 'ObjectProperty' && p.key.type === 'Identifier' && p.value.type === 'Identifier') imports.set(p.value.name, { source, imported: p.key.name });
            }
          }
        }
        break;
      case 'CallExpression':
        calls.push({ call: node, scope });
        break;
      case 'ExportDefaultDeclaration':
        exportNodes.push({ name: 'default', node: node.declaration, scope });
        break;
      case 'ExportNamedDeclaration':
        if (node.declaration?.type === 'FunctionDeclaration' && node.declaration.id) exportNodes.push({ name: node.declaration.id.name, node: node.declaration.id, scope });
        if (node.declaration?.type === 'VariableDeclaration') {
          for (const d of node.declaration.declarations) if (d.id.type === 'Identifier') exportNodes.push({ name: d.id.name, node: d.id, scope });
        }
        if (!node.source) {
          for (const spec of node.specifiers) {
            if (spec.type !== 'ExportSpecifier') continue;
            const name = spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value;
            exportNodes.push({ name, node: spec.local, scope });
          }
        }
        break;
      case 'AssignmentExpression': {
        // module.exports = x; module.exports.name = x; exports.name = x
        const target = node.left;
        if (target.type === 'MemberExpression') {
          const name = memberName(target);
          if (isModuleExports(target)) exportNodes.push({ name: 'default', node: node.right, scope });
          else if (name !== undefined && (isModuleExports(target.object) || (target.object.type === 'Identifier' && target.object.name === 'exports'))) exportNodes.push({ name, node: node.right, scope });
        }
        break;
      }
    }
    if (isFunctionNode(node)) {
      const fn = node;
      const key = `f${fn.start ?? 0}`;
      fnNodes.set(key, fn);
      if (fn.type === 'FunctionDeclaration' && fn.id) scope.fns.set(fn.id.name, key);
      inner = { id: key, parent: scope, params: new Map(), vars: new Map(), fns: new Map() };
      fn.params.forEach((p, i) => {
        const id = p.type === 'AssignmentPattern' ? p.left : p;
        if (id.type === 'Identifier') inner.params.set(id.name, i);
      });
    }
    pushChildren(stack, node, inner);
  }

  const ctx: Ctx = { out, strictCalls: [], local, source, imports, consts, fnNodes, mentions, exported: new Set(exportNodes.map((e) => e.name)), exportedNodes: new Set(exportNodes.map((e) => e.node)), frameworkFile: [...imports.values()].some((b) => FRAMEWORKS.has(b.source)) };
  const families = new Set([...imports.values()].map((b) => frameworkOfModule(b.source)).filter((f) => f !== undefined));
  if (families.size === 1) out.framework = [...families][0];
  // Tables first: a variable initialized by a framework constructor.
  for (const { call, scope } of calls) detectCall(ctx, call, scope);
  settleStrictRouting(ctx, calls);
  for (const e of exportNodes) {
    const ref = resolveValue(ctx, e.node, e.scope, 0);
    if (ref) out.exports.set(e.name, ref);
  }
  return out;
}

interface Ctx {
  out: FileRoutes;
  /** Express' `app.set('strict routing', ...)` calls, applied once every call is seen (settleStrictRouting). */
  strictCalls: Array<{ call: t.CallExpression; key: string; scope: Scope; router: NodeRouter }>;
  source: string;
  /** Bare specifiers of workspace packages the scan follows (ts-workspace.ts): the project's own modules. */
  local: ((source: string) => boolean) | undefined;
  imports: Imports;
  consts: ConstStrings;
  fnNodes: Map<string, t.Function>;
  /** How often each name is written in the file (extractRoutes). */
  mentions: Map<string, number>;
  /** The names the file exports, and the declarations it exports (`export default function f() {}`). */
  exported: Set<string>;
  exportedNodes: Set<t.Node>;
  frameworkFile: boolean;
}

function isModuleExports(node: t.Node): boolean {
  return node.type === 'MemberExpression' && node.object.type === 'Identifier' && node.object.name === 'module' && memberName(node) === 'exports';
}

const SKIP_KEYS = new Set(['loc', 'start', 'end', 'range', 'extra', 'errors', 'comments', 'tokens', 'leadingComments', 'trailingComments', 'innerComments', 'typeAnnotation', 'returnType', 'typeParameters']);

function pushChildren(stack: Array<{ node: t.Node; scope: Scope }>, node: t.Node, scope: Scope): void {
  const record = node as unknown as Record<string, unknown>;
  for (const key in record) {
    if (SKIP_KEYS.has(key)) continue;
    const value = record[key];
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) if (isNode(value[i])) stack.push({ node: value[i], scope });
    } else if (isNode(value)) stack.push({ node: value, scope });
  }
}

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** What a name means at a place: a parameter, a variable, a function, an import. */
function lookup(ctx: Ctx, name: string, scope: Scope): { ref?: LocalRef; init?: t.Node | null; scope: Scope } | undefined {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const index = s.params.get(name);
    if (index !== undefined) return { ref: { kind: 'table', key: `${s.id}:p${index}` }, scope: s };
    const fn = s.fns.get(name);
    if (fn !== undefined) return { ref: { kind: 'fn', key: fn }, scope: s };
    if (s.vars.has(name)) {
      const binding = ctx.imports.get(name);
      if (binding && s.parent === undefined) return { ref: { kind: 'import', ...binding }, scope: s };
      return { ref: { kind: 'table', key: `${s.id}:v:${name}` }, init: s.vars.get(name), scope: s };
    }
  }
  const binding = ctx.imports.get(name);
  return binding ? { ref: { kind: 'import', ...binding }, scope } : undefined;
}

/** What an expression is as a table or plugin, following variables. */
function resolveValue(ctx: Ctx, node: t.Node, scope: Scope, depth: number): LocalRef | undefined {
  if (depth > 16) return undefined;
  const expr = unwrapExpression(node.type === 'AwaitExpression' ? node.argument : node);
  if (expr.type === 'FunctionExpression' || expr.type === 'ArrowFunctionExpression') return { kind: 'fn', key: `f${expr.start ?? 0}` };
  if (expr.type === 'FunctionDeclaration') return { kind: 'fn', key: `f${expr.start ?? 0}` };
  if (expr.type === 'Identifier') {
    const found = lookup(ctx, expr.name, scope);
    if (!found?.ref) return undefined;
    if (found.ref.kind === 'table' && found.init) {
      const init = unwrapExpression(found.init);
      if (init.type === 'FunctionExpression' || init.type === 'ArrowFunctionExpression' || init.type === 'Identifier' || isWrapperCall(init)) {
        return resolveValue(ctx, init, found.scope, depth + 1) ?? found.ref;
      }
    }
    return found.ref;
  }
  const source = loadedModule(expr);
  if (source !== undefined) return { kind: 'import', source, imported: 'default' };
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    // `routes.users` where routes is `import * as routes`, or `require('./x').plugin`
    const found = lookup(ctx, expr.object.name, scope);
    const name = memberName(expr);
    if (found?.ref?.kind === 'import' && found.ref.imported === '*' && name !== undefined) return { kind: 'import', source: found.ref.source, imported: name };
    return undefined;
  }
  // `fp(async (app) => ...)`, `fastifyPlugin(plugin)`: the wrapped function.
  if (isWrapperCall(expr)) return resolveValue(ctx, (expr as t.CallExpression).arguments[0], scope, depth + 1);
  return undefined;
}

/** A call whose first argument is the plugin: `fp(fn)`, `fastifyPlugin(fn, opts)`. */
function isWrapperCall(expr: t.Node): boolean {
  if (expr.type !== 'CallExpression' || expr.arguments.length === 0) return false;
  const callee = unwrapExpression(expr.callee);
  if (callee.type !== 'Identifier') return false;
  const first = unwrapExpression(expr.arguments[0]);
  return first.type === 'FunctionExpression' || first.type === 'ArrowFunctionExpression' || (first.type === 'Identifier' && /^(fp|fastifyPlugin|plugin)$/i.test(callee.name));
}

function detectCall(ctx: Ctx, call: t.CallExpression, scope: Scope): void {
  const callee = unwrapExpression(call.callee);
  if (callee.type === 'Identifier') {
    detectTableHandoff(ctx, call, scope);
    return;
  }
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return;
  const method = memberName(callee);
  if (method === undefined) return;
  const lower = method.toLowerCase();
  if (ROUTE_METHODS.has(method)) return routeCall(ctx, call, callee.object, scope, lower === 'del' ? 'DELETE' : lower === 'all' ? '*' : method.toUpperCase(), 1, `.${method}()`);
  switch (method) {
    case 'route':
      return routeObjectOrPrefix(ctx, call, callee.object, scope);
    case 'on':
      return honoOn(ctx, call, callee.object, scope);
    case 'register':
      return fastifyRegister(ctx, call, callee.object, scope);
    case 'use':
      return useMount(ctx, call, callee.object, scope);
    case 'set':
    case 'enable':
    case 'disable':
      return strictRouting(ctx, call, method, callee.object, scope);
  }
}

/** Express' `app.set('strict routing', true)`, `app.enable('strict routing')`, `app.disable(...)` on an app sloctl saw made. */
function strictRouting(ctx: Ctx, call: t.CallExpression, method: string, receiver: t.Node, scope: Scope): void {
  const [nameNode, valueNode] = call.arguments;
  if (nameNode === undefined || ctx.consts.resolve(nameNode) !== 'strict routing') return;
  const ref = receiverTable(ctx, receiver, scope).ref;
  if (ref?.kind !== 'table' || ctx.out.tables.get(ref.key)?.router?.framework !== 'express') return;
  const value = valueNode === undefined ? undefined : unwrapExpression(valueNode);
  ctx.strictCalls.push({
    call, key: ref.key, scope,
    router: { framework: 'express', strict: method === 'enable' ? true : method === 'disable' ? false : value?.type === 'BooleanLiteral' ? value.value : undefined },
  });
}

/**
 * Applies the strict-routing settings: Express makes an app's router, with the setting it has
 * then, at the app's first route or `use` (measured: `app.set('strict routing', true)` after
 * `app.get('/a')` leaves `/a/` served), so a setting after the first of those in the same
 * function has no effect, and says so. One in another function than that first route may run
 * before it or not: the slash is left unjudged.
 */
function settleStrictRouting(ctx: Ctx, calls: readonly PendingCall[]): void {
  for (const set of ctx.strictCalls) {
    const info = ctx.out.tables.get(set.key);
    if (info === undefined) continue;
    // The earliest by position (the walk's order is not the source's).
    const first = calls.filter(({ call, scope }) => {
      const callee = unwrapExpression(call.callee);
      if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return false;
      const name = memberName(callee) ?? '';
      if (!(ROUTE_METHODS.has(name) || name === 'use' || name === 'route')) return false;
      const ref = receiverTable(ctx, callee.object, scope).ref;
      return ref?.kind === 'table' && ref.key === set.key;
    }).reduce<PendingCall | undefined>((a, c) => (a === undefined || (c.call.start ?? 0) < (a.call.start ?? 0) ? c : a), undefined);
    if (first === undefined || (first.scope.id === set.scope.id && (first.call.start ?? 0) > (set.call.start ?? 0))) info.router = set.router;
    else if (first.scope.id !== set.scope.id) info.router = { framework: 'express', strict: undefined };
    else {
      const at = positionOf(first.call);
      ctx.out.warnings.push({
        file: ctx.out.file, ...positionOf(set.call),
        message: `this strict routing setting has no effect: Express made the app's router at its first route or use (line ${at.line}:${at.col}), with strict routing as it was then; set it before the first route`,
      });
    }
  }
}

/** The table a receiver expression is, with chained calls (`router.get(...).post(...)`) unwrapped. */
function receiverTable(ctx: Ctx, receiver: t.Node, scope: Scope): { ref: LocalRef | undefined; known: boolean } {
  let expr = unwrapExpression(receiver);
  for (let i = 0; i < 64 && expr.type === 'CallExpression'; i++) {
    const c = unwrapExpression(expr.callee);
    if (c.type !== 'MemberExpression') break;
    const name = memberName(c);
    if (name === undefined || !(ROUTE_METHODS.has(name) || name === 'use' || name === 'register' || name === 'on' || name === 'route')) break;
    expr = unwrapExpression(c.object);
  }
  if (expr.type === 'Identifier') {
    const found = lookup(ctx, expr.name, scope);
    if (!found?.ref) return { ref: undefined, known: false };
    if (found.ref.kind === 'import') {
      if (!isProjectModule(found.ref.source, ctx.local)) return { ref: undefined, known: false };
      return { ref: found.ref, known: true };
    }
    if (found.ref.kind === 'table' && found.init !== undefined) {
      const made = classifyInit(ctx, found.ref.key, found.init, found.scope);
      return { ref: found.ref, known: made || ctx.frameworkFile || TABLE_NAMES.test(expr.name) };
    }
    return { ref: found.ref, known: ctx.frameworkFile || TABLE_NAMES.test(expr.name) };
  }
  if (expr.type === 'NewExpression' || expr.type === 'CallExpression') {
    // `new Hono().get(...)`: an anonymous root
    const key = `anon${expr.start ?? 0}`;
    if (classifyInit(ctx, key, expr, scope)) return { ref: { kind: 'table', key }, known: true };
  }
  if (expr.type === 'MemberExpression' || expr.type === 'ThisExpression') return { ref: undefined, known: ctx.frameworkFile };
  return { ref: undefined, known: false };
}

/** Records what a variable's initializer makes: an app (root), a router, a Hono basePath. */
function classifyInit(ctx: Ctx, key: string, init: t.Node | null, scope: Scope): boolean {
  if (!init) return false;
  if (ctx.out.tables.has(key)) return true;
  const expr = unwrapExpression(init.type === 'AwaitExpression' ? init.argument : init);
  if (expr.type !== 'CallExpression' && expr.type !== 'NewExpression') return false;
  const callee = unwrapExpression(expr.callee);
  // `app.basePath('/api')` / `new Hono().basePath('/api')`
  if (expr.type === 'CallExpression' && callee.type === 'MemberExpression' && memberName(callee) === 'basePath') {
    const base = expr.arguments[0] ? ctx.consts.resolve(expr.arguments[0]) : undefined;
    const inner = unwrapExpression(callee.object);
    if (inner.type === 'NewExpression') {
      const made = constructed(ctx, unwrapExpression(inner.callee));
      ctx.out.tables.set(key, { root: true, own: base ?? '', ...(made ? { router: routerOf(made.framework, made.kind, inner.arguments[0]) } : {}) });
      return true;
    }
    const parent = receiverTable(ctx, inner, scope).ref;
    if (parent) {
      ctx.out.tables.set(key, { root: false, own: '' });
      ctx.out.mounts.push({ parent, child: { kind: 'table', key }, param: 0, prefix: base });
      return true;
    }
    return false;
  }
  const made = constructed(ctx, callee);
  if (!made) return false;
  const router = routerOf(made.framework, made.kind, expr.arguments[0]);
  if (made.kind === 'koa-router') {
    const opts = expr.arguments[0] ? unwrapExpression(expr.arguments[0]) : undefined;
    let own = '';
    if (opts?.type === 'ObjectExpression') {
      const prefix = lookupProperty(opts, 'prefix');
      if (prefix.kind === 'found') own = ctx.consts.resolve(prefix.value) ?? '\u0000';
      else if (prefix.kind === 'unknown') own = '\u0000';
    }
    ctx.out.tables.set(key, { root: false, own, router });
  } else {
    ctx.out.tables.set(key, { root: made.kind === 'app', own: '', router });
  }
  return true;
}

/** Which framework object a constructor call makes, and whose. */
function constructed(ctx: Ctx, callee: t.Node): { kind: TableKind; framework: NodeFramework } | undefined {
  let source: string | undefined;
  let name: string | undefined;
  if (callee.type === 'Identifier') {
    const b = ctx.imports.get(callee.name);
    if (!b) return undefined;
    source = b.source;
    name = b.imported;
  } else if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') {
    const b = ctx.imports.get(callee.object.name);
    if (!b || (b.imported !== '*' && b.imported !== 'default')) return undefined;
    source = b.source;
    name = memberName(callee);
  } else {
    const s = loadedModule(callee);
    if (s === undefined) return undefined;
    source = s;
    name = 'default';
  }
  const kind = tableKind(source, name);
  const framework = frameworkOfModule(source);
  return kind === undefined || framework === undefined ? undefined : { kind, framework };
}

type TableKind = 'app' | 'router' | 'koa-router';

/** What a package's export makes when called or constructed. */
function tableKind(source: string, name: string | undefined): TableKind | undefined {
  switch (source) {
    case 'fastify':
      return name === 'default' || name === '*' || name === 'fastify' || name === 'Fastify' ? 'app' : undefined;
    case 'express':
      if (name === 'Router') return 'router';
      return name === 'default' || name === '*' ? 'app' : undefined;
    case 'koa':
      return 'app';
    case '@koa/router':
    case 'koa-router':
      return 'koa-router';
    case 'hono':
    case 'hono/tiny':
    case 'hono/quick':
      return name === 'Hono' ? 'app' : undefined;
    default:
      return undefined;
  }
}

/**
 * The router a constructor makes from its options, as far as they are literals: Fastify's
 * `ignoreTrailingSlash` (also under `routerOptions`), the `strict` of express.Router, @koa/router
 * and Hono. An express() app is lenient until `app.set('strict routing', true)` (strictRouting).
 */
export function routerOf(framework: NodeFramework, kind: TableKind, optsNode: t.Node | undefined): NodeRouter {
  const fallback = defaultRouter(framework);
  if (framework === 'express' && kind === 'app') return fallback;
  if (optsNode === undefined) return fallback;
  const opts = unwrapExpression(optsNode);
  if (opts.type !== 'ObjectExpression') return { framework, strict: undefined };
  const flag = (object: t.ObjectExpression, name: string): boolean | null | undefined => {
    const p = lookupProperty(object, name);
    if (p.kind === 'absent') return null;
    if (p.kind === 'found' && p.value.type === 'BooleanLiteral') return p.value.value;
    return undefined;
  };
  if (framework === 'fastify') {
    let ignore = flag(opts, 'ignoreTrailingSlash');
    if (ignore === null) {
      const nested = lookupProperty(opts, 'routerOptions');
      if (nested.kind === 'found' && nested.value.type === 'ObjectExpression') ignore = flag(nested.value, 'ignoreTrailingSlash');
      else if (nested.kind !== 'absent') ignore = undefined;
    }
    return { framework, strict: ignore === null ? true : ignore === undefined ? undefined : !ignore };
  }
  const strict = flag(opts, 'strict');
  return { framework, strict: strict === null ? fallback.strict : strict };
}

function pathValue(ctx: Ctx, node: t.Node | undefined): string | undefined {
  if (!node) return undefined;
  const value = ctx.consts.resolve(node);
  return value !== undefined && (value.startsWith('/') || value === '*' || value === '') ? value : undefined;
}

function isHandlerLike(node: t.Node | undefined): boolean {
  if (!node) return false;
  const expr = unwrapExpression(node);
  if (expr.type === 'ObjectExpression') return lookupProperty(expr, 'handler').kind !== 'absent';
  return ['FunctionExpression', 'ArrowFunctionExpression', 'Identifier', 'MemberExpression', 'CallExpression', 'ArrayExpression'].includes(expr.type);
}

function routeCall(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope, method: string, firstHandler: number, via: string): void {
  const args = call.arguments;
  let recv = unwrapExpression(receiver);
  // `router.route('/x').get(a).put(b)`: past the earlier method calls of the chain.
  for (let i = 0; i < 16 && recv.type === 'CallExpression' && recv.callee.type === 'MemberExpression' && ROUTE_METHODS.has(memberName(recv.callee) ?? ''); i++) {
    const inner = unwrapExpression(recv.callee.object);
    if (inner.type !== 'CallExpression') break;
    recv = inner;
  }
  // Express `router.route('/x').get(handler)`: the path is on the receiver.
  if (recv.type === 'CallExpression' && recv.callee.type === 'MemberExpression' && memberName(recv.callee) === 'route' && recv.arguments.length === 1) {
    if (args.length < 1 || !isHandlerLike(args[args.length - 1])) return;
    const table = receiverTable(ctx, recv.callee.object, scope);
    if (!table.known) return;
    const pathNode = recv.arguments[0];
    addRoute(ctx, call, table.ref, method, pathValue(ctx, pathNode), `.route(path)${via}`, pathNode, handlerSpan(ctx, args[args.length - 1], scope));
    return;
  }
  if (args.length <= firstHandler - 0 || !isHandlerLike(args[args.length - 1])) return;
  const pathNode = args[0];
  const path = pathValue(ctx, pathNode);
  if (path === undefined) {
    // `map.get(key, fallback)` is not a route: only count computed paths on known tables.
    const literal = unwrapExpression(pathNode);
    if (literal.type === 'StringLiteral' || literal.type === 'ObjectExpression') return;
  }
  const table = receiverTable(ctx, receiver, scope);
  if (!table.known) return;
  addRoute(ctx, call, table.ref, method, path, via, pathNode, handlerSpan(ctx, args[args.length - 1], scope));
}

function addRoute(ctx: Ctx, call: t.CallExpression, table: LocalRef | undefined, method: string, path: string | undefined, via: string, pathNode: t.Node, handler?: SourceSpan): void {
  const start = pathNode.start ?? 0;
  const end = pathNode.end ?? start;
  ctx.out.routes.push({ table, method, path, ...positionOf(call), via, what: excerpt(ctx.source.slice(start, end)), ...(handler ? { handler } : {}) });
}

/**
 * Where a registration's handler is written, when sloctl knows it for certain: an inline function
 * (`app.get('/x', async (req, res) => { ... })`), Fastify's `{ handler }` option, or a name bound
 * in this file to a function declaration or a function expression (`app.get('/x', checkout)`)
 * that the file writes nowhere else (not called by other code, not exported, not reassigned):
 * then only this registration runs it. Anything else (an import, a method, a wrapper's result,
 * an array of middleware) is undefined.
 */
function handlerSpan(ctx: Ctx, node: t.Node | undefined, scope: Scope): SourceSpan | undefined {
  if (!node || node.type === 'SpreadElement' || node.type === 'ArgumentPlaceholder') return undefined;
  const expr = unwrapExpression(node);
  if (expr.type === 'FunctionExpression' || expr.type === 'ArrowFunctionExpression') return spanOf(ctx, expr);
  if (expr.type === 'ObjectExpression') {
    const handler = lookupProperty(expr, 'handler');
    if (handler.kind !== 'found') return undefined;
    const value = unwrapExpression(handler.value);
    return value.type === 'Identifier' || value.type === 'FunctionExpression' || value.type === 'ArrowFunctionExpression' ? handlerSpan(ctx, value, scope) : undefined;
  }
  if (expr.type !== 'Identifier') return undefined;
  // The declaration and this registration: written twice in the file, and not exported.
  if (ctx.mentions.get(expr.name) !== 2 || ctx.exported.has(expr.name)) return undefined;
  const found = lookup(ctx, expr.name, scope);
  if (found?.ref?.kind === 'fn') {
    const fn = ctx.fnNodes.get(found.ref.key);
    return fn && !ctx.exportedNodes.has(fn) ? spanOf(ctx, fn) : undefined;
  }
  if (found?.ref?.kind === 'table' && found.init) {
    const init = unwrapExpression(found.init);
    if (init.type === 'FunctionExpression' || init.type === 'ArrowFunctionExpression') return spanOf(ctx, init);
  }
  return undefined;
}

function spanOf(ctx: Ctx, node: t.Node): SourceSpan | undefined {
  const loc = node.loc;
  return loc ? { file: ctx.out.file, line: loc.start.line, col: loc.start.column + 1, endLine: loc.end.line, endCol: loc.end.column + 1 } : undefined;
}

/** Fastify `app.route({ method, url })`, or Express/Hono `app.route(prefix, sub)`. */
function routeObjectOrPrefix(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope): void {
  const args = call.arguments;
  const first = args[0] ? unwrapExpression(args[0]) : undefined;
  if (first?.type === 'ObjectExpression' && args.length === 1) {
    const table = receiverTable(ctx, receiver, scope);
    if (!table.known) return;
    const url = lookupProperty(first, 'url');
    const pathProp = url.kind === 'absent' ? lookupProperty(first, 'path') : url;
    const methodProp = lookupProperty(first, 'method');
    if (pathProp.kind === 'absent' || methodProp.kind === 'absent') return;
    const path = pathProp.kind === 'found' ? pathValue(ctx, pathProp.value) : undefined;
    const methods = methodProp.kind === 'found' ? methodList(ctx, methodProp.value) : undefined;
    const pathNode = pathProp.kind === 'found' ? pathProp.value : pathProp.node;
    const handler = handlerSpan(ctx, first, scope);
    for (const m of methods ?? ['*']) addRoute(ctx, call, table.ref, m, methods ? path : undefined, '.route({ method, url })', pathNode, handler);
    return;
  }
  if (args.length === 2) {
    // Hono: app.route('/books', books)
    const child = resolveValue(ctx, args[1], scope, 0);
    const parent = receiverTable(ctx, receiver, scope);
    if (child && parent.ref && parent.known) ctx.out.mounts.push({ parent: parent.ref, child, param: 0, prefix: ctx.consts.resolve(args[0]) });
  }
}

function methodList(ctx: Ctx, node: t.Node): string[] | undefined {
  return ctx.consts.resolveList(node)?.map((m) => m.toUpperCase());
}

/** Hono `app.on('GET', '/x', handler)` / `app.on(['GET', 'POST'], '/x', handler)`. */
function honoOn(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope): void {
  const [methodNode, pathNode, ...rest] = call.arguments;
  if (!methodNode || !pathNode || rest.length === 0 || !isHandlerLike(rest[rest.length - 1])) return;
  const table = receiverTable(ctx, receiver, scope);
  if (!table.known) return;
  const methods = methodList(ctx, methodNode);
  const path = pathValue(ctx, pathNode);
  const handler = handlerSpan(ctx, rest[rest.length - 1], scope);
  for (const m of methods ?? ['*']) addRoute(ctx, call, table.ref, m, methods ? path : undefined, '.on()', pathNode, handler);
}

/** Fastify `app.register(plugin, { prefix })`. */
function fastifyRegister(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope): void {
  const [pluginNode, optsNode] = call.arguments;
  if (!pluginNode) return;
  const child = resolveValue(ctx, pluginNode, scope, 0);
  if (!child || child.kind === 'table') return;
  if (child.kind === 'import' && !isProjectModule(child.source, ctx.local)) return; // a package's plugin registers its own routes
  const parent = receiverTable(ctx, receiver, scope);
  if (!parent.ref) return;
  let prefix: string | undefined = '';
  const opts = optsNode ? unwrapExpression(optsNode) : undefined;
  if (opts?.type === 'ObjectExpression') {
    const p = lookupProperty(opts, 'prefix');
    if (p.kind === 'found') prefix = ctx.consts.resolve(p.value);
    else if (p.kind === 'unknown') prefix = undefined;
  } else if (opts) {
    const object = opts.type === 'Identifier' ? ctx.consts.constObject(opts.name) : undefined;
    if (object) {
      const p = lookupProperty(object, 'prefix');
      prefix = p.kind === 'found' ? ctx.consts.resolve(p.value) : p.kind === 'absent' ? '' : undefined;
    } else prefix = undefined;
  }
  ctx.out.mounts.push({ parent: parent.ref, child, param: 0, prefix });
}

/** Express `app.use('/api', router)`, Koa `app.use(router.routes())`, koa-router `parent.use('/x', sub.routes())`. */
function useMount(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope): void {
  const args = call.arguments;
  if (args.length === 0) return;
  if (honoSdkUse(ctx, call, receiver, scope)) return;
  let prefix: string | undefined = '';
  let from = 0;
  const first = unwrapExpression(args[0]);
  const children: LocalRef[] = [];
  const childOf = (node: t.Node): LocalRef | undefined => {
    let expr = unwrapExpression(node);
    // `router.routes()` / `router.middleware()` (koa-router)
    if (expr.type === 'CallExpression' && expr.callee.type === 'MemberExpression' && ['routes', 'middleware'].includes(memberName(expr.callee) ?? '')) expr = unwrapExpression(expr.callee.object);
    if (expr.type !== 'Identifier' && expr.type !== 'MemberExpression') return undefined;
    const ref = resolveValue(ctx, expr, scope, 0);
    if (!ref || ref.kind === 'fn') return undefined; // a middleware function
    if (ref.kind === 'import' && !isProjectModule(ref.source, ctx.local)) return undefined;
    if (ref.kind === 'table' && !ctx.out.tables.has(ref.key)) {
      const found = expr.type === 'Identifier' ? lookup(ctx, expr.name, scope) : undefined;
      if (!found?.init || !classifyInit(ctx, ref.key, found.init, found.scope)) return undefined;
    }
    return ref;
  };
  if (args.length > 1 && first.type !== 'FunctionExpression' && first.type !== 'ArrowFunctionExpression' && !childOf(args[0])) {
    prefix = ctx.consts.resolve(args[0]);
    from = 1;
  }
  for (let i = from; i < args.length; i++) {
    const child = childOf(args[i]);
    if (child) children.push(child);
  }
  if (children.length === 0) return;
  const parent = receiverTable(ctx, receiver, scope);
  if (!parent.ref) return;
  for (const child of children) ctx.out.mounts.push({ parent: parent.ref, child, param: 0, prefix });
}

/** Hono `app.use('*', middleware(sdk))` / `app.use(middleware(sdk))` with sloctl's Hono middleware: where it runs. */
function honoSdkUse(ctx: Ctx, call: t.CallExpression, receiver: t.Node, scope: Scope): boolean {
  const args = call.arguments;
  const last = unwrapExpression(args[args.length - 1]);
  if (last.type !== 'CallExpression') return false;
  const callee = unwrapExpression(last.callee);
  const imported = callee.type === 'Identifier' ? ctx.imports.get(callee.name)
    : callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && ctx.imports.get(callee.object.name)?.imported === '*' ? { source: ctx.imports.get(callee.object.name)!.source, imported: memberName(callee) ?? '' }
    : undefined;
  if (imported?.source !== 'sloctl/sdk/hono' || imported.imported !== 'middleware') return false;
  const table = receiverTable(ctx, receiver, scope).ref;
  if (!table) return true;
  // Hono's `use(handler)` is `use('*', handler)`; a computed pattern is not judged.
  const path = args.length > 1 ? ctx.consts.resolve(args[0]) : '*';
  if (path === undefined) return true;
  const start = call.start ?? 0;
  ctx.out.sdkUses.push({ table, path, ...positionOf(call), what: excerpt(ctx.source.slice(start, call.end ?? start)) });
  return true;
}

/** `registerRoutes(app)`: the function's parameter is the table passed in. */
function detectTableHandoff(ctx: Ctx, call: t.CallExpression, scope: Scope): void {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== 'Identifier') return;
  const fn = resolveValue(ctx, callee, scope, 0);
  if (!fn || fn.kind === 'table') return;
  if (fn.kind === 'import' && !isProjectModule(fn.source, ctx.local)) return;
  call.arguments.forEach((arg, i) => {
    const expr = unwrapExpression(arg);
    if (expr.type !== 'Identifier') return;
    const found = lookup(ctx, expr.name, scope);
    if (found?.ref?.kind !== 'table') return;
    const isTable = found.init ? classifyInit(ctx, found.ref.key, found.init, found.scope) : /:p\d+$/.test(found.ref.key);
    if (isTable) ctx.out.mounts.push({ parent: found.ref, child: fn, param: i, prefix: '' });
  });
}
