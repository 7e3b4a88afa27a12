// Experiment: two builds of a server side by side (A/B), both on CPU 0, each saturated by its own
// `wrk -t1 -c50` on CPU 1, started without an IPC channel; per round it prints each one's CPU per
// request (its threads' /proc schedstat, ns) and B's ratio to A, then the median ratio. Used to
// tell whether a change to the SDK's per-request path is cheaper than what it replaces, which the
// bare-relative bench (bench/sdk-wrk.bench.ts --paired) can only show as a difference of two noisy
// ratios.
//
//   [AB_WARM=alone] [AB_FLAGS_A='node flags'] [AB_FLAGS_B=...] node bench/experiments/ab-pair.mjs BUNDLE_A:VARIANT BUNDLE_B:VARIANT [ROUNDS=6] [SECONDS=5]
//
// A bundle is a server script speaking bench/fastify-hello.ts's protocol (READY <port>): build one
// per checkout with bench/experiments/ab-bundle.mjs (e.g. the commit before a change, from a git
// worktree, and the working tree after it). Which server starts first
// alternates by round. A/A (the same bundle and variant twice) is the method's noise.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2, 4).map((s) => {
  const i = s.lastIndexOf(':');
  if (i < 0) throw new Error(`expected BUNDLE:VARIANT, got ${s}`);
  return { bundle: s.slice(0, i), variant: s.slice(i + 1) };
});
if (a === undefined || b === undefined) {
  console.error('usage: node bench/experiments/ab-pair.mjs BUNDLE_A:VARIANT BUNDLE_B:VARIANT [ROUNDS] [SECONDS]');
  process.exit(2);
}
const ROUNDS = Number(process.argv[4] ?? 6);
const SECONDS = Number(process.argv[5] ?? 5);

const start = (side) => new Promise((resolve, reject) => {
  const { bundle, variant } = side;
  // AB_FLAGS_A / AB_FLAGS_B: node flags for one side (e.g. --max-semi-space-size=8).
  const flags = ((side === a ? process.env.AB_FLAGS_A : process.env.AB_FLAGS_B) ?? '').split(' ').filter(Boolean);
  const c = spawn('taskset', ['-c', '0', process.execPath, ...flags, bundle, variant], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.on('exit', (code) => reject(new Error(`${bundle} ${variant} exited ${code} before READY`)));
  c.stdout.on('data', (d) => {
    out += d;
    const m = /READY (\d+)/.exec(out);
    if (m) resolve({ c, port: m[1] });
  });
});
const cpuNs = (pid) => {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    } catch {
      // a thread that ended while we looked
    }
  }
  return ns;
};
/** The process's user and system CPU (/proc/<pid>/stat fields 14 and 15, clock ticks of 10 ms), as [user, system] in ns. */
const userSys = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]) * 1e7, Number(rest[12]) * 1e7];
};
const wrk = (port, s) => new Promise((resolve) => {
  const c = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${s}s`, `http://127.0.0.1:${port}/`]);
  let o = '';
  c.stdout.on('data', (d) => (o += d));
  c.on('close', () => resolve(Number(/(\d+) requests in/.exec(o)?.[1] ?? NaN)));
});

const ratios = [];
/** Per round, each side's user and system µs a request (10 ms ticks: coarse, ±1% on a 5 s run). */
const splits = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [a, b] : [b, a];
  const started = await Promise.all(order.map(start));
  const [sa, sb] = r % 2 === 0 ? started : [started[1], started[0]];
  // AB_WARM=alone: warm each alone for 3 s, A then B, as bench/sdk-wrk.bench.ts --paired does; else both together for 2 s.
  if (process.env.AB_WARM === 'alone') {
    await wrk(sa.port, 3);
    await wrk(sb.port, 3);
  } else await Promise.all([wrk(sa.port, 2), wrk(sb.port, 2)]);
  const a0 = cpuNs(sa.c.pid), b0 = cpuNs(sb.c.pid);
  const sa0 = userSys(sa.c.pid), sb0 = userSys(sb.c.pid);
  const [na, nb] = await Promise.all([wrk(sa.port, SECONDS), wrk(sb.port, SECONDS)]);
  const ua = (cpuNs(sa.c.pid) - a0) / na / 1000, ub = (cpuNs(sb.c.pid) - b0) / nb / 1000;
  const sa1 = userSys(sa.c.pid), sb1 = userSys(sb.c.pid);
  const split = [sa1[0] - sa0[0], sa1[1] - sa0[1], sb1[0] - sb0[0], sb1[1] - sb0[1]].map((ns, i) => ns / (i < 2 ? na : nb) / 1000);
  splits.push(split);
  ratios.push(ub / ua);
  console.log(`round ${r + 1}: A ${ua.toFixed(2)} µs/req (${na} req)  B ${ub.toFixed(2)} µs/req (${nb} req)  B/A CPU ${(ub / ua).toFixed(3)}  user/sys µs/req A ${split[0].toFixed(2)}/${split[1].toFixed(2)} B ${split[2].toFixed(2)}/${split[3].toFixed(2)}`);
  for (const s of started) {
    s.c.removeAllListeners('exit');
    s.c.kill();
  }
  await new Promise((res) => setTimeout(res, 300));
}
const sorted = [...ratios].sort((x, y) => x - y);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
const med = (xs) => {
  const o = [...xs].sort((x, y) => x - y);
  return o.length % 2 ? o[(o.length - 1) / 2] : (o[o.length / 2 - 1] + o[o.length / 2]) / 2;
};
console.log(`user B/A: median ${med(splits.map((x) => x[2] / x[0])).toFixed(3)}  system B/A: median ${med(splits.map((x) => x[3] / x[1])).toFixed(3)}  (A user ${med(splits.map((x) => x[0])).toFixed(2)}, system ${med(splits.map((x) => x[1])).toFixed(2)} µs/req)`);
console.log(`B/A CPU per request: median ${median.toFixed(3)} of ${ROUNDS}, range ${sorted[0].toFixed(3)}–${sorted[sorted.length - 1].toFixed(3)}`);
process.exit(0);
