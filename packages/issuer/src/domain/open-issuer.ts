// `openIssuer({ store })`: the Issuer object over a store, the one thing the CLI and the portal
// drive. Opening it first completes any transaction a crash left stored but not applied.

import { createCatalog } from '../catalog/catalog.js';
import { reissue } from '../catalog/reissue.js';
import type { Issuer, IssuerOptions, LicenseDetail } from '../facade.js';
import { LicenseKeys } from '../keys/license-keys.js';
import type { Installation } from '../records.js';
import type {
  AuditFilter,
  LastCheck,
  LicenseFilter,
  RequestFilter,
  TransactionFilter,
} from '../store/ports.js';
import { approveRequest } from './approve-request.js';
import { exportAuditLog, verifyAuditChain } from './audit.js';
import { autoRenew } from './auto-renew.js';
import type { IssuerContext } from './context.js';
import { dashboard } from './dashboard.js';
import { createForks } from './forks.js';
import { inspect } from './inspect.js';
import { issue } from './issue.js';
import {
  answerWithKeysets,
  assertKeysetPublished,
  deliverWithKeysets,
  keyUsage,
  keyUsageOf,
  unverifiedClaimsOf,
  verifiedOrUndefined,
} from './key-usage.js';
import { changeLicenseState } from './license-state.js';
import { rejectRequest } from './reject-request.js';
import { renameCustomer } from './rename-customer.js';
import { renew } from './renew.js';
import {
  activateKey,
  exportJwks,
  initKeys,
  listKeysets,
  retireKey,
  revokeKey,
  rotateKey,
} from './signing-keys.js';
import { createUsers } from './users.js';

/** Writes the records of every stored transaction whose writes a crash interrupted. */
export async function recoverTransactions(context: Pick<IssuerContext, 'store'>): Promise<number> {
  const pending = await context.store.listUnappliedTransactions();
  for (const transaction of pending) await context.store.applyTransaction(transaction);
  return pending.length;
}

