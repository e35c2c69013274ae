// Entry point `@licensor/issuer/seed`: realistic data for a large store (benches, sizing,
// `pnpm seed-data`) and the fresh challenges benches issue against. Not for production stores.

export {
  type FreshChallengeOptions,
  freshChallenge,
  freshChallenges,
} from './seed/fresh-challenge.js';
export {
  installationKeyOf,
  SAMPLE_SIZE,
  type SeedChecksOptions,
  type SeedOptions,
  type SeedProgress,
  type SeedReport,
  seedChecksOfStore,
  seedStore,
} from './seed/seed-data.js';
