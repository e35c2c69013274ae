// Sets up an embedded (SQLite) store for the benchmark the way a vendor would: init the issuer
// (a license key and a status key), then issue a subscription license for a new installation's
// challenge. Returns the license id, the installation key that signs the check requests, and
// the JWKS an SDK would trust.
import { openIssuer } from '@licensor/issuer';
import { freshChallenge } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { generateKeyPair, newNonce, signCheck } from '@licensor/token';

export async function prepareStore(dataDir, passphrase, statusPassphrase) {
  const store = await openStore({ dataDir });
  try {
    const issuer = await openIssuer({ store, passphrase, statusPassphrase });
    await issuer.init('bench');
    const installation = generateKeyPair();
    const challenge = freshChallenge({ key: installation, credentialsInUse: 0, credentials: 500 });
    const issued = await issuer.issue(
      challenge,
      { customerName: 'Bench Corp', model: 'subscription', credentials: 500, termDays: 365 },
      'bench',
    );
    const jwks = await issuer.keys.exportJwks();
    return { licenseId: issued.license.id, revision: issued.license.revision, installation, jwks };
  } finally {
    await store.close();
  }
}

/** A version 1 check of the prepared license by its installation, with a fresh nonce. */
export function checkToken(licenseId, revision, installation) {
  return signCheck(
    {
      v: 1,
      iat: Math.floor(Date.now() / 1000),
      nonce: newNonce(),
      lid: licenseId,
      rev: revision,
      sdk: '0.1.0',
      product: { name: 'CMS', version: '5.2.0' },
      usage: { credentialsInUse: 42 },
    },
    installation,
  );
}
