// The metrics registered in bulk by one call: prom-client's default metrics, sloctl's SDK, and
// client_golang's default collectors. The names come from the contract's own table so the code
// check and the contract can never disagree about them; only the types are added here.

import {
  CLIENT_GOLANG_DEFAULT_METRICS,
  HTTP_ROLES,
  PROM_CLIENT_DEFAULT_METRICS,
  SDK_REGISTERED,
  type MetricRole,
} from '../contract/metric-names.ts';
import type { RegisteredMetric, RegisteredMetricType } from './types.ts';

/** Where a bulk registration happened, and what to call it. */
export interface BulkSite {
  file: string;
  line: number;
  col: number;
  via: string;
}

// Every default metric not listed here is a gauge. Note prom-client's `*_total` handle and
// request counts are gauges too, which is why the type is not read off the suffix.
const PROM_CLIENT_NON_GAUGES: Readonly<Record<string, RegisteredMetricType>> = {
  process_cpu_user_seconds_total: 'counter',
  process_cpu_system_seconds_total: 'counter',
  process_cpu_seconds_total: 'counter',
  nodejs_gc_duration_seconds: 'histogram',
};

const CLIENT_GOLANG_NON_GAUGES: Readonly<Record<string, RegisteredMetricType>> = {
  go_gc_duration_seconds: 'summary',
  go_memstats_alloc_bytes_total: 'counter',
  go_memstats_lookups_total: 'counter',
  go_memstats_mallocs_total: 'counter',
  go_memstats_frees_total: 'counter',
  process_cpu_seconds_total: 'counter',
  process_network_receive_bytes_total: 'counter',
  process_network_transmit_bytes_total: 'counter',
};

/** `collectDefaultMetrics({ prefix })`: prom-client prefixes every default metric. */
export function promClientDefaults(site: BulkSite, prefix = ''): RegisteredMetric[] {
  return PROM_CLIENT_DEFAULT_METRICS.map((name) => at(site, prefix + name, PROM_CLIENT_NON_GAUGES[name] ?? 'gauge', 'runtime'));
}

/** `instrument()` registers the SDK's own metrics and turns prom-client's defaults on. */
export function sdkMetrics(site: BulkSite): RegisteredMetric[] {
  const own = SDK_REGISTERED.map((role) => withLabels(at(site, role.name, role.type, 'sdk'), role as MetricRole));
  return [...own, ...promClientDefaults(site)];
}

/** sloctl's Go middleware (`sloctl.New`) registers the HTTP roles' series, the Node SDK's names (go/sloctl/names.go). */
export function goSdkMetrics(site: BulkSite): RegisteredMetric[] {
  return Object.values(HTTP_ROLES).map((role) => withLabels(at(site, role.name, role.type, 'sdk'), role as MetricRole));
}

/** The SDK's label names on the series that have them in the roles' table (the request histogram and counter). */
function withLabels(m: RegisteredMetric, role: MetricRole): RegisteredMetric {
  return role.labels ? { ...m, labels: [...role.labels], labelsAt: { line: m.line, col: m.col } } : m;
}

/** The Go and process collectors every client_golang default registry carries. */
export function clientGolangDefaults(site: BulkSite): RegisteredMetric[] {
  return CLIENT_GOLANG_DEFAULT_METRICS.map((name) => at(site, name, CLIENT_GOLANG_NON_GAUGES[name] ?? 'gauge', 'runtime'));
}

function at(site: BulkSite, name: string, type: RegisteredMetricType, bulk: 'sdk' | 'runtime'): RegisteredMetric {
  return { name, type, file: site.file, line: site.line, col: site.col, via: site.via, bulk };
}
