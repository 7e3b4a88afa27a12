// Requests the service counted that the run did not send: noticed per route, and a failure only
// the service's view shows is taken back; one the client saw stands. The end-to-end case (a gate
// while another client sends to the same route) is in test/gate-availability.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foreignTraffic, foreignTrafficNote, withdrawForeignFailures } from '../src/verdicts/foreign-traffic.ts';
import type { RouteEvidence, RouteSample } from '../src/verdicts/routes.ts';
import type { ObjectiveVerdict } from '../src/verdicts/types.ts';

const sample = (view: 'client' | 'service', total: number) => ({ view, total }) as RouteSample;
const route = (label: string, sent: number, counted: number): RouteEvidence => ({ label, method: 'GET', path: label.split(' ')[1], client: sample('client', sent), service: sample('service', counted) });
const verdict = (client: number, service: number): ObjectiveVerdict => ({
  contract: 'errors', name: 'errors', verdict: client < 0.99 || service < 0.99 ? 'fail' : 'pass', measured: Math.min(client, service), objective: 0.99,
  unit: 'ratio', direction: 'higher-is-better', margin: Math.min(client, service) - 0.99, client, service, reason: 'weighted success below the objective',
});

describe('foreign traffic', () => {
  it('is said when the service counted more on a route than the run sent, beyond the margin', () => {
    assert.equal(foreignTraffic([route('GET /items', 1000, 1000), route('GET /a', 100, 119)]), undefined, 'within 20 + 2%');
    const f = foreignTraffic([route('GET /items', 1000, 1997), route('GET /a', 100, 100)]);
    assert.deepEqual(f, { routes: [{ label: 'GET /items', sent: 1000, counted: 1997 }] });
    assert.match(foreignTrafficNote(f!), /the service counted requests this run did not send \(GET \/items: 1,997 counted, 1,000 sent\): another client was sending to it/);
  });

  it('is not said when processes took turns answering /metrics (cluster mode): the resets added one worker\'s count to another\'s', () => {
    // Measured: a 2-worker cluster gate, 1,000 requests sent per route, 1,313 and 1,321 "counted".
    const routes = [route('GET /hello', 1000, 1313), route('GET /greet/:name', 1000, 1321)];
    assert.ok(foreignTraffic(routes));
    assert.equal(foreignTraffic(routes, { atLeast: 2, seenAtMs: 4100, evidence: 'http_server_requests_total went down from 622 to 199 while process_start_time_seconds stayed 1796683763' }), undefined);
  });

  it('takes back a failure only the service saw; one the client saw stands', () => {
    const f = foreignTraffic([route('GET /items', 1000, 2000)])!;
    const serviceOnly = verdict(1, 0.95);
    const both = verdict(0.9, 0.95);
    const withdrawn = withdrawForeignFailures(f, [serviceOnly, both]);
    assert.deepEqual(withdrawn, ['errors errors failed (95% < 99%)']);
    assert.equal(serviceOnly.verdict, 'warn');
    assert.match(serviceOnly.reason, /^not judged \(the service also served another client's requests: GET \/items 2,000 counted, 1,000 sent\):/);
    assert.equal(both.verdict, 'fail');
  });
});
