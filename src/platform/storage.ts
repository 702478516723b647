/**
 * Everything the app keeps on the device, in one IndexedDB schema (idb). The room secret lives
 * here, never in the URL or localStorage.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { JoinResponse } from '../../protocol/hub-api.ts';

export interface StoredIdentity {
  deviceId: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  createdAt: number;
  /** X25519, for keys other devices wrap for this one (protocol/sealed.ts); added to older identities on load. */
  kx?: { secretKey: Uint8Array; publicKey: Uint8Array };
  /** The device key's signature over `kx` (protocol/sealed.ts `vouchKeyAgreement`), added on load when missing. */
  kxSig?: string;
}

export interface StoredRoom {
  roomId: string;
  secret: string;
  /** Last known room name and place, to show the room while the hub is unreachable. */
  name: string | null;
  place: string | null;
  joinedAt: number;
  /**
   * The hub's last join answer. Its signaling credential is short-lived and bound to this
   * device; reusing it while valid lets a reopened app connect without a new proof.
   */
  lastJoin?: JoinResponse;
}

export interface StoredDocUpdate {
  roomId: string;
  /** A Yjs update (or several merged). */
  data: Uint8Array;
}

export interface StoredChunk {
  fileId: string;
  index: number;
  data: Uint8Array;
}

/** Small per-device settings, as strings (`voice`, `vision` are JSON, validated where they are read). */
export type SettingKey = 'displayName' | 'currentRoom' | 'voice' | 'vision';

export interface OsmoseDB extends DBSchema {
  identity: { key: 'device'; value: StoredIdentity };
  rooms: { key: string; value: StoredRoom };
  settings: { key: SettingKey; value: string };
  /** The room's memory on this device: Yjs updates, batched and compacted (lib/doc-store.ts). */
  docUpdates: { key: number; value: StoredDocUpdate; indexes: { byRoom: string } };
  /** File bytes as they arrive, one record per chunk (lib/files/). */
  fileChunks: { key: [string, number]; value: StoredChunk; indexes: { byFile: string } };
}

const DB_NAME = 'osmose';
const DB_VERSION = 2;

let dbPromise: Promise<IDBPDatabase<OsmoseDB>> | null = null;

export function db(): Promise<IDBPDatabase<OsmoseDB>> {
  dbPromise ??= openDB<OsmoseDB>(DB_NAME, DB_VERSION, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) {
        d.createObjectStore('identity');
        d.createObjectStore('rooms', { keyPath: 'roomId' });
        d.createObjectStore('settings');
      }
      if (oldVersion < 2) {
        d.createObjectStore('docUpdates', { autoIncrement: true }).createIndex('byRoom', 'roomId');
        d.createObjectStore('fileChunks', { keyPath: ['fileId', 'index'] }).createIndex('byFile', 'fileId');
      }
    },
    blocking() {
      // A newer version of the app opened the database in another tab: let it upgrade.
      void dbPromise?.then((d) => d.close());
      dbPromise = null;
    },
    terminated() {
      // The browser closed the connection (storage pressure): reopen on next use.
      dbPromise = null;
    },
  });
  return dbPromise;
}

export async function getIdentity(): Promise<StoredIdentity | undefined> {
  return (await db()).get('identity', 'device');
}

export interface BootState {
  identity?: StoredIdentity;
  displayName?: string;
  room?: StoredRoom;
}

let prefetched: Promise<BootState> | null = null;

/**
 * Starts the boot read now. main.ts calls it before the rest of the app has loaded, so that
 * IndexedDB opens while the bundle evaluates; the next `loadBootState` takes this read.
 */
export function prefetchBootState(): void {
  prefetched ??= readBootState();
  prefetched.catch(() => undefined); // the caller of loadBootState sees the failure
}

/** Everything the app needs to start, in one read transaction (the prefetched one if any). */
export function loadBootState(): Promise<BootState> {
  const p = prefetched ?? readBootState();
  prefetched = null;
  return p;
}

async function readBootState(): Promise<BootState> {
  const tx = (await db()).transaction(['identity', 'settings', 'rooms'], 'readonly');
  const [identity, displayName, roomId] = await Promise.all([
    tx.objectStore('identity').get('device'),
    tx.objectStore('settings').get('displayName'),
    tx.objectStore('settings').get('currentRoom'),
  ]);
  const room = roomId ? await tx.objectStore('rooms').get(roomId) : undefined;
  await tx.done;
  return { identity, displayName, room };
}

export async function putIdentity(identity: StoredIdentity): Promise<void> {
  await (await db()).put('identity', identity, 'device');
}

export async function getSetting(key: SettingKey): Promise<string | undefined> {
  return (await db()).get('settings', key);
}

export async function putSetting(key: SettingKey, value: string): Promise<void> {
  await (await db()).put('settings', value, key);
}

/** Saves the room and makes it current, in one transaction. */
export async function saveRoom(room: StoredRoom): Promise<void> {
  const d = await db();
  const tx = d.transaction(['rooms', 'settings'], 'readwrite');
  await Promise.all([tx.objectStore('rooms').put(room), tx.objectStore('settings').put(room.roomId, 'currentRoom'), tx.done]);
}

export async function forgetRoom(roomId: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['rooms', 'settings'], 'readwrite');
  await Promise.all([tx.objectStore('rooms').delete(roomId), tx.objectStore('settings').delete('currentRoom'), tx.done]);
}

/** Asks the browser not to evict our data under storage pressure (iOS wipes after 7 days otherwise). */
export async function requestPersistence(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}
