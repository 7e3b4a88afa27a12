// Experiment: the state of V8's feedback for process.nextTick's queue-entry literal
// (`{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger, callback, args }`: four
// DefineKeyedOwnPropertyInLiteral slots) in a server after it has been under load: monomorphic
// slots are inline stores in optimized code, megamorphic ones are runtime calls (bench/RESULTS.md,
// 2026-12-05 09:20). Runs the server N times, fresh each time, on CPU 0 under `wrk -t1 -c50` on
// CPU 1 for 10 s, and prints each process's req/s and the four slots' states.
//
//   node bench/experiments/tick-feedback.mjs BUNDLE VARIANT [N=3] [node flags...]
//
// BUNDLE: a server script speaking bench/fastify-hello.ts's protocol (READY <port>), e.g. one
// built by bench/experiments/ab-bundle.mjs under node_modules/.cache/ab/. Node flags are passed
// on (e.g. --import node:tls, --perf-basic-prof).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

const [bundle, variant, n = '3', ...flags] = process.argv.slice(2);
if (bundle === undefined || variant === undefined) {
  console.error('usage: node bench/experiments/tick-feedback.mjs BUNDLE VARIANT [N] [node flags...]');
  process.exit(2);
}
// Beside the bundle, so that its packages resolve as the bundle's do.
const wrapper = join(dirname(resolve(bundle)), `tick-feedback-${basename(bundle)}`);
writeFileSync(wrapper, `await import('./${basename(bundle)}');\nsetTimeout(() => { %DebugPrint(process.nextTick); }, 9000).unref();\n`);

const run = (cmd, args) => new Promise((done) => {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d) => { out += d; });
  c.stderr.on('data', (d) => { out += d; });
  c.on('close', () => done(out));
});

for (let i = 0; i < Number(n); i++) {
  // The server writes to a file, not a pipe: V8's %DebugPrint writes with C stdio, and Node makes
  // a pipe non-blocking, so a long print into a pipe loses what does not fit at once.
  const log = join(tmpdir(), `tick-feedback-${process.pid}-${i}.log`);
  const fd = openSync(log, 'w');
  const server = spawn('taskset', ['-c', '0', process.execPath, '--allow-natives-syntax', ...flags, wrapper, variant], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((done) => server.on('close', done));
  let port;
  for (let t = 0; port === undefined; t++) {
    if (server.exitCode !== null || t > 600) throw new Error(`no READY from the server (exit ${server.exitCode}): ${readFileSync(log, 'utf8').slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
    port = /READY (\d+)/.exec(readFileSync(log, 'utf8'))?.[1];
  }
  const wrk = await run('taskset', ['-c', '1', 'wrk', '-t1', '-c50', '-d10s', `http://127.0.0.1:${port}/`]);
  server.kill();
  await exited;
  const out = readFileSync(log, 'utf8');
  rmSync(log);
  const slots = [...out.matchAll(/slot #\d+ DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(wrk)?.[1] ?? '?';
  console.log(`${basename(bundle)} ${variant} ${flags.join(' ')} run ${i + 1}: ${rps} req/s; [asyncId] [triggerId] callback args: ${slots.length === 4 ? slots.join(' ') : `not found (${slots.length} slots)`}`);
}
