// Issue 9, item 4, through the gate: runGate gives its warm-up and each trial their own request
// sequence (phaseSeed(seed, 0) for the warm-up, phaseSeed(seed, k) for trial k), so the trials
// differ, and the same --seed sends the same requests again. A 127.0.0.1 service records what it
// receives; with one connection it receives the requests in the order they were sent.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { gateProfile } from '../src/run/profile.ts';
import { runGate } from '../src/gate/run.ts';
import { compileMix } from '../src/load/mix.ts';
import { phaseSeed } from '../src/load/prng.ts';
import type { LoadResult } from '../src/load/types.ts';
import { startGateService, type GateService } from './helpers/gate-service.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: mix-gate }
routes:
  - { name: create-order, method: POST, path: /orders, weight: 5 }
  - { name: get-product, method: GET, path: /products/:id }
  - { name: list-orders, method: GET, path: /orders, weight: 2 }
load:
  rate: 200/s
  duration: 1500ms
  warmup: 500ms
  connections: 1
  timeout: 5s
  mix:
    - { route: get-product, weight: 70, path: "/products/{id}", params: { id: "int(1,500)" } }
    - { route: list-orders, weight: 20 }
    - { route: create-order, weight: 10, body: { productId: 42 } }
objectives:
  errors: { objective: 99% }
  regression: { baseline: baseline.json, trials: 3 }
`;

let service: GateService;
let base: string;
const seen: string[] = [];

before(async () => {
  service = await startGateService((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200);
      res.end('ok');
    });
  });
  base = service.url;
});

after(() => service.close());

describe('the gate sends each phase its own sequence', () => {
  const loaded = parseContract(CONTRACT, 'slo.yaml');
  const contract = loaded.contract!;
  const profile = gateProfile(contract);
  if (typeof profile === 'string') throw new Error(profile);

  async function gateRun(seed: number): Promise<{ sequences: string[][]; sent: number[] }> {
    seen.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-mix-gate-'));
    const report = await runGate({
      contract,
      contractFile: 'slo.yaml',
      contractPath: join(dir, 'slo.yaml'),
      profile: profile as Exclude<typeof profile, string>,
      target: base,
      allowRemote: false,
      updateBaseline: false,
      journalPath: join(dir, 'run.jsonl'),
      seed,
    });
    assert.equal(report.trials.length, 3, `${report.outcome}: ${report.reasons.join('; ')}`);
    // Warm-up, then the trials, back to back on one connection: cut what was received by what each
    // phase sent (from the journal, where every phase's result is).
    const events = readFileSync(join(dir, 'run.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; result?: LoadResult });
    const sizes = events.filter((e) => e.event === 'warmup' || e.event === 'trial').map((e) => e.result!.sent);
    assert.equal(sizes.length, 4, 'a warm-up and 3 trials');
    const sequences: string[][] = [];
    let at = 0;
    for (const n of sizes) {
      sequences.push(seen.slice(at, at + n));
      at += n;
    }
    assert.equal(at, seen.length);
    return { sequences, sent: sizes };
  }

  const expected = (seed: number, phase: number, n: number): string[] => {
    const mix = compileMix((profile as Exclude<typeof profile, string>).requests, phaseSeed(seed, phase));
    return Array.from({ length: n }, (_, i) => {
      const r = mix.at(i);
      return `${r.method} ${r.path}`;
    });
  };

  it('warm-up and every trial send the sequence of their phase seed; the trials differ; the same seed repeats them', async () => {
    const first = await gateRun(11);
    first.sequences.forEach((s, phase) => {
      assert.ok(s.length > 50, `phase ${phase}: ${s.length} requests`);
      assert.deepEqual(s, expected(11, phase, s.length), `phase ${phase} (${phase === 0 ? 'warm-up' : `trial ${phase}`})`);
    });
    const [, t1, t2, t3] = first.sequences;
    const n = Math.min(t1.length, t2.length, t3.length);
    assert.notDeepEqual(t1.slice(0, n), t2.slice(0, n));
    assert.notDeepEqual(t2.slice(0, n), t3.slice(0, n));
    assert.notDeepEqual(t1.slice(0, n), t3.slice(0, n));

    const again = await gateRun(11);
    again.sequences.forEach((s, phase) => {
      const m = Math.min(s.length, first.sequences[phase].length);
      assert.deepEqual(s.slice(0, m), first.sequences[phase].slice(0, m), `phase ${phase} with the same seed`);
    });
  });
});
