// Whether the service sloctl started runs the contract sloctl judges. The SDK's health, error
// classes, concurrency limit, saturation thresholds and drift responder follow the contract file
// the service read, and /healthz?include=config names it with its sha256. A Hono trial accepted
// slo-drain.yaml while the service read slo.yaml (its own SLO variable unset): the drift phase
// pushed inFlight past a threshold the service's responder did not have and read INCONCLUSIVE
// ("never crossed its threshold"), with nothing saying why.
import { readFileSync } from 'node:fs';
import { textDigest } from '../sdk/config-readiness.ts';

/**
 * `sha256:<hex>` of a contract file's bytes, the SDK's config digest (textDigest); undefined when the file
 * cannot be read (a contract handed to runAccept parsed, its path naming no file: the comparison
 * is then skipped, never the run; a CI run's accept test crashed here with ENOENT).
 */
export function fileDigest(path: string): string | undefined {
  try {
    return textDigest(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * What to say when the service's /healthz?include=config body names another contract file than
 * the one judged; undefined when it is the same (the digests match), or nothing can be compared:
 * no config section (not sloctl's SDK, an older one), or a contract given to instrument() parsed
 * (no `file`: its digest is of the JSON, not of a file's bytes). Pure.
 */
export function contractMismatch(health: unknown, judged: { file: string; digest: string }): string | undefined {
  const config = (health as { config?: { digest?: unknown; file?: unknown } } | null)?.config;
  if (typeof config?.digest !== 'string' || typeof config.file !== 'string') return undefined;
  if (config.digest === judged.digest) return undefined;
  const short = (d: string) => d.slice(0, 'sha256:'.length + 12);
  const same = config.file === judged.file;
  return `the service runs another contract than the one judged: its /healthz?include=config says ${config.file} (${short(config.digest)})${same ? ' as it read it at start' : ''}, this run judges ${judged.file} (${short(judged.digest)}${same ? ', edited since' : ''}); the SDK's health, error classes, concurrency limit, saturation thresholds and drift responder follow the service's, so their verdicts may not hold for this one: ${same ? 'restart the service' : 'start the service with this contract, or judge the one it reads'}`;
}

/** The service's /healthz?include=config body, or undefined when it does not answer JSON in time. */
export async function readServedConfig(url: string, healthPath: string, timeoutMs = 2000): Promise<unknown> {
  try {
    const u = new URL(healthPath, url);
    u.searchParams.set('include', 'config');
    const r = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) });
    return await r.json();
  } catch {
    return undefined;
  }
}
