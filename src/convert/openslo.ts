// OpenSLO v1 in and out: `fromOpenSlo` reads Service, SLO, SLI and AlertPolicy documents (with
// AlertCondition / AlertNotificationTarget / DataSource kept as they are) into a sloctl contract;
// `toOpenSlo` (openslo-write.ts) writes a contract back.
//
// An OpenSLO SLO becomes one custom SLI (`slis:`) per objective. What sloctl has no field for is
// kept in `openslo.com/...` annotations (see openslo-shared.ts), so writing the contract back gives
// the same documents; what sloctl cannot use is also reported as a warning.
import type { Diagnostic } from '../contract/diagnostic.ts';
import { checkPromql } from '../contract/promql.ts';
import { contractSchema, type ContractInput } from '../contract/schema.ts';
import { formatDuration, formatPercent } from '../contract/units.ts';
import {
  buildValidContract, clone, container, ConvertError, contractText, deepEqual, isPlainObject, isValidName, located, prune, readObjects,
  toName, toSloctlWindow, uniqueName, where, type BuildAttempt, type ConvertResult, type SourceObject,
} from './common.ts';
import {
  ANN, API_VERSION, DEFAULT_SOURCE, DEFAULT_WINDOW_TOKEN, deriveAlerting, deriveAlertMeta, isOwnAnnotation, deriveBudgeting, deriveSliceWindow, deriveWindow,
  placeholderQuery, PROMQL_SOURCE, QUERY_MARK, renderWindow, resolveConditions, resolvePolicies, sourceTypeOf, toShorthand,
  windowLengthMs, type Budgeting, type DocStore, type MetricRole, type SloWindow, type Tier,
} from './openslo-shared.ts';

export { toOpenSlo } from './openslo-write.ts';
export type { ConvertResult } from './common.ts';

type SliInput = NonNullable<ContractInput['slis']>[number];
type Obj = Record<string, unknown>;

const KNOWN_KINDS = new Set(['Service', 'SLO', 'SLI', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'DataSource']);

interface Input {
  file: string;
  objects: SourceObject[];
  listForm: boolean;
  kinds: string[];
  names: Array<string | undefined>;
  docs: DocStore;
  /** Index of the Service document that is the contract's service, if any. */
  primaryService?: number;
  /** The service name as OpenSLO writes it (SLOs' spec.service compare with this). */
  serviceName: string;
}

export function fromOpenSlo(text: string, file: string): ConvertResult {
  const input = analyze(text, file);
  return buildValidContract<number>(file, input.objects.length, (failed) => build(input, failed));
}

/** Reads the objects and checks they are OpenSLO v1 documents of a kind; picks the contract's service. */
function analyze(text: string, file: string): Input {
  const { objects, listForm } = readObjects(text, file, 'OpenSLO document');
  const errors: Diagnostic[] = [];
  const kinds: string[] = [];
  const names: Array<string | undefined> = [];
  const docs = new Map<string, Obj>();
  for (const o of objects) {
    const v = o.value;
    const at = (key: string, message: string, hint?: string) => located(file, o.src.lines, o.src.doc, [...o.path, key], 'SLO_INVALID_VALUE', message, hint);
    if (v.apiVersion === undefined) {
      const sloth = v.version === 'prometheus/v1' ? 'this looks like a Sloth spec: convert it with --from sloth' : undefined;
      errors.push({ ...located(file, o.src.lines, o.src.doc, [...o.path, ...(sloth ? ['version'] : [])], 'SLO_MISSING_KEY', 'this document has no apiVersion: OpenSLO documents start with `apiVersion: openslo/v1`', sloth) });
    } else if (v.apiVersion !== API_VERSION) {
      const hint = String(v.apiVersion).startsWith('openslo/')
        ? 'rewrite the documents as openslo/v1 (its fields are described in the OpenSLO README)'
        : v.apiVersion === 'sloctl/v1' ? 'this is a sloctl contract already: write it as OpenSLO with --to openslo'
        : v.apiVersion === 'sloth.slok.dev/v1' ? 'this is a Sloth resource: convert it with --from sloth' : undefined;
      errors.push(at('apiVersion', `apiVersion ${JSON.stringify(v.apiVersion)} is not supported: sloctl reads OpenSLO ${API_VERSION}`, hint));
    }
    if (typeof v.kind !== 'string') errors.push({ ...at('kind', 'this document has no kind (Service, SLO, SLI, AlertPolicy, ...)'), code: 'SLO_MISSING_KEY' as const });
    const meta = isPlainObject(v.metadata) ? v.metadata : undefined;
    const name = typeof meta?.name === 'string' ? meta.name : undefined;
    if ((v.kind === 'SLO' || v.kind === 'Service' || v.kind === 'SLI') && name === undefined) {
      errors.push({ ...at('metadata', `this ${v.kind} has no metadata.name`), code: 'SLO_MISSING_KEY' as const });
    }
    kinds.push(String(v.kind));
    names.push(name);
    if (name !== undefined && !docs.has(`${v.kind}/${name}`)) docs.set(`${v.kind}/${name}`, v);
  }
  if (errors.length > 0) throw new ConvertError(errors);

  const primaryService = kinds.indexOf('Service');
  let serviceName: string | undefined;
  if (primaryService >= 0) serviceName = names[primaryService];
  else {
    const slo = objects.find((o, i) => kinds[i] === 'SLO' && isPlainObject(o.value.spec) && typeof o.value.spec.service === 'string');
    serviceName = slo ? String((slo.value.spec as Obj).service) : undefined;
  }
  if (serviceName === undefined) {
    throw new ConvertError([{ file, line: 1, col: 1, severity: 'error', code: 'SLO_MISSING_KEY', message: 'found no Service document and no SLO with spec.service: a sloctl contract needs the service it is for' }]);
  }
  return { file, objects, listForm, kinds, names, docs, primaryService: primaryService >= 0 ? primaryService : undefined, serviceName };
}

