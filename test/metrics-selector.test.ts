// The label matchers that select a service in a shared Prometheus, written once in the contract
// (`metrics.selector`) instead of on every `generate` and `status` command line:
//   - checkLabelMatchers reads them with Prometheus' grammar and takes nothing but matchers (a
//     text that closes the braces, `job="a"} or y{b="c"`, was valid PromQL once braced, and turned
//     every generated rule into a union);
//   - validate places a bad one at its character in slo.yaml;
//   - generate prometheus|grafana and status --prometheus use it, --selector overrides it, and the
//     every-job warning is gone when it is set.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseContract } from '../src/contract/load.ts';
import { checkLabelMatchers } from '../src/contract/promql.ts';
import { runCli } from './helpers/cli.ts';

const TEXT = `apiVersion: sloctl/v1
service: { name: shop }
routes:
  - { name: orders, method: POST, path: /orders }
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95% }
  errors: { objective: 99% }
`;
const withSelector = (sel: string) => `${TEXT}metrics:\n  selector: '${sel}'\n`;

describe('checkLabelMatchers', () => {
  it('reads matchers as PromQL writes them', () => {
    assert.deepEqual(checkLabelMatchers(` job = 'a"b', instance=~"x|y" ,`), { ok: true, matchers: [{ name: 'job', op: '=', value: 'a"b' }, { name: 'instance', op: '=~', value: 'x|y' }] });
    assert.deepEqual(checkLabelMatchers('env!~`dev|test`'), { ok: true, matchers: [{ name: 'env', op: '!~', value: 'dev|test' }] });
  });

  const refused: Array<[string, string, number, RegExp]> = [
    ['more PromQL after the braces', 'job="a"} or y{b="c"', 7, /only matchers may be given.*"} or y\{b=\\"c\\"" at character 8/],
    ['a range after the braces', 'job="a"}[5m]', 12, /syntax error/],
    ['an unquoted value', 'job=checkout', 0, /is not name, operator and quoted value/],
    ['a bare label name', 'job', 0, /is not name, operator and quoted value/],
    ['matchers without a comma', 'job="a" env="b"', 8, /syntax error at character 9: unexpected "env=\\"b\\""/],
    ['an unclosed string', 'job="a', 4, /the string at character 5 is not closed/],
    ['nothing', '  ', 0, /no label matchers/],
    ['__name__', '__name__="x"', 0, /__name__ cannot be matched here/],
    ['a quoted label name (Prometheus 3 only)', '"a.b"="x"', 0, /needs Prometheus 3/],
  ];
  for (const [what, text, offset, message] of refused) {
    it(`refuses ${what}, at the character`, () => {
      const r = checkLabelMatchers(text);
      assert.equal(r.ok, false, JSON.stringify(r));
      if (r.ok) return;
      assert.match(r.problem.message, message);
      assert.equal(r.problem.offset, offset);
    });
  }

  it('gives back any list of matchers it is given, and refuses any with text after the closing brace', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/).filter((n) => n !== '__name__');
    const matcher = fc.record({ name, op: fc.constantFrom('=', '!=', '=~', '!~'), value: fc.string({ maxLength: 12 }) });
    fc.assert(fc.property(fc.array(matcher, { minLength: 1, maxLength: 4 }), fc.constantFrom(',', ', ', ' , '), (generated, sep) => {
      const ms = generated.map((m) => ({ ...m }));
      const text = ms.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(sep);
      assert.deepEqual(checkLabelMatchers(text), { ok: true, matchers: ms });
      assert.equal(checkLabelMatchers(`${text}} or up{x="1"`).ok, false);
      assert.equal(checkLabelMatchers(`${text}} + 1`).ok, false);
    }), { numRuns: 300 });
  });
});

