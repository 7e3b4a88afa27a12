// `sloctl drill FILE`: the red-blue drills of the contract (objectives.resilience.drills). Starts the
// contract's target (or attaches with --target), holds the load profile on it, and per drill
// measures the steady state, applies the fault (a fault proxy in front of a dependency, or an
// in-process fault through the SDK's drill endpoint), removes it and watches recovery; the judge
// says per drill whether the service held, how fast its own signals showed the fault, and how fast
// it recovered. See src/drill/run.ts.
//
// Exit codes as the gate: 0 every drill passed; 1 a drill failed; 2 usage or contract error; 3 the
// target failed; 4 inconclusive (a drill could not run, the generator fell short, interrupted).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { gateProfile } from '../run/profile.ts';
import { journalPathProblem } from '../run/journal.ts';
import { attachUrl } from '../run/target.ts';
import { runDrills, DEFAULT_STEADY_MS, type DrillRunReport } from '../drill/run.ts';
import { appendStepSummary } from '../report/markdown.ts';
import { renderDrillJson, renderDrillJunit, renderDrillMarkdown, renderDrillTable } from '../report/drill.ts';
import { htmlFromDrill, renderHtml } from '../report/html.ts';
import type { DrillTimeline } from '../report/html-model.ts';
import { ProgressWriter, renderProgressLine } from '../load/progress.ts';
import type { LoadProgress } from '../load/types.ts';
import { judgeDrills } from '../verdicts/drill.ts';
import { UsageError, type CliContext } from './exit.ts';
import { checkReportPaths, contractArgument, loadValidContract, writeAtomically } from './files.ts';
import { durationFlag, durationOrZeroFlag, intFlag, rateFlag } from './flags.ts';
import { staleContractJsonNote } from './validate-contract-json.ts';

export interface DrillFlags {
  drill?: string[];
  target?: string;
  proxy?: string[];
  steady?: string;
  fullRecoveryWatch?: boolean;
  rate?: string;
  warmup?: string;
  json?: boolean;
  junit?: string;
  markdown?: string;
  html?: string;
  journal?: string;
  seed?: string;
  allowRemote?: boolean;
  progress: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command, ctx: CliContext): void {
  program
    .command('drill')
    .description('Red-blue drills: attack the service as the contract\'s resilience drills say (a slow or failing dependency, a blocked event loop), under load, and judge detection, degraded objectives and recovery.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--drill <name>', 'run only this drill (repeatable; default: every drill of the contract)', collect)
    .option('--target <url>', 'attach to a running service at this URL instead of starting target.run (default: the contract\'s target.url when it has no target.run)')
    .option('--proxy <name=host:port>', 'with --target: listen for dependency NAME at HOST:PORT, where the service was pointed (repeatable)', collect)
    .option('--steady <duration>', 'the steady window measured before each fault', `${DEFAULT_STEADY_MS / 1000}s`)
    .option('--full-recovery-watch', 'watch each recovery for its whole recoverWithin + 3s, even once the service holds its objectives again (default: the watch ends when it has held a judged window + 3s, and the next drill starts sooner)')
    .option('--rate <rate>', 'override load.rate: 200 or 200/s (an open model; not max)')
    .option('--warmup <duration>', 'override load.warmup (0s for none)')
    .option('--json', 'print the report as JSON on stdout instead of the table')
    .option('--junit <path>', 'write a JUnit XML report (one test case per drill)')
    .option('--markdown <path>', 'write a Markdown report (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--html <path>', 'write the HTML report: one self-contained file (verdict, a card per drill, latency with the fault windows shaded, detection and recovery against their limits), opened offline')
    .option('--journal <path>', 'where the run journal (JSON lines) goes (default .sloctl/runs/<service>-<time>/journal.jsonl beside the contract)')
    .option('--seed <n>', 'seed of the request mix and of which requests the faults hit', '1')
    .option('--allow-remote', 'allow a --target that is not on a loopback address')
    .option('--no-progress', 'no progress display')
    .action(async (file: string | undefined, flags: DrillFlags) => {
      await runDrillCommand(file, flags, ctx);
    });
}

/**
 * The load's progress under the drills' labels ("drill payments-down: fault, 7s left"): redrawn on
 * a terminal. Without one the label (which counts seconds down) would restart ProgressWriter's
 * throttle every second: one line every 5 s of load, and one per phase change, instead. accept's
 * drills phase uses it too.
 */
export function drillProgress(progress: ProgressWriter, write: (text: string) => void, tty: boolean): (label: string, p: LoadProgress) => void {
  let lastLine = { at: -Infinity, phase: '' };
  return (label, p) => {
    if (tty) return progress.update(p, label);
    const phase = label.replace(/, \d+s left$/, '');
    if (phase === lastLine.phase && p.elapsedMs - lastLine.at < 5000) return;
    lastLine = { at: p.elapsedMs, phase };
    write(`${label}: ${renderProgressLine(p)}\n`);
  };
}

