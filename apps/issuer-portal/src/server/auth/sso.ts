// Single sign-on with OpenID Connect (openid-client): the authorization code flow with PKCE
// (S256), state and nonce. The values a login starts with are kept in the shared store under the
// SHA-256 of a random cookie value (SameSite=Lax, so it comes back with the identity provider's
// redirect), taken once at the callback, so any portal process can finish a login another began.
//
// The user is the one linked to the provider's subject; at the first login, a portal user whose
// name is the user's verified e-mail address is linked, or a new user is made (with a random
// password nobody knows). The role comes from the provider's groups at every login (the highest
// mapped group wins); no mapped group is a refusal, audited, and nothing is written.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Issuer, VendorUser } from '@licensor/issuer';
import * as oidc from 'openid-client';
import { readCookie } from '../http/cookies.js';
import { PortalError } from '../http/portal-errors.js';
import { ROLES, type Role } from '../roles.js';
import type { WindowLimit } from './window-limiter.js';

export interface SsoOptions {
  /** The identity provider's issuer URL (discovery at `/.well-known/openid-configuration`). */
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** This portal's callback: `https://portal.example.com/api/v1/auth/oidc/callback`. */
  redirectUrl: string;
  /** The claim that lists the user's groups (default `groups`). */
  groupsClaim?: string;
  /** Group name -> portal role; the highest role among the user's groups wins. */
  roleMap: Readonly<Record<string, Role>>;
  /** Scopes asked for (default `openid email profile`). */
  scopes?: string;
  /** What the login page's button says: "Sign in with <name>" (default "single sign-on"). */
  name?: string;
  /**
   * Logins one client address may start per window, in each portal process (default 30 a
   * minute): each start is a row in the store until it is used or ten minutes pass.
   */
  startLimit?: WindowLimit;
}

export const DEFAULT_SSO_START_LIMIT: WindowLimit = { limit: 30, windowMs: 60_000 };

export type SsoErrorCode =
  | 'ERR_SSO_NOT_CONFIGURED'
  | 'ERR_SSO_STATE_INVALID'
  | 'ERR_SSO_NONCE_INVALID'
  | 'ERR_SSO_DENIED'
  | 'ERR_SSO_FAILED'
  | 'ERR_SSO_NO_ROLE'
  | 'ERR_SSO_USER_DISABLED'
  | 'ERR_SSO_CONFIG'
  | 'ERR_RATE_LIMITED';

export class SsoError extends PortalError {
  constructor(code: SsoErrorCode, message: string) {
    super(code, message);
  }
}

/** A login in flight lives this long (the time to sign in at the provider). */
export const SSO_LOGIN_TTL_MS = 10 * 60 * 1000;
export const SSO_COOKIE = 'licensor_portal_sso';
export const SECURE_SSO_COOKIE = '__Host-licensor_portal_sso';
const RANK: Record<Role, number> = { viewer: 0, issuer: 1, admin: 2 };
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Reads the SSO settings from the environment; undefined when LICENSOR_OIDC_ISSUER is unset.
 * Throws SsoError ERR_SSO_CONFIG naming what is missing or malformed.
 */
export function ssoOptionsFromEnv(env: NodeJS.ProcessEnv): SsoOptions | undefined {
  const issuerUrl = env.LICENSOR_OIDC_ISSUER?.trim();
  if (!issuerUrl) return undefined;
  const need = (name: string): string => {
    const value = env[name]?.trim();
    if (!value)
      throw new SsoError('ERR_SSO_CONFIG', `${name} must be set with LICENSOR_OIDC_ISSUER`);
    return value;
  };
  const roleMap = parseRoleMap(need('LICENSOR_OIDC_ROLE_MAP'));
  const options: SsoOptions = {
    issuerUrl,
    clientId: need('LICENSOR_OIDC_CLIENT_ID'),
    clientSecret: need('LICENSOR_OIDC_CLIENT_SECRET'),
    redirectUrl: need('LICENSOR_OIDC_REDIRECT_URL'),
    roleMap,
  };
  if (env.LICENSOR_OIDC_GROUPS_CLAIM?.trim())
    options.groupsClaim = env.LICENSOR_OIDC_GROUPS_CLAIM.trim();
  if (env.LICENSOR_OIDC_SCOPES?.trim()) options.scopes = env.LICENSOR_OIDC_SCOPES.trim();
  if (env.LICENSOR_OIDC_NAME?.trim()) options.name = env.LICENSOR_OIDC_NAME.trim();
  checkUrls(options);
  return options;
}

