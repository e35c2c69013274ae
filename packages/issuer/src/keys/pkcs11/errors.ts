// What can go wrong between the issuer and a PKCS#11 token, each with a stable code and a
// message that names what to fix. All of them mean "the server cannot sign now", never "the
// request was wrong": the portal answers 503 and nothing is stored for a license not signed.

import { LicensorError } from '@licensor/token';

/** The environment does not say which module, token or PIN to use (or says it twice). */
export class HsmConfigError extends LicensorError {
  static readonly code = 'ERR_HSM_CONFIG';
  constructor(message: string, options?: ErrorOptions) {
    super(HsmConfigError.code, message, options);
  }
}

/** The PKCS#11 library cannot be loaded or initialised. */
export class HsmModuleError extends LicensorError {
  static readonly code = 'ERR_HSM_MODULE';
  readonly modulePath: string;
  constructor(modulePath: string, detail: string, options?: ErrorOptions) {
    super(
      HsmModuleError.code,
      `cannot load the PKCS#11 module ${modulePath} (${detail}): set LICENSOR_PKCS11_MODULE to the path of the HSM vendor's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)`,
      options,
    );
    this.modulePath = modulePath;
  }
}

/** No token with the label is present in any slot (removed, renamed, or the wrong module). */
export class HsmTokenMissingError extends LicensorError {
  static readonly code = 'ERR_HSM_TOKEN_MISSING';
  readonly token: string;
  constructor(token: string, present: string[], options?: ErrorOptions) {
    const seen =
      present.length === 0
        ? 'no token is present'
        : `present: ${present.map((l) => `"${l}"`).join(', ')}`;
    super(
      HsmTokenMissingError.code,
      `the HSM token "${token}" is not present (${seen}): insert or reconnect it, or set LICENSOR_PKCS11_TOKEN to its label`,
      options,
    );
    this.token = token;
  }
}

/** The token refused the PIN, or the PIN is locked (or one wrong try from it) and was not tried. */
export class HsmPinError extends LicensorError {
  static readonly code = 'ERR_HSM_PIN';
  readonly token: string;
  /** The token's CKR_… answer, or the CKF_… flag of its token info that stopped the login. */
  readonly reason: string;
  /** True when this PIN was refused before and was not tried again. */
  readonly remembered: boolean;
  constructor(token: string, reason: string, options?: ErrorOptions & { remembered?: boolean }) {
    const remembered = options?.remembered === true;
    const put = "put the token's user PIN in LICENSOR_PKCS11_PIN_FILE (or LICENSOR_PKCS11_PIN)";
    let message: string;
    if (reason === 'CKR_PIN_LOCKED' || reason === 'CKF_USER_PIN_LOCKED') {
      message = `the user PIN of the HSM token "${token}" is locked (${reason}): the token's security officer must unlock it (e.g. softhsm2-util / the vendor's tool), then set the new PIN`;
    } else if (reason === 'CKF_USER_PIN_FINAL_TRY') {
      message = `the HSM token "${token}" locks its user PIN at the next wrong try (${reason}), so the issuer does not log in: check the PIN in LICENSOR_PKCS11_PIN_FILE (or LICENSOR_PKCS11_PIN), log in once with the vendor's tool to reset the count, then try again`;
    } else if (remembered) {
      message = `the HSM token "${token}" refused this PIN before (${reason}); it is not tried again until the PIN changes, so that the token does not lock it: ${put}`;
    } else {
      message = `the HSM token "${token}" refused the PIN (${reason}): ${put}`;
    }
    super(HsmPinError.code, message, options);
    this.token = token;
    this.reason = reason;
    this.remembered = remembered;
  }
}

/** The key the store names is not (or no longer) on the token. */
export class HsmKeyMissingError extends LicensorError {
  static readonly code = 'ERR_HSM_KEY_MISSING';
  readonly kid: string;
  readonly token: string;
  readonly label: string;
  constructor(kid: string, token: string, label: string, options?: ErrorOptions) {
    super(
      HsmKeyMissingError.code,
      `the signing key ${kid} (label "${label}") is not on the HSM token "${token}": restore the token from its backup, or make a new key with \`licensor-issuer keys rotate --use license --hsm\``,
      options,
    );
    this.kid = kid;
    this.token = token;
    this.label = label;
  }
}

/** Any other refusal or failure of the device, named by its PKCS#11 return value. */
export class HsmDeviceError extends LicensorError {
  static readonly code = 'ERR_HSM_DEVICE';
  readonly token: string;
  readonly reason: string;
  /** `fix`: what to do, when it is not "check the device and its logs". */
  constructor(
    token: string,
    operation: string,
    reason: string,
    options?: ErrorOptions & { fix?: string },
  ) {
    super(
      HsmDeviceError.code,
      `the HSM token "${token}" failed to ${operation} (${reason}): ${options?.fix ?? 'check the device and its logs'}; nothing was signed or stored`,
      options,
    );
    this.token = token;
    this.reason = reason;
  }
}

/**
 * More than one private key on the token carries the label the store records: which one signs
 * is not known, so none does. Code ERR_HSM_DEVICE (the HSM cannot sign now).
 */
export class HsmKeyAmbiguousError extends HsmDeviceError {
  readonly kid: string;
  readonly label: string;
  readonly count: number;
  constructor(kid: string, token: string, label: string, count: number) {
    super(
      token,
      `choose the private key labelled "${label}" for key ${kid}`,
      'CKA_LABEL_AMBIGUOUS',
      {
        fix: `${count} private keys carry that label, and the store records one: remove the key that is not ${kid} with the token's tool (compare CKA_EC_POINT with the recorded public key), or make a new key with \`licensor-issuer keys rotate --use license --hsm\``,
      },
    );
    this.kid = kid;
    this.label = label;
    this.count = count;
  }
}

/**
 * The token signed with the key under the recorded label, and the signature does not verify
 * under the public key the store records for it: another key carries the label now. Code
 * ERR_HSM_DEVICE, not ERR_SIGNATURE_INVALID: the request was not wrong, the token is.
 */
export class HsmWrongKeyError extends HsmDeviceError {
  readonly kid: string;
  readonly label: string;
  constructor(kid: string, token: string, label: string) {
    super(
      token,
      `sign with key ${kid} (label "${label}")`,
      'the signature is not by the recorded key',
      {
        fix: `the token signs with another key than the one recorded (its signature does not verify under the recorded public key): the key under that label was replaced; restore the token from its backup, or remove the other key and make a new one with \`licensor-issuer keys rotate --use license --hsm\``,
      },
    );
    this.kid = kid;
    this.label = label;
  }
}

/**
 * Two or more tokens carry the label LICENSOR_PKCS11_TOKEN (or the store) names: the issuer
 * does not guess which. Code ERR_HSM_CONFIG (the label does not name one token).
 */
export class HsmTokenAmbiguousError extends HsmConfigError {
  readonly token: string;
  readonly serials: string[];
  constructor(token: string, serials: string[]) {
    super(
      `${serials.length} HSM tokens carry the label "${token}" (serial numbers ${serials.map((s) => `"${s}"`).join(', ')}): relabel one with the vendor's tool so that the label names one token`,
    );
    this.token = token;
    this.serials = serials;
  }
}

export const HSM_ERROR_CODES = [
  HsmConfigError.code,
  HsmModuleError.code,
  HsmTokenMissingError.code,
  HsmPinError.code,
  HsmKeyMissingError.code,
  HsmDeviceError.code,
] as const;
