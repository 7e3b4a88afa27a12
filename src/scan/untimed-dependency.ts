// Which contract dependency an outbound call without a timeout may be, so the finding can say
// what timeout the contract gives it. A guess from text, said as "may be": the URL expression
// names the dependency's env variable (process.env.PAYMENTS_URL, os.Getenv("PAYMENTS_URL")), its
// host:port, or its name (a `payments` client, a payments-client.ts file).

import type { Dependency } from '../contract/schema.ts';
import { dependencyEnv } from '../drill/plan.ts';
import type { UntimedClient } from './types.ts';

type Dep = Pick<Dependency, 'name' | 'env' | 'url'>;

/** `byFileName` false: only what the call's own text says (its env variable, address or name), not the file it is in. */
export function dependencyOf<D extends Dep>(u: Pick<UntimedClient, 'target' | 'file'>, deps: readonly D[], byFileName = true): D | undefined {
  const word = (w: string, text: string) => new RegExp(`(^|[^A-Za-z0-9_])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_])`, 'i').test(text);
  // Strongest first: the env variable, then the address, then the name in the URL text, then in the file's name.
  const byEnv = deps.find((d) => word(dependencyEnv(d), u.target));
  if (byEnv) return byEnv;
  const byUrl = deps.find((d) => d.url !== undefined && hostPortOf(d.url) !== undefined && u.target.includes(hostPortOf(d.url)!));
  if (byUrl) return byUrl;
  const base = u.file.slice(u.file.lastIndexOf('/') + 1);
  return deps.find((d) => word(d.name, u.target)) ?? (byFileName ? deps.find((d) => word(d.name, base)) : undefined);
}

function hostPortOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
