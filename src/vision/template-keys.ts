/**
 * Who holds a face template's content key, and the one rule for handing it on (THREAT_MODEL.md,
 * "Face templates"): only the template's owner devices (the enrolling device and the devices it
 * linked) wrap its key, for themselves and for each device present in the room that says it runs
 * recognition, using the X25519 key that device's own device key vouched for in the mesh
 * handshake (`PeerSession.keyAgreementKey`). A recogniser never wraps for anyone. Pure functions
 * over the room document; the caller runs them in a transaction.
 *
 * (The scribe's sealed transcripts wrap keys for present devices with the same primitives; this
 * module is the faces' own, kept small so that the two can be unified.)
 */
import type * as Y from 'yjs';
import { unwrapKey, wrapKey, type KeyAgreementPair } from '../../protocol/sealed.ts';
import {
  ownerDevices, readWrappedKey, templateProblem, templateWrapContext, wrappedFor, wrappedKeyKey, type FaceTemplateEntry,
} from '../../protocol/face-templates.ts';
import { faceTemplates } from '../../protocol/room-doc.ts';

export interface KeyHolder {
  deviceId: string;
  kx: KeyAgreementPair;
}

/** A device a key may be wrapped for: its id and its vouched X25519 public key. */
export interface Recipient {
  deviceId: string;
  x25519Public: Uint8Array;
}

/** The template's content key as wrapped for this device, or null (none, or it does not open). */
export function contentKeyFor(doc: Y.Doc, t: FaceTemplateEntry, me: KeyHolder): Uint8Array | null {
  const wrapped = readWrappedKey(doc, t.id, me.deviceId);
  if (!wrapped) return null;
  try {
    return unwrapKey(wrapped, { deviceId: me.deviceId, x25519: me.kx }, templateWrapContext(t.id));
  } catch {
    return null;
  }
}

/** True when this device may wrap the template's key: it is one of the owner's devices and the signature holds. */
export function mayWrap(t: FaceTemplateEntry, deviceId: string): boolean {
  return ownerDevices(t).includes(deviceId) && templateProblem(t) === null;
}

/**
 * Wraps the keys of this device's templates (the ones it is an owner device of) for every
 * recipient that lacks one; returns how many it wrote. `recipients` are the present devices that
 * recognise faces, plus the owner devices themselves.
 */
export function wrapForRecipients(doc: Y.Doc, templates: readonly FaceTemplateEntry[], me: KeyHolder, recipients: readonly Recipient[]): number {
  let wrote = 0;
  const map = faceTemplates(doc);
  for (const t of templates) {
    if (!mayWrap(t, me.deviceId)) continue;
    const have = new Set(wrappedFor(doc, t.id));
    const missing = recipients.filter((r) => !have.has(r.deviceId));
    if (!missing.length) continue;
    const key = contentKeyFor(doc, t, me);
    if (!key) continue;
    for (const r of missing) {
      try {
        map.set(wrappedKeyKey(t.id, r.deviceId), wrapKey(key, r, templateWrapContext(t.id)));
        wrote++;
      } catch (err) {
        console.warn('[osmose] could not wrap a face template key for', r.deviceId.slice(0, 9), err);
      }
    }
  }
  return wrote;
}
