// The heap-floor rule of `memory per-request` (src/verdicts/memory.ts) on synthetic series: a
// sawtooth that returns to its floor is no leak, whatever its last reading; a heap that rises
// through the run at several times the limit right after major collections is; a floor rising
// with no major collection to show it (garbage promoted, not yet collected), or with no count of
// them, or in between, or over too few scrapes, warns; a restart makes it INCONCLUSIVE. The
// end-to-end runs are in gate-memory.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapFloors, memoryVerdicts, LEAK_COLLECTIONS, LEAK_FACTOR, LEAK_SCRAPES, type HeapReading, type MemoryView } from '../src/verdicts/memory.ts';
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

/** `n` scrapes, 100 requests apart, 2 s apart; heap(i) gives the reading, gcs(i) the count of major collections. */
function series(n: number, heap: (i: number) => number, gcs?: (i: number) => number): HeapReading[] {
  return Array.from({ length: n }, (_, i) => ({ offsetMs: i * 2000, heapBytes: heap(i), requests: 1000 + i * 100, ...(gcs ? { majorGcs: gcs(i) } : {}) }));
}

const GC_METRIC = 'nodejs_gc_duration_seconds_count{kind="major"}';

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

  it('a floor rising at 50 KiB a request under the sawtooth, with no count of major collections: no leak shown (WARN), naming the metric', () => {
    const s = series(9, (i) => sawtooth(i) + i * 100 * 50 * KiB);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, true);
    assert.equal(f.collected, undefined);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /no leak is shown: .*the service exports no count of its major garbage collections \(nodejs_gc_duration_seconds_count\{kind="major"\}\)/);
  });

  it('a heap that falls back in the middle after major collections and ends higher: not a leak shown, a warning', () => {
    const floors = [30, 30, 30, 20, 20, 20, 50, 50, 50];
    // A major collection before every reading.
    const s = series(9, (i) => floors[i] * MiB, (i) => i);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, false);
    assert.equal(f.collected?.rising, false);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /over the limit 2 KiB, but no leak is shown: .*the heap right after major collections did not rise through the run \(the first third's floor 30 MiB at 0 s, then 20 MiB at 6 s and 50 MiB at 12 s after collections; nodejs_gc_duration_seconds_count\{kind="major"\} went from 0 to 8\)/);
  });

  it(`a heap rising after major collections at under ${LEAK_FACTOR} times the limit: a warning, not a failure`, () => {
    const s = series(9, (i) => 30 * MiB + i * 100 * 3 * KiB, (i) => i);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, true);
    assert.equal(f.collected?.rising, true);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /the heap right after major collections rose through the run \(the first third's floor 30 MiB at 0 s, then 30\.9 MiB at 6 s and 31\.8 MiB at 12 s after collections\), but by 3 KiB per request, less than 5 times the limit/);
  });

  it(`under ${LEAK_SCRAPES} scrapes even a steep rise after major collections is not called a leak`, () => {
    const s = series(LEAK_SCRAPES - 1, (i) => 30 * MiB + i * 100 * 50 * KiB, (i) => i);
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

describe('memory per-request: only readings after major collections show a leak', () => {
  // The trial's Koa service (20% of GET /items/:sku throw, nothing retained): the heap rose 35.2
  // -> 44.3 MiB with garbage promoted by minor collections, and its first major one took it to 16.9.
  const koa = [41.1, 35.2, 42.3, 37.5, 44.3, 40.9, 45.8, 42.6, 47.9, 16.9, 24.2, 19.8];

  it('a floor rising with no major collection in the run: WARN, naming the count that stayed', () => {
    const s = series(9, (i) => koa[i] * MiB, () => 3);
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.rising, true, 'the floors alone rise through every third');
    assert.ok(f.perRequest > LEAK_FACTOR * LIMIT, `${f.perRequest}: the old rule would have called it a leak`);
    assert.deepEqual(f.collected?.after, []);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.equal(v.measured, f.perRequest);
    assert.match(v.reason, /^heap grew [\d.]+ KiB per request, over the limit 2 KiB, but no leak is shown: the heap's floor .* went from 35\.2 MiB at 2 s to 42\.6 MiB at 14 s .*; no major collection ran in the 16 s of the run \(nodejs_gc_duration_seconds_count\{kind="major"\} stayed at 3\): garbage promoted to the old generation stays until a major collection, so the heap's floor cannot tell retained memory from it/);
  });

  it('the same rise, then a major collection that brings the heap back down: not a failure', () => {
    // The major collection between the 9th and 10th readings; nothing after it rises again.
    const s = series(12, (i) => koa[i] * MiB, (i) => (i < 9 ? 3 : 4));
    const f = heapFloors(s, LIMIT)!;
    assert.deepEqual(f.collected?.after.map((r) => r.heapBytes / MiB), [16.9]);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.notEqual(v.verdict, 'fail', v.reason);
  });

  it('one major collection past the first third is too few: WARN, saying when it ran', () => {
    const s = series(9, (i) => 30 * MiB + i * 100 * 50 * KiB, (i) => (i < 5 ? 0 : 1));
    const f = heapFloors(s, LIMIT)!;
    assert.equal(f.collected?.after.length, 1);
    assert.ok(LEAK_COLLECTIONS > 1);
    assert.equal(f.leak, false);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /only one reading past the first third of the 16 s run followed a major collection \(54\.4 MiB at 10 s; nodejs_gc_duration_seconds_count\{kind="major"\} went from 0 to 1\), 2 needed/);
  });

  it('major collections that all ran in the first third: WARN', () => {
    const s = series(9, (i) => 30 * MiB + i * 100 * 50 * KiB, (i) => (i < 2 ? i : 1));
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /the major collections of the 16 s run all ran in its first third \(nodejs_gc_duration_seconds_count\{kind="major"\} went from 0 to 1\), none later/);
  });

  it('a heap that keeps rising right after major collections, under a sawtooth of garbage: a leak (FAIL), with the numbers', () => {
    // Retains 50 KiB a request; garbage of up to 12 MiB on top, gone at each major collection
    // (before the 4th and 7th readings, and the 9th).
    const gcs = [0, 0, 0, 1, 1, 1, 2, 2, 3];
    const s = series(9, (i) => 30 * MiB + i * 100 * 50 * KiB + (i > 0 && gcs[i] > gcs[i - 1] ? 0 : (i % 3) * 6 * MiB), (i) => gcs[i]);
    const f = heapFloors(s, LIMIT)!;
    assert.deepEqual(f.collected?.after.map((r) => r.offsetMs), [6000, 12000, 16000]);
    assert.equal(f.collected?.rising, true);
    assert.equal(f.leak, true);
    const c = f.collected!;
    // From the first reading (30 MiB, 1000 requests) to the lowest of the later half (reading 6: 30 MiB + 600 × 50 KiB).
    assert.equal(c.end?.offsetMs, 12000);
    assert.equal(c.requests, 600);
    assert.equal(c.perRequest, 50 * KiB);
    const v = perRequest({ heapSeries: s, majorGcMetric: GC_METRIC });
    assert.equal(v.verdict, 'fail', v.reason);
    assert.equal(v.measured, 50 * KiB);
    assert.equal(v.reason, 'a leak: the heap right after major collections rose through the run: from the heap\'s floor of 30 MiB at 0 s (the lowest reading of the first third of 9 scrapes, at most what was retained then) to 44.6 MiB at 6 s and 59.3 MiB at 12 s (the lowest readings after major collections in the earlier and later halves of the 3 read after one, at 6 s, 12 s, 16 s; nodejs_gc_duration_seconds_count{kind="major"} went from 0 to 3) over 600 requests, 50 KiB per request, 25 times the limit 2 KiB; a major collection cannot lower the heap below what the service retains');
  });

  it('without the count of major collections the same series is no leak shown, naming the metric that would tell', () => {
    const s = series(9, (i) => 30 * MiB + i * 100 * 50 * KiB);
    const v = perRequest({ heapSeries: s, majorGcMetric: 'go_gc_duration_seconds_count' });
    assert.equal(v.verdict, 'warn', v.reason);
    assert.match(v.reason, /exports no count of its major garbage collections \(go_gc_duration_seconds_count\)/);
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
