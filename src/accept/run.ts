// `sloctl accept`: the whole acceptance on one timeline and one target (issue 13). A composition,
// not a third copy of the gate or the drills:
//
//   0. the static dependency check (the code, no service needed);
//   1. a pass-through fault proxy in front of every dependency that has a url, and the service
//      started ONCE, pointed at them, with a fresh drill token;
//   2. the gate (src/gate/run.ts), attached: latency, errors, throughput, availability, memory,
//      concurrency, regression;
//   3. the drills (src/drill/run.ts), attached, their toxics on the same proxies: resilience;
//   4. the dependency timeouts: each dependency blackholed, the service must still answer in time;
//   5. the observability phase: the metrics the contract reads, and hostile requests' series;
//   6. the drift phase, last: a `drain` action ends the service by design.
// Then the pure fold (src/verdicts/accept.ts) into one row per contract and one outcome.
//
// Everything applied is registered with one Rollback (the target, the proxies; the phases register
// their toxics and faults), so Ctrl-C or SIGTERM undoes it first. An interrupted run keeps every
// phase it finished and names the ones it did not get to (their contracts are INCONCLUSIVE).
import { dirname, resolve } from 'node:path';
import type { Contract } from '../contract/schema.ts';
import { formatDuration } from '../contract/units.ts';
import { EXIT, sloctlCode, UsageError } from '../errors.ts';
import { FaultProxies, type FaultProxy } from '../faults/index.ts';
import { runGate } from '../gate/run.ts';
import { dependencyProxyRoute } from '../drill/plan.ts';
import { newDrillToken, runDrills, type DrillRunResult } from '../drill/run.ts';
import type { LoadProgress } from '../load/types.ts';
import { Journal, defaultJournalPath, journalPathProblem, targetLogPath } from '../run/journal.ts';
import type { GateProfile } from '../run/profile.ts';
import { writeBaseline, type BaselineRead } from '../run/baseline-file.ts';
import { Rollback } from '../run/rollback.ts';
import { startTarget, type RunningTarget } from '../run/target.ts';
import { contractMismatch, fileDigest, readServedConfig } from '../run/contract-match.ts';
import { spawnedBefore, TargetError } from '../run/target-error.ts';
import { DRILL_TOKEN_ENV } from '../sdk/drill/types.ts';
import { ACCEPT_PHASES, acceptReasons, judgeAccept, type AcceptInput, type AcceptOutcome, type AcceptPhase, type ContractRow, type PhaseVerdict } from '../verdicts/accept.ts';
import { makeBaseline } from '../verdicts/baseline.ts';
import { judgeDrills } from '../verdicts/drill.ts';
import type { GateReport } from '../verdicts/types.ts';

/** What a phase after the gate gets: the one running service, its proxies and token, the run's undo list. */
export interface PhaseContext {
  contract: Contract;
  /** The service's base URL (loopback, started by accept). */
  url: string;
  /** Pass-through proxies by dependency name, already listening; the service points at them. Accept removes them. */
  proxies: ReadonlyMap<string, FaultProxy>;
  /** The drill token the service was started with (its in-process faults, its evidence list). */
  token: string;
  rollback: Rollback;
  /** The contract's load rate (req/s), for phases that hold load. */
  rate: number;
  signal: AbortSignal;
  log: (line: string) => void;
  seed: number;
  allowRemote: false;
}

/** The phases accept composes besides the gate and the drills (the CLI wires the real ones; tests may stub). */
export interface AcceptPhaseRunners {
  staticDependencies?: (o: { contract: Contract; contractPath: string; dir: string }) => Promise<PhaseVerdict>;
  dependencyTimeouts?: (o: PhaseContext) => Promise<PhaseVerdict[]>;
  observability?: (o: PhaseContext) => Promise<PhaseVerdict>;
  drift?: (o: PhaseContext) => Promise<PhaseVerdict>;
}

