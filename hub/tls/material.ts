/**
 * The HTTPS certificate: the user's own (--cert/--key) or one from the room CA for the hub's
 * current names and addresses. A new LAN address gets a new leaf from the same CA, so devices
 * never have to trust anything again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HubConfig } from '../config.ts';
import { loadOrCreateRoomCa, loadOrIssueServerCert, permittedByCa, publicNameSubtrees, type RoomCa } from './ca.ts';
import { lanAddresses } from '../net/lan-addresses.ts';
import { log } from '../support/log.ts';

/** How often the hub looks for a new LAN address. */
const ADDRESS_CHECK_MS = 30_000;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Null when the user brought their own certificate. */
  ca: RoomCa | null;
  /** The addresses the certificate was made for (to notice a change). */
  addresses: string[];
}

export async function loadTls(config: HubConfig, addresses = lanAddresses()): Promise<TlsMaterial> {
  if (config.certFile && config.keyFile) {
    return { cert: fs.readFileSync(config.certFile, 'utf8'), key: fs.readFileSync(config.keyFile, 'utf8'), ca: null, addresses };
  }
  const dir = path.join(config.dataDir, 'ca');
  const ca = await loadOrCreateRoomCa(dir, { roomName: config.roomName, hostnames: config.hostnames });
  const names = permittedByCa(ca, { dns: config.hostnames, ips: ['127.0.0.1', '::1', ...addresses] });
  const leaf = await loadOrIssueServerCert(dir, ca, names);
  return { cert: leaf.chainPem, key: leaf.keyPem, ca, addresses };
}

/** DER bytes of a PEM certificate (for the .crt download phones install). */
export function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

/**
 * A new LAN address (DHCP, another network) gets a new leaf from the same room CA: `renewed` is
 * called with it, so the HTTPS server serves it from then on. Returns the stop function.
 */
export function renewOnNewAddress(config: HubConfig, current: () => TlsMaterial, renewed: (tls: TlsMaterial) => void): () => void {
  const timer = setInterval(() => {
    const now = lanAddresses();
    if (now.join() === current().addresses.join()) return;
    loadTls(config, now)
      .then((next) => {
        renewed(next);
        log.info('LAN addresses changed; new server certificate issued', { addresses: now });
      })
      .catch((err: Error) => log.error('could not renew the server certificate', { error: err.message }));
  }, ADDRESS_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A room CA made by an older hub may vouch for a bare name (the machine's): the hub keeps serving
 * (every device trusts this root) and says so at every start until the operator re-issues it.
 */
export function broadCaWarning(tls: TlsMaterial): string | null {
  const broad = tls.ca ? publicNameSubtrees(tls.ca) : [];
  if (!broad.length) return null;
  log.warn('room CA too broad', { names: broad });
  return (
    `This room's certificate authority may vouch for every name under: ${broad.join(', ')} (made by an older Osmose). ` +
    'Stop the hub and run `npm run reissue-ca` (same --data and --hostname flags); every device must then install the new certificate.'
  );
}
