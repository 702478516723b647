/**
 * Speech to text offloaded to a room device, without a browser: the phone's side (stt-offload.ts,
 * scribe-feed.ts) and the room device's (stt-server.ts) wired through an in-memory mesh that
 * carries the real messages and audio frames, with a scripted engine in place of Moonshine.
 */
import { describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { SttOffload } from '../../../../src/voice/stt-offload.ts';
import { SttServer } from '../../../../src/voice/stt-server.ts';
import { ScribeFeed } from '../../../../src/voice/scribe-feed.ts';
import type { SttEngine, SttStreamHandle } from '../../../../src/voice/stt-engine.ts';
import { decodeAudioFrame, STT_OFFLOAD_LIMITS, VoiceControl, type OffloadedText } from '../../../../protocol/voice.ts';

const PHONE = 'd' + 'a'.repeat(32);
const LAPTOP = 'd' + 'b'.repeat(32);

/** One utterance per second of audio pushed (16,000 samples), its text "u<n>"; flush closes the rest. */
function scriptedEngine(log: string[] = []): SttEngine {
  return {
    async transcribe(samples, mode) {
      log.push(`transcribe ${samples.length} ${mode}`);
      return { start: 0, end: samples.length, text: `heard ${samples.length} samples`, ...(mode === 'command' ? { command: { kind: 'unknown' as const, text: 'x' } } : {}) };
    },
    async open(mode): Promise<SttStreamHandle> {
      log.push(`open ${mode}`);
      let total = 0;
      let start = 0;
      let k = 0;
      const cut = (to: number): OffloadedText[] => (to > start ? [{ start, end: (start = to), text: `u${++k}` }] : []);
      return {
        push: async (s) => {
          log.push(`push ${s.length}`);
          total += s.length;
          return total - start >= 16_000 ? cut(total) : [];
        },
        flush: async () => cut(total),
        close: () => log.push('close'),
      };
    },
    warm: () => undefined,
  };
}

function mesh(opts: { offering?: boolean; engine?: SttEngine } = {}) {
  const log: string[] = [];
  const state = { offering: opts.offering ?? true, laptopUp: true };
  let offload!: SttOffload;
  const server = new SttServer({
    engine: opts.engine ?? scriptedEngine(log),
    send: (to, msg) => {
      expect(to).toBe(PHONE);
      offload.control(LAPTOP, VoiceControl.parse(msg) as never);
    },
    offering: () => state.offering,
    changed: () => undefined,
  });
  offload = new SttOffload({
    send: (to, msg) => {
      if (to !== LAPTOP || !state.laptopUp) return false;
      const m = VoiceControl.parse(msg);
      if (m.op === 'stt-open' || m.op === 'stt-end' || m.op === 'close') server.control(PHONE, m);
      return true;
    },
    sendAudio: (to, bytes) => {
      const d = decodeAudioFrame(bytes);
      if (to === LAPTOP && state.laptopUp && d.ok) server.audio(PHONE, d.frame);
    },
  });
  return { server, offload, log, state };
}

describe('speech to text on a room device', () => {
  it('transcribes a command sent whole (in frames of at most 4,000 samples), in command mode', async () => {
    const { offload, log } = mesh();
    const t = await offload.transcribe(LAPTOP, new Float32Array(37_000).fill(0.25), 'command', 5_000);
    expect(t.text).toBe('heard 37000 samples');
    expect(t.command).toEqual({ kind: 'unknown', text: 'x' });
    expect(log).toEqual(['transcribe 37000 command']);
  });

  it('is refused by a device that does not offer the service, and by one already transcribing four microphones', async () => {
    const off = mesh({ offering: false });
    await expect(off.offload.transcribe(LAPTOP, new Float32Array(100), 'command', 5_000)).rejects.toMatchObject({ code: 'busy' });
    const full = mesh();
    const lost: string[] = [];
    for (let i = 0; i < STT_OFFLOAD_LIMITS.maxStreams; i++) full.offload.open(LAPTOP, 'free', () => undefined, (e) => lost.push(e.code));
    expect(full.server.load).toBe(STT_OFFLOAD_LIMITS.maxStreams);
    await expect(full.offload.transcribe(LAPTOP, new Float32Array(100), 'command', 5_000)).rejects.toMatchObject({ code: 'busy' });
    expect(lost).toEqual([]);
  });

  it('a microphone stream is cut into utterances there, each text coming back; the end flushes the last one', async () => {
    const { offload, server, log } = mesh();
    const got: OffloadedText[] = [];
    const s = offload.open(LAPTOP, 'free', (r) => got.push(...r), (e) => {
      throw e;
    });
    const speak = (blocks: number) => {
      for (let i = 0; i < blocks; i++) s.push(new Float32Array(1280).fill(0.1));
    };
    speak(13);
    await waitFor(() => expect(got.map((r) => r.text)).toEqual(['u1']));
    speak(13);
    await waitFor(() => expect(got.map((r) => r.text)).toEqual(['u1', 'u2']));
    speak(4);
    await s.end();
    expect(got.map((r) => [r.text, r.start, r.end])).toEqual([['u1', 0, expect.any(Number)], ['u2', expect.any(Number), expect.any(Number)], ['u3', expect.any(Number), 30 * 1280]]);
    expect(server.load).toBe(0);
    expect(log[0]).toBe('open free');
    await waitFor(() => expect(log.at(-1)).toBe('close'));
  });

  it('a stream whose room device leaves is lost (the caller moves it)', async () => {
    const { offload } = mesh();
    const lost = vi.fn();
    offload.open(LAPTOP, 'free', () => undefined, lost);
    const pending = offload.transcribe(LAPTOP, new Float32Array(10), 'command', 60_000);
    offload.peerGone(LAPTOP);
    await expect(pending).rejects.toMatchObject({ code: 'not-found' });
    expect(lost).toHaveBeenCalledWith(expect.objectContaining({ code: 'not-found' }));
  });
});

describe("the scribe's feed from this microphone", () => {
  it('runs on the room device that runs the microphone, and maps each utterance to wall-clock time', async () => {
    const { offload } = mesh();
    const records: { start: number; end: number; text: string; processedBy: string }[] = [];
    const feed = new ScribeFeed({ deviceId: PHONE, engine: scriptedEngine(), offload, changed: () => undefined, now: () => 1_000_000 });
    feed.want({ session: 'session-0001', record: (u) => records.push(u) });
    feed.route(true, LAPTOP);
    expect(feed.state).toEqual({ session: 'session-0001', by: LAPTOP });
    for (let i = 0; i < 25; i++) feed.block(new Float32Array(1280));
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toEqual({ start: 1_000_000, end: 1_000_000 + Math.round(25 * 1280 / 16) - Math.round(((25 * 1280 - 16_000) % 16_000) / 16), text: 'u1', processedBy: LAPTOP });
    // Stopping flushes what was said last.
    for (let i = 0; i < 5; i++) feed.block(new Float32Array(1280));
    feed.stop();
    await waitFor(() => expect(records.map((r) => r.text)).toEqual(['u1', 'u2']));
    expect(feed.state).toBeNull();
  });

  it('runs here when the room device refuses, and does not ask it again at once', async () => {
    const { offload, state } = mesh({ offering: false });
    const log: string[] = [];
    const records: { processedBy: string; text: string }[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const feed = new ScribeFeed({ deviceId: PHONE, engine: scriptedEngine(log), offload, changed: () => undefined });
    feed.want({ session: 'session-0002', record: (u) => records.push(u) });
    feed.route(true, LAPTOP);
    expect(feed.state).toEqual({ session: 'session-0002', by: PHONE });
    expect(log).toEqual(['open free']);
    state.offering = true;
    feed.route(true, LAPTOP);
    expect(feed.state?.by).toBe(PHONE);
    for (let i = 0; i < 13; i++) feed.block(new Float32Array(1280));
    await waitFor(() => expect(records).toEqual([{ start: expect.any(Number), end: expect.any(Number), text: 'u1', processedBy: PHONE }]));
    warn.mockRestore();
  });
});
