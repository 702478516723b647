/** The invitation code: building, parsing, and refusing anything else, without throwing. */
import { describe, expect, it } from 'vitest';
import { CODE_PREFIX, fingerprintHex, invitationCode, invitationUrl, parseInvitation, type InvitationPayload } from '../../../../protocol/gateway.ts';

const payload: InvitationPayload = {
  v: 1,
  id: 'i' + '0'.repeat(24),
  host: '10.99.0.1',
  port: 8443,
  fp: 'ab'.repeat(32),
  token: 'T'.repeat(43),
  room: { id: 'rabcdefghij', name: 'FW15', place: 'Cambridge' },
  scope: { kind: 'note', id: 'note-0001' },
  label: 'Plan',
  access: 'read',
  expiresAt: 1_900_000_000_000,
  multiUse: false,
};

describe('invitation code', () => {
  it('round-trips as a code and as a URL whose fragment holds it', () => {
    const code = invitationCode(payload);
    expect(code.startsWith(CODE_PREFIX)).toBe(true);
    expect(parseInvitation(code)).toEqual({ ok: true, value: payload });
    const url = invitationUrl(payload);
    expect(url.startsWith('https://10.99.0.1:8443/invite#osmose-invite1.')).toBe(true);
    // The token is only after the #: a browser never sends it to the server.
    expect(url.split('#')[0]).not.toContain(payload.token);
    expect(parseInvitation(url)).toEqual({ ok: true, value: payload });
    expect(parseInvitation(`Join us! ${url} (ends tonight)`)).toEqual({ ok: true, value: payload });
  });

  it('brackets IPv6 hosts in the URL', () => {
    expect(invitationUrl({ ...payload, host: 'fd00::1' })).toContain('https://[fd00::1]:8443/');
  });

  it.each([
    ['not a code', 'hello'],
    ['cut short', invitationCode(payload).slice(0, 40)],
    ['no body', CODE_PREFIX],
    ['not JSON', CODE_PREFIX + 'bm90IGpzb24'],
    ['wrong fingerprint form', invitationCode({ ...payload, fp: 'xyz' })],
    ['a public-looking host with a path', invitationCode({ ...payload, host: 'evil.com/x' })],
    ['a bad scope', invitationCode({ ...payload, scope: { kind: 'room' } as never })],
    ['a short token', invitationCode({ ...payload, token: 'abc' })],
  ])('refuses %s as forged', (_what, text) => {
    const r = parseInvitation(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('invitation-forged');
  });

  it('says when the code is from another protocol version', () => {
    const r = parseInvitation(invitationCode({ ...payload, v: 2 as never }));
    expect(r.ok || r.error.code).toBe('protocol-version');
  });

  it('never throws on any input', () => {
    for (const x of [undefined, null, 42, {}, [], 'x'.repeat(10_000), CODE_PREFIX + '_'.repeat(3000), CODE_PREFIX + '%%%']) {
      expect(() => parseInvitation(x)).not.toThrow();
      expect(parseInvitation(x).ok).toBe(false);
    }
  });

  it('turns the displayed fingerprint into the code form', () => {
    expect(fingerprintHex('AB:CD:EF')).toBe('abcdef');
  });
});
