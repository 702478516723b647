/**
 * Face templates between devices of one room: enrolled on one device, usable only where its
 * owner's device wrapped the key, never by a device that merely holds the document; a recogniser
 * does not pass keys on; a template not signed by its owner device is refused; the owner's
 * devices delete it with one action.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { newContentKey, newKeyAgreementPair } from '../../../../protocol/sealed.ts';
import { makeTemplate, templateKey, wrappedFor, wrappedKeyKey } from '../../../../protocol/face-templates.ts';
import { faceTemplates, newDoc, readVisionEvents } from '../../../../protocol/room-doc.ts';
import { RoomVisionState } from '../../../../src/vision/room-vision.svelte.ts';

function device(name: string) {
  const kp = newDeviceKeyPair();
  const me = { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: b64uEncode(kp.publicKey), secretKey: kp.secretKey, kx: newKeyAgreementPair(), name: () => name };
  const doc = newDoc();
  return { me, doc, recipient: { deviceId: me.deviceId, x25519Public: me.kx.publicKey } };
}

/** Every document gets every other's updates (a room whose sync is instant). */
function room(...devices: { doc: Y.Doc }[]) {
  for (const a of devices) {
    a.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === 'sync') return;
      for (const b of devices) if (b !== a) Y.applyUpdate(b.doc, u, 'sync');
    });
  }
}

const shots = (seed: number) => Array.from({ length: 3 }, (_, i) => Array.from({ length: 128 }, (_, k) => Math.cos(seed + i * 0.02 + k * 0.3) * 0.1));

describe('face templates across the room', () => {
  it('enrolled on a phone, recognised on the laptop it wrapped a key for, unreadable elsewhere', () => {
    const phone = device('Anil');
    const laptop = device('Laptop');
    const other = device('Bea');
    room(phone, laptop, other);
    const [p, l, o] = [phone, laptop, other].map((d) => new RoomVisionState(d.doc, d.me));
    const t = p!.enrol('Anil', shots(1), [laptop.recipient]);
    expect(wrappedFor(phone.doc, t.id).sort()).toEqual([phone.me.deviceId, laptop.me.deviceId].sort());
    const usable = l!.usable();
    expect(usable.map((u) => u.id)).toEqual([t.id]);
    expect(usable[0]!.descriptors[1]![5]).toBeCloseTo(shots(1)[1]![5]!, 6);
    expect(l!.nameOf(t.id)).toBe('Anil');
    expect(o!.usable()).toEqual([]);
    expect(o!.templates[0]).toMatchObject({ name: 'Anil', valid: true, mine: false });
    expect(p!.templates[0]).toMatchObject({ mine: true, enrolledHere: true, holders: expect.arrayContaining([laptop.me.deviceId]) });
  });

  it('only the owner devices wrap a key for a new recogniser; a recogniser does not pass it on', () => {
    const phone = device('Anil');
    const laptop = device('Laptop');
    const newcomer = device('Projector');
    room(phone, laptop, newcomer);
    const [p, l, n] = [phone, laptop, newcomer].map((d) => new RoomVisionState(d.doc, d.me));
    const t = p!.enrol('Anil', shots(2), [laptop.recipient]);
    // The laptop holds the key, but is not Anil's: it wraps nothing for the newcomer.
    expect(l!.ensureWraps([newcomer.recipient])).toBe(0);
    expect(n!.usable()).toEqual([]);
    // Anil's phone, present, does.
    expect(p!.ensureWraps([newcomer.recipient, laptop.recipient])).toBe(1);
    expect(n!.usable().map((u) => u.id)).toEqual([t.id]);
  });

  it("nobody enrols under someone else's device: a template not signed by its owner device is refused and never used", () => {
    const anil = device('Anil');
    const mallory = device('Mallory');
    const laptop = device('Laptop');
    room(anil, mallory, laptop);
    const l = new RoomVisionState(laptop.doc, laptop.me);
    // Mallory writes a template naming Anil's device as its owner, signed with her own key, and wraps its key for the laptop.
    const key = newContentKey();
    const forged = makeTemplate({ id: 'forged-anil-1', name: 'Anil', owner: { ...mallory.me, deviceId: anil.me.deviceId, publicKey: anil.me.publicKey }, descriptors: shots(3), contentKey: key, createdAt: Date.now() });
    const m = new RoomVisionState(mallory.doc, mallory.me);
    mallory.doc.transact(() => faceTemplates(mallory.doc).set(templateKey(forged.id), forged));
    m.ensureWraps([laptop.recipient]);
    expect(l.templates).toMatchObject([{ id: forged.id, valid: false }]);
    expect(l.usable()).toEqual([]);
    expect(l.nameOf(forged.id)).toBeNull();
    // Altering Anil's genuine template (another face under his name) is refused the same way.
    const a = new RoomVisionState(anil.doc, anil.me);
    const real = a.enrol('Anil', shots(4), [laptop.recipient]);
    expect(l.usable().map((u) => u.id)).toEqual([real.id]);
    const swapped = makeTemplate({ id: real.id, name: 'Anil', owner: mallory.me, descriptors: shots(5), contentKey: key, createdAt: real.createdAt });
    mallory.doc.transact(() => faceTemplates(mallory.doc).set(templateKey(real.id), { ...swapped, owner: real.owner, ownerKey: real.ownerKey }));
    expect(l.templates.find((t) => t.id === real.id)?.valid).toBe(false);
    expect(l.usable()).toEqual([]);
  });

  it('a linked device can delete the face with one action, and hands the key on like the phone', () => {
    const phone = device('Anil');
    const tablet = device("Anil's tablet");
    const laptop = device('Laptop');
    const stranger = device('Bea');
    room(phone, tablet, laptop, stranger);
    const [p, tb, l, s] = [phone, tablet, laptop, stranger].map((d) => new RoomVisionState(d.doc, d.me));
    const t = p!.enrol('Anil', shots(6), []);
    p!.link(t.id, tablet.recipient);
    expect(tb!.templates[0]).toMatchObject({ mine: true, enrolledHere: false, valid: true, devices: [tablet.me.deviceId] });
    expect(() => tb!.link(t.id, stranger.recipient)).toThrow(/only the device that enrolled/);
    // The phone has left; the tablet hands the key to a recogniser.
    expect(tb!.ensureWraps([laptop.recipient])).toBe(1);
    expect(l!.usable().map((u) => u.id)).toEqual([t.id]);
    // Somebody else's "delete mine" does nothing to Anil's face.
    expect(s!.deleteMine()).toBe(0);
    expect(tb!.deleteMine()).toBe(1);
    for (const d of [phone, tablet, laptop, stranger]) expect([...faceTemplates(d.doc).keys()]).toEqual([]);
    expect(l!.usable()).toEqual([]);
    expect(wrappedFor(laptop.doc, t.id)).toEqual([]);
    expect(faceTemplates(laptop.doc).get(wrappedKeyKey(t.id, laptop.me.deviceId))).toBeUndefined();
  });

  it('records what a camera saw as room events, named by its camera and spot', () => {
    const laptop = device('Laptop');
    const v = new RoomVisionState(laptop.doc, laptop.me);
    v.record({ kind: 'more-than-devices', spot: 'table', processedBy: laptop.me.deviceId, inView: 4, devices: 2 });
    expect(readVisionEvents(laptop.doc)).toMatchObject([{ kind: 'more-than-devices', camera: laptop.me.deviceId, cameraName: 'Laptop', spot: 'table', inView: 4, devices: 2 }]);
    expect(v.events.length).toBe(1);
  });
});
