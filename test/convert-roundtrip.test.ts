// Property: for OpenSLO v1 documents of every shape the converter reads (generated), converting to a
// sloctl contract gives a contract that validates, and converting that back gives the same documents.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import { fromOpenSlo, toOpenSlo } from '../src/convert/openslo.ts';

type Obj = Record<string, unknown>;

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** An object without the keys whose value is undefined (as YAML would have it). */
const obj = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const name = fc.constantFrom('web', 'api-latency', 'checkout-orders', 'Big.SLO', 'GreatSLI', 'a');
const text = fc.constantFrom('Availability', 'p95 under 300ms', 'Orders: confirmed / created', 'ü ✓');
const labels = fc.option(fc.oneof(
  fc.dictionary(fc.constantFrom('team', 'env', 'tier'), fc.constantFrom('a', 'prod', '1')),
  fc.dictionary(fc.constantFrom('team', 'env'), fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 })),
), { nil: undefined });
const annotations = opt(fc.dictionary(fc.constantFrom('openslo.com/service-folder', 'example.com/owner', 'note'), fc.constantFrom('./x', 'team-a')));
const metadata = (n: fc.Arbitrary<string>) => fc.record({ name: n, displayName: opt(text), labels, annotations }).map(obj);

const promQuery = fc.constantFrom(
  'sum(increase(http_requests_total{code!~"5.."}[{{.window}}]))',
  'sum(rate(http_requests_total[{{ .window }}]))',
  'sum(http_requests{k8s_cluster="prod"})',
  '1 - (\n  sum(sum_over_time(r[{{.window}}]))\n  /\n  sum(count_over_time(r[{{.window}}]))\n)\n',
);
const metricSource = fc.oneof(
  fc.record({
    type: fc.constantFrom('Prometheus', 'prometheus', 'Thanos'),
    metricSourceRef: opt(fc.constantFrom('thanos', 'prom')),
    key: fc.constantFrom('query', 'promql'),
    query: promQuery,
    extra: opt(fc.constant(['following', 'another'])),
  }).map((m) => obj({ type: m.type, metricSourceRef: m.metricSourceRef, spec: obj({ [m.key]: m.query, dimensions: m.extra }) })),
  fc.record({ type: fc.constantFrom('Datadog', 'Any', 'CloudWatch'), query: fc.constantFrom('sum:trace.hits{*}.as_count()', 'Any', 'SELECT 1') })
    .map((m) => ({ type: m.type, metricSourceRef: 'dd', spec: { query: m.query } })),
);
const metric = metricSource.map((metricSource) => ({ metricSource }));

const ratioIndicator = fc.oneof(
  fc.record({ counter: opt(fc.boolean()), good: metric, total: metric }),
  fc.record({ counter: opt(fc.boolean()), bad: metric, total: metric }),
  fc.record({ rawType: fc.constantFrom('success', 'failure'), raw: metric }),
).map((r) => ({ ratioMetric: obj(r) }));
const thresholdIndicator = metric.map((m) => ({ thresholdMetric: m }));

const rolling = fc.constantFrom('5m', '90m', '1h', '1d', '2w', '28d', '30d', '4w', '1M').map((duration) => [{ duration, isRolling: true }]);
const calendar = fc.record({
  duration: fc.constantFrom('1M', '1w', '1Q', '1d', '1Y'),
  startTime: fc.constantFrom('2024-01-01 00:00:00', '2020-01-21 12:30:00'),
  timeZone: fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin'),
}).map((c) => [{ duration: c.duration, isRolling: false, calendar: { startTime: c.startTime, timeZone: c.timeZone } }]);

