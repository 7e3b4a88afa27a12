// `sloctl generate prometheus`: recording rules and multiwindow multi-burn-rate alerts from a
// contract, as a Prometheus rules file or a prometheus-operator PrometheusRule.
//
// Per SLO, one rule group, evaluated in order (a later rule reads what an earlier one recorded at
// the same evaluation time):
//
//   sloctl:threshold_good:<slice>        threshold SLIs only: 1 when the slice met the threshold
//   sloctl:burn_rate:<w>                 one per distinct window the tiers use (shared between
//                                        tiers: the 6h long window of one tier and the 6h short
//                                        window of another are one rule), from raw counters
//   sloctl:bad_events:increase<W>        event SLIs: bad (class-weighted) and total events over
//   sloctl:total_events:increase<W>      the SLO window, counted with increase() over raw
//                                        counters: events, not an average of 5-minute ratios
//   sloctl:error_budget_remaining:ratio  1 - (bad / total) / (1 - objective)
//   <Service><Slo>ErrorBudgetBurn        one alert per tier: burn > B over the long AND the short
//                                        window, `for`, severity page|ticket
//   <Service><Slo>SLIMissing             absent(): the SLI's input metric is gone
//   <Service><Slo>SLIUnmeasurable        the inputs exist but cannot measure the SLI: latency, per
//                                        histogram series that counts requests without a bucket at
//                                        its threshold (left out of the SLI: it cannot tell fast
//                                        from slow); errors, for contracts with metrics.labels, no
//                                        series carries the status label, which `or vector(0)`
//                                        would otherwise read as all good
//
// Availability for such contracts: `sloctl:availability:ratio` records the composite at every
// evaluation (the SDK's gauge when there is one, else from its parts, see slos.ts), and the
// burn-rate windows average it over time.
//
// Rule count for an SLO with the four default tiers: 7 burn-rate windows + 3 budget rules +
// 4 tier alerts + 1 absent alert = 15 (a latency SLO 16: its unmeasurable alert), against
// Sloth's 17 (8 SLI windows + 7 metadata + 2 alerts); recording rules 10 against 15. See
// `countRules` and the README.
//
// Low traffic: the embedded engine calls a tier "unknown" below its minimum event count; a
// Prometheus alert has no such state, so these rules fire on whatever the windows hold, as the
// workbook's rules do. The absent alert covers "no data at all" (never read as "all good").
import { stringify } from 'yaml';
import type { Contract } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import { formatMs } from '../engine/alerts.ts';
import { dur, num, templateLiteral } from './promql.ts';
import { planSlos, RECORD, sloSeries, type PlanOptions, type SloPlan, type TierPlan } from './slos.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface SloRuleCount {
  slo: string;
  recording: number;
  alerting: number;
}

export interface PrometheusRules {
  groups: RuleGroup[];
  counts: SloRuleCount[];
  warnings: string[];
}

export type RulesFormat = 'rules' | 'operator';

export interface PrometheusOptions extends PlanOptions {
  /** `rules` (a Prometheus rules file, default) or `operator` (a PrometheusRule resource). */
  format?: RulesFormat;
  /** metadata.namespace of the PrometheusRule. */
  namespace?: string;
  /** metadata.name of the PrometheusRule; default `<service>-slos`. */
  name?: string;
  /** Extra metadata.labels of the PrometheusRule (what the operator's ruleSelector matches). */
  operatorLabels?: Record<string, string>;
  /** The contract file, named in the header comment. */
  source?: string;
}

export function isRecording(r: Rule): r is RecordingRule {
  return 'record' in r;
}

