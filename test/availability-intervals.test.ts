// The availability composite judges latency and success per interval (a gate trial on the
// client's side, a scrape interval on the service's). A user trial (Express + express-prom-bundle,
// errors 99%, availability 99%) failed availability on a service that met its errors objective:
//   - `sloctl accept`: 1 server error in 1,500 requests, errors 99.833%, availability "service
//     98.355%": a scrape interval of ~100 requests allows 1 weighted bad one, and one 500 weighs 2.5;
//     the FAIL named no part, interval or route;
//   - `sloctl gate`: a trial of 300 requests with two 500s (98.333% weighted) counted as missed,
//     availability 93.75%, FAIL, while the errors objective passed at 99.333%.
// An interval below an objective now misses it only when the bad requests of its evidence (a
// trial; for a scrape interval, the health window up to it, 30 s) are more than the objective gives
// by chance (src/engine/interval-miss.ts); below it by noise it counts as met, and the notes say
// where and by how much. The generated rules use the same bound (promtool below), so a Prometheus
// no longer burns availability budget, and pages, on the same noise.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import { prometheusRules } from '../src/emit/prometheus.ts';
import type { Contract } from '../src/contract/schema.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import type { SloStatus } from '../src/evaluate/report.ts';
import type { LoadResult, RouteResult } from '../src/load/types.ts';
import { Histogram } from '../src/measure/histogram.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { caveatReasons, judgeObjectives } from '../src/verdicts/objectives.ts';
import { requireBinary, run } from './helpers/prometheus.ts';
import { intervalMissStands } from '../src/engine/interval-miss.ts';
import { binomialTailAtLeast } from '../src/verdicts/stats.ts';

function contract(): Contract {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: shop, runtime: node }
scrapeInterval: 2s
routes:
  - { name: flaky, method: GET, path: /flaky }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_request_duration_seconds_count
  labels: { route: path, method: method, status: status_code }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 95% }
  errors: { objective: 99% }
  availability: { objective: 99% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

const BOUNDS = [0.003, 0.03, 0.1, 0.3, 1.5, 10, Infinity];

/** express-prom-bundle's histogram after cumulative counts per status (every request at 2 ms). */
function samples(byStatus: Record<string, number>): IngestSample[] {
  const out: IngestSample[] = [];
  for (const [status, n] of Object.entries(byStatus)) {
    const labels = { status_code: status, method: 'GET', path: '/flaky' };
    for (const b of BOUNDS) out.push({ name: 'http_request_duration_seconds_bucket', labels: { ...labels, le: b === Infinity ? '+Inf' : String(b) }, value: n, type: 'histogram' });
    out.push({ name: 'http_request_duration_seconds_count', labels, value: n, type: 'histogram' });
    out.push({ name: 'http_request_duration_seconds_sum', labels, value: n * 0.002, type: 'histogram' });
  }
  return out;
}

/**
 * `intervals` 2 s scrape intervals of 100 requests, `errorsIn[i]` of interval i answered 500; health
 * UP. 100 by default: the fewest samples of the composite that can judge 99% (one bad allowed); fewer
 * read UNKNOWN (src/evaluate/thin-evidence.ts thinSamples).
 */
function serviceView(errorsIn: Record<number, number>, intervals = 100, everyMs = 2000): SloStatus {
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(contract()));
  ev.attach(store);
  ev.setHealth(true);
  const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
  const counts: Record<string, number> = { 200: 0, 500: 0 };
  store.ingest({ at: T0, samples: samples(counts) });
  for (let i = 1; i <= intervals; i++) {
    const bad = errorsIn[i] ?? 0;
    counts[500] += bad;
    counts[200] += 100 - bad;
    store.ingest({ at: T0 + i * everyMs, samples: samples(counts) });
  }
  return ev.report(T0 + intervals * everyMs + 1).slos.find((s) => s.kind === 'availability')!;
}

