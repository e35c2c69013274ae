// Where the HSM is, from the environment only: a PIN on the command line would be in the
// shell history and in every `ps` listing, so there is no flag for it.
//
//   LICENSOR_PKCS11_MODULE    path of the vendor's PKCS#11 library (.so / .dll)
//   LICENSOR_PKCS11_TOKEN     label of the token that holds (or will hold) the keys
//   LICENSOR_PKCS11_PIN_FILE  file holding the user PIN (mode 0600), or
//   LICENSOR_PKCS11_PIN       the user PIN itself (for secret managers that inject variables)

import { readSecretFile } from '../secret-file.js';
import { HsmConfigError } from './errors.js';

export interface HsmConfig {
  modulePath: string;
  token: string;
  /** The PIN as it was read when this configuration was made. */
  pin: string;
  /** Where the PIN is read from ("file:PATH" or "env:NAME"): the same source, the same token. */
  pinSource: string;
  /**
   * Reads the PIN again, from the same file or variable: each login (the first, and every one
   * after the token dropped the sessions) uses the PIN as it is then, so a changed PIN is used
   * without a restart. Throws HsmConfigError as the first read does.
   */
  readPin(): string;
}

export const HSM_ENV = {
  module: 'LICENSOR_PKCS11_MODULE',
  token: 'LICENSOR_PKCS11_TOKEN',
  pin: 'LICENSOR_PKCS11_PIN',
  pinFile: 'LICENSOR_PKCS11_PIN_FILE',
} as const;

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** True when the environment names a PKCS#11 module, i.e. an HSM is meant to be used. */
export function hsmConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return value(env, HSM_ENV.module) !== undefined;
}

/**
 * The HSM configuration from the environment. `purpose` says why it is needed, for the message
 * when something is missing (e.g. "key abc is in the HSM token licensor").
 */
export function hsmConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  purpose = 'an HSM key',
  /** The token's label when the caller knows it (a recorded key): LICENSOR_PKCS11_TOKEN is not needed. */
  tokenLabel?: string,
): HsmConfig {
  const missing = (name: string, what: string) =>
    new HsmConfigError(`${purpose} needs ${what}: set ${name}`);
  const modulePath = value(env, HSM_ENV.module);
  if (modulePath === undefined) {
    throw missing(HSM_ENV.module, 'the path of the PKCS#11 library');
  }
  const token = tokenLabel ?? value(env, HSM_ENV.token);
  if (token === undefined) throw missing(HSM_ENV.token, 'the label of the HSM token');
  const pinFile = value(env, HSM_ENV.pinFile);
  const pinVar = env[HSM_ENV.pin];
  if (pinFile !== undefined && pinVar !== undefined && pinVar !== '') {
    throw new HsmConfigError(
      `both ${HSM_ENV.pin} and ${HSM_ENV.pinFile} are set: keep one, so it is clear which PIN is used`,
    );
  }
  if (pinFile !== undefined) {
    return {
      modulePath,
      token,
      pin: readPinFile(pinFile),
      pinSource: `file:${pinFile}`,
      readPin: () => readPinFile(pinFile),
    };
  }
  if (pinVar !== undefined && pinVar !== '') {
    // `env` is read again (process.env by default): a secret manager may replace the variable.
    const readPin = () => {
      const now = env[HSM_ENV.pin];
      if (now === undefined || now === '') {
        throw new HsmConfigError(`${HSM_ENV.pin} is no longer set: set it to the token's user PIN`);
      }
      return now;
    };
    return { modulePath, token, pin: pinVar, pinSource: `env:${HSM_ENV.pin}`, readPin };
  }
  throw missing(
    `${HSM_ENV.pinFile} (a 0600 file holding the PIN) or ${HSM_ENV.pin}`,
    'the user PIN of the token',
  );
}

function readPinFile(path: string): string {
  const read = readSecretFile(path);
  if (!read.ok && read.problem === 'exposed') {
    throw new HsmConfigError(
      `the PIN file ${path} is readable by other users: chmod 600 it (and consider changing the PIN)`,
    );
  }
  if (!read.ok) {
    throw new HsmConfigError(
      `cannot read the PIN file ${path} named by ${HSM_ENV.pinFile}: check the path and its owner`,
      { cause: read.cause },
    );
  }
  // One trailing newline is what `echo PIN > file` writes; it is not part of the PIN.
  const pin = read.text.replace(/\r?\n$/, '');
  if (pin === '') throw new HsmConfigError(`the PIN file ${path} is empty`);
  return pin;
}
