// A sloctl contract as OpenSLO v1 documents: a Service, one SLO per custom SLI (the objectives of
// one OpenSLO SLO regrouped) and per built-in latency / errors / availability objective, with the
// queries sloctl's own rules read (src/emit/slos.ts: the contract's metric names, label mapping
// and selector). What OpenSLO cannot say is listed in `lost`.
import { ERROR_CLASS_DEFAULTS, type Contract, type CustomSli } from '../contract/schema.ts';
import { HTTP_ROLES } from '../contract/metric-names.ts';
import { labelMap, unseenClasses } from '../contract/label-map.ts';
import { WINDOW_PLACEHOLDER } from '../contract/promql.ts';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../contract/units.ts';
import { deepEqual, deepMerge, fromSloctlWindow, isPlainObject, yamlDocuments } from './common.ts';
import { badClasses } from '../contract/classify.ts';
import { errorsQueries, latencyQueries, planSlos, RECORD, sloSeries, type SloPlan, type TierPlan } from '../emit/slos.ts';
import { selector } from '../emit/promql.ts';
import {
  ANN, API_VERSION, DEFAULT_SOURCE, DEFAULT_WINDOW_TOKEN, deriveAlerting, deriveAlertMeta, deriveBudgeting, deriveSliceWindow,
  derivedShortMs, deriveWindow, fillQueryMark, hasQueryMark, isOwnAnnotation, placeholderQuery, ratioNumber, renderWindow, sameAlerting,
  sameAlertMeta, SLOCTL_ANN, sourceTypeOf, toShorthandRounded, windowLengthMs, type DocStore, type MetricRole, type SloWindow,
} from './openslo-shared.ts';

type Obj = Record<string, unknown>;

export interface OpenSloOutput {
  /** The OpenSLO documents, `---`-separated (or one YAML list, when the contract came from one). */
  text: string;
  /** One line per thing in the contract OpenSLO cannot express: what, and why. */
  lost: string[];
}

export interface OpenSloOptions {
  /**
   * Label matchers added to every raw selector of the built-in SLOs' queries, e.g. `job="checkout"`
   * (the CLI's `--selector`); default the contract's `metrics.selector`, as the rules use it.
   */
  selector?: string;
}

