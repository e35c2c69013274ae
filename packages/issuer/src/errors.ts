// Typed errors of the issuer. Every failure a vendor, a script or a bad input can cause is a
// LicensorError with a stable code, so the CLI and the portal map codes, never message text.

import { LicensorError } from '@licensor/token';
import { CATALOG_ERROR_CODES } from './catalog/errors.js';
import { HSM_ERROR_CODES } from './keys/pkcs11/errors.js';
import type { AuditBreak } from './store/audit-chain.js';

/** The store cannot be reached or opened (contract §3). */
export class StoreUnavailableError extends LicensorError {
  static readonly code = 'ERR_STORE_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(StoreUnavailableError.code, message, options);
  }
}

/** The store was written by a newer version of Licensor than this one. */
export class StoreSchemaError extends LicensorError {
  static readonly code = 'ERR_STORE_SCHEMA';
  constructor(message: string) {
    super(StoreSchemaError.code, message);
  }
}

/**
 * The store's file is there but is not a Licensor store: zero bytes (a failed copy, a truncated
 * backup, `touch licensor.db`). It is refused instead of being taken for a new, empty store.
 */
export class StoreCorruptError extends LicensorError {
  static readonly code = 'ERR_STORE_CORRUPT';
  constructor(file: string, what: string) {
    super(
      StoreCorruptError.code,
      `${file} ${what}: it is not a Licensor store. Restore the file from a backup, or point --data at the folder that holds the store; to start over, move the file away and run \`licensor-issuer init\``,
    );
  }
}

/** A command that needs existing records was pointed at a folder that holds no store. */
export class StoreNotFoundError extends LicensorError {
  static readonly code = 'ERR_STORE_NOT_FOUND';
  constructor(dataDir: string) {
    super(
      StoreNotFoundError.code,
      `no Licensor store in ${dataDir}; pass --data with the folder that holds it (\`pnpm start\` uses ./.licensor-data), or run \`licensor-issuer init\` to make a new one there`,
    );
  }
}

export class NotInitialisedError extends LicensorError {
  static readonly code = 'ERR_NOT_INITIALISED';
  constructor(message = 'no active signing key: run `licensor-issuer init` first') {
    super(NotInitialisedError.code, message);
  }
}

export class ChallengeExpiredError extends LicensorError {
  static readonly code = 'ERR_CHALLENGE_EXPIRED';
  readonly expiredAt: number;
  constructor(expiredAt: number) {
    super(
      ChallengeExpiredError.code,
      `the challenge expired at ${new Date(expiredAt * 1000).toISOString()}: ask the customer for a new one`,
    );
    this.expiredAt = expiredAt;
  }
}

/** A key was issued for this challenge with other terms. */
export class ChallengeUsedError extends LicensorError {
  static readonly code = 'ERR_CHALLENGE_USED';
  readonly transactionId: string;
  /** `difference`: what differs, e.g. `credentials 60, not 50` (an approval run again). */
  constructor(transactionId: string, difference?: string) {
    super(
      ChallengeUsedError.code,
      difference === undefined
        ? `a key was already issued for this challenge with other terms (transaction ${transactionId}): issue with the same terms to get that key again, or ask for a new challenge`
        : `this request was already approved with other terms (transaction ${transactionId}; asked now: ${difference}): approve with the same terms to get that key again, or ask the installation for a new request`,
    );
    this.transactionId = transactionId;
  }
}

