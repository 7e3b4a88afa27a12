// Requests/s of a Fastify hello-world, bare vs with sloctl's SDK (and with the limiter and the
// saturation monitor on, and the peer fastify-metrics), driven by wrk so that the load
// generator is not the limit:
//
//   node --import tsx bench/sdk-wrk.bench.ts [--rounds 5] [--duration 5] [--warmup 2] [--connections 50] [--variants bare,spin,sdk,full,limit,monitor,lean,metrics] [--tsx | --inline] [--rate N]
//     [--paired | --interleaved [--pairs 4]] [--base VARIANT] [--ipc] [--server bench/experiments/fastify-parts.ts]
//
// --paired: each variant runs at the same time as a bare server, both on the server's CPU, each
// loaded by its own generator: with --rate N at N/s by `sloctl load`, without it saturated by its
// own wrk (the two servers then split the CPU, which is the capacity question: req/s per CPU-second);
// its cost is its CPU per request over the bare server's in the same seconds. Sequential rounds
// on this VM swing ±20% as the host changes state between runs; run side by side, both servers see
// the same host, and a bare-vs-bare row (the method's own noise) is printed first. With --rate,
// pick N so both together stay under one core.
//
// --base VARIANT (with --paired or --interleaved): pair each variant with another server than the
// one-route bare app, e.g. `routes-settled`: the bare app serving its own /healthz and /metrics (a
// service that meets the contract serves both with or without sloctl) with the SDK's tick-shape
// fix. Plain `routes` is a poor base: in about one process in four it falls into a state ~15%
// dearer, which flatters whatever is compared with it (bench/RESULTS.md, 2026-12-05 12:35).
//
// --rate N: the measured run is `sloctl load` (runLoad, bench/load-runner.ts, pinned to wrk's CPU)
// at a fixed arrival rate of N requests/s instead of wrk's closed loop (warm-up still wrk). Every
// variant then gets the same requests at the same times, so a slower server cannot change how often
// the generator sleeps and is woken (the closed loop's feedback, bench/RESULTS.md); the cost is the
// server's CPU per request against bare's, as capacity: 1 - bare CPU / variant CPU. Pick N under
// every variant's capacity (the table's busy column says how near it was).
//
// The server script is bundled by esbuild with sloctl imported from dist/ (the package build,
// run first: tsc's one module per source file, as the npm tarball ships it; bench/sdk-from-dist.mjs)
// and other packages external, and run by plain node. `--inline` inlines the SDK's TypeScript into
// the bundle instead (what this bench did until 2026-12-05: ~1.4% cheaper with everything on, as
// users never run it). `--tsx` runs it from the sources
// through tsx instead, which costs the SDK more than users pay: tsx compiles with esbuild's
// keepNames, so every named closure created per request also runs __name (an
// Object.defineProperty): 0.65 µs per request measured for the limiter's first version.
//
// The server runs pinned to CPU 0, wrk (one thread) pinned to CPU 1, and this script sleeps
// while wrk runs (it only reads wrk's output). Why wrk and not autocannon (bench/sdk.bench.ts):
// autocannon's one JavaScript thread does more work per request than a Fastify hello-world, so
// on one core it saturates first and every server variant looks alike (the 2.6% of 2026-11-25);
// wrk spends ~6 µs per request, the server ~25, so the server's core is the limit.
// The server's CPU is read from /proc (its threads' schedstat, ns), and the server is started
// without an IPC channel where /proc exists (see startServer);
// --ipc starts it with one and asks it for cpuUsage() over IPC, as a cluster worker or a PM2
// process runs (the SDK costs 2-3x more there: bench/RESULTS.md, 2026-12-05).
// Every variant runs in a fresh process each round (one process's JIT and heap layout can differ
// from another's by more than the cost measured), the variants alternate, their order rotating
// every round; each variant's number is the median over rounds and each ratio the median of the
// per-round ratios to the bare server of the same round. The server's CPU time per request (read
// around each run) is reported beside req/s, as is the spread over rounds: the machine
// this runs on is shared, and a round's neighbour can take several percent from either side.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/load/prng.ts';
import { readProcStat } from '../src/run/proc-stat.ts';
import { buildDist, bundleServer } from './sdk-from-dist.mjs';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROUNDS = Number(flag('rounds', '5'));
const DURATION = Number(flag('duration', '5'));
const WARMUP = Number(flag('warmup', '2'));
const CONNECTIONS = Number(flag('connections', '50'));
const WANTED = flag('variants', 'bare,sdk,full').split(',');
const RATE = args.includes('--rate') ? Number(flag('rate', '')) : undefined;
const PAIRED = args.includes('--paired');
const INTERLEAVED = args.includes('--interleaved');
/** --interleaved: how many bare/variant pairs of wrk runs each round holds. */
const PAIRS = Number(flag('pairs', '4'));
/** --base: the server each variant is paired with in --paired and --interleaved (default bare; see the header). */
const BASE = flag('base', 'bare');
if (RATE !== undefined && !(RATE > 0)) {
  console.error('bench/sdk-wrk.bench.ts: --rate needs a number of requests per second, e.g. --rate 10000');
  process.exit(2);
}
/** The server script: bench/fastify-hello.ts, or an experiment's own (same protocol: `<script> <variant>`, READY, its cpuUsage() answered over IPC for --ipc). */
const SERVER = flag('server', 'bench/fastify-hello.ts');
const TSX = args.includes('--tsx');
const INLINE = args.includes('--inline');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CPUS = cpus().length;
const SERVER_CPU = '0';
const WRK_CPU = String(Math.min(1, CPUS - 1));

