import { describe, expect, it } from 'vitest';
import { addressRefusal, checkWebhookUrl } from './url-rules.js';

const RULES = {
  selfHosts: ['portal.example.com', '127.0.0.1:4000'],
  selfPorts: [4000],
  denyPrivate: false,
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
    ['http://localhost:4000/x', null],
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
    expect(addressRefusal('2001:db8::1', 443, deny)).toBeNull();
  });

  it('knows the portal by a host named without a port (as new URL(LICENSOR_PORTAL_URL).host gives it) on http and https', () => {
    const named = { selfHosts: ['portal.example.com'], selfPorts: [], denyPrivate: false };
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
    const proxied = { selfHosts: ['10.0.0.5:443'], selfPorts: [], denyPrivate: false };
    expect(() => checkWebhookUrl('https://[::ffff:a00:5]/api/v1/tokens', proxied)).toThrow(
      /this portal/,
    );
  });
});
