// Vendor users' passwords: scrypt with a random salt, parameters stored in the hash so they can
// be raised later without invalidating existing hashes. Format:
// `scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>`.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** 2^15 × 8 × 3: one of the OWASP-recommended scrypt settings (32 MiB). */
const COST = { log2n: 15, r: 8, p: 3 } as const;
const KEY_LENGTH = 32;

function derive(
  password: string,
  salt: Buffer,
  log2n: number,
  r: number,
  p: number,
): Promise<Buffer> {
  const n = 2 ** log2n;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST.log2n, COST.r, COST.p);
  return [
    'scrypt',
    COST.log2n,
    COST.r,
    COST.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** True when the password matches; false for a mismatch or a hash this code cannot read. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (
    ![log2n, r, p].every(Number.isInteger) ||
    log2n < 10 ||
    log2n > 20 ||
    r < 1 ||
    r > 32 ||
    p < 1 ||
    p > 16
  ) {
    return false;
  }
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await derive(password, Buffer.from(parts[4]!, 'base64url'), log2n, r, p);
  return timingSafeEqual(actual, expected);
}
