// express-prom-bundle registrations: `promBundle({ ... })` (the default export, imported or
// required) registers, on prom-client's default registry, the request histogram
// `http_request_duration_seconds` (`httpDurationMetricName`; a summary with `metricType:
// 'summary'`) labelled `status_code` (unless `includeStatusCode: false`), `method`
// (`includeMethod: true`), `path` (`includePath: true`) and the keys of `customLabels`; the gauge
// `up` (unless `includeUp: false`); and prom-client's default metrics with `promClient: {
// collectDefaultMetrics: ... }`. Its buckets are `buckets`, else [0.003, 0.03, 0.1, 0.3, 1.5, 10].
//
// Without this, `validate --project` on a service instrumented with it (a user trial) said
// SLO_METRIC_NOT_REGISTERED for `http_request_duration_seconds` and failed, exit 1.

import type * as t from '@babel/types';
import { promClientDefaults } from './default-metrics.ts';
import { isValidMetricName } from './metric-name.ts';
import { lookupProperty, positionOf, unwrapExpression } from './ts-ast.ts';
import { collectBindings, isModuleObject } from './ts-bindings.ts';
import { warnAt, type TsFileContext } from './ts-context.ts';
import type { RegisteredMetric } from './types.ts';

const PROM_BUNDLE = 'express-prom-bundle';
const DEFAULT_NAME = 'http_request_duration_seconds';
/** express-prom-bundle 8's default histogram buckets (src/index.js). */
export const PROM_BUNDLE_DEFAULT_BUCKETS = [0.003, 0.03, 0.1, 0.3, 1.5, 10];

export function detectPromBundle(ctx: TsFileContext): void {
  const bindings = collectBindings(ctx.facts, (source) => source === PROM_BUNDLE);
  if (bindings.size === 0) return;
  for (const call of ctx.facts.calls) {
    const callee = unwrapExpression(call.callee);
    if (callee.type !== 'Identifier') continue;
    const binding = bindings.get(callee.name);
    if (binding && isModuleObject(binding)) register(ctx, call);
  }
}

/** A literal's value when the node is a boolean, string or number literal (or a const string). */
function literal(ctx: TsFileContext, node: t.Node): boolean | string | number | undefined {
  const expr = unwrapExpression(node);
  if (expr.type === 'BooleanLiteral' || expr.type === 'NumericLiteral') return expr.value;
  return ctx.consts.resolve(expr);
}

