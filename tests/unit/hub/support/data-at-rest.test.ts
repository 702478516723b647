/**
 * Data at rest: the hub's data folder and everything in it are its own user's only (0700 / 0600),
 * whether the folder was made earlier with looser modes or the files appear later (SQLite's
 * journals, file chunks), and the hub refuses to start when it cannot make them so.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { securePrivateTree } from '../../../../hub/support/private-files.ts';
import { HubFiles } from '../../../../src/files/hub-files.ts';
import { HubHttp } from '../../../../src/platform/hub-http.ts';
import { uploadToHub } from '../../../../src/files/hub-source.ts';
import { MemoryChunkStore, sharedFile } from '../../src/files/support.ts';
import { startTestHub } from '../../support/hub-edge.ts';

/** Every folder and file under `dir` with a mode other than 0700 / 0600. */
function loose(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) out.push(`${p} ${mode.toString(8)}`);
      for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    } else if (mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
  };
  walk(dir);
  return out;
}

let previousUmask: number;
beforeAll(() => {
  // What a login shell usually has: files 0644, folders 0755 unless the hub says otherwise.
  previousUmask = process.umask(0o022);
});
afterAll(() => {
  process.umask(previousUmask);
});

describe('the data folder', () => {
  it('tightens a folder made earlier with loose modes, and keeps files made later private', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-rest-'));
    const data = path.join(dir, 'data');
    // As an older hub (or the operator) left it: world-readable folder, history and secret.
    fs.mkdirSync(path.join(data, 'files', 'old'), { recursive: true, mode: 0o755 });
    fs.chmodSync(data, 0o755);
    fs.writeFileSync(path.join(data, 'files', 'old', 'manifest.json'), '{}', { mode: 0o644 });
    fs.writeFileSync(path.join(data, 'notes.txt'), 'left by the operator', { mode: 0o666 });
    fs.chmodSync(path.join(data, 'notes.txt'), 0o666);

    const t = await startTestHub([], dir);
    try {
      expect(loose(data)).toEqual([]);
      // Files made after the start: the room's history (SQLite and its WAL), a file's chunks.
      const text = t.hub.memory.doc.getText('probe');
      t.hub.memory.doc.transact(() => text.insert(0, 'x'.repeat(10_000)), 'test');
      const device = 'd' + 'c'.repeat(32);
      const auth = new JoinAuth(t.hub.secrets(), 60_000);
      const client = new HubFiles(new HubHttp({ origin: `http://127.0.0.1:${t.hub.ports.http}`, fetch, credential: async () => ({ peerId: device, token: auth.issueCredential(device).token }) }));
      const store = new MemoryChunkStore();
      const { meta } = await sharedFile(store, 300_000, { chunkSize: 64 * 1024 });
      await uploadToHub(client, store, meta, () => undefined, new AbortController().signal);
      const names = fs.readdirSync(data);
      expect(names).toEqual(expect.arrayContaining(['memory.sqlite', 'memory.sqlite-wal', 'gateway.sqlite', 'room.json', 'ca', 'files']));
      expect(fs.readdirSync(path.join(data, 'files', meta.id))).toContain('0.chunk');
      expect(loose(data)).toEqual([]);
    } finally {
      await t.hub.close();
    }
  });

  it('refuses to start when it cannot make the folder private', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-rest-'));
    fs.writeFileSync(path.join(dir, 'secret'), 'x', { mode: 0o644 });
    // Another user's file: chmod is refused (what a non-root hub gets).
    const denied = { ...fs, chmodSync: () => { throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); } };
    expect(() => securePrivateTree(dir, denied)).toThrow(/^data: cannot make .* private \(EPERM\)/);
  });

  it('refuses a symbolic link inside the folder rather than follow it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-rest-'));
    fs.symlinkSync('/etc', path.join(dir, 'files'));
    expect(() => securePrivateTree(dir)).toThrow(/not a plain file or folder/);
    expect(fs.statSync('/etc').mode & 0o777).not.toBe(0o700);
  });

  it('refuses a data path that is a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-rest-'));
    fs.writeFileSync(path.join(dir, 'data'), 'not a folder');
    await expect(startTestHub([], dir)).rejects.toThrow(/^data: cannot make the data folder/);
  });
});
