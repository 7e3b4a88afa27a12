import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileMix, MixError, parseGenerator } from '../src/load/mix.ts';
import { LoadConfigError } from '../src/load/errors.ts';
import { mulberry32 } from '../src/load/prng.ts';
import type { RequestTemplate } from '../src/load/types.ts';

const get = (name: string, path: string, weight = 1, extra: Partial<RequestTemplate> = {}): RequestTemplate => ({ name, weight, method: 'GET', path, ...extra });

describe('request mix', () => {
  it('picks templates in proportion to their weights, to within a request at every block of the sequence', () => {
    const weights = [1, 3, 6, 0.5];
    const mix = compileMix(weights.map((w, i) => get('abcd'[i], `/${i}`, w)), 7);
    const n = 200_000;
    const seen = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) seen[mix.next().route]++;
    seen.forEach((s, i) => {
      const expected = (weights[i] / 10.5) * n;
      assert.ok(Math.abs(s - expected) < 1, `template ${mix.names[i]}: ${s} picks, expected ${expected.toFixed(2)}`);
    });
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const templates = [get('a', '/a/{id}', 1, { params: { id: 'int(1,1000000)' } }), get('b', '/b/{u}', 2, { params: { u: 'uuid' } })];
    const run = (seed: number): string[] => {
      const mix = compileMix(templates, seed);
      return Array.from({ length: 50 }, () => mix.next().path);
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('fills path parameters from int, uuid, choice and literals, in {name} and :name form', () => {
    const mix = compileMix(
      [
        get('p', '/products/{id}/reviews/:page?sort={sort}&q={q}', 1, {
          params: { id: 'int(5,7)', page: 'choice(first, last)', sort: 'choice(a b,c/d)', q: 'shoes & socks' },
        }),
      ],
      3,
    );
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const m = /^\/products\/(\d+)\/reviews\/(first|last)\?sort=(a%20b|c%2Fd)&q=shoes%20%26%20socks$/.exec(mix.next().path);
      assert.ok(m, 'path shape');
      ids.add(m[1]);
    }
    assert.deepEqual([...ids].sort(), ['5', '6', '7'], 'int(5,7) covers both ends');
    const u = compileMix([get('u', '/u/{id}', 1, { params: { id: 'uuid' } })], 1).next().path;
    assert.match(u, /^\/u\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A `:word` that is not a parameter stays literal text (e.g. a port-like or a time in a query).
    assert.equal(compileMix([get('t', '/at/:noon', 1)], 1).next().path, '/at/:noon');
  });

  it('prepares headers and bodies once: JSON with its content type, strings as they are', () => {
    const mix = compileMix(
      [
        { name: 'json', weight: 1, method: 'post', path: '/orders', body: { sku: 'a', qty: 2 }, headers: { 'X-Trace': '1' } },
        { name: 'text', weight: 1, method: 'PUT', path: '/notes', body: 'plain words', headers: { 'Content-Type': 'text/plain' } },
        { name: 'own', weight: 1, method: 'POST', path: '/own', body: [1, 2], headers: { 'content-type': 'application/vnd.x+json' } },
      ],
      1,
    );
    const byName = new Map<string, ReturnType<typeof mix.next>>();
    for (let i = 0; i < 200 && byName.size < 3; i++) {
      const r = mix.next();
      byName.set(mix.names[r.route], r);
    }
    const json = byName.get('json')!;
    assert.equal(json.method, 'POST');
    assert.equal(json.body?.toString(), '{"sku":"a","qty":2}');
    assert.deepEqual(json.headers, { 'x-trace': '1', 'content-type': 'application/json' });
    const text = byName.get('text')!;
    assert.equal(text.body?.toString(), 'plain words');
    assert.deepEqual(text.headers, { 'content-type': 'text/plain' });
    assert.equal(byName.get('own')!.headers['content-type'], 'application/vnd.x+json');
    assert.equal(compileMix([get('g', '/')], 1).next().body, null);
  });

  it('names the template and parameter of a bad generator or template', () => {
    const cases: Array<[RequestTemplate[], RegExp]> = [
      [[get('products', '/p/{id}', 1, { params: { id: 'int(1)' } })], /template "products", param "id": bad generator "int\(1\)": write int\(LOW,HIGH\)/],
      [[get('products', '/p/{id}', 1, { params: { id: 'int(9,1)' } })], /param "id": bad generator "int\(9,1\)"/],
      [[get('products', '/p/{id}', 1, { params: { id: 'int(a,b)' } })], /bad generator "int\(a,b\)"/],
      [[get('products', '/p/{id}', 1, { params: { id: 'choice()' } })], /bad generator "choice\(\)": write choice\(a,b,c\)/],
      // A generator left unclosed is a typo, not a literal to send ("choice(1%2C42": every request a 404).
      [[get('products', '/p/{id}', 1, { params: { id: 'choice(1,42' } })], /param "id": bad generator "choice\(1,42": it opens choice\( and does not close it; write choice\(a,b,c\)/],
      [[get('products', '/p/{id}', 1, { params: { id: 'int (1,9' } })], /bad generator "int \(1,9": it opens int\( and does not close it; write int\(LOW,HIGH\)/],
      [[get('products', '/p/{id}', 1, { params: { id: 'random(1,2)' } })], /unknown generator "random\(1,2\)": use int\(LOW,HIGH\), uuid, choice\(a,b,c\) or a literal/],
      [[get('products', '/p/{id}', 1)], /template "products": path \/p\/\{id\} uses \{id\}, and there are no params \(add params: \{ id: "int\(1,1000\)" \}, or write a value in the path\)/],
      // The params it has, so a misnamed one shows (a user wrote `{productID}` with `params: { id: ... }`).
      [[get('products', '/p/{productID}', 1, { params: { id: 'int(1,9)' } })], /uses \{productID\}, and params has "id" but no "productID"/],
      [[get('zero', '/z', 0)], /template "zero": weight must be a positive number, got 0/],
      [[get('nan', '/z', Number.NaN)], /weight must be a positive number/],
      [[get('rel', 'z')], /template "rel": path "z" must start with \//],
      [[{ ...get('m', '/'), method: 'GE T' }], /method "GE T" is not an HTTP method/],
      [[get('b', '/', 1, { body: { n: 1n } })], /template "b": body cannot be sent as JSON/],
      [[get('h', '/', 1, { headers: { x: 1 as unknown as string } })], /header x must be a string/],
      [[], /no requests to send/],
    ];
    for (const [templates, re] of cases) {
      assert.throws(() => compileMix(templates), (e: Error) => e instanceof MixError && e instanceof LoadConfigError && re.test(e.message), String(re));
    }
  });

  it('parses generators on their own', () => {
    const rand = mulberry32(5);
    assert.equal(parseGenerator('fixed-value', 'x')(rand), 'fixed-value');
    assert.equal(parseGenerator(' choice(one) ', 'x')(rand), 'one');
    assert.equal(parseGenerator('int(3,3)', 'x')(rand), '3');
    assert.match(parseGenerator('uuid()', 'x')(rand), /^[0-9a-f-]{36}$/);
  });

  it('gives uniform floats from the seeded PRNG', () => {
    const rand = mulberry32(123);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = rand();
      assert.ok(x >= 0 && x < 1);
      buckets[Math.floor(x * 10)]++;
    }
    for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 500, `bucket ${b}`);
  });
});
