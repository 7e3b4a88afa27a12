// `sloctl gate [FILE]` (default ./slo.yaml): the release gate. Starts the contract's target (or
// attaches with --target), warms it up, runs the load profile as repeated trials while scraping the
// service, and judges every objective from the client's and the service's view, and against the
// last accepted build.
//
// Exit codes: 0 pass; 1 an objective or the baseline failed; 2 usage or contract error; 3 the
// target failed (did not start, died, stopped answering); 4 inconclusive (the generator could not
// deliver the profile, or the run was interrupted).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { baselineWriteProblem } from '../run/baseline-file.ts';
import { gateProfile, type GateProfile, type ProfileOverrides } from '../run/profile.ts';
import type { Contract } from '../contract/schema.ts';
import { appendStepSummary, renderMarkdown } from '../report/markdown.ts';
import { renderJunit } from '../report/junit.ts';
import { htmlFromGate, renderHtml } from '../report/html.ts';
import { renderJson, renderTable } from '../report/table.ts';
import { judgeImported } from '../gate/imported.ts';
import { journalPathProblem } from '../run/journal.ts';
import { resolveFrom, runGate } from '../gate/run.ts';
import type { GateReport } from '../verdicts/types.ts';
import { readLoadResult } from '../load/import.ts';
import { MAX_WORKERS } from '../load/run.ts';
import { ProgressWriter } from '../load/progress.ts';
import { UsageError, type CliContext } from './exit.ts';
import { checkReportPaths, contractArgument, loadValidContract, readInputFile, writeAtomically } from './files.ts';
import { durationFlag, durationOrZeroFlag, intFlag, rateFlag } from './flags.ts';
import { pluralize } from './plural.ts';
import { staleContractJsonNote } from './validate-contract-json.ts';

interface GateFlags {
  from?: string;
  target?: string;
  rate?: string;
  duration?: string;
  warmup?: string;
  connections?: string;
  workers?: string;
  trials?: string;
  timeout?: string;
  baseline?: string;
  updateBaseline?: boolean;
  json?: boolean;
  junit?: string;
  markdown?: string;
  html?: string;
  journal?: string;
  seed?: string;
  allowRemote?: boolean;
  progress: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('gate')
    .description('The release gate: drive the contract\'s load profile against the service, judge every objective from both sides and against the baseline.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--target <url>', 'attach to a running service at this URL instead of starting target.run (default: the contract\'s target.url when it has no target.run)')
    .option('--from <file>', 'judge a result another run made (vegeta results or report, k6 summary, sloctl load --json) instead of running load: the client\'s view only')
    .option('--rate <rate>', 'override load.rate: 500, 500/s, or max (closed model, for capacity runs)')
    .option('--duration <duration>', 'override load.duration (the measured phase, split into the trials)')
    .option('--warmup <duration>', 'override load.warmup (0s for none)')
    .option('--connections <n>', 'override load.connections')
    .option('--workers <n>', 'worker threads for the load generator (when one core cannot drive the rate)', '1')
    .option('--trials <n>', 'override objectives.regression.trials: the measured phase is split into this many trials')
    .option('--timeout <duration>', 'override load.timeout')
    .option('--baseline <path>', 'compare with this baseline (default: objectives.regression.baseline when the contract has a regression objective)')
    .option('--update-baseline', 'when the gate passes, replace the baseline with this run (atomically)')
    .option('--json', 'print the report as JSON on stdout instead of the table')
    .option('--junit <path>', 'write a JUnit XML report (one test case per objective)')
    .option('--markdown <path>', 'write a Markdown report (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--html <path>', 'write the HTML report: one self-contained file (verdict, a card per objective, latency over time, error budget, baseline), opened offline')
    .option('--journal <path>', 'where the run journal (JSON lines) goes (default .sloctl/runs/<service>-<time>/journal.jsonl beside the contract)')
    .option('--seed <n>', 'seed of the request mix, for reproducible runs', '1')
    .option('--allow-remote', 'allow a --target that is not on a loopback address')
    .option('--no-progress', 'no progress display')
    .action(async (file: string | undefined, flags: GateFlags) => {
      await runGateCommand(file, flags, ctx);
    });
}


