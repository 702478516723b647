/**
 * The scribe's keys (src/scribe/scribe.svelte.ts, room/sealed-keys.ts, protocol/sealed.ts): only
 * the devices present at the start get the session's key; a device that arrives later sees the
 * session and who was present, never the text, until a member holding the key grants it; a
 * device that leaves keeps what it was given; the hub's replica (real SQLite) holds no plaintext;
 * retention and deletion take the keys away; keys that are not what they claim are refused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { ScribeRoom, type TestDevice } from './scribe-room.ts';
import { readScribeKeys, readUtterances, scribeText } from '../../../../protocol/scribe-doc.ts';
import { applyRetention, settings } from '../../../../protocol/room-doc.ts';
import { newContentKey, wrapKey } from '../../../../protocol/sealed.ts';
import { scribeKeyContext } from '../../../../protocol/scribe.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';

let room: ScribeRoom;
afterEach(() => room?.close());

const SAID = 'the budget review moves to thursday';
const view = (d: TestDevice, session: string) => d.scribe.sessions.find((s) => s.session.id === session);
const texts = (d: TestDevice, session: string) => (view(d, session)?.utterances ?? []).map((u) => u.text);

/** Ada's microphone says something into the running session (her device seals it). */
function speak(d: TestDevice, text: string, at = room.now): void {
  expect(d.target, `${d.name} feeds the scribe`).not.toBeNull();
  d.target!.record({ start: at, end: at + 2_000, text, processedBy: d.id });
}

describe('the scribe: who holds the key', () => {
  it('gives the key to the devices present only; a late device sees the transcript exists, not its text, until granted', async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    const old = room.add('Olaf', { announces: false }); // an older app: no X25519 key
    const dan = room.add('Dan'); // in the room, but no mesh session with Ada yet
    room.mesh(ada, bea, old);

    const session = ada.scribe.start()!;
    expect(session).toBeTruthy();
    const keys = readScribeKeys(room.hub.doc, session);
    expect([...keys.keys()].sort()).toEqual([ada.id, bea.id].sort());
    expect(keys.get(bea.id)).toMatchObject({ from: ada.id, granted: false });
    await waitFor(() => expect(view(bea, session)?.readable).toBe(true));
    expect(view(bea, session)!.session.present.map((p) => p.name)).toEqual(['Ada', 'Bea']);
    expect(bea.target?.session).toBe(session);

    speak(ada, SAID);
    speak(bea, 'and the slides go out after lunch', room.now + 3_000);
    await waitFor(() => expect(texts(bea, session)).toEqual([SAID, 'and the slides go out after lunch']));
    await waitFor(() => expect(texts(ada, session)).toHaveLength(2));

    // Olaf and Dan see the session, who was present and how many utterances, no text.
    for (const d of [old, dan]) {
      await waitFor(() => expect(view(d, session)?.utterances).toHaveLength(2));
      expect(view(d, session)!.readable).toBe(false);
      expect(texts(d, session)).toEqual([null, null]);
      expect(view(d, session)!.session.present.map((p) => p.name)).toEqual(['Ada', 'Bea']);
      expect(d.target).toBeNull();
    }

    // Dan connects: a reader sees him as grantable; a device without the key cannot grant.
    room.mesh(ada, bea, dan);
    await waitFor(() => expect(view(bea, session)!.grantable.map((g) => g.name)).toContain('Dan'));
    expect(old.scribe.grant(session, dan.id)).toBe(false);
    expect(view(dan, session)!.readable).toBe(false);
    expect(bea.scribe.grant(session, dan.id)).toBe(true);
    await waitFor(() => expect(texts(dan, session)).toEqual([SAID, 'and the slides go out after lunch']));
    expect(readScribeKeys(room.hub.doc, session).get(dan.id)).toMatchObject({ from: bea.id, granted: true });
    await waitFor(() => expect(view(ada, session)!.grantable.map((g) => g.name)).not.toContain('Dan'));
    // Olaf cannot be granted: he has no X25519 key his device key vouched for.
    expect(view(ada, session)!.grantable.map((g) => g.name)).not.toContain('Olaf');
    expect(ada.scribe.grant(session, old.id)).toBe(false);
  });

  it("the hub's replica (SQLite) holds ciphertext only, and cannot open it", async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    room.mesh(ada, bea);
    const session = ada.scribe.start()!;
    speak(ada, SAID);
    await waitFor(() => expect(texts(bea, session)).toEqual([SAID]));
    const stored = room.hubBytes();
    // The search finds what the hub keeps in the clear (the session id, the speaker's name)...
    expect(stored).toContain(session);
    expect(stored).toContain('Ada');
    // ...and no part of what was said.
    for (const w of ['budget', 'review', 'thursday', SAID]) expect(stored.toLowerCase()).not.toContain(w);
    // What the hub's replica holds is sealed: its utterance has no text field in the clear.
    const [u] = readUtterances(room.hub.doc, session);
    expect(JSON.stringify(u)).not.toContain('budget');
  });

  it('a device that leaves mid-session keeps what it was given; one that arrives is given nothing by itself', async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    room.mesh(ada, bea);
    const session = ada.scribe.start()!;
    speak(ada, 'first');
    await waitFor(() => expect(texts(bea, session)).toEqual(['first']));
    room.disconnect(ada, bea);
    room.offline(bea);
    speak(ada, 'second', room.now + 5_000);
    // Bea comes back (syncs): she still reads the session with the key she was given.
    room.online(bea);
    bea.scribe.peersChanged();
    await waitFor(() => expect(texts(bea, session)).toEqual(['first', 'second']));
    // Carol arrives and connects to everyone: no key until someone grants one.
    const carol = room.add('Carol');
    room.mesh(ada, bea, carol);
    await waitFor(() => expect(view(carol, session)?.utterances).toHaveLength(2));
    expect(view(carol, session)!.readable).toBe(false);
    expect(readScribeKeys(room.hub.doc, session).has(carol.id)).toBe(false);
  });

  it('refuses keys that are not what they claim: for another device, from a device that did not start the session, or that do not open it', async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    const eve = room.add('Eve');
    room.mesh(ada, bea, eve);
    const session = ada.scribe.start()!;
    speak(ada, SAID);
    await waitFor(() => expect(view(eve, session)?.readable).toBe(true));
    const context = scribeKeyContext(session);
    const carol = room.add('Carol');
    room.mesh(ada, bea, eve, carol);
    await waitFor(() => expect(view(carol, session)?.utterances).toHaveLength(1));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const hand = (from: TestDevice, key: Uint8Array, grant: boolean, to = carol) =>
      carol.scribe.takeKey(from.id, { v: PROTOCOL_VERSION, t: 'sealed-key', context, key: wrapKey(key, { deviceId: to.id, x25519Public: to.kx.publicKey }, context), grant });
    // A made-up key (it opens none of the session's utterances), as a grant from a reader.
    hand(eve, newContentKey(), true);
    // A key wrapped for Bea, sent to Carol.
    carol.scribe.takeKey(ada.id, { v: PROTOCOL_VERSION, t: 'sealed-key', context, key: wrapKey(newContentKey(), { deviceId: bea.id, x25519Public: bea.kx.publicKey }, context), grant: true });
    // A "start" key from someone who did not start the session.
    hand(eve, newContentKey(), false);
    expect(warn).toHaveBeenCalledTimes(3);
    expect(readScribeKeys(room.hub.doc, session).has(carol.id)).toBe(false);
    expect(view(carol, session)!.readable).toBe(false);
    warn.mockRestore();
  });

  it('an utterance whose plain facts were changed (speaker, times) no longer opens', async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    room.mesh(ada, bea);
    const session = ada.scribe.start()!;
    speak(ada, SAID);
    await waitFor(() => expect(texts(bea, session)).toEqual([SAID]));
    const arr = scribeText(room.hub.doc);
    const moved = { ...(arr.get(0) as object), id: 'moved-utterance-1', start: room.now - 60_000 };
    room.hub.doc.transact(() => arr.push([moved]));
    // Reaches everyone through the hub; Bea's view shows it as unreadable, the genuine one still opens.
    await waitFor(() => expect(texts(bea, session)).toEqual([null, SAID]));
  });
});

