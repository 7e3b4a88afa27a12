// validate checks each load.mix entry against the route it names (src/contract/mix-paths.ts): a
// path that cannot be a request to the route's template, and a placeholder with no param, used to
// pass validation and fail only when the gate ran (every request a 404, or the load generator's
// unlocated "params has no ..."). Now both are errors at the entry, and the gate and `sloctl load`
// refuse the contract with them before sending anything.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { mixRequestPath } from '../src/contract/mix-paths.ts';
import { compileMix } from '../src/load/mix.ts';
import { gateProfile } from '../src/run/profile.ts';
import { runCli } from './helpers/cli.ts';

const ROUTES = [
  '  - { name: get-product, method: GET, path: /api/v1/products/:productID }',
  '  - { name: list-products, method: GET, path: /api/v1/products }',
  '  - { name: get-file, method: GET, path: "/files/*" }',
  '  - { name: get-user, method: GET, path: "/users/{id:[0-9]+}" }',
  '  - { name: get-doc, method: GET, path: "/docs/:page?" }',
  '  - { name: get-post, method: GET, path: /posts/:id }',
].join('\n');

function contract(mix: string): string {
  return `apiVersion: sloctl/v1\nservice: { name: shop, owner: me }\ntarget: { url: "http://127.0.0.1:9" }\nroutes:\n${ROUTES}\nload:\n  rate: 100/s\n  duration: 10s\n  mix:\n${mix}\nobjectives:\n  errors: { objective: 99% }\n`;
}

function findings(mix: string) {
  return parseContract(contract(mix), 'slo.yaml').diagnostics.filter((d) => d.code === 'SLO_MIX_PATH');
}

