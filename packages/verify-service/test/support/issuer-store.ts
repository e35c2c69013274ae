// A real shared store for integration tests: the embedded SQLite one in a temporary folder, or
// MongoDB when MONGODB_URI is set. The issuer (a test-only dependency) initialises it and issues
// licenses the way the portal would; the service only ever sees `@licensor/issuer/checks`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Issuer, openIssuer } from '@licensor/issuer';
import { freshChallenge } from '@licensor/issuer/seed';
import { type LicensorStore, openStore } from '@licensor/issuer/store';
import { type Ed25519KeyPair, generateKeyPair } from '@licensor/token';

/** The status keys' secret: all the verify service is given. */
/**
 * The stores a real-store test runs on: SQLite always, MongoDB when MONGODB_URI names one; CI sets
 * LICENSOR_REQUIRE_MONGO=1, and a run without MONGODB_URI then fails instead of skipping it.
 */
export const storeKinds: ('sqlite' | 'mongo')[] = ['sqlite'];
if (process.env.MONGODB_URI) storeKinds.push('mongo');
else if (process.env.LICENSOR_REQUIRE_MONGO === '1')
  throw new Error('LICENSOR_REQUIRE_MONGO=1 but MONGODB_URI is not set');

export const passphrase = 'integration-test-passphrase';
/** The license keys' secret: the issuer's alone. */
export const issuingPassphrase = 'integration-test-issuing-passphrase';
/** What the issuer opens with: both secrets. */
export const issuerSecrets = { passphrase: issuingPassphrase, statusPassphrase: passphrase };

export interface IssuerFixture {
  store: LicensorStore;
  issuer: Issuer;
  dataDir: string;
  /** The MongoDB URI with its database, when the fixture is on MongoDB. */
  mongoUri?: string;
  cleanup(): Promise<void>;
}

/** A store of `kind` in a new folder (or database), initialised by an issuer on clock `now`. */
export async function openIssuerFixture(
  kind: 'sqlite' | 'mongo' = 'sqlite',
  now?: () => number,
): Promise<IssuerFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-test-'));
  const mongoUri =
    kind === 'mongo'
      ? `${process.env.MONGODB_URI!.replace(/\/?(\?.*)?$/, '')}/licensor_verify_${randomBytes(6).toString('hex')}`
      : undefined;
  const store = await openStore(mongoUri !== undefined ? { mongoUri, dataDir } : { dataDir });
  const issuer = await openIssuer({ store, ...issuerSecrets, ...(now ? { now } : {}) });
  await issuer.init('test');
  return {
    store,
    issuer,
    dataDir,
    ...(mongoUri === undefined ? {} : { mongoUri }),
    cleanup: async () => {
      await store.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new installation's challenge, made at `atMs` (default now). */
export function challengeFor(installation: Ed25519KeyPair, atMs = Date.now()): string {
  return freshChallenge({ key: installation, atMs, credentialsInUse: 0, credentials: 100 });
}

/** Issues a subscription license to a new installation; returns both. */
export async function issueLicense(issuer: Issuer) {
  const installation = generateKeyPair();
  const issued = await issuer.issue(
    challengeFor(installation),
    { customerName: 'Acme', model: 'subscription', credentials: 100, termDays: 30 },
    'vendor',
  );
  return { installation, licenseId: issued.license.id, token: issued.token };
}
