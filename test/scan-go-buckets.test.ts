// The code check reads a client_golang histogram's Buckets however the code writes them, or says
// it could not (a trial of a Go service, defect 5: `var buckets = prometheus.DefBuckets` and
// `Buckets: buckets`, the README's own snippet, gave no SLO_BUCKET_MISSING and no word at all,
// while the same buckets inline gave the error).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scanGoModule, type RegisteredMetric } from '../src/scan/index.ts';
import { runCli } from './helpers/cli.ts';

const temps: string[] = [];
after(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-buckets-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return dir;
}

const DEF = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A file with `decls`, one histogram per entry ([name, its Buckets expression]), then `funcs`. */
function goFile(decls: string, histograms: Array<[string, string]>, funcs = ''): string {
  return `package main

import "github.com/prometheus/client_golang/prometheus"

${decls}

${histograms.map(([name, buckets]) => `var h_${name} = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "${name}", Buckets: ${buckets}})`).join('\n')}

${funcs}
`;
}

async function scanned(text: string): Promise<Map<string, RegisteredMetric>> {
  const r = await scanGoModule(project({ 'go.mod': 'module example.com/m\n', 'main.go': text }));
  assert.deepEqual(r.warnings, []);
  return new Map(r.metrics.map((m) => [m.name, m]));
}

