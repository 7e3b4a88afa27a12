// Sloth specs in: `version: "prometheus/v1"` files (and the Kubernetes PrometheusServiceLevel
// resource, whose `spec` is the same thing in camelCase) become a sloctl contract with one custom
// SLI per Sloth SLO, so a Sloth user moves over in one command.
//
// Sloth's events SLI (error and total queries) is a `bad`/`total` SLI, its raw SLI an `errorRatio`;
// `{{.window}}` becomes `$window`. Sloth's alerts are the SRE workbook's multiwindow multi-burn-rate
// alerts for a 30-day window, written out as explicit page and ticket tiers; `disable: true` turns
// a severity off. SLI plugins generate their PromQL inside Sloth and cannot be converted.
import type { Diagnostic } from '../contract/diagnostic.ts';
import { checkPromql } from '../contract/promql.ts';
import type { ContractInput } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import { DEFAULT_FOR_MS } from '../emit/slos.ts';
import {
  buildValidContract, ConvertError, contractText, isPlainObject, located, readObjects, toName, toSloctlWindow, uniqueName, where,
  type BuildAttempt, type ConvertResult, type SourceObject,
} from './common.ts';

export type { ConvertResult } from './common.ts';

type SliInput = NonNullable<ContractInput['slis']>[number];
type TierInput = { burnRate: number; long: string; short: string; for?: string };
type Obj = Record<string, unknown>;

export const SLOTH_VERSION = 'prometheus/v1';
const K8S_API_VERSION = 'sloth.slok.dev/v1';
/** Sloth's SLO period when none is configured. */
export const SLOTH_DEFAULT_WINDOW = '30d';
/** Sloth's alert windows for a 30-day period (the SRE workbook's, as Sloth generates them). */
export const SLOTH_PAGE_TIERS: readonly TierInput[] = [
  { burnRate: 14.4, long: '1h', short: '5m' },
  { burnRate: 6, long: '6h', short: '30m' },
];
export const SLOTH_TICKET_TIERS: readonly TierInput[] = [
  { burnRate: 3, long: '1d', short: '2h' },
  { burnRate: 1, long: '3d', short: '6h' },
];
/** SLI annotations for what Sloth has and a sloctl SLI has no field for. */
export const SLOTH_ANN = {
  alertName: 'sloth.dev/alert-name',
  pageLabels: 'sloth.dev/page-alert-labels',
  pageAnnotations: 'sloth.dev/page-alert-annotations',
  ticketLabels: 'sloth.dev/ticket-alert-labels',
  ticketAnnotations: 'sloth.dev/ticket-alert-annotations',
  name: 'sloth.dev/name',
} as const;

/** A key in either of Sloth's spellings: `error_query` (prometheus/v1 files) or `errorQuery` (Kubernetes). */
function pick(o: Obj, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return o[snake] ?? o[camel];
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined && typeof x !== 'object').map(([k, x]) => [k, String(x)]));
}

interface Spec {
  o: SourceObject;
  /** The object holding service/labels/slos (the document, or its `spec` for the Kubernetes form). */
  body: Obj;
  /** Path of `body` inside the object. */
  base: string[];
}

export function fromSloth(text: string, file: string): ConvertResult {
  const { objects } = readObjects(text, file, 'Sloth spec');
  const specs: Spec[] = [];
  const errors: Diagnostic[] = [];
  for (const o of objects) {
    const v = o.value;
    if (v.version === SLOTH_VERSION) specs.push({ o, body: v, base: [] });
    else if (v.apiVersion === K8S_API_VERSION && v.kind === 'PrometheusServiceLevel' && isPlainObject(v.spec)) specs.push({ o, body: v.spec, base: ['spec'] });
    else {
      const key = 'version' in v ? 'version' : 'apiVersion' in v ? 'apiVersion' : undefined;
      const got = key ? ` (got ${key}: ${JSON.stringify(v[key])})` : '';
      const hint = String(v.apiVersion).startsWith('openslo/') ? 'this is OpenSLO: convert it with --from openslo' : v.apiVersion === 'sloctl/v1' ? 'this is a sloctl contract already' : undefined;
      errors.push(located(file, o.src.lines, o.src.doc, [...o.path, ...(key ? [key] : [])], key ? 'SLO_INVALID_VALUE' : 'SLO_MISSING_KEY', `not a Sloth spec${got}: sloctl reads \`version: "${SLOTH_VERSION}"\` specs and PrometheusServiceLevel resources`, hint));
    }
  }
  if (errors.length > 0) throw new ConvertError(errors);
  for (const s of specs) {
    if (typeof s.body.service !== 'string' || s.body.service === '') {
      throw new ConvertError([located(file, s.o.src.lines, s.o.src.doc, [...s.o.path, ...s.base, 'service'], 'SLO_MISSING_KEY', 'the Sloth spec has no `service`')]);
    }
  }
  const refusals: Diagnostic[] = [];
  const result = buildValidContract<string>(file, 50, (skip) => build(specs, file, skip, refusals));
  // A contract with no SLI generates no rules and checks nothing: refuse, saying why of each SLO.
  if ((result.contract.slis ?? []).length === 0) {
    if (refusals.length > 0) throw new ConvertError(refusals);
    const s = specs[0];
    throw new ConvertError([located(file, s.o.src.lines, s.o.src.doc, [...s.o.path, ...s.base], 'SLO_MISSING_KEY', 'the Sloth spec has no SLO to convert (`slos` is missing or empty)')]);
  }
  return result;
}

