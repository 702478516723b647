/**
 * Who may talk to the hub: loopback, private and link-local addresses only (IPv4 and IPv6,
 * IPv4-mapped IPv6 included). Judged on the socket's own remote address; forwarding headers
 * such as X-Forwarded-For are never consulted.
 */
import net from 'node:net';

const blockList = new net.BlockList();
// IPv4
blockList.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
blockList.addSubnet('10.0.0.0', 8, 'ipv4'); // RFC 1918
blockList.addSubnet('172.16.0.0', 12, 'ipv4');
blockList.addSubnet('192.168.0.0', 16, 'ipv4');
blockList.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local
// IPv6
blockList.addAddress('::1', 'ipv6'); // loopback
blockList.addSubnet('fc00::', 7, 'ipv6'); // unique local
blockList.addSubnet('fe80::', 10, 'ipv6'); // link-local

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Strips a zone index and unwraps IPv4-mapped IPv6 (::ffff:a.b.c.d). */
export function normalizeAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  let a = address.trim();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  const kind = net.isIP(a);
  if (kind === 4) return { address: a, family: 'ipv4' };
  if (kind === 6) {
    // ::ffff:7f00:1 is the hex spelling of a mapped IPv4 address.
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a);
    if (hexMapped) {
      const hi = parseInt(hexMapped[1]!, 16);
      const lo = parseInt(hexMapped[2]!, 16);
      return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
    }
    return { address: a, family: 'ipv6' };
  }
  return null;
}

export function isLanAddress(address: string | undefined): boolean {
  if (!address) return false;
  const n = normalizeAddress(address);
  return n !== null && blockList.check(n.address, n.family);
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const n = normalizeAddress(address);
  return n !== null && loopback.check(n.address, n.family);
}
