/**
 * Face templates in the room document: sealed so that only devices a key was wrapped for can read
 * them, signed so that nobody can enrol (or alter) a face under another device, swept by retention.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../protocol/crypto.ts';
import { newContentKey, newKeyAgreementPair, unwrapKey, wrapKey } from '../../../protocol/sealed.ts';
import {
  decodeDescriptors, deleteTemplate, encodeDescriptors, makeTemplate, openTemplate, readFaceTemplates, readWrappedKey, signTemplate,
  templateKey, templateProblem, templateWrapContext, wrappedFor, wrappedKeyKey, type FaceTemplateEntry,
} from '../../../protocol/face-templates.ts';
import { ROOT_NAMES, applyRetention, faceTemplates, newDoc, settings } from '../../../protocol/room-doc.ts';
import { checkUpdate } from '../../../protocol/update-check.ts';

function device() {
  const kp = newDeviceKeyPair();
  return { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: b64uEncode(kp.publicKey), secretKey: kp.secretKey, kx: newKeyAgreementPair() };
}
const descriptors = (seed: number, n = 3) => Array.from({ length: n }, (_, i) => Array.from({ length: 128 }, (_, k) => Math.sin(seed * 7 + i * 0.01 + k) * 0.2));

describe('face templates', () => {
  const anil = device();
  const key = newContentKey();
  const t = makeTemplate({ id: 'tmpl-anil-1', name: 'Anil', owner: anil, descriptors: descriptors(1), contentKey: key, createdAt: 1_000 });

  it('opens with its key to the descriptors enrolled (float32), and is signed by its owner device', () => {
    expect(templateProblem(t)).toBeNull();
    const back = openTemplate(t, key);
    expect(back.length).toBe(3);
    back.forEach((d, i) => d.forEach((x, k) => expect(x).toBeCloseTo(descriptors(1)[i]![k]!, 6)));
    expect(() => openTemplate(t, newContentKey())).toThrow(expect.objectContaining({ code: 'sealed-unreadable' }));
  });

  it('refuses a template whose name, links, count or descriptors were changed after signing', () => {
    const mallory = device();
    expect(templateProblem({ ...t, name: 'Mallory' })).toMatch(/not signed/);
    expect(templateProblem({ ...t, devices: [mallory.deviceId] })).toMatch(/not signed/);
    expect(templateProblem({ ...t, shots: 2 })).toMatch(/not signed/);
    const other = makeTemplate({ id: 'tmpl-anil-1', name: 'Anil', owner: anil, descriptors: descriptors(9), contentKey: key, createdAt: 1_000 });
    expect(templateProblem({ ...t, sealed: other.sealed })).toMatch(/not signed/);
    expect(() => openTemplate({ ...t, name: 'Mallory' }, key)).toThrow(expect.objectContaining({ code: 'bad-signature' }));
  });

  it('nobody can enrol under another device: a template claiming an owner it was not signed by is refused', () => {
    const mallory = device();
    // Mallory's face, her signature, Anil's device as owner.
    const forged = makeTemplate({ id: 'tmpl-forged', name: 'Anil', owner: { ...mallory, deviceId: anil.deviceId }, descriptors: descriptors(2), contentKey: key, createdAt: 2 });
    expect(templateProblem(forged)).toMatch(/owner key/);
    // Anil's key as ownerKey, Mallory's signature.
    const { sig: _s, ...rest } = forged;
    const withAnilsKey = signTemplate({ ...rest, ownerKey: anil.publicKey }, mallory.secretKey);
    expect(templateProblem(withAnilsKey)).toMatch(/not signed/);
  });

  it("an owner's ciphertext moved into another template does not open there", () => {
    const mallory = device();
    const mine = makeTemplate({ id: 'tmpl-mal-1', name: 'Mallory', owner: mallory, descriptors: descriptors(3), contentKey: key, createdAt: 3 });
    // Mallory re-signs Anil's sealed descriptors as her own template: the signature holds, the seal does not open.
    const { sig: _s, ...rest } = mine;
    const moved = signTemplate({ ...rest, sealed: t.sealed }, mallory.secretKey);
    expect(templateProblem(moved)).toBeNull();
    expect(() => openTemplate(moved, key)).toThrow(expect.objectContaining({ code: 'sealed-unreadable' }));
  });

  it('descriptors decode only as whole, finite float32 descriptors, 1 to 8 of them', () => {
    expect(decodeDescriptors(encodeDescriptors(descriptors(4, 8))).length).toBe(8);
    expect(() => encodeDescriptors(descriptors(4, 9))).toThrow();
    expect(() => decodeDescriptors(new Uint8Array(511))).toThrow();
    const nan = encodeDescriptors(descriptors(4, 1));
    new DataView(nan.buffer).setFloat32(0, NaN, true);
    expect(() => decodeDescriptors(nan)).toThrow();
  });
});

describe('face templates in the room document', () => {
  it('is a root the update checker accepts; entries are read validated, keys per device', () => {
    expect(ROOT_NAMES.has('faces')).toBe(true);
    expect(ROOT_NAMES.has('vision')).toBe(true);
    const anil = device();
    const laptop = device();
    const doc = newDoc();
    const key = newContentKey();
    const t = makeTemplate({ id: 'tmpl-anil-2', name: 'Anil', owner: anil, descriptors: descriptors(5), contentKey: key, createdAt: Date.now() });
    const before = Y.encodeStateVector(doc);
    doc.transact(() => {
      const m = faceTemplates(doc);
      m.set(templateKey(t.id), t);
      m.set(wrappedKeyKey(t.id, laptop.deviceId), wrapKey(key, { deviceId: laptop.deviceId, x25519Public: laptop.kx.publicKey }, templateWrapContext(t.id)));
      m.set('t:not-the-id', t); // filed under another key: ignored
      m.set('t:junk-entry', { v: 1, name: 'x' });
    });
    const update = Y.encodeStateAsUpdate(doc, before);
    expect(checkUpdate(update, () => 0, { roots: ROOT_NAMES }).ok).toBe(true);
    expect(readFaceTemplates(doc).map((x) => x.id)).toEqual([t.id]);
    expect(wrappedFor(doc, t.id)).toEqual([laptop.deviceId]);
    const w = readWrappedKey(doc, t.id, laptop.deviceId)!;
    expect(unwrapKey(w, { deviceId: laptop.deviceId, x25519: laptop.kx }, templateWrapContext(t.id))).toEqual(key);
    expect(readWrappedKey(doc, t.id, anil.deviceId)).toBeNull();
    doc.transact(() => deleteTemplate(doc, t.id));
    expect([...faceTemplates(doc).keys()].filter((k) => k.includes(t.id))).toEqual([]);
  });

  it("retention forgets templates older than the room's retention, their keys, and keys left without a template", () => {
    const anil = device();
    const doc = newDoc();
    const key = newContentKey();
    const now = Date.now();
    const day = 86_400_000;
    const old: FaceTemplateEntry = makeTemplate({ id: 'tmpl-old-1', name: 'Old', owner: anil, descriptors: descriptors(6), contentKey: key, createdAt: now - 31 * day });
    const fresh = makeTemplate({ id: 'tmpl-new-1', name: 'New', owner: anil, descriptors: descriptors(7), contentKey: key, createdAt: now - day });
    const w = wrapKey(key, { deviceId: anil.deviceId, x25519Public: anil.kx.publicKey }, 'x');
    doc.transact(() => {
      settings(doc).set('retentionDays', 30);
      const m = faceTemplates(doc);
      for (const x of [old, fresh]) {
        m.set(templateKey(x.id), x);
        m.set(wrappedKeyKey(x.id, anil.deviceId), w);
      }
      m.set(wrappedKeyKey('tmpl-gone-1', anil.deviceId), w);
      m.set('junk', 1);
    });
    applyRetention(doc, now);
    expect([...faceTemplates(doc).keys()].sort()).toEqual([templateKey(fresh.id), wrappedKeyKey(fresh.id, anil.deviceId)].sort());
  });
});
