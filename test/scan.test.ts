import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CLIENT_GOLANG_DEFAULT_METRICS,
  HTTP_ROLES,
  PROM_CLIENT_DEFAULT_METRICS,
  SDK_REGISTERED,
} from '../src/contract/metric-names.ts';
import { buildFQName } from '../src/scan/fqname.ts';
import { scanGoModule, scanTypeScriptProject, type RegisteredMetric, type ScanResult } from '../src/scan/index.ts';
import { scanTypeScriptSource } from '../src/scan/ts-file.ts';

const TS_SERVICE = 'test/fixtures/ts-service';
const TS_HOSTILE = 'test/fixtures/ts-hostile';
const GO_SERVICE = 'test/fixtures/go-service';

const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sloctl-scan-'));
  temps.push(dir);
  return dir;
}

/** A temp project with the given files (relative path -> content). */
async function project(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

async function copyFixture(fixture: string): Promise<string> {
  const dir = await tempDir();
  await cp(fixture, dir, { recursive: true });
  return dir;
}

const DEFAULT_NAMES = new Set([...PROM_CLIENT_DEFAULT_METRICS, ...CLIENT_GOLANG_DEFAULT_METRICS]);

/** The explicitly registered metrics, without the bulk default ones. */
function explicit(result: ScanResult): RegisteredMetric[] {
  return result.metrics.filter((m) => !DEFAULT_NAMES.has(m.name) && m.via !== 'collectDefaultMetrics()');
}

function names(metrics: RegisteredMetric[]): string[] {
  return metrics.map((m) => m.name).sort();
}

function find(result: ScanResult, name: string): RegisteredMetric {
  const found = result.metrics.find((m) => m.name === name);
  assert.ok(found, `${name} should be registered; got ${names(result.metrics).join(', ')}`);
  return found;
}

describe('scanTypeScriptProject: the ts-service fixture', () => {
  it('finds the three HTTP metrics with their types and no warnings', async () => {
    const result = await scanTypeScriptProject(TS_SERVICE);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.filesScanned, 3);
    assert.deepEqual(
      explicit(result).map(({ name, type, file, via }) => ({ name, type, file, via })),
      [
        { name: 'http_server_request_duration_seconds', type: 'histogram', file: 'src/metrics.ts', via: 'prom-client new Histogram' },
        { name: 'http_server_requests_total', type: 'counter', file: 'src/metrics.ts', via: 'prom-client new Counter' },
        { name: 'http_server_active_requests', type: 'gauge', file: 'src/metrics.ts', via: 'prom-client new Gauge' },
      ],
    );
  });

  it('points at the name expression, 1-based', async () => {
    const result = await scanTypeScriptProject(TS_SERVICE);
    const source = (await readFile(path.join(TS_SERVICE, 'src/metrics.ts'), 'utf8')).split('\n');
    // `name: LATENCY_METRIC,` (a const) and `{ name: 'http_server_active_requests', ...` inline.
    const latency = find(result, 'http_server_request_duration_seconds');
    assert.deepEqual([latency.line, latency.col], [12, 9]);
    assert.ok(source[latency.line - 1].slice(latency.col - 1).startsWith('LATENCY_METRIC'));
    const gauge = find(result, 'http_server_active_requests');
    assert.deepEqual([gauge.line, gauge.col], [24, 43]);
    assert.ok(source[gauge.line - 1].slice(gauge.col - 1).startsWith("'http_server_active_requests'"));
  });

  it('reports every prom-client default metric at the collectDefaultMetrics() call', async () => {
    const result = await scanTypeScriptProject(TS_SERVICE);
    const defaults = result.metrics.filter((m) => m.via === 'collectDefaultMetrics()');
    assert.deepEqual(names(defaults), [...PROM_CLIENT_DEFAULT_METRICS].sort());
    for (const m of defaults) assert.deepEqual([m.file, m.line, m.col], ['src/metrics.ts', 9, 1]);
    assert.equal(find(result, 'nodejs_gc_duration_seconds').type, 'histogram');
    assert.equal(find(result, 'process_cpu_seconds_total').type, 'counter');
    assert.equal(find(result, 'nodejs_active_handles_total').type, 'gauge');
  });

  it('no longer reports a registration deleted from a copy of the fixture', async () => {
    const dir = await copyFixture(TS_SERVICE);
    const file = path.join(dir, 'src/metrics.ts');
    const text = await readFile(file, 'utf8');
    const without = text.split('\n').filter((line) => !line.includes('http_server_active_requests')).join('\n');
    assert.notEqual(without, text);
    await writeFile(file, without);
    const result = await scanTypeScriptProject(dir);
    assert.deepEqual(names(explicit(result)), ['http_server_request_duration_seconds', 'http_server_requests_total']);
    assert.deepEqual(result.warnings, []);
  });

  it('no longer reports the defaults when collectDefaultMetrics() is deleted', async () => {
    const dir = await copyFixture(TS_SERVICE);
    const file = path.join(dir, 'src/metrics.ts');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('client.collectDefaultMetrics();', ''));
    const result = await scanTypeScriptProject(dir);
    assert.equal(result.metrics.length, 3);
  });
});

