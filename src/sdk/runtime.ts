// Node runtime SLIs: prom-client's default metrics (event-loop delay percentiles, heap used, RSS,
// active handles, GC, ...) plus what they lack: event-loop utilization and the heap limit.
//
// Both additions are computed when scraped, not on a timer: utilization is measured over the
// time since the previous measurement (at least MIN_ELU_SPAN_MS, so two scrapers in quick
// succession see the same value rather than a noisy sliver), from perf_hooks.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { NODE_RUNTIME_ROLES } from '../contract/metric-names.ts';

export const HEAP_LIMIT_METRIC = 'nodejs_heap_size_limit_bytes';
const MIN_ELU_SPAN_MS = 1000;
/** prom-client's event-loop delay sampling interval (ms), the same as the saturation monitor's timer. */
export const EVENT_LOOP_PRECISION_MS = 20;

/** Registers the runtime metrics on a registry (they live as long as the registry). */
export function registerRuntimeMetrics(registry: Registry, defaultMetrics: boolean): void {
  // A registry may already carry the defaults (the application called collectDefaultMetrics).
  // The event-loop delay percentiles are over timer samples, one every
  // `eventLoopMonitoringPrecision` ms, not over time: a 300 ms block is one sample however long it
  // lasts. At prom-client's default 10 ms, a loop blocked 300 ms every second gives ~70 samples a
  // second with one block among them, and nodejs_eventloop_lag_p99_seconds over a scrape reads the
  // sample below it (~12-30 ms): `sloctl drill`'s event-loop-block drill saw nothing while the
  // SDK's own monitor (a 20 ms timer) logged 320 ms (a user trial). At 20 ms the block is one
  // sample in ~36 and the p99 is the block; an idle loop reads ~21 ms.
  if (defaultMetrics && registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  }

  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let value = 0;
  let measured = false;
  new Gauge({
    name: NODE_RUNTIME_ROLES.eventLoopUtilization.name,
    help: NODE_RUNTIME_ROLES.eventLoopUtilization.help,
    registers: [registry],
    collect() {
      const now = performance.now();
      if (now - lastAt >= MIN_ELU_SPAN_MS || (!measured && now > lastAt)) {
        measured = true;
        const current = performance.eventLoopUtilization();
        value = performance.eventLoopUtilization(current, last).utilization;
        last = current;
        lastAt = now;
      }
      this.set(value);
    },
  });

  if (registry.getSingleMetric(HEAP_LIMIT_METRIC) === undefined) {
    new Gauge({
      name: HEAP_LIMIT_METRIC,
      help: 'V8 heap size limit (added by the SDK: prom-client lacks it).',
      registers: [registry],
      collect() {
        this.set(getHeapStatistics().heap_size_limit);
      },
    });
  }
}
