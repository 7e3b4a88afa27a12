// The baseline comparison on THIS machine, with real load (issue 5: "an unchanged build passes 20
// trials out of 20 against its own baseline; a build made 20% slower is caught").
//
//   node --import tsx bench/baseline-noise.ts [--runs 20] [--slower-runs 10] [--factor 1.2]
//        [--rate 200] [--trial 2000] [--trials 5] [--warmup 1000] [--alpha 0.05]
//
// A node:http server whose handler waits `delay` ms on a timer and then burns `cpu` ms of CPU, both
// times `factor`, runs in a child process (a fresh one per run, as a new build would be). One run
// records the baseline: warm-up, then `trials` back-to-back trials of `trial` ms at `rate`/s, each a
// TrialMetrics (corrected p95, error ratio, heap growth per request read from the server over IPC,
// and the CPU the rest of the machine left free: src/verdicts/machine.ts). Then `runs` gate-style
// comparisons against it with the unchanged server and `slower-runs` with the server `factor`
// slower, interleaved so that whatever else the machine does hits both alike. Prints each
// comparison's medians, p-values and verdicts, and the false-alarm and detection counts, with the
// machine check and without it (the same trials judged twice).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeBaseline, type BaselineFile, type BaselineProfile } from '../src/verdicts/baseline.ts';
import { compareWithBaseline } from '../src/verdicts/compare.ts';
import type { BaselineComparison, TrialMetrics } from '../src/verdicts/types.ts';
import { runLoad } from '../src/load/run.ts';
import type { LoadOptions } from '../src/load/types.ts';
import { machineBetween } from '../src/verdicts/machine.ts';
import { processTreeCpuMs, sampleCpu } from '../src/run/machine-probe.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number, got ${process.argv[i + 1]}`);
  return v;
}

// ---------------------------------------------------------------- the server (child process)