function register(ctx: TsFileContext, call: t.CallExpression): void {
  const via = 'express-prom-bundle promBundle()';
  const site = { file: ctx.file, ...positionOf(call), via };
  const arg = call.arguments[0];
  let options: t.ObjectExpression | undefined;
  if (arg !== undefined) {
    const expr = unwrapExpression(arg);
    options = expr.type === 'ObjectExpression' ? expr : expr.type === 'Identifier' ? ctx.consts.constObject(expr.name) : undefined;
    if (options === undefined) {
      warnAt(ctx, arg, `${via}: the options are not an object literal in this file; sloctl cannot check the metrics it registers`);
      return;
    }
  }
  /** An option: its literal value, `undefined` when absent, `null` when set but not readable. */
  const option = (name: string): boolean | string | number | null | undefined => {
    if (!options) return undefined;
    const found = lookupProperty(options, name);
    if (found.kind === 'absent') return undefined;
    if (found.kind === 'unknown') return null;
    return literal(ctx, found.value) ?? null;
  };

  let name = DEFAULT_NAME;
  let nameAt = positionOf(call);
  const named = option('httpDurationMetricName');
  if (named === null || (named !== undefined && typeof named !== 'string')) {
    warnAt(ctx, call, `${via}: httpDurationMetricName is computed at run time; sloctl cannot check the request histogram's name`);
    return;
  }
  if (typeof named === 'string') {
    if (!isValidMetricName(named)) {
      warnAt(ctx, call, `${via}: "${named}" is not a valid Prometheus metric name; prom-client throws on it`);
      return;
    }
    name = named;
    const found = options ? lookupProperty(options, 'httpDurationMetricName') : undefined;
    if (found?.kind === 'found') nameAt = positionOf(found.value);
  }
  const metricType = option('metricType');
  const type = metricType === 'summary' ? 'summary' : 'histogram';

  // Labels: status_code unless turned off, method and path when turned on, customLabels' keys.
  let labels: string[] | undefined = [];
  const flag = (key: string, byDefault: boolean): boolean | undefined => {
    const v = option(key);
    if (v === undefined) return byDefault;
    return typeof v === 'boolean' ? v : undefined;
  };
  const parts: Array<[string, boolean | undefined]> = [['status_code', flag('includeStatusCode', true)], ['method', flag('includeMethod', false)], ['path', flag('includePath', false)]];
  for (const [label, on] of parts) {
    if (on === undefined) labels = undefined;
    else if (on && labels) labels.push(label);
  }
  const custom = options ? lookupProperty(options, 'customLabels') : { kind: 'absent' as const };
  if (custom.kind === 'unknown') labels = undefined;
  else if (custom.kind === 'found') {
    const value = unwrapExpression(custom.value);
    if (value.type !== 'ObjectExpression') labels = undefined;
    else {
      for (const p of value.properties) {
        const key = p.type === 'ObjectProperty' && !p.computed ? (p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined) : undefined;
        if (key === undefined) labels = undefined;
        else if (labels) labels.push(key);
      }
    }
  }

  const metric: RegisteredMetric = { name, type, ...site, ...nameAt, ...(labels ? { labels, labelsAt: nameAt } : {}) };
  if (type === 'histogram') {
    const buckets = options ? lookupProperty(options, 'buckets') : { kind: 'absent' as const };
    if (buckets.kind === 'absent') {
      metric.buckets = [...PROM_BUNDLE_DEFAULT_BUCKETS];
      metric.bucketsAt = positionOf(call);
    } else if (buckets.kind === 'found' && unwrapExpression(buckets.value).type === 'ArrayExpression') {
      const list = (unwrapExpression(buckets.value) as t.ArrayExpression).elements.map((e) => (e && e.type === 'NumericLiteral' ? e.value : NaN));
      if (list.every(Number.isFinite)) {
        metric.buckets = [...list].sort((a, b) => a - b);
        metric.bucketsAt = positionOf(buckets.value);
      } else {
        metric.bucketsUnread = 'a list with values that are not number literals';
        metric.bucketsAt = positionOf(buckets.value);
      }
    } else {
      metric.bucketsUnread = 'not a literal list';
      metric.bucketsAt = buckets.kind === 'found' ? positionOf(buckets.value) : positionOf(call);
    }
  }
  ctx.metrics.push(metric);
  if (flag('includeUp', true) !== false) ctx.metrics.push({ name: 'up', type: 'gauge', ...site, bulk: 'runtime' });

  // promClient: { collectDefaultMetrics: {...} } turns prom-client's defaults on.
  const promClient = options ? lookupProperty(options, 'promClient') : { kind: 'absent' as const };
  if (promClient.kind === 'found') {
    const pc = unwrapExpression(promClient.value);
    const cdm = pc.type === 'ObjectExpression' ? lookupProperty(pc, 'collectDefaultMetrics') : undefined;
    if (cdm?.kind === 'found') {
      const opts = unwrapExpression(cdm.value);
      const prefix = opts.type === 'ObjectExpression' ? lookupProperty(opts, 'prefix') : { kind: 'absent' as const };
      const value = prefix.kind === 'found' ? ctx.consts.resolve(prefix.value) : prefix.kind === 'absent' ? '' : undefined;
      if (value === undefined) warnAt(ctx, cdm.value, `${via}: the default metrics' prefix is computed at run time; sloctl cannot check them`);
      else ctx.metrics.push(...promClientDefaults({ ...site, via: `${via} promClient.collectDefaultMetrics` }, value));
    }
  }
}