describe('scanTypeScriptProject: how prom-client is imported', () => {
  const cases: Array<[string, string]> = [
    ['named import with alias', "import { Counter as PromCounter } from 'prom-client';\nnew PromCounter({ name: 'a_total', help: 'h' });"],
    ['namespace import', "import * as prom from 'prom-client';\nnew prom.Counter({ name: 'a_total', help: 'h' });"],
    ['default import', "import promClient from 'prom-client';\nnew promClient.Counter({ name: 'a_total', help: 'h' });"],
    ['require of the module', "const client = require('prom-client');\nnew client.Counter({ name: 'a_total', help: 'h' });"],
    ['destructuring require with rename', "const { Counter: C } = require('prom-client');\nnew C({ name: 'a_total', help: 'h' });"],
    ['require(...).Counter', "const Counter = require('prom-client').Counter;\nnew Counter({ name: 'a_total', help: 'h' });"],
    ['import = require', "import client = require('prom-client');\nnew client.Counter({ name: 'a_total', help: 'h' });"],
    ['destructuring the module object', "import client from 'prom-client';\nconst { Counter } = client;\nnew Counter({ name: 'a_total', help: 'h' });"],
    ['dynamic import', "const client = await import('prom-client');\nnew client.Counter({ name: 'a_total', help: 'h' });"],
    ['generic type arguments', "import { Counter } from 'prom-client';\nnew Counter<'route'>({ name: 'a_total', help: 'h', labelNames: ['route'] as const });"],
  ];
  for (const [label, source] of cases) {
    it(label, async () => {
      const result = await scanTypeScriptProject(await project({ 'src/m.ts': source }));
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(result.metrics.map(({ name, type, line }) => ({ name, type, line })), [{ name: 'a_total', type: 'counter', line: source.split('\n').length }]);
    });
  }

  it('ignores classes that are not prom-client', async () => {
    const result = await scanTypeScriptProject(await project({
      'src/own.ts': "class Counter { constructor(o: object) {} }\nnew Counter({ name: 'own_total' });",
      'src/other.ts': "import { Counter } from 'other-metrics';\nnew Counter({ name: 'other_total' });",
      'src/typeonly.ts': "import type { Counter } from 'prom-client';\nnew (Counter as any)({ name: 'type_total' });",
      'src/member.ts': "import * as prom from 'prom-client';\nnew prom.Registry();\nnew prom.Pushgateway('x');",
    }));
    assert.deepEqual(result.metrics, []);
    assert.deepEqual(result.warnings, []);
  });

  it('reads .tsx, .jsx, .cjs and .mjs files', async () => {
    const result = await scanTypeScriptProject(await project({
      'a.tsx': "import { Gauge } from 'prom-client';\nexport const g = new Gauge<string>({ name: 'tsx_gauge', help: 'h' });\nexport const View = () => <div>{g ? 'x' : 'y'}</div>;",
      'b.jsx': "import { Gauge } from 'prom-client';\nnew Gauge({ name: 'jsx_gauge', help: 'h' });\nexport const V = () => <p/>;",
      'c.cjs': "const { Histogram } = require('prom-client');\nmodule.exports = new Histogram({ name: 'cjs_seconds', help: 'h' });",
      'd.mjs': "import { Summary } from 'prom-client';\nexport default new Summary({ name: 'mjs_bytes', help: 'h' });",
      'e.ts': "import { Counter } from 'prom-client';\nconst x = <const>['a'];\n@sealed class A {}\nnew Counter({ name: 'decorated_total', help: 'h' });",
    }));
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(names(result.metrics), ['cjs_seconds', 'decorated_total', 'jsx_gauge', 'mjs_bytes', 'tsx_gauge']);
    assert.equal(result.filesScanned, 5);
  });
});

describe('scanTypeScriptProject: metric names', () => {
  it('resolves consts, prefixes, templates, object members and enums in the same file', async () => {
    const result = await scanTypeScriptProject(await project({
      'm.ts': [
        "import { Counter, Gauge, Histogram, Summary } from 'prom-client';",
        "const PREFIX = 'orders_';",
        'const NAME = `${PREFIX}placed_total` as const;',
        "const METRICS = { queue: PREFIX + 'queue_depth', nested: { x: 'no' } } as const;",
        "enum Metric { Latency = 'orders_latency_seconds' }",
        "const opts = { name: 'orders_payload_bytes', help: 'h' };",
        "new Counter({ name: NAME, help: 'h' });",
        'new Gauge({ name: METRICS.queue, help: "h" });',
        "new Histogram({ name: Metric.Latency, help: 'h' });",
        'new Summary(opts);',
        "new Counter({ 'name': `orders_plain_total`, help: 'h' });",
      ].join('\n'),
    }));
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(names(result.metrics), [
      'orders_latency_seconds', 'orders_payload_bytes', 'orders_placed_total', 'orders_plain_total', 'orders_queue_depth',
    ]);
  });

  it('warns instead of guessing a name computed at run time', async () => {
    const lines = [
      "import { Counter } from 'prom-client';",
      'let mutable = "x_total";',
      "const shadowed = 'a_total';",
      "function f() { const shadowed = 'b_total'; return shadowed; }",
      'const opts = makeOptions();',
      "new Counter({ name: `${process.env.SVC}_total`, help: 'h' });",
      "new Counter({ name: mutable, help: 'h' });",
      "new Counter({ name: shadowed, help: 'h' });",
      'new Counter(opts);',
      "new Counter({ ...base, help: 'h' });",
      "new Counter({ help: 'h' });",
      "new Counter({ name: 'not-valid', help: 'h' });",
      "new Counter({ name: 'ok_total', help: 'h' });",
      "import { NAMES } from './names.ts';",
      'new Counter({ name: NAMES.requests, help: "h" });',
    ];
    const result = await scanTypeScriptProject(await project({ 'm.ts': lines.join('\n') }));
    assert.deepEqual(names(result.metrics), ['ok_total']);
    assert.deepEqual(result.warnings.map((w) => w.line), [6, 7, 8, 9, 10, 11, 12, 15]);
    const first = result.warnings[0];
    assert.equal(first.col, lines[5].indexOf('`') + 1);
    assert.match(first.message, /computed at run time; sloctl cannot check it/);
    assert.match(result.warnings[4].message, /spread/);
    assert.match(result.warnings[5].message, /has no `name`/);
    assert.match(result.warnings[6].message, /not a valid Prometheus metric name/);
    assert.match(result.warnings[7].message, /comes from another module \('\.\/names\.ts'\)/);
  });
});