function build(input: Input, failed: Map<number, string>): BuildAttempt<number> {
  const { objects, kinds, names, docs, file } = input;
  const warnings: string[] = [];
  const serviceAnn: Record<string, string> = {};

  // The service.
  const service: NonNullable<ContractInput['service']> = { name: toName(input.serviceName, 'service') };
  if (service.name !== input.serviceName) {
    serviceAnn[ANN.name] = input.serviceName;
    warnings.push(`the service name ${JSON.stringify(input.serviceName)} is not a sloctl name: the contract calls it "${service.name}" (the original is kept in annotation ${ANN.name})`);
  }
  if (input.primaryService !== undefined) readService(objects[input.primaryService].value, service, serviceAnn);
  else serviceAnn[ANN.serviceDocument] = 'absent';
  if (input.listForm) serviceAnn[ANN.listForm] = 'true';

  // The SLOs to convert, and the window they share (the contract window), if they share one.
  const sloIdx = objects.map((_, i) => i).filter((i) => kinds[i] === 'SLO' && !failed.has(i));
  const windows = sloIdx.map((i) => deriveWindow(isPlainObject(objects[i].value.spec) ? (objects[i].value.spec as Obj).timeWindow : undefined).window);
  const topWindow = windows.length > 0 && windows[0] !== undefined && windows.every((w) => deepEqual(w, windows[0])) ? windows[0] : undefined;
  const windowMs = windowLengthMs(topWindow ?? 28 * 86_400_000);

  const taken = new Set<string>();
  const slis: SliInput[] = [];
  const sliOrigin: number[] = [];
  const usedSliDocs = new Set<string>();
  const usedAlertDocs = new Set<string>();
  const noAlerts: string[] = [];
  const policyWarned = new Set<string>();
  for (const i of sloIdx) {
    const r = convertSlo(objects[i], { docs, serviceName: input.serviceName, windowMs, topWindow, taken: new Set(taken) });
    if ('fail' in r) {
      failed.set(i, r.fail);
      return { retry: true };
    }
    for (const s of r.slis) {
      taken.add(s.name);
      slis.push(s);
      sliOrigin.push(i);
    }
    warnings.push(...r.warnings.map((w) => `${where(objects[i])}SLO "${names[i]}": ${w}`));
    if (r.sliDoc) usedSliDocs.add(r.sliDoc);
    if (r.noAlertPolicies) noAlerts.push(names[i]!);
    for (const p of r.policies) {
      if (p.key) usedAlertDocs.add(p.key);
      for (const c of p.conditionKeys) usedAlertDocs.add(c);
      const w = policyWarning(p.policy);
      const pname = isPlainObject(p.policy.metadata) ? String(p.policy.metadata.name ?? '') : '';
      if (w && !policyWarned.has(p.key ?? `inline/${names[i]}/${pname}`)) {
        policyWarned.add(p.key ?? `inline/${names[i]}/${pname}`);
        warnings.push(`${where(objects[i], ['spec', 'alertPolicies'])}alert policy "${pname}": ${w}`);
      }
    }
  }
  if (noAlerts.length > 0) {
    warnings.push(`${noAlerts.length === 1 ? `SLO "${noAlerts[0]}" declares` : `SLOs ${noAlerts.map((n) => `"${n}"`).join(', ')} declare`} no alertPolicies: the contract turns their alerts off (\`alerting: {page: false, ticket: false}\`), as the OpenSLO has none; delete those lines to get sloctl's default burn-rate alerts`);
  }

  // Everything else is kept verbatim, with a word on why.
  const docKeys = new Set<string>();
  objects.forEach((o, i) => {
    const kind = kinds[i];
    const name = names[i];
    if (i === input.primaryService) return;
    if (kind === 'SLO' && !failed.has(i)) return;
    if (kind === 'SLI' && name !== undefined && usedSliDocs.has(`SLI/${name}`)) return;
    let key = `${ANN.docPrefix}${kind}.${name ?? i + 1}`;
    for (let n = 2; docKeys.has(key); n++) key = `${ANN.docPrefix}${kind}.${name ?? i + 1}#${n}`;
    docKeys.add(key);
    serviceAnn[key] = JSON.stringify(o.value);
    const at = where(o);
    const kept = `kept verbatim in annotation ${key}`;
    switch (kind) {
      case 'SLO': warnings.push(`${at}SLO "${name}" is not converted: ${failed.get(i)}; ${kept}`); break;
      case 'Service': warnings.push(`${at}Service "${name}": a sloctl contract is for one service ("${input.serviceName}"); ${kept} (split the file to convert it)`); break;
      case 'SLI': warnings.push(`${at}SLI "${name}" is not used by any converted SLO, and a sloctl SLI needs an objective; ${kept}`); break;
      case 'AlertPolicy': if (!usedAlertDocs.has(`AlertPolicy/${name}`)) warnings.push(`${at}AlertPolicy "${name}" is not used by any converted SLO; ${kept}`); break;
      case 'AlertCondition': if (!usedAlertDocs.has(`AlertCondition/${name}`)) warnings.push(`${at}AlertCondition "${name}" is not used by any converted alert policy; ${kept}`); break;
      case 'AlertNotificationTarget': warnings.push(`${at}AlertNotificationTarget "${name}": sloctl has no notification targets (its alerts are Prometheus rules: route them in Alertmanager, e.g. on \`alerting.labels\`); ${kept}`); break;
      case 'DataSource': warnings.push(`${at}DataSource "${name}": connection details are not part of a sloctl contract (sloctl reads the service's /metrics or a Prometheus it is pointed at); ${kept}`); break;
      default: warnings.push(`${at}kind ${kind} is not one sloctl converts (it reads ${[...KNOWN_KINDS].join(', ')}); ${kept}`);
    }
  });

  if (Object.keys(serviceAnn).length > 0) service.annotations = { ...(service.annotations ?? {}), ...serviceAnn };
  const contract: ContractInput = { apiVersion: 'sloctl/v1', service };
  if (topWindow !== undefined) contract.window = windowInput(topWindow);
  contract.slis = slis;
  const header = [
    `sloctl contract converted from OpenSLO (${file}) by \`sloctl convert --from openslo\`.`,
    `Fields sloctl has no place for are kept in openslo.com/* annotations: \`sloctl convert --to openslo\` restores them.`,
  ];
  return { retry: false, result: { contract, text: contractText(contract, header, warnings), warnings }, origin: sliOrigin };
}