function secret(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

export async function openIssuer(options: IssuerOptions): Promise<Issuer> {
  const passphrase = secret(options.passphrase ?? process.env.LICENSOR_KEY_PASSPHRASE);
  const statusPassphrase = secret(
    options.statusPassphrase ?? process.env.LICENSOR_STATUS_KEY_PASSPHRASE,
  );
  const context: IssuerContext = {
    store: options.store,
    passphrase,
    statusPassphrase,
    now: options.now ?? Date.now,
    licenseKeys: new LicenseKeys(options.store, passphrase),
  };
  const store = context.store;
  await recoverTransactions(context);
  // An upgraded store's audit log starts its hash chain here, anchoring the entries before it.
  await store.anchorAuditChain(context.now());

  async function getLicense(id: string): Promise<LicenseDetail | null> {
    const license = await store.getLicense(id);
    if (license === null) return null;
    const [customer, installation, transactions, requests, lastCheck, forks, forkPolicy, inForce] =
      await Promise.all([
        store.getCustomer(license.customerId),
        license.installationId === null ? null : store.getInstallation(license.installationId),
        store.listTransactions({ licenseId: id }),
        store.listRequests({ licenseId: id }),
        store.lastCheck(id),
        store.chains.listForks({ licenseId: id }),
        store.chains.getForkPolicy(id),
        store.chains.resolveForkPolicy(id),
      ]);
    return {
      license,
      customer,
      installation: seenByChecks(installation, lastCheck),
      transactions,
      requests,
      lastCheck,
      forks,
      forkPolicy,
      forkPolicyInForce: inForce,
    };
  }

  const catalog = createCatalog(context);

  return {
    store,
    products: catalog.products,
    plans: catalog.plans,
    reissue: async (id, changes, operator) =>
      deliverWithKeysets(context, await reissue(context, id, changes, operator)),
    init: (operator = 'unknown', options = {}) => initKeys(context, operator, options),
    inspect: (challenge, operator) => inspect(context, challenge, operator),
    issue: async (challenge, terms, operator, options) => {
      // A challenge that says which key set version its installation trusts (SDK format 2)
      // gets the versions after it, to carry with the key (an offline bundle); one naming a
      // version never published is refused before anything is written. The challenge is
      // verified once here and `issue` reuses it; one that does not verify is read unverified
      // for the version, and `issue` refuses it (the refusals come in the same order as ever).
      const verified = verifiedOrUndefined(challenge);
      const claims = verified?.claims ?? unverifiedClaimsOf(challenge);
      await assertKeysetPublished(context, claims?.keyset);
      const result = await issue(context, challenge, terms, operator, options, verified);
      return answerWithKeysets(context, result, claims);
    },
    revoke: (id, operator, reason) => changeLicenseState(context, 'revoke', id, operator, reason),
    suspend: (id, operator, reason) => changeLicenseState(context, 'suspend', id, operator, reason),
    resume: (id, operator, reason) => changeLicenseState(context, 'resume', id, operator, reason),
    renew: async (id, renewal, operator) =>
      deliverWithKeysets(context, await renew(context, id, renewal, operator)),
    autoRenew: (options) => autoRenew(context, options),
    approveRequest: async (id, operator, approval) => {
      const request = await store.getRequest(id);
      if (request !== null)
        await assertKeysetPublished(context, unverifiedClaimsOf(request.challenge)?.keyset);
      const result = await approveRequest(context, id, operator, approval);
      return answerWithKeysets(context, result, unverifiedClaimsOf(result.request.challenge));
    },
    rejectRequest: (id, operator, reason) => rejectRequest(context, id, operator, reason),
    renameCustomer: (id, name, operator) => renameCustomer(context, id, name, operator),
    listLicenses: (filter: LicenseFilter = {}) => store.listLicenses(filter),
    getLicense,
    listRequests: (filter: RequestFilter = {}) => store.listRequests(filter),
    getRequest: (id) => store.getRequest(id),
    listCustomers: (page) => store.listCustomers(page),
    getCustomer: (id) => store.getCustomer(id),
    // Whoever reads through the facade may hand the keys out: they wait for the disk.
    listTransactions: (filter: TransactionFilter = {}) =>
      store.listTransactions({ ...filter, factsOnly: false }),
    forks: createForks(context),
    listChecks: (licenseId, limit) => store.listChecks(licenseId, limit),
    dailyUsage: (licenseId, range) => store.dailyUsage(licenseId, range),
    dashboard: (options) => dashboard(context, options),
    listAuditEvents: (filter: AuditFilter = {}) => store.listAuditEvents(filter),
    audit: {
      verify: () => verifyAuditChain(context),
      export: () => exportAuditLog(context),
    },
    keys: {
      list: () => store.listSigningKeys(),
      rotate: (purpose, operator, options = {}) => rotateKey(context, purpose, operator, options),
      activate: (kid, operator) => activateKey(context, kid, operator),
      retire: (kid, operator) => retireKey(context, kid, operator),
      revoke: (kid, operator, reason) => revokeKey(context, kid, operator, reason),
      exportJwks: (product) => exportJwks(context, product),
      keysets: (product) => listKeysets(context, product),
      usage: () => keyUsage(context),
      usageOf: (kid) => keyUsageOf(context, kid),
    },
    users: createUsers(context),
  };
}

/**
 * The installation as the vendor last saw it: its record moves with each transaction (a key
 * issued, the license moved to it), and an online check is a sighting too (#16.15). Checks are
 * recorded only for the installation the license is bound to, so a check after the record's
 * last sighting is this installation's. The store keeps the newest check per license (raw, or
 * from a day's roll-up once the raw records are dropped).
 */
function seenByChecks(
  installation: Installation | null,
  lastCheck: LastCheck | null,
): Installation | null {
  if (installation === null || lastCheck === null || lastCheck.at <= installation.lastSeenAt) {
    return installation;
  }
  return { ...installation, lastSeenAt: lastCheck.at };
}
