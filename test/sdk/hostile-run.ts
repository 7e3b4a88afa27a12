// The worker thread of test/sdk-hostile.test.ts: per adapter asked for, an app instrumented on a
// fresh registry, warm-up, then the hostile requests, and what the test asserts on, measured here
// (series and route labels after warm-up and after the run, requests counted). The apps and their
// client run here, not in the test process: there node:test's async hook (init and destroy for
// every async resource and promise, each promise tracked for its destroy) took ~15% of the run.
import { parentPort, workerData } from 'node:worker_threads';
import { instrument, type Sdk } from 'sloctl/sdk';
import { metricValue, seriesCount, testRegistry } from 'sloctl/sdk/testing';
import { HTTP_ROLES } from '../../src/contract/metric-names.ts';
import { startApp, type AdapterName } from './apps.ts';
import { encode, flood, hostile, warmup } from './hostile.ts';

export interface HostileReport {
  warm: { answered: number; failed: number };
  seriesAfterWarmup: number;
  routesAfterWarmup: string[];
  run: { answered: number; failed: number; seconds: number };
  seriesAfterRun: number;
  routesAfterRun: string[];
  /** The sum of every http_server_requests_total series after the run. */
  counted: number;
}

const { contract, n } = workerData as { contract: string; n: number };
// The same n hostile requests for every adapter, generated and encoded once.
const HOSTILE = encode(hostile(2, n));

async function routeLabels(sdk: Sdk): Promise<string[]> {
  const text = await sdk.metrics();
  return [...new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]))].sort();
}

async function run(adapter: AdapterName): Promise<HostileReport> {
  // No prom-client default metrics: their label sets (GC kinds, resource types) follow the
  // runtime, not the input. Everything the SDK exports is counted.
  const sdk = instrument({ contract: new URL(contract), registry: testRegistry(), defaultMetrics: false });
  const app = await startApp(adapter, sdk);
  try {
    const warm = await flood(app.url, warmup(1));
    const seriesAfterWarmup = await seriesCount(sdk.registry);
    const routesAfterWarmup = await routeLabels(sdk);
    const started = performance.now();
    const blasted = await flood(app.url, HOSTILE);
    const seconds = (performance.now() - started) / 1000;
    const counted = (await metricValue(sdk.registry, HTTP_ROLES.requests.name)) ?? 0;
    return {
      warm: { answered: warm.answered, failed: warm.failed },
      seriesAfterWarmup,
      routesAfterWarmup,
      run: { answered: blasted.answered, failed: blasted.failed, seconds },
      seriesAfterRun: await seriesCount(sdk.registry),
      routesAfterRun: await routeLabels(sdk),
      counted,
    };
  } finally {
    await app.close();
  }
}

parentPort!.on('message', (adapter: AdapterName) => {
  run(adapter).then(
    (report) => parentPort!.postMessage({ report }),
    (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
