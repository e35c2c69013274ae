// The two-factor port of the store: the portal users' TOTP enrolments, their recovery codes (only
// as SHA-256 hashes), the codes already used (so a code is accepted once), and the portal-wide
// policy (who must have a second factor). Both adapters implement it in their own files
// (`sqlite/two-factor.ts`, `mongo/two-factor.ts`); `LicensorStore.twoFactor` exposes it.
//
// Every "use once" rule is a unique insert (a used TOTP time step, a used recovery code): two
// portal processes racing on one code cannot both win, on SQLite or on MongoDB (no counters
// updated in place; FerretDB loses racing updates to one document).
//
// Times are milliseconds since the epoch.

import type { SealedSecret } from '../keys/seal.js';

/** The TOTP secret (base32) as kept at rest: sealed when the portal has a key for it. */
export type StoredTotpSecret =
  | { protection: 'plain'; base32: string }
  /** AES-256-GCM under scrypt(LICENSOR_2FA_KEY), AAD = `licensor-totp:<userId>`. */
  | { protection: 'sealed'; sealed: SealedSecret };

/**
 * Used TOTP steps kept below the newest one claimed: a code is valid one step either side of
 * now, so a step more than two below a claimed one can never verify again and its row goes.
 */
export const STEPS_KEPT = 2;

export interface TwoFactorRecord {
  userId: string;
  /** `pending` between "enrol" and the first correct code; `enabled` after. */
  state: 'pending' | 'enabled';
  secret: StoredTotpSecret;
  createdAt: number;
  enabledAt: number | null;
}

/** Who must have a second factor to use the portal (password logins). */
export type TwoFactorPolicy = 'optional' | 'admins' | 'everyone';

export interface TwoFactorPolicyRecord {
  policy: TwoFactorPolicy;
  updatedAt: number;
  updatedBy: string;
}

export interface TwoFactorStore {
  getTwoFactor(userId: string): Promise<TwoFactorRecord | null>;
  /** Every user with 2FA enabled (ids), for the Users page. */
  listTwoFactorEnabled(): Promise<string[]>;
  /**
   * Starts (or restarts) an enrolment: stores a pending record. False, writing nothing, when the
   * user already has 2FA enabled.
   */
  putPendingTwoFactor(record: TwoFactorRecord): Promise<boolean>;
  /**
   * Turns a pending enrolment on and replaces the user's recovery codes with these hashes.
   * False, writing nothing, when there is no pending enrolment (or it is already enabled).
   */
  enableTwoFactor(
    userId: string,
    at: number,
    recoveryCodeHashes: readonly string[],
  ): Promise<boolean>;
  /** Removes the enrolment and the recovery codes; false when there was none. */
  deleteTwoFactor(userId: string): Promise<boolean>;
  /** Replaces the user's recovery codes (the old ones stop working). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /** The user's recovery code hashes, each with whether it has been used. */
  listRecoveryCodes(userId: string): Promise<{ hash: string; used: boolean }[]>;
  /** The highest TOTP time step this user has used, or null. */
  lastTotpStep(userId: string): Promise<number | null>;
  /**
   * Marks a code used: `totp:<step>` or `recovery:<hash>`. True for the first caller; false
   * (nothing written) when it was already used, by this process or another. Claiming a step
   * drops the user's used steps more than STEPS_KEPT below it (they can never verify again).
   */
  claimCodeUse(userId: string, use: string, at: number, step: number | null): Promise<boolean>;
  getTwoFactorPolicy(): Promise<TwoFactorPolicyRecord | null>;
  setTwoFactorPolicy(record: TwoFactorPolicyRecord): Promise<void>;
}
