// The single sign-on port of the store: logins in flight (the state, nonce and PKCE verifier an
// OpenID Connect login started with, keyed by the SHA-256 of a cookie value and taken once), and
// the link from an identity provider's subject to a portal user. Both adapters implement it in
// their own files (`sqlite/sso.ts`, `mongo/sso.ts`); `LicensorStore.sso` exposes it, so any
// portal process can finish a login another one started.
//
// Times are milliseconds since the epoch.

export interface SsoLoginRecord {
  /** SHA-256 (base64url) of the random value in the browser's login cookie. */
  idHash: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
}

export interface SsoIdentity {
  /** The identity provider's issuer URL and the subject it names the user by. */
  issuer: string;
  subject: string;
  userId: string;
  linkedAt: number;
}

export interface SsoStore {
  putSsoLogin(record: SsoLoginRecord): Promise<void>;
  /** Removes and answers the login (once: a second take answers null). */
  takeSsoLogin(idHash: string): Promise<SsoLoginRecord | null>;
  /** Drops logins started before `before` (never finished). */
  sweepSsoLogins(before: number): Promise<number>;
  getSsoIdentity(issuer: string, subject: string): Promise<SsoIdentity | null>;
  /** False (nothing written) when that subject is linked already. */
  linkSsoIdentity(identity: SsoIdentity): Promise<boolean>;
}