const objective = (threshold: boolean) => fc.record({
  displayName: opt(text),
  op: threshold ? fc.constantFrom('lt', 'lte', 'gt', 'gte') : opt(fc.constantFrom('gt', 'lte')),
  value: threshold ? fc.constantFrom(500, 0.3, 1000) : fc.constant(undefined),
  target: fc.oneof(
    { arbitrary: fc.record({ target: fc.constantFrom(0.9, 0.98, 0.995, 0.9995) }), weight: 5 },
    { arbitrary: fc.record({ targetPercent: fc.constantFrom(95, 99, 99.9, 99.99) }), weight: 5 },
    // sloctl has no 0% objective: the SLO is kept verbatim instead of converted.
    { arbitrary: fc.constant({ target: 0 }), weight: 1 },
  ),
  slice: opt(fc.record({ timeSliceTarget: opt(fc.constantFrom(0.9, 0.95, 1)), timeSliceWindow: fc.constantFrom('1m', '5m', 5, 10, '1h') })),
}).map((o) => obj({ displayName: o.displayName, op: o.op, value: o.value, ...o.target, ...(o.slice ? obj(o.slice) : {}) }));

const condition = fc.record({
  name: fc.constantFrom('fast-burn', 'slow-burn'),
  // What `sloctl convert --to openslo` writes for a short window that is not 1/12 of the long one.
  shortWindow: opt(fc.constantFrom('5m', '2m30s', 'junk')),
  severity: fc.constantFrom('page', 'ticket', 'critical', 'warning'),
  threshold: fc.constantFrom(14.4, 6, 2),
  lookbackWindow: fc.constantFrom('1h', '6h', '30m', '1d'),
  alertAfter: fc.constantFrom('0m', '5m'),
  op: fc.constantFrom('gt', 'gt', 'gt', 'lte'),
}).map((c) => ({ kind: 'AlertCondition', metadata: obj({ name: c.name, annotations: c.shortWindow ? { 'sloctl.dev/short-window': c.shortWindow } : undefined }), spec: { severity: c.severity, condition: { kind: 'burnrate', op: c.op, threshold: c.threshold, lookbackWindow: c.lookbackWindow, alertAfter: c.alertAfter } } }));
// Policy metadata sloctl reads into alerting (runbook, dashboard, alert name, annotations and string
// labels under Prometheus names) and metadata it leaves in the kept policies.
const policyAnnotations = opt(fc.dictionary(
  fc.constantFrom('runbook', 'dashboard', 'sloctl.dev/alert-name', 'playbook', 'openslo.com/service-folder'),
  fc.constantFrom('https://rb.example.com/a', 'https://rb.example.com/b', 'WebBurn', 'not a name'),
));
const policyLabels = opt(fc.dictionary(fc.constantFrom('team', 'env', 'bad-name'), fc.oneof(fc.constantFrom('a', 'prod'), fc.constant(['a', 'b']))));
const inlinePolicy = fc.record({ name: fc.constantFrom('page-me', 'ticket-me'), condition, noData: opt(fc.boolean()), annotations: policyAnnotations, labels: policyLabels })
  .map((p) => ({ kind: 'AlertPolicy', metadata: obj({ name: p.name, annotations: p.annotations, labels: p.labels }), spec: obj({ alertWhenNoData: p.noData, alertWhenBreaching: true, conditions: [p.condition], notificationTargets: [] }) }));

/** One SLO, and the documents it references (a separate SLI, an AlertPolicy document). */
const slo = fc.record({
  metadata: metadata(name),
  description: opt(text),
  service: fc.constantFrom('web', 'other'),
  threshold: fc.boolean(),
  indicatorMeta: metadata(fc.constantFrom('ind', 'ratio-of-good')),
  indicatorDescription: opt(text),
  separate: fc.boolean(),
  timeWindow: fc.oneof(rolling, calendar, fc.constant(undefined)),
  budgetingMethod: fc.constantFrom('Occurrences', 'Timeslices', 'RatioTimeslices', 'occurrences', undefined),
  policies: fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant([]), fc.array(inlinePolicy, { minLength: 1, maxLength: 2 }), fc.constant('ref')),
  ratio: ratioIndicator,
  thresholdMetric: thresholdIndicator,
  objectives: fc.integer({ min: 1, max: 3 }),
}).chain((s) => fc.array(objective(s.threshold), { minLength: s.objectives, maxLength: s.objectives }).map((objectives) => ({ ...s, objectives })));

