// Password mailboxes name their own server, so a user could aim the service at internal
// addresses (a port scanner with a login form). Unless the operator allows private hosts, a host
// must resolve only to public addresses, checked when the mailbox is added and at every login.
// The name is resolved once and the connection goes to the address that was checked: were the
// client to resolve it again, a DNS answer with a short TTL could switch to an internal address
// in between (DNS rebinding). TLS still verifies the certificate against the name.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors';

const nonPublic = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
  // NAT64 (well-known and local-use) and 6to4 embed an IPv4 address, private ones included.
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16],
] as const) {
  nonPublic.addSubnet(net, prefix, 'ipv6');
}

/** Pure: loopback, private, link-local, carrier-grade NAT, multicast and reserved ranges. */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return nonPublic.check(ip, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return nonPublic.check(mapped[1]!, 'ipv4');
  return nonPublic.check(ip, 'ipv6');
}

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Resolves `host` once and checks every address it has; returns the one to connect to. Connect
 * to this address, never to the name again. One address means no happy-eyeballs fallback, so
 * IPv4 goes first (the family every network here can reach), else the resolver's first.
 */
export async function resolvePublicHost(host: string, lookup: Lookup = systemLookup): Promise<string> {
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await lookup(host);
  } catch {
    throw new AppError('invalid_request', `host ${host} could not be resolved`);
  }
  const chosen = addresses.find((address) => isIP(address) === 4) ?? addresses[0];
  if (chosen === undefined || addresses.some(isNonPublicAddress)) {
    throw new AppError('invalid_request', 'host must be a mail server on the public internet');
  }
  return chosen;
}

/** The check alone, for callers that do not connect. */
export async function assertPublicHost(host: string, lookup: Lookup = systemLookup): Promise<void> {
  await resolvePublicHost(host, lookup);
}
