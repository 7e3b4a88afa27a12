// Experiment (bench/RESULTS.md "SDK cost on Fastify, corrected", 2026-12-05): two servers side by
// side on CPU 0, each saturated by its own `wrk -t1 -c50` on CPU 1, started with or without an IPC
// channel; prints each round's CPU per request (from /proc/<pid>/stat) and the second's ratio to the first.
//
//   node bench/experiments/ipc-pair.mjs ipc|noipc pipe [VARIANT=sdk] [ROUNDS=3]
//   env BUNDLE: the server script (default node_modules/.cache/sloctl-bench/fastify-hello.mjs, which
//   bench/sdk-wrk.bench.ts builds; fastify-parts.mjs likewise with --server); BASE: the first
//   server's variant (default bare). For the minimal app: BUNDLE=bench/experiments/ipc-hello.mjs
//   BASE=plain-msg and VARIANT hook-msg, or with imp=contract after building its module:
//   npx esbuild src/contract/load.ts --bundle --packages=external --format=esm --platform=node --outfile=node_modules/.cache/bis/contract.mjs
// This is the script the session's IPC A/B tables were run with, as run (its output's "sdk" is the
// second server, whatever its variant).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
const ipc = process.argv[2] === 'ipc';
const start = (v) => new Promise((res) => {
  const c = spawn('taskset', ['-c', '0', process.execPath, process.env.BUNDLE ?? 'node_modules/.cache/sloctl-bench/fastify-hello.mjs', v], { stdio: ['ignore', 'pipe', 'inherit', ...(ipc ? ['ipc'] : [])] });
  let out = ''; c.stdout.on('data', (d) => { out += d; const m = /READY (\d+)/.exec(out); if (m) res({ c, port: m[1] }); });
});
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 1e4; };
const wrk = (port, s) => new Promise((res) => { const c = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${s}s`, `http://127.0.0.1:${port}/`]); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('exit', () => res(Number(/(\d+) requests in/.exec(o)[1]))); });
for (let r = 0; r < Number(process.argv[5] ?? 3); r++) {
  const [a, b] = await Promise.all([start(process.env.BASE ?? 'bare'), start(process.argv[4] ?? 'sdk')]);
  await Promise.all([wrk(a.port, 3), wrk(b.port, 3)]);
  const a0 = cpu(a.c.pid), b0 = cpu(b.c.pid);
  const [na, nb] = await Promise.all([wrk(a.port, 6), wrk(b.port, 6)]);
  const ua = (cpu(a.c.pid) - a0) / na, ub = (cpu(b.c.pid) - b0) / nb;
  console.log(`ipc=${ipc} bare ${ua.toFixed(1)}us sdk ${ub.toFixed(1)}us cpu ratio ${(ub / ua).toFixed(3)} req ratio ${(nb / na).toFixed(3)}`);
  a.c.kill(); b.c.kill();
  await new Promise((r) => setTimeout(r, 300));
}
process.exit(0);
