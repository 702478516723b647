/**
 * Property tests: whatever arrives on a wire, the decoders answer with a value or a typed error,
 * and a peer session never throws and never opens for garbage.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, type Decoded } from '../../../protocol/codec.ts';
import { ERROR_CODES, OsmoseError } from '../../../protocol/errors.ts';
import { LIMITS } from '../../../protocol/limits.ts';
import { MeshMessage } from '../../../protocol/mesh.ts';
import { ClientMessage, HubMessage } from '../../../protocol/room-channel.ts';
import { SignalingFrame } from '../../../protocol/signaling.ts';
import { decodeFrameRaw } from '../../../hub/signaling/frame-guard.ts';
import { PeerSession, type SessionState } from '../../../src/mesh/peer-session.ts';
import type { WireError } from '../../../protocol/errors.ts';
import { DEVICE_B, VALID, makeMe, profile } from '../fixtures.ts';

const RUNS = { seed: 42, numRuns: 3000 } as const;
const SCHEMAS = [
  ['ClientMessage', ClientMessage, LIMITS.roomFrameBytes, VALID.client],
  ['HubMessage', HubMessage, LIMITS.hubFrameBytes, VALID.hub],
  ['MeshMessage', MeshMessage, LIMITS.meshFrameBytes, VALID.mesh],
] as const;

// ---- inputs ------------------------------------------------------------------------------

const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 }));
const jsonText = fc.oneof(fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'));
/** Objects that get past the version check, so the schemas themselves are exercised. */
const versioned = fc
  .record({ t: fc.oneof(fc.constantFrom('hello', 'profile', 'bye', 'ping', 'pong', 'chat', 'auth', 'error', 'welcome', 'roster'), fc.string()) })
  .chain((base) => fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }).map((extra) => JSON.stringify({ ...extra, ...base, v: 1 })));
const bytes = fc.uint8Array({ maxLength: 512 });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `v` (objects and arrays), the root excluded. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return keys.flatMap((k) => [[...prefix, k], ...paths((v as Record<string | number, Json>)[k]!, [...prefix, k])]);
}

function mutateAt(root: Json, path: (string | number)[], op: 'drop' | 'replace', value: Json): Json {
  const copy = structuredClone(root);
  let parent = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (op === 'drop') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

/** A valid frame of `valid`, then one mutation: drop or retype a field anywhere, truncate, or splice in junk. */
function mutated(valid: readonly object[]): fc.Arbitrary<string> {
  return fc.constantFrom(...valid).chain((frame) => {
    const json = frame as Json;
    const text = JSON.stringify(json);
    const all = paths(json);
    return fc.oneof(
      fc.record({ i: fc.nat(all.length - 1), op: fc.constantFrom('drop' as const, 'replace' as const), value: fc.jsonValue({ maxDepth: 2 }) }).map(({ i, op, value }) =>
        JSON.stringify(mutateAt(json, all[i]!, op, value as Json)),
      ),
      fc.nat(text.length).map((n) => text.slice(0, n)),
      fc.record({ at: fc.nat(text.length), junk: anyString }).map(({ at, junk }) => text.slice(0, at) + junk + text.slice(at)),
      fc.constantFrom(text),
    );
  });
}

// ---- checks ------------------------------------------------------------------------------

function isTypedFailure(r: Decoded<unknown>): boolean {
  return !r.ok && r.error instanceof OsmoseError && (ERROR_CODES as readonly string[]).includes(r.error.code);
}

function assertDecodes(schema: (typeof SCHEMAS)[number][1], max: number, raw: unknown): Decoded<unknown> {
  const r = decodeFrame(schema, raw, max);
  expect(r.ok || isTypedFailure(r)).toBe(true);
  return r;
}

// ---- decodeFrame ---------------------------------------------------------------------------

describe.each(SCHEMAS)('decodeFrame(%s) never throws', (_name, schema, max, valid) => {
  it('on random strings', () => {
    fc.assert(fc.property(anyString, (s) => void assertDecodes(schema, max, s)), RUNS);
  });

  it('on random JSON values', () => {
    fc.assert(fc.property(jsonText, (s) => void assertDecodes(schema, max, s)), RUNS);
  });

  it('on random objects carrying the right version', () => {
    fc.assert(fc.property(versioned, (s) => void assertDecodes(schema, max, s)), RUNS);
  });

  it('on random bytes, as Uint8Array and as ArrayBuffer', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        assertDecodes(schema, max, b);
        assertDecodes(schema, max, b.slice().buffer);
      }),
      RUNS,
    );
  });

  it('on mutations of valid frames, and still accepts some of them', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutated(valid), (s) => {
        if (assertDecodes(schema, max, s).ok) accepted++;
        else refused++;
      }),
      RUNS,
    );
    // The mutations reach both sides of the schema, or this property would prove little.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('on random non-text values', () => {
    fc.assert(fc.property(fc.anything(), (v) => void assertDecodes(schema, max, v)), RUNS);
  });
});

