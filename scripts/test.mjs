#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (Node 20's --test takes no globs).
// Extra arguments narrow the run: `npm test -- scan` runs the files whose path contains "scan".
import { spawnSync } from 'node:child_process';
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
// Two phases. Files that judge time (services under fixed-rate load, gates, drills, latency and
// rate assertions, anything whose verdict a busy machine can move) run one at a time, as Node runs
// them on 2 cores; run beside another file they read the other file's CPU as a busy machine (a
// baseline recorded while a neighbour ran made a 20%-slower build a warn). The rest (pure code,
// parsers, fast-check, scans, the package, hostile input: CPU, but no clock in their verdicts) run
// two at a time first: one at a time the whole suite took 18 minutes on 2 cores.
// Process-lifecycle files (accept-interrupt, drill-rollback, gate-orphans: signals, kills, what is
// left running, with bounds of seconds) run in the first phase: they mostly wait, and one at a
// time they added ~85 s to a CI run that must stay under 20 minutes.
// SLOCTL_TEST_CONCURRENCY sets the first phase's concurrency (1: everything serial).
const TIMED = /(^|\/)(accept-e2e|agreement|cli-exit-codes|dependency-phase|drift-phase|drill-(evidence|example|interrupt|run)|evaluate-promhttp|faults-[a-z]+|gate-(?!orphans)[a-z0-9-]+|go-middleware[a-z-]*|load-[a-z0-9-]+|net-loopback|observability|report-html|sdk-(drain|limiter|saturation|example|drill-crash|drill-faults|sampler|conformance|health-junk)|status-promhttp|validate-target)\.test\.ts$/;
const timed = files.filter((f) => TIMED.test(f));
const untimed = files.filter((f) => !TIMED.test(f));
const concurrency = process.env.SLOCTL_TEST_CONCURRENCY ?? '2';
const run = (list, n) => list.length === 0 ? 0 : spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${n}`, '--test-reporter=spec', ...list], { stdio: 'inherit' }).status ?? 1;
const first = run(untimed, concurrency);
const second = run(timed, 1);
process.exit(first || second);
