/**
 * `npm run rotate-secret -- [--data DIR]`: makes a new room secret. A running hub (found by its
 * pid file) is told with SIGHUP and evicts every device that does not hold the new secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rotateRoomSecret } from './room-store.ts';

const { values } = parseArgs({ options: { data: { type: 'string' } } });
const dataDir = path.resolve(values.data ?? process.env.OSMOSE_DATA ?? '.osmose');
await rotateRoomSecret(dataDir);
process.stdout.write(`New room secret written to ${dataDir}.\n`);
let pid: number | null = null;
try {
  pid = Number(fs.readFileSync(path.join(dataDir, 'hub.pid'), 'utf8'));
} catch {
  pid = null;
}
if (pid && Number.isInteger(pid)) {
  try {
    process.kill(pid, 'SIGHUP');
    process.stdout.write(`Told the running hub (pid ${pid}); every device must scan the new QR code.\n`);
  } catch {
    process.stdout.write('No running hub; the new secret applies at the next start.\n');
  }
} else {
  process.stdout.write('No running hub; the new secret applies at the next start.\n');
}
