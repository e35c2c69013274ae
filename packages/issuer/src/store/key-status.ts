// Which signing key is active: the newest non-retired key of its purpose. Rotation is then one
// insert, and no crash can leave two active keys or none.

import type { SigningKeyRecord } from '../records.js';

export function withKeyStatus(records: Omit<SigningKeyRecord, 'status'>[]): SigningKeyRecord[] {
  const newestFirst = [...records].sort(
    (a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1),
  );
  const activeSeen = new Set<string>();
  return newestFirst.map((record) => {
    if (record.retiredAt !== null) return { ...record, status: 'retired' };
    if (activeSeen.has(record.purpose)) return { ...record, status: 'inactive' };
    activeSeen.add(record.purpose);
    return { ...record, status: 'active' };
  });
}
