/**
 * Who a request counts against. On a LAN anyone can hold many addresses: an IPv6 host picks any
 * number in its /64 (privacy addresses are made that way), so a limit per full IPv6 address is no
 * limit. IPv4 addresses (IPv4-mapped IPv6 included) count one by one; an IPv6 address counts both
 * for itself and for its /64, which gets a larger share. A source that floods exhausts its own
 * share and its network's, never another network's.
 */
import { normalizeAddress } from './lan-guard.ts';
import { RateLimiter } from './rate-limit.ts';

/** An IPv6 /64 gets this many times a single address's allowance. */
export const NETWORK_SHARE = 8;

export interface SourceKeys {
  /** The address itself. */
  host: string;
  /** Its network: the /64 for IPv6; the address itself for IPv4. */
  network: string;
}

/** The 8 groups of an IPv6 address, each 4 hex digits (an embedded dotted IPv4 tail included). */
export function expandIpv6(address: string): string[] | null {
  let a = address.toLowerCase();
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    a = a.slice(0, dotted.index) + `${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.padStart(4, '0'));
}

export function sourceKeys(address: string | undefined): SourceKeys {
  const n = normalizeAddress(address ?? '');
  if (!n) return { host: 'unknown', network: 'unknown' };
  if (n.family === 'ipv4') return { host: n.address, network: n.address };
  const groups = expandIpv6(n.address);
  if (!groups) return { host: n.address, network: n.address };
  return { host: groups.join(':'), network: `${groups.slice(0, 4).join(':')}::/64` };
}

/** A limit per source: `limit` per address, `limit * NETWORK_SHARE` per IPv6 /64. */
export class SourceLimiter {
  private readonly hosts: RateLimiter;
  private readonly networks: RateLimiter;

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.hosts = new RateLimiter(limit, windowMs, now);
    this.networks = new RateLimiter(limit * NETWORK_SHARE, windowMs, now);
  }

  /** Counts one attempt from `address`. The network is asked first, so a flooded /64 makes no new
   * per-address entries (memory stays bounded however many addresses it uses). */
  take(address: string | undefined): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const k = sourceKeys(address);
    if (k.network !== k.host) {
      const net = this.networks.take(k.network);
      if (!net.ok) return net;
    }
    return this.hosts.take(k.host);
  }

  /** Addresses and networks held (those seen in the last window or two). */
  get size(): number {
    return this.hosts.size + this.networks.size;
  }

  /** Over the limit already (without counting)? */
  blocked(address: string | undefined): { retryAfterSeconds: number } | null {
    const k = sourceKeys(address);
    return (k.network !== k.host ? this.networks.blocked(k.network) : null) ?? this.hosts.blocked(k.host);
  }
}
