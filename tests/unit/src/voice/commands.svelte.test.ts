/**
 * Carrying out spoken commands (src/voice/command-flow.ts, command-runner.ts, app/command-room.ts)
 * against the room's real state on a device (its memory on fake-indexeddb, its voice state, its
 * scribe): a table of what was heard → what the room did and the event it recorded. Then the
 * fallback: the fixed timer phrase stands in when speech to text fails, and acts alone while
 * commands are off.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { RoomMemoryState } from '../../../../src/memory/room-memory.svelte.ts';
import { RoomVoiceState } from '../../../../src/voice/room-voice.svelte.ts';
import { ScribeState } from '../../../../src/scribe/scribe.svelte.ts';
import { CommandFlow } from '../../../../src/voice/command-flow.ts';
import { commandRoom } from '../../../../src/app/command-room.ts';
import { msUntil } from '../../../../src/voice/command-runner.ts';
import { newKeyAgreementPair } from '../../../../protocol/sealed.ts';
import { readBoard, readNotes, readTimers, notes } from '../../../../protocol/room-doc.ts';
import { activeScribe } from '../../../../protocol/scribe-doc.ts';
import type * as Y from 'yjs';

const ME = 'd' + 'a'.repeat(32);
/** 15:00 local time on a Monday. */
const NOW = new Date(2026, 0, 5, 15, 0, 0).getTime();
let n = 0;
const opened: RoomMemoryState[] = [];
afterEach(async () => {
  for (const m of opened.splice(0)) await m.close();
});

async function device(opts: { enabled?: boolean; failing?: boolean } = {}) {
  const me = { deviceId: ME, name: () => 'Ada' };
  const memory = new RoomMemoryState(`cmd-room-${++n}-${Date.now()}`, me, { hub: () => false, peer: () => undefined });
  await memory.open();
  opened.push(memory);
  const roomVoice = new RoomVoiceState(memory.doc, me);
  const scribe = new ScribeState({ doc: memory.doc, me: { ...me, x25519: newKeyAgreementPair() }, mesh: () => null, nameOf: (id) => id, feed: () => undefined, compact: () => undefined, now: () => NOW });
  const room = commandRoom({ roomVoice, memory, scribe, people: () => ['Ada', 'Bea'] });
  const spoken: string[] = [];
  const state = { enabled: opts.enabled ?? true, failing: opts.failing ?? false, now: NOW };
  const flow = new CommandFlow({
    transcribe: async (samples) => {
      if (state.failing) throw new Error('speech to text is not available');
      return { result: { start: 0, end: samples.length, text: heard }, by: ME };
    },
    room: () => room,
    enabled: () => state.enabled,
    speak: (t) => spoken.push(t),
    now: () => state.now,
  });
  let heard = '';
  let seq = 0;
  /** "Hey Jarvis", a pause, `text` (as the model will hear it), silence; and, if given, the timer phrase firing meanwhile. */
  const say = async (text: string, timerMinutes?: number) => {
    heard = text;
    state.now += 10_000;
    const before = roomVoice.commands.length;
    const start = seq;
    for (let i = 0; i < 40; i++, seq++) {
      flow.block(seq, new Float32Array(1280));
      if (i === 5) flow.wake(seq, 'hey_jarvis');
      if (i === 14 && timerMinutes) flow.timerPhrase(timerMinutes);
      flow.step(seq, i >= 10 && i <= 20);
    }
    expect(seq - start).toBe(40);
    await waitFor(() => expect(roomVoice.commands.length).toBe(before + 1));
    return roomVoice.commands[0]!;
  };
  return { memory, roomVoice, scribe, flow, say, spoken, state, doc: memory.doc as Y.Doc };
}