export interface AcceptRunOptions {
  contract: Contract;
  contractFile: string;
  contractPath: string;
  profile: GateProfile;
  /** The drills' steady window before each fault (default the drill command's). */
  steadyMs?: number;
  /** The drills watch every recovery to its end (DrillRunOptions.fullRecoveryWatch, --full-recovery-watch). */
  fullRecoveryWatch?: boolean;
  baselinePath?: string;
  updateBaseline: boolean;
  journalPath?: string;
  commit?: string;
  seed?: number;
  /** The code the static dependency check reads (default: the contract's directory). */
  projectDir?: string;
  /** Phases to leave out (--skip): their contracts are INCONCLUSIVE, saying so. */
  skip?: readonly AcceptPhase[];
  phases: AcceptPhaseRunners;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (phase: string, p: LoadProgress) => void;
  /** Trap SIGINT/SIGTERM so they undo everything first (the CLI: yes; a test: no). Default true. */
  trapSignals?: boolean;
}

export interface AcceptPhaseRecord {
  phase: AcceptPhase;
  startedAt: number;
  finishedAt: number;
  /** pass / fail / inconclusive, or why it did not run. */
  result: string;
}

export interface AcceptReport {
  service: string;
  contractFile: string;
  outcome: AcceptOutcome;
  exitCode: number;
  reasons: string[];
  startedAt: number;
  finishedAt: number;
  /** As the drill report's: started (sloctl spawned `command`), reached (it said UP); see src/report/target.ts. */
  target: { url: string; started: boolean; reached: boolean; command?: string; log?: string };
  contracts: ContractRow[];
  phases: AcceptPhaseRecord[];
  staticDependencies?: PhaseVerdict;
  gate?: GateReport;
  drills?: DrillRunResult['report'];
  dependencyTimeouts?: PhaseVerdict[];
  observability?: PhaseVerdict;
  drift?: PhaseVerdict;
  /** Set when --update-baseline recorded this run's gate phase (only on an accepted run). */
  baselineUpdated?: string;
  journal: string;
}

export interface AcceptRunResult {
  report: AcceptReport;
  /** The drills' evidence and load, for the HTML timeline. */
  drillRun?: DrillRunResult;
}

