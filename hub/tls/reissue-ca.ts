/**
 * `npm run reissue-ca -- [--data DIR] [--name NAME] [--hostname NAME ...]`: replaces the room's
 * certificate authority. For a CA whose constraints are too broad (made by an older Osmose: it may
 * vouch for every name under the bare machine name), or one whose key may have leaked. The old CA
 * folder is kept as `ca.retired-<time>` without its keys, so nothing can be signed under the old
 * root again; the new CA is made for the names given here (the same flags as `npm start`).
 * Every device must then install the new root (the onboarding page offers it); the old one can be
 * removed from devices. The hub must be stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config.ts';
import { loadOrCreateRoomCa, retireRoomCa } from './ca.ts';
import { ensurePrivateDir } from '../support/private-files.ts';
import { runningHubPid } from '../support/pid-file.ts';

export async function reissueRoomCa(dataDir: string, roomName: string, hostnames: string[]): Promise<{ retired: string | null; fingerprint: string }> {
  ensurePrivateDir(dataDir);
  const dir = path.join(dataDir, 'ca');
  const retired = fs.existsSync(dir) ? await retireRoomCa(dir) : null;
  const ca = await loadOrCreateRoomCa(dir, { roomName, hostnames });
  return { retired, fingerprint: ca.rootFingerprintSha256 };
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env, process.cwd());
  if (config === 'help') {
    process.stdout.write('Usage: npm run reissue-ca -- [--data DIR] [--name NAME] [--hostname NAME ...]\n');
    return;
  }
  const pid = runningHubPid(config.dataDir);
  if (pid) throw new Error(`a hub (pid ${pid}) is running on ${config.dataDir}: stop it first`);
  process.umask(0o077);
  const { retired, fingerprint } = await reissueRoomCa(config.dataDir, config.roomName, config.hostnames);
  if (retired) process.stdout.write(`Old room CA moved to ${retired} (its keys deleted: nothing can be signed under it any more).\n`);
  process.stdout.write(
    `New room CA for ${config.hostnames.join(', ')} and private addresses.\nSHA-256: ${fingerprint}\n` +
      'Start the hub; every device must install the new certificate (the onboarding page offers it) and may remove the old one.\n',
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '')) {
  main().catch((err: Error) => {
    process.stderr.write(`reissue-ca: ${err.message}\n`);
    process.exit(1);
  });
}