/** --proxy NAME=HOST:PORT, checked: a loopback-or-named host and a port. */
function proxyFlags(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const m = /^([^=\s]+)=([^\s:]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(v.trim());
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new UsageError(`--proxy ${v}: expected NAME=HOST:PORT (the dependency's name in the contract, and the address the service was told to reach it at), e.g. --proxy payments=127.0.0.1:18081`);
    if (out[m[1]] !== undefined) throw new UsageError(`--proxy ${m[1]} is given twice: give each dependency one address`);
    out[m[1]] = `${m[2]}:${m[3]}`;
  }
  return out;
}

export async function runDrillCommand(file: string | undefined, flags: DrillFlags, ctx: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const journalPath = flags.journal === undefined ? undefined : resolve(ctx.cwd, flags.journal);
  if (journalPath !== undefined) {
    const problem = journalPathProblem(journalPath);
    if (problem !== undefined) throw new UsageError(`--journal ${flags.journal}: ${problem}. Pass a file path sloctl can create or append to, or leave --journal out for the default under .sloctl/runs/ beside the contract.`);
  }
  const seed = intFlag('seed', flags.seed ?? '1', 0, 2 ** 32 - 1);
  checkReportPaths(ctx, 'the drill', [['--junit', flags.junit], ['--markdown', flags.markdown], ['--html', flags.html]]);
  const steadyMs = durationFlag('steady', flags.steady ?? `${DEFAULT_STEADY_MS / 1000}s`);
  if (steadyMs < 1000) throw new UsageError(`--steady ${flags.steady}: the steady window must be at least 1s (it is what each fault is compared with)`);
  const rate = flags.rate === undefined ? undefined : rateFlag('rate', flags.rate);
  const warmupMs = flags.warmup === undefined ? undefined : durationOrZeroFlag('warmup', flags.warmup);
  const proxies = proxyFlags(flags.proxy);
  const { contract, shown, abs: path, loaded } = loadValidContract(ctx, contractArgument(ctx.cwd, file, 'sloctl drill'), 'the drill');
  // A stale slo.json beside it: the Go middleware judges itself by the old contract (one line, before the run).
  const staleJson = await staleContractJsonNote(loaded, ctx.cwd);
  if (staleJson !== undefined) ctx.stderr(`sloctl: warning: ${staleJson}\n`);
  if (Object.keys(proxies).length > 0 && attachUrl(flags.target, contract.target) === undefined) throw new UsageError('--proxy is for attach mode (--target, or a contract whose target has a url and no run): when sloctl starts the service it places the proxies itself');
  const profile = gateProfile(contract, { ...(rate !== undefined ? { rate } : {}), ...(warmupMs !== undefined ? { warmupMs } : {}) });
  if (typeof profile === 'string') throw new UsageError(`${shown}: ${profile}`);
  if (profile.rate === 'max') throw new UsageError(`${shown}: load.rate max is a closed model; a drill needs an open model (a fixed rate) so that a slow service cannot slow the load down: give load.rate or --rate`);

  const interrupt = new AbortController();
  const tty = process.stderr.isTTY === true;
  const progress = flags.progress && !flags.json ? new ProgressWriter({ write: ctx.stderr, isTTY: tty }) : undefined;
  const onProgress = progress ? drillProgress(progress, ctx.stderr, tty) : undefined;
  let result;
  try {
    result = await runDrills({
      contract,
      contractFile: shown,
      contractPath: path,
      profile,
      drills: flags.drill,
      judge: judgeDrills,
      target: flags.target,
      proxies,
      steadyMs,
      fullRecoveryWatch: flags.fullRecoveryWatch === true,
      allowRemote: flags.allowRemote === true,
      journalPath,
      seed,
      env,
      signal: interrupt.signal,
      log: (line) => {
        progress?.clear();
        // Its lines go to stderr with --json too (stdout is the report alone), as the gate's and accept's do.
        if (flags.progress) ctx.stderr(`sloctl drill: ${line}\n`);
      },
      onProgress,
    });
  } finally {
    progress?.clear();
  }
  emit(result.report, flags, ctx, env, result);
}

/** The report on stdout (table or JSON), and the JUnit and Markdown files; sets the exit code. */
function emit(report: DrillRunReport, flags: DrillFlags, ctx: CliContext, env: NodeJS.ProcessEnv, timeline?: DrillTimeline): void {
  if (flags.json) ctx.stdout(`${renderDrillJson(report)}\n`);
  else ctx.stdout(`${renderDrillTable(report, { color: ctx.color })}\n`);
  if (flags.junit !== undefined) writeAtomically(resolve(ctx.cwd, flags.junit), renderDrillJunit(report), flags.junit);
  const md = flags.markdown !== undefined || env.GITHUB_STEP_SUMMARY ? renderDrillMarkdown(report) : undefined;
  if (md !== undefined && flags.markdown !== undefined) writeAtomically(resolve(ctx.cwd, flags.markdown), md, flags.markdown);
  // The run's windows and slices (not in the report) draw the latency timeline with the faults shaded.
  if (flags.html !== undefined) writeAtomically(resolve(ctx.cwd, flags.html), renderHtml(htmlFromDrill(report, timeline)), flags.html);
  if (md !== undefined) appendStepSummary(md, env);
  ctx.exitCode = report.exitCode;
}
