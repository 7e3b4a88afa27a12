// `sloctl accept FILE`: the SRE acceptance as one command (issue 13). Starts the contract's target
// once, with fault proxies in front of its dependencies, and runs on it: the static dependency
// check, the gate, the drills, the dependency timeouts, the observability phase and the drift
// phase; then one verdict over the eleven contracts (src/verdicts/accept.ts). See src/accept/run.ts.
//
// Exit codes as the gate: 0 PASS; 1 a contract failed; 2 usage or contract error; 3 the target
// failed; 4 INCONCLUSIVE (something could not be judged: a lag, a phase interrupted or skipped).
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { runAccept, type AcceptPhaseRunners } from '../accept/run.ts';
import { DEFAULT_STEADY_MS } from '../drill/run.ts';
import { ProgressWriter } from '../load/progress.ts';
import { htmlFromAccept, renderAcceptJson, renderAcceptJunit, renderAcceptMarkdown, renderAcceptTable } from '../report/accept.ts';
import { renderHtml } from '../report/html.ts';
import { appendStepSummary } from '../report/markdown.ts';
import { gitCommit, measuredRun, overrides } from './gate.ts';
import { journalPathProblem } from '../run/journal.ts';
import { ACCEPT_PHASES, type AcceptPhase } from '../verdicts/accept.ts';
import { drillProgress } from './drill.ts';
import { UsageError, type CliContext } from './exit.ts';
import { checkReportPaths, contractArgument, loadValidContract, writeAtomically } from './files.ts';
import { durationFlag, intFlag } from './flags.ts';
import { staleContractJsonNote } from './validate-contract-json.ts';

