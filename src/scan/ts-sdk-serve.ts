// Where a Node service calls sloctl's `instrument()` and whether it ever calls `.serve(...)`, for
// validate's SLO_DRAIN_NOT_SERVED: the drift responder's `drain` action stops accepting, finishes
// the requests in flight and exits only for a server given to `sdk.serve(server)`; without one it
// can only turn health DOWN (and `sloctl accept` fails the drain through `sloctl_drain_server 0`).
//
// The serve side is read loosely on purpose, so the warning is never a guess: any method call named
// `serve` with an argument, in any file and on any receiver (`sdk.serve(server)`,
// `checkout.sdk.serve(app.server)`, a value sloctl cannot follow), counts as the call, except the
// drill endpoint's own `drill.serve(req, res)` (`sdk.drill?.serve(...)`), which drains nothing, and
// a call whose first argument is an object literal (`hono.serve({ fetch: app.fetch })` through a
// namespace import of @hono/node-server): sdk.serve takes a server there.

import type * as t from '@babel/types';
import { forEachNode, lookupProperty, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings } from './ts-bindings.ts';
import { sourceOf, type TsFileContext } from './ts-context.ts';
import { calledExport } from './ts-sdk.ts';
import type { SdkInstrumentCall, ServeCall } from './types.ts';

export function detectSdkServe(ctx: TsFileContext, program: t.Program): { instruments: SdkInstrumentCall[]; serves: ServeCall[] } {
  const instruments: SdkInstrumentCall[] = [];
  const bindings = collectBindings(ctx.facts, (source) => source === 'sloctl/sdk');
  if (bindings.size > 0) {
    for (const call of ctx.facts.calls) {
      const target = calledExport(call.callee, bindings);
      if (target?.name !== 'instrument') continue;
      instruments.push({ file: ctx.file, ...positionOf(call), what: sourceOf(ctx, call), driftOff: driftOff(call) });
    }
  }
  const serves: ServeCall[] = [];
  // Most files never say `serve`: no second walk for them.
  if (/\bserve\b/.test(ctx.source)) {
    forEachNode(program, (node) => {
      if ((node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') || node.arguments.length === 0) return;
      const callee = unwrapExpression(node.callee);
      if ((callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') || memberName(callee) !== 'serve') return;
      if (isDrill(unwrapExpression(callee.object))) return;
      // `server.serve({ fetch: app.fetch })` (@hono/node-server through a namespace, Bun.serve): sdk.serve's first argument is a server, never an object literal.
      if (unwrapExpression(node.arguments[0]).type === 'ObjectExpression') return;
      serves.push({ file: ctx.file, ...positionOf(node), what: sourceOf(ctx, node) });
    });
  }
  return { instruments, serves };
}

/** `instrument({ ..., drift: false })`: the responder is off, so no drain ever happens. */
function driftOff(call: t.CallExpression): boolean {
  const arg = call.arguments[0] === undefined ? undefined : unwrapExpression(call.arguments[0]);
  if (arg?.type !== 'ObjectExpression') return false;
  const drift = lookupProperty(arg, 'drift');
  return drift.kind === 'found' && unwrapExpression(drift.value).type === 'BooleanLiteral' && (unwrapExpression(drift.value) as t.BooleanLiteral).value === false;
}

/** `drill`, `sdk.drill`, `this.drill`: the drill endpoint, whose serve(req, res) answers a request. */
function isDrill(node: t.Node): boolean {
  if (node.type === 'Identifier') return node.name === 'drill';
  return (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') && memberName(node) === 'drill';
}
