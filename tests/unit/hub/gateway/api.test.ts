/**
 * The app's gateway API over real HTTP: members only (the room credential), validated bodies,
 * typed refusals, no way to write the ledger; /display gets the banners and the count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../../hub/hub.ts';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { addNote, startRoom, until } from './support.ts';

let A: Hub;
let B: Hub;
const dev = 'd' + 'c'.repeat(32);
let headers: Record<string, string>;

beforeAll(async () => {
  A = await startRoom('APIA');
  B = await startRoom('APIB');
  const { token } = new JoinAuth(A.secrets(), 3_600_000).issueCredential(dev);
  headers = { authorization: `Bearer ${token}`, 'x-osmose-device': dev, 'content-type': 'application/json' };
});
afterAll(async () => {
  await A.close();
  await B.close();
});

const api = (hub: Hub, path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${hub.ports.http}${path}`, init);

describe('gateway API', () => {
  it('answers members only', async () => {
    expect((await api(A, '/api/gateway')).status).toBe(401);
    expect((await api(A, '/api/gateway', { headers: { ...headers, authorization: 'Bearer 0000000000.' + 'x'.repeat(43) } })).status).toBe(401);
    const ok = await api(A, '/api/gateway', { headers });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ v: 1, links: [], invitations: [], ledger: { items: 0, bytes: 0, entries: 0 } });
  });

  it('makes an invitation from a valid body only, and the code is in that answer alone', async () => {
    const note = addNote(A, 'Api note', 'x');
    const bad = await api(A, '/api/gateway/invitations', { method: 'POST', headers, body: JSON.stringify({ v: 1, scope: { kind: 'room' }, access: 'read', expiresInMinutes: 5, multiUse: false }) });
    expect(bad.status).toBe(400);
    const missing = await api(A, '/api/gateway/invitations', { method: 'POST', headers, body: JSON.stringify({ v: 1, scope: { kind: 'note', id: 'nosuchnote9' }, access: 'read', expiresInMinutes: 5, multiUse: false }) });
    expect(missing.status).toBe(422);
    expect((await missing.json()).error.code).toBe('invitation-scope');
    const res = await api(A, '/api/gateway/invitations', { method: 'POST', headers, body: JSON.stringify({ v: 1, scope: { kind: 'note', id: note }, access: 'write', expiresInMinutes: 5, multiUse: false }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { invitation } = (await res.json()) as { invitation: { id: string; code: string; url: string } };
    expect(invitation.code).toMatch(/^osmose-invite1\./);
    expect(invitation.url).toContain('/invite#osmose-invite1.');
    const state = (await (await api(A, '/api/gateway', { headers })).json()) as { invitations: Record<string, unknown>[] };
    expect(state.invitations).toHaveLength(1);
    expect(state.invitations[0]).not.toHaveProperty('code');
    expect(JSON.stringify(state)).not.toContain(invitation.code.slice(15, 40));

    // Accept through B's API (B's own member), then end it through A's.
    const { token: bToken } = new JoinAuth(B.secrets(), 3_600_000).issueCredential(dev);
    const bHeaders = { ...headers, authorization: `Bearer ${bToken}` };
    const refused = await api(B, '/api/gateway/accept', { method: 'POST', headers: bHeaders, body: JSON.stringify({ v: 1, code: 'nonsense' }) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: 'invitation-forged' });
    const accepted = await api(B, '/api/gateway/accept', { method: 'POST', headers: bHeaders, body: JSON.stringify({ v: 1, code: invitation.url }) });
    expect(accepted.status).toBe(200);
    const { link } = (await accepted.json()) as { link: { id: string; banner: string } };
    expect(link.banner).toBe('This room is connected to APIA: the note “Api note”, read and write');
    await until(() => A.gateway.state().links.length === 1, 'the link at A');

    // /display (loopback) shows the banner and the count.
    const display = (await (await api(A, '/api/display/state')).json()) as { gateway: { links: { banner: string }[]; ledger: { items: number } } };
    expect(display.gateway.links[0]?.banner).toContain('This room is connected to APIB');
    expect(display.gateway.ledger.items).toBeGreaterThan(0);

    const end = await api(A, `/api/gateway/links/${link.id}/end`, { method: 'POST', headers, body: JSON.stringify({ v: 1 }) });
    expect(end.status).toBe(200);
    await until(() => B.gateway.state().links.length === 0, 'B to hear the end');
  });

  it('has no way to change the ledger', async () => {
    const before = A.gateway.ledger.summary();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await api(A, '/api/gateway/ledger', { method, headers, body: method === 'DELETE' ? undefined : JSON.stringify({ v: 1, entries: [] }) });
      expect(r.status).toBe(404);
    }
    const listed = (await (await api(A, '/api/gateway/ledger', { headers })).json()) as { entries: { item: string; toRoom: { name: string } }[] };
    expect(listed.entries.length).toBe(before.entries);
    expect(listed.entries.every((e) => e.toRoom.name === 'APIB')).toBe(true);
    expect(A.gateway.ledger.summary()).toEqual(before);
  });

  it('serves the invitation landing page without the code', async () => {
    const r = await api(A, '/invite');
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('Accept an invitation');
  });
});