/** CamelCase of dash/underscore-separated words: `checkout`, `api-latency` -> `CheckoutApiLatency`. */
export function camel(...words: string[]): string {
  return words.flatMap((w) => w.split(/[-_]+/)).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** The plan's note on how the SLI is measured (a part of the composite left out), as a sentence. */
function noteOf(slo: SloPlan): string {
  return slo.note === undefined ? '' : ` Note: ${templateLiteral(slo.note)}.`;
}

function describeTier(slo: SloPlan, t: TierPlan, windowText: string): { summary: string; description: string } {
  const threshold = `${num(t.burnRate)}x`;
  const promise = templateLiteral(slo.promise);
  const lasts = formatMs(Math.round(slo.windowMs / t.burnRate / 60_000) * 60_000);
  return {
    summary: `${slo.labels.sloctl_service} ${slo.name}: error budget burning faster than ${threshold} over ${dur(t.longMs)} and ${dur(t.shortMs)} (${t.severity})`,
    description:
      `The ${slo.name} SLO (${promise}, over ${windowText}) burned its error budget at ` +
      `{{ $value | printf "%.2f" }}x over the last ${dur(t.longMs)}, and above ${threshold} over the last ${dur(t.shortMs)} too. ` +
      `Burning at ${threshold} for ${dur(t.longMs)} spends ${formatPercent(+t.budgetShare.toPrecision(3))} of the ${windowText} budget; ` +
      `at ${threshold} the whole budget lasts ${lasts}. Error-ratio threshold: ${formatPercent(+(t.burnRate * (1 - slo.objective)).toPrecision(6))}.` +
      noteOf(slo),
  };
}

function sloGroup(service: string, slo: SloPlan, absentForMs: number): RuleGroup {
  const rules: Rule[] = [];
  const labels = slo.labels;
  const budget = +(1 - slo.objective).toPrecision(12);
  if (slo.slice) rules.push({ record: slo.slice.record, expr: slo.slice.expr, labels });
  for (const w of slo.windows) {
    rules.push({ record: RECORD.burnRate(w), expr: `(${slo.errorRatio(w)}) / ${num(budget)}`, labels });
  }
  const W = slo.windowMs;
  if (slo.events) {
    rules.push({ record: RECORD.badEvents(W), expr: slo.events.bad(W), labels });
    rules.push({ record: RECORD.totalEvents(W), expr: slo.events.total(W), labels });
    rules.push({
      record: RECORD.budgetRemaining,
      expr: `1 - (${sloSeries(slo, RECORD.badEvents(W))} / ${sloSeries(slo, RECORD.totalEvents(W))}) / ${num(budget)}`,
      labels,
    });
  } else {
    rules.push({ record: RECORD.budgetRemaining, expr: `1 - (${slo.errorRatio(W)}) / ${num(budget)}`, labels });
  }

  const windowText = formatDuration(W);
  const alertName = slo.alertName ?? camel(service, slo.name, 'ErrorBudgetBurn');
  const common = (severity: string, extra: Record<string, string> = {}) => ({
    severity,
    ...labels,
    ...extra,
    ...slo.alertLabels,
  });
  const links = (): Record<string, string> => ({
    ...(slo.runbook ? { runbook: slo.runbook } : {}),
    ...(slo.dashboard ? { dashboard: slo.dashboard } : {}),
  });
  for (const t of slo.tiers) {
    const long = `${sloSeries(slo, RECORD.burnRate(t.longMs))} > ${num(t.burnRate)}`;
    const short = `${sloSeries(slo, RECORD.burnRate(t.shortMs))} > ${num(t.burnRate)}`;
    rules.push({
      alert: alertName,
      expr: `${long}\nand\n${short}`,
      for: dur(t.forMs),
      labels: common(t.severity, { sloctl_tier: t.name }),
      annotations: { ...describeTier(slo, t, windowText), ...links(), ...slo.alertAnnotations },
    });
  }
  if (slo.absent) {
    // A service that stops exporting its SLI is not meeting its objective: it is unobserved. Page
    // when the SLO pages at all, else ticket.
    const severity = slo.tiers.some((t) => t.severity === 'page') ? 'page' : 'ticket';
    rules.push({
      alert: camel(service, slo.name, 'SLIMissing'),
      expr: slo.absent,
      for: dur(absentForMs),
      labels: common(severity),
      annotations: {
        summary: `${service} ${slo.name}: the SLI's input metrics are missing`,
        description: `No series for the ${slo.name} SLO (${templateLiteral(slo.promise)}) for ${dur(absentForMs)}: its burn-rate alerts cannot fire. Check that the service is up and scraped, and that it exports the metrics the contract names.${noteOf(slo)}`,
        ...links(),
        ...slo.alertAnnotations,
      },
    });
  }
  if (slo.unmeasurable) {
    // The inputs exist but cannot measure the SLI (see SloPlan.unmeasurable): as unobserved as absent.
    const severity = slo.tiers.some((t) => t.severity === 'page') ? 'page' : 'ticket';
    rules.push({
      alert: camel(service, slo.name, 'SLIUnmeasurable'),
      expr: slo.unmeasurable.expr,
      for: dur(absentForMs),
      labels: common(severity),
      annotations: {
        summary: slo.unmeasurable.template ? slo.unmeasurable.summary : `${service} ${slo.name}: ${templateLiteral(slo.unmeasurable.summary)}`,
        description: slo.unmeasurable.template ? slo.unmeasurable.description : templateLiteral(slo.unmeasurable.description),
        ...links(),
        ...slo.alertAnnotations,
      },
    });
  }
  return { name: `sloctl-${service}-${slo.name}`, rules };
}

/** The rule groups for a contract: one per SLO. */
export function prometheusRules(c: Contract, opts: PrometheusOptions = {}): PrometheusRules {
  const plan = planSlos(c, opts);
  const groups = plan.slos.map((slo) => sloGroup(plan.service, slo, plan.absentForMs));
  return {
    groups,
    counts: countRules(groups, plan.slos.map((s) => s.name)),
    warnings: plan.warnings,
  };
}

export function countRules(groups: readonly RuleGroup[], slos: readonly string[]): SloRuleCount[] {
  return groups.map((g, i) => ({
    slo: slos[i],
    recording: g.rules.filter(isRecording).length,
    alerting: g.rules.filter((r) => !isRecording(r)).length,
  }));
}

function k8sName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 253) || 'sloctl';
}

