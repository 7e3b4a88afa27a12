// Requests/s of a Fastify and an Express hello-world: bare, with sloctl's SDK, and with the peer
// a user would pick instead (fastify-metrics, express-prom-bundle), in one run.
//
//   taskset -c 0 node --import tsx bench/sdk.bench.ts [--rounds 5] [--duration 5] [--connections 50] [--warmup 3] [--only fastify|express]
//
// Each server runs in its own child process, pinned to the last CPU with taskset when available;
// run the bench itself pinned elsewhere (as the command above does) so the load generator never
// shares the server's core. autocannon drives it over loopback with keep-alive.
// Every round starts fresh server processes, warms them up, and measures the variants in an
// order that rotates every round, so drift in the machine and per-process luck affect all alike; each variant's number is the median over rounds, and each ratio is the median of the
// per-round ratios to the bare server of the same framework measured in the same round. Besides
// requests/s it reports the server process's CPU time per request (asked over IPC around each
// run): on a small machine the load generator may saturate before the server does, and then CPU
// per request is the honest measure of what instrumentation costs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { VARIANTS, type Variant } from './http-server.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag('rounds', 5);
const DURATION = flag('duration', 5);
const CONNECTIONS = flag('connections', 50);
const WARMUP = flag('warmup', 3);
const onlyAt = args.indexOf('--only');
/** `--only fastify` or `--only express`: one framework's three variants. */
const RUN: readonly Variant[] = onlyAt >= 0 ? VARIANTS.filter((v) => v.startsWith(args[onlyAt + 1])) : VARIANTS;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// All CPUs of the machine (availableParallelism() only counts the ones this process may use).
const CPUS = cpus().length;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
const serverCpu = String(CPUS - 1);

interface Server {
  variant: Variant;
  child: ChildProcess;
  url: string;
}

function startServer(variant: Variant): Promise<Server> {
  const cmd = hasTaskset && CPUS > 1 ? ['taskset', '-c', serverCpu, process.execPath] : [process.execPath];
  const child = spawn(cmd[0], [...cmd.slice(1), '--import', 'tsx', 'bench/http-server.ts', variant], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ variant, child, url: `http://127.0.0.1:${m[1]}/` });
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
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

/** One run: requests/s, p99, and the server's CPU microseconds per request. */
async function load(s: Server, seconds: number): Promise<{ rps: number; p99: number; errors: number; cpuUs: number }> {
  const before = await cpuOf(s);
  const r = await autocannon({ url: s.url, connections: CONNECTIONS, pipelining: 1, duration: seconds });
  const after = await cpuOf(s);
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuUs: (after - before) / Math.max(1, r.requests.total) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const servers = new Map<Variant, Server>();
try {

  const rps = new Map<Variant, number[]>(RUN.map((v) => [v, []]));
  const p99 = new Map<Variant, number[]>(RUN.map((v) => [v, []]));
  const ratios = new Map<Variant, number[]>(RUN.map((v) => [v, []]));
  const cpu = new Map<Variant, number[]>(RUN.map((v) => [v, []]));
  const cpuRatios = new Map<Variant, number[]>(RUN.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh processes every round: one process's JIT and heap layout can differ from another's
    // by more than the cost being measured, so no variant keeps a lucky (or unlucky) process.
    // Only one framework's servers are alive at a time, so idle servers (their timers, their
    // memory) do not share the measured server's CPU.
    const thisRound = new Map<Variant, number>();
    const thisCpu = new Map<Variant, number>();
    for (const framework of ['fastify', 'express']) {
      const group = RUN.filter((v) => v.startsWith(framework));
      if (group.length === 0) continue;
      for (const v of group) servers.set(v, await startServer(v));
      for (const v of group) await load(servers.get(v)!, WARMUP);
      const order = group.map((_, i) => group[(i + round) % group.length]);
      for (const v of order) {
        const r = await load(servers.get(v)!, DURATION);
        if (r.errors > 0) throw new Error(`${v}: ${r.errors} errors or non-2xx answers`);
        thisRound.set(v, r.rps);
        thisCpu.set(v, r.cpuUs);
        rps.get(v)!.push(r.rps);
        p99.get(v)!.push(r.p99);
        cpu.get(v)!.push(r.cpuUs);
      }
      for (const s of servers.values()) await stopServer(s);
      servers.clear();
    }
    for (const v of RUN) {
      const bare = v.startsWith('fastify') ? 'fastify-bare' : 'express-bare';
      ratios.get(v)!.push(thisRound.get(v)! / thisRound.get(bare)!);
      cpuRatios.get(v)!.push(thisCpu.get(v)! / thisCpu.get(bare)!);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${RUN.map((v) => `${v} ${Math.round(thisRound.get(v)!)}/s ${thisCpu.get(v)!.toFixed(2)}µs`).join(', ')}\n`);
  }

  const model = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nnode ${process.version}, ${model}, ${CPUS} CPUs (load generator on ${availableParallelism()}); autocannon ${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION}s, server ${hasTaskset ? `pinned to CPU ${serverCpu}` : 'unpinned'}\n`);
  console.log('| framework | variant | req/s (median) | req/s vs bare | throughput cost | server CPU µs/req (median) | CPU vs bare | CPU cost | p99 ms |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const v of RUN) {
    const [framework, ...rest] = v.split('-');
    const ratio = median(ratios.get(v)!);
    const cpuRatio = median(cpuRatios.get(v)!);
    const bare = v.endsWith('bare');
    const pct = (x: number) => (bare ? '' : `${(x * 100).toFixed(1)}%`);
    console.log(`| ${framework} | ${rest.join('-')} | ${Math.round(median(rps.get(v)!))} | ${ratio.toFixed(3)} | ${pct(1 - ratio)} | ${median(cpu.get(v)!).toFixed(1)} | ${cpuRatio.toFixed(3)} | ${pct(cpuRatio - 1)} | ${median(p99.get(v)!)} |`);
  }
  console.log('\nRatios are medians of per-round ratios to the bare server of the same framework in the same round.');
  console.log('Server CPU per request (user + system, from the server process) is the cost measure that does not depend on');
  console.log('whether the load generator or the server saturates first; on a two-CPU machine the generator often does.');
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}..${Math.max(...xs).toFixed(3)}`;
  console.log('\nper-round ratios (min..max): ' + RUN.filter((v) => !v.endsWith('bare')).map((v) => `${v} req/s ${range(ratios.get(v)!)}, CPU ${range(cpuRatios.get(v)!)}`).join('; '));
  console.log(`\ncommand: taskset -c 0 node --import tsx bench/sdk.bench.ts --rounds ${ROUNDS} --duration ${DURATION} --connections ${CONNECTIONS} --warmup ${WARMUP}${onlyAt >= 0 ? ` --only ${args[onlyAt + 1]}` : ''}`);
} finally {
  for (const s of servers.values()) await stopServer(s);
}
