// Experiment: instructions a request, not time. Runs each of two bench servers under valgrind's
// callgrind (one after the other), answers a fixed number of warm-up requests, zeroes the counts,
// answers a fixed number more (8 keep-alive connections from this process), and dumps: the
// instructions the server executed for those requests, divided by their number, on its main
// thread and on all its threads. One round repeats within ~0.6% where ab-pair's CPU time needs
// 12-20 rounds, and it is blind to what time also pays: cache and TLB misses, branch mispredictions. So a
// difference in time that instructions do not show is the same work running slower, not more
// work. --sim adds callgrind's simulated caches and branch predictor (a model, not this CPU).
//
//   [CG_NODE_FLAGS='--perf-basic-prof'] node bench/experiments/callgrind-pair.mjs A.cjs:VARIANT B.cjs:VARIANT [--rounds 2] [--warm 30000] [--requests 20000] [--sim] [--keep]
//
// --keep leaves the dumps for `callgrind_annotate --inclusive=no` (per function). The JIT's code
// shows there as bare addresses: with CG_NODE_FLAGS=--perf-basic-prof each server also writes
// /tmp/perf-<pid>.map (start, size, name), against which those addresses can be looked up.
//
// A and B are scripts speaking bench/fastify-hello.ts's protocol (READY <port>), e.g. the
// wrappers of bench/experiments/cjs-wrappers.mjs. ~1 min a server (3 with --sim) on this VM.
// Per-second work (the saturation monitor's sampling, timers) is spread over the ~1,000 requests
// a second a server answers under valgrind, not the ~40,000 it answers natively: compare
// variants that do the same periodic work, or discount it (memset, hdr_*, listOnTimeout).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!(Number.isInteger(v) && v > 0)) {
    console.error(`${name} takes a positive whole number, got ${args[i + 1]}`);
    process.exit(2);
  }
  args.splice(i, 2);
  return v;
};
const ROUNDS = flag('--rounds', 2);
const WARM = flag('--warm', 30_000);
const REQUESTS = flag('--requests', 20_000);
const SIM = args.includes('--sim');
const KEEP = args.includes('--keep');
const NODE_FLAGS = (process.env.CG_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const sides = args.filter((a) => !a.startsWith('--')).map((s) => {
  const i = s.lastIndexOf(':');
  return i < 0 ? undefined : { script: s.slice(0, i), variant: s.slice(i + 1) };
});
if (sides.length !== 2 || sides.includes(undefined)) {
  console.error('usage: node bench/experiments/callgrind-pair.mjs A.cjs:VARIANT B.cjs:VARIANT [--rounds N] [--warm N] [--requests N] [--sim] [--keep]');
  process.exit(2);
}
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('valgrind is not installed: apt-get install -y valgrind');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'sloctl-callgrind-'));

/** Exactly n GET / over 8 keep-alive connections; rejects on anything but 200. */
function requests(port, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  let answered = 0;
  return new Promise((resolve, reject) => {
    const one = () => {
      if (sent >= n) return;
      sent++;
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET / answered ${res.statusCode}`));
        res.resume();
        res.on('end', () => {
          if (++answered === n) {
            agent.destroy();
            resolve();
          } else one();
        });
      }).on('error', reject);
    };
    for (let i = 0; i < 8; i++) one();
  });
}

/** The totals line of each thread's dump: { main: [events], all: [events] } and the event names. */
function readDump(prefix) {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${prefix}.`) && /\.1-\d+$/.test(f)).sort();
  let names;
  let main;
  const all = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'latin1');
    names ??= /^events: (.*)$/m.exec(text)?.[1].split(' ');
    const totals = (/^totals: (.*)$/m.exec(text) ?? /^summary: (.*)$/m.exec(text))?.[1].split(' ').map(Number) ?? [];
    if (f.endsWith('-01')) main = totals;
    totals.forEach((v, i) => (all[i] = (all[i] ?? 0) + v));
  }
  if (main === undefined) throw new Error(`no dump of the main thread for ${prefix} in ${dir}`);
  return { names, main, all };
}

async function measure(side, tag) {
  const vgArgs = ['--tool=callgrind', `--callgrind-out-file=${join(dir, tag)}.%p`, '--smc-check=all-non-file', '--separate-threads=yes',
    ...(SIM ? ['--cache-sim=yes', '--branch-sim=yes'] : []), process.execPath, ...NODE_FLAGS, side.script, side.variant];
  const vg = spawn('valgrind', vgArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  vg.stderr.on('data', (d) => (err += d));
  const port = await new Promise((resolve, reject) => {
    vg.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    vg.on('exit', (code) => reject(new Error(`${side.script} ${side.variant} exited ${code} before READY: ${err.slice(-1500)}`)));
  });
  await requests(port, WARM);
  spawnSync('callgrind_control', ['-z', String(vg.pid)]);
  await requests(port, REQUESTS);
  spawnSync('callgrind_control', ['-d', String(vg.pid)]);
  vg.removeAllListeners('exit');
  const exited = new Promise((resolve) => vg.on('exit', resolve));
  vg.kill('SIGTERM');
  await exited;
  return readDump(`${tag}.${vg.pid}`);
}

const per = (v) => v / REQUESTS;
const fmt = (v) => Math.round(v).toLocaleString('en-US');
const ratios = { main: [], all: [] };
for (let r = 1; r <= ROUNDS; r++) {
  const order = r % 2 === 1 ? [0, 1] : [1, 0];
  const got = [];
  for (const i of order) got[i] = await measure(sides[i], `r${r}-${'AB'[i]}`);
  const [a, b] = got;
  const line = [`round ${r}:`];
  for (const k of ['main', 'all']) {
    const ra = per(a[k][0]);
    const rb = per(b[k][0]);
    ratios[k].push(rb / ra);
    line.push(`${k} A ${fmt(ra)} B ${fmt(rb)} instr/req (B/A ${(rb / ra).toFixed(4)})`);
  }
  console.log(line.join('  '));
  if (SIM) {
    const shown = ['I1mr', 'D1mr', 'D1mw', 'Bcm', 'Bim'].filter((n) => a.names.includes(n));
    console.log(`  main thread, simulated: ${shown.map((n) => {
      const i = a.names.indexOf(n);
      return `${n} A ${per(a.main[i]).toFixed(1)} B ${per(b.main[i]).toFixed(1)} (${(b.main[i] / a.main[i]).toFixed(3)})`;
    }).join(', ')}`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2; // of an even count, the mean of the middle two
};
console.log(`B/A instructions per request: main thread ${median(ratios.main).toFixed(4)}, all threads ${median(ratios.all).toFixed(4)} (median of ${ROUNDS}; ${WARM} warm-up and ${REQUESTS} measured requests each)`);
if (KEEP) console.log(`dumps in ${dir} (callgrind_annotate reads them)`);
else rmSync(dir, { recursive: true, force: true });