describe('availability composite, per scrape interval (the service\'s view)', () => {
  it('one 500 in an interval of 100 (2.5 weighted bad of the 400 requests up to it, within what 99% gives) is not a missed interval: 100%, and the note says so', () => {
    const a = serviceView({ 4: 1 });
    // Before: the interval with the 500 composed 0.3 + 0.25 + 0 + 0.2 = 75%, the run 97.5%: FAILING.
    assert.equal(a.current, 1, a.explain.join('\n'));
    assert.equal(a.state, 'ok');
    assert.ok(a.notes.some((n) => n.includes('counted as met: success at 1 (the worst: 2.5 weighted bad of 100 requests, 97.5% against 99%; 2.5 weighted bad of 400 in the 30s up to it)')), a.notes.join('\n'));
  });

  it('ten 500s in an interval (more than 99% gives by chance) miss it, and the note names the part and the interval; five such intervals of 100 fail 99%', () => {
    const a = serviceView({ 4: 10, 20: 10, 40: 10, 60: 10, 80: 10 });
    // 5 samples at 75%: 1.25 bad of 100.
    assert.ok(Math.abs(a.current - 0.9875) < 1e-9, String(a.current));
    assert.equal(a.state, 'failing');
    assert.ok(a.notes.some((n) => n.startsWith("the composite's parts missed their objectives at scrape intervals: success at 5 (the worst: 25 weighted bad of 100 requests, 75% against 99%; 25 weighted bad of 400 in the 30s up to it)")), a.notes.join('\n'));
  });

  it('at start-up, 3 scrapes with ten 500s in the second interval: the miss is noted, and availability is UNKNOWN, not FAILING (2 samples cannot judge 99%)', () => {
    // Before: 2 samples, one at 75%: 87.5%, FAILING (exit 1) on the per-interval rule alone.
    const a = serviceView({ 2: 10 }, 2);
    assert.deepEqual([a.counts.total, a.counts.bad], [2, 0.25]);
    assert.equal(a.state, 'unknown', a.explain.join('\n'));
    assert.match(a.reason!, /^not measurable yet: objective 99% allows 0\.02 bad samples in the 2 independent ones the span held \(2 samples, 0\.25 bad\), which cannot say whether 99% is met either way; it needs at least 100 samples at least 2s apart \(3m20s of scraping/);
    assert.ok(a.notes.some((n) => n.startsWith("the composite's parts missed their objectives at scrape intervals: success at 1")), a.notes.join('\n'));
    assert.equal(a.gaugeWindowMs, undefined, 'composed from its parts: each sample judges its own interval');
  });

  it('200 composed samples 100 ms apart (20 s) are 11 observations (one per 2 s scrape interval the contract declares, less a 5% slack for timer drift): UNKNOWN at 99%, not OK', () => {
    // Before: 200 samples allowed 2 bad ones at 99%, and read OK from 20 s of scraping.
    const a = serviceView({}, 200, 100);
    assert.equal(a.counts.total, 200);
    assert.equal(a.state, 'unknown', a.explain.join('\n'));
    assert.deepEqual([a.thinSamples?.samples, a.thinSamples?.independent, a.thinSamples?.needed], [200, 11, 100]);
    assert.match(a.reason!, /samples closer than the 2s scrape interval the contract declares \(one composed sample per scrape in the rules\) count as one/);
  });
});

/** A route row: `n` requests at 5 ms, `errors` of them answered 500. */
function row(n: number, errors: number): RouteResult {
  const h = new Histogram();
  for (let i = 0; i < n; i++) h.record(5000);
  const statuses: Record<string, number> = { 200: n - errors };
  if (errors > 0) statuses[500] = errors;
  return { name: 'flaky', sent: n, completed: n, statuses, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
}

function load(rows: RouteResult[], durationMs: number): LoadResult {
  const all = new Histogram();
  for (const r of rows) all.merge(Histogram.fromJSON(r.histogram));
  const completed = rows.reduce((n, r) => n + r.completed, 0);
  return {
    source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs, sent: completed, completed,
    errors: 0, timeouts: 0, throughput: completed / (durationMs / 1000), latency: all.summary(), serviceTime: all.summary(),
    statuses: {}, routes: rows, notes: [],
  };
}

describe('availability composite, per gate trial (the client\'s view)', () => {
  const errorsPerTrial = [0, 1, 0, 1, 2];
  const trials = errorsPerTrial.map((e) => load([row(300, e)], 6000));
  const whole = load([row(1500, 4)], 30_000);

  it('two 500s in a trial of 300 (5 weighted bad, within the 6.3 that 99% gives) do not miss it: the errors objective and availability both pass', () => {
    const vs = judgeObjectives(contract(), { client: whole, trials, healthUpShare: 1, service: { slos: [] } });
    const errors = vs.find((v) => v.contract === 'errors')!;
    const availability = vs.find((v) => v.contract === 'availability')!;
    assert.equal(errors.verdict, 'pass');
    // Before: "success: weighted success met 99% in 4 of 5 trials (100%, 99.167%, 100%, 99.167%, 98.333%)", 93.75%, FAIL.
    assert.equal(availability.verdict, 'pass', availability.reason);
    assert.equal(availability.client, 1);
  });

  it('a trial whose 500s the objective cannot explain still misses, with its numbers', () => {
    const bad = [0, 2, 0, 0, 12].map((e) => load([row(300, e)], 6000));
    const v = judgeObjectives(contract(), { client: load([row(1500, 14)], 30_000), trials: bad, healthUpShare: 1, service: { slos: [] } }).find((x) => x.contract === 'availability')!;
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /weighted success met 99% in 4 of 5 trials \(100%, 98\.333% \(5 weighted bad of 300, 99% gives up to 6 bad in 300 by chance \(95%\): not a miss\), 100%, 100%, 90%\)/);
  });

  it('a FAIL only the service\'s composite shows names its part, how many intervals and the worst (it named none)', () => {
    const clean = [0, 0, 0, 0, 0].map((e) => load([row(300, e)], 6000));
    // 100 intervals of the contract's 2 s: enough observations for 99%; five of them missed.
    const service = { slos: [serviceView({ 4: 10, 20: 10, 40: 10, 60: 10, 80: 10 })] };
    const v = judgeObjectives(contract(), { client: load([row(1500, 0)], 30_000), trials: clean, healthUpShare: 1, service }).find((x) => x.contract === 'availability')!;
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /as the service measured it \(client 100%, service 98\.75%\)/);
    assert.match(v.reason, /the service's 98\.75%: the composite's parts missed their objectives at scrape intervals: success at 5 \(the worst: 25 weighted bad of 100 requests, 75% against 99%; 25 weighted bad of 400 in the 30s up to it\)/);
  });

  it('the service\'s composite over too few observations is INCONCLUSIVE, with its numbers: 10 intervals (one missed) do not fail a clean client, and do not pass a failing one', () => {
    const clean = [0, 0, 0, 0, 0].map((e) => load([row(300, e)], 6000));
    const service = { slos: [serviceView({ 4: 10 }, 10)] };
    // Before: FAIL, "below the objective 99% as the service measured it (client 100%, service 97.5%)" from 10 samples.
    const v = judgeObjectives(contract(), { client: load([row(1500, 0)], 30_000), trials: clean, healthUpShare: 1, service }).find((x) => x.contract === 'availability')!;
    assert.equal(v.verdict, 'pass', v.reason);
    assert.ok(Number.isNaN(v.service!), String(v.service));
    assert.match(v.reason, /judged on the client's view alone: the service side is INCONCLUSIVE: its composite read 97\.5% from 10 samples over 20s, and 99% allows 0\.1 bad ones in them, which cannot say whether it was met; it needs 100 observations at least 2s apart \(a measured phase of 3m20s\)/);
    // The outcome's caveat says it in the gate's words (status's reason names --samples).
    const caveat = caveatReasons([v], service).join('\n');
    assert.match(caveat, /availability availability: judged on the client's view alone; the service's view is missing \(its composite read 97\.5% from 10 samples over 20s, .*\(a measured phase of 3m20s\)\)/);
    assert.doesNotMatch(caveat, /--samples/);
    // The client's own failure stands.
    const failing = [0, 0, 0, 0, 30].map((e) => load([row(300, e)], 6000));
    const f = judgeObjectives(contract(), { client: load([row(1500, 30)], 30_000), trials: failing, healthUpShare: 1, service }).find((x) => x.contract === 'availability')!;
    assert.equal(f.verdict, 'fail', f.reason);
    assert.match(f.reason, /as the client measured it \(client [\d.]+%, service n\/a\).*the service side is INCONCLUSIVE/);
  });

  it('intervalMissStands: the 95% bound of what the objective gives, within one request of the exact binomial tail at 5%, never laxer', () => {
    // The smallest bad count whose binomial tail at the objective is under 5%, and the bound's.
    const exact = (n: number, objective: number) => {
      for (let k = 0; k <= n; k++) if (binomialTailAtLeast(n, k, 1 - objective) < 0.05) return k;
      return n + 1;
    };
    const bound = (n: number, objective: number) => {
      for (let k = 0; k <= n; k++) if (intervalMissStands(n, k, objective)) return k;
      return n + 1;
    };
    // Never laxer than the exact tail, and at most one request stricter (n=2000 at 99%: 28, exact 29).
    for (const o of [0.9, 0.95, 0.99, 0.995, 0.999]) {
      for (const n of [5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000]) {
        const d = exact(n, o) - bound(n, o);
        assert.ok(d === 0 || d === 1, `n=${n} objective=${o}: exact ${exact(n, o)}, bound ${bound(n, o)}`);
      }
    }
    assert.equal(bound(100, 0.99), 4);
    assert.equal(bound(300, 0.99), 7);
    assert.equal(intervalMissStands(100, 1, 0.99), false);
    assert.equal(intervalMissStands(300, 2, 0.99), false);
    assert.equal(intervalMissStands(100, 10, 0.99), true);
    assert.equal(intervalMissStands(300, 12, 0.99), true);
  });
});

describe('availability composite in the generated rules (promtool)', () => {
  /** express-prom-bundle's series, one sample per 2 s interval (the contract's scrapeInterval): promtool's values of the 200s and of the 500s, every request at 2 ms. */
  function series(ok: string, bad: string) {
    const out: Array<{ series: string; values: string }> = [];
    for (const [status, values] of [['200', ok], ['500', bad]] as const) {
      const labels = `path="/flaky", method="GET", status_code="${status}"`;
      for (const le of ['0.003', '0.03', '0.1', '0.3', '1.5', '10', '+Inf']) out.push({ series: `http_request_duration_seconds_bucket{${labels}, le="${le}"}`, values });
      out.push({ series: `http_request_duration_seconds_count{${labels}}`, values });
    }
    out.push({ series: 'up{job="shop"}', values: '1x200' });
    return out;
  }
  const SEL = '{sloctl_service="shop", sloctl_slo="availability"}';

  it('the interval with one 500 of 100 reads 100% (before: 75%, and the page burned); a 500 in every interval (2.5% weighted, sustained) or ten in one read 75%', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-avail-'));
    try {
      const rules = prometheusRules(contract());
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
      const test = (ok: string, bad: string, evalTime: string, value: number) => ({
        interval: '2s',
        input_series: series(ok, bad),
        promql_expr_test: [{ expr: `sloctl:availability:ratio${SEL}`, eval_time: evalTime, exp_samples: [{ labels: `sloctl:availability:ratio${SEL}`, value }] }],
      });
      const tests = [
        // 99 200s a scrape, one 500 in the interval ending at 2m (sample 60): 2.5 weighted bad of ~1,500 in 30 s.
        test('0+99x200', '0x59 1x140', '2m', 1),
        test('0+99x200', '0+1x200', '5m', 0.75),
        test('0+100x59 5990+90x140', '0x59 10x140', '2m', 0.75),
      ];
      writeFileSync(join(dir, 'test.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '2s', tests }, { lineWidth: 0 }));
      const r = await run(bin, ['test', 'rules', join(dir, 'test.yaml')], { cwd: dir });
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
