// What a drill of the contract turns into, before anything runs: the fault proxy and its toxics in
// front of a dependency, or a fault for the service's drill endpoint, or why it cannot run (with
// the fix). Pure: no I/O, type imports only from src/faults and src/sdk/drill, so the runner
// (src/drill/run.ts) and `sloctl validate` can both ask, and tests need no server.
//
// The mapping, contract fault → what does it (defaults in brackets):
//   latency            → latency toxic, downstream: the answers come `delay` ± `jitter` [0] late
//   error              → http_error toxic, upstream: the proxy answers `status` [503] itself
//   abort              → http_abort toxic, upstream: the connection is reset once the request is in
//   reset              → reset_peer toxic, upstream, timeout 0: connections reset as the service writes
//   blackhole          → timeout toxics, timeout 0, both streams: nothing passes, nothing closes
//   bandwidth          → bandwidth toxic, downstream, `rate` in KB/s (KB = 1000 bytes, as toxiproxy)
//   event-loop-block   → {blockMs: delay, everyMs: every [1s]}
//   memory-leak        → {bytesPerSecond: rate [1MiB/s]}
//   handle-leak        → {} (the SDK's defaults)
//   unsettled-promises → {share}
//   cpu-burn           → {cores [0.5]}
// `share` is every toxic's toxicity (of requests for http_*, of connections for the others).
import type { Contract, Dependency, Drill } from '../contract/schema.ts';
import type { ToxicSpec } from '../faults/proxy.ts';
import type { FaultName } from '../sdk/drill/types.ts';

export type DrillPlan = ProxyPlan | InProcessPlan | UnrunnablePlan;

export interface ProxyPlan {
  kind: 'proxy';
  drill: Drill;
  dependency: Dependency;
  /** host:port of the dependency's url, where the proxy forwards. */
  upstream: string;
  /** The variable the service reads the dependency's URL from (dependencyEnv). */
  env: string;
  /** The URL to put in `env` once the proxy listens on host:port: the dependency's url with its authority swapped (path kept). */
  urlVia: (proxyHostPort: string) => string;
  /** One proxy per dependency, so drills of one dependency can share it: "drill-payments". */
  proxyName: string;
  /** Added when the fault starts, removed (all of them) when it ends. */
  toxics: ToxicSpec[];
  durationMs: number;
}

export interface InProcessPlan {
  kind: 'in-process';
  drill: Drill;
  fault: FaultName;
  /** For the drill endpoint's ApplyRequest.params. */
  params: Record<string, number | string>;
  durationMs: number;
}

export interface UnrunnablePlan {
  kind: 'unrunnable';
  drill: Drill;
  reason: string;
  fix: string;
}

/** event-loop-block's period, memory-leak's rate and cpu-burn's cores when the drill names none. */
export const DEFAULT_EVERY_MS = 1000;
export const DEFAULT_LEAK_BYTES_PER_SECOND = 1024 * 1024;
export const DEFAULT_CPU_CORES = 0.5;
export const DEFAULT_ERROR_STATUS = 503;

const PROXY: ReadonlySet<string> = new Set(['latency', 'error', 'abort', 'reset', 'blackhole', 'bandwidth']);

