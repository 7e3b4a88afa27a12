// The heap-floor rule of `memory per-request` (src/verdicts/memory.ts) on synthetic series: a
// sawtooth that returns to its floor is no leak, whatever its last reading; a floor rising through
// the run at several times the limit is; in between, or over too few scrapes, it warns; a restart
// makes it INCONCLUSIVE. The end-to-end runs are in gate-memory.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapFloors, memoryVerdicts, LEAK_FACTOR, LEAK_SCRAPES, type HeapReading, type MemoryView } from '../src/verdicts/memory.ts';
import { parseContract } from '../src/contract/load.ts';

const KiB = 1024;
const MiB = 2 ** 20;
const LIMIT = 2 * KiB;

const parsed = parseContract(`apiVersion: sloctl/v1
service: { name: m }
routes: [{ name: a, method: GET, path: /a }]
objectives:
  memory:
    heap: { warn: 1GiB, critical: 2GiB }
    perRequest: 2KiB
`, 'slo.yaml');
assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
const contract = parsed.contract;

/** `n` scrapes, 100 requests apart, 2 s apart; heap(i) gives the reading. */
function series(n: number, heap: (i: number) => number): HeapReading[] {
  return Array.from({ length: n }, (_, i) => ({ offsetMs: i * 2000, heapBytes: heap(i), requests: 1000 + i * 100 }));
}

const perRequest = (view: MemoryView) => {
  const v = memoryVerdicts(contract, view).find((x) => x.name === 'per-request');
  assert.ok(v);
  return v;
};

// A young generation filling and being collected: a 30 MiB floor, up to 12 MiB of garbage on top,
// the last reading at the top.
const sawtooth = (i: number) => 30 * MiB + (i % 3) * 6 * MiB;

describe('heapFloors', () => {
  it('a sawtooth that returns to its floor: no growth, however high the last reading', () => {
    const s = series(9, sawtooth);
    // The two readings the old rule used: last minus first is over 5 times the limit.
    const lastMinusFirst = (s.at(-1)!.heapBytes - s[0].heapBytes) / (s.at(-1)!.requests! - s[0].requests!);
    assert.ok(lastMinusFirst > 5 * LIMIT, `${lastMinusFirst}`);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.start.heapBytes, 30 * MiB);
    assert.equal(f.end.heapBytes, 30 * MiB);
    assert.equal(f.perRequest, 0);
    assert.equal(f.rising, false);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s });
    assert.equal(v.verdict, 'pass', v.reason);
    assert.match(v.reason, /heap grew 0 B per request, within 2 KiB: the heap's floor .* went from 30 MiB at 0 s to 30 MiB/);
  });

  it('a floor rising at 50 KiB a request under the sawtooth: a leak, with the numbers', () => {
    const s = series(9, (i) => sawtooth(i) + i * 100 * 50 * KiB);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, true);
    assert.equal(f.leak, true);
    assert.ok(f.perRequest > 40 * KiB && f.perRequest < 60 * KiB, `${f.perRequest}`);
    const v = perRequest({ heapSeries: s });
    assert.equal(v.verdict, 'fail', v.reason);
    assert.equal(v.measured, f.perRequest);
    assert.match(v.reason, /^a leak: the heap's floor \(its lowest reading in the first and last thirds of 9 scrapes\) went from [\d.]+ MiB at \d+ s to [\d.]+ MiB at \d+ s \([\d.]+ MiB at \d+ s in the middle third\) over \d+ requests, [\d.]+ KiB per request, [\d.]+ times the limit 2 KiB/);
  });

  it('a floor that rises, falls back in the middle and ends higher: not a leak shown, a warning', () => {
    const floors = [30, 30, 30, 20, 20, 20, 50, 50, 50];
    const s = series(9, (i) => floors[i] * MiB);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, false);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /over the limit 2 KiB, but no leak is shown: .*did not rise through every third/);
  });

  it(`a floor rising through the run at under ${LEAK_FACTOR} times the limit: a warning, not a failure`, () => {
    const s = series(9, (i) => 30 * MiB + i * 100 * 3 * KiB);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, true);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /by less than 5 times the limit/);
  });

  it(`under ${LEAK_SCRAPES} scrapes even a steep rise is not called a leak`, () => {
    const s = series(LEAK_SCRAPES - 1, (i) => 30 * MiB + i * 100 * 50 * KiB);
    assert.equal(heapFloors(s, LIMIT)!.leak, false);
    const v = perRequest({ heapSeries: s });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /5 scrapes are too few/);
  });

  it('the rate is over the requests between the two floor readings', () => {
    const s: HeapReading[] = [
      { offsetMs: 0, heapBytes: 40 * MiB, requests: 0 },
      { offsetMs: 1, heapBytes: 30 * MiB, requests: 100 },
      { offsetMs: 2, heapBytes: 50 * MiB, requests: 200 },
      { offsetMs: 3, heapBytes: 45 * MiB, requests: 300 },
      { offsetMs: 4, heapBytes: 31 * MiB, requests: 600 },
      { offsetMs: 5, heapBytes: 60 * MiB, requests: 700 },
    ];
    const f = heapFloors(s, LIMIT)!;
    assert.deepEqual([f.start.offsetMs, f.middle?.offsetMs, f.end.offsetMs], [1, 3, 4]);
    assert.equal(f.requests, 500);
    assert.equal(f.perRequest, MiB / 500);
  });
});

describe('memory per-request: the service restarted', () => {
  it('is INCONCLUSIVE (skipped, unmeasurable), naming the restarts; the peaks are still judged', () => {
    const view: MemoryView = {
      heapMaxBytes: 80 * MiB,
      heapSeries: series(9, sawtooth),
      restarts: [
        { offsetMs: 8100, seenAtMs: 9000, evidence: 'process_start_time_seconds changed' },
        { offsetMs: 16000, seenAtMs: 16000, evidence: 'http_server_requests_total went down from 812 to 35' },
      ],
    };
    const vs = memoryVerdicts(contract, view);
    const v = vs.find((x) => x.name === 'per-request')!;
    assert.equal(v.verdict, 'skipped');
    assert.equal(v.unmeasurable, true);
    assert.match(v.reason, /^not judged: the service restarted 2 times \(at 8.1 s and 16 s of the measured phase: process_start_time_seconds changed; http_server_requests_total went down\)/);
    const heap = vs.find((x) => x.name === 'heap')!;
    assert.equal(heap.verdict, 'pass');
    assert.match(heap.reason, /peaked at 80 MiB, under warn 1 GiB; across 3 processes/);
  });
});

describe('memory per-request without a series (two readings)', () => {
  it('over the limit warns: two readings cannot show a leak', () => {
    const v = perRequest({ heapGrowthBytes: 10 * MiB, requests: 100 });
    assert.equal(v.verdict, 'warn');
    assert.match(v.reason, /two readings cannot tell/);
  });
});
