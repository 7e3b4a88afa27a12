// `sloctl accept`'s one verdict over the eleven contracts (issue 13): each phase of the run (the
// gate, the drills, the static and dynamic dependency checks, the observability and drift phases)
// has already judged its part; this folds their verdicts into one row per contract and one outcome.
//
// A row is:
//   FAIL          a check of the contract failed (its reason names the route, dependency, drill or
//                 signal, with the numbers);
//   INCONCLUSIVE  nothing failed but a check could not be judged (a lag, a starved machine, a
//                 drill that could not run, a phase that was interrupted or never reached);
//   PASS          every check of the contract was judged and held;
//   NOT JUDGED    the contract does not declare it, or there is nothing to compare with yet (the
//                 first regression run has no baseline: the gate says the same and passes).
// The outcome: FAIL if any row fails, else INCONCLUSIVE if any row is, else PASS; a target that
// would not start (or died) is TARGET FAILED (exit 3), as for the gate. A row never passes on a
// phase that did not run: a contract the run did not get to is INCONCLUSIVE, naming the phase.
//
// Pure: data in, rows out (no clock, no I/O).
import type { Contract } from '../contract/schema.ts';
import { EXIT } from '../errors.ts';
import { LAG_NOTE_PREFIX, LAG_REASON_OPENING } from './generator-lag.ts';
import type { GateReport, ObjectiveVerdict } from './types.ts';
import { windowCheckLabel, type DrillOutcome, type DrillVerdict } from './drill-types.ts';
import { formatSuccess } from './format.ts';
import { CLIENT_VIEW_ALONE_MARK, ROUTE_LABEL_NOTE_MARK, SERVICE_VIEW_MISSING_OPENING, SIDE_WITHDRAWN_OPENING } from './objectives.ts';
import { STARVED_REASON_MARK } from './machine.ts';
import { FOREIGN_NOTE_OPENING, FOREIGN_REASON_OPENING } from './foreign-traffic.ts';
import { QUEUE_REASON_MARK } from './connection-queue.ts';
import { RESTART_NOTE_OPENING, TAKING_TURNS_OPENING } from './memory.ts';

/** The eleven contracts, in the order the contract file and the README list them. */
export const ACCEPT_CONTRACTS = [
  'latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency', 'dependencies', 'resilience', 'drift', 'observability', 'regression',
] as const;
export type AcceptContract = (typeof ACCEPT_CONTRACTS)[number];

export type ContractOutcome = 'pass' | 'fail' | 'inconclusive' | 'not-judged';
export type AcceptOutcome = 'pass' | 'fail' | 'inconclusive' | 'target-failed';

/** One judged check under a contract: an objective, a drill, a dependency, a scan. */
export interface AcceptCheck {
  name: string;
  outcome: ContractOutcome;
  reason: string;
  /** A pass with a warning (near its limit, the service's view disagreeing): the reason says which. */
  warn?: boolean;
  /** The reason's separate sentences, when it is several (a drill's reasons): the row says each once. */
  sentences?: string[];
}

export interface ContractRow {
  contract: AcceptContract;
  outcome: ContractOutcome;
  /** The row's sentence: the worst check's reason (with its numbers), or why it was not judged. */
  reason: string;
  checks: AcceptCheck[];
}

/** A phase's verdict as the phases return them (observability, drift, dependency timeouts, the static scan). */
export interface PhaseVerdict {
  name: string;
  outcome: 'pass' | 'fail' | 'inconclusive';
  reason: string;
  /** A pass with a warning (the static check: a declared dependency the code never names through the SDK): the reason says which. */
  warn?: boolean;
}

/** The phases of an accept run, in timeline order. */
export const ACCEPT_PHASES = ['static dependency check', 'gate', 'drills', 'dependency timeouts', 'observability', 'drift'] as const;
export type AcceptPhase = (typeof ACCEPT_PHASES)[number];

