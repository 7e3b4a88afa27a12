// A contract JSON beside the contract (`sloctl generate contract slo.yaml -o slo.json`: what sloctl's
// Go middleware loads) that no longer matches what the contract generates: the service then runs
// with the old thresholds and buckets (a threshold raised in slo.yaml gets no bucket, and the gate
// and the rules read 0 good requests). A warning at the part of the contract that changed, with the
// command to regenerate it.
//
// Only files sloctl wrote are judged: JSON with the contract JSON's `schemaVersion`, `bucketsMs`
// and the same service name. `source` (the contract's name as it was given) is not compared.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Diagnostic, PathSegment } from '../contract/diagnostic.ts';
import type { LoadedContract } from '../contract/load.ts';

/** The names the README gives the file (`-o slo.json`; `-o contract.json` in the usage line). */
export const CONTRACT_JSON_NAMES = ['slo.json', 'contract.json'];
const MAX_BYTES = 1024 * 1024;

export interface ContractJsonCheck {
  /** As shown, beside the contract. */
  file: string;
  current: boolean;
  diagnostic?: Diagnostic;
}

/** Where in the contract each top-level key of the JSON comes from, to point at what changed. */
const FROM: Record<string, PathSegment[]> = {
  service: ['service'],
  paths: ['target'],
  errorClasses: ['errorClasses'],
  probes: ['probes'],
  routes: ['routes'],
  defaultThresholdMs: ['objectives', 'latency'],
  dependencies: ['dependencies'],
  health: ['objectives'],
  latencyThresholdsMs: ['objectives', 'latency'],
  bucketsMs: ['objectives', 'latency'],
};

/**
 * The contract JSON beside contract `l` (read from disk at `cwd`), compared with what `l`
 * generates now; undefined when there is none sloctl wrote for this service.
 */
export async function checkContractJson(l: LoadedContract, cwd: string, read: (abs: string) => string | undefined = readOnDisk): Promise<ContractJsonCheck | undefined> {
  const c = l.contract;
  if (!c) return undefined;
  const dir = dirname(resolve(cwd, l.file));
  for (const name of CONTRACT_JSON_NAMES) {
    const abs = join(dir, name);
    let data: Record<string, unknown>;
    try {
      const text = read(abs);
      if (text === undefined) continue;
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue; // not a file sloctl wrote
    }
    if (data === null || typeof data !== 'object' || typeof data.schemaVersion !== 'number' || !Array.isArray(data.bucketsMs)) continue;
    if ((data.service as { name?: unknown } | undefined)?.name !== c.service.name) continue;
    const { contractJson } = await import('../emit/contract-json.ts');
    const now = contractJson(c) as Record<string, unknown>;
    const shown = relative(cwd, abs) || name;
    const differs = Object.keys(now).filter((k) => k !== 'source' && JSON.stringify(now[k]) !== JSON.stringify(data[k]));
    if (differs.length === 0) return { file: shown, current: true };
    const at = l.locate(whereChanged(c, differs, now, data), 'key');
    const what = differs.map((k) => describeKey(k, now[k], data[k])).join('; ');
    const command = `sloctl generate contract ${l.file} -o ${shown}`;
    return {
      file: shown,
      current: false,
      diagnostic: {
        file: l.file, line: at.line, col: at.col, severity: 'warning', code: 'SLO_CONTRACT_JSON_STALE',
        message: `${shown}, the contract JSON generated for this service, is out of date: ${what}. sloctl's Go middleware (and anything else that loads ${name}) still runs with the old values`,
        hint: `regenerate it: \`${command}\`, then restart the service (rebuild it if it embeds ${name} with //go:embed)`,
      },
    };
  }
  return undefined;
}

/** The file's text on disk; undefined when there is none or it is over the bound. */
export function readOnDisk(abs: string): string | undefined {
  if (!existsSync(abs) || statSync(abs).size > MAX_BYTES) return undefined;
  return readFileSync(abs, 'utf8');
}

