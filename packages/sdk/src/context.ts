// The resolved configuration every operation runs with, and the per-instance lock that makes
// load → change → save sequences of one Licensor instance run one at a time.
import { type Ed25519KeyPair, type Jwks, Keyring } from '@licensor/token';
import { InputInvalidError, TrustInvalidError } from './errors.js';
import type { InstallationTrust } from './keyset.js';
import type { LicensorStore } from './store/store.js';
import type { Authorize } from './types.js';

/**
 * A JWKS as a JSON import types it (`import vendorKeys from './vendor.jwks.json' with { type:
 * 'json' }` reads `alg` as string, not 'EdDSA'): accepted as given, and checked at run time
 * like every JWKS (ERR_TRUST_INVALID).
 */
export interface JwksJson {
  keys: readonly Readonly<Record<string, unknown>>[];
}

/** The vendor's public keys as createLicensor takes them. */
export type TrustedKeys = Keyring | Jwks | JwksJson;

export interface LicensorOptions {
  store: LicensorStore;
  /** The vendor's public keys: a Keyring, or a JWKS (an object, or a JSON file imported). */
  trust: TrustedKeys;
  product: { name: string; version: string };
  /** Who may do what; default: system-administrator for challenge, apply, activate and trust. */
  authorize?: Authorize;
  /** The local clock in milliseconds (default Date.now). */
  now?: () => number;
  fetch?: typeof fetch;
  /** The verify service's check endpoint, e.g. https://licensing.example.com/v1/checks. */
  verifyUrl?: string;
  /** How long a challenge stays pending (seconds, default 30 days). */
  pendingTtlSeconds?: number;
  /** Tolerated clock difference (seconds, default 300). */
  clockSkewSeconds?: number;
  /** Online check timeout (whole milliseconds, 1 to MAX_VERIFY_TIMEOUT_MS = 60 000; default 10 000). */
  verifyTimeoutMs?: number;
  /** How many credentials the CMS manages now; sent in challenges and checks (default 0). */
  credentialsInUse?: () => number | Promise<number>;
}

export interface Context {
  store: LicensorStore;
  /** The vendor keys the installation shipped with; the trust in force is keyset.ts's. */
  keyring: Keyring;
  product: { name: string; version: string };
  authorize: Authorize;
  nowMs: () => number;
  fetch: typeof fetch;
  verifyUrl: string | undefined;
  pendingTtlSeconds: number;
  clockSkewSeconds: number;
  verifyTimeoutMs: number;
  credentialsInUse: () => number | Promise<number>;
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /**
   * Verify License runs one at a time per installation (its check chain must not fork), apart
   * from `exclusive`: the state lock is held only to record the answer, not during the wait.
   */
  verifyExclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /** False for a store with `exclusive` but no `exclusiveVerify`: a verify holds `exclusive`. */
  stagedVerify: boolean;
  /** Stored tokens already verified by this object (see snapshot.ts). */
  verified: Map<string, unknown>;
  /** The installation key pair last loaded, to skip deriving it again. */
  installation: Ed25519KeyPair | null;
  /** This object loaded or wrote a state: one missing later was removed, not a first run. */
  stateSeen: boolean;
  /** The trust the stored key set chain gave at the last load, keyed by that chain. */
  trustCache: { key: string; trust: InstallationTrust } | null;
}

export const DEFAULT_PENDING_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;

export function toKeyring(trust: unknown): Keyring {
  if (trust instanceof Keyring) return trust;
  try {
    return Keyring.fromJwks(trust);
  } catch (error) {
    throw new TrustInvalidError(
      `The trusted keys are not a usable JWKS (${(error as Error).message}). Use the JWKS file the vendor published.`,
      (error as { code?: string }).code,
    );
  }
}

/**
 * One task at a time in this process, and, if the store can (`lock`: its `exclusive` or its
 * `exclusiveVerify`), across processes.
 */
function serialiser(
  lock: (<T>(work: () => Promise<T>) => Promise<T>) | undefined,
): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const locked = lock === undefined ? task : () => lock(task);
    const run = tail.then(locked, locked);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * The longest an online check may wait for the service (ms): far above a slow network, and far
 * below what a timer holds (Node clamps a delay of 2^31 ms or more to 1 ms).
 */
