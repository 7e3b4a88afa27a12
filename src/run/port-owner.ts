// Who holds a TCP port on this machine: before the gate starts a target on a fixed port (is it
// free? if not, which PID has it), and once the target says UP (does the listening socket belong to
// the process the gate started, or to whoever else answers there?).
//
// Linux only, from /proc: /proc/net/tcp and tcp6 list the sockets of sloctl's network namespace
// with their inode; /proc/<pid>/fd/* of a process that holds one links to `socket:[inode]`. A
// process of another user cannot be looked into (its fds are not readable): it is then "unknown".
// Elsewhere `supported` is false and callers say that they could not check.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { endianness } from 'node:os';

export interface Listener {
  /** The local address, e.g. 127.0.0.1, 0.0.0.0, ::, ::ffff:127.0.0.1. */
  address: string;
  port: number;
  inode: number;
}

/** Addresses on which a listener takes connections to 127.0.0.1 (the gate's health probes go there). */
const REACHES_LOOPBACK = new Set(['127.0.0.1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:0.0.0.0']);

const TCP_LISTEN = '0A';

function hexWord(hex: string): number[] {
  // Each 32-bit word of the address is printed in host byte order.
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return endianness() === 'LE' ? bytes.reverse() : bytes;
}

/** The address as /proc/net/tcp{,6} prints it, decoded: 0100007F -> 127.0.0.1. */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) return hexWord(hex).join('.');
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) bytes.push(...hexWord(hex.slice(w * 8, w * 8 + 8)));
  // IPv4-mapped (::ffff:a.b.c.d) in its usual form; the rest as groups, zero runs compressed.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const text = groups.join(':');
  const runs = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length);
  if (runs.length === 0) return text;
  const r = runs[0];
  return `${text.slice(0, r.index)}::${text.slice(r.index! + r[0].length)}`;
}

/** Listening TCP sockets on `port` (IPv4 and IPv6); undefined when /proc/net/tcp cannot be read. */
export function listenersOn(port: number): Listener[] | undefined {
  const out: Listener[] = [];
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue; // no IPv6, or no /proc
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      const [addr, portHex] = f[1].split(':');
      if (parseInt(portHex, 16) !== port) continue;
      out.push({ address: decodeProcAddress(addr), port, inode: Number(f[9]) });
    }
  }
  return readAny ? out : undefined;
}

/** The listeners on `port` that a connection to 127.0.0.1:port can reach. */
export function loopbackListeners(port: number): Listener[] | undefined {
  return listenersOn(port)?.filter((l) => REACHES_LOOPBACK.has(l.address));
}

/**
 * The processes holding each socket inode (a socket shared by a fork, or passed down, has several).
 * Only processes whose fds sloctl may read are seen: inodes nobody visible holds are missing.
 * `among` limits the search to those pids (every process's fds can be thousands of links).
 */
export function socketHolders(inodes: number[], among?: number[]): Map<number, number[]> {
  const wanted = new Map(inodes.map((i) => [`socket:[${i}]`, i]));
  const out = new Map<number, number[]>();
  if (wanted.size === 0) return out;
  let pids: string[];
  try {
    pids = among !== undefined ? among.map(String) : readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's, or gone
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = wanted.get(link);
      if (inode === undefined) continue;
      const list = out.get(inode) ?? [];
      if (!list.includes(Number(pid))) list.push(Number(pid));
      out.set(inode, list);
    }
  }
  return out;
}

export type PortCheck =
  | { free: true }
  /** `holders`: PIDs listening there (empty when they cannot be seen); undefined without /proc. */
  | { free: false; code: string; message: string; holders: number[] | undefined };

/**
 * Is `port` free on 127.0.0.1? Tries to listen there (what the target will do), and when that
 * fails, looks up who holds it.
 */
export async function checkPortFree(port: number): Promise<PortCheck> {
  const server = createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', (e) => resolve(e as NodeJS.ErrnoException));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(undefined));
  });
  if (error === undefined) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return { free: true };
  }
  const listeners = process.platform === 'linux' ? listenersOn(port) : undefined;
  let holders: number[] | undefined;
  if (listeners !== undefined) {
    const held = socketHolders(listeners.map((l) => l.inode));
    holders = [...new Set([...held.values()].flat())].sort((a, b) => a - b);
  }
  return { free: false, code: error.code ?? 'unknown', message: error.message, holders };
}