function build(specs: Spec[], file: string, skip: Map<string, string>, refusals: Diagnostic[]): BuildAttempt<string> {
  refusals.length = 0;
  const warnings: string[] = [];
  const first = specs[0];
  const serviceName = String(first.body.service);
  const service: NonNullable<ContractInput['service']> = { name: toName(serviceName, 'service') };
  if (service.name !== serviceName) {
    service.annotations = { [SLOTH_ANN.name]: serviceName };
    warnings.push(`the service name ${JSON.stringify(serviceName)} is not a sloctl name: the contract calls it "${service.name}"`);
  }
  const labels = stringMap(first.body.labels);
  if (labels && Object.keys(labels).length > 0) service.labels = labels;

  const slis: SliInput[] = [];
  const origin: string[] = [];
  const taken = new Set<string>();
  const firesAtOnce: string[] = [];
  specs.forEach((spec, si) => {
    const at = (path: Array<string | number>) => where(spec.o, [...spec.base, ...path]);
    const refuse = (path: Array<string | number>, message: string) =>
      refusals.push(located(file, spec.o.src.lines, spec.o.src.doc, [...spec.o.path, ...spec.base, ...path], 'SLO_INVALID_VALUE', message));
    if (spec.body.service !== serviceName) {
      warnings.push(`${at(['service'])}the spec for service "${spec.body.service}" is not converted: a sloctl contract is for one service ("${serviceName}"); split the file`);
      return;
    }
    if (si > 0 && JSON.stringify(stringMap(spec.body.labels) ?? {}) !== JSON.stringify(labels ?? {})) {
      warnings.push(`${at(['labels'])}the labels of this spec differ from the first spec's: the contract's service has the first spec's labels`);
    }
    for (const key of Object.keys(spec.body)) {
      if (['version', 'service', 'labels', 'slos'].includes(key)) continue;
      if (key === 'slo_plugins' || key === 'sloPlugins') warnings.push(`${at([key])}SLO plugins (${describePlugins(spec.body[key])}) change the rules Sloth generates; sloctl has no plugins, so they are not converted`);
      else warnings.push(`${at([key])}\`${key}\` has no sloctl equivalent and is not converted`);
    }
    const slos = Array.isArray(spec.body.slos) ? spec.body.slos : [];
    slos.forEach((slo, i) => {
      const key = `${si}/${i}`;
      const prefix = at(['slos', i]);
      if (!isPlainObject(slo)) {
        warnings.push(`${prefix}SLO ${i + 1} is not a mapping: not converted`);
        refuse(['slos', i], `SLO ${i + 1} is not a mapping: not converted`);
        return;
      }
      const label = `SLO "${String(slo.name)}"`;
      if (skip.has(key)) {
        warnings.push(`${prefix}${label} is not converted: ${skip.get(key)}`);
        refuse(['slos', i], `${label} is not converted: ${skip.get(key)}`);
        return;
      }
      const r = convertSlo(slo, taken);
      if ('fail' in r) {
        warnings.push(`${at(['slos', i, ...(r.at ?? [])])}${label} is not converted: ${r.fail}`);
        refuse(['slos', i, ...(r.at ?? [])], `${label} is not converted: ${r.fail}`);
        return;
      }
      warnings.push(...r.warnings.map((w) => `${prefix}${label}: ${w}`));
      if (r.firesAtOnce) firesAtOnce.push(r.sli.name);
      taken.add(r.sli.name);
      slis.push(r.sli);
      origin.push(key);
    });
  });

  if (firesAtOnce.length > 0) {
    // Sloth's alert rules have no `for`: they fire on the first evaluation that sees both windows
    // burn. A sloctl tier's `for` is a duration above zero, so the rules wait their default.
    const which = firesAtOnce.length === 1 ? `SLO "${firesAtOnce[0]}"` : `SLOs ${firesAtOnce.map((n) => `"${n}"`).join(', ')}`;
    warnings.push(`${which}: Sloth's alerts have no \`for\` and fire on the first evaluation that sees the burn; a sloctl tier always waits its \`for\`, so the converted tiers wait sloctl's default ${formatDuration(DEFAULT_FOR_MS)} (set \`for\` on a tier to change it)`);
  }
  const contract: ContractInput = { apiVersion: 'sloctl/v1', service, window: SLOTH_DEFAULT_WINDOW, slis };
  const header = [
    `sloctl contract converted from Sloth (${file}) by \`sloctl convert --from sloth\`.`,
    `window: ${SLOTH_DEFAULT_WINDOW} is Sloth's default SLO period; the alert tiers are the ones Sloth generates for it.`,
  ];
  return { retry: false, result: { contract, text: contractText(contract, header, warnings), warnings }, origin };
}

