// What the service needs from the shared store (contract §3), and nothing more: one read per
// check, a batch insert of check records, a ping for readiness. `@licensor/issuer/store`'s
// LicensorStore satisfies it; tests use an in-memory one. Keeping the port this narrow is what
// keeps the service from ever reaching the issuing code or a license-use private key.
import type { LicensorStore } from '@licensor/issuer/store';

export type { CheckRecord, CheckView } from '@licensor/issuer/store';

export type CheckStore = Pick<LicensorStore, 'getCheckView' | 'recordChecks' | 'ping' | 'close'>;
