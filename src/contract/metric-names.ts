// The metrics a contract reads, by role, and the names sloctl's SDK gives them.
//
// A contract names roles (the latency histogram, the request counter, ...), not metric names,
// so the common case needs no `metrics:` section at all. A service instrumented some other way
// (a Go service with client_golang, a Node service with its own prom-client metrics) maps each
// role to its own name in the contract's `metrics:` section.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricRole {
  /** The default name: what sloctl's SDK (or the runtime's default collector) registers. */
  name: string;
  type: MetricType;
  help: string;
  /** Who registers it by default: the SDK, prom-client's default metrics, or client_golang's collectors. */
  source: 'sdk' | 'node-runtime' | 'go-runtime' | 'process';
  /** The label names of its series as sloctl's SDKs (Node and Go) write them, where the code check compares them. */
  labels?: readonly string[];
}

/** Roles read for any HTTP service, whatever its runtime. */
export const HTTP_ROLES = {
  requestDuration: {
    name: 'http_server_request_duration_seconds',
    type: 'histogram',
    help: 'Request latency in seconds, by method, route template, status class and SLI class.',
    source: 'sdk',
    labels: ['method', 'route', 'status_class', 'sli_class'],
  },
  requests: {
    name: 'http_server_requests_total',
    type: 'counter',
    help: 'Finished requests by method, route template, status class and error class ("none" when good).',
    source: 'sdk',
    labels: ['method', 'route', 'status_class', 'error_class'],
  },
  weightedRequests: {
    name: 'sloctl_weighted_requests_total',
    type: 'counter',
    help: "Finished requests, each counted with its route's business weight from the contract.",
    source: 'sdk',
  },
  inFlight: {
    name: 'http_server_active_requests',
    type: 'gauge',
    help: 'Requests accepted and not yet finished.',
    source: 'sdk',
  },
  errorClassWeight: {
    name: 'sloctl_error_class_weight',
    type: 'gauge',
    help: 'The weight the contract gives each error class.',
    source: 'sdk',
  },
  availability: {
    name: 'sloctl_availability',
    type: 'gauge',
    help: 'The composite availability (0..1) the health endpoint reports.',
    source: 'sdk',
  },
  dependencyUp: {
    name: 'sloctl_dependency_up',
    type: 'gauge',
    help: '1 when a declared dependency is usable (breaker closed, check passing), 0 when not; no series until a breaker or check reports it.',
    source: 'sdk',
  },
} as const satisfies Record<string, MetricRole>;

/** Runtime roles for a Node service: prom-client's default metrics, plus what they lack. */
export const NODE_RUNTIME_ROLES = {
  eventLoopDelay: {
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'p99 event-loop delay (prom-client default metrics).',
    source: 'node-runtime',
  },
  eventLoopUtilization: {
    name: 'nodejs_eventloop_utilization',
    type: 'gauge',
    help: 'Event-loop utilization 0..1 (added by the SDK: prom-client lacks it).',
    source: 'sdk',
  },
  heapLimit: {
    name: 'nodejs_heap_size_limit_bytes',
    type: 'gauge',
    help: 'V8 heap size limit (added by the SDK: prom-client lacks it).',
    source: 'sdk',
  },
  heapUsed: {
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'V8 heap used (prom-client default metrics).',
    source: 'node-runtime',
  },
  rss: {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident set size (prom-client default metrics).',
    source: 'process',
  },
  handles: {
    name: 'nodejs_active_handles_total',
    type: 'gauge',
    help: 'Active libuv handles (prom-client default metrics).',
    source: 'node-runtime',
  },
} as const satisfies Record<string, MetricRole>;

/** Runtime roles for a Go service: client_golang's Go and process collectors. */
export const GO_RUNTIME_ROLES = {
  goroutines: {
    name: 'go_goroutines',
    type: 'gauge',
    help: 'Goroutines that currently exist (client_golang Go collector).',
    source: 'go-runtime',
  },
  heapUsed: {
    name: 'go_memstats_heap_inuse_bytes',
    type: 'gauge',
    help: 'Heap bytes in use (client_golang Go collector).',
    source: 'go-runtime',
  },
  rss: {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident set size (client_golang process collector).',
    source: 'process',
  },
} as const satisfies Record<string, MetricRole>;

/**
 * The count of major (full) garbage collections, by runtime: memory.ts takes a heap reading whose
 * count rose since the previous scrape as one after a major collection (the only heap readings
 * that show what is retained). Not a role: the Node count is one label value of a histogram.
 * - Node: prom-client's default metrics (sloctl's SDK registers them) observe each collection in
 *   a histogram by `kind` (major, minor, incremental, weakcb); a prefix given to
 *   collectDefaultMetrics is on it as on the heap gauge.
 * - Go: client_golang's Go collector (the default registry, and sloctl's Go middleware) exports
 *   the pause summary, whose count is every collection, each of them full.
 */
