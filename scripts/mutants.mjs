#!/usr/bin/env node
// `npm run mutants`: the mutant matrix (issue 13). `sloctl accept` on the bundled example, once
// healthy and once per mutant (CHECKOUT_MUTANT=<name>, examples/checkout/mutants.ts), each mutant
// built to break one of the eleven contracts; then one table: a row per run, a column per
// contract, and whether the mutant failed its own contract and only it.
//
//   npm run mutants [-- --only slow-route,leak] [--quick] [--out DIR] [--baseline FILE] [--markdown] [--src]
//
//   --only a,b      these mutants only (the healthy run still goes first: it records the baseline
//                   the regression column compares with, unless --baseline names an existing one)
//   --quick         a shorter profile for every run (--duration 25s --trials 5 --steady 5s); the
//                   healthy run and the mutants always share one profile, or regression would
//                   compare two different loads
//   --out DIR       where each run's JSON report goes (default: a fresh directory under the OS tmp)
//   --baseline F    the baseline file (default DIR/baseline.json, recorded by the healthy run)
//   --markdown      print the table as Markdown (for bench/RESULTS.md) as well
//   --src           run sloctl from the TypeScript sources (scripts/dev.mjs) even if dist/ is built
//
// Exit 0 when the healthy run passed and every mutant failed its own contract; 1 otherwise (a
// mutant that also fails another contract is shown, not counted: README "Mutants" lists which do
// and why); 2 on a usage error.
//
// The table is a pure function of the accept reports (mutantMatrix, below), tested in
// test/mutants-table.test.ts without running anything.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The eleven contracts, in the contract file's order (src/verdicts/accept.ts ACCEPT_CONTRACTS). */
export const CONTRACTS = ['latency', 'errors', 'throughput', 'availability', 'memory', 'concurrency', 'dependencies', 'resilience', 'drift', 'observability', 'regression'];

/**
 * Each mutant and the contract it must fail (examples/checkout/mutants.ts MUTANTS; the test checks
 * the two lists agree), and the other contracts it is known to fail too, with why (README "Mutants").
 */
export const MUTANTS = [
  { name: 'slow-route', contract: 'latency', alsoFails: { regression: 'p95 is the regression metric: a p50 over 50 ms moves p95 too' } },
  {
    name: 'server-errors', contract: 'errors',
    alsoFails: { availability: 'the composite\'s success part is the errors objective, trial by trial', regression: 'the error ratio is a regression metric (+0.1 points allowed)' },
  },
  {
    name: 'capacity-cap', contract: 'throughput',
    alsoFails: {
      latency: 'throughput counts requests within their latency threshold: 150/s of the 320/s offered can only be missed by >53% of the weight being slow or failed',
      availability: 'the composite\'s latency part', regression: 'p95',
    },
  },
  { name: 'lying-health', contract: 'availability', alsoFails: {} },
  { name: 'leak', contract: 'memory', alsoFails: { regression: 'measured, not designed: p95 +38% and +47% in two runs with the 650 MiB heap (the collector\'s work, most likely)' } },
  { name: 'cpu-burn', contract: 'concurrency', alsoFails: { regression: 'the requests arriving during a burst (~12% of a 5 s trial) put that trial\'s p95 inside the blocks: fails when most trials hold one' } },
  { name: 'no-timeout', contract: 'dependencies', alsoFails: {} },
  { name: 'no-breaker', contract: 'resilience', alsoFails: {} },
  { name: 'deaf-responder', contract: 'drift', alsoFails: {} },
  { name: 'unbounded-label', contract: 'observability', alsoFails: {} },
  { name: 'slower-build', contract: 'regression', alsoFails: {} },
];

const CELL = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INC', 'not-judged': '-', 'not-declared': '-' };

/** A contract row's outcome as a cell: PASS, FAIL, INC, - (not judged or not declared), ? (no row). */
export function cellOf(report, contract) {
  const row = report?.contracts?.find((c) => c.contract === contract);
  if (!row) return '?';
  return CELL[row.outcome] ?? '?';
}

/**
 * The matrix from the runs. `runs`: [{ name: 'healthy' | a mutant's name, report?: accept's JSON,
 * error?: why there is no report }]. Returns the rows (cells and the verdict column), whether the
 * matrix holds (ok), and the problems that make it not hold.
 */
