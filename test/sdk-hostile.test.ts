// Observability under hostile input: on every adapter, 100,000 requests with random paths,
// random parameters, malformed escapes, very long paths and odd methods leave the number of
// exported series exactly where warm-up left it. The client runs in the test process over
// keep-alive, pipelined connections (a worker thread was measured and was no faster on this
// two-core machine); SLOCTL_HOSTILE_REQUESTS lowers N for a quick run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instrument, type Sdk } from 'sloctl/sdk';
import { seriesCount, testRegistry } from 'sloctl/sdk/testing';
import { HTTP_ROLES } from '../src/contract/metric-names.ts';
import { ADAPTERS, startApp, type Running } from './sdk/apps.ts';
import { blast, hostile, warmup } from './sdk/hostile.ts';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const N = Number(process.env.SLOCTL_HOSTILE_REQUESTS ?? 100_000);

for (const adapter of ADAPTERS) {
  describe(`hostile input: ${adapter}`, () => {
    let sdk: Sdk;
    let app: Running;
    before(async () => {
      // No prom-client default metrics: their label sets (GC kinds, resource types) follow the
      // runtime, not the input. Everything the SDK exports is counted.
      sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
      app = await startApp(adapter, sdk);
    });
    after(() => app.close());

    it(`${N.toLocaleString('en')} random requests add no series after warm-up`, async () => {
      const warm = await blast(app.url, warmup(1));
      assert.equal(warm.failed, 0);
      const seriesAfterWarmup = await seriesCount(sdk.registry);
      const routesAfterWarmup = await routeLabels(sdk);

      const started = performance.now();
      const run = await blast(app.url, hostile(2, N));
      const seconds = (performance.now() - started) / 1000;
      assert.equal(run.failed, 0, 'every request was answered');
      assert.equal(run.answered, N);

      assert.equal(await seriesCount(sdk.registry), seriesAfterWarmup, 'series count unchanged');
      assert.deepEqual(await routeLabels(sdk), routesAfterWarmup);
      const counted = (await sdk.metrics()).split('\n').filter((l) => l.startsWith(`${HTTP_ROLES.requests.name}{`))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      assert.equal(counted, warm.answered + N, 'every request counted once');
      console.log(`  ${adapter}: ${N} requests in ${seconds.toFixed(1)}s (${Math.round(N / seconds)}/s), ${seriesAfterWarmup} series`);
    });
  });
}

async function routeLabels(sdk: Sdk): Promise<string[]> {
  const text = await sdk.metrics();
  return [...new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]))].sort();
}