// ---- decodeFrameRaw ------------------------------------------------------------------------

function assertRaw(data: Buffer | string): void {
  const out = decodeFrameRaw(data);
  if (out === null) return;
  // Whatever passes is re-serialised JSON that satisfies the schema on its own.
  expect(SignalingFrame.safeParse(JSON.parse(out)).success).toBe(true);
}

describe('decodeFrameRaw never throws', () => {
  const validSignaling = [
    { type: 'HEARTBEAT' },
    { type: 'LEAVE', dst: DEVICE_B },
    { type: 'OFFER', dst: DEVICE_B, payload: { sdp: 'v=0\r\n', type: 'offer', connectionId: 'dc_1' } },
    { type: 'CANDIDATE', dst: DEVICE_B, payload: { candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.2 5000 typ host' } } },
  ];

  it('on random strings and JSON', () => {
    fc.assert(fc.property(fc.oneof(anyString, jsonText), (s) => assertRaw(s)), RUNS);
  });

  it('on random bytes', () => {
    fc.assert(fc.property(bytes, (b) => assertRaw(Buffer.from(b))), RUNS);
  });

  it('on mutations of valid frames', () => {
    fc.assert(fc.property(mutated(validSignaling), (s) => assertRaw(s)), RUNS);
  });
});

// ---- PeerSession.receive -------------------------------------------------------------------

describe('PeerSession.receive', () => {
  const me = makeMe();
  const other = makeMe();
  const STATES: SessionState[] = ['handshake', 'open', 'needs-update', 'refused', 'closed'];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  function fresh() {
    const sent: string[] = [];
    const reasons: (WireError | null)[] = [];
    let opened = false;
    const session = new PeerSession(other.deviceId, { send: (t) => sent.push(String(t)), close: () => {} }, me, () => profile('Ada'), {
      open: () => (opened = true),
      profile: () => {},
      binary: () => {},
      closed: (_s, reason) => reasons.push(reason),
    });
    session.start();
    return { session, sent, reasons, opened: () => opened };
  }

  function assertSane(s: ReturnType<typeof fresh>): void {
    expect(STATES).toContain(s.session.state);
    expect(s.opened()).toBe(false);
    for (const r of s.reasons) if (r) expect(ERROR_CODES).toContain(r.code);
    // The session only ever puts valid frames on the wire, whatever it was fed.
    for (const t of s.sent) expect(decodeFrame(MeshMessage, t, LIMITS.meshFrameBytes).ok).toBe(true);
  }

  const garbage = fc.oneof(anyString, jsonText, versioned, mutated(VALID.mesh), bytes, bytes.map((b) => b.slice().buffer), fc.anything());

  it('never throws and never opens, whatever single frame arrives', () => {
    fc.assert(
      fc.property(garbage, (raw) => {
        const s = fresh();
        s.session.receive(raw);
        assertSane(s);
      }),
      RUNS,
    );
  });

  it('never throws and never opens on a sequence of frames', () => {
    fc.assert(
      fc.property(fc.array(garbage, { maxLength: 12 }), (frames) => {
        const s = fresh();
        for (const f of frames) s.session.receive(f);
        assertSane(s);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  // The version is described without calling into it (a hostile `toString` must not throw).
  it('survives a version object with a poisoned toString', () => {
    const s = fresh();
    expect(() => s.session.receive('{"v":{"toString":0,"valueOf":0},"t":"hello"}')).not.toThrow();
  });

  it("ends 'refused' when fed non-JSON garbage during the handshake", () => {
    fc.assert(
      fc.property(anyString.filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }), (raw) => {
        const s = fresh();
        s.session.receive(raw);
        expect(s.session.state).toBe('refused');
        expect(s.reasons).toHaveLength(1);
        expect(s.reasons[0]?.code).toBe('bad-request');
      }),
      RUNS,
    );
  });
});
