// Config readiness (issue 12, item 5): `/healthz?include=config` says which contract the service
// runs with (service name, the contract's `service.version` if it declares one, the sha256 of the
// contract text the SDK loaded) and what the configuration checks it registered say, so a rollout
// can tell "running" from "running with the configuration it was meant to have".
//
// A failing check makes the instance not ready: health answers DOWN (503, whatever
// `health.degradedStatus` says), with or without `include=config`, so load balancers and rollouts
// stop at an instance with the wrong configuration rather than serve from it. Not DEGRADED: that
// is the contract's composite telling an instance that works less well, and a service may choose
// to keep degraded instances in rotation (degradedStatus 200); a wrong configuration is not a
// matter of degree. The composite itself (`availability`, the `sloctl_availability` gauge) is
// left alone: configuration is not one of its signals.
//
// Without `include=config` the body is the health report as before, unless a check fails (then
// it also names the failing checks under `config`, so the 503 explains itself).
import { createHash } from 'node:crypto';
import type { Contract } from '../contract/schema.ts';
import type { HealthReport, HealthStatus } from './core/health.ts';

/** What a configuration check answers: true, false, a string saying what is wrong, or { ok, detail }. */
export type ConfigCheckResult = boolean | string | { ok: boolean; detail?: string };
export type ConfigCheck = () => ConfigCheckResult | Promise<ConfigCheckResult>;

export interface ConfigCheckOptions {
  /** A check that has not answered after this long fails (ms). Default 1000. */
  timeoutMs?: number;
}

export interface ConfigCheckReport {
  name: string;
  ok: boolean;
  detail?: string;
}

/** Which contract the service runs with. */
export interface ContractIdentity {
  service: string;
  /** The contract's `service.version`, when it declares one. */
  version?: string;
  /** `sha256:<hex>` of the contract file's bytes as the SDK read them (of its JSON when given a parsed contract). */
  digest: string;
  /** The contract file, when it was read from one. */
  file?: string;
}

export interface ConfigSection extends ContractIdentity {
  status: 'UP' | 'DOWN';
  checks: ConfigCheckReport[];
}

/** What a failing check adds to the plain health body. */
export interface ConfigFailure {
  status: 'DOWN';
  failing: ConfigCheckReport[];
}

const MAX_CHECKS = 64;
const MAX_DETAIL = 500;

/** `sha256:<hex>` of the contract text (or of the parsed contract's JSON when there is no text). */
export function contractDigest(contract: Contract, text?: string): string {
  return textDigest(text ?? JSON.stringify(contract));
}

/** `sha256:<hex>` of a text: the digest /healthz?include=config reports (accept compares a file's with it). */
export function textDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** True when a query string (`?a=b`, `a=b`, or a URL or path with one) has `include=config`. */
export function wantsConfig(query: string | undefined): boolean {
  if (query === undefined || query === '' || !query.includes('config')) return false;
  const q = query.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? query.slice(q + 1) : query.includes('=') ? query : '');
  return params.getAll('include').some((v) => v.split(',').some((x) => x.trim() === 'config'));
}

function trimDetail(s: string): string {
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}...` : s;
}

function judge(name: string, r: unknown): ConfigCheckReport {
  if (r === true) return { name, ok: true };
  if (r === false) return { name, ok: false, detail: 'the check returned false' };
  if (typeof r === 'string') return { name, ok: false, detail: trimDetail(r) };
  if (r !== null && typeof r === 'object' && typeof (r as { ok?: unknown }).ok === 'boolean') {
    const { ok, detail } = r as { ok: boolean; detail?: unknown };
    return detail === undefined ? { name, ok } : { name, ok, detail: trimDetail(String(detail)) };
  }
  return { name, ok: false, detail: `the check returned ${r === null ? 'null' : typeof r}; a config check returns true, false, a string saying what is wrong, or { ok, detail }` };
}

interface Registered {
  name: string;
  check: ConfigCheck;
  timeoutMs: number;
}

/** The service's configuration checks and the contract's identity; one per Sdk. */
export class ConfigReadiness {
  readonly identity: Readonly<ContractIdentity>;
  private readonly checks: Registered[] = [];
  private pending: Promise<ConfigCheckReport[]> | undefined;

  constructor(contract: Contract, text: string | undefined, file: string | undefined) {
    const version = (contract.service as { version?: unknown }).version;
    this.identity = Object.freeze({
      service: contract.service.name,
      ...(typeof version === 'string' ? { version } : {}),
      digest: contractDigest(contract, text),
      ...(file !== undefined ? { file } : {}),
    });
  }

  get size(): number {
    return this.checks.length;
  }

  add(name: string, check: ConfigCheck, opts: ConfigCheckOptions = {}): void {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) {
      throw new TypeError(`sloctl: configCheck(name, check): the name must be a non-empty string of at most 100 characters, got ${JSON.stringify(name)}`);
    }
    if (typeof check !== 'function') {
      throw new TypeError(`sloctl: configCheck("${name}", check): check must be a function returning true, false, a string saying what is wrong, or { ok, detail } (or a promise of one)`);
    }
    if (this.checks.some((c) => c.name === name)) throw new Error(`sloctl: a config check named "${name}" is already registered; give each check its own name`);
    if (this.checks.length >= MAX_CHECKS) throw new Error(`sloctl: at most ${MAX_CHECKS} config checks; combine related ones`);
    const timeoutMs = opts.timeoutMs ?? 1000;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`sloctl: configCheck("${name}"): timeoutMs must be a positive number of ms, got ${timeoutMs}`);
    this.checks.push({ name, check, timeoutMs });
  }

  /** Runs every check (concurrent callers share one run). */
  run(): Promise<ConfigCheckReport[]> {
    this.pending ??= Promise.all(this.checks.map((c) => runOne(c))).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /**
   * The health answer with configuration: the report unchanged when there is nothing to add
   * (no `include=config` and no failing check); else the report with `config` and, when a check
   * fails, status DOWN.
   */
  async decorate(report: HealthReport, query: string | undefined): Promise<{ status: HealthStatus; body: object }> {
    const include = wantsConfig(query);
    if (!include && this.checks.length === 0) return { status: report.status, body: report };
    const checks = await this.run();
    const failing = checks.filter((c) => !c.ok);
    const status: HealthStatus = failing.length > 0 ? 'DOWN' : report.status;
    if (include) {
      const config: ConfigSection = { status: failing.length > 0 ? 'DOWN' : 'UP', ...this.identity, checks };
      return { status, body: { ...report, status, config } };
    }
    if (failing.length === 0) return { status, body: report };
    const config: ConfigFailure = { status: 'DOWN', failing };
    return { status, body: { ...report, status, config } };
  }
}

async function runOne(c: Registered): Promise<ConfigCheckReport> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      Promise.resolve().then(c.check),
      // Not unref'd: someone is waiting for this answer; the timer lives at most timeoutMs.
      new Promise<symbol>((resolve) => {
        timer = setTimeout(resolve, c.timeoutMs, TIMED_OUT);
      }),
    ]);
    if (answer === TIMED_OUT) return { name: c.name, ok: false, detail: `no answer within ${c.timeoutMs} ms` };
    return judge(c.name, answer);
  } catch (err) {
    return { name: c.name, ok: false, detail: trimDetail(`the check threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

const TIMED_OUT = Symbol('timed out');