if (spawnSync('wrk', ['--version']).error !== undefined) {
  console.error('bench/sdk-wrk.bench.ts: wrk is not installed; install it (apt-get install -y wrk) and run again');
  process.exit(2);
}
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
const pinned = (cpu: string, cmd: string[]) => (hasTaskset && CPUS > 1 ? ['taskset', '-c', cpu, ...cmd] : cmd);

// The bundle sits under node_modules/.cache so that its external packages resolve from the project.
let serverCmd = [process.execPath, '--import', 'tsx', SERVER];
if (!TSX) {
  const out = `${ROOT}node_modules/.cache/sloctl-bench/${SERVER.replace(/^.*\//, '').replace(/\.ts$/, '')}.mjs`;
  if (!INLINE) buildDist(ROOT);
  await bundleServer(ROOT, SERVER, out, { inline: INLINE });
  serverCmd = [process.execPath, out];
}

interface Server {
  child: ChildProcess;
  url: string;
}

/** One fixed-rate run of sloctl's generator (bench/load-runner.ts) on wrk's CPU: the answered requests and whether the generator kept its schedule. */
function fixedRate(url: string, seconds: number, rate: number): Promise<{ rps: number; total: number; late: number; ok: boolean }> {
  const cmd = pinned(WRK_CPU, [process.execPath, '--import', 'tsx', 'bench/load-runner.ts', 'sloctl', url, String(CONNECTIONS), String(seconds), String(rate)]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('close', (code) => {
      let r: { requests: number; seconds: number; errors: number; lateSends?: number; generatorOk?: boolean };
      try {
        r = JSON.parse(out);
      } catch {
        return reject(new Error(`bench/load-runner.ts exited with ${code}: ${out}`));
      }
      if (r.errors > 0) return reject(new Error(`the generator saw ${r.errors} errors against ${url}`));
      resolve({ rps: r.requests / r.seconds, total: r.requests, late: r.lateSends ?? 0, ok: r.generatorOk ?? true });
    });
  });
}

