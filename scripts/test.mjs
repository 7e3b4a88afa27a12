#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (Node 20's --test takes no globs).
// Extra arguments narrow the run: `npm test -- scan` runs the files whose path contains "scan".
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : find(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = find('test').sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// bin/sloctl.js runs the built dist/ (the hook tests spawn it; test/package.test.ts packs it):
// build first, so no test ever sees a stale build.
const built = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
// Three phases. Files that judge time (services under fixed-rate load, gates, drills, latency and
// rate assertions, anything whose verdict a busy machine can move) run last, one at a time, as Node
// runs them on 2 cores; run beside another file they read the other file's CPU as a busy machine (a
// baseline recorded while a neighbour ran made a 20%-slower build a warn). The rest (pure code,
// parsers, fast-check, scans, the package, hostile input: CPU, but no clock in their verdicts) run
// two at a time first: one at a time the whole suite took 18 minutes on 2 cores. Between them, the
// timed files that mostly wait run two at a time with nothing else (PAIRED, below).
// Process-lifecycle files (accept-interrupt, drill-interrupt, drill-rollback, gate-orphans: signals, kills, what is
// left running, with bounds of seconds) run in the first phase, in a lane of their own (below): they
// mostly wait, and one at a time they added ~85 s to a CI run that must stay under 20 minutes.
// Pure files the timed patterns also caught (gate-output, -journal, -memory-floor, -dependency-gauges,
// -go-promhttp-view, evaluate-promhttp, net-loopback, faults-stats: renderers, synthetic series,
// an injected clock, counters; no rate, no time bound) run in the first phase: one at a time each
// cost the serial phase its ~1.2 s of start besides its tests.
// SLOCTL_TEST_CONCURRENCY sets the first phase's lanes (1: everything serial).
const TIMED = /(^|\/)(accept-e2e|agreement|cli-exit-codes|dependency-phase|drift-phase|drill-(evidence|example|run)|faults-(?!stats\.)[a-z]+|gate-(?!orphans|verdicts\.|stats\.|output\.|journal\.|memory-floor\.|dependency-gauges\.|go-promhttp-view\.)[a-z0-9-]+|go-middleware[a-z-]*|load-(?!import\.|progress\.|mix\.|schedule\.|histogram\.)[a-z0-9-]+|observability|report-html|sdk-(drain|limiter|saturation|example|drill-crash|drill-faults|sampler|conformance|health-junk)|status-promhttp|validate-target)\.test\.ts$/;
const timed = files.filter((f) => TIMED.test(f));
const untimed = files.filter((f) => !TIMED.test(f));
const concurrency = Math.max(1, Number(process.env.SLOCTL_TEST_CONCURRENCY ?? '2') || 1);

// Seconds each heavy untimed file took (a 2-core run, 2026-12-04, a reporter summing its tests);
// every other file takes a few. Node's runner starts files in path order whatever order they are
// given, so with --test-concurrency=2 the 160 s of sdk-hostile started near the end and ran alone:
// phase one took ~307 s for ~530 s of tests. Instead the files go into `concurrency` lanes, the
// longest first, each to the lane with the least so far, and each lane is one runner process.
// sdk-hostile was weighted above its 161 s: the first CI runs with lanes ended them at 264 s and
// 221 s (weight 161), then 260 s and 233 s (185), its lane the longer (it and contract-fuzz each
// keep a core busy). Since 2026-12-07 (its client writes pipelined raw HTTP/1.1 and keeps
// connections across HEAD; apps and client in a worker thread, away from node:test's async hook)
// it took 36.7 s and 31.9 s alone (was 103 s alone); weighted 40, a little above, as before.
// (The process-lifecycle files are in a lane of their own, so they need no weight here.)
const SECONDS = { 'sdk-hostile': 40, 'drill-proxy-recovery': 16, 'emit-promtool': 71, package: 62, 'contract-fuzz': 47, status: 10, 'contract-limits': 9, 'observe-exposition': 9, 'cli-validate': 8 };
/** A test file's name without its directory and `.test.ts`: the key of the weights. */
const base = (f) => f.replace(/^.*\//, '').replace(/\.test\.ts$/, '');

/** `list` in `n` lanes, the longest first, each to the lane with the least so far (`weights`: seconds by file name, else 2). */
function lanes(list, n, weights = SECONDS) {
  const seconds = (f) => weights[base(f)] ?? 2;
  const out = Array.from({ length: n }, () => ({ files: [], seconds: 0 }));
  for (const f of [...list].sort((a, b) => seconds(b) - seconds(a))) {
    const lane = out.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    lane.files.push(f);
    lane.seconds += seconds(f);
  }
  return out.filter((l) => l.files.length > 0).map((l) => l.files);
}

/** The lanes side by side, each one runner taking its files one at a time; the first prints as it goes, the others' output follows it (whole, not interleaved). */
async function runLanes(all) {
  const runs = all.map((files, i) => new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: i === 0 ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout?.on('data', (b) => out.push(b));
    child.stderr?.on('data', (b) => out.push(b));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  }));
  let status = 0;
  for (const r of runs) {
    const { code, out } = await r;
    for (const b of out) process.stdout.write(b);
    status ||= code;
  }
  return status;
}

// The process-lifecycle files (above) mostly wait on the processes they start, stop and kill: a
// lane of their own beside the others (they took ~140 s of the two CPU lanes, whose walls were 338
// and 368 s in a CI run of 2026-12-07, ~70 s of each per-file start-up; with it: 301, 311 and 144 s).
const WAITING = /(^|\/)(accept-interrupt|drill-interrupt|drill-rollback|gate-orphans)\.test\.ts$/;
const waiting = concurrency > 1 ? untimed.filter((f) => WAITING.test(f)) : [];
const busy = untimed.filter((f) => !waiting.includes(f));
// Timed files that mostly wait (drills that watch a fault expire and the service recover, gates at
// a fixed 50-100 req/s on a timer-driven or Go service, Prometheus scraping, process lifecycle)
// run two at a time before the rest of the timed ones: one at a time the timed phase left the
// machine ~70% idle (a 1 s CPU sampler through a quiet run of it, 2026-12-07: these files 12-27%
// of 2 cores each, 334 s of its 823 s; side by side, 163 and 175 s with the same durations and
// 34% busy), and a CI run had reached 1,204 s of its 20 minutes. Their verdicts are against
// bounds of seconds, a fault they injected or a count; none compares two runs (a baseline), finds
// a capacity or measures the generator, and the gate's machine check calls a trial starved only
// below a quarter core free. The rest of the timed files still run alone.
const PAIRED = { 'drill-run': 82, 'gate-availability': 46, 'dependency-phase': 28, agreement: 22, 'gate-go-promhttp': 18, 'drill-evidence': 17, 'gate-concurrency': 16, 'gate-go-promhttp-agreement': 15, 'sdk-drill-crash': 14, 'gate-pprof': 12, 'gate-routes': 10, 'gate-target': 10, 'gate-inconclusive-starved': 10, 'faults-tcp': 9, 'status-promhttp': 9, 'gate-shed': 6, 'gate-unrecorded-route': 6, 'load-failures': 5 };
const paired = concurrency > 1 ? timed.filter((f) => base(f) in PAIRED) : [];
const alone = timed.filter((f) => !paired.includes(f));

const first = await runLanes([...lanes(busy, concurrency), ...(waiting.length > 0 ? [waiting] : [])]);
const second = paired.length > 0 ? await runLanes(lanes(paired, 2, PAIRED)) : 0;
const third = await runLanes(lanes(alone, 1));
process.exit(first || second || third);
