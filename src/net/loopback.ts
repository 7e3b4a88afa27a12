// Whether an address or a host name is this machine. One answer for every place sloctl decides
// where traffic may go or who may be answered: the scraper's and the fault proxy's targets, the
// fault control API's listen address, and the SDK's drill endpoint (a security boundary). Only
// node:net: the SDK imports it, so it must not pull in the CLI's HTTP client.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

// 127.0.0.0/8, ::1, and IPv4-mapped 127.x in either spelling: `::ffff:127.0.0.1`, what a
// dual-stack listener reports, and `::ffff:7f00:1`, what the WHATWG URL parser normalizes it to.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:7f00:0', 104, 'ipv6');

/**
 * A loopback IP address (a zone, `::1%lo`, is ignored). Anything else, including no address at
 * all (a Unix socket, a destroyed connection) and every host name, is not.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (typeof address !== 'string' || address === '') return false;
  const zone = address.indexOf('%');
  const a = (zone >= 0 ? address.slice(0, zone) : address).toLowerCase();
  if (isIPv4(a)) return LOOPBACK.check(a, 'ipv4');
  if (isIPv6(a)) return LOOPBACK.check(a, 'ipv6');
  return false;
}

/** A URL host (brackets allowed) that is this machine: `localhost`, `*.localhost` (RFC 6761) or a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}
