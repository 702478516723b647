/**
 * Face templates: a person's enrolled face descriptors (biometric data) as the room keeps them, in
 * the room document's `faces` map:
 *
 *   t:<id>             FaceTemplateEntry: who it is for (the name its owner gave), the owner's
 *                      device and key, the devices the owner linked, and the descriptors SEALED
 *                      (protocol/sealed.ts) under a content key of the template's own; signed by
 *                      the owner's device key over all of it
 *   k:<id>:<deviceId>  WrappedKey: that content key wrapped for one device's X25519 key
 *
 * The hub and every device store and sync the entries; only a device a key was wrapped for can
 * open the descriptors. Who wraps: the template's owner devices only (the enrolling device and the
 * devices it linked), for themselves and for each device in the room that says it recognises
 * faces (`VisionPresence.recognises`) while an owner device is present; a recogniser never wraps
 * for another. A recogniser uses only templates whose signature checks against the owner's key
 * (whose hash is the owner's device id): nobody can attach a face to someone else's device or
 * name, or change an enrolled face. The owner deletes a template (the entry and every wrapped key)
 * from any owner device. Nothing here ever crosses a gateway: no scope covers `faces`.
 */
import { z } from 'zod';
import type * as Y from 'yjs';
import { B64u, DeviceId, DisplayName } from './common.ts';
import { deviceIdMatchesKey, signB64u, verifySig } from './crypto.ts';
import { Sealed, WrappedKey, open, seal } from './sealed.ts';
import { OsmoseError } from './errors.ts';
import { DESCRIPTOR_SIZE, VISION_LIMITS } from './vision.ts';
import { faceTemplates } from './room-doc.ts';

export const FACE_TEMPLATE_LIMITS = {
  /** Descriptors kept per person (one per enrolment shot). */
  shots: VISION_LIMITS.enrolShots,
  /** Devices an owner may link besides the enrolling one. */
  linkedDevices: 8,
  /** Templates read from the room at most. */
  templates: VISION_LIMITS.templates,
} as const;

const Id = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);

export const FaceTemplateEntry = z.object({
  v: z.literal(1),
  id: Id,
  /** The name the person enrolled under ("Anil"), shown when a camera recognises them. */
  name: DisplayName,
  /** The enrolling device (its id is the hash of `ownerKey`). */
  owner: DeviceId,
  /** The owner device's Ed25519 public key, base64url. */
  ownerKey: B64u(43, 43),
  /** Devices the owner linked: they may delete the template and wrap its key, like the owner. */
  devices: z.array(DeviceId).max(FACE_TEMPLATE_LIMITS.linkedDevices),
  createdAt: z.number().int().min(0),
  /** How many descriptors `sealed` holds. */
  shots: z.number().int().min(1).max(FACE_TEMPLATE_LIMITS.shots),
  sealed: Sealed,
  /** The owner device's Ed25519 signature over `templateStatement`. */
  sig: B64u(86, 86),
});
export type FaceTemplateEntry = z.infer<typeof FaceTemplateEntry>;
export type UnsignedTemplate = Omit<FaceTemplateEntry, 'sig'>;

/** What the owner signs: every field, in a fixed order (JSON, so no field can run into the next). */
export function templateStatement(t: UnsignedTemplate): string {
  return `osmose/v1/face-template|${JSON.stringify([t.v, t.id, t.name, t.owner, t.ownerKey, [...t.devices], t.createdAt, t.shots, t.sealed.v, t.sealed.n, t.sealed.c])}`;
}

/** Where a template's descriptors may be opened: a ciphertext moved to another template does not open. */
export const templateAad = (id: string, owner: string): string => `faces|${id}|${owner}`;
/** The context its content key is wrapped under. */
export const templateWrapContext = (id: string): string => `faces|${id}`;

export function signTemplate(t: UnsignedTemplate, ownerSecretKey: Uint8Array): FaceTemplateEntry {
  return { ...t, sig: signB64u(ownerSecretKey, templateStatement(t)) };
}

/** Why a template must not be used, or null when its owner's device signed exactly this. */
export function templateProblem(t: FaceTemplateEntry): string | null {
  if (!deviceIdMatchesKey(t.owner, t.ownerKey)) return 'its owner key is not its owner device';
  if (t.devices.includes(t.owner) || new Set(t.devices).size !== t.devices.length) return 'its linked devices repeat';
  const { sig, ...rest } = t;
  if (!verifySig(t.ownerKey, templateStatement(rest), sig)) return 'it is not signed by its owner device';
  return null;
}

/** The devices that may delete the template and wrap its key: the owner and those it linked. */
export const ownerDevices = (t: Pick<FaceTemplateEntry, 'owner' | 'devices'>): string[] => [t.owner, ...t.devices];

