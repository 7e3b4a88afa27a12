import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  EXPOSITION_DEFAULTS,
  createExpositionParser,
  formatFromContentType,
  parseExposition,
  type ExpositionError,
  type ExpositionOptions,
  type MetricFamily,
  type MetricFamilyInfo,
  type Sample,
} from '../src/observe/index.ts';
import { scanFloat, numberOk } from '../src/observe/exposition-lexer.ts';

const fixture = (name: string) => readFileSync(new URL(`../bench/fixtures/exposition/${name}`, import.meta.url), 'utf8');
const PROM_CLIENT = fixture('prom-client.txt');
const CLIENT_GOLANG = fixture('client_golang.txt');
const TEXT_FORMAT = fixture('text-format-0.0.4.txt');
const OPENMETRICS = fixture('openmetrics.txt');
const FIXTURES: Record<string, string> = {
  'prom-client.txt': PROM_CLIENT,
  'client_golang.txt': CLIENT_GOLANG,
  'text-format-0.0.4.txt': TEXT_FORMAT,
  'openmetrics.txt': OPENMETRICS,
};

function family(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} not found in ${families.map((x) => x.name).join(', ')}`);
  return f;
}

function errorsOf(text: string, opts?: ExpositionOptions): Array<[number, number, string]> {
  return parseExposition(text, opts).errors.map((e) => [e.line, e.col, e.message]);
}

/** Feed text cut at the given offsets to the streaming parser; everything it reported, in order. */
function stream(text: string, cuts: number[], opts?: ExpositionOptions) {
  const events: Array<{ family: MetricFamilyInfo; sample: Sample }> = [];
  const errors: ExpositionError[] = [];
  const p = createExpositionParser((sample, family) => events.push({ family, sample }), (e) => errors.push(e), opts);
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    p.write(text.slice(at, c));
    at = c;
  }
  p.write(text.slice(at));
  const summary = p.end();
  return { events, errors, summary };
}

/** Families by name (sorted), each with its samples in order; metadata-only families left out. */
function canonical(families: Iterable<{ info: MetricFamilyInfo; samples: Sample[] }>) {
  const out = [];
  for (const { info, samples } of families) {
    if (samples.length === 0) continue;
    out.push({ name: info.name, type: info.type, help: info.help, unit: info.unit, samples });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function canonicalOneShot(text: string, opts?: ExpositionOptions) {
  const r = parseExposition(text, opts);
  return { families: canonical(r.families.map((f) => ({ info: f, samples: f.samples }))), errors: r.errors, format: r.format };
}

function canonicalStream(text: string, cuts: number[], opts?: ExpositionOptions) {
  const s = stream(text, cuts, opts);
  const byFamily = new Map<MetricFamilyInfo, Sample[]>();
  for (const { family, sample } of s.events) {
    let list = byFamily.get(family);
    if (!list) byFamily.set(family, (list = []));
    list.push(sample);
  }
  const fams = [...byFamily].map(([info, samples]) => ({ info, samples }));
  return { families: canonical(fams), errors: s.errors, format: s.summary.format };
}

function assertWellFormedErrors(errors: ExpositionError[], maxErrors: number = EXPOSITION_DEFAULTS.maxErrors) {
  assert.ok(errors.length <= maxErrors + 1, `too many errors: ${errors.length}`);
  for (const e of errors) {
    assert.ok(Number.isInteger(e.line) && e.line >= 1, `bad line in ${JSON.stringify(e)}`);
    assert.ok(Number.isInteger(e.col) && e.col >= 1, `bad col in ${JSON.stringify(e)}`);
    assert.ok(e.message.startsWith(`line ${e.line}:${e.col}: `), `message not located: ${e.message}`);
    assert.ok(!/[\n\r]/.test(e.message), `message not one line: ${JSON.stringify(e.message)}`);
  }
}

// -------------------------------------------------------------------------------------------------

describe('real expositions', () => {
  it('prom-client: default metrics, labelled histograms, counters, a summary', () => {
    const { families, errors, format } = parseExposition(PROM_CLIENT);
    assert.deepEqual(errors, []);
    assert.equal(format, 'prometheus');
    assert.equal(families.length, 13);
    assert.equal(families.reduce((n, f) => n + f.samples.length, 0), 46);

    const cpu = family(families, 'process_cpu_user_seconds_total');
    assert.equal(cpu.type, 'counter');
    assert.equal(cpu.help, 'Total user CPU time spent in seconds.');
    assert.deepEqual(cpu.samples, [{ name: 'process_cpu_user_seconds_total', labels: {}, value: 12.345678 }]);

    assert.deepEqual(family(families, 'nodejs_version_info').samples[0].labels, {
      version: 'v20.11.1',
      major: '20',
      minor: '11',
      patch: '1',
    });

    const gc = family(families, 'nodejs_gc_duration_seconds');
    assert.equal(gc.type, 'histogram');
    assert.equal(gc.samples.length, 9);
    assert.deepEqual(gc.samples[6], { name: 'nodejs_gc_duration_seconds_bucket', labels: { le: '+Inf', kind: 'minor' }, value: 31 });
    assert.deepEqual(gc.samples[7], { name: 'nodejs_gc_duration_seconds_sum', labels: { kind: 'minor' }, value: 0.015927551984786986 });

    const http = family(families, 'http_request_duration_seconds');
    assert.equal(http.type, 'histogram');
    assert.equal(http.help, 'Duration of HTTP requests in seconds');
    assert.equal(http.samples.length, 16);
    assert.deepEqual(http.samples[0], {
      name: 'http_request_duration_seconds_bucket',
      labels: { le: '0.005', method: 'GET', route: '/api/users/:id', status_code: '200' },
      value: 120,
    });
    assert.deepEqual(http.samples[15], {
      name: 'http_request_duration_seconds_count',
      labels: { method: 'POST', route: '/api/orders', status_code: '500' },
      value: 7,
    });
    assert.deepEqual(
      http.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.method === 'POST').map((s) => [s.labels.le, s.value]),
      [['0.005', 0], ['0.01', 0], ['0.025', 1], ['0.05', 1], ['0.1', 2], ['+Inf', 7]],
    );

    assert.deepEqual(
      family(families, 'http_requests_total').samples.map((s) => s.value),
      [405, 7],
    );

    const rpc = family(families, 'rpc_latency_seconds');
    assert.equal(rpc.type, 'summary');
    assert.deepEqual(
      rpc.samples.map((s) => [s.name, s.labels.quantile, s.value]),
      [
        ['rpc_latency_seconds', '0.01', 0.0012],
        ['rpc_latency_seconds', '0.05', 0.0015],
        ['rpc_latency_seconds', '0.5', 0.004],
        ['rpc_latency_seconds', '0.9', 0.021],
        ['rpc_latency_seconds', '0.99', 0.25],
        ['rpc_latency_seconds_sum', undefined, 9.87],
        ['rpc_latency_seconds_count', undefined, 1234],
      ],
    );
  });

  it('client_golang: go_* defaults with exponents, le last, a summary with quantile 0 and 1', () => {
    const { families, errors } = parseExposition(CLIENT_GOLANG);
    assert.deepEqual(errors, []);
    assert.equal(families.length, 15);
    const gc = family(families, 'go_gc_duration_seconds');
    assert.equal(gc.type, 'summary');
    assert.deepEqual(
      gc.samples.map((s) => [s.name, s.labels.quantile, s.value]),
      [
        ['go_gc_duration_seconds', '0', 2.9017e-5],
        ['go_gc_duration_seconds', '0.25', 4.7425e-5],
        ['go_gc_duration_seconds', '0.5', 6.0912e-5],
        ['go_gc_duration_seconds', '0.75', 8.6219e-5],
        ['go_gc_duration_seconds', '1', 0.001235447],
        ['go_gc_duration_seconds_sum', undefined, 0.0318123],
        ['go_gc_duration_seconds_count', undefined, 412],
      ],
    );
    assert.equal(family(families, 'go_memstats_alloc_bytes').samples[0].value, 7137768);
    assert.equal(family(families, 'go_memstats_alloc_bytes_total').samples[0].value, 1904412344);
    assert.equal(family(families, 'go_memstats_alloc_bytes_total').type, 'counter');
    assert.equal(family(families, 'go_memstats_last_gc_time_seconds').samples[0].value, 1712345678.0123456);
    assert.equal(family(families, 'process_max_fds').samples[0].value, 1048576);
    assert.equal(family(families, 'process_virtual_memory_max_bytes').samples[0].value, 18446744073709552000);
    assert.deepEqual(family(families, 'go_info').samples, [{ name: 'go_info', labels: { version: 'go1.22.1' }, value: 1 }]);
    const http = family(families, 'http_request_duration_seconds');
    assert.deepEqual(http.samples[5], {
      name: 'http_request_duration_seconds_bucket',
      labels: { code: '200', handler: '/checkout', method: 'post', le: '+Inf' },
      value: 1533,
    });
    assert.equal(http.samples[6].value, 97.32081233);
    assert.deepEqual(
      family(families, 'promhttp_metric_handler_requests_total').samples.map((s) => [s.labels.code, s.value]),
      [['200', 1337], ['500', 0], ['503', 0]],
    );
  });

  it('text format 0.0.4: escapes, NaN, +Inf, -Inf, timestamps, blanks, CRLF, legacy trailing comma', () => {
    const { families, errors } = parseExposition(TEXT_FORMAT);
    assert.deepEqual(errors, []);
    assert.deepEqual(family(families, 'http_requests_total').samples, [
      { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestamp: 1395066363000 },
      { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestamp: 1395066363000 },
    ]);
    assert.deepEqual(family(families, 'msdos_file_access_time_seconds').samples, [
      {
        name: 'msdos_file_access_time_seconds',
        labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' },
        value: 1458255915,
      },
    ]);
    assert.equal(family(families, 'msdos_file_access_time_seconds').type, 'untyped');
    assert.deepEqual(family(families, 'metric_without_timestamp_and_labels').samples, [
      { name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 },
    ]);
    assert.deepEqual(family(families, 'something_weird').samples, [
      { name: 'something_weird', labels: { problem: 'division by zero' }, value: Infinity, timestamp: -3982045 },
    ]);
    const esc = family(families, 'escaped_help');
    assert.equal(esc.help, 'A help text with a backslash \\ and a newline \n in it.');
    assert.equal(esc.type, 'gauge');
    assert.deepEqual(esc.samples[0].labels, { path: '/a\\b', quote: 'say "hi"', unknown_escape: 'tab\\there' });
    assert.equal(esc.samples[0].value, -Infinity);
    assert.deepEqual(esc.samples[1].labels, { path: '', quote: '', unknown_escape: '', utf8: 'Grüße 🚀' });
    assert.ok(Number.isNaN(esc.samples[1].value));
    assert.equal(esc.samples[2].value, 6.02e23);
    assert.deepEqual(family(families, 'legacy_gc_count').samples, [{ name: 'legacy_gc_count', labels: { gc: 'Copy' }, value: 104 }]);
    assert.deepEqual(family(families, 'jvm_like_count').samples, [{ name: 'jvm_like_count', labels: { gc: 'Copy' }, value: 0.001 }]);
    assert.equal(family(families, 'exponent_with_plus').samples[0].value, 150);
    assert.deepEqual(family(families, 'crlf_terminated').samples, [{ name: 'crlf_terminated', labels: { a: '1' }, value: 7 }]);
  });

  it('OpenMetrics: UNIT, _total and _created, exemplars, info, stateset, gaugehistogram, float timestamps, # EOF', () => {
    for (const format of ['auto', 'openmetrics'] as const) {
      const { families, errors, format: seen } = parseExposition(OPENMETRICS, { format });
      assert.deepEqual(errors, [], format);
      assert.equal(seen, 'openmetrics');
      assert.equal(families.length, 9);
      const acme = family(families, 'acme_http_router_request_seconds');
      assert.equal(acme.type, 'summary');
      assert.equal(acme.unit, 'seconds');
      assert.equal(acme.help, "Latency though all of ACME's HTTP request router.");
      assert.deepEqual(
        acme.samples.map((s) => [s.name, s.labels.path, s.value]),
        [
          ['acme_http_router_request_seconds_sum', '/api/v1', 9036.32],
          ['acme_http_router_request_seconds_count', '/api/v1', 807283],
          ['acme_http_router_request_seconds_created', '/api/v1', 1605281325],
          ['acme_http_router_request_seconds_sum', '/api/v2', 479.3],
          ['acme_http_router_request_seconds_count', '/api/v2', 34],
          ['acme_http_router_request_seconds_created', '/api/v2', 1605281325],
        ],
      );
      const cpu = family(families, 'process_cpu_seconds');
      assert.equal(cpu.type, 'counter');
      assert.deepEqual(cpu.samples, [{ name: 'process_cpu_seconds_total', labels: {}, value: 4200722.46 }]);
      assert.deepEqual(family(families, 'foo').samples, [
        {
          name: 'foo_total',
          labels: {},
          value: 17,
          timestamp: 1520879607789,
          exemplar: { labels: { trace_id: 'KOO5S4vxi0o' }, value: 0.67 },
        },
        { name: 'foo_created', labels: {}, value: 1520430000.123, timestamp: 1520879607789 },
      ]);
      const hist = family(families, 'http_request_duration_seconds');
      assert.equal(hist.help, 'Request latency, with exemplars, as the "OpenMetrics" spec writes it.');
      assert.deepEqual(hist.samples.slice(0, 3), [
        {
          name: 'http_request_duration_seconds_bucket',
          labels: { le: '0.1' },
          value: 8,
          exemplar: { labels: { trace_id: 'oHg5SJYRHA0', span_id: 'a1' }, value: 0.054, timestamp: 1520879607700 },
        },
        {
          name: 'http_request_duration_seconds_bucket',
          labels: { le: '1' },
          value: 10,
          exemplar: { labels: { trace_id: 'KOO5S4vxi0o' }, value: 0.67 },
        },
        { name: 'http_request_duration_seconds_bucket', labels: { le: '+Inf' }, value: 11, exemplar: { labels: {}, value: 1500 } },
      ]);
      assert.deepEqual(
        hist.samples.slice(3).map((s) => [s.name, s.value]),
        [
          ['http_request_duration_seconds_sum', 12.5],
          ['http_request_duration_seconds_count', 11],
          ['http_request_duration_seconds_created', 1520430000],
        ],
      );
      const q = family(families, 'queue_depth');
      assert.equal(q.type, 'gaugehistogram');
      assert.deepEqual(
        q.samples.map((s) => s.name),
        ['queue_depth_bucket', 'queue_depth_bucket', 'queue_depth_gcount', 'queue_depth_gsum'],
      );
      const build = family(families, 'build');
      assert.equal(build.type, 'info');
      assert.deepEqual(build.samples, [{ name: 'build_info', labels: { version: '1.2.3', revision: 'abc123' }, value: 1 }]);
      assert.equal(family(families, 'feature_flags').type, 'stateset');
      assert.deepEqual(family(families, 'mystery').samples, [{ name: 'mystery', labels: {}, value: 3.14, timestamp: 1520879607000 }]);
      assert.equal(family(families, 'mystery').type, 'unknown');
    }
  });

  it('Prometheus text timestamps are milliseconds; OpenMetrics seconds are converted to milliseconds', () => {
    assert.equal(parseExposition('a 1 1712345678123\n').families[0].samples[0].timestamp, 1712345678123);
    assert.equal(parseExposition('a 1 1712345678.123\n# EOF\n', { format: 'openmetrics' }).families[0].samples[0].timestamp, 1712345678123);
    // 'auto' reads an integer timestamp before any OpenMetrics-only construct as milliseconds (the
    // Content-Type tells them apart: see formatFromContentType); a float one is OpenMetrics seconds.
    assert.equal(parseExposition('a 1 1712345678\n# EOF\n').families[0].samples[0].timestamp, 1712345678);
    const float = parseExposition('a 1 1712345678.5\n# EOF\n');
    assert.equal(float.format, 'openmetrics');
    assert.equal(float.families[0].samples[0].timestamp, 1712345678500);
    assert.equal(float.families[0].type, 'unknown');
  });

  it('values: every spelling of NaN and the infinities, signs, exponents, fractions without digits on one side', () => {
    const cases: Array<[string, number]> = [
      ['NaN', NaN],
      ['nan', NaN],
      ['+Inf', Infinity],
      ['-Inf', -Infinity],
      ['Inf', Infinity],
      ['+inf', Infinity],
      ['-Infinity', -Infinity],
      ['0', 0],
      ['-0', -0],
      ['1e3', 1000],
      ['1E-3', 0.001],
      ['-2.5e+2', -250],
      ['.5', 0.5],
      ['5.', 5],
      ['+7', 7],
      ['0.1', 0.1],
      ['123456789012345678901234567890', 1.2345678901234568e29],
      ['0.000000000000000000000000001', 1e-27],
      ['1.7976931348623157e308', 1.7976931348623157e308],
      ['4.9e-324', 5e-324],
      ['1e400', Infinity],
    ];
    for (const [text, want] of cases) {
      const r = parseExposition(`m ${text}\n`);
      assert.deepEqual(r.errors, [], text);
      assert.ok(Object.is(r.families[0].samples[0].value, want), `${text} -> ${r.families[0].samples[0].value}, want ${want}`);
    }
    for (const bad of ['', '-', '+', '.', 'e5', '1e', '1e+', '0x10', '1_000', 'Infx', '1.2.3', '--1', 'NaNa', '١']) {
      scanFloat(bad, 0, bad.length);
      assert.equal(numberOk, false, `${JSON.stringify(bad)} should be rejected`);
    }
  });

  it('scanFloat agrees with Number() on every rendering of random doubles', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.integer({ min: 1, max: 21 }), (d, digits) => {
        const renders = [String(d), d.toExponential(), d.toPrecision(digits), d.toExponential(digits - 1)];
        if (Math.abs(d) < 1e21) renders.push(d.toFixed(Math.min(digits, 20)));
        for (const r of renders) {
          const want = Number(r);
          const got = scanFloat(r, 0, r.length);
          assert.ok(numberOk, r);
          assert.ok(Object.is(got, want), `${r}: ${got} != ${want}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('families', () => {
  it('groups histogram, summary and counter samples under their family and keeps le/quantile', () => {
    const text = [
      '# TYPE rq histogram',
      'rq_bucket{le="1"} 1',
      'rq_bucket{le="+Inf"} 2',
      'rq_sum 3',
      'rq_count 2',
      'rq_created 1',
      'rq_other 9',
      '# TYPE c counter',
      'c_total 5',
      'c 6',
      '# TYPE s summary',
      's{quantile="0.5"} 1',
      's_sum 2',
      's_count 3',
      's_bucket 4',
      '',
    ].join('\n');
    const { families, errors } = parseExposition(text);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)]),
      [
        ['rq', 'histogram', ['rq_bucket', 'rq_bucket', 'rq_sum', 'rq_count', 'rq_created']],
        ['rq_other', 'untyped', ['rq_other']],
        ['c', 'counter', ['c_total', 'c']],
        ['s', 'summary', ['s', 's_sum', 's_count']],
        ['s_bucket', 'untyped', ['s_bucket']],
      ],
    );
    assert.deepEqual(families[0].samples[1].labels, { le: '+Inf' });
  });

  it('a Prometheus-style counter named with _total is its own family; metadata-only families are kept', () => {
    const text = '# HELP x_total Requests.\n# TYPE x_total counter\nx_total 3\n# HELP empty Nothing yet.\n# TYPE empty gauge\n';
    const { families } = parseExposition(text);
    assert.deepEqual(families, [
      { name: 'x_total', type: 'counter', help: 'Requests.', samples: [{ name: 'x_total', labels: {}, value: 3 }] },
      { name: 'empty', type: 'gauge', help: 'Nothing yet.', samples: [] },
    ]);
  });

  it('label records are right when the label names change from one sample to the next, also after a bad line', () => {
    const text = [
      'x{a="1",b="2"} 1',
      'x{a="1",c="2"} 2',
      'x{c="1",', // bad: overwrites the scratch names, must not leave a stale record builder behind
      'x{c="1",b="2"} 3',
      'x{c="1",b="2"} 4',
      'x{b="2",c="1"} 5',
      'x 6',
      'x{} 7',
      'x{a="1"} 8',
      'x{a="1\\n"} 9',
      'x{a="1\\n"} 10',
      '',
    ].join('\n');
    const { families, errors } = parseExposition(text);
    assert.equal(errors.length, 1);
    assert.deepEqual(
      families[0].samples.map((s) => [s.value, s.labels]),
      [
        [1, { a: '1', b: '2' }],
        [2, { a: '1', c: '2' }],
        [3, { c: '1', b: '2' }],
        [4, { c: '1', b: '2' }],
        [5, { b: '2', c: '1' }],
        [6, {}],
        [7, {}],
        [8, { a: '1' }],
        [9, { a: '1\n' }],
        [10, { a: '1\n' }],
      ],
    );
  });

  it('a label named __proto__ is an own property and does not change the prototype', () => {
    const { families, errors } = parseExposition('x{__proto__="evil",constructor="c"} 1\n');
    assert.deepEqual(errors, []);
    const labels = families[0].samples[0].labels;
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
    assert.deepEqual(Object.keys(labels), ['__proto__', 'constructor']);
    assert.equal(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value, 'evil');
  });
});

