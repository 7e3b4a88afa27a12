// `sloctl status` on too few requests for the objective (a user trial: `errors 0 / 503 OK` at
// 99.9%, which allows half a bad request): UNKNOWN with the requests it needs, not OK; FAILING
// only when the bad ones are too many for the objective to explain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { thinEvidence, thinSamples } from '../src/evaluate/thin-evidence.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { contractFrom } from './helpers/contract.ts';

describe('thinEvidence', () => {
  it('under one allowed bad request: none bad, or one, cannot say; many bad can; enough requests always can', () => {
    assert.equal(
      thinEvidence(503, 0, 0.999, 'requests'),
      'not measurable yet: objective 99.9% allows 0.5 bad requests in the 503 the window counted, and it saw none bad, which cannot say whether 99.9% is met; it needs at least 1,000 requests',
    );
    assert.match(thinEvidence(100, 1, 0.999, 'requests')!, /it saw 1 bad \(probability 0\.095 even if it were met\)/);
    assert.equal(thinEvidence(100, 5, 0.999, 'requests'), undefined, '5 bad of 100 at 99.9%: the failure stands');
    assert.equal(thinEvidence(1000, 0, 0.999, 'requests'), undefined, 'one allowed bad request: judged');
    assert.equal(thinEvidence(0, 0, 0.999, 'requests'), undefined, 'no requests: the caller says "no data"');
    assert.equal(thinEvidence(10, 0, 1, 'requests'), undefined, '100%: nothing is allowed, any number judges it');
  });
});

/** An embedded evaluator of a one-route contract scraped every 2 s, health UP, fed through `store`. */
function evaluator(objectives: string, head = '') {
  const contract = contractFrom(`apiVersion: sloctl/v1
service: { name: quiet, runtime: node }
scrapeInterval: 2s
${head}routes:
  - { name: work, method: GET, path: /work }
objectives:
  ${objectives}
`);
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(contract));
  ev.attach(store);
  ev.setHealth(true);
  return { store, ev, T0: Date.UTC(2026, 11, 7, 6, 0, 0) };
}

function status(objective: string, okPerScrape: number, badPerScrape: number) {
  const { store, ev, T0 } = evaluator(`errors: { objective: ${objective} }`);
  const sample = (ok: number, bad: number): IngestSample[] => [
    { name: 'http_server_requests_total', labels: { route: '/work', method: 'GET', status_class: '2xx', error_class: '' }, value: ok, type: 'counter' },
    { name: 'http_server_requests_total', labels: { route: '/work', method: 'GET', status_class: '5xx', error_class: 'server' }, value: bad, type: 'counter' },
  ];
  for (let i = 0; i <= 5; i++) store.ingest({ at: T0 + i * 2000, samples: sample(i * okPerScrape, i * badPerScrape) });
  return ev.report(T0 + 10_001).slos.find((s) => s.kind === 'errors')!;
}

describe('sloctl status on a quiet service', () => {
  it('500 clean requests at 99.9%: UNKNOWN, saying how many it needs; 5,000: OK', () => {
    const thin = status('99.9%', 100, 0);
    assert.equal(thin.counts.total, 500, thin.explain.join('\n'));
    assert.equal(thin.state, 'unknown', thin.explain.join('\n'));
    assert.match(thin.reason!, /^not measurable yet: objective 99\.9% allows 0\.5 bad requests in the 500 the window counted, and it saw none bad.*needs at least 1,000 requests$/);
    assert.ok(thin.explain.some((l) => l.includes('state: UNKNOWN (not measurable yet')), thin.explain.join('\n'));
    assert.equal(status('99.9%', 1000, 0).state, 'ok');
  });

  it('a server error in every scrape of 100 at 99.9%: FAILING stands (5 of 505 is too many for the objective)', () => {
    const s = status('99.9%', 100, 1);
    assert.equal(s.state, 'failing', s.explain.join('\n'));
  });
});

// The availability composite's samples (one per scrape) under the same rule. Before, they were
// exempt ("each interval is judged against what its part's objective gives by chance already"),
// and a user trial read `availability 100% 0 / 3 OK` at 99.9% beside an ALERT column saying
// "unknown", and on the checkout example right after start, FAILING (exit 1) from 3 scrapes of a
// gauge that had judged one 500 among 40 requests in its 10 s health window.
describe('thinSamples', () => {
  const sparse = (n: number) => ({ samples: n, independent: n, spanMs: n * 30_000, spacingMs: 30_000, spacingWhat: 'health window the gauge judges' });
  it('under one allowed bad observation nothing judges, whatever the samples read; from 1/(1 - objective) observations on, judged', () => {
    assert.equal(
      thinSamples(sparse(3), 0, 0.999)?.reason,
      'not measurable yet: objective 99.9% allows 0.003 bad samples in the 3 independent ones the span held (3 samples, none bad), which cannot say whether 99.9% is met either way; it needs at least 1,000 samples at least 30s apart (8h20m of scraping: --samples and --interval), or the whole window through --prometheus',
    );
    // 0.5 bad of 3: the request rule's binomial tail (0.003) would call it "too many to explain".
    assert.match(thinSamples(sparse(3), 0.5, 0.999)!.reason, /\(3 samples, 0\.5 bad\), which cannot say whether 99\.9% is met either way; it needs at least 1,000 samples/);
    assert.ok(thinSamples(sparse(99), 99, 0.99) !== undefined, 'every sample bad, still under one allowed: unknown');
    assert.equal(thinSamples(sparse(100), 0, 0.99), undefined, '100 observations at 99%: one allowed, judged');
    assert.equal(thinSamples(sparse(1000), 0, 0.999), undefined);
    assert.equal(thinSamples(sparse(0), 0, 0.999), undefined, 'no samples: the caller says "no data"');
  });

  it('samples closer than their spacing count as one observation: 1,000 samples over 10 s of a 30 s gauge are 1, not 1,000', () => {
    // Before: 1,000 samples at 99.9% allowed one bad sample, and were judged OK or FAILING.
    const t = thinSamples({ samples: 1000, independent: 1, spanMs: 9990, spacingMs: 30_000, spacingWhat: 'health window the gauge judges' }, 0, 0.999)!;
    assert.deepEqual([t.samples, t.independent, t.needed], [1000, 1, 1000]);
    assert.equal(t.reason, 'not measurable yet: objective 99.9% allows 0.001 bad samples in the 1 independent one the span held (1,000 samples, none bad, over 9.99s, 1 independent observation: samples closer than the 30s health window the gauge judges count as one, since they judge the same span), which cannot say whether 99.9% is met either way; it needs at least 1,000 samples at least 30s apart (8h20m of scraping: --samples and --interval), or the whole window through --prometheus');
  });
});