function documents(slos: Obj[]): Obj[] {
  const docs: Obj[] = [{ apiVersion: 'openslo/v1', kind: 'Service', metadata: { name: 'web' }, spec: { description: 'the web service' } }];
  const policyDoc = { apiVersion: 'openslo/v1', kind: 'AlertPolicy', metadata: { name: 'shared-policy' }, spec: { alertWhenBreaching: true, conditions: [{ conditionRef: 'shared-condition' }], notificationTargets: [{ targetRef: 'mail' }] } };
  const conditionDoc = { apiVersion: 'openslo/v1', kind: 'AlertCondition', metadata: { name: 'shared-condition' }, spec: { severity: 'page', condition: { kind: 'burnrate', op: 'gt', threshold: 14.4, lookbackWindow: '1h', alertAfter: '5m' } } };
  let refs = false;
  slos.forEach((s, i) => {
    const meta = { ...(s.metadata as Obj), name: `${(s.metadata as Obj).name}${i === 0 ? '' : `-${i}`}` };
    const indicatorSpec = obj({ description: s.indicatorDescription, ...((s.threshold ? s.thresholdMetric : s.ratio) as Obj) });
    const spec: Obj = obj({ description: s.description, service: s.service });
    if (s.separate) {
      const sliName = `sli-${i}`;
      docs.push({ apiVersion: 'openslo/v1', kind: 'SLI', metadata: { ...(s.indicatorMeta as Obj), name: sliName }, spec: indicatorSpec });
      spec.indicatorRef = sliName;
    } else spec.indicator = { metadata: s.indicatorMeta, spec: indicatorSpec };
    if (s.timeWindow !== undefined) spec.timeWindow = s.timeWindow;
    if (s.budgetingMethod !== undefined) spec.budgetingMethod = s.budgetingMethod;
    spec.objectives = s.threshold ? (s.objectives as Obj[]).slice(0, 1) : s.objectives;
    if (s.policies === 'ref') {
      spec.alertPolicies = ['shared-policy'];
      refs = true;
    } else if (s.policies !== undefined) spec.alertPolicies = s.policies;
    docs.push({ apiVersion: 'openslo/v1', kind: 'SLO', metadata: meta, spec });
  });
  if (refs) docs.push(policyDoc, conditionDoc);
  return docs;
}

function objectsOf(text: string): Obj[] {
  return parseAllDocuments(text)
    .flatMap((d) => {
      const v = d.toJS() as unknown;
      return Array.isArray(v) ? v : v === null ? [] : [v];
    })
    .map((o) => JSON.stringify(o))
    .sort()
    .map((s) => JSON.parse(s) as Obj);
}

describe('OpenSLO round trip (property)', () => {
  it('generated OpenSLO documents convert to a valid contract and back to the same documents', () => {
    fc.assert(
      fc.property(fc.array(slo, { minLength: 1, maxLength: 3 }), fc.boolean(), (slos, listForm) => {
        const docs = documents(slos);
        const text = listForm ? stringify(docs) : docs.map((d) => stringify(d)).join('---\n');
        const result = fromOpenSlo(text, 'gen.yaml');
        const loaded = parseContract(result.text, 'slo.yaml');
        assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
        const back = toOpenSlo(loaded.contract!);
        assert.deepEqual(back.lost, []);
        const sortKeys = (v: unknown): unknown => Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
        assert.deepEqual(sortKeys(objectsOf(back.text).map((o) => JSON.stringify(sortKeys(o))).sort()), sortKeys(objectsOf(text).map((o) => JSON.stringify(sortKeys(o))).sort()));
      }),
      { numRuns: 300 },
    );
  });
});