describe('scanGoModule: a histogram\'s Buckets', () => {
  it('resolves variables, DefBuckets, constants and client_golang\'s generators as client_golang computes them', async () => {
    const text = goFile(`const start = 0.005
const n = 8
var buckets = prometheus.DefBuckets
var latency = []float64{start, 0.05, 0.1, 0.15}
var alias = latency`, [
      ['via_var', 'buckets'],
      ['via_alias', 'alias'],
      ['exponential', 'prometheus.ExponentialBuckets(start, 2, n)'],
      ['linear', 'prometheus.LinearBuckets(0.05, 0.05, 4)'],
      ['range', 'prometheus.ExponentialBucketsRange(0.01, 10, 4)'],
      ['appended', 'append(latency, 0.2)'],
    ], `func setup() {
	local := []float64{0.1, 0.2}
	_ = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "via_local", Buckets: local})
}`);
    const m = await scanned(text);
    const lines = text.split('\n');
    const pos = (needle: string, inLine: string) => {
      const line = lines.findIndex((l) => l.includes(inLine)) + 1;
      return { line, col: lines[line - 1].indexOf(needle) + 1 };
    };
    assert.deepEqual(m.get('via_var')!.buckets, DEF);
    // Where the buckets are written: the variable's value, `prometheus.DefBuckets`.
    assert.deepEqual(m.get('via_var')!.bucketsAt, pos('prometheus.DefBuckets', 'var buckets ='));
    assert.deepEqual(m.get('via_alias')!.buckets, [0.005, 0.05, 0.1, 0.15]);
    assert.equal(m.get('via_alias')!.bucketsUnread, undefined);
    assert.deepEqual(m.get('exponential')!.buckets, [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64]);
    // Go's repeated addition: prometheus.LinearBuckets(0.05, 0.05, 4) is [0.05 0.1 0.15000000000000002 0.2].
    assert.deepEqual(m.get('linear')!.buckets, [0.05, 0.1, 0.15000000000000002, 0.2]);
    const range = m.get('range')!.buckets!;
    assert.equal(range.length, 4);
    for (const [i, want] of [0.01, 0.1, 1, 10].entries()) assert.ok(Math.abs(range[i] - want) < 1e-9, String(range));
    assert.deepEqual(m.get('appended')!.buckets, [0.005, 0.05, 0.1, 0.15, 0.2]);
    assert.deepEqual(m.get('via_local')!.buckets, [0.1, 0.2]);
  });

  it('says what it could not read, at the Buckets value: a call, a field, a variable assigned at run time, an expression', async () => {
    const text = goFile(`type config struct{ Buckets []float64 }
var cfg config
var late []float64
var grown = prometheus.DefBuckets
var computed = []float64{0.1, 0.05 * 3}

func bucketsFor(route string) []float64 { return nil }

func init() {
	late = []float64{0.1}
	grown = append(grown, 20)
}`, [
      ['call', 'bucketsFor("api")'],
      ['field', 'cfg.Buckets'],
      ['late', 'late'],
      ['grown', 'grown'],
      ['computed', 'computed'],
      ['unknown_fn', 'prometheus.ExponentialBuckets(0.005, factor(), 8)'],
      ['panics', 'prometheus.ExponentialBuckets(0.005, 1, 8)'],
    ]);
    const m = await scanned(text);
    const lines = text.split('\n');
    const expected: Array<[string, RegExp]> = [
      ['call', /^`bucketsFor\("api"\)`, a function call$/],
      ['field', /^`cfg\.Buckets`, a value from another package or a field$/],
      ['late', /^`late`, a variable declared without a value \(set at run time\)$/],
      ['grown', /^`grown`, a variable the code assigns to after its declaration$/],
      ['computed', /^`computed`, set to a list with an element that is not a number or a constant \(`0\.05 \* 3`\)$/],
      ['unknown_fn', /whose arguments are not numbers or constants$/],
      ['panics', /whose arguments client_golang refuses \(it panics\)$/],
    ];
    for (const [name, why] of expected) {
      const h = m.get(name)!;
      assert.ok(h, name);
      assert.equal(h.buckets, undefined, name);
      assert.match(h.bucketsUnread ?? '', why, name);
      const line = lines.findIndex((l) => l.includes(`Name: "${name}"`)) + 1;
      assert.deepEqual(h.bucketsAt, { line, col: lines[line - 1].indexOf('Buckets: ') + 'Buckets: '.length + 1 }, name);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// `sloctl validate --go-module-path .` on the go-service fixture, its histogram's Buckets
// rewritten: the README's `Buckets: buckets` gets the same error as the inline list; buckets from
// a function call get a warning at `Buckets:` saying to check the running service.

async function validate(dir: string): Promise<{ code: number; out: { files: Array<{ diagnostics: Diag[] }>; codeCheck: Array<{ diagnostics: Diag[] }> } }> {
  const r = await runCli(['validate', 'slo.yaml', '--format', 'json', '--go-module-path', '.'], dir);
  return { code: r.code, out: JSON.parse(r.stdout) };
}

interface Diag { code: string; severity: string; message: string; hint?: string; file: string; line: number; col: number }

function fixture(bucketsDecl: string, bucketsExpr: string): { dir: string; metrics: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-buckets-cli-'));
  temps.push(dir);
  cpSync('test/fixtures/go-service', dir, { recursive: true });
  const contract = readFileSync(join(dir, 'slo.yaml'), 'utf8').replace('threshold: 250ms', 'threshold: 300ms');
  writeFileSync(join(dir, 'slo.yaml'), contract);
  const metrics = readFileSync(join(dir, 'metrics.go'), 'utf8')
    .replace(/Buckets: \[\]float64\{[^}]*\}/, `Buckets: ${bucketsExpr}`)
    .replace('var requestDuration', `${bucketsDecl}\n\nvar requestDuration`);
  writeFileSync(join(dir, 'metrics.go'), metrics);
  return { dir, metrics };
}

describe('validate --go-module-path: Buckets through a variable, or unreadable', () => {
  it('`var buckets = prom.DefBuckets` … `Buckets: buckets`: SLO_BUCKET_MISSING at the threshold, naming where the buckets are set', async () => {
    const { dir, metrics } = fixture('var buckets = prom.DefBuckets', 'buckets');
    const r = await validate(dir);
    const bucket = r.out.files[0].diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING');
    assert.ok(bucket, JSON.stringify(r.out));
    const lines = metrics.split('\n');
    const line = lines.findIndex((l) => l.startsWith('var buckets =')) + 1;
    const col = lines[line - 1].indexOf('prom.DefBuckets') + 1;
    assert.match(bucket.message, new RegExp(`as registered at metrics\\.go:${line}:${col} has no bucket at 0\\.3 s: its buckets are 0\\.005, 0\\.01, 0\\.025, 0\\.05, 0\\.1, 0\\.25, 0\\.5, 1, 2\\.5, 5, 10, \\+Inf`));
    assert.equal(r.code, 1);
  });

  it('`Buckets: bucketsFor("api")`: a warning at Buckets that they could not be read, pointing to validate --target', async () => {
    const { dir, metrics } = fixture('func bucketsFor(route string) []float64 { return prom.DefBuckets }', 'bucketsFor("api")');
    const r = await validate(dir);
    assert.ok(!r.out.files[0].diagnostics.some((d) => d.code === 'SLO_BUCKET_MISSING'), 'nothing to judge them by');
    const scan = r.out.codeCheck[0].diagnostics.find((d) => d.code === 'SLO_SCAN' && /Buckets/.test(d.message));
    assert.ok(scan, JSON.stringify(r.out));
    const lines = metrics.split('\n');
    const line = lines.findIndex((l) => l.includes('Buckets: bucketsFor')) + 1;
    assert.equal(`${scan.file}:${scan.line}:${scan.col}`, `metrics.go:${line}:${lines[line - 1].indexOf('bucketsFor') + 1}`);
    assert.equal(scan.severity, 'warning');
    assert.equal(scan.message, 'the Buckets of `http_server_request_duration_seconds` cannot be read statically (`bucketsFor("api")`, a function call), so the code check did not check for a bucket at each latency threshold of slo.yaml (0.3 s)');
    assert.match(scan.hint!, /^check the running service: `sloctl validate slo\.yaml --target <url>` reads its buckets from \/metrics/);
  });
});
