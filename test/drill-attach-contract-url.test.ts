// `sloctl drill` attached through the contract's target.url (no --target flag, no target.run): a
// dependency drill it cannot put a proxy in front of is INCONCLUSIVE with the fix, and that fix
// must be one the user can follow. It said "or let sloctl start it (drop --target)" to a user who
// had passed no --target; the way to let sloctl start the service is a target.run in the contract.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';

describe('sloctl drill attached through target.url', () => {
  let server: Server;
  let url: string;
  let dir: string;
  let file: string;
  before(async () => {
    // Health UP, every route 200: enough for the attach and the warm-up.
    server = createServer((req, res) => {
      if (req.url === '/healthz') { res.setHeader('content-type', 'application/json'); res.end('{"status":"UP"}'); return; }
      if (req.url === '/metrics') { res.setHeader('content-type', 'text/plain'); res.end(''); return; }
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'sloctl-drill-url-'));
    file = join(dir, 'slo.yaml');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: attached, runtime: node }
target: { url: ${JSON.stringify(url)}, health: /healthz, metrics: /metrics }
routes:
  - { name: work, method: GET, path: /work, dependencies: [backend] }
dependencies:
  - { name: backend, url: "http://127.0.0.1:9", timeout: 100ms, critical: false }
  - { name: inventory, url: "http://127.0.0.1:18081/v1", timeout: 100ms, critical: false }
load: { rate: 20/s, duration: 5s, warmup: 1s, connections: 4, timeout: 2s, mix: [{ route: work, weight: 1 }] }
objectives:
  latency: [{ name: api, threshold: 1s, objective: 99% }]
  errors: { objective: 99% }
  resilience:
    drills:
      - { name: backend-down, fault: error, dependency: backend, status: 503, duration: 2s, detectWithin: 2s, recoverWithin: 5s }
      - { name: inventory-down, fault: error, dependency: inventory, status: 503, duration: 2s, detectWithin: 2s, recoverWithin: 5s }
`);
  });
  after(() => server.close());

  it('a proxy drill it cannot run names target.run as the way to let sloctl start the service, not a --target the user never passed', async () => {
    const r = await runCli(['drill', file, '--steady', '1s', '--json', '--no-progress', '--journal', join(dir, 'j.jsonl')], dir);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { drills: Array<{ name: string; outcome: string; reasons: string[] }> };
    const down = report.drills.find((d) => d.name === 'backend-down')!;
    assert.equal(down.outcome, 'inconclusive');
    const why = down.reasons.join(' ');
    assert.match(why, /--proxy backend=127\.0\.0\.1:\d+/);
    assert.doesNotMatch(why, /drop --target/);
    assert.match(why, /target\.run/);
    // The advice never names the port the dependency itself is on (a Go user trial's inventory was
    // on 18081, the example's: followed, the proxy would forward to itself), and keeps the url's path.
    const inventory = report.drills.find((d) => d.name === 'inventory-down')!.reasons.join(' ');
    assert.match(inventory, /INVENTORY_URL=http:\/\/127\.0\.0\.1:18082\/v1\) and pass --proxy inventory=127\.0\.0\.1:18082;/);
  });
});
