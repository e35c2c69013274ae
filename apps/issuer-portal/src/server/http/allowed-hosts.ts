// Host allow-list, against DNS rebinding (#16.8): a page on an attacker's domain whose name is
// made to resolve to the portal's address reaches the portal as same-origin to the browser, but
// every request it makes names the attacker's domain in Host. The portal answers only to the
// host names it was given, to localhost, and to IP addresses (a rebinding attack cannot make a
// browser send an IP literal as Host: the page's own origin is a name). Behind a proxy with
// `trust proxy`, the name the proxy forwards (X-Forwarded-Host) must be allowed, and so must the
// Host the request itself carries: a rebinding page is same-origin, so it can set an
// X-Forwarded-Host of its choice, which a proxy that passes the client's Host through (and the
// header with it) does not replace.
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { HostNotAllowedError } from './portal-errors.js';

/** True when `hostname` (no port; IPv6 in brackets or not) may be answered. */
export function hostAllowed(hostname: string, allowed: ReadonlySet<string>): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || isIP(name) !== 0 || allowed.has(name);
}

/** The name in a Host header, without its port (an IPv6 literal keeps its brackets). */
export function hostNameOf(header: string): string {
  const value = header.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export function allowedHostsOnly(names: readonly string[]): RequestHandler {
  const allowed = new Set(names.map((name) => name.trim().toLowerCase()).filter(Boolean));
  return (req, _res, next) => {
    // A request without Host (HTTP/1.0 health checks) carries no name to rebind.
    const own = req.headers.host === undefined ? '' : hostNameOf(req.headers.host);
    if (own !== '' && !hostAllowed(own, allowed)) return next(new HostNotAllowedError(own));
    const { hostname } = req;
    if (hostname === undefined || hostname === '' || hostAllowed(hostname, allowed)) return next();
    next(new HostNotAllowedError(hostname));
  };
}
