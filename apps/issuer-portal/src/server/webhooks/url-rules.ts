// Which webhook URLs the portal sends to (SSRF rules). On registration: http or https only, no
// user:password in the URL, and never the portal itself (its own host and port). At every
// delivery, the address the name resolves to is checked again before connecting (so a DNS
// answer that changes later cannot point a delivery at a forbidden address): never a
// link-local address (169.254.0.0/16, fe80::/10: cloud metadata services live there), never
// an address that is no host (0.0.0.0/8, ::), never a cloud metadata service outside link-local
// (Alibaba Cloud's 100.100.100.200, Azure's WireServer 168.63.129.16, AWS's IPv6
// fd00:ec2::254), nor one no vendor's receiver lives at (IETF protocol assignments
// 192.0.0.0/24; benchmarking 198.18.0.0/15; documentation 192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32 and 3fff::/20; multicast 224.0.0.0/4 and ff00::/8; reserved
// 240.0.0.0/4 with 255.255.255.255; discard-only 100::/64; deprecated site-local fec0::/10),
// never an address that tunnels or translates to one it does not show (NAT64 local-use
// 64:ff9b:1::/48, whatever the operator's NAT64 maps it to; Teredo 2001::/32, an obfuscated
// IPv4 address), never a loopback address (`localhost` and names under `.localhost` are loopback,
// RFC 6761, judged so when registered) nor one of this host's own interface addresses (as
// os.networkInterfaces() lists them: a container's 172.x address, the LAN address) on one of the
// portal's own ports (it listens on 0.0.0.0 in compose.yaml, so all of them reach it), and with
// `denyPrivate` no loopback or private-network address (10/8, 172.16/12, 192.168/16, the shared
// address space 100.64.0.0/10 of carrier-grade NAT and overlay networks such as Tailscale,
// fc00::/7) at all. A proxy or a port mapping in front of the portal is another host's address:
// only `denyPrivate` refuses it (when it is private). An IPv4 address written as IPv6
// (IPv4-mapped ::ffff:a.b.c.d, hex or dotted; IPv4-compatible ::a.b.c.d; IPv4-translated
// ::ffff:0:a.b.c.d; NAT64 64:ff9b::a.b.c.d; 6to4 2002:AABB:CCDD::/48) is judged as the IPv4
// address it carries, here and among the host's own addresses.
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { PortalError } from '../http/portal-errors.js';

export class WebhookUrlInvalidError extends PortalError {
  constructor(why: string) {
    super('ERR_WEBHOOK_URL_INVALID', `The webhook URL is refused: ${why}.`);
  }
}

export interface UrlRules {
  /** `host:port` values that are the portal itself (as browsers and the proxy reach it). */
  selfHosts: readonly string[];
  /**
   * Ports the portal process listens on: a loopback address, or one of `hostAddresses`, with one
   * of these is itself.
   */
  selfPorts: readonly number[];
  /** Refuse loopback and private-network addresses too (default: allowed, for an on-premise CRM). */
  denyPrivate: boolean;
  /**
   * This host's own interface addresses, any family and however written (`interfaceAddresses()`
   * reads them; tests inject a list); null when they could not be read, and then every address
   * on one of `selfPorts` is refused, since any of them might be this host.
   */
  hostAddresses: () => readonly string[] | null;
}

/**
 * This host's interface addresses (os.networkInterfaces(), every family), read now and again when
 * asked more than `maxAgeMs` later. A read costs some 60 µs, and is asked for only when an
 * address is on one of the portal's ports; 1 s keeps a host with many interfaces cheap and a new
 * address (an attached network) unknown for a second at most. A failed read keeps the last list
 * (null if none was ever read).
 */