describe('located errors', () => {
  it('reports each error class at its line and column and keeps the good lines', () => {
    const text = [
      'ok_metric 1', // 1
      'bad_eq{method"GET"} 1', // 2
      'no_quote{method=GET} 1', // 3
      'unterminated{path="/a} 1', // 4
      'no_close{a="1" 2', // 5
      'open_set{a="1",', // 6
      'bad_label{1a="x"} 1', // 7
      'dup{a="1",a="2"} 1', // 8
      'bad_value{a="1"} 12x', // 9
      'lonely_name', // 10
      'bad-name 1', // 11
      '{a="b"} 1', // 12
      '9lives 1', // 13
      'ts_bad 1 12abc', // 14
      'too_many 1 2 3', // 15
      '# TYPE ok_metric2 histo', // 16
      '# TYPE lonely_type', // 17
      '# HELP', // 18
      '# TYPE dup_type gauge', // 19
      '# TYPE dup_type counter', // 20
      '# HELP dup_help first', // 21
      '# HELP dup_help second', // 22
      '# TYPE ok_metric gauge', // 23
      'quoted{"my.label"="x"} 1', // 24
      'labels_no_space{a="1"}2', // 25
      'ok_metric2 2', // 26
      '',
    ].join('\n');
    const r = parseExposition(text);
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.col, e.message]),
      [
        [2, 14, `line 2:14: expected '=' after label name "method", found '"'`],
        [3, 17, `line 3:17: expected '"' to open the value of label "method", found 'G'`],
        [4, 19, `line 4:19: unterminated value of label "path": missing closing '"'`],
        [5, 16, `line 5:16: expected ',' or '}' after the value of label "a", found '2'`],
        [6, 9, `line 6:9: unterminated label set of "open_set": missing '}'`],
        [7, 11, `line 7:11: expected a label name in the labels of "bad_label", found '1'`],
        [8, 11, `line 8:11: duplicate label name "a" on "dup"`],
        [9, 18, `line 9:18: invalid value "12x" for "bad_value"`],
        [10, 12, `line 10:12: expected a value after metric name "lonely_name"`],
        [11, 4, `line 11:4: unexpected character '-' in metric name "bad-"`],
        [12, 1, `line 12:1: expected a metric name before '{' (quoted UTF-8 metric names are not supported)`],
        [13, 1, `line 13:1: expected a metric name or '#', found '9'`],
        [14, 10, `line 14:10: invalid timestamp "12abc" (Prometheus text: integer milliseconds since the epoch)`],
        [15, 14, `line 15:14: unexpected text after the timestamp of "too_many"`],
        [
          16,
          19,
          `line 16:19: unknown metric type "histo" (expected counter, gauge, histogram, summary, untyped, gaugehistogram, info, stateset or unknown)`,
        ],
        [17, 19, `line 17:19: expected a type after '# TYPE lonely_type'`],
        [18, 7, `line 18:7: expected a metric name after '# HELP'`],
        [20, 1, `line 20:1: duplicate '# TYPE' for "dup_type"`],
        [22, 1, `line 22:1: duplicate '# HELP' for "dup_help"`],
        [23, 1, `line 23:1: '# TYPE' for "ok_metric" after its samples`],
        [24, 8, `line 24:8: expected a label name, found '"' (quoted UTF-8 label names are not supported)`],
        [25, 23, `line 25:23: expected a space before the value of "labels_no_space", found '2'`],
      ],
    );
    assert.deepEqual(
      r.families.filter((f) => f.samples.length > 0).map((f) => [f.name, f.samples.map((s) => s.value)]),
      [
        ['ok_metric', [1]],
        ['ok_metric2', [2]],
      ],
    );
    assertWellFormedErrors(r.errors);
  });

  it('Prometheus text mode: exemplars and OpenMetrics-only types are errors; # UNIT is a comment', () => {
    assert.deepEqual(errorsOf('ex_total 1 # {a="b"} 1\n# TYPE x info\n# UNIT x seconds\nts_float 1 1.5\n', { format: 'prometheus' }), [
      [1, 12, `line 1:12: unexpected '#' after the value: exemplars exist only in OpenMetrics`],
      [2, 10, `line 2:10: metric type "info" exists only in OpenMetrics, not in the Prometheus text format`],
      [4, 12, `line 4:12: invalid timestamp "1.5" (Prometheus text: integer milliseconds since the epoch)`],
    ]);
  });

  it('OpenMetrics mode: trailing comma, empty line, plain comment, bad timestamp, bad exemplar, content after # EOF', () => {
    const text = [
      '# TYPE a counter', // 1
      'a_total{x="1",} 1', // 2
      '', // 3
      '# a plain comment', // 4
      'a_total{x="2"} 1 1.5e3x', // 5
      'a_total{x="3"} 1 # {a="b"}', // 6
      'a_total{x="4"} 1 #{a="b"} 1', // 7
      'a_total{x="5"} 1 # {a="b"} 1 2 3', // 8
      'a_total{x="6"} 1 # {a="b"} 1 2', // 9
      '# EOF', // 10
      'trailing 1', // 11
      'more 2', // 12
      '',
    ].join('\n');
    const r = parseExposition(text, { format: 'openmetrics' });
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        `line 2:14: trailing ',' in a label set (not allowed in OpenMetrics)`,
        `line 3:1: empty line (OpenMetrics does not allow empty lines)`,
        `line 4:1: unexpected comment (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)`,
        `line 5:18: invalid timestamp "1.5e3x" (OpenMetrics: seconds since the epoch, e.g. 1712345678.123)`,
        `line 6:27: expected the exemplar's value after its labels`,
        `line 7:19: expected ' {' after '#' to start an exemplar`,
        `line 8:32: unexpected text after the exemplar (the exemplar started at column 18)`,
        `line 11:1: unexpected content after '# EOF'`,
      ],
    );
    assert.deepEqual(
      r.families[0].samples.map((s) => [s.labels.x, s.exemplar]),
      [['6', { labels: { a: 'b' }, value: 1, timestamp: 2000 }]],
    );
  });

  it('in Prometheus text mode # EOF is a plain comment; type names are read in any case, as expfmt does', () => {
    const r = parseExposition('# TYPE a COUNTER\na 1\n# EOF\nb 2\n', { format: 'prometheus' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['a', 'counter', 1],
        ['b', 'untyped', 1],
      ],
    );
  });

  it('a truncated OpenMetrics body (no # EOF) is reported at the end', () => {
    assert.deepEqual(errorsOf('# TYPE a gauge\na 1\n', { format: 'openmetrics' }), [
      [3, 1, `line 3:1: missing '# EOF' at the end of the OpenMetrics exposition (truncated body?)`],
    ]);
    // In auto mode an OpenMetrics-only construct makes it OpenMetrics, which then needs # EOF.
    assert.deepEqual(errorsOf('# TYPE a gauge\n# UNIT a bytes\na_bytes 1'), [
      [3, 1, `line 3:1: missing '# EOF' at the end of the OpenMetrics exposition (truncated body?)`],
    ]);
    assert.deepEqual(errorsOf('a 1\n'), []);
  });

  it('bounds: labels per sample, label name and value length, line length, errors', () => {
    assert.deepEqual(errorsOf('m{a="1",b="2",c="3"} 1\n', { maxLabels: 2 }), [[1, 15, 'line 1:15: more than maxLabels (2) labels on "m"']]);
    assert.deepEqual(errorsOf('m{a="123456789"} 1\n', { maxLabelValueLength: 8 }), [
      [1, 6, 'line 1:6: value of label "a" longer than maxLabelValueLength (8)'],
    ]);
    assert.deepEqual(errorsOf('m{abcde="1"} 1\n', { maxLabelNameLength: 4 }), [
      [1, 3, 'line 1:3: label name longer than maxLabelNameLength (4)'],
    ]);
    const long = parseExposition('short 1\nthis_line_is_long 1\nok 2\n', { maxLineLength: 10 });
    assert.deepEqual(long.errors, [
      { line: 2, col: 11, message: 'line 2:11: line longer than maxLineLength (10 characters); skipped' },
    ]);
    assert.deepEqual(
      long.families.map((f) => f.name),
      ['short', 'ok'],
    );
    const many = parseExposition('bad!\n'.repeat(10), { maxErrors: 3 });
    assert.deepEqual(
      many.errors.map((e) => e.message),
      [
        `line 1:4: unexpected character '!' in metric name "bad!"`,
        `line 2:4: unexpected character '!' in metric name "bad!"`,
        `line 3:4: unexpected character '!' in metric name "bad!"`,
        'line 4:4: more than maxErrors (3) errors; further errors are not reported',
      ],
    );
    const summary = createExpositionParser(() => {}, () => {}, { maxErrors: 3 });
    summary.write('bad!\n'.repeat(10));
    assert.equal(summary.end().errors, 10);
  });
});

