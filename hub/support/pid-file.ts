/**
 * `hub.pid` in the data folder: how the tools find the hub that runs on it (`rotate-secret`
 * tells it with SIGHUP, `reissue-ca` refuses to run beside it). Written at start, removed at a
 * clean stop; a pid file whose process is gone (a crash) counts as no hub.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './private-files.ts';

const pidFile = (dataDir: string) => path.join(dataDir, 'hub.pid');

export async function writePidFile(dataDir: string): Promise<void> {
  await writeFileAtomic(pidFile(dataDir), String(process.pid));
}

/** Removes the pid file if it is still this process's (a newer hub may have written its own). */
export function removePidFile(dataDir: string): void {
  try {
    if (fs.readFileSync(pidFile(dataDir), 'utf8') === String(process.pid)) fs.unlinkSync(pidFile(dataDir));
  } catch {
    // Already gone: nothing to clean.
  }
}

/** The pid of the hub running on `dataDir`, or null when none is. */
export function runningHubPid(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(dataDir), 'utf8'));
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}
