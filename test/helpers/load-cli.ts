// `sloctl load` as main() runs it, but registered alone so a test can hand it its own runLoad,
// signal and terminal (LoadCommandDeps); errors map to exit codes the way main() maps them.
import { Command } from 'commander';
import { EXIT, type CliContext } from '../../src/cli/exit.ts';
import { register, type LoadCommandDeps } from '../../src/cli/load.ts';
import { exitFor } from '../../src/cli/main.ts';
import { Histogram } from '../../src/measure/histogram.ts';
import type { LoadOptions, LoadResult } from '../../src/load/types.ts';

export async function runLoadCli(args: string[], deps: LoadCommandDeps, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = { exitCode: EXIT.OK, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, color: false };
  const program = new Command('sloctl').exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  register(program, ctx, { isTTY: false, ...deps });
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr });
  try {
    await program.parseAsync(['node', 'sloctl', 'load', ...args]);
    return { code: ctx.exitCode, stdout, stderr };
  } catch (e) {
    const code = exitFor(e, { stderr: (s) => { stderr += s; } });
    return { code, stdout, stderr };
  }
}

/** A result as runLoad would return it, for the tests that only check what the command does with one. */
export function fakeResult(options: LoadOptions, over: Partial<LoadResult> = {}): LoadResult {
  const h = new Histogram();
  for (let i = 0; i < 10; i++) h.record(2000 + i * 100);
  const s = h.summary();
  return {
    source: 'sloctl',
    url: options.url,
    model: 'open',
    startedAt: 1_714_564_800_000,
    durationMs: 1000,
    sent: 10,
    completed: 10,
    errors: 0,
    timeouts: 0,
    throughput: 10,
    latency: s,
    serviceTime: s,
    statuses: { '200': 10 },
    routes: [{ name: options.requests[0].name, sent: 10, completed: 10, statuses: { '200': 10 }, errors: {}, latency: s, serviceTime: s, histogram: h.toJSON(), serviceHistogram: h.toJSON() }],
    generator: { requestedRate: 10, achievedRate: 10, lateSends: 0, lateThresholdMs: 10, maxLagMs: 1, droppedSends: 0, eventLoopDelayP99Ms: 1, cpu: 0.05, workers: 1, ok: true, reasons: [] },
    notes: [],
    ...over,
  };
}
