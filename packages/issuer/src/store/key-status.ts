// The state of a signing key as stored. Keys stored before states existed have none: their state
// follows the old rule (the newest non-retired key of a purpose signs; every other key no longer
// does, and keeps verifying what it signed, i.e. is retired).

import type { KeyStatus, SigningKeyRecord } from '../records.js';

export type StoredKeyRecord = Omit<SigningKeyRecord, 'status'> & { status: KeyStatus | null };

export function withKeyStatus(records: StoredKeyRecord[]): SigningKeyRecord[] {
  const newestFirst = [...records].sort(
    (a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1),
  );
  // Per scope: a product's own active key leaves the vendor's keys of the purpose alone.
  const scope = (record: StoredKeyRecord) => `${record.purpose}:${record.product ?? ''}`;
  const activeSeen = new Set<string>();
  for (const record of newestFirst) {
    if (record.status === 'active') activeSeen.add(scope(record));
  }
  return newestFirst.map((record): SigningKeyRecord => {
    if (record.status !== null) return { ...record, status: record.status };
    if (record.retiredAt !== null || activeSeen.has(scope(record))) {
      return { ...record, status: 'retired', retiredAt: record.retiredAt ?? record.createdAt };
    }
    activeSeen.add(scope(record));
    return { ...record, status: 'active', activatedAt: record.activatedAt ?? record.createdAt };
  });
}

/**
 * The key that signs a purpose now: of the active ones, the last activated (after a crash
 * between the two writes of an activation, two can be active for a moment).
 */
export function signingKeyOf<
  T extends Pick<SigningKeyRecord, 'status' | 'activatedAt' | 'createdAt'>,
>(keys: readonly T[]): T | undefined {
  return keys
    .filter((key) => key.status === 'active')
    .sort(
      (a, b) =>
        (b.activatedAt ?? b.createdAt) - (a.activatedAt ?? a.createdAt) ||
        b.createdAt - a.createdAt,
    )[0];
}

/** The record after a move to `to` at `at` (the time of that state is set, the others kept). */
export function movedTo(key: SigningKeyRecord, to: KeyStatus, at: number): SigningKeyRecord {
  return {
    ...key,
    status: to,
    activatedAt: to === 'active' ? at : key.activatedAt,
    retiredAt: to === 'retired' ? at : key.retiredAt,
    revokedAt: to === 'revoked' ? at : key.revokedAt,
  };
}

/**
 * Private halves that sign or are about to: the signing key first, then the `next` ones, of
 * one scope: the vendor's own keys (`product` absent) or one product's.
 */
export function usableKids(
  keys: readonly SigningKeyRecord[],
  purpose: string,
  product?: string | null,
): string[] {
  const own = keys.filter(
    (key) => key.purpose === purpose && (key.product ?? null) === (product ?? null),
  );
  const signing = signingKeyOf(own);
  const rest = own.filter(
    (key) => key !== signing && (key.status === 'active' || key.status === 'next'),
  );
  return [...(signing === undefined ? [] : [signing]), ...rest].map((key) => key.kid);
}
