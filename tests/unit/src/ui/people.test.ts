import { describe, expect, it } from 'vitest';
import { hue, initials, whoIsHere } from '../../../../src/ui/people.ts';

describe('faces in the top bar', () => {
  it('takes up to two initials', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  bob ')).toBe('B');
    expect(initials('Jean Paul Sartre')).toBe('JS');
    expect(initials('Émile')).toBe('É');
    expect(initials('')).toBe('?');
  });
  it('gives a device the same hue every time', () => {
    expect(hue('peer-1')).toBe(hue('peer-1'));
    expect(hue('peer-1')).toBeGreaterThanOrEqual(0);
    expect(hue('peer-1')).toBeLessThan(360);
    expect(new Set(['a', 'b', 'c', 'd', 'e'].map(hue)).size).toBeGreaterThan(1);
  });
  it('says who is here in a few words', () => {
    expect(whoIsHere([])).toBe('Only you');
    expect(whoIsHere(['Bob'])).toBe('You and Bob');
    expect(whoIsHere(['Bob', 'Carol'])).toBe('You, Bob and Carol');
    expect(whoIsHere(['Bob', 'Carol', 'Dan'])).toBe('You, Bob, Carol and 1 other');
    expect(whoIsHere(['Bob', 'Carol', 'Dan', 'Eve'])).toBe('You, Bob, Carol and 2 others');
  });
});