export class TermsInvalidError extends LicensorError {
  static readonly code = 'ERR_TERMS_INVALID';
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(TermsInvalidError.code, `terms: ${field} ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

export class InputInvalidError extends LicensorError {
  static readonly code = 'ERR_INPUT_INVALID';
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(InputInvalidError.code, `${field} ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/**
 * An environment setting with a value it does not take: `variable` names it, `accepted` says
 * what it takes. Code ERR_INPUT_INVALID (as before); a CLI that reads the setting at start
 * maps it to its usage error (exit 2) by `setting: true`.
 */
export class SettingInvalidError extends InputInvalidError {
  readonly setting = true;
  readonly variable: string;
  readonly accepted: string;
  constructor(variable: string, value: string, accepted: string) {
    super(variable, `is ${JSON.stringify(value)}: set it to ${accepted}, or unset it`);
    this.variable = variable;
    this.accepted = accepted;
  }
}

export class LicenseNotFoundError extends LicensorError {
  static readonly code = 'ERR_LICENSE_NOT_FOUND';
  readonly licenseId: string;
  constructor(licenseId: string) {
    super(LicenseNotFoundError.code, `no license ${licenseId} in this store`);
    this.licenseId = licenseId;
  }
}

/** The operation does not fit the license's state (e.g. issuing for a revoked license). */
export class LicenseStateError extends LicensorError {
  static readonly code = 'ERR_LICENSE_STATE';
  readonly state: string;
  constructor(state: string, message: string) {
    super(LicenseStateError.code, message);
    this.state = state;
  }
}

export class NotSubscriptionError extends LicensorError {
  static readonly code = 'ERR_NOT_SUBSCRIPTION';
  constructor(licenseId: string) {
    super(
      NotSubscriptionError.code,
      `license ${licenseId} is perpetual: only a subscription has a term to renew`,
    );
  }
}

/** The plan's renewal policy allows a renewal only within its window before the term ends. */
export class RenewalTooEarlyError extends LicensorError {
  static readonly code = 'ERR_RENEWAL_TOO_EARLY';
  /** The earliest time (seconds) the plan allows a renewal. */
  readonly earliest: number;
  constructor(licenseId: string, planName: string, windowDays: number, earliest: number) {
    super(
      RenewalTooEarlyError.code,
      `license ${licenseId} renews from ${new Date(earliest * 1000).toISOString().slice(0, 10)} ` +
        `on: plan "${planName}" allows a renewal within ${windowDays} days before the term ends`,
    );
    this.earliest = earliest;
  }
}

/** The challenge needs a vendor's approval first (a model switch or a rehost). */
export class ApprovalRequiredError extends LicensorError {
  static readonly code = 'ERR_APPROVAL_REQUIRED';
  /** The pending request to approve; null when there is none yet (`ModelSwitchNotApprovedError`). */
  readonly requestId: string | null;
  constructor(requestId: string, what: string);
  constructor(requestId: null, what: string, how: string);
  constructor(requestId: string | null, what: string, how?: string) {
    super(
      ApprovalRequiredError.code,
      `${what}: ${how ?? `approve request ${requestId} (licensor-issuer approve ${requestId}) instead of issuing`}`,
    );
    this.requestId = requestId;
  }
}

/**
 * `issue` with another model than the license in force has: a model switch, which only the
 * approval flow makes (the customer's Activate, then `approve` here), never a plain issue, even
 * when the challenge asks for that model. There is no request to approve yet (`requestId` null):
 * an Activate challenge makes one when it is inspected. Same code as ApprovalRequiredError.
 */
export class ModelSwitchNotApprovedError extends ApprovalRequiredError {
  readonly licenseId: string;
  /** The model of the license in force. */
  readonly model: string;
  /** The model the issue asked for. */
  readonly asked: string;
  constructor(licenseId: string, model: string, asked: string) {
    super(
      null,
      `license ${licenseId} is ${model}: a ${asked} key for it is a model switch, which needs the customer's request and your approval`,
      `the customer asks for it with Activate (at the CMS: licensor activate ${asked}), you inspect that challenge and approve the request it makes (licensor-issuer approve REQ) instead of issuing. To answer this challenge without a switch, issue with --model ${model}`,
    );
    this.licenseId = licenseId;
    this.model = model;
    this.asked = asked;
  }
}

/**
 * The installation already holds another license in the vendor's records: a key for this
 * challenge would replace it at the CMS and leave two active licenses here. Issue with
 * `supersede` to revoke the one it holds as superseded, or answer nothing.
 */
export class InstallationLicensedError extends LicensorError {
  static readonly code = 'ERR_INSTALLATION_LICENSED';
  readonly licenseIds: string[];
  constructor(installationId: string, held: { id: string; customerName: string; state: string }[]) {
    const list = held.map((l) => `${l.id} (${l.customerName}, ${l.state})`).join(', ');
    super(
      InstallationLicensedError.code,
      `installation ${installationId.slice(0, 12)}… already holds license ${list}: a key for this challenge replaces it at the CMS. Issue with supersede (licensor-issuer issue … --supersede; the portal's "Replace the license it holds") to revoke ${held.length > 1 ? 'them' : 'it'} as superseded by the new license, or do not issue`,
    );
    this.licenseIds = held.map((l) => l.id);
  }
}

export class RequestNotFoundError extends LicensorError {
  static readonly code = 'ERR_REQUEST_NOT_FOUND';
  constructor(requestId: string) {
    super(RequestNotFoundError.code, `no request ${requestId} in this store`);
  }
}

export class RequestDecidedError extends LicensorError {
  static readonly code = 'ERR_REQUEST_DECIDED';
  readonly status: string;
  constructor(requestId: string, status: string) {
    super(RequestDecidedError.code, `request ${requestId} was already ${status}`);
    this.status = status;
  }
}

export class CustomerNotFoundError extends LicensorError {
  static readonly code = 'ERR_CUSTOMER_NOT_FOUND';
  constructor(customerId: string) {
    super(CustomerNotFoundError.code, `no customer ${customerId} in this store`);
  }
}

export class KeyNotFoundError extends LicensorError {
  static readonly code = 'ERR_KEY_NOT_FOUND';
  constructor(kid: string) {
    super(KeyNotFoundError.code, `no signing key ${kid}: see \`licensor-issuer keys list\``);
  }
}

export class KeyActiveError extends LicensorError {
  static readonly code = 'ERR_KEY_ACTIVE';
  /** `product`: the name of the product whose own key it is (its successor is that product's). */
  constructor(kid: string, purpose: string, product?: string) {
    const rotate =
      product === undefined
        ? `keys rotate --use ${purpose}`
        : `keys rotate --product ${/^[A-Za-z0-9_./:@=+-]+$/.test(product) ? product : `'${product.replaceAll("'", "'\\''")}'`}`;
    super(
      KeyActiveError.code,
      `key ${kid} is the active ${purpose} key${product === undefined ? '' : ` of ${product}`}: make its successor (${rotate}, then keys activate KID) first`,
    );
  }
}

/**
 * A challenge says its installation trusts a signed key set version this issuer never published:
 * the installation trusts another issuer's key sets (a test or staging issuer), or its state
 * was tampered with. Nothing is issued or recorded.
 */
export class KeysetUnknownError extends LicensorError {
  static readonly code = 'ERR_KEYSET_UNKNOWN';
  readonly version: number;
  constructor(version: number, newest: number) {
    super(
      KeysetUnknownError.code,
      `the challenge says its installation trusts key set version ${version}, and this issuer has published up to version ${newest}: it trusts another issuer's key sets (issue from that issuer), or its stored state was altered; nothing was issued`,
    );
    this.version = version;
  }
}

/** A key change that its state does not allow (activate a retired key, retire a next one, …). */
export class KeyStateError extends LicensorError {
  static readonly code = 'ERR_KEY_STATE';
  constructor(message: string) {
    super(KeyStateError.code, message);
  }
}

/** The environment variable holding the secret that seals keys of a purpose. */
export function passphraseVariable(purpose: string): string {
  return purpose === 'status' ? 'LICENSOR_STATUS_KEY_PASSPHRASE' : 'LICENSOR_KEY_PASSPHRASE';
}

export class PassphraseRequiredError extends LicensorError {
  static readonly code = 'ERR_PASSPHRASE_REQUIRED';
  constructor(kid: string, purpose = 'license', message?: string) {
    super(
      PassphraseRequiredError.code,
      message ??
        `signing key ${kid} is encrypted: set ${passphraseVariable(purpose)} to the passphrase it was created with`,
    );
  }

  /** Keys are sealed (or are to be): a plain key file is not written beside them. */
  static forSealing(purpose: string, why: string): PassphraseRequiredError {
    return new PassphraseRequiredError(
      '',
      purpose,
      `${why}: set ${passphraseVariable(purpose)} (no plain ${purpose} key file is written into a store whose keys are sealed)`,
    );
  }
}

export class PassphraseWrongError extends LicensorError {
  static readonly code = 'ERR_PASSPHRASE_WRONG';
  constructor(kid: string, purpose = 'license') {
    super(
      PassphraseWrongError.code,
      `signing key ${kid} cannot be decrypted: ${passphraseVariable(purpose)} is not the passphrase it was created with`,
    );
  }
}

/** The two sealing secrets are one: the verify service would hold the issuing secret. */
export class PassphraseSharedError extends LicensorError {
  static readonly code = 'ERR_PASSPHRASE_SHARED';
  constructor() {
    super(
      PassphraseSharedError.code,
      'LICENSOR_STATUS_KEY_PASSPHRASE equals LICENSOR_KEY_PASSPHRASE: status keys (the verify service holds their secret) and license keys must be sealed under two different secrets',
    );
  }
}

/** The verify service was given the secret that opens license keys. */
export class IssuingSecretExposedError extends LicensorError {
  static readonly code = 'ERR_ISSUING_SECRET_EXPOSED';
  readonly variable: string;
  /** `variable`: LICENSOR_KEY_PASSPHRASE, or the HSM's LICENSOR_PKCS11_PIN(_FILE). */
  constructor(variable = 'LICENSOR_KEY_PASSPHRASE') {
    super(
      IssuingSecretExposedError.code,
      `${variable} is set in the environment of the verify service: it ${variable === 'LICENSOR_KEY_PASSPHRASE' ? 'opens license keys' : 'unlocks the HSM that holds the license keys'}, which the service must never hold. Remove it and give the service LICENSOR_STATUS_KEY_PASSPHRASE only`,
    );
    this.variable = variable;
  }
}

/** A plain private key file is missing, unreadable, malformed or readable by others. */
export class KeyFileError extends LicensorError {
  static readonly code = 'ERR_KEY_FILE';
  constructor(message: string, options?: ErrorOptions) {
    super(KeyFileError.code, message, options);
  }
}

export class UserExistsError extends LicensorError {
  static readonly code = 'ERR_USER_EXISTS';
  constructor(name: string) {
    super(UserExistsError.code, `a user named ${name} exists already`);
  }
}

export class UserNotFoundError extends LicensorError {
  static readonly code = 'ERR_USER_NOT_FOUND';
  constructor(name: string) {
    super(UserNotFoundError.code, `no user named ${name}`);
  }
}

export class LastAdminError extends LicensorError {
  static readonly code = 'ERR_LAST_ADMIN';
  constructor(name: string) {
    super(LastAdminError.code, `${name} is the last enabled admin: make another user admin first`);
  }
}

export class PasswordWeakError extends LicensorError {
  static readonly code = 'ERR_PASSWORD_WEAK';
  constructor(minLength: number) {
    super(PasswordWeakError.code, `a password needs at least ${minLength} characters`);
  }
}

/** Another writer changed the same license at the same moment, several times in a row. */
export class ConcurrentUpdateError extends LicensorError {
  static readonly code = 'ERR_CONCURRENT_UPDATE';
  constructor(subject: string) {
    super(ConcurrentUpdateError.code, `${subject} is being changed by someone else: try again`);
  }
}

/** No fork with that id (issue #17: the verify service records forks). */
export class ForkNotFoundError extends LicensorError {
  static readonly code = 'ERR_FORK_NOT_FOUND';
  constructor(id: string) {
    super(
      ForkNotFoundError.code,
      `no fork ${id} in this store: list them with \`licensor-issuer forks list\``,
    );
  }
}

/** Closing a fork that is already closed. */
export class ForkClosedError extends LicensorError {
  static readonly code = 'ERR_FORK_CLOSED';
  constructor(id: string, reason: string | null) {
    super(ForkClosedError.code, `fork ${id} is already closed (${reason ?? 'no reason given'})`);
  }
}

/**
 * The audit log's hash chain is broken (issue #17.3): the break names the first bad entry.
 * `cut`: found while the export was being written (an entry changed after the export checked
 * the chain); what was written ends before the signed head, which no verifier accepts.
 */
export class AuditChainBrokenError extends LicensorError {
  static readonly code = 'ERR_AUDIT_CHAIN_BROKEN';
  readonly broken: AuditBreak;
  /** `when`: found by `audit verify`, before an export wrote anything, or cutting one short. */
  constructor(broken: AuditBreak, when: 'verify' | 'before' | 'cut' = 'before') {
    const what =
      when === 'verify'
        ? ''
        : when === 'cut'
          ? '. The export was cut short before its signed head: no verifier accepts what was written'
          : '. Nothing was exported';
    // `audit verify` names the break itself; an export points at it.
    const next = when === 'verify' ? '' : '; `licensor-issuer audit verify` names the break';
    super(
      AuditChainBrokenError.code,
      `${broken.message}${what}: find out who changed the store (see "The audit log" in docs/deploying.md)${next}`,
    );
    this.broken = broken;
  }
}

/**
 * Every code the issuer package throws (this file's errors, the catalogue's and the HSM's): the
 * portal's code -> status table is typed over it, so a new code here needs a status there.
 */
export const ISSUER_ERROR_CODES = [
  StoreUnavailableError.code,
  StoreSchemaError.code,
  StoreCorruptError.code,
  StoreNotFoundError.code,
  NotInitialisedError.code,
  ChallengeExpiredError.code,
  ChallengeUsedError.code,
  TermsInvalidError.code,
  InputInvalidError.code,
  LicenseNotFoundError.code,
  LicenseStateError.code,
  NotSubscriptionError.code,
  RenewalTooEarlyError.code,
  ApprovalRequiredError.code,
  InstallationLicensedError.code,
  RequestNotFoundError.code,
  RequestDecidedError.code,
  CustomerNotFoundError.code,
  KeyNotFoundError.code,
  KeyActiveError.code,
  KeyStateError.code,
  KeysetUnknownError.code,
  PassphraseRequiredError.code,
  PassphraseWrongError.code,
  PassphraseSharedError.code,
  IssuingSecretExposedError.code,
  KeyFileError.code,
  UserExistsError.code,
  UserNotFoundError.code,
  LastAdminError.code,
  PasswordWeakError.code,
  ForkNotFoundError.code,
  ForkClosedError.code,
  ConcurrentUpdateError.code,
  AuditChainBrokenError.code,
  ...CATALOG_ERROR_CODES,
  ...HSM_ERROR_CODES,
] as const;

export type IssuerErrorCode = (typeof ISSUER_ERROR_CODES)[number];
