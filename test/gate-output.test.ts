// The gate's renderers: JUnit XML that validates against a JUnit schema (also with hostile names),
// an <error> case whenever the gate could not judge, GFM tables that stay tables, a terminal table
// with color only when asked, and JSON that holds NaN and Infinity.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateXML } from 'xmllint-wasm';
import { renderJson } from '../src/report/json.ts';
import { renderJunit, xmlAttr, xmlText } from '../src/report/junit.ts';
import { appendStepSummary, renderMarkdown } from '../src/report/markdown.ts';
import { renderTable } from '../src/report/table.ts';
import type { GateReport, MetricComparison, ObjectiveVerdict } from '../src/verdicts/types.ts';

const XSD = readFileSync(new URL('./fixtures/junit/junit.xsd', import.meta.url), 'utf8');

function verdict(over: Partial<ObjectiveVerdict>): ObjectiveVerdict {
  return {
    contract: 'latency',
    name: 'api-latency p95',
    verdict: 'pass',
    measured: 182.4,
    objective: 250,
    unit: 'ms',
    direction: 'lower-is-better',
    margin: 67.6,
    client: 182.4,
    service: 175,
    reason: 'p95 182.4 ms is within 250 ms',
    ...over,
  };
}

function comparison(over: Partial<MetricComparison>): MetricComparison {
  return {
    metric: 'p95',
    unit: 'ms',
    baseline: [180, 181, 179],
    current: [216, 218, 215],
    baselineMedian: 180,
    currentMedian: 216,
    change: 0.2,
    tolerance: 0.05,
    test: 'Mann-Whitney U',
    pValue: 0.05,
    alpha: 0.1,
    verdict: 'fail',
    reason: 'p95 is 20% slower than the baseline (tolerance 5%)',
    ...over,
  };
}

function report(over: Partial<GateReport> = {}): GateReport {
  return {
    service: 'checkout',
    contractFile: 'examples/checkout/slo.yaml',
    startedAt: Date.UTC(2026, 10, 25, 5, 11, 51),
    finishedAt: Date.UTC(2026, 10, 25, 5, 12, 41, 500),
    outcome: 'fail',
    exitCode: 1,
    reasons: ['latency api-latency p95: p95 302 ms is over the ceiling 250 ms', 'regression p95: p95 is 20% slower than the baseline'],
    notes: [],
    target: { url: 'http://127.0.0.1:8080', started: true, command: 'npm run example', log: '.sloctl/runs/checkout-20261125-051151/target.log' },
    profile: { rate: 200, durationMs: 30_000, warmupMs: 5000, connections: 64, trials: 3, workers: 1 },
    verdicts: [
      verdict({}),
      verdict({ name: 'api-latency p99', verdict: 'fail', measured: 302, objective: 250, margin: -52, client: 302, service: 290, reason: 'p99 302 ms is over the ceiling 250 ms' }),
      verdict({ contract: 'errors', name: 'errors', unit: 'ratio', direction: 'higher-is-better', measured: 0.9995, objective: 0.999, margin: 0.0005, client: 0.9995, service: NaN, verdict: 'warn', reason: 'meets 99.9% with less than 10% of the allowed bad share left' }),
      verdict({ contract: 'custom', name: 'checkout-success', unit: 'ratio', direction: 'higher-is-better', measured: NaN, objective: 0.99, margin: NaN, client: undefined, service: undefined, verdict: 'skipped', reason: 'custom PromQL SLIs need Prometheus' }),
      verdict({ contract: 'throughput', name: 'orders', unit: 'rate', direction: 'higher-is-better', measured: 198.7, objective: 150, margin: 48.7, client: 198.7, service: Infinity, reason: 'sustained 198.7/s' }),
    ],
    trials: [
      { index: 0, startedAt: 0, durationMs: 10_000, requests: 2000, p95Ms: 180, errorRatio: 0.0004, memoryPerRequestBytes: 120, throughput: 200, latency: { count: 2000, min: 1, mean: 50, stdev: 20, max: 400, p50: 40, p90: 150, p95: 180, p99: 300, p999: 390 } },
      { index: 1, startedAt: 10_000, durationMs: 10_000, requests: 2000, p95Ms: 185, errorRatio: 0.0005, memoryPerRequestBytes: null, throughput: 200, latency: { count: 2000, min: 1, mean: 50, stdev: 20, max: 400, p50: 40, p90: 150, p95: 185, p99: 300, p999: 390 } },
    ],
    baseline: {
      path: '.sloctl/baseline.json',
      createdAt: Date.UTC(2026, 10, 20),
      commit: 'abc1234',
      verdict: 'fail',
      comparisons: [
        comparison({}),
        comparison({ metric: 'errorRatio', unit: 'ratio', baseline: [0.0004], current: [0.0005], baselineMedian: 0.0004, currentMedian: 0.0005, change: 0.0001, tolerance: 0.001, pValue: 0.4, verdict: 'pass', reason: 'within +0.1 pt' }),
        comparison({ metric: 'memoryPerRequest', unit: 'bytes', baseline: [], current: [], baselineMedian: NaN, currentMedian: NaN, change: NaN, pValue: NaN, verdict: 'skipped', reason: 'the service does not expose its heap' }),
      ],
    },
    generator: { requestedRate: 200, achievedRate: 199.8, lateSends: 0, lateThresholdMs: 10, maxLagMs: 2.1, droppedSends: 0, eventLoopDelayP99Ms: 1.2, cpu: 0.35, workers: 1, ok: true, reasons: [] },
    journal: '.sloctl/runs/checkout-20261125-051151/journal.jsonl',
    ...over,
  };
}

