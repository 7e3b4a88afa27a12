// isPath (src/sdk/node-tracking.ts): whether a request's URL is the health or the metrics path,
// asked by every adapter on every request. It answers most URLs by a length and a character test
// before startsWith; it must agree with the plain definition on every input.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isPath } from '../src/sdk/node-tracking.ts';

/** The definition: the path itself, or the path and a query. */
const reference = (url: string | undefined, path: string | undefined) =>
  url !== undefined && path !== undefined && (url === path || url.startsWith(`${path}?`));

it('isPath agrees with "the path, or the path and a query" on random URLs and paths', () => {
  const piece = fc.constantFrom('/', 'h', 'healthz', 'metrics', '?', 'a=1', '/x', 'm', '');
  const text = fc.array(piece, { maxLength: 5 }).map((p) => p.join(''));
  const maybe = fc.option(fc.oneof(text, fc.string()), { nil: undefined });
  fc.assert(fc.property(maybe, maybe, (url, path) => isPath(url, path) === reference(url, path)), { numRuns: 20_000 });
  // The paths the SDK serves, against the URLs that share a prefix or a second character with them.
  for (const [url, path, want] of [
    ['/healthz', '/healthz', true], ['/healthz?include=config', '/healthz', true], ['/healthzz', '/healthz', false],
    ['/health', '/healthz', false], ['/h', '/healthz', false], ['/', '/healthz', false], ['/metrics', '/healthz', false],
    ['/', '/', true], ['/?a', '/', true], ['/a', '/', false], ['', '', true], ['?', '', true], ['x', '', false],
  ] as const) assert.equal(isPath(url, path), want, `isPath(${JSON.stringify(url)}, ${JSON.stringify(path)})`);
});
