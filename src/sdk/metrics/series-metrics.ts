// The request histogram and counters, as prom-client metrics whose series are plain objects the
// hot path updates directly.
//
// Why not prom-client's Histogram/Counter: their `observe`/`inc` build a label hash string and
// validate labels on every call (about a microsecond), which alone is more than the SDK's whole
// per-request budget (5% of a Fastify hello-world). Here a series is created once per label set
// (the label object built then, once) and afterwards a request costs a bucket search and a few
// additions. Exposition stays prom-client's: these objects implement the metric interface its
// Registry reads (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), so `registry.metrics()`,
// `getMetricsAsJSON()`, default labels, OpenMetrics output and cluster aggregation all work.
import type { Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

export interface HistSeries {
  readonly labels: Labels;
  /** Non-cumulative counts per bucket; the last slot is above the top bound. */
  readonly counts: Float64Array;
  /** Sum of observations, in ms (exported in seconds). */
  sumMs: number;
  count: number;
}

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricData {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  values: MetricValue[];
  aggregator: 'sum';
}

abstract class SeriesMetric<S> {
  readonly aggregator = 'sum' as const;
  protected readonly list: S[] = [];
  constructor(readonly name: string, readonly help: string) {}

  /** How many label sets exist (each is one or more exposed series). */
  get size(): number {
    return this.list.length;
  }

  register(registry: Registry): this {
    const existing = registry.getSingleMetric(this.name);
    if (existing !== undefined && existing !== (this as unknown)) {
      throw new Error(`sloctl: a metric named ${this.name} is already registered in this registry: call instrument() once per registry, or pass { registry: new Registry() }`);
    }
    registry.registerMetric(this as never);
    return this;
  }

  abstract get(): Promise<MetricData>;
  abstract reset(): void;
}

export class SeriesHistogram extends SeriesMetric<HistSeries> {
  readonly type = 'histogram' as const;
  /** Upper bounds, in ms, ascending. */
  readonly boundsMs: Float64Array;
  private readonly leLabels: string[];

  constructor(name: string, help: string, boundsMs: readonly number[]) {
    super(name, help);
    this.boundsMs = Float64Array.from(boundsMs);
    this.leLabels = boundsMs.map((b) => String(b / 1000));
  }

  series(labels: Labels): HistSeries {
    const s: HistSeries = { labels, counts: new Float64Array(this.boundsMs.length + 1), sumMs: 0, count: 0 };
    this.list.push(s);
    return s;
  }

  async get(): Promise<MetricData> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.list) {
      let acc = 0;
      for (let i = 0; i < this.leLabels.length; i++) {
        acc += s.counts[i];
        values.push({ labels: { ...s.labels, le: this.leLabels[i] }, value: acc, metricName: bucket });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sumMs / 1000, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const s of this.list) {
      s.counts.fill(0);
      s.sumMs = 0;
      s.count = 0;
    }
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  series(labels: Labels): CounterSeries {
    const s: CounterSeries = { labels, value: 0 };
    this.list.push(s);
    return s;
  }

  async get(): Promise<MetricData> {
    return {
      name: this.name, help: this.help, type: this.type, aggregator: this.aggregator,
      values: this.list.map((s) => ({ labels: { ...s.labels }, value: s.value })),
    };
  }

  reset(): void {
    for (const s of this.list) s.value = 0;
  }
}
