import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clock, ProgressWriter, renderProgressLine, renderStatusLine } from '../src/load/progress.ts';
import type { LoadProgress } from '../src/load/types.ts';

function progress(over: Partial<LoadProgress> = {}): LoadProgress {
  return { elapsedMs: 12_600, totalMs: 30_000, sent: 12_598, completed: 12_586, errors: 3, rate: 998.4, requestedRate: 1000, p95: 3.214, inFlight: 12, ...over };
}

describe('progress rendering', () => {
  it('draws the bar, the time, rate against asked, p95, errors and in-flight on one line', () => {
    const line = renderStatusLine(progress(), 120);
    assert.match(line, /^\[#{13}-{17}\]  42%  12\.6s\/30\.0s  998\/s of 1,000\/s  p95 3\.21ms  errors 3  in flight 12$/);
    assert.ok(line.length <= 119);
  });

  it('says max instead of a requested rate in the closed model', () => {
    assert.match(renderStatusLine(progress({ requestedRate: null, rate: 45_210.7 }), 120), /45,211\/s \(max\)/);
  });

  it('fits a narrow terminal by dropping the least important fields, then the bar', () => {
    for (const columns of [80, 60, 40, 20]) {
      const line = renderStatusLine(progress(), columns);
      assert.ok(line.length <= columns - 1, `${columns} columns: ${line.length} characters: ${line}`);
      assert.match(line, /12\.6s\/30\.0s/, `${columns} columns keeps the time: ${line}`);
    }
    assert.doesNotMatch(renderStatusLine(progress(), 60), /in flight/);
    assert.match(renderStatusLine(progress(), 60), /^\[#+-*\]/);
  });

  it('never overflows the bar, even past the end or before the start', () => {
    assert.match(renderStatusLine(progress({ elapsedMs: 31_000 }), 120), /^\[#{30}\] 100%/);
    assert.match(renderStatusLine(progress({ elapsedMs: 0, totalMs: 0 }), 120), /^\[-{30}\]   0%/);
  });

  it('writes the CI line as plain text', () => {
    assert.equal(renderProgressLine(progress()), 'load 12.6s/30.0s: sent 12,598, 998/s of 1,000/s, p95 3.21ms, errors 3, in flight 12');
    assert.equal(clock(125_000), '2m05s');
  });
});

describe('ProgressWriter', () => {
  it('redraws one line on a terminal and clears it at the end', () => {
    const out: string[] = [];
    const w = new ProgressWriter({ write: (s) => out.push(s), isTTY: true, columns: () => 100 });
    w.update(progress({ elapsedMs: 1000 }));
    w.update(progress({ elapsedMs: 2000 }), 'trial 1/3');
    w.clear();
    assert.equal(out.length, 3);
    assert.match(out[0], /^\r\[.*\x1b\[K$/);
    assert.match(out[1], /^\rtrial 1\/3: \[/);
    assert.ok(out[1].length - '\r\x1b[K'.length <= 99);
    assert.equal(out[2], '\r\x1b[K');
    assert.equal(out.join('').includes('\n'), false);
  });

  it('writes a line every 5 s of run time without a terminal, and nothing to clear', () => {
    const out: string[] = [];
    const w = new ProgressWriter({ write: (s) => out.push(s), isTTY: false });
    for (let t = 1000; t <= 30_000; t += 1000) w.update(progress({ elapsedMs: t }));
    w.clear();
    assert.deepEqual(
      out.map((l) => /^load (\S+)\//.exec(l)?.[1]),
      ['5.0s', '10.0s', '15.0s', '20.0s', '25.0s', '30.0s'],
    );
    assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b')));
  });

  it('restarts the cadence when the phase changes', () => {
    const out: string[] = [];
    const w = new ProgressWriter({ write: (s) => out.push(s), isTTY: false, everyMs: 2000 });
    for (let t = 1000; t <= 4000; t += 1000) w.update(progress({ elapsedMs: t }), 'warm-up');
    for (let t = 1000; t <= 2000; t += 1000) w.update(progress({ elapsedMs: t }), 'trial 1/2');
    assert.deepEqual(out.map((l) => l.slice(0, l.indexOf(':'))), ['warm-up', 'warm-up', 'trial 1/2']);
  });
});