describe('the scribe: retention and deletion destroy the keys', () => {
  it('deleting a transcript removes its session, utterances and every wrapped key, everywhere; devices compact', async () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    room.mesh(ada, bea);
    const session = ada.scribe.start()!;
    speak(ada, SAID);
    await waitFor(() => expect(texts(bea, session)).toEqual([SAID]));
    bea.scribe.delete(session);
    for (const d of [ada, bea]) await waitFor(() => expect(view(d, session)).toBeUndefined());
    expect(readScribeKeys(room.hub.doc, session).size).toBe(0);
    expect(readUtterances(room.hub.doc, session)).toEqual([]);
    expect(ada.compactions).toBeGreaterThan(0);
    expect(bea.compactions).toBeGreaterThan(0);
    expect(ada.target).toBeNull();
  });

  it('retention removes utterances that ended before the cutoff, then the session and its keys', () => {
    room = new ScribeRoom();
    const ada = room.add('Ada');
    const bea = room.add('Bea');
    room.mesh(ada, bea);
    room.hub.doc.transact(() => settings(room.hub.doc).set('retentionDays', 1));
    const session = ada.scribe.start()!;
    speak(ada, SAID);
    ada.scribe.stop();
    const day = 86_400_000;
    const t0 = room.now;
    // A day and a half later Carol is let in: her key is younger than the cutoff below.
    room.now += 1.5 * day;
    const carol = room.add('Carol');
    room.mesh(ada, bea, carol);
    expect(ada.scribe.grant(session, carol.id)).toBe(true);
    expect(readScribeKeys(room.hub.doc, session).size).toBe(3);
    const kept = applyRetention(ada.doc, t0 + day / 2);
    expect(kept.scribe).toBe(0);
    const gone = applyRetention(ada.doc, t0 + 2 * day);
    // One utterance, the session, and its three keys (Carol's with them, however young).
    expect(gone.scribe).toBe(5);
    for (const doc of [room.hub.doc, bea.doc, carol.doc]) expect(readScribeKeys(doc, session).size).toBe(0);
  });
});