describe('scanTypeScriptProject: collectDefaultMetrics()', () => {
  it('prefixes every default metric with a literal or const prefix', async () => {
    const result = await scanTypeScriptProject(await project({
      'a.ts': "import { collectDefaultMetrics } from 'prom-client';\ncollectDefaultMetrics({ prefix: 'orders_' });",
      'b.ts': "import * as client from 'prom-client';\nconst P = 'billing_';\nclient.collectDefaultMetrics({ prefix: P, register: client.register });",
    }));
    assert.deepEqual(result.warnings, []);
    const a = result.metrics.filter((m) => m.file === 'a.ts');
    const b = result.metrics.filter((m) => m.file === 'b.ts');
    assert.deepEqual(names(a), PROM_CLIENT_DEFAULT_METRICS.map((n) => `orders_${n}`).sort());
    assert.deepEqual(names(b), PROM_CLIENT_DEFAULT_METRICS.map((n) => `billing_${n}`).sort());
    assert.deepEqual([a[0].line, a[0].col, b[0].line, b[0].col], [2, 1, 3, 1]);
  });

  it('warns and reports nothing when the prefix is not knowable', async () => {
    const result = await scanTypeScriptProject(await project({
      'a.ts': "import { collectDefaultMetrics } from 'prom-client';\ncollectDefaultMetrics({ prefix: process.env.P });\ncollectDefaultMetrics(options);",
    }));
    assert.deepEqual(result.metrics, []);
    assert.deepEqual(result.warnings.map((w) => [w.line, w.col]), [[2, 33], [3, 23]]);
  });
});

describe('scanTypeScriptProject: sloctl SDK', () => {
  const sdkNames = [...new Set([...SDK_REGISTERED.map((r) => r.name), ...PROM_CLIENT_DEFAULT_METRICS])].sort();

  const cases: Array<[string, string, string]> = [
    ['instrument() from sloctl/sdk', "import { instrument } from 'sloctl/sdk';\nconst app = {};\ninstrument({ contract: './slo.yaml' });", 'sloctl/sdk instrument()'],
    ['sdk.instrument() via a namespace', "import * as sdk from 'sloctl/sdk';\n\nsdk.instrument();", 'sloctl/sdk instrument()'],
    ['a fastify plugin registered', "import Fastify from 'fastify';\nimport sloctl from 'sloctl/sdk/fastify';\nFastify().register(sloctl, { contract: 'slo.yaml' });", 'sloctl/sdk/fastify passed to .register()'],
    ['an express middleware used', "const express = require('express');\nconst { expressMiddleware } = require('sloctl/sdk/express');\nexpress().use(expressMiddleware({}));", 'sloctl/sdk/express passed to .use()'],
    ['instrument() on a default import', "import sdk from 'sloctl/sdk';\n\nsdk.instrument();", 'sloctl/sdk instrument()'],
    ['a koa middleware called', "import { middleware } from 'sloctl/sdk/koa';\nconst mw = 1;\nmiddleware();", 'sloctl/sdk/koa middleware()'],
  ];
  for (const [label, source, via] of cases) {
    it(label, async () => {
      const result = await scanTypeScriptProject(await project({ 'src/app.ts': source }));
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(names(result.metrics), sdkNames);
      assert.ok(result.metrics.every((m) => m.via === via && m.line === 3 && m.col === 1), JSON.stringify(result.metrics[0]));
      assert.equal(find(result, 'http_server_request_duration_seconds').type, 'histogram');
    });
  }

  it('reports the SDK once per file, at its first use', async () => {
    const result = await scanTypeScriptProject(await project({
      'app.ts': "import { instrument } from 'sloctl/sdk';\nimport sloctl from 'sloctl/sdk/fastify';\napp.register(sloctl);\ninstrument();",
    }));
    assert.equal(result.metrics.length, sdkNames.length);
    assert.ok(result.metrics.every((m) => m.line === 3));
  });

  it('does not count an import that is never switched on', async () => {
    const result = await scanTypeScriptProject(await project({
      'a.ts': "import { instrument } from 'sloctl/sdk';\nexport { instrument };",
      'b.ts': "import type { Options } from 'sloctl/sdk';\nexport const o: Options = {};",
      'c.ts': "import { classifyError } from 'sloctl/sdk';\nclassifyError(new Error('x'));",
      'd.ts': "import { instrument } from 'sloctl-sdk-lookalike';\ninstrument();",
    }));
    assert.deepEqual(result.metrics, []);
  });
});

