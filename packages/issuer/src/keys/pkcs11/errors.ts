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

/** The token refused the PIN, or the PIN is locked after too many wrong tries. */
export class HsmPinError extends LicensorError {
  static readonly code = 'ERR_HSM_PIN';
  readonly token: string;
  readonly reason: string;
  constructor(token: string, reason: string, options?: ErrorOptions) {
    const fix =
      reason === 'CKR_PIN_LOCKED'
        ? "the user PIN is locked: the token's security officer must unlock it (e.g. softhsm2-util / the vendor's tool), then set the new PIN"
        : "put the token's user PIN in LICENSOR_PKCS11_PIN_FILE (or LICENSOR_PKCS11_PIN)";
    super(
      HsmPinError.code,
      `the HSM token "${token}" refused the PIN (${reason}): ${fix}`,
      options,
    );
    this.token = token;
    this.reason = reason;
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
  constructor(token: string, operation: string, reason: string, options?: ErrorOptions) {
    super(
      HsmDeviceError.code,
      `the HSM token "${token}" failed to ${operation} (${reason}): check the device and its logs; nothing was signed or stored`,
      options,
    );
    this.token = token;
    this.reason = reason;
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
