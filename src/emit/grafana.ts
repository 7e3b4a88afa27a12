// `sloctl generate grafana`: one dashboard per contract, one row per SLO, reading the series the
// generated Prometheus rules record (see slos.ts for their names), plus raw histograms and
// counters for the per-route panels.
//
// Per SLO: the SLI over the SLO window against the objective, the error budget left (as a number
// and as a burn-down over time), the burn rate over every window the alert tiers use with each
// tier's threshold drawn as a line, and, for latency SLOs, p50/p95/p99 per route from the
// histogram (for the errors SLO, the weighted error ratio per route and bad class, and the
// requests that reached no route, which the SLOs leave out).
//
// The data source is the dashboard variable `DS_PROMETHEUS` (type datasource): the dashboard
// imports into Grafana 10 and 11 through the UI, the HTTP API or file provisioning, and the user
// picks the Prometheus data source from the variable's drop-down.
import { countedClasses } from '../contract/classify.ts';
import { classSelectors, labelMap, unmatchedMatchers, UNMATCHED_ROUTE, type LabelMap } from '../contract/label-map.ts';
import type { Contract } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import { matcher, num, selector } from './promql.ts';
import { planSlos, RECORD, sloSeries, type PlanOptions, type SloPlan } from './slos.ts';

/** Grafana 10.4 / 11.0. Newer Grafana migrates older schemas forward on load. */
export const SCHEMA_VERSION = 39;
export const DATASOURCE_VARIABLE = 'DS_PROMETHEUS';
const DS = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` };

export interface GrafanaOptions extends PlanOptions {
  /** Dashboard uid; default `sloctl-<service>` (Grafana allows at most 40 characters). */
  uid?: string;
  title?: string;
}

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  datasource: typeof DS;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  description?: string;
  datasource?: typeof DS;
  targets?: GrafanaTarget[];
  fieldConfig?: unknown;
  options?: unknown;
  collapsed?: boolean;
  panels?: GrafanaPanel[];
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  time: { from: string; to: string };
  refresh: string;
  timezone: string;
  graphTooltip: number;
  templating: { list: unknown[] };
  annotations: { list: unknown[] };
  panels: GrafanaPanel[];
  links: unknown[];
  description: string;
}

const REFS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

class Layout {
  id = 1;
  y = 0;
  readonly panels: GrafanaPanel[] = [];

  row(title: string): void {
    this.panels.push({ id: this.id++, type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y: this.y, w: 24, h: 1 } });
    this.y += 1;
  }

  add(p: Omit<GrafanaPanel, 'id' | 'gridPos' | 'datasource'>, x: number, y: number, w: number, h: number): void {
    this.panels.push({ id: this.id++, datasource: DS, ...p, gridPos: { x, y, w, h } });
  }
}

function targets(list: Array<{ expr: string; legend?: string; instant?: boolean }>): GrafanaTarget[] {
  return list.map((t, i) => ({
    refId: REFS[i] ?? `Q${i}`,
    datasource: DS,
    expr: t.expr,
    ...(t.legend !== undefined ? { legendFormat: t.legend } : {}),
    ...(t.instant ? { instant: true, range: false } : { range: true }),
  }));
}

type Step = { color: string; value: number | null };

function timeseries(unit: string, steps: Step[], extra: Record<string, unknown> = {}, thresholdLines = true) {
  return {
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 0,
          showPoints: 'never',
          spanNulls: false,
          thresholdsStyle: { mode: thresholdLines ? 'line' : 'off' },
        },
        thresholds: { mode: 'absolute', steps },
        ...extra,
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function stat(unit: string, steps: Step[], decimals: number) {
  return {
    fieldConfig: { defaults: { unit, decimals, thresholds: { mode: 'absolute', steps }, color: { mode: 'thresholds' } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' },
  };
}

/** `by (labels)` sum of the union of a scope's selectors, over `$__rate_interval`. */
function scopedRate(metric: string, base: string | undefined, scope: string[][], extra: string[], by: string): string {
  const parts = scope.map((alt) => `rate(${selector(metric, base, ...alt, ...extra)}[$__rate_interval])`);
  return `sum by (${by}) (${parts.join(' or ')})`;
}

function sloPanels(l: Layout, slo: SloPlan, base: string | undefined, c: Contract): void {
  const lm: LabelMap = labelMap(c);
  const by = `${lm.method}, ${lm.route}`;
  const legend = `{{${lm.method}}} {{${lm.route}}}`;
  const reached = unmatchedMatchers(lm).length > 0;
  const budget = +(1 - slo.objective).toPrecision(12);
  const remaining = sloSeries(slo, RECORD.budgetRemaining);
  const window = formatDuration(slo.windowMs);
  const shortest = slo.windows[0];
  l.row(`${slo.name} — ${slo.promise}, over ${window}`);
  const y = l.y;
  // The SLI over the SLO window, from the budget left: consumed = 1 - remaining, and the error
  // ratio is consumed × (1 - objective).
  const sliWindow = `1 - (1 - ${remaining}) * ${num(budget)}`;
  l.add({
    type: 'stat',
    title: `SLI over ${window}`,
    description: `Objective ${formatPercent(slo.objective)}. Red below the objective.`,
    targets: targets([{ expr: sliWindow, legend: 'SLI' }]),
    ...stat('percentunit', [{ color: 'red', value: null }, { color: 'green', value: slo.objective }], 3),
  }, 0, y, 4, 4);
  l.add({
    type: 'stat',
    title: 'Error budget remaining',
    description: `Share of the ${window} error budget (${formatPercent(budget)} of events) not yet spent.`,
    targets: targets([{ expr: remaining, legend: 'remaining' }]),
    ...stat('percentunit', [{ color: 'red', value: null }, { color: 'orange', value: 0 }, { color: 'green', value: 0.25 }], 1),
  }, 0, y + 4, 4, 4);
  l.add({
    type: 'timeseries',
    title: 'SLI vs objective',
    description: `The SLI over the ${window} SLO window and over the last ${formatDuration(shortest)}, against the objective.`,
    targets: targets([
      { expr: sliWindow, legend: `SLI (${window})` },
      { expr: `1 - ${sloSeries(slo, RECORD.burnRate(shortest))} * ${num(budget)}`, legend: `SLI (${formatDuration(shortest)})` },
      { expr: `vector(${num(slo.objective)})`, legend: 'objective' },
    ]),
    ...timeseries('percentunit', [{ color: 'red', value: null }, { color: 'green', value: slo.objective }], { decimals: 3 }, false),
  }, 4, y, 10, 8);
  l.add({
    type: 'timeseries',
    title: 'Error budget burn-down',
    description: `Share of the ${window} budget left; below 0 the objective is missed.`,
    targets: targets([{ expr: remaining, legend: 'budget remaining' }]),
    ...timeseries('percentunit', [{ color: 'red', value: null }, { color: 'green', value: 0 }]),
  }, 14, y, 10, 8);

  const y2 = y + 8;
  const thresholds = [...new Set(slo.tiers.map((t) => t.burnRate))].sort((a, b) => a - b);
  const colors = ['yellow', 'orange', 'red', 'purple', 'dark-red'];
  const tierText = slo.tiers.map((t) => `${t.name}: ${num(t.burnRate)}x over ${formatDuration(t.longMs)} and ${formatDuration(t.shortMs)}`).join('; ');
  const hasSide = slo.latency !== undefined || slo.requests !== undefined;
  l.add({
    type: 'timeseries',
    title: 'Burn rate by window',
    description: `Error ratio over each window divided by the budget (${formatPercent(budget)}); 1 spends the budget exactly in ${window}. Lines: the alert tiers' thresholds${tierText ? ` (${tierText})` : ''}.`,
    targets: targets(slo.windows.map((w) => ({ expr: sloSeries(slo, RECORD.burnRate(w)), legend: formatDuration(w) }))),
    ...timeseries('x', [{ color: 'green', value: null }, ...thresholds.map((v, i) => ({ color: colors[Math.min(i, colors.length - 1)], value: v }))], { min: 0 }),
  }, 0, y2, hasSide ? 12 : 24, 8);

  if (slo.latency) {
    const lat = slo.latency;
    const q = (p: number) => `histogram_quantile(${num(p)}, ${scopedRate(lat.bucketMetric, base, lat.scope, [], `le, ${by}`)})`;
    const quantiles: Array<[string, number]> = [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]];
    const ceilings = [...lat.percentiles.map(([, , s]) => s), ...lat.thresholds.map((t) => t.seconds)];
    l.add({
      type: 'timeseries',
      title: 'Latency by route (p50 / p95 / p99)',
      description: `From the histogram, per route. Lines: the threshold(s) ${lat.thresholds.map((t) => `${formatDuration(t.seconds * 1000)} (${t.routes})`).join(', ')}${lat.percentiles.length ? ` and the percentile ceilings ${lat.percentiles.map(([k, , s]) => `${k} ${formatDuration(s * 1000)}`).join(', ')}` : ''}.`,
      targets: targets(quantiles.map(([name, p]) => ({ expr: q(p), legend: `${legend} ${name}` }))),
      ...timeseries('s', [{ color: 'green', value: null }, ...[...new Set(ceilings)].sort((a, b) => a - b).map((v) => ({ color: 'red', value: v }))]),
    }, 12, y2, 12, 8);
  } else if (slo.requests) {
    const r = slo.requests;
    // The SLO's bad classes only, each weighted as the SLI weighs it (src/emit/slos.ts): a route's
    // lines add up to its weighted error ratio. Classes the contract calls good or weighs 0
    // (not-found, aborted) are not errors of the SLO, and are not drawn.
    const bad = classSelectors({ metrics: c.metrics, errorClasses: countedClasses(c.errorClasses) }).filter((k) => !k.good && k.weight > 0 && k.matchers).sort((a, b) => b.weight - a.weight);
    const total = scopedRate(r.metric, base, r.scope, [], by);
    l.add({
      type: 'timeseries',
      title: 'Weighted error ratio by route and class',
      description: `Each bad class's requests × its weight, over all requests of the route, as the errors SLO counts them (${bad.map((k) => `${k.name} ×${num(k.weight)}`).join(', ') || 'no class weighs more than 0'}): the lines of a route add up to its weighted error ratio. Classes the contract calls good or weighs 0 are not errors and are not drawn.${reached ? ' Requests that reached no route (route="unmatched") are left out, as in the SLO.' : ''}`,
      targets: targets(bad.length === 0 ? [{ expr: 'vector(0)', legend: 'no weighted class' }] : bad.map((k) => ({
        expr: `${scopedRate(r.metric, base, r.scope, k.matchers!.map((m) => matcher(m.name, m.op, m.value)), by)}${k.weight === 1 ? '' : ` * ${num(k.weight)}`} / ${total}`,
        legend: `${legend} ${k.name}${k.weight === 1 ? '' : ` ×${num(k.weight)}`}`,
      }))),
      ...timeseries('percentunit', [{ color: 'green', value: null }], {}, false),
    }, 12, y2, 12, 8);
    if (reached) {
      // What the SLO leaves out, to be seen: junk, and the 5xx a framework answers before routing
      // (Fastify's own 503 while it closes, during a deploy).
      l.add({
        type: 'timeseries',
        title: 'Requests that reached no route (not in the SLOs)',
        description: `Requests the service counted under ${lm.route}="${UNMATCHED_ROUTE}" (paths and methods no route takes, requests the framework answered before routing), by ${lm.errors.label}. The SLOs leave them out, so strangers cannot spend the budget; 5xx here (a framework's own 503 while it shuts down) are worth a look.`,
        targets: targets([{ expr: `sum by (${lm.method}, ${lm.errors.label}) (rate(${selector(r.metric, base, matcher(lm.route, '=', UNMATCHED_ROUTE))}[$__rate_interval]))`, legend: `{{${lm.method}}} {{${lm.errors.label}}}` }]),
        ...timeseries('reqps', [{ color: 'green', value: null }], {}, false),
      }, 0, y2 + 8, 24, 6);
      l.y = y2 + 14;
      return;
    }
  }
  l.y = y2 + 8;
}

