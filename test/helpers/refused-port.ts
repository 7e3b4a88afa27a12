// A loopback port nothing listens on, that no other test can take in the meantime.
//
// The usual trick (listen on port 0, close, use the port) hands back a port from the kernel's
// ephemeral range, and the next `listen(0)` anywhere on the machine may get the same one: CI once
// saw the checkout example's "recommendations unreachable" answered by another test's server on
// the freed port. Tests only ever listen on port 0, and the kernel picks those (and the source
// ports of outgoing connections) inside ip_local_port_range, so a port below that range that is
// free now stays refused.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152.
  }
  return 32768;
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 where a connection is refused, outside the range port-0 listeners get. */
export async function refusedPort(): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(1024, high - 10_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port between ${low} and ${high} on 127.0.0.1 after 50 tries`);
}
