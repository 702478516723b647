import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import {
  AUDIO_FRAME_KIND, VOICE_LIMITS, VoiceControl, decodeAudioFrame, encodeAudioFrame, int16ToFloat, isAudioFrame, timerClassMinutes,
} from '../../../protocol/voice.ts';
import { FRAME, encodeSyncFrame } from '../../../protocol/sync-frames.ts';
import { MeshMessage } from '../../../protocol/mesh.ts';
import { Profile } from '../../../protocol/common.ts';
import { applyRetention, readTimers, readVoiceEvents, settings, timerMinutes, timers, voiceEvents } from '../../../protocol/room-doc.ts';

const DEV = 'd' + 'a'.repeat(32);

describe('audio frames', () => {
  it('round-trip 16-bit PCM with stream and seq', () => {
    const samples = Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -2]);
    const d = decodeAudioFrame(encodeAudioFrame(7, 123456, samples));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.frame.stream).toBe(7);
    expect(d.frame.seq).toBe(123456);
    expect(Array.from(d.frame.samples)).toEqual([0, 16384, -16383, 32767, -32767, 32767, -32767]);
    expect(int16ToFloat(d.frame.samples)[3]).toBe(1);
  });

  it('are told apart from memory frames by their first byte', () => {
    expect(isAudioFrame(encodeAudioFrame(1, 1, new Float32Array(4)))).toBe(true);
    for (const kind of Object.values(FRAME)) expect(isAudioFrame(encodeSyncFrame(kind, 0, new Uint8Array([1])))).toBe(false);
    expect(isAudioFrame(new Uint8Array())).toBe(false);
  });

  it('refuse odd lengths, empty audio, oversize frames and truncation with codes', () => {
    const good = encodeAudioFrame(1, 1, new Float32Array(10));
    const code = (b: Uint8Array) => {
      const d = decodeAudioFrame(b);
      return d.ok ? 'ok' : d.error.code;
    };
    expect(code(good.subarray(0, good.length - 1))).toBe('bad-request');
    expect(code(encodeAudioFrame(1, 1, new Float32Array(0)))).toBe('bad-request');
    expect(code(encodeAudioFrame(1, 1, new Float32Array(VOICE_LIMITS.frameSamples + 1)))).toBe('too-large');
    expect(code(new Uint8Array([AUDIO_FRAME_KIND]))).toBe('bad-request');
    expect(code(new Uint8Array([1, 2, 3]))).toBe('unknown-type');
  });

  it('never throw on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = bytes.length ? Uint8Array.from([AUDIO_FRAME_KIND, ...bytes.subarray(1)]) : bytes;
        decodeAudioFrame(b);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('voice control messages', () => {
  it('accept what the service sends and refuse what it never sends', () => {
    expect(VoiceControl.safeParse({ op: 'open', stream: 1, phrases: ['hey_jarvis'] }).success).toBe(true);
    expect(VoiceControl.safeParse({ op: 'result', stream: 1, seq: 2, steps: [{ vad: 0.9, speech: true, scores: { hey_jarvis: 0.7 }, timerMinutes: 5 }] }).success).toBe(true);
    expect(VoiceControl.safeParse({ op: 'open', stream: 1, phrases: [] }).success).toBe(false);
    expect(VoiceControl.safeParse({ op: 'open', stream: 1, phrases: ['free speech'] }).success).toBe(false);
    expect(VoiceControl.safeParse({ op: 'result', stream: 1, seq: 2, steps: [{ vad: 2, speech: true, scores: {} }] }).success).toBe(false);
    expect(VoiceControl.safeParse({ op: 'result', stream: 1, seq: 2, steps: [{ vad: 0, speech: true, scores: { nope: 0.1 } }] }).success).toBe(false);
    expect(VoiceControl.safeParse({ op: 'result', stream: -1, seq: 0, steps: [] }).success).toBe(false);
    expect(MeshMessage.safeParse({ v: 1, t: 'voice', msg: { op: 'close', stream: 3 } }).success).toBe(true);
  });

  it('keep older profiles (no voice field) valid', () => {
    const p = { name: 'A', caps: { webgpu: { available: false }, camera: null, microphone: null, cores: 2, memoryGb: null, memoryClass: null, battery: null, secureContext: true, app: '0.1.0', protocol: 1 }, visibility: 'visible', visibilitySince: 1 };
    expect(Profile.safeParse(p).success).toBe(true);
    expect(Profile.safeParse({ ...p, voice: { mic: 'live', serving: true, load: 1 } }).success).toBe(true);
    expect(Profile.safeParse({ ...p, voice: { mic: 'on', serving: true, load: 1 } }).success).toBe(false);
  });

  it('read the timer length off the timer model classes', () => {
    expect(timerClassMinutes('5_minute_timer')).toBe(5);
    expect(timerClassMinutes('1_hour_timer')).toBe(60);
    expect(timerClassMinutes('none')).toBeNull();
    expect(timerClassMinutes('9999_hour_timer')).toBeNull();
  });
});

describe('voice in the room document', () => {
  const event = (at: number, extra: object = {}) => ({ id: `e${at}`.padEnd(8, '0'), phrase: 'hey_jarvis', heardBy: DEV, heardByName: 'A', processedBy: DEV, score: 0.9, at, ...extra });

  it('reads valid events newest first and skips malformed ones', () => {
    const doc = new Y.Doc();
    voiceEvents(doc).push([event(1000), { junk: true }, event(3000), event(2000, { phrase: 'nope' }), event(2500, { score: 7 })]);
    expect(readVoiceEvents(doc).map((e) => e.at)).toEqual([3000, 1000]);
  });

  it('reads timers and the room default length, bounded', () => {
    const doc = new Y.Doc();
    timers(doc).set('t1', { id: 't1aaaaaaaa', startedBy: DEV, startedByName: 'A', startedAt: 0, durationMs: 60_000, cause: 'voice' });
    timers(doc).set('t2', { id: 't2aaaaaaaa', startedBy: DEV, startedByName: 'A', startedAt: 0, durationMs: 1, cause: 'voice' });
    expect(readTimers(doc).map((t) => t.id)).toEqual(['t1aaaaaaaa']);
    expect(timerMinutes(doc)).toBe(5);
    settings(doc).set('timerMinutes', 12);
    expect(timerMinutes(doc)).toBe(12);
    settings(doc).set('timerMinutes', -3);
    expect(timerMinutes(doc)).toBe(5);
  });

  it('retention removes old events and long-finished timers', () => {
    const doc = new Y.Doc();
    const day = 86_400_000;
    const now = 100 * day;
    voiceEvents(doc).push([event(now - 40 * day), event(now - day)]);
    timers(doc).set('old', { id: 'oldaaaaaaa', startedBy: DEV, startedByName: 'A', startedAt: now - 3 * 3_600_000, durationMs: 60_000, cause: 'manual' });
    timers(doc).set('new', { id: 'newaaaaaaa', startedBy: DEV, startedByName: 'A', startedAt: now - 60_000, durationMs: 300_000, cause: 'manual' });
    applyRetention(doc, now);
    expect(readVoiceEvents(doc).map((e) => e.at)).toEqual([now - day]);
    expect([...timers(doc).keys()]).toEqual(['new']);
  });
});
