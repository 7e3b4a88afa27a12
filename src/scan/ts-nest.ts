// NestJS controllers: the routes a Nest service registers through decorators rather than calls.
//
//   @Controller('cats') / @Controller(['cats', 'kittens']) / @Controller({ path: 'cats' }) /
//   @Controller() on a class, and on its methods @Get/@Post/@Put/@Patch/@Delete/@Head/@Options/
//   @All(path?) with a path string, a list of them, or none: each path is the controller's path
//   joined with the method's, as Nest joins them (slashes added or dropped, `@Get()` is the
//   controller's own path).
//   app.setGlobalPrefix('api', { exclude: [...] }) anywhere in the project goes before every
//   route but the excluded ones (a path string, or `{ path, method: RequestMethod.X }`).
//
// The decorators count only when imported from @nestjs/common (named, renamed, or through a
// namespace), so a class of the service's own named `Get` is never a route. Paths are read like
// every other route path (literals, templates and `const`s of the file); a computed one is
// unresolved, never guessed. What puts a segment sloctl cannot place before a controller's path
// (a computed or ambiguous global prefix, URI versioning on the controller or method,
// RouterModule's module paths) leaves the route's path only the end of the real one
// (`prefixUnknown`), which matches a contract route that ends with it.
//
// What a route answers for its path with a trailing `/` added is the platform's: Nest on Express
// (its default) serves both spellings, on Fastify (`new FastifyAdapter(options)`, from
// @nestjs/platform-fastify) only the one written unless the options turn `ignoreTrailingSlash`
// on, as Fastify itself (node-routers.ts; measured with Nest 11: test/scan-node-routers.test.ts).
// The platform is read from the project's `NestFactory.create(...)` calls and adapters; one
// sloctl cannot tell (an adapter made elsewhere, options it cannot read, two that disagree)
// leaves the trailing `/` unjudged. (An Express adapter given an app with strict routing on is
// taken as Express' default.)

import type * as t from '@babel/types';
import { excerpt } from './metric-name.ts';
import { forEachNode, lookupProperty, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings, type Bindings } from './ts-bindings.ts';
import type { TsFileContext } from './ts-context.ts';
import { routerOf } from './ts-routes.ts';
import { defaultRouter, nodeRouteShapes, type NodeRouter } from './node-routers.ts';
import type { RegisteredRoute, ScanWarning, SourceSpan, UnresolvedRoute } from './types.ts';

const COMMON = '@nestjs/common';
const CORE = '@nestjs/core';
const ON_FASTIFY = '@nestjs/platform-fastify';
const ON_EXPRESS = '@nestjs/platform-express';

/** Nest's method decorators and the method each registers (`@All`: any). */
const ROUTE_DECORATORS: Record<string, string> = {
  Get: 'GET', Post: 'POST', Put: 'PUT', Patch: 'PATCH', Delete: 'DELETE', Head: 'HEAD', Options: 'OPTIONS', All: '*',
};

interface Located {
  line: number;
  col: number;
}

/** One method route of a controller, before the global prefix. */
export interface NestRoute extends Located {
  method: string;
  /** Controller path joined with the method's; undefined: computed at run time. */
  path: string | undefined;
  /** `@Controller({ version })` or `@Version()`: URI versioning may put `/v1` before it. */
  versioned: boolean;
  via: string;
  /** The expression that could not be read, when `path` is undefined. */
  what: string;
  /** The decorated method: its body is the route's handler. */
  handler?: SourceSpan;
}

export interface NestExclusion {
  path: string;
  /** Upper case; `*` for RequestMethod.ALL or when no method is given. */
  method: string;
}

export interface NestPrefix extends Located {
  /** undefined: computed at run time. */
  value: string | undefined;
  /** The routes it does not apply to; undefined when `exclude` could not be read. */
  exclude: NestExclusion[] | undefined;
}

export interface NestFacts {
  file: string;
  routes: NestRoute[];
  prefixes: NestPrefix[];
  /** Where `RouterModule.register(...)` puts module paths before controllers' (not followed). */
  routerModule: Located | undefined;
  /** The router of each Nest adapter this file constructs (`new FastifyAdapter(options)`). */
  adapters: NodeRouter[];
  /** Each `NestFactory.create(...)` here: given no adapter (Nest's default, Express), or one. */
  starts: Array<'default' | 'adapter'>;
}

