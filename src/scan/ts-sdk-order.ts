// The SDK's middleware mounted after a route (Express, Koa, Hono). These frameworks run an app's
// middleware and routes in the order they were added, so a request a route added before the SDK's
// middleware answers never reaches the middleware: it is never recorded, and every SLI misses it
// (at run time the SDK's `unhandled-requests` line and the gate's INCONCLUSIVE say so, late).
//
// Said only where the order is certain, so the finding is never a guess:
//   - the SDK's middleware is `middleware(...)` (or the default export) of `sloctl/sdk/express`,
//     `sloctl/sdk/koa` or `sloctl/sdk/hono`, called in the `.use(...)` or bound by a `const` to
//     its result, mounted as `app.use(...)` for every path (no path, `/`, `*` or `/*`);
//   - the route is `app.get(path, handler)` and the other methods (`app.on(...)` on Hono,
//     `app.route(path).get(...)` on Express), but for a health or readiness path or /metrics (added
//     first to keep probes out of the metrics, on purpose), or a router mounted on the app (Express
//     `app.use(router)` of an `express.Router()` made in the file, Koa `app.use(router.routes())`,
//     Hono `app.route(prefix, sub)`), on the same name; or an Express `app.use(api)` (with or
//     without a path) of a name imported from a relative module, which the project's scan follows
//     one level (typescript.ts, with the route scan's resolver) and counts only when that file's
//     export is an Express router or app with a route of its own (a middleware imported from
//     another file is not a route);
//   - both are statements of one statement list, the body of the file or of one function, the
//     route above (not inside an `if`, a loop or another function: those may run or not), and the
//     name is never assigned to in the file (so it is one app).
// Fastify is not checked: its plugin times every request from the server's 'request' listener,
// and counts one whose route was added before it under the contract route its path matches
// (src/sdk/adapters/fastify.ts); nothing is lost.

