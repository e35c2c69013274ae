// One PKCS#11 token as the issuer uses it: a small pool of logged-in sessions, Ed25519 key
// generation inside the token (CKM_EC_EDWARDS_KEY_PAIR_GEN; sensitive, never extractable) and
// signing by CKM_EDDSA. The module is loaded and initialised once per process (and initialised
// again, once, if it was finalised under the process); a session that the device dropped (token
// removed and put back, HSM restarted, login timed out) is reopened once, and the login repeated
// with the PIN as it is then, before the failure is reported. A session lent to an operation is
// never closed under it (it may be inside C_Sign on a libuv worker thread): a dropped connection
// closes the idle sessions, and the others as they come back. A PIN the token refused is not
// tried again until it changes. Every failure leaves here as one of the typed errors in
// ./errors.ts.

import { createHash } from 'node:crypto';
import { LicensorError } from '@licensor/token';
import type * as Pkcs11Types from 'pkcs11js';
import type { HsmConfig } from './config.js';
import {
  HsmDeviceError,
  HsmKeyAmbiguousError,
  HsmKeyMissingError,
  HsmModuleError,
  HsmPinError,
  HsmTokenAmbiguousError,
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

/** CK_SESSION_INFO.state of a session logged in as the user (read-only, read/write). */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

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

/** The CKR_… of an error from pkcs11js, or of one typed here already (HsmDeviceError.reason). */
function reasonOf(error: unknown): string | null {
  if (error instanceof HsmDeviceError) return error.reason;
  if (error instanceof LicensorError) return null;
  return pkcs11Reason(error);
}

/** What a session that lost its login gives: handled as a lost session (log in again, once). */
function loggedOut(): Error {
  return new Error('CKR_USER_NOT_LOGGED_IN: the session is no longer logged in');
}

/**
 * PINs a token refused with CKR_PIN_INCORRECT, by module, token and PIN (hashed): not tried
 * again, since each wrong try counts towards locking the PIN of a real HSM. A changed PIN (file
 * or variable) is tried.
 */
const refusedPins = new Set<string>();

function pinKey(modulePath: string, token: string, pin: string): string {
  return createHash('sha256').update(`${modulePath}\0${token}\0${pin}`).digest('hex');
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

/** Initialises a module again after it was finalised under this process (C_Finalize elsewhere). */
function reinitialiseModule(modulePath: string, module: LoadedModule): void {
  // Drop the entry while it is not usable; it names the same, initialised module again after.
  modules.delete(modulePath);
  try {
    module.p.C_Initialize({ flags: module.lib.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (pkcs11Reason(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      throw new HsmModuleError(modulePath, `C_Initialize: ${pkcs11Reason(error) ?? error}`, {
        cause: error,
      });
    }
  }
  if (!modules.has(modulePath)) modules.set(modulePath, Promise.resolve(module));
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

/** A session lent to one operation, and the connection (generation) it was opened on. */
interface Lease {
  session: Handle;
  generation: number;
}

export class HsmToken {
  readonly label: string;
  readonly modulePath: string;
  readonly #module: LoadedModule;
  readonly #lib: Pkcs11Lib;
  readonly #p: Pkcs11Types.PKCS11;
  /** Where the PIN is read from, at each login. */
  #config: HsmConfig;
  #slot: Handle | null = null;
  /** Moves at each dropped connection: a session of an older one is closed when it comes back. */
  #generation = 0;
  /** Sessions of the current connection not lent out. */
  #idle: Handle[] = [];
  /** Sessions of the current connection, idle or lent out. */
  #open = 0;
  /** Callers waiting for a session; `null` wakes them to start over on a new connection. */
  #waiting: ((lease: Lease | null) => void)[] = [];
  #keys = new Map<string, Handle>();

  private constructor(module: LoadedModule, config: HsmConfig) {
    this.#module = module;
    this.#lib = module.lib;
    this.#p = module.p;
    this.label = config.token;
    this.modulePath = config.modulePath;
    this.#config = config;
  }

  /** The configuration whose PIN source the next login reads (the latest one to open the token). */
  configure(config: HsmConfig): void {
    this.#config = config;
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
    const matching: { slot: Handle; serial: string }[] = [];
    for (const slot of slots) {
      let info: Pkcs11Types.TokenInfo;
      try {
        info = this.#p.C_GetTokenInfo(slot);
      } catch {
        continue; // a slot whose token went away between the two calls
      }
      const label = trimLabel(info.label);
      if (label === this.label) matching.push({ slot, serial: trimLabel(info.serialNumber) });
      else if (label !== '') labels.push(label); // an empty label: a free, uninitialised slot
    }
    if (matching.length === 1) return matching[0]!.slot;
    // Two tokens with one label: which holds the keys is not known, so neither is used.
    if (matching.length > 1) {
      throw new HsmTokenAmbiguousError(
        this.label,
        matching.map((m) => m.serial),
      );
    }
    throw new HsmTokenMissingError(this.label, labels);
  }

  /** True when the session is logged in as the user (the login is per process and token). */
  #loggedIn(session: Handle): boolean {
    try {
      const { state } = this.#p.C_GetSessionInfo(session);
      return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    } catch {
      return false;
    }
  }

  /**
   * Logs in on `session` unless this process is logged in to the token already. The PIN is read
   * now (file or variable); a PIN this token refused before is not tried again, nor any PIN when
   * the token says the PIN is locked or one wrong try from locking.
   */
  #logIn(slot: Handle, session: Handle): void {
    if (this.#loggedIn(session)) return;
    const pin = this.#config.readPin();
    const key = pinKey(this.modulePath, this.label, pin);
    if (refusedPins.has(key)) {
      throw new HsmPinError(this.label, 'CKR_PIN_INCORRECT', { remembered: true });
    }
    const { flags } = this.#p.C_GetTokenInfo(slot);
    if ((flags & this.#lib.CKF_USER_PIN_LOCKED) !== 0) {
      throw new HsmPinError(this.label, 'CKF_USER_PIN_LOCKED');
    }
    if ((flags & this.#lib.CKF_USER_PIN_FINAL_TRY) !== 0) {
      throw new HsmPinError(this.label, 'CKF_USER_PIN_FINAL_TRY');
    }
    try {
      this.#p.C_Login(session, this.#lib.CKU_USER, pin);
    } catch (error) {
      const reason = pkcs11Reason(error);
      if (reason === 'CKR_USER_ALREADY_LOGGED_IN') return;
      if (reason === 'CKR_PIN_INCORRECT') refusedPins.add(key);
      throw error;
    }
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
      this.#logIn(slot, session);
    } catch (error) {
      this.#closeQuietly(session);
      throw this.#typed(error, 'log in');
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

  /**
   * Forgets the connection: the next operation finds the token and logs in again. Only the idle
   * sessions are closed now. Never C_CloseAllSessions: a session lent out may be inside C_Sign on
   * a worker thread, and closing it there crashes the process (SIGSEGV); it is closed when it
   * comes back (#release), its generation being an older one.
   */
  #disconnect(): void {
    this.#slot = null;
    this.#generation++;
    this.#open = 0;
    this.#keys.clear();
    for (const session of this.#idle.splice(0)) this.#closeQuietly(session);
    for (const wake of this.#waiting.splice(0)) wake(null);
  }

  /** An idle or new session, or null when the connection was dropped while waiting. */
  async #acquire(): Promise<Lease | null> {
    this.#ensureConnected();
    const generation = this.#generation;
    const idle = this.#idle.pop();
    if (idle !== undefined) return { session: idle, generation };
    if (this.#open < POOL_SIZE && this.#slot !== null) {
      this.#open++;
      try {
        const session = this.#p.C_OpenSession(
          this.#slot,
          this.#lib.CKF_SERIAL_SESSION | this.#lib.CKF_RW_SESSION,
        );
        return { session, generation };
      } catch (error) {
        this.#open--;
        throw this.#typed(error, 'open a session');
      }
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** A session back from its operation: to the next caller, to the pool, or closed if stale. */
  #release(lease: Lease): void {
    if (lease.generation !== this.#generation) {
      this.#closeQuietly(lease.session); // of a dropped connection: no operation is on it now
      return;
    }
    const next = this.#waiting.shift();
    if (next !== undefined) next(lease);
    else this.#idle.push(lease.session);
  }

  /** Initialises the module again (it was finalised under this process). */
  #reinitialise(): void {
    reinitialiseModule(this.modulePath, this.#module);
  }

  /**
   * Runs `operation` on a session; if the session was lost (or lost its login, or the module was
   * finalised), reconnects, logs in again and tries once more.
   */
  async #withSession<T>(what: string, operation: (session: Handle) => Promise<T> | T): Promise<T> {
    let retried = false;
    for (;;) {
      let lease: Lease | null;
      try {
        lease = await this.#acquire();
      } catch (error) {
        if (!retried && reasonOf(error) === 'CKR_CRYPTOKI_NOT_INITIALIZED') {
          retried = true;
          this.#disconnect();
          this.#reinitialise();
          continue;
        }
        throw this.#typed(error, what);
      }
      if (lease === null) continue; // reconnected while waiting: ask again
      try {
        const result = await operation(lease.session);
        this.#release(lease);
        return result;
      } catch (error) {
        const reason = reasonOf(error);
        if (reason !== null && SESSION_LOST.has(reason)) {
          if (lease.generation === this.#generation) this.#disconnect();
          this.#closeQuietly(lease.session); // its operation ended: nothing else uses it
          if (retried) throw this.#typed(error, what);
          retried = true;
          if (reason === 'CKR_CRYPTOKI_NOT_INITIALIZED') this.#reinitialise();
          continue;
        }
        this.#release(lease);
        throw this.#typed(error, what);
      }
    }
  }

  #typed(error: unknown, what: string): Error {
    if (error instanceof LicensorError) return error; // typed here already
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

  /** The key missing: unless the token is gone, or the session lost its login (not the key). */
  #keyMissing(session: Handle, kid: string, label: string, options?: ErrorOptions): Error {
    // A token pulled out can look empty to a session that still stands: say which it is.
    if (!this.#stillPresent()) {
      this.#disconnect();
      return new HsmTokenMissingError(this.label, this.#presentLabels(), options);
    }
    // A session that lost its login (HSM restarted, login timed out) sees no private object.
    if (!this.#loggedIn(session)) return loggedOut();
    return new HsmKeyMissingError(kid, this.label, label, options);
  }

  /** The handle of the one private key labelled `label`; `fresh`: looked up, not remembered. */
  #keyHandle(session: Handle, kid: string, label: string, fresh = false): Handle {
    const cached = fresh ? undefined : this.#keys.get(label);
    if (cached !== undefined) return cached;
    this.#keys.delete(label);
    const found = this.#find(session, this.#privateKeyTemplate(label));
    if (found.length === 0) throw this.#keyMissing(session, kid, label);
    if (found.length > 1) throw new HsmKeyAmbiguousError(kid, this.label, label, found.length);
    this.#keys.set(label, found[0]!);
    return found[0]!;
  }

  /**
   * Looks the label up on the token now (not the handle remembered): exactly one private key
   * must carry it. ERR_HSM_KEY_MISSING for none, ERR_HSM_DEVICE (HsmKeyAmbiguousError) for more.
   */
  async findKey(kid: string, label: string): Promise<void> {
    await this.#withSession('look for a key', (session) => {
      this.#keyHandle(session, kid, label, true);
    });
  }

  /** Drops the handle remembered for the label: the next signature looks it up again. */
  forgetKey(label: string): void {
    this.#keys.delete(label);
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
            throw this.#keyMissing(session, kid, label, { cause: error });
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

/**
 * The token named by the configuration, opened once per process (module and label: the login is
 * per process and token). The PIN is read at each login from the source of the configuration
 * that opened the token last.
 */
export async function openHsmToken(config: HsmConfig): Promise<HsmToken> {
  const key = `${config.modulePath}\0${config.token}`;
  let opening = tokens.get(key);
  if (opening === undefined) {
    opening = HsmToken.open(config);
    tokens.set(key, opening);
    // An absent token is not remembered: the next call tries again (a refused PIN is, by
    // value, in refusedPins, so the next call does not try that PIN again).
    opening.catch(() => tokens.delete(key));
  }
  const token = await opening;
  token.configure(config);
  return token;
}
