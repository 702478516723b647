/**
 * The room's persistent identity in the data folder: its public id, its secret, the hub's
 * credential key and the key ids of rotated secrets (so an old holder hears "rotated", not
 * "wrong"). Files are 0600 in a 0700 folder.
 */
import path from 'node:path';
import crypto from 'node:crypto';
import { deriveRoomKeys, isRoomSecret, newRoomSecret, b64uEncode, b64uDecode } from '../../protocol/crypto.ts';
import { ensurePrivateDir, readJson, writeFileAtomic } from '../support/private-files.ts';

interface StoredRoom {
  version: 1;
  roomId: string;
  secret: string;
  credentialKey: string;
  createdAt: number;
  rotatedAt: number | null;
  /** Join keys of earlier secrets, newest first, kept only to recognise old proofs. */
  previous: { keyId: string; joinKey: string; rotatedAt: number }[];
}

export interface RoomSecrets {
  roomId: string;
  secret: string;
  keyId: string;
  joinKey: Uint8Array;
  credentialKey: Uint8Array;
  previousJoinKeys: Uint8Array[];
}

const FILE = 'room.json';
const KEEP_PREVIOUS = 5;

function newRoomId(): string {
  return 'r' + crypto.randomBytes(8).toString('hex').slice(0, 12);
}

function toSecrets(s: StoredRoom): RoomSecrets {
  const keys = deriveRoomKeys(s.secret);
  return {
    roomId: s.roomId,
    secret: s.secret,
    keyId: keys.keyId,
    joinKey: keys.joinKey,
    credentialKey: b64uDecode(s.credentialKey),
    previousJoinKeys: s.previous.map((p) => b64uDecode(p.joinKey)),
  };
}

export async function loadOrCreateRoom(dataDir: string): Promise<{ secrets: RoomSecrets; created: boolean }> {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, FILE);
  const stored = readJson<StoredRoom>(file);
  if (stored) {
    if (stored.version !== 1 || !isRoomSecret(stored.secret) || typeof stored.roomId !== 'string') {
      throw new Error(`data: ${FILE} is damaged; move it away to make a new room`);
    }
    return { secrets: toSecrets(stored), created: false };
  }
  const fresh: StoredRoom = {
    version: 1,
    roomId: newRoomId(),
    secret: newRoomSecret(),
    credentialKey: b64uEncode(crypto.randomBytes(32)),
    createdAt: Date.now(),
    rotatedAt: null,
    previous: [],
  };
  await writeFileAtomic(file, JSON.stringify(fresh, null, 2));
  return { secrets: toSecrets(fresh), created: true };
}

/** New secret and credential key; every credential issued before stops working. */
export async function rotateRoomSecret(dataDir: string): Promise<RoomSecrets> {
  const file = path.join(dataDir, FILE);
  const stored = readJson<StoredRoom>(file);
  if (!stored) throw new Error(`data: no room in ${dataDir} to rotate`);
  const old = deriveRoomKeys(stored.secret);
  const now = Date.now();
  const next: StoredRoom = {
    ...stored,
    secret: newRoomSecret(),
    credentialKey: b64uEncode(crypto.randomBytes(32)),
    rotatedAt: now,
    previous: [{ keyId: old.keyId, joinKey: b64uEncode(old.joinKey), rotatedAt: now }, ...stored.previous].slice(0, KEEP_PREVIOUS),
  };
  await writeFileAtomic(file, JSON.stringify(next, null, 2));
  return toSecrets(next);
}