const isNest = (source: string) => source === COMMON || source === CORE || source === ON_FASTIFY || source === ON_EXPRESS;

/** The Nest facts of one file, or undefined when it imports nothing from Nest. */
export function extractNestRoutes(ctx: TsFileContext, program: t.Program): NestFacts | undefined {
  const bindings = collectBindings(ctx.facts, isNest);
  if (bindings.size === 0) return undefined;
  const out: NestFacts = { file: ctx.file, routes: [], prefixes: [], routerModule: undefined, adapters: [], starts: [] };
  forEachNode(program, (node) => {
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') controllerRoutes(ctx, bindings, node, out);
  });
  for (const call of ctx.facts.calls) {
    const callee = unwrapExpression(call.callee);
    if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') continue;
    const name = memberName(callee);
    if (name === 'setGlobalPrefix' && call.arguments.length >= 1) out.prefixes.push(globalPrefix(ctx, call));
    else if (name === 'register' && isExport(bindings, callee.object, CORE, 'RouterModule')) out.routerModule ??= positionOf(call);
    else if (name === 'create' && isExport(bindings, callee.object, CORE, 'NestFactory')) {
      // NestFactory.create(Module) or (Module, { options }): Nest's default platform, Express.
      const second = call.arguments[1] ? unwrapExpression(call.arguments[1]) : undefined;
      out.starts.push(second === undefined || second.type === 'ObjectExpression' ? 'default' : 'adapter');
    }
  }
  for (const made of ctx.facts.constructions) {
    if (isExport(bindings, made.callee, ON_FASTIFY, 'FastifyAdapter')) out.adapters.push(routerOf('fastify', 'app', made.arguments[0]));
    else if (isExport(bindings, made.callee, ON_EXPRESS, 'ExpressAdapter')) out.adapters.push(defaultRouter('express'));
  }
  return out;
}


/** Whether `node` names `exported` of `source`: an imported name, or a member of the module's namespace. */
function isExport(bindings: Bindings, node: t.Node, source: string, exported: string): boolean {
  const expr = unwrapExpression(node);
  if (expr.type === 'Identifier') {
    const b = bindings.get(expr.name);
    return b !== undefined && b.source === source && b.imported === exported;
  }
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    const b = bindings.get(expr.object.name);
    return b !== undefined && b.source === source && (b.imported === '*' || b.imported === 'default') && memberName(expr) === exported;
  }
  return false;
}

/** Which Nest decorator of @nestjs/common a decorator is (`@Get(':id')` → 'Get'), with its call. */
function decoratorOf(bindings: Bindings, decorator: t.Decorator): { name: string; call: t.CallExpression } | undefined {
  const expr = unwrapExpression(decorator.expression);
  if (expr.type !== 'CallExpression') return undefined;
  const callee = unwrapExpression(expr.callee);
  let name: string | undefined;
  if (callee.type === 'Identifier') {
    const b = bindings.get(callee.name);
    if (b?.source === COMMON) name = b.imported;
  } else if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') {
    const b = bindings.get(callee.object.name);
    if (b?.source === COMMON && (b.imported === '*' || b.imported === 'default')) name = memberName(callee);
  }
  return name === undefined ? undefined : { name, call: expr };
}

function controllerRoutes(ctx: TsFileContext, bindings: Bindings, cls: t.ClassDeclaration | t.ClassExpression, out: NestFacts): void {
  const controller = (cls.decorators ?? []).map((d) => decoratorOf(bindings, d)).find((d) => d?.name === 'Controller');
  if (!controller) return;
  const { paths: base, versioned: classVersioned, node: baseNode } = controllerPaths(ctx, controller.call);
  for (const member of cls.body.body) {
    if (member.type !== 'ClassMethod' || !member.decorators) continue;
    const decorators = member.decorators.map((d) => ({ node: d, nest: decoratorOf(bindings, d) }));
    const versioned = classVersioned || decorators.some((d) => d.nest?.name === 'Version');
    for (const { node, nest } of decorators) {
      if (!nest || !Object.hasOwn(ROUTE_DECORATORS, nest.name)) continue;
      const method = ROUTE_DECORATORS[nest.name];
      const own = pathList(ctx, nest.call.arguments[0]);
      const at = positionOf(node);
      const via = `NestJS @${textOf(ctx, controller.call)} @${textOf(ctx, nest.call)}`;
      if (base === undefined || own === undefined) {
        const unread = base === undefined ? baseNode : nest.call.arguments[0];
        out.routes.push({ method, path: undefined, versioned, via, what: unread ? textOf(ctx, unread) : '@Controller(...)', ...at });
        continue;
      }
      const loc = member.loc;
      const handler = loc ? { handler: { file: ctx.file, line: loc.start.line, col: loc.start.column + 1, endLine: loc.end.line, endCol: loc.end.column + 1 } } : {};
      for (const b of base) for (const p of own) out.routes.push({ method, path: nestPath(b, p), versioned, via, what: '', ...at, ...handler });
    }
  }
}