/** `licensor-admins=admin,support=issuer,staff=viewer` -> a map; each role must be a portal role. */
export function parseRoleMap(text: string): Record<string, Role> {
  // No prototype: a group called __proto__ is a key like any other, not the object's prototype.
  const map: Record<string, Role> = Object.create(null);
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.lastIndexOf('=');
    const group = entry.slice(0, eq).trim();
    const role = entry.slice(eq + 1).trim() as Role;
    if (eq <= 0 || group === '' || !ROLES.includes(role)) {
      throw new SsoError(
        'ERR_SSO_CONFIG',
        `LICENSOR_OIDC_ROLE_MAP: "${entry.trim()}" is not GROUP=ROLE with a role of ${ROLES.join(', ')}`,
      );
    }
    map[group] = role;
  }
  if (Object.keys(map).length === 0) {
    throw new SsoError('ERR_SSO_CONFIG', 'LICENSOR_OIDC_ROLE_MAP maps no group to a role');
  }
  return map;
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

function checkUrls(options: SsoOptions): void {
  for (const [name, value] of [
    ['LICENSOR_OIDC_ISSUER', options.issuerUrl],
    ['LICENSOR_OIDC_REDIRECT_URL', options.redirectUrl],
  ] as const) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new SsoError('ERR_SSO_CONFIG', `${name} is not a URL: ${value}`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      throw new SsoError('ERR_SSO_CONFIG', `${name} must be https (http only on 127.0.0.1)`);
    }
  }
}

/** The highest role the groups map to, or null. */
export function roleOfGroups(
  groups: readonly string[],
  roleMap: Readonly<Record<string, Role>>,
): Role | null {
  let best: Role | null = null;
  for (const group of groups) {
    // Own keys only: a group called toString or constructor is not on the map.
    const role = Object.hasOwn(roleMap, group) ? roleMap[group] : undefined;
    if (role !== undefined && (best === null || RANK[role] > RANK[best])) best = role;
  }
  return best;
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return [value];
  return [];
}

export interface SsoIdentityClaims {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  preferredUsername: string | null;
  groups: string[];
}

export class Sso {
  readonly #options: SsoOptions;
  readonly #issuer: Issuer;
  readonly #now: () => number;
  #config: Promise<oidc.Configuration> | null = null;

  constructor(options: SsoOptions, issuer: Issuer, now: () => number) {
    checkUrls(options);
    this.#options = options;
    this.#issuer = issuer;
    this.#now = now;
  }

  get redirectUrl(): string {
    return this.#options.redirectUrl;
  }

  get name(): string {
    return this.#options.name ?? 'single sign-on';
  }

  get startLimit(): WindowLimit {
    return this.#options.startLimit ?? DEFAULT_SSO_START_LIMIT;
  }