/** What an alert policy carries that sloctl does not use, in words (or undefined). */
function policyWarning(policy: Obj): string | undefined {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const parts: string[] = [];
  if (spec.alertWhenNoData === true) parts.push('alertWhenNoData');
  if (spec.alertWhenResolved === true) parts.push('alertWhenResolved');
  if (spec.alertWhenBreaching === false) parts.push('alertWhenBreaching: false');
  if (Array.isArray(spec.notificationTargets) && spec.notificationTargets.length > 0) parts.push('notification targets');
  if (parts.length === 0) return undefined;
  return `sloctl has no equivalent of its ${parts.join(', ')} (sloctl alerts fire while breaching, through Prometheus and Alertmanager): kept in annotations; its burn-rate conditions are converted`;
}

function readService(v: Obj, service: NonNullable<ContractInput['service']>, ann: Record<string, string>): void {
  const { apiVersion: _a, kind: _k, metadata, spec, ...restTop } = v;
  const meta = isPlainObject(metadata) ? metadata : {};
  const { name: _n, displayName, labels, annotations, ...restMeta } = meta;
  const sp = isPlainObject(spec) ? spec : {};
  const { description, ...restSpec } = sp;
  const extra: Obj = container({ ...restTop, metadata: container({ ...restMeta }), spec: container({ ...restSpec }) });
  if (!isPlainObject(spec) && spec !== undefined) extra.spec = spec;
  if (typeof displayName === 'string') service.displayName = displayName;
  else if (displayName !== undefined) (extra.metadata as Obj).displayName = displayName;
  if (typeof description === 'string') service.description = description;
  else if (description !== undefined) (extra.spec as Obj).description = description;
  const l = splitStringMap(labels);
  if (l.strings) service.labels = l.strings;
  if (l.rest !== undefined) (extra.metadata as Obj).labels = l.rest;
  const a = splitStringMap(annotations, true);
  if (a.strings && Object.keys(a.strings).length > 0) service.annotations = a.strings;
  if (a.rest !== undefined) (extra.metadata as Obj).annotations = a.rest;
  else if (isPlainObject(annotations) && Object.keys(annotations).length === 0) (extra.metadata as Obj).annotations = {};
  const pruned = prune(extra);
  if (pruned !== undefined) ann[ANN.extra] = JSON.stringify(pruned);
}

