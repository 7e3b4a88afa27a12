// `sloctl drill`: start (or attach to) the service once, hold the contract's load on it, and run the
// selected drills one after the other on that one timeline: a steady window, the fault applied for
// the drill's duration, the fault removed (and checked gone), recovery watched. The measuring is
// here; the verdict is the drill judge's (src/verdicts/drill.ts), from the evidence built below.
//
// One clock: every time is read from one monotonic clock (monotonicClock: anchored to the wall clock
// once), and the timeline's origin is the moment the load's schedule started (LoadOptions.onStart),
// so client slices, scrapes, health probes and phase marks line up on one axis (drill-types.ts).
//
// Phases are scheduled at fixed offsets from the origin, so time spent applying a fault never
// pushes later phases off the load's schedule, and the load is sized to end with the last phase.
//
// Everything applied is registered with a Rollback the moment it exists (the target, every proxy,
// every toxic, every in-process fault), so an exception, Ctrl-C or SIGTERM undoes it first. If
// sloctl is killed outright, the watchdog stops the target it started (src/run/target.ts), the
// proxies die with sloctl, and in-process faults expire by themselves (the SDK caps their duration).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Contract, Drill } from '../contract/schema.ts';
import { HTTP_ROLES, GO_RUNTIME_ROLES, NODE_RUNTIME_ROLES } from '../contract/metric-names.ts';
import { formatDuration } from '../contract/units.ts';
import { EXIT, UsageError } from '../errors.ts';
import { FaultProxies, type FaultProxy } from '../faults/index.ts';
import { wait } from '../faults/wait.ts';
import { runLoad } from '../load/run.ts';
import { phaseSeed } from '../load/prng.ts';
import type { LoadProgress, LoadResult, LoadSlice } from '../load/types.ts';
import { monotonicClock } from '../observe/scraper.ts';
import { endpointUrl } from '../run/health.ts';
import { Journal, defaultJournalPath, journalPathProblem, targetLogPath } from '../run/journal.ts';
import type { GateProfile } from '../run/profile.ts';
import { Rollback } from '../run/rollback.ts';
import { ServiceWatch } from '../run/service-watch.ts';
import { attachTarget, attachUrl, describeStop, HealthWatcher, startTarget, type RunningTarget } from '../run/target.ts';
import { spawnedBefore, TargetError } from '../run/target-error.ts';
import { DrillClient, DrillClientError } from '../sdk/drill/client.ts';
import { DRILL_TOKEN_ENV } from '../sdk/drill/types.ts';
import { CONCURRENCY_SIGNALS } from '../verdicts/concurrency.ts';
import { RECOVERY_WINDOW_MS, recoveryHeld, steadyGuardMs, type RecoveryMemo } from '../verdicts/drill.ts';
import type { ServiceEvidenceFile } from '../verdicts/types.ts';
import { windowGenerator } from '../verdicts/window-generator.ts';
import type {
  DependencySample, DependencyTrafficSample, DrillEvidence, DrillOutcome, DrillReport, FaultApplication, HealthSample, SaturationSample, ServiceSnapshot,
} from '../verdicts/drill-types.ts';
import { planDrill, type DrillPlan } from './plan.ts';
import { EXAMPLE_CONTRACT } from '../contract/example-path.ts';
import type { FailingCheck } from '../verdicts/health.ts';

/** `{ windowMs }`: the longest span of recent requests a failing check judged, when the health body says. */
function windowOf(failing: readonly FailingCheck[] | undefined): { windowMs?: number } {
  const w = Math.max(0, ...(failing ?? []).map((f) => f.windowMs ?? 0));
  return w > 0 ? { windowMs: w } : {};
}

export interface DrillRunOptions {
  contract: Contract;
  /** The contract file as the user named it, and its absolute path. */
  contractFile: string;
  contractPath: string;
  profile: GateProfile;
  /** Drill names to run (--drill, repeatable); all the contract's drills when empty or absent. */
  drills?: readonly string[];
  /** Attach to this URL instead of starting `target.run`. */
  target?: string;
  /** Attach mode: where the service was pointed for each dependency (--proxy NAME=HOST:PORT): the proxy listens there. */
  proxies?: Readonly<Record<string, string>>;
  /**
   * Attach mode inside `sloctl accept`: pass-through proxies that already listen in front of
   * dependencies (by dependency name), the service already pointed at them. The drills add their
   * toxics to these and leave the proxies to their owner (accept removes them when it ends).
   */
  attachedProxies?: ReadonlyMap<string, FaultProxy>;
  /** The steady window before each fault (--steady). Default 10 s. */
  steadyMs?: number;
  /**
   * Watch every recovery for its whole recoverWithin plus RECOVERY_TAIL_MS (--full-recovery-watch),
   * even once the service is seen holding its objectives again. Default false: the watch ends
   * when recoveryHeld says so, and the next drill starts that much sooner.
   */
  fullRecoveryWatch?: boolean;
  allowRemote: boolean;
  journalPath?: string;
  seed?: number;
  /** sloctl's own environment: SLOCTL_DRILL_TOKEN for in-process drills on an attached service. */
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C: stops the run; what was measured is kept and the outcome is INCONCLUSIVE. */
  signal?: AbortSignal;
  /** One-line status messages (which drill, which phase, for how long). */
  log?: (line: string) => void;
  /** The load's progress, about once a second, with the phase it is in ("payments-slow: fault, 12s left"). */
  onProgress?: (phase: string, p: LoadProgress) => void;
  /** The drill judge over every drill's evidence (src/verdicts/drill.ts judgeDrills; the CLI passes it). */
  judge: (contract: Contract, evidence: DrillEvidence[]) => DrillReport;
  /** Trap SIGINT/SIGTERM so they undo every fault first (the CLI: yes; a test calling this: no). Default true. */
  trapSignals?: boolean;
}

export type DrillRunOutcome = DrillOutcome | 'target-failed';