export interface AcceptInput {
  contract: Contract;
  /** The gate's report; undefined when the run did not get to it. */
  gate?: GateReport;
  /** The drills' report (its outcome and per-drill verdicts); undefined when not run. */
  drills?: { outcome: DrillOutcome | 'target-failed'; drills: DrillVerdict[]; reasons: string[]; resilienceScore: number };
  staticDependencies?: PhaseVerdict;
  dependencyTimeouts?: PhaseVerdict[];
  observability?: PhaseVerdict;
  drift?: PhaseVerdict;
  /** Phases that did not run, with why ("interrupted", "the target failed: ..."). */
  notReached: Partial<Record<AcceptPhase, string>>;
  /** The target failed to start or died: the sentence (exit 3). */
  targetFailure?: string;
}

export interface AcceptVerdict {
  outcome: AcceptOutcome;
  exitCode: number;
  rows: ContractRow[];
  /** Why, most important first: the failing rows, then the inconclusive ones, then the notes (`note: ...`). */
  reasons: string[];
}

/** Which phase judges a contract (what the row names when the phase did not run). */
const PHASE_OF: Record<AcceptContract, AcceptPhase[]> = {
  latency: ['gate'], errors: ['gate'], throughput: ['gate'], availability: ['gate'], memory: ['gate'], concurrency: ['gate'], regression: ['gate'],
  dependencies: ['static dependency check', 'dependency timeouts'], resilience: ['drills'], drift: ['drift'], observability: ['observability'],
};

/** Whether the contract declares this contract at all. */
export function declares(c: Contract, name: AcceptContract): boolean {
  const o = c.objectives;
  switch (name) {
    case 'latency': return (o.latency?.length ?? 0) > 0;
    case 'dependencies': return o.dependencies !== undefined || c.dependencies.length > 0;
    default: return o[name] !== undefined;
  }
}

/** A gate verdict as a check: a failure withdrawn (a lag, a starved machine) or not measured is not a pass. */
function gateCheck(v: ObjectiveVerdict): AcceptCheck {
  const name = `${v.contract} ${v.name}`;
  if (v.verdict === 'fail') return { name, outcome: 'fail', reason: v.reason };
  if (v.verdict === 'skipped') return { name, outcome: 'inconclusive', reason: v.reason };
  if (v.verdict === 'warn' && (v.reason.startsWith(LAG_NOTE_PREFIX) || v.reason.startsWith('not judged'))) return { name, outcome: 'inconclusive', reason: v.reason };
  return { name, outcome: 'pass', reason: v.reason, ...(v.verdict === 'warn' ? { warn: true } : {}) };
}

/** The gate's checks of one contract. `routes` (a contract route the service lacks) counts under errors: its requests all failed. */
function gateChecks(gate: GateReport, contract: AcceptContract): AcceptCheck[] {
  if (contract === 'regression') {
    const b = gate.baseline;
    if (!b) return [];
    // A regression the comparison saw but could not judge (`withheld: fail`: too few trials, a heap
    // that does not show it) is what made the gate INCONCLUSIVE: its row says so, not pass.
    return b.comparisons.map((c): AcceptCheck => {
      const outcome = c.verdict === 'fail' ? 'fail' : c.verdict === 'skipped' ? 'not-judged' : c.withheld === 'fail' || c.reason.startsWith(LAG_NOTE_PREFIX) || c.reason.startsWith('not judged') ? 'inconclusive' : 'pass';
      return { name: `regression ${c.metric}`, outcome, reason: c.reason, ...(outcome === 'pass' && c.verdict === 'warn' ? { warn: true } : {}) };
    });
  }
  const own = (v: ObjectiveVerdict) => v.contract === contract || (contract === 'errors' && v.contract === 'routes');
  return gate.verdicts.filter(own).map(gateCheck);
}

const phaseCheck = (v: PhaseVerdict): AcceptCheck => ({ name: v.name, outcome: v.outcome, reason: v.reason, ...(v.warn && v.outcome === 'pass' ? { warn: true } : {}) });

