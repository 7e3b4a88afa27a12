// `sloctl gate`: start (or attach to) the service, warm it up, run the load profile as repeated
// trials while scraping the service's own metrics, then judge every objective from both views,
// compare with the last accepted build, and say PASS, FAIL, INCONCLUSIVE or that the target failed.
//
// Everything measured goes to the journal as it happens (one JSON line per event, written
// synchronously), so an interrupted or crashed run keeps what it measured.
//
// Outcome precedence: the target failed (3) > the generator could not deliver the profile, or the
// run was interrupted (4, INCONCLUSIVE: a verdict on a run that did not happen as specified would
// be a guess) > an objective or the baseline failed (1) > failed only where other processes starved
// the target of CPU (4: src/verdicts/machine.ts) > pass (0).
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Contract } from '../contract/schema.ts';
import { formatDuration, formatSeconds } from '../contract/units.ts';
import { EXIT, sloctlCode, UsageError } from '../errors.ts';
import { runLoad } from '../load/run.ts';
import { mergeResults } from '../load/merge.ts';
import { phaseSeed } from '../load/prng.ts';
import type { ConnectionWaits, LoadProgress, LoadResult } from '../load/types.ts';
import { compareWithBaseline } from '../verdicts/compare.ts';
import { foreignTraffic, foreignTrafficNote, foreignTrafficReason, withdrawForeignFailures } from '../verdicts/foreign-traffic.ts';
import { makeBaseline, profileMismatch, type BaselineFile } from '../verdicts/baseline.ts';
import { readBaselineFile, writeBaseline, type BaselineRead } from '../run/baseline-file.ts';
import { clientCounts } from '../verdicts/client-view.ts';
import { endpointUrl } from '../run/health.ts';
import { Journal, defaultJournalPath, journalPathProblem, targetLogPath } from '../run/journal.ts';
import type { GateProfile } from '../run/profile.ts';
import { ServiceWatch, type ServiceMark } from '../run/service-watch.ts';
import { PprofCapture } from '../run/pprof.ts';
import { attachEvidence } from '../verdicts/concurrency.ts';
import { attachTarget, attachUrl, describeStop, HealthWatcher, startTarget, type RunningTarget, type StopResult } from '../run/target.ts';
import { spawnedBefore, TargetError } from '../run/target-error.ts';
import type { GateOutcome, GateReport, TrialMachine, TrialMetrics } from '../verdicts/types.ts';
import { starvation, starvationProofView, starvedReason, withdrawStarvedFailures, type MachineProbe } from '../verdicts/machine.ts';
import { generatorLag, generatorLagReason, lagProofView, withdrawLagFailures, type GeneratorLag } from '../verdicts/generator-lag.ts';
import { connectionQueueReason, wireView, withdrawQueueFailures } from '../verdicts/connection-queue.ts';
import { processTreeCpuMs, systemMachineProbe } from '../run/machine-probe.ts';
import { cannotReachAlphaText, DEFAULT_ALPHA } from '../verdicts/stats.ts';
import { replayedRequestsNote } from '../verdicts/replayed-requests.ts';
import { blindInstrumentation, caveatReasons, failureReasons, judgeObjectives, routeLabelNote, SERVICE_VIEW_MISSING_OPENING, unmeasurableReasons, unrecordedRouteReasons, withdrawServiceSideFailures, type BlindInstrumentation } from '../verdicts/objectives.ts';
import { routeEvidence, routeLabel, routeReports } from '../verdicts/routes.ts';
import { missed } from '../verdicts/withdraw.ts';
import { restartsText, type HeapReading } from '../verdicts/memory.ts';
import { describeFailing } from '../run/health.ts';
import { contractCapturesEvidence, contractEvidenceDir, newDrillToken, readServiceEvidence } from '../drill/run.ts';
import { DRILL_TOKEN_ENV } from '../sdk/drill/types.ts';
import { dependencyEnv } from '../drill/plan.ts';

