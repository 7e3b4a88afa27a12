// Issue 9, item 4: every trial of a gate sends the declared mix (within one percentage point per
// route over a trial of the example's size) in a sequence of its own, and --seed fixes them all.
// The mix is a pure function of (seed, request index), so most of this is checked without sending
// anything; the last tests check that the requests a real run sends are that sequence.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { gateProfile, type GateProfile } from '../src/run/profile.ts';
import { compileMix, MIX_BLOCK, type PreparedRequest } from '../src/load/mix.ts';
import { hash32, mulberry32, phaseSeed } from '../src/load/prng.ts';
import { runLoad } from '../src/load/run.ts';
import { buildSchedule } from '../src/load/schedule.ts';
import type { RequestTemplate } from '../src/load/types.ts';

const EXAMPLE = new URL('../examples/checkout/slo.yaml', import.meta.url).pathname;

function exampleProfile(): GateProfile {
  const loaded = parseContract(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  assert.ok(loaded.contract, 'the example parses');
  const profile = gateProfile(loaded.contract);
  assert.ok(typeof profile !== 'string', String(profile));
  return profile;
}

/** Requests in one trial of the gate's measured phase, counted as the gate schedules them (src/gate/run.ts). */
function trialSize(p: GateProfile): number {
  const trialMs = Math.max(1, Math.round(p.durationMs / p.trials));
  return buildSchedule([{ rate: p.rate, durationMs: trialMs }]).total;
}

const sequence = (templates: readonly RequestTemplate[], seed: number, n: number): PreparedRequest[] => {
  const mix = compileMix(templates, seed);
  return Array.from({ length: n }, (_, i) => mix.at(i));
};
const key = (r: PreparedRequest): string => `${r.method} ${r.path} ${r.body?.toString() ?? ''}`;

/** Each template's share of `reqs` minus its declared share, in percentage points. */
function offsets(templates: readonly RequestTemplate[], routes: readonly number[]): number[] {
  const total = templates.reduce((a, t) => a + t.weight, 0);
  const counts = templates.map(() => 0);
  for (const r of routes) counts[r]++;
  return counts.map((c, i) => ((c / routes.length) - templates[i].weight / total) * 100);
}

describe('a faithful mix', () => {
  it("sends the example's declared mix in every trial of its gate profile, each trial its own sequence", () => {
    const p = exampleProfile();
    assert.equal(p.trials, 5);
    const n = trialSize(p);
    assert.equal(n, 1200, '200/s for 30 s in 5 trials');
    const trials = [1, 2, 3, 4, 5].map((k) => sequence(p.requests, phaseSeed(1, k), n));
    trials.forEach((t, k) => {
      const off = offsets(p.requests, t.map((r) => r.route));
      off.forEach((o, r) => assert.ok(Math.abs(o) <= 1, `trial ${k + 1}, ${p.requests[r].name}: ${o.toFixed(2)} points off the mix`));
    });
    // Different sequences: not just other parameter values, another order of routes.
    for (let a = 0; a < trials.length; a++) {
      for (let b = a + 1; b < trials.length; b++) {
        const same = trials[a].filter((r, i) => r.route === trials[b][i].route).length;
        assert.ok(same < n * 0.8, `trials ${a + 1} and ${b + 1} send the same route at ${same} of ${n} positions`);
        assert.notDeepEqual(trials[a].map(key), trials[b].map(key));
      }
    }
    // The same run seed gives the same sequences; another seed others.
    assert.deepEqual([1, 2, 3, 4, 5].map((k) => sequence(p.requests, phaseSeed(1, k), n).map(key)), trials.map((t) => t.map(key)));
    const other = sequence(p.requests, phaseSeed(2, 1), n);
    assert.notDeepEqual(other.map(key), trials[0].map(key));
    // The phases' seeds are distinct (warm-up 0, trials 1..5), for any run seed tried.
    for (const s of [0, 1, 2, 42, 2 ** 32 - 1]) assert.equal(new Set([0, 1, 2, 3, 4, 5].map((k) => phaseSeed(s, k))).size, 6);
  });

  it('keeps every prefix within one request of each route\'s share, whatever the weights and number of routes', () => {
    const rand = mulberry32(2024);
    const mixes: number[][] = [
      [5, 8, 30, 57], // the 5% and 8% routes
      [70, 20, 10],
      [1, 1, 1],
      [0.5, 3, 6, 1],
      [1, 1000],
      ...Array.from({ length: 150 }, () => {
        const k = 2 + Math.floor(rand() * 24);
        return Array.from({ length: k }, () => (rand() < 0.4 ? 1 + Math.floor(rand() * 100) : 0.01 + rand() * 10));
      }),
    ];
    for (const weights of mixes) {
      const templates = weights.map((w, i) => ({ name: `r${i}`, weight: w, method: 'GET', path: `/r${i}` }));
      const total = weights.reduce((a, b) => a + b, 0);
      const mix = compileMix(templates, hash32(weights.length, weights.length * 7));
      const counts = weights.map(() => 0);
      for (let i = 0; i < 3000; i++) {
        counts[mix.routeAt(i)]++;
        const n = i + 1;
        // At the end of every block the shuffle has not moved anything across: the unshuffled bound.
        if (n % MIX_BLOCK === 0) {
          counts.forEach((c, r) => assert.ok(Math.abs(c - (n * weights[r]) / total) < 1, `weights ${weights.join('/')}: route ${r} has ${c} of ${n}, owed ${((n * weights[r]) / total).toFixed(2)}`));
        }
        // Anywhere past 1,000 requests: within a point (a run that stops inside a block).
        if (n >= 1000) {
          counts.forEach((c, r) => assert.ok(Math.abs(c / n - weights[r] / total) <= 0.01, `weights ${weights.join('/')}: route ${r} has ${c} of ${n}`));
        }
      }
    }
  });

  it('gives request i the same whoever asks, in whatever order, so worker threads share one sequence', () => {
    const p = exampleProfile();
    const seed = phaseSeed(9, 2);
    const n = 1000;
    const expected = sequence(p.requests, seed, n).map(key);
    // Three "threads", each with its own compiled mix, each asking for its share w, w + 3, ...
    const W = 3;
    const union = new Array<string>(n);
    for (let w = 0; w < W; w++) {
      const mix = compileMix(p.requests, seed);
      for (let i = w; i < n; i += W) union[i] = key(mix.at(i));
    }
    assert.deepEqual(union, expected);
    // Backwards, and interleaved with another mix's work on one object.
    const mix = compileMix(p.requests, seed);
    const back: string[] = [];
    for (let i = n - 1; i >= 0; i--) back[i] = key(mix.at(i));
    assert.deepEqual(back, expected);
    // next() is at(0), at(1), ...
    const seq = compileMix(p.requests, seed);
    assert.deepEqual(Array.from({ length: 10 }, () => key(seq.next())), expected.slice(0, 10));
  });

  it("gives each of 10 worker threads every route, not one route each (the unshuffled 70/20/10 sequence repeats every 10)", () => {
    const p = exampleProfile();
    const seq = sequence(p.requests, phaseSeed(1, 1), 1200);
    const W = 10;
    for (let w = 0; w < W; w++) {
      const mine = seq.filter((_, i) => i % W === w).map((r) => r.route);
      const off = offsets(p.requests, mine);
      off.forEach((o, r) => assert.ok(Math.abs(o) < 10, `worker ${w}, ${p.requests[r].name}: ${o.toFixed(1)} points off over its ${mine.length} requests`));
    }
  });

  it('fills path parameters per request from the seed: in range, reproducible, varied', () => {
    const p = exampleProfile();
    const a = sequence(p.requests, phaseSeed(1, 1), 1200).filter((r) => p.requests[r.route].name === 'get-product');
    const ids = a.map((r) => Number(/^\/products\/(\d+)$/.exec(r.path)?.[1]));
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 500), 'int(1,500)');
    assert.ok(new Set(ids).size > 300, `${new Set(ids).size} distinct ids of ${ids.length}`);
    const order = a.find((r) => r.method === 'POST');
    assert.equal(order, undefined);
    const posts = sequence(p.requests, 5, 200).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 20);
    for (const r of posts) {
      assert.equal(r.path, '/orders');
      assert.equal(r.body?.toString(), '{"productId":42,"quantity":1}');
      assert.equal(r.headers['content-type'], 'application/json');
    }
  });
});

