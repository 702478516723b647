import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeFrame, validateMessage } from '../../../protocol/codec.ts';
import { OsmoseError } from '../../../protocol/errors.ts';
import { LIMITS } from '../../../protocol/limits.ts';
import { MeshMessage } from '../../../protocol/mesh.ts';
import { ClientMessage, HubMessage } from '../../../protocol/room-channel.ts';
import { DEVICE_A, VALID, profile } from '../fixtures.ts';

const enc = new TextEncoder();

function codeOf(r: ReturnType<typeof decodeFrame>): string {
  if (r.ok) return 'ok';
  expect(r.error).toBeInstanceOf(OsmoseError);
  return r.error.code;
}

afterEach(() => vi.restoreAllMocks());

describe('decodeFrame: size', () => {
  it("refuses a 10 MB frame as 'too-large' without parsing it", () => {
    const parse = vi.spyOn(JSON, 'parse');
    const huge = '{"v":1,"t":"bye","pad":"' + 'x'.repeat(10 * 1024 * 1024) + '"}';
    const hugeBytes = enc.encode(huge);
    const started = performance.now();
    expect(codeOf(decodeFrame(MeshMessage, huge, LIMITS.meshFrameBytes))).toBe('too-large');
    expect(codeOf(decodeFrame(MeshMessage, hugeBytes, LIMITS.meshFrameBytes))).toBe('too-large');
    expect(codeOf(decodeFrame(MeshMessage, hugeBytes.buffer, LIMITS.meshFrameBytes))).toBe('too-large');
    expect(performance.now() - started).toBeLessThan(100);
    expect(parse).not.toHaveBeenCalled();
  });

  it('accepts a frame of exactly the limit and refuses one byte more', () => {
    const frame = (n: number) => JSON.stringify({ v: 1, t: 'error', error: { code: 'bad-request', message: 'a'.repeat(n) } });
    const exact = frame(100);
    const max = exact.length;
    expect(codeOf(decodeFrame(MeshMessage, exact, max))).toBe('ok');
    expect(codeOf(decodeFrame(MeshMessage, frame(101), max))).toBe('too-large');
  });

  it.each([
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte (surrogate pair)', '😀'],
  ])('measures %s UTF-8 characters in bytes, not UTF-16 units', (_what, ch) => {
    const text = ch.repeat(200);
    const frame = JSON.stringify({ v: 1, t: 'error', error: { code: 'bad-request', message: text } });
    const bytes = enc.encode(frame).length;
    expect(bytes).toBeGreaterThan(frame.length);
    expect(codeOf(decodeFrame(MeshMessage, frame, bytes))).toBe('ok');
    expect(codeOf(decodeFrame(MeshMessage, frame, bytes - 1))).toBe('too-large');
    // A limit between the UTF-16 length and the byte length: the character count alone would pass it.
    expect(codeOf(decodeFrame(MeshMessage, frame, frame.length + 1))).toBe('too-large');
    expect(codeOf(decodeFrame(MeshMessage, enc.encode(frame), bytes - 1))).toBe('too-large');
    expect(codeOf(decodeFrame(MeshMessage, enc.encode(frame), bytes))).toBe('ok');
  });
});

describe('decodeFrame: envelope', () => {
  it.each([
    ['a number', 42],
    ['null', null],
    ['an object', { v: 1, t: 'bye' }],
    ['undefined', undefined],
  ])("refuses %s (not text) as 'bad-request'", (_what, raw) => {
    expect(codeOf(decodeFrame(MeshMessage, raw, 1000))).toBe('bad-request');
  });

  it.each(['', '{', 'bye', '{"v":1,"t":"bye"}}', "{'v':1}", '\u0000'])("refuses non-JSON %j as 'bad-request'", (raw) => {
    expect(codeOf(decodeFrame(MeshMessage, raw, 1000))).toBe('bad-request');
  });

  it("refuses bytes that are not UTF-8 as 'bad-request'", () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x76, 0x22, 0x3a, 0xff, 0xfe, 0x7d]);
    expect(codeOf(decodeFrame(MeshMessage, bytes, 1000))).toBe('bad-request');
  });

  it.each(['[]', '1', '"bye"', 'null', 'true', '[{"v":1,"t":"bye"}]'])("refuses JSON %j that is not an object as 'bad-request'", (raw) => {
    expect(codeOf(decodeFrame(MeshMessage, raw, 1000))).toBe('bad-request');
  });

  it.each(['{"t":"bye"}', '{"v":2,"t":"bye"}', '{"v":0,"t":"bye"}', '{"v":"1","t":"bye"}', '{"v":1.5,"t":"bye"}', '{"v":null,"t":"bye"}', '{"v":[1],"t":"bye"}'])(
    "refuses %s as 'protocol-version'",
    (raw) => {
      const r = decodeFrame(MeshMessage, raw, 1000);
      expect(codeOf(r)).toBe('protocol-version');
    },
  );

  it('says which versions it speaks, and keeps a hostile version short', () => {
    const r = decodeFrame(MeshMessage, JSON.stringify({ v: 'x'.repeat(5000), t: 'bye' }), 10_000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/speaks 1/);
    expect(r.error.message.length).toBeLessThan(120);
  });

  it("answers 'protocol-version' for a version object with a poisoned toString, without throwing", () => {
    expect(codeOf(decodeFrame(MeshMessage, '{"v":{"toString":1},"t":"bye"}', 1000))).toBe('protocol-version');
  });

  it('refuses an unknown message type with the same code every time, whatever the schema', () => {
    const codes = new Set<string>();
    for (const schema of [ClientMessage, HubMessage, MeshMessage]) {
      for (const t of ['nope', 'HELLO', 'hello ', '__proto__', 'toString']) {
        codes.add(codeOf(decodeFrame(schema, JSON.stringify({ v: 1, t }), 1000)));
      }
    }
    expect([...codes]).toEqual(['unknown-type']);
  });

  // zod 4 reports a discriminated union's unmatched tag as invalid_union at path ['t'].
  it("tells an unknown message type ('unknown-type') from a malformed one ('bad-request')", () => {
    expect(codeOf(decodeFrame(MeshMessage, '{"v":1,"t":"file-offer"}', 1000))).toBe('unknown-type');
  });

  it("refuses a message with no type as 'bad-request' (there is no type to be unknown)", () => {
    expect(codeOf(decodeFrame(MeshMessage, '{"v":1}', 1000))).toBe('bad-request');
  });
});

