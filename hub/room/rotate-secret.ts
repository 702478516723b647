/**
 * `npm run rotate-secret -- [--data DIR]`: makes a new room secret. A running hub (found by its
 * pid file) is told with SIGHUP and evicts every device that does not hold the new secret.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rotateRoomSecret } from './room-store.ts';
import { runningHubPid } from '../support/pid-file.ts';

const { values } = parseArgs({ options: { data: { type: 'string' } } });
const dataDir = path.resolve(values.data ?? process.env.OSMOSE_DATA ?? '.osmose');
await rotateRoomSecret(dataDir);
process.stdout.write(`New room secret written to ${dataDir}.\n`);
const pid = runningHubPid(dataDir);
if (pid) {
  process.kill(pid, 'SIGHUP');
  process.stdout.write(`Told the running hub (pid ${pid}); every device must scan the new QR code.\n`);
} else {
  process.stdout.write('No running hub; the new secret applies at the next start.\n');
}
