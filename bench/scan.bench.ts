// The code check's scan: how long `validate --project` / `--go-module-path` spend reading a large
// project, on 300 TypeScript files (test/fixtures/ts-service's two files, 150 times) and 300 Go
// files (test/fixtures/go-service's, in 150 packages), in one process, several rounds.
//
//   node --import tsx bench/scan.bench.ts [--copies 150] [--rounds 7]
//
// Prints each scan's median and range in ms, and files per second. The first round reads the files
// from disk cold-ish and compiles the parsers; the median is of all rounds. What it guards is the
// order of magnitude (a scan that starts taking seconds), which test/scan.test.ts used to assert
// with a time bound until timed tests were ruled out.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scanGoModule, scanTypeScriptProject } from '../src/scan/index.ts';

function arg(name: string, d: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
}

const copies = arg('copies', 150);
const rounds = arg('rounds', 7);
const ts = await readFile('test/fixtures/ts-service/src/server.ts', 'utf8');
const tsMetrics = await readFile('test/fixtures/ts-service/src/metrics.ts', 'utf8');
const go = await readFile('test/fixtures/go-service/main.go', 'utf8');
const goMetrics = await readFile('test/fixtures/go-service/metrics.go', 'utf8');
const dir = await mkdtemp(join(tmpdir(), 'sloctl-scan-bench-'));
const files: Record<string, string> = {};
for (let i = 0; i < copies; i++) {
  files[`pkg${i % 10}/server${i}.ts`] = ts;
  files[`pkg${i % 10}/metrics${i}.ts`] = tsMetrics;
  files[`cmd${i}/main.go`] = go;
  files[`cmd${i}/metrics.go`] = goMetrics;
}
for (const [rel, text] of Object.entries(files)) {
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), text);
}

const times = { ts: [] as number[], go: [] as number[] };
let counted = { ts: 0, go: 0 };
for (let r = 0; r < rounds; r++) {
  let start = performance.now();
  const t = await scanTypeScriptProject(dir);
  times.ts.push(performance.now() - start);
  start = performance.now();
  const g = await scanGoModule(dir);
  times.go.push(performance.now() - start);
  counted = { ts: t.filesScanned, go: g.filesScanned };
}
await rm(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; ${rounds} rounds`);
console.log('| scan | files | median ms | range ms | files/s |');
console.log('| --- | ---: | ---: | --- | ---: |');
for (const [name, key] of [['TypeScript (scanTypeScriptProject)', 'ts'], ['Go (scanGoModule)', 'go']] as const) {
  const xs = times[key];
  console.log(`| ${name} | ${counted[key]} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${Math.round(counted[key] / (median(xs) / 1000))} |`);
}
console.log(`command: node --import tsx bench/scan.bench.ts --copies ${copies} --rounds ${rounds}`);
