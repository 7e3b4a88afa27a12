// The load profile a gate runs: the contract's `load` section with the command line's overrides,
// turned into request templates the generator understands. Pure.
import type { Contract } from '../contract/schema.ts';
import type { RequestTemplate } from '../load/types.ts';
import { EXAMPLE_CONTRACT } from '../contract/example-path.ts';
import { mixRequestPath } from '../contract/mix-paths.ts';

export interface GateProfile {
  rate: number | 'max';
  durationMs: number;
  warmupMs: number;
  connections: number;
  timeoutMs: number;
  trials: number;
  workers: number;
  requests: RequestTemplate[];
  /** Business-weighted requests per second the mix offers at `rate` (NaN for 'max'). */
  offeredWeightedRate: number;
  /** The trial count came from --trials, not the contract: advice names the flag. */
  trialsFromFlag?: boolean;
}

export interface ProfileOverrides {
  rate?: number | 'max';
  durationMs?: number;
  warmupMs?: number;
  connections?: number;
  timeoutMs?: number;
  trials?: number;
  workers?: number;
}


/** The profile, or a message saying what is missing (the caller reports it as a usage error). */
export function gateProfile(contract: Contract, o: ProfileOverrides = {}): GateProfile | string {
  const load = contract.load;
  if (!load) return `the contract has no \`load\` section: add one with rate, duration and mix (see ${EXAMPLE_CONTRACT}), so the gate knows what traffic to send`;
  const requests: RequestTemplate[] = [];
  for (const entry of load.mix) {
    const route = contract.routes.find((r) => r.name === entry.route);
    if (!route) return `load.mix names route "${entry.route}", which is not in routes: (run \`sloctl validate\`)`;
    const t: RequestTemplate = { name: route.name, weight: entry.weight, method: route.method, path: mixRequestPath(entry.path, route.path) };
    if (entry.params) t.params = entry.params;
    if (entry.headers) t.headers = entry.headers;
    if (entry.body !== undefined) t.body = entry.body;
    requests.push(t);
  }
  const rate = o.rate ?? load.rate;
  const mixWeight = load.mix.reduce((s, e) => s + e.weight, 0);
  const perRequest = load.mix.reduce((s, e) => s + e.weight * (contract.routes.find((r) => r.name === e.route)?.weight ?? 1), 0) / mixWeight;
  const trials = o.trials ?? contract.objectives.regression?.trials ?? 1;
  return {
    rate,
    durationMs: o.durationMs ?? load.duration,
    warmupMs: o.warmupMs ?? load.warmup,
    connections: o.connections ?? load.connections,
    timeoutMs: o.timeoutMs ?? load.timeout,
    trials,
    workers: o.workers ?? 1,
    requests,
    offeredWeightedRate: rate === 'max' ? NaN : rate * perRequest,
    ...(o.trials !== undefined ? { trialsFromFlag: true } : {}),
  };
}
