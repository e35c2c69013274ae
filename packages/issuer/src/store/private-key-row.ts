// A signing key's private half as both adapters keep it: one row or document with the columns
// `protection`, `sealed` (encrypted keys) and `hsm` (keys in a PKCS#11 token), read back the
// same way by both.

import type { KeyPurpose, PublicJwk } from '@licensor/token';
import type { HsmKeyLocation, SigningKeyRecord } from '../records.js';
import type { SealedSecret, StoredPrivateKey } from './ports.js';

export interface PrivateKeyRow {
  kid: string;
  purpose: KeyPurpose;
  protection: string;
  sealed: SealedSecret | null;
  hsm: HsmKeyLocation | null;
  publicKey: PublicJwk;
}

export function storedPrivateKeyOf(row: PrivateKeyRow): StoredPrivateKey {
  const { kid, purpose } = row;
  if (row.protection === 'encrypted') {
    return { kid, purpose, protection: 'encrypted', sealed: row.sealed as SealedSecret };
  }
  if (row.protection === 'pkcs11') {
    const hsm = row.hsm as HsmKeyLocation;
    return {
      kid,
      purpose,
      protection: 'pkcs11',
      hsm: { token: hsm.token, label: hsm.label },
      publicKey: row.publicKey,
    };
  }
  return { kid, purpose, protection: 'file' };
}

/** The columns a private half fills: the sealed seed, or where the HSM keeps it. */
export function privateKeyColumns(privateKey: StoredPrivateKey): {
  sealed: SealedSecret | null;
  hsm: HsmKeyLocation | null;
} {
  return {
    sealed: privateKey.protection === 'encrypted' ? privateKey.sealed : null,
    hsm: privateKey.protection === 'pkcs11' ? privateKey.hsm : null,
  };
}

/** The record's `hsm` member, present only for keys in an HSM. */
export function hsmMember(hsm: HsmKeyLocation | null | undefined): Pick<SigningKeyRecord, 'hsm'> {
  return hsm === null || hsm === undefined ? {} : { hsm: { token: hsm.token, label: hsm.label } };
}
