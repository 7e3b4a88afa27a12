// client_golang metric constructors: `prometheus.NewCounterVec(prometheus.CounterOpts{...})`,
// the same through `promauto.` (registers on the default registry) and `promauto.With(reg).`
// (or a factory value holding it). The name is Namespace, Subsystem and Name joined as
// prometheus.BuildFQName does.

import { buildFQName } from './fqname.ts';
import { resolveGoString } from './go-constants.ts';
import type { GoImports } from './go-imports.ts';
import type { GoNode } from './go-parser.ts';
import type { GoPackageScope } from './go-scope.ts';
import { callArguments, positionOf, selectorParts, significantChildren, unparen } from './go-syntax.ts';
import { excerpt, isValidMetricName } from './metric-name.ts';
import type { RegisteredMetric, RegisteredMetricType, ScanWarning } from './types.ts';

const CONSTRUCTORS: Readonly<Record<string, RegisteredMetricType>> = {
  NewCounter: 'counter',
  NewCounterVec: 'counter',
  NewCounterFunc: 'counter',
  NewGauge: 'gauge',
  NewGaugeVec: 'gauge',
  NewGaugeFunc: 'gauge',
  NewHistogram: 'histogram',
  NewHistogramVec: 'histogram',
  NewSummary: 'summary',
  NewSummaryVec: 'summary',
  NewUntypedFunc: 'untyped',
};

// Field order of prometheus.Opts (and so of CounterOpts, HistogramOpts, ...), for the rare
// unkeyed literal `prometheus.CounterOpts{"ns", "sub", "name", "help"}`.
const NAME_FIELDS = ['Namespace', 'Subsystem', 'Name'] as const;

export interface GoFileContext {
  file: string;
  imports: GoImports;
  scope: GoPackageScope;
  metrics: RegisteredMetric[];
  warnings: ScanWarning[];
}

interface Constructor {
  type: RegisteredMetricType;
  via: string;
  /** Whether the callee is a client_golang package for sure, or only a factory value. */
  certain: boolean;
}

export function detectRegistration(ctx: GoFileContext, call: GoNode): void {
  const ctor = constructorOf(ctx.imports, call);
  if (!ctor) return;
  const arg = callArguments(call)[0];
  const options = arg ? optionsLiteral(ctx, arg) : undefined;
  if (!options || (!ctor.certain && !isPrometheusOpts(ctx.imports, options))) {
    // A method of some other type that happens to be called NewCounter is not ours to report.
    if (ctor.certain) warn(ctx, arg ?? call, `${ctor.via}: the options are not a composite literal in this package; sloctl cannot check this metric's name`);
    return;
  }
  registerFromOptions(ctx, call, options, ctor);
}

function constructorOf(imports: GoImports, call: GoNode): Constructor | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'identifier') {
    // Unqualified only under a dot import; promauto's wins when both are dot-imported, as the
    // Go compiler would reject the ambiguity anyway.
    const pkg = imports.dotted.has('promauto') ? 'promauto' : imports.dotted.has('prometheus') ? 'prometheus' : undefined;
    if (!pkg || !Object.hasOwn(CONSTRUCTORS, fn.text)) return undefined;
    return { type: CONSTRUCTORS[fn.text], via: `${pkg}.${fn.text}`, certain: true };
  }
  if (fn.type !== 'selector_expression') return undefined;
  const field = fn.childForFieldName('field')?.text ?? '';
  if (!Object.hasOwn(CONSTRUCTORS, field)) return undefined;
  const type = CONSTRUCTORS[field];
  const operand = fn.childForFieldName('operand');
  if (!operand) return undefined;
  if (operand.type === 'identifier') {
    const pkg = imports.byName.get(operand.text);
    if (pkg === 'prometheus' || pkg === 'promauto') return { type, via: `${pkg}.${field}`, certain: true };
  }
  if (operand.type === 'call_expression') {
    const inner = selectorParts(operand.childForFieldName('function'));
    if (inner && inner.field === 'With' && imports.byName.get(inner.operand) === 'promauto') {
      return { type, via: `promauto.With(...).${field}`, certain: true };
    }
  }
  // Anything else may be a promauto.Factory (`factory.NewCounter`, `s.metrics.NewGauge`);
  // registerFromOptions only accepts it with prometheus options.
  return { type, via: `${excerpt(operand.text, 40)}.${field}`, certain: false };
}

