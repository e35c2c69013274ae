// Two-factor login with TOTP (RFC 6238, otplib): SHA-1, 6 digits, 30 s steps, as every
// authenticator app reads them. A user enrols (a secret, shown as a QR code and an otpauth URI),
// proves it with a first code, and gets ten recovery codes shown once and stored only as SHA-256
// hashes (80 random bits each: a fast hash is enough). A code is accepted once: the TOTP time
// step, or the recovery code, is claimed by a unique insert in the store, so a code seen over a
// shoulder (or replayed by a second portal process) within its window is refused.
//
// Secrets at rest: with a key (LICENSOR_2FA_KEY) the TOTP secret is sealed (AES-256-GCM under
// scrypt of the key, bound to the user id); without one it is stored as it is, like webhook
// signing secrets, and docs/deploying.md says so.
import { createHash, randomBytes } from 'node:crypto';
import {
  openSecret,
  type Role,
  type StoredTotpSecret,
  sealSecret,
  type TwoFactorPolicy,
  type TwoFactorRecord,
  type TwoFactorStore,
} from '@licensor/issuer';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { PortalError } from '../http/portal-errors.js';

export const RECOVERY_CODE_COUNT = 10;
/** One step either side of now: a phone clock 30 s off still works. */
const TOLERANCE_SECONDS = 30;
/** otplib's (and every app's) default TOTP step. */
const PERIOD_SECONDS = 30;
const TOTP_PATTERN = /^\d{6}$/;
/** 16 base32 letters (80 bits), shown as four groups of four. */
const RECOVERY_PATTERN = /^[a-z2-7]{16}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export class TwoFactorRequiredError extends PortalError {
  constructor() {
    super(
      'ERR_2FA_REQUIRED',
      'This account has two-factor login: enter the 6-digit code from your authenticator app, or one of your recovery codes.',
    );
  }
}

export class TwoFactorCodeWrongError extends PortalError {
  constructor() {
    super(
      'ERR_2FA_CODE_WRONG',
      'The code is wrong. Enter the current 6-digit code from your authenticator app (check its clock), or an unused recovery code.',
    );
  }
}

export class TwoFactorCodeUsedError extends PortalError {
  constructor() {
    super(
      'ERR_2FA_CODE_USED',
      'That code has already been used. Wait for the next code from your authenticator app.',
    );
  }
}

export class TwoFactorEnrolmentRequiredError extends PortalError {
  constructor() {
    super(
      'ERR_2FA_ENROLMENT_REQUIRED',
      'An administrator requires two-factor login for your account: set it up on the Account page first.',
    );
  }
}

export class TwoFactorStateError extends PortalError {
  constructor(
    code:
      | 'ERR_2FA_ALREADY_ENABLED'
      | 'ERR_2FA_NOT_ENABLED'
      | 'ERR_2FA_NOT_ENROLLING'
      | 'ERR_2FA_REQUIRED_BY_POLICY',
    message: string,
  ) {
    super(code, message);
  }
}

export class TwoFactorKeyError extends PortalError {
  constructor() {
    super(
      'ERR_2FA_KEY_REQUIRED',
      'This account’s two-factor secret is sealed and the portal does not have the right key: start the portal with the LICENSOR_2FA_KEY it was enrolled under.',
    );
  }
}

export interface TwoFactorOptions {
  /** Seals TOTP secrets at rest (LICENSOR_2FA_KEY); unset: stored as they are. */
  key?: string;
  /** The name authenticator apps show beside the account. Default "Licensor". */
  issuerName?: string;
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  /** The otpauth URI as a PNG QR code, a data: URL the page shows as an image. */
  qrCode: string;
}

export interface TwoFactorStatus {
  enabled: boolean;
  pending: boolean;
  enabledAt: number | null;
  recoveryCodesLeft: number;
  policy: TwoFactorPolicy;
  /** The policy requires a second factor of this user. */
  required: boolean;
}

/** The user must have a second factor under this policy. */
export function policyRequires(policy: TwoFactorPolicy, role: Role): boolean {
  return policy === 'everyone' || (policy === 'admins' && role === 'admin');
}