describe('scanTypeScriptProject: hostile input', () => {
  it('turns syntax errors and dynamic names into warnings', async () => {
    const result = await scanTypeScriptProject(TS_HOSTILE);
    assert.equal(result.filesScanned, 4);
    assert.deepEqual(names(result.metrics), ['orders_errors_total', 'orders_payload_bytes']);
    const summary = result.warnings.map((w) => `${w.file}:${w.line}:${w.col}`);
    assert.deepEqual(summary, ['src/broken.js:6:27', 'src/dynamic.ts:6:45', 'src/dynamic.ts:9:32', 'src/fatal.mjs:3:37', 'src/recovered.js:5:11']);
    assert.match(result.warnings[0].message, /^cannot parse this file \(Unexpected token, expected ","\)/);
    assert.match(result.warnings[1].message, /computed at run time/);
    assert.match(result.warnings[4].message, /^syntax error: /);
  });

  it('skips dependencies, build output, hidden dirs, declaration and test files', async () => {
    const metric = (name: string) => `import { Counter } from 'prom-client';\nnew Counter({ name: '${name}', help: 'h' });`;
    const dir = await project({
      'src/kept.ts': metric('kept_total'),
      'node_modules/lib/index.js': metric('dep_total'),
      'dist/index.js': metric('dist_total'),
      'build/index.js': metric('build_total'),
      'coverage/x.js': metric('coverage_total'),
      '.cache/x.ts': metric('hidden_total'),
      'src/types.d.ts': metric('decl_total'),
      'src/kept.test.ts': metric('test_total'),
      'src/kept.spec.js': metric('spec_total'),
      'src/__tests__/x.ts': metric('jest_total'),
      'README.md': metric('md_total'),
    });
    const outside = await project({ 'outside.ts': metric('outside_total') });
    await symlink(outside, path.join(dir, 'src/linked'));
    await symlink(path.join(outside, 'outside.ts'), path.join(dir, 'src/linked-file.ts'));
    const result = await scanTypeScriptProject(dir);
    assert.deepEqual(names(result.metrics), ['kept_total']);
    assert.equal(result.filesScanned, 1);
  });

  it('skips a file over 2 MB with a warning', async () => {
    const big = `import { Counter } from 'prom-client';\nnew Counter({ name: 'big_total', help: 'h' });\n${'// padding\n'.repeat(220_000)}`;
    const result = await scanTypeScriptProject(await project({ 'big.ts': big }));
    assert.deepEqual(result.metrics, []);
    assert.equal(result.filesScanned, 0);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0].message, /over the 2097152-byte limit/);
  });

  it('keeps positions right with a byte-order mark and CRLF line endings', async () => {
    const ts = "\uFEFFimport { Counter } from 'prom-client';\r\n\r\nnew Counter({ name: 'crlf_total', help: 'h' });\r\n";
    const go = '\uFEFFpackage m\r\n\r\nimport "github.com/prometheus/client_golang/prometheus"\r\n\r\nvar c = prometheus.NewCounter(prometheus.CounterOpts{Name: "crlf_go_total"})\r\n';
    const dir = await project({ 'a.ts': ts, 'a.go': go });
    const tsMetric = find(await scanTypeScriptProject(dir), 'crlf_total');
    assert.deepEqual([tsMetric.line, tsMetric.col], [3, ts.split('\r\n')[2].indexOf("'crlf_total'") + 1]);
    const goMetric = find(await scanGoModule(dir), 'crlf_go_total');
    assert.deepEqual([goMetric.line, goMetric.col], [5, go.split('\r\n')[4].indexOf('"crlf_go_total"') + 1]);
  });

  it('rejects a directory that does not exist', async () => {
    await assert.rejects(scanTypeScriptProject('/no/such/dir/for/sloctl'), /cannot scan .*no such directory/);
  });
});

describe('scanGoModule: the go-service fixture', () => {
  it('joins Namespace, Subsystem and Name, through an alias import and a const', async () => {
    const result = await scanGoModule(GO_SERVICE);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.filesScanned, 2);
    assert.deepEqual(
      explicit(result).map(({ name, type, via }) => ({ name, type, via })),
      [
        { name: 'http_server_request_duration_seconds', type: 'histogram', via: 'prometheus.NewHistogramVec' },
        { name: 'http_server_requests_total', type: 'counter', via: 'promauto.NewCounterVec' },
        { name: 'http_server_active_requests', type: 'gauge', via: 'promauto.NewGauge' },
        { name: 'orders_created_total', type: 'counter', via: 'promauto.NewCounter' },
      ],
    );
  });

  it('points at the Name value, 1-based', async () => {
    const result = await scanGoModule(GO_SERVICE);
    const source = (await readFile(path.join(GO_SERVICE, 'metrics.go'), 'utf8')).split('\n');
    const latency = find(result, 'http_server_request_duration_seconds');
    assert.deepEqual([latency.file, latency.line, latency.col], ['metrics.go', 9, 11]);
    assert.ok(source[8].slice(latency.col - 1).startsWith('"http_server_request_duration_seconds"'));
    const created = find(result, 'orders_created_total');
    assert.deepEqual([created.line, created.col], [27, 13]);
  });

  it('reports the default collectors once, at promhttp.Handler()', async () => {
    const result = await scanGoModule(GO_SERVICE);
    const defaults = result.metrics.filter((m) => m.via === 'client_golang default collectors');
    assert.deepEqual(names(defaults), [...CLIENT_GOLANG_DEFAULT_METRICS].sort());
    for (const m of defaults) assert.deepEqual([m.file, m.line, m.col], ['main.go', 24, 25]);
    assert.equal(find(result, 'go_gc_duration_seconds').type, 'summary');
    assert.equal(find(result, 'go_memstats_mallocs_total').type, 'counter');
  });

  it('no longer reports a registration deleted from a copy of the fixture', async () => {
    const dir = await copyFixture(GO_SERVICE);
    const file = path.join(dir, 'metrics.go');
    const text = await readFile(file, 'utf8');
    const start = text.indexOf('var ordersCreated');
    const end = text.indexOf('})', start) + 2;
    await writeFile(file, text.slice(0, start) + text.slice(end));
    const result = await scanGoModule(dir);
    assert.deepEqual(names(explicit(result)), ['http_server_active_requests', 'http_server_request_duration_seconds', 'http_server_requests_total']);
    assert.deepEqual(result.warnings, []);
  });

  it('drops the default collectors when nothing uses the default registry', async () => {
    const dir = await copyFixture(GO_SERVICE);
    const main = path.join(dir, 'main.go');
    await writeFile(main, (await readFile(main, 'utf8')).replace('promhttp.Handler()', 'promhttp.HandlerFor(reg, promhttp.HandlerOpts{})'));
    const metrics = path.join(dir, 'metrics.go');
    await writeFile(metrics, (await readFile(metrics, 'utf8')).replace('prom.MustRegister(requestDuration)', 'reg.MustRegister(requestDuration)'));
    const result = await scanGoModule(dir);
    assert.equal(result.metrics.filter((m) => m.via === 'client_golang default collectors').length, 0);
    assert.equal(result.metrics.length, 4);
  });
});