import type * as t from '@babel/types';
import { isProbePath } from '../contract/scaffold-routes.ts';
import { forEachNode, isFunctionNode, loadedModule, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { isProjectModule } from './ts-modules.ts';
import { collectBindings } from './ts-bindings.ts';
import { sourceOf, type TsFileContext } from './ts-context.ts';
import { calledExport, isSdkModule } from './ts-sdk.ts';
import type { ExpressSdkUse, SdkOrderProblem } from './types.ts';

type Framework = SdkOrderProblem['framework'];

const ADAPTERS: Record<string, Framework> = { 'sloctl/sdk/express': 'Express', 'sloctl/sdk/koa': 'Koa', 'sloctl/sdk/hono': 'Hono' };
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all']);
/** The paths a `.use(path, middleware)` mounts on for every request. */
const EVERY_PATH = new Set(['/', '*', '/*']);

interface Mount {
  app: string;
  framework: Framework;
}

/** An Express `app.use(...)` before the SDK's middleware of a name imported from a relative module. */
export interface ImportedMount {
  /** The import's specifier, as written (`./routes/api.js`), and the export (`*`: `require()`'s whole module). */
  source: string;
  imported: string;
  line: number;
  col: number;
  call: string;
}

/**
 * An SDK registration whose order rests on routers imported from other files: the first of
 * `imports` that is a router with a route is the route before it, else `route` (one in this file,
 * after those imports) when there is one.
 */
export interface PendingSdkOrder {
  problem: Omit<SdkOrderProblem, 'route'>;
  imports: ImportedMount[];
  route?: SdkOrderProblem['route'];
}

export function detectSdkOrder(ctx: TsFileContext, program: t.Program): { problems: SdkOrderProblem[]; pending: PendingSdkOrder[] } {
  const bindings = collectBindings(ctx.facts, isSdkModule);
  if (bindings.size === 0) return { problems: [], pending: [] };
  // `middleware(sdk)` of an adapter: its framework.
  const middlewareOf = (node: t.Node): Framework | undefined => {
    const expr = unwrapExpression(node);
    if (expr.type !== 'CallExpression') return undefined;
    const target = calledExport(expr.callee, bindings);
    if (target === undefined || (target.name !== 'middleware' && target.name !== 'default')) return undefined;
    return ADAPTERS[target.binding.source];
  };
  // `const mw = middleware(sdk)`, and `const router = express.Router()` (by name; a name declared twice is neither).
  const consts = new Map<string, t.Node | null>();
  for (const { kind, node } of ctx.facts.declarators) {
    if (node.id.type !== 'Identifier') continue;
    const name = node.id.name;
    consts.set(name, consts.has(name) || kind !== 'const' || !node.init ? null : node.init);
  }
  const assigned = new Set<string>();
  forEachNode(program, (node) => {
    if (node.type === 'AssignmentExpression' && node.left.type === 'Identifier') assigned.add(node.left.name);
    if (node.type === 'UpdateExpression' && node.argument.type === 'Identifier') assigned.add(node.argument.name);
  });
  const expressRouters = expressRouterMakers(ctx);
  const isExpressRouter = (node: t.Node): boolean => {
    const expr = unwrapExpression(node);
    if (expr.type !== 'Identifier') return false;
    const init = consts.get(expr.name);
    return init !== undefined && init !== null && expressRouters(init);
  };

  /** The SDK's middleware mounted on every path of `app`, by this statement. */
  const sdkMount = (call: t.CallExpression): Mount | undefined => {
    const callee = unwrapExpression(call.callee);
    if (callee.type !== 'MemberExpression' || memberName(callee) !== 'use') return undefined;
    const app = unwrapExpression(callee.object);
    if (app.type !== 'Identifier' || assigned.has(app.name)) return undefined;
    const args = call.arguments;
    // Something before the SDK's middleware (`app.use('*', mw)`): a path that mounts it for every
    // request, or a call (another middleware made in place); a name may be a path held elsewhere.
    if (args.length > 1) {
      const path = ctx.consts.resolve(args[0]);
      const head = unwrapExpression(args[0]);
      if (path !== undefined ? !EVERY_PATH.has(path) : head.type !== 'CallExpression' && head.type !== 'ArrowFunctionExpression' && head.type !== 'FunctionExpression') return undefined;
    }
    for (const arg of args) {
      const expr = unwrapExpression(arg);
      const bound = expr.type === 'Identifier' ? consts.get(expr.name) : undefined;
      const framework = middlewareOf(expr) ?? (bound ? middlewareOf(bound) : undefined);
      if (framework !== undefined) return { app: app.name, framework };
    }
    return undefined;
  };

  /** The call of this statement that registers a route, or mounts a router, on `mount.app`. */
  const routeOn = (call: t.CallExpression, mount: Mount): t.CallExpression | undefined => {
    const chain = appChain(call, mount.app);
    if (chain === undefined) return undefined;
    const [first, ...rest] = chain;
    return isRoute(first, rest.length > 0, mount.framework) ? first : undefined;
  };
  const isRoute = (first: t.CallExpression, chained: boolean, framework: Framework): boolean => {
    const method = memberName(first.callee as t.MemberExpression);
    const args = first.arguments;
    // A probe or metrics path added first keeps those requests out of the metrics on purpose.
    if (method !== undefined && ROUTE_METHODS.has(method) && args.length >= 2) {
      const path = ctx.consts.resolve(args[0]);
      if (path !== undefined && (isProbePath(path) || path === '/metrics')) return false;
    }
    switch (framework) {
      case 'Express':
        if (method !== undefined && ROUTE_METHODS.has(method)) return args.length >= 2; // one argument: `app.get('env')`
        if (method === 'route') return args.length === 1 && chained;
        if (method === 'use') return args.some(isExpressRouter);
        return false;
      case 'Koa':
        return method === 'use' && args.some((a) => {
          const e = unwrapExpression(a);
          if (e.type !== 'CallExpression' || e.arguments.length > 0) return false;
          const c = unwrapExpression(e.callee);
          return c.type === 'MemberExpression' && ['routes', 'middleware'].includes(memberName(c) ?? '');
        });
      case 'Hono':
        if (method !== undefined && ROUTE_METHODS.has(method)) return args.length >= 2;
        if (method === 'on') return args.length >= 3;
        return method === 'route' && args.length === 2;
    }
  };

  // Names imported from the project's own modules, which may be routers (one level: typescript.ts).
  // A name declared again in the file (other than by its `require()`) or a function's parameter
  // of that name may be something else where it is used: left out.
  const relative = collectBindings(ctx.facts, (source) => isProjectModule(source, ctx.local));
  const shadowed = new Set<string>();
  for (const { node } of ctx.facts.declarators) {
    if (node.id.type === 'Identifier' && (!node.init || loadedModule(node.init) === undefined)) shadowed.add(node.id.name);
  }
  forEachNode(program, (node) => {
    if (!isFunctionNode(node)) return;
    for (const p of node.params) forEachNode(p, (n) => { if (n.type === 'Identifier') shadowed.add(n.name); });
  });
  /** `app.use(api)`, `app.use('/api', api)`, `app.use(routes.api)` with `api`/`routes` imported from a relative module. */
  const importedMount = (call: t.CallExpression, mount: Mount): ImportedMount | undefined => {
    if (mount.framework !== 'Express') return undefined; // Koa's `.routes()` and Hono's `.route()` are routes whatever their origin
    const chain = appChain(call, mount.app);
    if (chain === undefined || chain.length !== 1 || memberName(call.callee as t.MemberExpression) !== 'use') return undefined;
    for (const arg of call.arguments) {
      const expr = unwrapExpression(arg);
      let found: { source: string; imported: string } | undefined;
      if (expr.type === 'Identifier' && !shadowed.has(expr.name) && !assigned.has(expr.name)) found = relative.get(expr.name);
      else if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier' && !shadowed.has(expr.object.name)) {
        const ns = relative.get(expr.object.name);
        const name = memberName(expr);
        if (ns !== undefined && ns.imported === '*' && name !== undefined) found = { source: ns.source, imported: name };
      }
      if (found !== undefined) return { ...found, ...positionOf(call), call: shortCall(ctx, call) };
    }
    return undefined;
  };

  const out: SdkOrderProblem[] = [];
  const pending: PendingSdkOrder[] = [];
  const check = (statements: readonly t.Statement[]) => {
    statements.forEach((statement, i) => {
      const call = statementCall(statement);
      const mount = call && sdkMount(call);
      if (!call || !mount) return;
      const problem = { file: ctx.file, ...positionOf(call), call: shortCall(ctx, call), app: mount.app, framework: mount.framework };
      const imports: ImportedMount[] = [];
      for (const before of statements.slice(0, i)) {
        const statementRoute = statementCall(before);
        const route = statementRoute && routeOn(statementRoute, mount);
        if (!route) {
          const imported = statementRoute && importedMount(statementRoute, mount);
          if (imported) imports.push(imported);
          continue;
        }
        // Where the statement starts (the app's name), and the route's own call.
        const found = { ...positionOf(statementRoute), call: shortCall(ctx, route) };
        if (imports.length === 0) out.push({ ...problem, route: found });
        else pending.push({ problem, imports, route: found });
        return;
      }
      if (imports.length > 0) pending.push({ problem, imports });
    });
  };
  check(program.body);
  forEachNode(program, (node) => {
    if (isFunctionNode(node) && node.body.type === 'BlockStatement') check(node.body.body);
  });
  return { problems: out, pending };
}