export const MAX_VERIFY_TIMEOUT_MS = 60_000;

/** A verify timeout: whole milliseconds from 1 to MAX_VERIFY_TIMEOUT_MS, else ERR_INPUT_INVALID. */
export function verifyTimeout(value: unknown, name: string): number {
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < 1 ||
    (value as number) > MAX_VERIFY_TIMEOUT_MS
  ) {
    throw new InputInvalidError(
      `${name} must be a whole number of milliseconds from 1 to ${MAX_VERIFY_TIMEOUT_MS} (got ${describeValue(value)}).`,
    );
  }
  return value as number;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/**
 * Refuses an option the operation does not know (a typo such as `credentails` would otherwise
 * be ignored silently), naming it and the options it takes.
 */
export function checkOptionKeys(
  options: object,
  known: readonly string[],
  operation: string,
): void {
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new InputInvalidError(
      `Unknown ${operation} option${unknown.length === 1 ? '' : 's'} ${unknown.map((key) => JSON.stringify(key.slice(0, 60))).join(', ')}: it takes ${known.join(', ')}.`,
    );
  }
}

/** Times in claims are whole seconds, so durations added to them must be too. */
function wholeSeconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputInvalidError(`${name} must be a whole number of seconds, at least 1.`);
  }
  return value;
}

const STORE_METHODS = [
  'loadInstallationKey',
  'saveInstallationKey',
  'loadState',
  'saveState',
  'appendAudit',
  'loadAudit',
] as const;

function checkStore(store: unknown): LicensorStore {
  const candidate = store as Record<string, unknown> | null | undefined;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    STORE_METHODS.some((method) => typeof candidate[method] !== 'function')
  ) {
    throw new InputInvalidError(
      `store must be a LicensorStore (FileStore, MemoryStore or one with ${STORE_METHODS.join(', ')}).`,
    );
  }
  return candidate as unknown as LicensorStore;
}

export function resolveContext(options: LicensorOptions, defaultAuthorize: Authorize): Context {
  if (typeof options !== 'object' || options === null) {
    throw new InputInvalidError('createLicensor needs options: { store, trust, product, … }.');
  }
  const store = checkStore(options.store);
  const { product } = options;
  if (
    typeof product?.name !== 'string' ||
    product.name === '' ||
    typeof product.version !== 'string' ||
    product.version === ''
  ) {
    throw new InputInvalidError('product must be { name, version } with non-empty strings.');
  }
  return {
    store,
    keyring: toKeyring(options.trust),
    product: { name: product.name, version: product.version },
    authorize: options.authorize ?? defaultAuthorize,
    nowMs: options.now ?? Date.now,
    fetch: options.fetch ?? globalThis.fetch,
    verifyUrl: options.verifyUrl,
    pendingTtlSeconds: wholeSeconds(
      options.pendingTtlSeconds,
      DEFAULT_PENDING_TTL_SECONDS,
      'pendingTtlSeconds',
    ),
    clockSkewSeconds: wholeSeconds(
      options.clockSkewSeconds,
      DEFAULT_CLOCK_SKEW_SECONDS,
      'clockSkewSeconds',
    ),
    verifyTimeoutMs:
      options.verifyTimeoutMs === undefined
        ? DEFAULT_VERIFY_TIMEOUT_MS
        : verifyTimeout(options.verifyTimeoutMs, 'verifyTimeoutMs'),
    credentialsInUse: options.credentialsInUse ?? (() => 0),
    exclusive: serialiser(store.exclusive?.bind(store)),
    verifyExclusive: serialiser(store.exclusiveVerify?.bind(store)),
    // A store that locks changes across processes must also serialise verifies across them for
    // the state lock to be let go during the network wait; one that cannot keeps it held.
    stagedVerify: store.exclusive === undefined || store.exclusiveVerify !== undefined,
    verified: new Map(),
    installation: null,
    stateSeen: false,
    trustCache: null,
  };
}