/** The paths a `@Controller(...)` puts before its methods'; undefined when computed at run time. */
function controllerPaths(ctx: TsFileContext, call: t.CallExpression): { paths: string[] | undefined; versioned: boolean; node: t.Node | undefined } {
  const arg = call.arguments[0];
  const expr = arg ? unwrapExpression(arg) : undefined;
  if (expr?.type === 'ObjectExpression') {
    const path = lookupProperty(expr, 'path');
    const version = lookupProperty(expr, 'version');
    const paths = path.kind === 'absent' ? [''] : path.kind === 'found' ? pathList(ctx, path.value) : undefined;
    return { paths, versioned: version.kind !== 'absent', node: path.kind === 'found' ? path.value : path.kind === 'unknown' ? path.node : undefined };
  }
  return { paths: pathList(ctx, arg), versioned: false, node: arg };
}

/** A decorator's path argument: none is '', a string, or a list of strings; undefined when computed. */
function pathList(ctx: TsFileContext, node: t.Node | undefined): string[] | undefined {
  return node === undefined ? [''] : ctx.consts.resolveList(node);
}

/** Nest's join: every part without its slashes, one `/` between, a leading one; `/` for none. */
export function nestPath(...parts: string[]): string {
  const kept = parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '');
  return `/${kept.join('/')}`;
}

function globalPrefix(ctx: TsFileContext, call: t.CallExpression): NestPrefix {
  const [valueNode, optsNode] = call.arguments;
  const value = ctx.consts.resolve(valueNode);
  const at = positionOf(call);
  if (optsNode === undefined) return { value, exclude: [], ...at };
  const opts = unwrapExpression(optsNode);
  if (opts.type !== 'ObjectExpression') return { value, exclude: undefined, ...at };
  const exclude = lookupProperty(opts, 'exclude');
  if (exclude.kind === 'absent') return { value, exclude: [], ...at };
  if (exclude.kind === 'unknown') return { value, exclude: undefined, ...at };
  const list = unwrapExpression(exclude.value);
  if (list.type !== 'ArrayExpression') return { value, exclude: undefined, ...at };
  const out: NestExclusion[] = [];
  for (const e of list.elements) {
    const entry = e && e.type !== 'SpreadElement' ? exclusion(ctx, e) : undefined;
    if (entry === undefined) return { value, exclude: undefined, ...at };
    out.push(entry);
  }
  return { value, exclude: out, ...at };
}

/** `'health'` or `{ path: 'health', method: RequestMethod.GET }`. */
function exclusion(ctx: TsFileContext, node: t.Node): NestExclusion | undefined {
  const expr = unwrapExpression(node);
  if (expr.type !== 'ObjectExpression') {
    const path = ctx.consts.resolve(expr);
    return path === undefined ? undefined : { path: nestPath(path), method: '*' };
  }
  const path = lookupProperty(expr, 'path');
  const method = lookupProperty(expr, 'method');
  const value = path.kind === 'found' ? ctx.consts.resolve(path.value) : undefined;
  if (value === undefined) return undefined;
  if (method.kind === 'absent') return { path: nestPath(value), method: '*' };
  const m = method.kind === 'found' ? unwrapExpression(method.value) : undefined;
  // RequestMethod.GET: the enum member's name is the method.
  const name = m?.type === 'MemberExpression' ? memberName(m) : undefined;
  if (name === undefined) return undefined;
  return { path: nestPath(value), method: name === 'ALL' ? '*' : name.toUpperCase() };
}