export function interfaceAddresses(
  options: { maxAgeMs?: number; read?: () => string[]; now?: () => number } = {},
): () => readonly string[] | null {
  const maxAgeMs = options.maxAgeMs ?? 1_000;
  const now = options.now ?? (() => performance.now());
  const read =
    options.read ??
    (() =>
      Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  let list: readonly string[] | null = null;
  let readAt = Number.NEGATIVE_INFINITY;
  const refresh = () => {
    readAt = now();
    try {
      list = read();
    } catch {
      // Kept: the last list read, or null (every address on the portal's ports refused).
    }
  };
  refresh();
  return () => {
    if (now() - readAt >= maxAgeMs) refresh();
    return list;
  };
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** The eight 16-bit groups of a valid IPv6 address (no zone). */
function ipv6Groups(address: string): number[] {
  // A dotted IPv4 tail (::ffff:1.2.3.4) is two groups written another way.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)]
      .map((x) => x.toString(16))
      .join(':'),
  );
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * The address as the rules judge it: `{family: 4}` for an IPv4 address however it is written
 * (an IPv6 form that carries one included), `{family: 6}` otherwise, or null if not an address.
 */
export function canonicalAddress(text: string): { family: 4 | 6; address: string } | null {
  const bare = text
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  const family = isIP(bare);
  if (family === 4) return { family: 4, address: bare };
  if (family !== 6) return null;
  const g = ipv6Groups(bare);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  // The IPv4 address in groups `at` and `at + 1`.
  const v4 = (at: number) => ({
    family: 4 as const,
    address: [g[at]! >> 8, g[at]! & 0xff, g[at + 1]! >> 8, g[at + 1]! & 0xff].join('.'),
  });
  if (zeros(5) && g[5] === 0xffff) return v4(6); // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeros(4) && g[4] === 0xffff && g[5] === 0) return v4(6); // ::ffff:0:a.b.c.d (translated)
  if (zeros(6) && (g[6] !== 0 || g[7]! > 1)) return v4(6); // ::a.b.c.d (IPv4-compatible), not :: or ::1
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) {
    return v4(6); // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  }
  if (g[0] === 0x2002) return v4(1); // 2002:aabb:ccdd::/48 (6to4: a.b.c.d's own IPv6 network)
  return { family: 6, address: g.map((x) => x.toString(16)).join(':') };
}

function hostKey(host: string, port: number): string {
  const ip = canonicalAddress(host);
  // A name with its root dot (portal.example.com.) is the same host as without it.
  const name = host.toLowerCase().replace(/\.$/, '');
  return `${ip === null ? name : ip.address}:${port}`;
}

function blockList(subnets: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of subnets) list.addSubnet(network, prefix, type);
  return list;
}

/** Ranges refused whatever the rules, each with the reason a refusal names. */
const NO_RECEIVER: readonly (readonly [BlockList, string])[] = [
  [
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
    'is not a host',
  ],
  [
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
    'is link-local (cloud metadata lives there)',
  ],
  [
    blockList([
      ['100.100.100.200', 32, 'ipv4'],
      ['168.63.129.16', 32, 'ipv4'],
      ['fd00:ec2::254', 128, 'ipv6'],
    ]),
    'is a cloud metadata service',
  ],
  [blockList([['192.0.0.0', 24, 'ipv4']]), 'is an IETF protocol address (192.0.0.0/24)'],
  [blockList([['198.18.0.0', 15, 'ipv4']]), 'is for benchmarking (198.18.0.0/15)'],
  [
    blockList([
      ['192.0.2.0', 24, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['2001:db8::', 32, 'ipv6'],
      ['3fff::', 20, 'ipv6'],
    ]),
    'is a documentation address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20)',
  ],
  [
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
    'is multicast',
  ],
  [blockList([['240.0.0.0', 4, 'ipv4']]), 'is reserved (240.0.0.0/4, with the broadcast address)'],
  [blockList([['100::', 64, 'ipv6']]), 'is discard-only (100::/64)'],
  [blockList([['fec0::', 10, 'ipv6']]), 'is site-local (fec0::/10, deprecated)'],
  [
    blockList([['64:ff9b:1::', 48, 'ipv6']]),
    "is NAT64 local-use (64:ff9b:1::/48): it reaches whatever the operator's NAT64 maps it to",
  ],
  [
    blockList([['2001::', 32, 'ipv6']]),
    'is Teredo (2001::/32): it tunnels to an IPv4 address it hides',
  ],
];
const LOOPBACK = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

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
    rules.selfHosts.flatMap((h) => {
      const [name, p] = h.includes(']')
        ? [h.slice(0, h.indexOf(']') + 1), h.slice(h.indexOf(']') + 2)]
        : h.split(':');
      // No port (new URL('https://portal.example.com').host drops the default): either default.
      return p ? [hostKey(name ?? '', Number(p))] : [80, 443].map((d) => hostKey(name ?? '', d));
    }),
  );
  if (self.has(hostKey(url.hostname, port))) {
    throw new WebhookUrlInvalidError('it points at this portal');
  }
  const why = literalRefusal(url, rules);
  if (why !== null) throw new WebhookUrlInvalidError(why);
  return url.toString();
}

/**
 * If the URL's host is an IP literal, or a `localhost` name (RFC 6761: `localhost` and every name
 * under `.localhost` are loopback, whatever a resolver says; judged as 127.0.0.1 and ::1), why it
 * may not be sent to, or null. Either way there is no name to resolve: no later attempt differs.
 */
export function literalRefusal(url: URL, rules: UrlRules): string | null {
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return addressRefusal('127.0.0.1', port, rules) ?? addressRefusal('::1', port, rules);
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) === 0) return null;
  return addressRefusal(literal, port, rules);
}

/** Why a resolved address may not be sent to, or null. */
export function addressRefusal(address: string, port: number, rules: UrlRules): string | null {
  const ip = canonicalAddress(address);
  if (ip === null) return `${address} is not an IP address`;
  const type = ip.family === 4 ? 'ipv4' : 'ipv6';
  const is = (list: BlockList) => list.check(ip.address, type);
  for (const [list, why] of NO_RECEIVER) if (is(list)) return `${address} ${why}`;
  const loopback = is(LOOPBACK);
  if (rules.selfPorts.includes(port)) {
    if (loopback) return 'it points at this portal';
    const own = rules.hostAddresses();
    if (own === null) {
      return `it may point at this portal (${address} on its port; this host's addresses are unknown)`;
    }
    for (const text of own) {
      const mine = canonicalAddress(text);
      if (mine?.family === ip.family && mine.address === ip.address) {
        return `it points at this portal (${address} is this host's own address)`;
      }
    }
  }
  if (rules.denyPrivate && (loopback || is(PRIVATE))) {
    return `${address} is a private address (LICENSOR_WEBHOOK_DENY_PRIVATE is set)`;
  }
  return null;
}
