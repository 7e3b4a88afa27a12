// The contract's `health.window`: how far back the health endpoint of sloctl/sdk (and of the Go
// middleware, through the contract JSON) judges latency and success. Declared in the contract,
// validate can compare it with the drills' recoverWithin; the SDK and the contract JSON take it,
// and the code's own option still wins.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { checkContractJson } from '../src/cli/validate-contract-json.ts';
import { contractJson, renderContractJson } from '../src/emit/contract-json.ts';
import { instrumentForTest } from '../src/sdk/testing.ts';

const text = (health: string) => [
  'apiVersion: sloctl/v1',
  'service: { name: orders }',
  'routes:',
  '  - { name: get-order, method: GET, path: /orders/:id }',
  'objectives:',
  '  latency:',
  '    - { name: api, threshold: 200ms, objective: 99% }',
  '  errors: { objective: 99.5% }',
  health,
  '',
].join('\n');

describe('health.window', () => {
  it('parses to milliseconds; absent, the contract has no health section', () => {
    const c = parseContract(text('health: { window: 10s }'), 'slo.yaml');
    assert.deepEqual(c.diagnostics, []);
    assert.equal(c.contract!.health?.window, 10_000);
    assert.equal(parseContract(text(''), 'slo.yaml').contract!.health, undefined);
  });

  it('refuses a bare number and an unknown key, at the spot', () => {
    const bare = parseContract(text('health: { window: 10 }'), 'slo.yaml').diagnostics;
    assert.equal(bare.length, 1);
    assert.equal(bare[0].code, 'SLO_INVALID_VALUE');
    assert.equal(`${bare[0].line}:${bare[0].col}`, '9:19');
    const typo = parseContract(text('health: { windowMs: 10s }'), 'slo.yaml').diagnostics;
    assert.equal(typo[0].code, 'SLO_UNKNOWN_KEY');
    assert.equal(`${typo[0].line}:${typo[0].col}`, '9:11');
  });

  it('the contract JSON (what the Go middleware loads) carries it; 30000 when undeclared', () => {
    const declared = contractJson(parseContract(text('health: { window: 10s }'), 'slo.yaml').contract!) as { health: { windowMs: number } };
    assert.equal(declared.health.windowMs, 10_000);
    const undeclared = contractJson(parseContract(text(''), 'slo.yaml').contract!) as { health: { windowMs: number } };
    assert.equal(undeclared.health.windowMs, 30_000);
  });

  it('a slo.json generated before the window changed is stale, pointed at health.window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-health-window-'));
    try {
      writeFileSync(join(dir, 'slo.json'), renderContractJson(parseContract(text('health: { window: 20s }'), 'slo.yaml').contract!));
      const now = parseContract(text('health: { window: 10s }'), 'slo.yaml');
      const check = await checkContractJson(now, dir);
      assert.equal(check?.current, false);
      assert.match(check!.diagnostic!.message, /is out of date: health\.windowMs is 20000, the contract now gives 10000\. /);
      assert.equal(`${check!.diagnostic!.line}:${check!.diagnostic!.col}`, '9:11'); // `window` in health
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the SDK judges over the contract\'s window; instrument({ health: { windowMs } }) overrides it', async () => {
    const contract = parseContract(text('health: { window: 300ms }'), 'slo.yaml').contract!;
    const fromContract = instrumentForTest(contract);
    const fromCode = instrumentForTest(contract, { health: { windowMs: 200 } });
    const undeclared = instrumentForTest(parseContract(text(''), 'slo.yaml').contract!);
    // The report's windowMs is the span judged: it grows from the start until the window is full.
    await sleep(450);
    assert.equal((await fromContract.health()).checks.latency.windowMs, 300);
    assert.equal((await fromCode.health()).checks.latency.windowMs, 200);
    const grown = (await undeclared.health()).checks.latency.windowMs;
    assert.ok(grown > 300 && grown < 30_000, `the default window (30 s) is not full yet: ${grown}`);
  });
});