const secs = (ms: number) => `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const pctOf = (x: number) => `${+(x * 100).toPrecision(4)}%`;

/** A drill's numbers in one sentence: detection, the degraded objectives, recovery, removal. */
export function drillNumbers(x: DrillVerdict): string {
  if (x.notRun) return `${x.target}: not run${x.removed.ok ? '' : `; fault removal: ${x.removed.detail}`}`;
  const d = x.detection;
  const r = x.recovery;
  const parts = [
    d.ms !== undefined ? `detected in ${secs(d.ms)}${d.signal ? ` by ${d.signal}` : ''} (within ${secs(d.withinMs)})` : `not detected within ${secs(d.withinMs)}`,
    x.during.judged
      ? `during the fault ${x.during.checks.map((c) => `${windowCheckLabel(c)} ${Number.isFinite(c.client) ? (c.unit === 'ratio' ? (c.client < 0 ? formatSuccess(c.client) : pctOf(c.client)) : `${Math.round(c.client)} ms`) : 'n/a'} (objective ${c.unit === 'ratio' ? pctOf(c.objective) : `${c.objective} ms`}${c.met === false ? ', missed' : ''})`).join(', ')}`
      : 'no degraded objectives declared',
    r.ms !== undefined ? `recovered in ${secs(r.ms)} (within ${secs(r.withinMs)})` : `not recovered within ${secs(r.withinMs)}`,
    x.removed.ok ? 'fault removed' : `fault removal: ${x.removed.detail}`,
  ];
  return `${x.target}: ${parts.join('; ')}`;
}

function drillChecks(d: NonNullable<AcceptInput['drills']>): AcceptCheck[] {
  // A pass says its numbers; a failure or an unjudged drill says why first (the judge's sentences), then the numbers.
  const checks: AcceptCheck[] = d.drills.map((x) => {
    const sentences = x.outcome === 'pass' ? [drillNumbers(x)] : [...x.reasons, drillNumbers(x)];
    return { name: `drill ${x.name}`, outcome: x.outcome, reason: sentences.join('; '), ...(sentences.length > 1 ? { sentences } : {}) };
  });
  // A drill run that ended before judging any drill (target failed, interrupted) says so in its reasons.
  if (checks.length === 0) checks.push({ name: 'drills', outcome: d.outcome === 'pass' ? 'pass' : d.outcome === 'fail' ? 'fail' : 'inconclusive', reason: d.reasons.join('; ') || 'no drill was judged' });
  return checks;
}

const RANK: Record<ContractOutcome, number> = { fail: 3, inconclusive: 2, pass: 1, 'not-judged': 0 };

/**
 * The row's outcome from its checks: the worst one; a row of only not-judged checks is not judged.
 * Its reason says each distinct sentence of the worst checks once, with the checks it is about
 * (four drills a generator that under-delivered left unjudged make one sentence, not four; a
 * lag judged per drill window carries each drill's own numbers, so it reads once per drill); `cause`,
 * when given, is the one sentence for the whole row (the gate inconclusive as a whole).
 */
function rowOf(contract: AcceptContract, checks: AcceptCheck[], empty: { outcome: ContractOutcome; reason: string }, cause?: string): ContractRow {
  if (checks.length === 0) return { contract, ...empty, checks };
  const worst = checks.reduce((a, b) => (RANK[b.outcome] > RANK[a.outcome] ? b : a));
  if (worst.outcome === 'pass') {
    const held = checks.filter((c) => c.outcome === 'pass').length;
    return { contract, outcome: 'pass', reason: `${held} of ${checks.length} checks held${checks.length === 1 ? `: ${worst.reason}` : ''}`, checks };
  }
  if (cause !== undefined) return { contract, outcome: worst.outcome, reason: cause, checks };
  const bySentence = new Map<string, string[]>();
  for (const c of checks.filter((x) => x.outcome === worst.outcome)) {
    for (const sentence of c.sentences ?? [c.reason]) bySentence.set(sentence, [...(bySentence.get(sentence) ?? []), c.name]);
  }
  const reason = [...bySentence].map(([sentence, names]) => `${names.join(', ')}: ${sentence}`).join('; ');
  return { contract, outcome: worst.outcome, reason, checks };
}

/** The reason of a contract the contract does not declare (its row says which section). */
const NOT_DECLARED = 'not declared in the contract';

/** Folds every phase's verdicts into the eleven rows and one outcome. */
export function judgeAccept(input: AcceptInput): AcceptVerdict {
  const { contract, gate } = input;
  const rows: ContractRow[] = [];
  for (const name of ACCEPT_CONTRACTS) {
    if (!declares(contract, name)) {
      rows.push({ contract: name, outcome: 'not-judged', reason: `${NOT_DECLARED} (objectives.${name})`, checks: [] });
      continue;
    }
    const missed = PHASE_OF[name].map((p) => (input.notReached[p] !== undefined ? `the ${p} phase did not run: ${input.notReached[p]}` : undefined)).filter((x): x is string => x !== undefined);
    let checks: AcceptCheck[] = [];
    let cause: string | undefined;
    let empty = { outcome: 'inconclusive' as ContractOutcome, reason: missed.join('; ') || `no check of ${name} ran` };
    switch (name) {
      case 'resilience':
        if (input.drills) checks = drillChecks(input.drills);
        break;
      case 'dependencies':
        if (input.staticDependencies) checks.push(phaseCheck(input.staticDependencies));
        checks.push(...(input.dependencyTimeouts ?? []).map(phaseCheck));
        break;
      case 'drift':
        if (input.drift) checks = [phaseCheck(input.drift)];
        break;
      case 'observability':
        if (input.observability) checks = [phaseCheck(input.observability)];
        break;
      default:
        if (gate) {
          checks = gateChecks(gate, name);
          if (name === 'regression' && checks.length === 0) {
            // The gate read no baseline: the first accepted run has nothing to compare with.
            const note = gate.notes.find((r) => r.startsWith('no baseline at')) ?? 'no baseline was compared (pass --baseline PATH, or objectives.regression.baseline)';
            empty = { outcome: 'not-judged', reason: gate.baselineUpdated ? `no baseline before this run; this run is now the baseline (${gate.baselineUpdated})` : note };
          }
          // The gate's outcome was INCONCLUSIVE for the whole run (the profile was not delivered,
          // the service view missing, interrupted): its passes are not a verdict on the profile.
          if (gate.outcome === 'inconclusive' && checks.length > 0 && checks.every((c) => c.outcome === 'pass')) {
            checks = checks.map((c) => ({ ...c, outcome: 'inconclusive' }));
            cause = `the gate was inconclusive as a whole, so its passes are not a verdict: ${gate.reasons[0] ?? 'no reason given'}`;
          }
        }
    }
    // A phase that did not run leaves its part of the contract unjudged, even when another part ran.
    if (missed.length > 0 && checks.length > 0) checks.push({ name: `${name} (not run)`, outcome: 'inconclusive', reason: missed.join('; ') });
    rows.push(rowOf(name, checks, empty, cause));
  }

  const reasons = acceptReasons(rows, input.targetFailure);
  reasons.push(...acceptedGateNotes(gate?.notes ?? []).map((n) => `note: ${n}`));
  if (input.targetFailure) return { outcome: 'target-failed', exitCode: EXIT.TARGET, rows, reasons };
  if (rows.some((r) => r.outcome === 'fail')) return { outcome: 'fail', exitCode: EXIT.FAILED, rows, reasons };
  if (rows.some((r) => r.outcome === 'inconclusive')) return { outcome: 'inconclusive', exitCode: EXIT.INCONCLUSIVE, rows, reasons };
  return { outcome: 'pass', exitCode: EXIT.OK, rows, reasons };
}

/**
 * The gate's notes that change what accept's rows mean, which a row's "N of M checks held" does not
 * show; each says its numbers. A PASS, or a FAIL, rests on less than it seems when:
 * - the service's series carry no route label: per-route objectives were judged by the client alone;
 * - the service restarted under load: its counters started again, memory growth per request was not judged;
 * - processes took turns answering /metrics: the service's side of its ratios was INCONCLUSIVE
 *   (said once, naming the objectives, not once per objective as the gate's caveats do);
 * - the service's view was missing, or judged on the client's alone (a thin sample of its
 *   availability gauge, a counter that saw none or part of the run);
 * - the load generator lagged or did not deliver the profile, the machine was starved, requests
 *   waited for a connection, or another client's requests were in the service's numbers: failures
 *   were withdrawn beside the ones that stand, or the passes rest on a load that was not the profile.
 * Left to the gate's report: the target's start and stop, requests replayed on a new connection,
 * the health endpoint's failing checks, near-limit warnings (a row says warn), the baseline's notes
 * (the regression row says them), unrecorded routes (the errors row's `routes` checks).
 */
const GATE_NOTE_MARKS: readonly string[] = [
  ROUTE_LABEL_NOTE_MARK, RESTART_NOTE_OPENING, SERVICE_VIEW_MISSING_OPENING, CLIENT_VIEW_ALONE_MARK, SIDE_WITHDRAWN_OPENING,
  LAG_REASON_OPENING, STARVED_REASON_MARK, QUEUE_REASON_MARK, FOREIGN_NOTE_OPENING, FOREIGN_REASON_OPENING,
];

export function acceptedGateNotes(notes: readonly string[]): string[] {
  const out: string[] = [];
  // Processes taking turns qualify every ratio the service judged: one sentence naming them.
  const turns = new Map<string, string[]>();
  for (const n of notes) {
    const at = n.indexOf(TAKING_TURNS_OPENING);
    if (at >= 0 && !n.startsWith(SIDE_WITHDRAWN_OPENING)) {
      const clause = n.slice(at);
      turns.set(clause, [...(turns.get(clause) ?? []), n.slice(0, n.indexOf(': '))]);
      continue;
    }
    if (GATE_NOTE_MARKS.some((m) => n.includes(m))) out.push(n);
  }
  for (const [clause, names] of turns) out.push(`${names.join(', ')}: the service side is INCONCLUSIVE: ${clause}`);
  return out;
}

/** The reasons of the rows with this outcome; rows with the same reason (the gate inconclusive as a whole) are said once, naming them all. */
function groupedReasons(rows: readonly ContractRow[], outcome: 'fail' | 'inconclusive'): string[] {
  const by = new Map<string, string[]>();
  for (const r of rows.filter((x) => x.outcome === outcome)) by.set(r.reason, [...(by.get(r.reason) ?? []), r.contract]);
  return [...by].map(([reason, names]) => `${names.join(', ')}${outcome === 'inconclusive' ? ' not judged' : ''}: ${reason}`);
}

/**
 * Which rows' outcome a reason of acceptReasons speaks for: `fail` or `inconclusive` for the
 * sentence of a failing or an unjudged group of rows, undefined for the run's own notes (the
 * target's failure, an interruption, what was not judged on a pass, the baseline). The table labels
 * each reason with it, so an INCONCLUSIVE row is never called a FAIL because another row failed.
 */
export function reasonOutcome(rows: readonly ContractRow[], reason: string): 'fail' | 'inconclusive' | undefined {
  if (groupedReasons(rows, 'fail').includes(reason)) return 'fail';
  if (groupedReasons(rows, 'inconclusive').includes(reason)) return 'inconclusive';
  return undefined;
}

/** Why, most important first: the target's failure, the failing rows, the unjudged ones, then what was not judged on a pass. */
export function acceptReasons(rows: readonly ContractRow[], targetFailure?: string): string[] {
  const reasons: string[] = [];
  if (targetFailure) reasons.push(targetFailure);
  reasons.push(...groupedReasons(rows, 'fail'), ...groupedReasons(rows, 'inconclusive'));
  const judgedAll = !targetFailure && !rows.some((r) => r.outcome === 'fail' || r.outcome === 'inconclusive');
  const notJudged = rows.filter((r) => r.outcome === 'not-judged');
  // The contracts the contract leaves out are one clause, not eight repeats of the same reason.
  const undeclared = notJudged.filter((r) => r.reason.startsWith(NOT_DECLARED));
  const others = notJudged.filter((r) => !r.reason.startsWith(NOT_DECLARED)).map((r) => `${r.contract} (${r.reason})`);
  if (undeclared.length > 0) others.push(`${undeclared.map((r) => r.contract).join(', ')} (${NOT_DECLARED}'s objectives)`);
  if (judgedAll && notJudged.length > 0) reasons.push(`not judged: ${others.join('; ')}`);
  return reasons;
}
