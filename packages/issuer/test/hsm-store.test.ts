// Both store adapters record a key kept in an HSM as its kid, public key, token and label, and
// give it back as such: no private half, no sealed seed, and the other keys unchanged.

import { generateKeyPair, toPublicJwk } from '@licensor/token';
import { afterAll, expect, it } from 'vitest';
import type { SigningKeyRecord } from '../src/records.js';
import { adapters, describeOn } from './support/adapters.js';

for (const adapter of adapters()) {
  describeOn(adapter, `${adapter.name} store: keys in an HSM`, () => {
    afterAll(() => adapter.cleanup());

    it('records where the key is, and reads it back for signing', async () => {
      const store = await (await adapter.create()).open();
      try {
        const pair = generateKeyPair();
        const hsm = { token: 'vault', label: 'licensor-license-2026-01-01-abcdef012345' };
        const record: SigningKeyRecord = {
          kid: pair.kid,
          purpose: 'license',
          publicKey: toPublicJwk(pair.publicKey),
          status: 'active',
          protection: 'pkcs11',
          hsm,
          createdAt: 10,
          activatedAt: 10,
          retiredAt: null,
          revokedAt: null,
        };
        await store.insertSigningKey(record, {
          kid: pair.kid,
          purpose: 'license',
          protection: 'pkcs11',
          hsm,
          publicKey: record.publicKey,
        });
        const sealedPair = generateKeyPair();
        await store.insertSigningKey(
          {
            ...record,
            kid: sealedPair.kid,
            protection: 'file',
            createdAt: 5,
            hsm: undefined as never,
          },
          { kid: sealedPair.kid, purpose: 'license', protection: 'file' },
        );
        const listed = await store.listSigningKeys();
        expect(listed.find((k) => k.kid === pair.kid)).toEqual(record);
        expect(listed.find((k) => k.kid === sealedPair.kid)).not.toHaveProperty('hsm');
        expect(await store.readPrivateKeys('license')).toEqual([
          {
            kid: pair.kid,
            purpose: 'license',
            protection: 'pkcs11',
            hsm,
            publicKey: record.publicKey,
          },
          { kid: sealedPair.kid, purpose: 'license', protection: 'file' },
        ]);
        expect(await store.readPrivateKeys('status')).toEqual([]);
      } finally {
        await store.close();
      }
    });
  });
}
