// Ids of the issuer's records come from the one generator, `newId` in `@licensor/token`
// (packages/token/src/ids.ts). What is here derives an id from another; it mints none.

/** The id of the audit event a transaction leads to: fixed, so writing it twice is harmless. */
export function auditIdOfTransaction(transactionId: string): string {
  return `evt_${transactionId.slice(4)}`;
}