/** The `{...}` of the options: inline, or a local/package variable initialized with one. */
function optionsLiteral(ctx: GoFileContext, arg: GoNode): GoNode | undefined {
  let expr = unparen(arg);
  if (expr.type === 'identifier') {
    const binding = ctx.scope.lookup(expr.text, expr);
    if (binding?.kind !== 'var' || !binding.value) return undefined;
    expr = unparen(binding.value);
  }
  return expr.type === 'composite_literal' ? expr : undefined;
}

/** `prometheus.XxxOpts{...}` (or `XxxOpts{...}` under a dot import). */
function isPrometheusOpts(imports: GoImports, literal: GoNode): boolean {
  const type = literal.childForFieldName('type');
  if (type?.type === 'qualified_type') {
    const pkg = type.childForFieldName('package')?.text ?? '';
    const name = type.childForFieldName('name')?.text ?? '';
    return imports.byName.get(pkg) === 'prometheus' && name.endsWith('Opts');
  }
  return type?.type === 'type_identifier' && imports.dotted.has('prometheus') && type.text.endsWith('Opts');
}

function registerFromOptions(ctx: GoFileContext, call: GoNode, literal: GoNode, ctor: Constructor): void {
  const fields = nameFields(literal);
  const parts: string[] = [];
  for (const field of NAME_FIELDS) {
    const node = fields.get(field);
    if (!node) {
      parts.push('');
      continue;
    }
    const value = resolveGoString(node, ctx.scope);
    if (value === undefined) {
      warn(ctx, node, `metric name is computed at run time; sloctl cannot check it: ${field}: ${excerpt(node.text)}`);
      return;
    }
    parts.push(value);
  }
  const [namespace, subsystem, name] = parts;
  const at = fields.get('Name') ?? call;
  const fqName = buildFQName(namespace, subsystem, name);
  if (fqName === '') {
    warn(ctx, at, `${ctor.via} has an empty Name; client_golang refuses to register it`);
  } else if (!isValidMetricName(fqName)) {
    warn(ctx, at, `"${fqName}" is not a valid Prometheus metric name; client_golang refuses to register it`);
  } else {
    const read = ctor.type === 'histogram' ? histogramBuckets(ctx, fields.get('Buckets')) : undefined;
    const buckets = read?.unread === undefined ? read : undefined;
    const unread = read?.unread !== undefined ? read : undefined;
    if (buckets?.unsorted) {
      warn(ctx, buckets.at ?? at, `the Buckets of "${fqName}" are not in strictly increasing order: client_golang panics when it builds this histogram ("histogram buckets must be in increasing order"); write them sorted in one []float64{...}`);
    }
    const labels = labelNames(ctx, call, ctor, fields.get('ConstLabels'));
    ctx.metrics.push({
      name: fqName, type: ctor.type, file: ctx.file, ...positionOf(at), via: ctor.via,
      ...(buckets ? { buckets: buckets.values, bucketsAt: positionOf(buckets.at ?? at) } : {}),
      ...(unread ? { bucketsUnread: unread.unread, bucketsAt: positionOf(fields.get('Buckets') ?? unread.at) } : {}),
      ...(labels ? { labels: labels.names, labelsAt: positionOf(labels.at) } : {}),
    });
  }
}

/**
 * The label names of every series: a Vec's variable labels (its second argument, a `[]string{...}`
 * of strings or constants, inline or a variable bound to one) and the keys of ConstLabels
 * (a `prometheus.Labels{...}` or map literal). Undefined when either cannot be read.
 */
function labelNames(ctx: GoFileContext, call: GoNode, ctor: Constructor, constLabels: GoNode | undefined): { names: string[]; at: GoNode } | undefined {
  const names: string[] = [];
  let at: GoNode = call;
  if (/Vec$/.test(ctor.via)) {
    const arg = callArguments(call)[1];
    const list = arg ? stringList(ctx, arg) : undefined;
    if (!list) return undefined;
    names.push(...list.values);
    at = list.at;
  }
  if (constLabels) {
    const literal = unparen(constLabels);
    if (literal.type !== 'composite_literal') return undefined;
    for (const element of significantChildren(literal.childForFieldName('body'))) {
      if (element.type !== 'keyed_element') return undefined;
      const key = elementValue(element.childForFieldName('key') ?? significantChildren(element)[0]);
      const name = key ? resolveGoString(key, ctx.scope) : undefined;
      if (name === undefined) return undefined;
      names.push(name);
    }
  }
  return { names, at };
}