/** The string-valued entries of a labels/annotations map, and what is left (list values, a non-map). */
function splitStringMap(v: unknown, excludeOwn = false): { strings?: Record<string, string>; rest?: unknown } {
  if (v === undefined) return {};
  if (!isPlainObject(v)) return { rest: v };
  const strings: Record<string, string> = {};
  const rest: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' && !(excludeOwn && isOwnAnnotation(k))) strings[k] = x;
    else rest[k] = x;
  }
  const someStrings = Object.keys(strings).length > 0 || Object.keys(v).length === 0;
  return { ...(someStrings ? { strings } : {}), rest: Object.keys(rest).length > 0 ? rest : undefined };
}

function windowInput(w: SloWindow): NonNullable<SliInput['window']> {
  return typeof w === 'number' ? formatDuration(w) : { calendar: w.calendar, timeZone: w.timeZone };
}

function tiersInput(t: Tier[] | false): false | Array<{ burnRate: number; long: string; short: string; for?: string }> {
  if (t === false) return false;
  return t.map((x) => ({ burnRate: x.burnRate, long: formatDuration(x.long), short: formatDuration(x.short), ...(x.for !== undefined ? { for: formatDuration(x.for) } : {}) }));
}

interface SloCtx {
  docs: DocStore;
  serviceName: string;
  windowMs: number;
  topWindow?: SloWindow;
  taken: Set<string>;
}

interface UsedPolicy {
  policy: Obj;
  /** `AlertPolicy/<name>` when it is a separate document. */
  key?: string;
  conditionKeys: string[];
}

type SloResult =
  | { slis: SliInput[]; warnings: string[]; sliDoc?: string; noAlertPolicies: boolean; policies: UsedPolicy[] }
  | { fail: string };

let sliceTargetOptionalCache: boolean | undefined;
/** Whether this sloctl's schema accepts `timeslice` without `target` (RatioTimeslices has none). */
function sliceTargetOptional(): boolean {
  sliceTargetOptionalCache ??= contractSchema.safeParse({
    apiVersion: 'sloctl/v1', service: { name: 'x' },
    slis: [{ name: 'x', good: 'a', total: 'b', objective: '99%', timeslice: { window: '1m' } }],
  }).success;
  return sliceTargetOptionalCache;
}

