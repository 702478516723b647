/**
 * Everything the app keeps on the device, in one IndexedDB schema (src/platform/storage.ts), on
 * fake-indexeddb: the boot state in one read, a room saved and forgotten, the identity kept, an
 * older database upgraded without losing what it held.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it, vi } from 'vitest';

async function fresh() {
  globalThis.indexedDB = new IDBFactory();
  vi.resetModules();
  return {
    storage: await import('../../../../src/platform/storage.ts'),
    identity: await import('../../../../src/room/identity.ts'),
  };
}

beforeEach(() => vi.resetModules());

describe('storage', () => {
  it('an empty device boots with nothing; a saved room is the current one; forgetting it clears both', async () => {
    const { storage } = await fresh();
    expect(await storage.loadBootState()).toEqual({ identity: undefined, displayName: undefined, room: undefined });
    const room = { roomId: 'rabc123def456', secret: 's'.repeat(43), name: 'R', place: 'P', joinedAt: 1 };
    await storage.saveRoom(room);
    await storage.putSetting('displayName', 'Ada');
    expect(await storage.loadBootState()).toMatchObject({ displayName: 'Ada', room });
    await storage.forgetRoom(room.roomId);
    expect((await storage.loadBootState()).room).toBeUndefined();
  });

  it('makes the device identity once and keeps it: the same id on the next start', async () => {
    const { storage, identity } = await fresh();
    const first = await identity.loadOrCreateIdentity();
    expect(first.deviceId).toMatch(/^d[0-9a-f]{32}$/);
    const boot = await storage.loadBootState();
    expect((await identity.loadOrCreateIdentity(boot.identity)).deviceId).toBe(first.deviceId);
    expect(identity.defaultDisplayName(first.deviceId, 'Mozilla/5.0 (Linux; Android 14)')).toBe(`Android ${first.deviceId.slice(1, 5)}`);
  });

  it('keeps the key-agreement key across starts, and gives an identity made before it one, same device', async () => {
    const { storage, identity } = await fresh();
    const { keyAgreementVouched } = await import('../../../../protocol/sealed.ts');
    const { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } = await import('../../../../protocol/crypto.ts');
    const kp = newDeviceKeyPair();
    const old = { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: kp.publicKey, secretKey: kp.secretKey, createdAt: 1 };
    await storage.putIdentity(old);
    const upgraded = await identity.loadOrCreateIdentity();
    expect(upgraded.deviceId).toBe(old.deviceId);
    expect(keyAgreementVouched(upgraded.deviceId, b64uEncode(kp.publicKey), upgraded.kxAnnounce.publicKey, upgraded.kxAnnounce.sig)).toBe(true);
    const again = await identity.loadOrCreateIdentity();
    expect(again.kxAnnounce.publicKey).toBe(upgraded.kxAnnounce.publicKey);
  });

  it("keeps the device key's signature over its key-agreement key: a reopened app signs nothing at start", async () => {
    const { storage, identity } = await fresh();
    const first = await identity.loadOrCreateIdentity();
    const kept = await storage.getIdentity();
    expect(kept?.kxSig).toBe(first.kxAnnounce.sig);
    // What is stored is used as it is: nothing is signed again (a signature made now would differ).
    await storage.putIdentity({ ...kept!, kxSig: 'kept-signature' });
    expect((await identity.loadOrCreateIdentity()).kxAnnounce.sig).toBe('kept-signature');
    expect((await identity.loadOrCreateIdentity((await storage.loadBootState()).identity)).kxAnnounce).toEqual({ publicKey: first.kxAnnounce.publicKey, sig: 'kept-signature' });
  });

  it('upgrades a version-1 database (before the memory and files stores) and keeps the room', async () => {
    globalThis.indexedDB = new IDBFactory();
    const v1 = await openDB('osmose', 1, {
      upgrade(d) {
        d.createObjectStore('identity');
        d.createObjectStore('rooms', { keyPath: 'roomId' });
        d.createObjectStore('settings');
      },
    });
    await v1.put('rooms', { roomId: 'rold000000001', secret: 'x', name: null, place: null, joinedAt: 1 });
    await v1.put('settings', 'rold000000001', 'currentRoom');
    v1.close();
    vi.resetModules();
    const storage = await import('../../../../src/platform/storage.ts');
    expect((await storage.loadBootState()).room?.roomId).toBe('rold000000001');
    const d = await storage.db();
    expect([...d.objectStoreNames].sort()).toEqual(['docUpdates', 'fileChunks', 'identity', 'rooms', 'settings']);
  });
});

describe('the boot read started early', () => {
  it('the next loadBootState takes the prefetched read; later ones read again', async () => {
    const { storage } = await fresh();
    const room = { roomId: 'rabc123def456', secret: 's'.repeat(43), name: 'R', place: 'P', joinedAt: 1 };
    await storage.saveRoom(room);
    storage.prefetchBootState();
    await storage.saveRoom({ ...room, name: 'written after the prefetch' });
    expect((await storage.loadBootState()).room?.name).toBe('R');
    expect((await storage.loadBootState()).room?.name).toBe('written after the prefetch');
  });
});