export const MAJOR_GC_COUNT = {
  node: { name: 'nodejs_gc_duration_seconds_count', kind: 'major' },
  go: { name: 'go_gc_duration_seconds_count' },
} as const;

/**
 * The SDK's gauge in a node:cluster worker (PM2's cluster mode too): the worker's id. Its /metrics
 * is then that worker's alone; a scraper reading it knows so, and sees the workers take turns.
 * Omitted by prom-client's AggregatorRegistry (merged, it would be no worker's).
 */
export const CLUSTER_WORKER = {
  name: 'sloctl_cluster_worker',
  type: 'gauge',
  help: "This process's node:cluster worker id: its /metrics counts this worker's requests alone (merge the workers' with prom-client's AggregatorRegistry).",
  source: 'sdk',
} as const satisfies MetricRole;

export type HttpRole = keyof typeof HTTP_ROLES;
export type NodeRuntimeRole = keyof typeof NODE_RUNTIME_ROLES;
export type GoRuntimeRole = keyof typeof GO_RUNTIME_ROLES;
export type Role = HttpRole | NodeRuntimeRole | GoRuntimeRole;

export const ALL_ROLE_NAMES: readonly Role[] = [
  ...new Set([...Object.keys(HTTP_ROLES), ...Object.keys(NODE_RUNTIME_ROLES), ...Object.keys(GO_RUNTIME_ROLES)]),
] as Role[];

/** The metrics the SDK's `instrument()` registers (so the code check counts them as registered). */
export const SDK_REGISTERED: readonly MetricRole[] = [
  ...Object.values(HTTP_ROLES),
  NODE_RUNTIME_ROLES.eventLoopUtilization,
  NODE_RUNTIME_ROLES.heapLimit,
];

/**
 * Metric names prom-client's `collectDefaultMetrics()` registers (prom-client 15), without prefix.
 * A call with `{ prefix: 'x_' }` registers each with that prefix.
 */
export const PROM_CLIENT_DEFAULT_METRICS: readonly string[] = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
];

/**
 * Metric names client_golang's Go collector and process collector register. Both are on
 * `prometheus.DefaultRegisterer`, so any service that serves `promhttp.Handler()` has them.
 */
export const CLIENT_GOLANG_DEFAULT_METRICS: readonly string[] = [
  'go_goroutines',
  'go_threads',
  'go_info',
  'go_gc_duration_seconds',
  'go_gc_gogc_percent',
  'go_gc_gomemlimit_bytes',
  'go_sched_gomaxprocs_threads',
  'go_memstats_alloc_bytes',
  'go_memstats_alloc_bytes_total',
  'go_memstats_sys_bytes',
  'go_memstats_lookups_total',
  'go_memstats_mallocs_total',
  'go_memstats_frees_total',
  'go_memstats_heap_alloc_bytes',
  'go_memstats_heap_sys_bytes',
  'go_memstats_heap_idle_bytes',
  'go_memstats_heap_inuse_bytes',
  'go_memstats_heap_released_bytes',
  'go_memstats_heap_objects',
  'go_memstats_stack_inuse_bytes',
  'go_memstats_stack_sys_bytes',
  'go_memstats_mspan_inuse_bytes',
  'go_memstats_mspan_sys_bytes',
  'go_memstats_mcache_inuse_bytes',
  'go_memstats_mcache_sys_bytes',
  'go_memstats_buck_hash_sys_bytes',
  'go_memstats_gc_sys_bytes',
  'go_memstats_other_sys_bytes',
  'go_memstats_next_gc_bytes',
  'go_memstats_last_gc_time_seconds',
  'process_cpu_seconds_total',
  'process_open_fds',
  'process_max_fds',
  'process_virtual_memory_bytes',
  'process_virtual_memory_max_bytes',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_network_receive_bytes_total',
  'process_network_transmit_bytes_total',
];

/**
 * The series names an exposition shows for a metric registered as `name`: a histogram `x`
 * is read as `x_bucket`, `x_sum`, `x_count`. Used to match a PromQL selector to a registration.
 */
export function seriesNamesOf(name: string, type: MetricType | 'untyped'): string[] {
  if (type === 'histogram') return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  if (type === 'counter' && !name.endsWith('_total')) return [name, `${name}_total`];
  return [name];
}