function convertSlo(o: SourceObject, ctx: SloCtx): SloResult {
  const { apiVersion: _a, kind: _k, metadata, spec, ...restTop } = o.value;
  const meta = isPlainObject(metadata) ? metadata : {};
  const { name, displayName, labels, annotations, ...restMeta } = meta;
  const sloName = String(name);
  if (!isPlainObject(spec)) return { fail: 'it has no spec' };
  const { description, service, indicator, indicatorRef, timeWindow, budgetingMethod, objectives, alertPolicies, ...restSpec } = spec;
  const warnings: string[] = [];
  const ann: Record<string, string> = {};
  const extra: Obj = container({ ...restTop, metadata: container({ ...restMeta }), spec: container({ ...restSpec }) });
  const extraMeta = extra.metadata as Obj;
  const extraSpec = extra.spec as Obj;

  // Metadata and the service.
  const base: Partial<SliInput> = {};
  if (typeof displayName === 'string') base.displayName = displayName;
  else if (displayName !== undefined) extraMeta.displayName = displayName;
  if (typeof description === 'string') base.description = description;
  else if (description !== undefined) extraSpec.description = description;
  const l = splitStringMap(labels);
  if (l.strings) base.labels = l.strings;
  if (l.rest !== undefined) extraMeta.labels = l.rest;
  const a = splitStringMap(annotations, true);
  const userAnnotations = a.strings ?? {};
  if (a.rest !== undefined) extraMeta.annotations = a.rest;
  // The contract's annotations also hold the converter's own: an empty map is kept as such.
  else if (isPlainObject(annotations) && Object.keys(annotations).length === 0) extraMeta.annotations = {};
  if (typeof service === 'string') {
    if (service !== ctx.serviceName) {
      ann[ANN.service] = service;
      warnings.push(`it belongs to service "${service}", not "${ctx.serviceName}": converted into this contract, with spec.service kept in annotation ${ANN.service}`);
    }
  } else if (service === undefined) ann[ANN.service] = '';
  else extraSpec.service = service;

  // The indicator: inline, or a separate SLI document.
  let ind: IndicatorResult;
  let sliDoc: string | undefined;
  if (indicator !== undefined && indicatorRef !== undefined) return { fail: 'it has both indicator and indicatorRef' };
  if (indicatorRef !== undefined) {
    if (typeof indicatorRef !== 'string') return { fail: 'its indicatorRef is not a name' };
    const doc = ctx.docs.get(`SLI/${indicatorRef}`);
    if (!doc) return { fail: `its indicatorRef "${indicatorRef}" names no SLI document in the file` };
    ind = readIndicator(doc, true, sloName, ctx.docs);
    ann[ANN.indicatorRef] = indicatorRef;
    sliDoc = `SLI/${indicatorRef}`;
  } else if (isPlainObject(indicator)) {
    ind = readIndicator(indicator, false, sloName, ctx.docs);
  } else return { fail: 'it has no indicator and no indicatorRef' };
  if ('fail' in ind) return { fail: ind.fail };
  warnings.push(...ind.warnings);
  Object.assign(ann, ind.ann);

  // The window.
  const dw = deriveWindow(timeWindow);
  if (dw.note) warnings.push(dw.note);
  if (!('timeWindow' in spec)) ann[ANN.timeWindow] = 'absent';
  else if (dw.window === undefined || !deepEqual(renderWindow(dw.window).timeWindow, timeWindow)) ann[ANN.timeWindow] = JSON.stringify(timeWindow);
  if (dw.window !== undefined && !deepEqual(dw.window, ctx.topWindow)) base.window = windowInput(dw.window);

  // Budgeting.
  let budgeting: Budgeting | undefined;
  if (budgetingMethod === undefined) ann[ANN.budgetingMethod] = 'absent';
  else {
    budgeting = deriveBudgeting(budgetingMethod);
    if (!budgeting) return { fail: `its budgetingMethod ${JSON.stringify(budgetingMethod)} is not Occurrences, Timeslices or RatioTimeslices` };
    if (budgeting !== budgetingMethod) ann[ANN.budgetingMethod] = String(budgetingMethod);
    base.budgeting = budgeting;
  }

  // Alerting.
  const derived = deriveAlerting(alertPolicies, ctx.docs, ctx.windowMs, (m) => warnings.push(m));
  if ('alertPolicies' in spec) ann[ANN.alertPolicies] = JSON.stringify(alertPolicies);
  // The runbook, dashboard, alert name, labels and annotations the policies carry (as `--to openslo` writes them).
  const alertMeta = deriveAlertMeta(alertPolicies, ctx.docs, (m) => warnings.push(m));
  base.alerting = {
    ...(alertMeta.name !== undefined ? { name: alertMeta.name } : {}),
    page: tiersInput(derived.page),
    ticket: tiersInput(derived.ticket),
    ...(alertMeta.runbook !== undefined ? { runbook: alertMeta.runbook } : {}),
    ...(alertMeta.dashboard !== undefined ? { dashboard: alertMeta.dashboard } : {}),
    ...(alertMeta.labels !== undefined ? { labels: alertMeta.labels } : {}),
    ...(alertMeta.annotations !== undefined ? { annotations: alertMeta.annotations } : {}),
  };
  const policies: UsedPolicy[] = [];
  for (const p of resolvePolicies(alertPolicies, ctx.docs)) {
    if (!p.policy) continue;
    const conditionKeys = resolveConditions(p.policy, ctx.docs).filter((c) => c.ref !== undefined && c.condition).map((c) => `AlertCondition/${c.ref}`);
    policies.push({ policy: p.policy, ...(p.ref !== undefined ? { key: `AlertPolicy/${p.ref}` } : {}), conditionKeys });
  }

  // One sloctl SLI per objective.
  if (!Array.isArray(objectives) || objectives.length === 0) return { fail: 'it has no objectives' };
  const taken = ctx.taken;
  const slis: SliInput[] = [];
  for (let i = 0; i < objectives.length; i++) {
    const obj = objectives[i];
    if (!isPlainObject(obj)) return { fail: `objective ${i + 1} is not a mapping` };
    const { displayName: odn, op, value, target, targetPercent, timeSliceTarget, timeSliceWindow, ...restObj } = obj;
    const own: Record<string, string> = {};
    let ratio: number;
    if (typeof target === 'number') {
      ratio = target;
      if (targetPercent !== undefined) restObj.targetPercent = targetPercent;
    } else if (typeof targetPercent === 'number') {
      ratio = targetPercent / 100;
      own[ANN.targetPercent] = 'true';
      if (target !== undefined) restObj.target = target;
    } else return { fail: `objective ${i + 1} has no numeric target or targetPercent` };
    if (!(ratio > 0 && ratio < 1)) return { fail: `objective ${i + 1} targets ${formatPercent(ratio)}, and a sloctl objective is strictly between 0% and 100%` };

    const sli: Partial<SliInput> = {};
    if (ind.kind === 'threshold') {
      if (op !== 'lt' && op !== 'lte' && op !== 'gt' && op !== 'gte') return { fail: `objective ${i + 1} of a threshold metric needs op: lt, lte, gt or gte` };
      if (typeof value !== 'number') return { fail: `objective ${i + 1} of a threshold metric needs a numeric value` };
      sli.threshold = { query: ind.threshold!, op, value };
    } else {
      if (op !== undefined) restObj.op = op;
      if (value !== undefined) restObj.value = value;
    }

    // Time slices.
    const sliceMs = deriveSliceWindow(timeSliceWindow);
    const sliceTarget = typeof timeSliceTarget === 'number' && timeSliceTarget > 0 && timeSliceTarget <= 1 ? timeSliceTarget : undefined;
    const nativeSlice = sliceMs !== undefined && (sliceTarget !== undefined || (timeSliceTarget === undefined && sliceTargetOptional()));
    if (nativeSlice) {
      sli.timeslice = { ...(sliceTarget !== undefined ? { target: formatPercent(sliceTarget) } : {}), window: formatDuration(sliceMs!) } as SliInput['timeslice'];
      if (toShorthand(sliceMs!) !== timeSliceWindow) own[ANN.timeSliceWindow] = JSON.stringify(timeSliceWindow);
    } else {
      if (timeSliceTarget !== undefined) restObj.timeSliceTarget = timeSliceTarget;
      if (timeSliceWindow !== undefined) restObj.timeSliceWindow = timeSliceWindow;
      if (budgeting === 'Timeslices' || (budgeting === 'RatioTimeslices' && timeSliceWindow !== undefined)) {
        const missing = budgeting === 'RatioTimeslices' ? 'a slice `target`, which RatioTimeslices does not have' : 'both timeSliceTarget and timeSliceWindow';
        warnings.push(`objective ${i + 1}: sloctl's \`timeslice\` needs ${missing}; the slice settings are kept in annotation ${ANN.objective}`);
      }
    }
    if (typeof odn === 'string') own[ANN.objectiveDisplayName] = odn;
    else if (odn !== undefined) restObj.displayName = odn;
    if (Object.keys(restObj).length > 0) own[ANN.objective] = JSON.stringify(restObj);

    const wanted = objectives.length === 1 ? toName(sloName) : toName(`${sloName}-${slug(odn) || i + 1}`);
    const sliName = uniqueName(wanted, taken);
    if (sliName !== sloName) own[ANN.slo] = sloName;
    if (objectives.length === 1 && !isValidName(sloName)) warnings.push(`the name is not a sloctl name: the SLI is called "${sliName}" (the original is kept in annotation ${ANN.slo})`);

    const prunedExtra = prune(extra);
    const annotationsOut = { ...userAnnotations, ...ann, ...own, ...(prunedExtra !== undefined ? { [ANN.extra]: JSON.stringify(prunedExtra) } : {}) };
    const out = {
      name: sliName,
      ...(base.displayName !== undefined ? { displayName: base.displayName } : {}),
      ...(base.description !== undefined ? { description: base.description } : {}),
      ...(ind.kind === 'ratio' ? { ...(ind.good !== undefined ? { good: ind.good } : { bad: ind.bad }), total: ind.total } : {}),
      ...(ind.kind === 'raw' ? { errorRatio: ind.errorRatio } : {}),
      ...(sli.threshold ? { threshold: sli.threshold } : {}),
      objective: formatPercent(ratio),
      ...(base.window !== undefined ? { window: base.window } : {}),
      ...(base.budgeting !== undefined ? { budgeting: base.budgeting } : {}),
      ...(sli.timeslice ? { timeslice: sli.timeslice } : {}),
      alerting: base.alerting,
      ...(base.labels !== undefined ? { labels: base.labels } : {}),
      annotations: sortOwnLast(annotationsOut),
    } as SliInput;
    slis.push(out);
  }
  return { slis, warnings, sliDoc, noAlertPolicies: !('alertPolicies' in spec) || alertPolicies === null || (Array.isArray(alertPolicies) && alertPolicies.length === 0), policies };
}

