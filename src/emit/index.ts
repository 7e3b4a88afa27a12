// Emitters: a contract as Prometheus rules and as a Grafana dashboard.
export * from './promql.ts';
export * from './slos.ts';
export * from './prometheus.ts';
export * from './grafana.ts';
