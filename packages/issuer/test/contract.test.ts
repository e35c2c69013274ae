// The one contract suite, run against both store adapters. Without MONGODB_URI the MongoDB run
// is skipped with a message; with LICENSOR_REQUIRE_MONGO=1 (CI) a missing server fails it.

import { describe } from 'vitest';
import { auditChainContract } from './contract/audit-chain.contract.js';
import { autoRenewContract } from './contract/auto-renew.contract.js';
import { automationContract } from './contract/automation.contract.js';
import { catalogContract } from './contract/catalog.contract.js';
import { chainsContract } from './contract/chains.contract.js';
import { crashContract } from './contract/crash.contract.js';
import { dashboardContract } from './contract/dashboard.contract.js';
import { eventsContract } from './contract/events.contract.js';
import { issuingContract } from './contract/issuing.contract.js';
import { keyUsageContract } from './contract/key-usage.contract.js';
import { keysAndUsersContract } from './contract/keys-users.contract.js';
import { lifecycleContract } from './contract/lifecycle.contract.js';
import { pagingContract } from './contract/paging.contract.js';
import { productKeysContract } from './contract/product-keys.contract.js';
import { bulkLoadContract, retentionContract } from './contract/retention.contract.js';
import { ssoContract } from './contract/sso.contract.js';
import { storeContract } from './contract/store.contract.js';
import { twoFactorContract } from './contract/two-factor.contract.js';
import { adapters, describeOn } from './support/adapters.js';

for (const adapter of adapters()) {
  describeOn(adapter, `${adapter.name} store`, () => {
    describe('store', () => storeContract(adapter));
    describe('issuing', () => issuingContract(adapter));
    describe('license lifecycle', () => lifecycleContract(adapter));
    describe('crash between writes', () => crashContract(adapter));
    describe('keys and users', () => keysAndUsersContract(adapter));
    describe('what keys signed, who trusts which key set', () => keyUsageContract(adapter));
    describe('license keys of one product', () => productKeysContract(adapter));
    describe('automation and accounts', () => automationContract(adapter));
    describe('products and plans', () => catalogContract(adapter));
    describe('the auto-renew job', () => autoRenewContract(adapter));
    describe('check retention', () => retentionContract(adapter));
    describe('dashboard', () => dashboardContract(adapter));
    describe('paging by cursor', () => pagingContract(adapter));
    describe('bulk load', () => bulkLoadContract(adapter));
    describe('check chains, forks and nonces', () => chainsContract(adapter));
    describe('two-factor', () => twoFactorContract(adapter));
    describe('audit log hash chain', () => auditChainContract(adapter));
    describe('single sign-on', () => ssoContract(adapter));
    describe('webhook events from checks and keys', () => eventsContract(adapter));
  });
}