export async function runAccept(o: AcceptRunOptions): Promise<AcceptRunResult> {
  const { contract, profile } = o;
  const log = o.log ?? (() => {});
  const startedAt = Date.now();
  const contractDir = dirname(o.contractPath);
  if (profile.rate === 'max') throw new UsageError(`${o.contractFile}: load.rate max is a closed model; accept's drills need an open model (a fixed rate) so that a slow service cannot slow the load down: give load.rate or --rate`);
  const t = contract.target;
  if (!t?.run) throw new UsageError(`${o.contractFile}: accept starts the service itself (one target for every phase, with fault proxies in front of its dependencies): add target.run to the contract`);
  const journalPath = o.journalPath ?? defaultJournalPath(contractDir, contract.service.name, new Date(startedAt));
  const journalProblem = journalPathProblem(journalPath);
  if (journalProblem !== undefined) throw new UsageError(`the run journal cannot be written: ${journalProblem}`);
  const journal = new Journal(journalPath);
  const skip = new Set(o.skip ?? []);
  const report: AcceptReport = {
    service: contract.service.name, contractFile: o.contractFile, outcome: 'inconclusive', exitCode: EXIT.INCONCLUSIVE, reasons: [],
    startedAt, finishedAt: startedAt, target: { url: '', started: false, reached: false, command: t.run }, contracts: [], phases: [], journal: journalPath,
  };
  journal.write('start', { command: 'accept', contract: o.contractFile, profile: { rate: profile.rate, durationMs: profile.durationMs, trials: profile.trials }, skip: [...skip] });

  const notReached: AcceptInput['notReached'] = {};
  const input: AcceptInput = { contract, notReached };
  const stop = new AbortController();
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    if (!stop.signal.aborted) stop.abort(new Error('interrupted'));
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // A signal is known at once (this listener runs before the rollback's, which undoes everything
  // first and only then reports): a phase that meanwhile sees its target stopped by that undoing
  // reports 'target-failed', which is the interruption, not the service's failure.
  let signalled = false;
  const markSignal = () => { signalled = true; };
  if (o.trapSignals !== false) for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, markSignal);
  const undoing = () => signalled || interrupted || rollback.started;
  const rollback = new Rollback({ timeoutMs: 10_000, log: (line) => { journal.write('rollback', { line }); log(line); } });
  const untrap = o.trapSignals === false ? () => {} : rollback.trap((signal, lines) => {
    journal.write('signal', { signal, undone: lines });
    onAbort();
  });

  /**
   * Runs one phase unless skipped, interrupted or the target is gone; records it either way. Its
   * start is said with `what` it will do, so a phase's first quiet seconds are never a mystery.
   */
  const phase = async <T>(name: AcceptPhase, what: string, run: () => Promise<T>, result: (x: T) => string): Promise<T | undefined> => {
    const at = Date.now();
    const why = skip.has(name) ? 'left out with --skip' : interrupted ? 'interrupted before it started' : input.targetFailure ? 'the target failed before it (the first reason says how)' : undefined;
    if (why !== undefined) {
      notReached[name] = why;
      report.phases.push({ phase: name, startedAt: at, finishedAt: at, result: `not run: ${why}` });
      journal.write('phase-skipped', { phase: name, why });
      return undefined;
    }
    log(`${name}: starting: ${what}`);
    journal.write('phase-start', { phase: name });
    const x = await run();
    const r = result(x);
    report.phases.push({ phase: name, startedAt: at, finishedAt: Date.now(), result: r });
    journal.write('phase-end', { phase: name, result: r });
    log(`${name}: ${r}`);
    return x;
  };

  const proxies = new FaultProxies({ seed: o.seed ?? 1, allowRemote: false });
  const byDependency = new Map<string, FaultProxy>();
  let running: RunningTarget | undefined;
  const token = newDrillToken();
  const seed = o.seed ?? 1;
  // The baseline as the gate phase read it: written over only if no other run wrote it since.
  let baselineRead: BaselineRead | undefined;
  try {
    // 0. The code: no service needed, and a finding here is worth knowing before minutes of load.
    if (o.phases.staticDependencies) {
      const dir = o.projectDir ?? contractDir;
      input.staticDependencies = report.staticDependencies = await phase('static dependency check', `reading the code under ${dir} for outbound calls without a timeout, and the dependencies it names through sloctl's SDK`, () => o.phases.staticDependencies!({ contract, contractPath: o.contractPath, dir }), (v) => v.outcome);
    } else notReached['static dependency check'] = 'not available in this build';

    // 1. Proxies, then the one target.
    const env: Record<string, string> = { ...(t.env ?? {}), [DRILL_TOKEN_ENV]: token };
    for (const dep of contract.dependencies) {
      const route = dependencyProxyRoute(dep);
      if ('reason' in route) {
        journal.write('proxy-none', { dependency: dep.name, reason: route.reason });
        continue;
      }
      const proxy = await proxies.create({ name: route.proxyName, upstream: route.upstream, listen: '127.0.0.1:0' });
      rollback.add(`remove the fault proxy ${proxy.name} (${proxy.listen} -> ${proxy.upstream})`, () => proxies.remove(proxy.name));
      byDependency.set(dep.name, proxy);
      env[route.env] = route.urlVia(proxy.listen);
      journal.write('proxy', { dependency: dep.name, listen: proxy.listen, upstream: proxy.upstream, env: { [route.env]: env[route.env] } });
    }
    const targetLog = targetLogPath(journalPath);
    log(`starting \`${t.run}\`; waiting up to ${formatDuration(t.startTimeout)} for ${t.health ?? '/healthz'} to say UP`);
    report.target = { url: '', started: true, reached: false, command: t.run, log: targetLog };
    try {
      running = await startTarget({ command: t.run, cwd: t.cwd ? resolve(contractDir, t.cwd) : contractDir, port: t.port, env, healthPath: t.health ?? '/healthz', startTimeoutMs: t.startTimeout, logFile: targetLog, signal: stop.signal });
    } catch (e) {
      if (interrupted) throw new Interrupted();
      if (e instanceof TargetError) {
        report.target.started = spawnedBefore(e.kind);
        input.targetFailure = e.message;
        log(`the target did not come up: ${e.message.split('\n')[0]}`);
        journal.write('target-failed', { kind: e.kind, message: e.message });
      } else throw e;
    }
    if (running) {
      const r = running;
      rollback.add(`stop the target \`${t.run}\` (PID ${r.pid})`, async () => { await r.stop(); });
      report.target = { url: r.url, started: true, reached: true, command: t.run, log: targetLog };
      journal.write('target-ready', { url: r.url, pid: r.pid, watchdog: r.watchdogPid });
      log(`target healthy at ${r.url}`);
      // The service's SDK follows the contract file it read: say so when that is not this one.
      const digest = fileDigest(o.contractPath);
      const mismatch = digest === undefined ? undefined : contractMismatch(await readServedConfig(r.url, t.health ?? '/healthz'), { file: resolve(o.contractPath), digest });
      if (mismatch !== undefined) {
        log(`warning: ${mismatch}`);
        journal.write('contract-mismatch', { message: mismatch });
      }
      // The drift phase may end the service on purpose (drain); anywhere else an exit is a failure.
      let driftRunning = false;
      r.onExit((e) => {
        if (driftRunning || rollback.started || interrupted) return;
        input.targetFailure ??= e.message;
        journal.write('target-failed', { kind: e.kind, message: e.message });
        stop.abort(e);
      });
      const url = r.url;
      const childEnv = { ...(o.env ?? process.env), [DRILL_TOKEN_ENV]: token };

      // 2. The gate, attached.
      const gate = await phase('gate', gateWhat(profile), () => runGate({
        contract, contractFile: o.contractFile, contractPath: o.contractPath, profile, target: url, allowRemote: false,
        // The baseline is recorded by accept itself, and only when the whole acceptance passes.
        baselinePath: o.baselinePath, updateBaseline: false, onBaselineRead: (r) => { baselineRead = r; }, journalPath, commit: o.commit, seed, signal: stop.signal,
        env: childEnv, log: (line) => log(`gate: ${line}`), onProgress: o.onProgress ? (p, x) => o.onProgress!(`gate ${p}`, x) : undefined,
      }), (g) => g.outcome);
      if (gate) {
        input.gate = report.gate = gate;
        if (gate.outcome === 'target-failed') {
          if (undoing()) interrupted = true;
          else input.targetFailure ??= gate.reasons[0] ?? 'the target failed during the gate';
        }
        if (gate.outcome === 'inconclusive' && stop.signal.aborted) interrupted = true;
      }

      // 3. The drills, attached, on the same proxies.
      let drillRun: DrillRunResult | undefined;
      if (contract.objectives.resilience) {
        // The gate phase has just warmed the service (when it ran): the drills' load needs a second, not the whole warm-up again.
        const drillProfile = gate ? { ...profile, warmupMs: Math.min(profile.warmupMs, 1000) } : profile;
        const drills = contract.objectives.resilience.drills.map((d) => d.name);
        drillRun = await phase('drills', `${drills.length === 1 ? '1 drill' : `${drills.length} drills, one after the other`}: ${drills.join(', ')}`, () => runDrills({
          contract, contractFile: o.contractFile, contractPath: o.contractPath, profile: drillProfile, target: url, attachedProxies: byDependency,
          steadyMs: o.steadyMs, fullRecoveryWatch: o.fullRecoveryWatch, allowRemote: false, journalPath, seed, env: childEnv, signal: stop.signal, judge: judgeDrills, trapSignals: false,
          log: (line) => log(`drills: ${line}`), onProgress: o.onProgress ? (p, x) => o.onProgress!(`drill ${p}`, x) : undefined,
        }), (d) => d.report.outcome);
        if (drillRun) {
          const d = drillRun.report;
          report.drills = d;
          if (d.outcome === 'target-failed' && d.targetFailureKind === 'unhealthy' && r.isAlive() && !undoing()) {
            // Running, but not UP after the gate (a failing service says so: DEGRADED): the drills
            // attack a healthy service only, so they are not judged; it is no target failure, and
            // the phases after them still run (the dependency phase waits for UP itself).
            input.drills = { outcome: 'inconclusive', drills: [], reasons: [`the drills need a service that says UP, and after the gate it did not: ${d.reasons[0] ?? 'not UP'}`], resilienceScore: NaN };
          } else if (d.outcome === 'target-failed' && undoing()) {
            // The target was stopped by the undoing of an interrupted run: the drills are unjudged, not failed.
            interrupted = true;
            // A failure measured before the signal stands; a pass is not one (the drill may not have finished its recovery watch).
            const unjudged = (x: (typeof d.drills)[number]) => ({ ...x, outcome: 'inconclusive' as const, reasons: ['interrupted during the drills: what was measured does not make a pass', ...x.reasons] });
            input.drills = { outcome: 'inconclusive', drills: d.drills.map((x) => (x.outcome === 'fail' ? x : unjudged(x))), reasons: ['interrupted during the drills'], resilienceScore: d.resilienceScore };
          } else {
            input.drills = { outcome: d.outcome, drills: d.drills, reasons: d.reasons, resilienceScore: d.resilienceScore };
            if (d.outcome === 'target-failed') input.targetFailure ??= d.reasons[0] ?? 'the target failed during the drills';
          }
        }
      }

      const ctx: PhaseContext = { contract, url, proxies: byDependency, token, rollback, rate: profile.rate as number, signal: stop.signal, log, seed, allowRemote: false };
      /** The context with the phase's lines named by it, as the gate's and the drills' are. */
      const named = (name: AcceptPhase): PhaseContext => ({ ...ctx, log: (line) => log(`${name}: ${line}`) });
      // 4. Each dependency blackholed: the service must still answer within its timeout.
      if (declaresDependencies(contract)) {
        if (o.phases.dependencyTimeouts) {
          const deps = contract.dependencies.map((d) => d.name);
          const v = await phase('dependency timeouts', `${deps.join(', ')} blackholed one at a time under load; each must still be answered within its timeout`, () => o.phases.dependencyTimeouts!(named('dependency timeouts')), (vs) => vs.map((x) => `${x.name} ${x.outcome}`).join(', ') || 'no dependency');
          if (v) input.dependencyTimeouts = report.dependencyTimeouts = v;
        } else notReached['dependency timeouts'] = 'not available in this build';
      }
      // 5. Observability: the metrics the contract reads, and the series hostile requests leave.
      if (contract.objectives.observability) {
        if (o.phases.observability) {
          const v = await phase('observability', 'the metrics the contract reads, and the series hostile requests leave', () => o.phases.observability!(named('observability')), (x) => x.outcome);
          if (v) input.observability = report.observability = v;
        } else notReached.observability = 'not available in this build';
      }
      // 6. Drift, last: its action may shed for a while, or drain the service for good.
      if (contract.objectives.drift) {
        if (o.phases.drift) {
          const v = await phase('drift', `a signal pushed past its drift threshold; the responder must ${contract.objectives.drift.action}`, async () => {
            driftRunning = true;
            try {
              // (Its lines name the phase themselves: "drift: ...".)
              return await o.phases.drift!(ctx);
            } finally {
              driftRunning = false;
            }
          }, (x) => x.outcome);
          if (v) input.drift = report.drift = v;
        } else notReached.drift = 'not available in this build';
      }
      return { report: done(), drillRun };
    }
    return { report: done() };
  } catch (e) {
    if (!(e instanceof Interrupted)) {
      await rollback.run('accept stopped on an error').catch(() => undefined);
      untrap();
      journal.close();
      throw e;
    }
    return { report: done() };
  } finally {
    // Joins a rollback a signal started (run() is idempotent): the journal closes only once everything is undone.
    await rollback.run('accept finished');
    await proxies.close().catch(() => undefined);
    untrap();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.removeListener(sig, markSignal);
    o.signal?.removeEventListener('abort', onAbort);
    // (After an error the journal is closed already: a write after close() is ignored.)
    journal.write('end', { outcome: report.outcome, exitCode: report.exitCode, reasons: report.reasons, contracts: report.contracts });
    journal.close();
  }

  function done(): AcceptReport {
    if (signalled) interrupted = true;
    // Every phase not reached by now (interrupted, the target gone) is named in the rows it leaves unjudged.
    for (const p of ACCEPT_PHASES.filter((x) => x !== 'static dependency check')) {
      const ran = report.phases.some((x) => x.phase === p);
      if (!ran && notReached[p] === undefined && needs(contract, p)) notReached[p] = interrupted ? 'interrupted before it started' : input.targetFailure ? 'the target failed before it (the first reason says how)' : 'not reached';
    }
    const v = judgeAccept(input);
    report.contracts = v.rows;
    report.outcome = interrupted && v.outcome === 'pass' ? 'inconclusive' : v.outcome;
    report.exitCode = interrupted && v.outcome === 'pass' ? EXIT.INCONCLUSIVE : v.exitCode;
    report.reasons = interrupted ? ['interrupted: what was measured is kept; the phases not reached are named below', ...v.reasons] : v.reasons;
    if (o.updateBaseline && o.baselinePath !== undefined) {
      const gate = input.gate;
      if (report.outcome === 'pass' && gate && gate.trials.length > 0) {
        try {
          writeBaseline(o.baselinePath, makeBaseline({ service: contract.service.name, profile: gate.profile, trials: gate.trials, commit: o.commit }), o.baselinePath, baselineRead);
        } catch (e) {
          // Another run wrote it since the gate phase read it: theirs stays; asked to record one, this run did not.
          // Or it could not be written: the run's report is kept all the same.
          if (sloctlCode(e) !== 'SLOCTL_BASELINE' && !(e instanceof UsageError)) throw e;
          report.outcome = 'inconclusive';
          report.exitCode = EXIT.INCONCLUSIVE;
          report.reasons = [`the acceptance passed, but ${e instanceof UsageError ? `no baseline was recorded: ${e.message}` : (e as Error).message}`, ...report.reasons];
          report.finishedAt = Date.now();
          return report;
        }
        report.baselineUpdated = o.baselinePath;
        journal.write('baseline-updated', { path: o.baselinePath });
        const row = report.contracts.find((r) => r.contract === 'regression');
        if (row && row.outcome === 'not-judged' && row.checks.length === 0) row.reason = `no baseline before this run; this run's gate phase is now the baseline (${o.baselinePath})`;
        report.reasons = [...acceptReasons(report.contracts), `baseline updated: ${o.baselinePath}`];
      } else report.reasons.push(`baseline not updated at ${o.baselinePath}: the acceptance did not pass`);
    }
    report.finishedAt = Date.now();
    return report;
  }
}

class Interrupted extends Error {}

/** "warm-up 5s, then 6s of load at 200/s in 3 trials". */
function gateWhat(p: GateProfile): string {
  const trials = p.trials > 1 ? ` in ${p.trials} trials` : '';
  const rate = p.rate === 'max' ? 'max rate' : `${p.rate}/s`;
  return `${p.warmupMs > 0 ? `warm-up ${formatDuration(p.warmupMs)}, then ` : ''}${formatDuration(p.durationMs)} of load at ${rate}${trials}`;
}

function declaresDependencies(c: Contract): boolean {
  return c.dependencies.length > 0;
}

/** Whether the contract has anything for this phase to judge. */
function needs(c: Contract, p: AcceptPhase): boolean {
  switch (p) {
    case 'drills': return c.objectives.resilience !== undefined;
    case 'dependency timeouts': return declaresDependencies(c);
    case 'observability': return c.objectives.observability !== undefined;
    case 'drift': return c.objectives.drift !== undefined;
    default: return true;
  }
}