describe('spoken commands: what each does, and the event it leaves', () => {
  it('carries out each command and records the text heard with what it did', async () => {
    const d = await device();
    d.memory.post('the budget is approved');
    await waitFor(() => expect(d.memory.timeline).toHaveLength(1));
    const message = d.memory.timeline[0]!.id;

    const rows: { heard: string; did: string; check: (e: Awaited<ReturnType<typeof d.say>>) => void }[] = [
      { heard: 'Set a timer for seven minutes.', did: 'timer', check: (e) => (expect(e.durationMs).toBe(7 * 60_000), expect(readTimers(d.doc).find((t) => t.id === e.ref)?.durationMs).toBe(7 * 60_000)) },
      { heard: 'Set a timer for an hour and a half.', did: 'timer', check: (e) => expect(readTimers(d.doc).find((t) => t.id === e.ref)).toMatchObject({ durationMs: 90 * 60_000, cause: 'voice', startedBy: ME }) },
      // About 15:00 now: "ten past four" is 16:10, about 70 minutes away.
      { heard: 'Set a timer for ten past four.', did: 'timer', check: (e) => expect(new Date(d.state.now + e.durationMs!).toTimeString().slice(0, 5)).toBe('16:10') },
      { heard: 'Note that the budget review moves to Thursday.', did: 'note', check: (e) => {
        expect(readNotes(d.doc).find((x) => x.id === e.ref)?.title).toBe('The budget review moves to Thursday');
        expect(String(notes(d.doc).get(e.ref!)?.get('body'))).toBe('the budget review moves to Thursday');
      } },
      // The newest item is the note just made: "pin that" pins it.
      { heard: 'Pin that.', did: 'pin', check: (e) => expect(readBoard(d.doc).map((b) => b.ref)).toContain(e.ref) },
      { heard: 'Pin that.', did: 'nothing-to-pin', check: () => expect(readBoard(d.doc)).toHaveLength(1) },
      { heard: 'Who is here?', did: 'who-is-here', check: (e) => (expect(e.names).toEqual(['Ada', 'Bea']), expect(d.spoken.at(-1)).toBe('Here: Ada and Bea')) },
      { heard: 'Start the scribe.', did: 'scribe-on', check: (e) => expect(activeScribe(d.doc)?.id).toBe(e.ref) },
      { heard: 'Start the scribe.', did: 'scribe-unchanged', check: () => expect(activeScribe(d.doc)).not.toBeNull() },
      { heard: 'Stop the scribe.', did: 'scribe-off', check: () => expect(activeScribe(d.doc)).toBeNull() },
      // Not a command: shown as heard, nothing done.
      { heard: 'Santa time after an hour.', did: 'not-understood', check: () => expect(readTimers(d.doc)).toHaveLength(3) },
      { heard: '', did: 'nothing-heard', check: () => expect(readTimers(d.doc)).toHaveLength(3) },
    ];
    for (const row of rows) {
      const e = await d.say(row.heard);
      expect(e, row.heard).toMatchObject({ did: row.did, text: row.heard, heardBy: ME, heardByName: 'Ada', processedBy: ME, wake: 'hey_jarvis' });
      row.check(e);
    }
    expect(readBoard(d.doc).map((b) => b.ref)).not.toContain(message);
  });

  it('the fixed timer phrase is left to the command while speech to text works', async () => {
    const d = await device();
    const e = await d.say('Set a timer for seven minutes.', 10);
    expect(e.did).toBe('timer');
    expect(readTimers(d.doc).map((t) => t.durationMs)).toEqual([7 * 60_000]);
    // Heard without a wake word: not acted on.
    expect(d.flow.timerPhrase(10)).toBe(false);
  });

  it('when speech to text fails, the timer phrase heard during the command stands in, then acts alone for a minute', async () => {
    const d = await device({ failing: true });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const e = await d.say('(not heard)', 10);
    warn.mockRestore();
    expect(e).toMatchObject({ did: 'unavailable', durationMs: 10 * 60_000, text: '' });
    expect(readTimers(d.doc).find((t) => t.id === e.ref)?.durationMs).toBe(10 * 60_000);
    expect(d.flow.timerPhrase(5)).toBe(true);
    d.state.now += 61_000;
    expect(d.flow.timerPhrase(5)).toBe(false);
  });

  it('with commands off, a wake word starts no capture and the timer phrase acts', async () => {
    const d = await device({ enabled: false });
    d.flow.wake(1, 'hey_jarvis');
    expect(d.flow.capturing).toBe(false);
    expect(d.flow.timerPhrase(5)).toBe(true);
  });

  it('a time of day: the next time the clock shows it, either half of the day', () => {
    const at = (h: number, m: number) => new Date(2026, 0, 5, h, m, 0);
    expect(msUntil(4, 10, at(15, 0))).toBe(70 * 60_000);
    expect(msUntil(4, 10, at(3, 0))).toBe(70 * 60_000);
    expect(msUntil(16, 10, at(17, 0))).toBe(23 * 3_600_000 + 10 * 60_000);
    expect(msUntil(null, 10, at(15, 20))).toBe(50 * 60_000);
    expect(msUntil(null, 30, at(15, 20))).toBe(10 * 60_000);
  });
});
