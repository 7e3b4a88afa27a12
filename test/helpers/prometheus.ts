// Real Prometheus tooling for tests: find the `promtool` and `prometheus` binaries, run promtool,
// start a throwaway Prometheus on 127.0.0.1.
//
// Policy when a binary is missing (`requireBinary`): the test is skipped with the reason and how
// to install it, except when the environment variable CI is set (to anything but "" / "0" /
// "false"): then the test FAILS, because a CI machine that silently skips the real-component
// tests proves nothing. `.ci/run` installs them (Debian package `prometheus`).
//
// Lookup order for a binary NAME: the environment variable SLOCTL_<NAME> (e.g. SLOCTL_PROMTOOL=
// /opt/prometheus-3.1/promtool, to test against another version), then $PATH, then the usual
// install places (/usr/bin, /usr/local/bin, /opt/prometheus, /opt/prometheus/bin).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export const INSTALL_HINT = 'apt-get install prometheus';

export type BinaryLookup = { path: string; reason?: undefined } | { path?: undefined; reason: string };

const FALLBACK_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/prometheus', '/opt/prometheus/bin'];

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where the binary is, or why it is not there. Never throws. */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env, install: string = INSTALL_HINT): BinaryLookup {
  const envName = `SLOCTL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const override = env[envName];
  if (override) {
    return executable(override) ? { path: override } : { reason: `${name} not found: ${envName}=${override} is not an executable file` };
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (executable(p)) return { path: p };
  }
  return { reason: `${name} not found: ${install} (or set ${envName} to its path)` };
}

/** True when the CI environment variable asks for strictness. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * The binary's path for a test, or undefined after skipping the test. Under CI a missing binary
 * fails the test instead (throws).
 */
export function requireBinary(t: TestContext, name: string, install?: string): string | undefined {
  const found = findBinary(name, process.env, install);
  if (found.path !== undefined) return found.path;
  if (inCi()) throw new Error(`${found.reason}; CI is set, so this is a failure, not a skip`);
  t.skip(found.reason);
  return undefined;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion (never rejects on a non-zero exit: the code is in the result). */
export function run(bin: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(bin, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code !== 'number') {
        if ((err as { killed?: boolean }).killed) return reject(new Error(`${bin} ${args.join(' ')} timed out`));
        return reject(err);
      }
      resolvePromise({ code: err ? Number((err as NodeJS.ErrnoException).code) : 0, stdout, stderr });
    });
  });
}

export interface Version {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** `promtool --version` / `prometheus --version`: "promtool, version 2.42.0+ds (...)". */
export async function binaryVersion(bin: string): Promise<Version> {
  const r = await run(bin, ['--version']);
  const text = `${r.stdout}\n${r.stderr}`;
  const m = /version\s+v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`cannot read the version of ${bin} from: ${text.trim().split('\n')[0]}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: m[0] };
}

/**
 * How a range selector `x[W]` evaluated at t picks samples. Prometheus 2 takes [t-W, t] (closed);
 * Prometheus 3 takes (t-W, t] (left-open). With one sample per minute and W a whole number of
 * minutes, that is W/1m + 1 samples against W/1m, which moves rate()'s extrapolation and so the
 * exact value a test expects.
 */
export function rangeIsLeftOpen(v: Version): boolean {
  return v.major >= 3;
}

/** A free TCP port on 127.0.0.1 (bound and released: good enough for a test's own server). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePromise(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Output so far, for a failing test's message. */
  logs(): string;
  /** PromQL instant query; throws with Prometheus' error message when it fails. */
  query(expr: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** prometheus.yml content; `rule_files` may name files written through `files`. Default: no scrape. */
  config?: string;
  /** Extra files written into the server's directory (e.g. rules), by name. */
  files?: Record<string, string>;
  /** Extra command-line flags. */
  args?: string[];
  readyTimeoutMs?: number;
}

/**
 * Starts `prometheus` on 127.0.0.1 (a free port, its own temporary config and TSDB directory)
 * and waits until /-/ready answers. The caller stops it (t.after(() => server.stop())).
 */
export async function startPrometheus(bin: string, opts: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-prometheus-'));
  mkdirSync(join(dir, 'data'));
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'prometheus.yml'), opts.config ?? 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(opts.args ?? []),
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => { out = (out + d).slice(-20_000); });
  child.stderr?.on('data', (d) => { out = (out + d).slice(-20_000); });
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });

  const stop = async () => {
    if (exited === undefined && child.exitCode === null) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`prometheus exited with code ${exited} before it was ready:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready on ${url} within ${opts.readyTimeoutMs ?? 30_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    dir,
    process: child,
    logs: () => out,
    async query(expr, time) {
      const params = new URLSearchParams({ query: expr });
      if (time !== undefined) params.set('time', String(time));
      const res = await fetch(`${url}/api/v1/query?${params}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      const result = body.data!.result;
      if (body.data!.resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
      return result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    },
    stop,
  };
}
