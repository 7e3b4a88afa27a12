// The health table: one row per SLI with its current value, objective, achievement rate, budget
// remaining, and a priority ranking by budget gap (most urgent first).
//
// Achievement rate ("达成率") follows the table in chapter 1 of the seed article, whose rows are:
//
//   SLI            current  objective  achievement
//   availability   99.2%    99.5%      94.7% (printed) — see below
//   latency p95    220ms    200ms      90.9%
//   error rate     0.3%     0.5%       60.0%
//
// - Higher is better (availability, success ratio, throughput): current / objective.
//   99.2 / 99.5 = 99.70%. The article prints 94.7% on this row; no formula over the row's own
//   numbers gives that (94.2 / 99.5 = 94.67% does, so it reads as a typo for 94.2%), and the
//   brief, the issue ("current over objective") and the two other rows all agree on the ratio.
// - Lower is better, a value (latency, memory): objective / current, so that missing the objective
//   reads below 100% like the other rows: 200 / 220 = 90.9%.
// - Lower is better, a ratio with a ceiling (error rate): current / objective, the share of the
//   allowed error ratio in use: 0.3 / 0.5 = 60.0%. Note that here *under* 100% is healthy.
//
// Because the three formulas do not mean the same thing, the achievement rate is shown, with its
// formula, but never used to rank. The ranking uses the budget gap: the share of the error budget
// already spent (1 - remaining ratio), > 1 when overspent. When a row has no measured budget (the
// engine's budget over the window), the gap is derived from current vs objective:
// - higher-is-better ratio: remaining = 1 - (1 - current) / (1 - objective)
//   (availability: 1 - 0.8% / 0.5% = -60%: the error allowance is overspent by 60%);
// - lower-is-better ratio: remaining = 1 - current / objective (error rate: 1 - 0.6 = 40%);
// - values: relative headroom, remaining = 1 - current / objective for lower-is-better
//   (latency: 1 - 220/200 = -10%) and current / objective - 1 for higher-is-better.
// Rows with an unknown budget rank after every overspent row and before every healthy one: an
// unknown may hide a breach, so it is looked at before known-good rows, after known-bad ones.

export type Direction = 'higher-is-better' | 'lower-is-better';
export type SliKind = 'ratio' | 'value';

export interface HealthInput {
  name: string;
  current: number;
  objective: number;
  direction: Direction;
  /** ratio: a share in [0, 1] (availability, error rate); value: anything else (latency ms). */
  kind: SliKind;
  /** Budget remaining ratio measured over the window, if the engine has it. */
  budgetRemainingRatio?: number;
}

export type AchievementFormula = 'current/objective' | 'objective/current';

export interface HealthRow extends HealthInput {
  achievement: number;
  achievementFormula: AchievementFormula;
  meetsObjective: boolean | undefined;
  budgetRemainingRatio: number;
  /** Share of the budget spent: 1 - budgetRemainingRatio (> 1 overspent). */
  budgetGap: number;
  /** 1 = most urgent. */
  priority: number;
}

/** Which formula the article's table uses for an SLI of this direction and kind. */
export function achievementFormula(direction: Direction, kind: SliKind): AchievementFormula {
  return direction === 'lower-is-better' && kind === 'value' ? 'objective/current' : 'current/objective';
}

export function achievementRate(current: number, objective: number, direction: Direction, kind: SliKind): number {
  return achievementFormula(direction, kind) === 'objective/current' ? objective / current : current / objective;
}

/** Budget remaining ratio implied by the current value alone (see the file comment). */
export function impliedBudgetRemaining(current: number, objective: number, direction: Direction, kind: SliKind): number {
  if (kind === 'ratio') {
    return direction === 'higher-is-better' ? 1 - (1 - current) / (1 - objective) : 1 - current / objective;
  }
  return direction === 'lower-is-better' ? 1 - current / objective : current / objective - 1;
}

function meets(current: number, objective: number, direction: Direction): boolean | undefined {
  if (Number.isNaN(current)) return undefined;
  return direction === 'higher-is-better' ? current >= objective : current <= objective;
}

/** Builds the rows, ranked most urgent first. */
export function healthTable(inputs: readonly HealthInput[]): HealthRow[] {
  const rows = inputs.map((i) => {
    const budgetRemainingRatio = i.budgetRemainingRatio ?? impliedBudgetRemaining(i.current, i.objective, i.direction, i.kind);
    return {
      ...i,
      achievement: achievementRate(i.current, i.objective, i.direction, i.kind),
      achievementFormula: achievementFormula(i.direction, i.kind),
      meetsObjective: meets(i.current, i.objective, i.direction),
      budgetRemainingRatio,
      budgetGap: 1 - budgetRemainingRatio,
      priority: 0,
    };
  });
  // Overspent (< 0) first, then unknown, then the rest; within a group the least remaining first;
  // ties keep the input order (Array.prototype.sort is stable).
  const group = (r: number) => (Number.isNaN(r) ? 1 : r < 0 ? 0 : 2);
  rows.sort((a, b) => {
    const ga = group(a.budgetRemainingRatio);
    const gb = group(b.budgetRemainingRatio);
    if (ga !== gb) return ga - gb;
    if (ga === 1) return 0;
    return a.budgetRemainingRatio - b.budgetRemainingRatio;
  });
  rows.forEach((r, i) => {
    r.priority = i + 1;
  });
  return rows;
}