/** The environment variable through which the service learns the dependency's URL: `env`, or NAME_URL. */
export function dependencyEnv(dep: Pick<Dependency, 'name' | 'env'>): string {
  return dep.env ?? `${dep.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/** host:port of a URL, the port filled in from the scheme. Undefined when it is not a URL. */
function hostPort(url: string): { hostPort: string; protocol: string; url: URL } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '';
  if (port === '' || u.hostname === '') return undefined;
  return { hostPort: `${u.hostname}:${port}`, protocol: u.protocol, url: u };
}

/** "an error", "a latency": a fault name with its article. */
const aFault = (fault: string) => `${/^[aeiou]/.test(fault) ? 'an' : 'a'} ${fault}`;

function unrunnable(drill: Drill, reason: string, fix: string): UnrunnablePlan {
  return { kind: 'unrunnable', drill, reason, fix };
}

/** Where a fault proxy in front of a dependency forwards, and how the service is pointed at it. */
export interface ProxyRoute {
  upstream: string;
  env: string;
  urlVia: (proxyHostPort: string) => string;
  proxyName: string;
}

function proxyRoute(dependency: Dependency, hp: NonNullable<ReturnType<typeof hostPort>>): ProxyRoute {
  const base = hp.url;
  return {
    upstream: hp.hostPort,
    env: dependencyEnv(dependency),
    urlVia: (proxyHostPort) => {
      const u = new URL(base.href);
      u.host = proxyHostPort;
      // URL keeps a trailing "/" the contract did not write; the service gets what was written.
      const added = !dependency.url!.endsWith('/') && u.pathname === '/' && u.search === '' && u.hash === '';
      return added ? u.href.slice(0, -1) : u.href;
    },
    proxyName: `drill-${dependency.name}`,
  };
}

/**
 * The proxy route for a dependency whatever the drills (`sloctl accept` puts a pass-through proxy
 * in front of every dependency with a url before it starts the service), or why there can be none.
 */
export function dependencyProxyRoute(dependency: Dependency): ProxyRoute | { reason: string; fix: string } {
  if (dependency.url === undefined) return { reason: `dependency "${dependency.name}" declares no url: no fault proxy can stand in front of it`, fix: `add url: (where the service reaches ${dependency.name}) to the dependency` };
  const hp = hostPort(dependency.url);
  if (!hp) return { reason: `the url of "${dependency.name}" (${dependency.url}) has no host and port a proxy can forward to`, fix: 'write an http:// URL with a host, e.g. http://127.0.0.1:8081' };
  return proxyRoute(dependency, hp);
}

export function planDrill(contract: Contract, drill: Drill): DrillPlan {
  return PROXY.has(drill.fault) ? proxyPlan(contract, drill) : inProcessPlan(contract, drill);
}

function proxyPlan(contract: Contract, drill: Drill): DrillPlan {
  const where = `drill "${drill.name}"`;
  if (drill.dependency === undefined) {
    return unrunnable(drill, `${where} is ${aFault(drill.fault)} fault, which the fault proxy puts in front of a dependency, and it names none`, 'add `dependency:` naming one of the contract\'s dependencies');
  }
  const dependency = contract.dependencies.find((d) => d.name === drill.dependency);
  if (!dependency) {
    return unrunnable(drill, `${where} attacks dependency "${drill.dependency}", which the contract does not declare`, `declare "${drill.dependency}" under dependencies: with its url and timeout, or fix the name`);
  }
  if (dependency.url === undefined) {
    return unrunnable(drill, `${where} attacks "${dependency.name}", which declares no url: the fault proxy has nowhere to forward to`, `add url: (where the service reaches ${dependency.name}) to the dependency`);
  }
  const hp = hostPort(dependency.url);
  if (!hp) return unrunnable(drill, `${where}: the url of "${dependency.name}" (${dependency.url}) has no host and port the proxy can forward to`, 'write an http:// URL with a host, e.g. http://127.0.0.1:8081');
  const httpLevel = drill.fault === 'error' || drill.fault === 'abort';
  if (httpLevel && hp.protocol !== 'http:') {
    return unrunnable(drill, `${where}: ${aFault(drill.fault)} fault reads HTTP requests, and ${dependency.name} is reached over ${hp.protocol.slice(0, -1)}, which the proxy cannot read`, 'drill it with a TCP fault (latency, reset, blackhole, bandwidth), or point the dependency at a plain http:// address for the drill');
  }
  const toxicity = drill.share;
  let toxics: ToxicSpec[];
  switch (drill.fault) {
    case 'latency':
      if (drill.delay === undefined) return unrunnable(drill, `${where} is a latency fault without a delay`, 'add `delay:` (how late the dependency answers, e.g. 1s)');
      toxics = [{ type: 'latency', stream: 'downstream', toxicity, attributes: { latency: drill.delay, jitter: drill.jitter ?? 0 } }];
      break;
    case 'error':
      toxics = [{ type: 'http_error', stream: 'upstream', toxicity, attributes: { status: drill.status ?? DEFAULT_ERROR_STATUS } }];
      break;
    case 'abort':
      toxics = [{ type: 'http_abort', stream: 'upstream', toxicity }];
      break;
    case 'reset':
      // Upstream: the reset comes as the service writes its request, before the dependency sees it,
      // so the drill never makes the dependency do work whose answer is then lost.
      toxics = [{ type: 'reset_peer', stream: 'upstream', toxicity, attributes: { timeout: 0 } }];
      break;
    case 'blackhole':
      // A partition holds both directions; timeout 0 keeps the connections open and silent.
      toxics = [
        { type: 'timeout', stream: 'upstream', toxicity, attributes: { timeout: 0 } },
        { type: 'timeout', stream: 'downstream', toxicity, attributes: { timeout: 0 } },
      ];
      break;
    case 'bandwidth':
      if (drill.rate === undefined) return unrunnable(drill, `${where} is a bandwidth fault without a rate`, 'add `rate:` (e.g. 100KB/s)');
      toxics = [{ type: 'bandwidth', stream: 'downstream', toxicity, attributes: { rate: Math.max(1, Math.round(drill.rate / 1000)) } }];
      break;
    default:
      return unrunnable(drill, `${where}: ${drill.fault} is not a proxy fault`, 'report this as a bug in sloctl');
  }
  return {
    kind: 'proxy',
    drill,
    dependency,
    ...proxyRoute(dependency, hp),
    toxics,
    durationMs: drill.duration,
  };
}

function inProcessPlan(contract: Contract, drill: Drill): DrillPlan {
  const where = `drill "${drill.name}"`;
  if (contract.service.runtime === 'go') {
    return unrunnable(drill, `${where} is ${aFault(drill.fault)} fault, which runs inside the service through the Node SDK's drill endpoint, and service.runtime is go`, 'drill a Go service through its dependencies (latency, error, abort, reset, blackhole, bandwidth faults)');
  }
  let params: Record<string, number | string>;
  switch (drill.fault) {
    case 'event-loop-block':
      if (drill.delay === undefined) return unrunnable(drill, `${where} is an event-loop-block fault without a delay`, 'add `delay:` (how long each block lasts, e.g. 300ms)');
      params = { blockMs: drill.delay, everyMs: drill.every ?? DEFAULT_EVERY_MS };
      break;
    case 'memory-leak':
      params = { bytesPerSecond: drill.rate ?? DEFAULT_LEAK_BYTES_PER_SECOND };
      break;
    case 'handle-leak':
      params = {};
      break;
    case 'unsettled-promises':
      params = { share: drill.share };
      break;
    case 'cpu-burn':
      params = { cores: drill.cores ?? DEFAULT_CPU_CORES };
      break;
    default:
      return unrunnable(drill, `${where}: ${drill.fault} is not an in-process fault`, 'report this as a bug in sloctl');
  }
  return { kind: 'in-process', drill, fault: drill.fault, params, durationMs: drill.duration };
}

/** "dependency payments" or "service (in-process)": what a drill attacks, for reports. */
export function drillTarget(drill: Drill): string {
  return PROXY.has(drill.fault) ? `dependency ${drill.dependency ?? '(none named)'}` : 'service (in-process)';
}
