// Password mailboxes name their own server, so a user could aim the service at internal
// addresses (a port scanner with a login form). Unless the operator allows private hosts, a host
// must resolve only to public addresses, checked when the mailbox is added and at every login.
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
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
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

export async function assertPublicHost(host: string, lookup: Lookup = systemLookup): Promise<void> {
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await lookup(host);
  } catch {
    throw new AppError('invalid_request', `host ${host} could not be resolved`);
  }
  if (addresses.length === 0 || addresses.some(isNonPublicAddress)) {
    throw new AppError('invalid_request', 'host must be a mail server on the public internet');
  }
}