/** The judge's report, with how the run went: what the CLI prints and writes. */
export interface DrillRunReport extends Omit<DrillReport, 'outcome'> {
  outcome: DrillRunOutcome;
  exitCode: number;
  contractFile: string;
  startedAt: number;
  finishedAt: number;
  /**
   * url: where the service answered, or the --target URL; started: sloctl spawned `command` (even
   * if it never said UP); reached: its health endpoint said UP (src/report/target.ts says which).
   */
  target: { url: string; started: boolean; reached: boolean; command?: string; log?: string };
  profile: { rate: number | 'max'; warmupMs: number; steadyMs: number; connections: number; sliceMs: number };
  generator?: LoadResult['generator'];
  /** With outcome 'target-failed': how (TargetError's kind: 'unhealthy' is a running service that did not say UP). */
  targetFailureKind?: TargetError['kind'];
  journal: string;
}

export interface DrillRunResult {
  report: DrillRunReport;
  evidence: DrillEvidence[];
  load?: LoadResult;
}

/** Client slices: fine enough for detection and recovery times, coarse enough to keep the journal small. */
export const SLICE_MS = 500;
export const PROBE_INTERVAL_MS = 250;
export const SCRAPE_INTERVAL_MS = 1000;
export const DEFAULT_STEADY_MS = 10_000;
/**
 * Recovery is watched this long past recoverWithin, so "recovered and kept holding" can be seen;
 * and a watch ends early only once the service has held for a judged window and this much more.
 */
export const RECOVERY_TAIL_MS = 3000;
/** Scrapes and probes this far outside a drill's window go into its evidence (the one before its start, to difference against). */
const EDGE_MS = 2000;

/** A fresh drill token for a service sloctl starts: its drill endpoint answers sloctl alone (the in-process faults, the evidence list). */
export function newDrillToken(): string {
  return randomBytes(24).toString('hex');
}

const MEMORY_SIGNALS = new Set(['heap', 'rss']);

/**
 * The evidence files the service's saturation monitor wrote between `fromMs` and `toMs` (epoch ms,
 * by the crossing's time), from its drill endpoint. Never throws: a service without a drill
 * endpoint (404), without a monitor ([]), or that does not answer has none to name (`note` says
 * why for the journal). The directory is the one the endpoint gives; else `guessDir` (where the
 * contract's evidence.dir points) when the file is there; else unknown.
 */
export async function readServiceEvidence(o: { url: string; token: string; fromMs: number; toMs: number; guessDir?: string; healthPath?: string }): Promise<{ files: ServiceEvidenceFile[]; note?: string }> {
  let listed: Array<{ file: string; signal: string; level: 'warn' | 'critical'; bytes: number; at: string; dir?: string }>;
  try {
    listed = await new DrillClient({ url: o.url, token: o.token, timeoutMs: 3000, healthPath: o.healthPath }).evidence();
  } catch (e) {
    return { files: [], note: (e as Error).message };
  }
  if (!Array.isArray(listed)) return { files: [], note: 'the evidence list is not a JSON array' };
  const files: ServiceEvidenceFile[] = [];
  for (const f of listed) {
    const at = Date.parse(f?.at);
    if (typeof f?.file !== 'string' || !Number.isFinite(at) || at < o.fromMs || at > o.toMs) continue;
    const dir = typeof f.dir === 'string' && isAbsolute(f.dir) ? f.dir : o.guessDir !== undefined && existsSync(join(o.guessDir, f.file)) ? o.guessDir : undefined;
    files.push({ file: f.file, ...(dir !== undefined ? { dir } : {}), signal: String(f.signal), level: f.level === 'critical' ? 'critical' : 'warn', objective: MEMORY_SIGNALS.has(f.signal) ? 'memory' : 'concurrency', bytes: Number(f.bytes) || 0, at: f.at });
  }
  return { files };
}

/** Where a service started from this contract writes evidence by default: evidence.dir, relative to the contract file. */
export function contractEvidenceDir(contract: Contract, contractDir: string): string {
  return resolve(contractDir, contract.evidence?.dir ?? '.sloctl/evidence');
}

/** Whether a Node service under this contract captures saturation evidence (thresholds set, capture not `none`; the SDK's saturationSignals). */
export function contractCapturesEvidence(contract: Contract): boolean {
  const m = contract.objectives.memory;
  const k = contract.objectives.concurrency;
  const memory = m !== undefined && m.capture !== 'none' && (m.heap !== undefined || m.rss !== undefined);
  const concurrency = k !== undefined && k.capture !== 'none' && [k.eventLoopDelay, k.eventLoopUtilization, k.inFlight, k.handles].some((t) => t !== undefined);
  return memory || concurrency;
}