/** Starts a variant's server; undefined when the variant is not available in this checkout. */
function startServer(variant: string): Promise<Server | undefined> {
  // BENCH_SERVER_PREFIX: a command each server runs under, e.g. "chrt -r 1" (SCHED_RR, 100 ms
  // slices: with --paired the two servers then take turns every 100 ms, not every few ms;
  // bench/RESULTS.md, 2026-12-08 04:23, measured what the slicing adds).
  const prefix = (process.env.BENCH_SERVER_PREFIX ?? '').split(' ').filter(Boolean);
  const cmd = [...prefix, ...pinned(SERVER_CPU, [...serverCmd, variant])];
  // No IPC channel where /proc tells the server's CPU: a Node process with an IPC channel runs
  // a Fastify app with one more hook 8-15% slower than one without (bench/RESULTS.md, 2026-12-05),
  // so asking for cpuUsage() over IPC measured that, not the SDK.
  const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', ...(PROC ? [] : ['ipc' as const])] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}/` });
    });
    child.once('exit', (code) => {
      if (code === 3) {
        process.stderr.write(`${variant}: not available here (${out.trim()}); left out\n`);
        resolve(undefined);
      } else reject(new Error(`${variant}: the server exited with ${code} before it was ready (output: ${out.trim()})`));
    });
  });
}

function stopServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}

/** Whether /proc is there (Linux): the server's CPU is read there, not over IPC. */
const PROC = !args.includes('--ipc') && readProcStat(process.pid) !== undefined;
const IPC_NOTE = PROC ? 'no IPC channel, CPU from /proc' : 'with an IPC channel, CPU over IPC';
/** How the servers run, for the results' headers. */
const SERVERS_NOTE = TSX ? `sources through tsx, ${IPC_NOTE}` : `esbuild bundles, sloctl ${INLINE ? 'inlined' : 'from dist/'}, plain node, ${IPC_NOTE}`;

/**
 * The server's CPU time so far (all its threads), in µs: the sum of each thread's time on CPU from
 * /proc/<pid>/task/<tid>/schedstat, in ns (/proc/<pid>/stat counts 10 ms ticks: ±1.5% on a
 * fixed-rate run's 0.7 s of CPU); else over IPC.
 */
function cpuOf(s: Server): Promise<number> {
  if (PROC) {
    const pid = s.child.pid!;
    let ns = 0;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
        } catch {
          // a thread that ended while we looked: its time is gone with it
        }
      }
    } catch {
      return Promise.reject(new Error(`the server (pid ${pid}) is gone`));
    }
    return Promise.resolve(ns / 1000);
  }
  return new Promise((resolve) => {
    s.child.once('message', (u: NodeJS.CpuUsage) => resolve(u.user + u.system));
    s.child.send('cpu');
  });
}

/**
 * One wrk run: requests/s and the request count, or an error for non-2xx answers and socket errors
 * (`strict`; a warm-up only warms, and a host stall that times a few requests out there is no reason to stop).
 */
function wrk(url: string, seconds: number, strict = true): Promise<{ rps: number; total: number }> {
  const cmd = pinned(WRK_CPU, ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    // 'close', not 'exit': the process can exit before its stdout has been read to the end.
    child.once('close', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || rps === null || total === null) return reject(new Error(`wrk exited with ${code}: ${out}`));
      if (strict && /Non-2xx|Socket errors/.test(out)) return reject(new Error(`wrk saw errors against ${url}: ${out}`));
      resolve({ rps: Number(rps[1]), total: Number(total[1]) });
    });
  });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The rows of --paired and --interleaved: the base beside the base first, the method's A/A (how far apart two identical servers read). */
const PAIR_ROWS = [BASE, ...WANTED.filter((v) => v !== BASE)];
const BASE_FLAG = `${BASE === 'bare' ? '' : ` --base ${BASE}`}${INLINE ? ' --inline' : ''}`;

const load0 = loadavg()[0];
if (PAIRED) {
  await runPaired(RATE);
  process.exit(0);
}
if (INTERLEAVED) {
  await runInterleaved();
  process.exit(0);
}

/**
 * The rounds of --paired and --interleaved: per round, each variant (order rotating) gets a fresh
 * bare server and a fresh server of its own, both warmed by wrk, then `measure`; its line goes to
 * the round's progress line on stderr. Both servers are stopped whatever happens.
 */
