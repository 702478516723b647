import os from 'node:os';
import { isLanAddress, isLoopbackAddress } from './lan-guard.ts';

/** The hub's own LAN addresses (no loopback): where devices in the room can reach it. */
export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || isLoopbackAddress(a.address) || !isLanAddress(a.address)) continue;
      // Link-local IPv6 needs a zone id that a URL cannot carry portably: skip it.
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      out.push(a.address);
    }
  }
  return [...new Set(out)].sort((x, y) => Number(x.includes(':')) - Number(y.includes(':')) || x.localeCompare(y));
}

export function hostForUrl(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
