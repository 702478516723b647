/**
 * Once per run: check we are inside the test namespace, make the shared room CA, and trust it in
 * an NSS database that Chromium reads through HOME.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { loadOrCreateRoomCa } from '../../../hub/tls/ca.ts';
import { CA_TEMPLATE, HUB_IP, TEST_HOME, E2E_TMP } from './env.ts';

export default async function globalSetup(): Promise<void> {
  const addrs = Object.values(os.networkInterfaces()).flat().map((a) => a?.address);
  if (!addrs.includes(HUB_IP)) {
    throw new Error(`e2e: ${HUB_IP} is not on this machine. Run browser tests with \`npm run test:e2e\` (it makes the test network namespace).`);
  }
  fs.rmSync(E2E_TMP, { recursive: true, force: true });
  fs.mkdirSync(path.join(CA_TEMPLATE, 'ca'), { recursive: true });
  const ca = await loadOrCreateRoomCa(path.join(CA_TEMPLATE, 'ca'), { roomName: 'e2e', hostnames: ['localhost'] });
  const nssdb = path.join(TEST_HOME, '.pki', 'nssdb');
  fs.mkdirSync(nssdb, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  const rootFile = path.join(CA_TEMPLATE, 'root.pem');
  fs.writeFileSync(rootFile, ca.rootPem);
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'osmose-e2e-room', '-i', rootFile]);
}
