import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { renderDiagnostic } from '../src/contract/render.ts';

const EXAMPLE = 'examples/checkout/slo.yaml';
const exampleText = readFileSync(EXAMPLE, 'utf8');

function errorsOf(text: string, file = 'slo.yaml') {
  return parseContract(text, file).diagnostics.filter((d) => d.severity === 'error');
}

describe('the example contract', () => {
  it('is valid, with all eleven contract sections', () => {
    const r = parseContract(exampleText, EXAMPLE);
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.contract);
    assert.deepEqual(Object.keys(r.contract.objectives).sort(), [
      'availability', 'concurrency', 'dependencies', 'drift', 'errors', 'latency', 'memory', 'observability', 'regression', 'resilience', 'throughput',
    ]);
  });

  it('parses units to canonical numbers', () => {
    const c = parseContract(exampleText, EXAMPLE).contract!;
    assert.equal(c.window, 28 * 86_400_000);
    assert.equal(c.bucket, 60_000);
    assert.equal(c.load!.rate, 200);
    assert.equal(c.objectives.errors!.objective, 0.995);
    assert.equal(c.objectives.memory!.rss!.critical, 1024 ** 3);
    assert.equal(c.dependencies[0].timeout, 150);
    assert.equal(c.objectives.regression!.p95, 0.05);
  });
});

// Each "done when" case of the contract issue: the code and the exact line:col of the spot to edit.
const CASES: Array<{ fixture: string; code: string; line: number; col: number; text: RegExp }> = [
  { fixture: 'unknown-key-typo.yaml', code: 'SLO_UNKNOWN_KEY', line: 8, col: 7, text: /unknown key `objectve`/ },
  { fixture: 'duration-words.yaml', code: 'SLO_INVALID_VALUE', line: 6, col: 13, text: /invalid duration "5 minutes"/ },
  { fixture: 'objective-150.yaml', code: 'SLO_OBJECTIVE_RANGE', line: 6, col: 16, text: /150%.*outside \(0%, 100%\)/ },
  { fixture: 'dependency-timeout.yaml', code: 'SLO_DEPENDENCY_BUDGET', line: 11, col: 14, text: /250ms, not below the 200ms/ },
  { fixture: 'weights-0.9.yaml', code: 'SLO_WEIGHTS_SUM', line: 7, col: 5, text: /sum to 0\.9, not 1/ },
  { fixture: 'yaml-syntax.yaml', code: 'SLO_YAML_SYNTAX', line: 4, col: 16, text: /never closed/ },
  { fixture: 'empty.yaml', code: 'SLO_EMPTY', line: 1, col: 1, text: /no contract/ },
  { fixture: 'list.yaml', code: 'SLO_NOT_MAPPING', line: 1, col: 1, text: /is a list, not a mapping/ },
];

