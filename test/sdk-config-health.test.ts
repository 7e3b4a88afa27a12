// Config readiness (issue 12, item 5): `/healthz?include=config` reports the contract the service
// runs with (name, version, sha256 of the text loaded) and the config checks it registered; a
// failing check makes health DOWN (not ready); without `include=config` and with every check
// passing, the body is exactly what it was (other tests compare it). On all five adapters.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { instrument, type Sdk } from 'sloctl/sdk';
import { instrumentForTest, testRegistry } from 'sloctl/sdk/testing';
import { wantsConfig } from '../src/sdk/config-readiness.ts';
import { ADAPTERS, startApp, type Running } from './sdk/apps.ts';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const FILE = fileURLToPath(CONTRACT);
const DIGEST = `sha256:${createHash('sha256').update(readFileSync(FILE)).digest('hex')}`;

interface Body {
  status: string;
  availability: number;
  checks: Record<string, unknown>;
  config?: {
    status: string; service: string; version?: string; digest: string; file?: string;
    checks?: Array<{ name: string; ok: boolean; detail?: string }>;
    failing?: Array<{ name: string; ok: boolean; detail?: string }>;
  };
}

/** A body without its time-varying fields (the health window grows from start until it is full). */
const stable = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'windowMs' ? undefined : v)));

async function get(app: Running, path: string): Promise<{ code: number; text: string; body: Body }> {
  const res = await request(`${app.url}${path}`);
  const text = await res.body.text();
  return { code: res.statusCode, text, body: JSON.parse(text) as Body };
}

for (const adapter of ADAPTERS) {
  describe(`config readiness: ${adapter}`, () => {
    let sdk: Sdk;
    let app: Running;
    let flagsUrl: string | undefined = 'http://flags.internal';
    before(async () => {
      sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
      app = await startApp(adapter, sdk);
    });
    after(() => app.close());

    it('without checks: /healthz is the health report, unchanged; ?include=config adds the contract identity', async () => {
      const plain = await get(app, '/healthz');
      assert.equal(plain.code, 200);
      assert.deepEqual(stable(plain.body), stable(await sdk.health()), 'the body is the report');
      assert.equal(plain.body.config, undefined);
      const other = await get(app, '/healthz?verbose=1');
      assert.deepEqual(stable(other.body), stable(plain.body), 'another query changes nothing');

      const withConfig = await get(app, '/healthz?include=config');
      assert.equal(withConfig.code, 200);
      assert.deepEqual(withConfig.body.config, { status: 'UP', service: 'conformance', digest: DIGEST, file: FILE, checks: [] });
      const { config: _, ...rest } = withConfig.body;
      assert.deepEqual(stable(rest), stable(plain.body), 'the rest of the body is the plain report');
      assert.equal(Object.keys(withConfig.body)[0], 'status', 'status stays first');
    });

    it('passing checks: listed under ?include=config, plain /healthz still unchanged', async () => {
      sdk.configCheck('database-url', () => true);
      sdk.configCheck('feature-flags', async () => flagsUrl !== undefined || 'FLAGS_URL is not set: the service runs with every flag off');
      sdk.configCheck('region', () => ({ ok: true, detail: 'eu-west-1' }));
      const plain = await get(app, '/healthz');
      assert.equal(plain.code, 200);
      assert.equal(plain.body.status, 'UP');
      assert.equal(plain.body.config, undefined);
      const full = await get(app, '/healthz?include=config');
      assert.equal(full.code, 200);
      assert.deepEqual(full.body.config?.checks, [
        { name: 'database-url', ok: true },
        { name: 'feature-flags', ok: true },
        { name: 'region', ok: true, detail: 'eu-west-1' },
      ]);
    });

    it('a failing check: DOWN and 503, with or without include=config, naming the check and what is wrong', async () => {
      flagsUrl = undefined;
      try {
        const plain = await get(app, '/healthz');
        assert.equal(plain.code, 503);
        assert.equal(plain.body.status, 'DOWN');
        assert.deepEqual(plain.body.config, { status: 'DOWN', failing: [{ name: 'feature-flags', ok: false, detail: 'FLAGS_URL is not set: the service runs with every flag off' }] });
        const full = await get(app, '/healthz?include=config');
        assert.equal(full.code, 503);
        assert.equal(full.body.status, 'DOWN');
        assert.equal(full.body.config?.status, 'DOWN');
        assert.equal(full.body.config?.digest, DIGEST);
        assert.deepEqual(full.body.config?.checks?.map((c) => `${c.name}:${c.ok}`), ['database-url:true', 'feature-flags:false', 'region:true']);
        assert.equal(full.body.availability, 1, 'the SLI composite is not moved by configuration');
      } finally {
        flagsUrl = 'http://flags.internal';
      }
      assert.equal((await get(app, '/healthz')).code, 200, 'fixed: ready again');
    });
  });
}