async function pairRounds(rows: string[], measure: (v: string, a: Server, b: Server, round: number) => Promise<string>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const line: string[] = [];
    for (const v of rows.map((_, i) => rows[(i + round) % rows.length])) {
      const [a, b] = await Promise.all([startServer(BASE), startServer(v)]);
      if (a === undefined || b === undefined) throw new Error(`${v}: not available in this checkout`);
      try {
        await wrk(a.url, WARMUP, false);
        await wrk(b.url, WARMUP, false);
        line.push(await measure(v, a, b, round));
      } finally {
        await Promise.all([stopServer(a), stopServer(b)]);
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${line.join(', ')}\n`);
  }
}

/**
 * --interleaved: the issue's method (wrk, one thread on its own core, one server alone on the
 * other), with the host's drift taken out: each round starts a bare server and the variant's (fresh
 * processes), and loads them in turn, bare-variant-variant-bare..., `PAIRS` pairs of DURATION-second
 * wrk runs; only one is loaded at a time (the idle one's timers are the variant's own when it is the
 * idle one). A pair's ratio compares runs seconds apart, so a host that changes state over minutes
 * moves both sides of it; a bare-vs-bare row is the method's own noise.
 */
async function runInterleaved(): Promise<void> {
  const rows = PAIR_ROWS;
  const ratio = new Map<string, number[]>(rows.map((v) => [v, []]));
  const rpsOf = new Map<string, { bare: number[]; it: number[] }>(rows.map((v) => [v, { bare: [], it: [] }]));
  const cpuRatio = new Map<string, number[]>(rows.map((v) => [v, []]));
  const busyOf = new Map<string, number[]>(rows.map((v) => [v, []]));
  await pairRounds(rows, async (v, a, b) => {
    const one = async (s: Server) => {
      const c0 = await cpuOf(s);
      const t0 = performance.now();
      const r = await wrk(s.url, DURATION);
      const c1 = await cpuOf(s);
      return { rps: r.rps, us: (c1 - c0) / r.total, busy: (c1 - c0) / 1000 / (performance.now() - t0) };
    };
    const ratios: number[] = [];
    for (let k = 0; k < PAIRS; k++) {
      // bare first in even pairs, the variant first in odd ones: a steady drift cancels over two pairs.
      const [ra, rb] = k % 2 === 0 ? [await one(a), await one(b)] : await one(b).then(async (rb) => [await one(a), rb]);
      ratio.get(v)!.push(rb.rps / ra.rps);
      cpuRatio.get(v)!.push(rb.us / ra.us);
      rpsOf.get(v)!.bare.push(ra.rps);
      rpsOf.get(v)!.it.push(rb.rps);
      busyOf.get(v)!.push(rb.busy);
      ratios.push(rb.rps / ra.rps);
    }
    return `${v} ${ratios.map((r) => r.toFixed(3)).join('/')}`;
  });
  console.log(`\nnode ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${CPUS} CPUs; --interleaved: per round a bare server and the variant's (${SERVERS_NOTE}) on CPU ${SERVER_CPU}, loaded one at a time by wrk -t1 -c${CONNECTIONS} on CPU ${WRK_CPU}, ${PAIRS} bare/variant pairs of ${DURATION}s runs (+${WARMUP}s warm-up each); ${ROUNDS} rounds; load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n`);
  console.log(`| variant | req/s (median) | ${BASE} req/s (median, same pairs) | req/s vs ${BASE} (median of pairs) | cost | cost, 95% interval | pairs within | CPU µs/req vs ${BASE} | its busy (median) |`);
  console.log('| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |');
  for (const v of rows) {
    const r = ratio.get(v)!;
    const [lo, hi] = medianInterval(r);
    const m = median(r);
    const sorted = [...r].sort((x, y) => x - y);
    const name = v === BASE ? `${BASE} (A/A: the method's noise)` : v;
    console.log(`| ${name} | ${Math.round(median(rpsOf.get(v)!.it))} | ${Math.round(median(rpsOf.get(v)!.bare))} | ${m.toFixed(3)} | ${pct(1 - m)} | ${pct(1 - hi)} to ${pct(1 - lo)} | ${sorted[0].toFixed(3)}–${sorted[sorted.length - 1].toFixed(3)} (${r.length}) | ${median(cpuRatio.get(v)!).toFixed(3)} | ${median(busyOf.get(v)!).toFixed(2)} |`);
  }
  console.log(`\ncommand: node --import tsx bench/sdk-wrk.bench.ts --interleaved --pairs ${PAIRS} --rounds ${ROUNDS} --duration ${DURATION} --warmup ${WARMUP} --connections ${CONNECTIONS} --variants ${WANTED.join(',')}${BASE_FLAG}${SERVER === 'bench/fastify-hello.ts' ? '' : ` --server ${SERVER}`}${PROC ? '' : ' --ipc'}`);
}

/**
 * --paired: each variant beside a bare server, at the same time, on the same CPU. With a rate, each
 * gets `rate` requests/s from its own sloctl load; without, each is saturated by its own wrk (both
 * wrk on the generator's CPU), so the two servers split the server CPU between them and each
 * answers as fast as its share allows: its req/s per CPU-second is its capacity, read in the same
 * seconds as the bare server's.
 */
async function runPaired(rate: number | undefined): Promise<void> {
  const rows = PAIR_ROWS;
  const ratio = new Map<string, number[]>(rows.map((v) => [v, []]));
  const us = new Map<string, { bare: number[]; it: number[] }>(rows.map((v) => [v, { bare: [], it: [] }]));
  const lagged: string[] = [];
  /** Saturated: each server's req/s over the bare one's in the same seconds, and the server CPU they used together. */
  const rpsRatio = new Map<string, number[]>(rows.map((v) => [v, []]));
  const busyBoth: number[] = [];
  await pairRounds(rows, async (v, a, b, round) => {
    const [a0, b0] = await Promise.all([cpuOf(a), cpuOf(b)]);
    const t0 = performance.now();
    const [ra, rb]: { rps: number; total: number; late?: number; ok?: boolean }[] =
      rate === undefined
        ? await Promise.all([wrk(a.url, DURATION), wrk(b.url, DURATION)])
        : await Promise.all([fixedRate(a.url, DURATION, rate), fixedRate(b.url, DURATION, rate)]);
    const [a1, b1] = await Promise.all([cpuOf(a), cpuOf(b)]);
    if (ra.ok === false || rb.ok === false) lagged.push(`${v} round ${round + 1} (${ra.late} + ${rb.late} late sends)`);
    const ua = (a1 - a0) / ra.total;
    const ub = (b1 - b0) / rb.total;
    ratio.get(v)!.push(ub / ua);
    rpsRatio.get(v)!.push(rb.rps / ra.rps);
    busyBoth.push((a1 - a0 + b1 - b0) / 1000 / (performance.now() - t0));
    us.get(v)!.bare.push(ua);
    us.get(v)!.it.push(ub);
    return `${v} ${(ub / ua).toFixed(3)} (${ub.toFixed(1)} / ${ua.toFixed(1)} µs${rate === undefined ? `, ${Math.round(rb.rps)} / ${Math.round(ra.rps)} req/s` : ''})`;
  });
  const load = rate === undefined ? `each saturated by its own wrk -t1 -c${CONNECTIONS}` : `each loaded at ${rate}/s by its own sloctl load (open model, ${CONNECTIONS} connections; wrk for the warm-up)`;
  console.log(`\nnode ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${CPUS} CPUs; --paired: each variant and a ${BASE} server (${SERVERS_NOTE}) at once on CPU ${SERVER_CPU}, ${load} on CPU ${WRK_CPU}; ${ROUNDS} rounds x ${DURATION}s (+${WARMUP}s warm-up); load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n`);
  if (lagged.length > 0) console.log(`A generator fell behind its schedule in: ${lagged.join(', ')} (CPU per request still counts).\n`);
  if (rate === undefined) {
    // Saturated, the two servers' CPU together should be the whole server CPU; well under 1 means
    // they waited (for wrk, or for the host), and the rounds say less about capacity.
    console.log(`Server CPU used by both together, per round: ${busyBoth.map((b) => b.toFixed(2)).join(', ')} (1.00 = CPU ${SERVER_CPU} saturated)\n`);
  }
  const rpsCols = rate === undefined ? ` req/s vs ${BASE} (same seconds) |` : '';
  console.log(`| variant (beside ${BASE}) | its CPU µs/req | ${BASE}'s CPU µs/req | CPU vs ${BASE} (median of rounds) | 95% interval | capacity cost (1 - ${BASE}/its) |${rpsCols} ratio range |`);
  console.log(`| --- | ---: | ---: | ---: | --- | ---: |${rate === undefined ? ' ---: |' : ''} --- |`);
  for (const v of rows) {
    const r = ratio.get(v)!;
    const [lo, hi] = medianInterval(r);
    const m = median(r);
    const name = v === BASE ? `${BASE} (A/A: the method's noise)` : v;
    const rpsCell = rate === undefined ? ` ${median(rpsRatio.get(v)!).toFixed(3)} |` : '';
    console.log(`| ${name} | ${median(us.get(v)!.it).toFixed(2)} | ${median(us.get(v)!.bare).toFixed(2)} | ${m.toFixed(3)} | ${lo.toFixed(3)} to ${hi.toFixed(3)} | ${((1 - 1 / m) * 100).toFixed(1)}% |${rpsCell} ${Math.min(...r).toFixed(3)}–${Math.max(...r).toFixed(3)} |`);
  }
  console.log(`\ncommand: node --import tsx bench/sdk-wrk.bench.ts --paired${rate === undefined ? '' : ` --rate ${rate}`} --rounds ${ROUNDS} --duration ${DURATION} --warmup ${WARMUP} --connections ${CONNECTIONS} --variants ${WANTED.join(',')}${BASE_FLAG}${SERVER === 'bench/fastify-hello.ts' ? '' : ` --server ${SERVER}`}${PROC ? '' : ' --ipc'}`);
}
const variants = [...WANTED];
const rps = new Map<string, number[]>(variants.map((v) => [v, []]));
const cpu = new Map<string, number[]>(variants.map((v) => [v, []]));
const ratios = new Map<string, number[]>(variants.map((v) => [v, []]));
const cpuRatios = new Map<string, number[]>(variants.map((v) => [v, []]));
// The server's CPU time over the run's wall time: near 1 when its core was the limit; well under 1
// means it waited (for wrk, or for a neighbour holding its core) and that round's req/s says little.
const busy = new Map<string, number[]>(variants.map((v) => [v, []]));
const gone = new Set<string>();
/** Fixed-rate runs whose generator fell behind its schedule (their CPU per request is still the server's). */
const lagged: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const thisRps = new Map<string, number>();
  const thisCpu = new Map<string, number>();
  const thisBusy = new Map<string, number>();
  const live = variants.filter((v) => !gone.has(v));
  for (const v of live.map((_, i) => live[(i + round) % live.length])) {
    // One server alive at a time: an idle one's timers would share the measured one's core.
    const s = await startServer(v);
    if (s === undefined) {
      gone.add(v);
      continue;
    }
    try {
      await wrk(s.url, WARMUP, false);
      const before = await cpuOf(s);
      const t0 = performance.now();
      let r: { rps: number; total: number };
      if (RATE === undefined) r = await wrk(s.url, DURATION);
      else {
        const f = await fixedRate(s.url, DURATION, RATE);
        if (!f.ok) lagged.push(`${v} round ${round + 1} (${f.late} late sends)`);
        r = f;
      }
      const after = await cpuOf(s);
      // At a fixed rate the window also holds the generator's start-up (the server idle): busy over the run's own duration.
      thisBusy.set(v, (after - before) / 1000 / (RATE === undefined ? performance.now() - t0 : DURATION * 1000));
      thisRps.set(v, r.rps);
      thisCpu.set(v, (after - before) / r.total);
    } finally {
      await stopServer(s);
    }
  }
  for (const v of live) {
    if (!thisRps.has(v)) continue;
    rps.get(v)!.push(thisRps.get(v)!);
    cpu.get(v)!.push(thisCpu.get(v)!);
    busy.get(v)!.push(thisBusy.get(v)!);
    // At a fixed rate every variant answers the same requests/s: its cost is in CPU, as capacity.
    ratios.get(v)!.push(RATE === undefined ? thisRps.get(v)! / thisRps.get('bare')! : thisCpu.get('bare')! / thisCpu.get(v)!);
    cpuRatios.get(v)!.push(thisCpu.get(v)! / thisCpu.get('bare')!);
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}: ${[...thisRps.keys()].map((v) => `${v} ${Math.round(thisRps.get(v)!)}/s ${thisCpu.get(v)!.toFixed(1)}µs busy ${thisBusy.get(v)!.toFixed(2)}`).join(', ')}\n`);
}

/**
 * A 95% bootstrap interval of the median of `xs` (2,000 resamples, seeded so a table repeats):
 * with the spread a shared VM gives one round, the median of the rounds alone can look like a
 * pass or a miss by chance; the interval says which costs the rounds cannot tell apart.
 */
function medianInterval(xs: number[]): [number, number] {
  const random = mulberry32(12345);
  const medians: number[] = [];
  for (let k = 0; k < 2000; k++) medians.push(median(xs.map(() => xs[Math.floor(random() * xs.length)])));
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(0.025 * medians.length)], medians[Math.ceil(0.975 * medians.length) - 1]];
}

const shown = variants.filter((v) => rps.get(v)!.length > 0);
const costInterval = (xs: number[]) => {
  const [lo, hi] = medianInterval(xs);
  return `${pct(1 - hi)} to ${pct(1 - lo)}`;
};
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
const generator = RATE === undefined ? `wrk -t1 -c${CONNECTIONS}` : `sloctl load at ${RATE}/s (open model, ${CONNECTIONS} connections; wrk for the warm-up)`;
console.log(`\nnode ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${CPUS} CPUs; server (${SERVERS_NOTE}) on CPU ${SERVER_CPU}, ${generator} on CPU ${WRK_CPU}; ${ROUNDS} rounds x ${DURATION}s (+${WARMUP}s warm-up); load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n`);
if (lagged.length > 0) console.log(`The generator fell behind its schedule in: ${lagged.join(', ')} (those rounds' CPU per request still counts; the busy column says whether the server kept up).\n`);
const vs = RATE === undefined ? 'vs bare (median of rounds)' : 'capacity vs bare (bare CPU / its CPU, median of rounds)';
console.log(`| variant | req/s (median) | req/s per round | ${vs} | cost | cost, 95% interval | ratio range | server CPU µs/req | CPU vs bare | server busy |`);
console.log('| --- | ---: | --- | ---: | ---: | --- | --- | ---: | ---: | --- |');
for (const v of shown) {
  const r = median(ratios.get(v)!);
  const bare = v === 'bare';
  console.log(`| ${v} | ${Math.round(median(rps.get(v)!))} | ${rps.get(v)!.map(Math.round).join(', ')} | ${r.toFixed(3)} | ${bare ? '' : pct(1 - r)} | ${bare ? '' : costInterval(ratios.get(v)!)} | ${bare ? '' : spread(ratios.get(v)!)} | ${median(cpu.get(v)!).toFixed(2)} | ${bare ? '' : `${median(cpuRatios.get(v)!).toFixed(3)}`} | ${busy.get(v)!.map((b) => b.toFixed(2)).join(', ')} |`);
}
console.log(`\ncommand: node --import tsx bench/sdk-wrk.bench.ts --rounds ${ROUNDS} --duration ${DURATION} --warmup ${WARMUP} --connections ${CONNECTIONS} --variants ${WANTED.join(',')}${TSX ? ' --tsx' : ''}${INLINE ? ' --inline' : ''}${RATE === undefined ? '' : ` --rate ${RATE}`}${PROC ? '' : ' --ipc'}`);