export interface GateRunOptions {
  contract: Contract;
  /** The contract file as the user named it, and its absolute path. */
  contractFile: string;
  contractPath: string;
  profile: GateProfile;
  /** Attach to this URL instead of starting `target.run`. */
  target?: string;
  allowRemote: boolean;
  /** Absolute path of the baseline to compare with (and update), or undefined for none. */
  baselinePath?: string;
  updateBaseline: boolean;
  /** Called with the baseline as read (before any load): what a caller recording the baseline itself (accept) passes to writeBaseline. */
  onBaselineRead?: (read: BaselineRead) => void;
  journalPath?: string;
  commit?: string;
  seed?: number;
  /** Progress of each load phase (warm-up, trial i of n). */
  onProgress?: (phase: string, p: LoadProgress) => void;
  /** One-line status messages ("starting npm run example", "warm-up 10s"). */
  log?: (line: string) => void;
  /** Ctrl-C: stops the run; what was measured is kept and the outcome is INCONCLUSIVE. */
  signal?: AbortSignal;
  /** What measures the rest of the machine per trial (tests inject one); default systemMachineProbe. */
  machineProbe?: MachineProbe;
  /** sloctl's own environment: SLOCTL_DRILL_TOKEN reads an attached service's saturation evidence. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Each dependency's `url` under its `env` variable (default NAME_URL), for a service the gate
 * starts: accept and drill tell the service where each dependency is (their proxy in front of the
 * url), so the gate does too, or a service reading INVENTORY_URL got none and failed every call to
 * it under `sloctl gate` while accept's gate phase passed (a Go user trial). `target.env` and a
 * variable already set in sloctl's own environment are left as they are: the user chose those.
 */
export function dependencyLocations(contract: Contract, shell: NodeJS.ProcessEnv): Record<string, string> {
  const told: Record<string, string> = {};
  for (const d of contract.dependencies) {
    const name = dependencyEnv(d);
    if (d.url === undefined || contract.target?.env?.[name] !== undefined || shell[name] !== undefined) continue;
    told[name] = d.url;
  }
  return told;
}

const HEALTH_INTERVAL_MS = 1000;
const SCRAPE_INTERVAL_CAP_MS = 2000;

function trialMetrics(contract: Contract, index: number, r: LoadResult, before: ServiceMark | undefined, after: ServiceMark | undefined, machine: TrialMachine | undefined): TrialMetrics {
  const c = clientCounts(contract, r.routes);
  let memory: number | null = null;
  // Not across a restart of the service: the heap and the counter would be two processes'.
  const sameProcess = (after?.restarts ?? 0) === (before?.restarts ?? 0);
  if (sameProcess && before?.heapBytes !== undefined && after?.heapBytes !== undefined && before.requests !== undefined && after.requests !== undefined && after.requests > before.requests) {
    memory = (after.heapBytes - before.heapBytes) / (after.requests - before.requests);
  }
  const m: TrialMetrics = { index, startedAt: r.startedAt, durationMs: r.durationMs, requests: c.total, p95Ms: r.latency.p95, errorRatio: c.errorRatio, memoryPerRequestBytes: memory, throughput: r.throughput, latency: r.latency };
  if (machine) m.machine = machine;
  // Each route's own numbers, so that a regression of the whole can name the route it comes from.
  m.routes = r.routes.map((row) => {
    const own = clientCounts(contract, [row]);
    return { route: routeLabel(contract, row), requests: own.total, p95Ms: row.latency.p95, errorRatio: own.errorRatio };
  });
  return m;
}

export async function runGate(options: GateRunOptions): Promise<GateReport> {
  // The contract's target.url attaches as --target does, when there is no target.run to start.
  const o = { ...options, target: attachUrl(options.target, options.contract.target) };
  const { contract, profile } = o;
  const log = o.log ?? (() => {});
  const startedAt = Date.now();
  const contractDir = dirname(o.contractPath);
  // A baseline that is there but unusable is a usage error (exit 2), found before anything is
  // started or written.
  const read = o.baselinePath === undefined ? undefined : readBaselineFile(o.baselinePath, contract.service.name);
  const baseline: BaselineFile | undefined = read?.file;
  if (read) o.onBaselineRead?.(read);
  const journalPath = o.journalPath ?? defaultJournalPath(contractDir, contract.service.name, new Date(startedAt));
  // The CLI checks --journal first; this catches a caller that did not (or a path that changed since).
  const journalProblem = journalPathProblem(journalPath);
  if (journalProblem !== undefined) throw new UsageError(`the run journal cannot be written: ${journalProblem}`);
  const journal = new Journal(journalPath);
  const report: GateReport = {
    service: contract.service.name,
    contractFile: o.contractFile,
    startedAt,
    finishedAt: startedAt,
    outcome: 'pass',
    exitCode: EXIT.OK,
    reasons: [],
    notes: [],
    target: { url: o.target ?? '', started: false, reached: false },
    profile: { rate: profile.rate, durationMs: profile.durationMs, warmupMs: profile.warmupMs, connections: profile.connections, trials: profile.trials, workers: profile.workers },
    verdicts: [],
    serviceEvidence: [],
    trials: [],
    journal: journalPath,
  };
  journal.write('start', { contract: o.contractFile, profile: report.profile, target: o.target ?? contract.target?.run, commit: o.commit });

  // `reasons`: what decided the outcome; `notes`: what else the reader should know (step 6).
  const finish = (outcome: GateOutcome, exitCode: number, reasons: string[], notes: string[] = []): GateReport => {
    report.outcome = outcome;
    report.exitCode = exitCode;
    report.reasons = reasons;
    report.notes = notes;
    report.finishedAt = Date.now();
    journal.write('end', { outcome, exitCode, reasons, notes, verdicts: report.verdicts, routes: report.routes, baseline: report.baseline, generator: report.generator });
    journal.close();
    return report;
  };

  // 1. The target: attach, or start `run` and wait for its health endpoint.
  const healthPath = contract.target?.health ?? '/healthz';
  let running: RunningTarget | undefined;
  let baseUrl: string;
  // The service's drill endpoint lists the evidence its saturation monitor writes: a started
  // target gets a fresh token for it (as sloctl drill does); an attached one is read only with
  // the user's SLOCTL_DRILL_TOKEN.
  const evidenceToken = o.target !== undefined ? ((o.env ?? process.env)[DRILL_TOKEN_ENV] || undefined) : (contract.target?.env?.[DRILL_TOKEN_ENV] || newDrillToken());
  try {
    if (o.target !== undefined) {
      baseUrl = (await attachTarget(o.target, healthPath, o.allowRemote, { log, signal: o.signal, from: options.target !== undefined ? '--target' : `target.url in ${o.contractFile}` })).url;
    } else {
      const t = contract.target;
      if (!t?.run) throw new TargetError('spawn', 'the contract has no target.run command and no --target URL was given: add `target: {run: ...}` or pass --target URL');
      log(`starting \`${t.run}\``);
      const targetLog = targetLogPath(journalPath);
      // Known before it starts, so a start that fails is reported with its command (src/report/target.ts).
      report.target.command = t.run;
      report.target.log = targetLog;
      const told = dependencyLocations(contract, o.env ?? process.env);
      if (Object.keys(told).length > 0) log(`telling it where its dependencies live (their url:): ${Object.entries(told).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      running = await startTarget({
        command: t.run,
        cwd: t.cwd ? resolve(contractDir, t.cwd) : contractDir,
        port: t.port,
        env: { ...told, ...(t.env ?? {}), [DRILL_TOKEN_ENV]: evidenceToken! },
        healthPath,
        startTimeoutMs: t.startTimeout,
        logFile: targetLog,
        signal: o.signal,
      });
      baseUrl = running.url;
      report.target.started = true;
    }
  } catch (e) {
    if (e instanceof TargetError) {
      // A command that ran and then failed (died, never said UP) was started; one that could not spawn or bind was not.
      if (report.target.command !== undefined) report.target.started = spawnedBefore(e.kind);
      journal.write('target-failed', { kind: e.kind, message: e.message });
      return finish('target-failed', EXIT.TARGET, [e.message]);
    }
    if (o.signal?.aborted) return finish('inconclusive', EXIT.INCONCLUSIVE, ['interrupted while the target was starting; it was stopped']);
    journal.close();
    throw e;
  }
  report.target.url = baseUrl;
  report.target.reached = true;
  journal.write('target-ready', { url: baseUrl, pid: running?.pid, watchdog: running?.watchdogPid, listener: running?.listener });
  log(`target healthy at ${baseUrl}`);
  // Notes on how the target was run and stopped (not failures): reported beside the outcome.
  const targetNotes: string[] = [];
  if (running && !running.listener.verified) {
    targetNotes.push(running.listener.note);
    log(running.listener.note);
  }

  // The run stops at once when the target dies, stops answering, or the user interrupts.
  const stop = new AbortController();
  let targetFailure: TargetError | undefined;
  const failTarget = (e: TargetError) => {
    if (targetFailure) return;
    targetFailure = e;
    journal.write('target-failed', { kind: e.kind, message: e.message });
    stop.abort(e);
  };
  running?.onExit((e) => failTarget(e));
  const onUserAbort = () => stop.abort(new Error('interrupted'));
  o.signal?.addEventListener('abort', onUserAbort, { once: true });
  // concurrency.pprof (Go): a goroutine dump and a heap profile on each level's first crossing (pprof.ts).
  const pprof = PprofCapture.forContract({ contract, baseUrl, dir: dirname(journalPath), relativeTo: contractDir, allowRemote: o.allowRemote, signal: stop.signal, onCapture: (c) => journal.write('pprof', c) });
  const watcher = new HealthWatcher({ url: endpointUrl(baseUrl, healthPath), intervalMs: HEALTH_INTERVAL_MS, onUnresponsive: (e) => failTarget(e) });
  watcher.start();

  // Each phase sends its own request sequence (warm-up 0, trial k), all fixed by the run's seed.
  const load = (phase: string, durationMs: number, seedPhase: number): Promise<LoadResult> =>
    runLoad({
      url: baseUrl,
      requests: profile.requests,
      stages: [{ rate: profile.rate, durationMs }],
      connections: profile.connections,
      timeoutMs: profile.timeoutMs,
      workers: profile.workers,
      seed: phaseSeed(o.seed ?? 1, seedPhase),
      allowRemote: o.allowRemote,
      signal: stop.signal,
      onProgress: (p) => o.onProgress?.(phase, p),
    });

  // The target's CPU so far: from /proc when sloctl started it, else its process_cpu_seconds_total.
  const targetCpuMs = (mark: ServiceMark): number | undefined =>
    running ? processTreeCpuMs(running.pid) : mark.cpuSeconds === undefined ? undefined : mark.cpuSeconds * 1000;

  const trialResults: LoadResult[] = [];
  let watch: ServiceWatch | undefined;
  let startMark: ServiceMark | undefined;
  // When the measured phase began (ms since the epoch): the service's windowed checks and its
  // availability gauge judge its last N seconds of requests, which reach back into the warm-up (or
  // before the run, on an attached service) until that window has passed.
  let measuredFrom: number | undefined;
  try {
    // 2. Warm-up: same profile, results journaled but not judged.
    if (profile.warmupMs > 0 && !stop.signal.aborted) {
      log(`warm-up ${profile.warmupMs / 1000}s`);
      const w = await load('warm-up', profile.warmupMs, 0);
      journal.write('warmup', { result: w });
    }

    // 3. The measured phase: trials back to back, the service scraped throughout.
    if (!stop.signal.aborted) {
      const metricsUrl = endpointUrl(baseUrl, contract.target?.metrics ?? '/metrics');
      measuredFrom = Date.now();
      const phaseStart = measuredFrom;
      watch = new ServiceWatch(contract, {
        metricsUrl,
        intervalMs: Math.min(contract.scrapeInterval, SCRAPE_INTERVAL_CAP_MS),
        timeoutMs: Math.min(contract.scrapeInterval, 5000),
        allowRemote: o.allowRemote,
        // The composite's health part is liveness, as in the SDK's own gauge: a DEGRADED body that
        // its windowed checks cause is already counted by the latency and success parts.
        healthUp: () => watcher.lastLive,
        gaugeTrusted: () => {
          const windowMs = watcher.windowMs;
          return windowMs === undefined ? undefined : Date.now() - windowMs >= phaseStart;
        },
        // Its availability samples are independent one reported window apart (the contract's when it reports none).
        healthWindow: () => watcher.reportedWindow,
        onScrape: pprof && ((r) => pprof.onScrape(watch!.store, r)),
      });
      watcher.resetShare();
      startMark = await watch.scrape();
      watch.startLoop();
      const trialMs = Math.max(1, Math.round(profile.durationMs / profile.trials));
      let before = startMark;
      for (let i = 0; i < profile.trials && !stop.signal.aborted; i++) {
        const phase = profile.trials > 1 ? `trial ${i + 1}/${profile.trials}` : 'measured';
        log(`${phase}: ${trialMs / 1000}s at ${profile.rate === 'max' ? 'max' : `${profile.rate}/s`}`);
        // What the rest of the machine used meanwhile (src/verdicts/machine.ts).
        watch.beginTrial(i, profile.trials);
        const probed = (o.machineProbe ?? systemMachineProbe).begin(targetCpuMs(before));
        const r = await load(phase, trialMs, i + 1);
        const after = await watch.scrape();
        const machine = probed(targetCpuMs(after));
        trialResults.push(r);
        const m = trialMetrics(contract, i, r, before, after, machine);
        report.trials.push(m);
        journal.write('trial', { metrics: m, result: r });
        before = after;
      }
    }
    // Still the target's socket at the end? (The target may have died and left its port to another.)
    if (running && !stop.signal.aborted) {
      try {
        running.checkListener();
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        failTarget(e);
      }
    }
  } finally {
    watch?.stopLoop();
    await pprof?.settle(); // captures in flight finish before the target is stopped
    await watcher.stop();
    o.signal?.removeEventListener('abort', onUserAbort);
    // The service's saturation evidence, read while it still runs; not when it failed or the user interrupted.
    if (evidenceToken === undefined && contract.service.runtime !== 'go' && contractCapturesEvidence(contract) && !stop.signal.aborted) {
      targetNotes.push(`the service's saturation evidence (profiles its SDK captures past the contract's memory and concurrency thresholds) was not listed: sloctl reads it from the service's drill endpoint, which needs the drill token; set ${DRILL_TOKEN_ENV} in sloctl's environment to the one the service runs with (the files are in ${contractEvidenceDir(contract, contractDir)} on its machine either way)`);
    }
    if (evidenceToken !== undefined && !stop.signal.aborted) {
      const got = await readServiceEvidence({ url: baseUrl, token: evidenceToken, fromMs: startedAt, toMs: Date.now(), guessDir: contractEvidenceDir(contract, contractDir), healthPath: contract.target?.health });
      report.serviceEvidence = got.files;
      journal.write('service-evidence', { files: got.files, ...(got.note !== undefined ? { note: got.note } : {}) });
    }
    // Stopped before judging: everything needed is measured, and an exception must not leave it running.
    const stopped: StopResult | undefined = await running?.stop().catch(() => undefined);
    if (running && stopped) {
      const notes = describeStop(stopped, running.command);
      journal.write('target-stopped', { exit: stopped.exit, forced: stopped.forced, graceMs: stopped.graceMs, killed: stopped.killed, escaped: stopped.escaped, leftovers: stopped.leftovers, notes });
      for (const n of notes) log(n);
      targetNotes.push(...notes);
    }
  }

  // 4. Judge what was measured (also for a cut-short run: the journal and report keep it).
  // What the reader should know whatever the outcome, and that does not decide it: the report's notes.
  const notes: string[] = [...targetNotes];
  // Other processes left the target almost no CPU: the failures that explains are not judged (machine.ts).
  const starved = starvation(report.trials);
  const withdrawn: string[] = [];
  // A generator that sent late or short: the failures its lag could cause are not judged (generator-lag.ts).
  let lag: GeneratorLag | undefined;
  const lagWithdrawn: string[] = [];
  // Failures only the service's view shows while it also served requests this run did not send (foreign-traffic.ts).
  const foreignWithdrawn: string[] = [];
  let waits: ConnectionWaits | undefined;
  const queueWithdrawn: string[] = [];
  // A service whose request counter did not see the run's requests (objectives.ts blindInstrumentation).
  let blind: BlindInstrumentation | undefined;
  // Failures only the service's view showed while its side was INCONCLUSIVE (part of the run counted, workers taking turns).
  let sideWithdrawn: { withdrawn: string[]; reason?: string } = { withdrawn: [] };
  // The service's heap over the measured phase: what a memory-per-request regression must show (compare.ts).
  let heap: { series: HeapReading[]; majorGcMetric?: string } | undefined;
  if (trialResults.length > 0) {
    // The generator is judged over the whole measured phase, not per trial (see MergeOptions.judgeWhole).
    const merged = mergeResults(trialResults, { judgeWhole: true });
    report.load = merged;
    const service = watch!.view(startMark);
    heap = { series: service.heapSeries ?? [], ...(service.majorGcMetric !== undefined ? { majorGcMetric: service.majorGcMetric } : {}) };
    if (service.unavailable) notes.push(`${SERVICE_VIEW_MISSING_OPENING} (${service.unavailable}): verdicts use the client view only`);
    // A service that restarted under load: said whatever the outcome (memory.ts: no growth per request across processes).
    const restarts = service.restarts ?? [];
    if (restarts.length > 0) {
      report.serviceRestarts = restarts;
      const refused = merged.routes.reduce((n, r) => n + (r.errors.ECONNREFUSED ?? 0), 0);
      notes.unshift(`the service ${restartsText(restarts)}${refused > 0 ? `; ${refused} requests were refused a connection (nothing listened while it restarted)` : ''}; its counters started again from 0 each time (their increases are reset-corrected)`);
      log(`the service ${restartsText(restarts)}`);
    }
    const replayed = replayedRequestsNote(merged);
    if (replayed !== undefined) notes.push(replayed);
    const windowMs = watcher.windowMs;
    if (service.availabilityComposed && windowMs !== undefined) service.availabilityComposed.windowMs = windowMs;
    const health = watcher.stats();
    const routes = routeEvidence(contract, merged, watch!.routes());
    const views = { client: merged, trials: trialResults, healthUpShare: health.upShare, health, service, routes };
    const judging = { offeredWeightedRate: Number.isFinite(profile.offeredWeightedRate) ? profile.offeredWeightedRate : undefined };
    report.verdicts = judgeObjectives(contract, views, judging);
    blind = blindInstrumentation(views);
    if (blind) log(`WARN ${blind.reason}`);
    // A route the service recorded nothing under is said beside the outcome too, whatever it is;
    // so is a verdict that warned, or one the service's view could not speak to.
    notes.push(...unrecordedRouteReasons(report.verdicts), ...caveatReasons(report.verdicts, service));
    // Series without the route label: what the client's view alone judged, and the label to map (once, whatever the outcome).
    const routeLabel = service.routeLabelMissing !== undefined && !service.unavailable ? routeLabelNote(contract, service.routeLabelMissing) : undefined;
    if (routeLabel !== undefined) notes.push(routeLabel);
    if (pprof) attachEvidence(report.verdicts, await pprof.settle());
    if (starved) {
      // The objectives again with every answer a busy machine can cause counted good: an errors
      // failure the answered client errors alone still fail is the service's (machine.ts).
      const proof = judgeObjectives(contract, { ...views, client: starvationProofView(merged), trials: trialResults.map(starvationProofView) }, judging);
      withdrawn.push(...withdrawStarvedFailures(starved, report.verdicts, undefined, proof));
    }
    lag = generatorLag(merged.generator, merged);
    if (lag) {
      // The objectives again with the lag taken off as far as it reaches (every request twice the
      // worst lag faster): what still fails there is the service's, however late the generator was.
      const m = lag.marginMs;
      const lagProof = judgeObjectives(contract, { ...views, client: lagProofView(merged, m), trials: trialResults.map((t) => lagProofView(t, m)) }, judging);
      lagWithdrawn.push(...withdrawLagFailures(lag, report.verdicts, undefined, lagProof));
    }
    // Requests that waited for one of the generator's connections: a failure the time on the wire
    // does not show is the wait's, not the target's (connection-queue.ts).
    waits = merged.generator?.connectionWaits;
    if (waits) {
      const wire = judgeObjectives(contract, { ...views, client: wireView(merged), trials: trialResults.map(wireView) }, judging);
      queueWithdrawn.push(...withdrawQueueFailures(waits, report.verdicts, wire));
    }
    sideWithdrawn = withdrawServiceSideFailures(report.verdicts, { ...(blind ? { blind } : {}), ...(service.takingTurns ? { turns: service.takingTurns } : {}) });
    const foreign = foreignTraffic(routes, service.takingTurns);
    if (foreign) {
      notes.push(foreignTrafficNote(foreign));
      foreignWithdrawn.push(...withdrawForeignFailures(foreign, report.verdicts));
    }
    report.routes = routeReports(contract, routes, report.verdicts);
    if (restarts.length > 0) for (const r of report.routes) if (r.client?.refusedByClass) r.client.restarting = true;
    // A health check that failed during the run is named with its reason, whatever the objectives.
    if (health.failing.length > 0) {
      const show = (x: number) => `${+(x * 100).toPrecision(3)}%`;
      const clearAt = windowMs !== undefined && measuredFrom !== undefined ? watcher.windowClearOf(measuredFrom) : undefined;
      // Said only beside a failing check that judges a window of requests (the SDK's latency and success).
      const before = windowMs !== undefined && measuredFrom !== undefined && health.failing.some((f) => f.windowMs !== undefined)
        ? `; until its ${formatSeconds(windowMs)} window held only the measured phase's requests (${clearAt !== undefined ? `${formatSeconds(clearAt - measuredFrom)} into it` : 'it never did'}), its latency and success checks also judged the warm-up's requests and any from before the run`
        : '';
      notes.push(`the health endpoint reported failing checks during the measured phase: ${health.failing.map((f) => `${describeFailing([f])} (${show(f.share)} of the time)`).join('; ')}${before}`);
    }
    // A health endpoint that said UP throughout while the run's requests failed their objectives
    // does not tell the truth: the availability composite's health part, and whatever routes
    // traffic by it, cannot see those failures.
    const missedByHealth = report.verdicts.filter((v) => v.verdict === 'fail' && (v.contract === 'errors' || v.contract === 'latency'));
    if (missedByHealth.length > 0 && health.upShare >= 0.999) {
      notes.push(`the health endpoint said UP for all of the measured phase while ${missedByHealth.map((v) => `${v.contract} ${v.name} failed (${missed(v)})`).join(' and ')}: it does not reflect what the requests got, so the availability composite's health part and any load balancer reading it cannot see it (sloctl/sdk's health judges latency and success; a liveness-only endpoint does not)`);
    }
    report.generator = merged.generator;
  }

  // 5. The baseline (read before the run, so a broken one stops the gate before any load).
  if (o.baselinePath !== undefined && report.trials.length > 0) {
    const reg = contract.objectives.regression;
    if (baseline) {
      // A baseline measured under another profile is compared but not judged (compare.ts says so per metric).
      report.baseline = compareWithBaseline(baseline, report.trials, { p95: reg?.p95 ?? 0.05, errorRatio: reg?.errorRatio ?? 0.001, memoryPerRequest: reg?.memoryPerRequest ?? 0.1 }, { path: o.baselinePath, profile: report.profile, plannedTrials: profile.trials, ...(profile.trialsFromFlag ? { trialsSetting: '--trials' } : {}), ...(heap !== undefined ? { heap } : {}) });
      if (starved) withdrawn.push(...withdrawStarvedFailures(starved, [], report.baseline));
      if (lag) lagWithdrawn.push(...withdrawLagFailures(lag, [], report.baseline));
      const mismatch = profileMismatch(baseline, report.profile);
      if (mismatch) notes.push(mismatch);
      // Too few trials for the test to ever reject: said once for the run (and per metric in the comparison).
      // (A run cut short is told to run them all: its count is not what to change.)
      const cut = report.trials.length < profile.trials;
      const unreachable = cut ? undefined : cannotReachAlphaText(report.trials.length, baseline.trials.length, DEFAULT_ALPHA, profile.trialsFromFlag ? '--trials' : undefined);
      if (unreachable) notes.push(`regression: ${unreachable}`);
      // A comparison that warned for another reason (a busy machine; worse, but not significantly
      // beyond the tolerance) is said beside a pass too; the two above are said once for all.
      if (!mismatch && !unreachable && !cut) notes.push(...report.baseline.comparisons.filter((c) => c.verdict === 'warn').map((c) => `regression ${c.metric}: ${c.reason}`));
      journal.write('baseline', { comparison: report.baseline });
    } else if (!o.updateBaseline) {
      // (With --update-baseline a passing run records the first one; the outcome says whether it did.)
      notes.push(`no baseline at ${o.baselinePath} yet: run with --update-baseline once this build is accepted`);
    }
  }

  // 6. The outcome. Its reasons are what decided it: the target's failure, what cut the run short,
  // the failures that stand (FAIL), what withdrew or blocked the verdict (INCONCLUSIVE); a PASS has
  // none. Everything else (above, and failures withdrawn beside ones that stand) is a note.
  if (targetFailure) return finish('target-failed', EXIT.TARGET, [targetFailure.message], notes);
  if (stop.signal.aborted) return finish('inconclusive', EXIT.INCONCLUSIVE, ['interrupted before the profile finished: what was measured is in the journal'], notes);
  if (trialResults.length === 0) return finish('inconclusive', EXIT.INCONCLUSIVE, ['no load was run'], notes);
  const failures = failureReasons(report.verdicts);
  if (report.baseline?.verdict === 'fail') failures.push(...report.baseline.comparisons.filter((c) => c.verdict === 'fail').map((c) => `regression ${c.metric}: ${c.reason}`));
  const notUpdated = o.updateBaseline && o.baselinePath !== undefined ? [baseline ? 'baseline not updated: the gate did not pass' : `no baseline recorded at ${o.baselinePath}: the gate did not pass`] : [];
  const unsupported = starved && withdrawn.length > 0 ? [starvedReason(starved, withdrawn)] : [];
  // The generator's lag, said whatever the outcome when its self-check fell short or the lag withdrew
  // a verdict: how late, and what it withdrew. (A few late sends on a pass: the generator line shows them.)
  const selfCheckFailed = report.generator !== undefined && !report.generator.ok;
  if (lag && (selfCheckFailed || lagWithdrawn.length > 0)) unsupported.unshift(generatorLagReason(lag, lagWithdrawn));
  if (waits && queueWithdrawn.length > 0) unsupported.push(connectionQueueReason(waits, queueWithdrawn));
  if (foreignWithdrawn.length > 0) unsupported.push(foreignTrafficReason(foreignWithdrawn));
  if (sideWithdrawn.reason !== undefined) unsupported.push(sideWithdrawn.reason);
  // An objective the run was too short to measure (its budget under one request) blocks a pass.
  const unmeasured = unmeasurableReasons(report.verdicts);
  // A failure the lag (or a starved machine) cannot explain stands; what they withdrew beside it is a note.
  if (failures.length > 0) return finish('fail', EXIT.FAILED, failures, [...(blind ? [blind.reason] : []), ...unsupported, ...unmeasured, ...notes, ...notUpdated]);
  // The service's instrumentation saw none of the requests: its side of every objective is blind,
  // and a pass would certify numbers the service's health and alerts do not have. Some but under
  // half is also what one instance of several behind the target counts: the verdicts warn and the
  // line is a note (below), the outcome stands.
  if (blind && blind.counted === 0) return finish('inconclusive', EXIT.INCONCLUSIVE, [blind.reason, ...unmeasured, ...unsupported], [...notes, ...notUpdated]);
  if (blind) notes.unshift(blind.reason);
  if (unmeasured.length > 0) return finish('inconclusive', EXIT.INCONCLUSIVE, [...unmeasured, ...unsupported], [...notes, ...notUpdated]);
  // Failed only where a starved machine or the generator's lag explains it, or the generator never
  // delivered the profile: no verdict either way. A pass despite late sends stands (below).
  if (withdrawn.length > 0 || lagWithdrawn.length > 0 || queueWithdrawn.length > 0 || foreignWithdrawn.length > 0 || sideWithdrawn.withdrawn.length > 0 || lag?.underDelivered) return finish('inconclusive', EXIT.INCONCLUSIVE, unsupported, [...notes, ...notUpdated]);
  // A regression beyond the tolerance that the comparison could not judge (a baseline of another
  // profile, a busier machine) is no failure of the build, and no pass either: a user's PR 24%
  // slower on p95 (p = 0.004) passed because its load.duration differed from the baseline's. Asked
  // to record a new baseline, the run does (the old one is not comparable).
  // So is a pass the comparison could not judge (a machine quieter than when the baseline was
  // recorded makes the build look faster; another profile compares nothing): a PASS would claim no
  // regression that nothing here supports, and accept's regression row already said INCONCLUSIVE
  // on the same evidence (a Nest user trial: gate exit 0, accept exit 4).
  const withheld = (report.baseline?.comparisons ?? []).filter((c) => c.withheld === 'fail' || (c.withheld === 'pass' && (c.withheldBy === 'machine' || c.withheldBy === 'profile')));
  if (withheld.length > 0 && !(o.updateBaseline && o.baselinePath !== undefined)) {
    // A heap that does not show the memory, and too few trials, say themselves what would (a longer
    // run, a drill; more trials); the others are judged against a baseline recorded again under
    // this run's profile.
    const fix = (c: (typeof withheld)[number]) => (c.withheldBy === 'heap' || c.withheldBy === 'trials' ? '' : "; record the baseline again under this run's profile (--update-baseline on the last good build) to judge it");
    return finish('inconclusive', EXIT.INCONCLUSIVE, withheld.map((c) => `regression ${c.metric}: ${c.reason}${fix(c)}`), [...unsupported, ...notes, ...notUpdated]);
  }
  // A baseline is the build's numbers: one measured through a lagging generator would be its lag's.
  // Asked to record one, the run did not do what it was asked: INCONCLUSIVE, not a pass that wrote nothing.
  if (lag && selfCheckFailed && o.updateBaseline && o.baselinePath !== undefined) return finish('inconclusive', EXIT.INCONCLUSIVE, [`the objectives passed, but no baseline was recorded at ${o.baselinePath}: the generator lagged, so these numbers would be partly its lag, not the build's; run --update-baseline again on a quieter machine`, ...unsupported], notes);
  if (o.updateBaseline && o.baselinePath !== undefined) {
    // Another run wrote the baseline since this one read it: theirs stays, and this run, asked to
    // record one, did not (INCONCLUSIVE, as above); its report and journal are kept.
    try {
      writeBaseline(o.baselinePath, makeBaseline({ service: contract.service.name, profile: report.profile, trials: report.trials, commit: o.commit }), o.baselinePath, read);
    } catch (e) {
      // Or it could not be written (a disk full, a directory made read-only during the run): the
      // run's measurements and report are kept all the same.
      if (sloctlCode(e) !== 'SLOCTL_BASELINE' && !(e instanceof UsageError)) throw e;
      const why = e instanceof UsageError ? `no baseline was recorded: ${e.message}` : (e as Error).message;
      return finish('inconclusive', EXIT.INCONCLUSIVE, [`the objectives passed, but ${why}`, ...unsupported], notes);
    }
    report.baselineUpdated = o.baselinePath;
    journal.write('baseline-updated', { path: o.baselinePath });
  }
  // A pass despite the generator's lag says how late it was, as a note: the passes stand.
  return finish('pass', EXIT.OK, [], [...unsupported, ...notes]);
}

/** A path from the command line or the contract, relative to the contract's directory. */
export function resolveFrom(contractPath: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(contractPath), p);
}
