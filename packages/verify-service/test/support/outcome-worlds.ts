// The stores the outcome suite runs on: the in-memory one, the real SQLite store and MongoDB
// (FerretDB in CI). Each world holds one license per outcome; on the real stores they are made
// the way the vendor makes them (issued from a challenge by the issuer at a frozen time, then
// suspended, revoked or renewed), so what the suite checks is what the shared store really
// holds. MongoDB runs when MONGODB_URI is set; without it the world is skipped with a message,
// and with LICENSOR_REQUIRE_MONGO=1 (CI) a missing MONGODB_URI fails the suite.
import type { Terms } from '@licensor/issuer';
import { type Ed25519KeyPair, generateKeyPair, Keyring } from '@licensor/token';
import type { VerifyConfig } from '../../src/config.js';
import { createVerifyService, type VerifyService } from '../../src/service.js';
import type { CheckRecord, CheckStore, CheckView } from '../../src/store-port.js';
import {
  installationA,
  keyring as memoryKeyring,
  roomyLimits,
  seededStore,
  silentLogger,
  statusKey,
  T0,
} from './fixtures.js';
import { challengeFor, issuerSecrets, openIssuerFixture } from './issuer-store.js';

/** The licenses every world holds, one per outcome (and the renewal case). */
export type CaseName = 'valid' | 'subscription' | 'expired' | 'suspended' | 'revoked' | 'renewed';

export interface OutcomeWorld {
  readonly name: string;
  /** The license id of a case, and the installation it is bound to. */
  license(name: CaseName): { lid: string; installation: Ed25519KeyPair };
  /** What the store holds for a case now. */
  view(name: CaseName): Promise<CheckView>;
  /** A new service over this world's store, on a frozen clock at T0. */
  service(config?: Partial<VerifyConfig>): { service: VerifyService; clock: { now: number } };
  /** The check records the store holds for a license. */
  records(lid: string): Promise<CheckRecord[]>;
  /** Verifies status tokens: the world's status keys. */
  keyring: Keyring;
  close(): Promise<void>;
}

const day = 86_400;

function serviceOn(store: CheckStore, statusKeys: readonly Ed25519KeyPair[]) {
  return (config: Partial<VerifyConfig> = {}) => {
    const clock = { now: T0 };
    const service = createVerifyService({
      store,
      statusKeys,
      logger: silentLogger,
      now: () => clock.now,
      config: { ...roomyLimits, ...config },
    });
    return { service, clock };
  };
}

/** The memory world: the hand-written store of fixtures.ts. */
export async function memoryWorld(): Promise<OutcomeWorld> {
  const store = seededStore();
  const ids: Record<CaseName, string> = {
    valid: 'lic_valid',
    subscription: 'lic_subscription',
    expired: 'lic_expired',
    suspended: 'lic_suspended',
    revoked: 'lic_revoked',
    renewed: 'lic_renewed',
  };
  return {
    name: 'memory',
    license: (name) => ({ lid: ids[name], installation: installationA }),
    view: async (name) => structuredClone(store.views.get(ids[name])!),
    service: serviceOn(store, [statusKey]),
    records: async (lid) => store.records.filter((r) => r.licenseId === lid),
    keyring: memoryKeyring,
    close: async () => undefined,
  };
}

/**
 * A real store, seeded through the issuer at frozen times: each case is its own installation,
 * as each license is at a customer's.
 */
export async function realWorld(kind: 'sqlite' | 'mongo'): Promise<OutcomeWorld> {
  const clock = { now: T0 };
  const { store, issuer, cleanup } = await openIssuerFixture(kind, () => clock.now);

  const cases = new Map<CaseName, { lid: string; installation: Ed25519KeyPair }>();
  const issue = async (
    name: CaseName,
    terms: Omit<Terms, 'customerName'>,
    atMs = T0 - day * 1000,
  ) => {
    const installation = generateKeyPair();
    clock.now = atMs;
    const issued = await issuer.issue(
      challengeFor(installation, atMs),
      { customerName: `Customer ${name}`, ...terms },
      'vendor',
    );
    cases.set(name, { lid: issued.license.id, installation });
    return issued.license.id;
  };
  const perpetual = { model: 'perpetual' as const, credentials: 100 };
  const subscription = { model: 'subscription' as const, credentials: 100, termDays: 365 };

  await issue('valid', perpetual);
  await issue('subscription', subscription);
  await issue('expired', { ...subscription, termDays: 30 }, T0 - 400 * day * 1000);
  const suspended = await issue('suspended', perpetual);
  const revoked = await issue('revoked', perpetual);
  const renewed = await issue('renewed', { ...subscription, termDays: 30 });
  clock.now = T0 - day * 1000 + 60_000;
  await issuer.suspend(suspended, 'vendor');
  await issuer.revoke(revoked, 'vendor', 'contract ended');
  await issuer.renew(renewed, { termDays: 365 }, 'vendor');
  clock.now = T0;

  const statusKeys = await store.loadStatusSigningKeys(issuerSecrets.statusPassphrase);
  const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
  const caseOf = (name: CaseName) => {
    const found = cases.get(name);
    if (found === undefined) throw new Error(`no case ${name}`);
    return found;
  };
  return {
    name: kind,
    license: caseOf,
    view: async (name) => {
      const view = await store.getCheckView(caseOf(name).lid);
      if (view === null) throw new Error(`the store lost ${name}`);
      return view;
    },
    service: serviceOn(store, statusKeys),
    records: (lid) => issuer.listChecks(lid),
    keyring,
    close: cleanup,
  };
}

/** The worlds of this run; MongoDB only with MONGODB_URI (required under LICENSOR_REQUIRE_MONGO). */
export function outcomeWorlds(): [string, () => Promise<OutcomeWorld>][] {
  const worlds: [string, () => Promise<OutcomeWorld>][] = [
    ['memory store', memoryWorld],
    ['SQLite store', () => realWorld('sqlite')],
  ];
  if (process.env.MONGODB_URI) {
    worlds.push(['MongoDB store', () => realWorld('mongo')]);
  } else if (process.env.LICENSOR_REQUIRE_MONGO === '1') {
    worlds.push([
      'MongoDB store',
      () => Promise.reject(new Error('LICENSOR_REQUIRE_MONGO=1 but MONGODB_URI is not set')),
    ]);
  } else {
    console.info(
      'verify-service outcome suite: MongoDB skipped; set MONGODB_URI (scripts/ferretdb.sh) to run it',
    );
  }
  return worlds;
}