describe('decodeFrame: valid messages', () => {
  const cases = [
    ...VALID.client.map((m) => ['ClientMessage', ClientMessage, m, LIMITS.roomFrameBytes] as const),
    ...VALID.hub.map((m) => ['HubMessage', HubMessage, m, LIMITS.hubFrameBytes] as const),
    ...VALID.mesh.map((m) => ['MeshMessage', MeshMessage, m, LIMITS.meshFrameBytes] as const),
  ];

  it.each(cases)('%s decodes %j from text and from bytes', (_name, schema, message, max) => {
    const text = encodeFrame(message);
    const fromText = decodeFrame(schema, text, max);
    expect(fromText).toEqual({ ok: true, value: message });
    expect(decodeFrame(schema, enc.encode(text), max)).toEqual({ ok: true, value: message });
    expect(decodeFrame(schema, enc.encode(text).buffer, max)).toEqual({ ok: true, value: message });
  });

  it('keeps each schema to its own messages', () => {
    expect(codeOf(decodeFrame(ClientMessage, encodeFrame(VALID.hub[0]), LIMITS.hubFrameBytes))).not.toBe('ok');
    expect(codeOf(decodeFrame(HubMessage, encodeFrame(VALID.client[0]), LIMITS.hubFrameBytes))).not.toBe('ok');
    expect(codeOf(decodeFrame(MeshMessage, encodeFrame(VALID.client[0]), LIMITS.hubFrameBytes))).not.toBe('ok');
  });
});

describe('decodeFrame: hello from a device', () => {
  const hello = VALID.client[0];

  it('drops unknown fields rather than passing them on', () => {
    const r = decodeFrame(ClientMessage, JSON.stringify({ ...hello, admin: true }), LIMITS.roomFrameBytes);
    expect(r.ok && r.value).toEqual(hello);
  });

  it("refuses a hello padded past the room-channel limit as 'too-large'", () => {
    const padded = JSON.stringify({ ...hello, junk: 'x'.repeat(LIMITS.roomFrameBytes) });
    expect(codeOf(decodeFrame(ClientMessage, padded, LIMITS.roomFrameBytes))).toBe('too-large');
  });

  it.each([
    ['a numeric peer id', { peerId: 12 }],
    ['a peer id that is not a device id', { peerId: DEVICE_A.toUpperCase() }],
    ['a token over 100 characters', { token: 'x'.repeat(101) }],
    ['a profile that is a string', { profile: 'Ada' }],
    ['a name with a control character', { profile: profile('Ada\u0007') }],
    ['a blank name', { profile: profile('   ') }],
    ['a 41-character name', { profile: profile('x'.repeat(41)) }],
    ['an unknown visibility', { profile: profile('Ada', { visibility: 'gone' as 'hidden' }) }],
    ['a negative visibilitySince', { profile: profile('Ada', { visibilitySince: -1 }) }],
    ['a missing profile', { profile: undefined }],
  ])("refuses a hello with %s as 'bad-request'", (_what, change) => {
    const r = decodeFrame(ClientMessage, JSON.stringify({ ...hello, ...change }), LIMITS.roomFrameBytes);
    expect(codeOf(r)).toBe('bad-request');
    if (!r.ok) expect(r.error.message.length).toBeLessThanOrEqual(200);
  });
});

describe('validateMessage', () => {
  it('checks an already-parsed value the same way', () => {
    expect(validateMessage(MeshMessage, { v: 1, t: 'bye' })).toEqual({ ok: true, value: { v: 1, t: 'bye' } });
    expect(validateMessage(MeshMessage, { v: 2, t: 'bye' }).ok).toBe(false);
    expect(validateMessage(MeshMessage, [1]).ok).toBe(false);
  });
});
