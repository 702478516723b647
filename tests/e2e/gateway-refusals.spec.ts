/**
 * Every refusal, between real hub processes on the test network (10.99.0.1), through each room's
 * own gateway API as a member's app calls it: forged, expired, replayed, already used, wrongly
 * scoped, a certificate that is not the pinned one; and a hostile hub cut off mid-link.
 */
import { test, expect } from './support/fixtures.ts';
import { TestHub } from './support/hub.ts';
import { b64uEncode, deriveRoomKeys, deviceIdFromPublicKey, hmacB64u, joinProofMessage, newDeviceKeyPair, signB64u } from '../../protocol/crypto.ts';

/** A member's credential, obtained as the app does (challenge, proof, signature). */
async function member(hub: TestHub): Promise<Record<string, string>> {
  const kp = newDeviceKeyPair();
  const deviceId = deviceIdFromPublicKey(kp.publicKey);
  const publicKey = b64uEncode(kp.publicKey);
  const post = async (path: string, body: unknown) => (await fetch(hub.httpOrigin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>;
  const { roomId, secret } = hub.room();
  const { nonce } = await post('/api/join/challenge', { v: 1 });
  const m = joinProofMessage(roomId, deviceId, publicKey, nonce);
  const joined = await post('/api/join', { v: 1, roomId, deviceId, publicKey, nonce, proof: hmacB64u(deriveRoomKeys(secret).joinKey, m), sig: signB64u(kp.secretKey, m) });
  return { authorization: `Bearer ${joined.credential.token}`, 'x-osmose-device': deviceId, 'content-type': 'application/json' };
}

async function call(hub: TestHub, who: Record<string, string>, path: string, body?: unknown) {
  const res = await fetch(hub.httpOrigin + path, { method: body ? 'POST' : 'GET', headers: who, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function tamper(code: string, change: (p: Record<string, any>) => void): string {
  const p = JSON.parse(Buffer.from(code.slice('osmose-invite1.'.length), 'base64url').toString()) as Record<string, any>;
  change(p);
  return 'osmose-invite1.' + Buffer.from(JSON.stringify(p)).toString('base64url');
}

test('refusals between two rooms, each with a clear code and message', async ({ hub }) => {
  const b = new TestHub('gw-refuse-b', { name: 'FW16' });
  const c = new TestHub('gw-refuse-c', { name: 'SS03' });
  await Promise.all([b.start(), c.start()]);
  try {
    const [inA, inB, inC] = await Promise.all([member(hub), member(b), member(c)]);
    // A note in room A, made through A's memory is not needed: a thread is shared by id, so
    // make the invitation for the board (always there) and for a note id that does not exist.
    const noNote = await call(hub, inA, '/api/gateway/invitations', { v: 1, scope: { kind: 'note', id: 'nosuchnote1' }, access: 'read', expiresInMinutes: 5, multiUse: false });
    expect(noNote.status).toBe(422);
    expect(noNote.body.error).toMatchObject({ code: 'invitation-scope' });
    const boardWrite = await call(hub, inA, '/api/gateway/invitations', { v: 1, scope: { kind: 'board' }, access: 'write', expiresInMinutes: 5, multiUse: false });
    expect(boardWrite.body.error.code).toBe('invitation-scope');

    const made = await call(hub, inA, '/api/gateway/invitations', { v: 1, scope: { kind: 'board' }, access: 'read', expiresInMinutes: 5, multiUse: false });
    expect(made.status).toBe(200);
    const code = made.body.invitation.code as string;
    const url = made.body.invitation.url as string;
    expect(url.startsWith(`https://10.99.0.1:${hub.httpsPort}/invite#osmose-invite1.`)).toBe(true);

    const accept = (who: Record<string, string>, room: TestHub, text: string) => call(room, who, '/api/gateway/accept', { v: 1, code: text });
    const cases: [string, string, string, RegExp][] = [
      ['forged (not a code)', 'hello', 'invitation-forged', /not an Osmose invitation/],
      ['forged (unknown token)', tamper(code, (p) => (p.token = 'Z'.repeat(43))), 'invitation-forged', /never made that invitation/],
      ['expired', tamper(code, (p) => (p.expiresAt = Date.now() - 1)), 'invitation-expired', /expired/],
      ['a certificate that is not the pinned one', tamper(code, (p) => (p.fp = 'ab'.repeat(32))), 'fingerprint-mismatch', /certificate does not match/],
      ['wrongly scoped (the code says write)', tamper(code, (p) => (p.access = 'write')), 'invitation-scope', /only be shared read only|different scope/],
    ];
    for (const [what, text, codeWanted, message] of cases) {
      const r = await accept(inB, b, text);
      expect(r.body.error?.code, what).toBe(codeWanted);
      expect(r.body.error?.message, what).toMatch(message);
      expect(JSON.stringify(r.body), what).not.toContain(code.slice(40, 80)); // no token echoed
    }

    // Accepted once; the same room again is a replay; another room finds it used.
    const ok = await accept(inB, b, url);
    expect(ok.status).toBe(200);
    expect(ok.body.link.banner).toBe('This room is connected to FW15: the board, read only');
    const again = await accept(inB, b, code);
    expect(again.body.error).toMatchObject({ code: 'invitation-replayed' });
    const used = await accept(inC, c, code);
    expect(used.body.error).toMatchObject({ code: 'invitation-used' });
    expect(used.body.error.message).toMatch(/another room already accepted/);

    // A room connecting to itself.
    const self = await call(hub, inA, '/api/gateway/invitations', { v: 1, scope: { kind: 'board' }, access: 'read', expiresInMinutes: 5, multiUse: true });
    expect((await accept(inA, hub, self.body.invitation.code)).body.error.code).toBe('invitation-scope');

    // Both rooms list the link; ending it from B ends it at A.
    const stateA = await call(hub, inA, '/api/gateway');
    expect(stateA.body.links).toHaveLength(1);
    expect((await call(b, inB, `/api/gateway/links/${ok.body.link.id}/end`, { v: 1 })).status).toBe(200);
    await expect.poll(async () => (await call(hub, inA, '/api/gateway')).body.links.length).toBe(0);
    // Nothing in scope (the board is empty): what left A was the handshake, presence and the board listing.
    const ledger = await call(hub, inA, '/api/gateway/ledger');
    expect(new Set(ledger.body.entries.map((e: { item: string }) => e.item))).toEqual(new Set(['link', 'presence', 'board']));
    type Row = { what: string; toRoom: { name: string } | null };
    const rows = ledger.body.entries as Row[];
    expect(rows.filter((e) => !e.what.startsWith('refusal')).every((e) => e.toRoom?.name === 'FW16')).toBe(true);
    // Refusals left A too: the unknown token's to no room, the used invitation's to the room that presented it.
    expect(new Set(rows.filter((e) => e.what.startsWith('refusal')).map((e) => e.toRoom?.name ?? 'none'))).toEqual(new Set(['none', 'SS03']));
  } finally {
    await Promise.all([b.stop(), c.stop()]);
  }
});
