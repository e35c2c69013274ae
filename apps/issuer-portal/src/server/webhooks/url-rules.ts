// Which webhook URLs the portal sends to (SSRF rules). On registration: http or https only, no
// user:password in the URL, and never the portal itself (its own host and port). At every
// delivery, the address the name resolves to is checked again before connecting (so a DNS
// answer that changes later cannot point a delivery at a forbidden address): never a
// link-local address (169.254.0.0/16, fe80::/10: cloud metadata services live there), never
// an unspecified one (0.0.0.0, ::), never a loopback address on one of the portal's own ports,
// and with `denyPrivate` no loopback or private-network address at all.
import { isIP } from 'node:net';
import { PortalError } from '../http/portal-errors.js';

export class WebhookUrlInvalidError extends PortalError {
  constructor(why: string) {
    super('ERR_WEBHOOK_URL_INVALID', `The webhook URL is refused: ${why}.`);
  }
}

export interface UrlRules {
  /** `host:port` values that are the portal itself (as browsers and the proxy reach it). */
  selfHosts: readonly string[];
  /** Ports the portal process listens on: a loopback address with one of these is itself. */
  selfPorts: readonly number[];
  /** Refuse loopback and private-network addresses too (default: allowed, for an on-premise CRM). */
  denyPrivate: boolean;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

function hostKey(host: string, port: number): string {
  return `${host.toLowerCase().replace(/^\[|\]$/g, '')}:${port}`;
}

/** The URL as it will be stored, or WebhookUrlInvalidError. */
export function checkWebhookUrl(text: string, rules: UrlRules): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlInvalidError('it is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookUrlInvalidError(`only http and https are sent to, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new WebhookUrlInvalidError(
      'it carries a user name or password; receivers verify the signature instead',
    );
  }
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  const self = new Set(
    rules.selfHosts.map((h) => {
      const [name, p] = h.includes(']')
        ? [h.slice(0, h.indexOf(']') + 1), h.slice(h.indexOf(']') + 2)]
        : h.split(':');
      return hostKey(name ?? '', p ? Number(p) : 80);
    }),
  );
  if (self.has(hostKey(url.hostname, port))) {
    throw new WebhookUrlInvalidError('it points at this portal');
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0) {
    const why = addressRefusal(literal, port, rules);
    if (why !== null) throw new WebhookUrlInvalidError(why);
  }
  return url.toString();
}

/** Why a resolved address may not be sent to, or null. */
export function addressRefusal(address: string, port: number, rules: UrlRules): string | null {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (a === '0.0.0.0' || a === '::' || a.startsWith('0.')) return `${address} is not a host`;
  if (a.startsWith('169.254.') || /^fe[89ab][0-9a-f]:/.test(a)) {
    return `${address} is link-local (cloud metadata lives there)`;
  }
  const loopback = a.startsWith('127.') || a === '::1';
  if (loopback && rules.selfPorts.includes(port)) return 'it points at this portal';
  if (rules.denyPrivate) {
    const privateNet =
      loopback ||
      a.startsWith('10.') ||
      a.startsWith('192.168.') ||
      /^172\.(1[6-9]|2\d|3[01])\./.test(a) ||
      /^f[cd][0-9a-f]{2}:/.test(a);
    if (privateNet) return `${address} is a private address (LICENSOR_WEBHOOK_DENY_PRIVATE is set)`;
  }
  return null;
}