/** A `[]string{...}` of strings and constants, inline or a variable initialized with one. */
function stringList(ctx: GoFileContext, arg: GoNode): { values: string[]; at: GoNode } | undefined {
  let expr = unparen(arg);
  if (expr.type === 'identifier') {
    const binding = ctx.scope.lookup(expr.text, expr);
    if (binding?.kind !== 'var' || !binding.value) return undefined;
    expr = unparen(binding.value);
  }
  if (expr.type !== 'composite_literal') return undefined;
  const values: string[] = [];
  for (const element of significantChildren(expr.childForFieldName('body'))) {
    const node = elementValue(element);
    const value = node ? resolveGoString(node, ctx.scope) : undefined;
    if (value === undefined) return undefined;
    values.push(value);
  }
  return { values, at: expr };
}

/** client_golang's prometheus.DefBuckets: what a histogram without Buckets gets. */
const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the code check read of a histogram's Buckets: its bounds, or why they cannot be read. */
type BucketsRead =
  | { values: number[]; at?: GoNode; unsorted?: boolean; unread?: undefined }
  | { unread: string; at: GoNode };

// Deep enough for a chain of variables, shallow enough that a cycle ends quickly.
const MAX_DEPTH = 16;

/**
 * The bounds a HistogramOpts literal sets, when they are written so that they can be read without
 * running the code: no Buckets field (DefBuckets), `prometheus.DefBuckets`, a `[]float64{...}` of
 * numbers (literals or constants), `append(<one of these>, numbers...)`,
 * `prometheus.LinearBuckets(start, width, count)`, `ExponentialBuckets(start, factor, count)` or
 * `ExponentialBucketsRange(min, max, count)` of numbers (computed as client_golang computes them),
 * or a variable (package-level or local) initialized with one of these and never assigned to.
 * Anything else (a function call, a value built at run time, a struct field) is `unread`, with
 * what it is, at the Buckets value: the check says it could not read them rather than nothing.
 */
function histogramBuckets(ctx: GoFileContext, node: GoNode | undefined, depth = 0): BucketsRead | undefined {
  if (!node) return { values: DEF_BUCKETS };
  const v = unparen(node);
  if (depth > MAX_DEPTH) return { unread: 'a chain of variables too long to follow', at: v };
  const { imports, scope } = ctx;
  const isPrometheus = (operand: string) => imports.byName.get(operand) === 'prometheus';
  if (v.type === 'identifier') {
    if (v.text === 'DefBuckets' && imports.dotted.has('prometheus') && scope.lookup(v.text, v) === undefined) return { values: DEF_BUCKETS, at: v };
    const binding = scope.lookup(v.text, v);
    if (binding === undefined) return { unread: `\`${v.text}\`, which the code check cannot find in this package`, at: v };
    if (binding.kind === 'other') return { unread: `\`${v.text}\`, a parameter or loop variable`, at: v };
    if (!binding.value) return { unread: `\`${v.text}\`, a variable declared without a value (set at run time)`, at: v };
    if (binding.kind === 'var' && scope.isAssigned(v.text)) return { unread: `\`${v.text}\`, a variable the code assigns to after its declaration`, at: v };
    const read = histogramBuckets(ctx, binding.value, depth + 1);
    return read?.unread !== undefined ? { unread: `\`${v.text}\`, set to ${read.unread}`, at: v } : read;
  }
  if (v.type === 'selector_expression') {
    const sel = selectorParts(v);
    if (sel && isPrometheus(sel.operand) && sel.field === 'DefBuckets') return { values: DEF_BUCKETS, at: v };
    return { unread: `\`${excerpt(v.text, 40)}\`, a value from another package or a field`, at: v };
  }
  if (v.type === 'composite_literal') {
    const values: number[] = [];
    for (const element of significantChildren(v.childForFieldName('body'))) {
      const n = numberOf(scope, elementValue(element));
      if (n === undefined) return { unread: `a list with an element that is not a number or a constant (\`${excerpt(element.text, 30)}\`)`, at: v };
      values.push(n);
    }
    return { values: [...values].sort((a, b) => a - b), at: v, ...(increasing(values) ? {} : { unsorted: true }) };
  }
  if (v.type === 'call_expression' && v.childForFieldName('function')?.text === 'append') {
    // append(prometheus.DefBuckets, 0.3): the new bounds land after 10, out of order unless above it.
    const [first, ...rest] = callArguments(v);
    const base = first ? histogramBuckets(ctx, first, depth + 1) : undefined;
    if (!base || base.unread !== undefined) return { unread: `\`${excerpt(v.text, 40)}\`${base?.unread !== undefined ? `, appending to ${base.unread}` : ''}`, at: v };
    const extra = rest.map((a) => numberOf(scope, a));
    if (extra.some((x) => x === undefined)) return { unread: `\`${excerpt(v.text, 40)}\`, appending something that is not a number or a constant`, at: v };
    const values = [...base.values, ...(extra as number[])];
    return { values: [...values].sort((a, b) => a - b), at: v, ...(base.unsorted || !increasing(values) ? { unsorted: true } : {}) };
  }
  if (v.type === 'call_expression') {
    const sel = selectorParts(v.childForFieldName('function'));
    const fn = sel && isPrometheus(sel.operand) ? sel.field : undefined;
    if (fn !== 'LinearBuckets' && fn !== 'ExponentialBuckets' && fn !== 'ExponentialBucketsRange') {
      return { unread: `\`${excerpt(v.text, 40)}\`, a function call`, at: v };
    }
    const args = callArguments(v).map((a) => numberOf(scope, a));
    if (args.length !== 3 || args.some((a) => a === undefined)) return { unread: `\`${excerpt(v.text, 40)}\`, whose arguments are not numbers or constants`, at: v };
    const values = generatedBuckets(fn, args as [number, number, number]);
    return values ? { values, at: v } : { unread: `\`${excerpt(v.text, 40)}\`, whose arguments client_golang refuses (it panics)`, at: v };
  }
  return { unread: `\`${excerpt(v.text, 40)}\``, at: v };
}

