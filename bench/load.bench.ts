// Requests/s of `sloctl load --rate max` (the closed model) vs autocannon vs wrk, against the same
// local server, in one run:
//
//   node --import tsx bench/load.bench.ts [--rounds 5] [--duration 10] [--connections 64] [--warmup 2] [--server http|raw]
//
// The target (--server http, the default) is a minimal node:http server answering 200 "ok", in a child process pinned to CPU 0
// (`taskset -c 0`); each load tool runs in its own child process pinned to CPU 1 (`taskset -c 1`),
// with the same connection count and duration, one tool at a time. Every round starts a fresh
// server, warms it up with wrk, and runs the tools in an order that rotates each round, so drift
// in the machine affects all alike. Numbers are medians over rounds; ratios are medians of the
// per-round ratios (tool / autocannon, tool / wrk measured in the same round).
//
// How each tool is run (bench/load-runner.ts for the two Node tools):
// - sloctl: runLoad() with rate 'max', one thread, in a child process: what `sloctl load URL --rate
//   max --connections N` runs after parsing flags. req/s = answered requests / the run's duration.
// - autocannon: its library API in the same kind of child process, one thread (its default).
//   req/s = requests.total / duration.
// - wrk: /usr/bin/wrk -t1 -cN -dS --latency (one thread, C). req/s = its "Requests/sec".
// CPU per request is the tool process's user+sys time during the run (for the Node tools, measured
// inside the process around the run, so tsx start-up is excluded; for wrk, /usr/bin/time). When the
// server's core saturates first, req/s is the server's limit for every tool and CPU per request is
// the honest comparison of the generators.
//
// --server raw: the target is a bare TCP server writing the same canned 200 "ok" response for every
// request head it reads (no HTTP parsing, so it costs less per request than node:http). The
// server's core no longer saturates first and req/s shows each generator's own limit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag('rounds', 7);
const DURATION = flag('duration', 8);
const CONNECTIONS = flag('connections', 64);
const WARMUP = flag('warmup', 2);
const serverArg = args.indexOf('--server');
const SERVER_KIND = serverArg >= 0 ? args[serverArg + 1] : 'http';
if (SERVER_KIND !== 'http' && SERVER_KIND !== 'raw') {
  console.error(`--server: expected http or raw, got ${String(SERVER_KIND)}`);
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CPUS = cpus().length;
const pinned = spawnSync('taskset', ['-V']).status === 0 && CPUS > 1;
const SERVER_CPU = '0';
const TOOL_CPU = '1';

const TOOLS = ['sloctl', 'autocannon', 'wrk'] as const;
type Tool = (typeof TOOLS)[number];

interface Measure {
  tool: Tool;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuUsPerReq: number;
  /** The server process's CPU over the run, as a share of its one core: near 1 means the server was the limit. */
  serverCpu: number;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

const SERVER_JS = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('READY ' + server.address().port));
`;

// Answers every request head (up to its blank line; the tools send GETs without a body) with one
// canned response; a head split over reads is joined by carrying the bytes after the last one found.
const RAW_SERVER_JS = `
const net = require('node:net');
const ANSWER = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: 2\\r\\n\\r\\nok');
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  let carry = null;
  socket.on('data', (chunk) => {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    let heads = 0;
    let end = 0;
    for (let at = buf.indexOf('\\r\\n\\r\\n', 0, 'latin1'); at >= 0; at = buf.indexOf('\\r\\n\\r\\n', at + 4, 'latin1')) {
      heads++;
      end = at + 4;
    }
    carry = end < buf.length ? Buffer.from(buf.subarray(end)) : null;
    if (heads === 1) socket.write(ANSWER);
    else if (heads > 1) socket.write(Buffer.concat(new Array(heads).fill(ANSWER)));
  });
});
server.listen(0, '127.0.0.1', () => console.log('READY ' + server.address().port));
`;

function onCpu(cpu: string, cmd: string[]): string[] {
  return pinned ? ['taskset', '-c', cpu, ...cmd] : cmd;
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const cmd = onCpu(SERVER_CPU, [process.execPath, '-e', SERVER_KIND === 'raw' ? RAW_SERVER_JS : SERVER_JS]);
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}/` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs a command to completion; returns stdout and stderr. */
function exec(cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** wrk's "1.23ms" / "812.00us" / "1.02s" in ms. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function runWrk(url: string, seconds: number): Promise<Measure> {
  const r = await exec(onCpu(TOOL_CPU, ['/usr/bin/time', '-f', 'RUSAGE %U %S', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url]));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  const p50 = wrkMs(/^\s+50%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '');
  const p99 = wrkMs(/^\s+99%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '');
  const errs = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const errors = (errs ? Number(errs[1]) : 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const ru = /RUSAGE ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const cpuMs = ru ? (Number(ru[1]) + Number(ru[2])) * 1000 : NaN;
  if (!(rps > 0)) throw new Error(`wrk printed no Requests/sec:\n${r.stdout}${r.stderr}`);
  return { tool: 'wrk', rps, p50, p99, errors, cpuUsPerReq: (cpuMs * 1000) / total, serverCpu: NaN };
}

async function runNode(tool: 'sloctl' | 'autocannon', url: string): Promise<Measure> {
  const r = await exec(onCpu(TOOL_CPU, [process.execPath, '--import', 'tsx', 'bench/load-runner.ts', tool, url, String(CONNECTIONS), String(DURATION)]));
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  let o: { requests: number; seconds: number; p50: number; p99: number; errors: number; cpuMs: number };
  try {
    o = JSON.parse(line);
  } catch {
    throw new Error(`${tool} runner failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
  return { tool, rps: o.requests / o.seconds, p50: o.p50, p99: o.p99, errors: o.errors, cpuUsPerReq: (o.cpuMs * 1000) / o.requests, serverCpu: NaN };
}

/** One tool's run, with the server's CPU share over it (process start-up of the Node tools included: a slight underestimate). */
async function run(tool: Tool, url: string, serverPid: number): Promise<Measure> {
  const cpu0 = cpuSeconds(serverPid);
  const t0 = performance.now();
  const m = tool === 'wrk' ? await runWrk(url, DURATION) : await runNode(tool, url);
  m.serverCpu = (cpuSeconds(serverPid) - cpu0) / ((performance.now() - t0) / 1000);
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  console.log(`load generators: ${ROUNDS} rounds × ${DURATION}s, ${CONNECTIONS} connections; ${SERVER_KIND === 'raw' ? 'raw TCP' : 'node:http'} server on CPU ${pinned ? SERVER_CPU : '(unpinned)'}, tools on CPU ${pinned ? TOOL_CPU : '(unpinned)'}; Node ${process.version}, ${CPUS} CPUs (${cpus()[0]?.model ?? '?'})`);
  const rounds: Array<Map<Tool, Measure>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer();
    try {
      await runWrk(server.url, WARMUP);
      const order = TOOLS.map((_, i) => TOOLS[(i + round) % TOOLS.length]);
      const got = new Map<Tool, Measure>();
      for (const tool of order) {
        const m = await run(tool, server.url, server.child.pid!);
        got.set(tool, m);
        console.log(`  round ${round + 1} ${tool.padEnd(10)} ${fmt(m.rps).padStart(7)} req/s  p50 ${m.p50.toFixed(2)}ms  p99 ${m.p99.toFixed(2)}ms  ${m.cpuUsPerReq.toFixed(1)} µs CPU/req  server CPU ${Math.round(m.serverCpu * 100)}%${m.errors ? `  ERRORS ${m.errors}` : ''}`);
      }
      rounds.push(got);
    } finally {
      await stopServer(server.child);
    }
  }
  const rows = TOOLS.map((tool) => {
    const of = (f: (m: Measure) => number) => median(rounds.map((r) => f(r.get(tool)!)));
    return {
      tool,
      rps: of((m) => m.rps),
      vsAutocannon: median(rounds.map((r) => r.get(tool)!.rps / r.get('autocannon')!.rps)),
      vsWrk: median(rounds.map((r) => r.get(tool)!.rps / r.get('wrk')!.rps)),
      p50: of((m) => m.p50),
      p99: of((m) => m.p99),
      cpu: of((m) => m.cpuUsPerReq),
      server: of((m) => m.serverCpu),
      spread: `${fmt(Math.min(...rounds.map((r) => r.get(tool)!.rps)))}–${fmt(Math.max(...rounds.map((r) => r.get(tool)!.rps)))}`,
    };
  });
  console.log('');
  console.log('| tool | req/s (median) | range over rounds | vs autocannon | vs wrk | p50 ms | p99 ms | tool CPU µs/req | server CPU |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.tool === 'sloctl' ? 'sloctl load --rate max' : r.tool} | ${fmt(r.rps)} | ${r.spread} | ${r.vsAutocannon.toFixed(2)}x | ${r.vsWrk.toFixed(2)}x | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpu.toFixed(1)} | ${Math.round(r.server * 100)}% |`);
  }
  console.log('');
  console.log('autocannon records latency in whole milliseconds (p50 0 means under 1 ms). sloctl\'s latency is its corrected latency, which in the closed model starts when a connection is free to send.');
}

await main();
