// src/sdk/tick-shape.ts: after settleTickShape(), an object of process.nextTick's queue-entry
// shape keeps one V8 map whether its ids arrive as small integers (optimized code) or as boxed
// doubles (the interpreter); without it, the second kind replaces the first's map, which is what
// turned nextTick's store feedback megamorphic under load (bench/RESULTS.md, 2026-12-05). V8's
// %HaveSameMap needs --allow-natives-syntax, so each case runs in a child process, on the build
// (npm test builds first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const TICK_SHAPE = new URL('../dist/sdk/tick-shape.js', import.meta.url).href;
const SDK = new URL('../dist/sdk/index.js', import.meta.url).href;
const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url).href;

/** In a fresh process: nothing, settleTickShape() or instrument(), then two entries of nextTick's shape, integer ids then fractional ones. */
function sameMapAfter(first: 'nothing' | 'settle' | 'instrument'): boolean {
  const script = `
    import { AsyncResource } from 'node:async_hooks';
    if (${JSON.stringify(first)} === 'settle') (await import(${JSON.stringify(TICK_SHAPE)})).settleTickShape();
    if (${JSON.stringify(first)} === 'instrument') (await import(${JSON.stringify(SDK)})).instrument({ contract: new URL(${JSON.stringify(CONTRACT)}), defaultMetrics: false });
    const syms = Object.getOwnPropertySymbols(new AsyncResource('test'));
    const a = syms.find((s) => s.description === 'async_id_symbol');
    const b = syms.find((s) => s.description === 'trigger_async_id_symbol');
    const entry = (id, trigger) => ({ [a]: id, [b]: trigger, callback: () => {}, args: undefined });
    const first = entry(7, 3);
    const second = entry(8.5, 4.5);
    console.log(JSON.stringify({ same: %HaveSameMap(first, second) }));
  `;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout.trim()) as { same: boolean }).same;
}

describe('nextTick queue-entry shape (tick-shape.ts)', () => {
  it('without settling, a fractional id replaces the shape integer ids made (the hazard)', () => {
    assert.equal(sameMapAfter('nothing'), false);
  });

  it('after settleTickShape(), integer and fractional ids share one shape', () => {
    assert.equal(sameMapAfter('settle'), true);
  });

  it('instrument() settles it', () => {
    assert.equal(sameMapAfter('instrument'), true);
  });
});
