import { test } from 'node:test';
import assert from 'node:assert/strict';
import { achievementRate, healthTable, type HealthInput } from '../../src/engine/index.ts';

// The table in chapter 1 of the seed article (/work/shared/seed/*.txt, "典型SLO健康度评估表"):
//   可用性 (availability)  99.2%   99.5%   printed 94.7%
//   延迟P95 (latency p95)  220ms   200ms   90.9%
//   错误率 (error rate)    0.3%    0.5%    60.0%
const ARTICLE: HealthInput[] = [
  { name: 'availability', current: 0.992, objective: 0.995, direction: 'higher-is-better', kind: 'ratio' },
  { name: 'latency p95', current: 220, objective: 200, direction: 'lower-is-better', kind: 'value' },
  { name: 'error rate', current: 0.003, objective: 0.005, direction: 'lower-is-better', kind: 'ratio' },
];

const pct = (x: number) => (x * 100).toFixed(1);

test('achievement rates of the article table', () => {
  const [avail, latency, errors] = ARTICLE.map((r) => achievementRate(r.current, r.objective, r.direction, r.kind));
  // current / objective = 99.2 / 99.5 = 99.70%. The article prints 94.7%, which no formula over the
  // row's own numbers yields (94.2 / 99.5 = 94.67% does: a typo for 94.2%); see src/engine/health.ts.
  assert.equal(pct(avail), '99.7');
  assert.notEqual(pct(avail), '94.7');
  // Lower is better, a value: objective / current = 200 / 220 = 90.9%.
  assert.equal(pct(latency), '90.9');
  // Lower is better, a ratio ceiling: current / objective = 0.3 / 0.5 = 60.0% of the allowance in use.
  assert.equal(pct(errors), '60.0');
});

test('health table ranks by budget gap, most urgent first', () => {
  const rows = healthTable(ARTICLE);
  // Budget remaining implied by the values: availability 1 - 0.8%/0.5% = -60%,
  // latency 1 - 220/200 = -10%, error rate 1 - 0.3/0.5 = +40%.
  assert.deepEqual(rows.map((r) => [r.priority, r.name, pct(r.budgetRemainingRatio)]), [
    [1, 'availability', '-60.0'],
    [2, 'latency p95', '-10.0'],
    [3, 'error rate', '40.0'],
  ]);
  assert.deepEqual(rows.map((r) => r.meetsObjective), [false, false, true]);
  assert.deepEqual(rows.map((r) => r.achievementFormula), ['current/objective', 'objective/current', 'current/objective']);
  assert.equal(pct(rows[0].budgetGap), '160.0');
});

test('measured budgets win over implied ones; unknown ranks between overspent and healthy', () => {
  const rows = healthTable([
    { name: 'a', current: 0.999, objective: 0.99, direction: 'higher-is-better', kind: 'ratio', budgetRemainingRatio: 0.8 },
    { name: 'b', current: NaN, objective: 0.99, direction: 'higher-is-better', kind: 'ratio', budgetRemainingRatio: NaN },
    { name: 'c', current: 0.995, objective: 0.99, direction: 'higher-is-better', kind: 'ratio', budgetRemainingRatio: -0.1 },
    { name: 'd', current: 0.995, objective: 0.99, direction: 'higher-is-better', kind: 'ratio', budgetRemainingRatio: 0.1 },
  ]);
  assert.deepEqual(rows.map((r) => r.name), ['c', 'b', 'd', 'a']);
  assert.equal(rows[1].meetsObjective, undefined);
});
