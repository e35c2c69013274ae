// Identifiers the SDK makes: `<prefix>_<22 base64url chars of 16 random bytes>`, as the contract
// prescribes for every Licensor id, and the nonce of a check request.
import { randomBytes } from 'node:crypto';

export function newId(prefix: 'chl'): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