/** The document as a JavaScript value: `{groups}` or a PrometheusRule. */
export function rulesDocument(c: Contract, rules: PrometheusRules, opts: PrometheusOptions = {}): object {
  if ((opts.format ?? 'rules') === 'rules') return { groups: rules.groups };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: k8sName(opts.name ?? `${c.service.name}-slos`),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      labels: {
        'app.kubernetes.io/name': k8sName(c.service.name),
        'app.kubernetes.io/component': 'slo',
        'app.kubernetes.io/managed-by': 'sloctl',
        ...(opts.operatorLabels ?? {}),
      },
    },
    spec: { groups: rules.groups },
  };
}

export interface RenderedRules {
  text: string;
  rules: PrometheusRules;
}

/** The rules as YAML text, with a header that says where they come from and how many there are. */
export function renderPrometheusRules(c: Contract, opts: PrometheusOptions = {}): RenderedRules {
  const rules = prometheusRules(c, opts);
  const total = rules.counts.reduce((n, s) => n + s.recording + s.alerting, 0);
  const header = [
    `Generated by sloctl from ${opts.source ?? 'a contract'} (service ${c.service.name}). Do not edit: change the`,
    `contract and run \`sloctl generate prometheus\` again.`,
    `${rules.groups.length} SLO group(s), ${total} rules:`,
    ...rules.counts.map((s) => `  ${s.slo}: ${s.recording} recording + ${s.alerting} alerting = ${s.recording + s.alerting}`),
    ...rules.warnings.map((w) => `note: ${w}`),
  ];
  const body = stringify(rulesDocument(c, rules, opts), { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false });
  return { text: `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}`, rules };
}
