import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { addressRefusal, checkWebhookUrl, interfaceAddresses, type UrlRules } from './url-rules.js';

/** What os.networkInterfaces() shows in a compose container: lo, and eth0 on the bridge. */
const HOST_ADDRESSES = [
  '127.0.0.1',
  '::1',
  '172.18.0.5',
  'fd12:3456:789a::5',
  'fe80::42:acff:fe12:5',
];

const RULES: UrlRules = {
  selfHosts: ['portal.example.com', '127.0.0.1:4000'],
  selfPorts: [4000],
  denyPrivate: false,
  hostAddresses: () => HOST_ADDRESSES,
};

describe('webhook URL rules', () => {
  it.each([
    ['ftp://crm.example.com/hook', /only http and https/],
    ['javascript:alert(1)', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['crm.example.com/hook', /not an absolute URL/],
    ['https://user:secret@crm.example.com/hook', /user name or password/],
    ['http://portal.example.com/api/v1/licenses', /this portal/],
    ['http://127.0.0.1:4000/api/v1/tokens', /this portal/],
    // localhost and every name under .localhost are loopback (RFC 6761), however written.
    ['http://localhost:4000/x', /this portal/],
    ['http://LOCALHOST.:4000/x', /this portal/],
    ['http://api.localhost:4000/x', /this portal/],
    ['http://localhost:8080/x', null],
    ['http://localhost.example.com:4000/x', null],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fe80::1]/x', /link-local/],
    ['http://0.0.0.0:8080/x', /not a host/],
    ['http://[::]:8080/x', /not a host/],
    // An IPv4 address written as IPv6 (mapped, hex or dotted; compatible; translated; NAT64) is
    // that IPv4 address: the WHATWG parser turns [::ffff:169.254.169.254] into [::ffff:a9fe:a9fe].
    ['http://[::ffff:169.254.169.254]/latest/meta-data/', /link-local/],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', /link-local/],
    ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', /link-local/],
    ['http://[::a9fe:a9fe]/', /link-local/],
    ['http://[::ffff:0:a9fe:a9fe]/', /link-local/],
    ['http://[64:ff9b::169.254.169.254]/', /link-local/],
    ['http://[::ffff:127.0.0.1]:4000/api/v1/tokens', /this portal/],
    ['http://[::ffff:7f00:1]:4000/api/v1/tokens', /this portal/],
    ['http://[::ffff:0.0.0.0]:8080/x', /not a host/],
    // 6to4 (2002::/16) carries an IPv4 address in its second and third groups: judged as it.
    ['http://[2002:a9fe:a9fe::1]/latest/meta-data/', /link-local/],
    ['http://[2002:7f00:1::1]:4000/api/v1/tokens', /this portal/],
    ['http://[2002::1]/', /not a host/],
    ['https://[2002:5db8:d822::1]/hook', null],
    // Prefixes that reach an address they do not show: refused whole.
    ['http://[64:ff9b:1::a9fe:a9fe]/', /NAT64 local-use/],
    ['http://[64:ff9b:1:ffff::1]/', /NAT64 local-use/],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', /Teredo/],
    ['http://[2001::1]/', /Teredo/],
    // Addresses that are no webhook receiver's.
    ['http://100.100.100.200/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/latest/meta-data/', /cloud metadata/],
    ['http://168.63.129.16/machine?comp=goalstate', /cloud metadata/],
    ['http://[::ffff:a83f:8110]/', /cloud metadata/],
    ['http://224.0.0.1/', /multicast/],
    ['http://239.255.255.250/', /multicast/],
    ['http://240.0.0.1/', /reserved/],
    ['http://255.255.255.255/', /reserved/],
    ['http://0.1.2.3/', /not a host/],
    ['http://198.18.0.1/', /benchmarking/],
    ['http://198.19.255.254/', /benchmarking/],
    ['http://192.0.0.170/', /IETF protocol/],
    // Documentation ranges (RFC 5737, RFC 3849, RFC 9637): examples, never a receiver.
    ['http://192.0.2.1/', /is a documentation address \(/],
    ['http://192.0.2.255/', /documentation address/],
    ['http://198.51.100.1/', /documentation address/],
    ['http://198.51.100.254/', /documentation address/],
    ['http://203.0.113.7/', /documentation address/],
    ['http://203.0.113.0/', /documentation address/],
    ['http://[2001:db8::1]/', /documentation address/],
    ['http://[2001:db8:ffff:ffff::1]/', /documentation address/],
    ['http://[3fff::1]/', /documentation address/],
    ['http://[3fff:fff:ffff::1]/', /documentation address/],
    ['http://[::ffff:192.0.2.1]/', /documentation address/],
    ['http://[::ffff:c633:6401]/', /documentation address/],
    ['http://[2002:cb00:7107::1]/', /documentation address/],
    ['http://[64:ff9b::c000:201]/', /documentation address/],
    ['http://[ff02::1]/', /multicast/],
    ['http://[ff0e::1]/', /multicast/],
    ['http://[fec0::1]/', /site-local/],
    ['http://[100::1]/', /discard/],
    ['http://[::ffff:100.100.100.200]/', /cloud metadata/],
    ['http://[64:ff9b::e000:1]/', /multicast/],
    // Next to the refused ranges, still public.
    ['http://100.128.0.1/', null],
    ['http://198.20.0.1/', null],
    ['http://192.0.1.1/', null],
    ['http://223.255.255.254/', null],
    ['http://192.0.1.255/', null],
    ['http://192.0.3.1/', null],
    ['http://198.51.99.255/', null],
    ['http://198.51.101.1/', null],
    ['http://203.0.112.255/', null],
    ['http://203.0.114.1/', null],
    ['http://[2001:db7:ffff::1]/', null],
    ['http://[2001:db9::1]/', null],
    ['http://[3ffe:ffff::1]/', null],
    ['http://[3fff:1000::1]/', null],
    ['http://[::ffff:c000:301]/', null],
    ['http://[2606:4700::1111]/', null],
    ['http://[2001:1::1]/', null],
    ['http://[64:ff9b:2::1]/', null],
    ['http://[100:0:0:1::1]/', null],
  ])('%s', (url, refusal) => {
    if (refusal === null) {
      expect(checkWebhookUrl(url, RULES)).toBe(url);
    } else {
      expect(() => checkWebhookUrl(url, RULES)).toThrow(
        expect.objectContaining({
          code: 'ERR_WEBHOOK_URL_INVALID',
          message: expect.stringMatching(refusal),
        }),
      );
    }
  });

  it('accepts public and on-premise receivers, and refuses private ones only when told to', () => {
    expect(checkWebhookUrl('https://crm.example.com/hooks/licensor', RULES)).toBe(
      'https://crm.example.com/hooks/licensor',
    );
    expect(checkWebhookUrl('http://10.1.2.3:8080/hook', RULES)).toBe('http://10.1.2.3:8080/hook');
    expect(() =>
      checkWebhookUrl('http://10.1.2.3:8080/hook', { ...RULES, denyPrivate: true }),
    ).toThrow(/private address/);
  });

  it('checks resolved addresses at delivery: a loopback address on the portal port is the portal', () => {
    expect(addressRefusal('127.0.0.1', 4000, RULES)).toMatch(/this portal/);
    expect(addressRefusal('::ffff:169.254.169.254', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('127.0.0.1', 9999, RULES)).toBeNull();
    expect(addressRefusal('192.168.1.20', 443, { ...RULES, denyPrivate: true })).toMatch(/private/);
    expect(addressRefusal('93.184.216.34', 443, { ...RULES, denyPrivate: true })).toBeNull();
  });

  it('reads an IPv4 address written in any IPv6 form as that IPv4 address', () => {
    const deny = { ...RULES, denyPrivate: true };
    expect(addressRefusal('::ffff:a9fe:a9fe', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('64:ff9b::a9fe:a9fe', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('::ffff:7f00:1', 4000, RULES)).toMatch(/this portal/);
    expect(addressRefusal('::ffff:7f00:1', 9999, deny)).toMatch(/private/);
    expect(addressRefusal('::ffff:a00:1', 443, deny)).toMatch(/private/);
    expect(addressRefusal('::ffff:c0a8:114', 443, deny)).toMatch(/private/);
    expect(addressRefusal('fe80::1%eth0', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('FE80::1', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('fd00::1', 443, deny)).toMatch(/private/);
    expect(addressRefusal('::ffff:5db8:d822', 443, deny)).toBeNull();
    expect(addressRefusal('2606:4700::1111', 443, deny)).toBeNull();
  });

  it('judges a resolved 6to4 address as the IPv4 address it carries, and refuses NAT64 local-use and Teredo whole', () => {
    const deny = { ...RULES, denyPrivate: true };
    expect(addressRefusal('2002:a9fe:a9fe::1', 80, RULES)).toMatch(/link-local/);
    expect(addressRefusal('2002:7f00:1::1', 4000, RULES)).toMatch(/this portal/);
    expect(addressRefusal('2002:7f00:1::1', 9999, deny)).toMatch(/private/);
    expect(addressRefusal('2002:a00:1:1::5', 443, deny)).toMatch(/private/);
    expect(addressRefusal('2002:5db8:d822::1', 443, deny)).toBeNull();
    expect(addressRefusal('64:ff9b:1::5db8:d822', 443, RULES)).toMatch(/NAT64 local-use/);
    expect(addressRefusal('2001:0:4136:e378:8000:63bf:3fff:fdd2', 443, RULES)).toMatch(/Teredo/);
    expect(addressRefusal('100.100.100.200', 80, RULES)).toMatch(/cloud metadata/);
    expect(addressRefusal('fd00:ec2::254', 80, RULES)).toMatch(/cloud metadata/);
    expect(addressRefusal('255.255.255.255', 80, RULES)).toMatch(/reserved/);
    expect(addressRefusal('ff02::1', 80, RULES)).toMatch(/multicast/);
    expect(addressRefusal('FEC0::1%eth0', 80, RULES)).toMatch(/site-local/);
    expect(addressRefusal('100::1', 80, RULES)).toMatch(/discard/);
  });

  it('refuses the documentation ranges at delivery, in any written form, naming them', () => {
    const reason =
      'is a documentation address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, ' +
      '2001:db8::/32, 3fff::/20)';
    for (const address of [
      '192.0.2.10',
      '198.51.100.10',
      '203.0.113.10',
      '2001:db8::10',
      '2001:DB8:1::1%eth0',
      '3fff:abc::1',
      '::ffff:203.0.113.10',
      '::ffff:cb00:710a',
      '2002:c000:20a::1',
      '64:ff9b::c633:640a',
    ]) {
      expect(addressRefusal(address, 443, RULES)).toBe(`${address} ${reason}`);
    }
    // Just outside each range: public, still sent to (private ones refused only when told to).
    for (const address of [
      '192.0.3.10',
      '198.51.101.10',
      '203.0.114.10',
      '2001:db9::10',
      '3fff:1000::1',
      '::ffff:cb00:720a',
      '2002:c000:30a::1',
    ]) {
      expect(addressRefusal(address, 443, { ...RULES, denyPrivate: true })).toBeNull();
    }
  });

  it('keeps private receivers allowed unless LICENSOR_WEBHOOK_DENY_PRIVATE is set, in any written form', () => {
    const deny = { ...RULES, denyPrivate: true };
    // 100.64.0.0/10 too: carrier-grade NAT, and overlay networks (Tailscale) a receiver may be on.
    for (const address of [
      '10.1.2.3',
      '::ffff:a01:203',
      '2002:a01:203::1',
      'fd00::1',
      '100.64.0.1',
      '100.127.255.254',
      '::ffff:6440:1',
    ]) {
      expect(addressRefusal(address, 443, RULES)).toBeNull();
      expect(addressRefusal(address, 443, deny)).toMatch(/private/);
    }
  });

  it('knows the portal by a host named without a port (as new URL(LICENSOR_PORTAL_URL).host gives it) on http and https', () => {
    const named = { ...RULES, selfHosts: ['portal.example.com'], selfPorts: [] };
    for (const url of [
      'https://portal.example.com/api/v1/tokens',
      'http://portal.example.com/api/v1/tokens',
      'https://PORTAL.example.com:443/x',
      'https://portal.example.com./api/v1/tokens',
    ]) {
      expect(() => checkWebhookUrl(url, named)).toThrow(/this portal/);
    }
    expect(checkWebhookUrl('https://portal.example.com:8443/x', named)).toBe(
      'https://portal.example.com:8443/x',
    );
  });

  it('knows the portal by its host:port whichever way an IP literal is written', () => {
    const proxied = { ...RULES, selfHosts: ['10.0.0.5:443'], selfPorts: [] };
    expect(() => checkWebhookUrl('https://[::ffff:a00:5]/api/v1/tokens', proxied)).toThrow(
      /this portal/,
    );
  });

  it("refuses this host's own interface addresses on the portal's ports, in any written form", () => {
    for (const address of [
      '172.18.0.5',
      '::ffff:172.18.0.5',
      '::ffff:ac12:5',
      '2002:ac12:5::1', // 6to4 of 172.18.0.5
      'fd12:3456:789a::5',
      'FD12:3456:789A:0:0:0:0:5',
      'fd12:3456:789a::5%eth0',
    ]) {
      expect(addressRefusal(address, 4000, RULES)).toBe(
        `it points at this portal (${address} is this host's own address)`,
      );
      // Another port of this host is not the portal (private addresses allowed by default).
      expect(addressRefusal(address, 8080, RULES)).toBeNull();
    }
    // Another address on the same network, on the portal's port: another host.
    expect(addressRefusal('172.18.0.6', 4000, RULES)).toBeNull();
    expect(addressRefusal('fd12:3456:789a::6', 4000, RULES)).toBeNull();
    // A private one with denyPrivate: refused as private on any port.
    expect(addressRefusal('172.18.0.5', 8080, { ...RULES, denyPrivate: true })).toMatch(/private/);
    // The host's link-local address was refused before as link-local, and still is.
    expect(addressRefusal('fe80::42:acff:fe12:5', 4000, RULES)).toMatch(/link-local/);
  });

  it('refuses an IP literal of this host on the portal port at registration', () => {
    for (const url of [
      'http://172.18.0.5:4000/api/v1/tokens',
      'http://[::ffff:ac12:5]:4000/api/v1/tokens',
      'http://[fd12:3456:789a::5]:4000/api/v1/tokens',
    ]) {
      expect(() => checkWebhookUrl(url, RULES)).toThrow(
        expect.objectContaining({
          code: 'ERR_WEBHOOK_URL_INVALID',
          message: expect.stringMatching(
            /^The webhook URL is refused: it points at this portal \(/,
          ),
        }),
      );
    }
    expect(checkWebhookUrl('http://172.18.0.5:8080/hook', RULES)).toBe(
      'http://172.18.0.5:8080/hook',
    );
    expect(checkWebhookUrl('http://[fd12:3456:789a::5]:8080/hook', RULES)).toBe(
      'http://[fd12:3456:789a::5]:8080/hook',
    );
  });

  it("refuses every address on the portal's ports while this host's addresses are unknown", () => {
    const unknown = { ...RULES, hostAddresses: () => null };
    expect(addressRefusal('10.9.8.7', 4000, unknown)).toMatch(/may point at this portal/);
    expect(addressRefusal('93.184.216.34', 4000, unknown)).toMatch(/may point at this portal/);
    expect(addressRefusal('10.9.8.7', 8080, unknown)).toBeNull();
    expect(addressRefusal('169.254.169.254', 4000, unknown)).toMatch(/link-local/);
  });

  it("reads this host's interface addresses when built, and again at most once per maxAgeMs", () => {
    let clock = 0;
    const reads: string[][] = [
      ['127.0.0.1', '172.18.0.5'],
      ['127.0.0.1', '172.18.0.9'],
    ];
    let count = 0;
    const read = () => {
      const list = reads[Math.min(count, reads.length - 1)]!;
      count++;
      return list;
    };
    const own = interfaceAddresses({ maxAgeMs: 1_000, read, now: () => clock });
    expect(count).toBe(1); // read when the rules are built
    clock = 999;
    expect(own()).toEqual(['127.0.0.1', '172.18.0.5']);
    expect(own()).toEqual(['127.0.0.1', '172.18.0.5']);
    expect(count).toBe(1);
    clock = 1_000;
    expect(own()).toEqual(['127.0.0.1', '172.18.0.9']); // an address the host got meanwhile
    expect(count).toBe(2);
    // Rules reading through it see the new address at once.
    const rules = { ...RULES, hostAddresses: own };
    expect(addressRefusal('172.18.0.9', 4000, rules)).toMatch(/this portal/);
    expect(addressRefusal('172.18.0.5', 4000, rules)).toBeNull();
  });

  it('keeps the last list when a read fails, and knows none (null) if the first one did', () => {
    let clock = 0;
    let fail = false;
    const read = () => {
      if (fail) throw new Error('uv_interface_addresses failed');
      return ['172.18.0.5'];
    };
    const own = interfaceAddresses({ maxAgeMs: 1_000, read, now: () => clock });
    fail = true;
    clock = 5_000;
    expect(own()).toEqual(['172.18.0.5']);
    const never = interfaceAddresses({ read, now: () => clock });
    expect(never()).toBeNull();
  });

  it('reads os.networkInterfaces() by default, every family', () => {
    const expected = Object.values(networkInterfaces()).flatMap((l) =>
      (l ?? []).map((i) => i.address),
    );
    expect(interfaceAddresses()()).toEqual(expected);
    expect(expected).toContain('127.0.0.1');
  });
});
