// One PKCS#11 token as the issuer uses it: a small pool of logged-in sessions, Ed25519 key
// generation inside the token (CKM_EC_EDWARDS_KEY_PAIR_GEN; sensitive, never extractable) and
// signing by CKM_EDDSA. The module is loaded and initialised once per process; a session that
// the device dropped (token removed and put back, HSM restarted) is reopened once before the
// failure is reported. Every failure leaves here as one of the typed errors in ./errors.ts.

import type * as Pkcs11Types from 'pkcs11js';
import type { HsmConfig } from './config.js';
import {
  HsmDeviceError,
  HsmKeyMissingError,
  HsmModuleError,
  HsmPinError,
  HsmTokenMissingError,
} from './errors.js';

type Pkcs11Lib = typeof Pkcs11Types;
type Handle = Buffer;

// PKCS#11 3.0 values that pkcs11js 2.1 does not name.
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
/** DER of the curve OID 1.3.101.112 (Ed25519), the CKA_EC_PARAMS of an Ed25519 key. */
const ED25519_PARAMS = Buffer.from('06032b6570', 'hex');

/** Sessions per token: each carries one signature at a time. */
const POOL_SIZE = 4;

const PIN_REFUSED = new Set([
  'CKR_PIN_INCORRECT',
  'CKR_PIN_INVALID',
  'CKR_PIN_LEN_RANGE',
  'CKR_PIN_EXPIRED',
  'CKR_PIN_LOCKED',
]);
const TOKEN_GONE = new Set([
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_SLOT_ID_INVALID',
]);
/** The session no longer stands: reopen sessions (and log in again) once, then report. */
const SESSION_LOST = new Set([
  ...TOKEN_GONE,
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_DEVICE_ERROR',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);
const HANDLE_GONE = new Set(['CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID']);

/** The PKCS#11 return value's name (CKR_…) of an error from pkcs11js, or null. */
export function pkcs11Reason(error: unknown): string | null {
  const message = error instanceof Error ? error.message : '';
  const match = /\b(CKR_[A-Z0-9_]+)/.exec(message);
  return match === null ? null : match[1]!;
}

interface LoadedModule {
  lib: Pkcs11Lib;
  p: Pkcs11Types.PKCS11;
}

const modules = new Map<string, Promise<LoadedModule>>();

async function loadModule(modulePath: string): Promise<LoadedModule> {
  let lib: Pkcs11Lib;
  try {
    const imported = (await import('pkcs11js')) as Pkcs11Lib & { default?: Pkcs11Lib };
    lib = imported.default ?? imported;
  } catch (error) {
    throw new HsmModuleError(
      modulePath,
      'the pkcs11js binding is not built here: run `pnpm install` (pkcs11js is in onlyBuiltDependencies)',
      { cause: error },
    );
  }
  const p = new lib.PKCS11();
  try {
    p.load(modulePath);
  } catch (error) {
    throw new HsmModuleError(modulePath, (error as Error).message.split('\n')[0]!, {
      cause: error,
    });
  }
  try {
    // OS locking: signatures run on libuv's worker threads, several at once.
    p.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (pkcs11Reason(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      throw new HsmModuleError(modulePath, `C_Initialize: ${pkcs11Reason(error) ?? error}`, {
        cause: error,
      });
    }
  }
  return { lib, p };
}

function moduleFor(modulePath: string): Promise<LoadedModule> {
  let loading = modules.get(modulePath);
  if (loading === undefined) {
    loading = loadModule(modulePath);
    modules.set(modulePath, loading);
    // A module that failed to load may load later (fixed path, package installed).
    loading.catch(() => modules.delete(modulePath));
  }
  return loading;
}

function trimLabel(label: string): string {
  return label.replace(/[\s\0]+$/, '');
}

export interface GeneratedKey {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  label: string;
}

export class HsmToken {
  readonly label: string;
  readonly modulePath: string;
  readonly #lib: Pkcs11Lib;
  readonly #p: Pkcs11Types.PKCS11;
  readonly #pin: string;
  #slot: Handle | null = null;
  #idle: Handle[] = [];
  #open = 0;
  /** Callers waiting for a session; `null` wakes them to start over on a new connection. */
  #waiting: ((session: Handle | null) => void)[] = [];
  #keys = new Map<string, Handle>();

  private constructor(module: LoadedModule, config: HsmConfig) {
    this.#lib = module.lib;
    this.#p = module.p;
    this.label = config.token;
    this.modulePath = config.modulePath;
    this.#pin = config.pin;
  }

  /** Loads the module, finds the token by label and logs in: every failure is typed. */
  static async open(config: HsmConfig): Promise<HsmToken> {
    const token = new HsmToken(await moduleFor(config.modulePath), config);
    token.#ensureConnected();
    return token;
  }

  #presentLabels(): string[] {
    try {
      return this.#p
        .C_GetSlotList(true)
        .map((slot) => trimLabel(this.#p.C_GetTokenInfo(slot).label))
        .filter((label) => label !== '');
    } catch {
      return [];
    }
  }

  #findSlot(): Handle {
    let slots: Handle[];
    try {
      slots = this.#p.C_GetSlotList(true);
    } catch (error) {
      throw this.#typed(error, 'list its slots');
    }
    const labels: string[] = [];
    for (const slot of slots) {
      let label: string;
      try {
        label = trimLabel(this.#p.C_GetTokenInfo(slot).label);
      } catch {
        continue; // a slot whose token went away between the two calls
      }
      if (label === this.label) return slot;
      if (label !== '') labels.push(label); // an empty label: a free, uninitialised slot
    }
    throw new HsmTokenMissingError(this.label, labels);
  }

  /** Finds the token and logs in, unless connected (all calls here are synchronous). */
  #ensureConnected(): void {
    if (this.#slot !== null) return;
    const slot = this.#findSlot();
    let session: Handle;
    try {
      session = this.#p.C_OpenSession(
        slot,
        this.#lib.CKF_SERIAL_SESSION | this.#lib.CKF_RW_SESSION,
      );
    } catch (error) {
      throw this.#typed(error, 'open a session');
    }
    try {
      this.#p.C_Login(session, this.#lib.CKU_USER, this.#pin);
    } catch (error) {
      if (pkcs11Reason(error) !== 'CKR_USER_ALREADY_LOGGED_IN') {
        this.#closeQuietly(session);
        throw this.#typed(error, 'log in');
      }
    }
    this.#slot = slot;
    this.#open = 1;
    this.#idle = [session];
  }

  #closeQuietly(session: Handle): void {
    try {
      this.#p.C_CloseSession(session);
    } catch {
      // already gone with the token
    }
  }

  /** Forgets every session and handle; the next operation finds the token and logs in again. */
  #disconnect(): void {
    const slot = this.#slot;
    this.#slot = null;
    this.#idle = [];
    this.#open = 0;
    this.#keys.clear();
    if (slot !== null) {
      try {
        this.#p.C_CloseAllSessions(slot);
      } catch {
        // the slot went away with the token
      }
    }
    for (const wake of this.#waiting.splice(0)) wake(null);
  }

  /** An idle or new session, or null when the connection was dropped while waiting. */
  async #acquire(): Promise<Handle | null> {
    this.#ensureConnected();
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#open < POOL_SIZE && this.#slot !== null) {
      this.#open++;
      try {
        return this.#p.C_OpenSession(
          this.#slot,
          this.#lib.CKF_SERIAL_SESSION | this.#lib.CKF_RW_SESSION,
        );
      } catch (error) {
        this.#open--;
        throw this.#typed(error, 'open a session');
      }
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(session: Handle, generation: Handle | null): void {
    if (generation !== this.#slot) return; // a session of a dropped connection
    const next = this.#waiting.shift();
    if (next !== undefined) next(session);
    else this.#idle.push(session);
  }

  /** Runs `operation` on a session; if the session was lost, reconnects and tries once more. */
  async #withSession<T>(what: string, operation: (session: Handle) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; ) {
      const session = await this.#acquire();
      if (session === null) continue; // reconnected while waiting: ask again
      const generation = this.#slot;
      try {
        const result = await operation(session);
        this.#release(session, generation);
        return result;
      } catch (error) {
        const reason = pkcs11Reason(error);
        if (reason !== null && SESSION_LOST.has(reason)) {
          if (generation === this.#slot) this.#disconnect();
          if (attempt++ === 0) continue;
          throw this.#typed(error, what);
        }
        this.#release(session, generation);
        throw this.#typed(error, what);
      }
    }
  }

  #typed(error: unknown, what: string): Error {
    if (
      error instanceof HsmTokenMissingError ||
      error instanceof HsmPinError ||
      error instanceof HsmKeyMissingError ||
      error instanceof HsmDeviceError
    ) {
      return error;
    }
    const reason = pkcs11Reason(error);
    if (reason !== null && PIN_REFUSED.has(reason)) {
      return new HsmPinError(this.label, reason, { cause: error });
    }
    if (reason !== null && TOKEN_GONE.has(reason)) {
      return new HsmTokenMissingError(this.label, this.#presentLabels(), { cause: error });
    }
    return new HsmDeviceError(
      this.label,
      what,
      reason ?? String((error as Error)?.message ?? error),
      {
        cause: error,
      },
    );
  }

  #find(session: Handle, template: Pkcs11Types.Template): Handle[] {
    this.#p.C_FindObjectsInit(session, template);
    try {
      return this.#p.C_FindObjects(session, 16);
    } finally {
      this.#p.C_FindObjectsFinal(session);
    }
  }

  #privateKeyTemplate(label: string): Pkcs11Types.Template {
    return [
      { type: this.#lib.CKA_CLASS, value: this.#lib.CKO_PRIVATE_KEY },
      { type: this.#lib.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: this.#lib.CKA_LABEL, value: label },
    ];
  }

  /**
   * Generates an Ed25519 key pair on the token: private half sensitive, never extractable, a
   * token object that only signs. Labelled `label`, which the store records.
   */
  async generateEd25519(label: string): Promise<GeneratedKey> {
    return this.#withSession('generate an Ed25519 key', async (session) => {
      const lib = this.#lib;
      const keys = await this.#p.C_GenerateKeyPairAsync(
        session,
        { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [
          { type: lib.CKA_TOKEN, value: true },
          { type: lib.CKA_PRIVATE, value: false },
          { type: lib.CKA_VERIFY, value: true },
          { type: lib.CKA_EC_PARAMS, value: ED25519_PARAMS },
          { type: lib.CKA_LABEL, value: label },
        ],
        [
          { type: lib.CKA_TOKEN, value: true },
          { type: lib.CKA_PRIVATE, value: true },
          { type: lib.CKA_SENSITIVE, value: true },
          { type: lib.CKA_EXTRACTABLE, value: false },
          { type: lib.CKA_SIGN, value: true },
          { type: lib.CKA_DECRYPT, value: false },
          { type: lib.CKA_DERIVE, value: false },
          { type: lib.CKA_UNWRAP, value: false },
          { type: lib.CKA_LABEL, value: label },
        ],
      );
      const [point] = this.#p.C_GetAttributeValue(session, keys.publicKey, [
        { type: lib.CKA_EC_POINT },
      ]);
      const publicKey = ecPointToRaw(point?.value as Buffer | undefined);
      if (publicKey === null) {
        try {
          this.#p.C_DestroyObject(session, keys.privateKey);
          this.#p.C_DestroyObject(session, keys.publicKey);
        } catch {
          // best effort: the key is unusable anyway
        }
        throw new HsmDeviceError(
          this.label,
          "give the new key's public key",
          'CKA_EC_POINT is not an Ed25519 point',
        );
      }
      this.#keys.set(label, keys.privateKey);
      return { publicKey, label };
    });
  }

  /** True while the slot still holds a token with this label. */
  #stillPresent(): boolean {
    if (this.#slot === null) return false;
    try {
      return trimLabel(this.#p.C_GetTokenInfo(this.#slot).label) === this.label;
    } catch {
      return false;
    }
  }

  #keyHandle(session: Handle, kid: string, label: string): Handle {
    const cached = this.#keys.get(label);
    if (cached !== undefined) return cached;
    const found = this.#find(session, this.#privateKeyTemplate(label));
    if (found.length === 0) {
      // A token pulled out can look empty to a session that still stands: say which it is.
      if (!this.#stillPresent()) {
        this.#disconnect();
        throw new HsmTokenMissingError(this.label, this.#presentLabels());
      }
      throw new HsmKeyMissingError(kid, this.label, label);
    }
    if (found.length > 1) {
      throw new HsmDeviceError(
        this.label,
        `choose the key labelled "${label}"`,
        `${found.length} private keys carry that label; keep one`,
      );
    }
    this.#keys.set(label, found[0]!);
    return found[0]!;
  }

  /** True when a private key with the label is on the token. */
  async hasKey(label: string): Promise<boolean> {
    return this.#withSession('look for a key', (session) => {
      return this.#find(session, this.#privateKeyTemplate(label)).length > 0;
    });
  }

  /** The Ed25519 (CKM_EDDSA, pure) signature of `message` by the key labelled `label`. */
  async sign(kid: string, label: string, message: Uint8Array): Promise<Uint8Array> {
    return this.#withSession('sign', async (session) => {
      for (let attempt = 0; ; attempt++) {
        const key = this.#keyHandle(session, kid, label);
        try {
          this.#p.C_SignInit(session, { mechanism: CKM_EDDSA }, key);
          const signature = await this.#p.C_SignAsync(
            session,
            Buffer.from(message),
            Buffer.alloc(64),
          );
          return new Uint8Array(signature);
        } catch (error) {
          const reason = pkcs11Reason(error);
          // The handle named an object that is gone: look the label up again, once.
          if (reason !== null && HANDLE_GONE.has(reason)) {
            this.#keys.delete(label);
            if (attempt === 0) continue;
            throw new HsmKeyMissingError(kid, this.label, label, { cause: error });
          }
          throw error;
        }
      }
    });
  }

  /** Removes the key pair labelled `label` (a key generated but never recorded). */
  async destroy(label: string): Promise<void> {
    await this.#withSession('remove a key', (session) => {
      const objects = this.#find(session, [{ type: this.#lib.CKA_LABEL, value: label }]);
      for (const object of objects) this.#p.C_DestroyObject(session, object);
      this.#keys.delete(label);
    });
  }
}

/** CKA_EC_POINT as a raw 32-byte key: DER OCTET STRING (04 20 …) or raw, as modules differ. */
export function ecPointToRaw(point: Buffer | undefined): Uint8Array | null {
  if (point === undefined) return null;
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) {
    return new Uint8Array(point.subarray(2));
  }
  if (point.length === 32) return new Uint8Array(point);
  return null;
}

const tokens = new Map<string, Promise<HsmToken>>();

/** The token named by the configuration, opened once per process (module, label and PIN). */
export function openHsmToken(config: HsmConfig): Promise<HsmToken> {
  const key = `${config.modulePath}\0${config.token}\0${config.pin}`;
  let opening = tokens.get(key);
  if (opening === undefined) {
    opening = HsmToken.open(config);
    tokens.set(key, opening);
    // A wrong PIN or an absent token is not remembered: the next call tries again.
    opening.catch(() => tokens.delete(key));
  }
  return opening;
}
