// The SDK in a node:cluster service (PM2's cluster mode forks the same workers): each worker has
// its own registry and health, and whichever takes a connection answers. The SDK says so once per
// worker at instrument() (nothing per request), and its gauges carry prom-client aggregators so
// the primary's AggregatorRegistry merges them right: before, a gauge's default was the sum, and two
// workers exported the contract's error weight 2.5 as 5 and availability 1 as 2.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterNotice } from '../src/sdk/cluster-notice.ts';

const SERVER = fileURLToPath(new URL('./fixtures/cluster/server.ts', import.meta.url));

describe('sdk in cluster mode', () => {
  it('the notice: only in a worker, naming the paths and the fix', () => {
    assert.equal(clusterNotice(false, undefined, '/metrics', '/healthz'), undefined);
    assert.match(clusterNotice(true, 2, '/m', '/h')!, /^sloctl: this process is cluster worker 2: its \/m and \/h answer for this worker alone.*AggregatorRegistry.*its own metrics port; instrument\(\{ clusterNotice: false \}\) turns this line off$/);
  });

  it('a real 2-worker cluster: one notice per worker, and the primary\'s AggregatorRegistry merges the SDK\'s series right', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { port, metricsPort } = JSON.parse(line) as { port: number; metricsPort: number };
      for (let i = 0; i < 10; i++) await (await fetch(`http://127.0.0.1:${port}/a`, { headers: { connection: 'close' } })).text();
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1]);
      // Counters sum over the workers: every request once.
      assert.equal(value(/^http_server_requests_total\{[^}]*route="\/a"[^}]*\} (\S+)$/m), 10, text);
      // Gauges: the contract's weight, not the workers' sum; availability the worst worker's (at most 1).
      assert.equal(value(/^sloctl_error_class_weight\{error_class="server"[^}]*\} (\S+)$/m), 2.5, text);
      const availability = value(/^sloctl_availability (\S+)$/m);
      assert.ok(availability >= 0 && availability <= 1, `sloctl_availability ${availability}`);
      // Each worker says which it is on its own /metrics; merged, the gauge would be no worker's: omitted.
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } })).text(), /^sloctl_cluster_worker [12]$/m);
      assert.doesNotMatch(text, /sloctl_cluster_worker/);
      const notices = stderr.split('\n').filter((l) => l.includes('"event":"cluster-worker"'));
      assert.equal(notices.length, 2, stderr);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