/** The dashboard as a JavaScript value. */
export function grafanaDashboard(c: Contract, opts: GrafanaOptions = {}): { dashboard: GrafanaDashboard; warnings: string[] } {
  const plan = planSlos(c, opts);
  const base = opts.selector?.trim() || undefined;
  const l = new Layout();
  for (const slo of plan.slos) sloPanels(l, slo, base, c);
  const uid = (opts.uid ?? `sloctl-${c.service.name}`).slice(0, 40);
  const dashboard: GrafanaDashboard = {
    uid,
    title: opts.title ?? `${c.service.displayName ?? c.service.name} SLOs`,
    description: `Generated by sloctl from the ${c.service.name} contract. Reads the recording rules of \`sloctl generate prometheus\`.`,
    tags: ['sloctl', 'slo', c.service.name],
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    editable: true,
    time: { from: 'now-7d', to: 'now' },
    refresh: '1m',
    timezone: 'utc',
    graphTooltip: 1,
    links: [],
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }],
    },
    templating: {
      list: [{
        name: DATASOURCE_VARIABLE,
        label: 'Prometheus',
        type: 'datasource',
        query: 'prometheus',
        regex: '',
        current: {},
        options: [],
        hide: 0,
        refresh: 1,
        includeAll: false,
        multi: false,
      }],
    },
    panels: l.panels,
  };
  return { dashboard, warnings: plan.warnings };
}

export function renderGrafanaDashboard(c: Contract, opts: GrafanaOptions = {}): { text: string; warnings: string[] } {
  const { dashboard, warnings } = grafanaDashboard(c, opts);
  return { text: `${JSON.stringify(dashboard, null, 2)}\n`, warnings };
}
