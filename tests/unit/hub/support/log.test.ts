import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, redact, registerSecret, setQuiet } from '../../../../hub/support/log.ts';

const SECRET = 'Qk3xV9yZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1w';

afterEach(() => {
  vi.restoreAllMocks();
  setQuiet(false);
});

describe('redact', () => {
  it('replaces every occurrence of a registered secret', () => {
    registerSecret(SECRET);
    const out = redact(`secret ${SECRET} and again:${SECRET}.`);
    expect(out).toBe('secret [redacted] and again:[redacted].');
  });

  it('ignores values too short to be secrets (they would redact ordinary words)', () => {
    registerSecret('room');
    expect(redact('the room is FW15')).toBe('the room is FW15');
  });

  it.each([
    ['a join fragment', 'http://10.0.0.2:8080/join#r=rabc123def456&s=SOMESECRETVALUE', 'http://10.0.0.2:8080/join#r=rabc123def456&s=[redacted]'],
    ['a secret first in a fragment', '/join#s=SOMESECRETVALUE&r=rabc123def456', '/join#s=[redacted]&r=rabc123def456'],
    ['a token query parameter', 'GET /signal/peerjs?key=osmose&id=d00&token=1700000000.abcDEF_-', 'GET /signal/peerjs?key=osmose&id=d00&token=[redacted]'],
    ['a token as first parameter', 'GET /x?token=1700000000.abc xyz', 'GET /x?token=[redacted] xyz'],
    ['a value inside JSON fields', '{"url":"/join#r=rabc&s=zzzzzz","n":1}', '{"url":"/join#r=rabc&s=[redacted]","n":1}'],
  ])('redacts %s', (_what, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves look-alike parameters alone', () => {
    const text = 'GET /x?size=10&ids=3#section=2&tokens=4';
    expect(redact(text)).toBe(text);
  });
});

describe('log', () => {
  it('redacts messages and fields before they are written', () => {
    registerSecret(SECRET);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    log.info(`joined with ${SECRET}`, { url: `/join#r=rabc123def456&s=${SECRET}`, token: 'x' });
    const line = String(write.mock.calls[0]![0]);
    expect(line).toMatch(/ info joined with \[redacted\] /);
    expect(line).not.toContain(SECRET);
  });

  it('drops info but keeps warnings when quiet', () => {
    setQuiet(true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    log.info('hello');
    log.warn('careful');
    expect(out).not.toHaveBeenCalled();
    expect(String(err.mock.calls[0]![0])).toMatch(/ warn careful\n$/);
  });
});