/** Descriptors as bytes: float32 little-endian, 128 per shot. */
export function encodeDescriptors(descriptors: ArrayLike<number>[]): Uint8Array {
  if (descriptors.length < 1 || descriptors.length > FACE_TEMPLATE_LIMITS.shots) throw new OsmoseError('bad-request', `a template holds 1 to ${FACE_TEMPLATE_LIMITS.shots} descriptors`);
  const out = new Uint8Array(descriptors.length * DESCRIPTOR_SIZE * 4);
  const view = new DataView(out.buffer);
  descriptors.forEach((d, i) => {
    if (d.length !== DESCRIPTOR_SIZE) throw new OsmoseError('bad-request', `a descriptor has ${DESCRIPTOR_SIZE} numbers`);
    for (let k = 0; k < DESCRIPTOR_SIZE; k++) view.setFloat32((i * DESCRIPTOR_SIZE + k) * 4, d[k]!, true);
  });
  return out;
}

export function decodeDescriptors(bytes: Uint8Array): Float32Array[] {
  const per = DESCRIPTOR_SIZE * 4;
  const n = bytes.byteLength / per;
  if (!Number.isInteger(n) || n < 1 || n > FACE_TEMPLATE_LIMITS.shots) throw new OsmoseError('bad-request', 'not a face template');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: n }, (_, i) => {
    const d = new Float32Array(DESCRIPTOR_SIZE);
    for (let k = 0; k < DESCRIPTOR_SIZE; k++) {
      const x = view.getFloat32((i * DESCRIPTOR_SIZE + k) * 4, true);
      if (!Number.isFinite(x)) throw new OsmoseError('bad-request', 'not a face template');
      d[k] = x;
    }
    return d;
  });
}

/** A new template, sealed under `contentKey` and signed by its owner device. */
export function makeTemplate(p: {
  id: string;
  name: string;
  owner: { deviceId: string; publicKey: string; secretKey: Uint8Array };
  devices?: string[];
  descriptors: ArrayLike<number>[];
  contentKey: Uint8Array;
  createdAt: number;
}): FaceTemplateEntry {
  const unsigned = FaceTemplateEntry.omit({ sig: true }).parse({
    v: 1,
    id: p.id,
    name: p.name,
    owner: p.owner.deviceId,
    ownerKey: p.owner.publicKey,
    devices: p.devices ?? [],
    createdAt: p.createdAt,
    shots: p.descriptors.length,
    sealed: seal(p.contentKey, encodeDescriptors(p.descriptors), templateAad(p.id, p.owner.deviceId)),
  });
  return signTemplate(unsigned, p.owner.secretKey);
}

/** The template's descriptors; throws `sealed-unreadable` (wrong key, moved, damaged) or `bad-signature`. */
export function openTemplate(t: FaceTemplateEntry, contentKey: Uint8Array): Float32Array[] {
  const problem = templateProblem(t);
  if (problem) throw new OsmoseError('bad-signature', `face template refused: ${problem}`);
  const descriptors = decodeDescriptors(open(contentKey, t.sealed, templateAad(t.id, t.owner)));
  if (descriptors.length !== t.shots) throw new OsmoseError('bad-request', 'face template holds another number of descriptors than it says');
  return descriptors;
}

// ---- in the room document ------------------------------------------------------------------

export const templateKey = (id: string): string => `t:${id}`;
export const wrappedKeyKey = (id: string, deviceId: string): string => `k:${id}:${deviceId}`;

/** Every well-formed template (signatures are checked where they are used: `templateProblem`). */
export function readFaceTemplates(doc: Y.Doc): FaceTemplateEntry[] {
  const out: FaceTemplateEntry[] = [];
  for (const [key, raw] of faceTemplates(doc).entries()) {
    if (!key.startsWith('t:') || out.length >= FACE_TEMPLATE_LIMITS.templates) continue;
    const t = FaceTemplateEntry.safeParse(raw);
    if (t.success && key === templateKey(t.data.id)) out.push(t.data);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** The template's content key wrapped for `deviceId`, if any. */
export function readWrappedKey(doc: Y.Doc, id: string, deviceId: string): WrappedKey | null {
  const w = WrappedKey.safeParse(faceTemplates(doc).get(wrappedKeyKey(id, deviceId)));
  return w.success && w.data.to === deviceId ? w.data : null;
}

/** Devices the template's key is wrapped for. */
export function wrappedFor(doc: Y.Doc, id: string): string[] {
  const prefix = `k:${id}:`;
  return [...faceTemplates(doc).keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/** Removes a template and every key wrapped for it (call inside a transaction). */
export function deleteTemplate(doc: Y.Doc, id: string): void {
  const map = faceTemplates(doc);
  for (const key of [...map.keys()]) if (key === templateKey(id) || key.startsWith(`k:${id}:`)) map.delete(key);
}
