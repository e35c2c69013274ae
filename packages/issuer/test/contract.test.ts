// The one contract suite, run against both store adapters. Without MONGODB_URI the MongoDB run
// is skipped with a message; with LICENSOR_REQUIRE_MONGO=1 (CI) a missing server fails it.

import { describe, it } from 'vitest';
import { issuingContract } from './contract/issuing.contract.js';
import { adapters } from './support/adapters.js';

for (const adapter of adapters()) {
  if (adapter.unavailable !== null) {
    if (process.env.LICENSOR_REQUIRE_MONGO === '1') {
      describe(`${adapter.name} store`, () => {
        it('runs (LICENSOR_REQUIRE_MONGO=1)', () => {
          throw new Error(adapter.unavailable!);
        });
      });
    } else {
      console.warn(adapter.unavailable);
      describe.skip(`${adapter.name} store (${adapter.unavailable})`, () => {
        it('skipped', () => {});
      });
    }
    continue;
  }
  describe(`${adapter.name} store`, () => {
    describe('issuing', () => issuingContract(adapter));
  });
}
