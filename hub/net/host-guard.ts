/**
 * Which names the hub answers to. A browser sends the name it resolved in `Host`, so a web page
 * that rebinds its own name to the hub's address (DNS rebinding) still says its own name there:
 * refusing every `Host` that is not one of the hub's names or addresses, before any route or
 * WebSocket upgrade runs, keeps such a page from reading anything (the join links on /display
 * first of all).
 *
 * The hub's names: localhost, the names the room CA vouches for (`<host>.local`, `--hostname`),
 * the machine's own host name, and the DNS names in the certificate it serves (a `--cert` one
 * included, wildcards too). Its addresses: loopback, every address of its interfaces (read again
 * when they change) and the address the request itself arrived on.
 */
import os from 'node:os';
import net from 'node:net';
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress, normalizeAddress } from './lan-guard.ts';

/** How long a read of the interfaces' addresses is trusted before a miss reads them again. */
const ADDRESSES_TTL_MS = 2_000;

export type ParsedHost = { kind: 'ip'; address: string } | { kind: 'name'; name: string };

/** `Host` without its port: an IP address (IPv6 in brackets) or a lower-case DNS name. */
export function parseHost(header: string | undefined): ParsedHost | null {
  if (!header || header.length > 300) return null;
  const v6 = /^\[([0-9A-Fa-f:.]+)(?:%25[^\]]*|%[^\]]*)?\](?::\d{1,5})?$/.exec(header);
  if (v6) {
    const n = normalizeAddress(v6[1]!);
    return n ? { kind: 'ip', address: n.address } : null;
  }
  const plain = /^([^:[\]]+?)\.?(?::\d{1,5})?$/.exec(header);
  if (!plain) return null;
  const host = plain[1]!.toLowerCase();
  if (net.isIP(host) === 4) return { kind: 'ip', address: host };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host) || host.length > 253) return null;
  return { kind: 'name', name: host };
}

/** DNS names in a PEM certificate's subjectAltName (the first certificate of a chain). */
export function certificateDnsNames(pem: string): string[] {
  try {
    const san = new X509Certificate(pem).subjectAltName ?? '';
    return san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase().replace(/\.$/, ''));
  } catch {
    return [];
  }
}

export interface KnownHostsSource {
  /** DNS names the hub answers to (may change: a new certificate). */
  names: () => readonly string[];
  /** The hub's own addresses; defaults to every interface's. */
  addresses?: () => readonly string[];
  now?: () => number;
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

export class KnownHosts {
  private cached: { at: number; set: Set<string> } | null = null;
  private readonly now: () => number;
  private readonly addresses: () => readonly string[];

  constructor(private readonly source: KnownHostsSource) {
    this.now = source.now ?? Date.now;
    this.addresses = source.addresses ?? interfaceAddresses;
  }

  /** True when `Host` names this hub; `localAddress` is where the request arrived. */
  allows(hostHeader: string | undefined, localAddress: string | undefined): boolean {
    const host = parseHost(hostHeader);
    if (!host) return false;
    if (host.kind === 'name') return this.nameAllowed(host.name);
    if (isLoopbackAddress(host.address)) return true;
    const local = localAddress ? normalizeAddress(localAddress) : null;
    if (local && local.address === host.address) return true;
    return this.ownAddress(host.address);
  }

  private nameAllowed(name: string): boolean {
    for (const raw of this.source.names()) {
      const known = raw.toLowerCase().replace(/\.$/, '');
      if (known === name) return true;
      // A certificate's wildcard covers exactly one more label.
      if (known.startsWith('*.') && name.endsWith(known.slice(1)) && !name.slice(0, -(known.length - 1)).includes('.')) return true;
    }
    return false;
  }

  private ownAddress(address: string): boolean {
    const t = this.now();
    const fresh = this.cached && t - this.cached.at < ADDRESSES_TTL_MS;
    if (fresh && this.cached!.set.has(address)) return true;
    if (fresh) return false;
    // A miss on a stale read: the interfaces may have changed (DHCP, another network).
    const set = new Set<string>();
    for (const a of this.addresses()) {
      const n = normalizeAddress(a);
      if (n) set.add(n.address);
    }
    this.cached = { at: t, set };
    return set.has(address);
  }
}

export const WRONG_HOST_MESSAGE = 'this hub does not answer to that name; open it by its own address';

/** For an upgrade or a request: is its Host one of ours? */
export function requestHostAllowed(hosts: KnownHosts, req: IncomingMessage): boolean {
  return hosts.allows(req.headers.host, req.socket.localAddress);
}

/**
 * The hub's own names: localhost, the machine's name, the names the room CA vouches for, and the
 * DNS names of the certificate it serves now (read again when that changes).
 */
export function hubKnownHosts(hostnames: readonly string[], cert: () => string): KnownHosts {
  let certNames = { pem: '', names: [] as string[] };
  return new KnownHosts({
    names: () => {
      if (certNames.pem !== cert()) certNames = { pem: cert(), names: certificateDnsNames(cert()) };
      return ['localhost', os.hostname(), ...hostnames, ...certNames.names];
    },
  });
}
