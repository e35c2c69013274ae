// The key a limit counts a client under. An IPv4 address is one client; an IPv6 address is
// counted by its /64 prefix, the block one subscriber or host is usually given (RFC 6177; the
// address inside it is the holder's to choose, so keyed by the full address an attacker with a
// /64 would have 2^64 "clients"). An IPv4 address written as IPv6 (::ffff:a.b.c.d, as a
// dual-stack socket reports it) counts as the IPv4 address.
import { isIPv4, isIPv6 } from 'node:net';

/** Eight 16-bit groups of an IPv6 address (no zone), or null when it is not one. */
function groupsOf(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail !== null) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const left = part(head);
  const right = rest === undefined ? [] : part(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  return groups.length === 8 ? groups : null;
}

/** The client a limit counts `address` under: an IPv4 address, or an IPv6 /64 (`2001:db8:1:2::/64`). */
export function clientKeyOf(address: string): string {
  const bare = address.split('%')[0]!.trim();
  if (isIPv4(bare)) return bare;
  const groups = groupsOf(bare);
  if (groups === null) return bare;
  // ::ffff:0:0/96, an IPv4 address seen through an IPv6 socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
