/**
 * The hub's one atomic write, and that everything the hub keeps goes through it: the CA's keys
 * and certificates, the room's secret, the pid file, the room's file chunks. Each is written to a
 * temp file with its final mode, synced, renamed, and its folder synced.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../../../hub/support/private-files.ts';
import { loadOrCreateRoomCa, loadOrIssueServerCert } from '../../../../hub/tls/ca.ts';
import { loadOrCreateRoom } from '../../../../hub/room/room-store.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-atomic-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every path the code under test synced (files and folders), in order. */
async function watchSyncs(): Promise<string[]> {
  const synced: string[] = [];
  const paths = new Map<number, string>();
  const probe = await fsp.open(path.join(dir, '.probe'), 'w');
  const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  fs.rmSync(path.join(dir, '.probe'));
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (p, ...rest) => {
    const fh = await open(p, ...(rest as [string]));
    paths.set(fh.fd, String(p));
    return fh;
  });
  const sync = handleProto.sync;
  vi.spyOn(handleProto, 'sync').mockImplementation(function (this: { fd: number }) {
    synced.push(paths.get(this.fd) ?? '?');
    return sync.call(this);
  });
  return synced;
}

/** For each of `files`: its temp file synced, then its folder. */
function durablyWritten(synced: string[], files: string[]): void {
  for (const f of files) {
    const tmp = synced.findIndex((p) => path.dirname(p) === path.dirname(f) && path.basename(p).startsWith(`.${path.basename(f)}.`));
    expect(tmp, `${path.basename(f)} synced`).toBeGreaterThanOrEqual(0);
    expect(synced.slice(tmp + 1), `${path.basename(f)}'s folder synced after it`).toContain(path.dirname(f));
    expect(fs.statSync(f).mode & 0o777, path.basename(f)).toBe(0o600);
  }
}

describe('writeFileAtomic', () => {
  it('replaces a file whole, with mode 0600, leaving no temp file', async () => {
    const f = path.join(dir, 'room.json');
    fs.writeFileSync(f, 'old', { mode: 0o644 });
    await writeFileAtomic(f, 'new');
    expect(fs.readFileSync(f, 'utf8')).toBe('new');
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['room.json']);
  });

  it('a write that fails leaves the old file and no temp file', async () => {
    const f = path.join(dir, 'x');
    fs.mkdirSync(path.join(f, 'inside'), { recursive: true }); // rename onto a non-empty folder fails
    await expect(writeFileAtomic(f, 'data')).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['x']);
  });
});

describe('what the hub keeps goes through it', () => {
  it('the room CA (its intermediate key first of all) and the server certificate', async () => {
    const synced = await watchSyncs();
    const ca = await loadOrCreateRoomCa(dir, { roomName: 'Sync', hostnames: ['localhost'] });
    await loadOrIssueServerCert(dir, ca, { dns: ['localhost'], ips: ['127.0.0.1'] });
    durablyWritten(synced, ['intermediate-ca.key', 'intermediate-ca.pem', 'ca.json', 'root-ca.pem', 'server.key', 'server.pem', 'server.json'].map((f) => path.join(dir, f)));
  });

  it('the room’s secret', async () => {
    const synced = await watchSyncs();
    await loadOrCreateRoom(dir);
    durablyWritten(synced, [path.join(dir, 'room.json')]);
  });
});