describe('scanGoModule: forms of registration', () => {
  const header = 'package metrics\n\n';

  it('handles aliases, dot imports, promauto.With, factories, option variables and unkeyed literals', async () => {
    const result = await scanGoModule(await project({
      'go.mod': 'module example.com/m\n',
      'a.go': header + [
        'import (',
        '\tp "github.com/prometheus/client_golang/prometheus"',
        '\tauto "github.com/prometheus/client_golang/prometheus/promauto"',
        ')',
        '',
        'const (',
        '\tns, sub = "shop", "cart"',
        '\tsuffix  = "_total"',
        ')',
        '',
        'var reg = p.NewRegistry()',
        'var a = auto.With(reg).NewCounter(p.CounterOpts{Namespace: ns, Subsystem: sub, Name: "items" + suffix})',
        'var factory = auto.With(reg)',
        'var b = factory.NewSummaryVec(p.SummaryOpts{Name: `raw_seconds`}, nil)',
        'var opts = p.GaugeOpts{Namespace: ns, Name: "level"}',
        'var c = p.NewGauge(opts)',
        'var d = p.NewCounterFunc(p.CounterOpts{"", "", "unkeyed_total", "help", nil}, nil)',
        'type server struct{ metrics *auto.Factory }',
        'func (s *server) init() { s.metrics.NewGauge(p.GaugeOpts{Name: "via_field"}) }',
        'func setup() {',
        '\tconst local = "local_\\x61"',
        '\tlocalOpts := p.HistogramOpts{Name: local}',
        '\t_ = p.NewHistogram(localOpts)',
        '}',
      ].join('\n'),
      'b.go': header + 'import . "github.com/prometheus/client_golang/prometheus"\n\nvar e = NewGaugeVec(GaugeOpts{Subsystem: sub, Name: "dotted"}, []string{"x"})\n',
    }));
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(
      result.metrics.map(({ name, type, via }) => ({ name, type, via })),
      [
        { name: 'shop_cart_items_total', type: 'counter', via: 'promauto.With(...).NewCounter' },
        { name: 'raw_seconds', type: 'summary', via: 'factory.NewSummaryVec' },
        { name: 'shop_level', type: 'gauge', via: 'prometheus.NewGauge' },
        { name: 'unkeyed_total', type: 'counter', via: 'prometheus.NewCounterFunc' },
        { name: 'via_field', type: 'gauge', via: 's.metrics.NewGauge' },
        { name: 'local_a', type: 'histogram', via: 'prometheus.NewHistogram' },
        { name: 'cart_dotted', type: 'gauge', via: 'prometheus.NewGaugeVec' },
      ],
    );
  });

  it('warns on names computed at run time, and on shadowed constants', async () => {
    const lines = [
      'import "github.com/prometheus/client_golang/prometheus"',
      '',
      'const name = "requests_total"',
      '',
      'func build(cfg Config, name string) {',
      '\tprometheus.NewCounter(prometheus.CounterOpts{Namespace: cfg.Namespace, Name: "x"})',
      '\tprometheus.NewCounter(prometheus.CounterOpts{Name: name})',
      '\tprometheus.NewCounter(prometheus.CounterOpts{Name: fmt.Sprintf("%s_total", cfg.Svc)})',
      '\tprometheus.NewCounter(makeOpts())',
      '\tprometheus.NewCounter(prometheus.CounterOpts{Namespace: "only"})',
      '\tprometheus.NewCounter(prometheus.CounterOpts{Name: "bad-name"})',
      '}',
      'var ok = prometheus.NewCounter(prometheus.CounterOpts{Name: name})',
    ];
    const result = await scanGoModule(await project({ 'm.go': header + lines.join('\n') }));
    assert.deepEqual(result.metrics.map((m) => m.name), ['requests_total']);
    assert.deepEqual(result.warnings.map((w) => [w.line - 2, w.col]), [
      [6, lines[5].indexOf('cfg.Namespace') + 1],
      [7, lines[6].indexOf('name}') + 1],
      [8, lines[7].indexOf('fmt.') + 1],
      [9, lines[8].indexOf('makeOpts') + 1],
      [10, lines[9].indexOf('prometheus.NewCounter') + 1],
      [11, lines[10].indexOf('"bad-name"') + 1],
    ]);
    assert.match(result.warnings[0].message, /computed at run time; sloctl cannot check it/);
    assert.match(result.warnings[4].message, /empty Name/);
  });

  it('ignores look-alikes that are not client_golang', async () => {
    const result = await scanGoModule(await project({
      'm.go': header + 'import prometheus "example.com/fake/prometheus"\n\nvar c = prometheus.NewCounter(prometheus.CounterOpts{Name: "fake_total"})\nvar h = promhttp.Handler()\n',
      'n.go': header + 'import "github.com/prometheus/client_golang/prometheus"\n\nvar o = prometheus.CounterOpts{}\nvar x = thing.NewCounter(someOpts)\n',
    }));
    assert.deepEqual(result.metrics, []);
    assert.deepEqual(result.warnings, []);
  });

  it('takes the default registry from MustRegister, DefaultRegisterer or a Go collector', async () => {
    const variants = [
      'import "github.com/prometheus/client_golang/prometheus"\n\nfunc init() { prometheus.MustRegister(x) }\n',
      'import "github.com/prometheus/client_golang/prometheus"\n\nvar r = prometheus.DefaultRegisterer\n',
      'import "github.com/prometheus/client_golang/prometheus/collectors"\n\nvar c = collectors.NewGoCollector()\n',
    ];
    for (const source of variants) {
      const result = await scanGoModule(await project({ 'm.go': header + source }));
      assert.deepEqual(names(result.metrics), [...CLIENT_GOLANG_DEFAULT_METRICS].sort(), source);
      assert.equal(result.metrics[0].line, 5);
    }
  });

  it('skips tests, vendor, testdata, hidden and underscore paths', async () => {
    const metric = (name: string) => `${header}import "github.com/prometheus/client_golang/prometheus"\n\nvar c = prometheus.NewCounter(prometheus.CounterOpts{Name: "${name}"})\n`;
    const result = await scanGoModule(await project({
      'kept.go': metric('kept_total'),
      'kept_test.go': metric('test_total'),
      'vendor/x/x.go': metric('vendor_total'),
      'testdata/x.go': metric('testdata_total'),
      '.git/x.go': metric('hidden_total'),
      '_tools/x.go': metric('underscore_total'),
      'internal/deep/d.go': metric('deep_total'),
    }));
    assert.deepEqual(names(result.metrics), ['deep_total', 'kept_total']);
    assert.equal(result.filesScanned, 2);
  });

  it('warns on a syntax error and still reads the rest of the file', async () => {
    const result = await scanGoModule(await project({
      'm.go': `${header}import "github.com/prometheus/client_golang/prometheus"\n\nfunc broken( {\n\nvar c = prometheus.NewCounter(prometheus.CounterOpts{Name: "after_total"})\n`,
    }));
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0].message, /^syntax error/);
    assert.equal(result.warnings[0].line, 5);
    assert.deepEqual(names(result.metrics), ['after_total']);
  });
});