/**
 * client_golang's bucket generators, computed as they compute them (repeated addition and
 * multiplication, so the float noise is Go's too); undefined for arguments they panic on.
 */
function generatedBuckets(fn: 'LinearBuckets' | 'ExponentialBuckets' | 'ExponentialBucketsRange', [a, b, count]: [number, number, number]): number[] | undefined {
  if (!Number.isInteger(count) || count < 1 || count > 1000) return undefined;
  const out: number[] = [];
  if (fn === 'LinearBuckets') {
    for (let i = 0, start = a; i < count; i++, start += b) out.push(start);
    return out;
  }
  if (fn === 'ExponentialBuckets') {
    if (a <= 0 || b <= 1) return undefined;
    for (let i = 0, start = a; i < count; i++, start *= b) out.push(start);
    return out;
  }
  // ExponentialBucketsRange(minBucket, maxBucket, count).
  if (a <= 0) return undefined;
  const factor = Math.pow(b / a, 1 / (count - 1));
  for (let i = 1; i <= count; i++) out.push(a * Math.pow(factor, i - 1));
  return out;
}

function increasing(values: readonly number[]): boolean {
  return values.every((x, i) => i === 0 || x > values[i - 1]);
}

/** A Go number: a literal (`0.3`, `.005`, `1e-3`, `10`), a constant of one, or either negated; else undefined. */
function numberOf(scope: GoPackageScope, node: GoNode | undefined, depth = 0): number | undefined {
  if (!node || depth > MAX_DEPTH) return undefined;
  const v = unparen(node);
  if (v.type === 'identifier') {
    const binding = scope.lookup(v.text, v);
    return binding?.kind === 'const' && binding.value ? numberOf(scope, binding.value, depth + 1) : undefined;
  }
  if (v.type === 'unary_expression') {
    const op = v.childForFieldName('operator')?.text;
    const operand = v.childForFieldName('operand');
    const n = op === '-' || op === '+' ? numberOf(scope, operand ?? undefined, depth + 1) : undefined;
    return n === undefined ? undefined : op === '-' ? -n : n;
  }
  if (v.type !== 'float_literal' && v.type !== 'int_literal') return undefined;
  const n = Number(v.text.replace(/_/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** The value nodes of Namespace, Subsystem and Name, keyed or positional. */
function nameFields(literal: GoNode): Map<string, GoNode> {
  const fields = new Map<string, GoNode>();
  const elements = significantChildren(literal.childForFieldName('body'));
  elements.forEach((element, index) => {
    if (element.type === 'keyed_element') {
      const key = elementValue(element.childForFieldName('key') ?? significantChildren(element)[0]);
      const value = elementValue(element.childForFieldName('value') ?? significantChildren(element)[1]);
      if (key && value) fields.set(key.text, value);
    } else if (index < NAME_FIELDS.length) {
      const value = elementValue(element);
      if (value) fields.set(NAME_FIELDS[index], value);
    }
  });
  return fields;
}

/** Grammar versions differ on whether keys and values are wrapped in `literal_element`. */
function elementValue(node: GoNode | null | undefined): GoNode | undefined {
  if (!node) return undefined;
  return node.type === 'literal_element' ? significantChildren(node)[0] : node;
}

function warn(ctx: GoFileContext, node: GoNode, message: string): void {
  ctx.warnings.push({ file: ctx.file, ...positionOf(node), message });
}
