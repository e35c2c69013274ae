import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('password hashes', () => {
  it('verify the password they were made from, and no other', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('are salted: the same password hashes differently', async () => {
    expect(await hashPassword('same password here')).not.toBe(
      await hashPassword('same password here'),
    );
  });

  it('reject hashes they cannot read instead of throwing', async () => {
    for (const bad of ['', 'bcrypt$x', 'scrypt$99$8$1$AA$AA', 'scrypt$15$8$3$AAAA$short']) {
      expect(await verifyPassword('anything', bad)).toBe(false);
    }
  });

  it('treat composed and decomposed accents as the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait longer');
    expect(await verifyPassword('cafe\u0301 au lait longer', hash)).toBe(true);
  });
});
