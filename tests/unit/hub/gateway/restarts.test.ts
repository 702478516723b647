/**
 * Links across restarts: both hubs restart and the link carries on, catching up what was written
 * meanwhile; an end made while the other hub was down, or as both stopped, reaches it once it is back.
 */
import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { notes } from '../../../../protocol/room-doc.ts';
import { addNote, invite, noteText, restartRoom, startRoom, until } from './support.ts';
import { startRelay } from './relay.ts';

describe('restarts', () => {
  it('a link survives both hubs restarting; edits made meanwhile arrive; nothing is duplicated', async () => {
    let x = await startRoom('RX01');
    let y = await startRoom('RY01');
    try {
      const n = addNote(x, 'Durable', 'base');
      const inv = invite(x, { scope: { kind: 'note', id: n }, access: 'write', expiresInMinutes: 60, multiUse: false });
      const link = await y.gateway.accept(inv.code!);
      await until(() => noteText(y, n) === 'base', 'mirror');

      // The inviting hub goes down; the other room keeps editing its copy.
      await x.close();
      const yBody = notes(y.memory.doc).get(n)!.get('body') as Y.Text;
      y.memory.doc.transact(() => yBody.insert(4, ' while X was down'), 'dev-y');
      x = await restartRoom(x);
      await until(() => noteText(x, n) === 'base while X was down', 'the edit at X after its restart', 20_000);

      // Now the accepting hub restarts; X edits meanwhile.
      const xBody = notes(x.memory.doc).get(n)!.get('body') as Y.Text;
      await y.close();
      y = await restartRoom(y);
      x.memory.doc.transact(() => xBody.insert(0, '[X] '), 'dev-x');
      await until(() => noteText(y, n) === '[X] base while X was down', 'the edit at Y after its restart', 20_000);
      expect(y.gateway.state().links[0]).toMatchObject({ id: link.id, status: 'connected' });
      expect(noteText(x, n)).toBe('[X] base while X was down');

      // X goes down again; a member of Y ends the link meanwhile. When X is back, Y tells it.
      await x.close();
      y.gateway.end(link.id);
      expect(noteText(y, n)).toBeNull();
      x = await restartRoom(x);
      await until(() => x.gateway.state().links.length === 0, 'X to hear of the end after its restart', 20_000);
      expect(x.gateway.state().recentlyEnded[0]).toMatchObject({ id: link.id, reason: 'ended' });
      expect(noteText(x, n)).toBe('[X] base while X was down'); // the inviting room keeps its note
    } finally {
      await x.close();
      await y.close();
    }
  });
  it('a hub stopped right after a member ended a link raises nothing, and its end reaches the other room after restarts', async () => {
    let x = await startRoom('RX02');
    let y = await startRoom('RY02');
    // x's address and certificate stay the same across its restart: the relay reaches it again.
    const relay = await startRelay(x);
    const errors: Error[] = [];
    const onError = (err: Error) => errors.push(err);
    process.on('uncaughtException', onError);
    try {
      const n = addNote(x, 'Short-lived', 'x');
      const inv = invite(x, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      const link = await y.gateway.accept(relay.via(inv.code!));
      await until(() => noteText(y, n) === 'x', 'mirror');
      // Ended while connected; the other hub dies at once, and this hub stops at once: the
      // socket reports its close after this gateway's store is closed.
      y.gateway.end(link.id);
      const xClosed = x.close();
      await y.close();
      await xClosed;
      await until(() => relay.open === 0, 'the ended link’s connection to be gone at both ends');
      expect(errors).toEqual([]);
      x = await restartRoom(x);
      y = await restartRoom(y);
      await until(() => x.gateway.state().recentlyEnded.some((l) => l.id === link.id), 'X to hear of the end once both are back', 20_000);
      await until(() => y.gateway.store.pendingEnds().length === 0, 'the recorded end to be settled');
    } finally {
      process.off('uncaughtException', onError);
      await relay.close();
      await y.close();
      await x.close();
    }
  });
});
