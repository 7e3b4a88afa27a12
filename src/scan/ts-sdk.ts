// sloctl's own SDK. Its metrics are registered inside the SDK, so the code check looks for the
// service switching the SDK on. The rule is deliberately simple and documented:
//
//   an import from 'sloctl/sdk' or a 'sloctl/sdk/...' subpath, and either
//   - a call of a binding imported under one of the entry-point names (`instrument`, `sloctl`,
//     `plugin`, `middleware`), or of a default import (adapters export their plugin as default),
//     also through a namespace import (`sdk.instrument(...)`); or
//   - any imported binding, or a call of one, passed to a `.register(...)` or `.use(...)` call
//     (`app.register(sloctl, opts)`, `app.use(sloctlMiddleware(opts))`).
//
// Either switches on every metric in SDK_REGISTERED plus prom-client's default metrics, reported
// once per file at the first such site.

import type * as t from '@babel/types';
import { sdkMetrics } from './default-metrics.ts';
import { memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings, isModuleObject, type Bindings, type ModuleBinding } from './ts-bindings.ts';
import type { TsFileContext } from './ts-context.ts';

const SDK = 'sloctl/sdk';
const ENTRY_POINTS = new Set(['instrument', 'sloctl', 'plugin', 'middleware', 'default']);
const MOUNTERS = new Set(['register', 'use']);

interface SdkSite {
  node: t.Node;
  via: string;
}

export function isSdkModule(source: string): boolean {
  return source === SDK || source.startsWith(`${SDK}/`);
}

export function detectSdk(ctx: TsFileContext): void {
  const bindings = collectBindings(ctx.facts, isSdkModule);
  if (bindings.size === 0) return;
  let first: SdkSite | undefined;
  for (const call of ctx.facts.calls) {
    const site = entryPointCall(call, bindings) ?? mountCall(call, bindings);
    if (site && (first === undefined || (call.start ?? 0) < (first.node.start ?? 0))) first = site;
  }
  if (first) ctx.metrics.push(...sdkMetrics({ file: ctx.file, ...positionOf(first.node), via: first.via }));
}

/** `instrument(...)`, `sdk.instrument(...)`, `sloctlPlugin(...)` (a default import). */
function entryPointCall(call: t.CallExpression, bindings: Bindings): SdkSite | undefined {
  const target = calledExport(call.callee, bindings);
  if (target === undefined || !ENTRY_POINTS.has(target.name)) return undefined;
  const name = target.name === 'default' ? 'default export' : `${target.name}()`;
  return { node: call, via: `${target.binding.source} ${name}` };
}

/** `app.register(sloctl, ...)`, `app.use(sloctlMiddleware(...))`. */
function mountCall(call: t.CallExpression, bindings: Bindings): SdkSite | undefined {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return undefined;
  const mounter = memberName(callee);
  if (mounter === undefined || !MOUNTERS.has(mounter)) return undefined;
  for (const arg of call.arguments) {
    const expr = unwrapExpression(arg);
    const inner = expr.type === 'CallExpression' ? unwrapExpression(expr.callee) : expr;
    const target = sdkReference(inner, bindings);
    if (target) return { node: call, via: `${target.source} passed to .${mounter}()` };
  }
  return undefined;
}

/** The SDK export a callee refers to, with the export's name (a namespace member's name). */
export function calledExport(callee: t.Node, bindings: Bindings): { binding: ModuleBinding; name: string } | undefined {
  const expr = unwrapExpression(callee);
  if (expr.type === 'Identifier') {
    const binding = bindings.get(expr.name);
    return binding && binding.imported !== '*' ? { binding, name: binding.imported } : undefined;
  }
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    const binding = bindings.get(expr.object.name);
    const name = memberName(expr);
    return binding && isModuleObject(binding) && name !== undefined ? { binding, name } : undefined;
  }
  return undefined;
}

/** Any SDK binding, or a member of an SDK namespace import. */
function sdkReference(expr: t.Node, bindings: Bindings): ModuleBinding | undefined {
  if (expr.type === 'Identifier') return bindings.get(expr.name);
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    const binding = bindings.get(expr.object.name);
    return binding && isModuleObject(binding) ? binding : undefined;
  }
  return undefined;
}