export function toOpenSlo(c: Contract, opts: OpenSloOptions = {}): OpenSloOutput {
  const lost: string[] = [];
  const base = opts.selector?.trim() || c.metrics?.selector?.trim() || undefined;
  const serviceAnn = c.service.annotations ?? {};
  const stored = storedDocuments(serviceAnn, lost);
  const docs: DocStore = new Map(stored.filter((d) => isPlainObject(d.metadata)).map((d) => [`${d.kind}/${(d.metadata as Obj).name}`, d]));
  const serviceName = serviceAnn[ANN.name] ?? c.service.name;

  const out: unknown[] = [];
  if (serviceAnn[ANN.serviceDocument] !== 'absent') out.push(serviceDocument(c, serviceName));

  // The alert tiers each SLO has in sloctl's own rules (`sloctl generate prometheus`): the written
  // ones, and the defaults an SLO without tiers gets, with the rules' `for`.
  const plans = new Map(planSlos(c, { selector: base }).slos.map((p) => [p.name, p]));
  const slis = [...builtInSlis(c, plans, base, lost), ...c.slis];
  const groups = new Map<string, CustomSli[]>();
  for (const s of slis) {
    const key = s.annotations?.[ANN.slo] ?? s.name;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const sliDocs = new Map<string, Obj>();
  for (const [sloName, members] of groups) {
    const { slo, sliDoc } = sloDocument(c, sloName, members, serviceName, docs, plans.get(members[0].name), lost);
    if (sliDoc) {
      const name = String((sliDoc.metadata as Obj).name);
      const seen = sliDocs.get(name);
      if (!seen) {
        sliDocs.set(name, sliDoc);
        out.push(sliDoc);
      } else if (!deepEqual(seen, sliDoc)) {
        lost.push(`SLO "${sloName}": its SLI document "${name}" differs from the one another SLO references; OpenSLO has one document per name, so the first is written`);
      }
    }
    out.push(slo);
  }
  out.push(...stored);
  lost.push(...notExpressible(c));

  const header = `# OpenSLO ${API_VERSION} documents for service "${c.service.name}", written by \`sloctl convert --to openslo\`.\n`;
  return { text: header + yamlDocuments(out, serviceAnn[ANN.listForm] === 'true'), lost };
}

function storedDocuments(ann: Record<string, string>, lost: string[]): Obj[] {
  const out: Obj[] = [];
  for (const [k, v] of Object.entries(ann)) {
    if (!k.startsWith(ANN.docPrefix)) continue;
    try {
      const doc = JSON.parse(v) as unknown;
      if (isPlainObject(doc)) out.push(doc);
      else lost.push(`service.annotations.${k}: not a stored OpenSLO document (a JSON object), left out`);
    } catch {
      lost.push(`service.annotations.${k}: not valid JSON, left out`);
    }
  }
  return out;
}

function json<T = unknown>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function userAnnotations(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const own = Object.entries(a).filter(([k]) => !isOwnAnnotation(k));
  return own.length > 0 ? Object.fromEntries(own) : undefined;
}

function serviceDocument(c: Contract, name: string): Obj {
  const s = c.service;
  const labels = { ...(s.owner !== undefined ? { owner: s.owner } : {}), ...(s.labels ?? {}) };
  const metadata: Obj = { name };
  if (s.displayName !== undefined) metadata.displayName = s.displayName;
  if (s.labels !== undefined || s.owner !== undefined) metadata.labels = labels;
  const annotations = userAnnotations(s.annotations);
  if (annotations) metadata.annotations = annotations;
  const doc = { apiVersion: API_VERSION, kind: 'Service', metadata, spec: { ...(s.description !== undefined ? { description: s.description } : {}) } };
  return deepMerge(doc, json(s.annotations?.[ANN.extra]) ?? {}) as Obj;
}

// --- SLOs ---------------------------------------------------------------------------------------

function sloDocument(c: Contract, sloName: string, members: CustomSli[], serviceName: string, docs: DocStore, plan: SloPlan | undefined, lost: string[]): { slo: Obj; sliDoc?: Obj } {
  const first = members[0];
  const a = first.annotations ?? {};
  const label = `SLO "${sloName}"`;

  const metadata: Obj = { name: sloName };
  if (first.displayName !== undefined) metadata.displayName = first.displayName;
  if (first.labels !== undefined) metadata.labels = first.labels;
  const annotations = userAnnotations(first.annotations);
  if (annotations) metadata.annotations = annotations;

  const spec: Obj = {};
  if (first.description !== undefined) spec.description = first.description;
  const service = a[ANN.service] ?? serviceName;
  if (service !== '') spec.service = service;

  // The indicator, inline or as its own SLI document.
  const indicatorSpec = indicatorSpecOf(first, docs);
  for (const m of members.slice(1)) {
    if (!deepEqual(queriesOf(m), queriesOf(first))) lost.push(`${label}: custom SLI "${m.name}" has other queries than "${first.name}", and the objectives of one OpenSLO SLO share one indicator: the queries of "${first.name}" are written`);
  }
  const indicatorExtra = json(a[ANN.indicatorExtra]) ?? {};
  const ref = a[ANN.indicatorRef];
  let sliDoc: Obj | undefined;
  if (ref !== undefined) {
    const meta: Obj = { name: ref };
    if (a[ANN.indicatorDisplayName] !== undefined) meta.displayName = a[ANN.indicatorDisplayName];
    sliDoc = deepMerge({ apiVersion: API_VERSION, kind: 'SLI', metadata: meta, spec: indicatorSpec }, indicatorExtra) as Obj;
    spec.indicatorRef = ref;
  } else {
    const meta: Obj = {};
    const indName = a[ANN.indicatorName] ?? sloName;
    if (indName !== '') meta.name = indName;
    if (a[ANN.indicatorDisplayName] !== undefined) meta.displayName = a[ANN.indicatorDisplayName];
    const ind = deepMerge({ metadata: meta, spec: indicatorSpec }, indicatorExtra) as Obj;
    if (isPlainObject(ind.metadata) && Object.keys(ind.metadata).length === 0 && a[ANN.indicatorName] === '') delete ind.metadata;
    spec.indicator = ind;
  }

  // The window: the original while it still means the SLI's window, else sloctl's.
  const effective: SloWindow = first.window ?? c.window;
  const originalWindow = a[ANN.timeWindow];
  const windowKept = originalWindow === undefined ? undefined : originalWindow === 'absent' ? { absent: true } : { value: json(originalWindow) };
  const derivedWindow = windowKept ? deriveWindow(windowKept.absent ? undefined : windowKept.value).window : undefined;
  if (windowKept && (derivedWindow === undefined ? first.window === undefined : deepEqual(derivedWindow, effective))) {
    if (!windowKept.absent) spec.timeWindow = windowKept.value;
  } else {
    const r = renderWindow(effective);
    spec.timeWindow = r.timeWindow;
    if (r.rounded) lost.push(`${label}: the window ${formatDuration(effective as number)} is not whole minutes, and OpenSLO durations are: written as ${(r.timeWindow[0] as Obj).duration}`);
  }

  // Budgeting.
  const budgeting = first.budgeting ?? c.budgeting;
  const originalBudgeting = a[ANN.budgetingMethod];
  if (originalBudgeting === 'absent' && first.budgeting === undefined) {
    // the original had none
  } else if (originalBudgeting !== undefined && originalBudgeting !== 'absent' && deriveBudgeting(originalBudgeting) === budgeting) spec.budgetingMethod = originalBudgeting;
  else spec.budgetingMethod = budgeting;

  spec.objectives = members.map((m) => objectiveOf(m, label, lost));

  // Alert policies: the original ones while they still say what the contract's tiers say, else
  // the tiers sloctl's rules alert on (defaults included), one policy each.
  const windowMs = windowLengthMs(c.window);
  const originalPolicies = a[ANN.alertPolicies];
  const alerting = first.alerting;
  const extras = alerting && (alerting.name !== undefined || alerting.runbook !== undefined || alerting.dashboard !== undefined || alerting.labels !== undefined || alerting.annotations !== undefined);
  if (originalPolicies !== undefined && sameAlerting(deriveAlerting(json(originalPolicies), docs, windowMs), alerting)) {
    spec.alertPolicies = json(originalPolicies);
    if (!sameAlertMeta(deriveAlertMeta(json(originalPolicies), docs), alerting)) lost.push(`${label}: alerting.name/runbook/dashboard/labels/annotations are not written as the contract has them: the SLO keeps its original alert policies (annotation ${ANN.alertPolicies}); delete that annotation to have sloctl write its own`);
  } else if (originalPolicies === undefined && alerting !== undefined && sameAlerting({ page: false, ticket: false }, alerting) && !extras) {
    // no alerts, as the original had none
  } else {
    const policies = renderPolicies(sloName, plan?.tiers ?? [], alerting, label, lost);
    if (policies.length > 0) spec.alertPolicies = policies;
  }

  const slo = deepMerge({ apiVersion: API_VERSION, kind: 'SLO', metadata, spec }, json(a[ANN.extra]) ?? {}) as Obj;
  return { slo, ...(sliDoc ? { sliDoc } : {}) };
}

function queriesOf(s: CustomSli): unknown {
  return { good: s.good, bad: s.bad, total: s.total, errorRatio: s.errorRatio, threshold: s.threshold?.query };
}

function indicatorSpecOf(s: CustomSli, docs: DocStore): Obj {
  const a = s.annotations ?? {};
  const spec: Obj = {};
  if (a[ANN.indicatorDescription] !== undefined) spec.description = a[ANN.indicatorDescription];
  const source = (role: MetricRole, query: string): Obj => {
    const stored = json(a[`${ANN.metricSource}.${role}`] ?? a[ANN.metricSource]) ?? DEFAULT_SOURCE;
    const token = a[`${ANN.windowPlaceholder}.${role}`] ?? a[ANN.windowPlaceholder] ?? DEFAULT_WINDOW_TOKEN;
    if (hasQueryMark(stored)) return { metricSource: fillQueryMark(stored, fromSloctlWindow(query, token)) };
    // A non-Prometheus source, kept verbatim while the contract still has its placeholder query.
    if (isPlainObject(stored) && query === placeholderQuery(role, sourceTypeOf(stored, docs))) return { metricSource: stored };
    return { metricSource: fillQueryMark(DEFAULT_SOURCE, fromSloctlWindow(query, token)) };
  };
  const counter = a[ANN.counter] === 'true' ? { counter: true } : a[ANN.counter] === 'false' ? { counter: false } : {};
  if (s.threshold) spec.thresholdMetric = source('threshold', s.threshold.query);
  else if (s.errorRatio !== undefined) {
    const success = a[ANN.rawType] === 'success';
    const e = s.errorRatio;
    const raw = !success ? e : e.startsWith('1 - (') && e.endsWith(')') ? e.slice(5, -1) : `1 - (${e})`;
    spec.ratioMetric = { ...counter, rawType: success ? 'success' : 'failure', raw: source('raw', raw) };
  } else {
    spec.ratioMetric = {
      ...counter,
      ...(s.good !== undefined ? { good: source('good', s.good) } : { bad: source('bad', s.bad!) }),
      total: source('total', s.total!),
    };
  }
  return spec;
}

function objectiveOf(s: CustomSli, label: string, lost: string[]): Obj {
  const a = s.annotations ?? {};
  const o: Obj = {};
  if (a[ANN.objectiveDisplayName] !== undefined) o.displayName = a[ANN.objectiveDisplayName];
  if (s.threshold) {
    o.op = s.threshold.op;
    o.value = s.threshold.value;
  }
  if (a[ANN.targetPercent] === 'true') o.targetPercent = ratioNumber(s.objective * 100);
  else o.target = ratioNumber(s.objective);
  const slice = s.timeslice as { target?: number; window: number } | undefined;
  if (slice) {
    if (slice.target !== undefined) o.timeSliceTarget = ratioNumber(slice.target);
    const original = json(a[ANN.timeSliceWindow]);
    if (original !== undefined && deriveSliceWindow(original) === slice.window) o.timeSliceWindow = original;
    else {
      const r = toShorthandRounded(slice.window);
      o.timeSliceWindow = r.text;
      if (r.rounded) lost.push(`${label}: the time slice ${formatDuration(slice.window)} of "${s.name}" is not whole minutes, and OpenSLO durations are: written as ${r.text}`);
    }
  }
  return deepMerge(o, json(a[ANN.objective]) ?? {}) as Obj;
}

/**
 * One AlertPolicy per tier, each with one burnrate AlertCondition: the burn rate, the long window
 * as its lookbackWindow, the rules' `for` as alertAfter, page or ticket as the severity; the short
 * window in SLOCTL_ANN.shortWindow when a reader would not derive it (1/12 of the long one); the
 * SLO's runbook, dashboard, alert name, labels and annotations on every policy.
 */
function renderPolicies(sloName: string, tiers: readonly TierPlan[], alerting: CustomSli['alerting'], label: string, lost: string[]): Obj[] {
  const ann: Record<string, string> = {
    ...(alerting?.runbook !== undefined ? { runbook: alerting.runbook } : {}),
    ...(alerting?.dashboard !== undefined ? { dashboard: alerting.dashboard } : {}),
    ...(alerting?.name !== undefined ? { [SLOCTL_ANN.alertName]: alerting.name } : {}),
    ...(alerting?.annotations ?? {}),
  };
  if (tiers.length === 0) {
    const what = [alerting?.name !== undefined && 'name', alerting?.runbook !== undefined && 'runbook', alerting?.dashboard !== undefined && 'dashboard', alerting?.labels !== undefined && 'labels', alerting?.annotations !== undefined && 'annotations'].filter(Boolean);
    if (what.length > 0) lost.push(`${label}: alerting.${what.join('/')} ${what.length === 1 ? 'is' : 'are'} not written: every alert tier is off (page and ticket false), and OpenSLO keeps these on an alert policy, which needs a condition`);
    return [];
  }
  const policies: Obj[] = [];
  const names = new Set<string>();
  const shorts: string[] = [];
  const counts = { page: 0, ticket: 0 };
  for (const t of tiers) {
    const i = ++counts[t.severity];
    const long = toShorthandRounded(t.longMs);
    if (long.rounded) lost.push(`${label}: the long window ${formatDuration(t.longMs)} of ${t.severity} tier ${i} is not whole minutes, and OpenSLO durations are: written as ${long.text}`);
    const after = toShorthandRounded(t.forMs);
    if (after.rounded) lost.push(`${label}: the \`for\` ${formatDuration(t.forMs)} of ${t.severity} tier ${i} is not whole minutes, and OpenSLO durations are: written as alertAfter ${after.text}`);
    // A reader derives the short window from the (written) long one; say it when that is not it.
    const ownShort = t.shortMs !== derivedShortMs(long.ms);
    if (ownShort) shorts.push(`${t.severity} tier ${i} (${formatDuration(t.shortMs)} of ${long.text})`);
    let name = `${sloName}-${t.severity}-${long.text.toLowerCase()}`.slice(0, 63).replace(/-+$/, '');
    for (let n = 2; names.has(name); n++) name = `${sloName.slice(0, 50)}-${t.severity}-${long.text.toLowerCase()}-${n}`;
    names.add(name);
    const metadata: Obj = { name };
    if (alerting?.labels !== undefined) metadata.labels = alerting.labels;
    if (Object.keys(ann).length > 0) metadata.annotations = ann;
    const conditionMeta: Obj = { name, ...(ownShort ? { annotations: { [SLOCTL_ANN.shortWindow]: formatDuration(t.shortMs) } } : {}) };
    policies.push({
      kind: 'AlertPolicy',
      metadata,
      spec: {
        alertWhenBreaching: true,
        conditions: [{
          kind: 'AlertCondition',
          metadata: conditionMeta,
          spec: { severity: t.severity, condition: { kind: 'burnrate', op: 'gt', threshold: t.burnRate, lookbackWindow: long.text, alertAfter: after.text } },
        }],
        notificationTargets: [],
      },
    });
  }
  if (shorts.length > 0) {
    lost.push(`${label}: the short windows of ${shorts.join(', ')} have no OpenSLO field (an AlertCondition has one lookbackWindow; a reader takes 1/12 of it): they are in the AlertCondition's annotation ${SLOCTL_ANN.shortWindow}, which \`sloctl convert --from openslo\` reads and other OpenSLO tools do not`);
  }
  return policies;
}

// --- the built-in objectives as OpenSLO SLOs -----------------------------------------------------

function metricName(c: Contract, role: 'requestDuration' | 'requests' | 'availability'): string {
  return c.metrics?.[role] ?? HTTP_ROLES[role].name;
}

/**
 * The latency, errors and availability objectives as custom SLIs. Their queries are the ones
 * sloctl's rules record (src/emit/slos.ts latencyQueries, errorsQueries), over `$window`: the
 * contract's metric names and label mapping (`metrics.labels`: promhttp's handler, a method in any
 * case, error classes from the status label), `le` matched as every client writes it, requests that
 * reached no route left out, and the selector's matchers on every raw selector.
 */
function builtInSlis(c: Contract, plans: ReadonlyMap<string, SloPlan>, base: string | undefined, lost: string[]): CustomSli[] {
  const out: CustomSli[] = [];
  const lm = labelMap(c);
  c.objectives.latency?.forEach((o) => {
    const q = latencyQueries(c, o, base);
    const scope = o.routes ? `routes ${o.routes.join(', ')}` : 'all routes';
    const own = q.groups.some((g) => g.thresholdMs !== o.threshold);
    out.push({
      name: o.name,
      description: `sloctl latency objective: requests (${scope}) that finish within ${formatDuration(o.threshold)}${own ? ' or their route\'s own threshold' : ''}`,
      good: q.good('increase', WINDOW_PLACEHOLDER),
      total: q.total('increase', WINDOW_PLACEHOLDER),
      objective: o.objective, budgeting: o.budgeting, alerting: o.alerting,
    });
    if (o.percentiles) {
      const p = Object.entries(o.percentiles).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${formatDuration(v as number)}`).join(', ');
      lost.push(`objectives.latency "${o.name}": the percentile ceilings (${p}) are a sloctl gate, not an OpenSLO objective (OpenSLO objectives are targets on a ratio or a threshold over the window)`);
    }
  });

  const e = c.objectives.errors;
  if (e) {
    // The classes sloctl's own rules count as errors: the contract's and the SDK's built-in
    // "unclassified" and "shed" (src/contract/classify.ts badClasses), so a request is bad in both
    // or in neither; from a status label, the classes a status shows (label-map.ts classSelectors).
    const q = errorsQueries(c, e.routes, base);
    const names = lm.errors.from === 'errorClass' ? badClasses(c).map((k) => k.name) : q.weighted.map(([, , n]) => n);
    if (names.length === 0) {
      const why = lm.errors.from === 'status' && badClasses(c).length > 0
        ? `no error class that counts as an error has a \`status\` to derive it from the status label ${lm.errors.label} (metrics.labels.status)`
        : 'no error class counts as an error (every weight is 0 or the class is good)';
      lost.push(`objectives.errors "${e.name}": ${why}, so there is no bad-event query to write`);
    } else {
      out.push({
        name: e.name,
        description: `sloctl errors objective: requests not failed with error class ${names.join(', ')}`,
        bad: q.bad('increase', WINDOW_PLACEHOLDER, { weighted: false }),
        total: q.total('increase', WINDOW_PLACEHOLDER),
        objective: e.objective, budgeting: e.budgeting, alerting: e.alerting,
      });
      const counted = q.weighted;
      if (counted.some(([w]) => w !== 1)) {
        const own = new Set(c.errorClasses.map((k) => k.name));
        const bad = lm.errors.from === 'errorClass' ? badClasses(c) : counted.map(([weight, , name]) => ({ name, weight }));
        const builtIn = bad.filter((k) => !own.has(k.name)).map((k) => k.name);
        const weights = bad.map((k) => `${k.name} ×${k.weight}`).join(', ');
        lost.push(`objectives.errors "${e.name}": the error-class weights (${weights}${builtIn.length > 0 ? `; ${builtIn.join(' and ')} ${builtIn.length === 1 ? 'is' : 'are'} the SDK's built-in ${builtIn.length === 1 ? 'class' : 'classes'}` : ''}) cannot be expressed: an OpenSLO ratio counts bad events, so the SLO counts each request of these classes as one bad event where sloctl's rules weigh it`);
      }
    }
    const unseen = lm.errors.from === 'status' ? unseenClasses(c) : [];
    if (unseen.length > 0) {
      lost.push(`objectives.errors "${e.name}": error classes the label mapping cannot see (no \`status\` to derive them from the status label ${lm.errors.label}; they are only seen client-side, in thrown errors): ${unseen.join(', ')}; neither this SLO nor sloctl's rules count them`);
    }
  }

  const av = c.objectives.availability;
  if (av) {
    const plan = plans.get(av.name);
    const w = av.weights;
    if (plan?.kind === 'availability' && plan.slice) {
      // No SDK gauge to read (a service the contract maps labels for): sloctl's rules record the
      // composite from its parts; the SLO reads that recorded series, as the rules' burn rates do.
      const recorded = sloSeries(plan, RECORD.availability);
      out.push({
        name: av.name,
        description: `sloctl availability objective: the composite availability (health, latency, success, dependencies) sloctl's rules record as ${RECORD.availability}`,
        errorRatio: `1 - (avg(avg_over_time(${recorded}[${WINDOW_PLACEHOLDER}])))`,
        objective: av.objective, budgeting: av.budgeting, alerting: av.alerting,
        annotations: { [ANN.rawType]: 'success' },
      });
      lost.push(`objectives.availability "${av.name}": the composite (health ${w.health}, latency ${w.latency}, success ${w.success}, dependencies ${w.dependencies}) of a service without the SDK's ${metricName(c, 'availability')} gauge is built by the rules of \`sloctl generate prometheus\`, which record it as ${recorded}: the OpenSLO SLO reads that series, so those rules must be loaded in the Prometheus it queries, and a contract converted back from these documents (where this SLO is a custom SLI) no longer records it`);
    } else {
      const gauge = selector(metricName(c, 'availability'), base);
      out.push({
        name: av.name,
        description: `sloctl availability objective: the composite availability (health, latency, success, dependencies) the SDK reports as ${metricName(c, 'availability')}`,
        // avg(): one value over every instance the selector matches, as the rules average them.
        errorRatio: `1 - (avg(avg_over_time(${gauge}[${WINDOW_PLACEHOLDER}])))`,
        objective: av.objective, budgeting: av.budgeting, alerting: av.alerting,
        annotations: { [ANN.rawType]: 'success' },
      });
      lost.push(`objectives.availability "${av.name}": the composite's weights (health ${w.health}, latency ${w.latency}, success ${w.success}, dependencies ${w.dependencies}) are applied by the SDK; the OpenSLO SLO reads the composite gauge ${metricName(c, 'availability')} and cannot say how it is made`);
    }
  }

  if (lm.mapped || base !== undefined) {
    const what = [lm.mapped && `the label mapping (metrics.labels: route ${lm.route}, method ${lm.method} in any case, ${lm.errors.from === 'status' ? `error classes from the status label ${lm.errors.label}` : `error class ${lm.errors.label}`})`, base !== undefined && `the selector ${base}`].filter(Boolean).join(' and ');
    lost.push(`metrics: ${what} ${lm.mapped && base !== undefined ? 'are' : 'is'} written into the built-in SLOs' queries, which match the series sloctl's rules read; \`sloctl convert --from openslo\` reads these SLOs back as custom SLIs with those queries, not as latency/errors objectives over a mapping`);
  }
  return out;
}

/** Everything else in the contract: sections OpenSLO has no place for. */
function notExpressible(c: Contract): string[] {
  const lost: string[] = [];
  const o = c.objectives;
  if (c.target) lost.push(`target: how sloctl starts or reaches the service (${c.target.url ?? `run: ${c.target.run}`}, health ${c.target.health}, metrics ${c.target.metrics}) is test set-up, which OpenSLO does not describe`);
  if (c.bucket !== 60_000) lost.push(`bucket ${formatDuration(c.bucket)}: the width of sloctl's aggregation buckets has no OpenSLO equivalent`);
  if (c.scrapeInterval !== 15_000) lost.push(`scrapeInterval ${formatDuration(c.scrapeInterval)}: how often sloctl scrapes is not part of an OpenSLO spec`);
  if (o.errors || o.availability || !deepEqual(c.errorClasses, ERROR_CLASS_DEFAULTS)) {
    const lm = labelMap(c);
    lost.push(lm.errors.from === 'status'
      ? `errorClasses (${c.errorClasses.map((k) => k.name).join(', ')}): the classes are derived from the status label ${lm.errors.label} of ${metricName(c, 'requests')} by their \`status\` (first class that matches wins); the queries match those statuses, and OpenSLO has no notion of the classes`
      : `errorClasses (${c.errorClasses.map((k) => k.name).join(', ')}): how errors are classified (statuses, error names and codes along the cause chain) is done by ${lm.mapped ? 'the service' : 'the SDK'}, which labels ${metricName(c, 'requests')} with ${lm.errors.label}; OpenSLO only sees the label`);
  }
  if (c.probes.length > 0) lost.push(`probes (${c.probes.map((p) => (typeof p === 'string' ? p : p.path)).join(', ')}): kept out of every SLI by the SDK; OpenSLO has no notion of excluded requests`);
  if (c.routes.length > 0) lost.push(`routes: the business weights (${c.routes.map((r) => `${r.name} ${r.weight}`).join(', ')}), SLI classes and per-route dependencies have no OpenSLO equivalent; routes appear only as ${labelMap(c).method}/${labelMap(c).route} matchers in the queries`);
  if (c.load) lost.push(`load: the load profile (${formatRate(c.load.rate)} for ${formatDuration(c.load.duration)}, a mix of ${c.load.mix.length} routes) is how sloctl tests the contract, not part of an SLO`);
  if (c.dependencies.length > 0) lost.push(`dependencies (${c.dependencies.map((d) => d.name).join(', ')}): timeouts, breakers and fallbacks of dependencies have no OpenSLO equivalent`);
  if (o.throughput) lost.push(`objectives.throughput: a sustained business-weighted rate (minimum ${formatRate(o.throughput.minimum)}${o.throughput.findKnee ? ', with a search for the capacity knee' : ''}) is a capacity test, not a ratio over a window`);
  if (o.memory) {
    const parts = [o.memory.heap && `heap ${formatBytes(o.memory.heap.warn)}/${formatBytes(o.memory.heap.critical)}`, o.memory.rss && `RSS ${formatBytes(o.memory.rss.warn)}/${formatBytes(o.memory.rss.critical)}`, o.memory.perRequest !== undefined && `${formatBytes(o.memory.perRequest)} per request`].filter(Boolean);
    lost.push(`objectives.memory (${parts.join(', ')}): warn/critical thresholds under load, with profiles captured as evidence, are a load-test verdict; OpenSLO has no place for them`);
  }
  if (o.concurrency) lost.push(`objectives.concurrency (${Object.keys(o.concurrency).filter((k) => !['capture', 'pprof'].includes(k)).join(', ')}): warn/critical thresholds on runtime saturation are a load-test verdict; OpenSLO has no place for them`);
  if (o.dependencies) lost.push('objectives.dependencies: the rules that every dependency declares a timeout, breaker or fallback are static checks of the contract; OpenSLO has no place for them');
  if (o.regression) lost.push(`objectives.regression: comparing with the last accepted build (p95 +${formatPercent(o.regression.p95)}, error ratio +${formatPercent(o.regression.errorRatio)}) is a CI gate, not an SLO`);
  if (o.resilience) lost.push(`objectives.resilience: the drills (${o.resilience.drills.map((d) => d.name).join(', ')}) with their degraded objectives and detection/recovery bounds are fault-injection tests; OpenSLO has no place for them`);
  if (o.drift) lost.push(`objectives.drift: the drift responder (${o.drift.action} after ${o.drift.signals.map((s) => s.signal).join(', ')} drift) is runtime behaviour of the SDK, not an SLO`);
  if (o.observability) lost.push(`objectives.observability: checks of the exposed metrics (at most ${o.observability.maxSeries} series, HELP text) are about instrumentation, not an SLO`);
  return lost;
}
