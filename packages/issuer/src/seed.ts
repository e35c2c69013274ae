// Entry point `@licensor/issuer/seed`: realistic data for a large store (benches, sizing,
// `pnpm seed-data`). Not for production stores.

export {
  installationKeyOf,
  SAMPLE_SIZE,
  type SeedOptions,
  type SeedProgress,
  type SeedReport,
  seedStore,
} from './seed/seed-data.js';
