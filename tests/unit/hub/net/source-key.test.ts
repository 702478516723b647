/** Limits by source: per IPv4 address, per IPv6 address and per IPv6 /64 (a host can pick any address in its /64). */
import { describe, it, expect } from 'vitest';
import { NETWORK_SHARE, SourceLimiter, expandIpv6, sourceKeys } from '../../../../hub/net/source-key.ts';

describe('sourceKeys', () => {
  it('keys IPv4 by address, mapped IPv4 included', () => {
    expect(sourceKeys('10.0.0.7')).toEqual({ host: '10.0.0.7', network: '10.0.0.7' });
    expect(sourceKeys('::ffff:10.0.0.7')).toEqual({ host: '10.0.0.7', network: '10.0.0.7' });
    expect(sourceKeys('::ffff:a00:7')).toEqual({ host: '10.0.0.7', network: '10.0.0.7' });
  });

  it('keys IPv6 by address and by /64, however the address is written', () => {
    const a = sourceKeys('fd00:1:2:3::1');
    expect(a).toEqual({ host: 'fd00:0001:0002:0003:0000:0000:0000:0001', network: 'fd00:0001:0002:0003::/64' });
    expect(sourceKeys('FD00:0001:0002:0003:0:0:0:1%eth0')).toEqual(a);
    expect(sourceKeys('fd00:1:2:3:ffff:1:2:3').network).toBe(a.network);
    expect(sourceKeys('fd00:1:2:4::1').network).not.toBe(a.network);
  });

  it('expands only real IPv6 addresses', () => {
    expect(expandIpv6('64:ff9b::10.0.0.1')).toEqual(['0064', 'ff9b', '0000', '0000', '0000', '0000', '0a00', '0001']);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3', 'g::1']) expect(expandIpv6(bad), bad).toBeNull();
  });
});

describe('SourceLimiter', () => {
  const LIMIT = 5;

  it('stops an IPv6 host that rotates addresses at its /64, and no one else', () => {
    const limiter = new SourceLimiter(LIMIT, 60_000, () => 0);
    let granted = 0;
    // 170 addresses of one /64, each asking its full per-address allowance.
    for (let i = 1; i <= 170; i++) for (let j = 0; j < LIMIT; j++) if (limiter.take(`fd00:1:2:3::${i.toString(16)}`).ok) granted++;
    expect(granted).toBe(LIMIT * NETWORK_SHARE);
    expect(limiter.blocked('fd00:1:2:3::ffff')).not.toBeNull();
    // Another /64 and an IPv4 device are untouched.
    expect(limiter.take('fd00:1:2:4::1').ok).toBe(true);
    expect(limiter.take('10.0.0.9').ok).toBe(true);
    expect(limiter.blocked('::ffff:10.0.0.9')).toBeNull();
  });

  it('gives each IPv4 address its own allowance', () => {
    const limiter = new SourceLimiter(LIMIT, 60_000, () => 0);
    for (let j = 0; j < LIMIT; j++) limiter.take('10.0.0.1');
    expect(limiter.take('10.0.0.1').ok).toBe(false);
    expect(limiter.take('::ffff:10.0.0.1').ok).toBe(false);
    expect(limiter.take('10.0.0.2').ok).toBe(true);
  });
});
