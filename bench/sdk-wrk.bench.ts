// Requests/s of a Fastify hello-world, bare vs with sloctl's SDK (and with the limiter and the
// saturation monitor on, and the peer fastify-metrics), driven by wrk so that the load
// generator is not the limit:
//
//   node --import tsx bench/sdk-wrk.bench.ts [--rounds 5] [--duration 5] [--warmup 2] [--connections 50] [--variants bare,spin,sdk,full,lean,metrics] [--tsx]
//
// The server script is bundled by esbuild (the SDK's TypeScript inlined, packages external) and
// run by plain node, as users run the SDK from the npm tarball. `--tsx` runs it from the sources
// through tsx instead, which costs the SDK more than users pay: tsx compiles with esbuild's
// keepNames, so every named closure created per request also runs __name (an
// Object.defineProperty): 0.65 µs per request measured for the limiter's first version.
//
// The server runs pinned to CPU 0, wrk (one thread) pinned to CPU 1, and this script sleeps
// while wrk runs (it only reads wrk's output). Why wrk and not autocannon (bench/sdk.bench.ts):
// autocannon's one JavaScript thread does more work per request than a Fastify hello-world, so
// on one core it saturates first and every server variant looks alike (the 2.6% of 2026-11-25);
// wrk spends ~6 µs per request, the server ~25, so the server's core is the limit.
// Every variant runs in a fresh process each round (one process's JIT and heap layout can differ
// from another's by more than the cost measured), the variants alternate, their order rotating
// every round; each variant's number is the median over rounds and each ratio the median of the
// per-round ratios to the bare server of the same round. The server's CPU time per request (asked
// over IPC around each run) is reported beside req/s, as is the spread over rounds: the machine
// this runs on is shared, and a round's neighbour can take several percent from either side.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/load/prng.ts';

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
/** The server script: bench/fastify-hello.ts, or an experiment's own (same protocol: `<script> <variant>`, READY, IPC). */
const SERVER = flag('server', 'bench/fastify-hello.ts');
const TSX = args.includes('--tsx');

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
  const esbuild = await import('esbuild');
  const out = `${ROOT}node_modules/.cache/sloctl-bench/${SERVER.replace(/^.*\//, '').replace(/\.ts$/, '')}.mjs`;
  await esbuild.build({ absWorkingDir: ROOT, entryPoints: [SERVER], outfile: out, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  serverCmd = [process.execPath, out];
}

interface Server {
  child: ChildProcess;
  url: string;
}

/** Starts a variant's server; undefined when the variant is not available in this checkout. */
function startServer(variant: string): Promise<Server | undefined> {
  const cmd = pinned(SERVER_CPU, [...serverCmd, variant]);
  const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
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

function cpuOf(s: Server): Promise<number> {
  return new Promise((resolve) => {
    s.child.once('message', (u: NodeJS.CpuUsage) => resolve(u.user + u.system));
    s.child.send('cpu');
  });
}

/** One wrk run: requests/s and the request count, or an error for non-2xx answers and socket errors. */
function wrk(url: string, seconds: number): Promise<{ rps: number; total: number }> {
  const cmd = pinned(WRK_CPU, ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || rps === null || total === null) return reject(new Error(`wrk exited with ${code}: ${out}`));
      if (/Non-2xx|Socket errors/.test(out)) return reject(new Error(`wrk saw errors against ${url}: ${out}`));
      resolve({ rps: Number(rps[1]), total: Number(total[1]) });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const load0 = loadavg()[0];
const variants = [...WANTED];
const rps = new Map<string, number[]>(variants.map((v) => [v, []]));
const cpu = new Map<string, number[]>(variants.map((v) => [v, []]));
const ratios = new Map<string, number[]>(variants.map((v) => [v, []]));
const cpuRatios = new Map<string, number[]>(variants.map((v) => [v, []]));
// The server's CPU time over the run's wall time: near 1 when its core was the limit; well under 1
// means it waited (for wrk, or for a neighbour holding its core) and that round's req/s says little.
const busy = new Map<string, number[]>(variants.map((v) => [v, []]));
const gone = new Set<string>();
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
      await wrk(s.url, WARMUP);
      const before = await cpuOf(s);
      const t0 = performance.now();
      const r = await wrk(s.url, DURATION);
      const after = await cpuOf(s);
      thisBusy.set(v, (after - before) / 1000 / (performance.now() - t0));
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
    ratios.get(v)!.push(thisRps.get(v)! / thisRps.get('bare')!);
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
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const costInterval = (xs: number[]) => {
  const [lo, hi] = medianInterval(xs);
  return `${pct(1 - hi)} to ${pct(1 - lo)}`;
};
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
console.log(`\nnode ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${CPUS} CPUs; server (${TSX ? 'sources through tsx' : 'esbuild bundle, plain node'}) on CPU ${SERVER_CPU}, wrk -t1 -c${CONNECTIONS} on CPU ${WRK_CPU}; ${ROUNDS} rounds x ${DURATION}s (+${WARMUP}s warm-up); load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n`);
console.log('| variant | req/s (median) | req/s per round | vs bare (median of rounds) | cost | cost, 95% interval | ratio range | server CPU µs/req | CPU vs bare | server busy |');
console.log('| --- | ---: | --- | ---: | ---: | --- | --- | ---: | ---: | --- |');
for (const v of shown) {
  const r = median(ratios.get(v)!);
  const bare = v === 'bare';
  console.log(`| ${v} | ${Math.round(median(rps.get(v)!))} | ${rps.get(v)!.map(Math.round).join(', ')} | ${r.toFixed(3)} | ${bare ? '' : pct(1 - r)} | ${bare ? '' : costInterval(ratios.get(v)!)} | ${bare ? '' : spread(ratios.get(v)!)} | ${median(cpu.get(v)!).toFixed(2)} | ${bare ? '' : `${median(cpuRatios.get(v)!).toFixed(3)}`} | ${busy.get(v)!.map((b) => b.toFixed(2)).join(', ')} |`);
}
console.log(`\ncommand: node --import tsx bench/sdk-wrk.bench.ts --rounds ${ROUNDS} --duration ${DURATION} --warmup ${WARMUP} --connections ${CONNECTIONS} --variants ${WANTED.join(',')}${TSX ? ' --tsx' : ''}`);