function textOf(ctx: TsFileContext, node: t.Node): string {
  const { start, end } = node;
  return typeof start === 'number' && typeof end === 'number' ? excerpt(ctx.source.slice(start, end)) : node.type;
}

/**
 * The project's Nest routes with the global prefix applied: one literal prefix (however many
 * calls set it) goes before every route it does not exclude; none, and the paths are whole.
 * Prefixes that differ, or one computed at run time, leave every route's path only the end of the
 * real one, with a warning at each call saying so, as do versioning and RouterModule.
 */
export function linkNestRoutes(files: readonly NestFacts[]): { routes: RegisteredRoute[]; unresolved: UnresolvedRoute[]; warnings: ScanWarning[] } {
  const routes: RegisteredRoute[] = [];
  const unresolved: UnresolvedRoute[] = [];
  const warnings: ScanWarning[] = [];
  const calls = files.flatMap((f) => f.prefixes.map((p) => ({ file: f.file, ...p })));
  const values = new Set(calls.map((c) => c.value));
  // One literal prefix: applied. More than one, or a computed one: which applies is unknown.
  const prefix = values.size === 0 ? '' : values.size === 1 && !values.has(undefined) ? [...values][0]! : undefined;
  if (prefix === undefined) {
    for (const c of calls) {
      const why = c.value === undefined ? 'computed at run time' : `one of ${values.size} different prefixes (${[...values].map((v) => (v === undefined ? 'a computed one' : JSON.stringify(v))).join(', ')})`;
      warnings.push({ file: c.file, line: c.line, col: c.col, message: `the NestJS global prefix here is ${why}: the controllers' routes are checked by the end of their paths only` });
    }
  }
  // Exclusions apply only with the one prefix; an unreadable list makes the excluded routes unknown.
  const exclusions = prefix ? calls.flatMap((c) => c.exclude ?? []) : [];
  const unreadable = prefix ? calls.find((c) => c.exclude === undefined) : undefined;
  if (unreadable) warnings.push({ file: unreadable.file, line: unreadable.line, col: unreadable.col, message: `the \`exclude\` list of this NestJS global prefix cannot be read statically (only path strings and { path, method: RequestMethod.X } are): every route is taken to be under the prefix ${JSON.stringify(prefix)}` });
  const router = platformRouter(files);
  const routerModule = files.find((f) => f.routerModule !== undefined);
  if (routerModule?.routerModule) warnings.push({ file: routerModule.file, ...routerModule.routerModule, message: 'RouterModule puts module paths before the NestJS controllers\' paths, which sloctl does not follow: the controllers\' routes are checked by the end of their paths only' });
  for (const f of files) {
    for (const r of f.routes) {
      const at = { file: f.file, line: r.line, col: r.col };
      if (r.path === undefined) {
        unresolved.push({ ...at, what: r.what });
        continue;
      }
      // Something sloctl cannot place may come before the controller's path: only the end is known.
      const unknown = prefix === undefined || r.versioned || routerModule !== undefined;
      const excluded = !unknown && exclusions.some((e) => e.path === r.path && (e.method === '*' || r.method === '*' || e.method === r.method));
      const path = unknown || excluded ? r.path : nestPath(prefix, r.path);
      for (const shape of nodeRouteShapes(router, path, false)) routes.push({ method: r.method, ...shape, ...(unknown ? { prefixUnknown: true } : {}), ...at, via: r.via, ...(r.handler ? { handler: r.handler } : {}) });
    }
  }
  return { routes, unresolved, warnings };
}

/**
 * The router Nest's routes run on: the project's one platform (every adapter it constructs, and
 * Express for each start given none, agreeing); undefined when it has none sloctl can read (an
 * adapter passed in but constructed nowhere in the project, no start at all) or two.
 */
function platformRouter(files: readonly NestFacts[]): NodeRouter | undefined {
  const adapters = files.flatMap((f) => f.adapters);
  const starts = files.flatMap((f) => f.starts);
  if (adapters.length === 0 && starts.includes('adapter')) return undefined;
  const platforms = [...adapters, ...starts.filter((s) => s === 'default').map(() => defaultRouter('express'))];
  if (platforms.length === 0 || platforms.some((p) => p.framework !== platforms[0].framework)) return undefined;
  return platforms.every((p) => p.strict === platforms[0].strict) ? platforms[0] : { framework: platforms[0].framework, strict: undefined };
}