/** The load profile flags (gate and accept share them). */
export function overrides(flags: Pick<GateFlags, 'rate' | 'duration' | 'warmup' | 'connections' | 'workers' | 'trials' | 'timeout'>): ProfileOverrides {
  const o: ProfileOverrides = {};
  if (flags.rate !== undefined) o.rate = rateFlag('rate', flags.rate, true);
  if (flags.duration !== undefined) o.durationMs = durationFlag('duration', flags.duration);
  if (flags.warmup !== undefined) o.warmupMs = durationOrZeroFlag('warmup', flags.warmup);
  if (flags.connections !== undefined) o.connections = intFlag('connections', flags.connections, 1, 100_000);
  if (flags.workers !== undefined) o.workers = intFlag('workers', flags.workers, 1, MAX_WORKERS);
  if (flags.trials !== undefined) o.trials = intFlag('trials', flags.trials, 1, 1000);
  if (flags.timeout !== undefined) o.timeoutMs = durationFlag('timeout', flags.timeout);
  return o;
}

/** The commit being gated, for the baseline's record; undefined outside a git work tree. */
export function gitCommit(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The load profile of a measured run (gate, accept) with its flags applied and checked, and the
 * baseline it compares with: --baseline (from the working directory) or the contract's
 * objectives.regression.baseline (from the contract's directory).
 */
export function measuredRun(contract: Contract, shown: string, path: string, profileOverrides: ProfileOverrides, flags: { baseline?: string; updateBaseline?: boolean }, cwd: string): { profile: GateProfile; baselinePath?: string } {
  const profile = gateProfile(contract, profileOverrides);
  if (typeof profile === 'string') throw new UsageError(`${shown}: ${profile}`);
  if (profile.durationMs / profile.trials < 1000) throw new UsageError(`--trials: ${pluralize(profile.trials, 'trial')} of a ${profile.durationMs / 1000}s phase ${profile.trials === 1 ? 'is' : 'are'} shorter than 1s each: lower --trials or raise --duration`);
  if (flags.updateBaseline && flags.baseline === undefined && !contract.objectives.regression) {
    throw new UsageError('--update-baseline needs a baseline path: pass --baseline PATH or add objectives.regression to the contract');
  }
  const baselineFlag = flags.baseline ?? contract.objectives.regression?.baseline;
  const baselinePath = baselineFlag === undefined ? undefined : flags.baseline !== undefined ? resolve(cwd, flags.baseline) : resolveFrom(path, baselineFlag);
  // A baseline named on the command line is one the user means to compare with: missing (a CI
  // cache not restored, a typo), the run would pass with "no baseline yet" and judge no regression.
  // Said before any load; the contract's own path may be missing (the first run records it).
  if (flags.baseline !== undefined && !flags.updateBaseline && baselinePath !== undefined && !existsSync(baselinePath)) {
    throw new UsageError(`--baseline ${flags.baseline}: no file at ${baselinePath}, so no regression could be judged; record one with --update-baseline on an accepted build (or restore it, if CI keeps it), or leave --baseline out`);
  }
  // A baseline this run could not record is found now, not after the run has been measured.
  const problem = flags.updateBaseline && baselinePath !== undefined ? baselineWriteProblem(baselinePath) : undefined;
  if (problem !== undefined) {
    const from = flags.baseline !== undefined ? `--baseline ${flags.baseline}` : `objectives.regression.baseline (${baselineFlag})`;
    throw new UsageError(`--update-baseline: the baseline cannot be written at ${from}: ${problem}; point ${flags.baseline !== undefined ? '--baseline' : 'objectives.regression.baseline'} at a file sloctl can create, or leave --update-baseline out`);
  }
  return { profile, baselinePath };
}

export async function runGateCommand(file: string | undefined, flags: GateFlags, ctx: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const profileOverrides = overrides(flags);
  // Checked before anything is loaded or started: a run whose journal cannot be written would
  // otherwise die on its first event with a stack trace.
  const journalPath = flags.journal === undefined ? undefined : resolve(ctx.cwd, flags.journal);
  if (journalPath !== undefined && flags.from === undefined) {
    const problem = journalPathProblem(journalPath);
    if (problem !== undefined) throw new UsageError(`--journal ${flags.journal}: ${problem}. Pass a file path sloctl can create or append to, or leave --journal out for the default under .sloctl/runs/ beside the contract.`);
  }
  const seed = intFlag('seed', flags.seed ?? '1', 0, 2 ** 32 - 1);
  checkReportPaths(ctx, 'the gate', [['--junit', flags.junit], ['--markdown', flags.markdown], ['--html', flags.html]]);
  const { contract, shown, abs: path, loaded } = loadValidContract(ctx, contractArgument(ctx.cwd, file, 'sloctl gate'), 'the gate');
  // A stale slo.json beside it: the Go middleware judges itself by the old contract (one line, before the run).
  const staleJson = await staleContractJsonNote(loaded, ctx.cwd);
  if (staleJson !== undefined) ctx.stderr(`sloctl: warning: ${staleJson}\n`);
  if (flags.from !== undefined) {
    if (flags.target !== undefined || flags.updateBaseline) throw new UsageError('--from judges a finished run: it cannot be combined with --target or --update-baseline');
    const input = readInputFile(ctx, flags.from, 'name the result file');
    // An ImportError (not a result of any format it reads) ends the command with exit 2.
    const result = readLoadResult(input.shown, input.text);
    emit(judgeImported({ contract, contractFile: shown, result, from: input.shown }), flags, ctx, env);
    return;
  }
  const { profile, baselinePath } = measuredRun(contract, shown, path, profileOverrides, flags, ctx.cwd);

  const interrupt = new AbortController();
  // Ctrl-C or a CI runner's SIGTERM: stop the load, stop the target (it runs in its own process
  // group, so the signal does not reach it), keep and report what was measured.
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = flags.progress && !flags.json ? new ProgressWriter({ write: ctx.stderr, isTTY: process.stderr.isTTY === true }) : undefined;
  let report;
  try {
    report = await runGate({
      contract,
      env,
      contractFile: shown,
      contractPath: path,
      profile,
      target: flags.target,
      allowRemote: flags.allowRemote === true,
      baselinePath,
      updateBaseline: flags.updateBaseline === true,
      journalPath,
      commit: gitCommit(dirname(path)),
      seed,
      signal: interrupt.signal,
      log: (line) => {
        progress?.clear();
        if (flags.progress) ctx.stderr(`sloctl gate: ${line}\n`);
      },
      onProgress: progress ? (phase, p) => progress.update(p, phase) : undefined,
    });
  } finally {
    progress?.clear();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  if (staleJson !== undefined) report = { ...report, notes: [...report.notes, staleJson] };
  emit(report, flags, ctx, env);
}

/** The report on stdout (table or JSON), and the JUnit and Markdown files; sets the exit code. */
function emit(report: GateReport, flags: GateFlags, ctx: CliContext, env: NodeJS.ProcessEnv): void {
  if (flags.json) ctx.stdout(`${renderJson(report)}\n`);
  else ctx.stdout(`${renderTable(report, { color: ctx.color })}\n`);
  if (flags.junit !== undefined) writeAtomically(resolve(ctx.cwd, flags.junit), renderJunit(report), flags.junit);
  const md = flags.markdown !== undefined || env.GITHUB_STEP_SUMMARY ? renderMarkdown(report) : undefined;
  if (md !== undefined && flags.markdown !== undefined) writeAtomically(resolve(ctx.cwd, flags.markdown), md, flags.markdown);
  if (flags.html !== undefined) writeAtomically(resolve(ctx.cwd, flags.html), renderHtml(htmlFromGate(report)), flags.html);
  if (md !== undefined) appendStepSummary(md, env);
  ctx.exitCode = report.exitCode;
}