/**
 * The calls of a chain on `app`, the first one first: `app.get(...).post(...)`,
 * `app.route('/x').get(...)`. Undefined: the chain is on something else.
 */
function appChain(call: t.CallExpression, app: string): t.CallExpression[] | undefined {
  const chain: t.CallExpression[] = [];
  let expr: t.Node = call;
  while (expr.type === 'CallExpression') {
    const callee = unwrapExpression(expr.callee);
    if (callee.type !== 'MemberExpression') return undefined;
    chain.unshift(expr);
    expr = unwrapExpression(callee.object);
  }
  return expr.type === 'Identifier' && expr.name === app ? chain : undefined;
}

/** The call a statement is: `app.use(x);`, `await app.register(x);`. */
function statementCall(statement: t.Statement): t.CallExpression | undefined {
  if (statement.type !== 'ExpressionStatement') return undefined;
  let expr = unwrapExpression(statement.expression);
  if (expr.type === 'AwaitExpression') expr = unwrapExpression(expr.argument);
  return expr.type === 'CallExpression' ? expr : undefined;
}

/** What makes an Express router: `express.Router()`, `Router()` imported from express. */
function expressRouterMakers(ctx: TsFileContext): (init: t.Node) => boolean {
  const express = collectBindings(ctx.facts, (source) => source === 'express');
  return (init) => {
    const expr = unwrapExpression(init);
    if (expr.type !== 'CallExpression' && expr.type !== 'NewExpression') return false;
    const callee = unwrapExpression(expr.callee);
    if (callee.type === 'Identifier') return express.get(callee.name)?.imported === 'Router';
    if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier' || memberName(callee) !== 'Router') return false;
    const binding = express.get(callee.object.name);
    return binding !== undefined && (binding.imported === '*' || binding.imported === 'default');
  };
}