export function mutantMatrix(runs) {
  const rows = [];
  const problems = [];
  for (const run of runs) {
    const cells = Object.fromEntries(CONTRACTS.map((c) => [c, run.report ? cellOf(run.report, c) : '?']));
    if (run.name === 'healthy') {
      const failing = CONTRACTS.filter((c) => cells[c] !== 'PASS' && cells[c] !== '-');
      let verdict;
      if (!run.report) verdict = `no report: ${run.error ?? 'accept did not answer'}`;
      else if (run.report.outcome === 'pass' && failing.length === 0) verdict = 'passed';
      else verdict = `did not pass (${run.report.outcome ?? '?'}${failing.length > 0 ? `: ${failing.map((c) => `${c} ${cells[c]}`).join(', ')}` : ''})`;
      if (verdict !== 'passed') problems.push(`healthy: ${verdict}`);
      rows.push({ name: 'healthy', expect: undefined, cells, ok: verdict === 'passed', verdict });
      continue;
    }
    const m = MUTANTS.find((x) => x.name === run.name);
    if (!m) throw new Error(`mutantMatrix: ${run.name} is not a mutant (known: ${MUTANTS.map((x) => x.name).join(', ')})`);
    const own = cells[m.contract];
    const others = CONTRACTS.filter((c) => c !== m.contract && cells[c] === 'FAIL');
    const unexpected = others.filter((c) => !(c in m.alsoFails));
    let verdict;
    if (!run.report) verdict = `no report: ${run.error ?? 'accept did not answer'}`;
    else if (own !== 'FAIL') verdict = `no: ${m.contract} ${own}`;
    else if (others.length === 0) verdict = 'yes';
    else verdict = `also ${others.map((c) => (unexpected.includes(c) ? `${c} (unexpected)` : c)).join(', ')}`;
    // Its own contract failed, but accept stopped early: the INC cells are phases it did not run.
    if (run.report?.outcome === 'target-failed') verdict += '; accept: TARGET FAILED, later phases not run';
    const ok = run.report !== undefined && own === 'FAIL';
    if (!ok) problems.push(`${m.name}: ${verdict}`);
    rows.push({ name: m.name, expect: m.contract, cells, ok, verdict, unexpected });
  }
  return { rows, ok: problems.length === 0, problems };
}

const SHORT = { latency: 'latency', errors: 'errors', throughput: 'thruput', availability: 'avail', memory: 'memory', concurrency: 'concur', dependencies: 'deps', resilience: 'resil', drift: 'drift', observability: 'observ', regression: 'regress' };

