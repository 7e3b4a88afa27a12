// host:port addresses as toxiproxy writes them ("127.0.0.1:8474", "localhost:0", "[::1]:5432"),
// and the loopback rule: a proxy listens on loopback only, and forwards to loopback unless the
// caller allows remote upstreams (a drill attacks the local copy of a dependency, never a shared one).
import { isLoopbackHost } from '../net/loopback.ts';
import { badField, FaultApiError } from './errors.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port"; `field` names the JSON field in the error. */
export function parseHostPort(text: unknown, field: string): HostPort {
  if (typeof text !== 'string' || text.length === 0) throw badField(field, 'a "host:port" string', text);
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw badField(field, 'a "host:port" string with a port from 0 to 65535 (e.g. "127.0.0.1:5432")', text);
  const host = m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A listen address: loopback only (a fault proxy open to the network is an open relay). */
export function checkListen(text: unknown, field = 'listen'): HostPort {
  const hp = parseHostPort(text, field);
  if (!isLoopbackHost(hp.host)) {
    throw new FaultApiError(`bad request body: ${field}: ${JSON.stringify(text)} is not a loopback address; sloctl's fault proxy listens on loopback only (use 127.0.0.1:PORT, or port 0 for any free port)`, 400);
  }
  return hp;
}

/** An upstream address: loopback unless `allowRemote` (CLI: --allow-remote). */
export function checkUpstream(text: unknown, allowRemote: boolean, field = 'upstream'): HostPort {
  const hp = parseHostPort(text, field);
  if (hp.port === 0) throw badField(field, 'a port from 1 to 65535', text);
  if (!allowRemote && !isLoopbackHost(hp.host)) {
    throw new FaultApiError(`bad request body: ${field}: ${JSON.stringify(text)} is not on a loopback address; sloctl sends no traffic off this machine unless started with --allow-remote`, 400);
  }
  return hp;
}