/**
 * A call as written when it is short and hands over no function written in place, else its callee
 * and first argument: `app.get('/orders', …)` (a route's handler says nothing of where it is).
 */
function shortCall(ctx: TsFileContext, call: t.CallExpression): string {
  const written = sourceOf(ctx, call);
  const inPlace = call.arguments.some((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression');
  if (!inPlace && !written.endsWith('…')) return written;
  const [first, ...rest] = call.arguments;
  const args = first === undefined ? '' : `${sourceOf(ctx, first)}${rest.length > 0 ? ', …' : ''}`;
  return `${sourceOf(ctx, call.callee)}(${args})`;
}

/** Adapters of the SDK that see a thrown error themselves (the Express one only through errorHandler). */
const ERROR_SEEING_ADAPTERS = new Set(['sloctl/sdk/fastify', 'sloctl/sdk/koa', 'sloctl/sdk/hono', 'sloctl/sdk/http']);

/**
 * sloctl's Express adapter in this file: its middleware's first call, whether `errorHandler` is
 * imported from it (or called through a namespace import), and whether another adapter is imported.
 */
export function detectExpressSdk(ctx: TsFileContext): ExpressSdkUse | undefined {
  const bindings = collectBindings(ctx.facts, isSdkModule);
  if (bindings.size === 0) return undefined;
  let errorHandler = false;
  let otherAdapter = false;
  for (const b of bindings.values()) {
    if (b.source === 'sloctl/sdk/express' && b.imported === 'errorHandler') errorHandler = true;
    if (ERROR_SEEING_ADAPTERS.has(b.source)) otherAdapter = true;
  }
  // The first call of its middleware, shown as the `.use(...)` that mounts it when there is one.
  let first: t.CallExpression | undefined;
  const isMiddleware = (node: t.Node): boolean => {
    const expr = unwrapExpression(node);
    if (expr.type !== 'CallExpression') return false;
    const target = calledExport(expr.callee, bindings);
    return target !== undefined && target.binding.source === 'sloctl/sdk/express' && (target.name === 'middleware' || target.name === 'default');
  };
  for (const call of ctx.facts.calls) {
    const target = calledExport(call.callee, bindings);
    if (target !== undefined && target.binding.source === 'sloctl/sdk/express' && target.name === 'errorHandler') errorHandler = true;
    const callee = unwrapExpression(call.callee);
    const mounts = (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && memberName(callee) === 'use' && call.arguments.some(isMiddleware);
    if ((mounts || isMiddleware(call)) && (first === undefined || (call.start ?? 0) < (first.start ?? 0))) first = call;
  }
  const middleware = first === undefined ? undefined : { file: ctx.file, ...positionOf(first), what: sourceOf(ctx, first) };
  if (middleware === undefined && !errorHandler && !otherAdapter) return undefined;
  return { ...(middleware ? { middleware } : {}), errorHandler, otherAdapter };
}
