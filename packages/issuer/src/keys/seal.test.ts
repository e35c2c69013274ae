import { describe, expect, it } from 'vitest';
import { keyAad, openSecret, sealSecret } from './seal.js';

const secret = new Uint8Array(32).map((_, i) => i);

describe('sealing private keys', () => {
  it('opens with the same passphrase and additional data', async () => {
    const sealed = await sealSecret(secret, 'passphrase', keyAad('license', 'kid1'));
    expect(sealed).toMatchObject({ alg: 'A256GCM+scrypt', n: 2 ** 15, r: 8, p: 1 });
    expect(await openSecret(sealed, 'passphrase', keyAad('license', 'kid1'))).toEqual(secret);
  });

  it('does not open with another passphrase', async () => {
    const sealed = await sealSecret(secret, 'passphrase', keyAad('license', 'kid1'));
    expect(await openSecret(sealed, 'Passphrase', keyAad('license', 'kid1'))).toBeUndefined();
  });

  it('does not open as a key of another purpose or id', async () => {
    const sealed = await sealSecret(secret, 'passphrase', keyAad('license', 'kid1'));
    expect(await openSecret(sealed, 'passphrase', keyAad('status', 'kid1'))).toBeUndefined();
    expect(await openSecret(sealed, 'passphrase', keyAad('license', 'kid2'))).toBeUndefined();
  });

  it('does not open a tampered ciphertext', async () => {
    const sealed = await sealSecret(secret, 'passphrase', 'aad');
    const bytes = Buffer.from(sealed.ciphertext, 'base64url');
    bytes[0]! ^= 1;
    expect(
      await openSecret({ ...sealed, ciphertext: bytes.toString('base64url') }, 'passphrase', 'aad'),
    ).toBeUndefined();
  });

  it('uses a fresh salt and nonce each time', async () => {
    const a = await sealSecret(secret, 'passphrase', 'aad');
    const b = await sealSecret(secret, 'passphrase', 'aad');
    expect(a.salt).not.toBe(b.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });
});
