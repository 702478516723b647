/**
 * Shared room compute without a browser: a client (the phone's microphone) and servers (room
 * devices) wired through an in-memory "mesh", with a scripted engine in place of the models.
 */
import { describe, expect, it } from 'vitest';
import { VoiceClient } from '../../../../src/voice/voice-client.ts';
import { VoiceServer } from '../../../../src/voice/voice-server.ts';
import { OrderedFeeder, toVoiceStep, type WakeEngine, type WakeStreamHandle } from '../../../../src/voice/engine.ts';
import { decodeAudioFrame, VOICE_LIMITS, type VoiceControl, type VoiceStep } from '../../../../protocol/voice.ts';
import type { Candidate } from '../../../../src/voice/server-choice.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

/** One step per 1280 samples; the score is the block's first sample (so tests choose it). */
function scriptedEngine(log: string[] = []): WakeEngine & { open_: number } {
  const e = {
    open_: 0,
    async open(phrases: readonly string[]): Promise<WakeStreamHandle> {
      e.open_++;
      log.push(`open ${phrases.join(',')}`);
      return {
        push: async (samples: Float32Array) => [{ vad: 0.9, speech: true, scores: { hey_jarvis: Math.max(0, Math.min(1, samples[0]!)) } } as VoiceStep],
        close: () => log.push('close'),
      };
    },
  };
  return e;
}

class Room {
  servers = new Map<string, { server: VoiceServer; offering: boolean; up: boolean }>();
  client!: VoiceClient;
  got: { steps: VoiceStep[]; server: string; rtt: number | null }[] = [];
  states: [string | null, boolean][] = [];
  now = 0;

  addServer(id: string, engine: WakeEngine = scriptedEngine(), offering = true) {
    const entry: { offering: boolean; up: boolean; server: VoiceServer } = {
      offering,
      up: true,
      server: new VoiceServer({
        engine,
        send: (to, msg) => void this.deliver(id, to, msg),
        offering: (): boolean => entry.offering,
        ownLoad: () => 0,
        changed: () => undefined,
      }),
    };
    this.servers.set(id, entry);
    return entry;
  }

  candidates(): Candidate[] {
    return [...this.servers].filter(([, s]) => s.up).map(([peerId, s]) => ({ peerId, visible: true, voice: { mic: 'off', serving: s.offering, load: s.server.load } }));
  }

  start() {
    this.client = new VoiceClient(
      {
        send: (to, msg) => {
          const s = this.servers.get(to);
          if (!s?.up) return false;
          void s.server.control('phone', msg);
          return true;
        },
        sendAudio: (to, bytes) => {
          const s = this.servers.get(to);
          const d = decodeAudioFrame(bytes);
          if (s?.up && d.ok) s.server.audio('phone', d.frame);
        },
        candidates: () => this.candidates(),
        steps: (steps, server, rtt) => this.got.push({ steps, server, rtt }),
        state: (server, live) => this.states.push([server, live]),
        now: () => this.now,
      },
      ['hey_jarvis'],
    );
    this.client.reconsider();
  }

  deliver(from: string, to: string, msg: VoiceControl) {
    if (to === 'phone' && this.servers.get(from)?.up) this.client.control(from, msg);
  }

  leave(id: string) {
    this.servers.get(id)!.up = false;
    this.servers.get(id)!.server.peerGone('phone');
    this.client.peerGone(id);
  }
}

const block = (score: number) => Float32Array.from({ length: 1280 }, (_, i) => (i === 0 ? score : 0));

