// Host allow-list, against DNS rebinding (#16.8): a page on an attacker's domain whose name is
// made to resolve to the portal's address reaches the portal as same-origin to the browser, but
// every request it makes names the attacker's domain in Host. The portal answers only to the
// host names it was given, to localhost, and to IP addresses (a rebinding attack cannot make a
// browser send an IP literal as Host: the page's own origin is a name). Behind a proxy with
// `trust proxy`, the name is the one the proxy forwards (X-Forwarded-Host).
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { HostNotAllowedError } from './portal-errors.js';

/** True when `hostname` (no port; IPv6 in brackets or not) may be answered. */
export function hostAllowed(hostname: string, allowed: ReadonlySet<string>): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || isIP(name) !== 0 || allowed.has(name);
}

export function allowedHostsOnly(names: readonly string[]): RequestHandler {
  const allowed = new Set(names.map((name) => name.trim().toLowerCase()).filter(Boolean));
  return (req, _res, next) => {
    const { hostname } = req;
    // A request without Host (HTTP/1.0 health checks) carries no name to rebind.
    if (hostname === undefined || hostname === '' || hostAllowed(hostname, allowed)) return next();
    next(new HostNotAllowedError(hostname));
  };
}
