// What the service needs from the shared store (contract §3), and nothing more: one read per
// check, a batch insert of check records, a ping for readiness. `@licensor/issuer/store`'s
// LicensorStore satisfies it; tests use an in-memory one. Keeping the port this narrow is what
// keeps the service from ever reaching the issuing code or a license-use private key.
import type { LicenseModel, PublicJwk } from '@licensor/token';

export interface CheckView {
  licenseId: string;
  state: 'active' | 'suspended' | 'revoked';
  model: LicenseModel;
  revision: number;
  term: null | { start: number; end: number; grace: number };
  installationId: string | null;
  installationKey: PublicJwk | null;
  latestToken: string | null;
}

export interface CheckRecord {
  id: string;
  at: number;
  licenseId: string;
  installationId: string;
  sdkVersion: string;
  credentialsInUse: number;
  outcome: 'VALID' | 'EXPIRED' | 'SUSPENDED' | 'REVOKED' | 'UNKNOWN';
}

export interface CheckStore {
  getCheckView(licenseId: string): Promise<CheckView | null>;
  recordChecks(records: CheckRecord[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