/** Availability read from the SDK's gauge (its health window 10 s), one value per scrape, `everyMs` apart (default: the window); health UP. */
function availability(objective: string, gauge: readonly number[], everyMs = 10_000) {
  const { store, ev, T0 } = evaluator(`availability: { objective: ${objective} }`, 'health: { window: 10s }\n');
  gauge.forEach((v, i) => store.ingest({ at: T0 + i * everyMs, samples: [{ name: 'sloctl_availability', labels: {}, value: v, type: 'gauge' }] }));
  const s = ev.report(T0 + gauge.length * everyMs).slos.find((x) => x.kind === 'availability')!;
  return s;
}

describe('sloctl status: availability on too few samples', () => {
  it('3 scrapes at start-up, the gauge at 1, 0.75, 0.75 (one burst in its 10 s window): UNKNOWN, not FAILING', () => {
    const s = availability('99.9%', [1, 0.75, 0.75]);
    assert.deepEqual([s.counts.total, s.counts.bad], [3, 0.5]);
    assert.equal(s.state, 'unknown', s.explain.join('\n'));
    assert.match(s.reason!, /^not measurable yet: objective 99\.9% allows 0\.003 bad samples in the 3 independent ones the span held/);
    assert.ok(s.explain.some((l) => l.includes('state: UNKNOWN (not measurable yet') && l.includes('read 83.3333% against 99.9%')), s.explain.join('\n'));
    // The table says what the samples judged: the service's last 10 s at each scrape.
    assert.equal(s.gaugeWindowMs, 10_000);
  });

  it('3 clean scrapes: UNKNOWN, not OK (3 samples cannot tell 99.9% from 99%)', () => {
    const s = availability('99.9%', [1, 1, 1]);
    assert.equal(s.state, 'unknown', s.explain.join('\n'));
    assert.match(s.reason!, /, none bad\), which cannot say whether 99\.9% is met either way; it needs at least 1,000 samples at least 10s apart \(2h47m of scraping/);
  });

  it('the boundary, samples one health window apart: 99 at 99% stay UNKNOWN; 100 (one bad allowed) are judged as before, OK or FAILING', () => {
    assert.equal(availability('99%', Array(99).fill(1)).state, 'unknown');
    assert.equal(availability('99%', Array(100).fill(1)).state, 'ok');
    // A real violation: 8 samples at 0.75, 2 bad of 100, 98% < 99%.
    const failing = availability('99%', [...Array(92).fill(1), ...Array(8).fill(0.75)]);
    assert.equal(failing.state, 'failing', failing.explain.join('\n'));
    assert.equal(failing.current, 0.98);
    assert.equal(failing.thinSamples, undefined);
  });

  it('a burst of fast scrapes is the span it covers: 1,000 clean samples 10 ms apart at 99.9% are UNKNOWN (2 observations: the first sample judges the 10 s before it, the last the 10 s up to it), not OK', () => {
    // Before: 1,000 samples allowed one bad one at 99.9%, and read OK from 10 s of one gauge.
    const s = availability('99.9%', Array(1000).fill(1), 10);
    assert.equal(s.counts.total, 1000);
    assert.equal(s.state, 'unknown', s.explain.join('\n'));
    assert.match(s.reason!, /allows 0\.002 bad samples in the 2 independent ones the span held \(1,000 samples, none bad, over 9\.99s, 2 independent observations: samples closer than the 10s health window the gauge judges count as one/);
    assert.deepEqual([s.thinSamples?.samples, s.thinSamples?.independent, s.thinSamples?.needed], [1000, 2, 1000]);
  });

  it('a burst with a bad stretch: 1,000 samples 10 ms apart, 60 at 0.75, at 99%: UNKNOWN, not FAILING', () => {
    const s = availability('99%', [...Array(940).fill(1), ...Array(60).fill(0.75)], 10);
    assert.ok(s.current < 0.99, String(s.current));
    assert.equal(s.state, 'unknown', s.explain.join('\n'));
    assert.match(s.reason!, /it needs at least 100 samples at least 10s apart/);
  });

  it('100 samples 2 s apart of a 10 s gauge are 20 observations: UNKNOWN at 99%; 500 of them (100 observations) are judged, and a real violation FAILS', () => {
    const s = availability('99%', Array(100).fill(1), 2000);
    assert.equal(s.state, 'unknown', s.explain.join('\n'));
    assert.equal(s.thinSamples?.independent, 20);
    assert.equal(availability('99%', Array(500).fill(1), 2000).state, 'ok');
    // 40 samples at 0.75 (the gauge low for 80 s): 10 bad of 500, 98%.
    const failing = availability('99%', [...Array(460).fill(1), ...Array(40).fill(0.75)], 2000);
    assert.equal(failing.state, 'failing', failing.explain.join('\n'));
  });
});
