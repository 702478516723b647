/**
 * The wire shapes of commands and the scribe: the room document's new roots are accepted by the
 * update checker (and writing elsewhere still is not), the mesh's key handover and the offloaded
 * speech-to-text messages validate, and readers skip what does not parse.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate } from '../../../protocol/update-check.ts';
import { DOC, ROOT_NAMES, commandEvents, newDoc, readCommandEvents } from '../../../protocol/room-doc.ts';
import { readScribeSessions, readUtterances, scribeSessions, scribeText } from '../../../protocol/scribe-doc.ts';
import { MeshMessage } from '../../../protocol/mesh.ts';
import { VoiceControl } from '../../../protocol/voice.ts';
import { newContentKey, newKeyAgreementPair, sealText, wrapKey } from '../../../protocol/sealed.ts';
import { scribeKeyContext, utteranceAad } from '../../../protocol/scribe.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';

const DEV = 'd' + 'c'.repeat(32);
const clocksOf = (doc: Y.Doc) => (c: number) => Y.getState(doc.store, c);

describe('the room document: commands and the scribe', () => {
  it('the update checker takes writes to the new roots, and still refuses any other root', () => {
    for (const root of ['commands', 'scribe', 'scribeText', 'scribeKeys']) expect(ROOT_NAMES.has(root)).toBe(true);
    const src = newDoc();
    src.getMap(DOC.scribe).set('s1', { hello: 1 });
    src.getArray(DOC.commands).push([{ x: 1 }]);
    expect(checkUpdate(Y.encodeStateAsUpdate(src), clocksOf(newDoc()), { roots: ROOT_NAMES }).ok).toBe(true);
    const rogue = newDoc();
    rogue.getMap('scribeKeyz').set('k', 1);
    expect(checkUpdate(Y.encodeStateAsUpdate(rogue), clocksOf(newDoc()), { roots: ROOT_NAMES })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('readers keep valid entries and skip the rest', () => {
    const doc = newDoc();
    const key = newContentKey();
    const base = { id: 'utterance-1', session: 'session-1', heardBy: DEV, processedBy: DEV, start: 10, end: 20 };
    scribeSessions(doc).set('session-1', { id: 'session-1', startedBy: DEV, startedByName: 'Ada', startedAt: 1, present: [{ deviceId: DEV, name: 'Ada' }] });
    scribeSessions(doc).set('session-2', { id: 'another-id', startedBy: DEV, startedByName: 'Ada', startedAt: 1, present: [{ deviceId: DEV, name: 'Ada' }] });
    scribeSessions(doc).set('session-3', { id: 'session-3', startedBy: 'nobody', startedAt: 1, present: [] });
    scribeText(doc).push([{ ...base, heardByName: 'Ada', text: sealText(key, 'hello', utteranceAad(base)) }, { ...base, id: 'utterance-2', heardByName: 'Ada', text: 'hello in the clear' }]);
    commandEvents(doc).push([{ id: 'command-1', wake: 'hey_jarvis', heardBy: DEV, heardByName: 'Ada', processedBy: DEV, at: 5, text: 'pin that', did: 'pin', ref: 'message-1' }, { id: 'command-2', did: 'launch-missiles' }]);
    expect(readScribeSessions(doc).map((s) => s.id)).toEqual(['session-1']);
    expect(readUtterances(doc).map((u) => u.id)).toEqual(['utterance-1']);
    expect(readCommandEvents(doc).map((c) => c.id)).toEqual(['command-1']);
  });
});

describe('mesh and voice messages', () => {
  it('a key handover validates; one without a wrapped key, with a stray context, or too long does not', () => {
    const kx = newKeyAgreementPair();
    const key = wrapKey(newContentKey(), { deviceId: DEV, x25519Public: kx.publicKey }, scribeKeyContext('session-1'));
    const good = { v: PROTOCOL_VERSION, t: 'sealed-key', context: 'scribe|session-1', key, grant: false };
    expect(MeshMessage.safeParse(good).success).toBe(true);
    for (const bad of [{ ...good, key: { ...key, c: 'short' } }, { ...good, context: 'scribe session 1' }, { ...good, context: `scribe|${'x'.repeat(200)}` }, { ...good, grant: 'yes' }]) {
      expect(MeshMessage.safeParse(bad).success).toBe(false);
    }
  });

  it('offloaded speech-to-text messages validate, with their limits', () => {
    expect(VoiceControl.safeParse({ op: 'stt-open', stream: 7, mode: 'command', cut: 'whole' }).success).toBe(true);
    expect(VoiceControl.safeParse({ op: 'stt-open', stream: 7, mode: 'shout', cut: 'whole' }).success).toBe(false);
    const r = { start: 0, end: 16_000, text: 'set a timer for seven minutes', command: { kind: 'timer', seconds: 420, text: 'set a timer for seven minutes' } };
    expect(VoiceControl.safeParse({ op: 'stt-results', stream: 7, results: [r], final: true }).success).toBe(true);
    expect(VoiceControl.safeParse({ op: 'stt-results', stream: 7, results: Array(9).fill(r), final: true }).success).toBe(false);
    expect(VoiceControl.safeParse({ op: 'stt-results', stream: 7, results: [{ ...r, text: 'x'.repeat(2001) }], final: true }).success).toBe(false);
  });
});
