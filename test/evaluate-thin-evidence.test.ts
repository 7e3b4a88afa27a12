// `sloctl status` on too few requests for the objective (a user trial: `errors 0 / 503 OK` at
// 99.9%, which allows half a bad request): UNKNOWN with the requests it needs, not OK; FAILING
// only when the bad ones are too many for the objective to explain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { thinEvidence } from '../src/evaluate/thin-evidence.ts';
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

function status(objective: string, okPerScrape: number, badPerScrape: number) {
  const contract = contractFrom(`apiVersion: sloctl/v1
service: { name: quiet, runtime: node }
scrapeInterval: 2s
routes:
  - { name: work, method: GET, path: /work }
objectives:
  errors: { objective: ${objective} }
`);
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(contract));
  ev.attach(store);
  ev.setHealth(true);
  const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
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
