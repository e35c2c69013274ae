// The resolved configuration every operation runs with, and the per-instance lock that makes
// load → change → save sequences of one Licensor instance run one at a time.
import { type Ed25519KeyPair, type Jwks, Keyring } from '@licensor/token';
import { InputInvalidError, TrustInvalidError } from './errors.js';
import type { InstallationTrust } from './keyset.js';
import type { LicensorStore } from './store/store.js';
import type { Authorize } from './types.js';

export interface LicensorOptions {
  store: LicensorStore;
  /** The vendor's public keys: a Keyring, or a JWKS object. */
  trust: Keyring | Jwks;
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
  /** Online check timeout (milliseconds, default 10 000). */
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
  /** Stored tokens already verified by this object (see snapshot.ts). */
  verified: Map<string, unknown>;
  /** The installation key pair last loaded, to skip deriving it again. */
  installation: Ed25519KeyPair | null;
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

/** One task at a time in this process, and, if the store can, across processes. */
function serialiser(store: LicensorStore): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const locked = store.exclusive === undefined ? task : () => store.exclusive!(task);
    const run = tail.then(locked, locked);
    tail = run.catch(() => undefined);
    return run;
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputInvalidError(`${name} must be a positive number.`);
  }
  return value;
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
    verifyTimeoutMs: positive(
      options.verifyTimeoutMs,
      DEFAULT_VERIFY_TIMEOUT_MS,
      'verifyTimeoutMs',
    ),
    credentialsInUse: options.credentialsInUse ?? (() => 0),
    exclusive: serialiser(store),
    verified: new Map(),
    installation: null,
    trustCache: null,
  };
}
