// The Prometheus metric-name rule, shared by both scanners: a registration whose name breaks it
// throws at run time (prom-client) or fails to register (client_golang), so it registers nothing.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** A short, one-line rendering of a piece of source for a warning message. */
export function excerpt(text: string, max = 60): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