async function validate(xml: string): Promise<void> {
  const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: XSD }] });
  assert.equal(r.valid, true, `${r.errors.map((e) => e.rawMessage).join('\n')}\n${xml}`);
}

/** The attribute of the first element <tag ...> (raw, still escaped). */
function attr(xml: string, tag: string, name: string): string | undefined {
  const m = new RegExp(`<${tag}\\b[^>]*\\s${name}="([^"]*)"`).exec(xml);
  return m?.[1];
}

const count = (xml: string, re: RegExp) => (xml.match(re) ?? []).length;

describe('JUnit XML', () => {
  it('validates against the JUnit schema, one test case per objective and baseline metric, with consistent counts', async () => {
    const xml = renderJunit(report());
    await validate(xml);
    assert.equal(count(xml, /<testcase\b/g), 5 + 3);
    assert.equal(attr(xml, 'testsuite', 'tests'), '8');
    assert.equal(attr(xml, 'testsuite', 'failures'), '2'); // p99, baseline p95; the FAIL outcome needs no case of its own
    assert.equal(attr(xml, 'testsuite', 'errors'), '0');
    assert.equal(attr(xml, 'testsuite', 'skipped'), '2');
    assert.equal(count(xml, /<failure\b/g), 2);
    assert.equal(count(xml, /<skipped\b/g), 2);
    assert.equal(attr(xml, 'testsuite', 'time'), '50.500');
    assert.equal(attr(xml, 'testsuite', 'timestamp'), '2026-11-25T05:11:51Z');
    // A warning passes, with its reason where CI shows a test's output.
    assert.match(xml, /<testcase name="errors" classname="sloctl\.gate\.checkout\.errors" time="0">\s*<system-out>WARN: meets 99\.9%/);
    assert.match(xml, /<failure message="p99 302 ms is over the ceiling 250 ms" type="objective">/);
    assert.match(xml, /<testcase name="baseline p95" classname="sloctl\.gate\.checkout\.baseline"/);
  });

  it('the schema bites: a report with a bad count, an empty name or an unknown element does not validate', async () => {
    const good = renderJunit(report());
    for (const bad of [good.replace('tests="8"', 'tests="NaN"'), good.replace('name="api-latency p99"', 'name=""'), good.replace('<properties>', '<properties><bogus/>')]) {
      const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: bad }], schema: [{ fileName: 'junit.xsd', contents: XSD }] });
      assert.equal(r.valid, false, bad.slice(0, 300));
    }
  });

  for (const [outcome, exitCode, reason] of [
    ['inconclusive', 4, 'the load generator could not deliver the profile: achieved 812/s of 1000/s'],
    ['target-failed', 3, 'the target `npm start` exited with code 1 after 0.2s\nlast lines of target.log:\n  | Error: listen EADDRINUSE'],
  ] as const) {
    it(`a ${outcome} run has an <error> test case, so CI does not show green`, async () => {
      const xml = renderJunit(report({ outcome, exitCode, reasons: [reason], verdicts: [verdict({})], baseline: undefined }));
      await validate(xml);
      assert.equal(attr(xml, 'testsuite', 'errors'), '1');
      assert.equal(attr(xml, 'testsuites', 'errors'), '1');
      assert.match(xml, new RegExp(`<testcase name="gate outcome" classname="sloctl\\.gate\\.checkout" time="0">\\s*<error message="${outcome === 'inconclusive' ? 'INCONCLUSIVE \\(exit 4\\)' : 'TARGET FAILED \\(exit 3\\)'}: [^"\\n]+" type="${outcome}">`));
    });
  }

  it('a target that failed before any verdict is still one failing (error) test, not an empty green suite', async () => {
    const xml = renderJunit(report({ outcome: 'target-failed', exitCode: 3, reasons: ['the target did not become healthy within 30s'], verdicts: [], trials: [], baseline: undefined, generator: undefined }));
    await validate(xml);
    assert.equal(attr(xml, 'testsuite', 'tests'), '1');
    assert.equal(attr(xml, 'testsuite', 'errors'), '1');
  });

  it('a FAIL that no test case carries gets a failing outcome case; a PASS gets none', async () => {
    const fail = renderJunit(report({ outcome: 'fail', exitCode: 1, reasons: ['something failed'], verdicts: [verdict({})], baseline: undefined }));
    await validate(fail);
    assert.equal(attr(fail, 'testsuite', 'failures'), '1');
    assert.match(fail, /<testcase name="gate outcome"[^>]*>\s*<failure message="FAIL \(exit 1\): something failed"/);
    const pass = renderJunit(report({ outcome: 'pass', exitCode: 0, reasons: [], verdicts: [verdict({})], baseline: undefined }));
    await validate(pass);
    assert.equal(attr(pass, 'testsuite', 'failures'), '0');
    assert.equal(attr(pass, 'testsuite', 'errors'), '0');
    assert.doesNotMatch(pass, /gate outcome/);
  });

  it('escapes hostile names and reasons (quotes, <, &, ]]>, control characters, lone surrogates) and still validates', async () => {
    const hostile = `a "quoted" 'name' <b>&amp; ]]> tab\there\nnew\rline \u0000\u0001\u001b[31m \ud800 \ufffe end`;
    const xml = renderJunit(
      report({
        service: hostile,
        contractFile: hostile,
        reasons: [hostile],
        verdicts: [verdict({ name: hostile, reason: hostile, verdict: 'fail' }), verdict({ name: hostile, reason: hostile, verdict: 'skipped' }), verdict({ name: hostile, reason: hostile, verdict: 'warn' })],
        baseline: { path: hostile, createdAt: 0, commit: hostile, verdict: 'fail', comparisons: [comparison({ reason: hostile, test: hostile })] },
        target: { url: hostile, started: true, command: hostile },
      }),
    );
    await validate(xml);
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, 'no raw control character');
    assert.doesNotMatch(xml, /\]\]>/, 'no raw ]]>');
    // Attribute values keep tabs and newlines as references, and show the unencodable as \u0001.
    assert.match(xml, /name="a &quot;quoted&quot; &apos;name&apos; &lt;b&gt;&amp;amp; \]\]&gt; tab&#9;here&#10;new&#13;line \\u0000\\u0001\\u001b\[31m \\ud800 \\ufffe end"/);
    assert.equal(xmlText('x]]>y'), 'x]]&gt;y');
    assert.equal(xmlAttr('😀 "'), '😀 &quot;', 'a surrogate pair (astral character) is kept');
  });
});

