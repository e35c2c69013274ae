// Encryption at rest of private signing keys: AES-256-GCM under a key derived with scrypt from
// the vendor's passphrase (LICENSOR_KEY_PASSPHRASE). The additional data binds a ciphertext to
// its key id and purpose, so a sealed license key cannot be passed off as a status key.

import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/** A secret sealed at rest: AES-256-GCM under a key scrypt derives from a passphrase. */
export interface SealedSecret {
  alg: 'A256GCM+scrypt';
  salt: string; // base64url
  n: number;
  r: number;
  p: number;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** scrypt cost: 2^15 × 8 × 1 (32 MiB, ~0.1 s): paid once per key load, not per issue. */
const SCRYPT = { n: 2 ** 15, r: 8, p: 1 } as const;

function deriveKey(
  passphrase: string,
  salt: Buffer,
  params: { n: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      32,
      { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export async function sealSecret(
  secret: Uint8Array,
  passphrase: string,
  aad: string,
): Promise<SealedSecret> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    alg: 'A256GCM+scrypt',
    salt: salt.toString('base64url'),
    n: SCRYPT.n,
    r: SCRYPT.r,
    p: SCRYPT.p,
    iv: iv.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

/** The secret, or undefined when the passphrase (or the additional data) does not match. */
export async function openSecret(
  sealed: SealedSecret,
  passphrase: string,
  aad: string,
): Promise<Uint8Array | undefined> {
  const key = await deriveKey(passphrase, Buffer.from(sealed.salt, 'base64url'), sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  try {
    const plain = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64url')),
      decipher.final(),
    ]);
    return new Uint8Array(plain);
  } catch {
    return undefined;
  }
}

export function keyAad(purpose: string, kid: string): string {
  return `licensor-signing-key:${purpose}:${kid}`;
}