/** The drills to run, by name; an unknown name is a usage error listing the names there are. */
export function selectDrills(contract: Contract, names: readonly string[] | undefined): Drill[] {
  const all = contract.objectives.resilience?.drills ?? [];
  if (all.length === 0) throw new UsageError(`the contract declares no drills: add objectives.resilience.drills (see ${EXAMPLE_CONTRACT})`);
  if (!names || names.length === 0) return all;
  const out: Drill[] = [];
  for (const n of names) {
    const d = all.find((x) => x.name === n);
    if (!d) throw new UsageError(`--drill ${n}: the contract has no drill of that name; it has ${all.map((x) => x.name).join(', ')}`);
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

/** A drill scheduled on the timeline (offsets from the origin, ms), with what running it needs. */
interface Scheduled {
  drill: Drill;
  plan: DrillPlan;
  /** Why it cannot run (from the plan, or from attach mode without a proxy or a token); the fix. */
  unrunnable?: { reason: string; fix: string };
  steadyFromMs: number;
  faultAtMs: number;
  removeAtMs: number;
  endMs: number;
  /** What happened, in clock ms (origin-relative once the run ends). */
  applied?: FaultApplication;
  actualFaultAtMs?: number;
  actualRemovedAtMs?: number;
  removed: { ok: boolean; detail: string };
}

export async function runDrills(options: DrillRunOptions): Promise<DrillRunResult> {
  // The contract's target.url attaches as --target does, when there is no target.run to start.
  const o = { ...options, target: attachUrl(options.target, options.contract.target) };
  const { contract, profile } = o;
  const log = o.log ?? (() => {});
  const env = o.env ?? process.env;
  const startedAt = Date.now();
  const contractDir = dirname(o.contractPath);
  const steadyMs = o.steadyMs ?? DEFAULT_STEADY_MS;
  const selected = selectDrills(contract, o.drills);
  for (const name of Object.keys(o.proxies ?? {})) {
    if (!contract.dependencies.some((d) => d.name === name)) throw new UsageError(`--proxy ${name}=...: the contract declares no dependency ${name}; it declares ${contract.dependencies.map((d) => d.name).join(', ') || 'none'}`);
  }
  if (o.proxies && Object.keys(o.proxies).length > 0 && o.target === undefined) throw new UsageError('--proxy is for --target (attach mode): when sloctl starts the service it places the proxies itself');

  const journalPath = o.journalPath ?? defaultJournalPath(contractDir, contract.service.name, new Date(startedAt));
  const journalProblem = journalPathProblem(journalPath);
  if (journalProblem !== undefined) throw new UsageError(`the run journal cannot be written: ${journalProblem}`);
  const journal = new Journal(journalPath);
  const report: DrillRunReport = {
    service: contract.service.name,
    outcome: 'inconclusive',
    resilienceScore: NaN,
    scoreRule: '',
    drills: [],
    reasons: [],
    exitCode: EXIT.INCONCLUSIVE,
    contractFile: o.contractFile,
    startedAt,
    finishedAt: startedAt,
    target: { url: o.target ?? '', started: false, reached: false },
    profile: { rate: profile.rate, warmupMs: profile.warmupMs, steadyMs, connections: profile.connections, sliceMs: SLICE_MS },
    journal: journalPath,
    evidence: [],
  };
  journal.write('start', { command: 'drill', contract: o.contractFile, drills: selected.map((d) => d.name), profile: report.profile, target: o.target ?? contract.target?.run });

  // 1. Plans, and what attach mode cannot do.
  const attach = o.target !== undefined;
  // How to let sloctl start the service instead: drop the flag, or (attached through the
  // contract's target.url, no flag given) give the contract a target.run.
  const startInstead = options.target !== undefined
    ? 'or let sloctl start it (drop --target)'
    : `or let sloctl start it: give the contract \`target.run: <command>\` (it attached to target.url, ${o.target}, because the contract has no target.run)`;
  const plans = selected.map((drill) => ({ drill, plan: planDrill(contract, drill) }));
  const unrunnable = new Map<string, { reason: string; fix: string }>();
  let token: string | undefined;
  for (const { drill, plan } of plans) {
    if (plan.kind === 'unrunnable') unrunnable.set(drill.name, { reason: plan.reason, fix: plan.fix });
    else if (plan.kind === 'proxy' && attach && o.proxies?.[plan.dependency.name] === undefined && !o.attachedProxies?.has(plan.dependency.name)) {
      unrunnable.set(drill.name, {
        reason: `sloctl attached to ${o.target} and cannot set the service's ${plan.env}, so it cannot put a fault proxy in front of ${plan.dependency.name}`,
        fix: `start the service with ${plan.env} pointing at a free local port (e.g. ${plan.env}=${plan.urlVia(`127.0.0.1:${examplePort(plan.upstream)}`)}) and pass --proxy ${plan.dependency.name}=127.0.0.1:${examplePort(plan.upstream)}; ${startInstead}`,
      });
    } else if (plan.kind === 'in-process') {
      if (!attach) token ??= newDrillToken();
      else if ((env[DRILL_TOKEN_ENV] ?? '') === '') {
        unrunnable.set(drill.name, {
          reason: `sloctl attached to ${o.target} and has no drill token for the service's in-process faults`,
          fix: `start the service with ${DRILL_TOKEN_ENV} set (at least 16 characters) and run sloctl drill with the same ${DRILL_TOKEN_ENV} in its environment; ${startInstead}`,
        });
      } else token = env[DRILL_TOKEN_ENV];
    }
  }

  // A started service gets a token whatever the drills: its drill endpoint also lists the
  // saturation evidence it wrote, which the report names. Attached: only with the user's token.
  if (!attach) token ??= newDrillToken();
  const evidenceToken = attach ? (env[DRILL_TOKEN_ENV] || undefined) : token;

  // 2. The timeline: warm-up, then each runnable drill's steady window, fault and recovery watch.
  // The judge ends the steady window a guard before the fault (one slice or the largest latency
  // threshold: requests in flight when the fault starts are not steady state), so the guard is
  // scheduled on top: the window judged is the --steady asked for.
  const guardMs = steadyGuardMs(contract, SLICE_MS);
  let cursor = profile.warmupMs;
  const schedule: Scheduled[] = plans.map(({ drill, plan }) => {
    const cannot = unrunnable.get(drill.name);
    if (cannot) return { drill, plan, unrunnable: cannot, steadyFromMs: cursor, faultAtMs: cursor, removeAtMs: cursor, endMs: cursor, removed: { ok: true, detail: 'nothing was applied' } };
    const faultAtMs = cursor + steadyMs + guardMs;
    const s: Scheduled = { drill, plan, steadyFromMs: cursor, faultAtMs, removeAtMs: faultAtMs + drill.duration, endMs: faultAtMs + drill.duration + drill.recoverWithin + RECOVERY_TAIL_MS, removed: { ok: false, detail: 'not checked' } };
    cursor = s.endMs;
    return s;
  });
  const runnable = schedule.filter((s) => !s.unrunnable);
  // The load is sized for every watch at its longest; a watch that ends early (recoveryHeld) moves
  // the later drills up and shortens the timeline, and the load stops when the drills are over.
  const plannedMs = cursor;
  let totalMs = cursor;
  for (const s of schedule) if (s.unrunnable) journal.write('drill-unrunnable', { drill: s.drill.name, ...s.unrunnable });

  // 10 s a step: stopping the target alone may take its 5 s grace and then SIGKILL; 5 s made a
  // target that was being stopped read "FAILED to undo stop the target".
  const rollback = new Rollback({ timeoutMs: 10_000, log: (line) => { journal.write('rollback', { line }); log(line); } });
  const stop = new AbortController();
  let interrupted = false;
  /** What a signal's rollback said (it runs before the run hears of the signal): a fault's removal is judged on it. */
  let trapLines: string[] = [];
  const onUserAbort = () => {
    interrupted = true;
    stop.abort(new Error('interrupted'));
  };
  o.signal?.addEventListener('abort', onUserAbort, { once: true });
  // Ctrl-C / SIGTERM: every fault is undone before anything else happens, then the run winds down.
  const untrap = o.trapSignals === false ? () => {} : rollback.trap((signal, lines) => {
    journal.write('signal', { signal, undone: lines });
    trapLines = lines;
    onUserAbort();
  });

  let running: RunningTarget | undefined;
  let targetFailure: TargetError | undefined;
  const proxies = new FaultProxies({ seed: o.seed ?? 1, allowRemote: o.allowRemote });
  const proxyByDependency = new Map<string, FaultProxy>();
  const clock = monotonicClock();
  const health: Array<HealthSample & { atClock: number }> = [];
  const services: Array<ServiceSnapshot & { atClock: number }> = [];
  const depSamples: Array<DependencySample & { atClock: number }> = [];
  const saturation: Array<SaturationSample & { atClock: number }> = [];
  const traffic = new Map<string, Array<DependencyTrafficSample & { atClock: number }>>();
  let load: LoadResult | undefined;
  let origin: number | undefined;
  let watcher: HealthWatcher | undefined;
  let scrapeTimer: NodeJS.Timeout | undefined;
  let scraping: Promise<void> | undefined;
  const targetNotes: string[] = [];

  const finish = (outcome: DrillRunOutcome, exitCode: number, reasons: string[]): DrillRunResult => {
    report.outcome = outcome;
    report.exitCode = exitCode;
    report.reasons.unshift(...reasons);
    report.finishedAt = Date.now();
    journal.write('end', { outcome, exitCode, resilienceScore: report.resilienceScore, reasons: report.reasons });
    journal.close();
    return { report, evidence: evidenceList, load };
  };
  let evidenceList: DrillEvidence[] = [];

  try {
    // 3. Proxies first (the service is started pointing at them), each registered for undoing at once.
    const targetEnv: Record<string, string> = { ...(contract.target?.env ?? {}) };
    for (const s of runnable) {
      if (s.plan.kind !== 'proxy' || proxyByDependency.has(s.plan.dependency.name)) continue;
      const dep = s.plan.dependency.name;
      const owned = o.attachedProxies?.get(dep);
      if (owned) {
        // The owner's proxy: the drill's toxics are undone per drill; the proxy stays.
        proxyByDependency.set(dep, owned);
        traffic.set(dep, []);
        journal.write('proxy', { dependency: dep, listen: owned.listen, upstream: owned.upstream, owner: 'accept' });
        continue;
      }
      const listen = attach ? o.proxies![dep] : '127.0.0.1:0';
      let proxy: FaultProxy;
      try {
        proxy = await proxies.create({ name: s.plan.proxyName, upstream: s.plan.upstream, listen });
      } catch (e) {
        throw new UsageError(`the fault proxy for ${dep} cannot listen on ${listen} in front of ${s.plan.upstream}: ${(e as Error).message}${attach ? ` (fix --proxy ${dep}=HOST:PORT)` : ''}`);
      }
      // Not swallowed: a proxy that would not close is a FAILED line of the rollback, and the report says so.
      rollback.add(`remove the fault proxy ${proxy.name} (${proxy.listen} -> ${proxy.upstream})`, () => proxies.remove(proxy.name));
      proxyByDependency.set(dep, proxy);
      traffic.set(dep, []);
      targetEnv[s.plan.env] = s.plan.urlVia(proxy.listen);
      journal.write('proxy', { dependency: dep, listen: proxy.listen, upstream: proxy.upstream, env: attach ? undefined : { [s.plan.env]: targetEnv[s.plan.env] } });
      log(`fault proxy for ${dep}: ${proxy.listen} -> ${proxy.upstream}${attach ? '' : ` (${s.plan.env}=${targetEnv[s.plan.env]})`}`);
    }
    if (!attach && token !== undefined) targetEnv[DRILL_TOKEN_ENV] = token;

    // 4. The target: attach, or start `run` with the proxies' addresses and the drill token.
    const healthPath = contract.target?.health ?? '/healthz';
    let baseUrl: string;
    try {
      if (attach) baseUrl = (await attachTarget(o.target!, healthPath, o.allowRemote)).url;
      else {
        const t = contract.target;
        if (!t?.run) throw new TargetError('spawn', 'the contract has no target.run command and no --target URL was given: add `target: {run: ...}` or pass --target URL');
        log(`starting \`${t.run}\``);
        const targetLog = targetLogPath(journalPath);
        // Named before the start: a command that fails to come up is still the one sloctl started.
        report.target = { url: '', started: true, reached: false, command: t.run, log: targetLog };
        running = await startTarget({ command: t.run, cwd: t.cwd ? resolve(contractDir, t.cwd) : contractDir, port: t.port, env: targetEnv, healthPath, startTimeoutMs: t.startTimeout, logFile: targetLog, signal: stop.signal });
        const r = running;
        rollback.add(`stop the target \`${t.run}\` (PID ${r.pid})`, async () => { await r.stop(); });
        baseUrl = r.url;
        if (!r.listener.verified) targetNotes.push(r.listener.note);
      }
    } catch (e) {
      // Interrupted first: a start cut short by Ctrl-C is no target failure, whatever it threw.
      if (interrupted && stop.signal.aborted) {
        await rollback.run('interrupted');
        return finish('inconclusive', EXIT.INCONCLUSIVE, ['interrupted while the target was starting; it was stopped']);
      }
      if (e instanceof TargetError) {
        if (!attach) report.target.started = spawnedBefore(e.kind);
        journal.write('target-failed', { kind: e.kind, message: e.message });
        await rollback.run('the target failed to start');
        report.targetFailureKind = e.kind;
        return finish('target-failed', EXIT.TARGET, [e.message]);
      }
      if (stop.signal.aborted) {
        await rollback.run('interrupted');
        return finish('inconclusive', EXIT.INCONCLUSIVE, ['interrupted while the target was starting; it was stopped']);
      }
      throw e;
    }
    report.target.url = baseUrl;
    report.target.reached = true;
    journal.write('target-ready', { url: baseUrl, pid: running?.pid, watchdog: running?.watchdogPid });
    log(`target healthy at ${baseUrl}`);

    const failTarget = (e: TargetError) => {
      // Once the run is being undone (a signal's rollback stops the target; the drills ended), a
      // target that stops answering is that undoing, not a failure: the outcome stays INCONCLUSIVE
      // (exit 4) for Ctrl-C, never a racy exit 3.
      if (targetFailure || interrupted || rollback.started) return;
      targetFailure = e;
      journal.write('target-failed', { kind: e.kind, message: e.message });
      stop.abort(e);
    };
    running?.onExit((e) => failTarget(e));
    const drillClient = token !== undefined ? new DrillClient({ url: baseUrl, token, healthPath }) : undefined;

    // 5. Watching: health every 250 ms, metrics and proxy traffic every second, all on `clock`.
    watcher = new HealthWatcher({
      url: endpointUrl(baseUrl, healthPath),
      intervalMs: PROBE_INTERVAL_MS,
      onUnresponsive: (e) => failTarget(e),
      onProbe: (p) => health.push({ atClock: clock() - p.ms, atMs: 0, state: p.state, failing: (p.body?.failing ?? []).map((f) => (f.reason ? `${f.name}: ${f.reason}` : f.name)), ...windowOf(p.body?.failing) }),
    });
    watcher.start();
    // Registered after the target, so undone before it (newest first): the prober must not watch
    // the target being stopped and call it unresponsive. The scrapes stop with it, and so does the
    // load: its keep-alive connections would hold a target's graceful close until the grace ends.
    const w = watcher;
    rollback.add('stop the load and watching the target (health probes, scrapes)', async () => {
      if (scrapeTimer) clearTimeout(scrapeTimer);
      scrapeTimer = undefined;
      if (!stop.signal.aborted) stop.abort(new Error('the run is being undone'));
      await w.stop();
    });
    const watch = new ServiceWatch(contract, {
      metricsUrl: endpointUrl(baseUrl, contract.target?.metrics ?? '/metrics'),
      intervalMs: SCRAPE_INTERVAL_MS,
      timeoutMs: 2000,
      allowRemote: o.allowRemote,
      // The composite's health part is liveness, as in the SDK's own gauge and the gate (gate/run.ts):
      // a DEGRADED body its windowed latency or success check caused is already counted by those
      // parts, and "said UP" would count it twice. (The drill reads no availability from this watch
      // today, only its scrapes and routes: this keeps the two from disagreeing when one does.)
      healthUp: () => watcher?.lastLive,
      now: clock,
    });
    const reads = saturationReads(contract);
    const depUpName = contract.metrics?.dependencyUp ?? HTTP_ROLES.dependencyUp.name;
    const scrapeOnce = async () => {
      const at = clock();
      for (const [dep, proxy] of proxyByDependency) {
        const t = proxy.stats();
        traffic.get(dep)!.push({ atClock: at, atMs: 0, connections: t.connections, requests: t.requests });
      }
      const failuresBefore = watch.scrapeFailures.length;
      const mark = await watch.scrape();
      // A failed scrape adds nothing (the judge sees the gap); the watch keeps the reason.
      if (watch.scrapeFailures.length > failuresBefore) return;
      const routes = watch.routes();
      if (routes) services.push({ atClock: mark.at, atMs: 0, routes });
      const fresh = (name: string, matchers: Parameters<typeof watch.store.select>[1] = []) => watch.store.valuesAt(name, mark.at, matchers);
      for (const d of contract.dependencies) {
        const v = fresh(depUpName, [{ name: 'dependency', op: '=', value: d.name }]);
        if (v.length > 0) depSamples.push({ atClock: mark.at, atMs: 0, dependency: d.name, up: Math.min(...v) >= 0.5 });
      }
      for (const r of reads) {
        const v = fresh(r.series);
        if (v.length === 0) continue;
        const value = (r.combine === 'max' ? Math.max(...v) : v.reduce((a, b) => a + b, 0)) * r.scale;
        saturation.push({ atClock: mark.at, atMs: 0, signal: r.signal, value });
      }
    };
    const scrapeLoop = () => {
      scrapeTimer = setTimeout(() => {
        scraping = scrapeOnce().catch((e) => { journal.write('scrape-error', { message: (e as Error).message }); }).finally(() => {
          scraping = undefined;
          if (scrapeTimer) scrapeLoop();
        });
      }, SCRAPE_INTERVAL_MS);
    };
    await scrapeOnce();
    scrapeLoop();

    // 6. One continuous open-model load over the whole timeline; the phases run beside it.
    const phaseOf = (elapsedMs: number): string => {
      if (elapsedMs < profile.warmupMs) return `warm-up, ${Math.ceil((profile.warmupMs - elapsedMs) / 1000)}s left`;
      for (const s of runnable) {
        if (elapsedMs >= s.endMs) continue;
        const left = (to: number) => `${Math.max(0, Math.ceil((to - elapsedMs) / 1000))}s left`;
        if (elapsedMs < s.faultAtMs) return `${s.drill.name}: steady, ${left(s.faultAtMs)}`;
        if (elapsedMs < s.removeAtMs) return `${s.drill.name}: fault, ${left(s.removeAtMs)}`;
        return `${s.drill.name}: recovery, ${left(s.endMs)}`;
      }
      return 'finishing';
    };
    // Aborted when the drills are over before the timeline is: the last one's fault could not be
    // applied, so its fault and recovery windows would measure nothing that is judged.
    const drillsOver = new AbortController();
    /** The load's slices final so far (contiguous from slice 0): recovery is watched on them. */
    const finalSlices: LoadSlice[] = [];
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => { resolveStarted = r; });
    let loadStartedAt: number | undefined;
    const loadRun = runLoad({
      url: baseUrl,
      requests: profile.requests,
      stages: [{ rate: profile.rate, durationMs: Math.max(1000, plannedMs) }],
      connections: profile.connections,
      timeoutMs: profile.timeoutMs,
      // In worker threads even for one: the fault proxies, probes and scrapes run on this thread's
      // event loop, and must not delay the sends (a late send would make the drill inconclusive).
      workers: Math.max(2, profile.workers),
      seed: phaseSeed(o.seed ?? 1, 1),
      allowRemote: o.allowRemote,
      signal: AbortSignal.any([stop.signal, drillsOver.signal]),
      sliceMs: SLICE_MS,
      onSlice: (x) => finalSlices.push(x),
      onStart: (t) => {
        // t is on the load's own axis (slice 0 starts there): performance.timeOrigin + now(), which
        // is not Date.now()'s axis (they differ by whatever the wall clock was adjusted since this
        // process started: ms here, seconds on a host whose clock was stepped). Moved onto `clock`
        // through the same performance axis, so phase marks and slices line up whatever the wall
        // clock does; `t` is in the past by however late this callback runs.
        loadStartedAt ??= clock() - (performance.timeOrigin + performance.now() - t);
        resolveStarted();
      },
      onProgress: (p) => o.onProgress?.(phaseOf(p.elapsedMs), p),
    }).finally(() => resolveStarted());
    // The schedule's start (onStart) is the origin. Worker threads take a moment (seconds under
    // tsx) to be ready, so it is waited for; a run stopped before it started has no origin but now.
    await started;
    origin = loadStartedAt ?? clock();
    journal.write('load-started', { totalMs, sliceMs: SLICE_MS, rate: profile.rate });
    if (profile.warmupMs > 0) log(`warm-up ${formatDuration(profile.warmupMs)}`);
    const until = (offsetMs: number) => wait(origin! + offsetMs - clock(), stop.signal);
    /**
     * Waits out a drill's recovery watch, asking the judge every 250 ms, on the slices final so far
     * and the health probes, whether it may end now (recoveryHeld). Returns where it ended (a slice
     * boundary) and the recovery point; undefined when it ran to s.endMs or the run was stopped.
     */
    const watchRecovery = async (s: Scheduled, removedAtMs: number): Promise<{ endMs: number; atMs: number } | undefined> => {
      // This thread relays the fault proxies' traffic: each ask judges only the windows new since
      // the last (re-judging every window since the removal stalled it past the service's timeouts).
      const memo: RecoveryMemo = new Map();
      for (;;) {
        const now = clock() - origin!;
        if (stop.signal.aborted || now >= s.endMs) return undefined;
        const finalTo = Math.min(finalSlices.length * SLICE_MS, s.endMs);
        if (finalTo >= removedAtMs + RECOVERY_WINDOW_MS) {
          // The slices from the removal on (the judge reads no earlier ones for recovery).
          const client = finalSlices.slice(Math.floor(removedAtMs / SLICE_MS), Math.floor(finalTo / SLICE_MS + 1e-9));
          const probes = onLoadAxis(health, origin!, removedAtMs, Infinity);
          const held = recoveryHeld(contract, { sliceMs: SLICE_MS, endMs: finalTo, client, health: probes }, removedAtMs, RECOVERY_TAIL_MS, memo);
          if (held) return { endMs: finalTo, atMs: held.atMs };
        }
        await wait(Math.min(250, s.endMs - now), stop.signal);
      }
    };

    for (const s of runnable) {
      if (stop.signal.aborted) break;
      const name = s.drill.name;
      await until(s.steadyFromMs);
      if (stop.signal.aborted) break;
      journal.write('drill-phase', { drill: name, phase: 'steady', atMs: clock() - origin });
      log(`${name}: steady state ${formatDuration(steadyMs)}, then ${formatDuration(guardMs)} not judged before the fault (requests in flight)`);
      await until(s.faultAtMs);
      if (stop.signal.aborted) break;
      // Apply.
      let undo: (() => Promise<string>) | undefined;
      let forget: (() => void) | undefined;
      s.actualFaultAtMs = clock();
      try {
        if (s.plan.kind === 'proxy') {
          const proxy = proxyByDependency.get(s.plan.dependency.name)!;
          const names = s.plan.toxics.map((t) => proxy.addToxic(t).name);
          forget = rollback.add(`remove ${names.join(', ')} from the proxy ${proxy.name}`, () => {
            for (const n of names) try { proxy.removeToxic(n); } catch { /* gone already: checked below */ }
            const left = proxy.toxics().map((t) => t.name).filter((n) => names.includes(n));
            if (left.length > 0) throw new Error(`the proxy ${proxy.name} still holds ${left.join(', ')}`);
          });
          undo = async () => {
            for (const n of names) try { proxy.removeToxic(n); } catch { /* gone already */ }
            const left = proxy.toxics().map((t) => t.name);
            if (left.length > 0) throw new Error(`the proxy ${proxy.name} still holds ${left.join(', ')}`);
            return `the proxy ${proxy.name} holds no toxic`;
          };
          s.applied = { ok: true, how: `${s.plan.toxics.map((t) => `${t.type}${t.attributes ? ` ${JSON.stringify(t.attributes)}` : ''}${t.toxicity !== undefined && t.toxicity < 1 ? ` on ${t.toxicity * 100}%` : ''}`).join(' + ')} on the proxy in front of ${s.plan.dependency.name} (${proxy.listen})` };
        } else if (s.plan.kind === 'in-process') {
          const state = await drillClient!.apply(s.plan.fault as never, s.plan.params as never, s.plan.durationMs);
          const id = state.id;
          // Not swallowed: a fault the service would not remove is a FAILED line (the verdict then
          // says it may still be in place; it still expires by itself). A fault already gone is no failure (remove() says undefined).
          forget = rollback.add(`remove the in-process fault ${state.fault} (${id})`, async () => { await drillClient!.remove(id); });
          undo = async () => {
            await drillClient!.remove(id);
            const active = (await drillClient!.list()).faults.filter((f) => f.active);
            if (active.length > 0) throw new Error(`the service still lists active faults: ${active.map((f) => `${f.fault} (${f.id})`).join(', ')}`);
            return 'the drill endpoint lists no active fault';
          };
          s.applied = { ok: true, how: `${state.fault} ${JSON.stringify(state.params)} through the service's drill endpoint, for ${formatDuration(state.durationMs)}` };
        }
      } catch (e) {
        const msg = (e as Error).message;
        const status = e instanceof DrillClientError ? e.status : undefined;
        // The judge words it "the fault could not be applied: <reason>; <fix>".
        const [reason, fix] = status === 404
          ? [`the service has no drill endpoint (${drillClient!.lookedAt.join(' and ')} answered 404): it was started without ${DRILL_TOKEN_ENV}`, `start the service with ${DRILL_TOKEN_ENV} set (at least 16 characters; sloctl's SDK serves the endpoint when it is) and give sloctl the same value`]
          : status === 401
            ? [msg, `give sloctl the same ${DRILL_TOKEN_ENV} the service has`]
            : [msg, 'see the message; the journal has the drill\'s events'];
        s.applied = { ok: false, reason, fix };
        s.removed = { ok: true, detail: 'nothing was applied' };
        journal.write('drill-phase', { drill: name, phase: 'apply-failed', atMs: clock() - origin, reason: msg });
        log(`${name}: the fault could not be applied: ${msg}`);
        continue;
      }
      journal.write('drill-phase', { drill: name, phase: 'fault-applied', atMs: s.actualFaultAtMs - origin, how: s.applied!.ok ? s.applied!.how : undefined });
      log(`${name}: fault applied for ${formatDuration(s.drill.duration)}`);
      await until(s.removeAtMs);
      s.actualRemovedAtMs = clock();
      if (stop.signal.aborted) {
        // Interrupted, or the target failed: the rollback removes it (a signal's trap may have
        // already); its lines are the evidence.
        const lines = [...trapLines, ...(await rollback.run(interrupted ? 'interrupted' : 'the target failed'))];
        const failed = lines.filter((l) => l.startsWith('FAILED'));
        s.removed = failed.length > 0 ? { ok: false, detail: failed.join('; ') } : { ok: true, detail: `removed by the rollback (${interrupted ? 'interrupted' : 'the target failed'})` };
        journal.write('drill-phase', { drill: name, phase: 'fault-removed', atMs: s.actualRemovedAtMs - origin, removed: s.removed });
        break;
      }
      try {
        const detail = await undo!();
        s.removed = { ok: true, detail };
        forget?.();
      } catch (e) {
        s.removed = { ok: false, detail: (e as Error).message };
      }
      journal.write('drill-phase', { drill: name, phase: 'fault-removed', atMs: s.actualRemovedAtMs - origin, removed: s.removed });
      log(`${name}: fault removed (${s.removed.detail}); watching recovery ${o.fullRecoveryWatch ? '' : 'until it holds, at most '}${formatDuration(s.drill.recoverWithin + RECOVERY_TAIL_MS)}`);
      if (stop.signal.aborted) break;
      const held = o.fullRecoveryWatch ? undefined : await watchRecovery(s, s.actualRemovedAtMs - origin);
      if (held) {
        const savedMs = s.endMs - held.endMs;
        for (const later of schedule) {
          if (later === s || later.steadyFromMs < s.endMs - 1e-6) continue;
          later.steadyFromMs -= savedMs;
          later.faultAtMs -= savedMs;
          later.removeAtMs -= savedMs;
          later.endMs -= savedMs;
        }
        s.endMs = held.endMs;
        totalMs -= savedMs;
        journal.write('recovery-held', { drill: name, recoveredMs: held.atMs - (s.actualRemovedAtMs - origin), endMs: held.endMs, savedMs });
        log(`${name}: recovered ${formatDuration(Math.round(held.atMs - (s.actualRemovedAtMs - origin)))} after removal and kept holding: watch ended, ${formatDuration(Math.round(savedMs))} early`);
      } else await until(s.endMs);
      journal.write('drill-phase', { drill: name, phase: 'end', atMs: clock() - origin });
    }
    // The load was sized to end with the last phase at its longest; when the run was cut short, or
    // the drills ended sooner, it stops now.
    if (stop.signal.aborted) log('stopping');
    else if (clock() - origin < plannedMs - SLICE_MS) {
      journal.write('drills-over', { atMs: clock() - origin, totalMs });
      log('no drill left to watch: stopping the load');
      drillsOver.abort(new Error('the drills are over'));
    }
    load = await loadRun;
  } catch (e) {
    // A usage error or a bug: everything is undone below; the journal says what ended the run.
    journal.write('error', { message: (e as Error).message });
    journal.close();
    throw e;
  } finally {
    if (scrapeTimer) clearTimeout(scrapeTimer);
    scrapeTimer = undefined;
    await scraping;
    await watcher?.stop();
    o.signal?.removeEventListener('abort', onUserAbort);
    // The service's saturation evidence, read while it still runs (pass or fail); not when it
    // failed or the user interrupted (undoing comes first then).
    if (evidenceToken !== undefined && report.target.url !== '' && origin !== undefined && !interrupted && !targetFailure) {
      const got = await readServiceEvidence({ url: report.target.url, token: evidenceToken, fromMs: startedAt, toMs: Date.now(), guessDir: contractEvidenceDir(contract, contractDir), healthPath: contract.target?.health });
      report.evidence = got.files;
      journal.write('service-evidence', { files: got.files, ...(got.note !== undefined ? { note: got.note } : {}) });
    }
    // Faults, proxies and the target: undone newest first, whatever happened.
    const lines = await rollback.run(interrupted ? 'interrupted' : targetFailure ? 'the target failed' : 'the drills ended');
    if (lines.length > 0) journal.write('rolled-back', { lines });
    // A Set: this run may have joined the signal's (the same lines twice).
    for (const l of new Set([...trapLines, ...lines].filter((x) => x.startsWith('FAILED')))) targetNotes.push(`sloctl could not undo everything: ${l}; check it by hand (in-process faults expire by themselves after their duration)`);
    untrap();
    if (running) {
      const stopped = await running.stop().catch(() => undefined);
      if (stopped) {
        const notes = describeStop(stopped, running.command);
        journal.write('target-stopped', { exit: stopped.exit, forced: stopped.forced, leftovers: stopped.leftovers, notes });
        targetNotes.push(...notes);
      }
    }
  }

  // 7. Evidence on the load's time axis, per drill; then the judge.
  const base = origin ?? 0;
  const rel = <T extends { atClock: number; atMs: number }>(xs: T[], from: number, to: number) => onLoadAxis(xs, base, from, to);
  // The generator judged over each drill's own window of the load (a lag in one drill is not another's).
  const generatorOver = (from: number, to: number) => load?.generator
    ? windowGenerator(load.generator, load.slices ?? [], load.sliceMs ?? SLICE_MS, from, to)
    : { ok: load !== undefined, reasons: load ? [] : ['no load was run'] };
  evidenceList = schedule.map((s) => {
    const faultAtMs = s.actualFaultAtMs !== undefined ? s.actualFaultAtMs - base : s.faultAtMs;
    const removedAtMs = s.actualRemovedAtMs !== undefined ? s.actualRemovedAtMs - base : undefined;
    const applied: FaultApplication = s.unrunnable ? { ok: false, ...s.unrunnable } : s.applied ?? { ok: false, reason: interrupted ? 'the run was interrupted before this drill' : targetFailure ? `the target failed before this drill: ${targetFailure.message}` : 'the drill did not run', fix: interrupted ? 'run it again without interrupting' : 'see the journal' };
    const e: DrillEvidence = {
      drill: s.drill,
      sliceMs: load?.sliceMs ?? SLICE_MS,
      steadyFromMs: s.steadyFromMs,
      faultAtMs,
      endMs: s.endMs,
      applied,
      removed: s.removed,
      client: (load?.slices ?? []).filter((x) => x.startMs >= s.steadyFromMs && x.startMs < s.endMs),
      service: rel(services, s.steadyFromMs, s.endMs),
      health: rel(health, s.steadyFromMs, s.endMs),
      dependencies: rel(depSamples, s.steadyFromMs, s.endMs),
      saturation: rel(saturation, s.steadyFromMs, s.endMs),
      generator: generatorOver(s.steadyFromMs, s.endMs),
      scrapeIntervalMs: SCRAPE_INTERVAL_MS,
      probeIntervalMs: PROBE_INTERVAL_MS,
    };
    if (removedAtMs !== undefined) e.removedAtMs = removedAtMs;
    if (s.plan.kind === 'proxy') e.traffic = rel(traffic.get(s.plan.dependency.name) ?? [], s.steadyFromMs, s.endMs);
    return e;
  });
  // The generator's account only when a fault ran: with none to run, the load was stopped on
  // purpose at once, and would read as a generator that fell short.
  if (load && schedule.some((s) => s.applied?.ok === true)) report.generator = load.generator;
  for (const e of evidenceList) journal.write('drill-evidence', { drill: e.drill.name, evidence: { ...e, client: `${e.client.length} slices (in the load event)` } });
  if (load) journal.write('load', { result: load });

  const judged: DrillReport = o.judge(contract, evidenceList);
  report.drills = judged.drills;
  report.resilienceScore = judged.resilienceScore;
  report.scoreRule = judged.scoreRule;
  report.reasons.push(...judged.reasons);
  for (const v of judged.drills) journal.write('verdict', { drill: v.name, verdict: v });

  // Interrupted first: a target failure that raced the signal's undoing is not the target's fault.
  if (interrupted) return finish('inconclusive', EXIT.INCONCLUSIVE, [`interrupted before the drills finished: ${targetNotes.some((n) => n.startsWith('sloctl could not undo')) ? 'see below what could not be undone' : 'every fault was removed'}; what was measured is in the journal`, ...targetNotes]);
  if (targetFailure) {
    report.targetFailureKind = targetFailure.kind;
    return finish('target-failed', EXIT.TARGET, [targetFailure.message, ...targetNotes]);
  }
  const outcome = judged.outcome;
  return finish(outcome, outcome === 'pass' ? EXIT.OK : outcome === 'fail' ? EXIT.FAILED : EXIT.INCONCLUSIVE, targetNotes);
}

/**
 * The samples taken between `fromMs` and `toMs` on the load's time axis (ms from `origin`), with
 * EDGE_MS either side, each dated on that axis (atMs) instead of the clock (atClock).
 */
function onLoadAxis<T extends { atClock: number; atMs: number }>(xs: readonly T[], origin: number, fromMs: number, toMs: number): Array<Omit<T, 'atClock'>> {
  return xs.filter((x) => x.atClock - origin >= fromMs - EDGE_MS && x.atClock - origin <= toMs + EDGE_MS).map(({ atClock, ...x }) => ({ ...x, atMs: atClock - origin }));
}

/** The saturation series a drill watches, whatever the contract declares thresholds for: every one the service exports. */
function saturationReads(contract: Contract): Array<{ signal: SaturationSample['signal']; series: string; scale: number; combine: 'sum' | 'max' }> {
  const overrides = (contract.metrics ?? {}) as Record<string, string | undefined>;
  const go = contract.service.runtime === 'go';
  const out: Array<{ signal: SaturationSample['signal']; series: string; scale: number; combine: 'sum' | 'max' }> = CONCURRENCY_SIGNALS
    .filter((s) => s.runtime === 'any' || s.runtime === (go ? 'go' : 'node'))
    .map((s) => ({ signal: s.signal, series: overrides[s.role] ?? s.defaultName, scale: s.scale, combine: s.combine }));
  const runtime = go ? GO_RUNTIME_ROLES : NODE_RUNTIME_ROLES;
  out.push({ signal: 'heap', series: overrides.heapUsed ?? runtime.heapUsed.name, scale: 1, combine: 'sum' });
  out.push({ signal: 'rss', series: overrides.rss ?? runtime.rss.name, scale: 1, combine: 'sum' });
  return out;
}


/**
 * The port the attach advice suggests for a dependency's proxy: never the port the dependency itself
 * listens on (followed, the advice made the proxy forward to itself: a Go user trial's inventory
 * was on 18081, the example's port).
 */
function examplePort(upstream: string): number {
  return upstream.endsWith(':18081') ? 18082 : 18081;
}
