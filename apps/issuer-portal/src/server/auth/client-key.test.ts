import { describe, expect, it } from 'vitest';
import { clientKeyOf } from './client-key.js';

describe('the client a limit counts an address under', () => {
  it('is the address itself for IPv4, and the IPv4 address for one written as IPv6', () => {
    expect(clientKeyOf('198.51.100.7')).toBe('198.51.100.7');
    expect(clientKeyOf('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientKeyOf('::FFFF:c633:6407')).toBe('198.51.100.7');
  });

  it('is the /64 for IPv6, however the address is written inside it', () => {
    const key = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:db8:1:2:dead:beef:0:1',
      '2001:DB8:1:2::abcd%eth0',
    ]) {
      expect(clientKeyOf(address)).toBe(key);
    }
    expect(clientKeyOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('64:ff9b::198.51.100.7')).toBe('64:ff9b:0:0::/64');
  });

  it('leaves what is no address as it is', () => {
    expect(clientKeyOf('unknown')).toBe('unknown');
    expect(clientKeyOf('')).toBe('');
  });
});