describe('validate: metrics.selector', () => {
  it('is accepted when it is label matchers', () => {
    const l = parseContract(withSelector('job="shop", env!="dev"'), 'slo.yaml');
    assert.ok(l.contract, JSON.stringify(l.diagnostics));
    assert.equal(l.contract.metrics?.selector, 'job="shop", env!="dev"');
  });

  it('places a bad one at its character in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-selector-'));
    writeFileSync(join(dir, 'slo.yaml'), withSelector('job="shop"} or up{job="x"'));
    const r = await runCli(['validate', 'slo.yaml'], dir);
    assert.equal(r.code, 1);
    // Line 10 is `  selector: '…'`; the string starts at column 14, its `}` is the 11th character.
    assert.match(r.stderr + r.stdout, /slo\.yaml:10:24: error SLO_PROMQL: label matchers: only matchers may be given/);
    for (const cmd of [['generate', 'prometheus'], ['generate', 'grafana']]) {
      const g = await runCli([...cmd, 'slo.yaml'], dir);
      assert.equal(g.code, 2, `${cmd.join(' ')}: an invalid contract generates nothing`);
      assert.equal(g.stdout, '');
    }
  });
});

describe('generate and status read the contract selector; --selector overrides it', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const queries: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sloctl-selector-'));
    writeFileSync(join(dir, 'slo.yaml'), withSelector('job="shop"'));
    writeFileSync(join(dir, 'plain.yaml'), TEXT);
    // A Prometheus API with no series and no rules, which keeps the queries it is asked.
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const q = u.searchParams.get('query');
      if (q) queries.push(q);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const posted = new URLSearchParams(body).get('query');
        if (posted) queries.push(posted);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(u.pathname.startsWith('/api/v1/rules') ? '{"status":"success","data":{"groups":[]}}' : '{"status":"success","data":{"resultType":"vector","result":[]}}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** The raw selectors of a text (rules YAML, dashboard JSON): every `name{...}` whose name is one of the SDK's request metrics. */
  const rawSelectors = (text: string) => [...text.replaceAll('\\"', '"').matchAll(/http_server_request(?:_duration_seconds(?:_bucket|_count)?|s_total)\{[^}]*\}/g)].map((m) => m[0]);

  it('generate prometheus and grafana', async () => {
    for (const what of ['prometheus', 'grafana']) {
      const own = await runCli(['generate', what, 'slo.yaml'], dir);
      assert.equal(own.code, 0, own.stderr);
      assert.doesNotMatch(own.stderr, /warning/, `${what}: the contract names the job`);
      const sels = rawSelectors(own.stdout);
      assert.ok(sels.length > 0, `${what}: raw selectors written`);
      for (const s of sels) assert.match(s, /job="shop"/, `${what}: ${s}`);

      const flag = await runCli(['generate', what, 'slo.yaml', '--selector', 'job="canary"'], dir);
      assert.equal(flag.code, 0, flag.stderr);
      for (const s of rawSelectors(flag.stdout)) {
        assert.match(s, /job="canary"/, `${what}: ${s}`);
        assert.doesNotMatch(s, /job="shop"/, `${what}: the flag replaces the contract's, not adds to it: ${s}`);
      }

      const plain = await runCli(['generate', what, 'plain.yaml'], dir);
      assert.match(plain.stderr, /warning: without a selector/);
      for (const s of rawSelectors(plain.stdout)) assert.doesNotMatch(s, /job=/);

      const bad = await runCli(['generate', what, 'slo.yaml', '--selector', 'job="a"} or up{x="1"'], dir);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--selector must be PromQL label matchers .*only matchers may be given/);
    }
  });

  it('status --prometheus', async () => {
    queries.length = 0;
    const own = await runCli(['status', 'slo.yaml', '--prometheus', url], dir);
    assert.equal(own.stderr, '');
    assert.match(own.stdout, /raw series with job="shop"/);
    const raw = queries.flatMap(rawSelectors);
    assert.ok(raw.length > 0, queries.join('\n'));
    for (const s of raw) assert.match(s, /job="shop"/);

    queries.length = 0;
    const flag = await runCli(['status', 'slo.yaml', '--prometheus', url, '--selector', 'job="canary"'], dir);
    assert.match(flag.stdout, /raw series with job="canary"/);
    for (const s of queries.flatMap(rawSelectors)) assert.doesNotMatch(s, /job="shop"/);

    const bad = await runCli(['status', 'slo.yaml', '--prometheus', url, '--selector', 'job=shop'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--selector must be PromQL label matchers/);
  });
});
