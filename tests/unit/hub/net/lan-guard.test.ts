import { describe, expect, it } from 'vitest';
import { isLanAddress, isLoopbackAddress, normalizeAddress } from '../../../../hub/net/lan-guard.ts';

/** [address, allowed on the LAN, loopback] */
type Case = [string, boolean, boolean];

const ipv4: Case[] = [
  ['10.0.0.0', true, false],
  ['10.255.255.255', true, false],
  ['9.255.255.255', false, false],
  ['11.0.0.0', false, false],
  ['172.15.255.255', false, false],
  ['172.16.0.0', true, false],
  ['172.31.255.255', true, false],
  ['172.32.0.0', false, false],
  ['192.167.255.255', false, false],
  ['192.168.0.0', true, false],
  ['192.168.255.255', true, false],
  ['192.169.0.0', false, false],
  ['169.254.0.1', true, false],
  ['169.254.255.254', true, false],
  ['169.255.0.1', false, false],
  ['127.0.0.1', true, true],
  ['127.255.255.254', true, true],
  ['128.0.0.1', false, false],
  ['8.8.8.8', false, false],
  ['100.64.0.1', false, false], // carrier-grade NAT is not the room's LAN
  ['0.0.0.0', false, false],
  ['255.255.255.255', false, false],
];

const ipv6: Case[] = [
  ['::1', true, true],
  ['fe80::1', true, false],
  ['fe80::1%eth0', true, false],
  ['febf:ffff::1', true, false],
  ['fec0::1', false, false],
  ['fc00::1', true, false],
  ['fd12::3', true, false],
  ['fbff::1', false, false],
  ['2001:db8::1', false, false],
  ['2606:4700::1111', false, false],
  ['::', false, false],
  ['::2', false, false],
];

const mapped: Case[] = [
  ['::ffff:10.1.2.3', true, false],
  ['::ffff:192.168.1.20', true, false],
  ['::ffff:8.8.8.8', false, false],
  ['::ffff:100.64.0.1', false, false],
  ['::FFFF:127.0.0.1', true, true],
  ['::ffff:7f00:1', true, true], // hex spelling of ::ffff:127.0.0.1
  ['::ffff:a01:203', true, false], // hex spelling of ::ffff:10.1.2.3
  ['::ffff:808:808', false, false], // hex spelling of ::ffff:8.8.8.8
  ['0:0:0:0:0:ffff:808:808', false, false],
  ['::ffff:0.0.0.0', false, false],
];

describe('isLanAddress / isLoopbackAddress', () => {
  it.each(ipv4)('IPv4 %s: LAN %s, loopback %s', (address, lan, loop) => {
    expect(isLanAddress(address)).toBe(lan);
    expect(isLoopbackAddress(address)).toBe(loop);
  });

  it.each(ipv6)('IPv6 %s: LAN %s, loopback %s', (address, lan, loop) => {
    expect(isLanAddress(address)).toBe(lan);
    expect(isLoopbackAddress(address)).toBe(loop);
  });

  it.each(mapped)('IPv4-mapped %s: judged by its IPv4 address (LAN %s, loopback %s)', (address, lan, loop) => {
    expect(isLanAddress(address)).toBe(lan);
    expect(isLoopbackAddress(address)).toBe(loop);
  });

  it.each([[''], ['abc'], ['999.1.1.1'], ['10.0.0'], ['10.0.0.1.5'], ['::ffff:999.1.1.1'], ['fe80::zz'], ['localhost'], [undefined]])(
    'refuses garbage %j',
    (address) => {
      expect(isLanAddress(address)).toBe(false);
      expect(isLoopbackAddress(address)).toBe(false);
    },
  );
});

describe('normalizeAddress', () => {
  it('strips the zone index from a link-local address', () => {
    expect(normalizeAddress('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 'ipv6' });
  });

  it('unwraps dotted and hex IPv4-mapped addresses to IPv4', () => {
    expect(normalizeAddress('::ffff:10.1.2.3')).toEqual({ address: '10.1.2.3', family: 'ipv4' });
    expect(normalizeAddress('::ffff:7f00:1')).toEqual({ address: '127.0.0.1', family: 'ipv4' });
    expect(normalizeAddress('::ffff:c0a8:0114')).toEqual({ address: '192.168.1.20', family: 'ipv4' });
  });

  it('returns null for something that is not an IP address', () => {
    expect(normalizeAddress('example.com')).toBeNull();
    expect(normalizeAddress('')).toBeNull();
  });
});
