// The request histogram and counters, as prom-client metrics whose series are cells of one
// Float64Array the hot path updates directly.
//
// Why not prom-client's Histogram/Counter: their `observe`/`inc` build a label hash string and
// validate labels on every call (about a microsecond), which alone is more than the SDK's whole
// per-request budget (5% of a Fastify hello-world). Here a series is created once per label set
// (the label object built then, once) and afterwards a request costs a bucket search and a few
// additions. Exposition stays prom-client's: these objects implement the metric interface its
// Registry reads (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), so `registry.metrics()`,
// `getMetricsAsJSON()`, default labels, OpenMetrics output and cluster aggregation all work.
//
// Why one array (Cells) for every series, and the numbers not on the series objects: in a server
// the kernel's network stack runs between two requests and evicts most of what the last one
// touched, so what a request costs the SDK is mostly the cache lines it reads, not its
// instructions (recording cost ~2% of a saturated hello-world's CPU with ~50 ns of instructions;
// bench/RESULTS.md, 2026-12-05). A series object with a Float64Array of counts and a double sum
// is four places in memory (the object, the array object, its backing store, the sum's box);
// here a route's histogram, request counter and weighted counter are adjacent cells, created
// together on its first request: one or two cache lines.
import type { Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/**
 * The numbers of every series of the metrics that share it, in one Float64Array. A series is an
 * offset into `data`, allocated once and never moved relative to the others; `data` itself is
 * replaced (copied into one twice the size) when it is full, so read it after allocating.
 */
export class Cells {
  data: Float64Array;
  private used = 0;

  constructor(initial = 1024) {
    this.data = new Float64Array(initial);
  }

  /** `n` zeroed cells; returns the offset of the first. */
  alloc(n: number): number {
    if (this.used + n > this.data.length) {
      const grown = new Float64Array(Math.max(this.data.length * 2, this.used + n));
      grown.set(this.data);
      this.data = grown;
    }
    const at = this.used;
    this.used += n;
    return at;
  }
}

/** A histogram series: its cells from `at` are laid out as SeriesHistogram says (buckets, sum, count). */
export class HistSeries {
  constructor(readonly labels: Labels, private readonly cells: Cells, readonly at: number, private readonly layout: SeriesHistogram) {}

  /** Non-cumulative count of bucket `i` (the last is above the top bound). */
  bucket(i: number): number {
    return this.cells.data[this.at + i];
  }

  /** Sum of observations, in ms (exported in seconds). */
  get sumMs(): number {
    return this.cells.data[this.at + this.layout.sumCell];
  }

  get count(): number {
    return this.cells.data[this.at + this.layout.countCell];
  }

  reset(): void {
    this.cells.data.fill(0, this.at, this.at + this.layout.stride);
  }
}

export class CounterSeries {
  constructor(readonly labels: Labels, private readonly cells: Cells, readonly at: number) {}

  get value(): number {
    return this.cells.data[this.at];
  }

  reset(): void {
    this.cells.data[this.at] = 0;
  }
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
  /**
   * A series' cells, from its offset: a count per bucket (0 .. bounds), the last above the top
   * bound; then the sum in ms (`sumCell`) and the count (`countCell`). `stride` cells in all.
   */
  readonly sumCell: number;
  readonly countCell: number;
  readonly stride: number;
  private readonly leLabels: string[];

  constructor(name: string, help: string, boundsMs: readonly number[], readonly cells: Cells = new Cells()) {
    super(name, help);
    this.boundsMs = Float64Array.from(boundsMs);
    this.sumCell = boundsMs.length + 1;
    this.countCell = this.sumCell + 1;
    this.stride = this.countCell + 1;
    this.leLabels = boundsMs.map((b) => String(b / 1000));
  }

  /** A new series (its cells start at `at`, laid out as `sumCell` and `countCell` say). */
  series(labels: Labels): HistSeries {
    const s = new HistSeries(labels, this.cells, this.cells.alloc(this.stride), this);
    this.list.push(s);
    return s;
  }

  async get(): Promise<MetricData> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.list) {
      let acc = 0;
      for (let i = 0; i < this.leLabels.length; i++) {
        acc += s.bucket(i);
        values.push({ labels: { ...s.labels, le: this.leLabels[i] }, value: acc, metricName: bucket });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sumMs / 1000, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const s of this.list) s.reset();
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  constructor(name: string, help: string, readonly cells: Cells = new Cells()) {
    super(name, help);
  }

  /** A new series (its value is the cell at `at`). */
  series(labels: Labels): CounterSeries {
    const s = new CounterSeries(labels, this.cells, this.cells.alloc(1));
    this.list.push(s);
    return s;
  }

  /** The sum over every series (off the hot path: a walk over the label sets). */
  total(): number {
    let n = 0;
    for (const s of this.list) n += s.value;
    return n;
  }

  async get(): Promise<MetricData> {
    return {
      name: this.name, help: this.help, type: this.type, aggregator: this.aggregator,
      values: this.list.map((s) => ({ labels: { ...s.labels }, value: s.value })),
    };
  }

  reset(): void {
    for (const s of this.list) s.reset();
  }
}