/** The cells of a GFM table row: split on pipes that are not backslash-escaped. */
function cells(line: string): string[] {
  assert.ok(line.startsWith('|') && line.endsWith('|'), `a table row starts and ends with a pipe: ${line}`);
  const out: string[] = [];
  let cur = '';
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      cur += c + line[i + 1];
      i++;
    } else if (c === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  return out;
}

/** Every table in the Markdown: consecutive lines that start with a pipe. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const l of md.split('\n')) {
    if (l.startsWith('|')) cur.push(l);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** GFM: a header row, a delimiter row of --- cells with as many columns, then body rows with as many. */
function assertGfmTable(t: string[], columns: number): string[][] {
  assert.ok(t.length >= 3, 'header, delimiter and at least one row');
  const rows = t.map(cells);
  assert.equal(rows[0].length, columns);
  assert.ok(rows[1].every((c) => /^:?-{3,}:?$/.test(c)), `delimiter row: ${t[1]}`);
  for (const r of rows) assert.equal(r.length, columns, `every row has ${columns} cells`);
  return rows.slice(2);
}

describe('Markdown', () => {
  it('renders the objectives and the baseline as GFM tables, outcome and reasons after them', () => {
    const md = renderMarkdown(report());
    const [objectives, baseline, ...rest] = tables(md);
    assert.equal(rest.length, 0);
    const rows = assertGfmTable(objectives, 9);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[1].slice(0, 8), ['latency', 'api-latency p99', '302 ms', '290 ms', '302 ms', '\\<= 250 ms', '-52.0 ms', '**FAIL**']);
    assert.equal(rows[2][3], 'n/a', 'a view that could not be measured');
    assert.equal(rows[3][2], '-', 'a view that does not exist');
    assertGfmTable(baseline, 8);
    assert.match(md, /^### sloctl gate: checkout: FAIL \(exit 1\)$/m);
    assert.match(md, /^\*\*FAIL \(exit 1\)\*\*\n\n- latency api-latency p95: p95 302 ms is over the ceiling 250 ms$/m);
    // A blank line before each table, so it is not glued to the paragraph above.
    for (const t of [objectives, baseline]) assert.equal(md.split('\n')[md.split('\n').indexOf(t[0]) - 1], '');
  });

  it('keeps hostile text inside its cell: pipes and markup escaped, newlines folded', () => {
    const hostile = 'a | b \\| c\nd *e* _f_ `g` <script> [x](y) &amp; ~~s~~';
    const md = renderMarkdown(report({ verdicts: [verdict({ name: hostile, reason: hostile, contract: '|' })], baseline: undefined, reasons: ['- looks like a list\nline 2 with ``` fences', '1. numbered'] }));
    const [objectives] = tables(md);
    const [row] = assertGfmTable(objectives, 9);
    assert.equal(row[0], '\\|');
    assert.equal(row[1], 'a \\| b \\\\\\| c d \\*e\\* \\_f\\_ \\`g\\` \\<script\\> \\[x\\](y) \\&amp; \\~\\~s\\~\\~');
    // A reason that starts like a list stays text; its further lines go in a fence longer than any inside.
    assert.match(md, /^- \\- looks like a list\n {2}````text\n {2}line 2 with ``` fences\n {2}````$/m);
    assert.match(md, /^- 1\\\. numbered$/m);
  });

  it('appends to $GITHUB_STEP_SUMMARY when set, and does nothing otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-summary-'));
    const path = join(dir, 'summary.md');
    writeFileSync(path, '# earlier step\n');
    assert.equal(appendStepSummary('one\n', { GITHUB_STEP_SUMMARY: path }), path);
    assert.equal(appendStepSummary('two\n', { GITHUB_STEP_SUMMARY: path }), path);
    assert.equal(readFileSync(path, 'utf8'), '# earlier step\none\n\ntwo\n\n');
    assert.equal(appendStepSummary('three', {}), undefined);
  });
});

describe('terminal table', () => {
  it('shows both views, the requirement, the margin and the verdict per objective, then baseline, generator and outcome', () => {
    const text = renderTable(report());
    const lines = text.split('\n');
    assert.equal(lines[0], 'sloctl gate: checkout (examples/checkout/slo.yaml): started `npm run example` at http://127.0.0.1:8080');
    assert.equal(lines[1], 'profile: 200/s for 30s in 3 trials after a 5s warm-up, 64 connections, 1 worker');
    assert.match(text, /^CONTRACT\s+OBJECTIVE\s+CLIENT\s+SERVICE\s+MEASURED\s+REQUIRED\s+MARGIN\s+VERDICT$/m);
    assert.match(text, /^latency\s+api-latency p99\s+302 ms\s+290 ms\s+302 ms\s+<= 250 ms\s+-52.0 ms\s+FAIL$/m);
    assert.match(text, /^errors\s+errors\s+99\.95%\s+n\/a\s+99\.95%\s+>= 99\.9%\s+\+0\.05 pt\s+WARN$/m);
    assert.match(text, /^throughput\s+orders\s+198\.7\/s\s+n\/a\s+198\.7\/s\s+>= 150\/s\s+\+48\.7\/s\s+PASS$/m);
    assert.match(text, /^WARN errors errors: meets 99\.9%/m);
    assert.match(text, /^baseline \.sloctl\/baseline\.json \(2026-11-20 00:00:00 UTC, commit abc1234\): FAIL$/m);
    assert.match(text, /^p95\s+180 ms\s+216 ms\s+\+20%\s+\+5%\s+Mann-Whitney U p=0\.05 \(alpha 0\.1\)\s+FAIL$/m);
    assert.match(text, /^generator: OK: achieved 199\.8\/s of 200\/s/m);
    assert.match(text, /^FAIL \(exit 1\): 2 reasons\n {2}- latency api-latency p95: .+\n {2}- regression p95: .+$/m);
    assert.match(text, /^journal: \.sloctl\/runs\/checkout-20261125-051151\/journal\.jsonl$/m);
    // Columns line up: VERDICT starts at the same offset in every objective row.
    const head = lines.find((l) => l.startsWith('CONTRACT'))!;
    const at = head.indexOf('VERDICT');
    for (const l of lines.slice(lines.indexOf(head) + 1, lines.indexOf(head) + 6)) assert.match(l.slice(at), /^(PASS|WARN|FAIL|SKIPPED)$/, l);
  });

  it('memory per request: the change and the tolerance in bytes, not a percentage of a median near zero', () => {
    const memory = comparison({ metric: 'memoryPerRequest', unit: 'bytes', baseline: [120, 80, 100], current: [4200, 4100, 4300], baselineMedian: 100, currentMedian: 4200, change: 0.41, tolerance: 0.1, allowance: 1024, verdict: 'fail', reason: 'memory per request rose' });
    const text = renderTable(report({ baseline: { path: '.sloctl/baseline.json', createdAt: 0, comparisons: [memory], verdict: 'fail' } }));
    // Before: "+41%" (of the 10 KiB the floor stands for) against "+10%".
    assert.match(text, /^memory per request\s+100 B\s+4\.1 KiB\s+\+4 KiB\s+\+1 KiB\s/m);
  });

  it('colors only when asked, and never lets control characters from names reach the terminal', () => {
    const hostile = 'evil\u001b]0;owned\u0007name';
    const plain = renderTable(report({ verdicts: [verdict({ name: hostile, verdict: 'fail', reason: `bad\u001b[2J` })] }));
    assert.doesNotMatch(plain, /\u001b/);
    assert.match(plain, /evil\\u001b\]0;owned\\u0007name/);
    const colored = renderTable(report(), { color: true });
    assert.match(colored, /\u001b\[31mFAIL \(exit 1\)\u001b\[0m/);
    assert.match(colored, /\u001b\[32mPASS\u001b\[0m/);
  });

  it('a generator that fell short lists its reasons under its facts, in the table and in Markdown', () => {
    const generator = { requestedRate: 1000, achievedRate: 812, lateSends: 900, lateThresholdMs: 20, maxLagMs: 340, droppedSends: 12, eventLoopDelayP99Ms: 45, cpu: 0.99, workers: 1, ok: false, reasons: ['achieved 812/s of 1000/s: use --workers 2', 'event-loop delay p99 45 ms'] };
    const r = report({ outcome: 'inconclusive', exitCode: 4, generator, reasons: ['the load generator could not deliver the profile'] });
    assert.match(renderTable(r), /^generator: FELL SHORT: achieved 812\/s of 1,000\/s, 900 late sends \(> 20 ms, worst 340 ms\), 12 dropped, event-loop p99 45 ms, CPU 99% of a core, 1 worker\n {2}- achieved 812\/s of 1000\/s: use --workers 2\n {2}- event-loop delay p99 45 ms$/m);
    assert.match(renderMarkdown(r), /^Load generator: FELL SHORT: .+\n\n- achieved 812\/s of 1000\/s: use --workers 2\n- event-loop delay p99 45 ms\n/m);
    // Requests that queued for a connection are said on the same line (their latency holds the wait).
    const queued = report({ generator: { ...generator, connectionWaits: { waited: 19357, waitMs: 10, connections: 16 } } });
    assert.match(renderTable(queued), /1 worker; 19,357 waited over 10 ms for one of 16 connections\n/);
  });

  it('an interrupted or failed run still says why, with a multi-line reason indented', () => {
    const text = renderTable(report({ outcome: 'target-failed', exitCode: 3, verdicts: [], baseline: undefined, generator: undefined, trials: [], reasons: ['the target died\nlast lines of target.log:\n  | boom'] }));
    assert.match(text, /^no objective was judged$/m);
    assert.match(text, /^TARGET FAILED \(exit 3\): the target died\n {2}last lines of target\.log:\n {4}\| boom$/m);
  });
});

describe('JSON', () => {
  it('is the report with NaN as null and Infinity as a string, keys in a stable order', () => {
    const r = report();
    const text = renderJson(r);
    const doc = JSON.parse(text);
    assert.deepEqual(Object.keys(doc).slice(0, 5), ['service', 'contractFile', 'outcome', 'exitCode', 'reasons']);
    assert.deepEqual(Object.keys(doc.verdicts[0]).slice(0, 4), ['contract', 'name', 'verdict', 'measured']);
    assert.equal(doc.verdicts[2].service, null);
    assert.equal(doc.verdicts[4].service, 'Infinity');
    assert.equal(doc.baseline.comparisons[2].pValue, null);
    assert.equal(doc.trials[1].memoryPerRequestBytes, null);
    // The same report built in another key order renders identically.
    const shuffled = Object.fromEntries(Object.entries(r).reverse()) as unknown as GateReport;
    assert.equal(renderJson(shuffled), text);
  });
});
