// The set of proxies a fault server runs: the library's entry point for a drill (create a proxy
// in front of a dependency, add and remove toxics, reset, remove everything) and what the control
// API (src/faults/api.ts) serves.
import { badField, FaultApiError, proxyNotFound } from './errors.ts';
import { FaultProxy, type ProxyJson } from './proxy.ts';

export interface FaultProxiesOptions {
  /** Allow upstreams off loopback (CLI: --allow-remote). Listen addresses are loopback always. */
  allowRemote?: boolean;
  /** Seed of which connections and requests the toxics hit (default 1): the same seed, the same drill. */
  seed?: number;
}

export interface ProxySpec {
  name: string;
  listen?: string;
  upstream: string;
  enabled?: boolean;
}

export class FaultProxies {
  private readonly byName = new Map<string, FaultProxy>();
  readonly seed: number;
  readonly allowRemote: boolean;

  constructor(options: FaultProxiesOptions = {}) {
    this.seed = options.seed ?? 1;
    this.allowRemote = options.allowRemote === true;
  }

  list(): FaultProxy[] {
    return [...this.byName.values()];
  }

  get(name: string): FaultProxy {
    const p = this.byName.get(name);
    if (!p) throw proxyNotFound(name);
    return p;
  }

  /** Creates a proxy and (unless enabled: false) starts listening; 409 when the name is taken. */
  async create(spec: ProxySpec): Promise<FaultProxy> {
    const proxy = this.build(spec);
    if (this.byName.has(proxy.name)) throw new FaultApiError(`proxy already exists: ${JSON.stringify(proxy.name)}`, 409);
    this.byName.set(proxy.name, proxy);
    try {
      if (spec.enabled !== false) await proxy.enable();
    } catch (e) {
      this.byName.delete(proxy.name);
      throw e;
    }
    return proxy;
  }

  /** Removes a proxy: its listener and its connections close. */
  async remove(name: string): Promise<void> {
    const p = this.get(name);
    this.byName.delete(name);
    await p.disable();
  }

  /** toxiproxy's POST /reset: every proxy enabled, every toxic removed. */
  async reset(): Promise<void> {
    for (const p of this.byName.values()) {
      p.removeAllToxics();
      await p.enable();
    }
  }

  /**
   * toxiproxy's POST /populate: creates the proxies listed; one that exists with the same listen and
   * upstream is kept as it is, one that differs is replaced. Proxies not listed are left alone.
   */
  async populate(specs: unknown): Promise<FaultProxy[]> {
    if (!Array.isArray(specs)) throw badField('(body)', 'a JSON array of proxies [{name, listen, upstream, enabled}]', specs);
    const built = specs.map((s, i) => {
      if (s === null || typeof s !== 'object') throw badField(`[${i}]`, 'a proxy {name, listen, upstream}', s);
      try {
        return { spec: s as ProxySpec, proxy: this.build(s as ProxySpec) };
      } catch (e) {
        if (e instanceof FaultApiError) throw new FaultApiError(e.message.replace(/^(bad request body: |missing required field: )/, `$1[${i}].`), e.status);
        throw e;
      }
    });
    const out: FaultProxy[] = [];
    for (const { spec, proxy } of built) {
      const existing = this.byName.get(proxy.name);
      // A listen of port 0 means any port: the one the existing proxy got is as good.
      const sameListen = existing && (spec.listen === undefined || existing.listen === proxy.listen || (proxy.port === 0 && existing.listen.replace(/:\d+$/, '') === proxy.listen.replace(/:\d+$/, '')));
      if (existing && sameListen && existing.upstream === proxy.upstream) {
        out.push(existing);
        continue;
      }
      if (existing) await this.remove(existing.name);
      out.push(await this.create(spec));
    }
    return out;
  }

  /** Removes every proxy (and so every fault). */
  async close(): Promise<void> {
    for (const name of [...this.byName.keys()]) await this.remove(name);
  }

  toJSON(): Record<string, ProxyJson> {
    return Object.fromEntries(this.list().map((p) => [p.name, p.toJSON()]));
  }

  private build(spec: ProxySpec): FaultProxy {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw badField('(body)', 'a JSON object {name, listen, upstream, enabled}', spec);
    if (spec.name === undefined || spec.name === '') throw new FaultApiError('missing required field: name', 400);
    if (spec.enabled !== undefined && typeof spec.enabled !== 'boolean') throw badField('enabled', 'true or false', spec.enabled);
    return new FaultProxy({ name: spec.name, listen: spec.listen, upstream: spec.upstream, allowRemote: this.allowRemote, seed: this.seed });
  }
}