describe("scanGoModule: sloctl's Go middleware", () => {
  const HTTP_NAMES = ['http_server_active_requests', 'http_server_request_duration_seconds', 'http_server_requests_total', 'sloctl_availability', 'sloctl_dependency_up', 'sloctl_error_class_weight', 'sloctl_weighted_requests_total'];
  const main = (imports: string, body: string) => `package main\n\nimport (\n\t"net/http"\n${imports}\n)\n\nfunc main() {\n\tmux := http.NewServeMux()\n${body}\n}\n`;
  const sdkNames = (result: ScanResult) => names(result.metrics.filter((m) => m.bulk === 'sdk'));
  const hasRuntime = (result: ScanResult) => result.metrics.some((m) => m.name === 'go_goroutines' && m.bulk === 'runtime');

  it('sloctl.New registers the HTTP series (and the runtime collectors of the registry it makes) at the call', async () => {
    const dir = await project({ 'main.go': main('\t"github.com/sloctl/sloctl-go/sloctl"', '\tc, _ := sloctl.LoadFile("slo.json")\n\tsdk, _ := sloctl.New(c, sloctl.Options{})\n\thttp.ListenAndServe(":8080", sdk.Middleware(mux))') });
    const result = await scanGoModule(dir);
    assert.deepEqual(sdkNames(result), HTTP_NAMES);
    const site = result.metrics.find((m) => m.bulk === 'sdk')!;
    assert.deepEqual([site.file, site.line, site.col, site.via], ['main.go', 11, 12, 'github.com/sloctl/sloctl-go/sloctl New()']);
    assert.ok(hasRuntime(result));
  });

  it('an aliased import, the gin and echo adapters; no runtime collectors on a registry the service passes or turns them off', async () => {
    const cases: Array<[string, string, string, boolean]> = [
      ['\tsl "github.com/sloctl/sloctl-go/sloctl"', '\tsdk, _ := sl.New(nil, sl.Options{NoRuntimeCollectors: true})\n\t_ = sdk', 'github.com/sloctl/sloctl-go/sloctl New()', false],
      ['\t"github.com/sloctl/sloctl-go/sloctl"', '\treg := 1\n\tsdk, _ := sloctl.New(nil, sloctl.Options{Registry: reg})\n\t_ = sdk', 'github.com/sloctl/sloctl-go/sloctl New()', false],
      ['\t"github.com/sloctl/sloctl-go/sloctl"', '\topts := sloctl.Options{}\n\tsdk, _ := sloctl.New(nil, opts)\n\t_ = sdk', 'github.com/sloctl/sloctl-go/sloctl New()', false],
      ['\t"github.com/sloctl/sloctl-go/sloctlgin"', '\tr.Use(sloctlgin.Middleware(sdk))', 'github.com/sloctl/sloctl-go/sloctlgin Middleware()', false],
      ['\tmw "github.com/sloctl/sloctl-go/sloctlecho"', '\te.Use(mw.Middleware(sdk))', 'github.com/sloctl/sloctl-go/sloctlecho Middleware()', false],
    ];
    for (const [imports, body, via, runtime] of cases) {
      const result = await scanGoModule(await project({ 'main.go': main(imports, body) }));
      assert.deepEqual(sdkNames(result), HTTP_NAMES, body);
      assert.equal(result.metrics.find((m) => m.bulk === 'sdk')?.via, via);
      assert.equal(hasRuntime(result), runtime, body);
    }
  });

  it('no series without the call, or from another package named sloctl', async () => {
    const cases: Array<[string, string]> = [
      ['\t"github.com/sloctl/sloctl-go/sloctl"', '\tvar c *sloctl.Contract\n\t_ = c'],
      ['\t"example.com/mine/sloctl"', '\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\t_ = sdk'],
      ['\t_ "github.com/sloctl/sloctl-go/sloctl"', '\tsloctl := struct{ New func() }{}\n\tsloctl.New()'],
    ];
    for (const [imports, body] of cases) {
      const result = await scanGoModule(await project({ 'main.go': main(imports, body) }));
      assert.deepEqual(result.metrics, [], body);
    }
  });
});

