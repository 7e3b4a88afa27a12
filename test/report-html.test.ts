// The HTML report (src/report/html.ts): one self-contained file, checked in a real browser. The
// fixtures are what real runs printed (test/fixtures/report-html/: gate.json from `sloctl gate
// examples/checkout/slo.yaml --json --duration 3s --trials 3 --rate 50` against a baseline of the
// same, drill.json from make-drill.ts beside it). Headless Chromium (Debian's `chromium`, driven by
// playwright-core) opens each page from disk: no console error, no request but the file itself,
// the charts drew (SVG paths with points, laid out with a size), the verdict is there; a screenshot
// is attached to the test output (and copied to /tmp/sloctl-report.png).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { esc, htmlFromDrill, htmlFromGate, renderHtml } from '../src/report/html.ts';
import type { GateReport } from '../src/verdicts/types.ts';
import type { DrillRunReport } from '../src/drill/run.ts';
import type { DrillTimeline } from '../src/report/html-model.ts';
import { runCli } from './helpers/cli.ts';
import { htmlFromAccept } from '../src/report/accept.ts';
import type { AcceptReport } from '../src/accept/run.ts';
import { judgeAccept } from '../src/verdicts/accept.ts';
import { parseContract } from '../src/contract/load.ts';
import { requireBinary } from './helpers/prometheus.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'report-html');
/** JSON as the reports print it: NaN was written as null, ±Infinity as strings. */
const revive = (_k: string, v: unknown) => (v === null ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const gate = (): GateReport => JSON.parse(readFileSync(join(FIXTURES, 'gate.json'), 'utf8'), revive);
const drill = (): { report: DrillRunReport } & DrillTimeline => JSON.parse(readFileSync(join(FIXTURES, 'drill.json'), 'utf8'), revive);

/** An accept report around the gate and drill fixtures, folded by the real judge over the example's contract. */
function accept(): { report: AcceptReport } & DrillTimeline {
  const g = gate();
  const d = drill();
  const contract = parseContract(readFileSync(join(import.meta.dirname, '..', 'examples', 'checkout', 'slo.yaml'), 'utf8'), 'slo.yaml').contract!;
  const phases = { staticDependencies: { name: 'static', outcome: 'pass' as const, reason: '10 files, all timed' }, dependencyTimeouts: [{ name: 'payments blackholed', outcome: 'pass' as const, reason: 'max 170 ms of 400 ms' }], observability: { name: 'observability', outcome: 'pass' as const, reason: 'series 178 -> 402' }, drift: { name: 'drift', outcome: 'fail' as const, reason: 'eventLoopDelay over 150 ms for 12 s, no shed action by the deadline 15 s' } };
  const v = judgeAccept({ contract, gate: g, drills: { outcome: d.report.outcome as 'pass', drills: d.report.drills, reasons: d.report.reasons, resilienceScore: d.report.resilienceScore }, ...phases, notReached: {} });
  const report: AcceptReport = {
    service: g.service, contractFile: g.contractFile, outcome: v.outcome, exitCode: v.exitCode, reasons: v.reasons, startedAt: g.startedAt, finishedAt: g.finishedAt + 60_000,
    target: { ...g.target, reached: true }, contracts: v.rows, phases: [{ phase: 'gate', startedAt: g.startedAt, finishedAt: g.finishedAt, result: g.outcome }], gate: g, drills: d.report, ...phases, journal: g.journal,
  };
  return { ...d, report };
}

const HOSTILE = `<img src=x onerror="fetch('http://127.0.0.1:9/x')"><script>console.error('injected')</script>"'&`;

describe('the HTML report (pure)', () => {
  it('escapes every string from the service: route names, reasons, paths', () => {
    const r = gate();
    r.routes![0].route = `GET /p/${HOSTILE}`;
    r.verdicts[0].reason = `slow: ${HOSTILE}`;
    r.reasons.push(`reason ${HOSTILE}`);
    r.service = `svc${HOSTILE}`;
    r.journal = `/tmp/${HOSTILE}`;
    const html = renderHtml(htmlFromGate(r));
    assert.doesNotMatch(html, /<img|<script|onerror="/i, 'no markup from the data reaches the page');
    assert.ok(html.includes(esc(`GET /p/${HOSTILE}`)), 'the route is shown, escaped');
    assert.ok(html.includes('&lt;script&gt;console.error(&#39;injected&#39;)&lt;/script&gt;'));
    const d = drill();
    d.report.drills[0].name = `d${HOSTILE}`;
    d.report.drills[0].reasons = [`why ${HOSTILE}`];
    assert.doesNotMatch(renderHtml(htmlFromDrill(d.report, d)), /<img|<script|onerror="/i);
  });

  it('fetches nothing: no src, href, url() or @import; a CSP that forbids it anyway', () => {
    for (const html of [renderHtml(htmlFromGate(gate())), renderHtml(htmlFromDrill(drill().report, drill()))]) {
      assert.doesNotMatch(html, /\s(src|href)=|url\(|@import|<script/i);
      assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    }
  });

  it('the gate page: banner, a card per objective, the latency steps, the budget, routes and baseline', () => {
    const r = gate();
    const m = htmlFromGate(r);
    assert.equal(m.verdict.outcome, 'pass');
    const cards = m.sections.find((s) => s.kind === 'cards');
    assert.equal(cards?.kind === 'cards' && cards.cards.length, r.verdicts.length);
    const t = m.sections.find((s) => s.kind === 'timeline');
    assert.ok(t?.kind === 'timeline');
    assert.equal(t.bands.length, r.trials.length, 'one shaded band per trial');
    assert.deepEqual(t.series.map((s) => s.points.length), [6, 6, 6], 'two points (a step) per trial');
    assert.equal(t.series[1].points[0].y, r.trials[0].latency.p95);
    const b = m.sections.find((s) => s.kind === 'budget');
    assert.ok(b?.kind === 'budget');
    assert.equal(b.points.length, r.trials.length + 1);
    assert.equal(b.points.at(-1)!.spent, 0, 'the fixture run had no error: nothing spent');
    assert.ok(m.sections.some((s) => s.kind === 'table' && s.title.startsWith('Baseline comparison')));
  });

  it('the budget burns: errors in one trial spend their share of the whole run\'s budget', () => {
    const r = gate();
    const errors = r.verdicts.find((v) => v.contract === 'errors')!;
    r.trials[1].errorRatio = 0.01; // 2x the 0.5% allowed, for one trial of three equal ones
    const b = htmlFromGate(r).sections.find((s) => s.kind === 'budget');
    assert.ok(b?.kind === 'budget');
    const total = r.trials.reduce((a, t) => a + t.requests, 0);
    const expected = (0.01 * r.trials[1].requests) / ((1 - errors.objective) * total);
    assert.ok(Math.abs(b.points.at(-1)!.spent - expected) < 1e-9, `${b.points.at(-1)!.spent} vs ${expected}`);
    assert.equal(b.points[1].spent, 0);
    assert.ok(b.points[2].spent > 0.5);
  });

  it('a run that measured nothing (the target failed) is a banner and its reason, no empty chart', () => {
    const r = gate();
    Object.assign(r, { outcome: 'target-failed', exitCode: 3, reasons: ['the target exited with code 1 during start-up: see target.log'], notes: [], verdicts: [], trials: [], routes: undefined, baseline: undefined, load: undefined, generator: undefined });
    const m = htmlFromGate(r);
    assert.deepEqual(m.verdict, { outcome: 'target-failed', label: 'TARGET FAILED (exit 3)', reasons: ['the target exited with code 1 during start-up: see target.log'] });
    assert.deepEqual(m.sections.map((s) => s.kind), ['text']);
    assert.match(renderHtml(m), /class="banner o-target-failed"/);
  });

  it('the drill page: the fault window shaded on the timeline, detection and recovery against their limits', () => {
    const d = drill();
    const m = htmlFromDrill(d.report, d);
    const t = m.sections.find((s) => s.kind === 'timeline');
    assert.ok(t?.kind === 'timeline');
    const fault = t.bands.find((b) => b.kind === 'fault')!;
    assert.equal(fault.fromMs, d.evidence![0].faultAtMs);
    assert.equal(fault.toMs, d.evidence![0].removedAtMs);
    assert.ok(t.series[1].points.length > 20, 'a p95 point per slice with requests');
    const bars = m.sections.find((s) => s.kind === 'bars');
    assert.ok(bars?.kind === 'bars');
    assert.deepEqual(bars.rows.map((x) => [x.limitMs, x.met]), [[5000, true], [15000, true]]);
    // The report alone (as `sloctl drill --json` prints it) still renders, without the timeline.
    assert.ok(!htmlFromDrill(d.report).sections.some((s) => s.kind === 'timeline'));
  });
});

describe('sloctl gate --html', () => {
  it('writes the page (here for a run judged --from a vegeta report); a directory that is not there is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-html-cli-'));
    try {
      const contract = join(import.meta.dirname, '..', 'examples', 'checkout', 'slo.yaml');
      const from = join(import.meta.dirname, 'fixtures', 'load', 'vegeta-report.json');
      const ok = await runCli(['gate', contract, '--from', from, '--json', '--html', 'report.html'], dir);
      const report = JSON.parse(ok.stdout) as GateReport;
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      assert.match(html, /^<!DOCTYPE html>/);
      assert.ok(html.includes(`<div class="banner o-${report.outcome}" id="verdict"><b>${esc(`${report.outcome === 'pass' ? 'PASS' : report.outcome.toUpperCase()} (exit ${report.exitCode})`)}</b>`), html.slice(0, 2000));
      const bad = await runCli(['gate', contract, '--from', from, '--json', '--html', 'nowhere/report.html'], dir);
      assert.equal(bad.code, 2);
      // Refused before anything is judged or written (test/report-paths.test.ts).
      assert.match(bad.stderr, /--html nowhere\/report\.html: the directory nowhere does not exist; create it first/);
      assert.equal(bad.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the HTML report in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sloctl-html-'));
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(t: TestContext, name: string, html: string) {
    const bin = requireBinary(t, 'chromium', 'apt-get install chromium');
    if (!bin) return undefined;
    browser ??= await chromium.launch({ executablePath: bin, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
    const shot = join(dir, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    return { page, errors, requests, url, shot };
  }

  /** The series paths: how many points each has, and their laid-out size (0 when nothing drew). */
  const paths = (page: import('playwright-core').Page, chart: string) =>
    page.$$eval(`svg.${chart} path.series`, (els) => els.map((e) => ({ points: (e.getAttribute('d') ?? '').split(/[ML]/).filter((s) => s.trim()).length, w: (e as SVGGraphicsElement).getBBox().width })));

  it('the harness sees what it checks for: a page that logs an error and loads an image is caught', { timeout: 30_000 }, async (t) => {
    const o = await open(t, 'control', `<!DOCTYPE html><html><body><script>console.error('boom')</script><img src="missing.png"></body></html>`);
    if (!o) return;
    assert.ok(o.errors.some((e) => e.includes('boom')), o.errors.join('\n'));
    assert.ok(o.requests.some((u) => u.endsWith('/missing.png')), o.requests.join('\n'));
    await o.page.close();
  });

  it('the gate report: no console error, no request but the file, the charts drew, the verdict shows', { timeout: 30_000 }, async (t) => {
    const r = gate();
    r.verdicts[0].reason = `slow: ${HOSTILE}`; // would log an error and fetch if it were not escaped
    const o = await open(t, 'gate', renderHtml(htmlFromGate(r)));
    if (!o) return;
    assert.deepEqual(o.errors, []);
    assert.deepEqual(o.requests, [o.url]);
    assert.match(await o.page.textContent('#verdict') ?? '', /^PASS \(exit 0\)/);
    const lines = await paths(o.page, 'timeline');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.ok(l.points >= 6 && l.w > 100, JSON.stringify(lines));
    const budget = await paths(o.page, 'budget');
    assert.ok(budget.length === 1 && budget[0].points === 4 && budget[0].w > 100, JSON.stringify(budget));
    assert.equal(await o.page.locator('.card').count(), r.verdicts.length);
    assert.ok((await o.page.textContent('body'))!.includes('<script>console.error'), 'the hostile text shows as text');
    copyFileSync(o.shot, '/tmp/sloctl-report.png');
    await o.page.close();
  });

  it('the accept report: a card per contract first, then the gate\'s and the drills\' charts; no console error, no request', { timeout: 30_000 }, async (t) => {
    const a = accept();
    a.report.contracts[0].reason = `slow: ${HOSTILE}`;
    const o = await open(t, 'accept', renderHtml(htmlFromAccept(a.report, a)));
    if (!o) return;
    assert.deepEqual(o.errors, []);
    assert.deepEqual(o.requests, [o.url]);
    assert.match(await o.page.textContent('#verdict') ?? '', /^FAIL \(exit 1\)/);
    const cards = await o.page.locator('.card').count();
    assert.equal(cards, 11 + a.report.gate!.verdicts.length + a.report.drills!.drills.length, 'eleven contract cards, then the gate\'s and the drills\'');
    const body = (await o.page.textContent('body'))!;
    assert.ok(body.indexOf('The eleven contracts') < body.indexOf('Gate: '), 'the contracts come first');
    assert.match(body, /no shed action by the deadline 15 s/);
    const fault = await o.page.$$eval('svg.timeline rect.band-fault', (els) => els.length);
    assert.ok(fault >= 1, 'the drills\' fault windows are shaded');
    await o.page.close();
  });

  it('the drill report: no console error, no request, the fault window and the bars drew', { timeout: 30_000 }, async (t) => {
    const d = drill();
    const o = await open(t, 'drill', renderHtml(htmlFromDrill(d.report, d)));
    if (!o) return;
    assert.deepEqual(o.errors, []);
    assert.deepEqual(o.requests, [o.url]);
    assert.match(await o.page.textContent('#verdict') ?? '', /^PASS \(exit 0\)/);
    const lines = await paths(o.page, 'timeline');
    for (const l of lines) assert.ok(l.points > 20 && l.w > 100, JSON.stringify(lines));
    const fault = await o.page.$$eval('svg.timeline rect.band-fault', (els) => els.map((e) => (e as SVGGraphicsElement).getBBox().width));
    assert.ok(fault.length === 1 && fault[0] > 50, `fault band width ${fault}`);
    const bars = await o.page.$$eval('svg.bars rect.bar', (els) => els.map((e) => (e as SVGGraphicsElement).getBBox().width));
    assert.equal(bars.length, 2);
    for (const w of bars) assert.ok(w >= 2);
    copyFileSync(o.shot, '/tmp/sloctl-report-drill.png');
    await o.page.close();
  });
});