/** Lower case, no spaces or dashes: `ABCD-efgh 2345-6712` and `abcdefgh23456712` are one code. */
function normalise(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalise(code)).digest('hex');
}

function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  let code = '';
  for (const byte of bytes) code += BASE32[byte & 31];
  return code.match(/.{4}/g)!.join('-');
}

function aad(userId: string): string {
  return `licensor-totp:${userId}`;
}

export class TwoFactor {
  readonly #store: TwoFactorStore;
  readonly #options: TwoFactorOptions;
  readonly #now: () => number;

  constructor(store: TwoFactorStore, options: TwoFactorOptions, now: () => number) {
    this.#store = store;
    this.#options = options;
    this.#now = now;
  }

  get sealsSecrets(): boolean {
    return this.#options.key !== undefined && this.#options.key !== '';
  }

  async policy(): Promise<TwoFactorPolicy> {
    return (await this.#store.getTwoFactorPolicy())?.policy ?? 'optional';
  }

  setPolicy(policy: TwoFactorPolicy, by: string): Promise<void> {
    return this.#store.setTwoFactorPolicy({ policy, updatedAt: this.#now(), updatedBy: by });
  }

  /** Whether the user has 2FA turned on (a pending enrolment does not count). */
  async isEnabled(userId: string): Promise<boolean> {
    return (await this.#store.getTwoFactor(userId))?.state === 'enabled';
  }

  listEnabled(): Promise<string[]> {
    return this.#store.listTwoFactorEnabled();
  }

  async status(user: { id: string; role: Role }): Promise<TwoFactorStatus> {
    const record = await this.#store.getTwoFactor(user.id);
    const policy = await this.policy();
    const enabled = record?.state === 'enabled';
    const codes = enabled ? await this.#store.listRecoveryCodes(user.id) : [];
    return {
      enabled,
      pending: record?.state === 'pending',
      enabledAt: record?.enabledAt ?? null,
      recoveryCodesLeft: codes.filter((c) => !c.used).length,
      policy,
      required: policyRequires(policy, user.role),
    };
  }

  /** Starts (or restarts) enrolment: a new secret, not in force until `confirm`. */
  async begin(user: { id: string; name: string }): Promise<Enrolment> {
    const secret = generateSecret();
    const record: TwoFactorRecord = {
      userId: user.id,
      state: 'pending',
      secret: await this.#seal(user.id, secret),
      createdAt: this.#now(),
      enabledAt: null,
    };
    if (!(await this.#store.putPendingTwoFactor(record))) {
      throw new TwoFactorStateError(
        'ERR_2FA_ALREADY_ENABLED',
        'Two-factor login is already on for your account. Turn it off first (with a code) to enrol a new device.',
      );
    }
    const otpauthUri = generateURI({
      issuer: this.#options.issuerName ?? 'Licensor',
      label: user.name,
      secret,
    });
    const qrCode = await QRCode.toDataURL(otpauthUri, { margin: 1, width: 220 });
    return { secret, otpauthUri, qrCode };
  }

  /**
   * Throws the TwoFactorStateError `confirm` (state 'pending') or `verify` (state 'enabled')
   * would, before any code is judged: a route checks it before counting an attempt.
   */
  async requireState(userId: string, state: 'pending' | 'enabled'): Promise<void> {
    if (state === 'enabled') await this.#enabled(userId);
    else await this.#pending(userId);
  }

  /** The first code from the app turns 2FA on; answers the recovery codes (shown once). */
  async confirm(userId: string, code: string): Promise<string[]> {
    const record = await this.#pending(userId);
    await this.#checkTotp(record, code);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    if (!(await this.#store.enableTwoFactor(userId, this.#now(), codes.map(hashRecoveryCode)))) {
      throw new TwoFactorStateError('ERR_2FA_NOT_ENROLLING', 'The enrolment changed; start again.');
    }
    return codes;
  }

  /**
   * Checks a second factor of a user with 2FA on: a TOTP code or a recovery code, each accepted
   * once. Throws TwoFactorCodeWrongError / TwoFactorCodeUsedError.
   */
  async verify(userId: string, code: string): Promise<'totp' | 'recovery'> {
    const record = await this.#enabled(userId);
    if (TOTP_PATTERN.test(code.replace(/\s/g, ''))) {
      await this.#checkTotp(record, code);
      return 'totp';
    }
    const normal = normalise(code);
    if (!RECOVERY_PATTERN.test(normal)) throw new TwoFactorCodeWrongError();
    const hash = hashRecoveryCode(normal);
    const codes = await this.#store.listRecoveryCodes(userId);
    const found = codes.find((c) => c.hash === hash);
    if (found === undefined) throw new TwoFactorCodeWrongError();
    if (
      found.used ||
      !(await this.#store.claimCodeUse(userId, `recovery:${hash}`, this.#now(), null))
    ) {
      throw new TwoFactorCodeUsedError();
    }
    return 'recovery';
  }

  /** Turns 2FA off after checking a code (TOTP or recovery). */
  async disable(userId: string, code: string): Promise<void> {
    await this.verify(userId, code);
    await this.#store.deleteTwoFactor(userId);
  }

  /** New recovery codes after checking a code; the old ones stop working. */
  async regenerateRecoveryCodes(userId: string, code: string): Promise<string[]> {
    await this.verify(userId, code);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.#store.replaceRecoveryCodes(userId, codes.map(hashRecoveryCode));
    return codes;
  }

  /** An admin's reset for a user who lost the device and the codes; false if 2FA was off. */
  reset(userId: string): Promise<boolean> {
    return this.#store.deleteTwoFactor(userId);
  }

  async #pending(userId: string): Promise<TwoFactorRecord> {
    const record = await this.#store.getTwoFactor(userId);
    if (record?.state !== 'pending') {
      throw record?.state === 'enabled'
        ? new TwoFactorStateError('ERR_2FA_ALREADY_ENABLED', 'Two-factor login is already on.')
        : new TwoFactorStateError(
            'ERR_2FA_NOT_ENROLLING',
            'There is no enrolment to confirm: start again with "Set up two-factor login".',
          );
    }
    return record;
  }

  async #enabled(userId: string): Promise<TwoFactorRecord> {
    const record = await this.#store.getTwoFactor(userId);
    if (record?.state !== 'enabled') {
      throw new TwoFactorStateError(
        'ERR_2FA_NOT_ENABLED',
        'Two-factor login is not on for this account.',
      );
    }
    return record;
  }

  async #checkTotp(record: TwoFactorRecord, code: string): Promise<void> {
    const token = code.replace(/\s/g, '');
    if (!TOTP_PATTERN.test(token)) throw new TwoFactorCodeWrongError();
    const secret = await this.#open(record);
    const epoch = Math.floor(this.#now() / 1000);
    const result = await verify({ secret, token, epoch, epochTolerance: TOLERANCE_SECONDS });
    if (!result.valid) throw new TwoFactorCodeWrongError();
    // The time step the code belongs to (the current one, or one either side of it).
    const step = Math.floor(epoch / PERIOD_SECONDS) + result.delta;
    const last = await this.#store.lastTotpStep(record.userId);
    if (last !== null && step <= last) throw new TwoFactorCodeUsedError();
    if (!(await this.#store.claimCodeUse(record.userId, `totp:${step}`, this.#now(), step))) {
      throw new TwoFactorCodeUsedError();
    }
  }

  async #seal(userId: string, base32: string): Promise<StoredTotpSecret> {
    const key = this.#options.key;
    if (key === undefined || key === '') return { protection: 'plain', base32 };
    const sealed = await sealSecret(new TextEncoder().encode(base32), key, aad(userId));
    return { protection: 'sealed', sealed };
  }

  async #open(record: TwoFactorRecord): Promise<string> {
    const { secret } = record;
    if (secret.protection === 'plain') return secret.base32;
    const key = this.#options.key;
    if (key === undefined || key === '') throw new TwoFactorKeyError();
    const plain = await openSecret(secret.sealed, key, aad(record.userId));
    if (plain === undefined) throw new TwoFactorKeyError();
    return new TextDecoder().decode(plain);
  }
}
