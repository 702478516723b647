/** The ledger's accounting: every byte, one row per item per minute, retention. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayStore } from '../../../../hub/gateway/store.ts';
import { Ledger, COALESCE_MS } from '../../../../hub/gateway/ledger.ts';

function ledger() {
  const store = new GatewayStore(fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-ledger-')));
  let t = 1_000_000;
  const l = new Ledger(store.db, () => t);
  return { l, advance: (ms: number) => (t += ms), store };
}
const ctx = { linkId: 'l' + '1'.repeat(24), invitationId: 'i' + '1'.repeat(24), scope: 'note:n1', toRoom: { id: 'rabcdefghij', name: 'FW16', place: '' } };

describe('ledger', () => {
  it('says nothing left while nothing did', () => {
    const { l } = ledger();
    expect(l.summary()).toEqual({ items: 0, bytes: 0, entries: 0 });
    expect(l.entries()).toEqual([]);
  });

  it('counts every byte; frames about one item within a minute share a row', () => {
    const { l, advance } = ledger();
    l.record(ctx, 'note:n1', 'the note “Plan”', 100);
    advance(1000);
    l.record(ctx, 'note:n1', 'the note “Plan”', 50);
    l.record(ctx, 'link', 'keep-alive', 30);
    advance(COALESCE_MS + 1);
    l.record(ctx, 'note:n1', 'the note “Plan v2”', 7);
    const rows = l.entries();
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.linkId === ctx.linkId).reduce((a, r) => a + r.bytes, 0)).toBe(187);
    const first = rows.find((r) => r.item === 'note:n1' && r.frames === 2)!;
    expect(first).toMatchObject({ bytes: 150, toRoom: { name: 'FW16' }, invitationId: ctx.invitationId, scope: 'note:n1' });
    // Link upkeep is bytes, not an item.
    expect(l.summary()).toEqual({ items: 1, bytes: 187, entries: 3 });
  });

  it('forgets rows older than the room keeps its data', () => {
    const { l, advance } = ledger();
    l.record(ctx, 'message:m1', 'a message', 10);
    advance(2 * 86_400_000);
    l.record(ctx, 'message:m2', 'a message', 20);
    expect(l.prune(1)).toBe(1);
    expect(l.entries().map((e) => e.item)).toEqual(['message:m2']);
  });

  it('retention also removes spent invitations and ended links', () => {
    const { store } = ledger();
    const scope = { kind: 'board' as const };
    store.addInvitation({ id: 'i' + '2'.repeat(24), tokenHash: 'h1', scope, label: 'the board', access: 'read', expiresAt: 1000, multiUse: false, uses: 0, createdBy: 'd', createdByName: 'A', createdAt: 0, revokedAt: null });
    store.addInvitation({ id: 'i' + '3'.repeat(24), tokenHash: 'h2', scope, label: 'the board', access: 'read', expiresAt: 9_000_000, multiUse: false, uses: 0, createdBy: 'd', createdByName: 'A', createdAt: 0, revokedAt: null });
    const link = { id: 'l' + '2'.repeat(24), role: 'inviter' as const, invitationId: 'i' + '2'.repeat(24), room: ctx.toRoom, scope, label: 'the board', access: 'read' as const, expiresAt: 5000, createdAt: 0, secret: 'h', host: null, port: null, fingerprint: null, caPem: null, endedAt: null, endReason: null, endMessage: null };
    store.addLink(link);
    store.addLink({ ...link, id: 'l' + '3'.repeat(24) });
    store.endLink(link.id, 2000, 'ended', 'x');
    store.markReceived(link.id, ['msg-00001']);
    expect(store.pruneBefore(5000)).toBe(2);
    expect(store.link(link.id)).toBeNull();
    expect(store.link('l' + '3'.repeat(24))).not.toBeNull(); // still open
    expect(store.invitation('i' + '3'.repeat(24))).not.toBeNull();
    expect(store.received(link.id).size).toBe(0);
  });
});