  /** The provider's metadata, discovered at the first login (the portal starts without it). */
  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= (async () => {
      const url = new URL(this.#options.issuerUrl);
      const options = url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {};
      // The secret goes to the token endpoint with HTTP Basic (client_secret_basic, the method
      // a client is registered with by default); openid-client would otherwise send it in the
      // body (client_secret_post), which a provider enforcing the registered method refuses.
      return oidc.discovery(
        url,
        this.#options.clientId,
        this.#options.clientSecret,
        oidc.ClientSecretBasic(this.#options.clientSecret),
        options,
      );
    })().catch((error: unknown) => {
      this.#config = null;
      throw new SsoError(
        'ERR_SSO_FAILED',
        `The identity provider at ${this.#options.issuerUrl} cannot be reached (${(error as Error).message}). Try again later, or ask an administrator.`,
      );
    });
    return this.#config;
  }

  /** Starts a login: answers the provider's authorization URL and the cookie value to set. */
  async start(): Promise<{ url: string; cookie: string }> {
    const config = await this.#configuration();
    const cookie = randomBytes(32).toString('base64url');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await this.#issuer.store.sso.sweepSsoLogins(this.#now() - SSO_LOGIN_TTL_MS);
    await this.#issuer.store.sso.putSsoLogin({
      idHash: hash(cookie),
      state,
      nonce,
      codeVerifier,
      createdAt: this.#now(),
    });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#options.redirectUrl,
      scope: this.#options.scopes ?? 'openid email profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, cookie };
  }

  /**
   * Finishes a login at the callback: checks the cookie's login, the state, the code (with the
   * PKCE verifier) and the ID token's nonce; answers who signed in. Writes nothing but taking
   * the login in flight.
   */
  async finish(cookie: string | undefined, callbackUrl: URL): Promise<SsoIdentityClaims> {
    const providerError = callbackUrl.searchParams.get('error');
    const pending = cookie ? await this.#issuer.store.sso.takeSsoLogin(hash(cookie)) : null;
    if (providerError !== null) {
      throw new SsoError(
        'ERR_SSO_DENIED',
        `The identity provider did not sign you in (${providerError}). Try again from the login page.`,
      );
    }
    const state = callbackUrl.searchParams.get('state') ?? '';
    if (
      pending === null ||
      pending.createdAt < this.#now() - SSO_LOGIN_TTL_MS ||
      !sameText(state, pending.state)
    ) {
      throw new SsoError(
        'ERR_SSO_STATE_INVALID',
        'This sign-in was not started by this browser, was already used, or is more than 10 minutes old. Start again from the login page.',
      );
    }
    const config = await this.#configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // openid-client wraps oauth4webapi's error, whose `cause` names the claim that differed.
      const { code, cause } = error as { code?: unknown; cause?: { cause?: { claim?: unknown } } };
      if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && cause?.cause?.claim === 'nonce') {
        throw new SsoError(
          'ERR_SSO_NONCE_INVALID',
          'The identity provider’s answer was not for this sign-in (its nonce differs). Start again from the login page.',
        );
      }
      throw new SsoError(
        'ERR_SSO_FAILED',
        `The identity provider’s answer could not be verified (${(error as Error).message}). Start again from the login page.`,
      );
    }
    const claims = tokens.claims();
    if (claims === undefined) {
      throw new SsoError('ERR_SSO_FAILED', 'The identity provider sent no ID token.');
    }
    const groupsClaim = this.#options.groupsClaim ?? 'groups';
    let all: Record<string, unknown> = { ...claims };
    if (all[groupsClaim] === undefined || all.email === undefined) {
      // Many providers put groups and e-mail only in the UserInfo answer.
      let info: Record<string, unknown>;
      try {
        info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      } catch (error) {
        throw new SsoError(
          'ERR_SSO_FAILED',
          `The identity provider’s UserInfo answer could not be read (${(error as Error).message}). Start again from the login page.`,
        );
      }
      all = { ...info, ...all };
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof all.email === 'string' ? all.email : null,
      emailVerified: all.email_verified === true,
      preferredUsername: typeof all.preferred_username === 'string' ? all.preferred_username : null,
      groups: groupsOf(all[groupsClaim]),
    };
  }

  /** The role these claims give, or a refusal when no group is mapped. */
  roleOf(identity: SsoIdentityClaims): Role {
    const role = roleOfGroups(identity.groups, this.#options.roleMap);
    if (role === null) {
      throw new SsoError(
        'ERR_SSO_NO_ROLE',
        'Your account at the identity provider is in no group that has a role in Licensor. Ask an administrator to add you to one.',
      );
    }
    return role;
  }

  /**
   * The portal user of this identity, with the role its groups give: the linked one; else, at
   * the first login, the user named by the verified e-mail address, or a new user.
   */
  async userOf(identity: SsoIdentityClaims, role: Role): Promise<VendorUser> {
    const { store, users } = this.#issuer;
    const link = await store.sso.getSsoIdentity(identity.issuer, identity.subject);
    const all = await users.list();
    let user = link === null ? undefined : all.find((u) => u.id === link.userId);
    if (user === undefined) {
      const email = identity.emailVerified ? identity.email : null;
      const byEmail = email === null ? undefined : all.find((u) => u.name === email);
      if (byEmail !== undefined) {
        user = byEmail;
      } else {
        const name = this.#newName(identity, new Set(all.map((u) => u.name.toLowerCase())));
        user = await users.add(name, role, randomBytes(32).toString('base64url'), 'sso');
      }
      if (user.disabled) throw disabled(user);
      await store.sso.linkSsoIdentity({
        issuer: identity.issuer,
        subject: identity.subject,
        userId: user.id,
        linkedAt: this.#now(),
      });
    }
    if (user.disabled) throw disabled(user);
    if (user.role !== role) user = await users.setRole(user.name, role, 'sso');
    return user;
  }

  #newName(identity: SsoIdentityClaims, taken: ReadonlySet<string>): string {
    for (const candidate of [
      identity.emailVerified ? identity.email : null,
      identity.preferredUsername,
    ]) {
      if (candidate && USER_NAME.test(candidate) && !taken.has(candidate.toLowerCase())) {
        return candidate;
      }
    }
    return `sso-${hash(`${identity.issuer}\u0000${identity.subject}`).slice(0, 12)}`;
  }
}

function disabled(user: VendorUser): SsoError {
  return new SsoError(
    'ERR_SSO_USER_DISABLED',
    `The portal account ${user.name} is disabled. Ask an administrator.`,
  );
}

/** The value of the browser's SSO login cookie. */
export function ssoCookieOf(header: string | undefined, secure: boolean): string | undefined {
  return readCookie(header, secure ? SECURE_SSO_COOKIE : SSO_COOKIE);
}
