// Record ids: `<prefix>_<22 base64url chars of 16 random bytes>` (contract, first section).

import { randomBytes } from 'node:crypto';

export type IdPrefix =
  | 'lic'
  | 'cus'
  | 'txn'
  | 'req'
  | 'usr'
  | 'chk'
  | 'evt'
  | 'prd'
  | 'pln'
  | 'frk';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** The id of the audit event a transaction leads to: fixed, so writing it twice is harmless. */
export function auditIdOfTransaction(transactionId: string): string {
  return `evt_${transactionId.slice(4)}`;
}
