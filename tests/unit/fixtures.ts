/** Shared test data: valid profiles, device identities and one valid frame of every message type. */
import { newKeyAgreementPair, vouchKeyAgreement, type KeyAgreementPair } from '../../protocol/sealed.ts';
import type { Capabilities, Profile } from '../../protocol/common.ts';
import { b64uEncode, deriveRoomKeys, deviceIdFromPublicKey, newDeviceKeyPair, newRoomSecret, randomNonce } from '../../protocol/crypto.ts';
import type { Me } from '../../src/mesh/peer-session.ts';

export const CAPS: Capabilities = {
  webgpu: { available: true, adapter: 'test adapter', fallback: false },
  camera: true,
  microphone: null,
  cores: 8,
  memoryGb: 8,
  memoryClass: 'high',
  battery: { charging: true, level: 0.5 },
  secureContext: true,
  app: '0.1.0',
  protocol: 1,
};

export function profile(name: string, overrides: Partial<Profile> = {}): Profile {
  return { name, caps: CAPS, visibility: 'visible', visibilitySince: 1_700_000_000_000, ...overrides };
}

/** A device identity holding `secret` (a fresh room secret when omitted). */
export function makeMe(secret: string = newRoomSecret(), opts: { kx?: boolean } = {}): Me & { kxPair: KeyAgreementPair } {
  const kp = newDeviceKeyPair();
  const keys = deriveRoomKeys(secret);
  const deviceId = deviceIdFromPublicKey(kp.publicKey);
  const kxPair = newKeyAgreementPair();
  return {
    deviceId,
    publicKey: b64uEncode(kp.publicKey),
    secretKey: kp.secretKey,
    meshKey: keys.meshKey,
    keyId: keys.keyId,
    ...(opts.kx === false ? {} : { kx: { publicKey: b64uEncode(kxPair.publicKey), sig: vouchKeyAgreement(deviceId, kp.secretKey, kxPair.publicKey) } }),
    kxPair,
  };
}

export const DEVICE_A = 'd' + '0123456789abcdef'.repeat(2);
export const DEVICE_B = 'd' + 'fedcba9876543210'.repeat(2);
export const ROOM_ID = 'rabc123def456';
const PUBLIC_KEY = 'A'.repeat(43);
const NONCE = randomNonce();
const MAC = 'B'.repeat(43);
const SIG = 'C'.repeat(86);
const member = { peerId: DEVICE_B, profile: profile('Bea'), status: 'present', lastSeen: 1_700_000_000_000 };
const room = { id: ROOM_ID, name: 'FW15', place: 'Cambridge' };
const wireError = { code: 'bad-request', message: 'nope' };

/** One valid instance of each message type, keyed by schema. */
export const VALID = {
  client: [
    { v: 1, t: 'hello', peerId: DEVICE_A, token: '1700000000.' + 'x'.repeat(43), profile: profile('Ada') },
    { v: 1, t: 'profile', profile: profile('Ada', { visibility: 'hidden' }) },
    { v: 1, t: 'bye' },
    { v: 1, t: 'ping', n: 7 },
  ],
  hub: [
    { v: 1, t: 'welcome', room, you: DEVICE_A, members: [member], hubTime: 1_700_000_000_000 },
    { v: 1, t: 'roster', members: [member, { ...member, peerId: DEVICE_A, status: 'away' }], hubTime: 1 },
    { v: 1, t: 'pong', n: 7 },
    { v: 1, t: 'error', error: wireError },
    { v: 1, t: 'gateway-changed' },
  ],
  mesh: [
    { v: 1, t: 'hello', deviceId: DEVICE_A, publicKey: PUBLIC_KEY, nonce: NONCE, keyId: '0123456789abcdef' },
    { v: 1, t: 'auth', proof: MAC, sig: SIG },
    { v: 1, t: 'profile', profile: profile('Ada') },
    { v: 1, t: 'ping', n: 1, at: 12.5 },
    { v: 1, t: 'pong', n: 1, at: 12.5 },
    { v: 1, t: 'bye' },
    { v: 1, t: 'error', error: wireError },
    { v: 1, t: 'voice', msg: { op: 'open', stream: 3, phrases: ['hey_jarvis', 'timer'] } },
    { v: 1, t: 'voice', msg: { op: 'result', stream: 3, seq: 9, steps: [{ vad: 0.9, speech: true, scores: { hey_jarvis: 0.97 } }] } },
  ],
} as const;
