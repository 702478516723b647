/**
 * The HTTPS certificate: the user's own (--cert/--key) or one from the room CA for the hub's
 * current names and addresses. A new LAN address gets a new leaf from the same CA, so devices
 * never have to trust anything again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HubConfig } from '../config.ts';
import { loadOrCreateRoomCa, loadOrIssueServerCert, permittedByCa, type RoomCa } from './ca.ts';
import { lanAddresses } from '../net/lan-addresses.ts';

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
