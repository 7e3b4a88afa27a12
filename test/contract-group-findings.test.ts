// The same finding on many places prints once with the list (issue 9): grouping is by file, code,
// severity, and message and hint with their quoted names and numbers set aside.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../src/contract/diagnostic.ts';
import { GROUP_FROM, groupFindings, othersLine } from '../src/contract/group-findings.ts';

const finding = (line: number, route: string, over: Partial<Diagnostic> = {}): Diagnostic => ({
  file: 'slo.yaml', line, col: 5, severity: 'warning', code: 'SLO_CONTRACT_GAP',
  message: `route "${route}" has no latency threshold of its own below 250ms`, hint: `set routes[${line}].latency`, ...over,
});

describe('groupFindings', () => {
  it('17 routes with the same finding are one group, in file order, listed once', () => {
    const all = Array.from({ length: 17 }, (_, i) => finding(10 + i, `r${i}`));
    const groups = groupFindings(all);
    assert.equal(groups.length, 1);
    assert.equal(groups[0].first.line, 10);
    assert.deepEqual(groups[0].others.map((d) => d.line), Array.from({ length: 16 }, (_, i) => 11 + i));
    assert.equal(othersLine(groups[0].others, 3), 'the same for 16 more: "r1" (11:5), "r2" (12:5), "r3" (13:5), and 13 more');
  });

  it(`fewer than ${GROUP_FROM} alike print one by one; other codes, files or severities never merge`, () => {
    const all = [
      finding(1, 'a'), finding(2, 'b'),
      finding(3, 'c', { code: 'SLO_DUPLICATE_NAME' }), finding(4, 'd', { code: 'SLO_DUPLICATE_NAME' }), finding(5, 'e', { code: 'SLO_DUPLICATE_NAME' }),
      finding(6, 'f', { file: 'other.yaml' }), finding(7, 'g', { severity: 'error' }),
      finding(8, 'h', { message: 'a different sentence about "h"' }),
    ];
    const groups = groupFindings(all);
    assert.deepEqual(groups.map((g) => [g.first.line, g.others.length]), [[1, 0], [2, 0], [3, 2], [6, 0], [7, 0], [8, 0]]);
  });
});
