import { describe, expect, it } from 'vitest';
import { joinFragment, joinUrl, parseJoinLink, type JoinTicket } from '../../../protocol/join-link.ts';
import { newRoomSecret } from '../../../protocol/crypto.ts';

const ticket: JoinTicket = { roomId: 'r0a1b2c3d4e5f', secret: newRoomSecret() };

describe('parseJoinLink', () => {
  it.each(['http://192.168.1.20:8080', 'https://fw15.local:8443', 'http://[fe80::1]:8080'])('round-trips joinUrl on %s', (origin) => {
    const url = joinUrl(origin, ticket);
    expect(url).toBe(`${origin}/join#r=${ticket.roomId}&s=${ticket.secret}`);
    expect(parseJoinLink(url)).toEqual(ticket);
  });

  it('parses a bare fragment', () => {
    expect(parseJoinLink(joinFragment(ticket))).toEqual(ticket);
  });

  it('accepts the parameters in any order and ignores extra ones', () => {
    expect(parseJoinLink(`#s=${ticket.secret}&x=1&r=${ticket.roomId}`)).toEqual(ticket);
  });

  it('reads the ticket only from the fragment, never from the query string', () => {
    expect(parseJoinLink(`http://10.0.0.1/join?r=${ticket.roomId}&s=${ticket.secret}`)).toBeNull();
    expect(parseJoinLink(`r=${ticket.roomId}&s=${ticket.secret}`)).toBeNull();
  });

  it.each([
    ['no secret', `#r=${ticket.roomId}`],
    ['an empty secret', `#r=${ticket.roomId}&s=`],
    ['a 42-character secret', `#r=${ticket.roomId}&s=${ticket.secret.slice(1)}`],
    ['a 44-character secret', `#r=${ticket.roomId}&s=${ticket.secret}A`],
    ['a secret outside base64url', `#r=${ticket.roomId}&s=${'+'.repeat(43)}`],
    ['no room id', `#s=${ticket.secret}`],
    ['an upper-case room id', `#r=R0A1B2C3D4E5F&s=${ticket.secret}`],
    ['a room id without its r', `#r=0a1b2c3d4e5f&s=${ticket.secret}`],
    ['a 9-character room id body', `#r=r123456789&s=${ticket.secret}`],
    ['a 33-character room id body', `#r=r${'a'.repeat(33)}&s=${ticket.secret}`],
    ['a room id with punctuation', `#r=r0a1b2c3d4e5f.x&s=${ticket.secret}`],
    ['nothing at all', ''],
    ['plain text', 'hello'],
  ])('refuses a link with %s', (_what, text) => {
    expect(parseJoinLink(text)).toBeNull();
  });

  it('accepts a link of exactly 2048 characters and refuses anything longer', () => {
    const tail = `/join#r=${ticket.roomId}&s=${ticket.secret}`;
    const origin = (n: number) => 'http://h/' + 'p'.repeat(n - 'http://h/'.length - tail.length);
    expect(parseJoinLink(origin(2048) + tail)).toEqual(ticket);
    expect(parseJoinLink(origin(2049) + tail)).toBeNull();
  });

  it('refuses huge input quickly', () => {
    const huge = joinFragment(ticket) + '&x=' + 'y'.repeat(5_000_000);
    const started = performance.now();
    expect(parseJoinLink(huge)).toBeNull();
    expect(performance.now() - started).toBeLessThan(200);
  });
});
