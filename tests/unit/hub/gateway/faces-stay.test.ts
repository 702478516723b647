/**
 * Face templates never cross a gateway, whatever an invitation says: a link to another room with
 * each scope at its fullest (a note read and write, a thread read and write, the board) carries no
 * template, no wrapped key, no name enrolled, no vision event; a board pin pointing at a template
 * carries nothing; an invitation cannot name the faces at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../../hub/hub.ts';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { newContentKey, newKeyAgreementPair, wrapKey } from '../../../../protocol/sealed.ts';
import { makeTemplate, templateKey, templateWrapContext, wrappedKeyKey } from '../../../../protocol/face-templates.ts';
import { board, faceTemplates, visionEvents } from '../../../../protocol/room-doc.ts';
import { ALICE, addNote, hostileLink, invite, post, startRoom, tamper, until } from './support.ts';

let A: Hub;
let B: Hub;
beforeAll(async () => {
  A = await startRoom('FW15');
  B = await startRoom('FW16');
});
afterAll(async () => {
  await Promise.all([A, B].map((h) => h?.close()));
});

describe('face templates and gateways', () => {
  it('a link with full access, for each scope, carries nothing of the faces', async () => {
    const kp = newDeviceKeyPair();
    const owner = { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: b64uEncode(kp.publicKey), secretKey: kp.secretKey };
    const kx = newKeyAgreementPair();
    const key = newContentKey();
    const descriptors = Array.from({ length: 3 }, (_, i) => Array.from({ length: 128 }, (_, k) => Math.sin(i + k) / 7));
    const t = makeTemplate({ id: 'tmplfaceonly42', name: 'Zephyrine Faceowner', owner, descriptors, contentKey: key, createdAt: Date.now() });
    const wrapped = wrapKey(key, { deviceId: owner.deviceId, x25519Public: kx.publicKey }, templateWrapContext(t.id));
    const event = { id: 'visionevent42', kind: 'unknown-face', camera: owner.deviceId, cameraName: 'Laptop', spot: 'secretspot', processedBy: owner.deviceId, inView: 2, at: Date.now() };
    const note = addNote(A, 'Plan', 'shared text');
    const root = post(A, 'A thread');
    post(A, 'a reply', root);
    A.memory.doc.transact(() => {
      faceTemplates(A.memory.doc).set(templateKey(t.id), t);
      faceTemplates(A.memory.doc).set(wrappedKeyKey(t.id, owner.deviceId), wrapped);
      visionEvents(A.memory.doc).push([event]);
      // A hostile pin: "a note" whose ref is the template.
      board(A.memory.doc).set('pin-at-face-1', { kind: 'note', ref: t.id, pinnedBy: ALICE.deviceId, pinnedAt: Date.now() });
      board(A.memory.doc).set('pin-at-note-1', { kind: 'note', ref: note, pinnedBy: ALICE.deviceId, pinnedAt: Date.now() });
    }, 'local');
    const secrets = [t.id, t.name, t.sealed.c.slice(0, 40), t.sig.slice(0, 40), wrapped.c, wrapped.e, event.id, event.spot, owner.publicKey];

    const scopes = [
      { scope: { kind: 'note', id: note }, access: 'write', sentinel: 'note-sync' },
      { scope: { kind: 'thread', id: root }, access: 'write', sentinel: '"t":"message"' },
      { scope: { kind: 'board' }, access: 'read', sentinel: '"t":"board"' },
    ] as const;
    let i = 0;
    for (const { scope, access, sentinel } of scopes) {
      const link = await hostileLink(A, scope, access, `rfaces00000${i++}`);
      // A thread's messages follow the other room's list of what it has (none here).
      if (scope.kind === 'thread') link.ws.send(JSON.stringify({ v: 1, t: 'thread-have', rootId: scope.id, ids: [] }));
      await until(() => link.frames.some((f) => f.includes(sentinel)), `the ${scope.kind}'s first frame`);
      // The board went out, with the note pinned and without the pin that points at the template.
      if (scope.kind === 'board') {
        const b = JSON.parse(link.frames.find((f) => f.includes('"t":"board"'))!) as { items: { id: string }[] };
        expect(b.items.map((x) => x.id)).toEqual(['pin-at-note-1']);
      }
      const all = link.frames.join('\n');
      for (const s of secrets) expect(all, `${scope.kind} link carried ${s.slice(0, 12)}…`).not.toContain(s);
      link.ws.close();
    }
  });

  it('an invitation cannot name the faces, and a code forged to do so is refused', async () => {
    expect(() => invite(A, { scope: { kind: 'faces' } as never, access: 'read', expiresInMinutes: 5, multiUse: false })).toThrow();
    const note = addNote(A, 'Another', 'x');
    const inv = invite(A, { scope: { kind: 'note', id: note }, access: 'write', expiresInMinutes: 5, multiUse: false });
    const forged = tamper(inv.code!, (p) => void (p.scope = { kind: 'faces' }));
    await expect(B.gateway.accept(forged)).rejects.toMatchObject({ code: expect.stringMatching(/invitation-forged|invitation-scope|bad-request/) });
    expect(B.memory.doc.share.has('faces') ? [...faceTemplates(B.memory.doc).keys()] : []).toEqual([]);
  });
});