describe('a faithful mix, sent', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends exactly the sequence, in order, over one connection (a trial-sized open-model run)', async () => {
    seen.length = 0;
    const p = exampleProfile();
    const seed = phaseSeed(7, 3);
    // 400/s for 3 s: 1,200 requests, a trial of the example's size in half its time.
    const result = await runLoad({ url: base, requests: p.requests, stages: [{ rate: 400, durationMs: 3000 }], connections: 1, timeoutMs: 10_000, seed });
    assert.ok(result.sent > 1000 && result.sent <= 1200, `sent ${result.sent}`);
    assert.equal(seen.length, result.completed);
    assert.equal(result.completed, result.sent);
    // One connection answers in order: what the server saw is the sequence's prefix, request for request.
    assert.deepEqual(seen, sequence(p.requests, seed, seen.length).map(key));
    const shares = offsets(p.requests, sequence(p.requests, seed, seen.length).map((r) => r.route));
    shares.forEach((o, r) => assert.ok(Math.abs(o) <= 1, `${p.requests[r].name}: ${o.toFixed(2)} points off`));
    // The result counts the routes the same way.
    const sentByName = Object.fromEntries(result.routes.map((r) => [r.name, r.sent]));
    const expectedByName: Record<string, number> = {};
    for (const r of sequence(p.requests, seed, result.sent)) expectedByName[p.requests[r.route].name] = (expectedByName[p.requests[r.route].name] ?? 0) + 1;
    assert.deepEqual(sentByName, expectedByName);
  });

  it('sends the same requests over two worker threads as the sequence says (the union of their shares)', async () => {
    seen.length = 0;
    const p = exampleProfile();
    const seed = phaseSeed(7, 4);
    const result = await runLoad({ url: base, requests: p.requests, stages: [{ rate: 400, durationMs: 1500 }], connections: 2, timeoutMs: 10_000, seed, workers: 2 });
    assert.equal(result.completed, seen.length);
    // Every scheduled request sent (a busy machine could drop some: then compare only when none was).
    if (result.sent === 600) {
      assert.deepEqual([...seen].sort(), sequence(p.requests, seed, 600).map(key).sort());
    } else {
      const expected = new Set(sequence(p.requests, seed, 600).map(key));
      for (const s of seen) assert.ok(expected.has(s), `${s} is not in the sequence`);
    }
    assert.ok(result.sent > 500, `sent ${result.sent} of 600`);
  });
});