function serve(): void {
  const delayMs = flag('delay', 10) * flag('factor', 1);
  const cpuMs = flag('cpu', 0.5) * flag('factor', 1);
  const server = createServer((_req, res) => {
    setTimeout(() => {
      const until = performance.now() + cpuMs;
      let x = 0;
      while (performance.now() < until) x += Math.sqrt(x + 1);
      const body = JSON.stringify({ ok: true, x, items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item-${i}` })) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, delayMs);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
  });
  // The heap as the service's nodejs_heap_size_used_bytes gauge would show it.
  process.on('message', (m) => {
    if (m === 'heap') {
      const cpu = process.cpuUsage();
      process.send?.({ heapUsed: process.memoryUsage().heapUsed, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- the harness

interface Target {
  child: ChildProcess;
  url: string;
  heap(): Promise<{ heapUsed: number; cpuMs: number }>;
  stop(): Promise<void>;
}

async function startTarget(factor: number): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', '--factor', String(factor), '--delay', String(flag('delay', 10)), '--cpu', String(flag('cpu', 0.5))], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`test server exited with ${code} before it was ready`)));
  });
  const heap = () =>
    new Promise<{ heapUsed: number; cpuMs: number }>((resolve) => {
      child.once('message', (m) => resolve(m as { heapUsed: number; cpuMs: number }));
      child.send('heap');
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, url: `http://127.0.0.1:${port}`, heap, stop };
}

interface Settings {
  rate: number;
  trialMs: number;
  trials: number;
  warmupMs: number;
  connections: number;
}

function loadOptions(url: string, s: Settings, durationMs: number, seed: number): LoadOptions {
  return {
    url,
    requests: [{ name: 'GET /', weight: 1, method: 'GET', path: '/' }],
    stages: [{ rate: s.rate, durationMs }],
    connections: s.connections,
    timeoutMs: 5000,
    workers: 1,
    seed,
  };
}

/** One gate-style measurement: a fresh server, warm-up, then the trials back to back. */
async function measure(factor: number, s: Settings, seed: number): Promise<{ trials: TrialMetrics[]; notes: string[] }> {
  const target = await startTarget(factor);
  const notes: string[] = [];
  try {
    await runLoad(loadOptions(target.url, s, s.warmupMs, seed));
    const trials: TrialMetrics[] = [];
    for (let i = 0; i < s.trials; i++) {
      const before = await target.heap();
      // The target's CPU as the gate reads it when it started the target: /proc (else over IPC).
      const targetCpuBefore = processTreeCpuMs(target.child.pid!) ?? before.cpuMs;
      const machineBefore = sampleCpu();
      const r = await runLoad(loadOptions(target.url, s, s.trialMs, seed + i + 1));
      const machineAfter = sampleCpu();
      const after = await target.heap();
      const targetCpuAfter = processTreeCpuMs(target.child.pid!) ?? after.cpuMs;
      const heapBefore = before.heapUsed;
      const heapAfter = after.heapUsed;
      const machine = machineBetween(machineBefore, machineAfter, targetCpuAfter - targetCpuBefore);
      if (r.generator && !r.generator.ok) notes.push(`trial ${i}: generator fell short: ${r.generator.reasons.join('; ')}`);
      trials.push({
        index: i,
        startedAt: r.startedAt,
        durationMs: r.durationMs,
        requests: r.sent,
        p95Ms: r.latency.p95,
        errorRatio: r.sent > 0 ? r.errors / r.sent : 0,
        memoryPerRequestBytes: r.completed > 0 ? (heapAfter - heapBefore) / r.completed : null,
        throughput: r.throughput,
        latency: r.latency,
        ...(machine ? { machine } : {}),
      });
    }
    return { trials, notes };
  } finally {
    await target.stop();
  }
}

function row(label: string, c: BaselineComparison): string {
  const cells = c.comparisons.map((m) => {
    const p = Number.isNaN(m.pValue) ? '-' : m.pValue.toPrecision(2);
    const change = m.metric === 'errorRatio' ? `${(m.change * 100).toFixed(2)}pt` : m.metric === 'memoryPerRequest' ? `${Math.round(m.currentMedian - m.baselineMedian)}B` : `${(m.change * 100).toFixed(1)}%`;
    return `${m.metric} ${m.verdict.padEnd(4)} ${change.padStart(7)} p=${p.padEnd(6)}`;
  });
  const p95 = c.comparisons.find((m) => m.metric === 'p95')!;
  return `${label.padEnd(12)} ${c.verdict.padEnd(4)}  p95 ${p95.baselineMedian.toFixed(2)} → ${p95.currentMedian.toFixed(2)} ms  | ${cells.join(' | ')}`;
}

async function main(): Promise<void> {
  const s: Settings = { rate: flag('rate', 200), trialMs: flag('trial', 2000), trials: flag('trials', 5), warmupMs: flag('warmup', 1000), connections: flag('connections', 16) };
  const runs = flag('runs', 20);
  const slowerRuns = flag('slower-runs', 10);
  const factor = flag('factor', 1.2);
  const alpha = flag('alpha', 0.05);
  const tolerances = { p95: 0.05, errorRatio: 0.001, memoryPerRequest: 0.1 };
  const profile: BaselineProfile = { rate: s.rate, durationMs: s.trialMs * s.trials, warmupMs: s.warmupMs, connections: s.connections, trials: s.trials, workers: 1 };

  console.log(`server: ${flag('delay', 10)} ms timer + ${flag('cpu', 0.5)} ms CPU per request; load ${s.rate}/s, warm-up ${s.warmupMs} ms, ${s.trials} trials of ${s.trialMs} ms; alpha ${alpha}; tolerances p95 +5%, errors +0.1 pt, memory +10% (floor 1 KiB)`);
  const started = Date.now();
  // The gate records a baseline only from a run it could judge: retry while the generator fell short.
  let recorded = await measure(1, s, 1);
  for (let attempt = 2; recorded.notes.length > 0 && attempt <= 5; attempt++) {
    console.log(`baseline attempt ${attempt - 1} not usable (the generator fell short: the gate would be INCONCLUSIVE): ${recorded.notes[0]}`);
    recorded = await measure(1, s, attempt);
  }
  const baseline: BaselineFile = makeBaseline({ service: 'bench', profile, trials: recorded.trials });
  console.log(`baseline p95 per trial: ${recorded.trials.map((t) => t.p95Ms.toFixed(2)).join(', ')} ms; heap/request: ${recorded.trials.map((t) => Math.round(t.memoryPerRequestBytes ?? NaN)).join(', ')} B; CPU free of other processes ${freeCores(recorded.trials)}`);
  for (const n of recorded.notes) console.log(`  note: ${n}`);

  // Each run is judged twice from the same trials: with the machine check (as the gate does) and
  // without it (trials stripped of their machine field), to show what the check changes.
  type Tally = { pass: number; warn: number; notJudged: number; fail: number; inconclusive: number; total: number };
  const blank = (): Tally => ({ pass: 0, warn: 0, notJudged: 0, fail: 0, inconclusive: 0, total: 0 });
  const tally = { unchanged: { machine: blank(), plain: blank() }, slower: { machine: blank(), plain: blank() } };
  const p95PValues = { unchanged: [] as number[], slower: [] as number[] };
  const count = (t: Tally, c: BaselineComparison, generatorFellShort: boolean) => {
    t.total++;
    const p95 = c.comparisons.find((x) => x.metric === 'p95')!;
    // A run whose generator fell short is INCONCLUSIVE in the gate (exit 4) whatever the comparison says.
    if (generatorFellShort) t.inconclusive++;
    else if (c.verdict === 'fail') t.fail++;
    else if (p95.reason.startsWith('not judged: other processes') || p95.reason.startsWith('not judged: the baseline was recorded on a machine')) t.notJudged++;
    else if (c.verdict === 'warn') t.warn++;
    else t.pass++;
  };
  // Slower runs spread evenly among the unchanged ones, so whatever else the machine does hits both alike.
  const order: Array<['unchanged' | 'slower', number, number]> = [];
  for (let i = 0, k = 0; i < runs || k < slowerRuns; i++) {
    if (i < runs) order.push(['unchanged', 1, i + 1]);
    while (k < slowerRuns && (i + 1 >= runs || (k + 1) * Math.max(runs, 1) <= (i + 1) * slowerRuns)) order.push(['slower', factor, ++k]);
  }
  for (const [kind, f, n] of order) {
    const m = await measure(f, s, 1000 * n + (kind === 'slower' ? 500 : 0));
    const c = compareWithBaseline(baseline, m.trials, tolerances, { alpha, profile });
    const plain = compareWithBaseline(baseline, m.trials.map(({ machine: _, ...t }) => t), tolerances, { alpha, profile });
    count(tally[kind].machine, c, m.notes.length > 0);
    count(tally[kind].plain, plain, m.notes.length > 0);
    p95PValues[kind].push(c.comparisons.find((x) => x.metric === 'p95')!.pValue);
    console.log(`${row(`${kind} ${n}`, c)} | free ${freeCores(m.trials)}${plain.verdict !== c.verdict ? ` | without the machine check: ${plain.verdict}` : ''}`);
    for (const x of c.comparisons) if (x.verdict === 'fail' || x.verdict === 'warn') console.log(`    ${x.reason}`);
    for (const note of m.notes) console.log(`    note: ${note}`);
  }
  const fmt = (ps: number[]) => ps.map((p) => p.toPrecision(2)).join(' ');
  const line = (t: Tally) =>
    `${t.pass} passed, ${t.warn} warned, ${t.notJudged} not judged (machine busier or quieter than at the baseline, or another machine), ${t.fail} failed, ${t.inconclusive} inconclusive (generator fell short)`;
  console.log('');
  console.log(`unchanged (${tally.unchanged.machine.total} runs): ${line(tally.unchanged.machine)}`);
  console.log(`  without the machine check: ${line(tally.unchanged.plain)}`);
  console.log(`  p95 p-values: ${fmt(p95PValues.unchanged)}`);
  console.log(`${factor}× slower (${tally.slower.machine.total} runs): ${line(tally.slower.machine)}`);
  console.log(`  without the machine check: ${line(tally.slower.plain)}`);
  console.log(`  p95 p-values: ${fmt(p95PValues.slower)}`);
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** CPU cores the rest of the machine left free, per trial. */
function freeCores(trials: readonly TrialMetrics[]): string {
  return trials.map((t) => (t.machine ? (t.machine.cores - t.machine.otherCpuCores).toFixed(2) : '?')).join(' ');
}

if (process.argv.includes('--serve')) serve();
else
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
