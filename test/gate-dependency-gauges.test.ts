// The availability composite's dependencies part, read from the service's own gauges
// (sloctl_dependency_up) when the health body does not report its dependencies: a failure says
// which critical dependency was down, with its own share of the scrapes, not only that "the
// gauges (payments, inventory)" were up some share of them. ServiceWatch scrapes a local
// exposition four times; the verdict is judged from its view.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';

const contract = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
routes:
  - { name: a, method: POST, path: /orders, dependencies: [payments, inventory] }
dependencies:
  - { name: payments, url: "http://127.0.0.1:8081", timeout: 150ms }
  - { name: inventory, url: "http://127.0.0.1:8082", timeout: 150ms }
  - { name: recommendations, url: "http://127.0.0.1:8083", timeout: 100ms, critical: false }
objectives:
  availability: { objective: 99% }
`, 'slo.yaml').contract!;

/** The gauges at one scrape: payments down at the second and third of four, inventory always up. */
function exposition(payments: number): string {
  return [
    '# HELP sloctl_dependency_up 1 when a declared dependency is usable.',
    '# TYPE sloctl_dependency_up gauge',
    `sloctl_dependency_up{dependency="payments"} ${payments}`,
    'sloctl_dependency_up{dependency="inventory"} 1',
    'sloctl_dependency_up{dependency="recommendations"} 0',
    '',
  ].join('\n');
}

describe('availability from the dependency gauges: the dependency that was down, with its share', () => {
  let server: Server;
  let url = '';
  let body = exposition(1);
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('names payments up 50% of the scrapes; inventory, always up, and the non-critical recommendations are not named down', async () => {
    let clock = 1_800_000_000_000;
    const watch = new ServiceWatch(contract, { metricsUrl: url, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, now: () => clock });
    let start;
    for (const up of [1, 0, 0, 1]) {
      body = exposition(up);
      const mark = await watch.scrape();
      start ??= mark;
      clock += 1000;
    }
    const service = watch.view(start);
    assert.equal(service.dependencyUpShare, 0.5);
    assert.deepEqual(service.dependencyUpShares, { payments: 0.5, inventory: 1 });
    const client = loadOf([routeRow('a', Array(100).fill(5), { 200: 100 })]);
    const availability = judgeObjectives(contract, { client, service })!.find((v) => v.contract === 'availability')!;
    assert.equal(availability.verdict, 'fail', availability.reason);
    assert.match(availability.reason, /dependencies: the service's dependency gauges \(payments, inventory\) were all up 50% of its scrapes; down at times: payments up 50%(;|$)/);
    assert.doesNotMatch(availability.reason, /inventory up|recommendations up/);
  });
});