function slug(v: unknown): string {
  return typeof v === 'string' ? v.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') : '';
}

/** The user's annotations first, the converter's own after them (in ANN order). */
function sortOwnLast(a: Record<string, string>): Record<string, string> {
  const order = Object.values(ANN) as string[];
  const rank = (k: string) => {
    const i = order.indexOf(k);
    if (i >= 0) return i + 1;
    if (k.startsWith(`${ANN.metricSource}.`)) return order.indexOf(ANN.metricSource) + 1.5;
    if (k.startsWith(`${ANN.windowPlaceholder}.`)) return order.indexOf(ANN.windowPlaceholder) + 1.5;
    return 0;
  };
  return Object.fromEntries(Object.entries(a).sort((x, y) => rank(x[0]) - rank(y[0])));
}

type IndicatorResult =
  | {
      kind: 'ratio' | 'raw' | 'threshold';
      good?: string;
      bad?: string;
      total?: string;
      errorRatio?: string;
      threshold?: string;
      ann: Record<string, string>;
      warnings: string[];
    }
  | { fail: string };

/** An inline `indicator` or a `kind: SLI` document: its queries, and annotations for the rest. */
function readIndicator(v: Obj, isDoc: boolean, sloName: string, docs: DocStore): IndicatorResult {
  const { apiVersion, kind, metadata, spec, ...restTop } = v;
  if (!isDoc) {
    if (apiVersion !== undefined) restTop.apiVersion = apiVersion;
    if (kind !== undefined) restTop.kind = kind;
  }
  const ann: Record<string, string> = {};
  const warnings: string[] = [];
  const extra: Obj = container({ ...restTop });
  if (isPlainObject(metadata)) {
    const { name, displayName, ...restMeta } = metadata;
    extra.metadata = container(restMeta);
    if (!isDoc) {
      if (typeof name === 'string') {
        if (name !== sloName) ann[ANN.indicatorName] = name;
      } else {
        ann[ANN.indicatorName] = '';
        if (name !== undefined) restMeta.name = name;
      }
    }
    if (typeof displayName === 'string') ann[ANN.indicatorDisplayName] = displayName;
    else if (displayName !== undefined) restMeta.displayName = displayName;
  } else if (!isDoc) {
    ann[ANN.indicatorName] = '';
    if (metadata !== undefined) extra.metadata = metadata;
  }
  if (!isPlainObject(spec)) return { fail: 'its indicator has no spec' };
  const { description, ratioMetric, thresholdMetric, ...restSpec } = spec;
  const extraSpec: Obj = container({ ...restSpec });
  extra.spec = extraSpec;
  if (typeof description === 'string') ann[ANN.indicatorDescription] = description;
  else if (description !== undefined) extraSpec.description = description;

  const sources: Partial<Record<MetricRole, unknown>> = {};
  const tokens: Partial<Record<MetricRole, string>> = {};
  const windowless: string[] = [];
  const foreign: Array<{ role: string; what: string }> = [];
  const read = (role: MetricRole, metricSpec: unknown, extraAt: Obj, extraKey: string | undefined): string | { fail: string } => {
    if (!isPlainObject(metricSpec) || !isPlainObject(metricSpec.metricSource)) return { fail: `its ${role} metric has no metricSource` };
    const { metricSource, ...restMS } = metricSpec;
    if (Object.keys(restMS).length > 0) {
      if (extraKey) extraAt[extraKey] = restMS;
      else Object.assign(extraAt, restMS);
    }
    const r = readSource(role, metricSource as Obj, docs);
    sources[role] = r.descriptor;
    if (r.token) tokens[role] = r.token;
    if (r.warning) warnings.push(r.warning);
    if (r.windowless) windowless.push(role);
    if (r.foreign) foreign.push({ role, what: r.foreign });
    return r.query;
  };

  let result: IndicatorResult;
  if (ratioMetric !== undefined && thresholdMetric !== undefined) return { fail: 'its indicator has both ratioMetric and thresholdMetric' };
  if (isPlainObject(ratioMetric)) {
    const { counter, good, bad, total, rawType, raw, ...restRM } = ratioMetric;
    extraSpec.ratioMetric = container(restRM);
    if (typeof counter === 'boolean') ann[ANN.counter] = String(counter);
    else if (counter !== undefined) restRM.counter = counter;
    if (raw !== undefined) {
      if (good !== undefined || bad !== undefined || total !== undefined) return { fail: 'its ratioMetric has raw beside good/bad/total' };
      if (rawType !== 'success' && rawType !== 'failure') return { fail: 'its raw ratioMetric needs rawType: success or failure' };
      const q = read('raw', raw, restRM, 'raw');
      if (typeof q !== 'string') return q;
      if (rawType === 'success') ann[ANN.rawType] = 'success';
      result = { kind: 'raw', errorRatio: rawType === 'success' ? `1 - (${q})` : q, ann, warnings };
    } else {
      if (good !== undefined && bad !== undefined) return { fail: 'its ratioMetric has both good and bad' };
      if (good === undefined && bad === undefined) return { fail: 'its ratioMetric has neither good nor bad (nor raw)' };
      if (total === undefined) return { fail: 'its ratioMetric has no total' };
      if (rawType !== undefined) restRM.rawType = rawType;
      const numerator = good !== undefined ? read('good', good, restRM, 'good') : read('bad', bad, restRM, 'bad');
      if (typeof numerator !== 'string') return numerator;
      const denominator = read('total', total, restRM, 'total');
      if (typeof denominator !== 'string') return denominator;
      result = { kind: 'ratio', ...(good !== undefined ? { good: numerator } : { bad: numerator }), total: denominator, ann, warnings };
    }
  } else if (isPlainObject(thresholdMetric)) {
    const restTM: Obj = container({});
    extraSpec.thresholdMetric = restTM;
    const q = read('threshold', thresholdMetric, restTM, undefined);
    if (typeof q !== 'string') return q;
    result = { kind: 'threshold', threshold: q, ann, warnings };
  } else return { fail: 'its indicator has neither ratioMetric nor thresholdMetric' };

  // The metric sources: one annotation when all roles share one, else one per role.
  const roles = Object.keys(sources) as MetricRole[];
  const descs = roles.map((r) => sources[r]);
  if (descs.every((d) => deepEqual(d, descs[0]))) {
    if (!deepEqual(descs[0], DEFAULT_SOURCE)) ann[ANN.metricSource] = JSON.stringify(descs[0]);
  } else {
    roles.forEach((r) => {
      if (!deepEqual(sources[r], DEFAULT_SOURCE)) ann[`${ANN.metricSource}.${r}`] = JSON.stringify(sources[r]);
    });
  }
  if (foreign.length > 0) {
    const same = foreign.every((f) => f.what === foreign[0].what);
    const what = same
      ? `the ${foreign.map((f) => f.role).join(' and ')} ${foreign.length === 1 ? 'metric' : 'metrics'} ${foreign[0].what}`
      : foreign.map((f) => `the ${f.role} metric ${f.what}`).join('; ');
    warnings.push(`${what}: the metricSource is kept verbatim in annotation ${ANN.metricSource}, and the contract has a placeholder query until you write the PromQL`);
  }
  if (windowless.length > 0) {
    const which = windowless.length === 1 ? `the ${windowless[0]} query has` : `the ${windowless.join(' and ')} queries have`;
    warnings.push(`${which} no {{.window}} range: sloctl expects each query to count the events of the SLO window (\`[$window]\`) and uses ${windowless.length === 1 ? 'it' : 'them'} as written (OpenSLO's \`counter: true\` leaves the counting to the tool)`);
  }
  // The window placeholder each query used ({{.window}} unless noted), so each is written back as it was.
  const used = Object.entries(tokens) as Array<[MetricRole, string]>;
  if (used.length > 0 && used.every(([, t]) => t === used[0][1])) {
    if (used[0][1] !== DEFAULT_WINDOW_TOKEN) ann[ANN.windowPlaceholder] = used[0][1];
  } else {
    for (const [role, t] of used) if (t !== DEFAULT_WINDOW_TOKEN) ann[`${ANN.windowPlaceholder}.${role}`] = t;
  }
  const extraPruned = prune(extra);
  if (extraPruned !== undefined) ann[ANN.indicatorExtra] = JSON.stringify(extraPruned);
  return result;
}

