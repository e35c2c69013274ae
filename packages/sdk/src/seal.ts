// Keyed digests made with a key derived from the installation's own seed: the seal over the state
// document and the links of the audit trail. Whoever edits a stored file by hand (a field copied
// from an older state, a line deleted from the audit) cannot make the digest match without
// writing code around the installation key; the SDK names the edit instead of acting on it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SealPurpose = 'state' | 'audit';

const LABELS: Record<SealPurpose, string> = {
  state: 'licensor-sdk state seal v1',
  audit: 'licensor-sdk audit chain v1',
};

const derived = new WeakMap<Uint8Array, Record<SealPurpose, Buffer>>();

function keyFor(seed: Uint8Array, purpose: SealPurpose): Buffer {
  let keys = derived.get(seed);
  if (keys === undefined) {
    keys = {
      state: createHmac('sha256', seed).update(LABELS.state).digest(),
      audit: createHmac('sha256', seed).update(LABELS.audit).digest(),
    };
    derived.set(seed, keys);
  }
  return keys[purpose];
}

/** base64url(HMAC-SHA-256(key derived from the seed for `purpose`, text)). */
export function seal(seed: Uint8Array, purpose: SealPurpose, text: string): string {
  return createHmac('sha256', keyFor(seed, purpose)).update(text, 'utf8').digest('base64url');
}

/** True when `given` is the seal of `text` (constant time). */
export function sealHolds(
  seed: Uint8Array,
  purpose: SealPurpose,
  text: string,
  given: unknown,
): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(seal(seed, purpose, text), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