describe('label names of a registration', () => {
  const labelsOf = (result: ScanResult) => Object.fromEntries(explicit(result).map((m) => [m.name, m.labels]));

  it('prom-client: labelNames inline or through a const, none without it; not read when computed', async () => {
    const result = await scanTypeScriptProject(await project({
      'm.ts': [
        "import { Counter, Histogram, Gauge } from 'prom-client';",
        "const LABELS = ['method', 'route', 'code'] as const;",
        "const dynamic = process.env.LABELS!.split(',');",
        "new Histogram({ name: 'inline_seconds', help: 'h', labelNames: ['method', `route`] });",
        "new Counter({ name: 'const_total', help: 'h', labelNames: LABELS });",
        "new Gauge({ name: 'plain', help: 'h' });",
        "new Counter({ name: 'computed_total', help: 'h', labelNames: dynamic });",
        "new Counter({ name: 'spread_total', help: 'h', labelNames: [...LABELS, 'x'] });",
      ].join('\n'),
    }));
    assert.deepEqual(labelsOf(result), {
      inline_seconds: ['method', 'route'], const_total: ['method', 'route', 'code'], plain: [], computed_total: undefined, spread_total: undefined,
    });
    const at = explicit(result).find((m) => m.name === 'const_total')!.labelsAt;
    assert.deepEqual(at, { line: 5, col: 59 }, 'at the labelNames value');
  });

  it("client_golang: a Vec's []string (inline, a variable, constants), ConstLabels keys; none for a plain metric; not read when computed", async () => {
    const result = await scanGoModule(await project({
      'go.mod': 'module example.com/m\n',
      'm.go': [
        'package metrics',
        '',
        'import "github.com/prometheus/client_golang/prometheus"',
        '',
        'const routeLabel = "handler"',
        'var labels = []string{"code", "method"}',
        'var a = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "a_seconds"}, []string{routeLabel, "code", "method"})',
        'var b = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "b_total", ConstLabels: prometheus.Labels{"service": "shop"}}, labels)',
        'var c = prometheus.NewCounter(prometheus.CounterOpts{Name: "c_total"})',
        'var d = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "d_total"}, strings.Split(env, ","))',
        'var e = prometheus.NewGauge(prometheus.GaugeOpts{Name: "e", ConstLabels: someLabels})',
      ].join('\n'),
    }));
    assert.deepEqual(labelsOf(result), {
      a_seconds: ['handler', 'code', 'method'], b_total: ['code', 'method', 'service'], c_total: [], d_total: undefined, e: undefined,
    });
  });

  it("the SDKs' request histogram and counter carry the roles' labels, as go/sloctl registers them", async () => {
    const go = await scanGoModule('go/sloctl');
    const node = await scanTypeScriptProject(await project({ 'a.ts': "import { instrument } from 'sloctl/sdk';\ninstrument('slo.yaml');\n" }));
    for (const role of [HTTP_ROLES.requestDuration, HTTP_ROLES.requests]) {
      const registered = go.metrics.find((m) => m.name === role.name && m.bulk === undefined);
      assert.ok(registered, `go/sloctl registers ${role.name}`);
      assert.deepEqual(registered.labels, role.labels, `go/sloctl/sdk.go registers ${role.name} with the roles' labels`);
      assert.deepEqual(node.metrics.find((m) => m.name === role.name)?.labels, role.labels);
    }
  });
});

describe('buildFQName', () => {
  it('matches client_golang: empty parts skipped, nothing without a name', () => {
    assert.equal(buildFQName('orders', 'http', 'requests_total'), 'orders_http_requests_total');
    assert.equal(buildFQName('orders', '', 'created_total'), 'orders_created_total');
    assert.equal(buildFQName('', 'http_server', 'active_requests'), 'http_server_active_requests');
    assert.equal(buildFQName('', '', 'x'), 'x');
    assert.equal(buildFQName('orders', 'http', ''), '');
  });
});