describe('shared room compute', () => {
  it('streams to the chosen server and gets its steps back, with a round trip', async () => {
    const room = new Room();
    room.addServer('d2');
    room.addServer('d1');
    room.start();
    await tick();
    expect(room.client.server).toBe('d1');
    expect(room.client.live).toBe(true);
    room.now = 10;
    room.client.block(block(0.75));
    await tick();
    room.now = 20;
    expect(room.got).toHaveLength(1);
    expect(room.got[0]!.server).toBe('d1');
    expect(room.got[0]!.steps[0]!.scores.hey_jarvis).toBeCloseTo(0.75, 3);
    expect(room.got[0]!.rtt).toBe(0);
  });

  it('moves to the next server when its server leaves, and keeps going', async () => {
    const room = new Room();
    room.addServer('d1');
    room.addServer('d2');
    room.start();
    await tick();
    room.client.block(block(0.1));
    await tick();
    room.leave('d1');
    await tick();
    expect(room.client.server).toBe('d2');
    expect(room.client.live).toBe(true);
    room.client.block(block(0.2));
    await tick();
    // d2 first hears the kept block (replayed), then the new one.
    expect(room.got.map((g) => g.server)).toEqual(['d1', 'd2', 'd2']);
  });

  it('avoids a server that refuses (not offering, or full) and uses another', async () => {
    const room = new Room();
    room.addServer('d1', scriptedEngine(), false);
    room.addServer('d2');
    room.servers.get('d1')!.offering = true; // advertised, but refuses when asked
    const d1 = room.servers.get('d1')!;
    d1.server = new VoiceServer({ engine: scriptedEngine(), send: (to, msg) => void room.deliver('d1', to, msg), offering: () => false, ownLoad: () => 0, changed: () => undefined });
    room.start();
    await tick();
    await tick();
    expect(room.client.server).toBe('d2');
  });

  it('says when no device offers the service', async () => {
    const room = new Room();
    room.start();
    await tick();
    expect(room.client.server).toBeNull();
    expect(room.states.at(-1)).toEqual([null, false]);
  });

  it('a server caps its streams and refuses more with busy', async () => {
    const sent: VoiceControl[] = [];
    const server = new VoiceServer({ engine: scriptedEngine(), send: (_to, msg) => void sent.push(msg), offering: () => true, ownLoad: () => 1, changed: () => undefined });
    for (let i = 0; i < VOICE_LIMITS.maxStreams; i++) await server.control(`p${i}`, { op: 'open', stream: i, phrases: ['alexa'] });
    expect(server.load).toBe(VOICE_LIMITS.maxStreams - 1);
    expect(sent.filter((m) => m.op === 'refused')).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'busy' }) })]);
    server.peerGone('p0');
    expect(server.load).toBe(VOICE_LIMITS.maxStreams - 2);
  });

  it('a server drops audio for streams it does not run, and replayed frames', async () => {
    const log: string[] = [];
    const sent: VoiceControl[] = [];
    const server = new VoiceServer({ engine: scriptedEngine(log), send: (_to, msg) => void sent.push(msg), offering: () => true, ownLoad: () => 0, changed: () => undefined });
    server.audio('p', { stream: 9, seq: 1, samples: new Int16Array(1280) });
    await server.control('p', { op: 'open', stream: 1, phrases: ['hey_jarvis'] });
    server.audio('p', { stream: 1, seq: 5, samples: new Int16Array(1280) });
    server.audio('p', { stream: 1, seq: 5, samples: new Int16Array(1280) });
    server.audio('q', { stream: 1, seq: 6, samples: new Int16Array(1280) });
    await tick();
    expect(sent.filter((m) => m.op === 'result')).toHaveLength(1);
    await server.control('p', { op: 'close', stream: 1 });
    expect(log).toEqual(['open hey_jarvis', 'close']);
  });
});

describe('OrderedFeeder', () => {
  it('feeds in order, one push at a time, and drops the oldest beyond its backlog', async () => {
    const seen: number[] = [];
    let release: (() => void) | null = null;
    const stream: WakeStreamHandle = {
      push: (s) => new Promise((r) => ((release = () => r([{ vad: 0, speech: false, scores: {} }])), seen.push(s[0]!))),
      close: () => undefined,
    };
    const f = new OrderedFeeder(stream, () => undefined, () => undefined, 2);
    for (let i = 1; i <= 5; i++) f.push(Float32Array.of(i));
    expect(seen).toEqual([1]);
    expect(f.dropped).toBe(2);
    for (let i = 0; i < 3; i++) {
      release!();
      await tick();
    }
    expect(seen).toEqual([1, 4, 5]);
  });
});

describe('toVoiceStep', () => {
  it('keys scores by phrase, clamps, and reads the timer length from its best class', () => {
    const s = toVoiceStep({
      vad: 1.2,
      speech: true,
      scores: { 'hey_jarvis_v0.1': 0.9, 'timer_v0.1': 0.8, 'unknown_v9': 0.5 },
      classes: { 'timer_v0.1': { none: 0.1, '1_minute_timer': 0.1, '10_minute_timer': 0.7 } },
    });
    expect(s).toEqual({ vad: 1, speech: true, scores: { hey_jarvis: 0.9, timer: 0.8 }, timerMinutes: 10 });
  });
});

describe('shared room compute: failover replay', () => {
  it('sends the newest blocks to a new server first, so speech during the move is not lost', async () => {
    const room = new Room();
    room.addServer('d1');
    room.addServer('d2');
    room.start();
    await tick();
    for (let i = 1; i <= 3; i++) room.client.block(block(i / 10));
    await tick();
    room.leave('d1');
    // Spoken while the stream moves (d2 is opening).
    room.client.block(block(0.9));
    await tick();
    await tick();
    const onD2 = room.got.filter((g) => g.server === 'd2').map((g) => Math.round(g.steps[0]!.scores.hey_jarvis! * 10));
    expect(onD2).toEqual([1, 2, 3, 9]);
  });
});
