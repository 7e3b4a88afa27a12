// client_golang's prometheus.BuildFQName, reproduced exactly so the scanner names a metric the
// way the Go library will: the non-empty parts joined with "_", and nothing at all when the
// name part is empty (a namespace alone is not a metric name).

export function buildFQName(namespace: string, subsystem: string, name: string): string {
  if (name === '') return '';
  return [namespace, subsystem, name].filter((part) => part !== '').join('_');
}