describe('robustness (properties)', () => {
  const fixtureSources = async (): Promise<Array<{ ext: string; text: string }>> => {
    const files = ['test/fixtures/ts-service/src/metrics.ts', 'test/fixtures/ts-service/src/server.ts', 'test/fixtures/ts-hostile/src/dynamic.ts', 'test/fixtures/go-service/metrics.go', 'test/fixtures/go-service/main.go'];
    return Promise.all(files.map(async (f) => ({ ext: path.extname(f), text: await readFile(f, 'utf8') })));
  };

  it('never throws on truncated, spliced or random sources written to disk', async () => {
    const sources = await fixtureSources();
    const dir = await tempDir();
    const mutation = fc.oneof(
      // A fixture cut at a random point, possibly with random text spliced in.
      fc.record({ source: fc.nat(sources.length - 1), cut: fc.nat(), insert: fc.string({ maxLength: 20 }) }).map(({ source, cut, insert }) => {
        const { ext, text } = sources[source];
        const at = cut % (text.length + 1);
        return { ext, text: text.slice(0, at) + insert + text.slice(at, at + (cut % 97)) };
      }),
      // Raw bytes, decoded however they decode.
      fc.record({ ext: fc.constantFrom('.ts', '.tsx', '.js', '.go'), bytes: fc.uint8Array({ maxLength: 400 }) }).map(({ ext, bytes }) => ({ ext, text: Buffer.from(bytes).toString('utf8') })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (files) => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        await Promise.all(files.map((f, i) => writeFile(path.join(dir, `f${i}${f.ext}`), f.text)));
        const ts = await scanTypeScriptProject(dir);
        const go = await scanGoModule(dir);
        for (const result of [ts, go]) {
          for (const item of [...result.metrics, ...result.warnings]) {
            assert.ok(item.line >= 1 && item.col >= 1, JSON.stringify(item));
          }
        }
      }),
      { numRuns: 120 },
    );
  });

  it('never throws on arbitrary source text in memory', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('a.ts', 'a.tsx', 'a.js', 'a.mjs'), (text, file) => {
        scanTypeScriptSource(file, `import { Counter } from 'prom-client';\n${text}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a large project', () => {
  // How long it takes is bench/scan.bench.ts's to say (no timed tests: a loaded machine flakes them).
  it('scans 300 TypeScript and 300 Go files, every file and every metric of each counted', async () => {
    const files: Record<string, string> = {};
    const ts = await readFile(path.join(TS_SERVICE, 'src/server.ts'), 'utf8');
    const tsMetrics = await readFile(path.join(TS_SERVICE, 'src/metrics.ts'), 'utf8');
    const go = await readFile(path.join(GO_SERVICE, 'main.go'), 'utf8');
    const goMetrics = await readFile(path.join(GO_SERVICE, 'metrics.go'), 'utf8');
    for (let i = 0; i < 150; i++) {
      files[`pkg${i % 10}/server${i}.ts`] = ts;
      files[`pkg${i % 10}/metrics${i}.ts`] = tsMetrics;
      files[`cmd${i}/main.go`] = go;
      files[`cmd${i}/metrics.go`] = goMetrics;
    }
    const dir = await project(files);
    const tsResult = await scanTypeScriptProject(dir);
    const goResult = await scanGoModule(dir);
    assert.equal(tsResult.filesScanned, 300);
    assert.equal(goResult.filesScanned, 300);
    assert.equal(explicit(tsResult).length, 450);
    assert.equal(explicit(goResult).length, 600);
  });
});

describe('workspace packages of a monorepo', () => {
  const LIB = [
    "import { Router } from 'express';",
    "import { Counter } from 'prom-client';",
    "export const ordersTotal = new Counter({ name: 'mono_orders_total', help: 'orders' });",
    'export const api = Router();',
    "api.get('/orders', (_req, res) => { res.json([]); });",
    '',
  ].join('\n');
  const SERVER = [
    "import express from 'express';",
    "import { api } from '@mono/lib';",
    'const app = express();',
    "app.use('/v1', api);",
    "app.get('/health', (_req, res) => { res.send('ok'); });",
    '',
  ].join('\n');

  /** packages/lib (its entry in dist/, not built) and services/api importing it by name. */
  async function monorepo(root: Record<string, unknown> | undefined, libManifest: Record<string, unknown> = { name: '@mono/lib', main: 'dist/index.js', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } }): Promise<string> {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'packages', 'lib', 'src'), { recursive: true });
    await mkdir(path.join(dir, 'services', 'api', 'src'), { recursive: true });
    if (root) await writeFile(path.join(dir, 'package.json'), JSON.stringify(root));
    await writeFile(path.join(dir, 'packages', 'lib', 'package.json'), JSON.stringify(libManifest));
    await writeFile(path.join(dir, 'packages', 'lib', 'src', 'index.ts'), LIB);
    await writeFile(path.join(dir, 'services', 'api', 'package.json'), JSON.stringify({ name: '@mono/api' }));
    await writeFile(path.join(dir, 'services', 'api', 'src', 'server.ts'), SERVER);
    return dir;
  }

  const routesOf = (r: ScanResult) => r.routes.map((x) => `${x.method} ${x.path} ${x.file}`).sort();

  it('a service importing a workspace package by name gets its routes and metrics (package.json workspaces; main in an unbuilt dist/)', async () => {
    const dir = await monorepo({ name: 'mono', private: true, workspaces: ['packages/*', 'services/*'] });
    const r = await scanTypeScriptProject(path.join(dir, 'services', 'api'));
    assert.deepEqual(routesOf(r), ['GET /health src/server.ts', 'GET /v1/orders ../../packages/lib/src/index.ts']);
    assert.deepEqual(r.metrics.map((m) => `${m.name} ${m.file}`), ['mono_orders_total ../../packages/lib/src/index.ts']);
    assert.deepEqual(r.workspacePackages, [{ name: '@mono/lib', dir: '../../packages/lib', importedBy: ['src/server.ts'] }]);
    assert.equal(r.filesScanned, 2);
  });

  it('pnpm-workspace.yaml, `workspaces: { packages }`, and a subpath export (`@mono/lib/routes`)', async () => {
    const pnpm = await monorepo({ name: 'mono' });
    await writeFile(path.join(pnpm, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/**'\n  - services/*\n");
    assert.deepEqual(routesOf(await scanTypeScriptProject(path.join(pnpm, 'services', 'api'))), ['GET /health src/server.ts', 'GET /v1/orders ../../packages/lib/src/index.ts']);

    const sub = await monorepo({ name: 'mono', workspaces: { packages: ['packages/*'] } }, { name: '@mono/lib', exports: { '.': './src/index.ts', './routes': { import: './src/routes.ts' } } });
    await writeFile(path.join(sub, 'packages', 'lib', 'src', 'routes.ts'), "import { Router } from 'express';\nexport const api = Router();\napi.get('/items', (_req, res) => { res.json([]); });\n");
    // The package is read whole, as the service's own directory is: index.ts's router, mounted by
    // nobody, keeps its path as written.
    await writeFile(path.join(sub, 'services', 'api', 'src', 'server.ts'), SERVER.replace("'@mono/lib'", "'@mono/lib/routes'"));
    assert.deepEqual(routesOf(await scanTypeScriptProject(path.join(sub, 'services', 'api'))), ['GET /health src/server.ts', 'GET /orders ../../packages/lib/src/index.ts', 'GET /v1/items ../../packages/lib/src/routes.ts']);
  });

  it('a workspace package with no source entry is a warning at the import, not a silent miss', async () => {
    const dir = await monorepo({ name: 'mono', workspaces: ['packages/*'] }, { name: '@mono/lib', main: 'dist/main.js' });
    await rm(path.join(dir, 'packages', 'lib', 'src', 'index.ts'));
    const r = await scanTypeScriptProject(path.join(dir, 'services', 'api'));
    const w = r.warnings.find((x) => x.message.includes('@mono/lib'));
    assert.ok(w, JSON.stringify(r.warnings));
    assert.deepEqual([w.file, w.line, w.col], ['src/server.ts', 2, 21]);
    assert.match(w.message, /no source file of \.\.\/\.\.\/packages\/lib is its entry/);
  });

  it('follows node_modules/@mono/lib when it is a link into the workspace, never a real package in node_modules', async () => {
    const linked = await monorepo(undefined);
    await mkdir(path.join(linked, 'services', 'api', 'node_modules', '@mono'), { recursive: true });
    await symlink(path.join(linked, 'packages', 'lib'), path.join(linked, 'services', 'api', 'node_modules', '@mono', 'lib'), 'dir');
    assert.deepEqual(routesOf(await scanTypeScriptProject(path.join(linked, 'services', 'api'))), ['GET /health src/server.ts', 'GET /v1/orders ../../packages/lib/src/index.ts']);

    const vendored = await monorepo(undefined);
    await cp(path.join(vendored, 'packages', 'lib'), path.join(vendored, 'services', 'api', 'node_modules', '@mono', 'lib'), { recursive: true });
    const r = await scanTypeScriptProject(path.join(vendored, 'services', 'api'));
    assert.deepEqual(routesOf(r), ['GET /health src/server.ts']);
    assert.deepEqual(r.metrics, []);
    assert.equal(r.workspacePackages, undefined);
  });
});
