// The one loopback decision (src/net/loopback.ts) that the scraper, the fault proxy and the SDK's
// drill endpoint share: the same address in every spelling gets the same answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackAddress, isLoopbackHost } from '../src/net/loopback.ts';

describe('loopback', () => {
  it('an IPv4-mapped 127.x is loopback in the dotted and the URL-normalized hex spelling alike', () => {
    for (const a of ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:7fff:fffe', '0:0:0:0:0:ffff:7f00:1']) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ['::ffff:10.0.0.1', '::ffff:a00:1', '::ffff:8000:1', '::ffff:7e00:1']) assert.equal(isLoopbackAddress(a), false, a);
    assert.equal(isLoopbackHost(new URL('http://[::ffff:127.0.0.1]:80/').hostname), true, 'what URL makes of it');
  });

  it('host names: localhost and *.localhost are, other names never are (no lookup)', () => {
    for (const h of ['localhost', 'LOCALHOST', 'api.localhost', '[::1]', '127.0.0.2']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['localhost.example.com', 'example.com', '[::2]', '0.0.0.0', '']) assert.equal(isLoopbackHost(h), false, h);
    assert.equal(isLoopbackAddress('localhost'), false, 'an address check takes no names');
  });
});
