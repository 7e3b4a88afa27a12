// sloctl/sdk/testing: the Node analogue of a fresh `prometheus.NewRegistry()` in a Go TestMain.
//
//   const sdk = instrument({ contract: 'slo.yaml', registry: testRegistry() });
//   ... drive the app ...
//   assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { error_class: 'server' }), 1);
import { Registry } from 'prom-client';
import { instrument, type InstrumentOptions, type Sdk } from './instrument.ts';
import type { ContractSource } from './contract-source.ts';

/** A registry of its own, so tests never see each other's metrics. */
export function testRegistry(): Registry {
  return new Registry();
}

/** An SDK on a fresh registry, without prom-client's default runtime metrics. */
export function instrumentForTest(contract: ContractSource, opts: Omit<InstrumentOptions, 'contract' | 'registry'> = {}): Sdk {
  return instrument({ defaultMetrics: false, ...opts, contract, registry: testRegistry() });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

/** Every sample of a metric family (by family name, or a histogram's `_bucket`/`_sum`/`_count` name). */
export async function samples(registry: Registry, name: string): Promise<Sample[]> {
  let family = registry.getSingleMetric(name);
  let only: string | undefined;
  if (family === undefined) {
    const suffix = SUFFIXES.find((s) => name.endsWith(s));
    if (suffix) {
      family = registry.getSingleMetric(name.slice(0, -suffix.length));
      only = name;
    }
  }
  if (family === undefined) return [];
  const data = await family.get();
  return data.values
    .map((v) => ({
      name: (v as { metricName?: string }).metricName ?? data.name,
      labels: Object.fromEntries(Object.entries(v.labels ?? {}).map(([k, x]) => [k, String(x)])),
      value: v.value,
    }))
    .filter((s) => only === undefined || s.name === only);
}

/**
 * The sum of the samples of `name` whose labels include `labels`; undefined when none match.
 * A histogram family name without a suffix reads its `_count`.
 */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const family = registry.getSingleMetric(name) as { type?: string } | undefined;
  const histogram = family?.type === 'histogram';
  const read = histogram ? `${name}_count` : name;
  const all = await samples(registry, read);
  const own = histogram ? all.filter((s) => s.name === read) : all;
  const hit = own.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit.length === 0 ? undefined : hit.reduce((a, s) => a + s.value, 0);
}

/** How many series the registry exposes (exposition lines that are samples). */
export async function seriesCount(registry: Registry): Promise<number> {
  const text = await registry.metrics();
  let n = 0;
  for (const line of text.split('\n')) if (line.length > 0 && line[0] !== '#') n++;
  return n;
}