describe('streaming', () => {
  it('chunked parsing equals the one-shot parse for every split point of every fixture', () => {
    for (const [name, text] of Object.entries(FIXTURES)) {
      const whole = canonicalOneShot(text);
      assert.deepEqual(canonicalStream(text, []), whole, name);
      const reference = stream(text, []);
      for (let k = 0; k <= text.length; k++) {
        const split = stream(text, [k]);
        assert.deepEqual(split.events, reference.events, `${name} split at ${k}`);
        assert.deepEqual(split.errors, reference.errors, `${name} split at ${k}`);
      }
    }
  });

  it('familiesSeen(): every family with its sample count, also one only declared (prom-client\'s labelled metric before its first observation)', () => {
    const text = '# HELP h Latency.\n# TYPE h histogram\n\n# HELP c Requests.\n# TYPE c counter\nc{route="/a"} 3\nc{route="/b"} 1\nloose 2\n';
    const p = createExpositionParser(() => {});
    p.write(text.slice(0, 20));
    p.write(text.slice(20));
    p.end();
    assert.deepEqual(p.familiesSeen(), [
      { name: 'h', type: 'histogram', help: 'Latency.', samples: 0 },
      { name: 'c', type: 'counter', help: 'Requests.', samples: 2 },
      { name: 'loose', type: 'untyped', samples: 1 },
    ]);
  });

  it('chunked parsing equals the one-shot parse for random chunkings, also with lines over the bound', () => {
    const docs = [...Object.values(FIXTURES), PROM_CLIENT.replace(/"GET"/g, '"G\\"E\\\\T\\n"') + 'broken{a="1\n'];
    fc.assert(
      fc.property(
        fc.constantFrom(...docs.keys()),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.constantFrom(undefined, 20, 60, 120),
        (i, rawCuts, maxLineLength) => {
          const text = docs[i];
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          const opts = { maxLineLength };
          assert.deepEqual(canonicalStream(text, cuts, opts), canonicalOneShot(text, opts));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a line of exactly maxLineLength characters before its CRLF is accepted at every split point', () => {
    const line = 'm{a="' + 'x'.repeat(20) + '"} 1'; // 29 characters
    const text = `${line}\r\n${line}x\r\n${line}\r\n`;
    const opts = { maxLineLength: line.length };
    const whole = canonicalOneShot(text, opts);
    assert.equal(whole.families[0].samples.length, 2);
    assert.deepEqual(
      whole.errors.map((e) => e.message),
      ['line 2:30: line longer than maxLineLength (29 characters); skipped'],
    );
    for (let k = 0; k <= text.length; k++) {
      for (let j = k; j <= text.length; j += 5) assert.deepEqual(canonicalStream(text, [k, j], opts), whole, `cuts ${k}, ${j}`);
    }
  });

  it('chunks of one character each', () => {
    const cuts = Array.from({ length: OPENMETRICS.length }, (_, i) => i);
    assert.deepEqual(canonicalStream(OPENMETRICS, cuts), canonicalOneShot(OPENMETRICS));
  });

  it('handler exceptions propagate; write after end throws; formatFromContentType', () => {
    const p = createExpositionParser(() => {
      throw new Error('consumer bug');
    });
    assert.throws(() => p.write('a 1\n'), /consumer bug/);
    const q = createExpositionParser(() => {});
    q.end();
    assert.throws(() => q.write('a 1\n'), /after end/);
    assert.equal(formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
    assert.equal(formatFromContentType('text/plain; version=0.0.4; charset=utf-8'), 'prometheus');
    assert.equal(formatFromContentType(undefined), 'auto');
  });
});

describe('garbage never throws', () => {
  const check = (text: string, opts: ExpositionOptions = {}) => {
    const r = parseExposition(text, opts);
    assertWellFormedErrors(r.errors, opts.maxErrors);
    const samples = r.families.reduce((n, f) => n + f.samples.length, 0);
    assert.ok(samples <= (opts.maxSeries ?? EXPOSITION_DEFAULTS.maxSeries));
    for (const f of r.families) {
      for (const s of f.samples) {
        assert.equal(typeof s.value, 'number');
        assert.equal(typeof s.name, 'string');
      }
    }
    return r;
  };

  it('random strings of any code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        check(s);
        check(s, { format: 'openmetrics' });
      }),
      { numRuns: 1000 },
    );
  });

  it('random strings over the exposition alphabet (deep into the scanner)', () => {
    const alphabet = fc.constantFrom(...'ab_:{}="\\,#  \t\n\r01.eE+-InfNaTYPEHLPU'.split(''), '# TYPE ', '# HELP ', '# EOF', 'le="', '_bucket');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 }), (s, rawCuts) => {
        for (const format of ['auto', 'prometheus', 'openmetrics'] as const) {
          const opts = { format, maxLineLength: 64, maxLabels: 4 };
          check(s, opts);
          const cuts = rawCuts.map((c) => c % (s.length + 1));
          assert.deepEqual(canonicalStream(s, cuts, opts), canonicalOneShot(s, opts));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random bytes decoded as UTF-8 and as Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        check(Buffer.from(bytes).toString('utf8'));
        check(Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: 1000 },
    );
  });

  it('truncations of real expositions', () => {
    for (const text of Object.values(FIXTURES)) {
      for (let k = 0; k <= text.length; k += 7) check(text.slice(0, k));
    }
  });

  it('mutated lines of real expositions', () => {
    const nasty = fc.constantFrom('"', '\\', '{', '}', ',', '=', '#', ' ', '\n', '\r', '\t', 'x', '9', '.', 'e', '+', '\u0000', '\uD800', '🚀', '# EOF\n');
    const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'replace', 'duplicate'), ch: nasty });
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(FIXTURES)), fc.array(mutation, { minLength: 1, maxLength: 12 }), (text, muts) => {
        let s = text;
        for (const m of muts) {
          const i = m.at % (s.length + 1);
          if (m.op === 'insert') s = s.slice(0, i) + m.ch + s.slice(i);
          else if (m.op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
          else if (m.op === 'replace') s = s.slice(0, i) + m.ch + s.slice(i + 1);
          else {
            const start = s.lastIndexOf('\n', i - 1) + 1;
            const end = s.indexOf('\n', i);
            const line = s.slice(start, end < 0 ? s.length : end + 1);
            s = s.slice(0, start) + line + line + s.slice(start + line.length);
          }
        }
        check(s);
        check(s, { format: 'openmetrics' });
        check(s, { format: 'prometheus', maxLabels: 2, maxLineLength: 50 });
      }),
      { numRuns: 1500 },
    );
  });
});

