// `sloctl gate` end to end against a service that sheds: a 127.0.0.1 service (no /metrics, so the
// client's view judges) whose handler answers every 10th request 503 with Retry-After, the same
// answer the SDK's concurrency limiter gives (sloctl/sdk's rejectionHeaders and rejectionBody).
// The contract weighs 5xx as server faults (2.5). Two runs of the same contract:
//
//   (a) the 503s carry `sloctl-shed: limit`: the client's view classes them `shed`, the SDK's
//       built-in class of weight 0.3 (src/contract/classify.ts), not `server`. They still cost
//       error budget, at that weight: 10% shed weighs 3%, so the errors verdict is 97%.
//   (b) the same 503s without the header: `server` × 2.5, 10% weighs 25%, and the errors verdict
//       fails naming GET /orders and the server-fault numbers.
//
// The objective is 95%, not 99.9%: shed answers are not excluded, they weigh 0.3, so 10% shed
// (3% weighted) would fail 99.9% too and the two runs would not tell the classes apart. 95% lies
// between 97% (shed) and 75% (server faults), and (a) keeps 40% of its 5% budget (a pass, not the
// warning under a tenth left).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rejectionBody, rejectionHeaders, SHED_HEADER, type Rejection } from 'sloctl/sdk';
import { runCli } from './helpers/cli.ts';
import { startGateService } from './helpers/gate-service.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: shedding }
errorClasses:
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: orders, method: GET, path: /orders }
load:
  rate: 100/s
  duration: 2s
  warmup: 500ms
  connections: 8
  timeout: 2s
  mix: [{ route: orders, weight: 1 }]
objectives:
  errors: { objective: 95% }
`;

/** The limiter's answer, as the SDK writes it (retry-after 1 s, `sloctl-shed: limit`). */
const SHED: Rejection = { admitted: false, status: 503, retryAfterSeconds: 1, reason: 'limit', priority: { weight: 1, route: '/orders', template: '/orders' } };

interface RouteRow { name: string; sent: number; completed: number; statuses: Record<string, number>; errors: Record<string, number>; shed?: number }
interface Verdict { contract: string; name: string; verdict: string; client: number; reason: string }
interface RouteReport { route: string; client?: { requests: number; weightedErrors: number; errorsByClass: Record<string, number> } }

/** A whole `sloctl gate` (the table on stdout) against a service answering every 10th /orders request 503, marked shed or not. */
async function gateAgainst(marked: boolean) {
  let requests = 0;
  const service = await startGateService((req, res) => {
    if (req.url?.startsWith('/orders') && ++requests % 10 === 0) {
      const headers = rejectionHeaders(SHED);
      if (!marked) delete headers[SHED_HEADER];
      res.writeHead(503, headers);
      res.end(rejectionBody(SHED));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-shed-'));
    writeFileSync(join(dir, 'slo.yaml'), CONTRACT);
    const journal = join(dir, 'journal.jsonl');
    const run = await runCli(['gate', 'slo.yaml', '--target', service.url, '--trials', '1', '--no-progress', '--journal', journal], dir);
    const events = readFileSync(journal, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { event: string });
    const trial = events.find((e) => e.event === 'trial') as { result: { routes: RouteRow[] } } | undefined;
    const end = events.at(-1) as { event: string; verdicts: Verdict[]; routes: RouteReport[] };
    assert.ok(trial, `a trial was journaled: ${run.stdout}${run.stderr}`);
    assert.equal(end.event, 'end');
    const row = trial.result.routes.find((r) => r.name === 'orders');
    assert.ok(row, JSON.stringify(trial.result.routes.map((r) => r.name)));
    const errors = end.verdicts.find((v) => v.contract === 'errors');
    assert.ok(errors, JSON.stringify(end.verdicts.map((v) => v.name)));
    const route = end.routes.find((r) => r.route === 'GET /orders');
    assert.ok(route?.client, JSON.stringify(end.routes));
    const total = row.completed + Object.values(row.errors).reduce((a, b) => a + b, 0);
    const s503 = row.statuses['503'] ?? 0;
    // Every 10th request of the service's count (the warm-up's included): about a tenth of the measured ones.
    assert.ok(s503 >= total * 0.08 && s503 <= total * 0.12, `about 10% answered 503: ${s503} of ${total}`);
    // The text's row for the route: requests, then errors by class.
    const line = run.stdout.split('\n').find((l) => /^GET \/orders\s+client\s/.test(l));
    assert.ok(line, run.stdout);
    return { run, row, total, s503, errors, route: route.client, line };
  } finally {
    service.close();
  }
}

describe('gate: a service that sheds (503 + Retry-After)', { timeout: 60_000 }, () => {
  it('(a) marked sloctl-shed: classed shed at weight 0.3, not as server faults; the errors objective passes', async () => {
    const { run, row, total, s503, errors, route, line } = await gateAgainst(true);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS \(exit 0\)/);
    // The load generator read the header on every one of the 503s.
    assert.equal(row.shed, s503, JSON.stringify(row));
    // Counted against the objective at the shed class's weight: not 2.5 (server), not excluded (1.0).
    assert.equal(errors.verdict, 'pass', errors.reason);
    assert.ok(Math.abs(errors.client - (1 - (0.3 * s503) / total)) < 1e-9, `client ${errors.client}, ${s503} shed of ${total}`);
    assert.ok(errors.client < 1 && errors.client > 0.95, String(errors.client));
    assert.match(errors.reason, new RegExp(`client errors by class: shed ${s503}$`));
    assert.doesNotMatch(errors.reason, /server/);
    assert.deepEqual(route.errorsByClass, { shed: s503 });
    assert.ok(Math.abs(route.weightedErrors - 0.3 * s503) < 1e-9, String(route.weightedErrors));
    assert.equal(route.requests, total);
    // The text names the shed class with its count on the route's row, and no server faults.
    assert.match(line, new RegExp(`\\s${total}\\s.*\\sshed ${s503}\\s`));
    assert.doesNotMatch(run.stdout, /server \d/);
  });

  it('(b) the same 503s unmarked: server faults × 2.5; the errors objective fails naming the route and its numbers', async () => {
    const { run, row, total, s503, errors, route, line } = await gateAgainst(false);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(row.shed, undefined, JSON.stringify(row));
    assert.equal(errors.verdict, 'fail', errors.reason);
    assert.ok(Math.abs(errors.client - (1 - (2.5 * s503) / total)) < 1e-9, `client ${errors.client}, ${s503} 503s of ${total}`);
    assert.deepEqual(route.errorsByClass, { server: s503 });
    const caused = `caused by GET /orders: ${s503} of ${total} requests failed \\([0-9.]+%\\); weighted by error class: server ${s503} × 2\\.5 = ${2.5 * s503} \\([0-9.]+%\\)`;
    assert.match(errors.reason, new RegExp(caused));
    // The table's outcome lists the failure with the same evidence, and the route's row blames it.
    assert.match(run.stdout, new RegExp(`FAIL \\(exit 1\\): errors errors: weighted success below the objective 95% .*client errors by class: server ${s503}; ${caused}`));
    assert.match(line, new RegExp(`\\s${total}\\s.*\\sserver ${s503}\\s.*errors errors$`));
    assert.doesNotMatch(run.stdout, /shed \d/);
  });
});
