// The code check: which Prometheus metrics a service's source registers.
export { scanTypeScriptProject } from './typescript.ts';
export { scanGoModule } from './go.ts';
export type { RegisteredMetric, RegisteredMetricType, ScanResult, ScanWarning, TimedClient, UntimedClient } from './types.ts';