describe('what a valid exposition says is what the parser returns', () => {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const render = (v: number) =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : Object.is(v, -0) ? '-0' : String(v);
  const sample = fc.record(
    {
      labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 5 }),
      value: fc.double(),
      timestamp: fc.integer({ min: -1e12, max: 4e12 }),
    },
    { requiredKeys: ['labels', 'value'] },
  );
  const familyArb = fc.record({
    name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/),
    type: fc.constantFrom('gauge', 'counter', 'untyped'),
    // Blanks before the help text separate it from the name; a CR before the line break is dropped,
    // so no help text ends in one (all of them: "\r\r" less one CR still ends in a CR).
    help: fc.option(
      fc.string({ unit: 'binary', maxLength: 30 }).map((h) => h.replace(/^[ \t]+/, '').replace(/\r+$/, '')),
      { nil: undefined },
    ),
    samples: fc.array(sample, { minLength: 1, maxLength: 6 }),
  });

  it('parse(render(model)) is the model', () => {
    fc.assert(
      fc.property(fc.array(familyArb, { maxLength: 6 }), (model) => {
        // Unique family names that cannot be another family's name plus a suffix.
        const fams = model.map((f, i) => ({ ...f, name: `f${i}_${f.name}` }));
        let text = '';
        for (const f of fams) {
          if (f.help !== undefined) text += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
          text += `# TYPE ${f.name} ${f.type}\n`;
          for (const s of f.samples) {
            const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`);
            text += `${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${render(s.value)}${s.timestamp !== undefined ? ` ${s.timestamp}` : ''}\n`;
          }
        }
        const r = parseExposition(text);
        assert.deepEqual(r.errors, []);
        assert.deepEqual(
          r.families,
          fams.map((f) => ({
            name: f.name,
            type: f.type,
            ...(f.help !== undefined ? { help: f.help } : {}),
            samples: f.samples.map((s) => ({
              name: f.name,
              labels: { ...s.labels },
              value: s.value,
              ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}),
            })),
          })),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('hostile input', () => {
  it('a 50 MB line without a newline, fed in 64 KiB chunks, keeps the buffer bounded', () => {
    const errors: ExpositionError[] = [];
    const samples: Sample[] = [];
    const p = createExpositionParser((s) => samples.push(s), (e) => errors.push(e));
    const chunk = 'a'.repeat(64 * 1024);
    const bound = EXPOSITION_DEFAULTS.maxLineLength + 1;
    let maxBuffered = 0;
    for (let fed = 0; fed < 50 * 1024 * 1024; fed += chunk.length) {
      p.write(chunk);
      maxBuffered = Math.max(maxBuffered, p.bufferedLength);
      assert.ok(p.bufferedLength <= bound, `buffered ${p.bufferedLength} > ${bound}`);
    }
    assert.ok(maxBuffered <= bound);
    assert.equal(p.bufferedLength, 0, 'nothing is held while the long line is being skipped');
    p.write('\nafter_the_long_line 1\n');
    p.end();
    assert.deepEqual(errors, [{ line: 1, col: 65537, message: 'line 1:65537: line longer than maxLineLength (65536 characters); skipped' }]);
    assert.deepEqual(samples, [{ name: 'after_the_long_line', labels: {}, value: 1 }]);
  });

  it('an unterminated label value that never ends, in small chunks, with a small bound', () => {
    const errors: ExpositionError[] = [];
    const p = createExpositionParser(() => {}, (e) => errors.push(e), { maxLineLength: 1000 });
    p.write('m{label="');
    for (let i = 0; i < 20_000; i++) {
      p.write('xyz\\"');
      assert.ok(p.bufferedLength <= 1001);
    }
    p.end();
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, 'line 1:1001: line longer than maxLineLength (1000 characters); skipped');
  });

  it('1,000,000 distinct series are cut at maxSeries with one error', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`series_total{id="${i}"} ${i}`);
    const text = lines.join('\n') + '\n';
    const r = parseExposition(text);
    assert.equal(r.families.length, 1);
    assert.equal(r.families[0].samples.length, EXPOSITION_DEFAULTS.maxSeries);
    assert.deepEqual(r.families[0].samples[EXPOSITION_DEFAULTS.maxSeries - 1], {
      name: 'series_total',
      labels: { id: String(EXPOSITION_DEFAULTS.maxSeries - 1) },
      value: EXPOSITION_DEFAULTS.maxSeries - 1,
    });
    assert.deepEqual(r.errors, [
      {
        line: 200_001,
        col: 1,
        message: 'line 200001:1: more than maxSeries (200000) samples; this and the following samples are dropped',
      },
    ]);

    // The streaming parser holds nothing per sample, and the bound is configurable.
    let seen = 0;
    const errors: ExpositionError[] = [];
    const p = createExpositionParser(() => void seen++, (e) => errors.push(e), { maxSeries: 1000 });
    for (let i = 0; i < text.length; i += 65536) p.write(text.slice(i, i + 65536));
    assert.equal(p.end().samples, 1000);
    assert.equal(seen, 1000);
    assert.deepEqual(
      errors.map((e) => e.message),
      ['line 1001:1: more than maxSeries (1000) samples; this and the following samples are dropped'],
    );
  });

  it('1,000,000 distinct metric names: families are bounded too', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(i % 2 ? `# HELP m${i} help` : `m${i} 1`);
    const r = parseExposition(lines.join('\n'), { maxSeries: 5000 });
    assert.ok(r.families.length <= 5000);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['line 5001:1: more than maxSeries (5000) metric families; the rest are dropped'],
    );
  });
});