/** The matrix as an aligned text table; a mutant's own contract is marked with *. */
export function renderMatrix(matrix) {
  const head = ['run', ...CONTRACTS.map((c) => SHORT[c]), 'only its own contract failed?'];
  const lines = matrix.rows.map((r) => [r.name, ...CONTRACTS.map((c) => `${r.cells[c]}${r.expect === c ? '*' : ''}`), r.verdict]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((x, i) => (i === l.length - 1 ? x : x.padEnd(widths[i]))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** The same as Markdown, with the mutant's own contract in bold. */
export function renderMatrixMarkdown(matrix) {
  const out = [`| run | ${CONTRACTS.join(' | ')} | only its own contract failed? |`, `| --- |${CONTRACTS.map(() => ' --- |').join('')} --- |`];
  for (const r of matrix.rows) out.push(`| ${r.name} | ${CONTRACTS.map((c) => (r.expect === c ? `**${r.cells[c]}**` : r.cells[c])).join(' | ')} | ${r.verdict} |`);
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------------
// Running it

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
// 5 trials, as the contract: with 4 (the fewest that can reach p < 0.05) a healthy baseline whose
// trials spread 3.2-4.6 ms let a build +9.5% slower pass (p = 0.24). 5 s trials: cpu-burn's burst
// costs about 1% of one (2 s trials: 4%, and availability fails with it).
const QUICK = ['--duration', '25s', '--trials', '5', '--steady', '5s'];

function usage(msg) {
  process.stderr.write(`mutants: ${msg}\nusage: npm run mutants [-- --only a,b] [--quick] [--out DIR] [--baseline FILE] [--markdown] [--src]\n`);
  process.exit(2);
}

export function parseArgs(argv) {
  const o = { only: undefined, quick: false, out: undefined, baseline: undefined, markdown: false, src: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = value();
    else if (a === '--baseline') o.baseline = value();
    else if (a === '--markdown') o.markdown = true;
    else if (a === '--src') o.src = true;
    else usage(`unknown option ${a}`);
  }
  for (const n of o.only ?? []) {
    if (!MUTANTS.some((m) => m.name === n)) usage(`--only ${n}: not a mutant; the mutants are ${MUTANTS.map((m) => m.name).join(', ')}`);
  }
  return o;
}

/** How to run sloctl: the built CLI when dist/ has accept, else the sources through tsx. */
function sloctlCommand(src) {
  if (!src && existsSync(join(ROOT, 'dist/cli/accept.js'))) return [join(ROOT, 'bin/sloctl.js')];
  return [join(ROOT, 'scripts/dev.mjs')];
}

/** One sloctl run; resolves with its exit code and stdout (stderr goes through, for the progress lines). */
function run(cmd, args, env) {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [...cmd, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', (code, signal) => resolveRun({ code: code ?? (signal ? 128 : 1), stdout: out }));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const out = resolve(o.out ?? mkdtempSync(join(tmpdir(), 'sloctl-mutants-')));
  mkdirSync(out, { recursive: true });
  const baseline = resolve(o.baseline ?? join(out, 'baseline.json'));
  const cmd = sloctlCommand(o.src);
  const profile = o.quick ? QUICK : [];
  const contract = 'examples/checkout/slo.yaml';
  const mutants = o.only ?? MUTANTS.map((m) => m.name);
  const skipHealthy = o.only !== undefined && o.baseline !== undefined && existsSync(baseline);
  const plan = [...(skipHealthy ? [] : ['healthy']), ...mutants];
  process.stderr.write(`mutants: ${plan.length} accept runs (${plan.join(', ')}), reports in ${out}\n`);

  const runs = [];
  for (const name of plan) {
    const env = { ...process.env };
    delete env.CHECKOUT_MUTANT;
    if (name !== 'healthy') env.CHECKOUT_MUTANT = name;
    const args = ['accept', contract, '--json', '--no-progress', '--baseline', baseline, '--journal', join(out, `${name}.journal.jsonl`), ...profile];
    if (name === 'healthy') args.push('--update-baseline');
    process.stderr.write(`\nmutants: ${name === 'healthy' ? 'healthy' : `CHECKOUT_MUTANT=${name}`}: sloctl ${args.join(' ')}\n`);
    const t0 = Date.now();
    const r = await run(cmd, args, env);
    let report;
    let error;
    try {
      report = JSON.parse(r.stdout);
      writeFileSync(join(out, `${name}.json`), r.stdout);
    } catch {
      error = `exit ${r.code}, no JSON on stdout${r.stdout.trim() ? `: ${r.stdout.trim().split('\n')[0].slice(0, 200)}` : ''}`;
    }
    runs.push({ name, report, error });
    process.stderr.write(`mutants: ${name}: ${report ? `${report.outcome} (exit ${r.code})` : error} in ${Math.round((Date.now() - t0) / 1000)} s\n`);
    if (name === 'healthy' && !existsSync(baseline)) {
      // accept records a baseline only when the whole acceptance passed; without one the
      // regression column says nothing. The gate records one from the same profile, said here.
      process.stderr.write(`mutants: the healthy accept did not record ${baseline}; recording it with sloctl gate --update-baseline (same profile) so regression can be judged\n`);
      const gateProfile = profile.filter((_, i, a) => a[i] !== '--steady' && a[i - 1] !== '--steady');
      const g = await run(cmd, ['gate', contract, '--json', '--no-progress', '--baseline', baseline, '--update-baseline', ...gateProfile], env);
      if (!existsSync(baseline)) process.stderr.write(`mutants: the gate did not record it either (exit ${g.code}): regression stays not judged\n`);
    }
  }

  const matrix = mutantMatrix(runs);
  process.stdout.write(`\n${renderMatrix(matrix)}\n`);
  if (o.markdown) process.stdout.write(`\n${renderMatrixMarkdown(matrix)}\n`);
  process.stdout.write(`\n(* the mutant's own contract; PASS / FAIL / INC inconclusive / - not judged; reports in ${out})\n`);
  if (!matrix.ok) process.stdout.write(`\nthe matrix does not hold:\n${matrix.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exitCode = matrix.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
