// The PromQL check on large queries (issue 15, item 11): a valid sum of 20,001 terms was reported
// as a syntax error (lezer cuts a parse stack deeper than ~650 terms of a chain). Long chains are
// now grouped before parsing; what is still too deep for the parser is "not checked", never an error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPromql } from '../src/contract/promql.ts';

const chain = (n: number, op = ' + ', term = (i: number) => 'a') => Array.from({ length: n }, (_, i) => term(i)).join(op);

describe('checkPromql on large queries', () => {
  it('a valid sum of 20,001 terms has no problems, and its metric is found', () => {
    const r = checkPromql(chain(20_001));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.metrics, ['a']);
    assert.equal(r.unchecked, undefined);
  });

  it('long chains inside a function, with modifiers, words as operators, and $window', () => {
    for (const q of [
      `sum(${chain(5000)})`,
      chain(3000, ' - on(job) group_left(x) ', (i) => `m${i % 7}`),
      chain(3000, ' > bool '),
      chain(3000, ' and '),
      chain(2000, ' / ', () => 'rate(x_total[$window])'),
      `-${chain(3000, ' * ', () => '-b')}`,
    ]) {
      const r = checkPromql(q);
      assert.deepEqual(r.problems, [], q.slice(0, 60));
      assert.equal(r.unchecked, undefined);
    }
    assert.deepEqual(checkPromql(chain(3000, ' - on(job) group_left(x) ', (i) => `m${i % 3}`)).metrics.sort(), ['m0', 'm1', 'm2']);
  });

  it('an error inside a long chain is still an error, at the right character', () => {
    const terms = Array.from({ length: 20_001 }, () => 'a');
    terms[15_000] = 'a{';
    const q = terms.join(' + ');
    const r = checkPromql(q);
    assert.ok(r.problems.length > 0);
    // Within the broken term's matcher (`a{ + a`): offsets map back to the query as written.
    assert.ok(r.problems[0].offset >= q.indexOf('a{') && r.problems[0].offset <= q.indexOf('a{') + 4, JSON.stringify(r.problems[0]));
    const trailing = checkPromql(`${chain(20_001)} +`);
    assert.equal(trailing.problems.length, 1);
    assert.match(trailing.problems[0].message, /ends too early/);
    assert.match(checkPromql(`${chain(5000)} + sum(`).problems[0].message, /ends too early/);
  });

  it('what the parser cannot take is "too large to check", a note and not a problem', () => {
    const deep = checkPromql(`${'('.repeat(3000)}a${')'.repeat(3000)}`);
    assert.deepEqual(deep.problems, []);
    assert.match(deep.unchecked!, /^the query is too large to check \(brackets nested 3000 deep\): not checked$/);
    const signs = checkPromql(`${'-'.repeat(5000)}a`);
    assert.deepEqual(signs.problems, []);
    assert.match(signs.unchecked!, /5000 signs in a row/);
    // Below the limits, nesting is checked as before.
    assert.deepEqual(checkPromql(`${'sum('.repeat(300)}a${')'.repeat(300)}`).problems, []);
    assert.equal(checkPromql(`${'sum('.repeat(300)}a${')'.repeat(299)}`).problems.length, 1);
  });

  it('small queries: unknown functions and ranges on expressions are named', () => {
    assert.match(checkPromql('histogram_share(0.2, x)').problems[0].message, /histogram_share is not a PromQL function/);
    assert.match(checkPromql('vector(1)[5m]').problems[0].message, /a range \[\.\.\.\] only follows a metric selector/);
    assert.deepEqual(checkPromql('rate(x[5m])[30m:1m]').problems, []);
  });
});

describe('validate on a query too large to check', () => {
  it('is a located warning, not an error: the contract stays valid', async () => {
    const { parseContract } = await import('../src/contract/load.ts');
    const deep = `${'('.repeat(500)}sum(rate(x_total[$window]))${')'.repeat(500)}`;
    const text = `apiVersion: sloctl/v1\nservice: { name: x, owner: y }\nslis:\n  - name: deep\n    good: '${deep}'\n    total: sum(rate(x_total[$window]))\n    objective: 99%\n`;
    const loaded = parseContract(text, 'slo.yaml');
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors.map((d) => d.message), []);
    const w = loaded.diagnostics.find((d) => d.code === 'SLO_PROMQL');
    assert.ok(w, 'a warning names the query');
    assert.equal(w.severity, 'warning');
    assert.match(w.message, /too large to check/);
    assert.equal(w.line, 5);
  });
});