/** line:col of `needle` in the text (1-based), for the located assertions. */
function at(text: string, needle: string): string {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, needle);
  return `${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

describe('validate: a load.mix path against the route it names', () => {
  it('a typo in the path (/product/ for /products/) is an error at the path, naming the segment and the path to write', () => {
    const mix = '    - { route: get-product, weight: 1, path: "/api/v1/product/{productID}", params: { productID: "int(1,100)" } }';
    const [d, ...rest] = findings(mix);
    assert.deepEqual(rest, []);
    assert.equal(d.severity, 'error');
    assert.equal(`${d.line}:${d.col}`, at(contract(mix), '"/api/v1/product/{productID}"'));
    assert.match(d.message, /^load\.mix\[0\] \(route "get-product"\) sends \/api\/v1\/product\/\{productID\}, which is not a request to GET \/api\/v1\/products\/:productID: its segment 3 is `product` where the route has `products`/);
    assert.equal(d.hint?.startsWith('write `path: /api/v1/products/{productID}`'), true, d.hint);
    assert.equal(d.related?.[0].message, 'route "get-product" is GET /api/v1/products/:productID');
  });

  it('a path with another number of segments is an error too, with the route\'s template in the hint', () => {
    const [d] = findings('    - { route: get-product, weight: 1, path: "/api/v1/products/{x}/reviews", params: { x: "int(1,9)" } }');
    assert.match(d.message, /it has 5 path segments, the route 4/);
    assert.match(d.hint!, /`path: \/api\/v1\/products\/\{productID\}`/);
  });

  it('accepts what can be a request to the route: concrete values, :name or {name} placeholders, a query, a literal param, wildcards, regular expressions, optional parameters', () => {
    const ok = [
      '    - { route: get-product, weight: 1, path: /api/v1/products/42 }',
      '    - { route: get-product, weight: 1, path: /api/v1/products/:productID, params: { productID: uuid } }',
      '    - { route: get-product, weight: 1, path: "/api/v1/products/{n}?expand=1", params: { n: "choice(a,b)" } }',
      '    - { route: list-products, weight: 1, path: "/api/v1/products?page=2" }',
      '    - { route: list-products, weight: 1, path: "/api/v1/{what}", params: { what: products } }',
      '    - { route: list-products, weight: 1, path: /api/v1/products/ }',
      '    - { route: get-file, weight: 1, path: /files/a/b/c.txt }',
      '    - { route: get-user, weight: 1, path: /users/7 }',
      '    - { route: get-doc, weight: 1, path: /docs }',
      '    - { route: get-doc, weight: 1, path: /docs/intro }',
      '    - { route: get-post, weight: 1, params: { id: "int(1,9)" } }',
    ].join('\n');
    assert.deepEqual(findings(ok).map((d) => `${d.line}:${d.col} ${d.message}`), []);
  });

  it('a literal param that cannot be the route\'s segment is a mismatch: {what} = "product" against /products', () => {
    const [d] = findings('    - { route: list-products, weight: 1, path: "/api/v1/{what}", params: { what: product } }');
    assert.match(d.message, /its segment 3 is `\{what\}` where the route has `products`/);
  });

  it('a path that differs in letter case only is a warning (Express matches regardless of case by default)', () => {
    const [d] = findings('    - { route: get-product, weight: 1, path: /API/v1/products/42 }');
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /differs from GET \/api\/v1\/products\/:productID in letter case only/);
    assert.match(d.hint!, /`path: \/api\/v1\/products\/42`/);
  });
});

describe('validate: a load.mix placeholder needs a param', () => {
  it('{productID} with params: { id } is an error at the placeholder, naming both, with the params to write', () => {
    const mix = '    - route: get-product\n      weight: 1\n      path: /api/v1/products/{productID}\n      params: { id: "int(1,100)" }';
    const [d, ...rest] = findings(mix);
    assert.deepEqual(rest, []);
    assert.equal(`${d.line}:${d.col}`, at(contract(mix), '{productID}'));
    assert.match(d.message, /^load\.mix\[0\] \(route "get-product"\) sends \/api\/v1\/products\/\{productID\}, which uses \{productID\}, but its params have "id"/);
    assert.equal(d.hint, 'rename "id" to "productID": `params: { productID: "int(1,100)" }`; or write a concrete value in the path');
  });

  it('no params at all: the hint gives the params line, with a generator', () => {
    const [d] = findings('    - { route: get-product, weight: 1, path: "/api/v1/products/{productID}" }');
    assert.match(d.message, /but the entry has no `params:`/);
    assert.match(d.hint!, /^give it a value: `params: \{ productID: "int\(1,1000\)" \}` \(a value is int\(LOW,HIGH\), uuid, choice\(a,b,c\) or a literal\); or write a concrete value in the path$/);
  });

  it('an entry without a path sends the route\'s: its :id needs a param too (the gate fills it from params)', () => {
    const mix = '    - { route: get-post, weight: 1 }';
    const [d] = findings(mix);
    assert.equal(`${d.line}:${d.col}`, at(contract(mix), 'get-post, weight'));
    assert.match(d.message, /load\.mix\[0\] \(route "get-post"\) has no `path:`, so it sends the route's path \/posts\/:id, whose \{id\} the gate fills from params, but the entry has no `params:`/);
    assert.match(d.hint!, /^add `params: \{ id: "int\(1,1000\)" \}` to the entry .*; or a `path:` with concrete values, e.g. `path: \/posts\/1`$/);
  });

  it('a bad generator, a bad header and a zero weight are errors at their keys, in the load generator\'s words', () => {
    const mix = [
      '    - { route: get-product, weight: 1, path: "/api/v1/products/{x}", params: { x: "int(5,1)" } }',
      '    - { route: list-products, weight: 1, headers: { "bad name": "x" } }',
      '    - { route: list-products, weight: 0 }',
    ].join('\n');
    const text = contract(mix);
    const [gen, header, weight] = findings(mix);
    assert.equal(`${gen.line}:${gen.col}`, at(text, '"int(5,1)"'));
    assert.match(gen.message, /load\.mix\[0\] \(route "get-product"\), param "x": bad generator "int\(5,1\)": write int\(LOW,HIGH\)/);
    assert.equal(`${header.line}:${header.col}`, at(text, '{ "bad name"'));
    assert.match(header.message, /header name "bad name" is not a valid HTTP header name/);
    const [wl, wc] = at(text, 'weight: 0').split(':').map(Number);
    assert.equal(`${weight.line}:${weight.col}`, `${wl}:${wc + 'weight: '.length}`);
    assert.match(weight.message, /weight must be a positive number, got 0/);
  });

  it('what validate checks is what the gate sends: mixRequestPath is gateProfile\'s path, and a contract validate accepts compiles', () => {
    for (const file of ['examples/checkout/slo.yaml', 'examples/express-minimal/slo.yaml', 'go/example/middleware/slo.yaml']) {
      const loaded = parseContract(readFileSync(file, 'utf8'), file);
      assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), [], file);
      const c = loaded.contract!;
      const profile = gateProfile(c);
      assert.ok(typeof profile !== 'string');
      c.load!.mix.forEach((m, i) => assert.equal(profile.requests[i].path, mixRequestPath(m.path, c.routes.find((r) => r.name === m.route)!.path)));
      compileMix(profile.requests);
    }
  });
});

describe('the gate and sloctl load refuse a mix validate rejects, located', () => {
  for (const args of [['gate'], ['load', '--contract']]) {
    it(`sloctl ${args.join(' ')}: exit 2 with the finding at the mix entry (file:line:col), before sending anything`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sloctl-mix-'));
      const text = contract('    - route: get-product\n      weight: 1\n      path: /api/v1/products/{productID}\n      params: { id: "int(1,100)" }');
      writeFileSync(join(dir, 'slo.yaml'), text);
      const r = await runCli([...args, 'slo.yaml'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.startsWith(`slo.yaml:${at(text, '{productID}')}: error SLO_MIX_PATH: load.mix[0] (route "get-product") sends /api/v1/products/{productID}, which uses {productID}, but its params have "id"`), r.stderr);
      assert.match(r.stderr, /hint: rename "id" to "productID"/);
    });
  }
});
