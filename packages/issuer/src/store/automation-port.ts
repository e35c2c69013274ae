// The automation and accounts port of the store: what the portal keeps beside the license
// records so that other systems and more than one portal process can work with it. API tokens
// (stored only as hashes), portal sessions (keyed by a hash of the cookie value), failed-login
// counters (keyed by a hash of account and address). Both adapters implement it in their own
// files (`sqlite/automation.ts`, `mongo/automation.ts`); `LicensorStore.automation` exposes it.
//
// Times are milliseconds since the epoch.

/** A role a token may hold: never admin, so a token cannot mint tokens or manage users. */
export type ApiTokenRole = 'issuer' | 'viewer';

export interface ApiTokenRecord {
  id: string; // tok_…
  /** Unique (case-insensitive); the audit log names the token's actions `token:<name>`. */
  name: string;
  role: ApiTokenRole;
  /** SHA-256 (hex) of the secret part: the secret itself is shown once and never stored. */
  secretHash: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export interface PortalSessionRecord {
  /** SHA-256 (base64url) of the cookie value: a copy of the store holds no usable session. */
  idHash: string;
  csrfToken: string;
  userId: string;
  userName: string;
  role: 'admin' | 'issuer' | 'viewer';
  createdAt: number;
  lastSeenAt: number;
}

export interface AutomationStore {
  // API tokens.
  /** False when a token of that name (any case) exists; nothing is written then. */
  insertApiToken(record: ApiTokenRecord): Promise<boolean>;
  getApiToken(id: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** False when there is no such token or it was already revoked. */
  revokeApiToken(id: string, at: number, by: string): Promise<boolean>;
  touchApiToken(id: string, at: number): Promise<void>;

  // Portal sessions.
  putSession(session: PortalSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<PortalSessionRecord | null>;
  /** Moves lastSeenAt forward (never back). */
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsOfUser(userId: string): Promise<void>;
  /** Deletes sessions idle since before `idleBefore` or created before `createdBefore`. */
  sweepSessions(idleBefore: number, createdBefore: number): Promise<number>;

  // Failed logins, counted per key over a sliding window (the last `windowMs` before `at`).
  /** Counts one failure; answers the failures of the key in the window, this one included. */
  recordLoginFailure(key: string, at: number, windowMs: number): Promise<number>;
  /** Failures of the key in the window that ends at `at`. */
  loginFailures(key: string, at: number, windowMs: number): Promise<number>;
  clearLoginFailures(key: string): Promise<void>;
}