/** Route rows as the JSON has them. */
type RouteRow = { name?: unknown; thresholdMs?: unknown } & Record<string, unknown>;
const rows = (x: unknown): RouteRow[] => (Array.isArray(x) ? (x as RouteRow[]) : []);
const withoutThreshold = (x: unknown) => JSON.stringify(rows(x).map(({ thresholdMs: _t, ...rest }) => rest));

/**
 * The part of the contract to point at: what changed first, in the contract's terms. A route's
 * threshold that changed comes from its own `latency:` when it has one, else from the latency
 * objectives (which the buckets come from too).
 */
function whereChanged(c: NonNullable<LoadedContract['contract']>, differs: readonly string[], now: Record<string, unknown>, was: Record<string, unknown>): PathSegment[] {
  const order = ['service', 'paths', 'errorClasses', 'probes', 'dependencies', 'routes', 'latencyThresholdsMs', 'bucketsMs', 'defaultThresholdMs', 'health'];
  for (const key of order) {
    if (!differs.includes(key)) continue;
    if (key === 'routes' && withoutThreshold(now.routes) === withoutThreshold(was.routes)) {
      const before = rows(was.routes);
      const i = rows(now.routes).findIndex((r, j) => r.thresholdMs !== before[j]?.thresholdMs);
      if (i >= 0 && c.routes[i]?.latency !== undefined) return ['routes', i, 'latency'];
      continue; // from the objectives, pointed at below
    }
    if (key === 'health' && c.health?.window !== undefined && (now.health as { windowMs?: unknown } | undefined)?.windowMs !== (was.health as { windowMs?: unknown } | undefined)?.windowMs) return ['health', 'window'];
    return FROM[key];
  }
  return c.objectives.latency ? ['objectives', 'latency'] : ['service'];
}

/** One changed key, in words: `bucketsMs` [..] now [..]. */
function describeKey(key: string, now: unknown, was: unknown): string {
  if (key === 'routes') {
    const before = rows(was);
    const changed = rows(now).flatMap((r, i) => (r.thresholdMs !== before[i]?.thresholdMs && before[i]?.name === r.name ? [`route "${String(r.name)}" thresholdMs is ${String(before[i].thresholdMs)}, the contract now gives ${String(r.thresholdMs)}`] : []));
    if (withoutThreshold(now) === withoutThreshold(was) && changed.length > 0) return changed.slice(0, 3).join('; ') + (changed.length > 3 ? ` (and ${changed.length - 3} more routes)` : '');
    return 'routes differ';
  }
  if (key === 'bucketsMs' || key === 'latencyThresholdsMs') {
    const list = (x: unknown) => (Array.isArray(x) ? x.join(', ') : String(x));
    return `${key} is [${list(was)}], the contract now gives [${list(now)}]`;
  }
  if (key === 'health' && now !== null && typeof now === 'object' && was !== null && typeof was === 'object') {
    const a = was as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    const changed = Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (changed.length > 0) return changed.map((k) => `health.${k} is ${JSON.stringify(a[k]) ?? 'missing'}, the contract now gives ${JSON.stringify(b[k])}`).join('; ');
  }
  if (key === 'schemaVersion') return `it has schemaVersion ${String(was)}, this sloctl writes ${String(now)}`;
  const scalar = (x: unknown) => x === null || ['number', 'string', 'boolean'].includes(typeof x);
  if (scalar(now) && scalar(was)) return `${key} is ${JSON.stringify(was)}, the contract now gives ${JSON.stringify(now)}`;
  return `${key} differs`;
}

/**
 * For the commands that measure a running service (gate, drill, accept): one line when the
 * contract JSON beside the contract is out of date. sloctl's Go middleware then judges its own
 * health and buckets by the old contract, so what the service reports (DEGRADED on an old
 * threshold, no bucket at a new one) disagrees with what the command judges by (a user trial: the
 * gate failed availability on the middleware's health while every request met the contract).
 */
export async function staleContractJsonNote(l: LoadedContract, cwd: string): Promise<string | undefined> {
  const check = await checkContractJson(l, cwd);
  if (check === undefined || check.current || check.diagnostic === undefined) return undefined;
  const d = check.diagnostic;
  return `${d.message}: what the service reports about itself (its health, its histogram's buckets) follows the old values, not ${l.file}; ${d.hint}`;
}