/** A metricSource: its PromQL (with `$window`), or a placeholder query when it is not PromQL. */
function readSource(role: MetricRole, ms: Obj, docs: DocStore): { query: string; descriptor: unknown; token?: string; warning?: string; windowless?: boolean; foreign?: string } {
  const type = sourceTypeOf(ms, docs);
  const promish = type === undefined ? undefined : PROMQL_SOURCE.test(type);
  const spec = isPlainObject(ms.spec) ? ms.spec : undefined;
  const key = spec && typeof spec.query === 'string' ? 'query' : spec && typeof spec.promql === 'string' ? 'promql' : undefined;
  let problem: string | undefined;
  if (promish !== false && key) {
    const t = toSloctlWindow(String(spec![key]));
    const first = checkPromql(t.query).problems[0];
    if (!first) {
      const descriptor = clone(ms);
      (descriptor.spec as Obj)[key] = QUERY_MARK;
      const warning = promish === undefined ? `the ${role} metricSource names no type: its query parses as PromQL, so it is read as Prometheus` : undefined;
      return { query: t.query, descriptor, ...(t.token ? { token: t.token } : {}), ...(warning ? { warning } : {}), windowless: role !== 'threshold' && !t.token };
    }
    problem = first.message;
  }
  return { query: placeholderQuery(role, type), descriptor: clone(ms), foreign: problem !== undefined ? `does not parse as PromQL (${problem})` : `comes from ${type ?? 'a metric source of no type'}, not Prometheus` };
}