/** The closest Prometheus alert name: other characters as `_`, a leading digit prefixed with `_`. */
export function toAlertName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function describePlugins(v: unknown): string {
  const chain = isPlainObject(v) && Array.isArray(v.chain) ? v.chain : [];
  const ids = chain.map((c) => (isPlainObject(c) ? String(c.id) : '?'));
  return ids.length > 0 ? ids.join(', ') : 'a plugin chain';
}

const SLO_KEYS = new Set(['name', 'objective', 'description', 'labels', 'sli', 'alerting']);

type SloFailure = { fail: string; /** where in the SLO, when more precise than the SLO itself */ at?: Array<string | number> };

/** Why a Sloth query is not one sloctl can take (it must be PromQL), or undefined. */
function queryProblem(query: string, field: string): string | undefined {
  const problems = checkPromql(toSloctlWindow(query).query).problems;
  if (problems.length === 0) return undefined;
  return `its ${field} is not PromQL (${problems[0].message}); sloctl's rules run in Prometheus, so only PromQL converts (MetricsQL and other dialects do not)`;
}

/** The key a Sloth spec used for a field, in whichever of its spellings. */
function keyOf(o: Obj, snake: string): string {
  return snake in o ? snake : snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function convertSlo(slo: Obj, taken: Set<string>): { sli: SliInput; warnings: string[]; firesAtOnce: boolean } | SloFailure {
  const warnings: string[] = [];
  if (typeof slo.name !== 'string' || slo.name === '') return { fail: 'it has no name' };
  if (typeof slo.objective !== 'number') return { fail: 'its objective is not a number (Sloth writes 99.9 for 99.9%)' };
  if (!(slo.objective > 0 && slo.objective < 100)) return { fail: `its objective ${slo.objective} is not strictly between 0 and 100, and a sloctl objective must leave an error budget` };
  const name = uniqueName(toName(slo.name), taken);
  const annotations: Record<string, string> = {};
  if (name !== slo.name) {
    annotations[SLOTH_ANN.name] = slo.name;
    warnings.push(`the name is not a sloctl name (or is taken): the SLI is called "${name}"`);
  }
  for (const key of Object.keys(slo)) {
    if (!SLO_KEYS.has(key)) warnings.push(`\`${key}\` has no sloctl equivalent and is not converted`);
  }

  // The SLI.
  const sli = isPlainObject(slo.sli) ? slo.sli : undefined;
  if (!sli) return { fail: 'it has no sli' };
  const kinds = ['events', 'raw', 'plugin'].filter((k) => sli[k] !== undefined);
  if (kinds.length !== 1) return { fail: `its sli needs exactly one of events, raw or plugin (has ${kinds.join(', ') || 'none'})` };
  const queries: Partial<SliInput> = {};
  if (isPlainObject(sli.events)) {
    const errorQuery = pick(sli.events, 'error_query');
    const totalQuery = pick(sli.events, 'total_query');
    if (typeof errorQuery !== 'string' || typeof totalQuery !== 'string') return { fail: 'its events SLI needs error_query and total_query', at: ['sli', 'events'] };
    for (const [field, q] of [['error_query', errorQuery], ['total_query', totalQuery]] as const) {
      const why = queryProblem(q, field);
      if (why) return { fail: why, at: ['sli', 'events', keyOf(sli.events, field)] };
    }
    queries.bad = toSloctlWindow(errorQuery).query;
    queries.total = toSloctlWindow(totalQuery).query;
  } else if (isPlainObject(sli.raw)) {
    const q = pick(sli.raw, 'error_ratio_query');
    if (typeof q !== 'string') return { fail: 'its raw SLI needs error_ratio_query', at: ['sli', 'raw'] };
    const why = queryProblem(q, 'error_ratio_query');
    if (why) return { fail: why, at: ['sli', 'raw', keyOf(sli.raw, 'error_ratio_query')] };
    queries.errorRatio = toSloctlWindow(q).query;
  } else if (sli.plugin !== undefined) {
    const id = isPlainObject(sli.plugin) ? String(sli.plugin.id) : '?';
    const opts = isPlainObject(sli.plugin) && isPlainObject(sli.plugin.options) ? ` with options ${JSON.stringify(sli.plugin.options)}` : '';
    return { at: ['sli', 'plugin'], fail: `its SLI is the plugin "${id}"${opts}, which builds its PromQL inside Sloth: write the queries it generates as \`bad\`/\`total\` (or \`errorRatio\`) of a custom SLI` };
  } else return { fail: 'its sli is not a mapping' };

  // Alerting.
  const alerting = isPlainObject(slo.alerting) ? slo.alerting : {};
  const out: NonNullable<SliInput['alerting']> = {};
  let firesAtOnce = false;
  if (typeof alerting.name === 'string' && alerting.name !== '') {
    // The contract's alerting.name is the burn-rate alert's name, as Sloth's is; it must be a
    // Prometheus name. One that is not (`slo_foo-bar_fail`) is made one, and the original kept.
    out.name = toAlertName(alerting.name);
    if (out.name !== alerting.name) {
      annotations[SLOTH_ANN.alertName] = alerting.name;
      warnings.push(`the alert name ${JSON.stringify(alerting.name)} is not a Prometheus alert name ([a-zA-Z_][a-zA-Z0-9_]*): the alerts are called "${out.name}" (the original is kept in annotation ${SLOTH_ANN.alertName})`);
    }
  }
  for (const [severity, key, tiers] of [['page', 'page_alert', SLOTH_PAGE_TIERS], ['ticket', 'ticket_alert', SLOTH_TICKET_TIERS]] as const) {
    const alert = pick(alerting, key);
    const a = isPlainObject(alert) ? alert : {};
    if (a.disable === true) {
      out[severity] = false;
      continue;
    }
    const forText = typeof a.for === 'string' && /^[0-9]+(ms|s|m|h|d|w)$/.test(a.for) ? a.for : undefined;
    out[severity] = tiers.map((t) => ({ ...t, ...(forText ? { for: forText } : {}) }));
    if (!forText) firesAtOnce = true;
    const kept: string[] = [];
    for (const [field, annKey] of [['labels', severity === 'page' ? SLOTH_ANN.pageLabels : SLOTH_ANN.ticketLabels], ['annotations', severity === 'page' ? SLOTH_ANN.pageAnnotations : SLOTH_ANN.ticketAnnotations]] as const) {
      const m = stringMap(a[field]);
      if (!m || Object.keys(m).length === 0) continue;
      annotations[annKey] = JSON.stringify(m);
      kept.push(`${field} ${JSON.stringify(m)} (kept in annotation ${annKey})`);
    }
    if (kept.length > 0) {
      warnings.push(`the ${key} ${kept.join(' and ')} apply to ${severity} alerts only, and sloctl's alerting.labels/annotations go on every alert of the SLI`);
    }
  }
  const alertLabels = stringMap(alerting.labels);
  const alertAnnotations = stringMap(alerting.annotations);
  if (alertLabels && Object.keys(alertLabels).length > 0) out.labels = alertLabels;
  if (alertAnnotations && Object.keys(alertAnnotations).length > 0) out.annotations = alertAnnotations;

  const sloLabels = stringMap(slo.labels);
  const result = {
    name,
    ...(typeof slo.description === 'string' ? { description: slo.description } : {}),
    ...queries,
    objective: formatPercent(slo.objective / 100),
    alerting: out,
    ...(sloLabels && Object.keys(sloLabels).length > 0 ? { labels: sloLabels } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  } as SliInput;
  return { sli: result, warnings, firesAtOnce };
}