describe('located errors', () => {
  for (const c of CASES) {
    it(`${c.fixture}: ${c.code} at ${c.line}:${c.col}`, () => {
      const file = `test/fixtures/contracts/invalid/${c.fixture}`;
      const errors = errorsOf(readFileSync(file, 'utf8'), file);
      const hit = errors.find((d) => d.code === c.code);
      assert.ok(hit, `expected ${c.code}, got ${JSON.stringify(errors.map((d) => d.code))}`);
      assert.equal(`${hit.line}:${hit.col}`, `${c.line}:${c.col}`);
      assert.match(hit.message, c.text);
      assert.equal(hit.file, file);
    });
  }

  it('suggests the key that was meant', () => {
    const [d] = errorsOf(exampleText.replace('p95: 200ms', 'p59: 200ms'));
    assert.equal(d.code, 'SLO_UNKNOWN_KEY');
    assert.equal(d.hint, 'did you mean `p95`?');
  });

  it('lists accepted units for a bad value, and says a bare number needs one', () => {
    const [bare] = errorsOf(exampleText.replace('timeout: 150ms', 'timeout: 150'));
    assert.match(bare.message, /bare number 150.*150ms/);
    const [rate] = errorsOf(exampleText.replace('rate: 200/s', 'rate: 200 rps'));
    assert.match(rate.message, /invalid rate "200 rps".*200\/s/);
  });

  it('reports every error of a file at once', () => {
    const text = exampleText.replace('p95: 200ms', 'p59: 200ms').replace('window: 28d', 'window: 4 weeks').replace('method: POST', 'method: POTS');
    const errors = errorsOf(text);
    assert.deepEqual(errors.map((d) => d.code).sort(), ['SLO_INVALID_VALUE', 'SLO_INVALID_VALUE', 'SLO_UNKNOWN_KEY']);
    const method = errors.find((d) => d.message.includes('POTS'))!;
    assert.equal(method.hint, 'did you mean `POST`?');
  });

  it('renders file:line:col, the line, and a caret under the value', () => {
    const file = 'test/fixtures/contracts/invalid/duration-words.yaml';
    const text = readFileSync(file, 'utf8');
    const [d] = errorsOf(text, file);
    const out = renderDiagnostic(d, { sources: new Map([[file, text]]) });
    assert.equal(out.split('\n')[0].startsWith(`${file}:6:13: error SLO_INVALID_VALUE:`), true);
    assert.match(out, /6 \|   duration: 5 minutes\n  \|             \^{9}/);
  });

  it('never writes control characters from the file to the terminal', () => {
    const text = 'apiVersion: sloctl/v1\nservice: {name: "a\u001b[31mred"}\u001b[2J\n';
    const out = parseContract(text, 'x.yaml').diagnostics.map((d) => renderDiagnostic(d, { sources: new Map([['x.yaml', text]]) })).join('\n');
    assert.ok(out.length > 0);
    assert.equal(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(out), false, JSON.stringify(out));
  });

  it('reports a missing required key at its parent', () => {
    const [d] = errorsOf('apiVersion: sloctl/v1\nservice:\n  owner: me\n');
    assert.equal(d.code, 'SLO_MISSING_KEY');
    assert.match(d.message, /missing required key `name` in service/);
    assert.equal(`${d.line}:${d.col}`, '2:1');
  });

  it('rejects a second YAML document and duplicate keys, located', () => {
    const [multi] = errorsOf('apiVersion: sloctl/v1\nservice: {name: a}\n---\napiVersion: sloctl/v1\n');
    assert.equal(multi.code, 'SLO_MULTIPLE_DOCUMENTS');
    assert.equal(multi.line, 3);
    const [dup] = errorsOf('apiVersion: sloctl/v1\nservice: {name: a}\nservice: {name: b}\n');
    assert.equal(dup.code, 'SLO_YAML_SYNTAX');
    assert.equal(dup.line, 3);
  });

  it('an unquoted {param} path in a flow mapping is one error with a hint, not a cascade: the rest are counted on it', () => {
    const text = [
      'apiVersion: sloctl/v1',
      'service: { name: cart, owner: me }',
      'routes:',
      '  - { name: get-cart, method: GET, path: /api/v1/carts/{cartId}, weight: 1 }',
      '  - { name: list-carts, method: GET, path: /api/v1/carts }',
      'objectives:',
      '  errors: { objective: 99% }',
      '',
    ].join('\n');
    const errors = errorsOf(text);
    assert.equal(errors.length, 1, JSON.stringify(errors, null, 1));
    const [d] = errors;
    assert.equal(d.code, 'SLO_YAML_SYNTAX');
    assert.equal(`${d.line}:${d.col}`, `4:${text.split('\n')[3].indexOf('{cartId}') + 1}`);
    assert.equal(d.message, 'a `{` inside a flow mapping (`{ key: value, ... }`) starts a new mapping, so `/api/v1/carts/{cartId}` is not read as one value');
    assert.equal(d.hint, "quote the value ('/api/v1/carts/{cartId}'), or write :cartId (/api/v1/carts/:cartId)");
    assert.equal(d.related?.length, 1);
    assert.match(d.related![0].message, /^29 more YAML errors after this one \(from 4:57 to 7:28\), not shown: most follow from the first/);
    // Quoted, the same file is valid.
    assert.deepEqual(errorsOf(text.replace('/api/v1/carts/{cartId}', "'/api/v1/carts/{cartId}'")), []);
    // Rendered: the first error, its hint, and the count.
    const out = renderDiagnostic(d, { sources: new Map([['slo.yaml', text]]) });
    assert.match(out, /hint: quote the value/);
    assert.match(out, /note: slo\.yaml:4:57: 29 more YAML errors after this one/);
  });

  it('a lone YAML error carries no count', () => {
    const one = errorsOf('apiVersion: sloctl/v1\nservice:\n  name: x\n\towner: y\n');
    assert.equal(one.length, 1);
    assert.equal(one[0].related, undefined);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['apiVersion: sloctl/v1', 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    const errors = errorsOf(bomb.join('\n'));
    assert.equal(errors[0].code, 'SLO_YAML_SYNTAX');
  });
});

describe('semantic checks', () => {
  const variants: Array<[string, (t: string) => string, string, RegExp]> = [
    ['window not a whole number of buckets', (t) => t.replace('bucket: 1m ', 'bucket: 11m'), 'SLO_WINDOW_BUCKETS', /not a whole number of 11m buckets/],
    ['bucket shorter than the scrape interval', (t) => t.replace('bucket: 1m ', 'bucket: 10s'), 'SLO_BUCKET_SCRAPE', /shorter than the scrape interval 15s/],
    ['p95 above p99', (t) => t.replace('p95: 200ms, p99: 400ms', 'p95: 500ms, p99: 400ms'), 'SLO_PERCENTILE_ORDER', /p95 ceiling 500ms is above the p99 ceiling 400ms/],
    ['warn not below critical', (t) => t.replace('heap: { warn: 256MiB, critical: 512MiB }', 'heap: { warn: 1GiB, critical: 512MiB }'), 'SLO_THRESHOLD_ORDER', /warn \(1 GiB\) must be below critical \(512 MiB\)/],
    ['a drill longer than the run', (t) => t.replace('duration: 10s\n        degraded:\n          latency', 'duration: 2m\n        degraded:\n          latency'), 'SLO_DRILL_LONGER_THAN_RUN', /lasts 2m, longer than the 30s load run/],
    ['duplicate SLO names', (t) => t.replace('minimum: 150/s', 'name: api-latency\n    minimum: 150/s'), 'SLO_DUPLICATE_NAME', /"api-latency" is used twice/],
    ['an unmeasurable budget', (t) => t.replace('objective: 99.5%', 'objective: 99.999%'), 'SLO_BUDGET_UNMEASURABLE', /allows 0\.060 bad requests/],
    ['a PromQL error', (t) => t.replace('total: sum(increase(checkout_orders_total[$window]))', 'total: sum(increase(checkout_orders_total[$window])'), 'SLO_PROMQL', /PromQL syntax error/],
    ['an unknown route reference', (t) => t.replace('- route: list-orders', '- route: list-order'), 'SLO_UNKNOWN_REFERENCE', /route "list-order" is not declared/],
    ['an objective of 100%', (t) => t.replace('objective: 99.9%', 'objective: 100%'), 'SLO_OBJECTIVE_RANGE', /no error budget/],
  ];
  for (const [what, mutate, code, text] of variants) {
    it(what, () => {
      const mutated = mutate(exampleText);
      assert.notEqual(mutated, exampleText, 'the mutation must apply');
      const errors = errorsOf(mutated);
      const hit = errors.find((d) => d.code === code);
      assert.ok(hit, `expected ${code}, got ${JSON.stringify(errors.map((d) => `${d.code} ${d.message}`))}`);
      assert.match(hit.message, text);
    });
  }

  it('an unmeasurable budget: 99.99% of 6000 requests is 0.6 bad requests (not measurable), 99.9% is 6 (measurable)', () => {
    const ok = errorsOf(exampleText.replace('objective: 99.5%', 'objective: 99.9%')).filter((d) => d.code === 'SLO_BUDGET_UNMEASURABLE');
    assert.deepEqual(ok, []);
    const bad = errorsOf(exampleText.replace('objective: 99.5%', 'objective: 99.99%')).find((d) => d.code === 'SLO_BUDGET_UNMEASURABLE');
    assert.ok(bad);
    assert.match(bad.message, /allows 0\.60 bad requests in the load run's 6000/);
  });

  it('places a PromQL error at the character inside the query', () => {
    const text = exampleText.replace('total: sum(increase(checkout_orders_total[$window]))', 'total: sum(increase(checkout_orders_total[$window]) by')
    const d = errorsOf(text).find((x) => x.code === 'SLO_PROMQL')!;
    const line = text.split('\n')[d.line - 1];
    assert.equal(line.slice(d.col - 1, d.col + 1), 'by');
  });
});

describe('a mapping where one word goes, holding the keys that belong beside it', () => {
  it('says to write the word and move the keys up a level (a user wrote a drill\'s fault so)', () => {
    const text = `apiVersion: sloctl/v1
service: { name: x }
dependencies:
  - { name: inventory, url: http://127.0.0.1:9/, timeout: 100ms, critical: true }
objectives:
  resilience:
    drills:
      - name: inv-down
        fault: { type: error, dependency: inventory, status: 503 }
        duration: 10s
        detectWithin: 5s
        recoverWithin: 10s
`;
    const [d] = errorsOf(text);
    assert.equal(d.code, 'SLO_INVALID_VALUE');
    assert.equal(`${d.line}:${d.col}`, '9:16');
    assert.equal(d.hint, '`fault` takes one word (`fault: error`); `dependency`, `status` are keys of objectives.resilience.drills[0], written beside `fault`, not inside it');
    // A mapping holding none of the parent's keys gets no such hint.
    const [other] = errorsOf(text.replace('{ type: error, dependency: inventory, status: 503 }', '{ kind: error }'));
    assert.equal(other.code, 'SLO_INVALID_VALUE');
    assert.equal(other.hint, undefined);
  });
});

describe('a key indented more than the one above it', () => {
  it('is pointed at on its own line, not at the value above it (a user trial: line 3 for a space too many on line 4)', () => {
    const [d, ...rest] = errorsOf('apiVersion: sloctl/v1\nservice:\n  name: x\n   runtime: go\n');
    assert.deepEqual(rest, []);
    assert.equal(d.code, 'SLO_YAML_SYNTAX');
    assert.equal(`${d.line}:${d.col}`, '4:4');
    assert.equal(d.message, '`runtime:` is indented 3 spaces, more than `name:` on the line above (2), so YAML reads it as part of `name`\'s value');
    assert.equal(d.hint, 'indent `runtime:` by 2 spaces, as `name:`, if it belongs beside it');
    // In a list item: `- name: a` then a key one space deeper than `name`.
    const [item] = errorsOf('apiVersion: sloctl/v1\nservice: { name: x }\nroutes:\n  - name: a\n     method: GET\n    path: /\n');
    assert.equal(`${item.line}:${item.col}`, '5:6');
    assert.match(item.message, /^`method:` is indented 5 spaces, more than `name:` on the line above \(4\)/);
    // A value that really lacks its colon keeps the parser's own message.
    const [colon] = errorsOf('apiVersion: sloctl/v1\nservice:\n  name x\n  runtime: go\n');
    assert.equal(colon.code, 'SLO_YAML_SYNTAX');
    assert.doesNotMatch(colon.message, /is indented/);
  });
});