describe('config checks', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sloctl-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads include=config from a query string, a URL or a path, alone or in a list', () => {
    for (const q of ['include=config', '?include=config', '/healthz?include=config', 'http://h/healthz?x=1&include=checks,config', 'include=a&include=config']) assert.ok(wantsConfig(q), q);
    for (const q of [undefined, '', '/healthz', 'include=configs', 'config', '?include=', '/config?x=1']) assert.ok(!wantsConfig(q), String(q));
  });

  it('reports the contract version when it declares one, and the digest of the text it loaded', async () => {
    const text = readFileSync(FILE, 'utf8').replace('  name: conformance\n', '  name: conformance\n  version: 2026-12-04.1\n');
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, text);
    const sdk = instrumentForTest(file);
    const body = JSON.parse((await sdk.healthResponse('include=config')).body) as Body;
    assert.equal(body.config?.version, '2026-12-04.1');
    assert.equal(body.config?.digest, `sha256:${createHash('sha256').update(text).digest('hex')}`);
    // Changed on disk after start: the digest is still the one loaded (what the service runs with).
    writeFileSync(file, text.replace('2026-12-04.1', '2026-12-05.1'));
    assert.equal((JSON.parse((await sdk.healthResponse('include=config')).body) as Body).config?.version, '2026-12-04.1');
  });

  it('a check that returns false, throws, answers nonsense or hangs fails with what happened; names are unique', async () => {
    const sdk = instrumentForTest(CONTRACT);
    sdk.configCheck('returns-false', () => false);
    sdk.configCheck('throws', () => {
      throw new TypeError('SECRET_KEY is not base64');
    });
    sdk.configCheck('rejects', () => Promise.reject(new Error('vault unreachable')));
    sdk.configCheck('nonsense', () => 42 as unknown as boolean);
    sdk.configCheck('hangs', () => new Promise<boolean>(() => {}), { timeoutMs: 50 });
    const r = await sdk.healthResponse('include=config');
    assert.equal(r.status, 503);
    const body = JSON.parse(r.body) as Body;
    assert.deepEqual(body.config?.checks, [
      { name: 'returns-false', ok: false, detail: 'the check returned false' },
      { name: 'throws', ok: false, detail: 'the check threw: TypeError: SECRET_KEY is not base64' },
      { name: 'rejects', ok: false, detail: 'the check threw: Error: vault unreachable' },
      { name: 'nonsense', ok: false, detail: 'the check returned number; a config check returns true, false, a string saying what is wrong, or { ok, detail }' },
      { name: 'hangs', ok: false, detail: 'no answer within 50 ms' },
    ]);
    assert.throws(() => sdk.configCheck('throws', () => true), /already registered/);
    assert.throws(() => sdk.configCheck('', () => true), /non-empty string/);
    assert.throws(() => sdk.configCheck('x', 'yes' as never), /must be a function/);
    // degradedStatus 200 does not keep a misconfigured instance in rotation.
    const lenient = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false, health: { degradedStatus: 200 } });
    lenient.configCheck('returns-false', () => false);
    assert.equal((await lenient.healthResponse()).status, 503);
  });
});
