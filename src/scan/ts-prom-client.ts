// prom-client registrations: `new Counter/Gauge/Histogram/Summary({ name })` (each registers on
// the default registry when constructed) and `collectDefaultMetrics({ prefix })`.

import type * as t from '@babel/types';
import { promClientDefaults } from './default-metrics.ts';
import { isValidMetricName } from './metric-name.ts';
import { lookupProperty, memberName, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings, isModuleObject, type Bindings } from './ts-bindings.ts';
import { sourceOf, warnAt, type TsFileContext } from './ts-context.ts';
import type { RegisteredMetricType } from './types.ts';

const PROM_CLIENT = 'prom-client';

const METRIC_CLASSES: Readonly<Record<string, RegisteredMetricType>> = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
  Summary: 'summary',
};

export function detectPromClient(ctx: TsFileContext): void {
  const bindings = collectBindings(ctx.facts, (source) => source === PROM_CLIENT);
  if (bindings.size === 0) return;
  for (const node of ctx.facts.constructions) {
    const exported = promClientExport(node.callee, bindings);
    if (exported !== undefined && Object.hasOwn(METRIC_CLASSES, exported)) registerConstruction(ctx, node, exported);
  }
  for (const call of ctx.facts.calls) {
    if (promClientExport(call.callee, bindings) === 'collectDefaultMetrics') registerDefaults(ctx, call);
  }
}

/** Which prom-client export `callee` names: `Counter`, `client.Counter`, or an alias. */
function promClientExport(callee: t.Node, bindings: Bindings): string | undefined {
  const expr = unwrapExpression(callee);
  if (expr.type === 'Identifier') {
    const binding = bindings.get(expr.name);
    return binding && !isModuleObject(binding) ? binding.imported : undefined;
  }
  if (expr.type === 'MemberExpression' && expr.object.type === 'Identifier') {
    const binding = bindings.get(expr.object.name);
    return binding && isModuleObject(binding) ? memberName(expr) : undefined;
  }
  return undefined;
}

function registerConstruction(ctx: TsFileContext, node: t.NewExpression, className: string): void {
  const via = `prom-client new ${className}`;
  const arg = node.arguments[0];
  const options = arg === undefined ? undefined : optionsObject(ctx, arg);
  if (options === undefined) {
    warnAt(ctx, arg ?? node, `${via}: the options are not an object literal in this file; sloctl cannot check this metric's name`);
    return;
  }
  const name = lookupProperty(options, 'name');
  if (name.kind === 'absent') {
    warnAt(ctx, node, `${via} has no \`name\`; prom-client throws when it is constructed`);
    return;
  }
  if (name.kind === 'unknown') {
    warnAt(ctx, name.node, `${via}: the metric name may come from a spread or computed key (${sourceOf(ctx, name.node)}); sloctl cannot check it`);
    return;
  }
  const value = ctx.consts.resolve(name.value);
  if (value === undefined) {
    warnAt(ctx, name.value, unresolvedNameMessage(ctx, name.value));
    return;
  }
  if (!isValidMetricName(value)) {
    warnAt(ctx, name.value, `"${value}" is not a valid Prometheus metric name; prom-client throws on it`);
    return;
  }
  const labels = labelNames(ctx, options);
  ctx.metrics.push({ name: value, type: METRIC_CLASSES[className], file: ctx.file, ...positionOf(name.value), via, ...(labels ? { labels: labels.names, labelsAt: labels.at } : {}) });
}

/**
 * The metric's label names: none without `labelNames` (prom-client then throws on any label an
 * observation passes), an array literal of strings (inline or a `const`); undefined when computed.
 */
function labelNames(ctx: TsFileContext, options: t.ObjectExpression): { names: string[]; at: { line: number; col: number } } | undefined {
  const found = lookupProperty(options, 'labelNames');
  if (found.kind === 'absent') return { names: [], at: positionOf(options) };
  if (found.kind === 'unknown') return undefined;
  const names = ctx.consts.resolveArray(found.value);
  return names ? { names, at: positionOf(found.value) } : undefined;
}

function registerDefaults(ctx: TsFileContext, call: t.CallExpression): void {
  const site = { file: ctx.file, ...positionOf(call), via: 'collectDefaultMetrics()' };
  const arg = call.arguments[0];
  if (arg === undefined) {
    ctx.metrics.push(...promClientDefaults(site));
    return;
  }
  const options = optionsObject(ctx, arg);
  if (options === undefined) {
    warnAt(ctx, arg, 'collectDefaultMetrics(): the options are not an object literal in this file, so their prefix is unknown; sloctl cannot check the default metrics');
    return;
  }
  const prefix = lookupProperty(options, 'prefix');
  if (prefix.kind === 'absent') {
    ctx.metrics.push(...promClientDefaults(site));
    return;
  }
  const node = prefix.kind === 'found' ? prefix.value : prefix.node;
  const value = prefix.kind === 'found' ? ctx.consts.resolve(prefix.value) : undefined;
  if (value === undefined) {
    warnAt(ctx, node, `collectDefaultMetrics(): the prefix is computed at run time; sloctl cannot check the default metrics: ${sourceOf(ctx, node)}`);
    return;
  }
  if (!isValidMetricName(`${value}x`)) {
    warnAt(ctx, node, `collectDefaultMetrics(): the prefix "${value}" makes invalid metric names; prom-client throws on it`);
    return;
  }
  ctx.metrics.push(...promClientDefaults(site, value));
}

/** Why a name could not be read: another module's constant reads differently from run-time data. */
function unresolvedNameMessage(ctx: TsFileContext, node: t.Node): string {
  const expr = unwrapExpression(node);
  const root = expr.type === 'MemberExpression' ? expr.object : expr;
  if (root.type === 'Identifier') {
    const imported = collectBindings(ctx.facts, () => true).get(root.name);
    if (imported) {
      return `metric name comes from another module ('${imported.source}'); sloctl reads names only within one file and cannot check it: ${sourceOf(ctx, node)}`;
    }
  }
  return `metric name is computed at run time; sloctl cannot check it: ${sourceOf(ctx, node)}`;
}

/** The object literal passed as options, directly or through a `const` in the same file. */
function optionsObject(ctx: TsFileContext, arg: t.Node): t.ObjectExpression | undefined {
  const expr = unwrapExpression(arg);
  if (expr.type === 'ObjectExpression') return expr;
  if (expr.type === 'Identifier') return ctx.consts.constObject(expr.name);
  return undefined;
}