export interface AcceptFlags {
  rate?: string;
  duration?: string;
  warmup?: string;
  trials?: string;
  connections?: string;
  steady?: string;
  fullRecoveryWatch?: boolean;
  baseline?: string;
  updateBaseline?: boolean;
  project?: string;
  skip?: string[];
  json?: boolean;
  junit?: string;
  markdown?: string;
  html?: string;
  journal?: string;
  seed?: string;
  progress: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
/** --skip takes the phase names with dashes: static, gate, drills, dependency-timeouts, observability, drift. */
const SKIP_NAMES: Record<string, AcceptPhase> = Object.fromEntries(ACCEPT_PHASES.map((p) => [p === 'static dependency check' ? 'static' : p.replace(/ /g, '-'), p]));

export function register(program: Command, ctx: CliContext): void {
  program
    .command('accept')
    .description('The SRE acceptance: start the service once and run every contract against it (the code check, the gate, the drills, dependency timeouts, observability, drift); one verdict over the eleven contracts, with evidence.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--rate <rate>', 'override load.rate: 200 or 200/s (an open model; not max)')
    .option('--duration <duration>', 'override the gate\'s measured phase (load.duration)')
    .option('--warmup <duration>', 'override load.warmup (0s for none)')
    .option('--trials <n>', 'override objectives.regression.trials')
    .option('--connections <n>', 'override load.connections')
    .option('--steady <duration>', 'the steady window measured before each drill\'s fault', `${DEFAULT_STEADY_MS / 1000}s`)
    .option('--full-recovery-watch', 'the drills watch each recovery for its whole recoverWithin + 3s (default: a watch ends once the service has held a judged window + 3s)')
    .option('--baseline <path>', 'compare with this baseline (default: objectives.regression.baseline)')
    .option('--update-baseline', 'when the whole acceptance passes (every contract), replace the baseline with this run\'s gate phase')
    .option('--project <dir>', 'the service\'s source directory for the static dependency check (default: target.cwd, else the contract\'s directory)')
    .option('--skip <phase>', `leave a phase out (repeatable: ${Object.keys(SKIP_NAMES).join(', ')}); its contracts are INCONCLUSIVE`, collect)
    .option('--json', 'print the report as JSON on stdout instead of the table')
    .option('--junit <path>', 'write a JUnit XML report (one test case per contract)')
    .option('--markdown <path>', 'write a Markdown report (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--html <path>', 'write the HTML report: one self-contained file (the verdict, a card per contract, the gate\'s and the drills\' charts), opened offline')
    .option('--journal <path>', 'where the run journal (JSON lines) goes (default .sloctl/runs/<service>-<time>/journal.jsonl beside the contract)')
    .option('--seed <n>', 'seed of the request mix and of the faults', '1')
    .option('--no-progress', 'no progress display')
    .action(async (file: string | undefined, flags: AcceptFlags) => {
      await runAcceptCommand(file, flags, ctx);
    });
}


/** The real phases (loaded only when accept runs: the scanners and the phases are not small). */
async function realPhases(cwd: string): Promise<AcceptPhaseRunners> {
  const { staticDependencyPhase } = await import('../run/static-dependency-phase.ts');
  const { observabilityPhase } = await import('../run/observability-phase.ts');
  const { dependencyPhase } = await import('../run/dependency-phase.ts');
  const { driftPhase } = await import('../run/drift-phase.ts');
  return {
    drift: (p) => driftPhase(p),
    dependencyTimeouts: (p) => dependencyPhase(p),
    staticDependencies: ({ contract, dir }) => staticDependencyPhase({ contract, dir, cwd }),
    observability: (p) => observabilityPhase({ contract: p.contract, url: p.url, seed: p.seed, signal: p.signal, log: p.log }),
  };
}

export async function runAcceptCommand(file: string | undefined, flags: AcceptFlags, ctx: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const journalPath = flags.journal === undefined ? undefined : resolve(ctx.cwd, flags.journal);
  if (journalPath !== undefined) {
    const problem = journalPathProblem(journalPath);
    if (problem !== undefined) throw new UsageError(`--journal ${flags.journal}: ${problem}. Pass a file path sloctl can create or append to, or leave --journal out for the default under .sloctl/runs/ beside the contract.`);
  }
  const skip = (flags.skip ?? []).map((s) => {
    const p = SKIP_NAMES[s.trim()];
    if (p === undefined) throw new UsageError(`--skip ${s}: not a phase of accept; the phases are ${Object.keys(SKIP_NAMES).join(', ')}`);
    return p;
  });
  // The outputs are written after minutes of measuring: a directory that is not there is said now.
  checkReportPaths(ctx, 'accept', [['--html', flags.html], ['--junit', flags.junit], ['--markdown', flags.markdown]]);
  const seed = intFlag('seed', flags.seed ?? '1', 0, 2 ** 32 - 1);
  const steadyMs = durationFlag('steady', flags.steady ?? `${DEFAULT_STEADY_MS / 1000}s`);
  if (steadyMs < 1000) throw new UsageError(`--steady ${flags.steady}: the steady window must be at least 1s (it is what each fault is compared with)`);
  const { contract, shown, abs: path, loaded } = loadValidContract(ctx, contractArgument(ctx.cwd, file, 'sloctl accept'), 'accept');
  // A stale slo.json beside it: the Go middleware judges itself by the old contract (one line, before the run).
  const staleJson = await staleContractJsonNote(loaded, ctx.cwd);
  if (staleJson !== undefined) ctx.stderr(`sloctl: warning: ${staleJson}\n`);
  const { profile, baselinePath } = measuredRun(contract, shown, path, overrides(flags), flags, ctx.cwd);
  // The code is where the service runs from: target.cwd when the contract gives one, else beside the contract.
  const projectDir = flags.project !== undefined ? resolve(ctx.cwd, flags.project) : contract.target?.cwd !== undefined ? resolve(dirname(path), contract.target.cwd) : undefined;

  const interrupt = new AbortController();
  const progress = flags.progress && !flags.json ? new ProgressWriter({ write: ctx.stderr, isTTY: process.stderr.isTTY === true }) : undefined;
  let result;
  try {
    result = await runAccept({
      contract, contractFile: shown, contractPath: path, profile, steadyMs, baselinePath, fullRecoveryWatch: flags.fullRecoveryWatch === true,
      // The gate phase records the baseline only on its own pass; accept's other contracts are not its business.
      updateBaseline: flags.updateBaseline === true,
      journalPath, commit: gitCommit(dirname(path)), seed, projectDir, skip, env,
      phases: await realPhases(ctx.cwd),
      signal: interrupt.signal,
      // Phase lines go to stderr with --json too (as the gate's): stdout holds only the report, and
      // a CI log should not sit silent for the minutes a run takes. --no-progress silences them.
      log: (line) => {
        progress?.clear();
        if (flags.progress) ctx.stderr(`sloctl accept: ${line}\n`);
      },
      onProgress: progress ? drillProgress(progress, ctx.stderr, process.stderr.isTTY === true) : undefined,
    });
  } finally {
    progress?.clear();
  }
  const { report, drillRun } = result;
  if (flags.json) ctx.stdout(`${renderAcceptJson(report)}\n`);
  else ctx.stdout(`${renderAcceptTable(report)}\n`);
  if (flags.junit !== undefined) writeAtomically(resolve(ctx.cwd, flags.junit), renderAcceptJunit(report), flags.junit);
  const md = flags.markdown !== undefined || env.GITHUB_STEP_SUMMARY ? renderAcceptMarkdown(report) : undefined;
  if (md !== undefined && flags.markdown !== undefined) writeAtomically(resolve(ctx.cwd, flags.markdown), md, flags.markdown);
  if (flags.html !== undefined) writeAtomically(resolve(ctx.cwd, flags.html), renderHtml(htmlFromAccept(report, drillRun ? { evidence: drillRun.evidence, load: drillRun.load } : undefined)), flags.html);
  if (md !== undefined) appendStepSummary(md, env);
  ctx.exitCode = report.exitCode;
}
